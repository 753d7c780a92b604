package e2e_test

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/workflowservice/v1"
	"google.golang.org/protobuf/proto"

	"github.com/beian/beian/internal/stack"
	"github.com/beian/beian/secret"
	"github.com/beian/beian/workflows"
)

// syncBuffer is a bytes.Buffer safe for the concurrent writes of loggers.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.String()
}

// uscc completes the first 17 characters of a unified social credit code
// (统一社会信用代码, GB 32100-2015) with its check character.
func uscc(first17 string) string {
	const alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
	weights := []int{1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28}
	sum := 0
	for i, w := range weights {
		sum += strings.IndexByte(alphabet, first17[i]) * w
	}
	return first17 + string(alphabet[(31-sum%31)%31])
}

// TestPersonalDataNeverPlain (issue 12 §2): cases with numbers and
// addresses used nowhere else are filed, driven through materials, a failed
// review, a correction, a reveal, a search, a sponsor conflict and refused
// validations; then none of those numbers or addresses is found in plain
// text in any column of any table, in the logs, in any workflow history,
// search attribute or memo, or in any error answer of the API.
func TestPersonalDataNeverPlain(t *testing.T) {
	t.Parallel()
	var logs syncBuffer
	b := setup(t, options{Log: &logs})

	personID := stack.ResidentID(7301)
	orgCert := uscc("91320505MA1P7QX07")
	legalRepID := stack.ResidentID(7302)
	const (
		personMobile  = "13977001357"
		personEmail   = "pii.probe.person@example.net"
		orgMobile     = "13977002468"
		orgLandline   = "0512-77003579"
		orgEmail      = "pii.probe.org@example.net"
		fixedMobile   = "13977004680"            // the correction's new number
		badEmail      = "pii.probe.bad@@example" // refused at intake
		blackListedID = "440304198512317719"     // refused by the blacklist
	)
	secrets := []string{personID, orgCert, legalRepID, personMobile, personEmail, orgMobile, "77003579", orgEmail, fixedMobile, badEmail, blackListedID}

	var errorBodies []string
	do := func(status int, method, path, token string, body any, headers ...string) response {
		t.Helper()
		r := b.must(status, b.do(method, path, token, body, headers...))
		if r.Status >= 400 {
			errorBodies = append(errorBodies, string(r.Raw))
		}
		return r
	}

	// A person's filing, driven to a failed review and corrected.
	person := personFiling("pii-person.cn")
	person["sponsor"].(map[string]any)["cert_number"] = personID
	person["principal"].(map[string]any)["id_number"] = personID
	person["principal"].(map[string]any)["mobile"] = personMobile
	person["principal"].(map[string]any)["email"] = personEmail
	created := do(201, "POST", "/api/v1/filings", tokSpecialist, person, "Idempotency-Key", "pii-1")
	personCase := created.str("id")
	require.NotContains(t, string(created.Raw), personID, "answers are masked")
	do(200, "POST", "/api/v1/filings/"+personCase+"/materials", tokSpecialist, map[string]any{"received": checklistCodes(created)})
	do(200, "POST", "/api/v1/filings/"+personCase+"/review", tokSpecialist, map[string]any{"result": "fail", "reasons": []string{"手机号码无法接通"}})
	r := do(200, "POST", "/api/v1/filings/"+personCase+"/corrections", tokSpecialist, map[string]any{"principal": map[string]any{"mobile": fixedMobile}})
	require.Equal(t, "UNDER_REVIEW", r.str("status"))

	// An organisation's filing, its legal representative the principal.
	org := orgFiling("pii-org.cn", "示例科技官网")
	org["sponsor"].(map[string]any)["cert_number"] = orgCert
	org["sponsor"].(map[string]any)["legal_rep"] = map[string]any{"name": "李四", "id_number": legalRepID}
	org["principal"] = map[string]any{"name": "李四", "id_number": legalRepID, "mobile": orgMobile, "landline": orgLandline, "email": orgEmail}
	created = do(201, "POST", "/api/v1/filings", tokSpecialist, org)
	orgCase := created.str("id")
	do(200, "POST", "/api/v1/filings/"+orgCase+"/materials", tokSpecialist, map[string]any{"received": checklistCodes(created)})
	do(200, "POST", "/api/v1/filings/"+orgCase+"/review", tokSpecialist, map[string]any{"result": "pass"})

	// The numbers still work: revealed to a supervisor, found by an exact search.
	rev := do(200, "GET", "/api/v1/filings/"+orgCase+"?reveal=true", tokSupervisor, nil)
	require.Equal(t, orgCert, rev.str("sponsor", "cert_number"))
	require.Equal(t, orgLandline, rev.str("principal", "landline"))
	for _, q := range []string{orgCert, personID, orgMobile, strings.ToUpper(orgEmail)} {
		list := do(200, "GET", "/api/v1/filings?q="+q, tokSpecialist, nil)
		require.Len(t, list.get("items"), 1, "q=%s finds its case by blind index", q)
	}

	// Refused: the same sponsor again (R-IN-5), a malformed e-mail address,
	// a blacklisted number (R-IN-6).
	again := orgFiling("pii-org-again.cn", "示例科技商城")
	again["sponsor"].(map[string]any)["cert_number"] = orgCert
	again["sponsor"].(map[string]any)["legal_rep"] = map[string]any{"name": "李四", "id_number": legalRepID}
	again["principal"] = map[string]any{"name": "李四", "id_number": legalRepID, "mobile": orgMobile, "email": orgEmail}
	r = b.do("POST", "/api/v1/filings", tokSpecialist, again)
	require.Contains(t, []int{409, 422}, r.Status, "%s", r.Raw)
	errorBodies = append(errorBodies, string(r.Raw))
	bad := personFiling("pii-bad.cn")
	bad["sponsor"].(map[string]any)["cert_number"] = stack.ResidentID(7303)
	bad["principal"].(map[string]any)["id_number"] = stack.ResidentID(7303)
	bad["principal"].(map[string]any)["email"] = badEmail
	do(422, "POST", "/api/v1/filings", tokSpecialist, bad)
	do(201, "POST", "/api/v1/blacklist", tokSupervisor, map[string]any{"kind": "cert_number", "value": blackListedID, "reason": "冒用身份"})
	black := orgFiling("pii-black.cn", "示例科技博客")
	black["sponsor"].(map[string]any)["cert_number"] = uscc("91320505MA1P7QY07")
	black["sponsor"].(map[string]any)["legal_rep"] = map[string]any{"name": "李四", "id_number": blackListedID}
	black["principal"] = map[string]any{"name": "李四", "id_number": blackListedID, "mobile": "13977009999", "email": "pii.black@example.net"}
	r = do(422, "POST", "/api/v1/filings", tokSpecialist, black)
	require.Contains(t, string(r.Raw), "BLACKLISTED")
	do(200, "POST", "/api/v1/filings/check", tokSpecialist, black)

	// Wait for the workflows to have done their work (mails queued and sent).
	b.waitMail(orgEmail, "提交")
	b.waitMail(personEmail, "")

	// 1. Every column of every table, read raw.
	dump := b.rawRows()
	require.Contains(t, dump, "示例科技官网", "the dump reads the rows")
	// 2. The logs.
	log := logs.String()
	// 3. Every workflow history, its search attributes and memo.
	var temporal bytes.Buffer
	for _, id := range []string{personCase, orgCase} {
		h := b.history(id)
		raw, err := proto.Marshal(h)
		require.NoError(t, err)
		temporal.Write(raw)
		desc, err := b.tc.DescribeWorkflowExecution(context.Background(), workflows.WorkflowID(id), "")
		require.NoError(t, err)
		raw, err = proto.Marshal(desc)
		require.NoError(t, err)
		temporal.Write(raw)
	}
	// Every other workflow of the namespace too (sampling, escalations).
	list, err := b.tc.ListWorkflow(context.Background(), &workflowservice.ListWorkflowExecutionsRequest{})
	require.NoError(t, err)
	for _, e := range list.Executions {
		raw, err := proto.Marshal(e)
		require.NoError(t, err)
		temporal.Write(raw)
		it := b.tc.GetWorkflowHistory(context.Background(), e.Execution.WorkflowId, e.Execution.RunId, false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
		for it.HasNext() {
			ev, err := it.Next()
			require.NoError(t, err)
			raw, err := proto.Marshal(ev)
			require.NoError(t, err)
			temporal.Write(raw)
		}
	}
	require.Contains(t, temporal.String(), personCase, "the histories were read")
	// 4. The API's error answers.
	require.NotEmpty(t, errorBodies)
	errs := strings.Join(errorBodies, "\n")

	for _, v := range secrets {
		for where, text := range map[string]string{"database": dump, "log": log, "Temporal": temporal.String(), "API error": errs} {
			require.NotContains(t, strings.ToLower(text), strings.ToLower(v), "%s holds %s in plain text", where, secret.Mask(v))
		}
	}
}

// rawRows is every row of every table as text, bytea columns as text too.
func (b *bundle) rawRows() string {
	b.t.Helper()
	ctx := context.Background()
	rows, err := b.db.Pool().Query(ctx, `SELECT table_name, column_name, data_type FROM information_schema.columns
		WHERE table_schema = 'public' ORDER BY table_name, ordinal_position`)
	require.NoError(b.t, err)
	cols := map[string][]string{}
	var tables []string
	for rows.Next() {
		var table, col, typ string
		require.NoError(b.t, rows.Scan(&table, &col, &typ))
		if len(cols[table]) == 0 {
			tables = append(tables, table)
		}
		expr := fmt.Sprintf("%q::text", col)
		if typ == "bytea" {
			expr = fmt.Sprintf("encode(%q, 'escape')", col)
		}
		cols[table] = append(cols[table], expr)
	}
	require.NoError(b.t, rows.Err())
	var out strings.Builder
	for _, table := range tables {
		rows, err := b.db.Pool().Query(ctx, fmt.Sprintf(`SELECT concat_ws(' | ', %s) FROM %q`, strings.Join(cols[table], ", "), table))
		require.NoError(b.t, err)
		for rows.Next() {
			var line string
			require.NoError(b.t, rows.Scan(&line))
			out.WriteString(table + ": " + line + "\n")
		}
		require.NoError(b.t, rows.Err())
	}
	return out.String()
}
