package xlsx

import (
	"archive/zip"
	"bytes"
	"errors"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/beian/beian"
	"github.com/beian/beian/intake"
)

// securitySeeds are workbooks for the fuzzers: the template, the template
// filled in (good and bad rows, a formula), and broken files.
func securitySeeds(f *testing.F) [][]byte {
	f.Helper()
	var tmpl bytes.Buffer
	if err := WriteSecurityTemplate(&tmpl); err != nil {
		f.Fatal(err)
	}
	wb, err := excelize.OpenReader(bytes.NewReader(tmpl.Bytes()))
	if err != nil {
		f.Fatal(err)
	}
	defer wb.Close()
	for i, r := range [][]any{
		{"https://www.example.cn/x", "198.51.100.7", "私服", "疑似私服游戏", "信息安全部"},
		{"", "2001:db8::1", "IP 不在我司"},
		{},
		{"bad domain", "300.1.1.1", "赌博"},
		{"example.cn", "198.51.100.7", "其他"},
	} {
		if err := wb.SetSheetRow(SecuritySheet, cell(0, i+3), &r); err != nil {
			f.Fatal(err)
		}
	}
	if err := wb.SetCellFormula(SecuritySheet, "A9", `LOWER("A.CN")`); err != nil {
		f.Fatal(err)
	}
	var filled bytes.Buffer
	if _, err := wb.WriteTo(&filled); err != nil {
		f.Fatal(err)
	}
	var junk bytes.Buffer
	zw := zip.NewWriter(&junk)
	w, _ := zw.Create("xl/worksheets/sheet1.xml")
	w.Write([]byte(`<worksheet><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>域名</t></is></c></row>`))
	zw.Close()
	return [][]byte{
		tmpl.Bytes(),
		filled.Bytes(),
		filled.Bytes()[:filled.Len()/2],
		append(slices.Clone(oleMagic), make([]byte, 504)...),
		[]byte("域名,IP,类别\nexample.cn,198.51.100.7,私服\n"),
		junk.Bytes(),
		{0x50, 0x4B, 0x03, 0x04, 0xFF},
	}
}

// FuzzReadSecuritySheet: whatever is uploaded as a security sheet (R-PA-2),
// ReadSecuritySheet does not panic and answers either rows that each name a
// domain or an IP and a category of the list, or a *beian.Error (with
// violations when it is RULE_VIOLATIONS).
func FuzzReadSecuritySheet(f *testing.F) {
	for _, s := range securitySeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		rows, err := ReadSecuritySheet(bytes.NewReader(data))
		if err != nil {
			var e *beian.Error
			if !errors.As(err, &e) {
				t.Fatalf("not a *beian.Error: %v", err)
			}
			if rows != nil {
				t.Fatalf("rows with an error: %v", rows)
			}
			if e.Code == beian.CodeViolations && len(e.Violations) == 0 {
				t.Fatalf("RULE_VIOLATIONS without violations")
			}
			return
		}
		if len(rows) == 0 {
			t.Fatal("no rows and no error")
		}
		for _, r := range rows {
			if r.Domain == "" && !r.IP.IsValid() {
				t.Fatalf("row %d names neither domain nor IP", r.Row)
			}
			if !slices.Contains(SecurityCategories, r.Category) {
				t.Fatalf("row %d: category %q", r.Row, r.Category)
			}
			if r.Row < 2 || !strings.Contains(r.Cell, "!") {
				t.Fatalf("row %d at %q", r.Row, r.Cell)
			}
		}
	})
}

// FuzzSecurityDomain: the security sheet's domain normalisation gives
// exactly what intake.NormaliseDomain gives with all the shipped fileable
// suffixes, result and error alike (R-IN-4).
func FuzzSecurityDomain(f *testing.F) {
	for _, s := range []string{
		"example.cn", "https://WWW.Example.COM.cn:8080/x", "bbs.例子.中国", "xn--fsqu00a.xn--fiqs8s",
		"ＥＸＡＭＰＬＥ．ＣＮ", "a.gov.cn", "gov.cn", "cn", "h.invalidtld", "198.51.100.7", "[2001:db8::1]",
		"user@host.net.cn", "a..cn", "-a.cn", "EXAMPLE.CN.", "a.b.c.d.e.com", "政务.cn", "a.政务.cn",
	} {
		f.Add(s)
	}
	all := intake.DefaultRules().FileableSuffixes
	f.Fuzz(func(t *testing.T, s string) {
		got, gotErr := normaliseDomain(s)
		want, _, wantErr := intake.NormaliseDomain(s, all)
		if got != want || beian.ErrorCode(gotErr) != beian.ErrorCode(wantErr) || beian.ErrorMessage(gotErr) != beian.ErrorMessage(wantErr) {
			t.Fatalf("%q: got %q, %v; intake gives %q, %v", s, got, gotErr, want, wantErr)
		}
	})
}

// FuzzSecuritySheetCells: whatever is typed into a row of the template and
// its header, ReadSecuritySheet does not panic, and a row it accepts holds
// what was typed: the domain as intake normalises it, the IP parsed, the
// category of the list.
func FuzzSecuritySheetCells(f *testing.F) {
	f.Add("类别", "https://www.example.cn/x", "198.51.100.7", "私服", "疑似私服游戏")
	f.Add("违规类别", "", "2001:db8::1", "ＩＰ 不在我司", "")
	f.Add("类别", "例子.中国", "::ffff:1.2.3.4", "其他", "=1+1")
	f.Add("说明", "a.cn", "1.2.3.4%eth0", "赌博", "x")
	var tmpl bytes.Buffer
	if err := WriteSecurityTemplate(&tmpl); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, title, domain, ip, category, note string) {
		wb, err := excelize.OpenReader(bytes.NewReader(tmpl.Bytes()))
		if err != nil {
			t.Fatal(err)
		}
		defer wb.Close()
		if wb.SetCellStr(SecuritySheet, "C2", title) != nil ||
			wb.SetSheetRow(SecuritySheet, "A3", &[]any{domain, ip, category, note}) != nil {
			return // text excelize refuses to store (too long, invalid XML)
		}
		var buf bytes.Buffer
		if _, err := wb.WriteTo(&buf); err != nil {
			t.Fatal(err)
		}
		rows, err := ReadSecuritySheet(&buf)
		if err != nil {
			var e *beian.Error
			if !errors.As(err, &e) || e.Code != beian.CodeViolations || len(e.Violations) == 0 {
				t.Fatalf("%v", err)
			}
			return
		}
		if len(rows) != 1 {
			t.Fatalf("%d rows", len(rows))
		}
		r := rows[0]
		if d := strings.TrimSpace(domain); d != "" {
			if want, err := normaliseDomain(d); err != nil || r.Domain != want {
				t.Fatalf("domain %q read as %q, want %q (%v)", domain, r.Domain, want, err)
			}
		}
		if r.IP.IsValid() && r.IP.String() != netip.MustParseAddr(strings.TrimSpace(ip)).Unmap().String() {
			t.Fatalf("IP %q read as %s", ip, r.IP)
		}
		if !slices.Contains(SecurityCategories, r.Category) || foldKey(r.Category) != foldKey(strings.TrimSpace(category)) {
			t.Fatalf("category %q read as %q", category, r.Category)
		}
	})
}
