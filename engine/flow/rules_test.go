package flow

import (
	"slices"
	"testing"

	"github.com/pacer-sales/pacer/engine/sequence"
	"github.com/pacer-sales/pacer/store"
)

// stepUnderTest is a step of each type and condition kind, with what it needs.
var stepUnderTest = map[string]string{
	"email":                           "{type: email, id: s}",
	"auto_email":                      "{type: auto_email, id: s, template: t}",
	"sms":                             "{type: sms, id: s}",
	"auto_sms":                        "{type: auto_sms, id: s, template: t}",
	"call":                            "{type: call, id: s}",
	"task":                            "{type: task, id: s}",
	"wait":                            "{type: wait, id: s, duration: 1d}",
	"update_field":                    "{type: update_field, id: s, field: status, value: x}",
	"set_stage":                       "{type: set_stage, id: s, stage: won}",
	"advance_to":                      "{type: advance_to, id: s, sequence: other}",
	"linkedin_research":               "{type: linkedin_research, id: s}",
	"linkedin_introduce":              "{type: linkedin_introduce, id: s}",
	"linkedin_connect":                "{type: linkedin_connect, id: s}",
	"linkedin_inmail":                 "{type: linkedin_inmail, id: s}",
	"condition email_opened":          "{type: condition, id: s, if: email_opened, within: 1d, yes: [], no: []}",
	"condition email_replied":         "{type: condition, id: s, if: email_replied, within: 1d, yes: [], no: []}",
	"condition link_clicked":          "{type: condition, id: s, if: link_clicked, within: 1d, yes: [], no: []}",
	"condition attachment_downloaded": "{type: condition, id: s, if: attachment_downloaded, within: 1d, yes: [], no: []}",
	"condition email_events":          "{type: condition, id: s, if: email_events, events: [email_opened], match: any, within: 1d, yes: [], no: []}",
	"condition call_outcome":          "{type: condition, id: s, if: call_outcome, outcomes: [connected], yes: [], no: []}",
	"condition field":                 "{type: condition, id: s, if: field, field: tier, op: eq, value: hot, yes: [], no: []}",
	"condition stage":                 "{type: condition, id: s, if: stage, stages: [new], yes: [], no: []}",
}

// TestWaitsForAgreesWithDecide enters a step of every type and condition kind through
// Decide and checks that WaitsFor says what the connection then waits for — so Check, which
// uses WaitsFor, and the runtime can't drift apart when a type is added.
func TestWaitsForAgreesWithDecide(t *testing.T) {
	for _, ti := range sequence.Types {
		if _, ok := stepUnderTest[string(ti.Type)]; !ok && ti.Type != sequence.Condition {
			t.Errorf("step type %s has no case here", ti.Type)
		}
	}
	for _, k := range sequence.Kinds {
		found := false
		for name := range stepUnderTest {
			if name == "condition "+string(k) {
				found = true
			}
		}
		if !found {
			t.Errorf("condition kind %s has no case here", k)
		}
	}
	for name, src := range stepUnderTest {
		t.Run(name, func(t *testing.T) {
			// An email step first (its message sent by hand) and the step under test after it.
			plan := mustPlan(t, "name: x\nsteps:\n  - {type: email, id: first}\n  - "+src+"\n  - {type: task, id: after}\n")
			r := newRun(t, plan)
			r.connect()
			res := r.do(Input{Kind: ManualSent, Visit: r.conn.Visit, Message: store.DerivedID("m"), At: r.env.Now})
			st := plan.Step("s")
			at := r.conn.Step == "s" && r.conn.State == store.ConnActive
			var got Rest
			switch {
			case !at:
				got = RestNever
			case !r.conn.WakeAt.IsZero():
				got = RestTimer
			case !r.conn.Task.IsZero():
				got = RestTask
			case slices.ContainsFunc(res.Effects, func(e Effect) bool { return e.Kind == QueueMessage && e.StepID == "s" }):
				got = RestMessage
			default:
				t.Fatalf("the connection rests at %s with nothing to wait for", name)
			}
			if want := WaitsFor(st); got != want {
				t.Fatalf("Decide left the connection waiting for %d, WaitsFor says %d", got, want)
			}
		})
	}
}

// TestSuccessorsAreWhereDecideGoes walks the spec example and checks every step Decide
// enters is a successor of the one before, and every path end is a successor "".
func TestSuccessorsAreWhereDecideGoes(t *testing.T) {
	plan := mustPlan(t, specExample)
	if got := plan.Successors("cond1"); !slices.Equal(got, []string{"", "connect", "wait3d"}) {
		t.Fatalf("Successors(cond1) = %q", got)
	}
	if got := plan.Successors("cond2"); !slices.Equal(got, []string{"", "disq"}) {
		t.Fatalf("Successors(cond2) = %q", got)
	}
	for _, outcome := range []string{"connected", "no_answer"} {
		r := newRun(t, plan)
		r.connect()
		r.sent("intro")
		r.done("")
		r.done(outcome)
		for range 4 {
			if r.conn.State != store.ConnActive {
				break
			}
			if !r.conn.WakeAt.IsZero() {
				r.at(r.conn.WakeAt.Sub(t0)).timer()
			} else {
				r.done("no_answer")
			}
		}
		prev := ""
		for _, h := range r.hist {
			switch h.Type {
			case store.EventStepEntered:
				if prev != "" && !slices.Contains(plan.Successors(prev), h.StepID) {
					t.Errorf("%s: entered %s after %s, not one of %q", outcome, h.StepID, prev, plan.Successors(prev))
				}
				prev = h.StepID
			case store.EventCompleted:
				if !slices.Contains(plan.Successors(prev), "") {
					t.Errorf("%s: completed after %s", outcome, prev)
				}
			}
			if AboutStep(h.Type) && h.StepID != prev {
				t.Errorf("%s: %s is about step %q, the connection is at %q", outcome, h.Type, h.StepID, prev)
			}
		}
	}
}
