// Package flow is the runtime heart of pacer: a pure function, Decide, that takes a
// connection, the published sequence version it runs on, one input (connect, timer, task
// done, email event, …) and the time, and returns the connection's next state, the effects
// to apply (create a task, queue a message, update the record, …) and the history to keep.
//
// Decide does no I/O and reads no clock, so every rule of the runtime is a table test, and
// replaying the same input gives the same answer.
package flow

import "github.com/pacer-sales/pacer/engine/sequence"

// Plan is a published sequence version prepared for walking: every step by id with what
// follows it. Build it once per version and share it; it is read-only.
type Plan struct {
	Def *sequence.Sequence
	// First is the id of the first step ("" for a sequence without steps).
	First string
	steps map[string]*node
}

type node struct {
	step *sequence.Step
	// next is the step that follows when this one ends ("" = the path ends).
	next string
	// prev is the step right before this one in its list ("" when it is first in a list):
	// the source of a condition.
	prev string
}

// NewPlan prepares a definition for walking. Steps must have ids (sequence.AssignIDs).
func NewPlan(def *sequence.Sequence) *Plan {
	p := &Plan{Def: def, steps: map[string]*node{}}
	p.index(def.Steps, "")
	if len(def.Steps) > 0 {
		p.First = def.Steps[0].ID
	}
	return p
}

// index records each step of a list; after is what follows the list's last step.
func (p *Plan) index(steps []sequence.Step, after string) {
	for i := range steps {
		st := &steps[i]
		n := &node{step: st, next: after}
		if i+1 < len(steps) {
			n.next = steps[i+1].ID
		}
		if i > 0 {
			n.prev = steps[i-1].ID
		}
		p.steps[st.ID] = n
		if st.Type == sequence.Condition {
			p.index(st.Yes, n.next)
			p.index(st.No, n.next)
		}
	}
}

// Step returns the step with the given id, or nil.
func (p *Plan) Step(id string) *sequence.Step {
	if n := p.steps[id]; n != nil {
		return n.step
	}
	return nil
}

// Next returns the id of the step that follows id when it ends, "" when the path ends. For
// a condition it is the step after both its branches, where an empty branch leads.
func (p *Plan) Next(id string) string {
	if n := p.steps[id]; n != nil {
		return n.next
	}
	return ""
}

// Source returns the step right before a condition in its list, or nil.
func (p *Plan) Source(id string) *sequence.Step {
	if n := p.steps[id]; n != nil && n.prev != "" {
		return p.steps[n.prev].step
	}
	return nil
}

// branchStart returns where a condition's branch leads: its first step, or what follows the
// condition when the branch is empty.
func (p *Plan) branchStart(cond *sequence.Step, yes bool) string {
	list := cond.No
	if yes {
		list = cond.Yes
	}
	if len(list) > 0 {
		return list[0].ID
	}
	return p.Next(cond.ID)
}

// Ahead lists up to max steps the connection will go through after id, in order — the "up
// next" of the work list. Only what is certain is listed: the list stops at the first
// condition (included), since its branch is not known yet, and is empty when id is itself a
// condition.
func (p *Plan) Ahead(id string, max int) []*sequence.Step {
	if st := p.Step(id); st == nil || st.Type == sequence.Condition {
		return nil
	}
	var out []*sequence.Step
	for cur := p.Next(id); cur != "" && len(out) < max; cur = p.Next(cur) {
		st := p.Step(cur)
		out = append(out, st)
		if st.Type == sequence.Condition {
			break
		}
	}
	return out
}

// NeedsOutcome reports that the call step id is followed by a call-outcome condition that
// tests it, so the call can't be done without an outcome.
func (p *Plan) NeedsOutcome(id string) bool {
	call := p.Step(id)
	if call == nil || call.Type != sequence.Call {
		return false
	}
	next := p.Step(p.Next(call.ID))
	return next != nil && next.Type == sequence.Condition && next.If == sequence.CallOutcome && p.Source(next.ID) == call
}
