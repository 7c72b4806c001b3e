package cwltest

import (
	"fmt"
	"net"
	"sync"
)

// listener is the fake's socket. While the server is down it accepts each
// connection only to reset it; while it refuses, the socket is closed, so
// that connecting fails with "connection refused", and it is opened again
// on the same address when the fake comes back.
type listener struct {
	s    *Server
	addr net.Addr

	mu     sync.Mutex    // guards the fields below
	cur    net.Listener  // nil while refusing
	wake   chan struct{} // closed when cur changes or the listener closes
	closed bool
}

func newListener(s *Server, l net.Listener) *listener {
	return &listener{s: s, addr: l.Addr(), cur: l, wake: make(chan struct{})}
}

// Accept returns the next connection, waiting through a refusing spell.
func (l *listener) Accept() (net.Conn, error) {
	for {
		l.mu.Lock()
		cur, wake, closed := l.cur, l.wake, l.closed
		l.mu.Unlock()
		switch {
		case closed:
			return nil, net.ErrClosed
		case cur == nil:
			<-wake
			continue
		}
		c, err := cur.Accept()
		if err != nil {
			l.mu.Lock()
			changed := l.cur != cur || l.closed
			l.mu.Unlock()
			if changed {
				continue // closed to refuse, or for good: look again
			}
			return nil, err
		}
		if l.s.down.Load() {
			abort(c)
			continue
		}
		return c, nil
	}
}

// refuse closes the socket, or opens it again on the same address.
func (l *listener) refuse(refusing bool) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed || refusing == (l.cur == nil) {
		return nil
	}
	if refusing {
		err := l.cur.Close()
		l.cur = nil
		l.wakeLocked()
		return err
	}
	nl, err := net.Listen("tcp", l.addr.String())
	if err != nil {
		return fmt.Errorf("listen again on %s: %w", l.addr, err)
	}
	l.cur = nl
	l.wakeLocked()
	return nil
}

// wakeLocked tells a waiting Accept that cur changed.
func (l *listener) wakeLocked() {
	close(l.wake)
	l.wake = make(chan struct{})
}

func (l *listener) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil
	}
	l.closed = true
	l.wakeLocked()
	if l.cur != nil {
		return l.cur.Close()
	}
	return nil
}

func (l *listener) Addr() net.Addr { return l.addr }
