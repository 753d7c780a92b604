package e2e_test

import (
	"bytes"
	"context"
	"encoding/json"
	"mime/multipart"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/beian/beian"
	"github.com/beian/beian/api"
	"github.com/beian/beian/internal/stack"
	"github.com/beian/beian/xlsx"
)

// This file tests the intake over HTTP against stored data: the rules as
// data (R-IN-1 …), conflicts (R-IN-5), the blacklist (R-IN-6), customers and
// access products (R-ENT-2, R-RV-1) and the answer bank (R-FAQ-1).

// violations maps each violation's field to it.
func violations(t *testing.T, r response, path ...string) map[string]map[string]any {
	t.Helper()
	list, ok := r.get(path...).([]any)
	require.True(t, ok, "no violations at %v: %s", path, r.Raw)
	out := map[string]map[string]any{}
	for _, it := range list {
		v := it.(map[string]any)
		require.NotEmpty(t, v["rule"], "every violation names its rule: %v", v)
		require.NotEmpty(t, v["code"])
		require.Regexp(t, `\p{Han}`, v["message"], "messages for staff are in Chinese")
		out[v["field"].(string)] = v
	}
	return out
}

// requireViolation asserts a violation of code on field under rule.
func requireViolation(t *testing.T, vs map[string]map[string]any, field, rule, code string) map[string]any {
	t.Helper()
	v, ok := vs[field]
	require.True(t, ok, "no violation on %s; got %v", field, vs)
	require.Equal(t, code, v["code"], "%s: %v", field, v)
	require.Equal(t, rule, v["rule"], "%s: %v", field, v)
	return v
}

// rowCounts counts the rows of every table of the database.
func (b *bundle) rowCounts() map[string]int {
	b.t.Helper()
	ctx := context.Background()
	rows, err := b.db.Pool().Query(ctx, `SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename`)
	require.NoError(b.t, err)
	tables, err := pgx.CollectRows(rows, pgx.RowTo[string])
	require.NoError(b.t, err)
	require.Contains(b.t, tables, "cases")
	out := map[string]int{}
	for _, tb := range tables {
		var n int
		require.NoError(b.t, b.db.Pool().QueryRow(ctx, "SELECT count(*) FROM "+pgx.Identifier{tb}.Sanitize()).Scan(&n))
		out[tb] = n
	}
	return out
}

// upload posts a multipart form with the field "file".
func (b *bundle) upload(path, token, filename string, content []byte) response {
	b.t.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	fw, err := w.CreateFormFile("file", filename)
	require.NoError(b.t, err)
	_, err = fw.Write(content)
	require.NoError(b.t, err)
	require.NoError(b.t, w.Close())
	req, err := http.NewRequest("POST", b.api.URL+path, &body)
	require.NoError(b.t, err)
	req.Header.Set("Content-Type", w.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+token)
	return b.send(req)
}

// jsonRoundTrip is v as it reads back from JSON.
func jsonRoundTrip(t *testing.T, v any) any {
	t.Helper()
	j, err := json.Marshal(v)
	require.NoError(t, err)
	var out any
	require.NoError(t, json.Unmarshal(j, &out))
	return out
}

// caseCustomer is the customer_id stored with a case.
func (b *bundle) caseCustomer(id string) string {
	b.t.Helper()
	var customer string
	require.NoError(b.t, b.db.Pool().QueryRow(context.Background(), `SELECT customer_id FROM cases WHERE id = $1`, id).Scan(&customer))
	return customer
}

func (b *bundle) caseCount() int {
	b.t.Helper()
	var n int
	require.NoError(b.t, b.db.Pool().QueryRow(context.Background(), `SELECT count(*) FROM cases`).Scan(&n))
	return n
}

// shanghaiDay is today plus days in Asia/Shanghai, "2006-01-02".
func shanghaiDay(days int) string {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		loc = time.FixedZone("CST", 8*3600)
	}
	return time.Now().In(loc).AddDate(0, 0, days).Format("2006-01-02")
}

// otherPerson is a valid personal filing by a sponsor other than 张三.
func otherPerson(domain string) map[string]any {
	f := personFiling(domain)
	f["sponsor"].(map[string]any)["name"] = "李四"
	f["sponsor"].(map[string]any)["cert_number"] = "440304198512310011"
	f["principal"].(map[string]any)["name"] = "李四"
	f["principal"].(map[string]any)["id_number"] = "440304198512310011"
	f["website"].(map[string]any)["name"] = "李四的摄影作品"
	return f
}

// TestIntakeViolationsAndConflicts: every broken rule comes back at once,
// each with rule, code, field and a Chinese message (R-IN-4, R-ENT-2); the
// same domain or a sponsor with an application in progress is a conflict
// naming the case (R-IN-5); the case's customer is the holder of the
// product owning its IP (R-ENT-2).
func TestIntakeViolationsAndConflicts(t *testing.T) {
	t.Parallel()
	b := setup(t, options{})

	bad := personFiling("bad-site.cn")
	bad["sponsor"].(map[string]any)["cert_number"] = "110105194912310021" // wrong check digit
	bad["principal"].(map[string]any)["id_number"] = "110105194912310021"
	bad["principal"].(map[string]any)["mobile"] = "1380013800"
	bad["website"].(map[string]any)["name"] = "苏州张三的笔记"
	bad["website"].(map[string]any)["server_ips"] = []string{"198.51.100.7", "198.51.100.200"}
	r := b.must(422, b.do("POST", "/api/v1/filings", tokSpecialist, bad))
	require.Equal(t, "RULE_VIOLATIONS", r.str("error", "code"))
	vs := violations(t, r, "error", "violations")
	requireViolation(t, vs, "sponsor.cert_number", "R-IN-4", "INVALID_ID_NUMBER")
	requireViolation(t, vs, "principal.id_number", "R-IN-4", "INVALID_ID_NUMBER")
	requireViolation(t, vs, "principal.mobile", "R-IN-4", "INVALID_MOBILE")
	requireViolation(t, vs, "website.name", "R-IN-4", "REGION_NAME_IN_PERSONAL_SITE")
	v := requireViolation(t, vs, "website.server_ips[1]", "R-ENT-2", "NO_ACTIVE_PRODUCT")
	require.Contains(t, v["message"], "198.51.100.200")
	require.Len(t, vs, 5, "%v", vs)

	// The dry run reports the same, with 200.
	r = b.must(200, b.do("POST", "/api/v1/filings/check", tokSpecialist, bad))
	require.Equal(t, false, r.get("ok"))
	require.Len(t, violations(t, r, "violations"), 5)
	require.Equal(t, 0, b.caseCount(), "a refused filing leaves nothing behind")

	// An interactive site is told about the 电子公告 special filing (R-IN-4).
	inter := personFiling("bbs-site.cn")
	inter["website"].(map[string]any)["interactive"] = true
	r = b.must(200, b.do("POST", "/api/v1/filings/check", tokSpecialist, inter))
	require.Equal(t, true, r.get("ok"))
	require.Contains(t, r.str("notes"), "电子公告")
	require.Contains(t, r.str("checklist"), "interactive_special_filing")

	// R-IN-5: the same site again is DOMAIN_CONFLICT; the same sponsor with
	// another site while the first application is in progress is SPONSOR_CONFLICT.
	first := b.must(201, b.do("POST", "/api/v1/filings", tokSpecialist, personFiling("first-site.cn")))
	firstID, firstNo := first.str("id"), first.str("case_no")
	require.Equal(t, stack.TestCustomerID, b.caseCustomer(firstID), "the holder of the product owning 198.51.100.7")

	r = b.must(409, b.do("POST", "/api/v1/filings", tokSpecialist, personFiling("first-site.cn")))
	require.Equal(t, "DOMAIN_CONFLICT", r.str("error", "code"))
	require.Contains(t, r.str("error", "message"), firstNo, "the conflict names the case")
	r = b.must(409, b.do("POST", "/api/v1/filings", tokSpecialist, otherPerson("first-site.cn")))
	require.Equal(t, "DOMAIN_CONFLICT", r.str("error", "code"), "the domain is taken whoever files it")

	r = b.must(409, b.do("POST", "/api/v1/filings", tokSpecialist, personFiling("second-site.cn")))
	require.Equal(t, "SPONSOR_CONFLICT", r.str("error", "code"))
	require.Contains(t, r.str("error", "message"), firstNo, "the conflict names the case")
	require.Contains(t, r.str("error", "message"), "first-site.cn")
	require.Regexp(t, `\p{Han}`, r.str("error", "message"))
	require.NotContains(t, string(r.Raw), "11010519491231002X", "the certificate number is masked")
	require.Equal(t, 1, b.caseCount())

	// Another sponsor may file another site meanwhile.
	b.must(201, b.do("POST", "/api/v1/filings", tokSpecialist, otherPerson("lisi-photos.cn")))

	// Once the first application ends, its sponsor may file again.
	b.must(200, b.do("POST", "/api/v1/filings/"+firstID+"/withdraw", tokSpecialist, nil))
	second := b.must(201, b.do("POST", "/api/v1/filings", tokSpecialist, personFiling("second-site.cn")))
	require.Equal(t, "AWAITING_MATERIALS", second.str("status"))
	require.Equal(t, 3, b.caseCount())
}

// TestRulesAsData: the intake rules are data an admin overrides through
// the API; a change applies to the next check and DELETE restores the
// defaults (R-IN-1). Also the answer bank (R-FAQ-1) and who may call what.
func TestRulesAsData(t *testing.T) {
	t.Parallel()
	b := setup(t, options{})
	code := func(r response) string { return r.str("error", "code") }

	// Who may call what: 401 without a token, 403 for a role without the right.
	for _, c := range []struct {
		method, path string
		body         any
	}{
		{"GET", "/api/v1/rules", nil}, {"PUT", "/api/v1/rules", `{}`}, {"DELETE", "/api/v1/rules", nil},
		{"GET", "/api/v1/blacklist", nil}, {"POST", "/api/v1/blacklist", `{}`},
		{"DELETE", "/api/v1/blacklist/00000000-0000-0000-0000-000000000000", nil},
		{"GET", "/api/v1/customers", nil}, {"GET", "/api/v1/customers/C-TEST", nil}, {"PUT", "/api/v1/customers/C-TEST", `{}`},
		{"POST", "/api/v1/imports/customers", nil}, {"GET", "/api/v1/reports/expiring-products", nil}, {"GET", "/api/v1/faq", nil},
	} {
		require.Equal(t, "UNAUTHORIZED", code(b.must(401, b.do(c.method, c.path, "", c.body))), "%s %s", c.method, c.path)
	}
	for _, c := range []struct {
		method, path, token string
		body                any
	}{
		{"GET", "/api/v1/rules", tokSpecialist, nil},
		{"PUT", "/api/v1/rules", tokSupervisor, `{}`},
		{"DELETE", "/api/v1/rules", tokSupervisor, nil},
		{"GET", "/api/v1/blacklist", tokTech, nil},
		{"POST", "/api/v1/blacklist", tokSpecialist, map[string]any{"kind": "name", "value": "某人"}},
		{"DELETE", "/api/v1/blacklist/00000000-0000-0000-0000-000000000000", tokSpecialist, nil},
		{"GET", "/api/v1/customers", tokSupervisor, nil},
		{"GET", "/api/v1/customers/C-TEST", tokSpecialist, nil},
		{"PUT", "/api/v1/customers/C-TEST", tokSupervisor, `{}`},
		{"POST", "/api/v1/imports/customers", tokSpecialist, nil},
		{"GET", "/api/v1/reports/expiring-products", tokBureau, nil},
	} {
		require.Equal(t, "FORBIDDEN", code(b.must(403, b.do(c.method, c.path, c.token, c.body))), "%s %s as %s", c.method, c.path, c.token)
	}

	r := b.must(200, b.do("GET", "/api/v1/rules", tokSupervisor, nil))
	require.Equal(t, "default", r.str("source"))
	js := r.get("suspended_residences", "江苏").([]any)
	require.ElementsMatch(t, []any{"新疆", "西藏", "山东", "甘肃"}, js, "R-IN-1 as shipped")
	require.NotEmpty(t, r.get("region_names"))

	// 广东 sponsors on Jiangsu servers are fine by default.
	filing := personFiling("rules-site.cn")
	require.Equal(t, true, b.must(200, b.do("POST", "/api/v1/filings/check", tokSpecialist, filing)).get("ok"))

	// The admin suspends 广东 for Jiangsu: GET, edit, PUT back.
	rules := r.Body
	rules["suspended_residences"].(map[string]any)["江苏"] = append(js, "广东")
	r = b.must(200, b.do("PUT", "/api/v1/rules", tokAdmin, rules))
	require.Equal(t, "override", r.str("source"))
	require.Contains(t, r.get("suspended_residences", "江苏"), "广东")
	require.Equal(t, "override", b.must(200, b.do("GET", "/api/v1/rules", tokSupervisor, nil)).str("source"))

	// The next check applies it, and so does the intake.
	r = b.must(200, b.do("POST", "/api/v1/filings/check", tokSpecialist, filing))
	require.Equal(t, false, r.get("ok"))
	v := requireViolation(t, violations(t, r, "violations"), "sponsor.province", "R-IN-1", "SUSPENDED_RESIDENCE")
	require.Contains(t, v["message"], "广东")
	r = b.must(422, b.do("POST", "/api/v1/filings", tokSpecialist, filing))
	requireViolation(t, violations(t, r, "error", "violations"), "sponsor.province", "R-IN-1", "SUSPENDED_RESIDENCE")

	// Invalid rules are refused with every problem, and change nothing.
	partial := map[string]any{"suspended_residences": map[string]any{}, "landline_provinces": []string{}}
	r = b.must(422, b.do("PUT", "/api/v1/rules", tokAdmin, partial))
	requireViolation(t, violations(t, r, "error", "violations"), "fileable_suffixes", "R-IN-4", "REQUIRED")
	rules["landline_provinces"] = []string{"辽宁", "火星"}
	rules["national_words"] = []string{}
	rules["suspended_residences"].(map[string]any)["江苏"] = []any{"广东", "江南"}
	r = b.must(422, b.do("PUT", "/api/v1/rules", tokAdmin, rules))
	vs := violations(t, r, "error", "violations")
	requireViolation(t, vs, "landline_provinces[1]", "R-IN-2", "INVALID")
	requireViolation(t, vs, "national_words", "R-IN-4", "INVALID")
	requireViolation(t, vs, "suspended_residences.江苏[1]", "R-IN-1", "INVALID")
	r = b.must(200, b.do("GET", "/api/v1/rules", tokAdmin, nil))
	require.Contains(t, r.get("landline_provinces"), "广西", "a refused PUT changes nothing")
	b.must(400, b.do("PUT", "/api/v1/rules", tokAdmin, `{"national_words": "中国"}`))

	// DELETE restores the defaults; the check passes again.
	r = b.must(200, b.do("DELETE", "/api/v1/rules", tokAdmin, nil))
	require.Equal(t, "default", r.str("source"))
	require.Equal(t, true, b.must(200, b.do("POST", "/api/v1/filings/check", tokSpecialist, filing)).get("ok"))

	// R-IN-2: the materials checklist is data too. The admin adds an item for
	// 浙江 sponsors and drops 山西's note; the next check lists them so.
	checkItems := func(province string) map[string]map[string]any {
		t.Helper()
		f := personFiling("checklist-site.cn")
		f["sponsor"].(map[string]any)["province"] = province
		r := b.must(200, b.do("POST", "/api/v1/filings/check", tokSpecialist, f))
		require.Equal(t, true, r.get("ok"), "%s", r.Raw)
		items := map[string]map[string]any{}
		for _, it := range r.get("checklist").([]any) {
			items[it.(map[string]any)["code"].(string)] = it.(map[string]any)
		}
		return items
	}
	require.NotContains(t, checkItems("浙江"), "zhejiang_commitment")
	require.Contains(t, checkItems("山西")["verification_sheet"]["note"], "机打")
	r = b.must(200, b.do("GET", "/api/v1/rules", tokAdmin, nil))
	checklist := r.get("checklist").([]any)
	require.Len(t, checklist, 16, "R-IN-2 as shipped")
	require.Len(t, r.get("form_variants"), 4)
	rules = r.Body
	rules["checklist"] = append(checklist, map[string]any{
		"code": "zhejiang_commitment", "title": "《浙江省网站备案承诺书》", "note": "须{sponsor_name}本人签名后扫描。",
		"provinces": []string{"浙江省"}, "filing_types": []string{"new", "change", "transfer_in"},
	})
	var notes []any
	for _, n := range r.get("province_notes").([]any) {
		if n.(map[string]any)["province"] != "山西" {
			notes = append(notes, n)
		}
	}
	rules["province_notes"] = notes
	r = b.must(200, b.do("PUT", "/api/v1/rules", tokAdmin, rules))
	require.Len(t, r.get("checklist"), 17)
	require.Len(t, r.get("province_notes"), 3)

	zj := checkItems("浙江")["zhejiang_commitment"]
	require.NotNil(t, zj, "the new item applies at once")
	require.Equal(t, "《浙江省网站备案承诺书》", zj["title"])
	require.Equal(t, "须张三本人签名后扫描。", zj["note"])
	require.Equal(t, true, zj["required"], "required unless said otherwise")
	require.NotContains(t, checkItems("江苏"), "zhejiang_commitment", "another province does not get it")
	require.NotContains(t, checkItems("山西")["verification_sheet"]["note"], "机打")

	// A checklist that does not hold together is refused, every problem at once.
	bad := r.Body
	bad["checklist"] = append(r.get("checklist").([]any), map[string]any{"code": "zhejiang_commitment", "title": "重复", "conditions": []string{"has_website"}})
	bad["form_variants"] = append(r.get("form_variants").([]any), map[string]any{"province": "浙江", "item": "no_such_item", "title": "《某表-浙江》"})
	r = b.must(422, b.do("PUT", "/api/v1/rules", tokAdmin, bad))
	vs = violations(t, r, "error", "violations")
	requireViolation(t, vs, "checklist[17].code", "R-IN-2", "INVALID")
	requireViolation(t, vs, "checklist[17].conditions[0]", "R-IN-2", "INVALID")
	requireViolation(t, vs, "form_variants[4].item", "R-IN-2", "INVALID")
	delete(bad, "checklist")
	requireViolation(t, violations(t, b.must(422, b.do("PUT", "/api/v1/rules", tokAdmin, bad)), "error", "violations"), "checklist", "R-IN-2", "REQUIRED")
	require.Contains(t, checkItems("浙江"), "zhejiang_commitment", "a refused PUT changes nothing")

	// DELETE restores the manual's checklist.
	r = b.must(200, b.do("DELETE", "/api/v1/rules", tokAdmin, nil))
	require.Len(t, r.get("checklist"), 16)
	require.NotContains(t, checkItems("浙江"), "zhejiang_commitment")
	require.Contains(t, checkItems("山西")["verification_sheet"]["note"], "机打")

	// Each change is audited with who, and the old and new value.
	rows, err := b.db.Pool().Query(context.Background(),
		`SELECT action || ' by ' || actor || ': ' || detail FROM audit_log WHERE target = 'setting/intake_rules' ORDER BY id`)
	require.NoError(t, err)
	audit, err := pgx.CollectRows(rows, pgx.RowTo[string])
	require.NoError(t, err)
	require.Len(t, audit, 4, "%v", audit)
	require.True(t, strings.HasPrefix(audit[0], "setting.put by admin: 旧值：（无"), audit[0])
	require.True(t, strings.HasPrefix(audit[1], "setting.delete by admin: 旧值：checklist 16 项，fileable_suffixes"), audit[1])
	require.True(t, strings.HasPrefix(audit[2], "setting.put by admin: 旧值：（无"), audit[2])
	require.Contains(t, audit[2], "新值：checklist 17 项")
	require.True(t, strings.HasPrefix(audit[3], "setting.delete by admin: 旧值：checklist 17 项"), audit[3])

	// An override stored before the checklist was data (version 1) still
	// reads: its own lists, the shipped checklist.
	v1 := map[string]any{"version": 1}
	for _, k := range []string{"suspended_residences", "landline_provinces", "national_words", "region_names", "pre_approval_categories", "fileable_suffixes", "legacy_credit_codes"} {
		v1[k] = r.Body[k]
	}
	v1["landline_provinces"] = []string{"浙江"}
	doc, err := json.Marshal(v1)
	require.NoError(t, err)
	require.NoError(t, b.db.PutSetting(context.Background(), api.SettingIntakeRules, doc, "migration-test"))
	r = b.must(200, b.do("GET", "/api/v1/rules", tokAdmin, nil))
	require.Equal(t, "override", r.str("source"))
	require.Equal(t, []any{"浙江"}, r.get("landline_provinces"))
	require.Len(t, r.get("checklist"), 16)
	f := personFiling("checklist-site.cn")
	f["sponsor"].(map[string]any)["province"] = "浙江"
	r = b.must(200, b.do("POST", "/api/v1/filings/check", tokSpecialist, f))
	requireViolation(t, violations(t, r, "violations"), "principal.landline", "R-IN-2", "LANDLINE_REQUIRED")
	require.Contains(t, r.str("checklist"), "浙江的个人主办者也须填写固定电话", "the landline note follows landline_provinces")
	b.must(200, b.do("DELETE", "/api/v1/rules", tokAdmin, nil))

	// R-FAQ-1: the answer bank, for every role.
	r = b.must(200, b.do("GET", "/api/v1/faq?q="+url.QueryEscape("密码忘了"), tokSpecialist, nil))
	items := r.get("items").([]any)
	require.NotEmpty(t, items)
	top := items[0].(map[string]any)
	require.Contains(t, top["question"], "密码忘记", "the forgotten-password entry comes first")
	require.NotEmpty(t, top["answer"])
	require.Greater(t, top["score"], 0.0)
	require.Equal(t, "", r.str("next_cursor"))
	r = b.must(200, b.do("GET", "/api/v1/faq", tokTech, nil))
	all := r.get("items").([]any)
	require.Greater(t, len(all), 40, "without q: every entry")
	for i, it := range all {
		require.Equal(t, float64(i+1), it.(map[string]any)["id"], "in the manual's order")
	}
	require.Len(t, b.must(200, b.do("GET", "/api/v1/faq?q="+url.QueryEscape("备案")+"&limit=3", tokBureau, nil)).get("items"), 3)
	b.must(400, b.do("GET", "/api/v1/faq?limit=0", tokSpecialist, nil))
}

// TestBlacklist: an entry refuses the intake and a correction naming it
// (BLACKLISTED); taken off, the same data passes (R-IN-6). The dry run
// changes nothing in the database.
func TestBlacklist(t *testing.T) {
	t.Parallel()
	b := setup(t, options{})

	require.Empty(t, b.must(200, b.do("GET", "/api/v1/blacklist", tokSpecialist, nil)).get("items"))
	phone := b.must(201, b.do("POST", "/api/v1/blacklist", tokSupervisor,
		map[string]any{"kind": "phone", "value": "+86 139-0013-9000", "reason": "核验时发现虚假信息"}))
	require.NotEmpty(t, phone.str("id"))
	require.Equal(t, "王主管", phone.str("author"))
	require.NotEmpty(t, phone.str("created_at"))
	domain := b.must(201, b.do("POST", "/api/v1/blacklist", tokAdmin,
		map[string]any{"kind": "domain", "value": "WWW.Black-Site.cn", "reason": "私服游戏"}))
	r := b.must(409, b.do("POST", "/api/v1/blacklist", tokSupervisor, map[string]any{"kind": "domain", "value": "black-site.cn"}))
	require.Equal(t, "CONFLICT", r.str("error", "code"), "the same domain, normalised")
	b.must(400, b.do("POST", "/api/v1/blacklist", tokSupervisor, map[string]any{"kind": "email", "value": "a@b.cn"}))
	b.must(400, b.do("POST", "/api/v1/blacklist", tokSupervisor, map[string]any{"kind": "name", "value": " "}))
	list := b.must(200, b.do("GET", "/api/v1/blacklist", tokSpecialist, nil)).get("items").([]any)
	require.Len(t, list, 2)
	require.Equal(t, "WWW.Black-Site.cn", list[1].(map[string]any)["value"])

	// The dry run changes nothing: no row of any table, whatever it finds.
	before := b.rowCounts()
	b.must(200, b.do("POST", "/api/v1/filings/check", tokSpecialist, personFiling("dry-run.cn")))
	b.must(200, b.do("POST", "/api/v1/filings/check", tokSpecialist, personFiling("black-site.cn")))
	b.must(200, b.do("POST", "/api/v1/filings/check", tokSpecialist, `{"type": "new"}`))
	require.Equal(t, before, b.rowCounts(), "POST /filings/check wrote to the database")

	// At intake.
	r = b.must(200, b.do("POST", "/api/v1/filings/check", tokSpecialist, personFiling("black-site.cn")))
	require.Equal(t, false, r.get("ok"))
	v := requireViolation(t, violations(t, r, "violations"), "website.domains[0]", "R-IN-6", "BLACKLISTED")
	require.Contains(t, v["message"], "私服游戏")
	r = b.must(422, b.do("POST", "/api/v1/filings", tokSpecialist, personFiling("www.black-site.cn")))
	requireViolation(t, violations(t, r, "error", "violations"), "website.domains[0]", "R-IN-6", "BLACKLISTED")

	// On a correction.
	created := b.must(201, b.do("POST", "/api/v1/filings", tokSpecialist, personFiling("clean-site.cn")))
	id := created.str("id")
	b.must(200, b.do("POST", "/api/v1/filings/"+id+"/materials", tokSpecialist, map[string]any{"received": checklistCodes(created)}))
	b.must(200, b.do("POST", "/api/v1/filings/"+id+"/review", tokSpecialist, map[string]any{"result": "fail", "reasons": []string{"手机号码无法接通"}}))
	correction := map[string]any{"principal": map[string]any{"mobile": "13900139000"}}
	r = b.must(422, b.do("POST", "/api/v1/filings/"+id+"/corrections", tokSpecialist, correction))
	v = requireViolation(t, violations(t, r, "error", "violations"), "principal.mobile", "R-IN-6", "BLACKLISTED")
	require.Contains(t, v["message"], "虚假信息")
	require.Equal(t, "NEEDS_CORRECTION", b.must(200, b.do("GET", "/api/v1/filings/"+id, tokSpecialist, nil)).str("status"))

	// Taken off the list, the same data passes.
	b.must(204, b.do("DELETE", "/api/v1/blacklist/"+phone.str("id"), tokSupervisor, nil))
	require.Equal(t, "NOT_FOUND", b.must(404, b.do("DELETE", "/api/v1/blacklist/"+phone.str("id"), tokSupervisor, nil)).str("error", "code"))
	r = b.must(200, b.do("POST", "/api/v1/filings/"+id+"/corrections", tokSpecialist, correction))
	require.Equal(t, "UNDER_REVIEW", r.str("status"))
	b.must(204, b.do("DELETE", "/api/v1/blacklist/"+domain.str("id"), tokAdmin, nil))
	require.Equal(t, true, b.must(200, b.do("POST", "/api/v1/filings/check", tokSpecialist, otherPerson("black-site.cn"))).get("ok"))
}

// TestCustomersAndProducts: customers round-trip through PUT and GET and
// the spreadsheet import; an IP needs an active product of one customer
// (NO_ACTIVE_PRODUCT, R-ENT-2, R-RV-1); products expiring under live
// filings are reported.
func TestCustomersAndProducts(t *testing.T) {
	t.Parallel()
	b := setup(t, options{})
	yesterday, soon := shanghaiDay(-1), shanghaiDay(10)

	list := b.must(200, b.do("GET", "/api/v1/customers", tokAdmin, nil))
	require.Equal(t, stack.TestCustomerID, list.get("items").([]any)[0].(map[string]any)["id"])
	require.Equal(t, "", list.str("next_cursor"))

	// PUT and GET round trip.
	body := map[string]any{
		"name":             "扬州某某网络有限公司",
		"contact":          map[string]any{"name": "王五", "mobile": "13700137000", "email": "wangwu@example.cn"},
		"account_manager":  map[string]any{"name": "李经理", "email": "li@chinanet.cc"},
		"manager_superior": map[string]any{"name": "赵总监", "email": "zhao@chinanet.cc"},
		"products": []any{
			map[string]any{"id": "P-LAPSED", "server_ips": []any{"198.51.100.201"}, "valid_until": yesterday},
			map[string]any{"id": "P-SOON", "server_ips": []any{"198.51.100.202", "2001:db8:1::ca"}, "valid_until": soon},
		},
	}
	put := b.must(200, b.do("PUT", "/api/v1/customers/C-YZ", tokAdmin, body))
	got := b.must(200, b.do("GET", "/api/v1/customers/C-YZ", tokAdmin, nil))
	require.Equal(t, put.Body, got.Body)
	require.Equal(t, "C-YZ", got.str("id"))
	require.Equal(t, "admin", got.str("updated_by"))
	for _, k := range []string{"name", "contact", "account_manager", "manager_superior", "products"} {
		require.Equal(t, jsonRoundTrip(t, body[k]), got.get(k), k)
	}
	// What GET answers can be sent back as it is.
	b.must(200, b.do("PUT", "/api/v1/customers/C-YZ", tokAdmin, got.Body))
	require.Equal(t, "NOT_FOUND", b.must(404, b.do("GET", "/api/v1/customers/C-NONE", tokAdmin, nil)).str("error", "code"))

	// Invalid bodies: every problem at once; a product of another customer is a conflict.
	r := b.must(422, b.do("PUT", "/api/v1/customers/C-BAD", tokAdmin, map[string]any{
		"name": "", "products": []any{map[string]any{"id": "P-X", "server_ips": []any{"300.1.1.1"}, "valid_until": "明年"}},
	}))
	vs := violations(t, r, "error", "violations")
	requireViolation(t, vs, "name", "R-ENT-2", "REQUIRED")
	requireViolation(t, vs, "products[0].server_ips[0]", "R-ENT-2", "INVALID_IP")
	requireViolation(t, vs, "products[0].valid_until", "R-ENT-2", "INVALID_DATE")
	r = b.must(409, b.do("PUT", "/api/v1/customers/C-BAD", tokAdmin, map[string]any{
		"name": "抢产品的客户", "products": []any{map[string]any{"id": "P-TEST-JS", "server_ips": []any{"198.51.100.7"}, "valid_until": soon}},
	}))
	require.Contains(t, r.str("error", "message"), stack.TestCustomerID)
	b.must(404, b.do("GET", "/api/v1/customers/C-BAD", tokAdmin, nil))

	// R-ENT-2: no product, an expired product, products of two customers.
	check := func(ips ...string) response {
		f := otherPerson("product-site.cn") // 张三 files yangzhou-site.cn below: a SPONSOR_CONFLICT for the dry run (R-IN-5)
		f["website"].(map[string]any)["server_ips"] = ips
		return b.must(200, b.do("POST", "/api/v1/filings/check", tokSpecialist, f))
	}
	v := requireViolation(t, violations(t, check("198.51.100.200"), "violations"), "website.server_ips[0]", "R-ENT-2", "NO_ACTIVE_PRODUCT")
	require.Contains(t, v["message"], "没有有效的接入产品")
	v = requireViolation(t, violations(t, check("198.51.100.201"), "violations"), "website.server_ips[0]", "R-ENT-2", "NO_ACTIVE_PRODUCT")
	require.Contains(t, v["message"], "P-LAPSED")
	require.Contains(t, v["message"], yesterday+" 到期")
	requireViolation(t, violations(t, check("198.51.100.7", "198.51.100.202"), "violations"), "website.server_ips", "R-RV-1", "IPS_OF_DIFFERENT_CUSTOMERS")
	require.Equal(t, true, check("198.51.100.202", "2001:db8:1::ca").get("ok"))

	// The case's customer is the product's holder.
	f := personFiling("yangzhou-site.cn")
	f["website"].(map[string]any)["server_ips"] = []string{"198.51.100.202"}
	created := b.must(201, b.do("POST", "/api/v1/filings", tokSpecialist, f))
	require.Equal(t, "C-YZ", b.caseCustomer(created.str("id")))

	// The product expiring under a live filing is reported to the specialist.
	r = b.must(200, b.do("GET", "/api/v1/reports/expiring-products?within_days=30", tokSpecialist, nil))
	items := r.get("items").([]any)
	require.Len(t, items, 1, "only products with live filings: %s", r.Raw)
	line := items[0].(map[string]any)
	require.Equal(t, "P-SOON", line["product_id"])
	require.Equal(t, "C-YZ", line["customer_id"])
	require.Equal(t, "扬州某某网络有限公司", line["customer_name"])
	require.Equal(t, false, line["expired"])
	require.Equal(t, float64(10), line["days_left"])
	filings := line["filings"].([]any)
	require.Len(t, filings, 1)
	require.Equal(t, created.str("case_no"), filings[0].(map[string]any)["case_no"])
	require.Empty(t, b.must(200, b.do("GET", "/api/v1/reports/expiring-products?within_days=5", tokSupervisor, nil)).get("items"))
	b.must(400, b.do("GET", "/api/v1/reports/expiring-products?within_days=-1", tokSpecialist, nil))

	// Once it has expired, it is reported as such; renewed, it is not.
	products := body["products"].([]any)
	products[1].(map[string]any)["valid_until"] = yesterday
	b.must(200, b.do("PUT", "/api/v1/customers/C-YZ", tokAdmin, body))
	r = b.must(200, b.do("GET", "/api/v1/reports/expiring-products", tokSpecialist, nil))
	line = r.get("items").([]any)[0].(map[string]any)
	require.Equal(t, true, line["expired"])
	require.Equal(t, float64(-1), line["days_left"])
	products[0].(map[string]any)["valid_until"] = shanghaiDay(365)
	products[1].(map[string]any)["valid_until"] = shanghaiDay(365)
	b.must(200, b.do("PUT", "/api/v1/customers/C-YZ", tokAdmin, body))
	require.Empty(t, b.must(200, b.do("GET", "/api/v1/reports/expiring-products", tokSpecialist, nil)).get("items"))
	require.Equal(t, true, check("198.51.100.201").get("ok"), "a renewed product lets the IP file again")

	// The spreadsheet import: a good file.
	var good bytes.Buffer
	require.NoError(t, xlsx.WriteCustomers(&good, []beian.Customer{{
		ID: "C-XL", Name: "南京表格导入有限公司", Contact: beian.Contact{Name: "钱六", Mobile: "13600136000", Email: "qian@example.cn"},
		Products: []beian.Product{
			{ID: "P-XL-1", ServerIPs: []netip.Addr{netip.MustParseAddr("198.51.100.210"), netip.MustParseAddr("198.51.100.211")}, ValidUntil: shanghaiDay(200)},
			{ID: "P-XL-2", ServerIPs: []netip.Addr{netip.MustParseAddr("203.0.113.210")}, ValidUntil: shanghaiDay(100)},
		},
	}}))
	r = b.must(200, b.upload("/api/v1/imports/customers", tokAdmin, "客户.xlsx", good.Bytes()))
	require.Equal(t, float64(1), r.get("customers"))
	require.Equal(t, float64(2), r.get("products"))
	got = b.must(200, b.do("GET", "/api/v1/customers/C-XL", tokAdmin, nil))
	require.Equal(t, "南京表格导入有限公司", got.str("name"))
	require.Equal(t, "13600136000", got.str("contact", "mobile"))
	require.Len(t, got.get("products"), 2)
	require.Equal(t, true, check("198.51.100.211").get("ok"), "an imported product lets its IP file")

	// A bad file: the error names the sheet and cell; nothing is imported.
	var bad bytes.Buffer
	require.NoError(t, xlsx.WriteCustomers(&bad, []beian.Customer{{
		ID: "C-XL2", Name: "坏表格公司", Products: []beian.Product{{ID: "P-XL-9", ValidUntil: shanghaiDay(10)}},
	}}))
	r = b.must(422, b.upload("/api/v1/imports/customers", tokAdmin, "bad.xlsx", bad.Bytes()))
	v = requireViolation(t, violations(t, r, "error", "violations"), "客户!K2", "R-ENT-2", "INVALID_CELL")
	require.Contains(t, v["message"], "工作表「客户」单元格 K2")
	b.must(404, b.do("GET", "/api/v1/customers/C-XL2", tokAdmin, nil))

	// Not a workbook, not multipart, too large.
	require.Equal(t, "UNSUPPORTED_TYPE", b.must(415, b.upload("/api/v1/imports/customers", tokAdmin, "客户.csv", []byte("客户编号,客户名称\n"))).str("error", "code"))
	require.Equal(t, "UNSUPPORTED_TYPE", b.must(415, b.do("POST", "/api/v1/imports/customers", tokAdmin, `{"file": "x"}`)).str("error", "code"))
	big := bytes.Repeat([]byte("x"), 11<<20)
	require.Equal(t, "TOO_LARGE", b.must(413, b.upload("/api/v1/imports/customers", tokAdmin, "big.xlsx", big)).str("error", "code"))
	require.Len(t, b.must(200, b.do("GET", "/api/v1/customers", tokAdmin, nil)).get("items"), 3, "C-TEST, C-YZ, C-XL")
}
