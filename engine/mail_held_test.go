package engine_test

import (
	"strings"
	"testing"
	"time"

	"github.com/pacer-sales/pacer/engine"
	"github.com/pacer-sales/pacer/engine/mail"
	"github.com/pacer-sales/pacer/store"
)

// A template placeholder with no value and no fallback holds the automated email: no
// outgoing message, a manual email task naming the field, history email_held. With a
// fallback the fallback is sent.
func TestMailHeldOnMissingField(t *testing.T) {
	w, srv := mailWorld(t)
	must(t, w.e.AddTemplate(w.ctx, "ada", store.Template{
		Name: "offer", Subject: "A quicker way for {{field:company}}", Body: "Hi {{first_name|there}}, about {{field:company}}.",
	}))
	w.connect("Offer", "lead/L-1")
	w.tick()
	if n := len(srv.Messages()); n != 0 {
		t.Fatalf("the server got %d messages", n)
	}
	if _, ok := w.outbox()["lead/L-1"]; ok {
		t.Fatalf("an outgoing message: %+v", w.outbox()["lead/L-1"])
	}
	task := w.only("tom")
	if task.Type != "email" || task.StepID != "offer" || !strings.Contains(task.Error, "{{field:company}}") {
		t.Fatalf("task %+v", task)
	}
	c := w.conn("lead/L-1")
	wantState(t, c, "active", "offer")
	got := kinds(c)
	if len(got) < 3 || !strings.HasPrefix(got[2], "email_held:") || !strings.Contains(c.History[2].Reason, "{{field:company}}") {
		t.Fatalf("history %q", got)
	}

	// With a fallback for every placeholder the email goes out with the fallbacks.
	must(t, w.e.AddTemplate(w.ctx, "ada", store.Template{
		Name: "offer", Subject: "A quicker way for {{field:company|your team}}", Body: "Hi {{first_name|there}}, {{field:nick|friend}}.",
	}))
	w.connect("Offer", "lead/L-3")
	w.tick()
	msgs := srv.Messages()
	if len(msgs) != 1 || msgs[0].Subject != "A quicker way for your team" {
		t.Fatalf("messages %+v", msgs)
	}
	if !strings.Contains(string(msgs[0].Data), "Hi Cy, friend.") {
		t.Errorf("body lacks the fallback: %s", msgs[0].Data)
	}
}

// Unsubscribes: the address is listed, later automated emails to it end the connection, a
// manual email task to it warns, and removing the unsubscribe lets pacer send again.
func TestUnsubscribeListRemove(t *testing.T) {
	w, srv := mailWorld(t)
	w.connect("Offer", "lead/L-1")
	w.tick()
	id := mail.TrackingID(srv.Messages()[0].MessageID)
	addr, err := w.e.Unsubscribe(w.ctx, id, "test")
	must(t, err)
	if addr != "a…a@example.com" {
		t.Errorf("masked address %q", addr)
	}
	list, err := w.e.Suppressions(w.ctx, "max", "")
	must(t, err)
	if len(list) != 1 || list[0].Address != "ana@example.com" || list[0].Kind != store.SuppressUnsubscribed {
		t.Fatalf("suppressions %+v", list)
	}
	if _, err := w.e.Suppressions(w.ctx, "sam", ""); err == nil {
		t.Error("a seller listed the unsubscribes")
	}
	if c := w.conn("lead/L-1"); c.State != "disconnected" || c.Reason != "unsubscribed" {
		t.Fatalf("after unsubscribing: %s (%s)", c.State, c.Reason)
	}
	// A manual email task to the address warns.
	w.sequence("name: Manual\nsteps:\n  - type: email\n    id: m\n    template: offer\n")
	w.connect("Manual", "lead/L-1")
	task := w.only("sam")
	d, err := w.e.ComposeEmail(w.ctx, "sam", task.ID)
	must(t, err)
	if !strings.Contains(d.Warning, "unsubscribed") {
		t.Errorf("draft warning %q", d.Warning)
	}
	// Undone: pacer sends again.
	if err := w.e.RemoveSuppression(w.ctx, "max", store.SuppressUnsubscribed, "ana@example.com"); err == nil {
		t.Error("a manager removed an unsubscribe")
	}
	must(t, w.e.RemoveSuppression(w.ctx, "ada", store.SuppressUnsubscribed, "ANA@example.com"))
	w.connect("Offer", "lead/L-1")
	w.tick()
	if n := len(srv.Messages()); n != 2 {
		t.Errorf("after removing the unsubscribe the server has %d messages, want 2", n)
	}
}

// An SMTP server refusing the recipient with a 5xx is a hard bounce: no retries, the
// connection ends with reason bounced, and no sequence sends to the address again.
func TestMailRecipientRefusedIsHardBounce(t *testing.T) {
	w, srv := mailWorld(t)
	srv.RefuseRecipient("ana@example.com")
	w.connect("Offer", "lead/L-1")
	rep := w.tick()
	if rep.Failed != 1 || rep.Retried != 0 {
		t.Fatalf("tick %+v", rep)
	}
	c := w.conn("lead/L-1")
	if c.State != "disconnected" || c.Reason != "bounced" {
		t.Fatalf("after the refusal: %s (%s)", c.State, c.Reason)
	}
	// The bounce is in the history and the step's numbers: tried once, bounced once.
	if got := strings.Join(kinds(c), " "); !strings.Contains(got, "step_entered event:email_bounced disconnected:bounced") {
		t.Errorf("history %s", got)
	}
	_, st, err := w.e.SequenceActivity(w.ctx, "ada", "Offer")
	must(t, err)
	for _, s := range st.Steps {
		if s.ID == "offer" && (s.Sent != 1 || s.Bounced != 1 || s.Rates.Bounced != 1) {
			t.Errorf("step offer: sent %d, bounced %d (%.2f)", s.Sent, s.Bounced, s.Rates.Bounced)
		}
	}
	list, err := w.e.Suppressions(w.ctx, "ada", store.SuppressBounced)
	must(t, err)
	if len(list) != 1 || list[0].Address != "ana@example.com" || !strings.Contains(list[0].Reason, "550") {
		t.Fatalf("suppressions %+v", list)
	}
	w.connect("Offer", "lead/L-1")
	w.tick()
	if n := srv.Attempts(); n != 0 {
		t.Errorf("%d transfers to the refused address", n)
	}
	if c := w.conn("lead/L-1"); c.Reason != "bounced" {
		t.Errorf("connected again: %s (%s)", c.State, c.Reason)
	}
}

// An unsubscribe or a hard bounce ends at once every active connection of every record
// with the address, in any sequence and whatever step it is at; records of other
// addresses run on.
func TestSuppressionEndsEveryRecordOfTheAddress(t *testing.T) {
	for _, c := range []struct{ name, reason string }{{"unsubscribe", "unsubscribed"}, {"bounce", "bounced"}} {
		t.Run(c.name, func(t *testing.T) {
			w, srv := mailWorld(t)
			_, err := w.e.ImportRecords(w.ctx, "max", "contacts.csv", strings.NewReader(
				"id,name,owner,email\nC-1,Ana at work,sam,ANA@example.com\nC-2,Other,sam,other@example.com\n"), "contact")
			must(t, err)
			w.sequence("name: Calls\nentity: contact\nsteps:\n  - type: call\n    id: call\n")
			w.connect("Calls", "contact/C-1", "contact/C-2")
			w.connect("Offer", "lead/L-1")
			w.tick()
			id := mail.TrackingID(srv.Messages()[0].MessageID)
			if c.name == "unsubscribe" {
				_, err = w.e.Unsubscribe(w.ctx, id, "test")
			} else {
				err = w.e.RecordBounce(w.ctx, engine.Bounce{MessageID: id, Hard: true, Status: "5.1.1"})
			}
			must(t, err)
			for _, ref := range []string{"lead/L-1", "contact/C-1"} {
				if got := w.conn(ref); got.State != "disconnected" || got.Reason != c.reason {
					t.Errorf("%s: %s (%s), want disconnected (%s)", ref, got.State, got.Reason, c.reason)
				}
			}
			if got := w.conn("contact/C-2"); got.State != "active" {
				t.Errorf("a record of another address: %s (%s)", got.State, got.Reason)
			}
			if n := len(w.tasksOf("sam", "contact/C-1")); n != 0 {
				t.Errorf("the ended connection's call task is still open (%d)", n)
			}
		})
	}
}

// A soft bounce is retried like a temporary SMTP failure: the email goes again with the same
// Message-ID after the back-off, the connection running on meanwhile; after the last try
// the record's owner gets a manual email task carrying why. A delayed report only records.
func TestSoftBounceRetried(t *testing.T) {
	w, srv := mailWorld(t)
	w.connect("Offer", "lead/L-1")
	w.tick()
	msgID := srv.Messages()[0].MessageID
	bounce := func(delayed bool) {
		t.Helper()
		must(t, w.e.RecordBounce(w.ctx, engine.Bounce{MessageID: msgID, Status: "4.2.2", Diagnostic: "452 mailbox full", Delayed: delayed}))
	}
	bounce(true)
	if m := w.outbox()["lead/L-1"]; m.State != "sent" || m.Tries != 1 {
		t.Fatalf("after a delayed report: %+v", m)
	}
	for try := 2; try <= mail.MaxTries; try++ {
		bounce(false)
		m := w.outbox()["lead/L-1"]
		if m.State != "queued" || !strings.Contains(m.LastError, "soft bounce: soft: 4.2.2 452 mailbox full") {
			t.Fatalf("try %d after the bounce: %+v", try, m)
		}
		w.after(mail.Backoff(try-1) - time.Second)
		if n := len(srv.Messages()); n != try-1 {
			t.Fatalf("sent again before its back-off: %d messages", n)
		}
		w.after(time.Second)
		got := srv.Messages()
		if len(got) != try || got[try-1].MessageID != msgID {
			t.Fatalf("try %d: %d messages, last %q", try, len(got), got[len(got)-1].MessageID)
		}
		if m := w.outbox()["lead/L-1"]; m.State != "sent" || m.Tries != try {
			t.Fatalf("try %d sent: %+v", try, m)
		}
	}
	c := w.conn("lead/L-1")
	wantState(t, c, "active", "follow-up")
	if n := strings.Count(strings.Join(kinds(c), " "), "email_sent"); n != 1 {
		t.Errorf("history has %d email_sent: %q", n, kinds(c))
	}
	// The last try bounced too: the owner sends it by hand.
	bounce(false)
	if m := w.outbox()["lead/L-1"]; m.State != "failed" || !strings.Contains(m.LastError, "not delivered after 5 tries") {
		t.Fatalf("after the last bounce: %+v", m)
	}
	tasks := w.tasksOf("sam", "lead/L-1")
	if len(tasks) != 1 || tasks[0].Type != "email" || tasks[0].StepID != "offer" || !strings.Contains(tasks[0].Error, "soft bounce") {
		t.Fatalf("owner's tasks %+v", tasks)
	}
	if problems, err := w.e.Check(w.ctx, "ada"); err != nil || len(problems) > 0 {
		t.Errorf("doctor: %q, %v", problems, err)
	}
	w.after(time.Hour)
	if n := len(srv.Messages()); n != mail.MaxTries {
		t.Errorf("%d messages after giving up, want %d", n, mail.MaxTries)
	}
}

// An email queued again after a soft bounce is not sent once its connection is
// disconnected; it stays sent, saying why it went no more.
func TestSoftBounceNotResentAfterDisconnect(t *testing.T) {
	w, srv := mailWorld(t)
	w.connect("Offer", "lead/L-1")
	w.tick()
	must(t, w.e.RecordBounce(w.ctx, engine.Bounce{MessageID: srv.Messages()[0].MessageID, Status: "4.2.2"}))
	must(t, w.e.Disconnect(w.ctx, "max", "Offer", []string{"lead/L-1"}))
	w.after(time.Hour)
	if n := len(srv.Messages()); n != 1 {
		t.Errorf("%d messages, want the first only", n)
	}
	if m := w.outbox()["lead/L-1"]; m.State != "sent" || !strings.Contains(m.LastError, "not sent again") {
		t.Errorf("outbox row %+v", m)
	}
	if problems, err := w.e.Check(w.ctx, "ada"); err != nil || len(problems) > 0 {
		t.Errorf("doctor: %q, %v", problems, err)
	}
}
