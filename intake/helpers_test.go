package intake

import (
	"net/netip"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	beian "github.com/beian/beian"
)

// testNow is the time every test checks at.
var testNow = time.Date(2026, 6, 1, 10, 0, 0, 0, chinaTime)

// Known-valid numbers, each computed by the algorithm by hand (see the
// comments) and by an independent script.
const (
	idZhang = "32050519900307123X" // 苏州 1990-03-07; Σ digit×weight = 233, 233 mod 11 = 2 → "10X98765432"[2] = X
	idLi    = "440304198512310011" // 深圳 1985-12-31
	idWang  = "110101200002290026" // 北京 2000-02-29 (a leap day)
	idGB    = "11010519491231002X" // the GB 11643 example
	usccOrg = "91320505MA1M111107" // 苏州 enterprise
)

func testDataCentres() []beian.DataCentre {
	return []beian.DataCentre{
		{
			Name: "苏州园区机房", Province: "江苏", AccessProvider: "中网科技（苏州）股份有限公司", Mailbox: "JSBA@ChinaNet.CC",
			CIDRs: []netip.Prefix{netip.MustParsePrefix("198.51.100.0/24"), netip.MustParsePrefix("2001:db8:1::/48")},
		},
		{
			Name: "滁州双线机房", Province: "安徽省", AccessProvider: "安徽易速网络科技有限公司", Mailbox: "AHBA@ChinaNet.CC",
			CIDRs: []netip.Prefix{netip.MustParsePrefix("203.0.113.0/24"), netip.MustParsePrefix("2001:db8:2::/48")},
		},
	}
}

// personCase is a valid new personal filing in 江苏 on a 江苏 server.
func personCase() *beian.Case {
	return &beian.Case{
		Type: beian.TypeNew,
		Sponsor: beian.Sponsor{
			Kind: beian.SponsorPerson, Name: "张三", CertType: beian.CertIDCard, CertNumber: idZhang,
			Province: "江苏", City: "苏州", Address: "江苏省苏州市工业园区星湖街1号",
		},
		Principal: beian.Principal{Name: "张三", IDNumber: idZhang, Mobile: "13812345678", Email: "zhangsan@example.cn"},
		Website: beian.Website{
			Name: "张三的技术博客", Domains: []string{"example.cn"}, ServerIPs: []string{"198.51.100.7"},
			Categories: []string{"blog"},
		},
	}
}

// orgCase is a valid new organisation filing whose principal is the legal representative.
func orgCase() *beian.Case {
	return &beian.Case{
		Type: beian.TypeNew,
		Sponsor: beian.Sponsor{
			Kind: beian.SponsorOrganisation, Name: "苏州示例科技有限公司", CertType: beian.CertUSCC, CertNumber: usccOrg,
			Province: "江苏", City: "苏州", Address: "江苏省苏州市工业园区星湖街2号",
			LegalRep: &beian.Person{Name: "李四", IDNumber: idLi},
		},
		Principal: beian.Principal{Name: "李四", IDNumber: idLi, Mobile: "13912345678", Email: "lisi@example.com.cn"},
		Website: beian.Website{
			Name: "示例科技官网", Domains: []string{"example.com.cn"}, ServerIPs: []string{"198.51.100.8"},
		},
	}
}

func check(c *beian.Case) Result {
	return Check(c, Input{Rules: DefaultRules(), DataCentres: testDataCentres(), Now: testNow})
}

// codes lists "field code" of each violation, for comparing with a table.
func codes(vs []beian.Violation) []string {
	out := []string{}
	for _, v := range vs {
		out = append(out, v.Field+" "+v.Code)
	}
	return out
}

// requireWellFormed checks what every violation must carry: a rule ID, a
// code, a field and a Chinese message.
func requireWellFormed(t *testing.T, vs []beian.Violation) {
	t.Helper()
	for _, v := range vs {
		require.NotEmpty(t, v.Rule, "%+v", v)
		require.Regexp(t, `^R-(IN|ENT|TY)`, v.Rule, "%+v", v)
		require.Regexp(t, `^[A-Z_]+$`, v.Code, "%+v", v)
		require.NotEmpty(t, v.Field, "%+v", v)
		require.Regexp(t, `\p{Han}`, v.Message, "%+v", v)
	}
}

func itemCodes(items []beian.ChecklistItem) []string {
	out := []string{}
	for _, it := range items {
		out = append(out, it.Code)
	}
	return out
}

func item(t *testing.T, items []beian.ChecklistItem, code string) beian.ChecklistItem {
	t.Helper()
	for _, it := range items {
		if it.Code == code {
			return it
		}
	}
	require.Failf(t, "no checklist item", "%s not in %v", code, itemCodes(items))
	return beian.ChecklistItem{}
}
