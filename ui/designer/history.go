package designer

import (
	"fmt"

	"github.com/pacer-sales/pacer/engine/sequence"
)

// maxUndo bounds the undo history (older states are dropped).
const maxUndo = 200

// state is one state of the definition in the undo history, with the edit number that
// made it (so undoing back to the saved state is not dirty).
type state struct {
	def  *sequence.Sequence
	edit int
}

// undoLog holds the states before (undo) and after (redo) the current one, until saved.
type undoLog struct {
	undo, redo []state
	// last is a copy of the current state; nextEdit numbers edits, never reused.
	last     *sequence.Sequence
	nextEdit int
}

// resetHistory starts a new history at the definition loaded or saved.
func (m *Model) resetHistory() {
	m.hist.undo, m.hist.redo = nil, nil
	m.hist.last = cloneDef(m.def)
}

// commit records an edit of m.def: the state before it can be undone.
func (m *Model) commit() {
	h := &m.hist
	if h.last != nil {
		h.undo = append(h.undo, state{def: h.last, edit: m.edits})
		if len(h.undo) > maxUndo {
			h.undo = h.undo[1:]
		}
	}
	h.redo = nil
	h.nextEdit = max(h.nextEdit, m.edits, m.saved) + 1
	m.edits = h.nextEdit
	h.last = cloneDef(m.def)
}

// undo goes back one edit.
func (m *Model) undo() {
	h := &m.hist
	if len(h.undo) == 0 {
		m.setStatus("Nothing to undo")
		return
	}
	prev := h.undo[len(h.undo)-1]
	h.undo = h.undo[:len(h.undo)-1]
	h.redo = append(h.redo, state{def: h.last, edit: m.edits})
	m.restore(prev)
	m.setStatus(fmt.Sprintf("Undone (%d more to undo, %d to redo)", len(h.undo), len(h.redo)))
}

// redo goes forward one undone edit.
func (m *Model) redo() {
	h := &m.hist
	if len(h.redo) == 0 {
		m.setStatus("Nothing to redo")
		return
	}
	next := h.redo[len(h.redo)-1]
	h.redo = h.redo[:len(h.redo)-1]
	h.undo = append(h.undo, state{def: h.last, edit: m.edits})
	m.restore(next)
	m.setStatus(fmt.Sprintf("Redone (%d more to redo)", len(h.redo)))
}

// restore makes s the current state.
func (m *Model) restore(s state) {
	m.def, m.edits = cloneDef(s.def), s.edit
	m.hist.last = s.def
	m.rebuild()
}

// move moves the selected step up (d -1) or down (d 1) within its branch, with the rule of
// delete: a condition that reads the step before it (email or call outcome) keeps it.
func (m *Model) move(d int) {
	if m.refuseReadOnly() {
		return
	}
	r := m.rows[m.cursor]
	if r.kind != rowStep {
		m.status, m.statusErr = "Select a step to move it", true
		return
	}
	s, ok := locate(m.def, r.id)
	if !ok {
		return
	}
	list := *s.list
	i, j := s.index, s.index+d
	if j < 0 || j >= len(list) {
		m.status, m.statusErr = fmt.Sprintf("%q is already the %s of its branch", list[i].DisplayName(), map[int]string{-1: "first", 1: "last"}[d]), true
		return
	}
	lo := min(i, j) // the pair swapped: lo and lo+1
	a, b := &list[lo], &list[lo+1]
	var why string
	switch {
	case isSourceCondition(b):
		why = fmt.Sprintf("the condition %q reads the step before it (%q)", b.DisplayName(), a.DisplayName())
	case isSourceCondition(a):
		why = fmt.Sprintf("the condition %q reads the step before it", a.DisplayName())
	case lo+2 < len(list) && isSourceCondition(&list[lo+2]):
		why = fmt.Sprintf("the condition %q reads %q, right before it", list[lo+2].DisplayName(), b.DisplayName())
	}
	if why != "" {
		m.status, m.statusErr = fmt.Sprintf("Can't move %q: %s; move or change the condition first", list[i].DisplayName(), why), true
		return
	}
	list[lo], list[lo+1] = list[lo+1], list[lo]
	name := list[j].DisplayName()
	m.edited()
	m.moveTo(stepKey(r.id))
	m.setStatus(fmt.Sprintf("Moved %s %s; ctrl+z undoes", name, map[int]string{-1: "up", 1: "down"}[d]))
}
