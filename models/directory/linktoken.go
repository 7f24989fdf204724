package directory

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"time"

	"dutydesk/models"
)

// LinkPurpose is what a signed link lets its holder do; a token is good for one purpose only.
type LinkPurpose string

// The purposes of signed links.
const (
	LinkAlertAck     LinkPurpose = "ack"    // confirm receipt of a warning
	LinkSafetyReport LinkPurpose = "safety" // file a 平安报 for a round
	LinkCalendar     LinkPurpose = "ics"    // subscribe to a personal duty calendar
)

// LinkClaims is what a signed link asserts: who (recipient), for which school, about what subject,
// for what purpose, until when.
type LinkClaims struct {
	Purpose     LinkPurpose
	RecipientID int64 // a contact (ack, safety) or a user (ics)
	SchoolID    int64
	SubjectID   int64 // an alert, a safety round
	ExpiresAt   time.Time
}

// LinkSigner makes and checks HMAC-signed link tokens (design.md, mechanism 5).
type LinkSigner struct {
	key []byte
}

// NewLinkSigner returns a signer with the service secret.
func NewLinkSigner(secret string) *LinkSigner {
	// Derive a key for links so the raw secret signs nothing else directly.
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte("dutydesk link tokens v1"))
	return &LinkSigner{key: mac.Sum(nil)}
}

// Sign returns the token for claims: base64url(payload) "." base64url(HMAC-SHA256(payload)).
func (s *LinkSigner) Sign(c LinkClaims) string {
	payload := fmt.Sprintf("%s|%d|%d|%d|%d", c.Purpose, c.RecipientID, c.SchoolID, c.SubjectID, c.ExpiresAt.Unix())
	enc := base64.RawURLEncoding.EncodeToString([]byte(payload))
	return enc + "." + base64.RawURLEncoding.EncodeToString(s.mac(enc))
}

func (s *LinkSigner) mac(data string) []byte {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte(data))
	return m.Sum(nil)
}

var errBadLink = models.Errorf(models.ENOTFOUND, "链接无效或已失效")

// Verify checks a token for purpose at now and returns its claims. Altered, truncated, foreign,
// wrong-purpose and expired tokens all fail alike with ENOTFOUND, so a probe learns nothing.
func (s *LinkSigner) Verify(token string, purpose LinkPurpose, now time.Time) (*LinkClaims, error) {
	enc, sig, ok := strings.Cut(token, ".")
	if !ok || len(token) > 512 {
		return nil, errBadLink
	}
	// The MAC covers enc as spelled; the signature must be spelled as Sign spells it too (the
	// decoder skips CR and LF, so "…\r…" would otherwise pass for the same token).
	got, err := linkEncoding.DecodeString(sig)
	if err != nil || linkEncoding.EncodeToString(got) != sig || !hmac.Equal(got, s.mac(enc)) {
		return nil, errBadLink
	}
	raw, err := linkEncoding.DecodeString(enc)
	if err != nil {
		return nil, errBadLink
	}
	parts := strings.Split(string(raw), "|")
	if len(parts) != 5 || LinkPurpose(parts[0]) != purpose {
		return nil, errBadLink
	}
	var nums [4]int64
	for i, p := range parts[1:] {
		if nums[i], err = strconv.ParseInt(p, 10, 64); err != nil {
			return nil, errBadLink
		}
	}
	c := &LinkClaims{Purpose: purpose, RecipientID: nums[0], SchoolID: nums[1], SubjectID: nums[2], ExpiresAt: time.Unix(nums[3], 0).UTC()}
	if !now.Before(c.ExpiresAt) {
		return nil, errBadLink
	}
	return c, nil
}

// linkEncoding decodes strictly (no stray padding bits); it still skips CR and LF, which Verify
// refuses by spelling the signature again.
var linkEncoding = base64.RawURLEncoding.Strict()

func RandomSecret() string {
	buf := make([]byte, 32)
	if _, err := rand.Read(buf); err != nil {
		panic(err)
	}
	return base64.RawURLEncoding.EncodeToString(buf)
}

// LinkContact checks a link token for purpose and returns its claims and the contact it was sent
// to. Errors: not_found (bad, expired or foreign token; contact no longer at the school).
func (s *Store) LinkContact(ctx context.Context, token string, purpose LinkPurpose) (*LinkClaims, *Contact, error) {
	claims, err := s.opts.Links.Verify(token, purpose, s.db.Now())
	if err != nil {
		return nil, nil, err
	}
	var c Contact
	if err := s.db.Conn(ctx).Where("school_id = ?", claims.SchoolID).Take(&c, claims.RecipientID).Error; err != nil {
		return nil, nil, models.Errorf(models.ENOTFOUND, "链接无效或已失效")
	}
	return claims, &c, nil
}
