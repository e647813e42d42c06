package designer

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"testing/synctest"

	"github.com/pacer-sales/pacer/engine"
	"github.com/pacer-sales/pacer/engine/sequence"
	"github.com/pacer-sales/pacer/ui/common"
)

// live is a valid sequence, activated as version 1.
const live = `name: Live
steps:
  - type: call
    id: ring
    name: First call
  - type: condition
    id: reached
    name: Reached?
    if: call_outcome
    outcomes: [connected]
    yes:
      - type: task
        id: book
        name: Book a meeting
    no:
      - type: wait
        id: pause
        duration: 1d
      - type: task
        id: retry
        name: Try again
`

func TestPropertiesAssignmentChoices(t *testing.T) {
	e := newOrg(t)
	blank(t, e, "Props")
	synctest.Test(t, func(t *testing.T) {
		h := open(t, e, "ada", "Props", 100, 40)
		m := h.model()

		// Name, description, record type, tags; then a record field holds the user.
		h.Press("p")
		h.wantView("Sequence properties", "Record type", "Lead", "Opportunity", "Other record type…")
		for range len("Props") {
			h.Press("backspace")
		}
		h.Type("Renamed")
		h.Press("enter")
		h.Type("Calls first")
		h.Press("enter", "down", "enter")
		h.Type("outbound, q3")
		h.Press("enter")
		h.wantView("Who works the steps", "Record owner", "User in a record field", "Owner team members", "Access team members")
		h.Press("down", "enter")
		h.wantView("Record field holding the user")
		h.Type("account_manager")
		h.Press("enter", "y", "enter", "enter") // exit on reply: yes; the other two options: no
		want := sequence.Sequence{Name: "Renamed", Description: "Calls first", Entity: "opportunity", Tags: []string{"outbound", "q3"},
			Assign:  sequence.Assign{To: sequence.AssignRecordField, Field: "account_manager"},
			Options: sequence.Options{ExitOnReply: true}}
		got := *m.def
		got.Steps = nil
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("properties = %+v\nwant %+v", got, want)
		}
		h.wantView("Renamed  Draft · Opportunity · owner ada  ● unsaved changes")

		// Owner team members with a role and a territory; working time only.
		h.Press("p", "enter", "enter", "enter", "enter")
		h.Press("down", "enter")
		h.wantView("Assignment: team members", "Member role", "Territory")
		h.Type("sales rep")
		h.Press("enter", "enter")
		h.Type("West")
		h.Press("enter", "enter", "y", "enter")
		if a := m.def.Assign; a.To != sequence.AssignOwnerTeam || a.Field != "" || !reflect.DeepEqual(a.Members, map[string]string{"role": "sales rep", "territory": "West"}) {
			t.Fatalf("owner team assignment = %+v", a)
		}
		if m.def.Options != (sequence.Options{ExitOnReply: true, SkipNonWorkingDays: true}) {
			t.Fatalf("options = %+v", m.def.Options)
		}

		// Access team members by title (the form shows the current conditions).
		h.Press("p", "enter", "enter", "enter", "enter", "down", "enter")
		for range len("sales rep") {
			h.Press("backspace")
		}
		h.Press("enter")
		h.Type("Account Executive")
		h.Press("enter", "enter", "enter", "enter", "enter")
		if a := m.def.Assign; a.To != sequence.AssignAccessTeam || !reflect.DeepEqual(a.Members, map[string]string{"title": "Account Executive", "territory": "West"}) {
			t.Fatalf("access team assignment = %+v", a)
		}

		// Back to the record owner (the default, written as nothing) and a custom record type.
		h.Press("p", "enter", "enter", "down", "down", "down", "enter", "enter")
		h.wantView("Custom record type")
		h.Type("Partner")
		h.Press("enter")
		h.wantView("use lowercase letters")
		for range len("Partner") {
			h.Press("backspace")
		}
		h.Type("partner")
		h.Press("enter", "up", "up", "up", "enter", "enter", "enter", "enter")
		if m.def.Assign.To != "" || m.def.Assign.Members != nil || m.def.Entity != "partner" {
			t.Fatalf("assign %+v entity %q", m.def.Assign, m.def.Entity)
		}

		// Saved, the properties reach the engine; the page follows the new name.
		h.Press("ctrl+s")
		h.wantStatus("Saved Renamed (draft)")
		d := h.stored("Renamed")
		if d.Def.Entity != "partner" || d.Def.Description != "Calls first" || !d.Def.Options.ExitOnReply || d.State != engine.StateDraft {
			t.Fatalf("stored %+v / %+v", d.Sequence, d.Def)
		}
		if m.name != "Renamed" || m.Dirty() {
			t.Fatalf("name %q dirty %v after save", m.name, m.Dirty())
		}
	})
}

func TestActiveSequenceKeepsItsAssignment(t *testing.T) {
	e := newOrg(t)
	importSeq(t, e, live, true)
	synctest.Test(t, func(t *testing.T) {
		h := open(t, e, "ada", "Live", 100, 40)
		m := h.model()
		h.Press("p", "enter")
		h.Type("Calls")
		h.Press("enter", "enter", "enter")
		h.wantView("The record owner.", "Deactivate the sequence before assigning it.")
		h.Press("enter", "enter", "enter", "enter") // the note, then the three options
		if m.def.Description != "Calls" || m.def.Assign.Rule() != sequence.AssignRecordOwner {
			t.Fatalf("def = %+v", m.def)
		}
	})
}

func TestSaveKeepsDraftADraft(t *testing.T) {
	e := newOrg(t)
	blank(t, e, "Draft one")
	synctest.Test(t, func(t *testing.T) {
		h := open(t, e, "ada", "Draft one", 100, 30)
		m := h.model()
		h.Press("ctrl+s")
		h.wantStatus("No changes to save")
		h.Press("a", "down", "down", "down", "down", "enter", "enter", "enter") // a phone call
		h.wantView("● unsaved changes")
		h.Press("ctrl+s")
		h.wantStatus("Saved Draft one (draft)")
		if m.Dirty() || m.seq.State != engine.StateDraft {
			t.Fatalf("dirty %v state %s", m.Dirty(), m.seq.State)
		}
		if strings.Contains(h.View(), "unsaved") {
			t.Fatal("title still says unsaved")
		}
		d := h.stored("Draft one")
		if d.State != engine.StateDraft || d.Version != 0 || len(d.Versions) != 0 || d.Steps != 1 || d.Def.Steps[0].ID != "call-1" {
			t.Fatalf("stored %+v", d.Sequence)
		}
	})
}

func TestSaveActiveAsksANoteAndPublishesAVersion(t *testing.T) {
	e := newOrg(t)
	importSeq(t, e, live, true)
	synctest.Test(t, func(t *testing.T) {
		h := open(t, e, "ada", "Live", 100, 30)
		m := h.model()
		h.wantView("Live  Active v1 · Lead · owner ada")
		h.cursorTo("step:ring")
		h.Press("e")
		for range len("First call") {
			h.Press("backspace")
		}
		h.Type("Opening call")
		h.Press("enter", "enter")
		h.Press("ctrl+s")
		h.wantView("Save a new version", "What changed?", "publishes version 2")
		if !m.CapturesInput() {
			t.Fatal("the note form must capture input")
		}
		h.Type("clearer name")
		h.Press("enter")
		h.wantStatus("Saved Live: version 2 is live for new connections")
		d := h.stored("Live")
		if d.State != engine.StateActive || d.Version != 2 || len(d.Versions) != 2 || d.Versions[1].Note != "clearer name" || d.Versions[1].By != "ada" {
			t.Fatalf("stored %+v versions %+v", d.Sequence, d.Versions)
		}
		if d.Def.Steps[0].Name != "Opening call" || m.Dirty() {
			t.Fatalf("stored step %+v, dirty %v", d.Def.Steps[0], m.Dirty())
		}
		h.wantView("Live  Active v2")

		// A change that breaks an active sequence is not saved: the problems are listed at
		// once, before any change note is asked for.
		h.cursorTo("step:retry")
		h.Press("d", "ctrl+s")
		if strings.Contains(h.View(), "Save a new version") {
			t.Fatalf("an invalid change asks for its note first:\n%s", h.View())
		}
		h.wantView("Not saved: an active sequence must stay valid; 1 problem(s)", "steps[1].no[0] (pause) [wait_last] a sequence can't end with a wait step")
		if !m.Dirty() || m.mode != modeProblems {
			t.Fatalf("dirty %v mode %v", m.Dirty(), m.mode)
		}
		if d := h.stored("Live"); d.Version != 2 || countSteps(d.Def.Steps) != 5 {
			t.Fatalf("stored after a refused save: v%d, %d steps", d.Version, countSteps(d.Def.Steps))
		}
		// A on an active sequence with edits saves like ctrl+s: checked first, so the
		// invalid edit is refused without asking for a note.
		h.Press("esc", "A")
		h.wantView("Not saved: an active sequence must stay valid; 1 problem(s)")
		if strings.Contains(h.View(), "Save a new version") {
			t.Fatalf("A on an invalid edit asks for its note:\n%s", h.View())
		}
	})
}

func TestActivateListsEveryProblemAndJumpsToTheStep(t *testing.T) {
	e := newOrg(t)
	importSeq(t, e, `name: Broken
steps:
  - type: call
    id: ring
  - type: condition
    id: opened
    if: email_opened
    within: 2d
    yes: []
    no:
      - type: wait
        id: pause
        duration: 1d
`, false)
	synctest.Test(t, func(t *testing.T) {
		h := open(t, e, "ada", "Broken", 100, 30)
		m := h.model()
		// An unsaved edit first: A saves it, then activation fails.
		h.cursorTo("step:ring")
		h.Press("e")
		h.Type("Ring")
		h.Press("enter", "enter")
		h.Press("A")
		h.wantStatus("Can't activate Broken: 2 problem(s) (the draft is saved)")
		h.wantView("steps[1] (opened) [condition_source] ", "steps[1].no[0] (pause) [wait_last] ", "enter go to the step")
		if m.mode != modeProblems || !m.CapturesInput() {
			t.Fatalf("mode %v", m.mode)
		}
		if d := h.stored("Broken"); d.State != engine.StateDraft || d.Def.Steps[0].Name != "Ring" || m.Dirty() {
			t.Fatalf("stored %s %+v dirty %v", d.State, d.Def.Steps[0], m.Dirty())
		}
		h.Press("down", "enter")
		if h.selectedKey() != "step:pause" || m.mode != modeNormal {
			t.Fatalf("cursor on %s, mode %v", h.selectedKey(), m.mode)
		}
		h.wantStatus("wait")
		h.Press("up", "up") // back to the list with v, then the first problem
		h.Press("v")
		h.wantView("2 problem(s) to fix before activating")
		h.Press("enter")
		if h.selectedKey() != "step:opened" {
			t.Fatalf("cursor on %s", h.selectedKey())
		}

		// Fixed (the condition and its wait dropped), A activates as version 1.
		h.Press("d", "d", "A")
		h.wantStatus("Activated Broken (version 1)")
		d := h.stored("Broken")
		if d.State != engine.StateActive || d.Version != 1 || len(d.Def.Steps) != 1 {
			t.Fatalf("stored %+v", d.Sequence)
		}
		h.wantView("Broken  Active v1")
		h.Press("A")
		h.wantStatus("Broken is already active (version 1)")
		h.Press("v")
		h.wantStatus("No problems")
	})
}

func TestBackAsksWhileDirty(t *testing.T) {
	e := newOrg(t)
	importSeq(t, e, live, false)
	synctest.Test(t, func(t *testing.T) {
		h := open(t, e, "ada", "Live", 100, 30)
		m := h.model()
		if m.CapturesInput() {
			t.Fatal("the tree must leave global keys to the root")
		}
		h.Press("d") // the start line: nothing deleted
		h.cursorTo("step:retry")
		h.Press("d")
		if !m.Dirty() {
			t.Fatal("not dirty after a delete")
		}
		h.Press("esc")
		h.wantView("Discard unsaved changes to Live?", "[y] discard and leave", "[n] stay")
		if !m.CapturesInput() || h.sawMsg(common.BackMsg{}) {
			t.Fatal("esc left at once")
		}
		h.Press("n")
		if m.mode != modeNormal || !m.Dirty() || h.sawMsg(common.BackMsg{}) {
			t.Fatal("n did not stay")
		}
		h.Press("esc", "y")
		if !h.sawMsg(common.BackMsg{}) {
			t.Fatal("y did not go back")
		}

		// Without edits esc goes back at once.
		h2 := open(t, e, "ada", "Live", 100, 30)
		h2.Press("esc")
		if !h2.sawMsg(common.BackMsg{}) {
			t.Fatal("esc without edits did not go back")
		}
		// The picker, forms and questions keep the keys from the root.
		h2.Press("a")
		if !h2.model().CapturesInput() {
			t.Fatal("the picker must capture input")
		}
		h2.Press("esc")
		if h2.model().CapturesInput() || h2.model().Dirty() {
			t.Fatal("esc in the picker")
		}
	})
}

func TestSellersSeeOthersSequencesReadOnly(t *testing.T) {
	e := newOrg(t)
	importSeq(t, e, live, true)
	_, err := e.NewSequence(context.Background(), "sam", "Sam's own", "", "")
	must(t, err)
	synctest.Test(t, func(t *testing.T) {
		h := open(t, e, "sam", "Live", 100, 30)
		m := h.model()
		h.wantView("Live  Active v1 · Lead · owner ada  [read only]")
		before := countSteps(m.def.Steps)
		h.cursorTo("step:reached")
		for _, k := range []string{"a", "+", "e", "enter", "d", "p", "ctrl+s", "A"} {
			m.status = ""
			h.Press(k)
			h.wantStatus("Read only: Live belongs to ada; you can view it but not change it")
			if m.mode != modeNormal || m.Dirty() || countSteps(m.def.Steps) != before {
				t.Fatalf("%s: mode %v dirty %v", k, m.mode, m.Dirty())
			}
		}
		// Moving and the other tabs still work.
		h.Press("down", "tab")
		h.wantView("[Connected records (0)]")

		own := open(t, e, "sam", "Sam's own", 100, 30)
		own.Press("a")
		if own.model().mode != modePicker {
			t.Fatal("a seller can't add to their own sequence")
		}
	})
}

func TestConnectedRecordsConnectAndDisconnect(t *testing.T) {
	e := newOrg(t)
	importSeq(t, e, live, true)
	synctest.Test(t, func(t *testing.T) {
		h := open(t, e, "ada", "Live", 100, 30)
		m := h.model()
		h.Press("tab")
		h.wantView("[Connected records (0)]", "No record is connected to this sequence yet. c connects records.")
		// c opens the record picker: search as you type, tab marks, enter connects.
		h.Press("c")
		h.wantView("Connect records to Live", "search:", "lead/L-1  Ann Lee", "lead/L-3  Cy Dee")
		h.Press("tab") // Ann
		h.Type("bob")
		h.wantView("lead/L-2  Bob Ray")
		if strings.Contains(h.View(), "Cy Dee") {
			t.Fatalf("the search kept others:\n%s", h.View())
		}
		h.Press("tab")
		h.wantView("2 marked: lead/L-1 lead/L-2")
		h.Press("enter")
		h.wantStatus("Connected 2 record(s) to Live")
		if len(m.conn.rows) != 2 {
			t.Fatalf("%d rows", len(m.conn.rows))
		}
		const table = `  Record          Name               Ver  Current step              State                       Days
› lead/L-1        Ann Lee              1  First call                active                       0.0
  lead/L-2        Bob Ray              1  First call                active                       0.0`
		if v := h.View(); !strings.Contains(v, table) {
			t.Fatalf("table:\n%s\nwant:\n%s", v, table)
		}

		// x asks, then disconnects the selected record.
		h.Press("down", "x")
		h.wantView("Disconnect lead/L-2 (Bob Ray) from Live?", "[y] disconnect")
		h.Press("n")
		if m.conn.rows[1].State != "active" {
			t.Fatal("n disconnected")
		}
		h.Press("x", "y")
		h.wantStatus("Disconnected lead/L-2")
		// The reason goes with the state, not in the step column; the tab counts the active
		// connections (as the home grid does) and the ended apart.
		h.wantView("[Connected records (1 active, 1 ended)]")
		for _, l := range strings.Split(plain(h.View()), "\n") {
			if strings.Contains(l, "lead/L-2  ") && (!strings.Contains(l, "—  ") || !strings.Contains(l, "disconnected: manual")) {
				t.Fatalf("disconnected row %q", l)
			}
		}
		h.Press("x")
		h.wantStatus("lead/L-2 is disconnected; only active connections can be disconnected")

		// A refused connection says why and keeps the picker with what was chosen and
		// typed (Ann is active already).
		h.Press("c")
		h.Type("ann")
		h.Press("tab", "enter")
		h.wantView("✗ nothing connected", "1 marked: lead/L-1", "search: ann")
		if m.mode != modeRecords {
			t.Fatalf("the refused choice closed the picker (mode %v)", m.mode)
		}
		h.Press("esc")

		// Changes made elsewhere show on ChangedMsg.
		if _, err := e.Connect(context.Background(), "ada", "Live", []string{"lead/L-3"}); err != nil {
			t.Fatal(err)
		}
		h.Send(common.ChangedMsg{})
		h.wantView("[Connected records (2 active, 1 ended)]", "Cy Dee")

		// Tabs: tab/shift+tab and ] / [ wrap around.
		h.Press("tab")
		h.wantView("[Stats]")
		h.Press("]")
		h.wantView("[Designer]")
		h.Press("[", "[")
		h.wantView("[Connected records (2 active, 1 ended)]")
		h.Press("shift+tab")
		h.wantView("[Designer]")
	})
}

func TestStatsCountStatesStepsAndSuccess(t *testing.T) {
	e := newOrg(t)
	importSeq(t, e, live, true)
	ctx := context.Background()
	if _, err := e.Connect(ctx, "ada", "Live", []string{"lead/L-1", "lead/L-2", "lead/L-3"}); err != nil {
		t.Fatal(err)
	}
	tasks, err := e.Tasks(ctx, "ada", engine.TaskQuery{All: true, Due: engine.DueAll})
	must(t, err)
	for _, tk := range tasks {
		switch tk.Record {
		case "lead/L-1":
			_, err = e.ActOnTask(ctx, "ada", tk.ID, engine.TaskAction{Kind: engine.ActDone, Outcome: "connected"})
		case "lead/L-2":
			_, err = e.ActOnTask(ctx, "ada", tk.ID, engine.TaskAction{Kind: engine.ActSkip})
		}
		must(t, err)
	}
	must(t, e.Disconnect(ctx, "ada", "Live", []string{"lead/L-3"}))
	synctest.Test(t, func(t *testing.T) {
		h := open(t, e, "ada", "Live", 100, 30)
		h.Press("tab", "tab")
		h.wantView("[Stats]",
			"Connections  3 in all: active 2 · completed 0 · disconnected 1",
			"Success rate  0% (0 of 1 ended connections completed)")
		// The funnel: the tree with each step's entries as a bar, then done · skipped ·
		// waiting; the condition's decisions count as done (they showed Done 0).
		v := plain(h.View())
		for _, l := range []string{
			"  ├─ ☎ First call                               ████████████    3  1 · 1 · 0",
			"  └─ ◆ Reached?                                 ████████░░░░    2  2 · 0 · 0  yes 1 · no 1",
			"     │  └─ ☐ Book a meeting                     ████░░░░░░░░    1  0 · 0 · 1",
			"        ├─ ◷ Wait                               ████░░░░░░░░    1  0 · 0 · 1",
			"        └─ ☐ Try again                          ░░░░░░░░░░░░    0  0 · 0 · 0",
		} {
			if !strings.Contains(v, l) {
				t.Fatalf("stats:\n%s\nwant a line:\n%s", v, l)
			}
		}
	})
}
