package flow

import (
	"strings"
	"testing"
	"time"

	"github.com/pacer-sales/pacer/engine/sequence"
	"github.com/pacer-sales/pacer/store"
)

func TestConnectActivityStep(t *testing.T) {
	for _, typ := range []sequence.Type{
		sequence.Email, sequence.SMS, sequence.Call, sequence.Task,
		sequence.LinkedInResearch, sequence.LinkedInIntroduce, sequence.LinkedInConnect, sequence.LinkedInInMail,
	} {
		t.Run(string(typ), func(t *testing.T) {
			r := newRun(t, mustPlan(t, `
name: s
steps:
  - {type: `+string(typ)+`, id: first}
  - {type: task, id: second}
`))
			res := r.connect()
			r.want("first", 1, store.ConnActive)
			r.wantTask(true)
			if !r.conn.EnteredAt.Equal(t0) || !r.conn.WakeAt.IsZero() || r.conn.Reason != "" {
				t.Fatalf("entered %v wake %v reason %q", r.conn.EnteredAt, r.conn.WakeAt, r.conn.Reason)
			}
			wantList(t, "effects", effs(res), []string{"create_task first"})
			ef := res.Effects[0]
			if ef.Visit != 1 || ef.Step == nil || ef.Step.Type != typ || ef.Error != "" {
				t.Fatalf("create_task %+v", ef)
			}
			wantList(t, "history", hist(res), []string{"connected  manual", "step_entered first"})
			if c := entry(t, res, "connected"); c.By != "sam" || c.Reason != "manual" || !c.At.Equal(t0) {
				t.Fatalf("connected entry %+v", c)
			}

			// The task id depends on the connection, the step and the visit only.
			again := Decide(store.Connection{ID: r.conn.ID}, r.plan, Input{Kind: Connect}, Env{Now: t0.Add(time.Hour)})
			if again.Conn.Task != r.conn.Task {
				t.Fatalf("same connection, step and visit gave task %s, then %s", r.conn.Task, again.Conn.Task)
			}
			other := Decide(store.Connection{ID: store.DerivedID("another")}, r.plan, Input{Kind: Connect}, Env{Now: t0})
			if other.Conn.Task == r.conn.Task {
				t.Fatal("another connection got the same task id")
			}

			r.at(time.Hour)
			res = r.done("")
			r.want("second", 2, store.ConnActive)
			r.wantTask(true)
			wantList(t, "effects", effs(res), []string{"close_task first done", "create_task second"})
			wantList(t, "history", hist(res), []string{"task_done first", "step_entered second"})
			if e := entry(t, res, "task_done"); e.By != "sam" || e.Task != r.taskID("first", 1).String() {
				t.Fatalf("task_done entry %+v", e)
			}
			if res.Effects[0].Visit != 1 || res.Effects[1].Visit != 2 {
				t.Fatalf("effect visits %d, %d", res.Effects[0].Visit, res.Effects[1].Visit)
			}
		})
	}
}

func TestConnectIgnoredWhenConnected(t *testing.T) {
	r := newRun(t, mustPlan(t, "name: s\nsteps: [{type: task, id: a}]\n"))
	r.connect()
	r.ignored(Input{Kind: Connect}, "already connected")
}

func TestConnectEmptySequenceCompletes(t *testing.T) {
	r := newRun(t, NewPlan(&sequence.Sequence{Name: "empty"}))
	res := r.connect()
	r.want("", 0, store.ConnCompleted)
	wantList(t, "history", hist(res), []string{"connected  manual", "completed "})
}

func TestAutomaticStepsRunToCompletion(t *testing.T) {
	r := newRun(t, mustPlan(t, `
name: s
steps:
  - {type: update_field, id: score, field: score, value: 80}
  - {type: update_field, id: mail, field: email, value: ada@lovelace.example}
  - {type: set_stage, id: stage, stage: qualify}
  - type: condition
    id: hot
    if: field
    all:
      - {field: score, op: ge, value: 50}
      - {field: email, op: contains, value: lovelace}
    yes:
      - {type: update_field, id: temp-hot, field: temperature, value: hot}
    no:
      - {type: update_field, id: temp-cold, field: temperature, value: cold}
  - type: condition
    id: staged
    if: stage
    stages: [qualify]
    yes: []
    no:
      - {type: task, id: never}
`))
	r.env.Record.Fields = map[string]any{"score": 10.0}
	res := r.connect()
	r.want("", 6, store.ConnCompleted)
	r.wantTask(false)
	if r.conn.Reason != "" || !r.conn.WakeAt.IsZero() {
		t.Fatalf("reason %q wake %v", r.conn.Reason, r.conn.WakeAt)
	}
	wantList(t, "effects", effs(res), []string{
		"set_field score score 10→80",
		"set_field mail email ada@example.com→ada@lovelace.example",
		"set_stage stage prospect→qualify",
		"set_field temp-hot temperature <nil>→hot",
	})
	wantList(t, "history", hist(res), []string{
		"connected  manual",
		"step_entered score", "field_updated score",
		"step_entered mail", "field_updated mail",
		"step_entered stage", "stage_set stage",
		"step_entered hot", "condition hot yes",
		"step_entered temp-hot", "field_updated temp-hot",
		"step_entered staged", "condition staged yes",
		"completed staged",
	})
	if e := entry(t, res, "field_updated"); e.Field != "score" || e.Old != 10.0 || e.New != 80.0 {
		t.Fatalf("field_updated %+v", e)
	}
	if e := entry(t, res, "stage_set"); e.Old != "prospect" || e.New != "qualify" {
		t.Fatalf("stage_set %+v", e)
	}
	if e := entry(t, res, "condition"); e.Why != "all 2 tests hold" {
		t.Fatalf("condition why %q", e.Why)
	}
	// The engine's record now has every change.
	if r.env.Record.Email != "ada@lovelace.example" || r.env.Record.Stage != "qualify" || r.env.Record.Fields["temperature"] != "hot" {
		t.Fatalf("record %+v", r.env.Record)
	}
	r.ignored(Input{Kind: Timer}, "ended")
}

func TestUpdateFieldOnAnEmptyRecord(t *testing.T) {
	r := newRun(t, mustPlan(t, `
name: s
steps:
  - {type: update_field, id: set, field: status, value: open}
  - {type: update_field, id: clear, field: status}
  - type: condition
    id: c
    if: field
    field: status
    op: empty
    yes: []
    no: [{type: task, id: never}]
`))
	res := r.connect()
	r.want("", 3, store.ConnCompleted)
	wantList(t, "effects", effs(res), []string{"set_field set status <nil>→open", "set_field clear status open→<nil>"})
	if e := res.History[len(res.History)-2]; e.Type != "condition" || e.Branch != "yes" {
		t.Fatalf("condition %+v", e)
	}
}

func TestTaskDoneAndSkipStaleAndTwice(t *testing.T) {
	r := newRun(t, mustPlan(t, `
name: s
steps:
  - {type: task, id: a}
  - {type: wait, id: w, duration: 1d}
  - {type: task, id: b}
`))
	r.connect()
	r.ignored(Input{Kind: TaskDone, Visit: 0}, "stale")
	r.ignored(Input{Kind: TaskDone, Visit: 2}, "stale")
	r.ignored(Input{Kind: TaskSkipped, Visit: 7}, "stale")
	r.want("a", 1, store.ConnActive)

	r.do(Input{Kind: TaskDone, Visit: 1, Note: "left a message", By: "sam"})
	if e := r.hist[len(r.hist)-2]; e.Type != "task_done" || e.Note != "left a message" {
		t.Fatalf("task_done %+v", e)
	}
	r.want("w", 2, store.ConnActive)
	r.wantTask(false)
	// The same done again (a double click, a replay) is stale now.
	r.ignored(Input{Kind: TaskDone, Visit: 1}, "stale")
	r.ignored(Input{Kind: TaskSkipped, Visit: 1}, "stale")
	// A wait has no task to settle.
	r.ignored(Input{Kind: TaskDone, Visit: 2}, "no open task")

	r.at(24 * time.Hour).timer()
	r.want("b", 3, store.ConnActive)
	res := r.skip()
	wantList(t, "effects", effs(res), []string{"close_task b skipped"})
	wantList(t, "history", hist(res), []string{"task_skipped b", "completed b"})
	r.want("", 3, store.ConnCompleted)
	if len(r.conn.Skipped) != 1 || r.conn.Skipped[0] != "b" {
		t.Fatalf("skipped %v", r.conn.Skipped)
	}
	r.ignored(Input{Kind: TaskDone, Visit: 3}, "ended")
}

const callSeq = `
name: s
steps:
  - {type: call, id: call}
  - type: condition
    id: cond
    if: call_outcome
    outcomes: [connected, busy]
    yes: [{type: task, id: yes-task}]
    no: [{type: task, id: no-task}]
`

func TestCallOutcome(t *testing.T) {
	for _, tc := range []struct {
		name    string
		skip    bool
		outcome string
		// step is where the connection goes; "" when the input is ignored (why).
		step, branch, why string
	}{
		{name: "outcome in the list", outcome: "connected", step: "yes-task", branch: "yes", why: "call outcome connected is one of connected, busy"},
		{name: "second outcome in the list", outcome: "busy", step: "yes-task", branch: "yes", why: "call outcome busy is one of connected, busy"},
		{name: "outcome not in the list", outcome: "no_answer", step: "no-task", branch: "no", why: "call outcome no_answer is not one of connected, busy"},
		{name: "skipped", skip: true, step: "no-task", branch: "no", why: `the call "Phone call" was skipped`},
		{name: "done without outcome", why: "needs an outcome"},
		{name: "unknown outcome", outcome: "sold_them_a_boat", why: `unknown call outcome "sold_them_a_boat"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRun(t, mustPlan(t, callSeq))
			r.connect()
			in := Input{Kind: TaskDone, Visit: 1, Outcome: tc.outcome, By: "sam"}
			if tc.skip {
				in.Kind = TaskSkipped
			}
			if tc.step == "" {
				r.ignored(in, tc.why)
				r.want("call", 1, store.ConnActive)
				r.wantTask(true)
				return
			}
			res := r.do(in)
			r.want(tc.step, 3, store.ConnActive)
			r.wantTask(true)
			state := "done"
			first := "task_done call"
			if tc.skip {
				state, first = "skipped", "task_skipped call"
			} else {
				first += " " + tc.outcome
			}
			wantList(t, "effects", effs(res), []string{"close_task call " + state, "create_task " + tc.step})
			wantList(t, "history", hist(res), []string{first, "step_entered cond", "condition cond " + tc.branch, "step_entered " + tc.step})
			if c := entry(t, res, "condition"); c.Why != tc.why {
				t.Fatalf("why %q, want %q", c.Why, tc.why)
			}
			if got := r.conn.Outcomes["call"]; got != tc.outcome {
				t.Fatalf("outcome %q, want %q", got, tc.outcome)
			}
		})
	}
}

func TestCallWithoutOutcomeCondition(t *testing.T) {
	r := newRun(t, mustPlan(t, `
name: s
steps:
  - {type: call, id: call}
  - {type: call, id: call2}
  - type: condition
    id: f
    if: field
    field: x
    op: empty
    yes: []
    no: []
`))
	r.connect()
	r.done("")
	r.want("call2", 2, store.ConnActive)
	if len(r.conn.Outcomes) != 0 {
		t.Fatalf("outcomes %v", r.conn.Outcomes)
	}
	r.done("left_voicemail")
	r.want("", 3, store.ConnCompleted)
	if r.conn.Outcomes["call2"] != "left_voicemail" {
		t.Fatalf("outcomes %v", r.conn.Outcomes)
	}
}

func TestWait(t *testing.T) {
	plan := mustPlan(t, `
name: s
steps:
  - {type: task, id: a}
  - {type: wait, id: w, duration: 3d}
  - {type: task, id: b}
`)
	start := func(t *testing.T) *run {
		r := newRun(t, plan)
		r.connect()
		res := r.done("")
		r.want("w", 2, store.ConnActive)
		r.wantTask(false)
		wantList(t, "effects", effs(res), []string{"close_task a done"})
		wantList(t, "history", hist(res), []string{"task_done a", "step_entered w"})
		if want := t0.Add(72 * time.Hour); !r.conn.WakeAt.Equal(want) {
			t.Fatalf("wake at %v, want %v", r.conn.WakeAt, want)
		}
		return r
	}
	t.Run("timer", func(t *testing.T) {
		r := start(t)
		r.at(72*time.Hour - time.Second)
		r.ignored(Input{Kind: Timer, Visit: 2}, "not due yet")
		r.at(72 * time.Hour)
		r.ignored(Input{Kind: Timer, Visit: 1}, "stale")
		r.ignored(Input{Kind: Timer, Visit: 3}, "stale")
		res := r.do(Input{Kind: Timer, Visit: 2})
		r.want("b", 3, store.ConnActive)
		r.wantTask(true)
		if !r.conn.WakeAt.IsZero() || !r.conn.EnteredAt.Equal(t0.Add(72*time.Hour)) {
			t.Fatalf("wake %v entered %v", r.conn.WakeAt, r.conn.EnteredAt)
		}
		wantList(t, "effects", effs(res), []string{"create_task b"})
		wantList(t, "history", hist(res), []string{"step_entered b"})
		// The same wake-up again is stale.
		r.ignored(Input{Kind: Timer, Visit: 2}, "stale")
		// A wake-up of the task's visit finds nothing due.
		r.ignored(Input{Kind: Timer, Visit: 3}, "not due yet")
	})
	t.Run("late timer", func(t *testing.T) {
		r := start(t)
		r.at(100 * time.Hour).do(Input{Kind: Timer, Visit: 2})
		r.want("b", 3, store.ConnActive)
	})
	t.Run("skip wait", func(t *testing.T) {
		r := start(t)
		r.at(time.Hour)
		r.ignored(Input{Kind: SkipWait, Visit: 1}, "stale")
		res := r.do(Input{Kind: SkipWait, Visit: 2, By: "sam"})
		r.want("b", 3, store.ConnActive)
		wantList(t, "history", hist(res), []string{"wait_skipped w", "step_entered b"})
		if e := entry(t, res, "wait_skipped"); e.By != "sam" {
			t.Fatalf("wait_skipped %+v", e)
		}
		// The wait's wake-up, when it comes, is stale.
		r.at(72 * time.Hour)
		r.ignored(Input{Kind: Timer, Visit: 2}, "stale")
		// Skipping a wait needs a wait.
		r.ignored(Input{Kind: SkipWait, Visit: 3}, "not a wait")
	})
}

func TestWaitWorkingTime(t *testing.T) {
	cal := NewCalendar(store.DefaultSettings())
	friday := time.Date(2026, 3, 6, 10, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name     string
		skip     bool
		duration string
		at       time.Time
		want     time.Time
	}{
		{"one day over a weekend", true, "1d", friday, time.Date(2026, 3, 9, 10, 0, 0, 0, time.UTC)},
		{"four hours after 15:00", true, "4h", friday.Add(5 * time.Hour), time.Date(2026, 3, 9, 11, 0, 0, 0, time.UTC)},
		{"started on Saturday", true, "2h", friday.Add(26 * time.Hour), time.Date(2026, 3, 9, 11, 0, 0, 0, time.UTC)},
		{"calendar time without the option", false, "4h", friday.Add(5 * time.Hour), friday.Add(9 * time.Hour)},
		{"calendar days without the option", false, "1d", friday, friday.Add(24 * time.Hour)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRun(t, mustPlan(t, `
name: s
options: {skip_non_working_days: `+map[bool]string{true: "true", false: "false"}[tc.skip]+`}
steps:
  - {type: wait, id: w, duration: `+tc.duration+`}
  - {type: task, id: b}
`))
			r.env.Calendar = cal
			r.env.Now = tc.at
			r.connect()
			r.want("w", 1, store.ConnActive)
			if !r.conn.WakeAt.Equal(tc.want) {
				t.Fatalf("wake at %v, want %v", r.conn.WakeAt, tc.want)
			}
			r.env.Now = tc.want.Add(-time.Minute)
			r.ignored(Input{Kind: Timer, Visit: 1}, "not due")
			r.env.Now = tc.want
			r.timer()
			r.want("b", 2, store.ConnActive)
		})
	}
}

func TestAutoEmail(t *testing.T) {
	const src = `
name: s
steps:
  - {type: auto_email, id: intro, template: intro}
  - {type: task, id: next}
`
	connect := func(t *testing.T) *run {
		r := newRun(t, mustPlan(t, src))
		res := r.connect()
		r.want("intro", 1, store.ConnActive)
		r.wantTask(false)
		wantList(t, "effects", effs(res), []string{"queue_message intro"})
		if ef := res.Effects[0]; ef.Visit != 1 || ef.Step == nil || ef.Step.Template != "intro" {
			t.Fatalf("queue_message %+v", ef)
		}
		// Nothing for a seller to settle.
		r.ignored(Input{Kind: TaskDone, Visit: 1}, "no open task")
		r.ignored(Input{Kind: Timer, Visit: 1}, "not due")
		return r
	}
	t.Run("sent", func(t *testing.T) {
		r := connect(t)
		r.ignored(Input{Kind: MessageSent, Visit: 0}, "stale")
		r.at(5 * time.Minute)
		msg := store.DerivedID("message", "intro")
		res := r.do(Input{Kind: MessageSent, Visit: 1, Message: msg, At: t0.Add(4 * time.Minute)})
		r.want("next", 2, store.ConnActive)
		r.wantTask(true)
		wantList(t, "effects", effs(res), []string{"create_task next"})
		wantList(t, "history", hist(res), []string{"email_sent intro", "step_entered next"})
		if e := entry(t, res, "email_sent"); e.Message != msg.String() || !e.At.Equal(t0.Add(5*time.Minute)) {
			t.Fatalf("email_sent %+v", e)
		}
		if s := r.conn.Sent["intro"]; s.Message != msg || !s.At.Equal(t0.Add(4*time.Minute)) {
			t.Fatalf("sent %+v", s)
		}
		// A second acceptance of the same message is stale.
		r.ignored(Input{Kind: MessageSent, Visit: 1, Message: msg}, "stale")
		// A manual step sends nothing.
		r.ignored(Input{Kind: MessageSent, Visit: 2}, "not sending a message")
		r.ignored(Input{Kind: MessageFailed, Visit: 2}, "not sending a message")
	})
	t.Run("sent without a time", func(t *testing.T) {
		r := connect(t)
		r.at(time.Minute).do(Input{Kind: MessageSent, Visit: 1})
		if s := r.conn.Sent["intro"]; !s.At.Equal(t0.Add(time.Minute)) {
			t.Fatalf("sent %+v", s)
		}
	})
	t.Run("failed", func(t *testing.T) {
		r := connect(t)
		r.at(time.Hour)
		res := r.do(Input{Kind: MessageFailed, Visit: 1, Error: "550 mailbox unavailable"})
		r.want("intro", 1, store.ConnActive)
		r.wantTask(true)
		wantList(t, "effects", effs(res), []string{"create_task intro"})
		if ef := res.Effects[0]; ef.Error != "550 mailbox unavailable" || ef.Visit != 1 || ef.Step.Type != sequence.AutoEmail {
			t.Fatalf("create_task %+v", ef)
		}
		wantList(t, "history", hist(res), []string{"message_failed intro 550 mailbox unavailable"})
		// Once the seller has it, the transport's word no longer counts.
		r.ignored(Input{Kind: MessageSent, Visit: 1}, "not sending a message")
		r.ignored(Input{Kind: MessageFailed, Visit: 1}, "not sending a message")

		r.at(2 * time.Hour)
		res = r.done("")
		r.want("next", 2, store.ConnActive)
		wantList(t, "effects", effs(res), []string{"close_task intro done", "create_task next"})
		if s, ok := r.conn.Sent["intro"]; !ok || !s.At.Equal(t0.Add(2*time.Hour)) {
			t.Fatalf("a hand-sent email counts as sent when done: %+v", r.conn.Sent)
		}
	})
	t.Run("sms", func(t *testing.T) {
		r := newRun(t, mustPlan(t, "name: s\nsteps:\n  - {type: auto_sms, id: text, template: hi}\n"))
		res := r.connect()
		wantList(t, "effects", effs(res), []string{"queue_message text"})
		r.sent("text")
		r.want("", 1, store.ConnCompleted)
	})
}

// emailSeq is an automated email followed by an email condition on it.
func emailSeq(cond string) string {
	return `
name: s
steps:
  - {type: auto_email, id: mail, template: intro}
  - type: condition
    id: cond
` + cond + `
    yes: [{type: task, id: yes-task}]
    no: [{type: task, id: no-task}]
`
}

func TestEmailCondition(t *testing.T) {
	for _, kind := range []sequence.Kind{sequence.EmailOpened, sequence.EmailReplied, sequence.LinkClicked, sequence.AttachmentDownloaded} {
		k := string(kind)
		// sendAt connects and sends the email at t0; the condition waits for its window.
		send := func(t *testing.T, early string) *run {
			r := newRun(t, mustPlan(t, emailSeq("    if: "+k+"\n    within: 2d\n"+early)))
			r.connect()
			res := r.sent("mail")
			r.want("cond", 2, store.ConnActive)
			r.wantTask(false)
			wantList(t, "history", hist(res), []string{"email_sent mail", "step_entered cond"})
			if want := t0.Add(48 * time.Hour); !r.conn.WakeAt.Equal(want) {
				t.Fatalf("wake at %v, want the window end %v", r.conn.WakeAt, want)
			}
			return r
		}
		t.Run(k+"/event early", func(t *testing.T) {
			r := send(t, "")
			r.at(3 * time.Hour)
			res := r.event("mail", kind)
			r.want("yes-task", 3, store.ConnActive)
			r.wantTask(true)
			if !r.conn.WakeAt.IsZero() {
				t.Fatalf("wake at %v after deciding", r.conn.WakeAt)
			}
			wantList(t, "history", hist(res), []string{"event mail " + k, "condition cond yes", "step_entered yes-task"})
			if c := entry(t, res, "condition"); c.Why != k+" within 2d" || !c.At.Equal(t0.Add(3*time.Hour)) {
				t.Fatalf("condition %+v", c)
			}
			if at := r.conn.Sent["mail"].Events[k]; !at.Equal(t0.Add(3 * time.Hour)) {
				t.Fatalf("event recorded at %v", at)
			}
			// The window's wake-up is stale now.
			r.at(48 * time.Hour)
			r.ignored(Input{Kind: Timer, Visit: 2}, "stale")
		})
		t.Run(k+"/no event", func(t *testing.T) {
			r := send(t, "")
			r.at(47 * time.Hour)
			r.ignored(Input{Kind: Timer, Visit: 2}, "not due yet")
			r.at(48 * time.Hour)
			res := r.timer()
			r.want("no-task", 3, store.ConnActive)
			wantList(t, "history", hist(res), []string{"condition cond no", "step_entered no-task"})
			if c := entry(t, res, "condition"); c.Why != "no "+k+" within 2d" {
				t.Fatalf("why %q", c.Why)
			}
		})
		t.Run(k+"/event not early", func(t *testing.T) {
			r := send(t, "    early: false\n")
			r.at(time.Hour)
			res := r.event("mail", kind)
			r.want("cond", 2, store.ConnActive)
			wantList(t, "history", hist(res), []string{"event mail " + k})
			if want := t0.Add(48 * time.Hour); !r.conn.WakeAt.Equal(want) {
				t.Fatalf("wake at %v, want %v", r.conn.WakeAt, want)
			}
			r.at(48 * time.Hour)
			res = r.timer()
			r.want("yes-task", 3, store.ConnActive)
			if c := entry(t, res, "condition"); c.Branch != "yes" || c.Why != k+" within 2d" {
				t.Fatalf("condition %+v", c)
			}
		})
		t.Run(k+"/event after the window", func(t *testing.T) {
			// The event comes in after the window closed but before its wake-up ran.
			r := send(t, "")
			r.at(49 * time.Hour)
			res := r.event("mail", kind)
			r.want("no-task", 3, store.ConnActive)
			if c := entry(t, res, "condition"); c.Branch != "no" || c.Why != "no "+k+" within 2d" {
				t.Fatalf("condition %+v", c)
			}
		})
		t.Run(k+"/event at the window end", func(t *testing.T) {
			r := send(t, "")
			r.at(48 * time.Hour)
			r.event("mail", kind)
			r.want("yes-task", 3, store.ConnActive)
		})
	}
}

func TestEmailConditionManualEmail(t *testing.T) {
	plan := mustPlan(t, `
name: s
steps:
  - {type: email, id: mail}
  - type: condition
    id: cond
    if: email_replied
    within: 1d
    yes: [{type: task, id: yes-task}]
    no: [{type: task, id: no-task}]
`)
	t.Run("done then event", func(t *testing.T) {
		r := newRun(t, plan)
		r.connect()
		// Events belong to steps that send email.
		r.ignored(Input{Kind: EmailEvent, StepID: "cond", Event: sequence.EmailReplied}, "sent no message")
		r.at(2 * time.Hour).done("")
		r.want("cond", 2, store.ConnActive)
		if s := r.conn.Sent["mail"]; !s.At.Equal(t0.Add(2 * time.Hour)) {
			t.Fatalf("sent %+v", s)
		}
		if want := t0.Add(26 * time.Hour); !r.conn.WakeAt.Equal(want) {
			t.Fatalf("window ends %v, want %v", r.conn.WakeAt, want)
		}
		r.at(5*time.Hour).event("mail", sequence.EmailReplied)
		r.want("yes-task", 3, store.ConnActive)
	})
	t.Run("event for an email not reached yet", func(t *testing.T) {
		r := newRun(t, mustPlan(t, `
name: s
options: {exit_on_reply: true}
steps:
  - {type: task, id: first}
  - {type: email, id: mail}
`))
		r.connect()
		r.ignored(Input{Kind: EmailEvent, StepID: "mail", Event: sequence.EmailReplied}, "sent no message")
		r.want("first", 1, store.ConnActive)
	})
	t.Run("event before done", func(t *testing.T) {
		// The seller sent the email and the reply came before the task was marked done:
		// the condition, reached at done, finds it.
		r := newRun(t, plan)
		r.connect()
		res := r.at(time.Hour).event("mail", sequence.EmailReplied)
		wantList(t, "history", hist(res), []string{"event mail email_replied"})
		r.want("mail", 1, store.ConnActive)
		r.wantTask(true)
		res = r.at(2 * time.Hour).done("")
		r.want("yes-task", 3, store.ConnActive)
		wantList(t, "history", hist(res), []string{"task_done mail", "step_entered cond", "condition cond yes", "step_entered yes-task"})
		s := r.conn.Sent["mail"]
		if !s.At.Equal(t0.Add(2*time.Hour)) || !s.Events["email_replied"].Equal(t0.Add(time.Hour)) {
			t.Fatalf("sent %+v", s)
		}
	})
	t.Run("sent by hand", func(t *testing.T) {
		// The seller sends the email from the console: Decide records the message, keeps
		// the events already seen, and settles the task (issue 8: no change outside Decide).
		r := newRun(t, plan)
		r.connect()
		r.at(time.Hour).event("mail", sequence.EmailReplied)
		msg := store.DerivedID("message", "by hand")
		r.ignored(Input{Kind: ManualSent, Visit: r.conn.Visit - 1, Message: msg}, "stale")
		res := r.at(2 * time.Hour).do(Input{Kind: ManualSent, Visit: r.conn.Visit, Message: msg, Note: "sent", By: "sam"})
		wantList(t, "history", hist(res), []string{"email_sent mail", "task_done mail", "step_entered cond", "condition cond yes", "step_entered yes-task"})
		if e := entry(t, res, "email_sent"); e.Message != msg.String() || e.By != "sam" {
			t.Fatalf("email_sent %+v", e)
		}
		if s := r.conn.Sent["mail"]; s.Message != msg || !s.At.Equal(t0.Add(2*time.Hour)) || !s.Events["email_replied"].Equal(t0.Add(time.Hour)) {
			t.Fatalf("sent %+v", s)
		}
		if got := effs(res); len(got) == 0 || !strings.HasPrefix(got[0], "close_task") {
			t.Fatalf("effects %v", got)
		}
		r.ignored(Input{Kind: ManualSent, Visit: r.conn.Visit, Message: msg}, "not a message to send by hand")
	})
	t.Run("skipped", func(t *testing.T) {
		r := newRun(t, plan)
		r.connect()
		res := r.skip()
		r.want("no-task", 3, store.ConnActive)
		if c := entry(t, res, "condition"); c.Branch != "no" || c.Why != `the email "Email" was skipped` {
			t.Fatalf("condition %+v", c)
		}
	})
}

func TestEmailEventBookkeeping(t *testing.T) {
	r := newRun(t, mustPlan(t, emailSeq("    if: email_replied\n    within: 2d\n")))
	r.connect()
	r.sent("mail")
	// Another kind of event is recorded but decides nothing.
	r.at(time.Hour)
	res := r.event("mail", sequence.EmailOpened)
	wantList(t, "history", hist(res), []string{"event mail email_opened"})
	r.want("cond", 2, store.ConnActive)
	if !r.conn.WakeAt.Equal(t0.Add(48 * time.Hour)) {
		t.Fatalf("wake at %v", r.conn.WakeAt)
	}
	// A duplicate is ignored and keeps the first time.
	r.at(2 * time.Hour)
	r.ignored(Input{Kind: EmailEvent, StepID: "mail", Event: sequence.EmailOpened}, "already recorded")
	if at := r.conn.Sent["mail"].Events["email_opened"]; !at.Equal(t0.Add(time.Hour)) {
		t.Fatalf("opened at %v", at)
	}
	// Events for steps that sent nothing, and unknown events, are ignored.
	r.ignored(Input{Kind: EmailEvent, StepID: "cond", Event: sequence.EmailOpened}, "sent no message")
	r.ignored(Input{Kind: EmailEvent, StepID: "nope", Event: sequence.EmailOpened}, "sent no message")
	r.ignored(Input{Kind: EmailEvent, StepID: "mail", Event: "bounced"}, "unknown email event")
	r.ignored(Input{Kind: EmailEvent, StepID: "mail", Event: sequence.EmailEvents}, "unknown email event")
	// An event without a time happened now.
	r.at(3 * time.Hour).do(Input{Kind: EmailEvent, StepID: "mail", Event: sequence.EmailReplied})
	r.want("yes-task", 3, store.ConnActive)
	if at := r.conn.Sent["mail"].Events["email_replied"]; !at.Equal(t0.Add(3 * time.Hour)) {
		t.Fatalf("replied at %v", at)
	}
	// Events still count after the condition: they are part of the message's story.
	r.at(4 * time.Hour).do(Input{Kind: EmailEvent, StepID: "mail", Event: sequence.LinkClicked})
	r.want("yes-task", 3, store.ConnActive)
	if len(r.conn.Sent["mail"].Events) != 3 {
		t.Fatalf("events %v", r.conn.Sent["mail"].Events)
	}
}

func TestEmailEventsMatch(t *testing.T) {
	for _, tc := range []struct {
		name, cond string
		// events arrive at t0+1h, +2h, … ; branch and why are the decision, at the event
		// (early) or at the window end.
		events      []sequence.Kind
		step, why   string
		decidedAtEv bool
	}{
		{"all, both", "match: all", []sequence.Kind{sequence.LinkClicked, sequence.EmailOpened}, "yes-task", "email_opened, link_clicked within 1d", true},
		{"all, one", "match: all", []sequence.Kind{sequence.EmailOpened}, "no-task", "no link_clicked within 1d", false},
		{"all by default", "", []sequence.Kind{sequence.EmailOpened}, "no-task", "no link_clicked within 1d", false},
		{"all, none", "match: all", nil, "no-task", "no email_opened, link_clicked within 1d", false},
		{"any, one", "match: any", []sequence.Kind{sequence.LinkClicked}, "yes-task", "link_clicked within 1d", true},
		{"any, none", "match: any", nil, "no-task", "no email_opened, link_clicked within 1d", false},
		{"any, another event", "match: any", []sequence.Kind{sequence.EmailReplied}, "no-task", "no email_opened, link_clicked within 1d", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRun(t, mustPlan(t, emailSeq("    if: email_events\n    events: [email_opened, link_clicked]\n    within: 1d\n    "+tc.cond+"\n")))
			r.connect()
			r.sent("mail")
			for i, ev := range tc.events {
				r.at(time.Duration(i+1) * time.Hour).do(Input{Kind: EmailEvent, StepID: "mail", Event: ev})
			}
			if !tc.decidedAtEv {
				r.want("cond", 2, store.ConnActive)
				r.at(24 * time.Hour).timer()
			}
			r.want(tc.step, 3, store.ConnActive)
			if c := entry(t, r.last, "condition"); c.Why != tc.why {
				t.Fatalf("why %q, want %q", c.Why, tc.why)
			}
		})
	}
}

func TestExitOnReply(t *testing.T) {
	const steps = `
steps:
  - {type: auto_email, id: mail, template: intro}
  - {type: task, id: follow-up}
  - {type: task, id: later}
`
	t.Run("on", func(t *testing.T) {
		r := newRun(t, mustPlan(t, "name: s\noptions: {exit_on_reply: true}\n"+steps))
		r.connect()
		r.sent("mail")
		r.want("follow-up", 2, store.ConnActive)
		// Other events don't end it.
		r.at(time.Hour).do(Input{Kind: EmailEvent, StepID: "mail", Event: sequence.EmailOpened})
		r.want("follow-up", 2, store.ConnActive)
		r.at(2 * time.Hour)
		res := r.event("mail", sequence.EmailReplied)
		r.want("", 2, store.ConnDisconnected)
		r.wantTask(false)
		if r.conn.Reason != store.ReasonReplied {
			t.Fatalf("reason %q", r.conn.Reason)
		}
		wantList(t, "effects", effs(res), []string{"close_task follow-up canceled"})
		if res.Effects[0].Visit != 2 {
			t.Fatalf("canceled visit %d", res.Effects[0].Visit)
		}
		wantList(t, "history", hist(res), []string{"event mail email_replied", "disconnected follow-up replied"})
		r.ignored(Input{Kind: TaskDone, Visit: 2}, "ended")
		r.ignored(Input{Kind: EmailEvent, StepID: "mail", Event: sequence.LinkClicked}, "ended")
	})
	t.Run("reply to an earlier email", func(t *testing.T) {
		r := newRun(t, mustPlan(t, "name: s\noptions: {exit_on_reply: true}\n"+steps))
		r.connect()
		r.sent("mail")
		r.done("")
		r.want("later", 3, store.ConnActive)
		r.event("mail", sequence.EmailReplied)
		r.want("", 3, store.ConnDisconnected)
		wantList(t, "effects", effs(r.last), []string{"close_task later canceled"})
	})
	t.Run("reply to a manual email before done", func(t *testing.T) {
		r := newRun(t, mustPlan(t, "name: s\noptions: {exit_on_reply: true}\nsteps: [{type: email, id: m}, {type: task, id: t}]\n"))
		r.connect()
		res := r.event("m", sequence.EmailReplied)
		r.want("", 1, store.ConnDisconnected)
		wantList(t, "effects", effs(res), []string{"close_task m canceled"})
	})
	t.Run("off", func(t *testing.T) {
		r := newRun(t, mustPlan(t, "name: s\n"+steps))
		r.connect()
		r.sent("mail")
		res := r.event("mail", sequence.EmailReplied)
		r.want("follow-up", 2, store.ConnActive)
		r.wantTask(true)
		wantList(t, "effects", effs(res), nil)
		wantList(t, "history", hist(res), []string{"event mail email_replied"})
	})
}

func TestFieldCondition(t *testing.T) {
	const cond = `
name: s
steps:
  - type: condition
    id: c
    if: field
%s
    yes: [{type: task, id: yes-task}]
    no: [{type: task, id: no-task}]
`
	fields := map[string]any{"company": "Acme Corp", "score": 42.0, "vip": true, "size": "250", "blank": ""}
	for _, tc := range []struct {
		name, test string
		yes        bool
		why        string
	}{
		{"eq string", "    field: company\n    op: eq\n    value: acme corp", true, `holds: company is "Acme Corp", test eq acme corp`},
		{"eq by default", "    field: company\n    value: Acme Corp", true, ""},
		{"ne", "    field: company\n    op: ne\n    value: Acme Corp", false, `fails: company is "Acme Corp", test ne Acme Corp`},
		{"gt number", "    field: score\n    op: gt\n    value: 41.5", true, ""},
		{"ge number", "    field: score\n    op: ge\n    value: 42", true, ""},
		{"lt numeric text", "    field: size\n    op: lt\n    value: 1000", true, ""},
		{"le", "    field: score\n    op: le\n    value: 41", false, ""},
		{"contains", "    field: company\n    op: contains\n    value: CORP", true, ""},
		{"in", "    field: company\n    op: in\n    value: [Initech, acme corp]", true, ""},
		{"in numbers", "    field: score\n    op: in\n    value: [1, 42]", true, ""},
		{"eq bool", "    field: vip\n    op: eq\n    value: true", true, ""},
		{"empty missing", "    field: region\n    op: empty", true, "holds: region is empty, test empty"},
		{"empty blank", "    field: blank\n    op: empty", true, ""},
		{"not_empty missing", "    field: region\n    op: not_empty", false, ""},
		{"not_empty own field", "    field: email\n    op: not_empty", true, ""},
		{"missing eq", "    field: region\n    op: eq\n    value: west", false, "fails: region is empty, test eq west"},
		{"missing ne", "    field: region\n    op: ne\n    value: west", true, ""},
		{"missing gt", "    field: region\n    op: gt\n    value: 0", false, ""},
		{"all", "    all:\n      - {field: vip, op: eq, value: true}\n      - {field: score, op: gt, value: 40}", true, "all 2 tests hold"},
		{"all fails", "    all:\n      - {field: vip, op: eq, value: true}\n      - {field: score, op: gt, value: 50}", false, `fails: score is "42", test gt 50`},
		{"any", "    any:\n      - {field: region, op: eq, value: west}\n      - {field: size, op: ge, value: 100}", true, `holds: size is "250", test ge 100`},
		{"any fails", "    any:\n      - {field: region, op: eq, value: west}\n      - {field: vip, op: eq, value: false}", false, `fails: region is empty, test eq west; fails: vip is "true", test eq false`},
		{"nested", "    all:\n      - {field: company, op: contains, value: acme}\n      - any:\n          - {field: region, op: not_empty}\n          - all:\n              - {field: score, op: ge, value: 42}\n              - {field: stage, op: eq, value: prospect}", true, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRun(t, mustPlan(t, strings.Replace(cond, "%s", tc.test, 1)))
			r.env.Record.Fields = fields
			res := r.connect()
			want := "no-task"
			if tc.yes {
				want = "yes-task"
			}
			r.want(want, 2, store.ConnActive)
			c := entry(t, res, "condition")
			if tc.why != "" && c.Why != tc.why {
				t.Fatalf("why %q, want %q", c.Why, tc.why)
			}
			if c.Why == "" {
				t.Fatal("a condition says why")
			}
		})
	}
}

func TestStageCondition(t *testing.T) {
	const src = `
name: s
steps:
  - type: condition
    id: c
    if: stage
    stages: [qualify, develop]
    yes: [{type: task, id: yes-task}]
    no: [{type: task, id: no-task}]
`
	for _, tc := range []struct{ stage, step, why string }{
		{"develop", "yes-task", `stage "develop" is one of qualify, develop`},
		{"prospect", "no-task", `stage "prospect" is not one of qualify, develop`},
		{"", "no-task", `stage "" is not one of qualify, develop`},
	} {
		t.Run(tc.stage, func(t *testing.T) {
			r := newRun(t, mustPlan(t, src))
			r.env.Record.Stage = tc.stage
			res := r.connect()
			r.want(tc.step, 2, store.ConnActive)
			if c := entry(t, res, "condition"); c.Why != tc.why {
				t.Fatalf("why %q, want %q", c.Why, tc.why)
			}
		})
	}
}

func TestBranchesJoinAfterTheCondition(t *testing.T) {
	const src = `
name: s
steps:
  - type: condition
    id: outer
    if: field
    field: go
    op: eq
    value: true
    yes:
      - {type: task, id: y1}
      - type: condition
        id: inner
        if: stage
        stages: [qualify]
        yes: []
        no: []
    no: []
  - {type: task, id: after}
`
	for _, tc := range []struct {
		name  string
		goVal any
		path  []string
	}{
		{"yes", true, []string{"connected  manual", "step_entered outer", "condition outer yes", "step_entered y1"}},
		{"no, empty branch", false, []string{"connected  manual", "step_entered outer", "condition outer no", "step_entered after"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRun(t, mustPlan(t, src))
			r.env.Record.Fields = map[string]any{"go": tc.goVal}
			res := r.connect()
			wantList(t, "history", hist(res), tc.path)
			if tc.goVal == true {
				res = r.done("")
				// The inner condition's empty branches lead past the outer condition.
				wantList(t, "history", hist(res), []string{"task_done y1", "step_entered inner", "condition inner no", "step_entered after"})
			}
			r.want("after", r.conn.Visit, store.ConnActive)
			r.done("")
			r.want("", r.conn.Visit, store.ConnCompleted)
			if e := r.hist[len(r.hist)-1]; e.Type != "completed" || e.StepID != "after" {
				t.Fatalf("last entry %+v", e)
			}
		})
	}
}

func TestAdvanceTo(t *testing.T) {
	r := newRun(t, mustPlan(t, `
name: s
steps:
  - {type: task, id: a}
  - {type: advance_to, id: adv, sequence: Nurture}
`))
	r.connect()
	res := r.at(time.Hour).done("")
	r.want("", 2, store.ConnDisconnected)
	r.wantTask(false)
	if r.conn.Reason != store.ReasonAdvanced {
		t.Fatalf("reason %q", r.conn.Reason)
	}
	wantList(t, "effects", effs(res), []string{"close_task a done", "advance adv Nurture"})
	wantList(t, "history", hist(res), []string{"task_done a", "step_entered adv", "advanced adv", "disconnected adv advanced"})
	if e := entry(t, res, "advanced"); e.Sequence != "Nurture" {
		t.Fatalf("advanced %+v", e)
	}
	// Nothing moves an ended connection.
	for _, in := range []Input{
		{Kind: Connect},
		{Kind: TaskDone, Visit: 2},
		{Kind: TaskSkipped, Visit: 2},
		{Kind: Timer, Visit: 2},
		{Kind: SkipWait, Visit: 2},
		{Kind: MessageSent, Visit: 2},
		{Kind: MessageFailed, Visit: 2},
		{Kind: EmailEvent, StepID: "a", Event: sequence.EmailReplied},
		{Kind: Disconnect, Reason: store.ReasonManual},
	} {
		r.ignored(in, "")
	}
}

func TestDisconnect(t *testing.T) {
	const src = `
name: s
steps:
  - {type: task, id: a}
  - {type: wait, id: w, duration: 1d}
  - {type: task, id: b}
`
	t.Run("at a task", func(t *testing.T) {
		r := newRun(t, mustPlan(t, src))
		r.connect()
		res := r.at(time.Hour).do(Input{Kind: Disconnect, Reason: store.ReasonSequenceDeleted, By: "admin", Visit: 99})
		r.want("", 1, store.ConnDisconnected)
		r.wantTask(false)
		if r.conn.Reason != store.ReasonSequenceDeleted {
			t.Fatalf("reason %q", r.conn.Reason)
		}
		wantList(t, "effects", effs(res), []string{"close_task a canceled"})
		wantList(t, "history", hist(res), []string{"disconnected a sequence_deleted"})
		if e := res.History[0]; e.By != "admin" || !e.At.Equal(t0.Add(time.Hour)) {
			t.Fatalf("disconnected %+v", e)
		}
		r.ignored(Input{Kind: TaskDone, Visit: 1}, "ended")
		r.ignored(Input{Kind: Disconnect}, "ended")
	})
	t.Run("at a wait, reason manual by default", func(t *testing.T) {
		r := newRun(t, mustPlan(t, src))
		r.connect()
		r.done("")
		res := r.do(Input{Kind: Disconnect, By: "sam"})
		r.want("", 2, store.ConnDisconnected)
		if r.conn.Reason != store.ReasonManual || !r.conn.WakeAt.IsZero() {
			t.Fatalf("reason %q wake %v", r.conn.Reason, r.conn.WakeAt)
		}
		wantList(t, "effects", effs(res), nil)
		r.at(24 * time.Hour)
		r.ignored(Input{Kind: Timer, Visit: 2}, "ended")
	})
	t.Run("at a step its plan lacks", func(t *testing.T) {
		r := newRun(t, mustPlan(t, src))
		r.connect()
		r.conn.Step = "gone"
		r.ignored(Input{Kind: TaskDone, Visit: 1}, "no step")
		r.do(Input{Kind: Disconnect, Reason: store.ReasonManual})
		r.want("", 1, store.ConnDisconnected)
	})
}

func TestUnknownInput(t *testing.T) {
	r := newRun(t, mustPlan(t, "name: s\nsteps: [{type: task, id: a}]\n"))
	r.connect()
	r.ignored(Input{Kind: "snooze", Visit: 1}, "unknown input")
}

func TestSpecExampleWalk(t *testing.T) {
	plan := mustPlan(t, specExample)
	t.Run("connected on the first call", func(t *testing.T) {
		r := newRun(t, plan)
		r.connect()
		r.want("intro", 1, store.ConnActive)
		r.at(time.Minute).sent("intro")
		r.want("research", 2, store.ConnActive)
		r.done("")
		r.want("call1", 3, store.ConnActive)
		r.done("connected")
		r.want("connect", 5, store.ConnActive)
		r.done("")
		r.want("meeting", 6, store.ConnActive)
		r.done("")
		r.want("", 6, store.ConnCompleted)
	})
	t.Run("never reached", func(t *testing.T) {
		r := newRun(t, plan)
		r.connect()
		r.sent("intro")
		r.done("")
		r.done("no_answer")
		r.want("wait3d", 5, store.ConnActive)
		r.at(72 * time.Hour).timer()
		r.want("call2", 6, store.ConnActive)
		r.ignored(Input{Kind: TaskDone, Visit: 6}, "needs an outcome")
		res := r.done("busy")
		r.want("", 8, store.ConnCompleted)
		wantList(t, "effects", effs(res), []string{"close_task call2 done", "set_field disq status <nil>→disqualified"})
		if r.env.Record.Fields["status"] != "disqualified" {
			t.Fatalf("record %+v", r.env.Record)
		}
	})
	t.Run("reached the second time", func(t *testing.T) {
		r := newRun(t, plan)
		r.connect()
		r.sent("intro")
		r.done("")
		r.skip()
		r.want("wait3d", 5, store.ConnActive)
		if c := r.hist[len(r.hist)-2]; c.Type != "condition" || c.Branch != "no" || !strings.Contains(c.Why, "skipped") {
			t.Fatalf("condition %+v", c)
		}
		r.do(Input{Kind: SkipWait, Visit: 5})
		r.done("connected")
		// yes: [] of the inner condition ends the path.
		r.want("", 7, store.ConnCompleted)
	})
	t.Run("replied", func(t *testing.T) {
		r := newRun(t, plan)
		r.connect()
		r.sent("intro")
		r.done("")
		r.event("intro", sequence.EmailReplied)
		r.want("", 3, store.ConnDisconnected)
		if r.conn.Reason != store.ReasonReplied {
			t.Fatalf("reason %q", r.conn.Reason)
		}
	})
}
