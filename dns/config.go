// Package dns resolves filed domains for the weekly shell-site sweep
// (R-PA-3, 空壳网站排查) and the review's resolution check (R-RV-2): it asks
// recursive resolvers for the A and AAAA records of a domain and of its
// www, keeps what each resolver said as Evidence, and classifies the domain
// as ours, elsewhere, nxdomain or unresolved against our data centres' CIDR
// ranges. A domain is only called elsewhere once a second resolver agrees
// (see Resolver.Check). It wraps github.com/miekg/dns.
package dns

import (
	"fmt"
	"net"
	"net/netip"
	"strings"
	"time"

	mdns "github.com/miekg/dns"
)

// Config is how the Resolver talks to the recursive resolvers. main fills it
// from DNS_RESOLVERS (ParseServers) or, when that is unset, from the system's
// /etc/resolv.conf (ServersFromResolvConf).
type Config struct {
	// Servers are the resolvers, "host:port" with an IP host.
	Servers []string
	// Timeout is the wait for one answer from one server; default 2s.
	Timeout time.Duration
	// Attempts is the number of tries of one query; each retry goes to the
	// next server. Default 3.
	Attempts int
	// Concurrency bounds the queries in flight over all servers; default 256.
	Concurrency int
	// UDPSize is the EDNS0 buffer size advertised; default 1232.
	UDPSize uint16
}

// Defaults of Config.
const (
	DefaultTimeout     = 2 * time.Second
	DefaultAttempts    = 3
	DefaultConcurrency = 256
	DefaultUDPSize     = 1232
)

// withDefaults fills the zero fields of c.
func (c Config) withDefaults() Config {
	if c.Timeout <= 0 {
		c.Timeout = DefaultTimeout
	}
	if c.Attempts <= 0 {
		c.Attempts = DefaultAttempts
	}
	if c.Concurrency <= 0 {
		c.Concurrency = DefaultConcurrency
	}
	if c.UDPSize < mdns.MinMsgSize {
		c.UDPSize = DefaultUDPSize
	}
	return c
}

// ParseServers turns DNS_RESOLVERS entries ("223.5.5.5", "119.29.29.29:53",
// "2400:3200::1", "[::1]:5353") into "host:port" addresses, port 53 when
// none is given. Blank entries are skipped, and no entry at all gives nil
// (main then uses ServersFromResolvConf); a host that is not an IP is an
// error (resolving the resolver would need a resolver).
func ParseServers(entries []string) ([]string, error) {
	var out, bad []string
	for _, e := range entries {
		e = strings.TrimSpace(e)
		if e == "" {
			continue
		}
		if ap, err := netip.ParseAddrPort(e); err == nil && ap.Port() != 0 {
			out = append(out, ap.String())
			continue
		}
		if a, err := netip.ParseAddr(strings.TrimSuffix(strings.TrimPrefix(e, "["), "]")); err == nil {
			out = append(out, netip.AddrPortFrom(a, 53).String())
			continue
		}
		bad = append(bad, e)
	}
	if len(bad) > 0 {
		return nil, fmt.Errorf("dns resolvers: not an IP or IP:port: %s", strings.Join(bad, ", "))
	}
	return out, nil
}

// ServersFromResolvConf reads the nameservers of a resolv.conf file
// (normally /etc/resolv.conf) as "host:port" addresses.
func ServersFromResolvConf(path string) ([]string, error) {
	cc, err := mdns.ClientConfigFromFile(path)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	port := cc.Port
	if port == "" {
		port = "53"
	}
	var hosts []string
	for _, s := range cc.Servers {
		hosts = append(hosts, net.JoinHostPort(s, port))
	}
	out, err := ParseServers(hosts)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no nameserver", path)
	}
	return out, nil
}
