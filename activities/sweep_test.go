package activities_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/testsuite"

	"github.com/beian/beian"
	"github.com/beian/beian/activities"
	"github.com/beian/beian/dns"
	"github.com/beian/beian/dns/dnstest"
	"github.com/beian/beian/homepage"
	"github.com/beian/beian/internal/stack"
	"github.com/beian/beian/postgres/pgtest"
	"github.com/beian/beian/workflows"
)

// TestSweepBatchAndHomepages (R-PA-3, R-PA-5): a batch records every live
// filing's domain with its class, a retried batch records nothing twice,
// and the home pages of the domains found ours are read from our own
// address: the site that shows its number (full-width on the page) is
// recorded shown, the one that does not is reminded once however often the
// check runs.
func TestSweepBatchAndHomepages(t *testing.T) {
	ctx := context.Background()
	db := pgtest.New(t)
	cat, sender := stack.Mailer(t)
	require.NoError(t, db.ReplaceDataCentres(ctx, []beian.DataCentre{{Name: "本机", Province: "江苏", AccessProvider: beian.ProviderJiangsu,
		Mailbox: "JSBA@ChinaNet.CC", CIDRs: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}}}, "test"))
	pages := map[string]string{
		"shows.cn":   "<html><body>版权所有 <a href=\"https://beian.miit.gov.cn\">苏ＩＣＰ备１２３４５６７８号</a> <a>苏公网安备 32050502000001号</a></body></html>",
		"missing.cn": "<html><body>欢迎光临</body></html>",
		// R-PA-6: the filing number shown, the recorded public-security number not.
		"ps-missing.cn": "<html><body>苏ICP备12345678号</body></html>",
	}
	web := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host, _, _ := net.SplitHostPort(r.Host)
		if host == "" {
			host = r.Host
		}
		fmt.Fprint(w, pages[strings.TrimPrefix(host, "www.")])
	}))
	defer web.Close()
	port := web.Listener.Addr().(*net.TCPAddr).Port
	zone := map[string]dnstest.Records{}
	var cases []*beian.Case
	for _, d := range []string{"shows.cn", "missing.cn", "moved.cn", "ps-missing.cn"} {
		c := newCase()
		c.Status, c.FilingNumber = beian.StatusApproved, "苏ICP备12345678号-1"
		if d == "shows.cn" || d == "ps-missing.cn" {
			c.PublicSecurity = &beian.PublicSecurity{Status: beian.PublicSecurityRecorded, Number: "苏公网安备32050502000001号"}
		}
		c.Website.Domains = []string{d}
		require.NoError(t, db.CreateCase(ctx, c))
		cases = append(cases, c)
		zone[d] = dnstest.Records{A: []netip.Addr{netip.MustParseAddr("127.0.0.1")}}
	}
	zone["moved.cn"] = dnstest.Records{A: []netip.Addr{netip.MustParseAddr("192.0.2.9")}}
	srv := dnstest.Start(t, dnstest.Options{Zone: dnstest.Map(zone)})
	resolver, err := dns.New(dns.Config{Servers: []string{srv.Addr}, Timeout: 300 * time.Millisecond})
	require.NoError(t, err)
	defer resolver.Close()
	acts := &activities.Activities{Store: db, Mailer: sender, Domains: resolver,
		Homepages: &homepage.Checker{HTTPPort: port, HTTPSPort: 1, Timeout: 2 * time.Second},
		Config:    activities.Config{SweepHomepages: true}}

	s, _, err := db.OpenSweep(ctx, "manual", "test", "")
	require.NoError(t, err)
	var ts testsuite.WorkflowTestSuite
	for range 2 { // the second run is a retry: nothing recorded twice
		env := ts.NewTestActivityEnvironment()
		env.RegisterActivity(acts)
		v, err := env.ExecuteActivity(acts.SweepBatch, workflows.SweepBatchInput{SweepID: s.ID, Limit: 100})
		require.NoError(t, err)
		var res workflows.SweepBatchResult
		require.NoError(t, v.Get(&res))
		require.Equal(t, 4, res.Checked)
		require.Empty(t, res.Next)
	}
	got, err := db.GetSweep(ctx, s.ID)
	require.NoError(t, err)
	require.Equal(t, 4, got.Total)
	require.Equal(t, map[beian.SweepClass]int{beian.SweepOurs: 3, beian.SweepElsewhere: 1}, got.Counts)

	for range 2 {
		env := ts.NewTestActivityEnvironment()
		env.RegisterActivity(acts)
		_, err := env.ExecuteActivity(acts.SweepHomepages, s.ID)
		require.NoError(t, err)
	}
	fs, err := db.SweepFindings(ctx, s.ID, beian.SweepOurs, "", 10)
	require.NoError(t, err)
	byDomain := map[string]beian.SweepFinding{}
	for _, f := range fs {
		byDomain[f.Domain] = f
	}
	require.Equal(t, "shown", byDomain["shows.cn"].Homepage, byDomain["shows.cn"].HomepageDetail)
	require.Equal(t, "missing", byDomain["missing.cn"].Homepage, byDomain["missing.cn"].HomepageDetail)
	require.NotNil(t, byDomain["missing.cn"].RemindedAt)
	// subjects are the subjects of the mails whose subject has s.
	subjects := func(s string) []string {
		var out []string
		for _, m := range cat.Messages() {
			if strings.Contains(m.Subject, s) {
				out = append(out, m.Subject)
			}
		}
		return out
	}
	reminders := subjects("请在首页标明备案号")
	require.Len(t, reminders, 1, "one reminder per sweep")
	require.Contains(t, reminders[0], "missing.cn")
	require.Equal(t, "shown", byDomain["ps-missing.cn"].Homepage)
	require.Contains(t, byDomain["ps-missing.cn"].HomepageDetail, "未显示公安备案号")
	require.NotContains(t, byDomain["shows.cn"].HomepageDetail, "公安备案号", "shown, so not reported")
	ps := subjects("请在首页标明公安备案号")
	require.Len(t, ps, 1, "one public-security reminder per sweep (R-PA-6)")
	require.Contains(t, ps[0], "ps-missing.cn")
	missing, err := db.GetCase(ctx, cases[1].ID)
	require.NoError(t, err)
	require.Equal(t, "homepage_number_missing", missing.Timeline[len(missing.Timeline)-1].Event)
}
