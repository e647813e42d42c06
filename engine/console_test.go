package engine_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pacer-sales/pacer/engine"
	"github.com/pacer-sales/pacer/engine/mail"
	"github.com/pacer-sales/pacer/engine/mail/mailtest"
)

// consoleSeq is worked from the seller console: a manual email with a template, an opened
// check on it, a call whose outcome picks the branch, a wait on the No path.
const consoleSeq = `
name: Console
steps:
  - type: email
    id: hello
    name: Say hello
    template: intro
  - type: condition
    id: opened
    if: email_opened
    within: 2d
    yes:
      - type: call
        id: warm-call
        name: Warm call
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
          - type: email
            id: bare
            name: Plain email
    no:
      - type: call
        id: cold-call
        name: Cold call
`

// consoleTask returns the open task of a user for a record at a step.
func consoleTask(w *world, user, ref, step string) engine.TaskRow {
	w.t.Helper()
	for _, task := range w.tasks(user) {
		if task.Record == ref && task.StepID == step {
			return task
		}
	}
	w.t.Fatalf("%s has no open task for %s at step %q: %+v", user, ref, step, w.tasks(user))
	return engine.TaskRow{}
}

func stepIDs[T any](xs []T, id func(T) string) []string {
	out := []string{}
	for _, x := range xs {
		out = append(out, id(x))
	}
	return out
}

func TestUpNext(t *testing.T) {
	w := newWorld(t)
	name := w.sequence(consoleSeq)
	other := w.sequence(callSeq)
	w.connect(name, "lead/L-1")
	w.connect(other, "lead/L-1")

	ups, err := w.e.UpNext(w.ctx, "sam", "lead/L-1")
	must(t, err)
	if len(ups) != 2 || ups[0].Sequence != "Console" || ups[1].Sequence != "Calls" {
		t.Fatalf("up next = %+v", ups)
	}
	u := ups[0]
	email := consoleTask(w, "sam", "lead/L-1", "hello")
	if c := u.Current; c.ID != "hello" || c.Type != "email" || c.Name != "Say hello" || c.TaskID != email.ID ||
		!c.DueAt.Equal(monday) || c.Detail != "template intro" || c.Waiting || !slices.Equal(c.Assignees, []string{"sam"}) {
		t.Fatalf("current = %+v", c)
	}
	// The path stands up to the first condition, whose branch is not known yet.
	if got := stepIDs(u.Ahead, func(s engine.UpStep) string { return s.ID }); !slices.Equal(got, []string{"opened"}) {
		t.Fatalf("ahead = %q", got)
	}
	if len(u.Past) != 0 || u.Record.Name != "Ana Lima" || u.Record.Fields["score"] != 10.0 {
		t.Fatalf("past = %+v, record = %+v", u.Past, u.Record)
	}

	// Send the email (no transport: kept), the email is opened (Yes), the call is not
	// reached (No), then the connection waits.
	_, err = w.e.SendEmail(w.ctx, "sam", email.ID, engine.Draft{Subject: "Hi", Body: "Hello"})
	must(t, err)
	w.clock.Advance(time.Hour)
	must(t, w.e.RecordEvent(w.ctx, "max", "lead/L-1", "email_opened", "hello", time.Time{}))
	ups, err = w.e.UpNext(w.ctx, "sam", "lead/L-1")
	must(t, err)
	u = ups[0]
	if u.Current.ID != "warm-call" || len(u.Ahead) != 1 || u.Ahead[0].ID != "reached" || u.Ahead[0].Detail != "call outcome is connected" {
		t.Fatalf("after the open: current %+v ahead %+v", u.Current, u.Ahead)
	}
	w.clock.Advance(time.Hour)
	w.act("sam", u.Current.TaskID, engine.TaskAction{Kind: engine.ActDone, Outcome: "no_answer", Note: "rang twice"})

	ups, err = w.e.UpNext(w.ctx, "sam", "lead/L-1")
	must(t, err)
	u = ups[0]
	if c := u.Current; c.ID != "pause" || !c.Waiting || c.TaskID != "" || !c.WakeAt.Equal(monday.Add(2*time.Hour+48*time.Hour)) || c.Detail != "2d" {
		t.Fatalf("current = %+v", c)
	}
	if got := stepIDs(u.Ahead, func(s engine.UpStep) string { return s.ID }); !slices.Equal(got, []string{"bare"}) {
		t.Fatalf("ahead = %q", got)
	}
	got := stepIDs(u.Past, func(p engine.PastStep) string { return p.ID + ":" + p.What })
	want := []string{"hello:sent", "hello:done", "opened:yes", "warm-call:done", "reached:no"}
	if !slices.Equal(got, want) {
		t.Fatalf("past = %q, want %q", got, want)
	}
	call := u.Past[3]
	if call.Outcome != "no_answer" || call.Note != "rang twice" || call.By != "sam" || !call.At.Equal(monday.Add(2*time.Hour)) || call.Name != "Warm call" {
		t.Fatalf("call = %+v", call)
	}
	if u.Past[0].Note != "" || u.Past[1].Note != "marked as sent" || !strings.Contains(u.Past[4].Why, "no_answer") {
		t.Fatalf("past = %+v", u.Past)
	}

	// Skipping the wait from the console moves on; a skipped step is listed as skipped.
	must(t, w.e.SkipWait(w.ctx, "sam", name, "lead/L-1"))
	bare := consoleTask(w, "sam", "lead/L-1", "bare")
	w.act("sam", bare.ID, engine.TaskAction{Kind: engine.ActSkip})
	ups, err = w.e.UpNext(w.ctx, "sam", "lead/L-1")
	must(t, err)
	if len(ups) != 1 || ups[0].Sequence != "Calls" {
		t.Fatalf("only the Calls connection is active now: %+v", ups)
	}
	v, err := w.e.RecordDetail(w.ctx, "sam", "lead/L-1")
	must(t, err)
	if v.Connections[0].State != "completed" {
		t.Fatalf("Console connection is %s", v.Connections[0].State)
	}
}

func TestUpNextRoles(t *testing.T) {
	w := newWorld(t)
	name := w.sequence(consoleSeq)
	w.connect(name, "lead/L-1")
	for _, who := range []string{"sam", "max", "ada"} {
		if _, err := w.e.UpNext(w.ctx, who, "lead/L-1"); err != nil {
			t.Errorf("%s: %v", who, err)
		}
	}
	_, err := w.e.UpNext(w.ctx, "tom", "lead/L-1")
	wantErr(t, err, engine.ErrForbidden)
	// A seller who was handed the task may see the record.
	task := consoleTask(w, "sam", "lead/L-1", "hello")
	w.act("sam", task.ID, engine.TaskAction{Kind: engine.ActAssign, To: "tom"})
	ups, err := w.e.UpNext(w.ctx, "tom", "lead/L-1")
	must(t, err)
	if len(ups) != 1 || !slices.Equal(ups[0].Current.Assignees, []string{"tom"}) {
		t.Fatalf("up next = %+v", ups)
	}
	_, err = w.e.UpNext(w.ctx, "sam", "lead/L-404")
	wantErr(t, err, engine.ErrInvalid)
	_, err = w.e.UpNext(w.ctx, "nobody", "lead/L-1")
	wantErr(t, err, engine.ErrForbidden)
}

func TestComposeEmail(t *testing.T) {
	w := newWorld(t)
	name := w.sequence(consoleSeq)
	w.connect(name, "lead/L-1", "lead/L-2")
	task := consoleTask(w, "sam", "lead/L-1", "hello")
	d, err := w.e.ComposeEmail(w.ctx, "sam", task.ID)
	must(t, err)
	want := engine.Draft{To: "ana@example.com", From: "sam@example.com", Subject: "Hello Ana", Body: "Hi Ana Lima, Sam Okafor here.", Template: "intro"}
	if d != want {
		t.Fatalf("draft = %+v\nwant %+v", d, want)
	}
	// A team-owned record: the acting member is the owner the email speaks for.
	team := consoleTask(w, "sue", "lead/L-2", "hello")
	d, err = w.e.ComposeEmail(w.ctx, "sue", team.ID)
	must(t, err)
	if d.Body != "Hi Bo Chen, Sue Lin here." || d.From != "sue@example.com" || d.To != "bo@example.com" {
		t.Fatalf("team draft = %+v", d)
	}
	// Managers may compose any email task; other sellers may not.
	if _, err := w.e.ComposeEmail(w.ctx, "max", task.ID); err != nil {
		t.Fatal(err)
	}
	_, err = w.e.ComposeEmail(w.ctx, "tom", task.ID)
	wantErr(t, err, engine.ErrForbidden)

	// A call is not an email.
	_, err = w.e.SendEmail(w.ctx, "sam", task.ID, engine.Draft{Subject: "s", Body: "b"})
	must(t, err)
	must(t, w.e.RecordEvent(w.ctx, "sam", "lead/L-1", "email_opened", "hello", time.Time{}))
	call := consoleTask(w, "sam", "lead/L-1", "warm-call")
	_, err = w.e.ComposeEmail(w.ctx, "sam", call.ID)
	wantErr(t, err, engine.ErrInvalid)
	_, err = w.e.SendEmail(w.ctx, "sam", call.ID, engine.Draft{Subject: "s"})
	wantErr(t, err, engine.ErrInvalid)

	// A step without a template gives an empty draft.
	w.act("sam", call.ID, engine.TaskAction{Kind: engine.ActDone, Outcome: "busy"})
	must(t, w.e.SkipWait(w.ctx, "sam", name, "lead/L-1"))
	bare := consoleTask(w, "sam", "lead/L-1", "bare")
	d, err = w.e.ComposeEmail(w.ctx, "sam", bare.ID)
	must(t, err)
	if d != (engine.Draft{To: "ana@example.com", From: "sam@example.com"}) {
		t.Fatalf("bare draft = %+v", d)
	}
	// A settled task can't be composed.
	_, err = w.e.ComposeEmail(w.ctx, "sam", task.ID)
	wantErr(t, err, engine.ErrInvalid)
}

// TestSendEmailKept: with no transport the email is kept in the outbox and the task is
// marked as sent.
func TestSendEmailKept(t *testing.T) {
	w := newWorld(t)
	name := w.sequence(consoleSeq)
	w.connect(name, "lead/L-1")
	task := consoleTask(w, "sam", "lead/L-1", "hello")
	_, err := w.e.SendEmail(w.ctx, "tom", task.ID, engine.Draft{Subject: "x"})
	wantErr(t, err, engine.ErrForbidden)
	sent, err := w.e.SendEmail(w.ctx, "sam", task.ID, engine.Draft{Subject: "Edited", Body: "Edited body"})
	must(t, err)
	if sent {
		t.Fatal("sent with no transport")
	}
	rows, err := w.e.Outbox(w.ctx, "ada")
	must(t, err)
	if len(rows) != 1 || rows[0].State != "kept" || rows[0].Subject != "Edited" || rows[0].Body != "Edited body" ||
		rows[0].To != "ana@example.com" || rows[0].From != "sam@example.com" || rows[0].Record != "lead/L-1" || rows[0].Sequence != "Console" {
		t.Fatalf("outbox = %+v", rows)
	}
	c := w.conn("lead/L-1")
	wantHistory(t, c, "connected:manual", "step_entered", "task_created", "email_sent", "task_done", "step_entered")
	if done := c.History[4]; done.Note != "marked as sent" || done.By != "sam" {
		t.Fatalf("task_done = %+v", done)
	}
	if c.History[3].Message == "" || c.History[3].Message != rows[0].ID {
		t.Fatalf("email_sent names %q, outbox has %q", c.History[3].Message, rows[0].ID)
	}
	// The condition's window runs from the send: no open within 2 days takes No.
	w.after(48 * time.Hour)
	wantState(t, w.conn("lead/L-1"), "active", "cold-call")
	// Sending again is refused: the task is done.
	_, err = w.e.SendEmail(w.ctx, "sam", task.ID, engine.Draft{Subject: "again"})
	wantErr(t, err, engine.ErrInvalid)
}

// TestSendEmailSMTP sends through a real SMTP server on 127.0.0.1.
func TestSendEmailSMTP(t *testing.T) {
	w := newWorld(t)
	srv := mailtest.Start(t)
	must(t, w.e.SetSetting(w.ctx, "ada", "smtp_url", srv.URL()))
	name := w.sequence(consoleSeq)
	w.connect(name, "lead/L-1")
	task := consoleTask(w, "sam", "lead/L-1", "hello")
	d, err := w.e.ComposeEmail(w.ctx, "sam", task.ID)
	must(t, err)
	d.Body += "\n\nSee you soon."
	key := fmt.Sprintf("%s/hello/1", w.conn("lead/L-1").ID)

	// A refused send leaves the task open and the outbox empty.
	srv.FailNext(1, 550)
	if sent, err := w.e.SendEmail(w.ctx, "sam", task.ID, d); err == nil || sent {
		t.Fatalf("failing send: sent=%v err=%v", sent, err)
	}
	if got := consoleTask(w, "sam", "lead/L-1", "hello"); got.State != "open" {
		t.Fatalf("task = %+v", got)
	}
	if rows, _ := w.e.Outbox(w.ctx, "ada"); len(rows) != 0 {
		t.Fatalf("outbox after a failed send: %+v", rows)
	}

	sent, err := w.e.SendEmail(w.ctx, "sam", task.ID, d)
	must(t, err)
	if !sent {
		t.Fatal("not sent through the transport")
	}
	msgs := srv.Messages()
	if len(msgs) != 1 || srv.Attempts() != 2 {
		t.Fatalf("server got %d messages in %d attempts", len(msgs), srv.Attempts())
	}
	m := msgs[0]
	if !slices.Equal(m.To, []string{"ana@example.com"}) || m.From != "sam@example.com" || m.Subject != "Hello Ana" ||
		strings.TrimRight(m.Body, "\n") != "Hi Ana Lima, Sam Okafor here.\n\nSee you soon." || m.MessageID != mail.MessageID(key, "") {
		t.Fatalf("received %+v (want Message-ID %s)", m, mail.MessageID(key, ""))
	}
	rows, err := w.e.Outbox(w.ctx, "sam")
	must(t, err)
	if len(rows) != 1 || rows[0].State != "sent" || rows[0].MessageID != m.MessageID || !rows[0].SentAt.Equal(monday) {
		t.Fatalf("outbox = %+v", rows)
	}
	c := w.conn("lead/L-1")
	wantHistory(t, c, "connected:manual", "step_entered", "task_created", "email_sent", "task_done", "step_entered")
	if c.History[4].Note != "sent" {
		t.Fatalf("task_done note %q", c.History[4].Note)
	}
	// The email event finds the message the seller sent.
	must(t, w.e.RecordEvent(w.ctx, "sam", "lead/L-1", "email_opened", "", time.Time{}))
	wantState(t, w.conn("lead/L-1"), "active", "warm-call")
}

func TestSendEmailNoAddress(t *testing.T) {
	w := newWorld(t)
	name := w.sequence(consoleSeq)
	_, err := w.e.SetRecord(w.ctx, "max", "lead/L-1", map[string]string{"email": ""})
	must(t, err)
	w.connect(name, "lead/L-1")
	task := consoleTask(w, "sam", "lead/L-1", "hello")
	_, err = w.e.SendEmail(w.ctx, "sam", task.ID, engine.Draft{Subject: "x"})
	wantErr(t, err, engine.ErrInvalid)
	// The seller may give an address.
	if _, err := w.e.SendEmail(w.ctx, "sam", task.ID, engine.Draft{To: "ana@elsewhere.example", Subject: "x"}); err != nil {
		t.Fatal(err)
	}
}
