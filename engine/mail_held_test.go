package engine_test

import (
	"strings"
	"testing"

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
	if c := w.conn("lead/L-1"); c.State != "disconnected" || c.Reason != "bounced" {
		t.Fatalf("after the refusal: %s (%s)", c.State, c.Reason)
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
