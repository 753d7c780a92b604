package e2e_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/beian/beian/secret"
)

// Numbers are revealed only on a GET, to supervisors, audited (R-BR-2):
// on a case and on the blacklist.

// auditCount counts the audit entries of action on target.
func (b *bundle) auditCount(action, target string) int {
	b.t.Helper()
	var n int
	require.NoError(b.t, b.db.Pool().QueryRow(context.Background(),
		`SELECT count(*) FROM audit_log WHERE action = $1 AND target = $2`, action, target).Scan(&n))
	return n
}

// idempotentBodies are the answers kept under Idempotency-Keys.
func (b *bundle) idempotentBodies() []string {
	b.t.Helper()
	rows, err := b.db.Pool().Query(context.Background(), `SELECT convert_from(body, 'UTF8') FROM idempotency_keys`)
	require.NoError(b.t, err)
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		require.NoError(b.t, rows.Scan(&s))
		out = append(out, s)
	}
	require.NoError(b.t, rows.Err())
	return out
}

// TestRevealOnlyOnGet (R-BR-2): a write asking ?reveal=true is refused
// before it changes anything, so no answer with numbers in clear is kept
// under an Idempotency-Key and replayed without an audit entry; a GET still
// reveals to a supervisor, audited.
func TestRevealOnlyOnGet(t *testing.T) {
	t.Parallel()
	b := setup(t, options{})
	const cert = "11010519491231002X"

	r := b.must(400, b.do("POST", "/api/v1/filings?reveal=true", tokSupervisor, personFiling("reveal-write.cn"), "Idempotency-Key", "rv-create"))
	require.Equal(t, "INVALID", r.str("error", "code"))
	require.Contains(t, r.str("error", "message"), "reveal")
	require.NotContains(t, string(r.Raw), cert)
	require.Equal(t, 0, b.caseCount(), "the refused write created nothing")

	created := b.must(201, b.do("POST", "/api/v1/filings", tokSupervisor, personFiling("reveal-write.cn"), "Idempotency-Key", "rv-create-2"))
	id := created.str("id")
	require.NotContains(t, string(created.Raw), cert, "a write answers masked")
	r = b.must(400, b.do("POST", "/api/v1/filings/"+id+"/materials?reveal=true", tokSupervisor,
		map[string]any{"received": checklistCodes(created)}, "Idempotency-Key", "rv-materials"))
	require.NotContains(t, string(r.Raw), cert)
	require.Equal(t, "AWAITING_MATERIALS", b.must(200, b.do("GET", "/api/v1/filings/"+id, tokSpecialist, nil)).str("status"))
	r = b.must(400, b.do("POST", "/api/v1/filings/"+id+"/withdraw?reveal=true", tokAdmin, nil))
	require.Equal(t, "AWAITING_MATERIALS", b.must(200, b.do("GET", "/api/v1/filings/"+id, tokSpecialist, nil)).str("status"))

	for _, body := range b.idempotentBodies() {
		require.NotContains(t, body, cert, "an answer kept under an Idempotency-Key shows a number in clear")
	}
	require.Zero(t, b.auditCount("reveal", "case/"+id))

	// A GET reveals to a supervisor, and each look is audited.
	rev := b.must(200, b.do("GET", "/api/v1/filings/"+id+"?reveal=true", tokSupervisor, nil))
	require.Equal(t, cert, rev.str("sponsor", "cert_number"))
	require.Equal(t, 1, b.auditCount("reveal", "case/"+id))
}

// TestBlacklistMasked (R-IN-6, R-BR-2): certificate numbers and phones on
// the blacklist are masked; a supervisor sees them with ?reveal=true, audited;
// a specialist may not.
func TestBlacklistMasked(t *testing.T) {
	t.Parallel()
	b := setup(t, options{})
	const cert, phone = "11010519491231002X", "+86 139-0013-9000"

	added := b.must(201, b.do("POST", "/api/v1/blacklist", tokSupervisor, map[string]any{"kind": "cert_number", "value": cert, "reason": "冒用身份"}))
	require.Equal(t, secret.Mask(cert), added.str("value"), "the answer of a write is masked too")
	b.must(201, b.do("POST", "/api/v1/blacklist", tokSupervisor, map[string]any{"kind": "phone", "value": phone, "reason": "虚假信息"}))
	b.must(201, b.do("POST", "/api/v1/blacklist", tokSupervisor, map[string]any{"kind": "name", "value": "王五", "reason": "冒名"}))
	b.must(201, b.do("POST", "/api/v1/blacklist", tokSupervisor, map[string]any{"kind": "domain", "value": "black-site.cn"}))

	values := func(r response) []any {
		var out []any
		for _, it := range r.get("items").([]any) {
			out = append(out, it.(map[string]any)["value"])
		}
		return out
	}
	masked := []any{secret.Mask(cert), secret.Mask(phone), "王五", "black-site.cn"}
	for _, tok := range []string{tokSpecialist, tokSupervisor} {
		r := b.must(200, b.do("GET", "/api/v1/blacklist", tok, nil))
		require.Equal(t, masked, values(r))
		require.NotContains(t, string(r.Raw), cert)
		require.NotContains(t, string(r.Raw), "0013")
	}
	require.Equal(t, "FORBIDDEN", b.must(403, b.do("GET", "/api/v1/blacklist?reveal=true", tokSpecialist, nil)).str("error", "code"))
	require.Zero(t, b.auditCount("reveal", "blacklist"))

	r := b.must(200, b.do("GET", "/api/v1/blacklist?reveal=true", tokSupervisor, nil))
	require.Equal(t, []any{cert, phone, "王五", "black-site.cn"}, values(r))
	require.Equal(t, 1, b.auditCount("reveal", "blacklist"))
	b.must(200, b.do("GET", "/api/v1/blacklist?reveal=true", tokAdmin, nil))
	require.Equal(t, 2, b.auditCount("reveal", "blacklist"))
}
