package designer

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/pacer-sales/pacer/engine"
	"github.com/pacer-sales/pacer/engine/sequence"
)

// blank creates an empty draft sequence owned by ada.
func blank(t *testing.T, e *engine.Engine, name string) {
	t.Helper()
	_, err := e.NewSequence(context.Background(), "ada", name, "", "")
	must(t, err)
}

func TestAddOneStepOfEachGroupAndInsideBranches(t *testing.T) {
	e := newOrg(t)
	blank(t, e, "Build")
	synctest.Test(t, func(t *testing.T) {
		h := open(t, e, "ada", "Build", 100, 30)
		h.wantView("Build", "Draft", "Sequence starts here", "No steps yet")
		if h.model().Dirty() {
			t.Fatal("dirty before any edit")
		}

		// Steps: an email with a template, after the start.
		h.Press("a")
		h.wantView("Add a step at the start", "[Steps]", "Email", "Automated email")
		h.Press("enter")
		h.wantView("Add: Email — at the start", "Name", "Template")
		h.Type("Intro email")
		h.Press("enter", "enter", "down", "enter")
		m := h.model()
		if m.mode != modeNormal {
			t.Fatalf("mode %v after submitting the form", m.mode)
		}
		want := sequence.Step{Type: sequence.Email, ID: "email-1", Name: "Intro email", Template: "intro"}
		if !reflect.DeepEqual(m.def.Steps[0], want) {
			t.Fatalf("step = %+v, want %+v", m.def.Steps[0], want)
		}
		if h.selectedKey() != "step:email-1" || !m.Dirty() {
			t.Fatalf("cursor on %s, dirty %v", h.selectedKey(), m.Dirty())
		}
		h.wantStatus("Added Intro email")

		// Conditions: after the email the kind defaults to "email opened".
		h.Press("+", "right")
		h.wantView("[Conditions]")
		h.Press("enter")
		h.Type("Opened?")
		h.Press("enter", "enter", "enter") // name, description, kind
		h.wantView("Email event", "Within")
		h.Press("enter", "enter") // within 3d, at once
		cond := m.def.Steps[1]
		if cond.Type != sequence.Condition || cond.If != sequence.EmailOpened || cond.Within != 72*time.Hour || cond.Name != "Opened?" || cond.ID != "condition-1" {
			t.Fatalf("condition = %+v", cond)
		}
		h.wantView("◆ Opened?", "if opened within 3d", "├─ Yes", "└─ No", "(empty)")

		// Commands: inside the empty Yes branch, from its placeholder.
		h.cursorTo("empty-yes:condition-1")
		h.wantView("a adds a step here")
		h.Press("a", "right", "right")
		h.wantView("[Commands]", "Update field", "Set stage", "Advance to another sequence")
		h.Press("enter")
		h.wantView("first in Yes of Opened?")
		h.Press("enter", "enter")
		h.Type("status")
		h.Press("enter")
		h.Type("hot")
		h.Press("enter")
		if got := m.def.Steps[1].Yes; len(got) != 1 || got[0].Type != sequence.UpdateField || got[0].Field != "status" || got[0].Value != "hot" {
			t.Fatalf("yes = %+v", got)
		}
		if h.selectedKey() != "step:update-field-1" {
			t.Fatalf("cursor on %s", h.selectedKey())
		}

		// LinkedIn: inside the empty No branch (← wraps from Steps to LinkedIn).
		h.cursorTo("empty-no:condition-1")
		h.Press("a", "left")
		h.wantView("[LinkedIn]", "LinkedIn: research", "LinkedIn: send InMail")
		h.Press("down", "enter")
		h.Type("Ask Kim for an intro")
		h.Press("enter", "enter")
		if got := m.def.Steps[1].No; len(got) != 1 || got[0].Type != sequence.LinkedInIntroduce || got[0].Name != "Ask Kim for an intro" {
			t.Fatalf("no = %+v", got)
		}

		// A wait after the LinkedIn step, then a set_stage at the top of the Yes branch
		// (from its heading) and a call after the start.
		h.Press("a")
		for range 6 {
			h.Press("down")
		}
		h.Press("enter", "enter", "enter")
		h.Type("1d12h")
		h.Press("enter")
		if got := m.def.Steps[1].No[1]; got.Type != sequence.Wait || got.Duration != 36*time.Hour {
			t.Fatalf("wait = %+v", got)
		}
		h.cursorTo("yes:condition-1")
		h.Press("a", "right", "right", "down", "enter", "enter", "enter")
		h.Type("develop")
		h.Press("enter")
		if got := m.def.Steps[1].Yes[0]; got.Type != sequence.SetStage || got.Stage != "develop" {
			t.Fatalf("yes[0] = %+v", got)
		}
		h.cursorTo("start")
		h.Press("a", "down", "down", "down", "down", "enter", "enter", "enter")
		if got := m.def.Steps[0]; got.Type != sequence.Call || got.ID != "call-1" {
			t.Fatalf("steps[0] = %+v", got)
		}

		const tree = `  ● Sequence starts here
› ├─ ☎ Phone call
  ├─ ✉ Intro email  email · template intro
  └─ ◆ Opened?  condition · if opened within 3d
     ├─ Yes
     │  ├─ ⚑ Set stage  stage → develop
     │  └─ ✎ Update field  set status = hot
     └─ No
        ├─ in Ask Kim for an intro  LinkedIn introduction
 !      └─ ◷ Wait  wait 1d12h` // a branch can't end with a wait: marked
		if v := h.View(); !strings.Contains(v, tree) {
			t.Fatalf("tree:\n%s\nwant:\n%s", v, tree)
		}
		h.wantView("Build  Draft · Lead · owner ada  ● unsaved changes")
	})
}

func TestConditionKindsThroughTheForm(t *testing.T) {
	e := newOrg(t)
	importSeq(t, e, `name: Kinds
steps:
  - type: call
    id: c1
  - type: task
    id: t1
`, false)
	synctest.Test(t, func(t *testing.T) {
		h := open(t, e, "ada", "Kinds", 100, 40)
		m := h.model()

		// After a call the kind defaults to call_outcome with "connected" chosen; add busy.
		h.cursorTo("step:c1")
		h.Press("a", "right", "enter", "enter", "enter", "enter")
		h.wantView("Call outcome", "connected", "left_voicemail", "wrong_number")
		h.Press("down", "down", "down", "x", "enter")
		c := m.def.Steps[1]
		if c.If != sequence.CallOutcome || !reflect.DeepEqual(c.Outcomes, []string{"connected", "busy"}) {
			t.Fatalf("call condition = %+v", c)
		}
		h.wantView("if call outcome is connected or busy")

		// Edit it into a field test: kind is the third field of the first page.
		h.cursorTo("step:" + c.ID)
		h.Press("e", "enter", "enter")
		h.Press("down", "enter") // call outcome → record field test

		h.wantView("Record field test", "Operator")
		h.Type("score")
		h.Press("enter", "right", "right", "enter") // eq → ne → gt
		h.Type("50")
		h.Press("enter")
		h.Type("region in EMEA, APAC")
		h.Press("enter", "right", "enter") // more tests; any holds
		c = m.def.Steps[1]
		wantTest := sequence.Test{Any: []sequence.Test{
			{Field: "score", Op: sequence.OpGt, Value: 50.0},
			{Field: "region", Op: sequence.OpIn, Value: []any{"EMEA", "APAC"}},
		}}
		if c.If != sequence.FieldTest || !reflect.DeepEqual(c.Test, wantTest) || len(c.Outcomes) != 0 {
			t.Fatalf("field condition = %+v", c)
		}
		if h.selectedKey() != "step:"+c.ID {
			t.Fatalf("cursor on %s after the edit", h.selectedKey())
		}
		h.wantView("if any(score gt 50, region in EMEA, APAC)")

		// A stage condition after the task.
		h.cursorTo("step:t1")
		h.Press("a", "right", "enter", "enter", "enter")
		h.Press("down", "enter") // field → stage
		h.Type("develop, propose")
		h.Press("enter")
		s := m.def.Steps[3]
		if s.If != sequence.StageIs || !reflect.DeepEqual(s.Stages, []string{"develop", "propose"}) {
			t.Fatalf("stage condition = %+v", s)
		}

		// An email_events condition at the start: opened and clicked, any, 2d, waiting.
		h.cursorTo("start")
		h.Press("a", "right", "enter", "enter", "enter")
		h.Press("up", "up", "enter") // field → call_outcome → email_events
		h.Press("x", "down", "down", "x", "enter")
		h.Press("down", "enter", "backspace", "backspace")
		h.Type("2d")
		h.Press("enter", "right", "enter")
		ev := m.def.Steps[0]
		f := false
		wantEv := sequence.Step{Type: sequence.Condition, ID: ev.ID, If: sequence.EmailEvents,
			Events: []sequence.Kind{sequence.EmailOpened, sequence.LinkClicked}, Match: sequence.MatchAny,
			Within: 48 * time.Hour, Early: &f, Yes: []sequence.Step{}, No: []sequence.Step{}}
		if !reflect.DeepEqual(ev, wantEv) {
			t.Fatalf("events condition = %+v\nwant %+v", ev, wantEv)
		}
		h.wantView("if any of opened, clicked within 2d (waits out the window)")

		// A wrong duration keeps the form open with the reason.
		h.cursorTo("step:t1")
		h.Press("a", "down", "down", "down", "down", "down", "down", "enter", "enter", "enter")
		h.Type("3x")
		h.Press("enter")
		h.wantView("want forms like 3d")
		if m.mode != modeForm {
			t.Fatal("form closed on a bad duration")
		}
		h.Press("backspace", "backspace")
		h.Type("45d")
		h.Press("enter")
		h.wantView("at most 30d")
		h.Press("esc")
		if m.mode != modeNormal || len(m.def.Steps) != 5 {
			t.Fatalf("esc: mode %v, %d steps", m.mode, len(m.def.Steps))
		}
		h.wantStatus("Canceled")
	})
}

func TestEditKeepsIDBranchesAndCursor(t *testing.T) {
	e := newOrg(t)
	importSeq(t, e, `name: Edit me
steps:
  - type: call
    id: first-call
  - type: condition
    id: reached
    if: call_outcome
    outcomes: [connected]
    yes:
      - type: task
        id: book
    no: []
  - type: wait
    id: pause
    duration: 2d
  - type: email
    id: last
    template: intro
`, false)
	synctest.Test(t, func(t *testing.T) {
		h := open(t, e, "ada", "Edit me", 100, 30)
		m := h.model()
		h.cursorTo("step:reached")
		h.Press("enter")
		h.wantView("Edit: Condition (reached)")
		h.Type("Reached them?")
		h.Press("enter", "enter", "enter", "enter")
		c := m.def.Steps[1]
		if c.ID != "reached" || c.Name != "Reached them?" || len(c.Yes) != 1 || c.Yes[0].ID != "book" {
			t.Fatalf("edited condition = %+v", c)
		}
		if h.selectedKey() != "step:reached" {
			t.Fatalf("cursor on %s", h.selectedKey())
		}
		// e edits too; change the wait.
		h.cursorTo("step:pause")
		h.Press("e", "enter", "enter")
		h.Press("backspace", "backspace")
		h.Type("4h")
		h.Press("enter")
		if m.def.Steps[2].Duration != 4*time.Hour || m.def.Steps[2].ID != "pause" {
			t.Fatalf("wait = %+v", m.def.Steps[2])
		}
		h.wantView("◷ Wait  wait 4h")
		// enter on a branch heading edits nothing and says so.
		h.cursorTo("no:reached")
		h.Press("enter")
		h.wantStatus("Select a step to edit it")
	})
}

func TestDeleteRules(t *testing.T) {
	e := newOrg(t)
	importSeq(t, e, `name: Deletes
steps:
  - type: call
    id: call
    name: Intro call
  - type: condition
    id: reached
    name: Reached?
    if: call_outcome
    outcomes: [connected]
    yes:
      - type: task
        id: book
      - type: email
        id: mail
        template: intro
      - type: condition
        id: opened
        name: Opened?
        if: email_opened
        within: 2d
        yes: []
        no: []
    no:
      - type: wait
        id: pause
        duration: 1d
      - type: task
        id: retry
  - type: task
    id: check
  - type: condition
    id: by-field
    if: field
    field: status
    op: eq
    value: hot
    yes: []
    no:
      - type: task
        id: cool
`, false)
	synctest.Test(t, func(t *testing.T) {
		h := open(t, e, "ada", "Deletes", 100, 40)
		m := h.model()

		// A call a call_outcome condition reads can't go first.
		h.cursorTo("step:call")
		h.Press("d")
		h.wantStatus(`Can't delete "Intro call": the condition "Reached?" right after it checks its call outcome`)
		if !m.statusErr || m.Dirty() || len(m.def.Steps) != 4 {
			t.Fatal("the call was deleted or not refused as an error")
		}
		h.wantView(`✗ Can't delete "Intro call"`)
		// Nor an email an email condition reads.
		h.cursorTo("step:mail")
		h.Press("d")
		h.wantStatus("waits for events of its email")

		// A condition with empty branches goes at once; so does the email then.
		h.cursorTo("step:opened")
		h.Press("d")
		h.wantStatus("Deleted Opened?")
		h.cursorTo("step:mail")
		h.Press("d")
		h.wantStatus("Deleted Email")

		// A step before a field condition may go: the condition reads the record, not it.
		h.cursorTo("step:check")
		h.Press("d")
		if _, ok := locate(m.def, "check"); ok {
			t.Fatal("task before a field condition not deleted")
		}

		// A condition with steps asks; esc keeps it.
		h.cursorTo("step:reached")
		h.Press("d")
		h.wantView(`Delete condition "Reached?"? Its branches hold 3 step(s) (Yes 1, No 2).`, "[d] delete with both branches", "[y] keep the Yes steps", "[n] keep the No steps")
		if !m.CapturesInput() {
			t.Fatal("a question must capture input")
		}
		h.Press("esc")
		if _, ok := locate(m.def, "reached"); !ok {
			t.Fatal("esc deleted the condition")
		}
		// n keeps the No steps in its place; the call may then go too.
		h.Press("d", "n")
		var ids []string
		for _, s := range m.def.Steps {
			ids = append(ids, s.ID)
		}
		if strings.Join(ids, ",") != "call,pause,retry,by-field" {
			t.Fatalf("steps after keeping No: %v", ids)
		}
		h.wantStatus("its No steps took its place")

		// d drops both branches.
		h.cursorTo("step:by-field")
		h.Press("d", "d")
		if len(m.def.Steps) != 3 || countSteps(m.def.Steps) != 3 {
			t.Fatalf("steps after dropping branches: %+v", m.def.Steps)
		}
		// Nothing to delete on the start line.
		h.cursorTo("start")
		h.Press("d")
		h.wantStatus("Nothing to delete here")
		if !m.Dirty() {
			t.Fatal("deletes must mark the page dirty")
		}
	})
}

func TestDeleteConditionKeepYes(t *testing.T) {
	e := newOrg(t)
	importSeq(t, e, `name: Keep yes
steps:
  - type: task
    id: a
  - type: condition
    id: c
    if: stage
    stages: [develop]
    yes:
      - type: task
        id: y1
      - type: task
        id: y2
    no:
      - type: task
        id: n1
  - type: task
    id: z
`, false)
	synctest.Test(t, func(t *testing.T) {
		h := open(t, e, "ada", "Keep yes", 100, 30)
		m := h.model()
		h.cursorTo("step:c")
		h.Press("d", "y")
		var ids []string
		for _, s := range m.def.Steps {
			ids = append(ids, s.ID)
		}
		if strings.Join(ids, ",") != "a,y1,y2,z" {
			t.Fatalf("steps: %v", ids)
		}
	})
}

func TestFormsOfferTemplatesAndTargetsThatFit(t *testing.T) {
	e := newOrg(t)
	importSeq(t, e, live, true)
	importSeq(t, e, "name: Accounts\nentity: account\nsteps:\n  - type: task\n", true)
	importSeq(t, e, "name: Parked\nsteps:\n  - type: task\n", false)
	blank(t, e, "Router")
	synctest.Test(t, func(t *testing.T) {
		h := open(t, e, "ada", "Router", 100, 30)
		m := h.model()
		// An automated text offers the SMS templates only, and needs one.
		h.Press("a", "down", "down", "down", "enter", "enter", "enter")
		h.wantView("Template (sent automatically)", "ping")
		if strings.Contains(h.View(), "intro") || strings.Contains(h.View(), "(none") {
			t.Fatalf("email templates or none offered for an automated text:\n%s", h.View())
		}
		h.Press("enter")
		if got := m.def.Steps[0]; got.Type != sequence.AutoSMS || got.Template != "ping" {
			t.Fatalf("auto sms = %+v", got)
		}
		// advance_to offers the active sequences of the same record type, not this one.
		h.Press("a", "right", "right", "down", "down", "enter", "enter", "enter")
		h.wantView("Advance to", "Live")
		for _, no := range []string{"Accounts", "Parked"} {
			if strings.Contains(h.View(), no) {
				t.Fatalf("%s offered as a target:\n%s", no, h.View())
			}
		}
		h.Press("enter")
		if got := m.def.Steps[1]; got.Type != sequence.AdvanceTo || got.Sequence != "Live" {
			t.Fatalf("advance = %+v", got)
		}
		h.wantView("➜ Advance to another sequence  to Live")
	})
}
