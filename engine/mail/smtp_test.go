package mail_test

import (
	"context"
	"errors"
	"net"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/pacer-sales/pacer/engine/mail"
	"github.com/pacer-sales/pacer/engine/mail/mailtest"
)

func TestNewSMTPURLs(t *testing.T) {
	for _, u := range []string{
		"smtp://127.0.0.1:2525",
		"smtp://user:pass@mail.example.com:25",
		"smtp://user:pass@mail.example.com",
		"smtps://user:pass@mail.example.com",
		"smtps://user:pass@mail.example.com:465/",
		"smtp://user:pass@mail.example.com?starttls=1",
		"smtp://user:pass@mail.example.com:587?starttls=true&auth=login&timeout=10s",
		"smtp://user:p%40ss@[::1]:25?insecure_auth=1",
		"smtp://user:pass@relay?auth=cram-md5",
		"smtp://user@relay?auth=scram-sha-256",
		"SMTP://relay:25",
	} {
		if _, err := mail.NewSMTP(u); err != nil {
			t.Errorf("NewSMTP(%q): %v", u, err)
		}
	}
}

func TestNewSMTPURLErrors(t *testing.T) {
	for _, tc := range []struct{ url, want string }{
		{"", `smtp_url "": is empty`},
		{"mail.example.com:25", `smtp_url "mail.example.com:25": scheme "mail.example.com" is not smtp or smtps`},
		{"localhost", `smtp_url "localhost": has no scheme`},
		{"http://mail.example.com", `scheme "http" is not smtp or smtps`},
		{"smtp://", `smtp_url "smtp://": has no host`},
		{"smtp://:25", "has no host"},
		{"smtp://host:99999", `port "99999" is not a number from 1 to 65535`},
		{"smtp://host:0", `port "0"`},
		{"smtp://host:", "has an empty port"},
		{"smtp://host:25/inbox", "has a path"},
		{"smtp://host:25?tls=1", `unknown parameter "tls"`},
		{"smtp://host?starttls=maybe", `starttls: "maybe" is not 1 or 0`},
		{"smtps://host?starttls=1", "starttls does not apply to smtps://"},
		{"smtp://u:p@host?auth=oauth", `auth "oauth" is not one of`},
		{"smtp://host?auth=plain", "auth=plain needs a user"},
		{"smtp://host?timeout=soon", `timeout "soon" is not a positive duration`},
		{"smtp://host?timeout=-1s", "is not a positive duration"},
		{"smtp://u:p@ho st:25", `smtp_url "smtp://u:xxxxx@ho st:25": invalid character " " in host name`},
		{"smtp:// bad", "invalid character"},
	} {
		_, err := mail.NewSMTP(tc.url)
		if err == nil {
			t.Errorf("NewSMTP(%q) succeeded, want %q", tc.url, tc.want)
			continue
		}
		if !strings.Contains(err.Error(), tc.want) {
			t.Errorf("NewSMTP(%q) = %q, want it to contain %q", tc.url, err, tc.want)
		}
		if !strings.HasPrefix(err.Error(), "smtp_url ") {
			t.Errorf("NewSMTP(%q) = %q, want it to start with smtp_url", tc.url, err)
		}
	}
}

func TestNewSMTPHidesPassword(t *testing.T) {
	for _, u := range []string{"smtp://ada:hunter2@host?auth=bogus", "smtp://ada:hunter2@ho st"} {
		_, err := mail.NewSMTP(u)
		if err == nil || strings.Contains(err.Error(), "hunter2") {
			t.Errorf("NewSMTP(%q) = %v, want an error without the password", u, err)
		}
	}
}

func newSMTP(t *testing.T, url string) mail.Transport {
	t.Helper()
	tr, err := mail.NewSMTP(url)
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

func TestSendEndToEnd(t *testing.T) {
	srv := mailtest.Start(t)
	tr := newSMTP(t, srv.URL())
	ctx := context.Background()
	date := time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)
	emails := []mail.Email{
		{
			MessageID: mail.MessageID("conn-1/intro/1", "example.com"),
			From:      "Ada Lovelace <ada@example.com>",
			To:        "jane@example.org",
			Subject:   "Hello Jane",
			Body:      "Hi Jane,\n\nShall we talk on Tuesday?\n\nAda",
			Date:      date,
		},
		{
			MessageID: mail.MessageID("conn-2/intro/1", ""),
			From:      "max@example.com",
			To:        "Zoë Ångström <zoe@example.net>",
			Subject:   "Grüße, Zoë — a long subject line that goes on and on past the usual fold width of headers",
			Body:      "Hallo Zoë,\n\nnon-ASCII text and a line that is rather long, longer than seventy-six characters, so it gets soft breaks.\n",
		},
	}
	for _, m := range emails {
		if err := tr.Send(ctx, m); err != nil {
			t.Fatalf("Send(%s): %v", m.MessageID, err)
		}
	}
	got := srv.Messages()
	if len(got) != 2 {
		t.Fatalf("server has %d messages, want 2", len(got))
	}
	wantFrom := []string{"ada@example.com", "max@example.com"}
	wantTo := [][]string{{"jane@example.org"}, {"zoe@example.net"}}
	for i, r := range got {
		m := emails[i]
		if r.From != wantFrom[i] || !reflect.DeepEqual(r.To, wantTo[i]) {
			t.Errorf("message %d: envelope %q → %q, want %q → %q", i, r.From, r.To, wantFrom[i], wantTo[i])
		}
		if r.User != mailtest.DefaultUser {
			t.Errorf("message %d: authenticated as %q", i, r.User)
		}
		if r.MessageID != m.MessageID {
			t.Errorf("message %d: Message-ID %q, want exactly %q", i, r.MessageID, m.MessageID)
		}
		if n := strings.Count(string(r.Data), "Message-ID:"); n != 1 {
			t.Errorf("message %d has %d Message-ID headers", i, n)
		}
		if r.Subject != m.Subject {
			t.Errorf("message %d: subject %q, want %q", i, r.Subject, m.Subject)
		}
		if strings.TrimRight(r.Body, "\n") != strings.TrimRight(m.Body, "\n") {
			t.Errorf("message %d: body %q, want %q", i, r.Body, m.Body)
		}
		if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
			t.Errorf("message %d: Content-Type %q", i, ct)
		}
		from, err := r.Header.AddressList("From")
		if err != nil || len(from) != 1 || from[0].Address != wantFrom[i] {
			t.Errorf("message %d: From header %q (%v)", i, r.Header.Get("From"), err)
		}
		to, err := r.Header.AddressList("To")
		if err != nil || len(to) != 1 || to[0].Address != wantTo[i][0] {
			t.Errorf("message %d: To header %q (%v)", i, r.Header.Get("To"), err)
		}
		if d, err := r.Header.Date(); err != nil || (i == 0 && !d.Equal(date)) {
			t.Errorf("message %d: Date %q (%v)", i, r.Header.Get("Date"), err)
		}
	}
	if from, _ := got[0].Header.AddressList("From"); len(from) == 1 && from[0].Name != "Ada Lovelace" {
		t.Errorf("From name = %q", from[0].Name)
	}
}

func TestSendTemporaryFailures(t *testing.T) {
	srv := mailtest.Start(t)
	tr := newSMTP(t, srv.URL())
	m := mail.Email{MessageID: mail.MessageID("k", ""), From: "ada@example.com", To: "jane@example.org", Subject: "s", Body: "b"}
	srv.FailNext(2, 451)
	for i := range 2 {
		err := tr.Send(context.Background(), m)
		if err == nil || !strings.Contains(err.Error(), "451") {
			t.Fatalf("send %d: %v, want an error with 451", i+1, err)
		}
		if mail.Permanent(err) {
			t.Errorf("send %d: 451 reported as permanent: %v", i+1, err)
		}
		if strings.Contains(err.Error(), mailtest.DefaultPassword) {
			t.Errorf("error shows the password: %v", err)
		}
	}
	if err := tr.Send(context.Background(), m); err != nil {
		t.Fatalf("third send: %v", err)
	}
	got := srv.Messages()
	if len(got) != 1 || got[0].MessageID != m.MessageID {
		t.Fatalf("server has %+v, want the one message", got)
	}
	if n := srv.Attempts(); n != 3 {
		t.Errorf("Attempts = %d, want 3", n)
	}
}

func TestSendPermanentFailure(t *testing.T) {
	srv := mailtest.Start(t)
	tr := newSMTP(t, srv.URL())
	srv.FailAll(550)
	m := mail.Email{MessageID: mail.MessageID("k", ""), From: "ada@example.com", To: "jane@example.org", Subject: "s", Body: "b"}
	for range 2 {
		err := tr.Send(context.Background(), m)
		if err == nil || !strings.Contains(err.Error(), "550") || !mail.Permanent(err) {
			t.Fatalf("Send = %v, want a permanent 550", err)
		}
	}
	srv.FailAll(0)
	if err := tr.Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	if len(srv.Messages()) != 1 {
		t.Errorf("server has %d messages", len(srv.Messages()))
	}
}

func TestSendWrongPassword(t *testing.T) {
	srv := mailtest.Start(t)
	tr := newSMTP(t, srv.URLWithPassword("wrong"))
	err := tr.Send(context.Background(), mail.Email{MessageID: "<a@b>", From: "ada@example.com", To: "jane@example.org", Subject: "s", Body: "b"})
	if err == nil || !strings.Contains(err.Error(), "535") {
		t.Fatalf("Send = %v, want an authentication failure (535)", err)
	}
	if strings.Contains(err.Error(), "wrong") && !strings.Contains(err.Error(), "xxxxx") {
		t.Errorf("error shows the password: %v", err)
	}
	if mail.Permanent(err) {
		t.Errorf("authentication failure reported as permanent")
	}
	if n := srv.Attempts(); n != 0 || len(srv.Messages()) != 0 {
		t.Errorf("server saw %d attempts, %d messages", n, len(srv.Messages()))
	}
}

func TestSendWithoutAuth(t *testing.T) {
	srv := mailtest.Start(t, mailtest.NoAuth())
	if strings.Contains(srv.URL(), "@") {
		t.Fatalf("URL %q has credentials", srv.URL())
	}
	tr := newSMTP(t, srv.URL())
	m := mail.Email{MessageID: "<x@y>", From: "ada@example.com", To: "jane@example.org", Subject: "s", Body: "b"}
	if err := tr.Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	// A server that requires AUTH refuses a client that does not log in.
	auth := mailtest.Start(t)
	tr = newSMTP(t, "smtp://"+auth.Addr())
	if err := tr.Send(context.Background(), m); err == nil || !strings.Contains(err.Error(), "502") {
		t.Errorf("Send without credentials = %v, want 502", err)
	}
}

func TestSendAnyPassword(t *testing.T) {
	srv := mailtest.Start(t, mailtest.AnyPassword())
	tr := newSMTP(t, "smtp://someone:whatever@"+srv.Addr())
	if err := tr.Send(context.Background(), mail.Email{MessageID: "<x@y>", From: "a@example.com", To: "b@example.com", Body: "b"}); err != nil {
		t.Fatal(err)
	}
	if got := srv.Messages(); len(got) != 1 || got[0].User != "someone" {
		t.Errorf("messages = %+v", got)
	}
}

func TestSendBadEmail(t *testing.T) {
	srv := mailtest.Start(t)
	tr := newSMTP(t, srv.URL())
	good := mail.Email{MessageID: "<x@y>", From: "ada@example.com", To: "jane@example.org", Subject: "s", Body: "b"}
	for _, tc := range []struct {
		edit func(*mail.Email)
		want string
	}{
		{func(m *mail.Email) { m.From = "" }, "from address"},
		{func(m *mail.Email) { m.To = "not an address" }, `to address "not an address"`},
		{func(m *mail.Email) { m.MessageID = "" }, "message id"},
		{func(m *mail.Email) { m.MessageID = "abc@def" }, "message id"},
	} {
		m := good
		tc.edit(&m)
		if err := tr.Send(context.Background(), m); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Send(%+v) = %v, want %q", m, err, tc.want)
		}
	}
	if srv.Attempts() != 0 {
		t.Errorf("bad emails reached the server")
	}
}

func TestSendContext(t *testing.T) {
	srv := mailtest.Start(t)
	tr := newSMTP(t, srv.URL())
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := tr.Send(ctx, mail.Email{MessageID: "<x@y>", From: "a@example.com", To: "b@example.com"})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Send with a canceled context = %v", err)
	}
}

// TestSendCanceledMidway checks that canceling the context ends a send that waits on a
// server which never answers.
func TestSendCanceledMidway(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = l.Close() })
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := l.Accept()
		if err == nil {
			accepted <- c // never greets
		}
	}()
	tr := newSMTP(t, "smtp://"+l.Addr().String())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- tr.Send(ctx, mail.Email{MessageID: "<x@y>", From: "a@example.com", To: "b@example.com"})
	}()
	c := <-accepted
	t.Cleanup(func() { _ = c.Close() })
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("Send = %v, want context.Canceled", err)
	}
}

func TestSendConnectionRefused(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	tr := newSMTP(t, "smtp://"+addr)
	err = tr.Send(context.Background(), mail.Email{MessageID: "<x@y>", From: "a@example.com", To: "b@example.com"})
	if err == nil || !strings.Contains(err.Error(), addr) {
		t.Errorf("Send = %v, want a dial error naming %s", err, addr)
	}
	if mail.Permanent(err) {
		t.Error("a refused connection is reported as permanent")
	}
}

func TestMailtestWait(t *testing.T) {
	srv := mailtest.Start(t)
	tr := newSMTP(t, srv.URL())
	errc := make(chan error, 1)
	go func() {
		errc <- tr.Send(context.Background(), mail.Email{MessageID: "<w@y>", From: "a@example.com", To: "b@example.com", Body: "b"})
	}()
	got, err := srv.Wait(context.Background(), 1)
	if err != nil || len(got) != 1 || got[0].MessageID != "<w@y>" {
		t.Fatalf("Wait = %+v, %v", got, err)
	}
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if got, err := srv.Wait(ctx, 2); !errors.Is(err, context.Canceled) || len(got) != 1 {
		t.Errorf("Wait(canceled) = %d messages, %v", len(got), err)
	}
}

// TestMailtestSettle: Settle waits for a transfer under way, and returns once it has
// ended with the message recorded.
func TestMailtestSettle(t *testing.T) {
	srv := mailtest.Start(t)
	entered, release := make(chan struct{}), make(chan struct{})
	srv.OnData(func(mailtest.Received) {
		close(entered)
		<-release
	})
	tr := newSMTP(t, srv.URL())
	errc := make(chan error, 1)
	go func() {
		errc <- tr.Send(context.Background(), mail.Email{MessageID: "<s@y>", From: "a@example.com", To: "b@example.com", Body: "b"})
	}()
	<-entered
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := srv.Settle(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Settle during a transfer = %v, want it to wait (context.Canceled)", err)
	}
	close(release)
	if err := srv.Settle(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := srv.Messages(); len(got) != 1 || got[0].MessageID != "<s@y>" {
		t.Fatalf("after Settle: %+v", got)
	}
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
}
