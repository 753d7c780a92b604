package api_test

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/beian/beian"
	"github.com/beian/beian/api"
	"github.com/beian/beian/desk"
	"github.com/beian/beian/internal/stack"
	"github.com/beian/beian/postgres/pgtest"
)

// TestAuditTrailAPI: GET /api/v1/audit answers supervisors and admins the
// trail newest first with its hashes, filtered; other roles 403, no token
// 401, bad filters 400 with a Chinese message.
func TestAuditTrailAPI(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	db := pgtest.New(t)
	s := api.New(api.Deps{
		Desk: &desk.Service{Store: db},
		Tokens: []api.Token{
			{Name: "小李", Role: api.RoleSpecialist, Token: stack.TokSpecialist},
			{Name: "主管", Role: api.RoleSupervisor, Token: stack.TokSupervisor},
			{Name: "技术", Role: api.RoleTech, Token: stack.TokTech},
			{Name: "管局", Role: api.RoleBureau, Token: stack.TokBureau},
			{Name: "admin", Role: api.RoleAdmin, Token: stack.TokAdmin},
		},
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	caseID := "0b6f4a4e-6a33-4c59-9d3c-3a0c4c6b2f10"
	for _, e := range []beian.AuditEntry{
		{Actor: "zhuguan", Action: "reveal", Target: "case/" + caseID},
		{Actor: "li", Action: "sign_in", Target: "staff/li"},
		{Actor: "li", Action: "export_tracking", Target: "tracking.xlsx"},
		{Actor: "admin", Action: "put_setting", Target: "setting/intake_rules"},
	} {
		require.NoError(t, db.Audit(ctx, e))
	}

	get := func(token string, q url.Values) (int, map[string]any) {
		t.Helper()
		req := httptest.NewRequest("GET", "/api/v1/audit?"+q.Encode(), nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		var body map[string]any
		require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &body), rec.Body.String())
		return rec.Code, body
	}
	actions := func(body map[string]any) []string {
		var out []string
		for _, it := range body["items"].([]any) {
			out = append(out, it.(map[string]any)["action"].(string))
		}
		return out
	}

	for _, tok := range []string{stack.TokSupervisor, stack.TokAdmin} {
		code, body := get(tok, nil)
		require.Equal(t, http.StatusOK, code, "%v", body)
		require.Equal(t, []string{"put_setting", "export_tracking", "sign_in", "reveal"}, actions(body))
		first := body["items"].([]any)[0].(map[string]any)
		second := body["items"].([]any)[1].(map[string]any)
		require.Equal(t, second["hash"], first["prev_hash"], "each row names the hash of the one before")
		require.Len(t, first["hash"], 64)
		require.Equal(t, "admin", first["kind"])
	}
	for _, tok := range []string{stack.TokSpecialist, stack.TokTech, stack.TokBureau} {
		code, body := get(tok, nil)
		require.Equal(t, http.StatusForbidden, code, tok)
		require.Equal(t, beian.CodeForbidden, body["error"].(map[string]any)["code"])
	}
	code, _ := get("", nil)
	require.Equal(t, http.StatusUnauthorized, code)

	_, body := get(stack.TokSupervisor, url.Values{"actor": {"li"}})
	require.Equal(t, []string{"export_tracking", "sign_in"}, actions(body))
	_, body = get(stack.TokSupervisor, url.Values{"kind": {"reveal"}})
	require.Equal(t, []string{"reveal"}, actions(body))
	_, body = get(stack.TokSupervisor, url.Values{"case": {caseID}})
	require.Equal(t, []string{"reveal"}, actions(body))
	require.Equal(t, caseID, body["items"].([]any)[0].(map[string]any)["case_id"])
	_, body = get(stack.TokSupervisor, url.Values{"from": {"2000-01-01T00:00:00+08:00"}, "to": {"2000-01-02T00:00:00+08:00"}})
	require.Empty(t, body["items"])

	_, body = get(stack.TokSupervisor, url.Values{"limit": {"3"}})
	require.Equal(t, []string{"put_setting", "export_tracking", "sign_in"}, actions(body))
	_, body = get(stack.TokSupervisor, url.Values{"limit": {"3"}, "cursor": {body["next_cursor"].(string)}})
	require.Equal(t, []string{"reveal"}, actions(body))
	require.Empty(t, body["next_cursor"])

	for _, q := range []url.Values{
		{"kind": {"everything"}}, {"case": {"BA-2026-1"}}, {"from": {"yesterday"}}, {"to": {"2026-12-01"}},
		{"limit": {"0"}}, {"limit": {"500"}}, {"cursor": {"nonsense"}},
		{"from": {"2026-12-02T00:00:00Z"}, "to": {"2026-12-01T00:00:00Z"}},
	} {
		code, body := get(stack.TokSupervisor, q)
		require.Equal(t, http.StatusBadRequest, code, "%v", q)
		e := body["error"].(map[string]any)
		require.Equal(t, beian.CodeInvalid, e["code"], "%v", q)
		require.Regexp(t, `\p{Han}`, e["message"], "%v", q)
	}
}
