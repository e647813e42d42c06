package mail_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/emersion/go-msgauth/dkim"

	"github.com/pacer-sales/pacer/engine/mail"
	"github.com/pacer-sales/pacer/engine/mail/mailtest"
)

// dnsRecord is the DKIM TXT record of a key's public half.
func dnsRecord(t *testing.T, k crypto.Signer) string {
	t.Helper()
	switch pub := k.Public().(type) {
	case ed25519.PublicKey:
		return "v=DKIM1; k=ed25519; p=" + base64.StdEncoding.EncodeToString(pub)
	case *rsa.PublicKey:
		der, err := x509.MarshalPKIXPublicKey(pub)
		if err != nil {
			t.Fatal(err)
		}
		return "v=DKIM1; k=rsa; p=" + base64.StdEncoding.EncodeToString(der)
	}
	t.Fatalf("key %T", k)
	return ""
}

// An email signed with the org's key, as the real SMTP server received it, verifies with
// the public key at SELECTOR._domainkey.DOMAIN; changed on the way, it does not.
func TestDKIMSignatureVerifies(t *testing.T) {
	_, edKey, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	for name, key := range map[string]crypto.Signer{"ed25519": edKey, "rsa": rsaKey} {
		t.Run(name, func(t *testing.T) {
			srv := mailtest.Start(t)
			tr := newSMTP(t, srv.URL())
			tk := mail.Tracking{BaseURL: "https://t.example", ID: "0123abcd"}
			p := mail.Compose("Hi Jane,\n\nsee https://example.com/pricing — ünïcode too.\n", "", tk)
			err := tr.Send(context.Background(), mail.Email{
				MessageID: "<0123abcd@pacer.local>", From: "Ada <ada@example.com>", To: "jane@example.org", Subject: "Hello, Jane",
				Body: p.Text, HTML: p.HTML, Unsubscribe: tk.UnsubscribeURL(), OneClick: true,
				DKIM: &mail.DKIM{Domain: "example.com", Selector: "pacer", Signer: key},
			})
			if err != nil {
				t.Fatal(err)
			}
			got := srv.Messages()
			if len(got) != 1 {
				t.Fatalf("%d messages", len(got))
			}
			data := got[0].Data
			record := dnsRecord(t, key)
			lookup := func(domain string) ([]string, error) {
				if domain != "pacer._domainkey.example.com" {
					t.Errorf("looked up %q", domain)
				}
				return []string{record}, nil
			}
			vs, err := dkim.VerifyWithOptions(bytes.NewReader(data), &dkim.VerifyOptions{LookupTXT: lookup})
			if err != nil || len(vs) != 1 || vs[0].Err != nil || vs[0].Domain != "example.com" {
				t.Fatalf("verify: %+v, %v\n%s", vs, err, data)
			}
			for _, h := range []string{"from", "subject", "message-id", "list-unsubscribe"} {
				if !strings.Contains(strings.ToLower(strings.Join(vs[0].HeaderKeys, ":")), h) {
					t.Errorf("%s is not signed: %q", h, vs[0].HeaderKeys)
				}
			}
			tampered := bytes.Replace(data, []byte("Hello, Jane"), []byte("Hello, Joan"), 1)
			if vs, err := dkim.VerifyWithOptions(bytes.NewReader(tampered), &dkim.VerifyOptions{LookupTXT: lookup}); err != nil || len(vs) != 1 || vs[0].Err == nil {
				t.Errorf("a changed subject verified: %+v, %v", vs, err)
			}
		})
	}
}

func TestReadDKIMKey(t *testing.T) {
	dir := t.TempDir()
	_, key, _ := ed25519.GenerateKey(rand.Reader)
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	good := filepath.Join(dir, "dkim.pem")
	os.WriteFile(good, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600)
	if k, err := mail.ReadDKIMKey(good); err != nil || !key.Equal(k) {
		t.Fatalf("ReadDKIMKey: %v", err)
	}
	open := filepath.Join(dir, "open.pem")
	os.WriteFile(open, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o644)
	for name, c := range map[string]struct {
		path string
		want string
	}{
		"readable by others": {open, "chmod 600"},
		"missing":            {filepath.Join(dir, "none.pem"), "no such file"},
	} {
		if _, err := mail.ReadDKIMKey(c.path); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v", name, err)
		}
	}
	for name, c := range map[string]struct {
		pem  []byte
		want string
	}{
		"not PEM":    {[]byte("hello"), "no PEM"},
		"public key": {pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), "not a private key"},
		"garbage":    {pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: []byte("x")}), "private key:"},
	} {
		if _, err := mail.ParseDKIMKey(c.pem); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v", name, err)
		}
	}
}
