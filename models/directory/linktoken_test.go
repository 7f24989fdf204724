package directory_test

import (
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"dutydesk/models"
	"dutydesk/models/directory"
)

func TestLinkTokens(t *testing.T) {
	signer := directory.NewLinkSigner(strings.Repeat("s", 32))
	now := time.Date(2026, 9, 15, 8, 30, 0, 0, time.UTC)
	claims := directory.LinkClaims{Purpose: directory.LinkAlertAck, RecipientID: 7, SchoolID: 3, SubjectID: 42, ExpiresAt: now.Add(72 * time.Hour)}
	token := signer.Sign(claims)

	got, err := signer.Verify(token, directory.LinkAlertAck, now)
	if err != nil || *got != claims {
		t.Fatalf("verify = %+v, %v", got, err)
	}
	refused := map[string]struct {
		token   string
		purpose directory.LinkPurpose
		at      time.Time
	}{
		"Expired":       {token, directory.LinkAlertAck, claims.ExpiresAt},
		"WrongPurpose":  {token, directory.LinkSafetyReport, now},
		"OtherSecret":   {directory.NewLinkSigner(strings.Repeat("t", 32)).Sign(claims), directory.LinkAlertAck, now},
		"AlteredSchool": {resign(token, "|3|", "|4|"), directory.LinkAlertAck, now},
		"Truncated":     {token[:len(token)-2], directory.LinkAlertAck, now},
		"NoSignature":   {strings.Split(token, ".")[0], directory.LinkAlertAck, now},
		"Garbage":       {"%%%.###", directory.LinkAlertAck, now},
		"Empty":         {"", directory.LinkAlertAck, now},
	}
	for name, c := range refused {
		t.Run(name, func(t *testing.T) {
			if _, err := signer.Verify(c.token, c.purpose, c.at); models.ErrCode(err) != models.ENOTFOUND {
				t.Fatalf("verify = %v, want not_found", err)
			}
		})
	}
}

// resign swaps text inside a token's payload while keeping the old signature.
func resign(token, from, to string) string {
	enc, sig, _ := strings.Cut(token, ".")
	raw, _ := base64URL.DecodeString(enc)
	return base64URL.EncodeToString([]byte(strings.Replace(string(raw), from, to, 1))) + "." + sig
}

func FuzzVerifyLinkToken(f *testing.F) {
	signer := directory.NewLinkSigner(strings.Repeat("s", 32))
	now := time.Date(2026, 9, 15, 8, 30, 0, 0, time.UTC)
	f.Add(signer.Sign(directory.LinkClaims{Purpose: directory.LinkAlertAck, RecipientID: 1, SchoolID: 2, SubjectID: 3, ExpiresAt: now.Add(time.Hour)}))
	f.Add("a.b")
	f.Add("")
	f.Fuzz(func(t *testing.T, token string) {
		c, err := signer.Verify(token, directory.LinkAlertAck, now)
		if err == nil && signer.Sign(*c) != token {
			t.Fatalf("accepted a token that is not the signature of its own claims: %q", token)
		}
	})
}

var base64URL = base64.RawURLEncoding
