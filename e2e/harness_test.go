package e2e_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"

	"github.com/beian/beian/internal/stack"
	"github.com/beian/beian/mail/catcher"
	"github.com/beian/beian/postgres"
)

const (
	tokSpecialist = stack.TokSpecialist
	tokSupervisor = stack.TokSupervisor
	tokTech       = stack.TokTech
	tokBureau     = stack.TokBureau
	tokAdmin      = stack.TokAdmin
)

type options = stack.Options

// bundle is one whole beian (internal/stack) with HTTP helpers.
type bundle struct {
	*stack.Stack
	t    *testing.T
	db   *postgres.DB
	tc   client.Client
	mail *catcher.Catcher
	api  *httptest.Server
}

func setup(t *testing.T, o options) *bundle {
	t.Helper()
	s := stack.Start(t, o)
	return &bundle{Stack: s, t: t, db: s.DB, tc: s.Temporal, mail: s.Mail, api: s.API}
}

func (b *bundle) startWorker() { b.StartWorker() }
func (b *bundle) stopWorker()  { b.StopWorker() }

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
	return b.send(req)
}

// send sends req and decodes the answer.
func (b *bundle) send(req *http.Request) response {
	b.t.Helper()
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
func personFiling(domain string) map[string]any { return stack.PersonFiling(domain) }

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
