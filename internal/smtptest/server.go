// Package smtptest runs a real SMTP server in-process for tests (github.com/emersion/go-smtp):
// STARTTLS with a self-signed certificate, AUTH PLAIN, and a record of every message accepted.
package smtptest

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"io"
	"math/big"
	"net"
	"net/mail"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Username and Password are the credentials the server accepts.
const (
	Username = "dutydesk"
	Password = "smtp-secret"
)

// Received is one accepted message.
type Received struct {
	From      string
	To        []string
	Data      []byte
	MessageID string
}

// Options change the server's behaviour.
type Options struct {
	// NoTLS makes the server offer neither STARTTLS nor AUTH (a relay that would take mail in plaintext).
	NoTLS bool
	// ImplicitTLS makes the server speak TLS from the first byte (smtps://, port 465 style).
	ImplicitTLS bool
	// CountOnly keeps no message, only the count and the time of the first and last (benchmarks
	// send tens of thousands).
	CountOnly bool
}

// Server is a running in-process SMTP server. Safe for concurrent use.
type Server struct {
	// Addr is host:port; it stays the same across Stop and Start.
	Addr string

	t        testing.TB
	opts     Options
	cert     tls.Certificate
	pool     *x509.CertPool
	mu       sync.Mutex
	srv      *smtp.Server
	received []Received
	sessions int
	count    int
	first    time.Time
	last     time.Time
}

// Start runs a server on a free local port until the test ends.
func Start(t testing.TB, opts Options) *Server {
	t.Helper()
	s, err := Listen(opts)
	if err != nil {
		t.Fatal(err)
	}
	s.t = t
	t.Cleanup(s.Stop)
	return s
}

// Listen runs a server on a free loopback port until Stop, for programs without a testing.TB
// (the benchmarks). Restart needs a server from Start.
func Listen(opts Options) (*Server, error) {
	s := &Server{opts: opts}
	var err error
	if s.cert, s.pool, err = selfSigned(); err != nil {
		return nil, err
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s.Addr = l.Addr().String()
	s.serve(l)
	return s, nil
}

// URL is the DUTYDESK_SMTP_URL for this server.
func (s *Server) URL() string {
	switch {
	case s.opts.NoTLS:
		return "smtp://" + s.Addr
	case s.opts.ImplicitTLS:
		return "smtps://" + Username + ":" + Password + "@" + s.Addr
	}
	return "smtp://" + Username + ":" + Password + "@" + s.Addr + "?starttls=1"
}

// ClientTLS is a TLS configuration that trusts the server's certificate.
func (s *Server) ClientTLS() *tls.Config {
	return &tls.Config{RootCAs: s.pool, ServerName: "127.0.0.1", MinVersion: tls.VersionTLS12}
}

// Stop closes the listener and every connection: the server is down.
func (s *Server) Stop() {
	s.mu.Lock()
	srv := s.srv
	s.srv = nil
	s.mu.Unlock()
	if srv != nil {
		_ = srv.Close()
	}
}

// Restart brings a stopped server back on the same address.
func (s *Server) Restart() {
	s.t.Helper()
	l, err := net.Listen("tcp", s.Addr)
	if err != nil {
		s.t.Fatalf("restart smtp server on %s: %v", s.Addr, err)
	}
	s.serve(l)
}

func (s *Server) serve(l net.Listener) {
	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		s.mu.Lock()
		s.sessions++
		s.mu.Unlock()
		return &session{server: s, requireAuth: !s.opts.NoTLS}, nil
	}))
	srv.Domain = "localhost"
	srv.ReadTimeout = 10 * time.Second
	srv.WriteTimeout = 10 * time.Second
	srv.MaxMessageBytes = 10 << 20
	if !s.opts.NoTLS {
		srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{s.cert}, MinVersion: tls.VersionTLS12}
		if s.opts.ImplicitTLS {
			l = tls.NewListener(l, srv.TLSConfig)
		}
	}
	s.mu.Lock()
	s.srv = srv
	s.mu.Unlock()
	go func() { _ = srv.Serve(l) }()
}

// Received returns the messages accepted so far.
func (s *Server) Received() []Received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Received(nil), s.received...)
}

// Count returns how many messages were accepted, and when the first and the last were.
func (s *Server) Count() (n int, first, last time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.count, s.first, s.last
}

// ResetCount forgets the messages accepted so far: Count and Received start again from none
// (a benchmark's next round).
func (s *Server) ResetCount() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.received, s.count, s.first, s.last = nil, 0, time.Time{}, time.Time{}
}

// CertPEM is the server's certificate in PEM, for a client in another process to trust
// (SSL_CERT_FILE).
func (s *Server) CertPEM() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: s.cert.Certificate[0]})
}

// Sessions counts the SMTP sessions begun (STARTTLS begins a new one on the same connection).
func (s *Server) Sessions() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sessions
}

// session is one SMTP session; it accepts mail only after AUTH PLAIN when TLS is on.
type session struct {
	server      *Server
	requireAuth bool
	authed      bool
	from        string
	to          []string
}

var _ smtp.AuthSession = (*session)(nil)

func (ss *session) AuthMechanisms() []string {
	if !ss.requireAuth {
		return nil
	}
	return []string{sasl.Plain}
}

func (ss *session) Auth(mech string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(identity, username, password string) error {
		if username != Username || password != Password {
			return errors.New("invalid credentials")
		}
		ss.authed = true
		return nil
	}), nil
}

func (ss *session) Mail(from string, _ *smtp.MailOptions) error {
	if ss.requireAuth && !ss.authed {
		return smtp.ErrAuthRequired
	}
	ss.from = from
	return nil
}

func (ss *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	ss.to = append(ss.to, to)
	return nil
}

func (ss *session) Data(r io.Reader) error {
	srv := ss.server
	if srv.opts.CountOnly {
		if _, err := io.Copy(io.Discard, r); err != nil {
			return err
		}
		srv.mu.Lock()
		srv.count++
		srv.last = time.Now()
		if srv.count == 1 {
			srv.first = srv.last
		}
		srv.mu.Unlock()
		return nil
	}
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	rec := Received{From: ss.from, To: ss.to, Data: data}
	if msg, err := mail.ReadMessage(bytes.NewReader(data)); err == nil {
		rec.MessageID = msg.Header.Get("Message-Id")
	}
	srv.mu.Lock()
	srv.received = append(srv.received, rec)
	srv.count++
	srv.last = time.Now()
	if srv.count == 1 {
		srv.first = srv.last
	}
	srv.mu.Unlock()
	return nil
}

func (ss *session) Reset()        { ss.from, ss.to = "", nil }
func (ss *session) Logout() error { return nil }

// selfSigned makes a certificate for 127.0.0.1 and localhost, and a pool that trusts it.
func selfSigned() (tls.Certificate, *x509.CertPool, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "smtptest"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1")},
		DNSNames:              []string{"localhost"},
		IsCA:                  true,
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool, nil
}
