package flow

import (
	"github.com/pacer-sales/pacer/engine/sequence"
	"github.com/pacer-sales/pacer/store"
)

// The step rules Decide follows, for those who check its work (Engine.Check): what a
// connection waits for at each step, which steps may follow which, and which history entries
// are about the current step. A new step type is taught here and in Decide, and the test of
// this file holds the two to each other.

// Rest is what a connection at a step waits for.
type Rest int

// What a connection may wait for.
const (
	// RestNever: the step runs at once (commands, conditions decided when reached); no
	// connection stays at it.
	RestNever Rest = iota
	// RestTimer: a wake-up, the end of a wait or of an email condition's window.
	RestTimer
	// RestMessage: the transport to take its automated message (or, when that failed for
	// good, the manual task in its place).
	RestMessage
	// RestTask: a seller to settle its task.
	RestTask
)

// WaitsFor says what a connection at st waits for.
func WaitsFor(st *sequence.Step) Rest {
	switch st.Type {
	case sequence.Wait:
		return RestTimer
	case sequence.Condition:
		if st.If.IsEmailKind() {
			return RestTimer
		}
		return RestNever
	case sequence.AutoEmail, sequence.AutoSMS:
		return RestMessage
	case sequence.UpdateField, sequence.SetStage, sequence.AdvanceTo:
		return RestNever
	}
	return RestTask
}

// Successors are the steps a connection may enter after leaving step id ("" = the path
// ends): what follows it, and for a condition, where each branch leads.
func (p *Plan) Successors(id string) []string {
	out := []string{p.Next(id)}
	if st := p.Step(id); st != nil && st.Type == sequence.Condition {
		for _, yes := range []bool{true, false} {
			if next := p.branchStart(st, yes); next != out[0] {
				out = append(out, next)
			}
		}
	}
	return out
}

// aboutStep are the history entries about the step the connection is at when they are
// written.
var aboutStep = map[string]bool{
	store.EventTaskCreated: true, store.EventTaskDone: true, store.EventTaskSkipped: true,
	store.EventTaskSnoozed: true, store.EventTaskAssigned: true, store.EventEmailSent: true,
	store.EventMessageFailed: true, store.EventEmailHeld: true, store.EventCondition: true, store.EventFieldUpdated: true,
	store.EventStageSet: true, store.EventAdvanced: true, store.EventWaitSkipped: true,
	store.EventCompleted: true, store.EventDisconnected: true,
}

// AboutStep reports whether a history entry of type typ is about the step the connection is
// at when it is written (its StepID is that step).
func AboutStep(typ string) bool { return aboutStep[typ] }

// AfterEnd reports whether an ended connection may still get a history entry of type typ:
// email events, and the snooze and reassignment of the notice its owner was given.
func AfterEnd(typ string) bool {
	return typ == store.EventEmail || typ == store.EventTaskSnoozed || typ == store.EventTaskAssigned
}
