package designer

import (
	"maps"
	"slices"

	"github.com/pacer-sales/pacer/engine/sequence"
)

// maxDepth is how deeply conditions may nest in a sequence file.
const maxDepth = 100

// cloneDef returns a deep copy of a definition, so commands can hand a definition to the
// engine (which may normalize it) without touching the one being edited.
func cloneDef(def *sequence.Sequence) *sequence.Sequence {
	if def == nil {
		return nil
	}
	out := *def
	out.Tags = slices.Clone(def.Tags)
	out.Assign.Members = maps.Clone(def.Assign.Members)
	out.Steps = cloneSteps(def.Steps)
	return &out
}

func cloneSteps(steps []sequence.Step) []sequence.Step {
	if steps == nil {
		return nil
	}
	out := make([]sequence.Step, len(steps))
	for i := range steps {
		out[i] = cloneStep(steps[i])
	}
	return out
}

func cloneStep(st sequence.Step) sequence.Step {
	out := st
	out.Value = cloneValue(st.Value)
	if st.Early != nil {
		e := *st.Early
		out.Early = &e
	}
	out.Events = slices.Clone(st.Events)
	out.Outcomes = slices.Clone(st.Outcomes)
	out.Stages = slices.Clone(st.Stages)
	out.Test = cloneTest(st.Test)
	out.Yes = cloneSteps(st.Yes)
	out.No = cloneSteps(st.No)
	return out
}

func cloneTest(t sequence.Test) sequence.Test {
	out := t
	out.Value = cloneValue(t.Value)
	if t.All != nil {
		out.All = make([]sequence.Test, len(t.All))
		for i := range t.All {
			out.All[i] = cloneTest(t.All[i])
		}
	}
	if t.Any != nil {
		out.Any = make([]sequence.Test, len(t.Any))
		for i := range t.Any {
			out.Any[i] = cloneTest(t.Any[i])
		}
	}
	return out
}

func cloneValue(v any) any {
	if l, ok := v.([]any); ok {
		return slices.Clone(l)
	}
	return v
}

// spot is where a step sits: the list holding it and its index there. depth counts the
// conditions around the list.
type spot struct {
	list  *[]sequence.Step
	index int
	depth int
}

// locate finds the step with id in the tree.
func locate(def *sequence.Sequence, id string) (spot, bool) {
	return locateIn(&def.Steps, id, 0)
}

func locateIn(list *[]sequence.Step, id string, depth int) (spot, bool) {
	for i := range *list {
		st := &(*list)[i]
		if st.ID == id {
			return spot{list, i, depth}, true
		}
		if st.Type == sequence.Condition {
			if s, ok := locateIn(&st.Yes, id, depth+1); ok {
				return s, true
			}
			if s, ok := locateIn(&st.No, id, depth+1); ok {
				return s, true
			}
		}
	}
	return spot{}, false
}

// insertion is where the add key puts a new step for the row under the cursor: after the
// step, at the top of the sequence (start line) or at the top of a branch (its heading or
// placeholder).
func insertion(def *sequence.Sequence, r row) (spot, bool) {
	switch r.kind {
	case rowStart:
		return spot{&def.Steps, 0, 0}, true
	case rowStep:
		s, ok := locate(def, r.id)
		if !ok {
			return spot{}, false
		}
		s.index++
		return s, true
	case rowBranch, rowEmpty:
		s, ok := locate(def, r.id)
		if !ok {
			return spot{}, false
		}
		cond := &(*s.list)[s.index]
		if r.branch == branchYes {
			return spot{&cond.Yes, 0, s.depth + 1}, true
		}
		return spot{&cond.No, 0, s.depth + 1}, true
	}
	return spot{}, false
}

// previous is the step right before an insertion point in the same list, if any.
func (s spot) previous() *sequence.Step {
	if s.index <= 0 || s.index > len(*s.list) {
		return nil
	}
	return &(*s.list)[s.index-1]
}

// insert puts a step at the spot.
func (s spot) insert(st sequence.Step) {
	if st.Type == sequence.Condition {
		if st.Yes == nil {
			st.Yes = []sequence.Step{}
		}
		if st.No == nil {
			st.No = []sequence.Step{}
		}
	}
	*s.list = slices.Insert(*s.list, s.index, st)
}

// isSourceCondition reports whether a condition reads the step right before it: email
// conditions read the email's events, call_outcome the call's outcome.
func isSourceCondition(st *sequence.Step) bool {
	return st != nil && st.Type == sequence.Condition && (st.If.IsEmailKind() || st.If == sequence.CallOutcome)
}

// dependent returns the condition that reads the step at the spot (the next step of the same
// list, when it is an email or call_outcome condition), or nil.
func (s spot) dependent() *sequence.Step {
	if s.index+1 >= len(*s.list) {
		return nil
	}
	next := &(*s.list)[s.index+1]
	if isSourceCondition(next) {
		return next
	}
	return nil
}

// keep says what happens to a condition's branches when it is deleted.
type keep int

const (
	keepNone keep = iota // drop both branches
	keepYes              // the Yes steps take the condition's place
	keepNo               // the No steps take the condition's place
)

// remove deletes the step at the spot; for a condition, keep says which branch, if any,
// takes its place.
func (s spot) remove(k keep) {
	st := (*s.list)[s.index]
	var repl []sequence.Step
	switch k {
	case keepYes:
		repl = st.Yes
	case keepNo:
		repl = st.No
	}
	*s.list = slices.Concat((*s.list)[:s.index], repl, (*s.list)[s.index+1:])
}

// countSteps counts the steps of lists, nested ones included.
func countSteps(lists ...[]sequence.Step) int {
	n := 0
	for _, l := range lists {
		for i := range l {
			n++
			if l[i].Type == sequence.Condition {
				n += countSteps(l[i].Yes, l[i].No)
			}
		}
	}
	return n
}
