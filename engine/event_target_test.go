package engine_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/pacer-sales/pacer/engine"
	"github.com/pacer-sales/pacer/engine/sequence"
)

// An event named by record alone that could belong to the emails of two sequences is
// refused with both listed; --seq or a step id only one of them has says which.
func TestEventByRecordAmbiguous(t *testing.T) {
	w := newWorld(t)
	w.addOffer()
	w.sequence(`
name: Intro
steps:
  - type: auto_email
    id: hello
    template: intro
  - type: condition
    if: email_opened
    within: 3d
    yes: [{type: task, id: opened}]
    no: [{type: task, id: not-opened}]
`)
	w.connect("Offer", "lead/L-1")
	w.connect("Intro", "lead/L-1")
	err := w.e.RecordEvent(w.ctx, "max", "lead/L-1", sequence.EmailOpened, "", w.clock.Now())
	if !errors.Is(err, engine.ErrAmbiguous) || !errors.Is(err, engine.ErrInvalid) {
		t.Fatalf("RecordEvent by record alone = %v, want ErrAmbiguous", err)
	}
	for _, want := range []string{`--seq "Intro" (step hello`, `--seq "Offer" (step offer`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not list %s", err, want)
		}
	}
	// Nothing was recorded.
	for _, seq := range []string{"Offer", "Intro"} {
		for _, h := range w.connOf(seq, "lead/L-1").History {
			if h.Type == "event" {
				t.Fatalf("%s got an event: %+v", seq, h)
			}
		}
	}
	must(t, w.e.RecordEventIn(w.ctx, "max", "lead/L-1", sequence.EmailOpened, engine.EventTarget{Seq: "intro"}, w.clock.Now()))
	wantState(t, w.connOf("Intro", "lead/L-1"), "active", "opened")
	// A step id only one sequence has is enough.
	must(t, w.e.RecordEvent(w.ctx, "max", "lead/L-1", sequence.EmailReplied, "offer", w.clock.Now()))
	if got := kinds(w.connOf("Offer", "lead/L-1")); !strings.Contains(strings.Join(got, " "), "event") {
		t.Errorf("Offer history %q has no event", got)
	}
	err = w.e.RecordEventIn(w.ctx, "max", "lead/L-1", sequence.EmailOpened, engine.EventTarget{Seq: "nope"}, w.clock.Now())
	if !errors.Is(err, engine.ErrInvalid) {
		t.Errorf("an unknown --seq = %v", err)
	}
}

// connOf returns the latest connection of a record to a sequence.
func (w *world) connOf(seq, ref string) engine.ConnView {
	w.t.Helper()
	v, err := w.e.RecordDetail(w.ctx, "ada", ref)
	must(w.t, err)
	for i := len(v.Connections) - 1; i >= 0; i-- {
		if strings.EqualFold(v.Connections[i].Sequence, seq) {
			return v.Connections[i]
		}
	}
	w.t.Fatalf("%s has no connection to %s", ref, seq)
	return engine.ConnView{}
}

// A record connected again to the same sequence after its first run ended has emails in
// two connections of one sequence: no ambiguity, the event belongs to the latest email.
func TestEventByRecordReconnected(t *testing.T) {
	w := newWorld(t)
	w.sequence(`
name: Intro
steps:
  - type: auto_email
    id: hello
    template: intro
  - type: condition
    if: email_opened
    within: 3d
    yes: [{type: task, id: opened}]
    no: [{type: task, id: not-opened}]
`)
	w.connect("Intro", "lead/L-1")
	must(t, w.e.Disconnect(w.ctx, "ada", "Intro", []string{"lead/L-1"}))
	w.clock.Advance(time.Hour)
	w.connect("Intro", "lead/L-1")
	must(t, w.e.RecordEvent(w.ctx, "max", "lead/L-1", sequence.EmailOpened, "", w.clock.Now()))
	wantState(t, w.connOf("Intro", "lead/L-1"), "active", "opened")
	must(t, w.e.RecordEventIn(w.ctx, "max", "lead/L-1", sequence.EmailReplied, engine.EventTarget{Seq: "Intro"}, w.clock.Now()))
}
