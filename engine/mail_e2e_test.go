package engine_test

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-msgauth/dkim"

	"github.com/pacer-sales/pacer/engine"
	"github.com/pacer-sales/pacer/engine/mail"
	"github.com/pacer-sales/pacer/engine/mail/mailtest"
	"github.com/pacer-sales/pacer/store"
)

// mailSeq sends one automated email from the record's account manager, then gives them a
// follow-up task.
const mailSeq = `
name: Offer
assign: {to: record_field, field: account_manager}
steps:
  - type: auto_email
    id: offer
    template: offer
  - type: task
    id: follow-up
`

// addOffer adds the offer template and activates mailSeq.
func (w *world) addOffer() string {
	w.t.Helper()
	must(w.t, w.e.AddTemplate(w.ctx, "ada", store.Template{
		Name:    "offer",
		Subject: "{{first_name}}, an offer",
		Body:    "Hi {{first_name}},\nyour score is {{field:score}}.\n{{owner.name}}",
	}))
	return w.sequence(mailSeq)
}

// mailWorld is a world whose org sends through a real SMTP server on 127.0.0.1, with the
// offer template and sequence in place.
func mailWorld(t *testing.T) (*world, *mailtest.Server) {
	t.Helper()
	w := newWorld(t)
	srv := mailtest.Start(t)
	w.addOffer()
	must(t, w.e.SetSetting(w.ctx, "ada", "smtp_url", srv.URL()))
	return w, srv
}

// outbox returns the outbox rows by record.
func (w *world) outbox() map[string]engine.OutboxRow {
	w.t.Helper()
	rows, err := w.e.Outbox(w.ctx, "ada")
	must(w.t, err)
	out := map[string]engine.OutboxRow{}
	for _, r := range rows {
		if _, dup := out[r.Record]; dup {
			w.t.Fatalf("two messages for %s: %+v", r.Record, rows)
		}
		out[r.Record] = r
	}
	return out
}

// tasksOf returns a user's open tasks for one record.
func (w *world) tasksOf(user, ref string) []engine.TaskRow {
	w.t.Helper()
	var out []engine.TaskRow
	for _, task := range w.tasks(user) {
		if task.Record == ref {
			out = append(out, task)
		}
	}
	return out
}

// tick runs everything due now.
func (w *world) tick() engine.TickReport { return w.after(0) }

// nextWake is when the engine next has something to do; zero when nothing is scheduled.
func (w *world) nextWake() time.Time {
	w.t.Helper()
	at, ok, err := w.e.NextWake(w.ctx)
	must(w.t, err)
	if !ok {
		return time.Time{}
	}
	return at
}

// messageKey is the idempotency key of a connection's message at a step visit.
func messageKey(c engine.ConnView, step string, visit int) string {
	return fmt.Sprintf("%s/%s/%d", c.ID, step, visit)
}

// Rule 4 end to end: automated emails go out through the SMTP server at the next tick,
// rendered for their record, from the assignee, with the outbox's Message-ID; the connection
// moves on only once the server has accepted its email.
func TestMailSendsThroughSMTP(t *testing.T) {
	w := newWorld(t)
	srv := mailtest.Start(t)
	name := w.addOffer()

	// No transport yet: the message is kept in the local outbox, counts as sent, and is not
	// sent later when a transport is configured.
	w.connect(name, "lead/L-2")
	wantState(t, w.conn("lead/L-2"), "active", "follow-up")
	if got := w.outbox()["lead/L-2"].State; got != "kept" {
		t.Fatalf("without a transport the message is %q, want kept", got)
	}

	must(t, w.e.SetSetting(w.ctx, "ada", "smtp_url", srv.URL()))
	w.connect(name, "lead/L-1", "lead/L-3")
	// Queued, not sent: the connections wait at the email step without a task.
	for _, ref := range []string{"lead/L-1", "lead/L-3"} {
		c := w.conn(ref)
		wantState(t, c, "active", "offer")
		wantHistory(t, c, "connected:manual", "step_entered")
		if m := w.outbox()[ref]; m.State != "queued" || m.Tries != 0 {
			t.Fatalf("%s before the tick: %+v", ref, m)
		}
	}
	if n := len(w.tasksOf("tom", "lead/L-1")) + len(w.tasksOf("sue", "lead/L-3")); n != 0 {
		t.Fatalf("%d tasks before the emails went out", n)
	}
	if n := len(srv.Messages()); n != 0 {
		t.Fatalf("the server got %d messages before the tick", n)
	}

	w.clock.Advance(2 * time.Minute)
	sentAt := w.clock.Now()
	rep := w.tick()
	if rep.Sent != 2 || rep.Retried+rep.Failed != 0 || len(rep.Errors) != 0 {
		t.Fatalf("tick = %+v", rep)
	}
	got := srv.Messages()
	if len(got) != 2 {
		t.Fatalf("the server got %d messages, want 2", len(got))
	}
	box := w.outbox()
	want := map[string]struct{ to, from, subject, body, assignee string }{
		// L-1's account manager is tom; the owner, whose name the template uses, is sam.
		"lead/L-1": {"ana@example.com", "tom@example.com", "Ana, an offer", "Hi Ana,\nyour score is 10.\nSam Okafor", "tom"},
		// L-3's account manager is unknown: the owner, sue, works it.
		"lead/L-3": {"cy@example.com", "sue@example.com", "Cy, an offer", "Hi Cy,\nyour score is 90.\nSue Lin", "sue"},
	}
	ids := map[string]bool{}
	for ref, wm := range want {
		i := slices.IndexFunc(got, func(r mailtest.Received) bool { return slices.Equal(r.To, []string{wm.to}) })
		if i < 0 {
			t.Fatalf("no message to %s among %d", wm.to, len(got))
		}
		r := got[i]
		if r.From != wm.from {
			t.Errorf("%s: envelope from %q, want %q", ref, r.From, wm.from)
		}
		if from, err := r.Header.AddressList("From"); err != nil || len(from) != 1 || from[0].Address != wm.from {
			t.Errorf("%s: From header %q (%v), want %s", ref, r.Header.Get("From"), err, wm.from)
		}
		if to, err := r.Header.AddressList("To"); err != nil || len(to) != 1 || to[0].Address != wm.to {
			t.Errorf("%s: To header %q (%v), want %s", ref, r.Header.Get("To"), err, wm.to)
		}
		if r.Subject != wm.subject {
			t.Errorf("%s: subject %q, want %q", ref, r.Subject, wm.subject)
		}
		// Multipart: the text part as rendered, the HTML part made from it, values escaped.
		if body := strings.TrimRight(r.Text, "\n"); body != wm.body {
			t.Errorf("%s: text part %q, want %q", ref, body, wm.body)
		}
		if want := strings.ReplaceAll(wm.body, "\n", "<br>\n"); !strings.Contains(r.HTML, "<p>"+want+"</p>") {
			t.Errorf("%s: HTML part %q, want the paragraph %q", ref, r.HTML, want)
		}
		// The Date header is the engine's time of sending, not the machine's.
		if d, err := r.Header.Date(); err != nil || !d.Equal(sentAt) {
			t.Errorf("%s: Date %q (%v), want %v", ref, r.Header.Get("Date"), err, sentAt)
		}
		// The Message-ID is the outbox's, derived from connection, step and visit.
		c := w.conn(ref)
		m := box[ref]
		if r.MessageID != m.MessageID || m.MessageID != mail.MessageID(messageKey(c, "offer", 1), "") {
			t.Errorf("%s: Message-ID %q, outbox %q, want %q", ref, r.MessageID, m.MessageID, mail.MessageID(messageKey(c, "offer", 1), ""))
		}
		ids[r.MessageID] = true
		if m.State != "sent" || m.Tries != 1 || !m.SentAt.Equal(sentAt) || m.LastError != "" || m.From != wm.from {
			t.Errorf("%s: outbox row %+v", ref, m)
		}
		// Sent, the connection moves on at the time of sending.
		wantState(t, c, "active", "follow-up")
		wantHistory(t, c, "connected:manual", "step_entered", "email_sent", "step_entered", "task_created")
		if h := c.History[2]; !h.At.Equal(sentAt) || h.StepID != "offer" {
			t.Errorf("%s: email_sent %+v", ref, h)
		}
		if tasks := w.tasksOf(wm.assignee, ref); len(tasks) != 1 || tasks[0].StepID != "follow-up" || !tasks[0].DueAt.Equal(sentAt) {
			t.Errorf("%s: tasks %+v", ref, tasks)
		}
	}
	if len(ids) != 2 {
		t.Errorf("the two emails share a Message-ID: %v", ids)
	}
	// Nothing is sent twice.
	if rep := w.after(time.Hour); rep.Sent != 0 || len(srv.Messages()) != 2 || srv.Attempts() != 2 {
		t.Fatalf("a later tick: %+v, %d messages, %d attempts", rep, len(srv.Messages()), srv.Attempts())
	}
}

// Rule 4, SPEC §10: a temporary failure is retried after mail.Backoff with the same
// Message-ID; the connection waits at the email step until a try succeeds.
func TestMailRetriesTemporaryFailure(t *testing.T) {
	w, srv := mailWorld(t)
	srv.FailNext(2, 451)
	w.connect("Offer", "lead/L-1")
	id := w.outbox()["lead/L-1"].MessageID

	start := w.clock.Now()
	rep := w.tick()
	if rep.Retried != 1 || rep.Sent+rep.Failed != 0 {
		t.Fatalf("first try: %+v", rep)
	}
	m := w.outbox()["lead/L-1"]
	// The refusal names the Message-ID the attempt carried.
	if m.State != "queued" || m.Tries != 1 || !strings.Contains(m.LastError, "451") || !strings.Contains(m.LastError, id) || m.MessageID != id {
		t.Fatalf("after the first try: %+v", m)
	}
	if next := w.nextWake(); !next.Equal(start.Add(mail.Backoff(1))) || mail.Backoff(1) != time.Minute {
		t.Fatalf("next try at %v, want %v", next, start.Add(time.Minute))
	}
	wantState(t, w.conn("lead/L-1"), "active", "offer")
	if len(w.tasks("tom")) != 0 {
		t.Fatal("a task while the email is being retried")
	}

	// Not before its time.
	if rep := w.after(time.Minute - time.Second); rep.Retried+rep.Sent != 0 || srv.Attempts() != 1 {
		t.Fatalf("tried early: %+v, %d attempts", rep, srv.Attempts())
	}
	w.clock.Advance(time.Second)
	second := w.clock.Now()
	if rep := w.tick(); rep.Retried != 1 || srv.Attempts() != 2 {
		t.Fatalf("second try: %+v, %d attempts", rep, srv.Attempts())
	}
	if m := w.outbox()["lead/L-1"]; m.State != "queued" || m.Tries != 2 || m.MessageID != id || !strings.Contains(m.LastError, id) {
		t.Fatalf("after the second try: %+v", m)
	}
	if next := w.nextWake(); !next.Equal(second.Add(5 * time.Minute)) {
		t.Fatalf("third try at %v, want %v", next, second.Add(5*time.Minute))
	}

	if rep := w.after(5*time.Minute - time.Second); rep.Retried+rep.Sent != 0 {
		t.Fatalf("tried early: %+v", rep)
	}
	w.clock.Advance(time.Second)
	third := w.clock.Now()
	if rep := w.tick(); rep.Sent != 1 || rep.Retried+rep.Failed != 0 {
		t.Fatalf("third try: %+v", rep)
	}
	got := srv.Messages()
	if len(got) != 1 || srv.Attempts() != 3 {
		t.Fatalf("%d messages after %d attempts, want 1 after 3", len(got), srv.Attempts())
	}
	if got[0].MessageID != id || !slices.Equal(got[0].To, []string{"ana@example.com"}) {
		t.Fatalf("delivered %q to %v, want Message-ID %q", got[0].MessageID, got[0].To, id)
	}
	m = w.outbox()["lead/L-1"]
	if m.State != "sent" || m.Tries != 3 || !m.SentAt.Equal(third) || m.LastError != "" || m.MessageID != id {
		t.Fatalf("outbox row %+v", m)
	}
	c := w.conn("lead/L-1")
	wantState(t, c, "active", "follow-up")
	wantHistory(t, c, "connected:manual", "step_entered", "email_sent", "step_entered", "task_created")
	if !c.History[2].At.Equal(third) {
		t.Errorf("email_sent at %v, want %v", c.History[2].At, third)
	}
	if task := w.only("tom"); !task.DueAt.Equal(third) || task.StepID != "follow-up" {
		t.Errorf("task %+v", task)
	}
	if !w.nextWake().IsZero() {
		t.Errorf("something is still scheduled at %v", w.nextWake())
	}
}

// Rule 4: an email that fails all five tries (about an hour) becomes a manual email task
// for the assignee carrying the error; doing it moves the connection on.
func TestMailFailedAfterRetriesBecomesTask(t *testing.T) {
	w, srv := mailWorld(t)
	srv.FailAll(451)
	w.connect("Offer", "lead/L-1")
	id := w.outbox()["lead/L-1"].MessageID
	start := w.clock.Now()

	// Tries at 0, +1m, +6m, +21m and +61m.
	waits := []time.Duration{0, time.Minute, 5 * time.Minute, 15 * time.Minute, 40 * time.Minute}
	for i, d := range waits {
		try := i + 1
		if d > 0 {
			if rep := w.after(d - time.Second); rep.Retried+rep.Failed != 0 {
				t.Fatalf("try %d came early: %+v", try, rep)
			}
			w.clock.Advance(time.Second)
		}
		rep := w.tick()
		if srv.Attempts() != try {
			t.Fatalf("try %d: %d attempts", try, srv.Attempts())
		}
		m := w.outbox()["lead/L-1"]
		// The refusal names the Message-ID the attempt carried: the same every time.
		if m.Tries != try || m.MessageID != id || !strings.Contains(m.LastError, "451") || !strings.Contains(m.LastError, id) {
			t.Fatalf("try %d: %+v", try, m)
		}
		if try < mail.MaxTries {
			if rep.Retried != 1 || rep.Failed != 0 || m.State != "queued" {
				t.Fatalf("try %d: %+v, message %s", try, rep, m.State)
			}
			if next := w.nextWake(); !next.Equal(w.clock.Now().Add(mail.Backoff(try))) {
				t.Fatalf("after try %d next at %v, want %v", try, next, w.clock.Now().Add(mail.Backoff(try)))
			}
			wantState(t, w.conn("lead/L-1"), "active", "offer")
			if len(w.tasks("tom")) != 0 {
				t.Fatalf("a task after try %d", try)
			}
			continue
		}
		if rep.Failed != 1 || rep.Retried != 0 || m.State != "failed" {
			t.Fatalf("last try: %+v, message %s", rep, m.State)
		}
	}
	if took := w.clock.Now().Sub(start); took != 61*time.Minute {
		t.Errorf("gave up after %v, want 61m", took)
	}
	if n := len(srv.Messages()); n != 0 {
		t.Fatalf("the server recorded %d messages", n)
	}

	task := w.only("tom")
	if task.Type != "email" || task.StepID != "offer" || task.Record != "lead/L-1" || !task.DueAt.Equal(w.clock.Now()) {
		t.Fatalf("task %+v", task)
	}
	if !strings.Contains(task.Error, "not sent after 5 tries") || !strings.Contains(task.Error, "451") {
		t.Fatalf("task error %q", task.Error)
	}
	c := w.conn("lead/L-1")
	wantState(t, c, "active", "offer")
	if got := kinds(c); len(got) != 4 || got[2] != "message_failed:"+c.History[2].Reason || got[3] != "task_created" {
		t.Fatalf("history %q", got)
	}
	if h := c.History[2]; h.Reason != task.Error || h.StepID != "offer" {
		t.Errorf("message_failed %+v, want the task's error", h)
	}
	// Given up means given up: no more tries.
	if rep := w.after(24 * time.Hour); rep.Retried+rep.Sent+rep.Failed != 0 || srv.Attempts() != mail.MaxTries {
		t.Fatalf("after giving up: %+v, %d attempts", rep, srv.Attempts())
	}

	w.act("tom", task.ID, engine.TaskAction{Kind: engine.ActDone})
	c = w.conn("lead/L-1")
	wantState(t, c, "active", "follow-up")
	if next := w.only("tom"); next.StepID != "follow-up" || next.Type != "task" {
		t.Fatalf("next task %+v", next)
	}
}

// Rule 8: an email waiting for its next try is not sent once its record is disconnected;
// the outbox says why.
func TestMailNotSentAfterDisconnect(t *testing.T) {
	w, srv := mailWorld(t)
	srv.FailNext(1, 451)
	w.connect("Offer", "lead/L-1")
	if rep := w.tick(); rep.Retried != 1 {
		t.Fatalf("first try: %+v", rep)
	}
	must(t, w.e.Disconnect(w.ctx, "max", "Offer", []string{"lead/L-1"}))
	if rep := w.after(time.Minute); rep.Sent+rep.Retried+rep.Failed != 0 {
		t.Fatalf("tick after the disconnect: %+v", rep)
	}
	if n := len(srv.Messages()); n != 0 || srv.Attempts() != 1 {
		t.Fatalf("the server got %d messages in %d attempts after the disconnect", n, srv.Attempts())
	}
	m := w.outbox()["lead/L-1"]
	if m.State != "failed" || m.Tries != 1 || !strings.Contains(m.LastError, "disconnected") || !strings.Contains(m.LastError, "manual") {
		t.Fatalf("outbox row %+v", m)
	}
	if !w.nextWake().IsZero() {
		t.Fatalf("something is still scheduled at %v", w.nextWake())
	}
	c := w.conn("lead/L-1")
	if c.State != "disconnected" || len(w.tasks("tom")) != 0 {
		t.Fatalf("connection %+v, tasks %+v", c, w.tasks("tom"))
	}
}

// A record disconnected while its automated email is on the wire (another node or a seller
// between the dispatcher's claim and its answer): the email went out and is recorded as
// sent; the connection stays disconnected, and the doctor finds nothing wrong.
func TestDisconnectedWhileSending(t *testing.T) {
	w, srv := mailWorld(t)
	w.connect("Offer", "lead/L-1")
	srv.OnData(func(mailtest.Received) {
		must(t, w.e.Disconnect(w.ctx, "max", "Offer", []string{"lead/L-1"}))
	})
	w.clock.Advance(time.Minute)
	if rep := w.tick(); rep.Sent != 1 || len(rep.Errors) != 0 {
		t.Fatalf("tick = %+v", rep)
	}
	if m := w.outbox()["lead/L-1"]; m.State != "sent" {
		t.Fatalf("the message is %q, want sent", m.State)
	}
	wantState(t, w.conn("lead/L-1"), "disconnected", "")
	problems, err := w.e.Check(w.ctx, "ada")
	must(t, err)
	if len(problems) > 0 {
		t.Fatalf("doctor: %v", problems)
	}
}

// A template with an HTML body of its own sends it as the HTML part: merged values escaped,
// its links tracked (one the text lacks included), the footer and pixel added; a click on
// its own link redirects to that link.
func TestMailOwnHTMLBody(t *testing.T) {
	w, srv := mailWorld(t)
	must(t, w.e.SetSetting(w.ctx, "ada", "tracking_url", "https://t.example"))
	html := `<html><body><h1>Hi {{first_name}}</h1><p>Score: {{field:score}}</p><a href="https://example.com/deal">deal</a></body></html>`
	body := "Hi {{first_name}}"
	_, err := w.e.SetTemplate(w.ctx, "ada", "offer", engine.TemplateChange{HTML: &html, Body: &body})
	must(t, err)
	_, err = w.e.SetRecord(w.ctx, "ada", "lead/L-1", map[string]string{"score": "<10>"})
	must(t, err)
	w.connect("Offer", "lead/L-1")
	w.clock.Advance(time.Minute)
	if rep := w.tick(); rep.Sent != 1 {
		t.Fatalf("tick = %+v", rep)
	}
	got := srv.Messages()
	if len(got) != 1 {
		t.Fatalf("%d messages", len(got))
	}
	r := got[0]
	id := mail.TrackingID(r.MessageID)
	for _, want := range []string{"<h1>Hi Ana</h1>", "<p>Score: &lt;10&gt;</p>", `<a href="https://t.example/t/click/` + id + `/0">deal</a>`,
		"/t/open/" + id + ".gif", "/t/unsub/" + id} {
		if !strings.Contains(r.HTML, want) {
			t.Errorf("HTML part lacks %q:\n%s", want, r.HTML)
		}
	}
	if strings.Contains(r.HTML, "example.com/deal") || strings.TrimSpace(strings.Split(r.Text, "\n")[0]) != "Hi Ana" {
		t.Errorf("text %q, HTML %s", r.Text, r.HTML)
	}
	target, err := w.e.ClickTarget(w.ctx, id, 0)
	must(t, err)
	if target != "https://example.com/deal" {
		t.Errorf("click target %q", target)
	}
	if _, err := w.e.ClickTarget(w.ctx, id, 1); !errors.Is(err, engine.ErrUnknownMessage) {
		t.Errorf("click past the links: %v", err)
	}
}

// With dkim_domain, dkim_selector and dkim_key_file set, automated emails go out signed,
// and the signature of the email as the SMTP server received it verifies; the key's path
// is shown to admins only and a key file others may read is refused.
func TestMailSignedWithDKIM(t *testing.T) {
	w, srv := mailWorld(t)
	_, key, err := ed25519.GenerateKey(rand.Reader)
	must(t, err)
	der, err := x509.MarshalPKCS8PrivateKey(key)
	must(t, err)
	path := filepath.Join(t.TempDir(), "dkim.pem")
	must(t, os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o644))
	wantMsg(t, w.e.SetSetting(w.ctx, "ada", "dkim_key_file", path), engine.ErrInvalid, "chmod 600")
	must(t, os.Chmod(path, 0o600))
	must(t, w.e.SetSetting(w.ctx, "ada", "dkim_key_file", path))
	must(t, w.e.SetSetting(w.ctx, "ada", "dkim_domain", "Example.com"))
	must(t, w.e.SetSetting(w.ctx, "ada", "dkim_selector", "pacer"))
	wantMsg(t, w.e.SetSetting(w.ctx, "ada", "dkim_selector", "bad selector"), engine.ErrInvalid, "dkim_selector")
	if s, err := w.e.Settings(w.ctx, "sam"); err != nil || s.DKIMKeyFile != "configured" {
		t.Errorf("a seller sees dkim_key_file %q, %v", s.DKIMKeyFile, err)
	}
	w.connect("Offer", "lead/L-1")
	w.clock.Advance(time.Minute)
	if rep := w.tick(); rep.Sent != 1 {
		t.Fatalf("tick %+v", rep)
	}
	data := srv.Messages()[0].Data
	record := "v=DKIM1; k=ed25519; p=" + base64.StdEncoding.EncodeToString(key.Public().(ed25519.PublicKey))
	vs, err := dkim.VerifyWithOptions(bytes.NewReader(data), &dkim.VerifyOptions{LookupTXT: func(domain string) ([]string, error) {
		if domain != "pacer._domainkey.example.com" {
			return nil, fmt.Errorf("no record at %s", domain)
		}
		return []string{record}, nil
	}})
	if err != nil || len(vs) != 1 || vs[0].Err != nil {
		t.Fatalf("verify: %+v, %v\n%s", vs, err, data)
	}
	// A key file gone makes sending fail and retry, never go out unsigned.
	must(t, os.Remove(path))
	w.connect("Offer", "lead/L-3")
	if rep := w.after(time.Minute); rep.Retried != 1 || len(srv.Messages()) != 1 {
		t.Fatalf("without the key file: %+v, %d messages", rep, len(srv.Messages()))
	}
	if m := w.outbox()["lead/L-3"]; !strings.Contains(m.LastError, "dkim_key_file") {
		t.Errorf("outbox row %+v", m)
	}
}
