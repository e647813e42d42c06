package engine_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/pacer-sales/pacer/engine"
	"github.com/pacer-sales/pacer/engine/sequence"
)

// messageIDOf is the Message-ID of the only outbox email of a record.
func (w *world) messageIDOf(ref string) string {
	w.t.Helper()
	box, err := w.e.Outbox(w.ctx, "ada")
	must(w.t, err)
	id := ""
	for _, m := range box {
		if m.Record == ref {
			if id != "" {
				w.t.Fatalf("%s has several messages", ref)
			}
			id = m.MessageID
		}
	}
	if id == "" {
		w.t.Fatalf("%s has no message in %+v", ref, box)
	}
	return id
}

// An event by Message-ID takes the condition's Yes path, whatever form the ID is given in,
// and acts as no user.
func TestRecordMessageEventTakesYes(t *testing.T) {
	local := func(id string) string { l, _, _ := strings.Cut(strings.Trim(id, "<>"), "@"); return l }
	for name, form := range map[string]func(string) string{
		"header":     func(id string) string { return id },
		"bare":       func(id string) string { return strings.Trim(id, "<>") },
		"local part": local,
		"upper case": func(id string) string { return strings.ToUpper(local(id)) },
	} {
		t.Run(name, func(t *testing.T) {
			w := newWorld(t)
			w.connect(w.sequence(autoSeq), "lead/L-1")
			w.clock.Advance(time.Hour)
			must(t, w.e.RecordMessageEvent(w.ctx, form(w.messageIDOf("lead/L-1")), sequence.EmailOpened, time.Time{}))
			c := w.conn("lead/L-1")
			wantState(t, c, "active", "hot-call")
			wantHistory(t, c, "connected:manual", "step_entered", "email_sent", "step_entered", "event:email_opened", "condition:yes", "step_entered", "task_created")
			if ev := c.History[4]; ev.By != "" || !ev.At.Equal(monday.Add(time.Hour)) || ev.StepID != "hello" {
				t.Errorf("event = %+v", ev)
			}
		})
	}
}

// A pixel loads many times: a repeated event is no error and records nothing more; an
// ended connection keeps the event in its history once.
func TestRecordMessageEventRepeatsAndEnded(t *testing.T) {
	w := newWorld(t)
	name := w.sequence(autoSeq)
	w.connect(name, "lead/L-1", "lead/L-3")
	id := w.messageIDOf("lead/L-1")
	for range 3 {
		must(t, w.e.RecordMessageEvent(w.ctx, id, sequence.EmailOpened, time.Time{}))
	}
	wantHistory(t, w.conn("lead/L-1"), "connected:manual", "step_entered", "email_sent", "step_entered", "event:email_opened", "condition:yes", "step_entered", "task_created")

	must(t, w.e.Disconnect(w.ctx, "max", name, []string{"lead/L-3"}))
	id3 := w.messageIDOf("lead/L-3")
	for range 2 {
		must(t, w.e.RecordMessageEvent(w.ctx, id3, sequence.LinkClicked, time.Time{}))
	}
	c := w.conn("lead/L-3")
	wantState(t, c, "disconnected", "")
	if k := kinds(c); k[len(k)-1] != "event:link_clicked" || strings.Count(strings.Join(k, " "), "event:link_clicked") != 1 {
		t.Fatalf("history %q", k)
	}
}

func TestRecordMessageEventBadInput(t *testing.T) {
	w := newWorld(t)
	w.connect(w.sequence(autoSeq), "lead/L-1")
	id := w.messageIDOf("lead/L-1")
	for _, c := range []struct {
		id   string
		kind sequence.Kind
		want string
	}{
		{id, "email_bounced", `event "email_bounced"`},
		{"", sequence.EmailOpened, "message id: empty"},
		{"<a b@c>", sequence.EmailOpened, "message id"},
		{"0123456789abcdef0123456789abcdef", sequence.EmailOpened, "no email has the Message-ID"},
	} {
		err := w.e.RecordMessageEvent(w.ctx, c.id, c.kind, time.Time{})
		if !errors.Is(err, engine.ErrInvalid) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("RecordMessageEvent(%q, %q) = %v, want an invalid-input error with %q", c.id, c.kind, err, c.want)
		}
	}
	err := w.e.RecordMessageEvent(w.ctx, "0123456789abcdef0123456789abcdef", sequence.EmailOpened, time.Time{})
	if !errors.Is(err, engine.ErrUnknownMessage) {
		t.Errorf("unknown message: %v, want ErrUnknownMessage", err)
	}
	wantState(t, w.conn("lead/L-1"), "active", "opened")
}
