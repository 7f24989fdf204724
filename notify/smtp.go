package notify

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/smtp"
	"net/url"
	"strconv"
	"sync"
	"time"
)

// SMTPConfig configures an SMTPSender.
type SMTPConfig struct {
	// URL is smtp://user:pass@host:587?starttls=1 (STARTTLS required) or smtps://user:pass@host:465
	// (TLS from the first byte). Without starttls=1 a smtp:// relay is spoken to in plaintext, and
	// then net/smtp refuses to send a password to anything but localhost.
	URL string
	// From is the From address of every message.
	From string
	// PoolSize bounds the open connections and so the messages in flight.
	PoolSize int
	// Timeout bounds dialling, the TLS handshake and the delivery of one message.
	Timeout time.Duration
	// IdleTimeout closes a pooled connection unused for this long instead of reusing it (relays drop
	// idle clients, and a stale connection answers 421). Default 30 s.
	IdleTimeout time.Duration
	// TLSConfig overrides the TLS settings (tests trust their own certificate); ServerName defaults
	// to the URL's host.
	TLSConfig *tls.Config
	// LocalName is the name sent in EHLO. Default "localhost".
	LocalName string
}

// SMTPSender delivers e-mails over a small bounded pool of SMTP connections it owns, each with
// dial and I/O deadlines, STARTTLS enforced when configured, and a fresh connection after any error.
// (jordan-wright/email's Pool races, has no timeouts, reuses stale connections and falls back to
// plaintext silently; the message is composed with that library and delivered here.) Safe for
// concurrent use.
type SMTPSender struct {
	cfg       SMTPConfig
	envelope  string // the bare From address, for MAIL FROM
	addr      string
	host      string
	implicit  bool // smtps://
	startTLS  bool
	auth      smtp.Auth
	slots     chan struct{} // one token per connection that may be open
	mu        sync.Mutex
	idle      []*smtpConn
	closed    bool
	tlsConfig *tls.Config
}

type smtpConn struct {
	raw      net.Conn
	client   *smtp.Client
	lastUsed time.Time
}

// NewSMTPSender checks cfg and returns a sender; it does not connect until the first message.
func NewSMTPSender(cfg SMTPConfig) (*SMTPSender, error) {
	u, err := url.Parse(cfg.URL)
	if err != nil || u.Hostname() == "" {
		return nil, fmt.Errorf("smtp url: want smtp://user:pass@host:587?starttls=1 or smtps://…")
	}
	envelope, err := envelopeAddress(cfg.From)
	if err != nil {
		return nil, err
	}
	s := &SMTPSender{cfg: cfg, envelope: envelope, host: u.Hostname()}
	port := u.Port()
	switch u.Scheme {
	case "smtp":
		if port == "" {
			port = "587"
		}
		s.startTLS, _ = strconv.ParseBool(u.Query().Get("starttls"))
	case "smtps":
		if port == "" {
			port = "465"
		}
		s.implicit = true
	default:
		return nil, fmt.Errorf("smtp url: scheme must be smtp or smtps, not %q", u.Scheme)
	}
	s.addr = net.JoinHostPort(s.host, port)
	if u.User != nil && u.User.Username() != "" {
		pass, _ := u.User.Password()
		s.auth = smtp.PlainAuth("", u.User.Username(), pass, s.host)
	}
	if s.cfg.PoolSize < 1 {
		s.cfg.PoolSize = 1
	}
	if s.cfg.Timeout <= 0 {
		s.cfg.Timeout = 30 * time.Second
	}
	if s.cfg.IdleTimeout <= 0 {
		s.cfg.IdleTimeout = 30 * time.Second
	}
	if s.cfg.LocalName == "" {
		s.cfg.LocalName = "localhost"
	}
	s.tlsConfig = &tls.Config{ServerName: s.host, MinVersion: tls.VersionTLS12}
	if cfg.TLSConfig != nil {
		s.tlsConfig = cfg.TLSConfig.Clone()
		if s.tlsConfig.ServerName == "" {
			s.tlsConfig.ServerName = s.host
		}
	}
	s.slots = make(chan struct{}, s.cfg.PoolSize)
	return s, nil
}

// Send delivers m. A pooled connection is checked with RSET first and replaced by a new one if it
// went stale; any error during the delivery closes the connection and is returned, so the outbox
// retries the message later with the same Message-ID.
func (s *SMTPSender) Send(ctx context.Context, m Message) error {
	raw, err := Compose(s.cfg.From, m)
	if err != nil {
		return err
	}
	select {
	case s.slots <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-s.slots }()

	c, err := s.conn(ctx)
	if err != nil {
		return err
	}
	if err := s.deliver(ctx, c, m.To, raw); err != nil {
		c.close()
		return fmt.Errorf("smtp %s: send %s: %w", s.addr, m.ID, err)
	}
	s.put(c)
	return nil
}

// conn returns a healthy pooled connection or dials a new one.
func (s *SMTPSender) conn(ctx context.Context) (*smtpConn, error) {
	for {
		c := s.take()
		if c == nil {
			return s.dial(ctx)
		}
		if time.Since(c.lastUsed) > s.cfg.IdleTimeout {
			c.quit(s.cfg.Timeout)
			continue
		}
		c.setDeadline(ctx, s.cfg.Timeout)
		if err := c.client.Reset(); err != nil {
			c.close()
			continue
		}
		return c, nil
	}
}

func (s *SMTPSender) take() *smtpConn {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := len(s.idle)
	if n == 0 {
		return nil
	}
	c := s.idle[n-1]
	s.idle = s.idle[:n-1]
	return c
}

func (s *SMTPSender) put(c *smtpConn) {
	c.lastUsed = time.Now()
	s.mu.Lock()
	if s.closed || len(s.idle) >= s.cfg.PoolSize {
		s.mu.Unlock()
		c.quit(s.cfg.Timeout)
		return
	}
	s.idle = append(s.idle, c)
	s.mu.Unlock()
}

// dial opens, secures and authenticates a new connection.
func (s *SMTPSender) dial(ctx context.Context) (*smtpConn, error) {
	d := net.Dialer{Timeout: s.cfg.Timeout}
	raw, err := d.DialContext(ctx, "tcp", s.addr)
	if err != nil {
		return nil, fmt.Errorf("smtp %s: %w", s.addr, err)
	}
	c := &smtpConn{raw: raw}
	c.setDeadline(ctx, s.cfg.Timeout)
	conn := raw
	if s.implicit {
		conn = tls.Client(raw, s.tlsConfig)
	}
	fail := func(err error) (*smtpConn, error) {
		raw.Close()
		return nil, fmt.Errorf("smtp %s: %w", s.addr, err)
	}
	if c.client, err = smtp.NewClient(conn, s.host); err != nil {
		return fail(err)
	}
	if err := c.client.Hello(s.cfg.LocalName); err != nil {
		return fail(err)
	}
	if s.startTLS {
		if ok, _ := c.client.Extension("STARTTLS"); !ok {
			return fail(errors.New("server does not offer STARTTLS, which the configuration requires"))
		}
		if err := c.client.StartTLS(s.tlsConfig); err != nil {
			return fail(fmt.Errorf("starttls: %w", err))
		}
	}
	if s.auth != nil {
		if ok, _ := c.client.Extension("AUTH"); !ok {
			return fail(errors.New("server does not offer AUTH, but a user is configured"))
		}
		if err := c.client.Auth(s.auth); err != nil {
			return fail(fmt.Errorf("auth: %w", err))
		}
	}
	return c, nil
}

// deliver sends one message on c within the timeout.
func (s *SMTPSender) deliver(ctx context.Context, c *smtpConn, to string, raw []byte) error {
	c.setDeadline(ctx, s.cfg.Timeout)
	if err := c.client.Mail(s.envelope); err != nil {
		return err
	}
	if err := c.client.Rcpt(to); err != nil {
		return err
	}
	w, err := c.client.Data()
	if err != nil {
		return err
	}
	if _, err := w.Write(raw); err != nil {
		return err
	}
	return w.Close()
}

// Close says QUIT on the idle connections and refuses to pool any more.
func (s *SMTPSender) Close() error {
	s.mu.Lock()
	idle := s.idle
	s.idle, s.closed = nil, true
	s.mu.Unlock()
	for _, c := range idle {
		c.quit(s.cfg.Timeout)
	}
	return nil
}

// setDeadline bounds the next operations by timeout, or by ctx's deadline when that is sooner.
func (c *smtpConn) setDeadline(ctx context.Context, timeout time.Duration) {
	deadline := time.Now().Add(timeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	_ = c.raw.SetDeadline(deadline)
}

func (c *smtpConn) quit(timeout time.Duration) {
	_ = c.raw.SetDeadline(time.Now().Add(timeout))
	_ = c.client.Quit()
	c.close()
}

func (c *smtpConn) close() { _ = c.raw.Close() }
