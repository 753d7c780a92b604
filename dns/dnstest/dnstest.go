// Package dnstest runs a real authoritative DNS server on 127.0.0.1 (UDP and
// TCP, built on github.com/miekg/dns) for the tests and the benchmark of the
// shell-site sweep (R-PA-3). Its answers come from a Zone, a function from a
// name to its records, so 100,000 generated domains cost a few bytes each.
// Knobs stall, drop or refuse answers and force truncation; counters tell
// what the server received.
package dnstest

import (
	"net"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	mdns "github.com/miekg/dns"
)

// Records is what one name holds. A name with a CNAME holds nothing else.
type Records struct {
	CNAME string // target, with or without the trailing dot
	A     []netip.Addr
	AAAA  []netip.Addr
}

// Zone returns the records of name (lower case, no trailing dot); false
// means the name does not exist (NXDOMAIN).
type Zone func(name string) (Records, bool)

// Map is a Zone over a map keyed by lower-case names without trailing dot.
func Map(m map[string]Records) Zone {
	return func(name string) (Records, bool) {
		r, ok := m[name]
		return r, ok
	}
}

// Options configure a Server. The zero value answers NXDOMAIN to everything.
type Options struct {
	Zone Zone
	// ChaseCNAME answers with the whole CNAME chain and the target's
	// addresses, as a recursive resolver does; by default only the first
	// CNAME is returned, as an authority for another zone would.
	ChaseCNAME bool
	// Stall delays every answer; Drop never answers; Rcode, when not 0,
	// answers every query with that rcode (mdns.RcodeServerFailure, …).
	Stall time.Duration
	Drop  bool
	Rcode int
	// Truncate answers every UDP query with an empty, truncated (TC) reply,
	// so only TCP gets the records. Without it, UDP answers larger than the
	// query's EDNS0 size (512 without EDNS0) are truncated as usual.
	Truncate bool
}

// Server is a running test server. Addr is "127.0.0.1:port", the same port
// for UDP and TCP.
type Server struct {
	Addr string

	zone     Zone
	chase    bool
	stall    atomic.Int64
	drop     atomic.Bool
	rcode    atomic.Int64
	truncate atomic.Bool

	queries, noEDNS, tcp atomic.Int64
	udpSize              atomic.Int64

	servers []*mdns.Server
	closing chan struct{}
	once    sync.Once
}

// Start starts a server for opt; it is closed when tb ends.
func Start(tb testing.TB, opt Options) *Server {
	tb.Helper()
	s, err := New(opt)
	if err != nil {
		tb.Fatalf("dnstest: %v", err)
	}
	tb.Cleanup(s.Close)
	return s
}

// New starts a server for opt; the caller closes it.
func New(opt Options) (*Server, error) {
	s := &Server{zone: opt.Zone, chase: opt.ChaseCNAME, closing: make(chan struct{})}
	if s.zone == nil {
		s.zone = func(string) (Records, bool) { return Records{}, false }
	}
	s.SetStall(opt.Stall)
	s.SetDrop(opt.Drop)
	s.SetRcode(opt.Rcode)
	s.SetTruncate(opt.Truncate)

	pc, ln, err := listen()
	if err != nil {
		return nil, err
	}
	// Bursts of queries (the bench keeps hundreds in flight) must queue,
	// not be dropped; the kernel caps this at net.core.rmem_max.
	_ = pc.(*net.UDPConn).SetReadBuffer(4 << 20)
	s.Addr = pc.LocalAddr().String()
	s.servers = []*mdns.Server{
		{PacketConn: pc, Handler: s, UDPSize: 4096},
		{Listener: ln, Handler: s},
	}
	var started sync.WaitGroup
	for _, srv := range s.servers {
		started.Add(1)
		srv.NotifyStartedFunc = started.Done
		go func() { _ = srv.ActivateAndServe() }()
	}
	started.Wait()
	return s, nil
}

// listen opens UDP and TCP on one free port of 127.0.0.1: UDP picks it,
// TCP takes the same number, again when that is taken (by some client's
// ephemeral port, say).
func listen() (net.PacketConn, net.Listener, error) {
	var err error
	for range 50 {
		var pc net.PacketConn
		if pc, err = net.ListenPacket("udp", "127.0.0.1:0"); err != nil {
			return nil, nil, err
		}
		var ln net.Listener
		if ln, err = net.Listen("tcp", pc.LocalAddr().String()); err == nil {
			return pc, ln, nil
		}
		pc.Close()
	}
	return nil, nil, err
}

// Close stops the server; stalled answers are abandoned.
func (s *Server) Close() {
	s.once.Do(func() {
		close(s.closing)
		for _, srv := range s.servers {
			_ = srv.Shutdown()
		}
	})
}

// SetStall delays every later answer by d.
func (s *Server) SetStall(d time.Duration) { s.stall.Store(int64(d)) }

// SetDrop makes the server ignore (true) or answer (false) later queries.
func (s *Server) SetDrop(drop bool) { s.drop.Store(drop) }

// SetRcode answers every later query with rcode (0: answer normally).
func (s *Server) SetRcode(rcode int) { s.rcode.Store(int64(rcode)) }

// SetTruncate makes later UDP answers empty and truncated (see Options).
func (s *Server) SetTruncate(tc bool) { s.truncate.Store(tc) }

// Queries is the number of queries received, UDP and TCP.
func (s *Server) Queries() int64 { return s.queries.Load() }

// QueriesWithoutEDNS is the number of queries that carried no OPT record.
func (s *Server) QueriesWithoutEDNS() int64 { return s.noEDNS.Load() }

// TCPQueries is the number of queries received over TCP.
func (s *Server) TCPQueries() int64 { return s.tcp.Load() }

// LastUDPSize is the EDNS0 UDP size of the last query that had one.
func (s *Server) LastUDPSize() int { return int(s.udpSize.Load()) }

// ServeDNS answers one query; it implements mdns.Handler.
func (s *Server) ServeDNS(w mdns.ResponseWriter, r *mdns.Msg) {
	s.queries.Add(1)
	isTCP := w.LocalAddr().Network() == "tcp"
	if isTCP {
		s.tcp.Add(1)
	}
	size := mdns.MinMsgSize
	if opt := r.IsEdns0(); opt != nil {
		size = int(opt.UDPSize())
		s.udpSize.Store(int64(size))
	} else {
		s.noEDNS.Add(1)
	}
	if s.drop.Load() {
		return
	}
	if d := time.Duration(s.stall.Load()); d > 0 {
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-s.closing:
			t.Stop()
			return
		}
	}

	m := new(mdns.Msg)
	m.SetReply(r)
	m.Authoritative = true
	if r.IsEdns0() != nil {
		m.SetEdns0(uint16(max(size, mdns.MinMsgSize)), false)
	}
	switch {
	case len(r.Question) != 1:
		m.Rcode = mdns.RcodeFormatError
	case s.rcode.Load() != 0:
		m.Rcode = int(s.rcode.Load())
	default:
		s.answer(m, r.Question[0])
	}
	if !isTCP {
		if s.truncate.Load() {
			m.Answer, m.Ns = nil, nil
			m.Truncated = true
		} else {
			m.Truncate(size)
		}
	}
	_ = w.WriteMsg(m)
}

// answer fills m for q from the zone.
func (s *Server) answer(m *mdns.Msg, q mdns.Question) {
	name := strings.TrimSuffix(strings.ToLower(q.Name), ".")
	owner := q.Name
	for hop := 0; hop < 16; hop++ {
		rec, ok := s.zone(name)
		if !ok {
			m.Rcode = mdns.RcodeNameError // also at the end of a chased chain
			return
		}
		hdr := func(t uint16) mdns.RR_Header {
			return mdns.RR_Header{Name: owner, Rrtype: t, Class: mdns.ClassINET, Ttl: 300}
		}
		if rec.CNAME != "" {
			target := mdns.Fqdn(strings.ToLower(rec.CNAME))
			m.Answer = append(m.Answer, &mdns.CNAME{Hdr: hdr(mdns.TypeCNAME), Target: target})
			if !s.chase || q.Qtype == mdns.TypeCNAME {
				return
			}
			name, owner = strings.TrimSuffix(target, "."), target
			continue
		}
		switch q.Qtype {
		case mdns.TypeA:
			for _, a := range rec.A {
				m.Answer = append(m.Answer, &mdns.A{Hdr: hdr(mdns.TypeA), A: a.AsSlice()})
			}
		case mdns.TypeAAAA:
			for _, a := range rec.AAAA {
				m.Answer = append(m.Answer, &mdns.AAAA{Hdr: hdr(mdns.TypeAAAA), AAAA: a.AsSlice()})
			}
		}
		return
	}
}
