package dnstest

import (
	"encoding/binary"
	"fmt"
	"math"
	"net/netip"
	"strconv"
	"strings"
)

// GeneratedSuffix is the zone of generated domains: "d0000042.sweep.test".
const GeneratedSuffix = ".sweep.test"

// Generated is a set of n filed domains of which some point elsewhere; its
// Zone answers them without storing records.
type Generated struct {
	Domains []string
	// Elsewhere[i] says Domains[i] (apex and www) resolves into Other.
	Elsewhere   []bool
	Ours, Other netip.Prefix
}

// Generate makes n domains, round(n·elsewhereFraction) of them spread
// evenly in Other and the rest in Ours. Each apex and its www hold one
// address (A for an IPv4 prefix, AAAA for IPv6): the domain's index within
// the prefix.
func Generate(n int, elsewhereFraction float64, ours, other netip.Prefix) *Generated {
	g := &Generated{Domains: make([]string, n), Elsewhere: make([]bool, n), Ours: ours.Masked(), Other: other.Masked()}
	k := int(math.Round(float64(n) * elsewhereFraction))
	for i := range n {
		g.Domains[i] = fmt.Sprintf("d%07d%s", i, GeneratedSuffix)
		g.Elsewhere[i] = n > 0 && (i+1)*k/n > i*k/n
	}
	return g
}

// Index is the position of a generated domain (or its www) in Domains.
func (g *Generated) Index(name string) (int, bool) {
	name = strings.TrimSuffix(strings.ToLower(name), ".")
	name = strings.TrimPrefix(name, "www.")
	digits, ok := strings.CutSuffix(name, GeneratedSuffix)
	if !ok || len(digits) < 2 || digits[0] != 'd' {
		return 0, false
	}
	i, err := strconv.Atoi(digits[1:])
	if err != nil || i < 0 || i >= len(g.Domains) || g.Domains[i] != name {
		return 0, false
	}
	return i, true
}

// Addr is the address domain i resolves to.
func (g *Generated) Addr(i int) netip.Addr {
	p := g.Ours
	if g.Elsewhere[i] {
		p = g.Other
	}
	return nth(p, uint64(i)+1)
}

// Zone answers the generated domains and their www; all else is NXDOMAIN.
func (g *Generated) Zone() Zone {
	return func(name string) (Records, bool) {
		i, ok := g.Index(name)
		if !ok {
			return Records{}, false
		}
		a := g.Addr(i)
		if a.Is4() {
			return Records{A: []netip.Addr{a}}, true
		}
		return Records{AAAA: []netip.Addr{a}}, true
	}
}

// nth is the address n places into p, wrapping within p.
func nth(p netip.Prefix, n uint64) netip.Addr {
	bits := p.Addr().BitLen() - p.Bits()
	if bits < 64 {
		n %= uint64(1) << bits
	}
	b := p.Addr().As16()
	lo := binary.BigEndian.Uint64(b[8:]) + n
	binary.BigEndian.PutUint64(b[8:], lo)
	a := netip.AddrFrom16(b)
	if p.Addr().Is4() {
		a = a.Unmap()
	}
	return a
}
