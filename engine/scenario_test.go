package engine_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pacer-sales/pacer/engine"
	"github.com/pacer-sales/pacer/engine/sequence"
	"github.com/pacer-sales/pacer/store"
)

// world is an org on a real store (testStore: bbolt, or PostgreSQL) with a manual clock: an admin, a manager, three
// sellers, an owner team and an access team, two email templates and a few records.
type world struct {
	t     *testing.T
	ctx   context.Context
	e     *engine.Engine
	clock *engine.ManualClock
	db    store.Store
}

// monday is 2026-03-02 09:00 UTC, a Monday.
var monday = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

func newWorld(t *testing.T) *world {
	t.Helper()
	db := testStore(t, true)
	w := &world{t: t, ctx: context.Background(), clock: engine.NewManualClock(monday), db: db}
	w.e = engine.New(db, w.clock)
	e, ctx := w.e, w.ctx
	must(t, e.AddUser(ctx, "", store.User{Username: "ada", Roles: []store.Role{store.RoleAdmin}, Email: "ada@example.com"}))
	for _, u := range []store.User{
		{Username: "max", Roles: []store.Role{store.RoleManager}, Email: "max@example.com"},
		{Username: "sam", Name: "Sam Okafor", Roles: []store.Role{store.RoleSeller}, Email: "sam@example.com", Title: "AE", Territory: "west"},
		{Username: "sue", Name: "Sue Lin", Roles: []store.Role{store.RoleSeller}, Email: "sue@example.com", Title: "SDR", Territory: "east"},
		{Username: "tom", Name: "Tom Berg", Roles: []store.Role{store.RoleSeller}, Email: "tom@example.com", Title: "AE", Territory: "east"},
	} {
		must(t, e.AddUser(ctx, "ada", u))
	}
	must(t, e.AddTeam(ctx, "ada", store.Team{Name: "west", Type: store.OwnerTeam, Members: []store.Member{{Username: "sam", Role: "sales rep"}, {Username: "sue", Role: "account manager"}}}))
	must(t, e.AddTeam(ctx, "ada", store.Team{Name: "deal", Type: store.AccessTeam, Members: []store.Member{{Username: "tom", Role: "account manager"}, {Username: "sue", Role: "technical specialist"}}}))
	must(t, e.AddTemplate(ctx, "ada", store.Template{Name: "intro", Subject: "Hello {{first_name}}", Body: "Hi {{name}}, {{owner.name}} here."}))
	must(t, e.AddTemplate(ctx, "ada", store.Template{Name: "nudge", Subject: "Following up", Body: "Any thoughts, {{first_name}}?"}))
	csv := "id,name,owner,stage,access_team,email,phone,account_manager,score\n" +
		"L-1,Ana Lima,sam,new,,ana@example.com,+1 555 0101,tom,10\n" +
		"L-2,Bo Chen,team:west,new,deal,bo@example.com,,sue@example.com,50\n" +
		"L-3,Cy Diaz,sue,new,,cy@example.com,,ghost,90\n"
	_, err := e.ImportRecords(ctx, "max", "leads.csv", strings.NewReader(csv), "lead")
	must(t, err)
	_, err = e.ImportRecords(ctx, "max", "accounts.csv", strings.NewReader("id,name,owner,access_team,email\nA-1,Acme,sam,deal,buy@acme.example\n"), "account")
	must(t, err)
	return w
}

// sequence imports a sequence file and activates it.
func (w *world) sequence(src string) string {
	w.t.Helper()
	def, err := sequence.Parse([]byte(src), "test.yaml")
	if err != nil {
		w.t.Fatal(err)
	}
	_, err = w.e.ImportSequence(w.ctx, "max", def, engine.SaveOptions{Activate: true})
	if err != nil {
		w.t.Fatal(err)
	}
	return def.Name
}

func (w *world) connect(seq string, refs ...string) {
	w.t.Helper()
	if _, err := w.e.Connect(w.ctx, "max", seq, refs); err != nil {
		w.t.Fatal(err)
	}
}

// at moves the clock forward and runs everything due.
func (w *world) after(d time.Duration) engine.TickReport {
	w.t.Helper()
	w.clock.Advance(d)
	rep, err := w.e.Tick(w.ctx)
	if err != nil {
		w.t.Fatal(err)
	}
	return rep
}

func (w *world) tasks(user string) []engine.TaskRow {
	w.t.Helper()
	rows, err := w.e.Tasks(w.ctx, user, engine.TaskQuery{})
	must(w.t, err)
	return rows
}

// only returns the single open task of a user.
func (w *world) only(user string) engine.TaskRow {
	w.t.Helper()
	rows := w.tasks(user)
	if len(rows) != 1 {
		w.t.Fatalf("%s has %d tasks, want 1: %+v", user, len(rows), rows)
	}
	return rows[0]
}

func (w *world) act(user, id string, a engine.TaskAction) {
	w.t.Helper()
	if _, err := w.e.ActOnTask(w.ctx, user, id, a); err != nil {
		w.t.Fatal(err)
	}
}

func (w *world) conn(ref string) engine.ConnView {
	w.t.Helper()
	v, err := w.e.RecordDetail(w.ctx, "ada", ref)
	must(w.t, err)
	if len(v.Connections) == 0 {
		w.t.Fatalf("%s has no connections", ref)
	}
	return v.Connections[len(v.Connections)-1]
}

// kinds lists the history event types of a connection, with branch or reason when set.
func kinds(c engine.ConnView) []string {
	var out []string
	for _, h := range c.History {
		k := h.Type
		switch {
		case h.Branch != "":
			k += ":" + h.Branch
		case h.Reason != "":
			k += ":" + h.Reason
		case h.Outcome != "":
			k += ":" + h.Outcome
		case h.Event != "":
			k += ":" + h.Event
		}
		out = append(out, k)
	}
	return out
}

func wantHistory(t *testing.T, c engine.ConnView, want ...string) {
	t.Helper()
	if got := kinds(c); !slices.Equal(got, want) {
		t.Fatalf("history:\n got %q\nwant %q", got, want)
	}
}

func wantState(t *testing.T, c engine.ConnView, state, step string) {
	t.Helper()
	if c.State != state || c.CurrentStep != step {
		t.Fatalf("connection %s at %q, want %s at %q", c.State, c.CurrentStep, state, step)
	}
}

const callSeq = `
name: Calls
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
        name: Book a meeting
    no:
      - type: wait
        id: pause
        duration: 2d
      - type: call
        id: second-call
`

// Rule 1: connect needs an active sequence of the record's type and no active connection;
// the first step is entered at once.
func TestRule1Connect(t *testing.T) {
	w := newWorld(t)
	name := w.sequence(callSeq)
	_, err := w.e.Connect(w.ctx, "max", name, []string{"account/A-1"})
	wantErr(t, err, engine.ErrInvalid)
	w.connect(name, "lead/L-1")
	wantState(t, w.conn("lead/L-1"), "active", "first-call")
	if task := w.only("sam"); task.StepID != "first-call" || !task.DueAt.Equal(monday) || task.Record != "lead/L-1" || task.Sequence != "Calls" {
		t.Fatalf("task = %+v", task)
	}
	_, err = w.e.Connect(w.ctx, "max", name, []string{"lead/L-1"})
	if !errors.Is(err, engine.ErrInvalid) || !strings.Contains(err.Error(), "already connected") {
		t.Fatalf("second connect: %v", err)
	}
	_, err = w.e.Deactivate(w.ctx, "max", name)
	must(t, err)
	_, err = w.e.Connect(w.ctx, "max", name, []string{"lead/L-3"})
	if !errors.Is(err, engine.ErrInvalid) || !strings.Contains(err.Error(), "only active sequences") {
		t.Fatalf("connect to inactive: %v", err)
	}
	// All or nothing: one bad record refuses the lot.
	_, err = w.e.Activate(w.ctx, "max", name)
	must(t, err)
	_, err = w.e.Connect(w.ctx, "max", name, []string{"lead/L-3", "lead/L-404"})
	wantErr(t, err, engine.ErrInvalid)
	if v, _ := w.e.RecordDetail(w.ctx, "ada", "lead/L-3"); len(v.Connections) != 0 {
		t.Fatal("a record of a refused connect was connected")
	}
}

// Rule 2: activity steps make one task per entry; done with an outcome, skip to No,
// snooze and assign.
func TestRule2CallOutcomeYes(t *testing.T) {
	w := newWorld(t)
	w.connect(w.sequence(callSeq), "lead/L-1")
	task := w.only("sam")
	_, err := w.e.ActOnTask(w.ctx, "sam", task.ID, engine.TaskAction{Kind: engine.ActDone})
	if !errors.Is(err, engine.ErrInvalid) || !strings.Contains(err.Error(), "outcome") {
		t.Fatalf("done without outcome: %v", err)
	}
	_, err = w.e.ActOnTask(w.ctx, "sam", task.ID, engine.TaskAction{Kind: engine.ActDone, Outcome: "wrong"})
	wantErr(t, err, engine.ErrInvalid)
	w.act("sam", task.ID, engine.TaskAction{Kind: engine.ActDone, Outcome: "connected", Note: "good talk"})
	c := w.conn("lead/L-1")
	wantState(t, c, "active", "book")
	wantHistory(t, c, "connected:manual", "step_entered", "task_created", "task_done:connected", "step_entered", "condition:yes", "step_entered", "task_created")
	if next := w.only("sam"); next.Name != "Book a meeting" {
		t.Fatalf("next task = %+v", next)
	}
	// The settled task can't be settled again.
	_, err = w.e.ActOnTask(w.ctx, "sam", task.ID, engine.TaskAction{Kind: engine.ActSkip})
	wantErr(t, err, engine.ErrInvalid)
}

func TestRule2SkipTakesNo(t *testing.T) {
	w := newWorld(t)
	w.connect(w.sequence(callSeq), "lead/L-1")
	w.act("sam", w.only("sam").ID, engine.TaskAction{Kind: engine.ActSkip})
	c := w.conn("lead/L-1")
	wantState(t, c, "active", "pause")
	wantHistory(t, c, "connected:manual", "step_entered", "task_created", "task_skipped", "step_entered", "condition:no", "step_entered")
	if h := c.History[5]; !strings.Contains(h.Why, "skipped") {
		t.Errorf("why = %q", h.Why)
	}
	if n := len(w.tasks("sam")); n != 0 {
		t.Fatalf("%d tasks during a wait", n)
	}
}

func TestRule2SnoozeAndAssign(t *testing.T) {
	w := newWorld(t)
	w.connect(w.sequence(callSeq), "lead/L-1")
	task := w.only("sam")
	_, err := w.e.ActOnTask(w.ctx, "sam", task.ID, engine.TaskAction{Kind: engine.ActSnooze, Until: monday.Add(-time.Hour)})
	wantErr(t, err, engine.ErrInvalid)
	w.act("sam", task.ID, engine.TaskAction{Kind: engine.ActSnooze, Until: monday.Add(26 * time.Hour)})
	if got := w.only("sam"); !got.DueAt.Equal(monday.Add(26 * time.Hour)) {
		t.Fatalf("snoozed due = %v", got.DueAt)
	}
	today, err := w.e.Tasks(w.ctx, "sam", engine.TaskQuery{Due: engine.DueToday})
	must(t, err)
	upcoming, err := w.e.Tasks(w.ctx, "sam", engine.TaskQuery{Due: engine.DueUpcoming})
	must(t, err)
	if len(today) != 0 || len(upcoming) != 1 {
		t.Fatalf("today %d, upcoming %d", len(today), len(upcoming))
	}
	w.act("sam", task.ID[:8], engine.TaskAction{Kind: engine.ActAssign, To: "sue"})
	if len(w.tasks("sam")) != 0 || w.only("sue").ID != task.ID {
		t.Fatal("assign did not hand the task over")
	}
	// Sam no longer may act on it; Sue may.
	_, err = w.e.ActOnTask(w.ctx, "sam", task.ID, engine.TaskAction{Kind: engine.ActDone, Outcome: "busy"})
	wantErr(t, err, engine.ErrForbidden)
	w.act("sue", task.ID, engine.TaskAction{Kind: engine.ActDone, Outcome: "busy"})
	wantHistory(t, w.conn("lead/L-1"), "connected:manual", "step_entered", "task_created", "task_snoozed", "task_assigned", "task_done:busy", "step_entered", "condition:no", "step_entered")
}

// Rule 3: waits wake at entry + duration; a seller may skip them; with
// skip_non_working_days only working time counts.
func TestRule3Wait(t *testing.T) {
	w := newWorld(t)
	w.connect(w.sequence(callSeq), "lead/L-1")
	w.act("sam", w.only("sam").ID, engine.TaskAction{Kind: engine.ActDone, Outcome: "no_answer"})
	c := w.conn("lead/L-1")
	if c.WakeAt == nil || !c.WakeAt.Equal(monday.Add(48*time.Hour)) {
		t.Fatalf("wake at %v", c.WakeAt)
	}
	if rep := w.after(47 * time.Hour); rep.Timers != 0 {
		t.Fatalf("a timer fired early: %+v", rep)
	}
	wantState(t, w.conn("lead/L-1"), "active", "pause")
	if rep := w.after(time.Hour); rep.Timers != 1 {
		t.Fatalf("tick at the due time: %+v", rep)
	}
	wantState(t, w.conn("lead/L-1"), "active", "second-call")
	if task := w.only("sam"); !task.DueAt.Equal(monday.Add(48 * time.Hour)) {
		t.Fatalf("second call due %v", task.DueAt)
	}
}

func TestRule3SkipWait(t *testing.T) {
	w := newWorld(t)
	name := w.sequence(callSeq)
	w.connect(name, "lead/L-1")
	err := w.e.SkipWait(w.ctx, "sam", name, "lead/L-1")
	wantErr(t, err, engine.ErrInvalid) // at a call, not a wait
	w.act("sam", w.only("sam").ID, engine.TaskAction{Kind: engine.ActSkip})
	wantErr(t, w.e.SkipWait(w.ctx, "sue", name, "lead/L-1"), engine.ErrForbidden)
	must(t, w.e.SkipWait(w.ctx, "sam", name, "lead/L-1"))
	wantState(t, w.conn("lead/L-1"), "active", "second-call")
	// The old wake-up is gone: nothing fires later.
	if rep := w.after(72 * time.Hour); rep.Timers != 0 {
		t.Fatalf("stale timer fired: %+v", rep)
	}
}

func TestRule3WorkingTimeWait(t *testing.T) {
	w := newWorld(t)
	name := w.sequence(`
name: Weekend aware
options: {skip_non_working_days: true}
steps:
  - type: wait
    duration: 1d
  - type: task
`)
	w.clock.Set(time.Date(2026, 3, 6, 10, 0, 0, 0, time.UTC)) // Friday 10:00
	w.connect(name, "lead/L-1")
	want := time.Date(2026, 3, 9, 10, 0, 0, 0, time.UTC) // Monday 10:00
	if c := w.conn("lead/L-1"); c.WakeAt == nil || !c.WakeAt.Equal(want) {
		t.Fatalf("wake at %v, want %v", c.WakeAt, want)
	}
}

const autoSeq = `
name: Auto
steps:
  - type: auto_email
    id: hello
    template: intro
  - type: condition
    id: opened
    if: email_opened
    within: 2d
    yes:
      - type: call
        id: hot-call
    no:
      - type: auto_email
        id: nudge
        template: nudge
      - type: task
        id: later
`

// Rule 4: with no transport, automated messages are kept in the local outbox, count as sent,
// and the next step starts at once.
func TestRule4AutoEmailLocalOutbox(t *testing.T) {
	w := newWorld(t)
	w.connect(w.sequence(autoSeq), "lead/L-1")
	c := w.conn("lead/L-1")
	wantState(t, c, "active", "opened")
	wantHistory(t, c, "connected:manual", "step_entered", "email_sent", "step_entered")
	box, err := w.e.Outbox(w.ctx, "max")
	must(t, err)
	if len(box) != 1 || box[0].State != "kept" || box[0].To != "ana@example.com" || box[0].Subject != "Hello Ana" || box[0].Body != "Hi Ana Lima, Sam Okafor here." {
		t.Fatalf("outbox = %+v", box)
	}
	if !strings.HasPrefix(box[0].MessageID, "<") || !strings.HasSuffix(box[0].MessageID, ">") {
		t.Errorf("message id %q", box[0].MessageID)
	}
	// Sellers see only their records' messages.
	if mine, _ := w.e.Outbox(w.ctx, "sue"); len(mine) != 0 {
		t.Errorf("sue sees %d messages of sam's record", len(mine))
	}
}

// Rule 5: email conditions: an event within the window takes Yes at once (early), no event
// by the end of the window takes No; events count for the message they belong to.
func TestRule5EmailOpenedEarly(t *testing.T) {
	w := newWorld(t)
	w.connect(w.sequence(autoSeq), "lead/L-1")
	w.clock.Advance(3 * time.Hour)
	must(t, w.e.RecordEvent(w.ctx, "sam", "lead/L-1", sequence.EmailOpened, "", time.Time{}))
	c := w.conn("lead/L-1")
	wantState(t, c, "active", "hot-call")
	wantHistory(t, c, "connected:manual", "step_entered", "email_sent", "step_entered", "event:email_opened", "condition:yes", "step_entered", "task_created")
}

func TestRule5EmailWindowEndsNo(t *testing.T) {
	w := newWorld(t)
	w.connect(w.sequence(autoSeq), "lead/L-1")
	w.after(47 * time.Hour)
	wantState(t, w.conn("lead/L-1"), "active", "opened")
	w.after(time.Hour)
	c := w.conn("lead/L-1")
	wantState(t, c, "active", "later")
	if h := c.History[4]; h.Type != "condition" || h.Branch != "no" || !strings.Contains(h.Why, "no email_opened within 2d") {
		t.Fatalf("condition = %+v", h)
	}
	// An event after the window does not change the past.
	must(t, w.e.RecordEvent(w.ctx, "sam", "lead/L-1", sequence.EmailOpened, "hello", time.Time{}))
	wantState(t, w.conn("lead/L-1"), "active", "later")
}

func TestRule5NotEarlyWaitsOutTheWindow(t *testing.T) {
	w := newWorld(t)
	name := w.sequence(strings.Replace(autoSeq, "within: 2d", "within: 2d\n    early: false", 1))
	w.connect(name, "lead/L-1")
	w.clock.Advance(time.Hour)
	must(t, w.e.RecordEvent(w.ctx, "sam", "lead/L-1", sequence.EmailOpened, "", time.Time{}))
	wantState(t, w.conn("lead/L-1"), "active", "opened")
	w.after(47 * time.Hour)
	wantState(t, w.conn("lead/L-1"), "active", "hot-call")
}

// An event that arrives before the condition is reached still counts: a seller's manual
// email is opened before the seller marks the task done.
func TestRule5EventBeforeConditionIsReached(t *testing.T) {
	w := newWorld(t)
	name := w.sequence(`
name: Manual email
steps:
  - type: email
    id: personal
    template: intro
  - type: condition
    id: replied
    if: email_replied
    within: 3d
    yes: [{type: task, id: meet}]
    no: [{type: call, id: chase}]
`)
	w.connect(name, "lead/L-1")
	w.clock.Advance(time.Hour)
	must(t, w.e.RecordEvent(w.ctx, "sam", "lead/L-1", sequence.EmailReplied, "personal", time.Time{}))
	wantState(t, w.conn("lead/L-1"), "active", "personal")
	w.clock.Advance(time.Hour)
	w.act("sam", w.only("sam").ID, engine.TaskAction{Kind: engine.ActDone})
	wantState(t, w.conn("lead/L-1"), "active", "meet")
}

func TestRule5EmailEventsAllAndAny(t *testing.T) {
	for _, c := range []struct {
		match  string
		events []sequence.Kind
		want   string
	}{
		{"all", []sequence.Kind{sequence.EmailOpened}, "opened"},
		{"all", []sequence.Kind{sequence.EmailOpened, sequence.LinkClicked}, "hot-call"},
		{"any", []sequence.Kind{sequence.LinkClicked}, "hot-call"},
	} {
		t.Run(c.match+"-"+string(c.events[len(c.events)-1]), func(t *testing.T) {
			w := newWorld(t)
			src := strings.Replace(autoSeq, "if: email_opened", "if: email_events\n    events: [email_opened, link_clicked]\n    match: "+c.match, 1)
			w.connect(w.sequence(src), "lead/L-1")
			for _, k := range c.events {
				w.clock.Advance(time.Hour)
				must(t, w.e.RecordEvent(w.ctx, "sam", "lead/L-1", k, "", time.Time{}))
			}
			wantState(t, w.conn("lead/L-1"), "active", c.want)
		})
	}
}

// Rule 5: field and stage conditions read the record when they are reached.
func TestRule5FieldAndStageConditions(t *testing.T) {
	w := newWorld(t)
	name := w.sequence(`
name: Qualify
steps:
  - type: task
    id: research
  - type: condition
    id: big
    if: field
    all:
      - {field: score, op: ge, value: 50}
      - {field: stage, op: in, value: [new, working]}
    yes:
      - type: condition
        id: is-new
        if: stage
        stages: [new]
        yes: [{type: task, id: big-new}]
        no: [{type: task, id: big-other}]
    no: [{type: task, id: small}]
`)
	w.connect(name, "lead/L-1", "lead/L-3")
	// L-1 scores 10 now but 60 by the time the condition is reached.
	_, err := w.e.SetRecord(w.ctx, "sam", "lead/L-1", map[string]string{"score": "60"})
	must(t, err)
	w.act("sam", w.only("sam").ID, engine.TaskAction{Kind: engine.ActDone})
	wantState(t, w.conn("lead/L-1"), "active", "big-new")
	_, err = w.e.SetRecord(w.ctx, "sue", "lead/L-3", map[string]string{"stage": "working"})
	must(t, err)
	w.act("sue", w.only("sue").ID, engine.TaskAction{Kind: engine.ActDone})
	wantState(t, w.conn("lead/L-3"), "active", "big-other")
}

// Rule 6: commands change the record (history with old and new values) and advance_to hands
// the record to another sequence, or fails and tells the owner.
func TestRule6Commands(t *testing.T) {
	w := newWorld(t)
	w.sequence("name: Nurture\nsteps:\n  - type: task\n    id: nurture-task\n")
	name := w.sequence(`
name: Disqualify
steps:
  - type: task
    id: check
  - type: update_field
    id: status
    field: status
    value: disqualified
  - type: set_stage
    id: stage
    stage: closed
  - type: advance_to
    id: hand-over
    sequence: Nurture
`)
	w.connect(name, "lead/L-1")
	w.act("sam", w.only("sam").ID, engine.TaskAction{Kind: engine.ActDone})
	rec, err := w.e.Record(w.ctx, "ada", "lead/L-1")
	must(t, err)
	if rec.Fields["status"] != "disqualified" || rec.Stage != "closed" {
		t.Fatalf("record = %+v", rec)
	}
	v, err := w.e.RecordDetail(w.ctx, "ada", "lead/L-1")
	must(t, err)
	if len(v.Connections) != 2 {
		t.Fatalf("%d connections, want the old and the advanced one", len(v.Connections))
	}
	old, next := v.Connections[0], v.Connections[1]
	wantState(t, old, "disconnected", "")
	if old.Reason != "advanced" || next.Sequence != "Nurture" || next.Source != "advance:Disqualify" || next.CurrentStep != "nurture-task" {
		t.Fatalf("old %+v\nnext %+v", old, next)
	}
	var upd store.Event
	for _, h := range old.History {
		if h.Type == "field_updated" {
			upd = h
		}
	}
	if upd.Old != nil || upd.New != "disqualified" {
		t.Fatalf("field_updated = %+v", upd)
	}
}

func TestRule6AdvanceFailedTellsOwner(t *testing.T) {
	w := newWorld(t)
	w.sequence("name: Nurture\nsteps:\n  - type: task\n")
	name := w.sequence("name: Handoff\nsteps:\n  - type: task\n    id: t1\n  - type: advance_to\n    sequence: Nurture\n")
	w.connect(name, "lead/L-1")
	_, err := w.e.Deactivate(w.ctx, "max", "Nurture")
	must(t, err)
	w.act("sam", w.only("sam").ID, engine.TaskAction{Kind: engine.ActDone})
	c := w.conn("lead/L-1")
	if c.State != "disconnected" || c.Reason != "advance_failed" {
		t.Fatalf("connection = %+v", c)
	}
	notice := w.only("sam")
	if !strings.Contains(notice.Name, "Advance to Nurture failed") || !strings.Contains(notice.Error, "not active") {
		t.Fatalf("notice = %+v", notice)
	}
	w.act("sam", notice.ID, engine.TaskAction{Kind: engine.ActDone})
	if len(w.tasks("sam")) != 0 {
		t.Fatal("the notice stayed open")
	}
}

// Rule 7: the end of a path completes the connection.
func TestRule7Completion(t *testing.T) {
	w := newWorld(t)
	w.connect(w.sequence(callSeq), "lead/L-1")
	w.act("sam", w.only("sam").ID, engine.TaskAction{Kind: engine.ActDone, Outcome: "connected"})
	w.act("sam", w.only("sam").ID, engine.TaskAction{Kind: engine.ActDone})
	c := w.conn("lead/L-1")
	wantState(t, c, "completed", "")
	if kinds(c)[len(c.History)-1] != "completed" {
		t.Fatalf("history = %q", kinds(c))
	}
	// Once completed it may be connected again.
	w.connect("Calls", "lead/L-1")
}

// Rule 8: exit_on_reply disconnects on a reply to any email of the connection and cancels
// its open task; a manual disconnect has reason manual.
func TestRule8ExitOnReply(t *testing.T) {
	w := newWorld(t)
	name := w.sequence("name: Reply exits\noptions: {exit_on_reply: true}\nsteps:\n  - type: auto_email\n    id: hi\n    template: intro\n  - type: call\n    id: c1\n")
	w.connect(name, "lead/L-1")
	if len(w.tasks("sam")) != 1 {
		t.Fatal("no call task")
	}
	must(t, w.e.RecordEvent(w.ctx, "sam", "lead/L-1", sequence.EmailReplied, "", time.Time{}))
	c := w.conn("lead/L-1")
	if c.State != "disconnected" || c.Reason != "replied" {
		t.Fatalf("connection = %+v", c)
	}
	if n := len(w.tasks("sam")); n != 0 {
		t.Fatalf("%d open tasks after the reply", n)
	}
	// Without the option a reply just goes into the history.
	w.connect(w.sequence(callSeq), "lead/L-3")
	must(t, w.e.Disconnect(w.ctx, "sue", "Calls", []string{"lead/L-3"}))
	c = w.conn("lead/L-3")
	if c.State != "disconnected" || c.Reason != "manual" || len(w.tasks("sue")) != 0 {
		t.Fatalf("manual disconnect: %+v", c)
	}
}

// Rule 9: deactivation blocks new connections only; deletion disconnects (sequence_deleted).
func TestRule9DeactivateAndDelete(t *testing.T) {
	w := newWorld(t)
	name := w.sequence(callSeq)
	w.connect(name, "lead/L-1", "lead/L-3")
	_, err := w.e.Deactivate(w.ctx, "max", name)
	must(t, err)
	w.act("sam", w.only("sam").ID, engine.TaskAction{Kind: engine.ActDone, Outcome: "connected"})
	wantState(t, w.conn("lead/L-1"), "active", "book")
	must(t, w.e.DeleteSequence(w.ctx, "max", name))
	for _, ref := range []string{"lead/L-1", "lead/L-3"} {
		c := w.conn(ref)
		if c.State != "disconnected" || c.Reason != "sequence_deleted" {
			t.Fatalf("%s: %+v", ref, c)
		}
	}
	if len(w.tasks("sam"))+len(w.tasks("sue")) != 0 {
		t.Fatal("tasks of a deleted sequence stayed open")
	}
}

// Rule 10: restarting catches up every timer that came due while stopped, in time order,
// each as of its due time.
func TestRule10CatchUpInTimeOrder(t *testing.T) {
	w := newWorld(t)
	name := w.sequence("name: Drip\nsteps:\n  - type: wait\n    duration: 1d\n  - type: auto_email\n    template: nudge\n  - type: wait\n    duration: 1d\n  - type: task\n    id: final\n")
	w.connect(name, "lead/L-1")
	w.clock.Advance(time.Hour)
	w.connect(name, "lead/L-3")
	// Down for five days.
	rep := w.after(5 * 24 * time.Hour)
	if rep.Timers != 4 {
		t.Fatalf("caught up %d timers, want 4", rep.Timers)
	}
	a, b := w.only("sam"), w.only("sue")
	if !a.DueAt.Equal(monday.Add(48*time.Hour)) || !b.DueAt.Equal(monday.Add(49*time.Hour)) {
		t.Fatalf("final tasks due %v and %v, want as of their timers", a.DueAt, b.DueAt)
	}
}

// Rule 11: the history has every event kind with its time and step id (checked across the
// scenarios above); here: times are the clock's.
func TestRule11HistoryTimes(t *testing.T) {
	w := newWorld(t)
	w.connect(w.sequence(callSeq), "lead/L-1")
	w.clock.Advance(90 * time.Minute)
	w.act("sam", w.only("sam").ID, engine.TaskAction{Kind: engine.ActDone, Outcome: "busy"})
	c := w.conn("lead/L-1")
	for _, h := range c.History {
		if h.Type == "connected" {
			if !h.At.Equal(monday) {
				t.Errorf("connected at %v", h.At)
			}
			continue
		}
		if h.StepID == "" {
			t.Errorf("%s without a step id", h.Type)
		}
	}
	if last := c.History[len(c.History)-1]; !last.At.Equal(monday.Add(90 * time.Minute)) {
		t.Errorf("last event at %v", last.At)
	}
}

// Rule 12: an active segment connects matching records on import, create and update, once.
func TestRule12Segments(t *testing.T) {
	w := newWorld(t)
	name := w.sequence(callSeq)
	must(t, w.e.AddSegment(w.ctx, "max", store.Segment{Name: "hot", Entity: "lead", Where: []store.SegmentMatch{{Field: "rating", Value: "hot"}}, Sequence: name}))
	wantErr(t, w.e.AddSegment(w.ctx, "sam", store.Segment{Name: "x", Entity: "lead", Where: []store.SegmentMatch{{Field: "a", Value: "b"}}, Sequence: name}), engine.ErrForbidden)
	_, err := w.e.ImportRecords(w.ctx, "max", "more.csv", strings.NewReader("id,name,owner,rating\nL-9,Di Hot,sam,hot\n"), "lead")
	must(t, err)
	if v, _ := w.e.RecordDetail(w.ctx, "ada", "lead/L-9"); len(v.Connections) != 0 {
		t.Fatal("an inactive segment connected a record")
	}
	n, err := w.e.SetSegmentActive(w.ctx, "max", "hot", true)
	must(t, err)
	if n != 1 {
		t.Fatalf("activation connected %d, want 1", n)
	}
	_, err = w.e.ImportRecords(w.ctx, "max", "more.csv", strings.NewReader("id,name,owner,rating\nL-10,Ed Hot,sue,HOT\nL-11,Flo Cold,sue,cold\n"), "lead")
	must(t, err)
	if c := w.conn("lead/L-10"); c.Source != "segment:hot" || c.State != "active" {
		t.Fatalf("imported match: %+v", c)
	}
	if v, _ := w.e.RecordDetail(w.ctx, "ada", "lead/L-11"); len(v.Connections) != 0 {
		t.Fatal("a non-matching record was connected")
	}
	_, err = w.e.SetRecord(w.ctx, "max", "lead/L-11", map[string]string{"rating": "hot"})
	must(t, err)
	if c := w.conn("lead/L-11"); c.Source != "segment:hot" {
		t.Fatalf("updated match: %+v", c)
	}
	// Updating again does not connect twice, even after the record left the sequence.
	must(t, w.e.Disconnect(w.ctx, "max", name, []string{"lead/L-11"}))
	_, err = w.e.SetRecord(w.ctx, "max", "lead/L-11", map[string]string{"note": "x"})
	must(t, err)
	if v, _ := w.e.RecordDetail(w.ctx, "ada", "lead/L-11"); len(v.Connections) != 1 {
		t.Fatalf("%d connections after an update", len(v.Connections))
	}
}

// Rule 13: the clock can be pinned; covered by every scenario here through the manual clock
// and by the command line's --now tests.

// §5 assignment, one scenario per row and fallback.
func TestAssignment(t *testing.T) {
	cases := []struct {
		name, assign, ref string
		want              []string
		note              string
	}{
		{"record owner", "", "lead/L-1", []string{"sam"}, ""},
		{"record owner is a team", "", "lead/L-2", []string{"sam", "sue"}, ""},
		{"record field by username", "assign: {to: record_field, field: account_manager}", "lead/L-1", []string{"tom"}, ""},
		{"record field by email", "assign: {to: record_field, field: account_manager}", "lead/L-2", []string{"sue"}, ""},
		{"record field unknown falls back", "assign: {to: record_field, field: account_manager}", "lead/L-3", []string{"sue"}, "not a user"},
		{"record field empty falls back", "assign: {to: record_field, field: nothing_here}", "lead/L-1", []string{"sam"}, "empty"},
		{"owner team, all members", "assign: {to: owner_team}", "lead/L-2", []string{"sam", "sue"}, ""},
		{"owner team, member role", "assign: {to: owner_team, members: {role: account manager}}", "lead/L-2", []string{"sue"}, ""},
		{"owner team, title", "assign: {to: owner_team, members: {title: AE}}", "lead/L-2", []string{"sam"}, ""},
		{"owner team but owner is a user", "assign: {to: owner_team}", "lead/L-1", []string{"sam"}, "not owned by a team"},
		{"access team", "assign: {to: access_team}", "lead/L-2", []string{"tom", "sue"}, ""},
		{"access team, territory", "assign: {to: access_team, members: {territory: east, role: account manager}}", "lead/L-2", []string{"tom"}, ""},
		{"no access team falls back", "assign: {to: access_team}", "lead/L-1", []string{"sam"}, "no access team"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := newWorld(t)
			name := w.sequence("name: Assigned\n" + c.assign + "\nsteps:\n  - type: task\n    id: work\n  - type: task\n    id: more\n")
			w.connect(name, c.ref)
			all, err := w.e.Tasks(w.ctx, "max", engine.TaskQuery{All: true})
			must(t, err)
			if len(all) != 1 || !slices.Equal(all[0].Assignees, c.want) {
				t.Fatalf("tasks = %+v, want assignees %v", all, c.want)
			}
			// The task is in each assignee's list.
			for _, u := range c.want {
				if len(w.tasks(u)) != 1 {
					t.Errorf("%s does not see the task", u)
				}
			}
			var note string
			for _, h := range w.conn(c.ref).History {
				if h.Type == "task_created" {
					note = h.Note
				}
			}
			if (c.note == "") != (note == "") || !strings.Contains(note, c.note) {
				t.Errorf("history note %q, want one saying %q", note, c.note)
			}
		})
	}
}

// §5: a change of owner applies to the steps that follow; the first assignee to act settles
// a shared task.
func TestAssignmentFollowsOwnerAndFirstActorSettles(t *testing.T) {
	w := newWorld(t)
	name := w.sequence("name: Two tasks\nsteps:\n  - type: task\n    id: one\n  - type: task\n    id: two\n")
	w.connect(name, "lead/L-2")
	shared := w.only("sam")
	if w.only("sue").ID != shared.ID {
		t.Fatal("the team task is not in both lists")
	}
	_, err := w.e.SetRecord(w.ctx, "max", "lead/L-2", map[string]string{"owner": "tom"})
	must(t, err)
	w.act("sue", shared.ID, engine.TaskAction{Kind: engine.ActDone})
	_, err = w.e.ActOnTask(w.ctx, "sam", shared.ID, engine.TaskAction{Kind: engine.ActDone})
	wantErr(t, err, engine.ErrInvalid)
	if len(w.tasks("sam"))+len(w.tasks("sue")) != 0 || w.only("tom").StepID != "two" {
		t.Fatal("the next step did not go to the new owner")
	}
}

// §6 through the façade: sellers act only on their own tasks and records.
func TestSellerPermissionsAtRuntime(t *testing.T) {
	w := newWorld(t)
	name := w.sequence(callSeq)
	_, err := w.e.Connect(w.ctx, "sam", name, []string{"lead/L-3"})
	wantErr(t, err, engine.ErrInvalid) // not sam's record: refused, nothing connected
	if !strings.Contains(err.Error(), "only connect records they own") {
		t.Fatalf("err = %v", err)
	}
	_, err = w.e.Connect(w.ctx, "sam", name, []string{"lead/L-1"})
	must(t, err)
	w.connect(name, "lead/L-3")
	sues := w.only("sue")
	_, err = w.e.ActOnTask(w.ctx, "sam", sues.ID, engine.TaskAction{Kind: engine.ActSkip})
	wantErr(t, err, engine.ErrForbidden)
	_, err = w.e.Tasks(w.ctx, "sam", engine.TaskQuery{User: "sue"})
	wantErr(t, err, engine.ErrForbidden)
	_, err = w.e.Tasks(w.ctx, "sam", engine.TaskQuery{All: true})
	wantErr(t, err, engine.ErrForbidden)
	wantErr(t, w.e.Disconnect(w.ctx, "sam", name, []string{"lead/L-3"}), engine.ErrInvalid)
	// A manager sees and works anyone's.
	if rows, err := w.e.Tasks(w.ctx, "max", engine.TaskQuery{User: "sue"}); err != nil || len(rows) != 1 {
		t.Fatalf("manager view: %v %v", rows, err)
	}
	_, err = w.e.ImportSequence(w.ctx, "sam", mustParse(t, callSeq), engine.SaveOptions{})
	wantErr(t, err, engine.ErrForbidden) // an org sequence
}

func mustParse(t *testing.T, src string) *sequence.Sequence {
	t.Helper()
	def, err := sequence.Parse([]byte(src), "test.yaml")
	must(t, err)
	return def
}

// Versions: records stay on the version they started with; new connections get the newest.
func TestVersionPinning(t *testing.T) {
	w := newWorld(t)
	name := w.sequence("name: Pinned\nsteps:\n  - type: task\n    id: a\n  - type: task\n    id: b\n")
	w.connect(name, "lead/L-1")
	w.sequence("name: Pinned\nsteps:\n  - type: task\n    id: a\n  - type: call\n    id: c\n")
	w.connect(name, "lead/L-3")
	w.act("sam", w.only("sam").ID, engine.TaskAction{Kind: engine.ActDone})
	w.act("sue", w.only("sue").ID, engine.TaskAction{Kind: engine.ActDone})
	if a, b := w.conn("lead/L-1"), w.conn("lead/L-3"); a.Version != 1 || a.CurrentStep != "b" || b.Version != 2 || b.CurrentStep != "c" {
		t.Fatalf("v1 record at %s (v%d), v2 record at %s (v%d)", a.CurrentStep, a.Version, b.CurrentStep, b.Version)
	}
}
