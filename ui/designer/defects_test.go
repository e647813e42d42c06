package designer

import (
	"context"
	"strings"
	"testing"
	"testing/synctest"

	"github.com/pacer-sales/pacer/engine/sequence"
)

// The defects found when the designer was tried as a new user would (issue 10, part 5).

const branchy = `name: Branchy
steps:
  - type: email
    id: hello
    template: intro
  - type: condition
    id: opened
    if: email_opened
    within: 2d
    yes: []
    no:
      - type: task
        id: chase
        name: Chase them
`

// The read-only designer's footer offers only the keys that work there.
func TestReadOnlyFooter(t *testing.T) {
	e := newOrg(t)
	importSeq(t, e, branchy, true)
	synctest.Test(t, func(t *testing.T) {
		h := open(t, e, "sam", "Branchy", 100, 30) // ada's: read only for sam
		var keys []string
		for _, b := range h.S.ShortHelp() {
			keys = append(keys, b.Help().Desc)
		}
		got := strings.Join(keys, ", ")
		for _, no := range []string{"add step", "edit", "delete", "save", "activate", "properties"} {
			if strings.Contains(got, no) {
				t.Errorf("read-only footer offers %q: %s", no, got)
			}
		}
		for _, g := range h.S.FullHelp() {
			for _, b := range g {
				if d := b.Help().Desc; d == "add step" || d == "save" || d == "connect" {
					t.Errorf("read-only full help offers %q", d)
				}
			}
		}
		// The owner sees the editing keys.
		h = open(t, e, "ada", "Branchy", 100, 30)
		keys = nil
		for _, b := range h.S.ShortHelp() {
			keys = append(keys, b.Help().Desc)
		}
		if !strings.Contains(strings.Join(keys, ", "), "add step") {
			t.Errorf("owner's footer: %v", keys)
		}
	})
}

// d on an empty branch's "(empty)" says there is nothing to delete there.
func TestDeleteOnEmptySays(t *testing.T) {
	e := newOrg(t)
	importSeq(t, e, branchy, false)
	synctest.Test(t, func(t *testing.T) {
		h := open(t, e, "ada", "Branchy", 100, 30)
		h.cursorTo("empty-yes:opened")
		h.Press("d")
		m := h.model()
		if !m.statusErr || !strings.Contains(m.status, "Nothing to delete here") {
			t.Fatalf("status %q (error %v)", m.status, m.statusErr)
		}
		h.wantView("✗ Nothing to delete here")
	})
}

// With NO_COLOR (the harness's styles have no colour) the focused answer of a yes/no field
// is still marked, and moves with ←→.
func TestYesNoMarkedWithoutColour(t *testing.T) {
	e := newOrg(t)
	importSeq(t, e, branchy, false)
	synctest.Test(t, func(t *testing.T) {
		h := open(t, e, "ada", "Branchy", 100, 30)
		h.cursorTo("step:hello")
		h.Press("a", "right", "enter")              // a condition after the email: email opened
		h.Press("enter", "enter", "enter", "enter") // name, description, kind, within 3d
		h.wantView("Take the Yes path as soon as it happens?")
		marked := func() string {
			for _, l := range strings.Split(h.View(), "\n") {
				if strings.Contains(l, "At once") {
					return l
				}
			}
			return ""
		}
		l := marked()
		if strings.Count(l, "▸") != 1 {
			t.Fatalf("no answer marked in %q", l)
		}
		onFirst := func(l string) bool { return strings.Index(l, "▸") < strings.Index(l, "At once") }
		first := onFirst(l)
		h.Press("left")
		if l2 := marked(); strings.Count(l2, "▸") != 1 || onFirst(l2) == first {
			t.Fatalf("the mark did not move: %q then %q", l, l2)
		}
	})
}

// Placeholders read as examples, and enter on an empty required field says what is missing.
func TestPlaceholdersAreExamples(t *testing.T) {
	e := newOrg(t)
	importSeq(t, e, branchy, false)
	synctest.Test(t, func(t *testing.T) {
		h := open(t, e, "ada", "Branchy", 100, 30)
		h.Press("a", "right", "right", "down", "enter") // Set stage
		h.wantView("Stage", "e.g. develop")
		h.Press("enter", "enter", "enter")
		h.wantView("The stage is required: type one, e.g. develop")
		if m := h.model(); m.mode != modeForm {
			t.Fatalf("a blank stage closed the form")
		}
	})
}

// The selected activation problem is shown in full at 80 columns, wrapped (it was cut).
func TestLongProblemWraps(t *testing.T) {
	e := newOrg(t)
	importSeq(t, e, `name: Ends waiting
steps:
  - type: call
    id: ring
  - type: wait
    id: pause
    duration: 1d
`, false)
	synctest.Test(t, func(t *testing.T) {
		h := open(t, e, "ada", "Ends waiting", 80, 24)
		h.Press("A")
		flat := strings.Join(strings.Fields(h.View()), " ")
		want := "a sequence can't end with a wait step; remove it or add a step after it"
		if !strings.Contains(flat, want) {
			t.Fatalf("problem not shown in full:\n%s", h.View())
		}
	})
}

const movable = `name: Movable
steps:
  - type: task
    id: first
    name: First
  - type: email
    id: hello
    template: intro
  - type: condition
    id: opened
    if: email_opened
    within: 2d
    yes:
      - type: task
        id: y1
        name: Y one
      - type: task
        id: y2
        name: Y two
    no: []
  - type: task
    id: last
    name: Last
`

// ids lists the step ids of a list, in order.
func ids(steps []sequence.Step) string {
	var out []string
	for _, s := range steps {
		out = append(out, s.ID)
	}
	return strings.Join(out, " ")
}

// Steps move up and down within their branch; a condition keeps the step it reads; undo
// and redo walk the edits, and undoing them all is not an unsaved change.
func TestMoveUndoRedo(t *testing.T) {
	e := newOrg(t)
	importSeq(t, e, movable, false)
	synctest.Test(t, func(t *testing.T) {
		h := open(t, e, "ada", "Movable", 100, 30)
		m := h.model()
		h.cursorTo("step:y2")
		h.Press("K")
		if got := ids(m.def.Steps[2].Yes); got != "y2 y1" || !m.Dirty() {
			t.Fatalf("after K: yes = %q, dirty %v", got, m.Dirty())
		}
		if h.selectedKey() != "step:y2" {
			t.Fatalf("cursor on %s", h.selectedKey())
		}
		h.Press("K")
		h.wantStatus("already the first of its branch")
		// The email can't leave the condition that reads it, nor the condition its email.
		h.cursorTo("step:hello")
		h.Press("J")
		h.wantStatus(`Can't move`)
		h.cursorTo("step:opened")
		h.Press("K")
		h.wantStatus(`reads the step before it`)
		h.cursorTo("step:first")
		h.Press("J")
		h.wantStatus(`Can't move`)
		h.cursorTo("step:last")
		h.Press("K") // it would come between the email and the condition that reads it
		h.wantStatus(`Can't move`)
		if got := ids(m.def.Steps); got != "first hello opened last" {
			t.Fatalf("a refused move changed the steps: %q", got)
		}
		// Undo: back to the loaded definition, not dirty; redo.
		h.Press("ctrl+z")
		if got := ids(m.def.Steps[2].Yes); got != "y1 y2" || m.Dirty() {
			t.Fatalf("after undo: yes %q dirty %v", got, m.Dirty())
		}
		h.Press("u")
		h.wantStatus("Nothing to undo")
		h.Press("ctrl+y")
		if got := ids(m.def.Steps[2].Yes); got != "y2 y1" || !m.Dirty() {
			t.Fatalf("after redo: yes %q dirty %v", got, m.Dirty())
		}
		// A new edit drops what was left to redo.
		h.cursorTo("step:y1")
		h.Press("K")
		h.Press("U")
		h.wantStatus("Nothing to redo")
	})
}

// Every edit is kept as the user's draft: a page opened again after one closed without
// saving (a killed terminal) offers to restore it; saving clears it.
func TestDraftRestoredAfterAKill(t *testing.T) {
	e := newOrg(t)
	importSeq(t, e, movable, false)
	synctest.Test(t, func(t *testing.T) {
		h := open(t, e, "ada", "Movable", 100, 30)
		h.cursorTo("step:y2")
		h.Press("K")
		h.wantView("● unsaved changes (kept as a draft)")
		// The page is dropped without saving; a new one opens.
		h2 := open(t, e, "ada", "Movable", 100, 30)
		h2.wantView("Restore the unsaved changes to Movable", "[r] restore them", "[d] discard them")
		h2.Press("r")
		m := h2.model()
		if got := ids(m.def.Steps[2].Yes); got != "y2 y1" || !m.Dirty() {
			t.Fatalf("restored yes %q dirty %v", got, m.Dirty())
		}
		h2.Press("ctrl+s")
		h2.wantStatus("Saved Movable")
		if got := ids(h2.stored("Movable").Def.Steps[2].Yes); got != "y2 y1" {
			t.Fatalf("stored yes %q", got)
		}
		h3 := open(t, e, "ada", "Movable", 100, 30)
		if strings.Contains(h3.View(), "Restore the unsaved") {
			t.Fatalf("a saved draft is offered again:\n%s", h3.View())
		}
		// Discarding clears it too.
		h3.cursorTo("step:y2")
		h3.Press("J")
		h4 := open(t, e, "ada", "Movable", 100, 30)
		h4.Press("d")
		h4.wantStatus("Unsaved changes discarded")
		if strings.Contains(open(t, e, "ada", "Movable", 100, 30).View(), "Restore the unsaved") {
			t.Fatal("a discarded draft is offered again")
		}
	})
}

// With NO_COLOR the Yes/No options of the sequence properties show which answer each
// holds by a sign, and ←→ moves it.
func TestPropertiesYesNoMarkedWithoutColour(t *testing.T) {
	e := newOrg(t)
	importSeq(t, e, branchy, false)
	synctest.Test(t, func(t *testing.T) {
		h := open(t, e, "ada", "Branchy", 100, 40)
		h.Press("p", "enter", "enter", "enter", "enter", "enter") // name … tags, who works the steps
		h.wantView("Options", "Exit when the customer replies to any email?")
		// marks says, for each Yes/No line, which answer carries the sign ("Yes", "No", or
		// "" when none or both do).
		marks := func() []string {
			var out []string
			for _, l := range strings.Split(h.View(), "\n") {
				y, n := strings.Index(l, "Yes"), strings.Index(l, "No")
				if y < 0 || n < 0 || n < y {
					continue
				}
				switch sign := strings.Index(l, "▸"); {
				case strings.Count(l, "▸") != 1:
					out = append(out, "")
				case sign < y:
					out = append(out, "Yes")
				case sign > y && sign < n:
					out = append(out, "No")
				default:
					out = append(out, "")
				}
			}
			return out
		}
		if got := strings.Join(marks(), " "); got != "No No No" {
			t.Fatalf("answers marked %q, want each on No:\n%s", got, h.View())
		}
		h.Press("left")
		if got := strings.Join(marks(), " "); got != "Yes No No" {
			t.Fatalf("after ←: %q\n%s", got, h.View())
		}
		h.Press("enter", "right")
		if got := strings.Join(marks(), " "); got != "Yes Yes No" {
			t.Fatalf("after enter and →: %q\n%s", got, h.View())
		}
		h.Press("enter", "enter")
		if o := h.model().def.Options; !o.ExitOnReply || !o.SkipNonWorkingDays || o.SendWhileAway {
			t.Fatalf("options = %+v", o)
		}
	})
}

// Saving ends the undo history: nothing is left to undo or redo past a save, so ctrl+z
// never reaches back into what was saved.
func TestSaveClearsUndoHistory(t *testing.T) {
	e := newOrg(t)
	importSeq(t, e, movable, false)
	synctest.Test(t, func(t *testing.T) {
		h := open(t, e, "ada", "Movable", 100, 30)
		m := h.model()
		h.cursorTo("step:y2")
		h.Press("K") // y2 y1
		h.cursorTo("step:y1")
		h.Press("K")      // y1 y2
		h.Press("ctrl+z") // one undone, one left to undo and one to redo
		if got := ids(m.def.Steps[2].Yes); got != "y2 y1" {
			t.Fatalf("after undo: %q", got)
		}
		h.Press("ctrl+s")
		h.wantStatus("Saved Movable (draft)")
		if m.Dirty() {
			t.Fatal("dirty after save")
		}
		h.Press("ctrl+z")
		h.wantStatus("Nothing to undo")
		h.Press("ctrl+y")
		h.wantStatus("Nothing to redo")
		if got := ids(m.def.Steps[2].Yes); got != "y2 y1" || m.Dirty() {
			t.Fatalf("after undo and redo past the save: %q dirty %v", got, m.Dirty())
		}
		if got := ids(h.stored("Movable").Def.Steps[2].Yes); got != "y2 y1" {
			t.Fatalf("stored %q", got)
		}
		// Edits after the save undo back to the saved state, not past it.
		h.cursorTo("step:y1")
		h.Press("K")
		h.Press("ctrl+z")
		if got := ids(m.def.Steps[2].Yes); got != "y2 y1" || m.Dirty() {
			t.Fatalf("undo after the save: %q dirty %v", got, m.Dirty())
		}
		h.Press("ctrl+z")
		h.wantStatus("Nothing to undo")
	})
}

// v on a valid sequence lists its warnings (an automated email without List-Unsubscribe
// when the org has neither tracking_url nor bounce_domain); they don't stop activation,
// and they go once the org has an unsubscribe address.
func TestCheckListsWarnings(t *testing.T) {
	e := newOrg(t)
	importSeq(t, e, windowed, false)
	synctest.Test(t, func(t *testing.T) {
		h := open(t, e, "ada", "Windowed", 120, 30)
		h.Press("v")
		h.wantView("No problems: the sequence can be activated; 1 warning(s)", "warning: automated emails go out without List-Unsubscribe")
		h.Press("esc")
		must(t, e.SetSetting(context.Background(), "ada", "bounce_domain", "bounce.example.com"))
		h.Press("v")
		h.wantStatus("No problems: the sequence can be activated")
		if strings.Contains(h.View(), "warning(s)") {
			t.Fatalf("the warning stayed:\n%s", h.View())
		}
		h.Press("A")
		h.wantStatus("Activated Windowed")
	})
}
