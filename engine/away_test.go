package engine_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/pacer-sales/pacer/engine"
)

// A seller away from Monday 09:00 until Thursday 09:00.
func (w *world) samAway(cover string) time.Time {
	w.t.Helper()
	back := monday.Add(3 * 24 * time.Hour)
	must(w.t, w.e.AddAway(w.ctx, "max", "sam", monday, back, cover))
	return back
}

func TestAwaySellersEmailsWaitForTheReturn(t *testing.T) {
	w := newWorld(t)
	back := w.samAway("")
	w.connect(w.sequence(mailFirstSequence), "lead/L-1") // sam's record, sent as sam
	until, why := w.heldUntil("lead/L-1")
	wantTime(t, "the hold while sam is away", until, back)
	if !strings.Contains(why, "sam is away") {
		t.Fatalf("held for %q", why)
	}
	w.after(back.Sub(w.clock.Now()) - time.Minute)
	if m := w.outbox()["lead/L-1"]; m.State != "queued" {
		t.Fatalf("a minute before sam is back the email is %s", m.State)
	}
	w.after(time.Minute)
	if m := w.outbox()["lead/L-1"]; m.State != "kept" || !m.SentAt.Equal(back) {
		t.Fatalf("when sam is back the email is %+v", m)
	}
	// The task after it is sam's, due at once now that sam is back.
	if task := w.only("sam"); !task.DueAt.Equal(back) {
		t.Fatalf("the task after the email is due %s, want %s", task.DueAt, back)
	}
}

func TestSendWhileAwayKeepsSending(t *testing.T) {
	w := newWorld(t)
	w.samAway("")
	w.connect(w.sequence(`name: Mail while away
options: {send_while_away: true}
steps:
  - type: auto_email
    id: hello
    template: intro
  - type: task
    id: after
`), "lead/L-1")
	if m := w.outbox()["lead/L-1"]; m.State != "kept" || !m.SentAt.Equal(monday) {
		t.Fatalf("with send_while_away sam's email while away is %+v", m)
	}
	for _, h := range w.conn("lead/L-1").History {
		if h.Type == "message_held" {
			t.Fatalf("held although the sequence sends while away: %+v", h)
		}
	}
	if c := w.conn("lead/L-1"); c.CurrentStep != "after" {
		t.Fatalf("the connection is at %s, want after", c.CurrentStep)
	}
}

func TestAwaySellersTaskGoesToTheCover(t *testing.T) {
	w := newWorld(t)
	w.samAway("sue")
	w.connect(w.sequence("name: Call\nsteps:\n  - type: call\n    id: ring\n"), "lead/L-1")
	if n := len(w.tasks("sam")); n != 0 {
		t.Fatalf("sam, away, has %d tasks", n)
	}
	task := w.only("sue")
	if !task.DueAt.Equal(monday) {
		t.Fatalf("sue's cover task is due %s, want at once", task.DueAt)
	}
	const why = "sam is away until 2026-03-05 09:00: covered by sue"
	if task.Why != why {
		t.Fatalf("sue's work list says %q, want %q", task.Why, why)
	}
	// pacer tasks --json carries it.
	b, err := json.Marshal(w.tasks("sue"))
	must(t, err)
	var rows []map[string]any
	must(t, json.Unmarshal(b, &rows))
	if len(rows) != 1 || rows[0]["why"] != why {
		t.Fatalf("tasks --json = %s, want the task with why %q", b, why)
	}
	// Handed over by hand, the reason is gone; a task nothing moved has no why in its JSON.
	w.act("max", task.ID, engine.TaskAction{Kind: engine.ActAssign, To: "tom"})
	if got := w.only("tom"); got.Why != "" {
		t.Fatalf("after assigning it to tom the task says %q", got.Why)
	}
	if b, _ := json.Marshal(w.only("tom")); strings.Contains(string(b), `"why"`) {
		t.Fatalf("a task without a reason has one in its JSON: %s", b)
	}
}
