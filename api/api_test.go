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

// FuzzParseTokens: the parser of BEIAN_API_TOKENS never panics and never
// echoes a token in an error.
func FuzzParseTokens(f *testing.F) {
	f.Add("a:admin:b,c:tech:d")
	f.Add(":::,,,")
	f.Fuzz(func(t *testing.T, s string) {
		toks, err := api.ParseTokens(s)
		if err == nil {
			for _, tk := range toks {
				require.NotEmpty(t, tk.Token)
			}
		}
	})
}
