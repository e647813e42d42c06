package engine_test

import (
	"testing"

	"github.com/pacer-sales/pacer/engine"
	"github.com/pacer-sales/pacer/engine/mail/mailtest"
)

// The Stats tab counts a step as done by its own course — an automated email sent, a
// command run — and a skipped wait as skipped (they showed Done 0 and Skipped 0), with the
// email engagement the engine recorded.
func TestStatsCountEveryWayAStepEnds(t *testing.T) {
	w := newWorld(t)
	srv := mailtest.Start(t)
	must(t, w.e.SetSetting(w.ctx, "ada", "smtp_url", srv.URL()))
	name := w.sequence(`
name: Funnel
steps:
  - type: auto_email
    id: mail
    template: intro
  - type: set_stage
    id: stage
    stage: qualified
  - type: wait
    id: pause
    duration: 1d
  - type: task
    id: wrap
    name: Wrap up
`)
	w.connect(name, "lead/L-1", "lead/L-2")
	w.tick()
	if n := len(srv.Messages()); n != 2 {
		t.Fatalf("%d messages sent", n)
	}
	must(t, w.e.SkipWait(w.ctx, "max", name, "lead/L-1"))
	must(t, w.e.RecordEvent(w.ctx, "max", "lead/L-1", "email_opened", "", w.clock.Now()))
	must(t, w.e.RecordEvent(w.ctx, "max", "lead/L-1", "email_replied", "", w.clock.Now()))

	_, st, err := w.e.SequenceActivity(w.ctx, "sam", name)
	must(t, err)
	got := map[string]engine.StepStat{}
	for _, s := range st.Steps {
		got[s.ID] = s
	}
	want := map[string]engine.StepStat{
		"mail":  {Entered: 2, Done: 2, Sent: 2, Opened: 1, Replied: 1, Rates: engine.EmailRates{Opened: 0.5, Replied: 0.5}},
		"stage": {Entered: 2, Done: 2},
		"pause": {Entered: 2, Skipped: 1, Waiting: 1},
		"wrap":  {Entered: 1, Waiting: 1},
	}
	for id, wnt := range want {
		g := got[id]
		g.ID, g.Name, g.Type = "", "", ""
		if g != wnt {
			t.Errorf("step %s: %+v, want %+v", id, g, wnt)
		}
	}
}
