package console

import (
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/beian/beian"
	"github.com/beian/beian/intake"
)

// FuzzCaseForm: whatever the browser posts as the intake or correction
// form, parseForm answers a *beian.Error or values that PostgreSQL can
// store (issue 12 §6); the form's conversion to a case does not panic
// and keeps no empty list item; a case shown again as a correction form
// (caseFormOf) and read back keeps its names and server IPs.
func FuzzCaseForm(f *testing.F) {
	for _, s := range []string{
		"type=new&sponsor.kind=person&sponsor.name=%E5%BC%A0%E4%B8%89&sponsor.cert_type=id_card&sponsor.cert_number=11010519491231002X" +
			"&sponsor.province=%E5%B9%BF%E4%B8%9C&principal.name=%E5%BC%A0%E4%B8%89&principal.mobile=13800138000" +
			"&website.name=%E5%8D%9A%E5%AE%A2&website.domains=example.cn%0Awww.example.cn&website.server_ips=198.51.100.7" +
			"&website.categories=blog&pa_category_0=%E6%96%B0%E9%97%BB&pa_document_0=1&website.interactive=on",
		"sponsor.kind=organisation&sponsor.legal_rep.name=%E6%9D%8E%E5%9B%9B&website.other_category=a%EF%BC%8Cb%3Bc&pa_category_7=x",
		"website.domains=%00", "sponsor.name=%ff", "a=%zz", "", "overrides=X&overrides=Y",
	} {
		f.Add(s)
	}
	codes := intake.DefaultRules().PreApprovalCategories
	f.Fuzz(func(t *testing.T, body string) {
		r := httptest.NewRequest("POST", "/console/filings/new", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if err := parseForm(r); err != nil {
			var e *beian.Error
			if !errors.As(err, &e) || e.Message == "" {
				t.Fatalf("parseForm: %v", err)
			}
			return
		}
		for k, vs := range r.PostForm {
			for _, v := range append([]string{k}, vs...) {
				if strings.Contains(v, "\x00") || !utf8.ValidString(v) {
					t.Fatalf("parseForm let %q through", v)
				}
			}
		}
		c := caseFormFrom(r).toCase()
		lists := map[string][]string{"domains": c.Website.Domains, "server_ips": c.Website.ServerIPs, "categories": c.Website.Categories}
		for name, l := range lists {
			for _, v := range l {
				if strings.TrimSpace(v) == "" || v != strings.TrimSpace(v) {
					t.Fatalf("%s holds %q", name, v)
				}
			}
		}
		for _, p := range c.Website.PreApprovals {
			if p.Category == "" && p.DocumentNo == "" {
				t.Fatal("an empty pre-approval row was kept")
			}
		}
		// Shown again as a correction form and read back: no panic, and
		// every site and sponsor field is kept.
		again := caseFormOf(c, codes).toCase()
		if again.Website.Name != c.Website.Name || again.Sponsor.Name != c.Sponsor.Name || len(again.Website.ServerIPs) != len(c.Website.ServerIPs) {
			t.Fatalf("correction form lost fields: %+v, then %+v", c, again)
		}
	})
}
