package engine_test

import (
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/pacer-sales/pacer/engine"
)

func TestSequenceHoldsCountsWhyEmailsWait(t *testing.T) {
	w := newWorld(t)
	w.setting("max_per_hour", "1")
	w.samAway("") // sam's emails wait until Thursday
	_, err := w.e.ImportRecords(w.ctx, "max", "holds.csv", strings.NewReader("id,name,owner,email,timezone\n"+
		"K-1,Kenji Sato,tom,kenji@example.jp,Asia/Tokyo\n"+ // 18:00 in Tokyo: the window
		"T-1,Tia One,tom,t1@example.com,\n"+
		"T-2,Tia Two,tom,t2@example.com,\n"+ // tom's second of the hour: the limit
		"S-1,Sol One,sue,s1@example.com,\n"+
		"S-2,Sol Two,sue,s2@example.com,\n"), "lead") // sue's second, then paused
	must(t, err)
	seq := w.sequence(mailFirstSequence)
	w.connect(seq, "lead/L-1", "lead/K-1", "lead/T-1", "lead/T-2", "lead/S-1", "lead/S-2")
	w.after(0)
	_, err = w.e.Pause(w.ctx, "max", seq, engine.Targets{Refs: []string{"lead/S-2"}}, "", time.Time{})
	must(t, err)

	h, err := w.e.SequenceHolds(w.ctx, "sam", seq) // any user may
	must(t, err)
	want := map[string]int{engine.HoldAway: 1, engine.HoldWindow: 1, engine.HoldLimit: 1, engine.HoldPaused: 1}
	if h.Total != 4 || !maps.Equal(h.ByReason, want) {
		t.Fatalf("holds %d %v, want 4 %v", h.Total, h.ByReason, want)
	}
	if len(h.Steps) != 1 || h.Steps[0].ID != "hello" || h.Steps[0].Total != 4 || !maps.Equal(h.Steps[0].ByReason, want) {
		t.Fatalf("per step %+v", h.Steps)
	}
	wantTime(t, "the next to go out", h.Steps[0].Next, monday.Add(time.Hour)) // tom's, at the next hour
	box := w.outbox()
	for ref, hold := range map[string]string{"lead/L-1": engine.HoldAway, "lead/K-1": engine.HoldWindow, "lead/T-2": engine.HoldLimit, "lead/S-2": engine.HoldPaused} {
		if m := box[ref]; m.State != "queued" || m.HeldFor != hold {
			t.Errorf("outbox row of %s: %s, held for %q; want queued, %q", ref, m.State, m.HeldFor, hold)
		}
	}

	w.after(time.Hour) // tom's second goes out
	h, err = w.e.SequenceHolds(w.ctx, "sam", seq)
	must(t, err)
	delete(want, engine.HoldLimit)
	if h.Total != 3 || !maps.Equal(h.ByReason, want) {
		t.Fatalf("an hour later: holds %d %v, want 3 %v", h.Total, h.ByReason, want)
	}
	if m := w.outbox()["lead/T-2"]; m.State != "kept" {
		t.Fatalf("T-2 is %s an hour later", m.State)
	}
	if _, err := w.e.SequenceHolds(w.ctx, "sam", "No such"); err == nil {
		t.Fatal("holds of a missing sequence: no error")
	}
}
