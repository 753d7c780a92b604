package api_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/stretchr/testify/require"

	"github.com/beian/beian/api"
)

// TestOpenAPICoversEveryRoute: every route the server serves is in the
// published document and every documented operation is served (api.md).
func TestOpenAPICoversEveryRoute(t *testing.T) {
	s := api.New(api.Deps{Metrics: promhttp.Handler()})
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest("GET", "/api/v1/openapi.json", nil))
	require.Equal(t, 200, rec.Code, "openapi.json needs no token")
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &doc))
	require.True(t, strings.HasPrefix(doc.OpenAPI, "3."))

	served := map[string]bool{}
	for _, r := range s.Routes() {
		method, path := r[0], r[1]
		if method == "echo_route_not_found" || path == "" || strings.HasSuffix(path, "/*") {
			continue
		}
		p := toOpenAPIPath(path)
		served[strings.ToLower(method)+" "+p] = true
		_, ok := doc.Paths[p][strings.ToLower(method)]
		require.True(t, ok, "%s %s is served but not in openapi.json", method, p)
	}
	for p, ops := range doc.Paths {
		for m := range ops {
			require.True(t, served[m+" "+p], "%s %s is documented but not served", m, p)
		}
	}
}

func toOpenAPIPath(p string) string {
	parts := strings.Split(p, "/")
	for i, s := range parts {
		if strings.HasPrefix(s, ":") {
			parts[i] = "{" + s[1:] + "}"
		}
	}
	return strings.Join(parts, "/")
}

// TestMetricsToken: /metrics is open unless METRICS_TOKEN is set, then it
// needs that token.
func TestMetricsToken(t *testing.T) {
	open := api.New(api.Deps{Metrics: promhttp.Handler()})
	rec := httptest.NewRecorder()
	open.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	require.Equal(t, http.StatusOK, rec.Code)

	guarded := api.New(api.Deps{Metrics: promhttp.Handler(), MetricsToken: "scrape-me"})
	rec = httptest.NewRecorder()
	guarded.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	require.Equal(t, http.StatusUnauthorized, rec.Code)
	req := httptest.NewRequest("GET", "/metrics", nil)
	req.Header.Set("Authorization", "Bearer scrape-me")
	rec = httptest.NewRecorder()
	guarded.ServeHTTP(rec, req)
	require.Equal(t, http.StatusOK, rec.Code)
	require.Contains(t, rec.Body.String(), "go_goroutines")
}

func TestHealthzNeedsNoToken(t *testing.T) {
	s := api.New(api.Deps{})
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest("GET", "/healthz", nil))
	require.Equal(t, http.StatusOK, rec.Code)
}

func TestParseTokens(t *testing.T) {
	toks, err := api.ParseTokens(" li:specialist:abc , boss:supervisor:def:with:colons,")
	require.NoError(t, err)
	require.Equal(t, []api.Token{{Name: "li", Role: "specialist", Token: "abc"}, {Name: "boss", Role: "supervisor", Token: "def:with:colons"}}, toks)
	for _, bad := range []string{"li:specialist", "li:king:abc", ":admin:x", "li:admin:"} {
		_, err := api.ParseTokens(bad)
		require.Error(t, err, bad)
		require.NotContains(t, err.Error(), "abc")
	}
	_, err = api.ParseTokens("li:king:topsecret")
	require.NotContains(t, err.Error(), "topsecret", "a token never appears in an error")
}

// FuzzParseTokens: the parser of BEIAN_API_TOKENS never panics, and an
// error message never contains any part of a token that was given as a
// token (the text after the second colon of an entry, which may itself hold
// colons). Stated twice: the error is the same whatever the tokens are, and
// no token nor any colon-separated piece of one is in it, unless that text
// is in the error anyway (in a name, a role or the fixed wording).
func FuzzParseTokens(f *testing.F) {
	f.Add("a:admin:b,c:tech:d")
	f.Add(":::,,,")
	f.Add(":admin:def:with:colons")           // no name: the token must not show
	f.Add("li:king:top:secret:part")          // unknown role
	f.Add("ok:admin:x, :specialist:s3cr:et:") // the second entry is bad
	f.Fuzz(func(t *testing.T, s string) {
		toks, err := api.ParseTokens(s)
		if err == nil {
			for _, tk := range toks {
				require.NotEmpty(t, tk.Token)
			}
			return
		}
		given, masked := tokenParts(s)
		_, merr := api.ParseTokens(masked)
		require.Error(t, merr, "the same entries with other tokens fail too")
		require.Equal(t, merr.Error(), err.Error(), "the error depends on a token")
		for _, tok := range given {
			for _, piece := range append([]string{tok}, strings.Split(tok, ":")...) {
				if strings.TrimSpace(piece) == "" || strings.Contains(merr.Error(), piece) {
					continue // in the error whatever the token is
				}
				require.NotContains(t, err.Error(), piece, "the error shows (part of) the token %q", tok)
			}
		}
	})
}

// tokenParts returns the tokens given in a BEIAN_API_TOKENS value (of each
// entry name:role:token, the token, colons and all) and the value with each
// token replaced by a marker.
func tokenParts(s string) (tokens []string, masked string) {
	entries := strings.Split(s, ",")
	for i, e := range entries {
		e = strings.TrimSpace(e)
		if f := strings.SplitN(e, ":", 3); len(f) == 3 && f[2] != "" {
			tokens = append(tokens, f[2])
			e = f[0] + ":" + f[1] + ":TOKEN"
		}
		entries[i] = e
	}
	return tokens, strings.Join(entries, ",")
}
