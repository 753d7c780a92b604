package dns

import (
	"net"
	"net/netip"
	"strings"
	"testing"

	mdns "github.com/miekg/dns"
	"github.com/stretchr/testify/require"
)

func packedQuery(t testing.TB, name string, qtype uint16) []byte {
	q := new(mdns.Msg)
	q.SetQuestion(mdns.Fqdn(name), qtype)
	q.SetEdns0(DefaultUDPSize, false)
	b, err := q.Pack()
	require.NoError(t, err)
	return b
}

func packedReply(t testing.TB, qname string, qtype uint16, edit func(m *mdns.Msg)) []byte {
	q := new(mdns.Msg)
	q.SetQuestion(mdns.Fqdn(qname), qtype)
	m := new(mdns.Msg)
	m.SetReply(q)
	if edit != nil {
		edit(m)
	}
	b, err := m.Pack()
	require.NoError(t, err)
	return b
}

func rrs(t testing.TB, ss ...string) []mdns.RR {
	var out []mdns.RR
	for _, s := range ss {
		rr, err := mdns.NewRR(s)
		require.NoError(t, err)
		out = append(out, rr)
	}
	return out
}

// TestParseReply: only a reply to the question asked is read, and only
// the addresses of the names on the CNAME chain count (R-PA-3 evidence
// must not be spoofable by extra records).
func TestParseReply(t *testing.T) {
	t.Parallel()
	q := packedQuery(t, "shop.test", mdns.TypeA)
	b := packedReply(t, "SHOP.Test", mdns.TypeA, func(m *mdns.Msg) {
		m.Answer = rrs(t,
			"shop.test. 60 IN CNAME edge.cdn.test.",
			"other.test. 60 IN A 10.9.9.9",
			"EDGE.cdn.test. 60 IN A 198.51.100.1",
			"edge.cdn.test. 60 IN AAAA 2001:db8::1",
		)
		m.Ns = rrs(t, "test. 60 IN NS ns.test.")
	})
	r, err := parseReply(b, q)
	require.NoError(t, err)
	require.Equal(t, mdns.RcodeSuccess, r.rcode)
	chain, addrs := readAnswer(r.answer, "shop.test", mdns.TypeA)
	require.Equal(t, []string{"edge.cdn.test"}, chain)
	require.Equal(t, []netip.Addr{netip.MustParseAddr("198.51.100.1")}, addrs)

	for name, bad := range map[string][]byte{
		"other name": packedReply(t, "shop2.test", mdns.TypeA, nil),
		"other type": packedReply(t, "shop.test", mdns.TypeAAAA, nil),
		"a query":    q,
		"short":      b[:5],
	} {
		_, err := parseReply(bad, q)
		require.Error(t, err, name)
	}
	cut := packedReply(t, "shop.test", mdns.TypeA, func(m *mdns.Msg) { m.Answer = rrs(t, "shop.test. 60 IN A 10.0.0.1") })
	_, err = parseReply(cut[:len(cut)-2], q)
	require.ErrorContains(t, err, "bad answer")

	tc := packedReply(t, "shop.test", mdns.TypeA, func(m *mdns.Msg) { m.Truncated = true; m.Rcode = mdns.RcodeNameError })
	r, err = parseReply(tc, q)
	require.NoError(t, err)
	require.True(t, r.truncated)
	require.Equal(t, mdns.RcodeNameError, r.rcode)
}

// FuzzParseReply: any bytes from the network either fail to parse or give
// a chain and addresses that the answer section really holds.
func FuzzParseReply(f *testing.F) {
	q := packedQuery(f, "shop.test", mdns.TypeA)
	f.Add(packedReply(f, "shop.test", mdns.TypeA, func(m *mdns.Msg) {
		m.Answer = rrs(f, "shop.test. 60 IN CNAME a.test.", "a.test. 60 IN CNAME shop.test.", "a.test. 60 IN A 10.0.0.1")
	}))
	f.Add(packedReply(f, "shop.test", mdns.TypeA, func(m *mdns.Msg) {
		m.Answer = rrs(f, "shop.test. 60 IN A 10.0.0.1", "shop.test. 60 IN A 10.0.0.2")
	}))
	f.Add(packedReply(f, "shop.test", mdns.TypeA, func(m *mdns.Msg) { m.Rcode = mdns.RcodeNameError }))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := parseReply(b, q)
		if err != nil {
			return
		}
		chain, addrs := readAnswer(r.answer, "shop.test", mdns.TypeA)
		require.LessOrEqual(t, len(chain), len(r.answer))
		last := "shop.test"
		if len(chain) > 0 {
			last = chain[len(chain)-1]
		}
		for _, a := range addrs {
			found := false
			for _, rr := range r.answer {
				if x, ok := rr.(*mdns.A); ok && sameName(x.Hdr.Name, last) && x.A.Equal(net.IP(a.AsSlice())) {
					found = true
				}
			}
			require.True(t, found, "address %s not held by %s", a, last)
		}
	})
}

// TestPackQuery: the hand-packed query is byte for byte what miekg/dns
// packs: recursion desired, one question, an EDNS0 OPT record.
func TestPackQuery(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		qtype uint16
	}{{"shop.test", mdns.TypeA}, {"www.xn--fsqu00a.xn--fiqs8s.", mdns.TypeAAAA}, {"a.b.c.d.e", mdns.TypeA}} {
		got, err := packQuery(nil, tc.name, tc.qtype, DefaultUDPSize)
		require.NoError(t, err)
		want := packedQuery(t, tc.name, tc.qtype)
		want[0], want[1] = 0, 0
		require.Equal(t, want, got, tc.name)
	}
	for _, bad := range []string{"", ".", "a..b", `a\.b`, "x" + strings.Repeat("a", 64) + ".test"} {
		_, err := packQuery(nil, bad, mdns.TypeA, DefaultUDPSize)
		require.Error(t, err, bad)
	}
}
