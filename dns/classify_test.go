package dns_test

import (
	"encoding/json"
	"net/netip"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/beian/beian/dns"
)

var (
	oursV4 = netip.MustParsePrefix("10.0.0.0/8")
	oursV6 = netip.MustParsePrefix("2001:db8:1::/48")
	ours   = []netip.Prefix{oursV4, oursV6}
)

func addrs(ss ...string) []netip.Addr {
	var out []netip.Addr
	for _, s := range ss {
		out = append(out, netip.MustParseAddr(s))
	}
	return out
}

// TestClassify: the sweep's verdict from the evidence (R-PA-3, R-RV-2),
// partial failures included.
func TestClassify(t *testing.T) {
	t.Parallel()
	ok := func(name, qtype string, a ...string) dns.Answer {
		return dns.Answer{Name: name, Qtype: qtype, Rcode: "NOERROR", Addrs: addrs(a...)}
	}
	nx := func(name, qtype string) dns.Answer { return dns.Answer{Name: name, Qtype: qtype, Rcode: "NXDOMAIN"} }
	timeout := func(name, qtype string) dns.Answer {
		return dns.Answer{Name: name, Qtype: qtype, Error: "3 queries failed: timeout"}
	}
	servfail := func(name, qtype string) dns.Answer {
		return dns.Answer{Name: name, Qtype: qtype, Rcode: "SERVFAIL", Error: "3 queries failed: SERVFAIL"}
	}
	for _, tc := range []struct {
		name    string
		answers []dns.Answer
		want    dns.Class
	}{
		{"all ours", []dns.Answer{ok("a.cn", "A", "10.1.2.3"), ok("a.cn", "AAAA"), ok("www.a.cn", "A", "10.1.2.4"), ok("www.a.cn", "AAAA", "2001:db8:1::5")}, dns.ClassOurs},
		{"apex elsewhere", []dns.Answer{ok("a.cn", "A", "198.51.100.7"), ok("a.cn", "AAAA"), ok("www.a.cn", "A", "10.1.2.4"), ok("www.a.cn", "AAAA")}, dns.ClassElsewhere},
		{"one of two apex addresses elsewhere", []dns.Answer{ok("a.cn", "A", "10.1.2.3", "198.51.100.7"), ok("a.cn", "AAAA"), nx("www.a.cn", "A"), nx("www.a.cn", "AAAA")}, dns.ClassElsewhere},
		{"AAAA elsewhere", []dns.Answer{ok("a.cn", "A", "10.1.2.3"), ok("a.cn", "AAAA", "2001:db8:2::1"), ok("www.a.cn", "A"), ok("www.a.cn", "AAAA")}, dns.ClassElsewhere},
		{"AAAA only, ours", []dns.Answer{ok("a.cn", "A"), ok("a.cn", "AAAA", "2001:db8:1::1"), ok("www.a.cn", "A"), ok("www.a.cn", "AAAA")}, dns.ClassOurs},
		{"IPv4-mapped IPv6 in ours", []dns.Answer{ok("a.cn", "AAAA", "::ffff:10.0.0.1")}, dns.ClassOurs},
		{"apex no address, www ours", []dns.Answer{ok("a.cn", "A"), ok("a.cn", "AAAA"), ok("www.a.cn", "A", "10.9.9.9"), ok("www.a.cn", "AAAA")}, dns.ClassOurs},
		{"apex missing, www elsewhere", []dns.Answer{nx("a.cn", "A"), nx("a.cn", "AAAA"), ok("www.a.cn", "A", "203.0.113.9"), ok("www.a.cn", "AAAA")}, dns.ClassElsewhere},
		{"all NXDOMAIN", []dns.Answer{nx("a.cn", "A"), nx("a.cn", "AAAA"), nx("www.a.cn", "A"), nx("www.a.cn", "AAAA")}, dns.ClassNXDomain},
		{"NOERROR without addresses", []dns.Answer{ok("a.cn", "A"), ok("a.cn", "AAAA"), nx("www.a.cn", "A"), nx("www.a.cn", "AAAA")}, dns.ClassNXDomain},
		{"apex ours, www timed out", []dns.Answer{ok("a.cn", "A", "10.1.2.3"), ok("a.cn", "AAAA"), timeout("www.a.cn", "A"), timeout("www.a.cn", "AAAA")}, dns.ClassOurs},
		{"apex elsewhere, www timed out", []dns.Answer{ok("a.cn", "A", "198.51.100.7"), ok("a.cn", "AAAA"), timeout("www.a.cn", "A"), timeout("www.a.cn", "AAAA")}, dns.ClassElsewhere},
		{"all timed out", []dns.Answer{timeout("a.cn", "A"), timeout("a.cn", "AAAA"), timeout("www.a.cn", "A"), timeout("www.a.cn", "AAAA")}, dns.ClassUnresolved},
		{"SERVFAIL is never nxdomain", []dns.Answer{servfail("a.cn", "A"), nx("a.cn", "AAAA"), nx("www.a.cn", "A"), nx("www.a.cn", "AAAA")}, dns.ClassUnresolved},
		{"addresses of a failed answer do not count", []dns.Answer{{Name: "a.cn", Qtype: "A", Rcode: "NOERROR", Addrs: addrs("198.51.100.7"), Error: "cname loop at a.cn"}, ok("www.a.cn", "A", "10.0.0.1")}, dns.ClassOurs},
		{"REFUSED with an address does not count", []dns.Answer{{Name: "a.cn", Qtype: "A", Rcode: "REFUSED", Addrs: addrs("198.51.100.7")}}, dns.ClassUnresolved},
		{"no answers", nil, dns.ClassUnresolved},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tc.want, dns.Classify(dns.Evidence{Domain: "a.cn", Answers: tc.answers}, ours))
		})
	}
	t.Run("invalid domain", func(t *testing.T) {
		t.Parallel()
		require.Equal(t, dns.ClassUnresolved, dns.Classify(dns.Evidence{Domain: "a b", Error: "not a host name"}, ours))
	})
	t.Run("no ranges of ours: every address is elsewhere", func(t *testing.T) {
		t.Parallel()
		require.Equal(t, dns.ClassElsewhere, dns.Classify(dns.Evidence{Answers: []dns.Answer{ok("a.cn", "A", "10.0.0.1")}}, nil))
	})
}

// TestEvidenceJSON: evidence is stored with the finding as JSON and reads
// back the same.
func TestEvidenceJSON(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 3, 5, 14, 0, 0, 0, time.UTC)
	f := dns.Finding{Domain: "例子.cn", Class: dns.ClassElsewhere, Evidence: []dns.Evidence{{
		Domain: "xn--fsqu00a.cn",
		Answers: []dns.Answer{{
			Name: "www.xn--fsqu00a.cn", Qtype: "A", CNAMEs: []string{"x.cdn.test"}, Addrs: addrs("198.51.100.7", "2001:db8::1"),
			Resolver: "127.0.0.1:53", Rcode: "NOERROR", At: at, Duration: 1500 * time.Microsecond, Queries: 2,
		}},
	}}}
	b, err := json.Marshal(f)
	require.NoError(t, err)
	require.Contains(t, string(b), `"addrs":["198.51.100.7","2001:db8::1"]`)
	require.Contains(t, string(b), `"class":"elsewhere"`)
	var back dns.Finding
	require.NoError(t, json.Unmarshal(b, &back))
	require.Equal(t, f, back)
}

func TestParseServers(t *testing.T) {
	t.Parallel()
	got, err := dns.ParseServers([]string{" 223.5.5.5", "119.29.29.29:5353", "", "2400:3200::1", "[::1]:5353", "[2001:db8::53]"})
	require.NoError(t, err)
	require.Equal(t, []string{"223.5.5.5:53", "119.29.29.29:5353", "[2400:3200::1]:53", "[::1]:5353", "[2001:db8::53]:53"}, got)

	_, err = dns.ParseServers([]string{"223.5.5.5", "dns.example.cn", "1.2.3.4:x"})
	require.ErrorContains(t, err, "dns.example.cn, 1.2.3.4:x")
	got, err = dns.ParseServers([]string{" ", ""})
	require.NoError(t, err)
	require.Empty(t, got, "none: main falls back to resolv.conf")
}

func TestServersFromResolvConf(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "resolv.conf")
	require.NoError(t, os.WriteFile(path, []byte("# test\nnameserver 127.0.0.53\nnameserver ::1\nsearch example.cn\n"), 0o600))
	got, err := dns.ServersFromResolvConf(path)
	require.NoError(t, err)
	require.Equal(t, []string{"127.0.0.53:53", "[::1]:53"}, got)
	_, err = dns.ServersFromResolvConf(filepath.Join(t.TempDir(), "missing"))
	require.Error(t, err)
	empty := filepath.Join(t.TempDir(), "empty.conf")
	require.NoError(t, os.WriteFile(empty, []byte("search example.cn\n"), 0o600))
	_, err = dns.ServersFromResolvConf(empty)
	require.ErrorContains(t, err, "no nameserver")
}

func TestNormalizeDomain(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"Example.COM.":     "example.com",
		" www.example.cn ": "www.example.cn",
		"例子.中国":            "xn--fsqu00a.xn--fiqs8s",
		"例子.中国.":           "xn--fsqu00a.xn--fiqs8s",
		"xn--fsqu00a.cn":   "xn--fsqu00a.cn",
		"ＥＸＡＭＰＬＥ．ｃｎ":       "example.cn", // full-width, as typed by an IME
	} {
		got, err := dns.NormalizeDomain(in)
		require.NoError(t, err, in)
		require.Equal(t, want, got, in)
	}
	for _, in := range []string{"", ".", "cn", "a b.cn", "10.0.0.1", "-a.cn", "a..cn", "a_b.cn", "http://a.cn", "0\x80.0"} {
		_, err := dns.NormalizeDomain(in)
		require.Error(t, err, in)
	}
}

// FuzzNormalizeDomain: whatever a filer typed, a name that is accepted is
// a valid lower-case ASCII host name that normalises to itself.
func FuzzNormalizeDomain(f *testing.F) {
	for _, s := range []string{"Example.COM.", "例子.中国", "xn--fsqu00a.cn", "a..b", "ＥＸＡＭＰＬＥ．ｃｎ", "www.a.cn", "1.2.3.4"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := dns.NormalizeDomain(s)
		if err != nil {
			return
		}
		require.LessOrEqual(t, len("www."+got), 253)
		for i := 0; i < len(got); i++ {
			c := got[i]
			require.True(t, c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '.', "%q from %q", got, s)
		}
		again, err := dns.NormalizeDomain(got)
		require.NoError(t, err)
		require.Equal(t, got, again)
	})
}
