package xlsx

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/beian/beian"
	"github.com/beian/beian/intake"
)

// regformSeeds are workbooks for the fuzzer: both blank forms, both filled
// in (one well, one with bad values and a formula), and broken files.
func regformSeeds(f *testing.F) [][]byte {
	f.Helper()
	fill := func(k beian.SponsorKind, values map[string]string, formula bool) []byte {
		var tmpl bytes.Buffer
		if err := WriteRegistrationForm(&tmpl, k); err != nil {
			f.Fatal(err)
		}
		wb, err := excelize.OpenReader(bytes.NewReader(tmpl.Bytes()))
		if err != nil {
			f.Fatal(err)
		}
		defer wb.Close()
		for _, fl := range RegistrationFieldsFor(k) {
			if v, ok := values[fl.Key]; ok {
				if err := wb.SetCellStr(RegistrationSheet, fl.Cell, v); err != nil {
					f.Fatal(err)
				}
			}
		}
		if formula {
			if err := wb.SetCellFormula(RegistrationSheet, "B14", `B5&"的博客"`); err != nil {
				f.Fatal(err)
			}
		}
		var out bytes.Buffer
		if _, err := wb.WriteTo(&out); err != nil {
			f.Fatal(err)
		}
		return out.Bytes()
	}
	var blank [2][]byte
	for i, k := range []beian.SponsorKind{beian.SponsorPerson, beian.SponsorOrganisation} {
		blank[i] = fill(k, nil, false)
	}
	person := fill(beian.SponsorPerson, map[string]string{
		"sponsor.name": "张三", "sponsor.cert_number": "32050519900307123X", "sponsor.province": "江苏", "sponsor.city": "苏州",
		"sponsor.address": "江苏省苏州市工业园区星湖街1号", "principal.name": "张三", "principal.id_number": "32050519900307123X",
		"principal.mobile": "13812345678", "principal.email": "zhangsan@example.cn", "website.name": "张三的技术博客",
		"website.domains": "example.cn、example.net.cn", "website.server_ips": "198.51.100.7, 2001:db8:1::7",
		"website.categories[0]": "新闻", "website.pre_approvals[0].document_no": "苏新闻〔2026〕1号",
		"website.interactive": "是", "type": "变更备案", "filing_number": "苏ICP备12345678号-1",
	}, false)
	org := fill(beian.SponsorOrganisation, map[string]string{
		"sponsor.name": "苏州示例科技有限公司", "sponsor.cert_number": "91320505MA1M111107", "sponsor.province": "广西壮族自治区",
		"sponsor.legal_rep.name": "李四", "sponsor.legal_rep.id_number": "440304198512310011",
		"principal.name": "李四", "website.server_ips": "300.1.1.1", "website.categories[1]": "游戏",
		"website.pre_approvals[2].document_no": "X-1", "type": "新增备案", "filing_number": "苏ICP备1号",
	}, true)
	var junk bytes.Buffer
	zw := zip.NewWriter(&junk)
	w, _ := zw.Create("xl/worksheets/sheet1.xml")
	w.Write([]byte(`<worksheet><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>网站备案资料登记表-用户（个人主办者）</t></is></c></row>`))
	zw.Close()
	return [][]byte{
		blank[0], blank[1], person, org,
		person[:len(person)/2],
		[]byte("主办者名称,证件号码\n张三,32050519900307123X\n"),
		junk.Bytes(),
		{0x50, 0x4B, 0x03, 0x04, 0xFF},
	}
}

// FuzzReadRegistrationForm: whatever is uploaded as a registration form
// (R-IN-2 item 1), ReadRegistrationForm does not panic and answers either
// a case of the form's kind with every field's cell on 「登记表」, or a
// *beian.Error (whose violations, when it is RULE_VIOLATIONS, each name a
// cell of 「登记表」).
func FuzzReadRegistrationForm(f *testing.F) {
	for _, s := range regformSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, cells, err := ReadRegistrationForm(bytes.NewReader(data))
		if err != nil {
			var e *beian.Error
			if !errors.As(err, &e) {
				t.Fatalf("not a *beian.Error: %v", err)
			}
			if c != nil || cells != nil {
				t.Fatalf("a case with an error: %+v", c)
			}
			if e.Code == beian.CodeViolations && len(e.Violations) == 0 {
				t.Fatal("RULE_VIOLATIONS without violations")
			}
			for _, v := range e.Violations {
				if !strings.HasPrefix(v.Field, RegistrationSheet+"!") || v.Message == "" || v.Rule != "R-IN-2" {
					t.Fatalf("violation %+v", v)
				}
			}
			return
		}
		if c == nil {
			t.Fatal("no case and no error")
		}
		if c.Sponsor.Kind != beian.SponsorPerson && c.Sponsor.Kind != beian.SponsorOrganisation {
			t.Fatalf("kind %q", c.Sponsor.Kind)
		}
		if c.Type != "" && !c.Type.Valid() {
			t.Fatalf("type %q", c.Type)
		}
		for _, key := range []string{"sponsor.name", "principal.id_number", "website.server_ips", "type"} {
			if !strings.HasPrefix(cells[key], RegistrationSheet+"!") {
				t.Fatalf("%s at %q", key, cells[key])
			}
		}
		for i := range c.Website.ServerIPs {
			if _, ok := cells[fmt.Sprintf("website.server_ips[%d]", i)]; !ok {
				t.Fatalf("server IP %d has no cell", i)
			}
		}
		for i := range c.Website.Domains {
			if _, ok := cells[fmt.Sprintf("website.domains[%d]", i)]; !ok {
				t.Fatalf("domain %d has no cell", i)
			}
		}
	})
}

// FuzzRegistrationFormCells: whatever a filer types into the form's cells
// (R-IN-2 item 1), the reader does not panic, and a case it returns holds
// only what its drop-downs allow: the form's kind, a known certificate
// type, province, filing type and pre-approval category, parsed IPs.
func FuzzRegistrationFormCells(f *testing.F) {
	f.Add(false, "个人", "居民身份证", "江苏省", "example.cn、a.cn", "198.51.100.7,2001:db8::1", "新闻", "苏新闻1号", "是", "变更备案", "苏ICP备1号")
	f.Add(true, "person", "uscc", "火星", "", "300.1.1.1", "游戏", "", "也许", "新建", "")
	f.Add(true, "", "", "", "、、", "１９８.５１.１００.７", "ｎｅｗｓ", "", "", "", "")
	f.Add(false, "=1+2", "'", "广西壮族自治区", "\n", "::ffff:198.51.100.7", "", "X-1", "0", "new", "x")
	var tmpl [2][]byte
	for i, k := range []beian.SponsorKind{beian.SponsorPerson, beian.SponsorOrganisation} {
		var b bytes.Buffer
		if err := WriteRegistrationForm(&b, k); err != nil {
			f.Fatal(err)
		}
		tmpl[i] = b.Bytes()
	}
	provinces := intake.Provinces
	cats := intake.DefaultRules().PreApprovalCategories
	f.Fuzz(func(t *testing.T, org bool, kind, cert, province, domains, ips, cat, doc, interactive, typ, number string) {
		k, data := beian.SponsorPerson, tmpl[0]
		if org {
			k, data = beian.SponsorOrganisation, tmpl[1]
		}
		wb, err := excelize.OpenReader(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		defer wb.Close()
		for at, v := range map[string]string{"B4": kind, "D4": cert, "D6": province, "B15": domains, "B16": ips,
			"B17": cat, "D17": doc, "B20": interactive, "B22": typ, "D22": number} {
			if err := wb.SetCellStr(RegistrationSheet, at, v); err != nil {
				return // excelize refuses it (e.g. longer than a cell holds): not something a file can carry
			}
		}
		var filled bytes.Buffer
		if _, err := wb.WriteTo(&filled); err != nil {
			t.Fatal(err)
		}
		c, cells, err := ReadRegistrationForm(&filled)
		if err != nil {
			var e *beian.Error
			if !errors.As(err, &e) || e.Code != beian.CodeViolations || len(e.Violations) == 0 {
				t.Fatalf("%v", err)
			}
			return
		}
		switch {
		case c.Sponsor.Kind != k:
			t.Fatalf("kind %q on the %s form", c.Sponsor.Kind, k)
		case c.Sponsor.CertType != "" && c.Sponsor.CertType != beian.CertIDCard && c.Sponsor.CertType != beian.CertUSCC:
			t.Fatalf("cert type %q", c.Sponsor.CertType)
		case c.Sponsor.Province != "" && !slices.Contains(provinces, c.Sponsor.Province):
			t.Fatalf("province %q", c.Sponsor.Province)
		case c.Type != "" && !c.Type.Valid():
			t.Fatalf("type %q", c.Type)
		case c.FilingNumber != "" && c.Type == beian.TypeNew:
			t.Fatalf("filing number %q on a new filing", c.FilingNumber)
		}
		for _, ip := range c.Website.ServerIPs {
			if a, err := netip.ParseAddr(ip); err != nil || a.String() != ip {
				t.Fatalf("server IP %q", ip)
			}
		}
		for _, code := range c.Website.Categories {
			if _, ok := cats[code]; !ok {
				t.Fatalf("category %q", code)
			}
		}
		for _, d := range c.Website.Domains {
			if d == "" || strings.ContainsAny(d, "、,，;； \n") {
				t.Fatalf("domain %q", d)
			}
		}
		if cells["website.server_ips"] != RegistrationSheet+"!B16" {
			t.Fatalf("cells %v", cells)
		}
	})
}
