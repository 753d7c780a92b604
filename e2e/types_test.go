package e2e_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// typedFiling is a valid filing of the given type for an existing filing number (R-TY).
func typedFiling(typ, domain string) map[string]any {
	f := personFiling(domain)
	f["type"] = typ
	f["filing_number"] = "粤ICP备87654321号-1"
	f["filing_password"] = "old-pw-123"
	return f
}

// pendingAccess lists the pending access actions of a case by kind.
func (b *bundle) pendingAccess(id string) map[string]int {
	kinds := map[string]int{}
	for _, it := range b.must(200, b.do("GET", "/api/v1/access-actions?status=pending", tokTech, nil)).get("items").([]any) {
		a := it.(map[string]any)
		if a["filing_id"] == id {
			kinds[a["kind"].(string)]++
		}
	}
	return kinds
}

// TestFilingTypes runs the other filing types through the workflow (R-TY,
// R-AC-0): transfer_in keeps its number and opens access; cancel ends in
// CANCELLED and closes access; cancel_access needs no bureau and closes access.
func TestFilingTypes(t *testing.T) {
	t.Parallel()
	b := setup(t, options{})

	// Without number and password these types are refused.
	bad := personFiling("no-number.cn")
	bad["type"] = "transfer_in"
	r := b.must(422, b.do("POST", "/api/v1/filings", tokSpecialist, bad))
	require.Contains(t, string(r.Raw), "FILING_NUMBER_REQUIRED")

	run := func(typ, domain string) (string, response) {
		created := b.must(201, b.do("POST", "/api/v1/filings", tokSpecialist, typedFiling(typ, domain)))
		require.Equal(t, "粤ICP备87654321号-1", created.str("filing_number"), "the existing number is carried")
		require.Equal(t, "********", created.str("filing_password"))
		id := created.str("id")
		b.must(200, b.do("POST", "/api/v1/filings/"+id+"/materials", tokSpecialist, map[string]any{"received": checklistCodes(created)}))
		return id, b.must(200, b.do("POST", "/api/v1/filings/"+id+"/review", tokSpecialist, map[string]any{"result": "pass"}))
	}

	id, r := run("transfer_in", "moving-in.cn")
	require.Equal(t, "BUREAU_REVIEW", r.str("status"))
	require.Contains(t, checklistCodes(r), "filing_number_and_password")
	r = b.must(200, b.do("POST", "/api/v1/filings/"+id+"/bureau-decision", tokBureau, map[string]any{"decision": "approved"}))
	require.Equal(t, "APPROVED", r.str("status"))
	require.Equal(t, "粤ICP备87654321号-1", r.str("filing_number"), "a transfer keeps its number")
	require.Equal(t, map[string]int{"open": 1}, b.pendingAccess(id))

	id, r = run("cancel", "closing-down.cn")
	require.Equal(t, "BUREAU_REVIEW", r.str("status"))
	r = b.must(200, b.do("POST", "/api/v1/filings/"+id+"/bureau-decision", tokBureau, map[string]any{"decision": "approved"}))
	require.Equal(t, "CANCELLED", r.str("status"))
	require.Equal(t, map[string]int{"cancel": 1}, b.pendingAccess(id))
	b.must(409, b.do("POST", "/api/v1/filings/"+id+"/withdraw", tokSpecialist, nil))

	id, r = run("cancel_access", "leaving-us.cn")
	require.Equal(t, "ACCESS_CANCELLED", r.str("status"), "no bureau review for our own access")
	require.Nil(t, r.get("deadlines", "bureau_due_at"))
	require.Equal(t, map[string]int{"cancel": 1}, b.pendingAccess(id))
}

// TestIDNDomain (R-IN-4): an IDN domain is stored in punycode, conflicts in
// either spelling, and is shown back in Unicode.
func TestIDNDomain(t *testing.T) {
	t.Parallel()
	b := setup(t, options{})
	r := b.must(201, b.do("POST", "/api/v1/filings", tokSpecialist, personFiling("WWW.张三笔记.中国")))
	require.Equal(t, "xn--ehq892bo7u7fp.xn--fiqs8s", r.get("website", "domains").([]any)[0])
	require.Equal(t, "张三笔记.中国", r.get("website", "domains_unicode").([]any)[0])
	require.Equal(t, "张三+张三笔记.中国", r.str("email_subject"))
	dup := b.must(409, b.do("POST", "/api/v1/filings", tokSupervisor, personFiling("xn--ehq892bo7u7fp.xn--fiqs8s")))
	require.Equal(t, "DOMAIN_CONFLICT", dup.str("error", "code"))
	list := b.must(200, b.do("GET", "/api/v1/filings?domain=xn--ehq892bo7u7fp.xn--fiqs8s", tokSpecialist, nil))
	require.Len(t, list.get("items"), 1)
}

// approveNew files a new site and has it approved with number.
func (b *bundle) approveNew(domain, number string) string {
	b.t.Helper()
	id, _ := b.toBureau(domain)
	r := b.must(200, b.do("POST", "/api/v1/filings/"+id+"/bureau-decision", tokBureau,
		map[string]any{"decision": "approved", "filing_number": number}))
	require.Equal(b.t, "APPROVED", r.str("status"))
	return id
}

// linkedFiling is a case of type typ on our own filing number, for domain.
func linkedFiling(typ, domain, number string) map[string]any {
	f := personFiling(domain)
	f["type"] = typ
	f["filing_number"] = number
	f["filing_password"] = "pw-on-record"
	return f
}

// TestOwnFilingChangedAndCancelled (R-TY): a change, cancel_access or
// cancel of a filing we hold works on that live case: the domain is not a
// conflict, and the outcome reaches the live case — an approved change
// replaces it (its domain moves to the change), cancel_access cancels its
// access, a cancellation ends it and frees the domain.
func TestOwnFilingChangedAndCancelled(t *testing.T) {
	t.Parallel()
	b := setup(t, options{})
	const number = "苏ICP备80000001号-1"
	orig := b.approveNew("our-site.cn", number)
	pass := func(r response) string {
		id := r.str("id")
		b.must(200, b.do("POST", "/api/v1/filings/"+id+"/materials", tokSpecialist, map[string]any{"received": checklistCodes(r)}))
		b.must(200, b.do("POST", "/api/v1/filings/"+id+"/review", tokSpecialist, map[string]any{"result": "pass"}))
		return id
	}

	// transfer_in of a filing we already host makes no sense.
	r := b.must(409, b.do("POST", "/api/v1/filings", tokSpecialist, linkedFiling("transfer_in", "our-site.cn", number)))
	require.Contains(t, r.str("error", "message"), "已由我公司接入")

	// change: approved → the original is superseded and the change holds the domain.
	ch := b.must(201, b.do("POST", "/api/v1/filings", tokSpecialist, linkedFiling("change", "our-site.cn", number)))
	require.Equal(t, orig, ch.str("linked_case_id"))
	b.must(409, b.do("POST", "/api/v1/filings", tokSupervisor, linkedFiling("cancel", "our-site.cn", number))) // one at a time
	chID := pass(ch)
	b.must(200, b.do("POST", "/api/v1/filings/"+chID+"/bureau-decision", tokBureau, map[string]any{"decision": "approved"}))
	b.waitCase(orig, "SUPERSEDED", func(r response) bool { return r.str("status") == "SUPERSEDED" })
	r = b.must(409, b.do("POST", "/api/v1/filings", tokSupervisor, otherPerson("our-site.cn")))
	require.Equal(t, "DOMAIN_CONFLICT", r.str("error", "code"))
	require.Contains(t, r.str("error", "message"), ch.str("case_no"), "the change now holds the domain")

	// cancel_access: our access ends, the filing stays on record.
	ca := b.must(201, b.do("POST", "/api/v1/filings", tokSpecialist, linkedFiling("cancel_access", "our-site.cn", number)))
	require.Equal(t, chID, ca.str("linked_case_id"))
	caID := pass(ca)
	b.waitCase(chID, "ACCESS_CANCELLED", func(r response) bool { return r.str("status") == "ACCESS_CANCELLED" })
	b.must(409, b.do("POST", "/api/v1/filings/"+caID+"/restore-access", tokSupervisor, map[string]any{"reason": "误操作"}))
	r = b.must(409, b.do("POST", "/api/v1/filings", tokSpecialist, linkedFiling("change", "our-site.cn", number)))
	require.Contains(t, r.str("error", "message"), "恢复接入", "no change while our access is cut")

	// cancel: the filing number is cancelled, the live case ends, the domain is free.
	cn := b.must(201, b.do("POST", "/api/v1/filings", tokSpecialist, linkedFiling("cancel", "our-site.cn", number)))
	require.Equal(t, chID, cn.str("linked_case_id"))
	cnID := pass(cn)
	b.must(200, b.do("POST", "/api/v1/filings/"+cnID+"/bureau-decision", tokBureau, map[string]any{"decision": "approved"}))
	b.waitCase(chID, "CANCELLED", func(r response) bool { return r.str("status") == "CANCELLED" })
	b.must(201, b.do("POST", "/api/v1/filings", tokSupervisor, otherPerson("our-site.cn")))
	b.saveHistory(b.history(chID), "linked_change_history.json")
}

// TestSupervisorOverride (R-IN-4): a region name in a personal site's name is
// refused, marked overridable; a supervisor may accept it for one case, on
// the record; nobody can wave through a hard rule.
func TestSupervisorOverride(t *testing.T) {
	t.Parallel()
	b := setup(t, options{})
	f := personFiling("baiyun-peace.cn")
	f["website"].(map[string]any)["name"] = "白云和平的摄影集"
	r := b.must(422, b.do("POST", "/api/v1/filings", tokSpecialist, f))
	v := r.get("error", "violations").([]any)[0].(map[string]any)
	require.Equal(t, "REGION_NAME_IN_PERSONAL_SITE", v["code"])
	require.Equal(t, true, v["overridable"])

	f["overrides"] = []string{"REGION_NAME_IN_PERSONAL_SITE"}
	b.must(403, b.do("POST", "/api/v1/filings", tokSpecialist, f))
	bad := personFiling("baiyun-peace.cn")
	bad["overrides"] = []string{"IP_NOT_OURS"}
	b.must(400, b.do("POST", "/api/v1/filings", tokSupervisor, bad))

	r = b.must(201, b.do("POST", "/api/v1/filings", tokSupervisor, f))
	require.Contains(t, r.str("timeline"), "rule_overridden")
	require.Contains(t, r.str("timeline"), "王主管")

	// The acceptance is remembered: a specialist's later correction of
	// something else does not run into the same rule again.
	id := r.str("id")
	b.must(200, b.do("POST", "/api/v1/filings/"+id+"/materials", tokSpecialist, map[string]any{"received": checklistCodes(r)}))
	b.must(200, b.do("POST", "/api/v1/filings/"+id+"/review", tokSpecialist, map[string]any{"result": "fail", "reasons": []string{"手机号有误"}}))
	r = b.must(200, b.do("POST", "/api/v1/filings/"+id+"/corrections", tokSpecialist, map[string]any{"principal": map[string]any{"mobile": "13900139000"}}))
	require.Equal(t, "UNDER_REVIEW", r.str("status"))
	require.Equal(t, 1, strings.Count(string(r.Raw), "rule_overridden"), "accepted once, not again")
}
