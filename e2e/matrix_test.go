package e2e_test

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/stretchr/testify/require"

	"github.com/beian/beian"
	"github.com/beian/beian/api"
	"github.com/beian/beian/console"
	"github.com/beian/beian/desk"
	"github.com/beian/beian/internal/stack"
)

// access is who may call a route: a set of roles (admin is written out,
// not implied), or anyone, without credentials.
type access uint8

const (
	sp     access = 1 << iota // specialist 备案专员
	su                        // supervisor 主管
	te                        // tech 技术部
	bu                        // bureau 管局接口
	ad                        // admin 管理员
	anyone                    // no credentials needed
)

// signedIn is every role: any staff member with a session.
const signedIn = sp | su | te | bu | ad

// routeMatrix is who may call what: every route of the REST API (as the
// OpenAPI document writes it) and every console page (as the console's
// ServeMux pattern writes it). TestRouteMatrix calls each with no
// credentials, with each role's API token and with each role's console
// session and holds the answers to this table; a route that is served but
// not here fails it, and so does a row here that nothing serves. The README
// shows this table (TestRouteMatrixREADME), so changing who may do what
// means changing it here, in plain sight of the reviewer.
var routeMatrix = []matrixRoute{
	// Probes and the document.
	{"GET", "/healthz", anyone},
	{"GET", "/readyz", anyone},
	{"GET", "/api/v1/openapi.json", anyone},
	{"GET", "/metrics", anyone}, // METRICS_TOKEN, when set, guards it (TestMetricsToken)

	// Cases (备案申请).
	{"POST", "/api/v1/filings/check", sp | su | ad},
	{"POST", "/api/v1/filings", sp | su | ad},
	{"GET", "/api/v1/filings", sp | su | bu | ad},
	{"GET", "/api/v1/filings/{id}", sp | su | bu | ad},
	{"POST", "/api/v1/filings/{id}/materials", sp | su | ad},
	{"POST", "/api/v1/filings/{id}/review", sp | su | ad},
	{"POST", "/api/v1/filings/{id}/corrections", sp | su | ad},
	{"POST", "/api/v1/filings/{id}/bureau-decision", sp | su | bu | ad},
	{"POST", "/api/v1/filings/{id}/withdraw", sp | su | ad},
	{"POST", "/api/v1/filings/{id}/rectification", sp | su | ad},
	{"POST", "/api/v1/filings/{id}/rectified", sp | su | ad},
	{"POST", "/api/v1/filings/{id}/restore-access", su | ad},
	{"POST", "/api/v1/filings/{id}/cancel-access", su | ad},
	{"POST", "/api/v1/filings/{id}/sms-verified", sp | su | ad},
	{"POST", "/api/v1/filings/{id}/public-security", sp | su | ad},
	{"GET", "/api/v1/filings/{id}/mails", sp | su | ad},
	{"GET", "/api/v1/filings/{id}/dns", sp | su | ad},
	{"GET", "/api/v1/filings/{id}/attachments/{attachment_id}", sp | su | ad},
	{"POST", "/api/v1/filings/{id}/attachments/{attachment_id}/checklist", sp | su | ad},
	{"GET", "/api/v1/filings/{id}/sweeps", sp | su | ad},
	{"POST", "/api/v1/filings/{id}/verification-calls", sp | su | ad},
	{"POST", "/api/v1/filings/{id}/false-data", su | ad},

	// The filing mailbox (备案邮箱).
	{"GET", "/api/v1/mailbox/messages", sp | su | ad},
	{"POST", "/api/v1/mailbox/messages/{id}/match", sp | su | ad},
	{"POST", "/api/v1/mailbox/messages/{id}/reply", sp | su | ad},

	// Shell-site sweeps (空壳网站排查).
	{"POST", "/api/v1/sweeps", su | ad},
	{"GET", "/api/v1/sweeps", sp | su | ad},
	{"GET", "/api/v1/sweeps/{id}", sp | su | ad},
	{"GET", "/api/v1/sweeps/{id}/report.xlsx", sp | su | ad},

	// Tasks and access actions (任务、接入操作).
	{"GET", "/api/v1/tasks", sp | su | ad},
	{"POST", "/api/v1/tasks/{id}/complete", sp | su | ad},
	{"GET", "/api/v1/access-actions", sp | su | te | ad},
	{"POST", "/api/v1/access-actions/{id}/confirm", te | ad},

	// Reference data (机房、工作日历、受理规则、黑名单、客户).
	{"GET", "/api/v1/datacenters", ad},
	{"PUT", "/api/v1/datacenters", ad},
	{"GET", "/api/v1/calendar/due", sp | su | te | bu | ad},
	{"GET", "/api/v1/calendar/days/{date}", sp | su | te | bu | ad},
	{"PUT", "/api/v1/calendar/days/{date}", ad},
	{"PUT", "/api/v1/calendar/years/{year}", ad},
	{"GET", "/api/v1/rules", su | ad},
	{"PUT", "/api/v1/rules", ad},
	{"DELETE", "/api/v1/rules", ad},
	{"GET", "/api/v1/blacklist", sp | su | ad},
	{"POST", "/api/v1/blacklist", su | ad},
	{"DELETE", "/api/v1/blacklist/{id}", su | ad},
	{"GET", "/api/v1/customers", ad},
	{"GET", "/api/v1/customers/{id}", ad},
	{"PUT", "/api/v1/customers/{id}", ad},
	{"POST", "/api/v1/imports/customers", ad},

	// Reports, templates and imports (报表).
	{"GET", "/api/v1/reports/expiring-products", sp | su | ad},
	{"GET", "/api/v1/reports/tracking.xlsx", sp | su | ad},
	{"GET", "/api/v1/reports/weekly", sp | su | ad},
	{"GET", "/api/v1/reports/weekly.xlsx", sp | su | ad},
	{"GET", "/api/v1/reports/registration-table.xlsx", sp | su | ad},
	{"GET", "/api/v1/templates/security-sheet.xlsx", sp | su | ad},
	{"GET", "/api/v1/templates/registration-form.xlsx", sp | su | ad},
	{"POST", "/api/v1/imports/registration-form", sp | su | ad},
	{"POST", "/api/v1/imports/security-sheet", su | ad},
	{"POST", "/api/v1/imports/security-sheet/{id}/confirm", su | ad},
	{"GET", "/api/v1/faq", sp | su | te | bu | ad},

	// Staff accounts (员工账号).
	{"GET", "/api/v1/staff", ad},
	{"POST", "/api/v1/staff", ad},
	{"GET", "/api/v1/staff/{username}", ad},
	{"PUT", "/api/v1/staff/{username}", ad},
	{"DELETE", "/api/v1/staff/{username}", ad},
	{"PUT", "/api/v1/staff/{username}/password", ad},

	// Charts (图表).
	{"GET", "/api/v1/stats/open-by-status", sp | su | ad},
	{"GET", "/api/v1/stats/open-by-province", sp | su | ad},
	{"GET", "/api/v1/stats/bureau-decisions", sp | su | ad},
	{"GET", "/api/v1/stats/bureau-days", sp | su | ad},
	{"GET", "/api/v1/stats/intake", sp | su | ad},

	// The audit trail (审计日志, issue 12 §3).
	{"GET", "/api/v1/audit", su | ad},

	// The console (工作台): sign-in and one's own account.
	{"GET", "/", anyone}, // leads to /console/
	{"GET", "/console", anyone},
	{"GET", "/console/static/", anyone},
	{"*", "/console/", anyone}, // any other path: the not-found page
	{"GET", "/console/login", anyone},
	{"POST", "/console/login", anyone},
	{"POST", "/console/logout", signedIn},
	{"GET", "/console/account", signedIn},
	{"POST", "/console/account/password", signedIn},

	// Console: cases.
	{"GET", "/console/{$}", sp | su | ad}, // 工作台
	{"GET", "/console/filings", sp | su | bu | ad},
	{"GET", "/console/filings/new", sp | su | ad},
	{"POST", "/console/filings/new", sp | su | ad},
	{"GET", "/console/filings/import", sp | su | ad},
	{"POST", "/console/filings/import", sp | su | ad},
	{"GET", "/console/filings/{id}", sp | su | bu | ad},
	{"GET", "/console/filings/{id}/correct", sp | su | ad},
	{"POST", "/console/filings/{id}/correct", sp | su | ad},
	{"POST", "/console/filings/{id}/bureau-decision", sp | su | bu | ad},
	{"POST", "/console/filings/{id}/bureau-received", sp | su | bu | ad},
	{"POST", "/console/filings/{id}/false-data", su | ad},
	{"POST", "/console/filings/{id}/materials", sp | su | ad},
	{"POST", "/console/filings/{id}/public-security", sp | su | ad},
	{"POST", "/console/filings/{id}/rectification", sp | su | ad},
	{"POST", "/console/filings/{id}/rectified", sp | su | ad},
	{"POST", "/console/filings/{id}/restore-access", su | ad},
	{"POST", "/console/filings/{id}/review", sp | su | ad},
	{"POST", "/console/filings/{id}/sms-verified", sp | su | ad},
	{"POST", "/console/filings/{id}/verification-call", sp | su | ad},
	{"POST", "/console/filings/{id}/withdraw", sp | su | ad},
	{"POST", "/console/filings/{id}/attachments/{aid}/checklist", sp | su | ad},

	// Console: the desk's work.
	{"GET", "/console/tasks", sp | su | ad},
	{"GET", "/console/tasks/{id}", sp | su | ad},
	{"POST", "/console/tasks/{id}/complete", sp | su | ad},
	{"GET", "/console/mail", sp | su | ad},
	{"GET", "/console/mail/{id}", sp | su | ad},
	{"POST", "/console/mail/{id}/reply", sp | su | ad},
	{"POST", "/console/mail/{id}/match", sp | su | ad},
	{"GET", "/console/rectifications", sp | su | ad},
	{"GET", "/console/sweeps", sp | su | ad},
	{"POST", "/console/sweeps", su | ad},
	{"GET", "/console/sweeps/{id}", sp | su | ad},
	{"GET", "/console/sheets", sp | su | ad},
	{"POST", "/console/sheets/security", su | ad},
	{"GET", "/console/sheets/security/{id}", su | ad},
	{"POST", "/console/sheets/security/{id}/confirm", su | ad},
	{"GET", "/console/reports/weekly", sp | su | ad},
	{"GET", "/console/access-actions", sp | su | te | ad},
	{"POST", "/console/access-actions/{id}/confirm", te | ad},
	{"GET", "/console/faq", sp | su | te | bu | ad},

	// Console: reference data and accounts.
	{"GET", "/console/blacklist", sp | su | ad},
	{"POST", "/console/blacklist", su | ad},
	{"POST", "/console/blacklist/{id}/delete", su | ad},
	{"GET", "/console/calendar", sp | su | ad},
	{"POST", "/console/calendar/days", ad},
	{"POST", "/console/calendar/years", ad},
	{"GET", "/console/datacenters", ad},
	{"POST", "/console/datacenters", ad},
	{"GET", "/console/rules", su | ad},
	{"POST", "/console/rules", ad},
	{"POST", "/console/rules/reset", ad},
	{"GET", "/console/customers", ad},
	{"POST", "/console/customers/import", ad},
	{"GET", "/console/staff", ad},
	{"POST", "/console/staff", ad},
	{"POST", "/console/staff/{username}", ad},
	{"POST", "/console/staff/{username}/password", ad},
	{"POST", "/console/staff/{username}/delete", ad},
	{"GET", "/console/audit", su | ad}, // issue 12 §3
}

// matrixRoute is one row of routeMatrix.
type matrixRoute struct {
	method, path string
	who          access
}

func (r matrixRoute) key() string { return r.method + " " + r.path }

// isConsole tells the console's pages (a ServeMux pattern) from the API's
// routes (an OpenAPI path); "GET /" is the API server's own redirect there.
func (r matrixRoute) isConsole() bool {
	return r.path == "/" || r.path == console.Base || strings.HasPrefix(r.path, console.Base+"/")
}

// matrixRole is a role, its bit in access and its test API token.
type matrixRole struct {
	role  string
	bit   access
	token string
}

// matrixRoles are the roles in the order of the table's columns.
var matrixRoles = []matrixRole{
	{beian.RoleSpecialist, sp, stack.TokSpecialist},
	{beian.RoleSupervisor, su, stack.TokSupervisor},
	{beian.RoleTech, te, stack.TokTech},
	{beian.RoleBureau, bu, stack.TokBureau},
	{beian.RoleAdmin, ad, stack.TokAdmin},
}

// Placeholders for path parameters: nothing has these IDs, so an allowed
// write is refused by its handler (404, or 400/422 on the body) and changes
// nothing, while a refused role never reaches the handler at all. (The
// console's case pages are the exception: see matrixURL.)
var matrixParams = map[string]string{
	"id":            "00000000-0000-4000-8000-00000000a11c",
	"attachment_id": "00000000-0000-4000-8000-00000000a77a",
	"aid":           "00000000-0000-4000-8000-00000000a77a",
	"username":      "matrix-nobody",
	"date":          "2026-01-01",
	"year":          "2026",
}

// matrixBody is the JSON body of every API write: a string where each
// handler wants an object or an array (or a file), so no handler that reads
// its body acts on it. The few writes without a body (start a sweep, reset
// the rules) act, on the test's own database.
const matrixBody = `"route-matrix: not a body any handler accepts"`

// matrixForms are console forms that would change something if posted
// empty; each is made invalid so the page re-renders with the error.
var matrixForms = map[string]url.Values{
	// Right current password, too short a new one: 422, no failed sign-in counted.
	"POST /console/account/password": {"current": {stack.StaffPassword}, "password": {"short"}, "password2": {"short"}},
	// Not a line of name|province|provider|mailbox|CIDRs: empty would replace the list with nothing.
	"POST /console/datacenters": {"datacentres": {"route-matrix"}},
	// These pages check that the form is filled in before desk checks the
	// role, so an empty form would show a refused role a 422: filled in
	// with what no workflow accepts, the role is checked and an allowed
	// one refused by the case (422, 409).
	"POST /console/filings/{id}/materials":       {"received": {"ROUTE_MATRIX"}},
	"POST /console/filings/{id}/review":          {"result": {"route-matrix"}},
	"POST /console/filings/{id}/public-security": {"number": {"route-matrix"}},
}

// matrixProbes are the concrete paths of patterns that name no one page.
var matrixProbes = map[string]string{
	"GET /console/static/": "/console/static/app.css",
	"* /console/":          "/console/no-such-page",
	"GET /console/{$}":     "/console/",
}

// matrixURL is the path a row is called at. The console's case pages
// are called on caseID, a real case: they show a refusal on the case's
// own page, so without a case every answer would be its 404.
func matrixURL(r matrixRoute, caseID string) string {
	if p, ok := matrixProbes[r.key()]; ok {
		return p
	}
	if p, ok := strings.CutPrefix(r.path, console.Base+"/filings/{id}"); ok {
		r.path = console.Base + "/filings/" + caseID + p
	}
	return matrixParam.ReplaceAllStringFunc(r.path, func(m string) string {
		v, ok := matrixParams[strings.Trim(m, "{}")]
		if !ok {
			panic("route matrix: no placeholder for " + m + " in " + r.path)
		}
		return v
	})
}

var matrixParam = regexp.MustCompile(`\{[a-z_]+\}`)

// matrixCaller is who calls: nobody, an API token or a console session.
type matrixCaller struct {
	name    string
	role    string // "" for nobody
	token   string // Authorization: Bearer
	session string // the console's session cookie
	csrf    string // the session's CSRF token
}

// outcome is what an answer shows of authorization.
type outcome string

const (
	passed     outcome = "passed"    // authorization let the call through
	needSignIn outcome = "sign-in"   // 401, or the console's redirect to its sign-in page
	refused    outcome = "forbidden" // 403
	brokenUp   outcome = "broken"    // 5xx or anything no route should answer
)

// TestRouteMatrix: every route of the REST API and every console page is in
// routeMatrix, and answers each caller as the table says: without
// credentials 401 (the console: its sign-in page), with a role not in the
// row 403, with a role in it anything that shows the call got past
// authorization (2xx, a redirect, or 400/404/409/415/422 from a handler
// given a placeholder ID or an invalid body), never a 5xx. A role's console
// session is held to the same row as its token on the API; a token opens no
// console page.
func TestRouteMatrix(t *testing.T) {
	t.Parallel()
	b := setup(t, options{})
	discard := slog.New(slog.NewTextHandler(io.Discard, nil))
	// A server of its own over the stack's services, with /metrics and the
	// console, so the routes it lists are the routes it serves.
	cons := console.New(b.Desk, discard)
	srv := api.New(api.Deps{
		Desk: b.Desk, Logger: discard, Metrics: promhttp.Handler(), Console: cons,
		Tokens: []api.Token{
			{Name: "矩阵专员", Role: api.RoleSpecialist, Token: stack.TokSpecialist},
			{Name: "矩阵主管", Role: api.RoleSupervisor, Token: stack.TokSupervisor},
			{Name: "矩阵技术部", Role: api.RoleTech, Token: stack.TokTech},
			{Name: "矩阵管局接口", Role: api.RoleBureau, Token: stack.TokBureau},
			{Name: "矩阵管理员", Role: api.RoleAdmin, Token: stack.TokAdmin},
		},
	})
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)

	t.Run("every route is in the table", func(t *testing.T) {
		served := servedRoutes(t, hs.URL, srv, cons)
		var missing, stale []string
		inTable := map[string]bool{}
		for _, r := range routeMatrix {
			require.False(t, inTable[r.key()], "%s is in the table twice", r.key())
			inTable[r.key()] = true
			if !served[r.key()] {
				stale = append(stale, r.key())
			}
		}
		for k := range served {
			if !inTable[k] {
				missing = append(missing, k)
			}
		}
		slices.Sort(missing)
		assertEmpty(t, missing, "served but not in routeMatrix (e2e/matrix_test.go): say who may call each")
		assertEmpty(t, stale, "in routeMatrix but served by nothing: remove the row, or register the route")
	})

	t.Run("the OpenAPI document names the table's roles", func(t *testing.T) {
		documented := documentedRoles(t, hs.URL)
		for _, r := range routeMatrix {
			if r.isConsole() {
				continue
			}
			doc, ok := documented[r.key()]
			if !ok {
				continue // reported by the test above
			}
			want := r.who
			if want != anyone {
				want |= ad // the document says "admin 可执行全部操作" once for all
			}
			if doc != want {
				t.Errorf("%s: openapi.json says %s, the table says %s", r.key(), describe(doc), describe(r.who))
			}
		}
	})

	callers := []matrixCaller{{name: "no credentials"}}
	for _, mr := range matrixRoles {
		callers = append(callers, matrixCaller{name: mr.role + " token", role: mr.role, token: mr.token})
	}
	for _, mr := range matrixRoles {
		b.AddStaff("matrix-"+mr.role, "矩阵"+beian.RoleTitle(mr.role), mr.role)
		tok, csrf := consoleSession(t, hs.URL, "matrix-"+mr.role)
		callers = append(callers, matrixCaller{name: mr.role + " session", role: mr.role, session: tok, csrf: csrf})
	}
	b.AddStaff("matrix-login", "矩阵登录", beian.RoleSpecialist)
	// The throwaway case of the console's case pages: an allowed role's
	// form is refused by the workflow or changes only this case (the
	// specialist's 撤回 withdraws it; the actions after that answer 409).
	caseID := b.must(http.StatusCreated, b.do("POST", "/api/v1/filings", tokSpecialist, personFiling("route-matrix.example.cn"))).str("id")

	t.Run("the menu shows each role only pages it may open", func(t *testing.T) {
		rows := map[string]matrixRoute{}
		for _, r := range routeMatrix {
			rows[r.key()] = r
		}
		for _, c := range callers {
			if c.session == "" {
				continue
			}
			_, _, body := callRoute(t, hs.URL, "", rows["GET /console/account"], c)
			menu := consoleMenu.FindStringSubmatch(body)
			require.NotNil(t, menu, "%s: the account page has no menu", c.name)
			links := menuLink.FindAllStringSubmatch(menu[1], -1)
			require.NotEmpty(t, links, "%s: an empty menu", c.name)
			for _, l := range links {
				k := "GET " + l[1]
				if l[1] == console.Base+"/" {
					k = "GET " + console.Base + "/{$}"
				}
				r, ok := rows[k]
				if !ok {
					t.Errorf("%s: the menu links %s, which is not in the table", c.name, l[1])
					continue
				}
				if expected(r, c) != passed {
					t.Errorf("%s: the menu links %s, which the table refuses the role", c.name, l[1])
				}
			}
		}
	})

	t.Run("every caller gets what the table says", func(t *testing.T) {
		for _, r := range routeMatrix {
			for _, c := range callers {
				if r.path == "/console/logout" && c.session != "" {
					// Signing out ends the session: sign out one of its own.
					c.session, c.csrf = consoleSession(t, hs.URL, "matrix-"+c.role)
				}
				want := expected(r, c)
				status, loc, body := callRoute(t, hs.URL, caseID, r, c)
				got := observed(status, loc)
				if got != want {
					t.Errorf("%s as %s: want %s, got %d %s%s", r.key(), c.name, want, status, loc, snippet(body))
				} else if testing.Verbose() {
					t.Logf("%s as %s: %d %s", r.key(), c.name, status, loc)
				}
			}
		}
	})
}

// consoleMenu is the layout's menu; menuLink one entry of it.
var (
	consoleMenu = regexp.MustCompile(`(?s)<nav class="menu">(.*?)</nav>`)
	menuLink    = regexp.MustCompile(`href="([^"]+)"`)
)

// expected is the outcome the table promises caller c on route r.
func expected(r matrixRoute, c matrixCaller) outcome {
	switch {
	case r.who == anyone:
		return passed
	case c.role == "":
		return needSignIn
	case r.isConsole() && c.session == "":
		return needSignIn // an API token is no console session
	}
	for _, mr := range matrixRoles {
		if mr.role == c.role && r.who&mr.bit != 0 {
			return passed
		}
	}
	return refused
}

// observed is the outcome an answer shows.
func observed(status int, location string) outcome {
	switch {
	case status == http.StatusUnauthorized:
		return needSignIn
	case status == http.StatusForbidden:
		return refused
	case status >= 500:
		return brokenUp
	case status == http.StatusFound || status == http.StatusSeeOther:
		if location == console.Base+"/login" || strings.HasPrefix(location, console.Base+"/login?next=") {
			return needSignIn
		}
		return passed
	case status >= 200 && status < 300, slices.Contains([]int{400, 404, 409, 413, 415, 422}, status):
		return passed
	}
	return brokenUp
}

// callRoute calls route r as caller c; it returns the status, the
// redirect's target and the start of the body.
func callRoute(t *testing.T, base, caseID string, r matrixRoute, c matrixCaller) (int, string, string) {
	t.Helper()
	method := r.method
	if method == "*" {
		method = http.MethodGet
	}
	var body io.Reader
	var contentType string
	form := url.Values{}
	switch {
	case r.key() == "POST /console/login":
		// Anyone may sign in: a real account with the sign-in form's own
		// CSRF token (a cookie and the same value in the form).
		form = url.Values{"username": {"matrix-login"}, "password": {stack.StaffPassword}, "csrf_token": {"matrix-login-form"}}
	case r.isConsole() && method == http.MethodPost:
		if f, ok := matrixForms[r.key()]; ok {
			for k, vs := range f {
				form[k] = vs
			}
		}
		if c.csrf != "" {
			form.Set("csrf_token", c.csrf)
		}
	case method != http.MethodGet:
		body, contentType = strings.NewReader(matrixBody), "application/json"
	}
	if method == http.MethodPost && r.isConsole() {
		body, contentType = strings.NewReader(form.Encode()), "application/x-www-form-urlencoded"
	}
	req, err := http.NewRequest(method, base+matrixURL(r, caseID), body)
	require.NoError(t, err)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	if c.session != "" {
		req.AddCookie(&http.Cookie{Name: desk.SessionCookie, Value: c.session})
		if method != http.MethodGet && !r.isConsole() {
			req.Header.Set("X-CSRF-Token", c.csrf) // as the console's own scripts send it
		}
	}
	if r.key() == "POST /console/login" {
		req.AddCookie(&http.Cookie{Name: "beian_login_csrf", Value: "matrix-login-form"})
	}
	resp, err := matrixHTTP.Do(req)
	require.NoError(t, err, r.key())
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	return resp.StatusCode, resp.Header.Get("Location"), string(raw)
}

// matrixHTTP follows no redirect (a redirect to the sign-in page is an
// answer) and keeps no cookie (each call carries its caller's own).
var matrixHTTP = &http.Client{
	Timeout:       60 * time.Second,
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

// consoleSession signs username in through the console's form and returns
// the session cookie's value and the session's CSRF token.
func consoleSession(t *testing.T, base, username string) (token, csrf string) {
	t.Helper()
	c := newStaffClient(t, base)
	c.mustSignIn(username)
	u, err := url.Parse(base + "/")
	require.NoError(t, err)
	for _, ck := range c.http.Jar.Cookies(u) {
		if ck.Name == desk.SessionCookie {
			token = ck.Value
		}
	}
	require.NotEmpty(t, token, "no session cookie after signing in %s", username)
	require.NotEmpty(t, c.csrf, "no CSRF token on the first page of %s", username)
	return token, c.csrf
}

// servedRoutes is every route the server answers, as the table keys them:
// the operations of openapi.json, the routes Echo has registered, and the
// console's pages (console.Routes). A route Echo serves that the document
// leaves out fails the test here, as does an operation nothing serves.
func servedRoutes(t *testing.T, base string, srv *api.Server, cons *console.Console) map[string]bool {
	t.Helper()
	documented := documentedRoles(t, base)
	served := map[string]bool{}
	for k := range documented {
		served[k] = true
	}
	registered := map[string]bool{}
	var undocumented []string
	for _, rt := range srv.Routes() {
		method, path := rt[0], rt[1]
		switch {
		case method == "echo_route_not_found":
			continue // Echo's own not-found routes of a group (401 under /api/v1)
		case path == console.Base || path == console.Base+"/*":
			continue // the console's mount: its pages come from console.Routes
		case path == "/":
			served[method+" /"] = true // the redirect to the console
			continue
		}
		k := method + " " + openAPIPath(path)
		registered[k] = true
		if _, ok := documented[k]; !ok {
			undocumented = append(undocumented, k)
		}
	}
	slices.Sort(undocumented)
	assertEmpty(t, undocumented, "registered with Echo but not in openapi.json (api/openapi.go operations)")
	var unserved []string
	for k := range documented {
		if !registered[k] {
			unserved = append(unserved, k)
		}
	}
	slices.Sort(unserved)
	assertEmpty(t, unserved, "in openapi.json but not registered with Echo")
	for _, p := range cons.Routes() {
		method, path, ok := strings.Cut(p, " ")
		if !ok {
			method, path = "*", p // a pattern for every method
		}
		served[method+" "+path] = true
	}
	return served
}

// documentedRoles reads openapi.json: its operations and the roles each
// names ("角色：specialist supervisor（admin 可执行全部操作）"; none: anyone).
func documentedRoles(t *testing.T, base string) map[string]access {
	t.Helper()
	resp, err := matrixHTTP.Get(base + "/api/v1/openapi.json")
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var doc struct {
		Paths map[string]map[string]struct {
			Description string `json:"description"`
			Security    []any  `json:"security"`
		} `json:"paths"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&doc))
	out := map[string]access{}
	for p, ops := range doc.Paths {
		for m, o := range ops {
			k := strings.ToUpper(m) + " " + p
			if len(o.Security) == 0 {
				out[k] = anyone
				continue
			}
			names, _, _ := strings.Cut(strings.TrimPrefix(o.Description, "角色："), "（")
			var who access
			for _, n := range strings.Fields(names) {
				i := slices.IndexFunc(matrixRoles, func(r matrixRole) bool { return r.role == n })
				require.GreaterOrEqual(t, i, 0, "%s: openapi.json names an unknown role %q", k, n)
				who |= matrixRoles[i].bit
			}
			out[k] = who | ad
		}
	}
	return out
}

// openAPIPath writes Echo's /filings/:id as OpenAPI's /filings/{id}.
func openAPIPath(p string) string {
	parts := strings.Split(p, "/")
	for i, s := range parts {
		if strings.HasPrefix(s, ":") {
			parts[i] = "{" + s[1:] + "}"
		}
	}
	return strings.Join(parts, "/")
}

func describe(a access) string {
	if a == anyone {
		return "anyone"
	}
	var out []string
	for _, mr := range matrixRoles {
		if a&mr.bit != 0 {
			out = append(out, mr.role)
		}
	}
	return strings.Join(out, " ")
}

func assertEmpty(t *testing.T, list []string, what string) {
	t.Helper()
	if len(list) > 0 {
		t.Errorf("%s:\n  %s", what, strings.Join(list, "\n  "))
	}
}

func snippet(body string) string {
	body = strings.Join(strings.Fields(body), " ")
	if len(body) > 300 {
		body = body[:300] + "…"
	}
	if body == "" {
		return ""
	}
	return " — " + body
}

// The README's section of the table.
const (
	matrixBegin = "<!-- route-matrix:begin -->"
	matrixEnd   = "<!-- route-matrix:end -->"
)

// TestRouteMatrixREADME: the README's route × role table is routeMatrix as
// renderMatrix writes it. With BEIAN_UPDATE_README=1 the test rewrites the
// section instead of failing.
func TestRouteMatrixREADME(t *testing.T) {
	t.Parallel()
	const readme = "../README.md"
	raw, err := os.ReadFile(readme)
	require.NoError(t, err)
	text := string(raw)
	want := matrixBegin + "\n" + renderMatrix() + matrixEnd
	i, j := strings.Index(text, matrixBegin), strings.Index(text, matrixEnd)
	if i >= 0 && j > i && text[i:j+len(matrixEnd)] == want {
		return
	}
	if os.Getenv("BEIAN_UPDATE_README") == "1" {
		require.True(t, i >= 0 && j > i, "README.md has no %s … %s section to rewrite: add the two markers where the table goes", matrixBegin, matrixEnd)
		require.NoError(t, os.WriteFile(readme, []byte(text[:i]+want+text[j+len(matrixEnd):]), 0o644))
		t.Logf("rewrote the route × role table in %s", readme)
		return
	}
	if i < 0 || j < i {
		t.Fatalf("README.md has no %s … %s section; it should read:\n\n%s", matrixBegin, matrixEnd, want)
	}
	t.Fatalf("README.md's route × role table is not routeMatrix (e2e/matrix_test.go); run with BEIAN_UPDATE_README=1 to rewrite it, or paste:\n\n%s", want)
}

// renderMatrix writes routeMatrix as the README's markdown: the API's
// routes, then the console's pages, each in the table's order.
func renderMatrix() string {
	var sb strings.Builder
	sb.WriteString("\n_Generated from `routeMatrix` in `e2e/matrix_test.go`; `TestRouteMatrix` calls every route with no\n" +
		"credentials, with each role's API token and with each role's console session and holds the answers\n" +
		"to it. ✓ passes authorization; **401** is the API's answer without a valid token; **sign-in** is the\n" +
		"console's redirect to its sign-in page; **403** refuses the role. An API token opens no console page;\n" +
		"a console session is held to its role's column on the API too (writes with `X-CSRF-Token`).\n" +
		"`/metrics` needs `METRICS_TOKEN` when one is set._\n")
	table := func(title string, console bool) {
		fmt.Fprintf(&sb, "\n%s\n\n| Route | no credentials |", title)
		for _, mr := range matrixRoles {
			fmt.Fprintf(&sb, " %s %s |", mr.role, beian.RoleTitle(mr.role))
		}
		sb.WriteString("\n| --- | --- |")
		for range matrixRoles {
			sb.WriteString(" --- |")
		}
		sb.WriteString("\n")
		for _, r := range routeMatrix {
			if r.isConsole() != console {
				continue
			}
			none := "401"
			if console {
				none = "sign-in"
			}
			if r.who == anyone {
				none = "✓"
			}
			fmt.Fprintf(&sb, "| `%s %s` | %s |", r.method, r.path, none)
			for _, mr := range matrixRoles {
				cell := "403"
				if r.who == anyone || r.who&mr.bit != 0 {
					cell = "✓"
				}
				fmt.Fprintf(&sb, " %s |", cell)
			}
			sb.WriteString("\n")
		}
	}
	table("**REST API** (`/api/v1`, as `GET /api/v1/openapi.json` documents it):", false)
	table("**Console** (工作台, `/console`, as its `http.ServeMux` patterns write them; `{$}` is the page at `/console/` itself, `* /console/` any other path, the not-found page):", true)
	sb.WriteString("\n")
	return sb.String()
}
