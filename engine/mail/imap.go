package mail

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
)

// IMAPConn is a connection to a watched IMAP mailbox.
type IMAPConn struct {
	c       *imapclient.Client
	mailbox string
	// news receives a signal (coalesced) when the server announces new messages.
	news chan struct{}
}

// MailboxName is the name a mailbox's position is kept under: its URL without the
// password, with the mailbox (INBOX by default). The user name stays: two accounts on one
// server are two mailboxes.
func MailboxName(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return redact(rawURL)
	}
	if u.User != nil {
		u.User = url.User(u.User.Username())
	}
	if strings.Trim(u.Path, "/") == "" {
		u.Path = "/INBOX"
	}
	return u.String()
}

// DialIMAP connects to a mailbox given as a URL and selects it:
//
//	imap://user:pass@host[:port][/MAILBOX]   plain connection (port 143), for local servers
//	imaps://user:pass@host[:port][/MAILBOX]  implicit TLS (port 993)
//
// The mailbox is INBOX when not given. It returns the mailbox's UIDVALIDITY.
func DialIMAP(ctx context.Context, rawURL string) (*IMAPConn, uint32, error) {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("imap_url %q: %s", redact(rawURL), fmt.Sprintf(format, a...))
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, 0, bad("%v", err)
	}
	port := "143"
	switch u.Scheme {
	case "imap":
	case "imaps":
		port = "993"
	default:
		return nil, 0, bad("scheme %q is not imap or imaps", u.Scheme)
	}
	if u.Hostname() == "" || u.User == nil {
		return nil, 0, bad("write %s://user:pass@host[:port][/MAILBOX]", u.Scheme)
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return nil, 0, bad("port %q is not a number from 1 to 65535", p)
		}
		port = p
	}
	mailbox := strings.Trim(u.Path, "/")
	if mailbox == "" {
		mailbox = "INBOX"
	}
	conn := &IMAPConn{mailbox: mailbox, news: make(chan struct{}, 1)}
	opts := &imapclient.Options{
		Dialer: &net.Dialer{Timeout: DefaultTimeout},
		UnilateralDataHandler: &imapclient.UnilateralDataHandler{
			Mailbox: func(d *imapclient.UnilateralDataMailbox) {
				if d.NumMessages != nil {
					conn.signal()
				}
			},
		},
	}
	addr := net.JoinHostPort(u.Hostname(), port)
	if u.Scheme == "imaps" {
		conn.c, err = imapclient.DialTLS(addr, opts)
	} else {
		conn.c, err = imapclient.DialInsecure(addr, opts)
	}
	if err != nil {
		return nil, 0, bad("%v", err)
	}
	stop := context.AfterFunc(ctx, func() { conn.c.Close() })
	defer stop()
	pass, _ := u.User.Password()
	if err := conn.c.Login(u.User.Username(), pass).Wait(); err != nil {
		conn.c.Close()
		return nil, 0, bad("login: %v", err)
	}
	sel, err := conn.c.Select(mailbox, &imap.SelectOptions{ReadOnly: true}).Wait()
	if err != nil {
		conn.c.Close()
		return nil, 0, bad("select %s: %v", mailbox, err)
	}
	return conn, sel.UIDValidity, nil
}

func (c *IMAPConn) signal() {
	select {
	case c.news <- struct{}{}:
	default:
	}
}

// Close ends the connection.
func (c *IMAPConn) Close() error { return c.c.Close() }

// Fetched is one message of the mailbox: its UID and up to maxBytes of it.
type Fetched struct {
	UID  uint32
	Data []byte
}

// FetchAfter returns up to limit messages with a UID above last, in UID order, each cut to
// its first maxBytes bytes. Reading does not mark them seen.
func (c *IMAPConn) FetchAfter(ctx context.Context, last uint32, limit int, maxBytes int64) ([]Fetched, error) {
	stop := context.AfterFunc(ctx, func() { c.c.Close() })
	defer stop()
	var set imap.UIDSet
	set.AddRange(imap.UID(last+1), 0) // last+1:*
	msgs, err := c.c.Fetch(set, &imap.FetchOptions{
		UID:         true,
		BodySection: []*imap.FetchItemBodySection{{Peek: true, Partial: &imap.SectionPartial{Offset: 0, Size: maxBytes}}},
	}).Collect()
	if err != nil {
		return nil, err
	}
	var out []Fetched
	for _, m := range msgs {
		// "last+1:*" gives the newest message even when its UID is not above last.
		if uint32(m.UID) <= last {
			continue
		}
		f := Fetched{UID: uint32(m.UID)}
		if len(m.BodySection) > 0 {
			f.Data = m.BodySection[0].Bytes
		}
		out = append(out, f)
	}
	// In UID order, at most limit.
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j].UID < out[j-1].UID; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

// Wait returns when the server announces new messages (IDLE), after poll (servers without
// IDLE, or one that says nothing), or when ctx ends. An error means the connection is gone.
func (c *IMAPConn) Wait(ctx context.Context, poll time.Duration) error {
	timer := time.NewTimer(poll)
	defer timer.Stop()
	idle, err := c.c.Idle()
	if err != nil {
		// No IDLE: poll.
		select {
		case <-ctx.Done():
		case <-timer.C:
		case <-c.c.Closed():
			return errors.New("imap: the server closed the connection")
		}
		return c.c.Noop().Wait()
	}
	select {
	case <-ctx.Done():
	case <-timer.C:
	case <-c.news:
	case <-c.c.Closed():
		return errors.New("imap: the server closed the connection")
	}
	if err := idle.Close(); err != nil {
		return err
	}
	return idle.Wait()
}
