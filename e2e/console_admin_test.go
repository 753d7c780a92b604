package e2e_test

import (
	"bytes"
	"context"
	"html"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/netip"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/beian/beian"
	"github.com/beian/beian/intake"
	"github.com/beian/beian/internal/stack"
	"github.com/beian/beian/xlsx"
)

// consoleClient is a signed-in staff member's browser without a browser: a
// cookie jar, and the session's CSRF token read from the last page.
type consoleClient struct {
	t    *testing.T
	base string
	http *http.Client
	csrf string
}

// consolePage is one console answer after redirects.
type consolePage struct {
	Status int
	Path   string // of the final URL
	Body   string
}

func newConsoleClient(t *testing.T, b *bundle) *consoleClient {
	t.Helper()
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	return &consoleClient{t: t, base: b.api.URL, http: &http.Client{Jar: jar, Timeout: 60 * time.Second}}
}

// consoleLogin signs in through the form (GET for its CSRF cookie and
// input, then POST) and returns the page it lands on.
func consoleLogin(t *testing.T, b *bundle, username, password string) (*consoleClient, consolePage) {
	t.Helper()
	cc := newConsoleClient(t, b)
	login := cc.get("/console/login")
	require.Equal(t, 200, login.Status)
	p := cc.send("POST", "/console/login", url.Values{"username": {username}, "password": {password}, "csrf_token": {cc.csrf}})
	return cc, p
}

// signInConsole signs in with stack.StaffPassword and requires it to work.
func signInConsole(t *testing.T, b *bundle, username string) *consoleClient {
	t.Helper()
	cc, p := consoleLogin(t, b, username, stack.StaffPassword)
	require.Equal(t, 200, p.Status, p.Body)
	require.NotEqual(t, "/console/login", p.Path, "signed in as %s", username)
	return cc
}

func (cc *consoleClient) do(req *http.Request) consolePage {
	cc.t.Helper()
	resp, err := cc.http.Do(req)
	require.NoError(cc.t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(cc.t, err)
	body := string(raw)
	if m := csrfInput.FindStringSubmatch(body); m != nil {
		cc.csrf = html.UnescapeString(m[1])
	}
	return consolePage{Status: resp.StatusCode, Path: resp.Request.URL.Path, Body: body}
}

func (cc *consoleClient) get(path string) consolePage {
	cc.t.Helper()
	req, err := http.NewRequest("GET", cc.base+path, nil)
	require.NoError(cc.t, err)
	return cc.do(req)
}

func (cc *consoleClient) send(method, path string, form url.Values) consolePage {
	cc.t.Helper()
	req, err := http.NewRequest(method, cc.base+path, strings.NewReader(form.Encode()))
	require.NoError(cc.t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return cc.do(req)
}

// post sends a form of the page at from (read first for its CSRF token) to action.
func (cc *consoleClient) post(from, action string, form url.Values) consolePage {
	cc.t.Helper()
	require.Equal(cc.t, 200, cc.get(from).Status, "form page %s", from)
	if form == nil {
		form = url.Values{}
	}
	form.Set("csrf_token", cc.csrf)
	return cc.send("POST", action, form)
}

// upload posts a multipart form with a file (field file) from the page at from.
func (cc *consoleClient) upload(from, action, filename string, content []byte) consolePage {
	cc.t.Helper()
	require.Equal(cc.t, 200, cc.get(from).Status)
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	require.NoError(cc.t, w.WriteField("csrf_token", cc.csrf))
	fw, err := w.CreateFormFile("file", filename)
	require.NoError(cc.t, err)
	_, err = fw.Write(content)
	require.NoError(cc.t, err)
	require.NoError(cc.t, w.Close())
	req, err := http.NewRequest("POST", cc.base+action, &body)
	require.NoError(cc.t, err)
	req.Header.Set("Content-Type", w.FormDataContentType())
	return cc.do(req)
}

// text is the page's HTML with entities decoded, for assertions on messages.
func (p consolePage) text() string { return html.UnescapeString(p.Body) }

// section is the HTML of the element with id, up to its closing </section>.
func (p consolePage) section(id string) string {
	i := strings.Index(p.Body, `id="`+id+`"`)
	if i < 0 {
		return ""
	}
	rest := p.Body[i:]
	if j := strings.Index(rest, "</section>"); j >= 0 {
		rest = rest[:j]
	}
	return html.UnescapeString(rest)
}

// auditBy counts audit entries of actor, action and target.
func (b *bundle) auditBy(actor, action, target string) int {
	b.t.Helper()
	var n int
	require.NoError(b.t, b.db.Pool().QueryRow(context.Background(),
		`SELECT count(*) FROM audit_log WHERE actor = $1 AND action = $2 AND target = $3`, actor, action, target).Scan(&n))
	return n
}

// TestConsoleBlacklist: a supervisor adds an entry in the console and the
// next intake check refuses it (R-IN-6); a specialist sees the list masked
// and cannot change it; the supervisor's reveal is audited as the API's;
// a duplicate or a bad value is shown in the form and nothing is saved; an
// entry is deleted with a confirmed form.
func TestConsoleBlacklist(t *testing.T) {
	t.Parallel()
	b := setup(t, options{})
	b.AddStaff("zhuguan", "王主管", beian.RoleSupervisor)
	b.AddStaff("zhuanyuan", "李专员", beian.RoleSpecialist)
	sup := signInConsole(t, b, "zhuguan")

	p := sup.get("/console/blacklist")
	require.Equal(t, 200, p.Status)
	require.Contains(t, p.Body, `id="form-blacklist"`)
	require.Contains(t, p.Body, "证件号码")

	// Added: shown masked, and the next check refuses the number.
	p = sup.post("/console/blacklist", "/console/blacklist", url.Values{"kind": {"cert_number"}, "value": {"11010519491231002X"}, "reason": {"冒用他人证件"}})
	require.Equal(t, 200, p.Status, p.Body)
	require.Equal(t, "/console/blacklist", p.Path)
	require.Contains(t, p.text(), "已加入黑名单")
	require.Contains(t, p.section("blacklist"), "1101**********002X")
	require.NotContains(t, p.Body, "11010519491231002X", "masked as the API masks")
	r := b.must(200, b.do("POST", "/api/v1/filings/check", tokSpecialist, personFiling("console-black.cn")))
	require.Equal(t, false, r.get("ok"))
	v := requireViolation(t, violations(t, r, "violations"), "sponsor.cert_number", "R-IN-6", "BLACKLISTED")
	require.Contains(t, v["message"], "冒用他人证件")
	p = sup.post("/console/blacklist", "/console/blacklist", url.Values{"kind": {"phone"}, "value": {"139-0013-9000"}, "reason": {"虚假信息"}})
	require.Contains(t, p.text(), "已加入黑名单")

	// A duplicate (compared normalised) and bad values: shown, nothing saved.
	p = sup.post("/console/blacklist", "/console/blacklist", url.Values{"kind": {"cert_number"}, "value": {"11010519491231002x"}})
	require.Equal(t, 409, p.Status, p.Body)
	require.Contains(t, p.Body, `id="form-error"`)
	require.Regexp(t, `\p{Han}`, p.section("blacklist-add"))
	require.Contains(t, p.Body, `value="11010519491231002x"`, "the form keeps what was typed")
	p = sup.post("/console/blacklist", "/console/blacklist", url.Values{"kind": {"name"}, "value": {"  "}})
	require.Equal(t, 422, p.Status)
	require.Contains(t, p.section("blacklist-add"), "黑名单的值不能为空")
	p = sup.post("/console/blacklist", "/console/blacklist", url.Values{"kind": {"email"}, "value": {"a@b.cn"}})
	require.Equal(t, 422, p.Status)
	require.Contains(t, p.section("blacklist-add"), "黑名单类型「email」无效")
	list := b.must(200, b.do("GET", "/api/v1/blacklist", tokSpecialist, nil)).get("items").([]any)
	require.Len(t, list, 2)

	// A form without the session's token does nothing.
	p = sup.send("POST", "/console/blacklist", url.Values{"kind": {"name"}, "value": {"某人"}})
	require.Equal(t, 403, p.Status)
	require.Len(t, b.must(200, b.do("GET", "/api/v1/blacklist", tokSpecialist, nil)).get("items"), 2)

	// The specialist reads the list masked, without forms, and may not reveal or add.
	spec := signInConsole(t, b, "zhuanyuan")
	p = spec.get("/console/blacklist")
	require.Equal(t, 200, p.Status)
	require.Contains(t, p.section("blacklist"), "1101**********002X")
	require.NotContains(t, p.Body, "11010519491231002X")
	require.NotContains(t, p.Body, "139-0013-9000")
	require.NotContains(t, p.Body, `id="form-blacklist"`)
	require.NotContains(t, p.Body, `id="reveal-link"`)
	require.NotContains(t, p.Body, "/delete")
	require.Equal(t, 403, spec.get("/console/blacklist?reveal=1").Status)
	p = spec.post("/console/blacklist", "/console/blacklist", url.Values{"kind": {"name"}, "value": {"某人"}})
	require.Equal(t, 403, p.Status)
	require.Equal(t, 0, b.auditBy("zhuanyuan", "reveal", "blacklist"))

	// The supervisor reveals: in clear, audited exactly like ?reveal=true.
	p = sup.get("/console/blacklist")
	require.Contains(t, p.Body, `href="/console/blacklist?reveal=1"`)
	p = sup.get("/console/blacklist?reveal=1")
	require.Equal(t, 200, p.Status)
	require.Contains(t, p.section("blacklist"), "11010519491231002X")
	require.Contains(t, p.section("blacklist"), "139-0013-9000")
	require.Contains(t, p.text(), "已记录审计")
	require.Equal(t, 1, b.auditBy("zhuguan", "reveal", "blacklist"))
	var detail string
	require.NoError(t, b.db.Pool().QueryRow(context.Background(),
		`SELECT detail FROM audit_log WHERE actor = 'zhuguan' AND action = 'reveal' AND target = 'blacklist'`).Scan(&detail))
	require.Equal(t, "查看黑名单中完整的证件号码和电话号码（共 2 条）", detail)

	// Deleted with a confirmed form: the number may file again.
	var certID string
	for _, it := range list {
		if e := it.(map[string]any); e["kind"] == "cert_number" {
			certID = e["id"].(string)
		}
	}
	require.Contains(t, p.Body, `action="/console/blacklist/`+certID+`/delete"`)
	require.Regexp(t, `data-confirm="[^"]+"`, p.Body)
	p = sup.post("/console/blacklist", "/console/blacklist/"+certID+"/delete", nil)
	require.Equal(t, 200, p.Status)
	require.Contains(t, p.text(), "已从黑名单删除")
	require.Len(t, b.must(200, b.do("GET", "/api/v1/blacklist", tokSpecialist, nil)).get("items"), 1)
	r = b.must(200, b.do("POST", "/api/v1/filings/check", tokSpecialist, personFiling("console-black.cn")))
	require.Equal(t, true, r.get("ok"), "%s", r.Raw)
	p = sup.post("/console/blacklist", "/console/blacklist/"+certID+"/delete", nil)
	require.Equal(t, 404, p.Status, "deleted twice")
}

// TestConsoleCalendar: staff read the year's overrides and compute a
// deadline as GET /api/v1/calendar/due does (R-BR-1); an admin puts a day
// and publishes a year; a specialist is refused the admin's forms.
func TestConsoleCalendar(t *testing.T) {
	t.Parallel()
	b := setup(t, options{})
	b.AddStaff("guanli", "赵管理员", beian.RoleAdmin)
	b.AddStaff("zhuanyuan", "李专员", beian.RoleSpecialist)
	admin := signInConsole(t, b, "guanli")

	p := admin.get("/console/calendar?year=2027")
	require.Equal(t, 200, p.Status)
	require.Contains(t, p.Body, `id="form-day"`)
	require.Contains(t, p.Body, `id="form-year"`)
	require.Contains(t, p.text(), "2027 年")

	// Put a day: listed in its year, and the API's calendar says so.
	p = admin.post("/console/calendar?year=2027", "/console/calendar/days", url.Values{"date": {"2027-02-08"}, "kind": {"off"}, "name": {"春节"}})
	require.Equal(t, 200, p.Status, p.Body)
	require.Contains(t, p.text(), "已保存 2027-02-08：放假（春节）")
	require.Contains(t, p.section("overrides"), "2027-02-08")
	require.Contains(t, p.section("overrides"), "guanli")
	day := b.must(200, b.do("GET", "/api/v1/calendar/days/2027-02-08", tokSpecialist, nil))
	require.Equal(t, true, day.get("off"))
	require.Equal(t, "override", day.str("source"))
	p = admin.post("/console/calendar", "/console/calendar/days", url.Values{"date": {"2027-13-01"}, "kind": {"off"}})
	require.Equal(t, 422, p.Status)
	require.Contains(t, p.section("put-day"), "日期格式应为 YYYY-MM-DD")
	p = admin.post("/console/calendar", "/console/calendar/days", url.Values{"date": {"2027-02-09"}})
	require.Equal(t, 422, p.Status)
	require.Contains(t, p.section("put-day"), "请选择放假或调休上班")

	// The due-date calculator answers as the API does, provisional included.
	due := b.must(200, b.do("GET", "/api/v1/calendar/due?from=2026-09-28&working_days=20", tokSpecialist, nil))
	at, err := time.Parse(time.RFC3339, due.str("due_at"))
	require.NoError(t, err)
	p = admin.get("/console/calendar?from=2026-09-28&working_days=20")
	require.Contains(t, p.section("due"), at.In(shanghaiZone()).Format("2006-01-02 15:04"))
	require.NotContains(t, p.Body, `id="due-warning"`)
	p = admin.get("/console/calendar?from=2030-12-20&working_days=20")
	require.Contains(t, p.section("due"), "暂估")
	p = admin.get("/console/calendar?from=2026-09-28&working_days=0")
	require.Contains(t, p.section("due"), "working_days 应为 1 到 366 之间的整数")

	// Publish 2028: known from now on.
	p = admin.post("/console/calendar?year=2028", "/console/calendar/years", url.Values{"year": {"2028"}, "published": {"true"}})
	require.Equal(t, 200, p.Status, p.Body)
	require.Contains(t, p.text(), "已将 2028 年标记为节假日安排已公布")
	require.Contains(t, p.text(), "已由管理员标记为已公布")
	require.Contains(t, b.must(200, b.do("GET", "/api/v1/calendar/due?from=2028-03-01", tokSpecialist, nil)).get("known_years"), float64(2028))
	p = admin.post("/console/calendar", "/console/calendar/years", url.Values{"year": {"27"}, "published": {"true"}})
	require.Equal(t, 422, p.Status)
	require.Contains(t, p.section("publish-year"), "年份应为四位数字")

	// The specialist reads, and is refused the admin's forms (nothing changes).
	spec := signInConsole(t, b, "zhuanyuan")
	p = spec.get("/console/calendar?year=2027")
	require.Equal(t, 200, p.Status)
	require.Contains(t, p.section("overrides"), "2027-02-08")
	require.NotContains(t, p.Body, `id="form-day"`)
	require.NotContains(t, p.Body, `id="form-year"`)
	p = spec.post("/console/calendar", "/console/calendar/days", url.Values{"date": {"2027-02-10"}, "kind": {"off"}, "name": {"自定"}})
	require.Equal(t, 403, p.Status)
	require.Contains(t, p.text(), "无权访问")
	require.NotEqual(t, "override", b.must(200, b.do("GET", "/api/v1/calendar/days/2027-02-10", tokSpecialist, nil)).str("source"))
	require.Equal(t, 403, spec.post("/console/calendar", "/console/calendar/years", url.Values{"year": {"2029"}, "published": {"true"}}).Status)
}

func shanghaiZone() *time.Location {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		return time.FixedZone("CST", 8*3600)
	}
	return loc
}

// TestConsoleDataCentres: the admin edits the data centres as lines of
// text; a bad CIDR is shown with its line and nothing is saved (R-ENT-1);
// a good edit replaces the list and routes the next check.
func TestConsoleDataCentres(t *testing.T) {
	t.Parallel()
	b := setup(t, options{})
	b.AddStaff("guanli", "赵管理员", beian.RoleAdmin)
	b.AddStaff("zhuguan", "王主管", beian.RoleSupervisor)
	admin := signInConsole(t, b, "guanli")

	p := admin.get("/console/datacenters")
	require.Equal(t, 200, p.Status)
	js := "苏州园区机房 | 江苏 | " + beian.ProviderJiangsu + " | JSBA@ChinaNet.CC | 198.51.100.0/24 2001:db8:1::/48"
	ah := "滁州双线机房 | 安徽 | " + beian.ProviderAnhui + " | AHBA@ChinaNet.CC | 203.0.113.0/24"
	require.Contains(t, p.text(), js, "the form is prefilled")
	require.Contains(t, p.text(), ah)

	// Every problem at once, with its line; nothing saved.
	bad := js + "\n\n" + ah + " 203.0.113.300/24\n南京机房 | 江苏 | " + beian.ProviderJiangsu + " | 没有邮箱 | 192.0.2.0/24\n"
	p = admin.post("/console/datacenters", "/console/datacenters", url.Values{"datacentres": {bad}})
	require.Equal(t, 422, p.Status, p.Body)
	errs := p.section("datacentres-edit")
	require.Contains(t, errs, "第 3 行（CIDR）：不是有效的 CIDR 网段：203.0.113.300/24")
	require.Contains(t, errs, "第 4 行（邮箱）：备案专员邮箱格式不正确")
	require.Contains(t, errs, "没有邮箱", "the form keeps what was typed")
	var n int
	require.NoError(t, b.db.Pool().QueryRow(context.Background(), `SELECT count(*) FROM data_centres`).Scan(&n))
	require.Equal(t, 2, n, "nothing saved")

	// A good edit replaces the whole list.
	good := js + "\n" + ah + "\n南京机房 | 江苏 | " + beian.ProviderJiangsu + " | NJBA@ChinaNet.CC | 192.0.2.0/24\n"
	p = admin.post("/console/datacenters", "/console/datacenters", url.Values{"datacentres": {good}})
	require.Equal(t, 200, p.Status, p.Body)
	require.Contains(t, p.text(), "已保存 3 个机房")
	require.Contains(t, p.section("datacentres"), "南京机房")
	require.Contains(t, p.section("datacentres"), "192.0.2.0/24")
	require.NoError(t, b.db.Pool().QueryRow(context.Background(), `SELECT count(*) FROM data_centres`).Scan(&n))
	require.Equal(t, 3, n)
	f := personFiling("console-nanjing.cn")
	f["website"].(map[string]any)["server_ips"] = []string{"192.0.2.7"}
	r := b.must(200, b.do("POST", "/api/v1/filings/check", tokSpecialist, f))
	require.Equal(t, "NJBA@ChinaNet.CC", r.str("routing", "mailbox"), "the next check routes by the new list: %s", r.Raw)

	// Admin only.
	sup := signInConsole(t, b, "zhuguan")
	require.Equal(t, 403, sup.get("/console/datacenters").Status)
}

// orgFiling is an organisation's new filing in 江苏 (the principal is the
// legal representative) with the site name given.
func orgFiling(domain, siteName string) map[string]any {
	f := personFiling(domain)
	f["sponsor"] = map[string]any{
		"kind": "organisation", "name": "苏州示例科技有限公司", "cert_type": "uscc", "cert_number": "91320505MA1M111107",
		"province": "江苏", "city": "苏州", "address": "工业园区星湖街2号",
		"legal_rep": map[string]any{"name": "李四", "id_number": "440304198512310011"},
	}
	f["principal"] = map[string]any{"name": "李四", "id_number": "440304198512310011", "mobile": "13912345678", "email": "lisi@example.net"}
	f["website"].(map[string]any)["name"] = siteName
	return f
}

// TestConsoleRules: a supervisor reads the rules in force (a small page
// with the region names counted); the admin's edit of the national words
// applies to the next check (R-IN-4), an invalid edit is shown beside its
// list and saves nothing, and 恢复默认规则 restores the defaults.
func TestConsoleRules(t *testing.T) {
	t.Parallel()
	b := setup(t, options{})
	b.AddStaff("guanli", "赵管理员", beian.RoleAdmin)
	b.AddStaff("zhuguan", "王主管", beian.RoleSupervisor)
	b.AddStaff("zhuanyuan", "李专员", beian.RoleSpecialist)

	sup := signInConsole(t, b, "zhuguan")
	p := sup.get("/console/rules")
	require.Equal(t, 200, p.Status)
	require.Contains(t, p.text(), "内置默认规则")
	require.Regexp(t, `共 \d{4} 个，前 30 个`, p.section("rules-lists"))
	require.Less(t, len(p.Body), 200_000, "the page stays small")
	require.Contains(t, p.section("checklist-rules"), "verification_sheet")
	require.NotContains(t, p.Body, `id="form-rules"`)
	require.Equal(t, 403, sup.post("/console/rules", "/console/rules", url.Values{"national_words": {"中国"}}).Status)
	spec := signInConsole(t, b, "zhuanyuan")
	require.Equal(t, 403, spec.get("/console/rules").Status)

	siteCheck := func() map[string]map[string]any {
		t.Helper()
		r := b.must(200, b.do("POST", "/api/v1/filings/check", tokSpecialist, orgFiling("console-rules.cn", "环球示例科技官网")))
		out := map[string]map[string]any{}
		if vs, ok := r.get("violations").([]any); ok && len(vs) > 0 {
			out = violations(t, r, "violations")
		}
		return out
	}
	require.NotContains(t, siteCheck(), "website.name", "环球 is not a national word by default")

	admin := signInConsole(t, b, "guanli")
	p = admin.get("/console/rules")
	require.Contains(t, p.Body, `id="form-rules"`)
	form := formValues(t, p.Body, "suspended_residences", "landline_provinces", "national_words", "pre_approval_categories", "fileable_suffixes", "legacy_credit_codes")
	require.Contains(t, form.Get("suspended_residences"), "江苏: 新疆 西藏 山东 甘肃")
	require.Contains(t, form.Get("national_words"), "中华")

	// Invalid: shown beside its list, nothing saved.
	bad := url.Values{}
	for k, v := range form {
		bad[k] = v
	}
	bad.Set("landline_provinces", "辽宁 火星")
	bad.Set("pre_approval_categories", form.Get("pre_approval_categories")+"\n没有冒号的一行")
	p = admin.post("/console/rules", "/console/rules", bad)
	require.Equal(t, 422, p.Status, p.Body)
	require.Regexp(t, `name="landline_provinces"[^>]*>[^<]*</textarea></label>\s*<p class="field-error"[^>]*>“火星”不是大陆省级行政区`, p.Body)
	require.Contains(t, p.text(), "「没有冒号的一行」格式不对")
	require.Contains(t, p.text(), "未保存")
	require.Equal(t, "default", b.must(200, b.do("GET", "/api/v1/rules", tokSupervisor, nil)).str("source"))

	// The national words, one more: the next check applies it; the rest is kept.
	form.Set("national_words", form.Get("national_words")+"\n环球")
	p = admin.post("/console/rules", "/console/rules", form)
	require.Equal(t, 200, p.Status, p.Body)
	require.Contains(t, p.text(), "受理规则已保存")
	require.Contains(t, p.text(), "管理员修改后的规则")
	v := requireViolation(t, siteCheck(), "website.name", "R-IN-4", "NATIONAL_WORD_IN_SITE_NAME")
	require.Contains(t, v["message"], "环球")
	rules := b.must(200, b.do("GET", "/api/v1/rules", tokSupervisor, nil))
	require.Equal(t, "override", rules.str("source"))
	require.Len(t, rules.get("region_names"), len(intake.DefaultRules().RegionNames), "the region names are kept")
	require.NotEmpty(t, rules.get("checklist"))
	require.Contains(t, rules.get("suspended_residences", "江苏"), "新疆")

	// Restore the defaults.
	require.Regexp(t, `action="/console/rules/reset"[^>]*data-confirm="[^"]+"`, p.Body)
	p = admin.post("/console/rules", "/console/rules/reset", nil)
	require.Equal(t, 200, p.Status)
	require.Contains(t, p.text(), "已恢复默认受理规则")
	require.Contains(t, p.text(), "内置默认规则")
	require.Equal(t, "default", b.must(200, b.do("GET", "/api/v1/rules", tokSupervisor, nil)).str("source"))
	require.NotContains(t, siteCheck(), "website.name")
}

// formValues reads the textareas named of a page.
func formValues(t *testing.T, body string, names ...string) url.Values {
	t.Helper()
	out := url.Values{}
	for _, n := range names {
		m := regexp.MustCompile(`<textarea name="` + n + `"[^>]*>([^<]*)</textarea>`).FindStringSubmatch(body)
		require.NotNil(t, m, "textarea %s", n)
		out.Set(n, html.UnescapeString(m[1]))
	}
	return out
}

// TestConsoleCustomers: the admin sees the customers with their products
// (at most five IPs each) and the products expiring under live filings;
// a bad sheet shows every cell's error and imports nothing (R-ENT-2); a
// good one imports.
func TestConsoleCustomers(t *testing.T) {
	t.Parallel()
	b := setup(t, options{})
	b.AddStaff("guanli", "赵管理员", beian.RoleAdmin)
	b.AddStaff("zhuguan", "王主管", beian.RoleSupervisor)

	// A product expiring in ten days under a live filing.
	b.must(200, b.do("PUT", "/api/v1/customers/C-YZ", tokAdmin, map[string]any{
		"name":     "扬州某某网络有限公司",
		"products": []any{map[string]any{"id": "P-SOON", "server_ips": []any{"198.51.100.202"}, "valid_until": shanghaiDay(10)}},
	}))
	f := personFiling("console-expiring.cn")
	f["website"].(map[string]any)["server_ips"] = []string{"198.51.100.202"}
	created := b.must(201, b.do("POST", "/api/v1/filings", tokSpecialist, f))

	admin := signInConsole(t, b, "guanli")
	p := admin.get("/console/customers")
	require.Equal(t, 200, p.Status)
	list := p.section("customers")
	require.Contains(t, list, "C-TEST")
	require.Contains(t, list, "P-TEST-JS")
	require.Contains(t, list, "198.51.100.5 等 254 个")
	require.NotContains(t, list, "198.51.100.6 ", "at most five IPs")
	exp := p.section("expiring")
	require.Contains(t, exp, "P-SOON")
	require.Contains(t, exp, "扬州某某网络有限公司")
	require.Contains(t, exp, "剩余 10 天")
	require.Contains(t, exp, created.str("case_no"))

	// A bad sheet: every cell's error, nothing imported.
	var bad bytes.Buffer
	require.NoError(t, xlsx.WriteCustomers(&bad, []beian.Customer{{
		ID: "C-XL2", Name: "坏表格公司", Contact: beian.Contact{Mobile: "12345"},
		Products: []beian.Product{{ID: "P-XL-9", ValidUntil: shanghaiDay(10)}},
	}}))
	p = admin.upload("/console/customers", "/console/customers/import", "bad.xlsx", bad.Bytes())
	require.Equal(t, 422, p.Status, p.Body)
	errs := p.section("customers-import")
	require.Contains(t, errs, "工作表「客户」单元格 K2")
	require.Contains(t, errs, "工作表「客户」单元格 D2")
	b.must(404, b.do("GET", "/api/v1/customers/C-XL2", tokAdmin, nil))
	p = admin.upload("/console/customers", "/console/customers/import", "客户.csv", []byte("客户编号,客户名称\n"))
	require.Equal(t, 415, p.Status)
	require.Contains(t, p.section("customers-import"), ".xlsx")

	// A good sheet imports.
	var good bytes.Buffer
	require.NoError(t, xlsx.WriteCustomers(&good, []beian.Customer{{
		ID: "C-XL", Name: "南京表格导入有限公司", Contact: beian.Contact{Name: "钱六", Mobile: "13600136000"},
		Products: []beian.Product{{ID: "P-XL-1", ServerIPs: []netip.Addr{netip.MustParseAddr("198.51.100.210")}, ValidUntil: shanghaiDay(200)}},
	}}))
	p = admin.upload("/console/customers", "/console/customers/import", "客户.xlsx", good.Bytes())
	require.Equal(t, 200, p.Status, p.Body)
	require.Contains(t, p.text(), "已导入 1 个客户、1 个接入产品")
	require.Contains(t, p.section("customers"), "南京表格导入有限公司")
	require.Equal(t, "guanli", b.must(200, b.do("GET", "/api/v1/customers/C-XL", tokAdmin, nil)).str("updated_by"))

	sup := signInConsole(t, b, "zhuguan")
	require.Equal(t, 403, sup.get("/console/customers").Status)
}

// TestConsoleStaff: the admin creates, edits, re-passwords, disables and
// deletes an account; a weak password is shown beside its field and never
// echoed; a disabled account's session ends.
func TestConsoleStaff(t *testing.T) {
	t.Parallel()
	b := setup(t, options{})
	b.AddStaff("guanli", "赵管理员", beian.RoleAdmin)
	admin := signInConsole(t, b, "guanli")

	p := admin.get("/console/staff")
	require.Equal(t, 200, p.Status)
	require.Contains(t, p.section("staff-list"), "guanli")
	require.Contains(t, p.section("staff-new"), "备案专员")

	// A weak password: beside its field, not echoed, nothing saved.
	weak := "tooshort9"
	p = admin.post("/console/staff", "/console/staff", url.Values{
		"username": {"xiaozhang"}, "name": {"张专员"}, "role": {"specialist"}, "email": {"zhang@test.local"}, "password": {weak},
	})
	require.Equal(t, 422, p.Status, p.Body)
	require.Regexp(t, `id="new-password"[^>]*>\s*<p class="field-error"[^>]*>密码至少 10 个字符`, p.Body)
	require.NotContains(t, p.Body, weak)
	require.Contains(t, p.Body, `value="xiaozhang"`, "the rest of the form is kept")
	b.must(404, b.do("GET", "/api/v1/staff/xiaozhang", tokAdmin, nil))
	p = admin.post("/console/staff", "/console/staff", url.Values{"username": {"X Y"}, "name": {""}, "role": {"boss"}, "email": {"bad"}, "password": {"a-long-enough-password"}})
	require.Equal(t, 422, p.Status)
	require.Regexp(t, `id="new-username"[^>]*>\s*<p class="field-error"`, p.Body)
	require.Regexp(t, `id="new-email"[^>]*>\s*<p class="field-error"[^>]*>邮箱「bad」格式不正确`, p.Body)
	require.NotContains(t, p.Body, "a-long-enough-password")

	// Created: the new account signs in.
	first := "first-password-1"
	p = admin.post("/console/staff", "/console/staff", url.Values{
		"username": {"xiaozhang"}, "name": {"张专员"}, "role": {"specialist"}, "email": {"zhang@test.local"}, "password": {first},
	})
	require.Equal(t, 200, p.Status, p.Body)
	require.Contains(t, p.text(), "已创建账号 xiaozhang（张专员，备案专员）")
	require.NotContains(t, p.Body, first)
	zhang, zp := consoleLogin(t, b, "xiaozhang", first)
	require.Equal(t, "/console/", zp.Path)

	// Edited: name and role.
	p = admin.post("/console/staff", "/console/staff/xiaozhang", url.Values{"name": {"张主管"}, "role": {"supervisor"}, "email": {"zhang@test.local"}})
	require.Equal(t, 200, p.Status, p.Body)
	require.Contains(t, p.text(), "已保存账号 xiaozhang")
	got := b.must(200, b.do("GET", "/api/v1/staff/xiaozhang", tokAdmin, nil))
	require.Equal(t, "supervisor", got.str("role"))
	require.Equal(t, "张主管", got.str("name"))
	p = admin.post("/console/staff", "/console/staff/xiaozhang", url.Values{"name": {"张主管"}, "role": {"supervisor"}, "email": {"not-an-email"}})
	require.Equal(t, 422, p.Status)
	require.Contains(t, p.section("account-xiaozhang"), "邮箱「not-an-email」格式不正确")
	require.Equal(t, "zhang@test.local", b.must(200, b.do("GET", "/api/v1/staff/xiaozhang", tokAdmin, nil)).str("email"))
	p = admin.post("/console/staff", "/console/staff/guanli", url.Values{"name": {"赵管理员"}, "role": {"specialist"}})
	require.Equal(t, 409, p.Status, "an admin does not demote themselves")
	require.Contains(t, p.section("account-guanli"), "不能停用自己的账号")

	// A new password: weak refused beside its field; set, the old sessions end.
	p = admin.post("/console/staff", "/console/staff/xiaozhang/password", url.Values{"password": {weak}})
	require.Equal(t, 422, p.Status)
	require.Contains(t, p.section("account-xiaozhang"), "密码至少 10 个字符")
	require.NotContains(t, p.Body, weak)
	second := "second-password-2"
	p = admin.post("/console/staff", "/console/staff/xiaozhang/password", url.Values{"password": {second}})
	require.Equal(t, 200, p.Status)
	require.Contains(t, p.text(), "已为 xiaozhang 设置新密码")
	require.NotContains(t, p.Body, second)
	require.Equal(t, "/console/login", zhang.get("/console/").Path, "the old session ended")
	_, zp = consoleLogin(t, b, "xiaozhang", first)
	require.Equal(t, "/console/login", zp.Path, "the old password no longer works")
	zhang, zp = consoleLogin(t, b, "xiaozhang", second)
	require.Equal(t, "/console/", zp.Path)

	// Disabled: the session ends and sign-in is refused.
	p = admin.post("/console/staff", "/console/staff/xiaozhang", url.Values{"name": {"张主管"}, "role": {"supervisor"}, "email": {"zhang@test.local"}, "disabled": {"1"}})
	require.Equal(t, 200, p.Status)
	require.Contains(t, p.section("staff-list"), "已停用")
	require.Equal(t, "/console/login", zhang.get("/console/").Path)
	_, zp = consoleLogin(t, b, "xiaozhang", second)
	require.Contains(t, zp.text(), "账号已停用")

	// Deleted (a confirmed form), never one's own.
	p = admin.get("/console/staff")
	require.Regexp(t, `action="/console/staff/xiaozhang/delete" class="staff-delete" data-confirm="[^"]+"`, p.Body)
	require.NotContains(t, p.Body, `action="/console/staff/guanli/delete"`)
	p = admin.post("/console/staff", "/console/staff/xiaozhang/delete", nil)
	require.Equal(t, 200, p.Status)
	require.Contains(t, p.text(), "已删除账号 xiaozhang")
	b.must(404, b.do("GET", "/api/v1/staff/xiaozhang", tokAdmin, nil))
	p = admin.post("/console/staff", "/console/staff/guanli/delete", nil)
	require.Equal(t, 409, p.Status)
	require.Contains(t, p.text(), "不能删除自己的账号")
	require.NotContains(t, p.Body, stack.StaffPassword, "no password is ever shown")
}
