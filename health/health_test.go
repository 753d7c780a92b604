package health_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/beian/beian/health"
)

func probe(t *testing.T, h http.Handler, path string) (int, health.Result) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
	var res health.Result
	if path == "/readyz" {
		require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &res))
	}
	return rec.Code, res
}

// TestReadiness: /readyz is 200 while every check passes, 503 naming the
// failing one in Chinese when one fails, 503 once draining; /healthz stays 200.
func TestReadiness(t *testing.T) {
	t.Parallel()
	var pgDown bool
	c := &health.Checker{
		Checks: map[string]health.Check{
			"postgres": func(context.Context) error {
				if pgDown {
					return errors.New("dial tcp 127.0.0.1:5432: connection refused")
				}
				return nil
			},
			"temporal": func(context.Context) error { return nil },
			"worker":   func(context.Context) error { return errors.New("no worker polled") },
		},
		Messages: map[string]string{"postgres": "数据库无法连接"},
		Advisory: map[string]bool{"worker": true},
	}
	m := health.Mux(c, nil)
	code, res := probe(t, m, "/readyz")
	require.Equal(t, 200, code, "an advisory check failing does not fail the probe")
	require.Equal(t, "ok", res.Checks["postgres"])
	require.Equal(t, "no worker polled", res.Checks["worker"], "but it is reported")
	pgDown = true
	code, res = probe(t, m, "/readyz")
	require.Equal(t, 503, code)
	require.Equal(t, "unavailable", res.Status)
	require.Contains(t, res.Message, "数据库无法连接")
	require.Contains(t, res.Checks["postgres"], "connection refused")
	require.Equal(t, "ok", res.Checks["temporal"])
	pgDown = false
	c.Drain()
	code, res = probe(t, m, "/readyz")
	require.Equal(t, 503, code)
	require.Equal(t, "draining", res.Status)
	code, _ = probe(t, m, "/healthz")
	require.Equal(t, 200, code)
}
