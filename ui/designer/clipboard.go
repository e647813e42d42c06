package designer

import (
	"fmt"

	"github.com/pacer-sales/pacer/engine/limits"
	"github.com/pacer-sales/pacer/engine/sequence"
)

// Copy and paste: c copies the selected step (a condition with both its branches), P pastes
// a copy after the selected row, at the top of the sequence or into a branch. Pasted steps
// get fresh ids. A paste that would break a condition's source (put a step between a
// condition and the step it reads, or a condition after a step it can't read) is refused
// and changes nothing. The clipboard lives as long as the page, so a step of an old version
// (read only) can be copied into the draft.

// clipboard is the copied step with its branches, ids cleared.
type clipboard struct {
	step  sequence.Step
	steps int // steps in it, nested ones included
	depth int // conditions nested in it, itself included
}

// copySelected copies the selected step (c).
func (m *Model) copySelected() {
	if !m.isLoaded() {
		return
	}
	r := m.rows[m.cursor]
	if r.kind != rowStep {
		m.status, m.statusErr = "Select a step to copy it (a condition is copied with its branches)", true
		return
	}
	st := cloneStep(*r.step)
	clearIDs(&st)
	m.clip = &clipboard{step: st, steps: countSteps([]sequence.Step{st}), depth: nesting(&st)}
	what := fmt.Sprintf("Copied %s", st.DisplayName())
	if m.clip.steps > 1 {
		what += fmt.Sprintf(" with its branches (%d steps)", m.clip.steps)
	}
	m.setStatus(what + "; P pastes it after the selected row")
}

// clearIDs drops the ids of a step and its branches, so AssignIDs gives fresh ones.
func clearIDs(st *sequence.Step) {
	st.ID = ""
	for i := range st.Yes {
		clearIDs(&st.Yes[i])
	}
	for i := range st.No {
		clearIDs(&st.No[i])
	}
}

// nesting counts the conditions on the deepest path of a step, itself included.
func nesting(st *sequence.Step) int {
	if st.Type != sequence.Condition {
		return 0
	}
	d := 0
	for _, l := range [][]sequence.Step{st.Yes, st.No} {
		for i := range l {
			d = max(d, nesting(&l[i]))
		}
	}
	return d + 1
}

// paste puts a copy of the clipboard after the selected row (P).
func (m *Model) paste() {
	if m.refuseReadOnly() {
		return
	}
	if m.clip == nil {
		m.status, m.statusErr = "Nothing to paste: c copies the selected step first", true
		return
	}
	r := m.rows[m.cursor]
	s, ok := insertion(m.def, r)
	if !ok {
		return
	}
	if why := m.pasteRefusal(s); why != "" {
		m.status, m.statusErr = fmt.Sprintf("Can't paste %s %s: %s", m.clip.step.DisplayName(), m.placeText(r), why), true
		return
	}
	st := cloneStep(m.clip.step)
	s.insert(st)
	m.def.AssignIDs()
	pasted := (*s.list)[s.index]
	m.edited()
	m.moveTo(stepKey(pasted.ID))
	what := "Pasted " + pasted.DisplayName() + " as " + pasted.ID
	if m.clip.steps > 1 {
		what += fmt.Sprintf(" with its branches (%d steps, new ids)", m.clip.steps)
	}
	m.setStatus(what + "; ctrl+z undoes")
}

// pasteRefusal says why the clipboard can't go at s, or "".
func (m *Model) pasteRefusal(s spot) string {
	c := m.clip
	if n := countSteps(m.def.Steps) + c.steps; n > limits.Steps {
		return fmt.Sprintf("the sequence would have %d steps; the limit is %d", n, limits.Steps)
	}
	if s.depth+c.depth > maxDepth {
		return fmt.Sprintf("conditions may be nested at most %d levels", maxDepth)
	}
	if s.index < len(*s.list) {
		if next := &(*s.list)[s.index]; isSourceCondition(next) && s.index > 0 {
			return fmt.Sprintf("the condition %q reads the step right before it (%q); paste after the condition instead",
				next.DisplayName(), (*s.list)[s.index-1].DisplayName())
		}
	}
	if isSourceCondition(&c.step) && !readsFrom(&c.step, s.previous()) {
		need := "an email step"
		if c.step.If == sequence.CallOutcome {
			need = "a call step"
		}
		here := "nothing comes before it here"
		if p := s.previous(); p != nil {
			here = fmt.Sprintf("here it would follow %q (%s)", p.DisplayName(), typeLabel(p.Type))
		}
		return fmt.Sprintf("the condition reads the step right before it, which must be %s; %s", need, here)
	}
	return ""
}

// readsFrom reports whether a source condition can read prev: an email condition an email
// or automated email, a call outcome a call.
func readsFrom(cond, prev *sequence.Step) bool {
	if prev == nil {
		return false
	}
	if cond.If == sequence.CallOutcome {
		return prev.Type == sequence.Call
	}
	return prev.Type == sequence.Email || prev.Type == sequence.AutoEmail
}
