package dns

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strings"

	mdns "github.com/miekg/dns"
)

var errOtherQuestion = errors.New("reply to another question")

// packQuery appends to buf the query for name and qtype with recursion
// desired and an EDNS0 OPT record of udpSize, ID 0. It is what
// mdns.Msg.SetQuestion, SetEdns0 and Pack produce, without their
// allocations (the sweep sends 400,000 of these).
func packQuery(buf []byte, name string, qtype, udpSize uint16) ([]byte, error) {
	buf = append(buf,
		0, 0, // ID, set per exchange
		0x01, 0x00, // RD
		0, 1, // QDCOUNT
		0, 0, 0, 0, // ANCOUNT, NSCOUNT
		0, 1) // ARCOUNT: OPT
	name = strings.TrimSuffix(name, ".")
	if name == "" || len(name) > 253 || strings.ContainsAny(name, "\\\"") {
		return nil, fmt.Errorf("query name %q", name)
	}
	for label := range strings.SplitSeq(name, ".") {
		if len(label) == 0 || len(label) > 63 {
			return nil, fmt.Errorf("query name %q", name)
		}
		buf = append(buf, byte(len(label)))
		buf = append(buf, label...)
	}
	buf = append(buf, 0, byte(qtype>>8), byte(qtype), 0, byte(mdns.ClassINET))
	// OPT: root name, type 41, class = UDP size, TTL 0 (rcode, version,
	// flags: DO unset), no options.
	buf = append(buf, 0, 0, byte(mdns.TypeOPT), byte(udpSize>>8), byte(udpSize), 0, 0, 0, 0, 0, 0)
	return buf, nil
}

// reply is the part of a DNS answer the sweep reads.
type reply struct {
	rcode     int
	truncated bool
	answer    []mdns.RR
}

// parseReply reads the reply b to the packed query q: header, question
// (which must be q's, the name compared without regard to case) and answer
// section; the authority and additional sections are not read. Decoding
// only this, instead of mdns.Msg.Unpack, is a quarter of the sweep's CPU.
// The extended rcode bits of OPT are ignored.
func parseReply(b, q []byte) (reply, error) {
	if len(b) < 12 || len(q) < 12 {
		return reply{}, errors.New("short reply")
	}
	flags := binary.BigEndian.Uint16(b[2:])
	if flags&(1<<15) == 0 || binary.BigEndian.Uint16(b[4:]) != 1 {
		return reply{}, errOtherQuestion
	}
	qlen := questionLen(q)
	if qlen < 0 || len(b) < 12+qlen || !sameQuestion(b[12:12+qlen], q[12:12+qlen]) {
		return reply{}, errOtherQuestion
	}
	r := reply{rcode: int(flags & 0xf), truncated: flags&(1<<9) != 0}
	off := 12 + qlen
	for range binary.BigEndian.Uint16(b[6:]) {
		if off >= len(b) && r.truncated {
			break
		}
		rr, next, err := mdns.UnpackRR(b, off)
		if err != nil {
			if r.truncated {
				break // cut short; TCP gets it whole
			}
			return reply{}, fmt.Errorf("bad answer: %w", err)
		}
		if rr != nil {
			r.answer = append(r.answer, rr)
		}
		off = next
	}
	return r, nil
}

// questionLen is the length of the one uncompressed question of the
// packed query q, -1 if it is malformed.
func questionLen(q []byte) int {
	i := 12
	for i < len(q) && q[i] != 0 {
		if q[i]&0xc0 != 0 {
			return -1
		}
		i += int(q[i]) + 1
	}
	i += 1 + 4 // root label, type, class
	if i > len(q) {
		return -1
	}
	return i - 12
}

// sameQuestion compares two packed questions, letters of the name without
// regard to case (resolvers may echo 0x20-mixed case), type and class
// exactly.
func sameQuestion(a, b []byte) bool {
	if len(a) != len(b) || len(a) < 5 {
		return false
	}
	n := len(a) - 4
	for i := range n {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return string(a[n:]) == string(b[n:])
}
