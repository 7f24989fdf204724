package faults_test

import (
	"net"
	"sync"
	"testing"
)

// tcpProxy forwards a loopback port to PostgreSQL. Cut drops every connection and refuses new
// ones, as a restarting server does; Blackhole keeps connections open but lets nothing through, as
// a network partition does; Restore ends either. It lets a test take the database away from one
// service without disturbing anybody else's.
type tcpProxy struct {
	t        *testing.T
	Addr     string
	upstream string

	mu        sync.Mutex
	l         net.Listener
	conns     map[net.Conn]bool
	blackhole bool
}

func startProxy(t *testing.T, upstream string) *tcpProxy {
	t.Helper()
	p := &tcpProxy{t: t, upstream: upstream, conns: map[net.Conn]bool{}}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p.Addr = l.Addr().String()
	p.serve(l)
	t.Cleanup(p.Cut)
	return p
}

func (p *tcpProxy) serve(l net.Listener) {
	p.mu.Lock()
	p.l = l
	p.mu.Unlock()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go p.pipe(c)
		}
	}()
}

func (p *tcpProxy) pipe(client net.Conn) {
	p.mu.Lock()
	if p.blackhole { // hold the connection, answer nothing
		p.conns[client] = true
		p.mu.Unlock()
		return
	}
	p.mu.Unlock()
	server, err := net.Dial("tcp", p.upstream)
	if err != nil {
		client.Close()
		return
	}
	p.mu.Lock()
	if p.l == nil { // cut meanwhile
		p.mu.Unlock()
		client.Close()
		server.Close()
		return
	}
	p.conns[client], p.conns[server] = true, true
	p.mu.Unlock()
	done := make(chan struct{}, 2)
	go func() { p.forward(server, client); done <- struct{}{} }()
	go func() { p.forward(client, server); done <- struct{}{} }()
	<-done
	client.Close()
	server.Close()
	p.mu.Lock()
	delete(p.conns, client)
	delete(p.conns, server)
	p.mu.Unlock()
}

// forward copies src to dst, dropping what arrives while the proxy is a black hole.
func (p *tcpProxy) forward(dst, src net.Conn) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		p.mu.Lock()
		drop := p.blackhole
		p.mu.Unlock()
		if n > 0 && !drop {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// Blackhole stops all traffic without closing anything.
func (p *tcpProxy) Blackhole() {
	p.mu.Lock()
	p.blackhole = true
	p.mu.Unlock()
}

// Heal ends a black hole: the stalled connections are dropped (what they carried is lost), new
// ones go through again.
func (p *tcpProxy) Heal() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.blackhole = false
	for c := range p.conns {
		c.Close()
	}
	clear(p.conns)
}

// Cut closes the listener and every connection through it.
func (p *tcpProxy) Cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.l != nil {
		p.l.Close()
		p.l = nil
	}
	for c := range p.conns {
		c.Close()
	}
	clear(p.conns)
}

// Restore accepts connections again on the same address.
func (p *tcpProxy) Restore() {
	p.t.Helper()
	l, err := net.Listen("tcp", p.Addr)
	if err != nil {
		p.t.Fatalf("restore proxy on %s: %v", p.Addr, err)
	}
	p.serve(l)
}
