package console_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/pacer-sales/pacer/engine"
	"github.com/pacer-sales/pacer/engine/mail"
	"github.com/pacer-sales/pacer/engine/mail/mailtest"
	"github.com/pacer-sales/pacer/ui/common"
)

// workWorld gives sam five tasks due today in Los Angeles, in this order: Ana's call, Bo's
// call (a team task shared with sue), Di's call, Di's email, Acme's review.
func workWorld(t *testing.T) *world {
	w := newWorld(t)
	calls, mails, accounts := w.sequence(callsSeq), w.sequence(mailsSeq), w.sequence(accountsSeq)
	at := func(min int) time.Time { return monday.Add(-time.Hour + time.Duration(min)*time.Minute) }
	w.connectAt(at(0), calls, "lead/L-1")
	w.connectAt(at(10), calls, "lead/L-2")
	w.connectAt(at(20), calls, "lead/L-4")
	w.connectAt(at(30), mails, "lead/L-4")
	w.connectAt(at(40), accounts, "account/A-1")
	return w
}

// history is a connection's history as "type[:detail]".
func history(c engine.ConnView) []string {
	var out []string
	for _, h := range c.History {
		k := h.Type
		switch {
		case h.Branch != "":
			k += ":" + h.Branch
		case h.Outcome != "":
			k += ":" + h.Outcome
		}
		out = append(out, k)
	}
	return out
}

// openTask returns the open task of a user for a record at a step.
func (w *world) openTask(user, ref, step string) (engine.TaskRow, bool) {
	w.t.Helper()
	tasks, err := w.e.Tasks(w.ctx, user, engine.TaskQuery{})
	must(w.t, err)
	for _, task := range tasks {
		if task.Record == ref && task.StepID == step {
			return task, true
		}
	}
	return engine.TaskRow{}, false
}

func TestDoneCallWithOutcome(t *testing.T) {
	w := workWorld(t)
	s := w.open("sam", 120, 30)
	s.wantRows("# Today (5)", "Ana*", "Bo", "Di", "Di", "Acme")

	// d on a call asks for the outcome from the org's list, then an optional note.
	s.keys("d")
	if !s.s.CapturesInput() {
		t.Fatal("the outcome picker does not capture the keys")
	}
	panel := s.panel()
	for _, o := range []string{"Outcome of the call with Ana Lima", "connected", "left voicemail", "no answer", "busy", "wrong number"} {
		if !strings.Contains(panel, o) {
			t.Fatalf("outcome picker lacks %q:\n%s", o, panel)
		}
	}
	// A call-outcome condition follows: "(no outcome)" would only be refused.
	if strings.Contains(panel, "(no outcome)") || !strings.Contains(panel, "choose one") {
		t.Fatalf("outcome picker offers no outcome for a call a condition tests:\n%s", panel)
	}
	s.choose("connected")
	if !strings.Contains(s.view(), "Note (optional):") || !strings.Contains(s.view(), "Outcome: connected") {
		t.Fatalf("no note prompt:\n%s", s.view())
	}
	s.typeText("Booked a demo")
	s.keys("enter")
	s.wantStatus("Done: Ana Lima (connected)", false)

	c := w.connOf("lead/L-1", "Calls")
	if got, want := history(c), []string{"connected", "step_entered", "task_created", "task_done:connected", "step_entered", "condition:yes", "step_entered", "task_created"}; !slices.Equal(got, want) {
		t.Fatalf("history %q, want %q", got, want)
	}
	if c.History[3].Note != "Booked a demo" || c.History[3].By != "sam" || c.CurrentStep != "book" {
		t.Fatalf("done = %+v, at %q", c.History[3], c.CurrentStep)
	}
	// The cursor went to the next task; Ana's next step joined the list.
	if row := s.cursorRow(); !strings.Contains(row, "Bo Chen") {
		t.Fatalf("cursor on %q", row)
	}
	s.wantRows("# Today (5)", "Bo*", "Di", "Di", "Acme", "Ana")

	// esc leaves the prompts without doing anything.
	s.keys("d", "esc")
	if s.s.CapturesInput() {
		t.Fatal("esc left the picker open")
	}
	s.keys("d", "enter", "esc")
	if _, ok := w.openTask("sam", "lead/L-2", "first-call"); !ok || s.s.CapturesInput() {
		t.Fatal("esc at the note did something")
	}

	// A task that is not a call is done at once.
	s.selectRow("Ana Lima")
	s.keys("d")
	s.wantStatus("Done: Ana Lima", false)
	if c := w.connOf("lead/L-1", "Calls"); c.State != "completed" {
		t.Fatalf("Ana's connection is %s", c.State)
	}
}

func TestSkipAndSkipWait(t *testing.T) {
	w := workWorld(t)
	s := w.open("sam", 120, 30)
	s.selectRow("Di Evans")
	if !strings.Contains(s.cursorRow(), "Intro call") {
		t.Fatalf("cursor on %q", s.cursorRow())
	}
	s.keys("x")
	s.wantStatus("Skipped: Di Evans", false)
	c := w.connOf("lead/L-4", "Calls")
	if got, want := history(c), []string{"connected", "step_entered", "task_created", "task_skipped", "step_entered", "condition:no", "step_entered"}; !slices.Equal(got, want) {
		t.Fatalf("history %q, want %q", got, want)
	}
	if c.CurrentStep != "pause" {
		t.Fatalf("at %q", c.CurrentStep)
	}
	// The cursor is on Di's other task (her email), whose Up next shows the wait.
	if row := s.cursorRow(); !strings.Contains(row, "Di Evans") || !strings.Contains(row, "Hello email") {
		t.Fatalf("cursor on %q", row)
	}
	panel := s.panel()
	if !strings.Contains(panel, "◆ Calls (v1)") || !strings.Contains(panel, "▶ ◷ Wait (2d)") || !strings.Contains(panel, "w skip wait") ||
		!strings.Contains(panel, "✗ ☎ Intro call · skipped · today 09:00") || !strings.Contains(panel, "◆ Condition → no · today 09:00") {
		t.Fatalf("Up next:\n%s", panel)
	}
	s.keys("w")
	s.wantStatus("Skipped the wait of Di Evans in Calls", false)
	if c := w.connOf("lead/L-4", "Calls"); c.CurrentStep != "follow" {
		t.Fatalf("at %q after skipping the wait", c.CurrentStep)
	}
	s.wantRows("# Today (5)", "Ana", "Bo", "Di*", "Acme", "Di")
	// A record at no wait says so.
	s.selectRow("Acme")
	s.keys("w")
	s.wantStatus("Acme is not at a wait", true)
}

func TestSnooze(t *testing.T) {
	w := workWorld(t)
	s := w.open("sam", 120, 30)
	s.selectRow("Acme")
	s.keys("z")
	if !strings.Contains(s.view(), "Snooze until") || !strings.Contains(s.panel(), "Times are in America/Los_Angeles;\nit is now Mon Mar 2 09:00.") ||
		!strings.Contains(s.panel(), "tomorrow 9:00") || !strings.Contains(s.panel(), "+2h, +90m, +3d, +1w") {
		t.Fatalf("no snooze prompt:\n%s", s.view())
	}
	// What is typed is read as it is typed.
	s.typeText("tomorrow 9:00")
	if !strings.Contains(s.view(), "→ Tue Mar 3 09:00 PST") {
		t.Fatalf("no preview:\n%s", s.view())
	}
	s.keys("enter")
	s.wantStatus("Snoozed Acme until Tue Mar 3 09:00 PST", false)
	task, ok := w.openTask("sam", "account/A-1", "review")
	if !ok || !task.DueAt.Equal(time.Date(2026, 3, 3, 17, 0, 0, 0, time.UTC)) {
		t.Fatalf("Acme's task = %+v", task)
	}
	s.wantRows("# Today (4)", "Ana", "Bo", "Di", "Di*", "# Upcoming (1)", "Acme")
	v := w.connOf("account/A-1", "Accounts")
	if h := v.History[len(v.History)-1]; h.Type != "task_snoozed" || !h.Until.Equal(task.DueAt) {
		t.Fatalf("history ends with %+v", h)
	}

	// Bad input keeps the prompt open and says what is accepted.
	s.selectRow("Ana Lima")
	s.keys("z")
	s.typeText("someday")
	s.keys("enter")
	if !s.s.CapturesInput() || !strings.Contains(s.view(), `can't read "someday"`) {
		t.Fatalf("bad input:\n%s", s.view())
	}
	for range len("someday") {
		s.keys("backspace")
	}
	s.typeText("08:00") // 08:00 today has passed: tomorrow
	s.keys("enter")
	task, _ = w.openTask("sam", "lead/L-1", "first-call")
	if !task.DueAt.Equal(time.Date(2026, 3, 3, 16, 0, 0, 0, time.UTC)) {
		t.Fatalf("Ana's call due %v", task.DueAt)
	}
	s.selectRow("Bo Chen")
	s.keys("z")
	s.typeText("+2h")
	s.keys("enter")
	task, _ = w.openTask("sam", "lead/L-2", "first-call")
	if !task.DueAt.Equal(monday.Add(2 * time.Hour)) {
		t.Fatalf("Bo's call due %v", task.DueAt)
	}
}

func TestAssign(t *testing.T) {
	w := workWorld(t)
	s := w.open("sam", 120, 30)
	s.selectRow("Bo Chen")
	s.keys("a")
	panel := s.panel()
	if !strings.Contains(panel, "Assign Bo Chen · Intro call to") || !strings.Contains(panel, "sam — Sam Okafor (assigned)") || !strings.Contains(panel, "sue — Sue Lin (assigned)") {
		t.Fatalf("assign picker:\n%s", panel)
	}
	s.choose("max — Max Manager")
	s.wantStatus("Bo Chen assigned to max", false)
	if task, ok := w.openTask("max", "lead/L-2", "first-call"); !ok || !slices.Equal(task.Assignees, []string{"max"}) {
		t.Fatalf("Bo's task = %+v", task)
	}
	s.wantRows("# Today (4)", "Ana", "Di*", "Di", "Acme")
	// Sue no longer has it either.
	if _, ok := w.openTask("sue", "lead/L-2", "first-call"); ok {
		t.Fatal("sue still has Bo's call")
	}
}

// TestAfterAction: the cursor moves to the next task after an action, or stays on the task
// (remembered per user).
func TestAfterAction(t *testing.T) {
	w := workWorld(t)
	s := w.open("sam", 120, 30)
	s.keys("n")
	s.wantStatus("After an action the cursor stays on the task", false)
	b, err := w.e.Prefs(w.ctx, "sam", "console")
	must(t, err)
	var p map[string]string
	must(t, json.Unmarshal(b, &p))
	if p["after"] != "stay" {
		t.Fatalf("prefs %s", b)
	}
	// Snoozed to later today, Ana moves down and the cursor stays on her.
	s.keys("z")
	s.typeText("+3h")
	s.keys("enter")
	s.wantRows("# Today (5)", "Bo", "Di", "Di", "Acme", "Ana*")

	// A new screen remembers; switched back, the cursor goes to the next task.
	s = w.open("sam", 120, 30)
	s.keys("n")
	s.wantStatus("moves to the next task", false)
	s.selectRow("Bo Chen")
	s.keys("z")
	s.typeText("+4h")
	s.keys("enter")
	s.wantRows("# Today (5)", "Di*", "Di", "Acme", "Ana", "Bo")
}

// TestComposeAndSend writes the email of an email task and sends it through a real SMTP
// server on 127.0.0.1.
func TestComposeAndSend(t *testing.T) {
	w := workWorld(t)
	srv := mailtest.Start(t)
	must(t, w.e.SetSetting(w.ctx, "ada", "smtp_url", srv.URL()))
	s := w.open("sam", 100, 24)

	// e on a call says what it is for.
	s.keys("e")
	s.wantStatus("e writes the email of an email step; this is a call step", true)

	s.selectRow("Hello email")
	s.keys("e")
	v := s.view()
	for _, want := range []string{"Email · Di Evans (lead/L-4) · Hello email · Mails", "To:      di@example.com", "From:    sam@example.com",
		"Subject: Hello Di", "Hi Di Evans, Sam Okafor here.", "ctrl+s send now"} {
		if !strings.Contains(v, want) {
			t.Fatalf("editor lacks %q:\n%s", want, v)
		}
	}
	if !s.s.CapturesInput() || s.s.Dirty() {
		t.Fatalf("editor: captures %v, dirty %v", s.s.CapturesInput(), s.s.Dirty())
	}
	// The body has the keys first; tab twice reaches the subject.
	s.typeText("Thanks for your time. ")
	s.keys("tab", "tab")
	s.typeText("!")
	if !s.s.Dirty() {
		t.Fatal("an edited email is not dirty")
	}
	// The server refuses once: the error shows, the editor stays, the task stays open.
	srv.FailNext(1, 550)
	s.keys("ctrl+s")
	if !strings.Contains(s.view(), "was not sent") || !s.s.CapturesInput() {
		t.Fatalf("after a refused send:\n%s", s.view())
	}
	s.wantStatus("was not sent", true)
	if _, ok := w.openTask("sam", "lead/L-4", "hello"); !ok {
		t.Fatal("the task was settled by a failed send")
	}
	s.keys("ctrl+s")
	s.wantStatus("Sent to di@example.com; Di Evans is done", false)
	if s.s.CapturesInput() {
		t.Fatal("the editor stayed open")
	}
	msgs, err := srv.Wait(context.Background(), 1)
	must(t, err)
	c := w.connOf("lead/L-4", "Mails")
	m := msgs[0]
	if !slices.Equal(m.To, []string{"di@example.com"}) || m.Subject != "Hello Di!" ||
		strings.TrimRight(m.Body, "\n") != "Thanks for your time. Hi Di Evans, Sam Okafor here." ||
		m.MessageID != mail.MessageID(fmt.Sprintf("%s/hello/1", c.ID), "") {
		t.Fatalf("received %+v", m)
	}
	if got, want := history(c), []string{"connected", "step_entered", "task_created", "email_sent", "task_done", "step_entered", "task_created"}; !slices.Equal(got, want) {
		t.Fatalf("history %q, want %q", got, want)
	}
	if c.History[4].Note != "sent" || c.CurrentStep != "wrap" {
		t.Fatalf("done %+v at %q", c.History[4], c.CurrentStep)
	}
	rows, err := w.e.Outbox(w.ctx, "ada")
	must(t, err)
	if len(rows) != 1 || rows[0].State != "sent" || rows[0].MessageID != m.MessageID {
		t.Fatalf("outbox %+v", rows)
	}
}

// TestMarkAsSent: with no transport, ctrl+s keeps the email in the outbox and marks the
// task as sent; esc discards a draft.
func TestMarkAsSent(t *testing.T) {
	w := workWorld(t)
	s := w.open("sam", 100, 24)
	s.selectRow("Hello email")
	s.keys("e")
	if !strings.Contains(s.view(), "ctrl+s mark as sent (no transport: kept in the outbox)") {
		t.Fatalf("editor:\n%s", s.view())
	}
	s.keys("esc")
	s.wantStatus("Email discarded", false)
	if _, ok := w.openTask("sam", "lead/L-4", "hello"); !ok {
		t.Fatal("discarding settled the task")
	}
	s.keys("e", "ctrl+s")
	s.wantStatus("kept in the outbox and the task is marked as sent", false)
	rows, err := w.e.Outbox(w.ctx, "ada")
	must(t, err)
	if len(rows) != 1 || rows[0].State != "kept" || rows[0].Subject != "Hello Di" || rows[0].To != "di@example.com" {
		t.Fatalf("outbox %+v", rows)
	}
	if c := w.connOf("lead/L-4", "Mails"); c.History[4].Note != "marked as sent" || c.CurrentStep != "wrap" {
		t.Fatalf("history %+v", c.History)
	}
}

// TestLiveUpdates: changes made elsewhere reach the list without a key press, and the cursor
// stays on its task, or goes to the next one when it is gone.
func TestLiveUpdates(t *testing.T) {
	w := workWorld(t)
	sam := w.open("sam", 120, 30)
	sam.selectRow("Bo Chen")
	if !strings.Contains(sam.panel(), "team task: sam, sue") {
		t.Fatalf("Up next:\n%s", sam.panel())
	}

	// Sue settles the shared task: sam's list drops it and the cursor moves on to Di.
	bo, _ := w.openTask("sue", "lead/L-2", "first-call")
	_, err := w.e.ActOnTask(w.ctx, "sue", bo.ID, engine.TaskAction{Kind: engine.ActDone, Outcome: "busy"})
	must(t, err)
	sam.send(common.ChangedMsg{})
	sam.wantRows("# Today (4)", "Ana", "Di*", "Di", "Acme")
	if !strings.Contains(sam.panel(), "Up next · Di Evans") {
		t.Fatalf("Up next did not follow:\n%s", sam.panel())
	}

	// A new task due earlier arrives above: the cursor stays on Di's call.
	w.connectAt(monday.Add(-3*time.Hour), "Calls", "lead/L-3")
	tasks, err := w.e.Tasks(w.ctx, "sue", engine.TaskQuery{})
	must(t, err)
	_, err = w.e.ActOnTask(w.ctx, "sue", tasks[0].ID, engine.TaskAction{Kind: engine.ActAssign, To: "sam"})
	must(t, err)
	sam.send(common.ChangedMsg{})
	sam.wantRows("# Today (5)", "Cy", "Ana", "Di*", "Di", "Acme")

	// The selected task is snoozed elsewhere: the cursor follows it.
	di, _ := w.openTask("sam", "lead/L-4", "first-call")
	_, err = w.e.ActOnTask(w.ctx, "max", di.ID, engine.TaskAction{Kind: engine.ActSnooze, Until: monday.Add(48 * time.Hour)})
	must(t, err)
	sam.send(common.ChangedMsg{})
	sam.wantRows("# Today (4)", "Cy", "Ana", "Di", "Acme", "# Upcoming (1)", "Di*")

	// Every task goes: the list says so.
	for _, task := range w.mustTasks("sam") {
		_, err := w.e.ActOnTask(w.ctx, "max", task.ID, engine.TaskAction{Kind: engine.ActAssign, To: "max"})
		must(t, err)
	}
	sam.send(common.ChangedMsg{})
	if !strings.Contains(sam.view(), "No open tasks. Nothing to do!") {
		t.Fatalf("empty list:\n%s", sam.view())
	}
}

func (w *world) mustTasks(user string) []engine.TaskRow {
	w.t.Helper()
	tasks, err := w.e.Tasks(w.ctx, user, engine.TaskQuery{})
	must(w.t, err)
	return tasks
}

// TestWhoseList: managers switch to a seller's list or the whole team's; sellers can't.
func TestWhoseList(t *testing.T) {
	w := workWorld(t)
	s := w.open("sam", 120, 30)
	s.keys("u")
	s.wantStatus("only managers and admins", true)

	m := w.open("max", 160, 30)
	if !strings.Contains(m.view(), "No open tasks") {
		t.Fatalf("max's own list:\n%s", m.view())
	}
	m.keys("u")
	m.choose("Whole team (every open task)")
	if !strings.Contains(m.list()[0], "Whole team · 5 tasks") || !strings.Contains(m.list()[1], "Assignee") {
		t.Fatalf("team list:\n%s", m.view())
	}
	m.wantRows("# Today (5)", "Ana*", "Bo", "Di", "Di", "Acme")
	m.keys("u")
	m.choose("sue — Sue Lin")
	m.wantRows("# Today (1)", "Bo*")
	if !strings.Contains(m.list()[0], "Work list of sue · 1 tasks") {
		t.Fatalf("title %q", m.list()[0])
	}
	// A manager acts on a seller's task.
	m.keys("x")
	m.wantStatus("Skipped: Bo Chen", false)
	if c := w.connOf("lead/L-2", "Calls"); c.CurrentStep != "pause" {
		t.Fatalf("Bo at %q", c.CurrentStep)
	}
	m.keys("u")
	m.choose("My work list")
	if !strings.Contains(m.view(), "No open tasks") {
		t.Fatalf("back to max's list:\n%s", m.view())
	}
}

// TestMouse: a click selects a row (y counts from the top of the screen's area), the wheel
// moves the cursor.
func TestMouse(t *testing.T) {
	w := workWorld(t)
	s := w.open("sam", 120, 30)
	s.send(tea.MouseClickMsg{X: 5, Y: 6, Button: tea.MouseLeft})
	if row := s.cursorRow(); !strings.Contains(row, "Hello email") {
		t.Fatalf("click selected %q", row)
	}
	if !strings.Contains(s.panel(), "◆ Mails (v1)") {
		t.Fatalf("Up next did not follow the click:\n%s", s.panel())
	}
	s.send(tea.MouseClickMsg{X: 5, Y: 2, Button: tea.MouseLeft})   // a group header: nothing
	s.send(tea.MouseClickMsg{X: 100, Y: 3, Button: tea.MouseLeft}) // the panel: nothing
	if row := s.cursorRow(); !strings.Contains(row, "Hello email") {
		t.Fatalf("cursor on %q", row)
	}
	s.send(tea.MouseWheelMsg{X: 5, Y: 5, Button: tea.MouseWheelDown})
	s.wantRows("# Today (5)", "Ana", "Bo", "Di", "Di", "Acme*")
	s.send(tea.MouseWheelMsg{X: 5, Y: 5, Button: tea.MouseWheelUp})
	s.wantRows("# Today (5)", "Ana", "Bo*", "Di", "Di", "Acme")
}
