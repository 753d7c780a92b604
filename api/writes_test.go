package api_test

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/beian/beian"
	"github.com/beian/beian/api"
	"github.com/beian/beian/desk"
	"github.com/beian/beian/internal/stack"
	"github.com/beian/beian/postgres"
	"github.com/beian/beian/postgres/pgtest"
	"github.com/beian/beian/secret"
	"github.com/beian/beian/workflows"
	"github.com/beian/beian/xlsx"
)

// These tests run the API on a real PostgreSQL without a workflow engine:
// what they test happens before or without Temporal, or is about Temporal
// being down.

// engineDown is Temporal unreachable: every call fails. It counts the
// workflow starts tried.
type engineDown struct{ starts atomic.Int32 }

var errTemporalDown = errors.New("temporal: connection refused")

func (e *engineDown) Start(context.Context, workflows.FilingInput) error {
	e.starts.Add(1)
	return errTemporalDown
}

func (e *engineDown) Act(context.Context, string, beian.Action, workflows.ActionRequest, string) (workflows.State, error) {
	return workflows.State{}, errTemporalDown
}

func (e *engineDown) Signal(context.Context, string, workflows.ActionRequest) error {
	return errTemporalDown
}

// pgBundle is the API on a database of its own, with the test data centres
// and customers of internal/stack.
type pgBundle struct {
	t      *testing.T
	db     *postgres.DB
	engine *engineDown
	api    *api.Server
}

func setupPG(t *testing.T) *pgBundle {
	t.Helper()
	ctx := t.Context()
	db := pgtest.New(t)
	require.NoError(t, db.ReplaceDataCentres(ctx, stack.DataCentres(), "test"))
	require.NoError(t, db.PutCustomers(ctx, stack.Customers(), "test"))
	box, err := secret.NewBox("api test key, long enough to stretch")
	require.NoError(t, err)
	engine := &engineDown{}
	s := api.New(api.Deps{
		Desk: &desk.Service{Store: db, Engine: engine, Box: box, Rules: desk.StoredRules(db)},
		Tokens: []api.Token{
			{Name: "小李", Role: api.RoleSpecialist, Token: stack.TokSpecialist},
			{Name: "admin", Role: api.RoleAdmin, Token: stack.TokAdmin},
		},
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	return &pgBundle{t: t, db: db, engine: engine, api: s}
}

type answer struct {
	status int
	header http.Header
	body   map[string]any
	raw    []byte
}

func (b *pgBundle) serve(req *http.Request, token, key string) answer {
	b.t.Helper()
	req.Header.Set("Authorization", "Bearer "+token)
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	rec := httptest.NewRecorder()
	b.api.ServeHTTP(rec, req)
	out := answer{status: rec.Code, header: rec.Header(), raw: rec.Body.Bytes()}
	if strings.HasPrefix(rec.Body.String(), "{") {
		require.NoError(b.t, json.Unmarshal(rec.Body.Bytes(), &out.body), rec.Body.String())
	}
	return out
}

func (b *pgBundle) postJSON(path, token, key string, body any) answer {
	b.t.Helper()
	j, err := json.Marshal(body)
	require.NoError(b.t, err)
	req := httptest.NewRequest("POST", path, bytes.NewReader(j))
	req.Header.Set("Content-Type", "application/json")
	return b.serve(req, token, key)
}

func (b *pgBundle) count(table string) int {
	b.t.Helper()
	var n int
	require.NoError(b.t, b.db.Pool().QueryRow(context.Background(), "SELECT count(*) FROM "+table).Scan(&n))
	return n
}

// personFiling is a valid new filing of a person in 广东 on a Jiangsu IP.
func personFiling(domain string) map[string]any { return stack.PersonFiling(domain) }

// TestCreateWhileWorkflowEngineDown: a case saved while Temporal is down is
// answered 202 with the case and a Chinese warning (the worker's reconcile
// loop starts its workflow later), and that answer is kept under the
// Idempotency-Key: a retry gets the same case back, not a DOMAIN_CONFLICT
// with itself.
func TestCreateWhileWorkflowEngineDown(t *testing.T) {
	t.Parallel()
	b := setupPG(t)

	first := b.postJSON("/api/v1/filings", stack.TokSpecialist, "create-1", personFiling("engine-down.cn"))
	require.Equal(t, http.StatusAccepted, first.status, "%s", first.raw)
	require.Equal(t, api.WarningWorkflowPending, first.body["warning"])
	require.Regexp(t, `\p{Han}`, first.body["warning"])
	require.Equal(t, "AWAITING_MATERIALS", first.body["status"])
	require.NotEmpty(t, first.body["case_no"])
	require.NotEqual(t, "11010519491231002X", first.body["sponsor"].(map[string]any)["cert_number"], "masked")
	id := first.body["id"].(string)
	require.NotEmpty(t, id)

	again := b.postJSON("/api/v1/filings", stack.TokSpecialist, "create-1", personFiling("engine-down.cn"))
	require.Equal(t, http.StatusAccepted, again.status, "%s", again.raw)
	require.Equal(t, "true", again.header.Get("Idempotent-Replayed"))
	require.Equal(t, id, again.body["id"])
	require.Equal(t, api.WarningWorkflowPending, again.body["warning"])
	require.Equal(t, 1, b.count("cases"))
	require.Equal(t, int32(1), b.engine.starts.Load(), "the replay starts nothing")

	// The case waits where the reconcile loop looks for it.
	page, err := b.db.ListCases(t.Context(), beian.CaseFilter{Status: beian.StatusAwaitingMaterials})
	require.NoError(t, err)
	require.Len(t, page.Items, 1)
	require.Equal(t, id, page.Items[0].ID)

	// Without a key the same body is the conflict it always was.
	dup := b.postJSON("/api/v1/filings", stack.TokSpecialist, "", personFiling("engine-down.cn"))
	require.Equal(t, http.StatusConflict, dup.status)
	require.Equal(t, "DOMAIN_CONFLICT", dup.body["error"].(map[string]any)["code"])
}

// bigWorkbook is a valid customer workbook of more than 1 MiB: the sheet of
// one customer and an incompressible part excelize does not read.
func bigWorkbook(t *testing.T, customerName string) []byte {
	t.Helper()
	var sheet bytes.Buffer
	require.NoError(t, xlsx.WriteCustomers(&sheet, []beian.Customer{{
		ID: "C-BIG", Name: customerName,
		Products: []beian.Product{{ID: "P-BIG", ServerIPs: stack.Customers()[0].Products[0].ServerIPs[:1], ValidUntil: "2099-12-31"}},
	}}))
	zr, err := zip.NewReader(bytes.NewReader(sheet.Bytes()), int64(sheet.Len()))
	require.NoError(t, err)
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	for _, f := range zr.File {
		w, err := zw.CreateHeader(&f.FileHeader)
		require.NoError(t, err)
		r, err := f.Open()
		require.NoError(t, err)
		_, err = io.Copy(w, r)
		require.NoError(t, err)
		require.NoError(t, r.Close())
	}
	w, err := zw.CreateHeader(&zip.FileHeader{Name: "xl/media/padding.bin", Method: zip.Store})
	require.NoError(t, err)
	_, err = io.CopyN(w, rand.Reader, 3<<19) // 1.5 MiB
	require.NoError(t, err)
	require.NoError(t, zw.Close())
	require.Greater(t, out.Len(), 1<<20)
	return out.Bytes()
}

func (b *pgBundle) upload(path, token, key string, content []byte) answer {
	b.t.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	fw, err := w.CreateFormFile("file", "客户.xlsx")
	require.NoError(b.t, err)
	_, err = fw.Write(content)
	require.NoError(b.t, err)
	require.NoError(b.t, w.Close())
	req := httptest.NewRequest("POST", path, &body)
	req.Header.Set("Content-Type", w.FormDataContentType())
	return b.serve(req, token, key)
}

// TestIdempotentUploadOverOneMiB: an upload of more than 1 MiB (uploads may
// be 10 MiB) with an Idempotency-Key is read whole, imported, and replayed
// on a retry; another file under the same key is refused.
func TestIdempotentUploadOverOneMiB(t *testing.T) {
	t.Parallel()
	b := setupPG(t)
	file := bigWorkbook(t, "大文件导入有限公司")

	r := b.upload("/api/v1/imports/customers", stack.TokAdmin, "import-1", file)
	require.Equal(t, http.StatusOK, r.status, "%s", r.raw)
	require.Equal(t, float64(1), r.body["customers"])
	cu, err := b.db.GetCustomer(t.Context(), "C-BIG")
	require.NoError(t, err)
	require.Equal(t, "大文件导入有限公司", cu.Name)

	// The retry is sent with a new multipart boundary, as clients choose one
	// per send: it is still the same request.
	again := b.upload("/api/v1/imports/customers", stack.TokAdmin, "import-1", file)
	require.Equal(t, http.StatusOK, again.status, "%s", again.raw)
	require.Equal(t, "true", again.header.Get("Idempotent-Replayed"))
	require.Equal(t, r.raw, again.raw)

	// The same first MiB and another ending: another request.
	other := bigWorkbook(t, "另一家公司")
	r = b.upload("/api/v1/imports/customers", stack.TokAdmin, "import-1", other)
	require.Equal(t, http.StatusConflict, r.status, "%s", r.raw)
	require.Equal(t, "IDEMPOTENCY_KEY_REUSED", r.body["error"].(map[string]any)["code"])

	// Over the upload limit is still 413, with a key or without.
	big := bytes.Repeat([]byte("x"), 11<<20)
	for _, key := range []string{"import-2", ""} {
		r = b.upload("/api/v1/imports/customers", stack.TokAdmin, key, big)
		require.Equal(t, http.StatusRequestEntityTooLarge, r.status, "key %q: %s", key, r.raw)
		require.Equal(t, "TOO_LARGE", r.body["error"].(map[string]any)["code"])
	}
}
