package intake

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	beian "github.com/beian/beian"
)

// FuzzValidateResidentID: never panics; a number it accepts is 18 characters
// with X upper-case and is accepted again unchanged (R-IN-4).
func FuzzValidateResidentID(f *testing.F) {
	for _, s := range []string{idGB, "11010519491231002x", idZhang, idLi, idWang, "", "123", "440304198513310011", "99999999999999999X", "４40304198512310011"} {
		f.Add(s, int64(0))
	}
	f.Fuzz(func(t *testing.T, s string, unix int64) {
		now := time.Unix(unix%(1<<40), 0)
		n, err := ValidateResidentID(s, now)
		if err != nil {
			require.Equal(t, CodeInvalidIDNumber, beian.ErrorCode(err))
			return
		}
		require.Len(t, n, 18)
		require.Equal(t, strings.ToUpper(n), n)
		again, err := ValidateResidentID(n, now)
		require.NoError(t, err)
		require.Equal(t, n, again)
	})
}

// FuzzValidateCreditCode: never panics; an accepted code is accepted again
// unchanged; without the allow-list a single changed character fails (R-IN-4).
func FuzzValidateCreditCode(f *testing.F) {
	for _, s := range []string{"91350100M000100Y43", "91110000600037341L", "911100001000000001", usccOrg, "", "IOSVZ", "91350100m000100y43"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := ValidateCreditCode(s, nil)
		if err != nil {
			require.Equal(t, CodeInvalidCreditCode, beian.ErrorCode(err))
			return
		}
		require.Len(t, n, 18)
		again, err := ValidateCreditCode(n, nil)
		require.NoError(t, err)
		require.Equal(t, n, again)
		// The check catches every single-character substitution.
		for i := 0; i < 18; i++ {
			for _, c := range []byte("0A") {
				if n[i] == c {
					continue
				}
				changed := n[:i] + string(c) + n[i+1:]
				_, err := ValidateCreditCode(changed, nil)
				require.Error(t, err, changed)
			}
		}
	})
}

// FuzzNormaliseDomain: never panics; a result is lower-case ASCII, on the
// fileable list, and normalising it, or its Unicode form, gives it again (R-IN-4).
func FuzzNormaliseDomain(f *testing.F) {
	for _, s := range []string{"example.cn", "www.example.com.cn", "例子.中国", "中文.com", "https://a.b.政务.cn:80/x", "example.org", "", ".", "..", "xn--", "a.xn--fiqs8s", "[::1]", "-a-.com", "a@b@c.cn", "ＥＸＡＭＰＬＥ．ＣＮ"} {
		f.Add(s)
	}
	suffixes := DefaultRules().FileableSuffixes
	f.Fuzz(func(t *testing.T, s string) {
		reg, uni, err := NormaliseDomain(s, suffixes)
		if err != nil {
			require.Contains(t, []string{CodeInvalidDomain, CodeTLDNotFileable}, beian.ErrorCode(err))
			return
		}
		require.True(t, ValidDNSName(reg), reg)
		require.Equal(t, strings.ToLower(reg), reg)
		again, uni2, err := NormaliseDomain(reg, suffixes)
		require.NoError(t, err, reg)
		require.Equal(t, reg, again)
		require.Equal(t, uni, uni2)
		fromUni, _, err := NormaliseDomain(uni, suffixes)
		require.NoError(t, err, uni)
		require.Equal(t, reg, fromUni)
	})
}

// FuzzCheck: Check never panics on any input, every violation is well
// formed, and a second check of the normalised case changes nothing.
func FuzzCheck(f *testing.F) {
	f.Add("new", "person", "张三", "", idZhang, "江苏", "张三", idZhang, "13812345678", "", "a@example.cn", "张三的博客", "www.example.cn", "198.51.100.7", "news", "", false)
	f.Add("change", "organisation", "苏州示例科技有限公司", "uscc", usccOrg, "辽宁省", "李四", idLi, "+86 139 1234 5678", "024-1234567", "", "中国示例", "例子.中国", "2001:db8:1::1", "医疗保健", "苏ICP备1号", true)
	f.Add("", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", false)
	f.Add("cancel", "x", " ", "id_card", "x", "香港", "x", "x", "x", "x", "@", "苏州", ".org", "::ffff:1.2.3.4", "", "x", true)
	dcs := testDataCentres()
	rules := DefaultRules()
	f.Fuzz(func(t *testing.T, typ, kind, name, certType, cert, province, pname, pid, mobile, landline, email, site, domain, ip, category, number string, interactive bool) {
		c := &beian.Case{
			Type:         beian.CaseType(typ),
			FilingNumber: number,
			Sponsor: beian.Sponsor{Kind: beian.SponsorKind(kind), Name: name, CertType: certType, CertNumber: cert,
				Province: province, Address: site, LegalRep: &beian.Person{Name: pname, IDNumber: pid}},
			Principal: beian.Principal{Name: pname, IDNumber: pid, Mobile: mobile, Landline: landline, Email: email},
			Website: beian.Website{Name: site, Domains: []string{domain, "www." + domain}, ServerIPs: []string{ip},
				Categories: []string{category}, PreApprovals: []beian.PreApproval{{Category: category, DocumentNo: number}},
				Interactive: interactive},
		}
		in := Input{Rules: rules, DataCentres: dcs, Now: testNow}
		res := Check(c, in)
		for _, v := range res.Violations {
			require.NotEmpty(t, v.Rule)
			require.NotEmpty(t, v.Code)
			require.NotEmpty(t, v.Field)
			require.NotEmpty(t, v.Message)
		}
		for _, it := range res.Checklist {
			require.NotEmpty(t, it.Code)
			require.NotEmpty(t, it.Title)
		}
		before := *c
		before.Sponsor.LegalRep = &beian.Person{Name: c.Sponsor.LegalRep.Name, IDNumber: c.Sponsor.LegalRep.IDNumber}
		before.Website.Domains = append([]string{}, c.Website.Domains...)
		before.Website.ServerIPs = append([]string{}, c.Website.ServerIPs...)
		before.Website.Categories = append([]string{}, c.Website.Categories...)
		before.Website.PreApprovals = append([]beian.PreApproval{}, c.Website.PreApprovals...)
		again := Check(c, in)
		require.Equal(t, before, *c, "normalisation is idempotent")
		require.Equal(t, res, again)
	})
}
