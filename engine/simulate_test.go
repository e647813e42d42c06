package engine_test

import (
	"strings"
	"testing"
	"time"

	"github.com/pacer-sales/pacer/engine"
)

// simulate runs a simulation on the world's own database (a throwaway one) from now; the
// world's engine is not used after it.
func (w *world) simulate(by string, opt engine.SimOptions) []engine.SimLine {
	w.t.Helper()
	sim := engine.NewSimulator(w.db, engine.NewManualClock(w.clock.Now()))
	lines, err := sim.Simulate(w.ctx, by, opt)
	must(w.t, err)
	return lines
}

// simLine returns the first line of the timeline whose What starts with what, failing
// without one.
func simLine(t *testing.T, lines []engine.SimLine, what string) engine.SimLine {
	t.Helper()
	for _, l := range lines {
		if strings.HasPrefix(l.What, what) {
			return l
		}
	}
	var all []string
	for _, l := range lines {
		all = append(all, l.At.UTC().Format("01-02 15:04")+" "+l.What+": "+l.Why)
	}
	t.Fatalf("no %q in the timeline:\n%s", what, strings.Join(all, "\n"))
	return engine.SimLine{}
}

func TestSimulateSaysWhyAStepMoved(t *testing.T) {
	t.Run("sending limit", func(t *testing.T) {
		w := newWorld(t)
		w.setting("max_per_hour", "1")
		refs := w.leads("T", "tom", 2)
		seq := w.sequence(mailFirstSequence)
		w.connect(seq, refs[0]) // Monday 09:00: tom's mailbox sends its one of the hour
		w.tick()
		lines := w.simulate("max", engine.SimOptions{Sequence: seq, Record: refs[1]})
		held := simLine(t, lines, "message held")
		wantTime(t, "the hold", held.At, monday)
		if !strings.Contains(held.What, "until 2026-03-02 10:00") || !strings.Contains(held.Why, "sending limit of tom@example.com: 1 an hour") {
			t.Fatalf("the hold in the timeline: %+v", held)
		}
		wantTime(t, "the email", simLine(t, lines, "email sent").At, monday.Add(time.Hour))
	})
	t.Run("time off", func(t *testing.T) {
		w := newWorld(t)
		back := w.samAway("")
		w.sequence(callSequence)
		lines := w.simulate("max", engine.SimOptions{Sequence: "Call", Record: "lead/L-1"})
		created := simLine(t, lines, "task created")
		if created.Why != "sam is away: due at their first working hour back" || !strings.Contains(created.What, "until 2026-03-05 09:00") {
			t.Fatalf("the task in the timeline: %+v", created)
		}
		// Worked when it is due, not when it was made.
		wantTime(t, "the call's completion", simLine(t, lines, "task done").At, back)
		lines = w.simulate("max", engine.SimOptions{Sequence: w.sequence(mailFirstSequence), Record: "lead/L-1"})
		if held := simLine(t, lines, "message held"); !strings.Contains(held.Why, "held while the sender sam is away") {
			t.Fatalf("sam's email in the timeline: %+v", held)
		}
		wantTime(t, "sam's email", simLine(t, lines, "email sent").At, back)
	})
	t.Run("pause", func(t *testing.T) {
		w := newWorld(t)
		seq := w.sequence(plainWaitSequence) // a wait of 1d, then a call
		lines := w.simulate("max", engine.SimOptions{Sequence: seq, Record: "lead/L-1",
			Pauses: []engine.SimPause{{After: 6 * time.Hour, For: 2 * 24 * time.Hour, Reason: "trade show"}}})
		paused := simLine(t, lines, "paused")
		if !strings.Contains(paused.What, "(trade show)") || !strings.Contains(paused.What, "until 2026-03-04 15:00") {
			t.Fatalf("the pause in the timeline: %+v", paused)
		}
		resumed := simLine(t, lines, "resumed")
		if resumed.Why != "paused for 2d (trade show): the step goes on with the time it had left" {
			t.Fatalf("the resume in the timeline: %+v", resumed)
		}
		// The wait had 18h left: it ends Thursday 09:00, not Tuesday 09:00.
		wantTime(t, "the call after the wait", simLine(t, lines, "task created").At, time.Date(2026, 3, 5, 9, 0, 0, 0, time.UTC))
	})
}
