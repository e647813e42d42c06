package engine_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pacer-sales/pacer/engine"
	"github.com/pacer-sales/pacer/engine/mail"
	"github.com/pacer-sales/pacer/engine/mail/mailtest"
	"github.com/pacer-sales/pacer/internal/imaptest"
	"github.com/pacer-sales/pacer/store"
	"github.com/pacer-sales/pacer/store/postgres"
	"github.com/pacer-sales/pacer/store/postgres/pgtest"
)

// replySeq sends one email and waits two days for its reply.
const replySeq = `
name: Replies
options: {send_window: any}
steps:
  - type: auto_email
    id: hi
    template: intro
  - type: condition
    id: replied
    if: email_replied
    within: 2d
    yes: [{type: task, id: "yes"}]
    no: [{type: task, id: "no"}]
`

// waitUntil waits for changes of e until ok holds; the test fails after a long while.
func waitUntil(t *testing.T, e *engine.Engine, what string, ok func() bool) {
	t.Helper()
	changes, cancel := e.Subscribe()
	defer cancel()
	limit := time.NewTimer(30 * time.Second)
	defer limit.Stop()
	for !ok() {
		select {
		case <-changes:
		case <-limit.C:
			t.Fatalf("gave up waiting: %s", what)
		}
	}
}

// run runs e in the background until the test ends or stop is called.
func run(t *testing.T, e *engine.Engine) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.Run(ctx, nil) }()
	stopped := false
	stop = func() {
		if !stopped {
			stopped = true
			cancel()
			if err := <-done; err != nil {
				t.Errorf("run: %v", err)
			}
		}
	}
	t.Cleanup(stop)
	return stop
}

// reply is a reply to an outbox email.
func reply(m engine.OutboxRow) []byte {
	return fmt.Appendf(nil, "From: %s\r\nTo: sam@example.com\r\nSubject: Re: Hi\r\nIn-Reply-To: %s\r\n\r\nYes.\r\n", m.To, m.MessageID)
}

// replied reports whether ref's connection took the Yes branch of the reply condition.
func (w *world) replied(ref string) bool { return w.conn(ref).CurrentStep == "yes" }

// A user's own mailbox: an admin sees its password masked, others its scheme and host only;
// a URL that is not IMAP is refused naming the flag.
func TestUserMailboxIsSecret(t *testing.T) {
	w := newWorld(t)
	url := "imaps://sam:pa55word@imap.example.com/INBOX"
	u, err := w.e.SetUser(w.ctx, "ada", "sam", engine.UserChange{IMAPURL: &url})
	must(t, err)
	if u.IMAPURL != "imaps://sam:****@imap.example.com/INBOX" {
		t.Errorf("SetUser returned %q", u.IMAPURL)
	}
	for by, want := range map[string]string{"ada": "imaps://sam:****@imap.example.com/INBOX", "sam": "imaps://imap.example.com", "max": "imaps://imap.example.com"} {
		users, err := w.e.Users(w.ctx, by)
		must(t, err)
		i := slices.IndexFunc(users, func(u store.User) bool { return u.Username == "sam" })
		if users[i].IMAPURL != want {
			t.Errorf("%s sees %q, want %q", by, users[i].IMAPURL, want)
		}
	}
	if me, err := w.e.Whoami(w.ctx, "sam"); err != nil || strings.Contains(me.IMAPURL, "pa55word") {
		t.Errorf("whoami: %q, %v", me.IMAPURL, err)
	}
	bad := "https://imap.example.com"
	_, err = w.e.SetUser(w.ctx, "ada", "sam", engine.UserChange{IMAPURL: &bad})
	wantMsg(t, err, engine.ErrInvalid, "--imap")
	_, err = w.e.SetUser(w.ctx, "sam", "sam", engine.UserChange{IMAPURL: &url})
	wantErr(t, err, engine.ErrForbidden)
}

// The running engine watches the org mailbox and each user's own, each from its own
// position: a reply in either is recorded, and a mailbox given up is no longer watched.
func TestWatchesOrgAndUserMailboxes(t *testing.T) {
	w := newWorld(t)
	org, own := imaptest.Start(t), imaptest.Start(t)
	w.sequence(replySeq)
	w.connect("Replies", "lead/L-1", "lead/L-3")
	box := w.outbox()
	must(t, w.e.SetSetting(w.ctx, "ada", "imap_url", org.URL()))
	url := own.URL()
	_, err := w.e.SetUser(w.ctx, "ada", "sue", engine.UserChange{IMAPURL: &url})
	must(t, err)
	run(t, w.e)
	want := []string{mail.MailboxName(org.URL()), mail.MailboxName(own.URL())}
	slices.Sort(want)
	waitUntil(t, w.e, "both mailboxes watched", func() bool { return slices.Equal(w.e.Watching(), want) })

	org.Append(t, reply(box["lead/L-1"]))
	own.Append(t, reply(box["lead/L-3"]))
	waitUntil(t, w.e, "both replies recorded", func() bool { return w.replied("lead/L-1") && w.replied("lead/L-3") })

	empty := ""
	_, err = w.e.SetUser(w.ctx, "ada", "sue", engine.UserChange{IMAPURL: &empty})
	must(t, err)
	waitUntil(t, w.e, "only the org mailbox watched", func() bool { return slices.Equal(w.e.Watching(), []string{mail.MailboxName(org.URL())}) })
}

// On a database several nodes share, only the leader watches the mailboxes; when it stops,
// the next leader takes over from the kept position, so a reply is recorded once.
func TestOnlyTheLeaderWatches(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for a leader's term")
	}
	dsn := pgtest.DSN(t)
	open := func() store.Store {
		db, err := postgres.Open(t.Context(), dsn, postgres.Options{})
		must(t, err)
		t.Cleanup(func() { _ = db.Close() })
		return db
	}
	a, b := engine.New(open(), nil), engine.New(open(), nil)
	a.SetNode("a")
	b.SetNode("b")
	ctx := t.Context()
	must(t, a.AddUser(ctx, "", store.User{Username: "ada", Roles: []store.Role{store.RoleAdmin}, Email: "ada@example.com"}))
	must(t, a.AddTemplate(ctx, "ada", store.Template{Name: "intro", Subject: "Hi", Body: "Hello {{name}}"}))
	_, err := a.ImportRecords(ctx, "ada", "r.csv", strings.NewReader("id,name,owner,email\nL-1,Ana,ada,ana@example.com\nL-2,Bo,ada,bo@example.com\n"), "lead")
	must(t, err)
	_, err = a.ImportSequence(ctx, "ada", mustParse(t, replySeq), engine.SaveOptions{Activate: true})
	must(t, err)
	_, err = a.Connect(ctx, "ada", "Replies", []string{"lead/L-1", "lead/L-2"})
	must(t, err)
	rows, err := a.Outbox(ctx, "ada")
	must(t, err)
	srv := imaptest.Start(t)
	must(t, a.SetSetting(ctx, "ada", "imap_url", srv.URL()))

	stopA := run(t, a)
	waitUntil(t, a, "a leads and watches", func() bool { return len(a.Watching()) == 1 })
	run(t, b)
	replies := func(ref string) int {
		v, err := a.RecordDetail(ctx, "ada", ref)
		must(t, err)
		n := 0
		for _, h := range v.Connections[0].History {
			if h.Type == store.EventEmail && h.Event == "email_replied" {
				n++
			}
		}
		return n
	}
	srv.Append(t, reply(rows[0]))
	waitUntil(t, a, "the first reply recorded", func() bool { return replies(rows[0].Record) == 1 })
	if b.Leads() || len(b.Watching()) != 0 {
		t.Fatalf("b watches %q (leads %v) while a leads", b.Watching(), b.Leads())
	}
	stopA()
	waitUntil(t, b, "b takes the lead and watches", func() bool { return len(b.Watching()) == 1 })
	srv.Append(t, reply(rows[1]))
	waitUntil(t, b, "the second reply recorded", func() bool { return replies(rows[1].Record) == 1 })
	if n := replies(rows[0].Record); n != 1 {
		t.Errorf("the first reply was recorded %d times", n)
	}
}

// An automatic reply that names the day its sender is back pauses the connection until
// then, the history saying why, and the connection runs on that day; one without a date is
// recorded as auto_reply and pauses nothing. Neither is a reply.
func TestAutoReplyWithReturnDatePauses(t *testing.T) {
	w := newWorld(t)
	srv := imaptest.Start(t)
	w.sequence(replySeq)
	w.connect("Replies", "lead/L-1", "lead/L-3")
	box := w.outbox()
	ooo := func(m engine.OutboxRow, body string) []byte {
		return fmt.Appendf(nil, "From: %s\r\nTo: sam@example.com\r\nSubject: Out of Office: Hi\r\nAuto-Submitted: auto-replied\r\nIn-Reply-To: %s\r\n\r\n%s\r\n", m.To, m.MessageID, body)
	}
	srv.Append(t, ooo(box["lead/L-1"], "I am out of the office until 4 March and back on the 4th."))
	srv.Append(t, ooo(box["lead/L-3"], "I am out of the office with little access to email."))
	conn, validity, err := mail.DialIMAP(w.ctx, srv.URL())
	must(t, err)
	defer conn.Close()
	var reps []engine.WatchReport
	_, err = w.e.ReadMailbox(w.ctx, conn, mail.MailboxName(srv.URL()), validity, func(r engine.WatchReport) { reps = append(reps, r) })
	must(t, err)
	if len(reps) != 2 || reps[0].Recorded != "auto_reply" || !strings.Contains(reps[0].Note, "paused until 2026-03-04") ||
		reps[1].Recorded != "auto_reply" || strings.Contains(reps[1].Note, "paused") {
		t.Fatalf("reports %+v", reps)
	}
	back := time.Date(2026, 3, 4, 0, 0, 0, 0, time.UTC)
	c := w.conn("lead/L-1")
	if c.Pause == nil || !c.Pause.Until.Equal(back) || !strings.Contains(c.Pause.Reason, `automatic reply: back on 2026-03-04 ("until 4 March")`) {
		t.Fatalf("pause %+v", c.Pause)
	}
	if got := strings.Join(kinds(c), " "); !strings.Contains(got, "paused:") {
		t.Errorf("history %s", got)
	}
	if c3 := w.conn("lead/L-3"); c3.Pause != nil || c3.CurrentStep != "replied" {
		t.Errorf("the reply without a date: pause %+v at %s", c3.Pause, c3.CurrentStep)
	}
	// On the day back it runs again, still waiting for a real reply.
	w.after(back.Sub(w.clock.Now()))
	if c := w.conn("lead/L-1"); c.Pause != nil || c.CurrentStep != "replied" {
		t.Errorf("on the day back: pause %+v at %s", c.Pause, c.CurrentStep)
	}
}

// Without tracking_url, an automated email's List-Unsubscribe is a mailto of
// unsubscribe+ID@bounce_domain; a message to that address in the watched mailbox (named by
// To or by the envelope's X-Original-To) unsubscribes the email's recipient as the one-click
// POST does: the address is suppressed and its connections end. One to an unknown id does
// nothing.
func TestUnsubscribeByMailto(t *testing.T) {
	w, smtp := mailWorld(t)
	imap := imaptest.Start(t)
	must(t, w.e.SetSetting(w.ctx, "ada", "bounce_domain", "bounces.example.com"))
	w.connect("Offer", "lead/L-1", "lead/L-3")
	w.tick()
	sent := smtp.Messages()
	if len(sent) != 2 {
		t.Fatalf("the server got %d messages", len(sent))
	}
	var toAna mailtest.Received
	for _, r := range sent {
		id := mail.TrackingID(r.MessageID)
		if got, want := r.Header.Get("List-Unsubscribe"), "<mailto:unsubscribe+"+id+"@bounces.example.com>"; got != want {
			t.Errorf("List-Unsubscribe %q, want %q", got, want)
		}
		if got := r.Header.Get("List-Unsubscribe-Post"); got != "" {
			t.Errorf("List-Unsubscribe-Post %q without an https URL", got)
		}
		if r.From != "bounce+"+id+"@bounces.example.com" {
			t.Errorf("envelope sender %q", r.From)
		}
		if !strings.Contains(r.Text, "To stop receiving these emails, write to unsubscribe+"+id+"@bounces.example.com") ||
			!strings.Contains(r.HTML, `href="mailto:unsubscribe+`+id+`@bounces.example.com"`) {
			t.Errorf("no unsubscribe line:\n%s\n%s", r.Text, r.HTML)
		}
		if slices.Equal(r.To, []string{"ana@example.com"}) {
			toAna = r
		}
	}
	id := mail.TrackingID(toAna.MessageID)
	imap.Append(t, []byte("From: someone@example.net\r\nTo: unsubscribe+"+strings.Repeat("0", 32)+"@bounces.example.com\r\nSubject: unsubscribe\r\n\r\n\r\n"))
	imap.Append(t, []byte("From: Ana <ana@example.com>\r\nTo: undisclosed-recipients:;\r\nX-Original-To: unsubscribe+"+id+"@bounces.example.com\r\nSubject: unsubscribe\r\n\r\n\r\n"))
	conn, validity, err := mail.DialIMAP(w.ctx, imap.URL())
	must(t, err)
	defer conn.Close()
	var reps []engine.WatchReport
	_, err = w.e.ReadMailbox(w.ctx, conn, mail.MailboxName(imap.URL()), validity, func(r engine.WatchReport) { reps = append(reps, r) })
	must(t, err)
	if len(reps) != 2 || reps[0].Recorded != "" || reps[1].Recorded != "unsubscribed" || reps[1].MessageID != toAna.MessageID {
		t.Fatalf("reports %+v", reps)
	}
	if c := w.conn("lead/L-1"); c.State != "disconnected" || c.Reason != "unsubscribed" {
		t.Fatalf("lead/L-1 after the unsubscribe email: %s (%s)", c.State, c.Reason)
	}
	if c := w.conn("lead/L-3"); c.State != "active" {
		t.Errorf("lead/L-3 is %s (%s)", c.State, c.Reason)
	}
	list, err := w.e.Suppressions(w.ctx, "ada", store.SuppressUnsubscribed)
	must(t, err)
	if len(list) != 1 || list[0].Address != "ana@example.com" || list[0].Reason != "unsubscribe email" || list[0].MessageID != toAna.MessageID {
		t.Fatalf("suppressions %+v", list)
	}
	// No automated email goes to the address again.
	w.connect("Offer", "lead/L-1")
	w.tick()
	if n := len(smtp.Messages()); n != 2 {
		t.Errorf("the server has %d messages after the unsubscribe, want 2", n)
	}
}

// A mailbox whose UIDVALIDITY changed (the server renumbered it) is read again from the
// start: a reply seen before is not recorded twice, and a new one is recorded.
func TestWatchUIDValidityChange(t *testing.T) {
	w := newWorld(t)
	srv := imaptest.Start(t)
	w.sequence(replySeq)
	w.connect("Replies", "lead/L-1", "lead/L-3")
	box := w.outbox()
	name := mail.MailboxName(srv.URL())
	read := func() (uint32, []engine.WatchReport) {
		t.Helper()
		conn, validity, err := mail.DialIMAP(w.ctx, srv.URL())
		must(t, err)
		defer conn.Close()
		var reps []engine.WatchReport
		_, err = w.e.ReadMailbox(w.ctx, conn, name, validity, func(r engine.WatchReport) { reps = append(reps, r) })
		must(t, err)
		return validity, reps
	}
	replies := func(ref string) int {
		n := 0
		for _, h := range w.conn(ref).History {
			if h.Type == store.EventEmail && h.Event == "email_replied" {
				n++
			}
		}
		return n
	}

	srv.Append(t, reply(box["lead/L-1"]))
	first, reps := read()
	if len(reps) != 1 || reps[0].Recorded != "email_replied" || replies("lead/L-1") != 1 {
		t.Fatalf("first read: %+v, %d replies", reps, replies("lead/L-1"))
	}
	if _, reps := read(); len(reps) != 0 {
		t.Fatalf("read again with the same UIDVALIDITY: %+v", reps)
	}

	// Renumbered: the same reply comes back under new UIDs, and a new one after it.
	srv.Recreate(t)
	srv.Append(t, reply(box["lead/L-1"]))
	srv.Append(t, reply(box["lead/L-3"]))
	second, reps := read()
	if second == first {
		t.Fatalf("the recreated mailbox kept UIDVALIDITY %d", first)
	}
	if len(reps) != 2 || reps[0].UID != 1 || reps[1].UID != 2 {
		t.Fatalf("after the change the mailbox was not read from the start: %+v", reps)
	}
	if n := replies("lead/L-1"); n != 1 {
		t.Errorf("lead/L-1's reply recorded %d times", n)
	}
	if n := replies("lead/L-3"); n != 1 || !w.replied("lead/L-3") {
		t.Errorf("lead/L-3's new reply recorded %d times (at %s)", n, w.conn("lead/L-3").CurrentStep)
	}
	if _, reps := read(); len(reps) != 0 {
		t.Errorf("the new position was not kept: %+v", reps)
	}
}
