package notify

import (
	"fmt"
	"net/mail"
	"time"

	"github.com/jordan-wright/email"
)

// Compose writes m as a MIME e-mail from the address from: plain text and, when present, HTML
// alternatives, with m.ID as its Message-ID and m.CreatedAt as its Date.
func Compose(from string, m Message) ([]byte, error) {
	e := email.NewEmail()
	e.From = from
	e.To = []string{(&mail.Address{Name: m.ToName, Address: m.To}).String()}
	e.Subject = m.Subject
	e.Text = []byte(m.Text)
	if m.HTML != "" {
		e.HTML = []byte(m.HTML)
	}
	// Headers.Set, not e.Headers["Message-ID"] = …: the library looks for the canonical key and
	// would otherwise add a second, random Message-ID.
	e.Headers.Set("Message-ID", m.ID)
	if !m.CreatedAt.IsZero() {
		e.Headers.Set("Date", m.CreatedAt.Format(time.RFC1123Z))
	}
	e.Headers.Set("X-DutyDesk-Kind", string(m.Kind))
	raw, err := e.Bytes()
	if err != nil {
		return nil, fmt.Errorf("compose %s: %w", m.ID, err)
	}
	return raw, nil
}

// envelopeAddress returns the bare address of a From header such as "值班室 <duty@x.cn>".
func envelopeAddress(from string) (string, error) {
	a, err := mail.ParseAddress(from)
	if err != nil {
		return "", fmt.Errorf("from address %q: %w", from, err)
	}
	return a.Address, nil
}
