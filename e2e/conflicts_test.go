package e2e_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestCheckReportsConflicts (R-IN-5): the dry run reports a domain held by
// an open case and a sponsor's application in progress as violations naming
// the case, and still changes nothing; POST /filings answers them with 409.
func TestCheckReportsConflicts(t *testing.T) {
	t.Parallel()
	b := setup(t, options{})
	first := b.must(201, b.do("POST", "/api/v1/filings", tokSpecialist, personFiling("held-site.cn")))
	caseNo := first.str("case_no")
	idn := b.must(201, b.do("POST", "/api/v1/filings", tokSpecialist, otherPerson("WWW.李四摄影.中国")))
	for _, id := range []string{first.str("id"), idn.str("id")} { // the workflows have written what they write at once
		b.waitCase(id, "receipt sent", func(r response) bool { return strings.Contains(string(r.Raw), "receipt_sent") })
	}

	before := b.rowCounts()
	check := func(f map[string]any) (response, map[string]map[string]any) {
		t.Helper()
		r := b.must(200, b.do("POST", "/api/v1/filings/check", tokSpecialist, f))
		require.Equal(t, false, r.get("ok"), "%s", r.Raw)
		return r, violations(t, r, "violations")
	}

	// The same site again, by the same sponsor: the domain is held (the
	// sponsor's application is that very site, so no SPONSOR_CONFLICT).
	_, vs := check(personFiling("held-site.cn"))
	v := requireViolation(t, vs, "website.domains[0]", "R-IN-5", "DOMAIN_CONFLICT")
	require.Contains(t, v["message"], caseNo, "the violation names the case")
	require.Contains(t, v["message"], "held-site.cn")
	require.Len(t, vs, 1, "%v", vs)

	// By another sponsor, as the second of two domains, in another spelling.
	_, vs = check(thirdPerson("fresh-site.cn", "https://www.Held-Site.cn/about"))
	requireViolation(t, vs, "website.domains[1]", "R-IN-5", "DOMAIN_CONFLICT")
	require.Len(t, vs, 1, "%v", vs)

	// An IDN held by a case is named in Unicode.
	_, vs = check(thirdPerson("李四摄影.中国"))
	v = requireViolation(t, vs, "website.domains[0]", "R-IN-5", "DOMAIN_CONFLICT")
	require.Contains(t, v["message"], "李四摄影.中国")
	require.Contains(t, v["message"], idn.str("case_no"))

	// The same sponsor with another site while the first is in progress.
	r, vs := check(personFiling("second-site.cn"))
	v = requireViolation(t, vs, "sponsor.cert_number", "R-IN-5", "SPONSOR_CONFLICT")
	require.Contains(t, v["message"], caseNo, "the violation names the case")
	require.NotContains(t, string(r.Raw), "11010519491231002X", "the certificate number is masked")
	require.Len(t, vs, 1, "%v", vs)

	require.Equal(t, before, b.rowCounts(), "POST /filings/check wrote to the database")

	// Creating still answers 409.
	require.Equal(t, "DOMAIN_CONFLICT", b.must(409, b.do("POST", "/api/v1/filings", tokSpecialist, thirdPerson("held-site.cn"))).str("error", "code"))
	require.Equal(t, "SPONSOR_CONFLICT", b.must(409, b.do("POST", "/api/v1/filings", tokSpecialist, personFiling("second-site.cn"))).str("error", "code"))

	// Once the case ends its domain and its sponsor are free.
	b.must(200, b.do("POST", "/api/v1/filings/"+first.str("id")+"/withdraw", tokSpecialist, nil))
	require.Equal(t, true, b.must(200, b.do("POST", "/api/v1/filings/check", tokSpecialist, personFiling("held-site.cn"))).get("ok"))
}

// thirdPerson is a valid personal filing by a sponsor other than 张三 and 李四.
func thirdPerson(domains ...string) map[string]any {
	f := personFiling("")
	f["sponsor"].(map[string]any)["name"] = "王五"
	f["sponsor"].(map[string]any)["cert_number"] = "320102198001010016"
	f["principal"].(map[string]any)["name"] = "王五"
	f["principal"].(map[string]any)["id_number"] = "320102198001010016"
	f["website"].(map[string]any)["name"] = "王五的读书笔记"
	f["website"].(map[string]any)["domains"] = domains
	return f
}

// TestListByDomainSpelling (R-IN-4): the list finds a case by its domain as
// staff type it: in Unicode, with www., a scheme or a path, in any case.
func TestListByDomainSpelling(t *testing.T) {
	t.Parallel()
	b := setup(t, options{})
	idn := b.must(201, b.do("POST", "/api/v1/filings", tokSpecialist, personFiling("WWW.张三笔记.中国"))).str("id")
	plain := b.must(201, b.do("POST", "/api/v1/filings", tokSpecialist, otherPerson("plain-site.cn"))).str("id")

	find := func(domain string) []string {
		t.Helper()
		r := b.must(200, b.do("GET", "/api/v1/filings?domain="+url.QueryEscape(domain), tokSpecialist, nil))
		var ids []string
		for _, it := range r.get("items").([]any) {
			ids = append(ids, it.(map[string]any)["id"].(string))
		}
		return ids
	}
	for _, d := range []string{"张三笔记.中国", "www.张三笔记.中国", "https://WWW.张三笔记.中国/about?x=1", "XN--EHQ892BO7U7FP.XN--FIQS8S", " xn--ehq892bo7u7fp.xn--fiqs8s "} {
		require.Equal(t, []string{idn}, find(d), d)
	}
	for _, d := range []string{"plain-site.cn", "www.Plain-Site.CN", "http://plain-site.cn:8080/", "blog.plain-site.cn"} {
		require.Equal(t, []string{plain}, find(d), d)
	}
	require.Empty(t, find("other-site.cn"))
	require.Empty(t, find("not a domain"), "what does not normalise matches nothing here, and is no error")
}
