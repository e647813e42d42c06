package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// orgDB is a database with an admin, a seller, a template, two leads and an active
// sequence: an automated email, a call, a condition on its outcome and a wait.
func orgDB(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	db := filepath.Join(dir, "pacer.db")
	ok(t, pacer(t, db, "user", "add", "ada", "--role", "admin", "--email", "ada@example.com"))
	ok(t, pacer(t, db, "user", "add", "sam", "--role", "seller", "--name", "Sam Okafor", "--email", "sam@example.com"))
	body := filepath.Join(dir, "intro.txt")
	os.WriteFile(body, []byte("Hi {{first_name}}, {{owner.name}} here."), 0o644)
	ok(t, pacer(t, db, "template", "add", "intro", "--subject", "Hello {{first_name}}", "--body-file", body))
	leads := filepath.Join(dir, "leads.csv")
	os.WriteFile(leads, []byte("id,name,owner,email,rating\nL-1,Ana Lima,sam,ana@example.com,hot\nL-2,Bo Chen,sam,bo@example.com,cold\n"), 0o644)
	ok(t, pacer(t, db, "record", "import", leads, "--entity", "lead"))
	seq := filepath.Join(dir, "seq.yaml")
	os.WriteFile(seq, []byte(`name: Outreach
steps:
  - type: auto_email
    id: hello
    template: intro
  - type: call
    id: ring
  - type: condition
    id: reached
    if: call_outcome
    outcomes: [connected]
    yes:
      - type: task
        id: meet
        name: Book a meeting
    no:
      - type: wait
        id: pause
        duration: 2d
      - type: call
        id: ring-again
`), 0o644)
	ok(t, pacer(t, db, "seq", "import", seq, "--activate"))
	return db
}

type taskJSON struct {
	ID         string   `json:"id"`
	Record     string   `json:"record"`
	RecordName string   `json:"record_name"`
	Sequence   string   `json:"sequence"`
	StepID     string   `json:"step_id"`
	Type       string   `json:"type"`
	Name       string   `json:"name"`
	DueAt      string   `json:"due_at"`
	Assignees  []string `json:"assignees"`
	State      string   `json:"state"`
}

func tasksOf(t *testing.T, db string, args ...string) []taskJSON {
	t.Helper()
	r := ok(t, pacer(t, db, append([]string{"--now", "2026-03-02T09:00:00Z", "tasks", "--json"}, args...)...))
	var out []taskJSON
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		t.Fatalf("%v: %s", err, r.stdout)
	}
	return out
}

func TestConnectWorkAndShow(t *testing.T) {
	db := orgDB(t)
	now := "--now=2026-03-02T09:00:00Z"
	ok(t, pacer(t, db, now, "connect", "Outreach", "lead/L-1", "lead/L-2"))
	tasks := tasksOf(t, db, "--as", "sam")
	if len(tasks) != 2 || tasks[0].StepID != "ring" || tasks[0].Type != "call" || tasks[0].Sequence != "Outreach" || tasks[0].Assignees[0] != "sam" || tasks[0].DueAt != "2026-03-02T09:00:00Z" {
		t.Fatalf("tasks = %+v", tasks)
	}
	// The automated email was kept in the local outbox (no transport configured).
	r := ok(t, pacer(t, db, "outbox", "--json"))
	var box []map[string]any
	json.Unmarshal([]byte(r.stdout), &box)
	if len(box) != 2 || box[0]["state"] != "kept" || box[0]["subject"] != "Hello Ana" || box[0]["message_id"] == "" || box[0]["record"] != "lead/L-1" {
		t.Fatalf("outbox = %s", r.stdout)
	}
	byRecord := map[string]taskJSON{}
	for _, tk := range tasks {
		byRecord[tk.Record] = tk
	}
	// A call that a call-outcome condition follows needs an outcome.
	r = pacer(t, db, now, "--as", "sam", "task", "done", byRecord["lead/L-1"].ID)
	if r.code != 1 || !strings.Contains(r.stderr, "outcome") {
		t.Fatalf("done without outcome: %+v", r)
	}
	ok(t, pacer(t, db, now, "--as", "sam", "task", "done", byRecord["lead/L-1"].ID[:10], "--outcome", "connected", "--note", "keen"))
	ok(t, pacer(t, db, now, "--as", "sam", "task", "skip", byRecord["lead/L-2"].ID))
	r = ok(t, pacer(t, db, "record", "show", "lead/L-1", "--json"))
	var rec recordShow
	if err := json.Unmarshal([]byte(r.stdout), &rec); err != nil {
		t.Fatal(err)
	}
	c := rec.Connections[0]
	if c.Sequence != "Outreach" || c.Version != 1 || c.State != "active" || c.CurrentStep != "meet" {
		t.Fatalf("connection = %+v", c)
	}
	var sawOutcome, sawYes bool
	for _, h := range c.History {
		sawOutcome = sawOutcome || (h.Type == "task_done" && h.Outcome == "connected")
		sawYes = sawYes || (h.Type == "condition" && h.Branch == "yes")
	}
	if !sawOutcome || !sawYes {
		t.Fatalf("history = %+v", c.History)
	}
	// The skipped call took No: Bo waits two days. Skip the wait from the command line.
	r = ok(t, pacer(t, db, "record", "show", "lead/L-2"))
	if !strings.Contains(r.stdout, "at Wait [pause]") || !strings.Contains(r.stdout, "condition branch=no") {
		t.Fatalf("record show:\n%s", r.stdout)
	}
	ok(t, pacer(t, db, now, "--as", "sam", "wait", "skip", "Outreach", "lead/L-2"))
	tasks = tasksOf(t, db, "--as", "sam")
	if len(tasks) != 2 {
		t.Fatalf("tasks after the wait skip = %+v", tasks)
	}
	r = ok(t, pacer(t, db, "seq", "show", "Outreach"))
	for _, want := range []string{"2 active, 0 completed", "lead/L-1", "Phone call [ring]", "1/1"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("seq show lacks %q:\n%s", want, r.stdout)
		}
	}
	r = ok(t, pacer(t, db, "seq", "list", "--json"))
	if !strings.Contains(r.stdout, `"connected": 2`) {
		t.Errorf("seq list connected count: %s", r.stdout)
	}
	r = ok(t, pacer(t, db, "doctor"))
	if !strings.Contains(r.stdout, "No problems found.") {
		t.Errorf("doctor: %s", r.stdout)
	}
	if r := pacer(t, db, "--as", "sam", "doctor"); r.code != 1 {
		t.Errorf("a seller ran doctor: %+v", r)
	}
	ok(t, pacer(t, db, now, "disconnect", "Outreach", "lead/L-1"))
	if got := tasksOf(t, db, "--as", "sam"); len(got) != 1 {
		t.Fatalf("a disconnected record kept its task: %+v", got)
	}
}

func TestTickRunsWhatIsDue(t *testing.T) {
	db := orgDB(t)
	ok(t, pacer(t, db, "--now", "2026-03-02T09:00:00Z", "connect", "Outreach", "lead/L-1"))
	id := tasksOf(t, db, "--as", "sam")[0].ID
	ok(t, pacer(t, db, "--now", "2026-03-02T09:00:00Z", "--as", "sam", "task", "done", id, "--outcome", "busy"))
	r := ok(t, pacer(t, db, "--now", "2026-03-03T09:00:00Z", "tick"))
	if !strings.HasPrefix(r.stdout, "0 timer(s) fired") {
		t.Fatalf("early tick: %s", r.stdout)
	}
	r = ok(t, pacer(t, db, "--now", "2026-03-04T09:00:00Z", "tick", "--json"))
	if !strings.Contains(r.stdout, `"timers": 1`) {
		t.Fatalf("tick: %s", r.stdout)
	}
	if got := tasksOf(t, db, "--as", "sam"); len(got) != 1 || got[0].StepID != "ring-again" {
		t.Fatalf("after the wait: %+v", got)
	}
}

func TestTaskSnoozeAssignAndDueFilters(t *testing.T) {
	db := orgDB(t)
	ok(t, pacer(t, db, "user", "add", "sue", "--role", "seller"))
	ok(t, pacer(t, db, "--now", "2026-03-02T09:00:00Z", "connect", "Outreach", "lead/L-1", "lead/L-2"))
	ts := tasksOf(t, db, "--as", "sam")
	ok(t, pacer(t, db, "--now", "2026-03-02T09:00:00Z", "--as", "sam", "task", "snooze", ts[0].ID, "--until", "2026-03-05T10:00:00Z"))
	if got := tasksOf(t, db, "--as", "sam", "--due", "today"); len(got) != 1 {
		t.Errorf("today = %+v", got)
	}
	if got := tasksOf(t, db, "--as", "sam", "--due", "upcoming"); len(got) != 1 || got[0].DueAt != "2026-03-05T10:00:00Z" {
		t.Errorf("upcoming = %+v", got)
	}
	r := pacer(t, db, "--as", "sam", "tasks", "--due", "someday")
	if r.code != 1 {
		t.Errorf("bad --due: %+v", r)
	}
	ok(t, pacer(t, db, "--now", "2026-03-02T09:00:00Z", "--as", "sam", "task", "assign", ts[1].ID, "--to", "sue"))
	if got := tasksOf(t, db, "--as", "sue"); len(got) != 1 || got[0].ID != ts[1].ID {
		t.Errorf("sue's list = %+v", got)
	}
	// Sellers can't look at other lists.
	if r := pacer(t, db, "--as", "sam", "tasks", "--user", "sue"); r.code != 1 || !strings.Contains(r.stderr, "not allowed") {
		t.Errorf("seller peeking: %+v", r)
	}
	if got := tasksOf(t, db, "--as", "ada", "--all"); len(got) != 2 {
		t.Errorf("all = %+v", got)
	}
}

func TestEventAndSegmentCommands(t *testing.T) {
	db := orgDB(t)
	dir := t.TempDir()
	seq := filepath.Join(dir, "opened.yaml")
	os.WriteFile(seq, []byte("name: Opened\nsteps:\n  - type: auto_email\n    id: hi\n    template: intro\n  - type: condition\n    id: seen\n    if: email_opened\n    within: 1d\n    yes: [{type: call, id: hot}]\n    no: [{type: task, id: cold}]\n"), 0o644)
	ok(t, pacer(t, db, "seq", "import", seq, "--activate"))
	ok(t, pacer(t, db, "segment", "add", "hot-leads", "--entity", "lead", "--where", "rating=hot", "--seq", "Opened"))
	r := ok(t, pacer(t, db, "--now", "2026-03-02T09:00:00Z", "segment", "activate", "hot-leads"))
	if !strings.Contains(r.stdout, "1 matching record(s) connected") {
		t.Fatalf("activate: %s", r.stdout)
	}
	r = ok(t, pacer(t, db, "segment", "list", "--json"))
	if !strings.Contains(r.stdout, `"active": true`) {
		t.Errorf("segment list: %s", r.stdout)
	}
	r = pacer(t, db, "event", "lead/L-1", "email_smelled")
	if r.code != 1 {
		t.Errorf("bad event type: %+v", r)
	}
	ok(t, pacer(t, db, "--now", "2026-03-02T10:00:00Z", "event", "lead/L-1", "email_opened"))
	if got := tasksOf(t, db, "--as", "sam"); len(got) != 1 || got[0].StepID != "hot" {
		t.Fatalf("after the open: %+v", got)
	}
	// Records created by an import that match the active segment are connected too.
	more := filepath.Join(dir, "more.csv")
	os.WriteFile(more, []byte("id,name,owner,email,rating\nL-3,Cy Diaz,sam,cy@example.com,hot\n"), 0o644)
	ok(t, pacer(t, db, "--now", "2026-03-02T11:00:00Z", "record", "import", more, "--entity", "lead"))
	r = ok(t, pacer(t, db, "record", "show", "lead/L-3", "--json"))
	if !strings.Contains(r.stdout, `"source": "segment:hot-leads"`) {
		t.Errorf("imported hot lead: %s", r.stdout)
	}
}

func TestSimulateChangesNothing(t *testing.T) {
	db := orgDB(t)
	before := ok(t, pacer(t, db, "record", "show", "lead/L-1", "--json")).stdout
	r := ok(t, pacer(t, db, "--now", "2026-03-02T09:00:00Z", "simulate", "Outreach", "--record", "lead/L-1", "--outcome", "ring=no_answer"))
	for _, want := range []string{"email sent", "task done outcome no_answer", "→ NO: call outcome no_answer is not one of connected", "2026-03-04 09:00", "completed"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("timeline lacks %q:\n%s", want, r.stdout)
		}
	}
	r = ok(t, pacer(t, db, "--now", "2026-03-02T09:00:00Z", "simulate", "Outreach", "--json"))
	var lines []map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &lines); err != nil || len(lines) == 0 {
		t.Fatalf("simulate --json: %v %s", err, r.stdout)
	}
	if after := ok(t, pacer(t, db, "record", "show", "lead/L-1", "--json")).stdout; after != before {
		t.Errorf("simulate changed the record:\n%s\n---\n%s", before, after)
	}
	if got := tasksOf(t, db, "--as", "sam"); len(got) != 0 {
		t.Errorf("simulate left tasks: %+v", got)
	}
	if r := pacer(t, db, "simulate", "Outreach", "--event", "opened"); r.code != 1 {
		t.Errorf("bad --event: %+v", r)
	}
}
