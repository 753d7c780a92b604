package postgres_test

import (
	"context"
	"fmt"
	"reflect"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/beian/beian"
	"github.com/beian/beian/postgres"
	"github.com/beian/beian/postgres/pgtest"
)

// testBundle is what a store test works with.
type testBundle struct {
	ctx context.Context
	db  *postgres.DB
}

// setup gives the test a store on a database of its own.
func setup(t *testing.T) testBundle {
	t.Helper()
	return testBundle{ctx: t.Context(), db: pgtest.New(t)}
}

var domainCounter atomic.Int64

// uniqueDomain is a domain no other case of the test uses.
func uniqueDomain() string {
	return fmt.Sprintf("site%d.example.cn", domainCounter.Add(1))
}

// ptr is a pointer to v.
func ptr[T any](v T) *T { return &v }

// newCase is a case with every field the store keeps set, and one domain.
// ID, CaseNo, Timeline and the update time are left for the store.
func newCase(domains ...string) *beian.Case {
	if len(domains) == 0 {
		domains = []string{uniqueDomain()}
	}
	at := time.Date(2026, 3, 2, 9, 30, 15, 123456000, time.UTC)
	return &beian.Case{
		Type:   beian.TypeNew,
		Status: beian.StatusAwaitingMaterials,
		Routing: beian.Routing{
			Province:       "江苏",
			DataCentre:     "苏州园区机房",
			AccessProvider: "中网科技（苏州）股份有限公司",
			Mailbox:        "JSBA@ChinaNet.CC",
			BureauProvince: "广东",
		},
		Checklist: []beian.ChecklistItem{
			{Code: "registration_form", Title: "网站备案资料登记表-用户", Note: "签字", Required: true, Received: true},
			{Code: "verification_sheet_guangdong", Title: "网站备案真实性核验单-广东", Note: "广东专用", Required: true, Received: true},
		},
		EmailSubject: "苏州某某科技有限公司+" + domains[0],
		Deadlines: beian.Deadlines{
			PurgeAt:     ptr(at.AddDate(0, 1, 0)),
			BureauDueAt: ptr(at.AddDate(0, 0, 28)),
			RectifyBy:   ptr(at.Add(24 * time.Hour)),
		},
		Overdue:              true,
		BureauReceived:       true,
		Returned:             true,
		ReturnReason:         "网站名称不符合要求",
		ReviewReasons:        []string{"幕布照片不清晰", "核验单未签字"},
		BureauDueProvisional: true,
		FilingNumber:         "苏ICP备12345678号-1",
		FilingPasswordSealed: "sealed:v1:abcdef",
		RectifyReason:        "核验电话无人接听",
		RectifySource:        "verification_call",
		CustomerID:           "cust-42",
		Sponsor: beian.Sponsor{
			Kind:       beian.SponsorOrganisation,
			Name:       "苏州某某科技有限公司",
			CertType:   beian.CertUSCC,
			CertNumber: fmt.Sprintf("91320594MA%08d", domainCounter.Add(1)), // one sponsor per case: R-IN-5
			Province:   "广东",
			City:       "深圳",
			Address:    "南山区科技园 1 号",
			LegalRep:   &beian.Person{Name: "李四", IDNumber: "320102198001011234"},
		},
		Principal: beian.Principal{
			Name:     "张三",
			IDNumber: "320102199001011234",
			Mobile:   "13800138000",
			Landline: "0512-66668888",
			Email:    "zhangsan@example.cn",
			QQ:       "10001",
		},
		Website: beian.Website{
			Name:         "某某科技官网",
			Domains:      domains,
			ServerIPs:    []string{"198.51.100.7", "2001:db8:1::7"},
			Categories:   []string{"企业官网", "blog"},
			PreApprovals: []beian.PreApproval{{Category: "news", DocumentNo: "新出审字[2026]1号"}},
			Interactive:  true,
		},
		LinkedCaseID:      fmt.Sprintf("00000000-0000-4000-8000-%012d", domainCounter.Add(1)), // one live filing per case
		WorkflowID:        "filing-test",
		AcceptedOverrides: []string{"REGION_NAME_IN_PERSONAL_SITE"},
		LastVerifiedAt:    ptr(at.Add(-time.Hour)),
		SMS: &beian.SMSVerification{Status: beian.SMSVerified, StartedAt: at.Add(-3 * time.Hour), DueAt: at.Add(21 * time.Hour),
			RemindAt: ptr(at.Add(time.Hour)), RemindedAt: ptr(at.Add(-2 * time.Hour)), CompletedAt: ptr(at.Add(-time.Hour)), By: "specialist:wang"},
		PublicSecurity: &beian.PublicSecurity{Status: beian.PublicSecurityRecorded, OpenedAt: at.Add(-48 * time.Hour), DueAt: at.Add(28 * 24 * time.Hour),
			Reminded: 1, Number: "苏公网安备32050502000001号", RecordedAt: ptr(at), RecordedBy: "specialist:wang"},
		CreatedBy: "specialist:wang",
		CreatedAt: at,
	}
}

// createCase stores c and fails the test if it cannot.
func (b testBundle) createCase(t *testing.T, c *beian.Case) *beian.Case {
	t.Helper()
	require.NoError(t, b.db.CreateCase(b.ctx, c))
	return c
}

// inUTC returns c with every time in UTC, so cases compare with require.Equal.
func inUTC(c beian.Case) beian.Case {
	utc := func(p *time.Time) *time.Time {
		if p == nil {
			return nil
		}
		return ptr(p.UTC())
	}
	c.CreatedAt, c.UpdatedAt = c.CreatedAt.UTC(), c.UpdatedAt.UTC()
	c.LastVerifiedAt = utc(c.LastVerifiedAt)
	if c.SMS != nil {
		v := *c.SMS
		v.StartedAt, v.DueAt = v.StartedAt.UTC(), v.DueAt.UTC()
		v.RemindAt, v.RemindedAt, v.CompletedAt = utc(v.RemindAt), utc(v.RemindedAt), utc(v.CompletedAt)
		c.SMS = &v
	}
	if c.PublicSecurity != nil {
		v := *c.PublicSecurity
		v.OpenedAt, v.DueAt, v.RecordedAt = v.OpenedAt.UTC(), v.DueAt.UTC(), utc(v.RecordedAt)
		c.PublicSecurity = &v
	}
	c.Deadlines = beian.Deadlines{
		PurgeAt:     utc(c.Deadlines.PurgeAt),
		BureauDueAt: utc(c.Deadlines.BureauDueAt),
		RectifyBy:   utc(c.Deadlines.RectifyBy),
	}
	tl := make([]beian.Event, len(c.Timeline))
	for i, e := range c.Timeline {
		e.At = e.At.UTC()
		tl[i] = e
	}
	if c.Timeline != nil {
		c.Timeline = tl
	}
	return c
}

// requireAllSet fails when a field of v, at any depth, is the zero value
// (skipping the named top-level fields), so that a round trip over v covers
// every field, including those added to the domain later.
func requireAllSet(t *testing.T, v any, skip ...string) {
	t.Helper()
	skipped := map[string]bool{}
	for _, s := range skip {
		skipped[s] = true
	}
	var walk func(path string, v reflect.Value)
	walk = func(path string, v reflect.Value) {
		if v.IsZero() {
			t.Errorf("fixture leaves %s unset; set it so the round trip covers it", path)
			return
		}
		switch v.Kind() {
		case reflect.Pointer:
			if v.Type() != reflect.TypeFor[*time.Time]() {
				walk(path, v.Elem())
			}
		case reflect.Struct:
			if v.Type() == reflect.TypeFor[time.Time]() {
				return
			}
			for i := range v.NumField() {
				f := v.Type().Field(i)
				name := path + "." + f.Name
				if path == "" {
					name = f.Name
				}
				if path == "" && skipped[f.Name] {
					continue
				}
				walk(name, v.Field(i))
			}
		case reflect.Slice:
			for i := range v.Len() {
				walk(fmt.Sprintf("%s[%d]", path, i), v.Index(i))
			}
		}
	}
	walk("", reflect.ValueOf(v).Elem())
}
