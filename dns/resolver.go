package dns

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	mdns "github.com/miekg/dns"
)

// maxCNAMEs is the longest CNAME chain followed.
const maxCNAMEs = 8

// Resolver asks the configured recursive resolvers about filed domains. It
// is safe for concurrent use; Close releases its sockets.
type Resolver struct {
	cfg     Config
	servers []*server
	next    atomic.Uint32 // round robin of the first server asked
	slots   chan struct{} // Config.Concurrency queries in flight
}

// server is one resolver with its sockets.
type server struct {
	addr  string
	conns []*muxConn
	next  atomic.Uint32
	// until is when a server that timed out is tried first again
	// (UnixNano); until then queries start on the others, so a stalled
	// resolver costs the batch a few timeouts, not one per query.
	until atomic.Int64
	tcp   *mdns.Client
}

// socketsPerServer spreads the answers of one server over this many reader
// goroutines.
const socketsPerServer = 2

// New opens sockets to the servers of cfg.
func New(cfg Config) (*Resolver, error) {
	cfg = cfg.withDefaults()
	if len(cfg.Servers) == 0 {
		return nil, errors.New("dns: no resolvers configured")
	}
	r := &Resolver{cfg: cfg, slots: make(chan struct{}, cfg.Concurrency)}
	for _, addr := range cfg.Servers {
		s := &server{addr: addr, tcp: &mdns.Client{Net: "tcp", Timeout: cfg.Timeout}}
		r.servers = append(r.servers, s)
		for range socketsPerServer {
			c, err := dialMux(addr)
			if err != nil {
				r.Close()
				return nil, fmt.Errorf("dns: resolver %s: %w", addr, err)
			}
			s.conns = append(s.conns, c)
		}
	}
	return r, nil
}

// Close closes the sockets; queries still running fail.
func (r *Resolver) Close() error {
	for _, s := range r.servers {
		for _, c := range s.conns {
			c.close()
		}
	}
	return nil
}

// Lookup asks for the A and AAAA records of domain and of www.domain (just
// domain when it starts with "www."), following CNAMEs. The four queries
// go one after the other to the same server (so the evidence reads "this
// resolver said"), moving on when it fails. Failures are recorded in the
// Evidence, never returned.
func (r *Resolver) Lookup(ctx context.Context, domain string) Evidence {
	return r.lookup(ctx, domain, r.servers)
}

// lookup is Lookup on the given servers only.
func (r *Resolver) lookup(ctx context.Context, domain string, servers []*server) Evidence {
	name, err := NormalizeDomain(domain)
	if err != nil {
		return Evidence{Domain: domain, Error: err.Error()}
	}
	names := []string{name}
	if !strings.HasPrefix(name, "www.") {
		names = append(names, "www."+name)
	}
	ev := Evidence{Domain: name, Answers: make([]Answer, 0, 2*len(names))}
	start := r.first(servers)
	for _, qname := range names {
		for _, qtype := range []uint16{mdns.TypeA, mdns.TypeAAAA} {
			ev.Answers = append(ev.Answers, r.resolve(ctx, qname, qtype, servers, &start))
		}
	}
	return ev
}

// resolve finds the addresses of one name and type, querying the targets of
// CNAMEs the answers leave dangling.
func (r *Resolver) resolve(ctx context.Context, name string, qtype uint16, servers []*server, start *int) Answer {
	begin := time.Now()
	a := Answer{Name: name, Qtype: mdns.TypeToString[qtype]}
	cur := name
	for {
		resp, from, n, err := r.query(ctx, cur, qtype, servers, start)
		a.Queries += n
		a.Resolver = from
		if resp != nil {
			a.Rcode = rcodeString(resp.rcode)
		}
		if err != nil {
			a.Error = err.Error()
			break
		}
		chain, addrs := readAnswer(resp.answer, cur, qtype)
		if err := followChain(&a, chain); err != nil {
			a.Error = err.Error()
			break
		}
		a.Addrs = append(a.Addrs, addrs...)
		if resp.rcode != mdns.RcodeSuccess || len(addrs) > 0 || len(chain) == 0 {
			break
		}
		cur = chain[len(chain)-1] // only the CNAME came: ask for its target
	}
	a.At = time.Now()
	a.Duration = a.At.Sub(begin)
	return a
}

// followChain appends chain to a.CNAMEs, failing on a loop or a chain
// longer than maxCNAMEs.
func followChain(a *Answer, chain []string) error {
	for _, c := range chain {
		if c == a.Name || slices.Contains(a.CNAMEs, c) {
			a.CNAMEs = append(a.CNAMEs, c)
			return fmt.Errorf("cname loop at %s", c)
		}
		if len(a.CNAMEs) == maxCNAMEs {
			return fmt.Errorf("cname chain longer than %d", maxCNAMEs)
		}
		a.CNAMEs = append(a.CNAMEs, c)
	}
	return nil
}

// readAnswer follows, within an answer section, the CNAMEs from qname and returns them
// and the qtype addresses of the last name. Records of other owners are
// ignored, so a resolver cannot slip in addresses for names not asked. A
// loop ends the chain with its repeated name (followChain reports it).
func readAnswer(answer []mdns.RR, qname string, qtype uint16) (chain []string, addrs []netip.Addr) {
	cur := qname
	for range len(answer) {
		next := ""
		for _, rr := range answer {
			if c, ok := rr.(*mdns.CNAME); ok && sameName(c.Hdr.Name, cur) {
				next = canonical(c.Target)
				break
			}
		}
		if next == "" {
			break
		}
		loop := next == qname || slices.Contains(chain, next)
		chain = append(chain, next)
		if loop {
			return chain, nil
		}
		cur = next
	}
	for _, rr := range answer {
		if !sameName(rr.Header().Name, cur) {
			continue
		}
		switch v := rr.(type) {
		case *mdns.A:
			if ip, ok := netip.AddrFromSlice(v.A.To4()); ok && qtype == mdns.TypeA {
				addrs = append(addrs, ip)
			}
		case *mdns.AAAA:
			if ip, ok := netip.AddrFromSlice(v.AAAA.To16()); ok && qtype == mdns.TypeAAAA {
				addrs = append(addrs, ip.Unmap())
			}
		}
	}
	return chain, addrs
}

func canonical(name string) string { return strings.ToLower(strings.TrimSuffix(name, ".")) }

func sameName(fqdn, name string) bool {
	return strings.EqualFold(strings.TrimSuffix(fqdn, "."), name)
}

func rcodeString(rc int) string {
	if s, ok := mdns.RcodeToString[rc]; ok {
		return s
	}
	return fmt.Sprintf("RCODE%d", rc)
}

// query asks servers for name and qtype, up to Config.Attempts times, each
// retry on the next server. *start is the server to begin with; it moves on
// when that server fails, or when it timed out lately. It returns the reply
// to the last attempt (nil when none came), the server of the last
// attempt, the number of queries sent, and an error unless the reply is
// NOERROR or NXDOMAIN.
func (r *Resolver) query(ctx context.Context, name string, qtype uint16, servers []*server, start *int) (*reply, string, int, error) {
	if servers[*start%len(servers)].until.Load() > time.Now().UnixNano() {
		*start = r.first(servers)
	}
	var errs []string
	var resp *reply
	var from string
	n := 0
	for attempt := range r.cfg.Attempts {
		if ctx.Err() != nil {
			break
		}
		s := servers[(*start+attempt)%len(servers)]
		n, from = n+1, s.addr
		var err error
		resp, err = r.exchange(ctx, s, name, qtype)
		if err == nil {
			if resp.rcode == mdns.RcodeSuccess || resp.rcode == mdns.RcodeNameError {
				*start += attempt
				return resp, from, n, nil
			}
			err = errors.New(rcodeString(resp.rcode)) // SERVFAIL, REFUSED, …: ask another
		} else if errors.Is(err, errTimeout) || errors.Is(err, errRefused) {
			s.until.Store(time.Now().Add(5 * r.cfg.Timeout).UnixNano())
		}
		errs = append(errs, s.addr+": "+err.Error())
	}
	if err := ctx.Err(); err != nil {
		errs = append(errs, err.Error())
	}
	return resp, from, n, fmt.Errorf("%d queries failed: %s", n, strings.Join(errs, "; "))
}

// first picks the server a lookup starts on: round robin over the servers
// that have not timed out lately, or over all when every one has.
func (r *Resolver) first(servers []*server) int {
	k := int(r.next.Add(1) - 1) // the first lookup starts on the first server
	now := time.Now().UnixNano()
	for i := range servers {
		j := (k + i) % len(servers)
		if servers[j].until.Load() < now {
			return j
		}
	}
	return k % len(servers)
}

// exchange sends one query to s over UDP, and again over TCP when the
// reply is truncated.
func (r *Resolver) exchange(ctx context.Context, s *server, name string, qtype uint16) (*reply, error) {
	select {
	case r.slots <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-r.slots }()

	var buf [300]byte
	packed, err := packQuery(buf[:0], name, qtype, r.cfg.UDPSize)
	if err != nil {
		return nil, err
	}
	var resp reply
	c := s.conns[s.next.Add(1)%uint32(len(s.conns))]
	err = c.exchange(ctx, packed, r.cfg.Timeout, func(b []byte) error {
		resp, err = parseReply(b, packed)
		return err
	})
	if err != nil {
		return nil, err
	}
	if !resp.truncated {
		return &resp, nil
	}
	q := new(mdns.Msg)
	q.SetQuestion(mdns.Fqdn(name), qtype)
	q.SetEdns0(r.cfg.UDPSize, false)
	m, _, err := s.tcp.ExchangeContext(ctx, q, s.addr)
	if err != nil {
		return nil, fmt.Errorf("tcp after truncation: %w", err)
	}
	if !m.Response || len(m.Question) != 1 || !sameName(m.Question[0].Name, name) || m.Question[0].Qtype != qtype {
		return nil, errOtherQuestion
	}
	return &reply{rcode: m.Rcode, truncated: m.Truncated, answer: m.Answer}, nil
}
