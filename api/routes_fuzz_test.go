package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"go.temporal.io/api/serviceerror"

	"github.com/beian/beian"
	"github.com/beian/beian/api"
	"github.com/beian/beian/console"
	"github.com/beian/beian/desk"
	"github.com/beian/beian/internal/stack"
	"github.com/beian/beian/postgres"
	"github.com/beian/beian/postgres/pgtest"
	"github.com/beian/beian/secret"
	"github.com/beian/beian/workflows"
)

// temporalDown is Temporal unreachable as the SDK reports it (gRPC
// Unavailable, which the API answers 503), for every call.
type temporalDown struct{}

var errUnavailable = serviceerror.NewUnavailable("connection refused")

func (temporalDown) Start(context.Context, workflows.FilingInput) error { return errUnavailable }

func (temporalDown) Act(context.Context, string, beian.Action, workflows.ActionRequest, string) (workflows.State, error) {
	return workflows.State{}, errUnavailable
}

func (temporalDown) Signal(context.Context, string, workflows.ActionRequest) error {
	return errUnavailable
}

// limitsServer is the API with the console on a database of its own,
// Temporal down, as setupPG but for a fuzz target as well.
func limitsServer(tb testing.TB) (*api.Server, *postgres.DB) {
	tb.Helper()
	db := pgtest.New(tb)
	ctx := tb.Context()
	require.NoError(tb, db.ReplaceDataCentres(ctx, stack.DataCentres(), "test"))
	require.NoError(tb, db.PutCustomers(ctx, stack.Customers(), "test"))
	box, err := secret.NewBox("api test key, long enough to stretch")
	require.NoError(tb, err)
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	svc := &desk.Service{Store: db, Engine: temporalDown{}, Box: box, Rules: desk.StoredRules(db), Logger: logger}
	s := api.New(api.Deps{
		Desk:   svc,
		Tokens: []api.Token{{Name: "admin", Role: api.RoleAdmin, Token: stack.TokAdmin}},
		Logger: logger, Console: console.New(svc, logger),
	})
	return s, db
}

// onlyReader hides a body's length: the request is sent chunked.
type onlyReader struct{ io.Reader }

func countRows(t *testing.T, db *postgres.DB, table string) int {
	t.Helper()
	var n int
	require.NoError(t, db.Pool().QueryRow(t.Context(), "SELECT count(*) FROM "+table).Scan(&n))
	return n
}

// TestBodyLimits: a body over its route's limit is a 413 TOO_LARGE in
// Chinese whether its length is announced or not, an upload may be larger
// only on the import routes, a JSON body out of the bounds of limits.go
// is a 400 naming the field, the console answers its own 413 page, and
// nothing is saved by any of them (issue 12 §6).
func TestBodyLimits(t *testing.T) {
	t.Parallel()
	s, db := limitsServer(t)
	serve := func(req *http.Request) (*httptest.ResponseRecorder, map[string]any) {
		t.Helper()
		req.Header.Set("Authorization", "Bearer "+stack.TokAdmin)
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		var body map[string]any
		if strings.HasPrefix(rec.Header().Get("Content-Type"), "application/json") {
			require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &body), rec.Body.String())
		}
		return rec, body
	}
	errOf := func(body map[string]any) map[string]any {
		t.Helper()
		require.Contains(t, body, "error")
		return body["error"].(map[string]any)
	}

	// A filing with a 2 MiB site name: announced, and chunked.
	f := stack.PersonFiling("limits.cn")
	f["website"].(map[string]any)["name"] = strings.Repeat("网", 700_000)
	big, err := json.Marshal(f)
	require.NoError(t, err)
	require.Greater(t, len(big), 2<<20)
	for _, chunked := range []bool{false, true} {
		var body io.Reader = bytes.NewReader(big)
		if chunked {
			body = onlyReader{body}
		}
		for _, key := range []string{"", "limits-1"} {
			req := httptest.NewRequest("POST", "/api/v1/filings", body)
			req.Header.Set("Content-Type", "application/json")
			if key != "" {
				req.Header.Set("Idempotency-Key", key)
			}
			rec, out := serve(req)
			require.Equal(t, http.StatusRequestEntityTooLarge, rec.Code, "chunked %v key %q: %s", chunked, key, rec.Body.String())
			require.Equal(t, "TOO_LARGE", errOf(out)["code"])
			require.Equal(t, "请求体超过 1 MiB", errOf(out)["message"])
			body = bytes.NewReader(big)
			if chunked {
				body = onlyReader{body}
			}
		}
	}
	// An upload's limit is the import routes' only: a 2 MiB multipart body
	// to a JSON route is refused as a JSON body would be.
	var mp bytes.Buffer
	w := multipart.NewWriter(&mp)
	fw, err := w.CreateFormFile("file", "x.xlsx")
	require.NoError(t, err)
	_, err = fw.Write(bytes.Repeat([]byte("x"), 2<<20))
	require.NoError(t, err)
	require.NoError(t, w.Close())
	req := httptest.NewRequest("PUT", "/api/v1/rules", bytes.NewReader(mp.Bytes()))
	req.Header.Set("Content-Type", w.FormDataContentType())
	rec, out := serve(req)
	require.Equal(t, http.StatusRequestEntityTooLarge, rec.Code, rec.Body.String())
	require.Equal(t, "TOO_LARGE", errOf(out)["code"])

	// Inside the size, outside the shape: the field is named.
	for _, tc := range []struct{ path, field, code string }{
		{"website.name", "website.name", api.CodeStringTooLong},
		{"sponsor.name", "sponsor.name", api.CodeNULInString},
	} {
		f := stack.PersonFiling("shape.cn")
		part, key, _ := strings.Cut(tc.path, ".")
		if tc.code == api.CodeNULInString {
			f[part].(map[string]any)[key] = "张\x00三"
		} else {
			f[part].(map[string]any)[key] = strings.Repeat("x", 65<<10)
		}
		b, err := json.Marshal(f)
		require.NoError(t, err)
		req := httptest.NewRequest("POST", "/api/v1/filings", bytes.NewReader(b))
		req.Header.Set("Content-Type", "application/json")
		rec, out := serve(req)
		require.Equal(t, http.StatusBadRequest, rec.Code, rec.Body.String())
		e := errOf(out)
		require.Equal(t, "INVALID", e["code"])
		require.Contains(t, e["message"], tc.field)
		v := e["violations"].([]any)
		require.Len(t, v, 1)
		require.Equal(t, tc.code, v[0].(map[string]any)["code"])
		require.Equal(t, tc.field, v[0].(map[string]any)["field"])
	}
	deep := `{"website":` + strings.Repeat(`{"a":`, 40) + "1" + strings.Repeat("}", 41)
	req = httptest.NewRequest("POST", "/api/v1/filings/check", strings.NewReader(deep))
	req.Header.Set("Content-Type", "application/json")
	rec, out = serve(req)
	require.Equal(t, http.StatusBadRequest, rec.Code, rec.Body.String())
	require.Equal(t, api.CodeJSONTooDeep, errOf(out)["violations"].([]any)[0].(map[string]any)["code"])

	// Query values and path parameters the store could not compare: 400.
	for _, u := range []string{"/api/v1/filings?q=%00", "/api/v1/filings?domain=%ff%fe", "/api/v1/tasks?kind=a%00",
		"/api/v1/customers/%00", "/api/v1/filings?cursor=" + strings.Repeat("A", 5000)} {
		rec, out := serve(httptest.NewRequest("GET", u, nil))
		require.Equal(t, http.StatusBadRequest, rec.Code, "%s: %s", u, rec.Body.String())
		require.Equal(t, "INVALID", errOf(out)["code"], u)
		require.Regexp(t, `(查询|路径)参数 (q|domain|kind|id|cursor) `, errOf(out)["message"], u)
	}
	// The console: the same in a query or a form is a 400 page, before
	// anything is looked up.
	for _, req := range []*http.Request{
		httptest.NewRequest("GET", "/console/filings?q=%00", nil),
		httptest.NewRequest("POST", "/console/login", strings.NewReader("username=a%00&password=x")),
	} {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		require.Equal(t, http.StatusBadRequest, rec.Code, "%s %s: %s", req.Method, req.URL, rec.Body.String())
		require.Contains(t, rec.Body.String(), "含有无效字符")
	}

	// The console: a sign-in form of 2 MiB is a 413 page in Chinese.
	req = httptest.NewRequest("POST", "/console/login", strings.NewReader("username=a&password="+strings.Repeat("x", 2<<20)))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	rec = httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	require.Equal(t, http.StatusRequestEntityTooLarge, rec.Code)
	require.Contains(t, rec.Header().Get("Content-Type"), "text/html")
	require.Contains(t, rec.Body.String(), "表单超过 1 MiB")

	require.Zero(t, countRows(t, db, "cases"), "nothing saved")
}

// writeRoutes are the API's routes that take a body (every POST, PUT and
// DELETE but the uploads, which FuzzReadCustomers & co. cover), in the
// order the server lists them, each with a path whose parameters are
// filled in: a new route is fuzzed without being added here.
func writeRoutes(s *api.Server, caseID string) []string {
	return apiRoutes(s, caseID, "POST", "PUT", "DELETE")
}

// apiRoutes are the /api/v1 routes of the methods, parameters filled in.
func apiRoutes(s *api.Server, caseID string, methods ...string) []string {
	param := regexp.MustCompile(`:[a-z_]+`)
	values := map[string]string{":id": caseID, ":username": "fuzzed", ":date": "2026-10-01", ":year": "2026"}
	var out []string
	for _, r := range s.Routes() {
		m, p := r[0], r[1]
		if !slices.Contains(methods, m) || !strings.HasPrefix(p, "/api/v1/") ||
			(strings.HasPrefix(p, "/api/v1/imports/") && !strings.HasSuffix(p, "/confirm")) {
			continue
		}
		out = append(out, m+" "+param.ReplaceAllStringFunc(p, func(k string) string {
			if v, ok := values[k]; ok {
				return v
			}
			return "x"
		}))
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// FuzzWriteRoutes sends any body to every write route of the API as an
// admin (who may call them all), on real PostgreSQL with Temporal down:
// no answer is a 500, and every error is the API's one error shape with a
// code and a Chinese message. The body reaches each handler's own checks
// and conversions, and the desk and the store behind them.
func FuzzWriteRoutes(f *testing.F) {
	s, _ := limitsServer(f)
	serve := func(method, path string, body []byte) *httptest.ResponseRecorder {
		req := httptest.NewRequest(method, path, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+stack.TokAdmin)
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		return rec
	}
	created, err := json.Marshal(stack.PersonFiling("fuzz-routes.cn"))
	require.NoError(f, err)
	rec := serve("POST", "/api/v1/filings", created)
	require.Equal(f, http.StatusAccepted, rec.Code, rec.Body.String())
	var cs struct{ ID string }
	require.NoError(f, json.Unmarshal(rec.Body.Bytes(), &cs))
	routes := writeRoutes(s, cs.ID)
	require.Greater(f, len(routes), 30, "the write routes of api/server.go")

	// Seeds: the bodies the API's tests send, to each route in turn.
	seeds := []string{
		string(created), `{}`, `{"reason":"资料不全，请补充"}`, `{"note":"已处理"}`,
		`{"decision":"approved","filing_number":"粤ICP备12345678号-1"}`, `{"decision":"rejected","reason":"主体信息不符"}`,
		`{"sponsor":{"name":"李四"}}`, `{"username":"fuzzed","name":"模糊","role":"specialist","password":"a long enough password"}`,
		`{"password":"another long password"}`, `{"kind":"holiday","note":"国庆"}`, `{"days":[]}`,
		`[{"name":"苏州机房","province":"江苏省","access_provider":"电信","mailbox":"JSBA","cidrs":["198.51.100.0/24"]}]`,
		`{"id":"C-9","name":"客户","products":[]}`, `{"kind":"cert","value":"11010519491231002X","reason":"虚假资料"}`,
		`{"outcome":"answered","checks":[]}`, `{"filing_id":"` + cs.ID + `"}`, `{"body":"您好"}`, `{"code":"ID_FRONT","received":true}`,
		`{"a":"\u0000"}`, `{"x":` + strings.Repeat("[", 33) + strings.Repeat("]", 33) + `}`, `null`, `[]`, `"x"`,
	}
	// Each route with an empty and a whole filing body, each seed to
	// some route: the fuzzer moves bodies between routes itself.
	for i := range routes {
		f.Add(uint8(i), []byte(`{}`))
		f.Add(uint8(i), created)
	}
	for i, b := range seeds {
		f.Add(uint8(i*7%len(routes)), []byte(b))
	}
	han := regexp.MustCompile(`\p{Han}`)
	f.Fuzz(func(t *testing.T, route uint8, body []byte) {
		method, path, _ := strings.Cut(routes[int(route)%len(routes)], " ")
		rec := serve(method, path, body)
		if rec.Code >= 500 && rec.Code != http.StatusServiceUnavailable {
			t.Fatalf("%s %s %q: %d %s", method, path, body, rec.Code, rec.Body.String())
		}
		if rec.Code < 400 {
			return
		}
		var e struct {
			Error struct{ Code, Message string }
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil || e.Error.Code == "" || !han.MatchString(e.Error.Message) {
			t.Fatalf("%s %s %q: %d, not the error shape: %s", method, path, body, rec.Code, rec.Body.String())
		}
	})
}

// FuzzQueries sends any query string to every GET route of the API as an
// admin, on real PostgreSQL: no answer is a 500 (a NUL or bytes that are
// not UTF-8 in a filter reached the store as one before checkParams), and
// every error is the API's error shape in Chinese.
func FuzzQueries(f *testing.F) {
	s, _ := limitsServer(f)
	routes := apiRoutes(s, "00000000-0000-0000-0000-000000000000", "GET")
	require.Greater(f, len(routes), 25, "the GET routes of api/server.go")
	for i := range routes {
		f.Add(uint8(i), "")
	}
	for i, q := range []string{
		"status=AWAITING_MATERIALS&province=江苏&limit=10&sort=bureau_due_at", "q=%E5%BC%A0&cursor=abc&overdue=true",
		"due_before=2026-12-31&domain=example.cn", "kind=call&status=open", "within_days=30", "week=2026-W48",
		"from=2026-01-01&to=2026-12-31&working_days=20", "weeks=8", "reveal=true", "q=%00", "q=%ff%fe", "%00=1",
		"limit=-1", "limit=99999999999999999999", "cursor=" + strings.Repeat("A", 5000),
	} {
		f.Add(uint8(i*5%len(routes)), q)
	}
	han := regexp.MustCompile(`\p{Han}`)
	f.Fuzz(func(t *testing.T, route uint8, query string) {
		path := strings.TrimPrefix(routes[int(route)%len(routes)], "GET ")
		req := httptest.NewRequest("GET", "/", nil)
		req.URL.Path, req.URL.RawQuery, req.RequestURI = path, query, ""
		req.Header.Set("Authorization", "Bearer "+stack.TokAdmin)
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		if rec.Code >= 500 && rec.Code != http.StatusServiceUnavailable {
			t.Fatalf("GET %s?%s: %d %s", path, query, rec.Code, rec.Body.String())
		}
		if rec.Code < 400 {
			return
		}
		var e struct {
			Error struct{ Code, Message string }
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil || e.Error.Code == "" || !han.MatchString(e.Error.Message) {
			t.Fatalf("GET %s?%s: %d, not the error shape: %s", path, query, rec.Code, rec.Body.String())
		}
	})
}
