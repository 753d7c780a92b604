// Package stack runs a whole beian in-process for tests and benchmarks: the
// API on a loopback HTTP server, the worker, a Temporal dev server, a fresh
// Postgres database and the SMTP catcher. Nothing is mocked.
package stack

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	sdkworker "go.temporal.io/sdk/worker"

	"github.com/beian/beian"
	"github.com/beian/beian/activities"
	"github.com/beian/beian/api"
	"github.com/beian/beian/console"
	"github.com/beian/beian/desk"
	"github.com/beian/beian/dns"
	"github.com/beian/beian/dns/dnstest"
	"github.com/beian/beian/faq"
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
	TokSpecialist = "tok-specialist"
	TokSupervisor = "tok-supervisor"
	TokTech       = "tok-tech"
	TokBureau     = "tok-bureau"
	TokAdmin      = "tok-admin"
)

// Options shorten the deadlines for tests.
type Options struct {
	PurgeAfter time.Duration
	BureauSLA  time.Duration
	Rectify    time.Duration
	// SessionIdle ends console sessions sooner, for timeout tests.
	SessionIdle time.Duration
	// SMSWithin shortens the MIIT SMS check's 24 hours (R-BR-6).
	SMSWithin time.Duration
	// Log, when set, receives the desk's, API's and console's logs (JSON,
	// debug level and up), for tests that read them (issue 12 §2); they
	// are discarded otherwise.
	Log io.Writer
}

// Stack is one running beian.
type Stack struct {
	t        testing.TB
	DB       *postgres.DB
	Temporal client.Client
	// TemporalAddress is the dev server's frontend, host:port.
	TemporalAddress string
	Mail            *catcher.Catcher
	Acts            *activities.Activities
	// Desk is the services the API and the console share.
	Desk   *desk.Service
	API    *httptest.Server
	worker sdkworker.Worker
	// DNS is the stack's resolver: an authoritative server on loopback
	// answering what SetDNS put in it (NXDOMAIN for the rest).
	DNS  *dnstest.Server
	zone sync.Map // name → dnstest.Records
}

// SetDNS makes name resolve to ips (A and AAAA) on the stack's DNS
// server; no ips removes it (NXDOMAIN).
func (s *Stack) SetDNS(name string, ips ...string) {
	if len(ips) == 0 {
		s.zone.Delete(name)
		return
	}
	var r dnstest.Records
	for _, ip := range ips {
		a := netip.MustParseAddr(ip)
		if a.Is4() {
			r.A = append(r.A, a)
		} else {
			r.AAAA = append(r.AAAA, a)
		}
	}
	s.zone.Store(name, r)
}

// DataCentres are the test data centres, on documentation ranges.
func DataCentres() []beian.DataCentre {
	return []beian.DataCentre{
		{Name: "苏州园区机房", Province: "江苏", AccessProvider: beian.ProviderJiangsu, Mailbox: "JSBA@ChinaNet.CC",
			CIDRs: []netip.Prefix{netip.MustParsePrefix("198.51.100.0/24"), netip.MustParsePrefix("2001:db8:1::/48")}},
		{Name: "滁州双线机房", Province: "安徽", AccessProvider: beian.ProviderAnhui, Mailbox: "AHBA@ChinaNet.CC",
			CIDRs: []netip.Prefix{netip.MustParsePrefix("203.0.113.0/24")}},
	}
}

// Customers are the test customers (R-ENT-2: product first, filing
// second): 测试客户 holds an access product, valid until 2099-12-31, on the
// lower half of each test range (198.51.100.1–127, 203.0.113.1–127,
// 2001:db8:1::1–7f). The upper halves (198.51.100.128–254 …) have no
// product, for tests of NO_ACTIVE_PRODUCT.
func Customers() []beian.Customer {
	lowerHalf := func(first netip.Addr) []netip.Addr {
		var out []netip.Addr
		for a, i := first, 0; i < 127; a, i = a.Next(), i+1 {
			out = append(out, a)
		}
		return out
	}
	return []beian.Customer{{
		ID: TestCustomerID, Name: "测试客户",
		Contact:         beian.Contact{Name: "张三", Mobile: "13800138000", Email: "zhangsan@example.net"},
		AccountManager:  beian.Contact{Name: "客户经理", Email: "am@test.local"},
		ManagerSuperior: beian.Contact{Name: "销售总监", Email: "director@test.local"},
		Products: []beian.Product{
			{ID: "P-TEST-JS", ServerIPs: append(lowerHalf(netip.MustParseAddr("198.51.100.1")), lowerHalf(netip.MustParseAddr("2001:db8:1::1"))...), ValidUntil: "2099-12-31"},
			{ID: "P-TEST-AH", ServerIPs: lowerHalf(netip.MustParseAddr("203.0.113.1")), ValidUntil: "2099-12-31"},
		},
	}}
}

// TestCustomerID is the ID of the customer of Customers.
const TestCustomerID = "C-TEST"

// Start starts a stack that stops at the end of the test.
func Start(t testing.TB, o Options) *Stack {
	t.Helper()
	ctx := context.Background()
	db := pgtest.New(t)
	// issue 12 §2: one keyring seals the filing passwords (desk) and the
	// personal data (store), as in cmd/beian.
	box, err := secret.NewBox("e2e test key, long enough to stretch")
	require.NoError(t, err)
	db.UseBox(box)
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	if o.Log != nil {
		logger = slog.New(slog.NewJSONHandler(o.Log, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	require.NoError(t, db.ReplaceDataCentres(ctx, DataCentres(), "test"))
	require.NoError(t, db.PutCustomers(ctx, Customers(), "test"))
	srv := testenv.Temporal(t)
	cat, sender := Mailer(t)
	if o.Rectify == 0 {
		o.Rectify = 24 * time.Hour
	}
	engine := &worker.Engine{Client: srv.Client()}
	acts := &activities.Activities{Store: db, Mailer: sender, Linker: engine, Caller: engine, Escalator: engine, Callbacker: engine, Staff: db, Config: activities.Config{
		BureauWorkingDays: 20, BureauSLA: o.BureauSLA, RectifyWithin: o.Rectify, SMSWithin: o.SMSWithin,
		StaffAlerts: []string{"supervisor@test.local"}, GMMailbox: "gm@test.local", TechSupervisorMailbox: "techboss@test.local",
	}}
	s := &Stack{t: t, DB: db, Temporal: srv.Client(), TemporalAddress: srv.FrontendHostPort(), Mail: cat, Acts: acts}
	s.DNS = dnstest.Start(t, dnstest.Options{Zone: func(name string) (dnstest.Records, bool) {
		r, ok := s.zone.Load(name)
		if !ok {
			return dnstest.Records{}, false
		}
		return r.(dnstest.Records), true
	}})
	resolver, err := dns.New(dns.Config{Servers: []string{s.DNS.Addr}, Timeout: 300 * time.Millisecond, Attempts: 2})
	require.NoError(t, err)
	t.Cleanup(func() { _ = resolver.Close() })
	acts.Domains = resolver
	acts.Config.MarketingMailbox = "marketing@test.local"
	s.StartWorker()
	bank, err := faq.Load()
	require.NoError(t, err)
	s.Desk = &desk.Service{
		Store: db, Engine: &worker.Engine{Client: s.Temporal}, Box: box,
		Logger:  logger,
		Config:  desk.Config{PurgeAfter: o.PurgeAfter, BureauWorkingDays: 20, SessionIdle: o.SessionIdle, TemporalUI: "http://127.0.0.1:8233"},
		Rules:   desk.StoredRules(db),
		FAQ:     bank,
		Domains: resolver,
		Sweeper: engine,
		Watcher: engine,
	}
	a := api.New(api.Deps{
		Desk: s.Desk,
		Tokens: []api.Token{
			{Name: "小李", Role: api.RoleSpecialist, Token: TokSpecialist},
			{Name: "王主管", Role: api.RoleSupervisor, Token: TokSupervisor},
			{Name: "技术部", Role: api.RoleTech, Token: TokTech},
			{Name: "管局接口", Role: api.RoleBureau, Token: TokBureau},
			{Name: "admin", Role: api.RoleAdmin, Token: TokAdmin},
		},
		Logger:  logger,
		Console: console.New(s.Desk, logger),
	})
	s.API = httptest.NewServer(a)
	t.Cleanup(s.API.Close)
	return s
}

// Mailer starts an SMTP catcher for the test and a sender that mails to it.
func Mailer(t testing.TB) (*catcher.Catcher, *mail.Sender) {
	t.Helper()
	cat, err := catcher.Start("127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = cat.Close() })
	mcfg, err := mail.ParseURL(cat.URL())
	require.NoError(t, err)
	sender, err := mail.NewSender(mcfg, "beian@test.local")
	require.NoError(t, err)
	return cat, sender
}

// StartWorker starts a worker (again, after StopWorker).
func (s *Stack) StartWorker() {
	w := worker.New(s.Temporal, s.Acts, sdkworker.Options{})
	require.NoError(s.t, w.Start())
	s.worker = w
	s.t.Cleanup(func() {
		if s.worker != nil {
			s.worker.Stop()
			s.worker = nil
		}
	})
}

// StopWorker stops the running worker.
func (s *Stack) StopWorker() {
	s.worker.Stop()
	s.worker = nil
}

// StaffPassword is the password of every account AddStaff makes.
const StaffPassword = "correct horse battery"

// Engine drives the stack's workflows as the API does.
func (s *Stack) Engine() *worker.Engine { return &worker.Engine{Client: s.Temporal} }

// AddStaff creates a console account with StaffPassword.
func (s *Stack) AddStaff(username, name, role string) {
	s.t.Helper()
	_, err := s.Desk.CreateStaff(context.Background(), desk.Actor{Name: "test", Role: beian.RoleAdmin},
		beian.Staff{Username: username, Name: name, Role: role, Email: username + "@test.local"}, StaffPassword)
	require.NoError(s.t, err)
}
