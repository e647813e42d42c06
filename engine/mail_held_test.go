package engine_test

import (
	"strings"
	"testing"

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
