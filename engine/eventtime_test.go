package engine_test

import (
	"strings"
	"testing"
	"time"

	"github.com/pacer-sales/pacer/engine/sequence"
	"github.com/pacer-sales/pacer/store"
)

// TestEventsAtImpossibleTimes: an email event before its message was sent, or later than a
// small clock skew after now, is refused and changes nothing; so is one beyond the times the
// store can hold (year 9999 was stored as 2262).
func TestEventsAtImpossibleTimes(t *testing.T) {
	w := newWorld(t)
	w.clock.Advance(time.Hour)
	seq := w.sequence(`
name: Replies
options: {exit_on_reply: true}
steps:
  - type: auto_email
    id: hello
    template: intro
  - type: task
    id: follow
`)
	w.connect(seq, "lead/L-1")
	sent := monday.Add(time.Hour)
	cases := []struct {
		at   time.Time
		want string
	}{
		{time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC), "is before its message was sent (2026-03-02T10:00:00Z)"},
		{sent.Add(-time.Second), "is before its message was sent"},
		{sent.Add(6 * time.Minute), "is in the future: it is 2026-03-02T10:00:00Z now, and an event may be at most 5m0s ahead"},
		{time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC), "the time of the event 9999-01-01T00:00:00Z is out of range"},
	}
	for _, c := range cases {
		err := w.e.RecordEvent(w.ctx, "max", "lead/L-1", sequence.EmailReplied, "hello", c.at)
		wantRefused(t, c.at.String(), err, c.want)
	}
	if c := w.conn("lead/L-1"); c.State != "active" {
		t.Fatalf("a refused reply disconnected the record: %s (%s)", c.State, c.Reason)
	}
	// Within the skew, and by Message-ID, it counts.
	must(t, w.e.RecordEvent(w.ctx, "max", "lead/L-1", sequence.EmailReplied, "hello", sent.Add(4*time.Minute)))
	if c := w.conn("lead/L-1"); c.State != "disconnected" || c.Reason != store.ReasonReplied {
		t.Fatalf("after a reply within the skew: %s (%s)", c.State, c.Reason)
	}
	// The ended connection keeps later events in its history only if they are possible.
	err := w.e.RecordEvent(w.ctx, "max", "lead/L-1", sequence.EmailOpened, "hello", sent.Add(-time.Hour))
	wantRefused(t, "event of an ended connection", err, "is before its message was sent")
	var msgID string
	must(t, w.db.View(w.ctx, func(tx store.Tx) error {
		return tx.Messages(func(m store.Message) bool { msgID = m.MessageID; return false })
	}))
	err = w.e.RecordMessageEvent(w.ctx, msgID, sequence.EmailOpened, time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC))
	wantRefused(t, "message event in 9999", err, "out of range")
}

// TestLateEventDecidesAtWindowEnd (issue 8, item 11): an event recorded after its
// condition's window ended, before the engine ran, finds the condition decided at the end of
// the window, as it is for a record with no event: the No branch starts then, not when the
// event was recorded.
func TestLateEventDecidesAtWindowEnd(t *testing.T) {
	w := newWorld(t)
	seq := w.sequence(`
name: Late
steps:
  - type: auto_email
    id: hello
    template: intro
  - type: condition
    id: opened
    if: email_opened
    within: 1d
    yes:
      - type: call
        id: hot
    no:
      - type: task
        id: cold
`)
	w.connect(seq, "lead/L-1", "lead/L-3")
	end := monday.Add(24 * time.Hour)
	w.clock.Set(end.Add(5 * time.Hour))
	// Opened 3 hours after the window, recorded 5 hours after it, before any tick.
	must(t, w.e.RecordEvent(w.ctx, "max", "lead/L-1", sequence.EmailOpened, "hello", end.Add(3*time.Hour)))
	w.after(0)
	for _, ref := range []string{"lead/L-1", "lead/L-3"} {
		c := w.conn(ref)
		wantState(t, c, "active", "cold")
		if !c.EnteredAt.Equal(end) {
			t.Errorf("%s entered the No branch at %s, want the window's end %s", ref, c.EnteredAt, end)
		}
	}
	for _, u := range []string{"sam", "sue"} {
		if task := w.only(u); !task.DueAt.Equal(end) {
			t.Errorf("%s's task is due %s, want %s", u, task.DueAt, end)
		}
	}
	if got := kinds(w.conn("lead/L-1")); !strings.Contains(strings.Join(got, " "), "condition:no step_entered task_created event:email_opened") {
		t.Errorf("history %q", got)
	}
}

// TestSkipOverdueWait: skipping a wait that is already over ends it when it was due (what a
// tick would have done), not now.
func TestSkipOverdueWait(t *testing.T) {
	w := newWorld(t)
	seq := w.sequence(waitThenCall)
	w.connect(seq, "lead/L-1")
	w.clock.Advance(30 * time.Hour)
	must(t, w.e.SkipWait(w.ctx, "max", seq, "lead/L-1"))
	c := w.conn("lead/L-1")
	wantState(t, c, "active", "ring")
	if due := monday.Add(24 * time.Hour); !c.EnteredAt.Equal(due) || !w.only("sam").DueAt.Equal(due) {
		t.Fatalf("the call was entered at %s, due %s; want both at the wait's end %s", c.EnteredAt, w.only("sam").DueAt, due)
	}
	// Skipping a wait that is not over still ends it now.
	w.connect(seq, "lead/L-3")
	w.clock.Advance(time.Hour)
	must(t, w.e.SkipWait(w.ctx, "max", seq, "lead/L-3"))
	if c := w.conn("lead/L-3"); c.CurrentStep != "ring" || !c.EnteredAt.Equal(w.clock.Now()) {
		t.Fatalf("skipped wait: at %q since %s", c.CurrentStep, c.EnteredAt)
	}
}
