package mail

import (
	"bytes"
	"crypto"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/emersion/go-msgauth/dkim"
	gomail "github.com/wneessen/go-mail"
)

// DKIM signs outgoing email for a domain (RFC 6376): the receiving server checks the
// signature against the public key published at SELECTOR._domainkey.DOMAIN.
type DKIM struct {
	Domain, Selector string
	Signer           crypto.Signer
}

// dkimHeaders are the header fields signed (RFC 6376 §5.4.1), each once more than it
// appears, so none can be added later without breaking the signature.
var dkimHeaders = []string{
	"From", "To", "Subject", "Date", "Message-ID", "MIME-Version", "Content-Type",
	"List-Unsubscribe", "List-Unsubscribe-Post",
}

// maxKeyFile bounds the key file ReadDKIMKey reads.
const maxKeyFile = 64 << 10

// ReadDKIMKey reads a DKIM private key from a PEM file: RSA (PKCS #1 or #8, 1024 bits or
// more) or Ed25519 (PKCS #8). The file must be readable by its owner only, like an SSH key.
func ReadDKIMKey(path string) (crypto.Signer, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if st.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("%s is readable by others (mode %04o): chmod 600 it", path, st.Mode().Perm())
	}
	b, err := io.ReadAll(io.LimitReader(f, maxKeyFile+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxKeyFile {
		return nil, fmt.Errorf("%s is too large for a key: the limit is 64 KiB", path)
	}
	return ParseDKIMKey(b)
}

// ParseDKIMKey reads a DKIM private key in PEM form (see ReadDKIMKey).
func ParseDKIMKey(b []byte) (crypto.Signer, error) {
	block, _ := pem.Decode(b)
	if block == nil {
		return nil, errors.New("no PEM private key in it")
	}
	var key any
	var err error
	switch block.Type {
	case "RSA PRIVATE KEY":
		key, err = x509.ParsePKCS1PrivateKey(block.Bytes)
	case "PRIVATE KEY":
		key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
	default:
		return nil, fmt.Errorf("a PEM %q block, not a private key (want RSA PRIVATE KEY or PRIVATE KEY)", block.Type)
	}
	if err != nil {
		return nil, fmt.Errorf("private key: %w", err)
	}
	switch k := key.(type) {
	case *rsa.PrivateKey:
		if k.N.BitLen() < 1024 {
			return nil, fmt.Errorf("an RSA key of %d bits: DKIM needs 1024 or more (2048 recommended)", k.N.BitLen())
		}
		return k, nil
	case ed25519.PrivateKey:
		return k, nil
	}
	return nil, fmt.Errorf("a %T key: want RSA or Ed25519", key)
}

// sign adds the DKIM-Signature header of msg as it is written now: relaxed canonicalization
// of header and body, so the signature holds however the header is folded on the way.
func (d *DKIM) sign(msg *gomail.Msg) error {
	var raw bytes.Buffer
	if _, err := msg.WriteTo(&raw); err != nil {
		return fmt.Errorf("dkim: write the message: %w", err)
	}
	keys := make([]string, 0, 2*len(dkimHeaders))
	for _, h := range dkimHeaders {
		keys = append(keys, h, h)
	}
	s, err := dkim.NewSigner(&dkim.SignOptions{
		Domain: d.Domain, Selector: d.Selector, Signer: d.Signer,
		HeaderCanonicalization: dkim.CanonicalizationRelaxed, BodyCanonicalization: dkim.CanonicalizationRelaxed,
		HeaderKeys: keys,
	})
	if err != nil {
		return fmt.Errorf("dkim: %w", err)
	}
	if _, err := s.Write(raw.Bytes()); err != nil {
		return fmt.Errorf("dkim: %w", err)
	}
	if err := s.Close(); err != nil {
		return fmt.Errorf("dkim: %w", err)
	}
	name, value, ok := strings.Cut(strings.TrimRight(s.Signature(), "\r\n"), ":")
	if !ok {
		return fmt.Errorf("dkim: a malformed signature %q", s.Signature())
	}
	msg.SetGenHeaderPreformatted(gomail.Header(name), strings.TrimSpace(value))
	return nil
}
