package mail

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// DefaultDomain is the Message-ID domain when none is given.
const DefaultDomain = "pacer.local"

// MessageID is the Message-ID of the email with idempotency key key: "<" + the first 32 hex
// digits of SHA-256(key) + "@" + domain + ">", with domain DefaultDomain when empty. The same
// key always gives the same ID, so a retried email carries the Message-ID of its first try
// and the receiving side can drop the duplicate.
func MessageID(key, domain string) string {
	domain = strings.TrimPrefix(strings.TrimSpace(domain), "@")
	if domain == "" {
		domain = DefaultDomain
	}
	sum := sha256.Sum256([]byte(key))
	return "<" + hex.EncodeToString(sum[:16]) + "@" + domain + ">"
}
