package designer

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/pacer-sales/pacer/engine"
	"github.com/pacer-sales/pacer/engine/limits"
	"github.com/pacer-sales/pacer/engine/sequence"
	"github.com/pacer-sales/pacer/ui/common"
)

// allIDs lists every step id of a definition, nested ones included.
func allIDs(def *sequence.Sequence) []string {
	var out []string
	def.Walk(func(_ string, st *sequence.Step) bool {
		out = append(out, st.ID)
		return true
	})
	return out
}

// A step and a whole condition are copied and pasted after a row or into an empty branch,
// with fresh ids; a paste that would break a condition's source is refused and changes
// nothing; pasting is undone like any edit, and the engine stores the result.
func TestCopyPasteStepsAndSubtrees(t *testing.T) {
	e := newOrg(t)
	importSeq(t, e, movable, false)
	synctest.Test(t, func(t *testing.T) {
		h := open(t, e, "ada", "Movable", 100, 30)
		m := h.model()
		h.cursorTo("step:last")
		h.Press("P")
		h.wantStatus("Nothing to paste: c copies the selected step first")

		// The email, after the last step.
		h.cursorTo("step:hello")
		h.Press("c")
		h.wantStatus("Copied")
		if m.Dirty() {
			t.Fatal("copying is not an edit")
		}
		h.cursorTo("step:last")
		h.Press("P")
		if got := ids(m.def.Steps); got != "first hello opened last email-1" {
			t.Fatalf("after pasting the email: %q", got)
		}
		if h.selectedKey() != "step:email-1" || m.def.Steps[4].Template != "intro" {
			t.Fatalf("cursor on %s, pasted %+v", h.selectedKey(), m.def.Steps[4])
		}

		// The condition with its branches, right after that email: every step gets a new id.
		h.cursorTo("step:opened")
		h.Press("c")
		h.wantStatus("with its branches (3 steps)")
		h.cursorTo("step:email-1")
		h.Press("P")
		if len(m.def.Steps) != 6 {
			t.Fatalf("after pasting the condition: %q", ids(m.def.Steps))
		}
		cond := m.def.Steps[5]
		if cond.Type != sequence.Condition || cond.ID == "opened" || len(cond.Yes) != 2 || cond.Yes[0].Name != "Y one" || cond.Yes[1].Name != "Y two" {
			t.Fatalf("pasted condition %+v", cond)
		}
		all := allIDs(m.def)
		for i, id := range all {
			if id == "" || slices.Contains(all[i+1:], id) {
				t.Fatalf("ids after the paste are not fresh and unique: %v", all)
			}
		}
		h.wantStatus("Pasted")
		before := sequence.Marshal(m.def)

		// Refused: between the email and the condition that reads it; a condition after a
		// step it can't read. Nothing changes.
		h.cursorTo("step:hello")
		h.Press("P")
		h.wantStatus(`reads the step right before it`)
		h.cursorTo("step:first")
		h.Press("P")
		h.wantStatus(`which must be an email step; here it would follow "First" (task)`)
		if !bytes.Equal(sequence.Marshal(m.def), before) {
			t.Fatal("a refused paste changed the definition")
		}

		// Into the condition's empty No branch.
		h.cursorTo("step:first")
		h.Press("c")
		h.cursorTo("empty-no:opened")
		h.Press("P")
		if no := m.def.Steps[2].No; len(no) != 1 || no[0].Name != "First" || no[0].ID == "first" {
			t.Fatalf("no branch after the paste: %+v", no)
		}

		// Undo takes the pastes back one by one.
		h.Press("ctrl+z")
		if !bytes.Equal(sequence.Marshal(m.def), before) {
			t.Fatalf("undo of the paste into the branch:\n%s", sequence.Marshal(m.def))
		}
		h.Press("ctrl+z", "ctrl+z")
		if got := ids(m.def.Steps); got != "first hello opened last" || m.Dirty() {
			t.Fatalf("after undoing every paste: %q, dirty %v", got, m.Dirty())
		}
		h.Press("ctrl+y", "ctrl+y")
		h.Press("ctrl+s")
		h.wantStatus("Saved Movable")
		if got := allIDs(h.stored("Movable").Def); !slices.Equal(got, allIDs(m.def)) || len(got) != 10 {
			t.Fatalf("stored ids %v, want %v", got, allIDs(m.def))
		}
	})
}

const marked = `name: Marked
steps:
  - type: task
    id: first
    name: First
  - type: wait
    id: pause
    duration: 1d
  - type: task
    id: last
    name: Last
`

// The draft's problems are marked on their rows (a mark, not only a colour), counted in the
// title, written in full for the selected row, and follow every edit.
func TestProblemsMarkedOnTheirRows(t *testing.T) {
	e := newOrg(t)
	importSeq(t, e, marked, false)
	synctest.Test(t, func(t *testing.T) {
		h := open(t, e, "ada", "Marked", 100, 30)
		m := h.model()
		if v := h.View(); strings.Contains(v, "problem") || strings.Contains(v, " !") {
			t.Fatalf("a valid sequence shows a problem:\n%s", v)
		}
		h.cursorTo("step:last")
		h.Press("d") // the wait is now last
		h.wantView("Marked  Draft · Lead · owner ada  ● unsaved changes (kept as a draft)  ! 1 problem")
		h.cursorTo("step:first")
		h.wantView(" !└─ ◷ Wait  wait 1d")
		h.cursorTo("step:pause")
		h.wantView("›!└─ ◷ Wait  wait 1d", "! [wait_last] a sequence can't end with a wait step")
		h.cursorTo("step:first")
		if strings.Contains(h.View(), "[wait_last]") {
			t.Fatalf("the problem is written for a row it is not about:\n%s", h.View())
		}
		// A sequence-level problem goes on the start line.
		h.cursorTo("step:pause")
		h.Press("d")
		h.cursorTo("step:first")
		h.Press("d")
		h.wantView("›!● Sequence starts here", "[no_steps]")
		if m.probCount != 1 {
			t.Fatalf("problems %v", m.rowProbs)
		}
		// Undone back to the stored sequence: no mark left.
		h.Press("ctrl+z", "ctrl+z", "ctrl+z")
		if v := h.View(); strings.Contains(v, "problem") || strings.Contains(v, "!") || m.Dirty() {
			t.Fatalf("after undo (dirty %v):\n%s", m.Dirty(), v)
		}
		// A pasted wait at the end is marked at once, on the pasted row only.
		h.cursorTo("step:pause")
		h.Press("c")
		h.cursorTo("step:last")
		h.Press("P")
		h.wantView("›!└─ ◷ Wait  wait 1d", "! [wait_last]")
		if len(m.rowProbs) != 1 || len(m.rowProbs[stepKey("wait-1")]) != 1 {
			t.Fatalf("problems after the paste %v", m.rowProbs)
		}
	})
}

// H lists the versions (number, who, when, note); one opens read only in the tree, with a
// footer of what works there; esc returns to the draft as it was left, unsaved edits
// included; a step copied from the old version pastes into the draft.
func TestVersionHistoryShowsAnOldVersionReadOnly(t *testing.T) {
	e := newOrg(t)
	importSeq(t, e, live, true)
	ctx := context.Background()
	d, err := e.Sequence(ctx, "ada", "Live")
	must(t, err)
	def := d.Def
	def.Steps[0].Name = "Opening call"
	def.Steps[1].No = def.Steps[1].No[1:] // no wait before the retry
	_, err = e.SaveSequence(ctx, "ada", d.ID, def, engine.SaveOptions{Note: "call first, no pause"})
	must(t, err)
	synctest.Test(t, func(t *testing.T) {
		h := open(t, e, "ada", "Live", 100, 30)
		m := h.model()
		h.cursorTo("step:book")
		h.Press("c")
		h.cursorTo("step:retry")
		h.Press("P") // an unsaved edit, kept across the visit to the old version
		draft := sequence.Marshal(m.def)

		h.Press("H")
		h.wantView("Versions of Live (2)", "Version 2 (live)", "by ada · 2026-03-02 09:00 UTC · call first, no pause", "Version 1")
		if !m.CapturesInput() {
			t.Fatal("the version list must take the keys")
		}
		h.Press("down", "enter")
		h.wantView("Live  [version 1, read only]  by ada · 2026-03-02 09:00 UTC", "☎ First call", "◷ Wait  wait 1d")
		if strings.Contains(h.View(), "Opening call") {
			t.Fatalf("version 1 shows the draft:\n%s", h.View())
		}
		var help []string
		for _, b := range m.ShortHelp() {
			help = append(help, b.Help().Desc)
		}
		if got := strings.Join(help, ","); got != "up,down,copy step,version history,back to the draft" {
			t.Fatalf("old version footer: %s", got)
		}
		for _, k := range []string{"d", "a", "e", "K", "ctrl+z", "ctrl+s", "A", "P"} {
			h.Press(k)
			h.wantStatus("Version 1 is read only: esc returns to the draft")
		}
		h.cursorTo("step:pause")
		h.Press("c") // copying from an old version works

		h.Press("esc")
		h.wantStatus("Back to the draft")
		if !bytes.Equal(sequence.Marshal(m.def), draft) || !m.Dirty() || m.old != nil {
			t.Fatalf("the draft after the old version (dirty %v):\n%s", m.Dirty(), sequence.Marshal(m.def))
		}
		h.wantView("Live  Active v2", "☎ Opening call")
		h.cursorTo("step:ring")
		h.Press("P") // between the call and the condition that reads its outcome
		h.wantStatus(`the condition "Reached?" reads the step right before it ("Opening call")`)
		h.cursorTo("start")
		h.Press("P")
		if st := m.def.Steps[0]; st.Type != sequence.Wait || st.ID == "pause" || st.ID == "" {
			t.Fatalf("pasted from version 1: %+v", st)
		}
	})
}

// A sequence never activated has no version to list.
func TestNoVersionsYet(t *testing.T) {
	e := newOrg(t)
	importSeq(t, e, movable, false)
	synctest.Test(t, func(t *testing.T) {
		h := open(t, e, "ada", "Movable", 100, 30)
		h.Press("H")
		h.wantStatus("Movable has no published version yet: activating it publishes version 1")
		if h.model().CapturesInput() {
			t.Fatal("no list opened")
		}
	})
}

// A paste is held to the sequence's step limit and to the nesting depth of conditions.
func TestPasteBounded(t *testing.T) {
	def := &sequence.Sequence{Name: "Big"}
	for range limits.Steps - 1 {
		def.Steps = append(def.Steps, sequence.Step{Type: sequence.Task})
	}
	def.AssignIDs()
	cond := sequence.Step{Type: sequence.Condition, If: sequence.FieldTest, Yes: []sequence.Step{{Type: sequence.Task}}, No: []sequence.Step{}}
	m := &Model{def: def, clip: &clipboard{step: cond, steps: 2, depth: 1}}
	at := spot{&def.Steps, 1, 0}
	if why := m.pasteRefusal(at); !strings.Contains(why, fmt.Sprintf("the sequence would have %d steps; the limit is %d", limits.Steps+1, limits.Steps)) {
		t.Fatalf("over the step limit: %q", why)
	}
	m.clip = &clipboard{step: sequence.Step{Type: sequence.Task}, steps: 1}
	if why := m.pasteRefusal(at); why != "" {
		t.Fatalf("up to the limit: %q", why)
	}
	m.def.Steps = m.def.Steps[:1]
	m.clip = &clipboard{step: cond, steps: 2, depth: 1}
	if why := m.pasteRefusal(spot{&def.Steps, 1, maxDepth}); !strings.Contains(why, "nested at most") {
		t.Fatalf("too deep: %q", why)
	}
	if why := m.pasteRefusal(spot{&def.Steps, 1, maxDepth - 1}); why != "" {
		t.Fatalf("as deep as allowed: %q", why)
	}
}

// BenchmarkEditRedraw is what every edit costs the designer: the tree redrawn and the draft
// validated, on a sequence at the step limit.
func BenchmarkEditRedraw(b *testing.B) {
	def := &sequence.Sequence{Name: "Big"}
	for range limits.Steps - 1 {
		def.Steps = append(def.Steps, sequence.Step{Type: sequence.Task})
	}
	def.Steps = append(def.Steps, sequence.Step{Type: sequence.Wait, Duration: time.Hour})
	def.AssignIDs()
	m := New(&common.Common{Styles: common.NewStyles(common.DefaultTheme(true), true)}, "Big").(*Model)
	m.def, m.env = def, formEnv{outcomes: sequence.DefaultCallOutcomes}
	m.SetSize(100, 30)
	for b.Loop() {
		m.rebuild()
	}
	if m.probCount != 1 {
		b.Fatalf("problems %d", m.probCount)
	}
}
