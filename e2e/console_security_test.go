package e2e_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/netip"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/beian/beian"
	"github.com/beian/beian/internal/stack"
)

// staffClient is a browser-like HTTP client of the console: a cookie jar,
// no automatic redirects (the tests look at them), and the CSRF token of
// the last page it read.
type staffClient struct {
	t    *testing.T
	base string
	http *http.Client
	csrf string
}

var csrfInput = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

func newStaffClient(t *testing.T, base string) *staffClient {
	t.Helper()
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	return &staffClient{t: t, base: base, http: &http.Client{
		Jar: jar, Timeout: 60 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// page is an answer of the console.
type page struct {
	Status   int
	Location string
	Body     string
}

func (c *staffClient) get(path string) page {
	c.t.Helper()
	return c.send("GET", path, nil)
}

// post sends a form; the page's CSRF token is added unless form has one.
func (c *staffClient) post(path string, form url.Values) page {
	c.t.Helper()
	if _, ok := form["csrf_token"]; !ok && c.csrf != "" {
		form.Set("csrf_token", c.csrf)
	}
	return c.send("POST", path, form)
}

func (c *staffClient) send(method, path string, form url.Values) page {
	c.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, c.base+path, body)
	require.NoError(c.t, err)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := c.http.Do(req)
	require.NoError(c.t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(c.t, err)
	p := page{Status: resp.StatusCode, Location: resp.Header.Get("Location"), Body: string(raw)}
	if m := csrfInput.FindStringSubmatch(p.Body); m != nil {
		c.csrf = m[1]
	}
	return p
}

// signIn signs in through the form; it returns the answer of the POST.
func (c *staffClient) signIn(username, password string) page {
	c.t.Helper()
	c.get("/console/login")
	return c.post("/console/login", url.Values{"username": {username}, "password": {password}})
}

// mustSignIn signs in and reads the first page, taking its CSRF token.
func (c *staffClient) mustSignIn(username string) {
	c.t.Helper()
	p := c.signIn(username, stack.StaffPassword)
	require.Equal(c.t, http.StatusSeeOther, p.Status, p.Body)
	require.NotContains(c.t, p.Location, "/login")
	c.get(p.Location)
}

// auditCount counts audit entries of an action for a target.
func auditCount(t *testing.T, b *bundle, action, target string) int {
	t.Helper()
	var n int
	require.NoError(t, b.db.Pool().QueryRow(context.Background(),
		`SELECT count(*) FROM audit_log WHERE action = $1 AND target = $2`, action, target).Scan(&n))
	return n
}

// TestConsoleCSRF: a form posted without the session's CSRF token, or with
// a wrong one, is refused and changes nothing; the JSON API used with the
// session cookie needs the token in X-CSRF-Token for a write, exactly like a
// form; sign-in and sign-out are audited.
func TestConsoleCSRF(t *testing.T) {
	t.Parallel()
	b := setup(t, options{})
	b.AddStaff("xiaoli", "李专员", beian.RoleSpecialist)
	created := b.must(201, b.do("POST", "/api/v1/filings", tokSpecialist, personFiling("csrf-case.cn")))
	id := created.str("id")

	c := newStaffClient(t, b.api.URL)
	c.mustSignIn("xiaoli")
	require.Equal(t, 1, auditCount(t, b, "sign_in", "staff/xiaoli"))
	casePage := c.get("/console/filings/" + id)
	require.Equal(t, 200, casePage.Status)
	require.NotEmpty(t, c.csrf)

	// No token, then a wrong one: refused, the case stays as it was.
	p := c.post("/console/filings/"+id+"/withdraw", url.Values{"csrf_token": {""}, "reason": {"测试"}})
	require.Equal(t, http.StatusForbidden, p.Status)
	require.Contains(t, p.Body, "CSRF")
	p = c.post("/console/filings/"+id+"/withdraw", url.Values{"csrf_token": {"forged-token"}, "reason": {"测试"}})
	require.Equal(t, http.StatusForbidden, p.Status)
	require.Equal(t, "AWAITING_MATERIALS", b.must(200, b.do("GET", "/api/v1/filings/"+id, tokSpecialist, nil)).str("status"))

	// The JSON API with the session cookie: a read needs no token, a write does.
	apiReq := func(method, path, token string) int {
		req, err := http.NewRequest(method, b.api.URL+path, strings.NewReader(`{"reason":"测试"}`))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/json")
		if token != "" {
			req.Header.Set("X-CSRF-Token", token)
		}
		resp, err := c.http.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		return resp.StatusCode
	}
	require.Equal(t, 200, apiReq("GET", "/api/v1/filings/"+id, ""))
	require.Equal(t, 403, apiReq("POST", "/api/v1/filings/"+id+"/withdraw", ""))
	require.Equal(t, 403, apiReq("POST", "/api/v1/filings/"+id+"/withdraw", "forged-token"))
	require.Equal(t, "AWAITING_MATERIALS", b.must(200, b.do("GET", "/api/v1/filings/"+id, tokSpecialist, nil)).str("status"))

	// With the token the form works, and the actor is the username.
	p = c.post("/console/filings/"+id+"/withdraw", url.Values{"reason": {"用户要求撤回"}})
	require.Equal(t, http.StatusSeeOther, p.Status, p.Body)
	r := b.must(200, b.do("GET", "/api/v1/filings/"+id, tokSpecialist, nil))
	require.Equal(t, "WITHDRAWN", r.str("status"))
	last := r.get("timeline").([]any)
	require.Equal(t, "xiaoli", last[len(last)-1].(map[string]any)["actor"])

	// Security headers of every page.
	resp, err := c.http.Get(b.api.URL + "/console/")
	require.NoError(t, err)
	resp.Body.Close()
	csp := resp.Header.Get("Content-Security-Policy")
	require.Contains(t, csp, "script-src 'self'")
	require.NotContains(t, csp, "unsafe-inline")
	require.Equal(t, "DENY", resp.Header.Get("X-Frame-Options"))

	// The session cookie is HttpOnly and SameSite=Strict.
	login := newStaffClient(t, b.api.URL)
	login.get("/console/login")
	req, _ := http.NewRequest("POST", b.api.URL+"/console/login", strings.NewReader(url.Values{
		"username": {"xiaoli"}, "password": {stack.StaffPassword}, "csrf_token": {login.csrf},
	}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err = login.http.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	var cookie string
	for _, h := range resp.Header.Values("Set-Cookie") {
		if strings.HasPrefix(h, "beian_session=") {
			cookie = h
		}
	}
	require.Contains(t, cookie, "HttpOnly")
	require.Contains(t, cookie, "SameSite=Strict")

	// Sign-out ends the session: the cookie no longer opens a page.
	p = c.post("/console/logout", url.Values{})
	require.Equal(t, http.StatusSeeOther, p.Status)
	require.Contains(t, p.Location, "/console/login")
	p = c.get("/console/")
	require.Equal(t, http.StatusSeeOther, p.Status)
	require.Contains(t, p.Location, "/console/login")
	require.Equal(t, 1, auditCount(t, b, "sign_out", "staff/xiaoli"))
}

// TestConsoleSignInRateLimit: after five wrong passwords an account is
// slowed (even the right password waits), and an address that fails too
// often for many accounts is slowed for every account; each failure is audited.
func TestConsoleSignInRateLimit(t *testing.T) {
	t.Parallel()
	b := setup(t, options{})
	b.AddStaff("wangzg", "王主管", beian.RoleSupervisor)
	b.AddStaff("xiaoli", "李专员", beian.RoleSpecialist)
	c := newStaffClient(t, b.api.URL)
	for i := range 5 {
		p := c.signIn("wangzg", "wrong password "+string(rune('a'+i)))
		require.Equal(t, http.StatusUnauthorized, p.Status)
		require.Contains(t, p.Body, "用户名或密码错误")
	}
	p := c.signIn("wangzg", stack.StaffPassword)
	require.Equal(t, http.StatusTooManyRequests, p.Status, "the sixth try waits, right password or not")
	require.Contains(t, p.Body, "登录失败次数过多")
	require.Equal(t, 5, auditCount(t, b, "sign_in_failed", "staff/wangzg"))
	require.Contains(t, c.signIn("xiaoli", stack.StaffPassword).Location, "/console/", "another account from the same address still signs in")

	// Guesses sent at once are slowed too: of 12 parallel wrong passwords
	// for a fresh account only the first five are checked (R: the count,
	// the check and the record are one step per account).
	b.AddStaff("zhaozy", "赵专员", beian.RoleSpecialist)
	var wg sync.WaitGroup
	statuses := make([]int, 12)
	for i := range statuses {
		wg.Add(1)
		go func() {
			defer wg.Done()
			pc := newStaffClient(t, b.api.URL)
			statuses[i] = pc.signIn("zhaozy", fmt.Sprintf("parallel guess %d", i)).Status
		}()
	}
	wg.Wait()
	counts := map[int]int{}
	for _, st := range statuses {
		counts[st]++
	}
	require.Equal(t, map[int]int{http.StatusUnauthorized: 5, http.StatusTooManyRequests: 7}, counts)

	// An address: 20 failures over many names slow every account from it.
	c = newStaffClient(t, b.api.URL) // signed out, from the same address
	for i := range 10 {              // 5 + 5 failures above, 10 here: 20 from this address
		require.Equal(t, http.StatusUnauthorized, c.signIn("nobody"+string(rune('a'+i)), "guess").Status)
	}
	p = c.signIn("xiaoli", stack.StaffPassword)
	require.Equal(t, http.StatusTooManyRequests, p.Status, p.Body)
	require.Contains(t, p.Body, "登录失败次数过多")
}

// TestConsoleDisabledAccount: disabling an account ends its session at
// once, and it cannot sign in again; sessions also end after the idle timeout.
func TestConsoleDisabledAccount(t *testing.T) {
	t.Parallel()
	b := setup(t, options{SessionIdle: 3 * time.Second})
	b.AddStaff("xiaoli", "李专员", beian.RoleSpecialist)
	c := newStaffClient(t, b.api.URL)
	c.mustSignIn("xiaoli")
	require.Equal(t, 200, c.get("/console/").Status)

	b.must(200, b.do("PUT", "/api/v1/staff/xiaoli", tokAdmin, map[string]any{
		"name": "李专员", "role": "specialist", "email": "xiaoli@test.local", "disabled": true,
	}))
	p := c.get("/console/")
	require.Equal(t, http.StatusSeeOther, p.Status, "a disabled account's session ends")
	require.Contains(t, p.Location, "/console/login")
	p = c.signIn("xiaoli", stack.StaffPassword)
	require.Equal(t, http.StatusForbidden, p.Status)
	require.Contains(t, p.Body, "账号已停用")
	require.Equal(t, 1, auditCount(t, b, "sign_in_refused", "staff/xiaoli"))

	// Enabled again: signs in; idle past the timeout: signed out.
	b.must(200, b.do("PUT", "/api/v1/staff/xiaoli", tokAdmin, map[string]any{
		"name": "李专员", "role": "specialist", "email": "xiaoli@test.local", "disabled": false,
	}))
	c.mustSignIn("xiaoli")
	require.Equal(t, 200, c.get("/console/").Status)
	time.Sleep(3500 * time.Millisecond)
	p = c.get("/console/")
	require.Equal(t, http.StatusSeeOther, p.Status, "the idle timeout ends the session")
	require.Contains(t, p.Location, "/console/login?next=")
}

// TestStaffAPI: accounts over /api/v1/staff (admin only); the password is
// never returned; a new account signs in; the first admin comes from the
// bootstrap password.
func TestStaffAPI(t *testing.T) {
	t.Parallel()
	b := setup(t, options{})
	created, err := b.Desk.BootstrapAdmin(context.Background(), "bootstrap-secret-1")
	require.NoError(t, err)
	require.True(t, created, "no account yet: admin is created")
	again, err := b.Desk.BootstrapAdmin(context.Background(), "another-secret-2")
	require.NoError(t, err)
	require.False(t, again, "accounts exist: the bootstrap does nothing")
	c := newStaffClient(t, b.api.URL)
	p := c.signIn("admin", "bootstrap-secret-1")
	require.Equal(t, http.StatusSeeOther, p.Status, p.Body)

	b.must(403, b.do("GET", "/api/v1/staff", tokSupervisor, nil))
	r := b.must(201, b.do("POST", "/api/v1/staff", tokAdmin, map[string]any{
		"username": "Zhao", "name": "赵专员", "role": "specialist", "email": "zhao@test.local", "password": "first-password-1",
	}))
	require.Equal(t, "zhao", r.str("username"), "usernames are lower-case")
	require.NotContains(t, string(r.Raw), "password")
	require.NotContains(t, string(r.Raw), "argon2")
	r = b.must(422, b.do("POST", "/api/v1/staff", tokAdmin, map[string]any{
		"username": "qian", "name": "", "role": "king", "password": "short",
	}))
	require.Len(t, r.get("error", "violations").([]any), 3)
	b.must(409, b.do("POST", "/api/v1/staff", tokAdmin, map[string]any{
		"username": "zhao", "name": "赵", "role": "specialist", "password": "first-password-1",
	}))
	list := b.must(200, b.do("GET", "/api/v1/staff", tokAdmin, nil))
	require.Len(t, list.get("items").([]any), 2)
	require.NotContains(t, string(list.Raw), "argon2")

	z := newStaffClient(t, b.api.URL)
	require.Equal(t, http.StatusSeeOther, z.signIn("zhao", "first-password-1").Status)
	require.Equal(t, 200, z.get("/console/").Status)
	b.must(204, b.do("PUT", "/api/v1/staff/zhao/password", tokAdmin, map[string]any{"password": "second-password-2"}))
	require.Equal(t, http.StatusSeeOther, z.get("/console/").Status, "a new password ends the sessions")
	require.Equal(t, http.StatusUnauthorized, z.signIn("zhao", "first-password-1").Status)
	require.Equal(t, http.StatusSeeOther, z.signIn("zhao", "second-password-2").Status)
	b.must(204, b.do("DELETE", "/api/v1/staff/zhao", tokAdmin, nil))
	b.must(404, b.do("GET", "/api/v1/staff/zhao", tokAdmin, nil))
	require.Equal(t, 1, auditCount(t, b, "staff_create", "staff/zhao"))
	require.Equal(t, 1, auditCount(t, b, "staff_delete", "staff/zhao"))
}

// TestConsoleSignInCrowd: more sign-ins at once than the database pool has
// connections, from different addresses (through a trusted proxy), all
// finish: a sign-in waiting for its turn holds no connection another needs.
func TestConsoleSignInCrowd(t *testing.T) {
	t.Parallel()
	b := setup(t, options{})
	b.Desk.Config.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}
	const n = 24
	for i := range n {
		b.AddStaff(fmt.Sprintf("crowd%02d", i), "员工", beian.RoleSpecialist)
	}
	var wg sync.WaitGroup
	statuses := make([]int, n)
	start := time.Now()
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := newStaffClient(t, b.api.URL)
			c.get("/console/login")
			req, err := http.NewRequest("POST", b.api.URL+"/console/login", strings.NewReader(url.Values{
				"username": {fmt.Sprintf("crowd%02d", i)}, "password": {stack.StaffPassword}, "csrf_token": {c.csrf},
			}.Encode()))
			if err != nil {
				return
			}
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("X-Forwarded-For", fmt.Sprintf("203.0.113.%d", 10+i))
			resp, err := c.http.Do(req)
			if err != nil {
				return
			}
			resp.Body.Close()
			statuses[i] = resp.StatusCode
		}()
	}
	wg.Wait()
	for i, st := range statuses {
		require.Equal(t, http.StatusSeeOther, st, "sign-in %d", i)
	}
	require.Less(t, time.Since(start), 30*time.Second)
	var addrs int
	require.NoError(t, b.db.Pool().QueryRow(context.Background(),
		`SELECT count(DISTINCT addr) FROM staff_sessions WHERE addr LIKE '203.0.113.%'`).Scan(&addrs))
	require.Equal(t, n, addrs, "each session records the browser's address, not the proxy's")
}

// TestConsoleDoubleSave: pressing 保存 twice (the same form sent again)
// makes one case and leads to it.
func TestConsoleDoubleSave(t *testing.T) {
	t.Parallel()
	b := setup(t, options{})
	b.AddStaff("xiaoli", "李专员", beian.RoleSpecialist)
	c := newStaffClient(t, b.api.URL)
	c.mustSignIn("xiaoli")
	c.get("/console/filings/new")
	form := url.Values{
		"form_key": {"form-double-save"}, "do": {"save"}, "type": {"new"},
		"sponsor.kind": {"person"}, "sponsor.name": {"张三"}, "sponsor.cert_type": {"id_card"}, "sponsor.cert_number": {"11010519491231002X"},
		"sponsor.province": {"广东"}, "sponsor.city": {"广州"}, "sponsor.address": {"天河区1号"},
		"principal.name": {"张三"}, "principal.id_number": {"11010519491231002X"}, "principal.mobile": {"13800138000"}, "principal.email": {"zs@example.net"},
		"website.name": {"张三的笔记"}, "website.domains": {"double-save.cn"}, "website.server_ips": {"198.51.100.7"},
	}
	first := c.post("/console/filings/new", form)
	require.Equal(t, http.StatusSeeOther, first.Status, first.Body)
	again := c.post("/console/filings/new", form)
	require.Equal(t, http.StatusSeeOther, again.Status, "the second click is no conflict: %s", again.Body)
	require.Equal(t, first.Location, again.Location, "both lead to the one case")
	list := b.must(200, b.do("GET", "/api/v1/filings?domain=double-save.cn", tokSpecialist, nil))
	require.Len(t, list.get("items").([]any), 1)
}
