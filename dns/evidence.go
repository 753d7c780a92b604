package dns

import (
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/beian/beian/intake"
	"golang.org/x/net/idna"
)

// Class is the verdict on one domain of the shell-site sweep (R-PA-3).
type Class string

// The classes. Only ClassElsewhere may lead to the shell-site notice;
// ClassUnresolved is never taken as moved.
const (
	// ClassOurs: every address found is in our CIDR ranges.
	ClassOurs Class = "ours"
	// ClassElsewhere: an address outside our ranges (接入商已变更), confirmed
	// by a second resolver when there is one.
	ClassElsewhere Class = "elsewhere"
	// ClassNXDomain: the names do not exist or hold no address, and every
	// resolver that was asked said so.
	ClassNXDomain Class = "nxdomain"
	// ClassUnresolved: no definite answer (timeouts, SERVFAIL, REFUSED,
	// CNAME loops, resolvers disagreeing without one saying ours).
	ClassUnresolved Class = "unresolved"
)

// Evidence is what the resolvers said about one domain: one Answer per
// queried name and type (apex and www, A and AAAA). It is kept with the
// sweep's finding so staff can show the filer what was seen.
type Evidence struct {
	// Domain is the queried domain in lower-case punycode.
	Domain  string   `json:"domain"`
	Answers []Answer `json:"answers"`
	// Error is set when the domain could not be queried at all.
	Error string `json:"error,omitempty"`
}

// Answer is the outcome of resolving one name and type, CNAMEs followed.
type Answer struct {
	Name  string `json:"name"`
	Qtype string `json:"qtype"`
	// CNAMEs is the chain followed from Name, in order.
	CNAMEs []string     `json:"cname_chain,omitempty"`
	Addrs  []netip.Addr `json:"addrs,omitempty"`
	// Resolver answered the last query of the chain ("host:port").
	Resolver string `json:"resolver,omitempty"`
	// Rcode of the last answer ("NOERROR", "NXDOMAIN", "SERVFAIL", …);
	// empty when no answer came.
	Rcode    string        `json:"rcode,omitempty"`
	At       time.Time     `json:"at"`
	Duration time.Duration `json:"duration_ns"`
	// Queries is the number of queries sent, retries and chain hops included.
	Queries int    `json:"queries"`
	Error   string `json:"error,omitempty"`
}

// Definite reports whether a is a real answer about the name: NOERROR or
// NXDOMAIN with the chain complete. Anything else says nothing about where
// the site is.
func (a Answer) Definite() bool {
	return a.Error == "" && (a.Rcode == "NOERROR" || a.Rcode == "NXDOMAIN")
}

// Classify judges ev against our CIDR ranges (R-PA-3, R-RV-2). Only
// definite answers count, and a name with no address (apex without A, or
// www missing) is judged on the names that have one:
//   - any definite address outside ours → elsewhere (Resolver.Check then
//     asks a second resolver before this is believed);
//   - else any definite address, all ours → ours, even when other queries
//     failed (what was seen is ours, and nothing suggests a move);
//   - else no address at all: every answer definite → nxdomain, any
//     failure → unresolved.
func Classify(ev Evidence, ours []netip.Prefix) Class {
	if ev.Error != "" || len(ev.Answers) == 0 {
		return ClassUnresolved
	}
	seen, failed := false, false
	for _, a := range ev.Answers {
		if !a.Definite() {
			failed = true
			continue
		}
		for _, ip := range a.Addrs {
			if !InPrefixes(ip, ours) {
				return ClassElsewhere
			}
			seen = true
		}
	}
	switch {
	case seen:
		return ClassOurs
	case failed:
		return ClassUnresolved
	default:
		return ClassNXDomain
	}
}

// outsideResolvers are the resolvers that gave a definite address outside ours.
func outsideResolvers(ev Evidence, ours []netip.Prefix) map[string]bool {
	out := map[string]bool{}
	for _, a := range ev.Answers {
		if !a.Definite() {
			continue
		}
		for _, ip := range a.Addrs {
			if !InPrefixes(ip, ours) {
				out[a.Resolver] = true
			}
		}
	}
	return out
}

// InPrefixes reports whether ip (IPv4-mapped or not) is in one of ps.
func InPrefixes(ip netip.Addr, ps []netip.Prefix) bool {
	ip = ip.Unmap()
	for _, p := range ps {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// NormalizeDomain turns a filed domain into the name queried: spaces and
// trailing dots dropped, IDN mapped to punycode (UTS-46, as browsers do),
// lower case; "例子.中国." gives "xn--fsqu00a.xn--fiqs8s". IP addresses and
// invalid names are errors. Normalising a result again gives it unchanged.
func NormalizeDomain(s string) (string, error) {
	name := strings.TrimSuffix(strings.TrimSpace(s), ".")
	ascii, err := idna.Lookup.ToASCII(name)
	if err != nil {
		return "", fmt.Errorf("domain %q: %w", s, err)
	}
	ascii = strings.ToLower(ascii)
	// A punycode label that does not decode to a valid one (the mapping
	// may produce it from odd input) would not map to itself again.
	if again, err := idna.Lookup.ToASCII(ascii); err != nil || again != ascii || !validName(ascii) {
		return "", fmt.Errorf("domain %q: not a host name", s)
	}
	if _, err := netip.ParseAddr(ascii); err == nil {
		return "", fmt.Errorf("domain %q: an IP address, not a domain", s)
	}
	return ascii, nil
}

// validName checks an ASCII host name (intake's rule, R-IN-7) with at
// least two labels, leaving room for the "www." that is queried too.
func validName(a string) bool {
	return len(a) <= 253-len("www.") && strings.Contains(a, ".") && intake.ValidDNSName(a)
}
