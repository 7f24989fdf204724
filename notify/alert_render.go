package notify

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"
	"unicode/utf8"
)

// AlertRenderer renders one warning to many school contacts, as Render(KindAlertIssued, …) would
// for each, at a fraction of the cost: a whole-city fan-out is 10,000 messages that differ only
// in the contact, the school and the acknowledgement link. The templates run once per variant
// (with a link, without one) with placeholders for those three, and each message fills them in.
// A value that the templates would not print as it is (HTML escaping, a link the URL filter would
// change) is rendered in full instead, so every message is exactly what Render makes. It relies on
// the alert templates testing the contact, the school and the link for nothing but the link's
// presence; TestAlertRendererMatchesRender holds it to that. It is not safe for concurrent use.
type AlertRenderer struct {
	data     AlertData
	withLink *alertLayout // nil until needed
	noLink   *alertLayout
}

// renderedRaw is a message as the templates print it, before Render tidies its spaces.
type renderedRaw struct{ subject, text, html string }

// alertLayout is a warning as the templates print it with placeholders, cut at the placeholders.
type alertLayout struct{ subject, text, html layout }

// A layout is text cut at the placeholders: parts[0], value 0, parts[1], value 1, … parts[n].
type layout struct {
	parts  []string
	values []int // 0 contact, 1 school, 2 link
}

func newLayout(s string) layout {
	var l layout
	for {
		at, value, size := -1, 0, 0
		for v, p := range []string{placeholderContact, placeholderSchool, placeholderLink} {
			if i := strings.Index(s, p); i >= 0 && (at < 0 || i < at) {
				at, value, size = i, v, len(p)
			}
		}
		if at < 0 {
			l.parts = append(l.parts, s)
			return l
		}
		l.parts = append(l.parts, s[:at])
		l.values = append(l.values, value)
		s = s[at+size:]
	}
}

// fill returns the layout with the values in place of the placeholders.
func (l layout) fill(values [3]string) string {
	var b strings.Builder
	n := 0
	for _, p := range l.parts {
		n += len(p)
	}
	for _, v := range l.values {
		n += len(values[v])
	}
	b.Grow(n)
	for i, p := range l.parts {
		b.WriteString(p)
		if i < len(l.values) {
			b.WriteString(values[l.values[i]])
		}
	}
	return b.String()
}

// placeholders stand for the contact, the school and the link while the templates run. They are
// random per process, so no headline or instruction can contain them, and plain ASCII letters and
// digits, which every template context prints unchanged.
var placeholderContact, placeholderSchool, placeholderLink = placeholder(), placeholder(), placeholder()

func placeholder() string {
	b := make([]byte, 12)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return "Zdutydesk" + hex.EncodeToString(b)
}

// NewAlertRenderer returns a renderer of the warning data describes; its Contact, School and
// AckLink are ignored (each Render call gives them).
func NewAlertRenderer(data AlertData) *AlertRenderer {
	return &AlertRenderer{data: data}
}

// Render returns the warning for one contact of one school, with the contact's acknowledgement
// link or none ("").
func (r *AlertRenderer) Render(contact, school, ackLink string) (Rendered, error) {
	data := r.data
	data.Contact, data.School, data.AckLink = contact, school, ackLink
	if !printedAsIs(contact) || !printedAsIs(school) || (ackLink != "" && !plainLink(ackLink)) {
		return Render(KindAlertIssued, data)
	}
	variant := &r.noLink
	if ackLink != "" {
		variant = &r.withLink
	}
	if *variant == nil {
		link := ""
		if ackLink != "" {
			link = placeholderLink
		}
		raw, err := renderRaw(KindAlertIssued, withPlaceholders(r.data, link))
		if err != nil {
			return Rendered{}, err
		}
		*variant = &alertLayout{subject: newLayout(raw.subject), text: newLayout(raw.text), html: newLayout(raw.html)}
	}
	values := [3]string{contact, school, ackLink}
	l := *variant
	return tidy(l.subject.fill(values), l.text.fill(values), l.html.fill(values)), nil
}

func withPlaceholders(d AlertData, link string) AlertData {
	d.Contact, d.School, d.AckLink = placeholderContact, placeholderSchool, link
	return d
}

// printedAsIs tells whether both text/template and html/template (in element text) print s
// unchanged: valid UTF-8 without the characters html/template escapes.
func printedAsIs(s string) bool {
	return utf8.ValidString(s) && !strings.ContainsAny(s, "\x00\"&'+<>")
}

// plainLink tells whether html/template prints link unchanged in an href attribute as well: an
// http(s) URL of ASCII letters, digits and -._~:/ only, which its URL filter and normaliser keep.
func plainLink(link string) bool {
	if !strings.HasPrefix(link, "http://") && !strings.HasPrefix(link, "https://") {
		return false
	}
	for i := 0; i < len(link); i++ {
		c := link[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("-._~:/", c) >= 0) {
			return false
		}
	}
	return true
}

// renderRaw runs the templates of kind with data and returns what they print.
func renderRaw(kind Kind, data any) (renderedRaw, error) {
	t, ok := templates[kind]
	if !ok {
		return renderedRaw{}, fmt.Errorf("render: no templates for kind %q", kind)
	}
	var subject, text, html bytes.Buffer
	if err := t.text.ExecuteTemplate(&subject, "subject", data); err != nil {
		return renderedRaw{}, fmt.Errorf("render %s subject: %w", kind, err)
	}
	if err := t.text.ExecuteTemplate(&text, "text", data); err != nil {
		return renderedRaw{}, fmt.Errorf("render %s text: %w", kind, err)
	}
	if err := t.html.ExecuteTemplate(&html, "html", data); err != nil {
		return renderedRaw{}, fmt.Errorf("render %s html: %w", kind, err)
	}
	return renderedRaw{subject: subject.String(), text: text.String(), html: html.String()}, nil
}

// tidy makes a message of what the templates printed: the subject on one line with single spaces,
// the bodies without surrounding blank lines.
func tidy(subject, text, html string) Rendered {
	return Rendered{
		Subject: strings.Join(strings.Fields(subject), " "),
		Text:    strings.TrimSpace(text) + "\n",
		HTML:    strings.TrimSpace(html) + "\n",
	}
}
