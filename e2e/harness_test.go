package e2e_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	sdkworker "go.temporal.io/sdk/worker"

	"github.com/beian/beian"
	"github.com/beian/beian/activities"
	"github.com/beian/beian/api"
	"github.com/beian/beian/internal/testenv"
	"github.com/beian/beian/mail"
	"github.com/beian/beian/mail/catcher"
	"github.com/beian/beian/postgres"
	"github.com/beian/beian/postgres/pgtest"
	"github.com/beian/beian/secret"
	"github.com/beian/beian/worker"
)

// Tokens of the test callers, one per role.
const (
	tokSpecialist = "tok-specialist"
	tokSupervisor = "tok-supervisor"
	tokTech       = "tok-tech"
	tokBureau     = "tok-bureau"
	tokAdmin      = "tok-admin"
)

type options struct {
	purgeAfter time.Duration
	bureauSLA  time.Duration
	rectify    time.Duration
}

// bundle is one whole beian: Postgres, Temporal, SMTP catcher, worker, API.
type bundle struct {
	t      *testing.T
	db     *postgres.DB
	tc     client.Client
	mail   *catcher.Catcher
	acts   *activities.Activities
	worker sdkworker.Worker
	api    *httptest.Server
}

func setup(t *testing.T, o options) *bundle {
	t.Helper()
	ctx := context.Background()
	db := pgtest.New(t)
	require.NoError(t, db.ReplaceDataCentres(ctx, []beian.DataCentre{
		{Name: "苏州园区机房", Province: "江苏", AccessProvider: beian.ProviderJiangsu, Mailbox: "JSBA@ChinaNet.CC",
			CIDRs: []netip.Prefix{netip.MustParsePrefix("198.51.100.0/24"), netip.MustParsePrefix("2001:db8:1::/48")}},
		{Name: "滁州双线机房", Province: "安徽", AccessProvider: beian.ProviderAnhui, Mailbox: "AHBA@ChinaNet.CC",
			CIDRs: []netip.Prefix{netip.MustParsePrefix("203.0.113.0/24")}},
	}, "test"))
	srv := testenv.Temporal(t)
	cat, err := catcher.Start("127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = cat.Close() })
	mcfg, err := mail.ParseURL(cat.URL())
	require.NoError(t, err)
	sender, err := mail.NewSender(mcfg, "beian@test.local")
	require.NoError(t, err)
	if o.rectify == 0 {
		o.rectify = 24 * time.Hour
	}
	acts := &activities.Activities{Store: db, Mailer: sender, Config: activities.Config{
		BureauWorkingDays: 20, BureauSLA: o.bureauSLA, RectifyWithin: o.rectify,
		StaffAlerts: []string{"supervisor@test.local"},
	}}
	b := &bundle{t: t, db: db, tc: srv.Client(), mail: cat, acts: acts}
	b.startWorker()
	box, err := secret.NewBox("e2e test key, long enough to stretch")
	require.NoError(t, err)
	a := api.New(api.Deps{
		Store: db, Engine: &worker.Engine{Client: b.tc}, Box: box,
		Tokens: []api.Token{
			{Name: "小李", Role: api.RoleSpecialist, Token: tokSpecialist},
			{Name: "王主管", Role: api.RoleSupervisor, Token: tokSupervisor},
			{Name: "技术部", Role: api.RoleTech, Token: tokTech},
			{Name: "管局接口", Role: api.RoleBureau, Token: tokBureau},
			{Name: "admin", Role: api.RoleAdmin, Token: tokAdmin},
		},
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Config: api.Config{PurgeAfter: o.purgeAfter, BureauWorkingDays: 20},
	})
	b.api = httptest.NewServer(a)
	t.Cleanup(b.api.Close)
	return b
}

func (b *bundle) startWorker() {
	w := worker.New(b.tc, b.acts, sdkworker.Options{})
	require.NoError(b.t, w.Start())
	b.worker = w
	b.t.Cleanup(func() {
		if b.worker != nil {
			b.worker.Stop()
			b.worker = nil
		}
	})
}

func (b *bundle) stopWorker() {
	b.worker.Stop()
	b.worker = nil
}

// response is a decoded API answer.
type response struct {
	Status int
	Body   map[string]any
	Raw    []byte
	Header http.Header
}

func (r response) str(path ...string) string {
	v := r.get(path...)
	if v == nil {
		return ""
	}
	return fmt.Sprint(v)
}

func (r response) get(path ...string) any {
	var cur any = r.Body
	for _, p := range path {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = m[p]
	}
	return cur
}

func (b *bundle) do(method, path, token string, body any, headers ...string) response {
	b.t.Helper()
	var rd io.Reader
	switch v := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(v)
	default:
		j, err := json.Marshal(v)
		require.NoError(b.t, err)
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, b.api.URL+path, rd)
	require.NoError(b.t, err)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(b.t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(b.t, err)
	out := response{Status: resp.StatusCode, Raw: raw, Header: resp.Header}
	if len(raw) > 0 && raw[0] == '{' {
		require.NoError(b.t, json.Unmarshal(raw, &out.Body), string(raw))
	}
	return out
}

// must asserts the status of an answer and returns it.
func (b *bundle) must(status int, r response) response {
	b.t.Helper()
	require.Equal(b.t, status, r.Status, "answer: %s", r.Raw)
	return r
}

// waitCase polls the case until cond holds.
func (b *bundle) waitCase(id string, what string, cond func(response) bool) response {
	b.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	var last response
	for time.Now().Before(deadline) {
		last = b.do("GET", "/api/v1/filings/"+id, tokSpecialist, nil)
		if last.Status == 200 && cond(last) {
			return last
		}
		time.Sleep(100 * time.Millisecond)
	}
	b.t.Fatalf("case %s never became %s; last answer: %s", id, what, last.Raw)
	return last
}

// waitMail waits for a mail to `to` whose subject contains subj.
func (b *bundle) waitMail(to, subj string) catcher.Message {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	m, err := b.mail.Wait(ctx, func(m catcher.Message) bool {
		for _, r := range m.To {
			if strings.EqualFold(r, to) && strings.Contains(m.Subject, subj) {
				return true
			}
		}
		return false
	})
	require.NoError(b.t, err, "no mail to %s with subject containing %q; got: %v", to, subj, subjects(b.mail.Messages()))
	return m
}

func subjects(ms []catcher.Message) []string {
	var out []string
	for _, m := range ms {
		out = append(out, fmt.Sprintf("%v: %s", m.To, m.Subject))
	}
	return out
}

// personFiling is a valid new filing of a person in 广东 on a Jiangsu IP.
func personFiling(domain string) map[string]any {
	return map[string]any{
		"type": "new",
		"sponsor": map[string]any{
			"kind": "person", "name": "张三", "cert_type": "id_card", "cert_number": "11010519491231002X",
			"province": "广东", "city": "广州", "address": "天河区体育西路1号",
		},
		"principal": map[string]any{
			"name": "张三", "id_number": "11010519491231002X", "mobile": "13800138000", "email": "zhangsan@example.net",
		},
		"website": map[string]any{
			"name": "张三的技术笔记", "domains": []string{domain}, "server_ips": []string{"198.51.100.7"},
			"categories": []string{"blog"},
		},
	}
}

// checklistCodes are the codes of the case's required checklist items.
func checklistCodes(r response) []string {
	var out []string
	items, _ := r.get("checklist").([]any)
	for _, it := range items {
		m := it.(map[string]any)
		if m["required"] == true {
			out = append(out, m["code"].(string))
		}
	}
	return out
}
