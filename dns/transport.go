package dns

import (
	"context"
	"errors"
	"math/rand/v2"
	"net"
	"sync"
	"syscall"
	"time"
)

// errTimeout is a query that got no answer within Config.Timeout;
// errRefused one that the server's host refused (ICMP port unreachable).
var (
	errTimeout = errors.New("timeout")
	errRefused = errors.New("connection refused")
)

// muxConn is one long-lived UDP socket to one server, shared by many
// queries at once: each query gets a random free ID, one reader goroutine
// hands each answer to the query with its ID. A socket per query
// (mdns.Client.Exchange) costs a socket, a bind and a close each time,
// which halves the sweep's rate; the connected socket also makes the
// kernel drop datagrams from any other address.
type muxConn struct {
	conn *net.UDPConn

	mu      sync.Mutex
	pending map[uint16]*call
	closed  error
}

// call is one query waiting on a muxConn; calls are pooled with their buffer.
type call struct {
	buf   []byte // the reply
	err   error
	ch    chan struct{}
	timer *time.Timer
}

var callPool = sync.Pool{New: func() any {
	t := time.NewTimer(time.Hour)
	t.Stop()
	return &call{buf: make([]byte, 0, DefaultUDPSize), ch: make(chan struct{}, 1), timer: t}
}}

func dialMux(addr string) (*muxConn, error) {
	ua, err := net.ResolveUDPAddr("udp", addr)
	if err != nil {
		return nil, err
	}
	c, err := net.DialUDP("udp", nil, ua)
	if err != nil {
		return nil, err
	}
	// Many answers can arrive between two reads; a larger buffer loses fewer
	// (the kernel caps it at net.core.rmem_max).
	_ = c.SetReadBuffer(4 << 20)
	m := &muxConn{conn: c, pending: map[uint16]*call{}}
	go m.read()
	return m, nil
}

// read delivers answers until the socket is closed.
func (m *muxConn) read() {
	buf := make([]byte, 65535)
	for {
		n, err := m.conn.Read(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				m.failAll(net.ErrClosed, true)
				return
			}
			// A connected UDP socket reports an ICMP port unreachable
			// from the server as ECONNREFUSED: nothing listens there, so
			// every query waiting on it can move on to the next server.
			if errors.Is(err, syscall.ECONNREFUSED) {
				m.failAll(errRefused, false)
				continue
			}
			time.Sleep(time.Millisecond) // anything else: do not spin on it
			continue
		}
		if n < 12 {
			continue
		}
		id := uint16(buf[0])<<8 | uint16(buf[1])
		m.mu.Lock()
		c := m.pending[id]
		if c != nil {
			delete(m.pending, id)
		}
		m.mu.Unlock()
		if c != nil {
			c.buf = append(c.buf[:0], buf[:n]...)
			c.ch <- struct{}{}
		}
	}
}

// failAll ends every waiting query with err.
func (m *muxConn) failAll(err error, closed bool) {
	m.mu.Lock()
	if closed {
		m.closed = err
	}
	calls := m.pending
	m.pending = map[uint16]*call{}
	m.mu.Unlock()
	for _, c := range calls {
		c.err = err
		c.ch <- struct{}{}
	}
}

// exchange sends the packed query q (its ID is overwritten) and calls
// answer with the reply's bytes, valid only during the call.
func (m *muxConn) exchange(ctx context.Context, q []byte, timeout time.Duration, answer func([]byte) error) error {
	c := callPool.Get().(*call)
	c.buf, c.err = c.buf[:0], nil
	m.mu.Lock()
	if m.closed != nil {
		m.mu.Unlock()
		callPool.Put(c)
		return m.closed
	}
	var id uint16
	for {
		id = uint16(rand.Uint32())
		if _, busy := m.pending[id]; !busy {
			break
		}
	}
	m.pending[id] = c
	m.mu.Unlock()
	q[0], q[1] = byte(id>>8), byte(id)

	if _, err := m.conn.Write(q); err != nil {
		if errors.Is(err, syscall.ECONNREFUSED) {
			err = errRefused
		}
		if m.forget(id, c) {
			callPool.Put(c)
			return err
		}
		<-c.ch // the reader or failAll already took it
		callPool.Put(c)
		return err
	}
	c.timer.Reset(timeout) // since Go 1.23 a Stop or Reset drains the timer
	var err error
	select {
	case <-c.ch:
	case <-c.timer.C:
		err = errTimeout
	case <-ctx.Done():
		err = ctx.Err()
	}
	c.timer.Stop()
	if err != nil {
		if !m.forget(id, c) {
			// The answer came as we gave up: take it, so c can be reused.
			<-c.ch
			err = nil
		}
	}
	if err == nil {
		err = c.err
	}
	if err == nil {
		err = answer(c.buf)
	}
	callPool.Put(c)
	return err
}

// forget removes the pending query id; false when an answer (or failure)
// was already handed to c.
func (m *muxConn) forget(id uint16, c *call) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.pending[id] == c {
		delete(m.pending, id)
		return true
	}
	return false
}

func (m *muxConn) close() error { return m.conn.Close() }
