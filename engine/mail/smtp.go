package mail

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// Email is one email ready to send: plain text, or multipart/alternative when HTML is set.
type Email struct {
	// MessageID is the Message-ID header, angle brackets included (see MessageID).
	MessageID string
	// From and To are addresses, optionally with a display name ("Ada <ada@example.com>").
	From    string
	To      string
	Subject string
	Body    string
	// HTML is the HTML part; the email is text only when empty.
	HTML string
	// Unsubscribe is the URL of the List-Unsubscribe header (none when empty), https or
	// mailto; OneClick adds List-Unsubscribe-Post: List-Unsubscribe=One-Click (RFC 8058),
	// for an https URL.
	Unsubscribe string
	OneClick    bool
	// EnvelopeFrom is the envelope sender (MAIL FROM) when it differs from From: the
	// address bounces come back to (VERP, "bounce+ID@domain").
	EnvelopeFrom string
	// Date is the Date header; the time of sending when zero.
	Date time.Time
	// DKIM, when set, signs the email.
	DKIM *DKIM
}

// Transport delivers emails.
type Transport interface {
	// Send returns once the server has accepted m, or with the reason it did not.
	Send(ctx context.Context, m Email) error
}

// DefaultTimeout bounds connecting and each SMTP command.
const DefaultTimeout = 30 * time.Second

// NewSMTP makes a Transport for an SMTP server given as a URL:
//
//	smtp://[user:pass@]host[:port]   plain connection (port 25), for local relays
//	smtps://[user:pass@]host[:port]  implicit TLS (port 465)
//
// Query parameters:
//
//	starttls=1        require STARTTLS on an smtp:// connection (port 587 by default)
//	auth=MECH         plain (the default with a user), login, cram-md5, scram-sha-1,
//	                  scram-sha-256, or none; plain and login send the password only over
//	                  TLS or to localhost unless insecure_auth=1
//	insecure_auth=1   allow plain or login over an unencrypted connection to another host
//	timeout=DURATION  connect and command timeout (default 30s)
//
// Each Send opens a connection, delivers one email and closes it. Errors name the URL with
// its password hidden.
func NewSMTP(rawURL string) (Transport, error) {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("smtp_url %q: %s", redact(rawURL), fmt.Sprintf(format, a...))
	}
	if strings.TrimSpace(rawURL) == "" {
		return nil, bad("is empty")
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, bad("%v", err)
	}
	t := &smtpTransport{timeout: DefaultTimeout, tls: gomail.NoTLS}
	port := 25
	switch u.Scheme {
	case "smtp":
	case "smtps":
		t.ssl, port = true, 465
	case "":
		return nil, bad("has no scheme: write smtp://host:port or smtps://host:port")
	default:
		return nil, bad("scheme %q is not smtp or smtps", u.Scheme)
	}
	if u.Opaque != "" {
		return nil, bad("write %s://host:port", u.Scheme)
	}
	if (u.Path != "" && u.Path != "/") || u.Fragment != "" {
		return nil, bad("has a path or fragment; write %s://host:port", u.Scheme)
	}
	t.host = u.Hostname()
	if t.host == "" {
		return nil, bad("has no host")
	}
	q := u.Query()
	for k := range q {
		switch k {
		case "starttls", "auth", "insecure_auth", "timeout":
		default:
			return nil, bad("unknown parameter %q (known: starttls, auth, insecure_auth, timeout)", k)
		}
	}
	if v := q.Get("starttls"); v != "" {
		on, err := flag(v)
		if err != nil {
			return nil, bad("starttls: %v", err)
		}
		if on {
			if t.ssl {
				return nil, bad("starttls does not apply to smtps://, which is TLS from the start")
			}
			t.tls, port = gomail.TLSMandatory, 587
		}
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return nil, bad("port %q is not a number from 1 to 65535", p)
		}
		port = n
	} else if strings.HasSuffix(u.Host, ":") {
		return nil, bad("has an empty port")
	}
	t.port = port
	if v := q.Get("timeout"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return nil, bad("timeout %q is not a positive duration such as 30s", v)
		}
		t.timeout = d
	}
	insecure := false
	if v := q.Get("insecure_auth"); v != "" {
		if insecure, err = flag(v); err != nil {
			return nil, bad("insecure_auth: %v", err)
		}
	}
	if u.User != nil {
		t.user = u.User.Username()
		t.pass, _ = u.User.Password()
	}
	mech := strings.ToLower(q.Get("auth"))
	if mech == "" {
		mech = "none"
		if u.User != nil {
			mech = "plain"
		}
	}
	switch mech {
	case "none":
		t.auth = gomail.SMTPAuthNoAuth
	case "plain":
		t.auth = gomail.SMTPAuthPlain
		if insecure {
			t.auth = gomail.SMTPAuthPlainNoEnc
		}
	case "login":
		t.auth = gomail.SMTPAuthLogin
		if insecure {
			t.auth = gomail.SMTPAuthLoginNoEnc
		}
	case "cram-md5":
		t.auth = gomail.SMTPAuthCramMD5
	case "scram-sha-1":
		t.auth = gomail.SMTPAuthSCRAMSHA1
	case "scram-sha-256":
		t.auth = gomail.SMTPAuthSCRAMSHA256
	default:
		return nil, bad("auth %q is not one of plain, login, cram-md5, scram-sha-1, scram-sha-256, none", mech)
	}
	if t.auth != gomail.SMTPAuthNoAuth && u.User == nil {
		return nil, bad("auth=%s needs a user: write %s://user:pass@host", mech, u.Scheme)
	}
	t.server = redact(rawURL)
	return t, nil
}

// flag reads a yes/no query parameter.
func flag(v string) (bool, error) {
	switch strings.ToLower(v) {
	case "1", "true", "yes", "on":
		return true, nil
	case "0", "false", "no", "off":
		return false, nil
	}
	return false, fmt.Errorf("%q is not 1 or 0", v)
}

// redact hides the password of an SMTP URL, even one that does not parse.
func redact(raw string) string {
	if u, err := url.Parse(raw); err == nil {
		if _, has := u.User.Password(); !has {
			return raw
		}
		return u.Redacted()
	}
	i := strings.Index(raw, "://")
	if i < 0 {
		return raw
	}
	rest := raw[i+3:]
	end := strings.IndexAny(rest, "/?#")
	if end < 0 {
		end = len(rest)
	}
	at := strings.LastIndex(rest[:end], "@")
	if at < 0 {
		return raw
	}
	colon := strings.Index(rest[:at], ":")
	if colon < 0 {
		return raw
	}
	return raw[:i+3] + rest[:colon] + ":xxxxx" + rest[at:]
}

// smtpTransport sends through go-mail, one connection per email.
type smtpTransport struct {
	host       string
	port       int
	ssl        bool
	tls        gomail.TLSPolicy
	auth       gomail.SMTPAuthType
	user, pass string
	timeout    time.Duration
	server     string // the URL with its password hidden, for errors
}

// Send implements Transport.
func (t *smtpTransport) Send(ctx context.Context, m Email) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	msg, err := t.message(m)
	if err != nil {
		return err
	}
	// Our own dialer keeps the connection so that it is closed however the exchange ends
	// (go-mail leaves it open when the greeting, STARTTLS or AUTH fails) and so that a
	// canceled context interrupts a transfer in progress, not only the dial.
	var (
		mu    sync.Mutex
		conns []net.Conn
	)
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		d := &net.Dialer{Timeout: t.timeout}
		var c net.Conn
		var err error
		if t.ssl {
			td := &tls.Dialer{NetDialer: d, Config: &tls.Config{ServerName: t.host, MinVersion: tls.VersionTLS12}}
			c, err = td.DialContext(ctx, network, addr)
		} else {
			c, err = d.DialContext(ctx, network, addr)
		}
		if err == nil {
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
		return c, err
	}
	opts := []gomail.Option{
		gomail.WithPort(t.port),
		gomail.WithTimeout(t.timeout),
		gomail.WithTLSPolicy(t.tls),
		gomail.WithDialContextFunc(dial),
	}
	if t.ssl {
		opts = append(opts, gomail.WithSSL())
	}
	if t.auth != gomail.SMTPAuthNoAuth {
		opts = append(opts, gomail.WithSMTPAuth(t.auth), gomail.WithUsername(t.user), gomail.WithPassword(t.pass))
	}
	client, err := gomail.NewClient(t.host, opts...)
	if err != nil {
		return fmt.Errorf("smtp server %s: %w", t.server, err)
	}
	closeAll := func() {
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			_ = c.Close()
		}
	}
	stop := context.AfterFunc(ctx, closeAll)
	err = client.DialAndSendWithContext(ctx, msg)
	stop()
	closeAll()
	if err != nil {
		if cerr := ctx.Err(); cerr != nil {
			err = fmt.Errorf("%w (%v)", cerr, err)
		}
		return fmt.Errorf("smtp server %s: %w", t.server, err)
	}
	return nil
}

// message builds the go-mail message of m.
func (t *smtpTransport) message(m Email) (*gomail.Msg, error) {
	id := strings.TrimSpace(m.MessageID)
	if !strings.HasPrefix(id, "<") || !strings.HasSuffix(id, ">") || !strings.Contains(id, "@") {
		return nil, fmt.Errorf("message id %q is not of the form <local@domain>", m.MessageID)
	}
	msg := gomail.NewMsg(gomail.WithNoDefaultUserAgent())
	if err := msg.From(m.From); err != nil {
		return nil, fmt.Errorf("from address %q: %w", m.From, err)
	}
	if err := msg.To(m.To); err != nil {
		return nil, fmt.Errorf("to address %q: %w", m.To, err)
	}
	// SetMessageIDWithValue adds the angle brackets itself.
	msg.SetMessageIDWithValue(id[1 : len(id)-1])
	date := m.Date
	if date.IsZero() {
		date = time.Now()
	}
	msg.SetDateWithValue(date)
	msg.Subject(m.Subject)
	msg.SetBodyString(gomail.TypeTextPlain, m.Body)
	if m.HTML != "" {
		msg.AddAlternativeString(gomail.TypeTextHTML, m.HTML)
	}
	if m.Unsubscribe != "" {
		if strings.ContainsAny(m.Unsubscribe, "<>\r\n \t") {
			return nil, fmt.Errorf("unsubscribe URL %q has spaces, line breaks or angle brackets", m.Unsubscribe)
		}
		msg.SetGenHeaderPreformatted(gomail.HeaderListUnsubscribe, "<"+m.Unsubscribe+">")
		if m.OneClick {
			msg.SetGenHeaderPreformatted(gomail.HeaderListUnsubscribePost, "List-Unsubscribe=One-Click")
		}
	}
	if m.EnvelopeFrom != "" {
		if err := msg.EnvelopeFrom(m.EnvelopeFrom); err != nil {
			return nil, fmt.Errorf("envelope sender %q: %w", m.EnvelopeFrom, err)
		}
	}
	if m.DKIM != nil {
		if err := m.DKIM.sign(msg); err != nil {
			return nil, err
		}
	}
	return msg, nil
}

// Permanent reports whether err is the server refusing the email itself with a 5xx reply
// (an unknown recipient, a rejected sender or content): trying again will not help.
// Connection, authentication and 4xx failures are not permanent.
func Permanent(err error) bool {
	var se *gomail.SendError
	if errors.As(err, &se) {
		return se.ErrorCode() >= 500 && se.ErrorCode() < 600
	}
	return false
}

// RecipientRefused reports whether err is the server refusing the recipient for good (a
// 5xx reply to RCPT TO): the address is undeliverable, a hard bounce.
func RecipientRefused(err error) bool {
	var se *gomail.SendError
	return errors.As(err, &se) && se.Reason == gomail.ErrSMTPRcptTo && se.ErrorCode() >= 500 && se.ErrorCode() < 600
}
