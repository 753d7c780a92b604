package dns_test

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"

	mdns "github.com/miekg/dns"
	"github.com/stretchr/testify/require"

	"github.com/beian/beian/dns"
	"github.com/beian/beian/dns/dnstest"
)

func rec(a ...string) dnstest.Records {
	var r dnstest.Records
	for _, ip := range addrs(a...) {
		if ip.Is4() {
			r.A = append(r.A, ip)
		} else {
			r.AAAA = append(r.AAAA, ip)
		}
	}
	return r
}

func cname(target string) dnstest.Records { return dnstest.Records{CNAME: target} }

// newResolver makes a resolver on servers, closed when t ends; lookups
// start on the first server.
func newResolver(t *testing.T, cfg dns.Config, servers ...*dnstest.Server) *dns.Resolver {
	t.Helper()
	for _, s := range servers {
		cfg.Servers = append(cfg.Servers, s.Addr)
	}
	r, err := dns.New(cfg)
	require.NoError(t, err)
	t.Cleanup(func() { r.Close() })
	return r
}

func answer(t *testing.T, ev dns.Evidence, name, qtype string) dns.Answer {
	t.Helper()
	for _, a := range ev.Answers {
		if a.Name == name && a.Qtype == qtype {
			return a
		}
	}
	t.Fatalf("no answer for %s %s in %+v", name, qtype, ev)
	return dns.Answer{}
}

// TestLookupEvidence: one lookup asks A and AAAA for the apex and www and
// records who answered what, when, and how long it took.
func TestLookupEvidence(t *testing.T) {
	t.Parallel()
	srv := dnstest.Start(t, dnstest.Options{Zone: dnstest.Map(map[string]dnstest.Records{
		"shop.test":     rec("10.0.0.1", "2001:db8:1::1"),
		"www.shop.test": rec("10.0.0.2"),
	})})
	r := newResolver(t, dns.Config{}, srv)
	before := time.Now()
	ev := r.Lookup(context.Background(), "SHOP.test.")
	require.Equal(t, "shop.test", ev.Domain)
	require.Len(t, ev.Answers, 4)
	a := answer(t, ev, "shop.test", "A")
	require.Equal(t, addrs("10.0.0.1"), a.Addrs)
	require.Equal(t, "NOERROR", a.Rcode)
	require.Equal(t, srv.Addr, a.Resolver)
	require.Empty(t, a.Error)
	require.Equal(t, 1, a.Queries)
	require.False(t, a.At.Before(before))
	require.Positive(t, a.Duration)
	require.Equal(t, addrs("2001:db8:1::1"), answer(t, ev, "shop.test", "AAAA").Addrs)
	require.Equal(t, addrs("10.0.0.2"), answer(t, ev, "www.shop.test", "A").Addrs)
	require.Empty(t, answer(t, ev, "www.shop.test", "AAAA").Addrs)
	require.Equal(t, dns.ClassOurs, dns.Classify(ev, ours))
	require.EqualValues(t, 4, srv.Queries())

	// A filed www domain is asked for itself only.
	ev = r.Lookup(context.Background(), "www.shop.test")
	require.Len(t, ev.Answers, 2)
}

// TestQueriesCarryEDNS0: every query has an OPT record with our UDP size.
func TestQueriesCarryEDNS0(t *testing.T) {
	t.Parallel()
	srv := dnstest.Start(t, dnstest.Options{Zone: dnstest.Map(map[string]dnstest.Records{"e.test": rec("10.0.0.1")})})
	r := newResolver(t, dns.Config{}, srv)
	r.Lookup(context.Background(), "e.test")
	require.EqualValues(t, 4, srv.Queries())
	require.Zero(t, srv.QueriesWithoutEDNS())
	require.Equal(t, dns.DefaultUDPSize, srv.LastUDPSize())
}

// TestFollowsCNAME: chains are followed whether the server sends the whole
// chain (a recursive resolver) or only the CNAME (another zone's authority).
func TestFollowsCNAME(t *testing.T) {
	t.Parallel()
	zone := dnstest.Map(map[string]dnstest.Records{
		"c.test":            rec("10.0.0.1"),
		"www.c.test":        cname("edge.cdn.test."),
		"edge.cdn.test":     cname("Node7.CDN.test"),
		"node7.cdn.test":    rec("203.0.113.7"),
		"dangling.test":     cname("gone.cdn.test"),
		"www.dangling.test": cname("gone.cdn.test"),
	})
	for _, chase := range []bool{true, false} {
		t.Run(fmt.Sprintf("chase=%v", chase), func(t *testing.T) {
			t.Parallel()
			srv := dnstest.Start(t, dnstest.Options{Zone: zone, ChaseCNAME: chase})
			r := newResolver(t, dns.Config{}, srv)
			ev := r.Lookup(context.Background(), "c.test")
			a := answer(t, ev, "www.c.test", "A")
			require.Equal(t, []string{"edge.cdn.test", "node7.cdn.test"}, a.CNAMEs)
			require.Equal(t, addrs("203.0.113.7"), a.Addrs)
			require.Empty(t, a.Error)
			if chase {
				require.Equal(t, 1, a.Queries)
			} else {
				require.Equal(t, 3, a.Queries, "one query per hop")
			}
			require.Equal(t, dns.ClassElsewhere, dns.Classify(ev, ours))

			// A CNAME to a name that does not exist: no address, not a failure.
			ev = r.Lookup(context.Background(), "dangling.test")
			a = answer(t, ev, "dangling.test", "A")
			require.Equal(t, []string{"gone.cdn.test"}, a.CNAMEs)
			require.Equal(t, "NXDOMAIN", a.Rcode)
			require.Equal(t, dns.ClassNXDomain, dns.Classify(ev, ours))
		})
	}
}

// TestCNAMELoopAndDepth: a loop or a chain longer than 8 is an error, and
// such a domain is unresolved, never moved.
func TestCNAMELoopAndDepth(t *testing.T) {
	t.Parallel()
	m := map[string]dnstest.Records{
		"loop.test":     cname("b.loop.test"),
		"www.loop.test": cname("www.loop.test"), // to itself
		"b.loop.test":   cname("c.loop.test"),
		"c.loop.test":   cname("loop.test"),
		"deep.test":     cname("h1.deep.test"),
		"www.deep.test": cname("h1.deep.test"),
	}
	for i := 1; i < 12; i++ {
		m[fmt.Sprintf("h%d.deep.test", i)] = cname(fmt.Sprintf("h%d.deep.test", i+1))
	}
	m["h12.deep.test"] = rec("198.51.100.1")
	for _, chase := range []bool{true, false} {
		t.Run(fmt.Sprintf("chase=%v", chase), func(t *testing.T) {
			t.Parallel()
			srv := dnstest.Start(t, dnstest.Options{Zone: dnstest.Map(m), ChaseCNAME: chase})
			r := newResolver(t, dns.Config{}, srv)
			ev := r.Lookup(context.Background(), "loop.test")
			a := answer(t, ev, "loop.test", "A")
			require.Contains(t, a.Error, "cname loop at loop.test")
			require.Equal(t, []string{"b.loop.test", "c.loop.test", "loop.test"}, a.CNAMEs)
			require.Contains(t, answer(t, ev, "www.loop.test", "AAAA").Error, "cname loop at www.loop.test")
			require.Equal(t, dns.ClassUnresolved, dns.Classify(ev, ours))

			ev = r.Lookup(context.Background(), "deep.test")
			a = answer(t, ev, "deep.test", "A")
			require.Contains(t, a.Error, "cname chain longer than 8")
			require.Len(t, a.CNAMEs, 8)
			require.Empty(t, a.Addrs)
			require.Equal(t, dns.ClassUnresolved, dns.Classify(ev, ours))
		})
	}
}

// TestNXDomain: a name that exists nowhere is nxdomain, not unresolved.
func TestNXDomain(t *testing.T) {
	t.Parallel()
	srv := dnstest.Start(t, dnstest.Options{})
	r := newResolver(t, dns.Config{}, srv)
	f := r.Check(context.Background(), "gone.test", ours)
	require.Equal(t, dns.ClassNXDomain, f.Class)
	require.Equal(t, "gone.test", f.Domain)
	require.Len(t, f.Evidence, 1)
	for _, a := range f.Evidence[0].Answers {
		require.Equal(t, "NXDOMAIN", a.Rcode)
		require.Empty(t, a.Error)
	}
}

// TestAAAAOnly: an IPv6-only site is judged on its AAAA records.
func TestAAAAOnly(t *testing.T) {
	t.Parallel()
	srv := dnstest.Start(t, dnstest.Options{Zone: dnstest.Map(map[string]dnstest.Records{
		"v6.test":      rec("2001:db8:1::80"),
		"www.v6.test":  rec("2001:db8:1::81"),
		"v6x.test":     rec("2001:db8:2::80"),
		"www.v6x.test": rec("2001:db8:1::81"),
	})})
	r := newResolver(t, dns.Config{}, srv)
	f := r.Check(context.Background(), "v6.test", ours)
	require.Equal(t, dns.ClassOurs, f.Class)
	require.Empty(t, answer(t, f.Evidence[0], "v6.test", "A").Addrs)
	require.Equal(t, dns.ClassElsewhere, r.Check(context.Background(), "v6x.test", ours).Class)
}

// TestWWWOnly: an apex without address is judged on its www.
func TestWWWOnly(t *testing.T) {
	t.Parallel()
	srv := dnstest.Start(t, dnstest.Options{Zone: dnstest.Map(map[string]dnstest.Records{
		"w.test":      {},
		"www.w.test":  rec("10.2.3.4"),
		"wx.test":     {},
		"www.wx.test": rec("192.0.2.1"),
	})})
	r := newResolver(t, dns.Config{}, srv)
	require.Equal(t, dns.ClassOurs, r.Check(context.Background(), "w.test", ours).Class)
	require.Equal(t, dns.ClassElsewhere, r.Check(context.Background(), "wx.test", ours).Class)
}

// TestTruncationFallsBackToTCP: a truncated UDP reply is asked again over TCP.
func TestTruncationFallsBackToTCP(t *testing.T) {
	t.Parallel()
	big := dnstest.Records{}
	for i := range 120 { // 120 A records do not fit 1232 bytes
		big.A = append(big.A, netip.AddrFrom4([4]byte{10, 0, 1, byte(i)}))
	}
	zone := dnstest.Map(map[string]dnstest.Records{"tc.test": rec("10.0.0.1"), "big.test": big})
	t.Run("forced", func(t *testing.T) {
		t.Parallel()
		srv := dnstest.Start(t, dnstest.Options{Zone: zone, Truncate: true})
		r := newResolver(t, dns.Config{}, srv)
		f := r.Check(context.Background(), "tc.test", ours)
		require.Equal(t, dns.ClassOurs, f.Class)
		require.Equal(t, addrs("10.0.0.1"), answer(t, f.Evidence[0], "tc.test", "A").Addrs)
		require.EqualValues(t, 4, srv.TCPQueries())
		require.EqualValues(t, 8, srv.Queries())
	})
	t.Run("too big for EDNS0 size", func(t *testing.T) {
		t.Parallel()
		srv := dnstest.Start(t, dnstest.Options{Zone: zone})
		r := newResolver(t, dns.Config{}, srv)
		ev := r.Lookup(context.Background(), "big.test")
		require.Len(t, answer(t, ev, "big.test", "A").Addrs, 120)
		require.EqualValues(t, 1, srv.TCPQueries())
	})
}

// TestRetryAfterStall: a resolver that stalls 10 s costs one timeout, then
// the next server answers (Config.Attempts), and later lookups of the batch
// start on the server that works.
func TestRetryAfterStall(t *testing.T) {
	t.Parallel()
	zone := dnstest.Map(map[string]dnstest.Records{"s.test": rec("10.0.0.1"), "www.s.test": rec("10.0.0.1")})
	stalled := dnstest.Start(t, dnstest.Options{Zone: zone, Stall: 10 * time.Second})
	good := dnstest.Start(t, dnstest.Options{Zone: zone})
	r := newResolver(t, dns.Config{Timeout: 300 * time.Millisecond}, stalled, good)
	start := time.Now()
	f := r.Check(context.Background(), "s.test", ours)
	took := time.Since(start)
	require.Equal(t, dns.ClassOurs, f.Class)
	require.Less(t, took, 2*time.Second, "the stall must cost one timeout, not 10 s")
	a := f.Evidence[0].Answers[0]
	require.Equal(t, good.Addr, a.Resolver)
	require.Equal(t, 2, a.Queries)
	require.EqualValues(t, 1, stalled.Queries(), "later queries skip the stalled server")

	// A batch with the stalled server first still finishes quickly.
	var domains []string
	for range 200 {
		domains = append(domains, "s.test")
	}
	r2 := newResolver(t, dns.Config{Timeout: 300 * time.Millisecond, Concurrency: 32}, stalled, good)
	start = time.Now()
	n := 0
	require.NoError(t, r2.CheckAll(context.Background(), domains, ours, func(f dns.Finding) {
		require.Equal(t, dns.ClassOurs, f.Class)
		n++
	}))
	require.Equal(t, 200, n)
	require.Less(t, time.Since(start), 3*time.Second)
}

// TestServfailRetriesNextServer: SERVFAIL and REFUSED move to the next
// server; when every server fails the domain is unresolved.
func TestServfailRetriesNextServer(t *testing.T) {
	t.Parallel()
	zone := dnstest.Map(map[string]dnstest.Records{"f.test": rec("10.0.0.1"), "www.f.test": rec("10.0.0.1")})
	for _, rcode := range []int{mdns.RcodeServerFailure, mdns.RcodeRefused} {
		t.Run(mdns.RcodeToString[rcode], func(t *testing.T) {
			t.Parallel()
			bad := dnstest.Start(t, dnstest.Options{Zone: zone, Rcode: rcode})
			good := dnstest.Start(t, dnstest.Options{Zone: zone})
			r := newResolver(t, dns.Config{}, bad, good)
			f := r.Check(context.Background(), "f.test", ours)
			require.Equal(t, dns.ClassOurs, f.Class)
			a := f.Evidence[0].Answers[0]
			require.Equal(t, good.Addr, a.Resolver)
			require.Equal(t, 2, a.Queries)

			r = newResolver(t, dns.Config{}, bad)
			f = r.Check(context.Background(), "f.test", ours)
			require.Equal(t, dns.ClassUnresolved, f.Class)
			a = f.Evidence[0].Answers[0]
			require.Equal(t, mdns.RcodeToString[rcode], a.Rcode)
			require.Equal(t, 3, a.Queries, "Config.Attempts")
			require.Contains(t, a.Error, mdns.RcodeToString[rcode])
		})
	}
}

// TestResolversDown: with every resolver silent or refusing, domains are
// unresolved — never elsewhere, never nxdomain (R-PA-3).
func TestResolversDown(t *testing.T) {
	t.Parallel()
	// A port nothing listens on: the kernel answers port unreachable.
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	require.NoError(t, err)
	closed := pc.LocalAddr().String()
	require.NoError(t, pc.Close())
	silent := dnstest.Start(t, dnstest.Options{Drop: true})

	r, err := dns.New(dns.Config{Servers: []string{closed, silent.Addr}, Timeout: 200 * time.Millisecond})
	require.NoError(t, err)
	t.Cleanup(func() { r.Close() })
	start := time.Now()
	var mu sync.Mutex
	var got []dns.Finding
	require.NoError(t, r.CheckAll(context.Background(), []string{"a.test", "b.test", "c.test"}, ours, func(f dns.Finding) {
		mu.Lock()
		got = append(got, f)
		mu.Unlock()
	}))
	require.Len(t, got, 3)
	for _, f := range got {
		require.Equal(t, dns.ClassUnresolved, f.Class, "%+v", f)
		for _, a := range f.Evidence[0].Answers {
			require.NotEmpty(t, a.Error)
		}
	}
	require.Less(t, time.Since(start), 5*time.Second)
	require.Positive(t, silent.Queries())
}

// TestConfirmOnSecondResolver: a domain that looks elsewhere is asked again
// on the other resolver before anyone is told (R-PA-3); the second decides:
// ours → ours, elsewhere → elsewhere, anything else → unresolved.
func TestConfirmOnSecondResolver(t *testing.T) {
	t.Parallel()
	outside := dnstest.Map(map[string]dnstest.Records{"m.test": rec("198.51.100.1"), "www.m.test": rec("198.51.100.1")})
	for _, tc := range []struct {
		name   string
		second dnstest.Options
		want   dns.Class
	}{
		{"second says ours", dnstest.Options{Zone: dnstest.Map(map[string]dnstest.Records{"m.test": rec("10.0.0.1"), "www.m.test": rec("10.0.0.1")})}, dns.ClassOurs},
		{"second agrees", dnstest.Options{Zone: outside}, dns.ClassElsewhere},
		{"second elsewhere at another address", dnstest.Options{Zone: dnstest.Map(map[string]dnstest.Records{"m.test": rec("203.0.113.9")})}, dns.ClassElsewhere},
		{"second says nxdomain", dnstest.Options{}, dns.ClassUnresolved},
		{"second SERVFAIL", dnstest.Options{Zone: outside, Rcode: mdns.RcodeServerFailure}, dns.ClassUnresolved},
		{"second silent", dnstest.Options{Zone: outside, Drop: true}, dns.ClassUnresolved},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			first := dnstest.Start(t, dnstest.Options{Zone: outside})
			second := dnstest.Start(t, tc.second)
			r := newResolver(t, dns.Config{Timeout: 200 * time.Millisecond, Attempts: 2}, first, second)
			f := r.Check(context.Background(), "m.test", ours)
			require.Equal(t, tc.want, f.Class)
			require.Len(t, f.Evidence, 2)
			require.Equal(t, first.Addr, f.Evidence[0].Answers[0].Resolver)
			for _, a := range f.Evidence[1].Answers {
				require.Equal(t, second.Addr, a.Resolver, "the confirmation never asks the accusing resolver")
			}
			require.EqualValues(t, 4, first.Queries())
		})
	}
	t.Run("first says ours: no second lookup", func(t *testing.T) {
		t.Parallel()
		first := dnstest.Start(t, dnstest.Options{Zone: dnstest.Map(map[string]dnstest.Records{"m.test": rec("10.0.0.1")})})
		second := dnstest.Start(t, dnstest.Options{Zone: outside})
		r := newResolver(t, dns.Config{}, first, second)
		f := r.Check(context.Background(), "m.test", ours)
		require.Equal(t, dns.ClassOurs, f.Class)
		require.Len(t, f.Evidence, 1)
		require.Zero(t, second.Queries())
	})
	t.Run("one resolver: its answer stands", func(t *testing.T) {
		t.Parallel()
		only := dnstest.Start(t, dnstest.Options{Zone: outside})
		r := newResolver(t, dns.Config{}, only)
		f := r.Check(context.Background(), "m.test", ours)
		require.Equal(t, dns.ClassElsewhere, f.Class)
		require.Len(t, f.Evidence, 1)
	})
}

// TestCheckAllCancel: a cancelled batch stops and reports it.
func TestCheckAllCancel(t *testing.T) {
	t.Parallel()
	silent := dnstest.Start(t, dnstest.Options{Drop: true})
	r := newResolver(t, dns.Config{Timeout: 5 * time.Second, Concurrency: 4}, silent)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	domains := make([]string, 100)
	for i := range domains {
		domains[i] = fmt.Sprintf("d%d.test", i)
	}
	start := time.Now()
	n := 0
	err := r.CheckAll(ctx, domains, ours, func(dns.Finding) { n++ })
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.Less(t, time.Since(start), 2*time.Second)
	require.Zero(t, n, "an interrupted check is no finding")
}

// TestGenerated: the bench's generated zone classifies as generated.
func TestGenerated(t *testing.T) {
	t.Parallel()
	g := dnstest.Generate(500, 0.1, oursV4, netip.MustParsePrefix("198.51.100.0/24"))
	srv := dnstest.Start(t, dnstest.Options{Zone: g.Zone()})
	r := newResolver(t, dns.Config{}, srv)
	got := map[string]dns.Class{}
	require.NoError(t, r.CheckAll(context.Background(), g.Domains, ours, func(f dns.Finding) { got[f.Domain] = f.Class }))
	elsewhere := 0
	for i, d := range g.Domains {
		if g.Elsewhere[i] {
			elsewhere++
			require.Equal(t, dns.ClassElsewhere, got[d], d)
		} else {
			require.Equal(t, dns.ClassOurs, got[d], d)
		}
	}
	require.Equal(t, 50, elsewhere)
	require.Equal(t, dns.ClassNXDomain, r.Check(context.Background(), "d0000500"+dnstest.GeneratedSuffix, ours).Class)
}
