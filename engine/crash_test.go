package engine_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	netmail "net/mail"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pacer-sales/pacer/engine"
	"github.com/pacer-sales/pacer/engine/mail/mailtest"
	"github.com/pacer-sales/pacer/engine/sequence"
	"github.com/pacer-sales/pacer/store"
	"github.com/pacer-sales/pacer/store/bolt"
)

// The crash test (SPEC §4.10, §10): a child process runs the engine over a bbolt file —
// connecting records, working tasks as sellers, recording email events, sending email
// through a real SMTP server and firing timers on a simulated clock — and the parent kills
// it with SIGKILL at a random moment, many times over the same file. After each kill the
// parent reopens the database and checks that it opens cleanly, that the runtime is
// consistent (Engine.Check), that nothing it saw before is gone or went back, that every
// operation the child reported done survived, and that every timer and message that was
// due before the child's last completed tick had been handled.

// Environment of the child process.
const (
	crashDBEnv   = "PACER_CRASH_DB"
	crashNowEnv  = "PACER_CRASH_NOW"
	crashSeedEnv = "PACER_CRASH_SEED"
	// crashBrokenEnv names a connection whose timer can't be applied: the child expects the
	// ticks to report it, and leaves it alone.
	crashBrokenEnv = "PACER_CRASH_BROKEN"
)

var crashSellers = []string{"sam", "sue", "tom"}

// The sequences of the crash org: between them they have every kind of step that rests
// (wait, activity steps, automated email, email conditions), the ones that run at once
// (call-outcome, field and stage conditions, commands) and a hand-over to another sequence.
var crashSequences = []string{`
name: Nurture
options: {exit_on_reply: true}
steps:
  - type: wait
    id: settle
    duration: 1d
  - type: auto_email
    id: n1
    template: nudge
  - type: condition
    id: engaged
    if: email_events
    events: [email_opened, link_clicked]
    match: any
    within: 3d
    early: false
    yes:
      - type: set_stage
        id: stage-engaged
        stage: engaged
    no:
      - type: linkedin_research
        id: research
      - type: email
        id: manual
        template: intro
      - type: condition
        id: manual-opened
        if: email_opened
        within: 1d
        yes:
          - type: call
            id: follow-call
        no: []
  - type: task
    id: review
    name: Review the account
`, `
name: Outbound
steps:
  - type: auto_email
    id: intro
    template: intro
  - type: condition
    id: opened
    if: email_opened
    within: 2d
    yes:
      - type: call
        id: hot-call
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
            duration: 1d
          - type: call
            id: second-call
    no:
      - type: wait
        id: cool
        duration: 1d
      - type: auto_email
        id: nudge
        template: nudge
  - type: condition
    id: good-fit
    if: field
    field: score
    op: ge
    value: 50
    yes:
      - type: set_stage
        id: qualify
        stage: qualified
      - type: advance_to
        id: hand-over
        sequence: Nurture
    no:
      - type: update_field
        id: mark-cold
        field: status
        value: cold
`, `
name: Calls
options: {skip_non_working_days: true}
steps:
  - type: call
    id: c1
  - type: condition
    id: c1-reached
    if: call_outcome
    outcomes: [connected]
    yes:
      - type: linkedin_connect
        id: li
    no:
      - type: wait
        id: c1-wait
        duration: 4h
      - type: call
        id: c2
  - type: condition
    id: is-new
    if: stage
    stages: [new]
    yes:
      - type: set_stage
        id: working
        stage: working
    no: []
  - type: task
    id: wrap
    name: Wrap up
`}

var crashSeqNames = []string{"Nurture", "Outbound", "Calls"}

// setupCrashOrg makes the org once: users, an owner team, templates, 200 leads (some
// without an email address, so their automated emails fail into manual tasks), the three
// sequences, a segment that connects "hot" leads to Calls, the SMTP server, and sending
// limits that hold messages in the outbox.
func setupCrashOrg(t *testing.T, path, smtpURL string) {
	t.Helper()
	db, err := bolt.Open(path, bolt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	setupCrashOrgOn(t, db, smtpURL)
}

// setupCrashOrgOn makes the crash org in an open store.
func setupCrashOrgOn(t *testing.T, db store.Store, smtpURL string) {
	t.Helper()
	ctx := context.Background()
	e := engine.New(db, engine.FixedClock(monday))
	must(t, e.AddUser(ctx, "", store.User{Username: "ada", Roles: []store.Role{store.RoleAdmin}, Email: "ada@example.com"}))
	must(t, e.AddUser(ctx, "ada", store.User{Username: "max", Roles: []store.Role{store.RoleManager}, Email: "max@example.com"}))
	for _, u := range crashSellers {
		must(t, e.AddUser(ctx, "ada", store.User{Username: u, Name: strings.ToUpper(u[:1]) + u[1:], Roles: []store.Role{store.RoleSeller}, Email: u + "@example.com"}))
	}
	must(t, e.AddTeam(ctx, "ada", store.Team{Name: "west", Type: store.OwnerTeam, Members: []store.Member{{Username: "sam"}, {Username: "sue"}}}))
	must(t, e.AddTemplate(ctx, "ada", store.Template{Name: "intro", Subject: "Hello {{first_name}}", Body: "Hi {{name}}, {{owner.name}} here."}))
	must(t, e.AddTemplate(ctx, "ada", store.Template{Name: "nudge", Subject: "Following up", Body: "Any thoughts, {{first_name}}?"}))
	must(t, e.SetSetting(ctx, "ada", "smtp_url", smtpURL))
	// Messages are held too: by the send window (the org's hours, on by default) and by a
	// sending limit low enough to spread each batch over several hours.
	must(t, e.SetSetting(ctx, "ada", "max_per_hour", "6"))
	must(t, e.SetSetting(ctx, "ada", "min_spacing", "1m"))
	var csv strings.Builder
	csv.WriteString("id,name,owner,stage,email,score,tier\n")
	owners := []string{"sam", "sue", "tom", "team:west"}
	for i := 1; i <= 200; i++ {
		email := fmt.Sprintf("lead%d@example.com", i)
		if i%9 == 0 {
			email = ""
		}
		fmt.Fprintf(&csv, "L-%03d,Lead %d,%s,new,%s,%d,cold\n", i, i, owners[i%len(owners)], email, i*37%100)
	}
	_, err := e.ImportRecords(ctx, "max", "leads.csv", strings.NewReader(csv.String()), "lead")
	must(t, err)
	for _, src := range crashSequences {
		def, err := sequence.Parse([]byte(src), "crash.yaml")
		must(t, err)
		_, err = e.ImportSequence(ctx, "max", def, engine.SaveOptions{Activate: true})
		must(t, err)
	}
	must(t, e.AddSegment(ctx, "max", store.Segment{Name: "hot", Entity: "lead", Where: []store.SegmentMatch{{Field: "tier", Value: "hot"}}, Sequence: "Calls"}))
	_, err = e.SetSegmentActive(ctx, "max", "hot", true)
	must(t, err)
}

// TestCrashChild is the engine process of TestCrash; it does nothing in a normal run. It
// works until it is killed (or its parent goes away), printing what it has done:
//
//	open                      the database is open
//	tick N TIME               everything due up to TIME has been handled
//	connect SEQ TIME REF...   these records were connected to SEQ at TIME
//	task ID STATE             the task was settled (done or skipped)
func TestCrashChild(t *testing.T) {
	path := os.Getenv(crashDBEnv)
	if path == "" {
		t.Skip("the engine process of TestCrash")
	}
	die := func(format string, args ...any) {
		fmt.Fprintf(os.Stderr, "crash child: "+format+"\n", args...)
		os.Exit(3)
	}
	now, err := time.Parse(time.RFC3339Nano, os.Getenv(crashNowEnv))
	if err != nil {
		die("%s: %v", crashNowEnv, err)
	}
	seed, err := strconv.ParseUint(os.Getenv(crashSeedEnv), 10, 64)
	if err != nil {
		die("%s: %v", crashSeedEnv, err)
	}
	// The parent holds stdin open; when it goes away, so does the child.
	go func() {
		_, _ = io.Copy(io.Discard, os.Stdin)
		os.Exit(0)
	}()
	db, err := bolt.Open(path, bolt.Options{})
	if err != nil {
		die("open: %v", err)
	}
	clock := engine.NewManualClock(now)
	w := &crashWorker{ctx: context.Background(), db: db, e: engine.New(db, clock), clock: clock, rng: rand.New(rand.NewPCG(seed, 1))}
	fmt.Println("open")
	broken := os.Getenv(crashBrokenEnv)
	w.broken = broken
	for i := 0; ; i++ {
		rep, err := w.e.Tick(w.ctx)
		unexpected := slices.DeleteFunc(rep.Errors, func(e string) bool { return broken != "" && strings.Contains(e, broken) })
		if err != nil || len(unexpected) > 0 {
			die("tick: %v %q", err, unexpected)
		}
		fmt.Printf("tick %d %s\n", i, clock.Now().Format(time.RFC3339Nano))
		if err := w.work(); err != nil {
			die("%v", err)
		}
		clock.Advance(time.Duration(30+w.rng.IntN(240)) * time.Minute)
	}
}

// crashWorker is what the child does between ticks: the work of a small sales team.
type crashWorker struct {
	ctx   context.Context
	db    store.Store
	e     *engine.Engine
	clock engine.Clock
	rng   *rand.Rand
	// broken is the connection (hex) whose timer can't be applied, left alone; "" if none.
	broken string
	// shared: other processes work the same org, so an action refused because one of them
	// got there first (ErrInvalid) is no failure.
	shared bool
}

// activeConn is an active connection as the worker sees it.
type activeConn struct {
	ref, seq string
	c        store.Connection
}

func (w *crashWorker) work() error {
	ctx, rng := w.ctx, w.rng
	var conns []activeConn
	idle := map[string][]string{} // sequence → records not active in it
	if err := w.db.View(ctx, func(tx store.Tx) error {
		seqName := map[store.ID]string{}
		for _, name := range crashSeqNames {
			s, err := tx.SequenceByName(name)
			if err != nil {
				return err
			}
			seqName[s.ID] = name
		}
		return tx.Records("lead", func(r store.Record) bool {
			cs, err := tx.ConnsByRecord(r.Key)
			if err != nil {
				return false
			}
			in := map[string]bool{}
			for _, c := range cs {
				if c.State == store.ConnActive {
					in[seqName[c.Sequence]] = true
					if c.ID.String() != w.broken {
						conns = append(conns, activeConn{r.Ref(), seqName[c.Sequence], c})
					}
				}
			}
			for _, name := range crashSeqNames {
				if !in[name] {
					idle[name] = append(idle[name], r.Ref())
				}
			}
			return true
		})
	}); err != nil {
		return err
	}

	// Connect a batch of records to one of the sequences.
	seq := crashSeqNames[rng.IntN(len(crashSeqNames))]
	if refs := idle[seq]; len(refs) > 0 && len(conns) < 360 {
		rng.Shuffle(len(refs), func(i, j int) { refs[i], refs[j] = refs[j], refs[i] })
		refs = refs[:min(len(refs), 3+rng.IntN(10))]
		at := w.clock.Now()
		_, err := w.e.Connect(ctx, "max", seq, refs)
		if err != nil && !(w.shared && errors.Is(err, engine.ErrInvalid)) {
			return fmt.Errorf("connect %s: %w", seq, err)
		}
		if err == nil {
			fmt.Printf("connect %s %s %s\n", seq, at.Format(time.RFC3339Nano), strings.Join(refs, " "))
		}
	}

	// The sellers work part of their lists.
	for _, u := range crashSellers {
		rows, err := w.e.Tasks(ctx, u, engine.TaskQuery{})
		if err != nil {
			return err
		}
		for _, r := range rows {
			if rng.IntN(100) >= 40 {
				continue
			}
			a := engine.TaskAction{Kind: engine.ActDone}
			switch p := rng.IntN(100); {
			case p < 12:
				a.Kind = engine.ActSkip
			case p < 18:
				a = engine.TaskAction{Kind: engine.ActSnooze, Until: w.clock.Now().Add(time.Duration(1+rng.IntN(48)) * time.Hour)}
			case p < 23:
				a = engine.TaskAction{Kind: engine.ActAssign, To: crashSellers[rng.IntN(len(crashSellers))]}
			case r.Type == string(sequence.Call):
				a.Outcome = []string{"connected", "connected", "no_answer", "left_voicemail", "busy"}[rng.IntN(5)]
			}
			row, err := w.e.ActOnTask(ctx, u, r.ID, a)
			if w.shared && (errors.Is(err, engine.ErrInvalid) || errors.Is(err, engine.ErrForbidden)) {
				continue // reassigned or settled by another node a moment ago
			}
			if errors.Is(err, engine.ErrInvalid) && strings.Contains(err.Error(), "already") {
				continue // settled by another assignee (or node) a moment ago
			}
			if err != nil {
				return fmt.Errorf("%s %s task %s: %w", u, a.Kind, r.ID, err)
			}
			if a.Kind == engine.ActDone || a.Kind == engine.ActSkip {
				fmt.Printf("task %s %s\n", row.ID, row.State)
			}
		}
	}

	// Customers open, click and reply to what was sent.
	for _, ac := range conns {
		if len(ac.c.Sent) == 0 && ac.c.Step != "manual" || rng.IntN(100) >= 15 {
			continue
		}
		steps := []string{}
		for s := range ac.c.Sent {
			steps = append(steps, s)
		}
		if ac.c.Step == "manual" {
			steps = append(steps, "manual")
		}
		slices.Sort(steps)
		kind := []sequence.Kind{sequence.EmailOpened, sequence.EmailOpened, sequence.LinkClicked, sequence.EmailReplied, sequence.AttachmentDownloaded}[rng.IntN(5)]
		err := w.e.RecordEvent(ctx, "max", ac.ref, kind, steps[rng.IntN(len(steps))], time.Time{})
		if err != nil && !errors.Is(err, engine.ErrInvalid) {
			return fmt.Errorf("event %s: %w", ac.ref, err)
		}
	}

	// Now and then: a manual disconnect, a skipped wait, a record that changes.
	if len(conns) > 0 && rng.IntN(100) < 15 {
		ac := conns[rng.IntN(len(conns))]
		if err := w.e.Disconnect(ctx, "max", ac.seq, []string{ac.ref}); err != nil && !errors.Is(err, engine.ErrInvalid) {
			return fmt.Errorf("disconnect %s: %w", ac.ref, err)
		}
	}
	for _, ac := range conns {
		if !ac.c.WakeAt.IsZero() && rng.IntN(100) < 3 {
			if err := w.e.SkipWait(ctx, "max", ac.seq, ac.ref); err != nil && !errors.Is(err, engine.ErrInvalid) {
				return fmt.Errorf("skip wait %s: %w", ac.ref, err)
			}
		}
	}
	for range rng.IntN(3) {
		ref := fmt.Sprintf("lead/L-%03d", 1+rng.IntN(200))
		tier := []string{"hot", "cold", "cold"}[rng.IntN(3)]
		if _, err := w.e.SetRecord(ctx, "max", ref, map[string]string{"tier": tier, "score": strconv.Itoa(rng.IntN(100))}); err != nil {
			return fmt.Errorf("set %s: %w", ref, err)
		}
	}
	return nil
}

// childRun is what the parent learned from one run of the child.
type childRun struct {
	opened  bool
	ticks   int
	lastAt  time.Time // the time of the last completed tick
	connect []connectAck
	settled map[string]string // task id → state
}

type connectAck struct {
	seq  string
	at   time.Time
	refs []string
}

// runChild starts the engine process on path with its clock at now, kills it at a random
// moment and returns what it reported. env adds to the child's environment.
func runChild(t *testing.T, path string, now time.Time, seed uint64, rng *rand.Rand, env ...string) childRun {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$")
	cmd.Env = append(os.Environ(), crashDBEnv+"="+path, crashNowEnv+"="+now.Format(time.RFC3339Nano), crashSeedEnv+"="+strconv.FormatUint(seed, 10))
	cmd.Env = append(cmd.Env, env...)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	defer stdin.Close()
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	type line struct {
		text string
		at   time.Time
	}
	lines := make(chan line, 64)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(stdout)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			lines <- line{sc.Text(), time.Now()}
		}
	}()
	kill := func() { _ = cmd.Process.Kill() }
	// A child that stops making progress is a failure, not something to wait for forever.
	watchdog := time.AfterFunc(30*time.Second, kill)
	defer watchdog.Stop()

	// Kill at a random moment: sometimes while it opens the database and catches up, mostly
	// somewhere inside one of its first ticks' work.
	killAfterTicks, armed := 1+rng.IntN(16), false
	switch rng.IntN(6) {
	case 0: // while it starts and opens the database
		armed = true
		time.AfterFunc(time.Duration(rng.Int64N(int64(10*time.Millisecond))), kill)
	case 1: // while it catches up
		killAfterTicks = 0
	}
	run := childRun{settled: map[string]string{}}
	var first, last time.Time
	for l := range lines {
		f := strings.Fields(l.text)
		switch {
		case len(f) == 1 && f[0] == "open":
			run.opened = true
		case len(f) == 3 && f[0] == "tick":
			at, err := time.Parse(time.RFC3339Nano, f[2])
			if err != nil {
				t.Fatalf("child: %q: %v", l.text, err)
			}
			run.ticks++
			run.lastAt = at
			if run.ticks == 1 {
				first = l.at
			}
			last = l.at
		case len(f) >= 4 && f[0] == "connect":
			at, err := time.Parse(time.RFC3339Nano, f[2])
			if err != nil {
				t.Fatalf("child: %q: %v", l.text, err)
			}
			run.connect = append(run.connect, connectAck{f[1], at, f[3:]})
		case len(f) == 3 && f[0] == "task":
			run.settled[f[1]] = f[2]
		default:
			t.Errorf("child said %q", l.text)
		}
		if !armed && run.opened && run.ticks >= killAfterTicks {
			armed = true
			// Somewhere within the next tick or so, by how long a tick has taken so far.
			per := 20 * time.Millisecond
			if run.ticks > 1 {
				per = last.Sub(first) / time.Duration(run.ticks-1)
			}
			time.AfterFunc(time.Duration(rng.Int64N(int64(per)*3/2+1)), kill)
		}
	}
	err = cmd.Wait()
	if code := cmd.ProcessState.ExitCode(); code != -1 {
		t.Fatalf("the engine process ended by itself (exit %d, %v) instead of being killed:\n%s", code, err, stderr.String())
	}
	if !watchdog.Stop() {
		t.Fatalf("the engine process made no progress for 30 s (%d ticks); killed it:\n%s", run.ticks, stderr.String())
	}
	return run
}

// seenConn is what the parent saw of a connection after a kill.
type seenConn struct {
	state   store.ConnState
	visit   uint32
	history []string
}

// ledger is everything the parent has seen so far; nothing in it may disappear or go back.
type ledger struct {
	conns map[store.ID]seenConn
	tasks map[store.ID]store.Task
	msgs  map[store.ID]store.Message
	// latest is the latest time anything happened.
	latest time.Time
}

// fingerprint identifies a history entry.
func fingerprint(ev store.Event) string {
	return fmt.Sprintf("%s|%s|%s|%s|%s|%s|%s|%s|%s", ev.At.Format(time.RFC3339Nano), ev.Type, ev.StepID, ev.Task, ev.Message, ev.Reason, ev.Branch, ev.Outcome, ev.Event)
}

// snapshot reads everything through the store port: every connection with its history,
// the tasks the histories name, the open tasks and those seen before, and the outbox.
func snapshot(t *testing.T, db *bolt.DB, prev ledger) ledger {
	t.Helper()
	l := ledger{conns: map[store.ID]seenConn{}, tasks: map[store.ID]store.Task{}, msgs: map[store.ID]store.Message{}}
	seen := func(at time.Time) {
		if at.After(l.latest) {
			l.latest = at
		}
	}
	err := db.View(context.Background(), func(tx store.Tx) error {
		var recs []store.Record
		if err := tx.Records("", func(r store.Record) bool {
			recs = append(recs, r)
			return true
		}); err != nil {
			return err
		}
		for _, r := range recs {
			conns, err := tx.ConnsByRecord(r.Key)
			if err != nil {
				return err
			}
			for _, c := range conns {
				h, err := tx.History(c.ID)
				if err != nil {
					return err
				}
				sc := seenConn{state: c.State, visit: c.Visit}
				for _, ev := range h {
					sc.history = append(sc.history, fingerprint(ev))
					seen(ev.At)
					if ev.Type != "task_created" {
						continue
					}
					id, err := store.ParseID(ev.Task)
					if err != nil {
						return err
					}
					if l.tasks[id], err = tx.Task(id); err != nil {
						return err
					}
				}
				seen(c.UpdatedAt)
				l.conns[c.ID] = sc
			}
		}
		if err := tx.OpenTasks(func(tk store.Task) bool {
			l.tasks[tk.ID] = tk
			return true
		}); err != nil {
			return err
		}
		for id := range prev.tasks {
			if _, ok := l.tasks[id]; ok {
				continue
			}
			tk, err := tx.Task(id)
			if errors.Is(err, store.ErrNotFound) {
				continue
			} else if err != nil {
				return err
			}
			l.tasks[id] = tk
		}
		for _, tk := range l.tasks {
			seen(tk.ClosedAt)
		}
		if err := tx.Messages(func(m store.Message) bool {
			l.msgs[m.ID] = m
			seen(m.SentAt)
			return true
		}); err != nil {
			return err
		}
		// A mailbox's last send may have left no other trace (killed before the server's
		// answer was recorded): the next run's clock starts after it too.
		boxes := map[string]bool{}
		for _, m := range l.msgs {
			boxes[mailboxOf(m.From)] = true
		}
		for box := range boxes {
			u, err := tx.MailboxUse(box)
			if err != nil {
				return err
			}
			seen(u.Last)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// compare reports what was in prev and is missing or went back in cur.
func compare(prev, cur ledger) []string {
	var bad []string
	for id, p := range prev.conns {
		c, ok := cur.conns[id]
		switch {
		case !ok:
			bad = append(bad, fmt.Sprintf("connection %s is gone", id))
			continue
		case c.visit < p.visit:
			bad = append(bad, fmt.Sprintf("connection %s went back from visit %d to %d", id, p.visit, c.visit))
		case p.state != store.ConnActive && c.state != p.state:
			bad = append(bad, fmt.Sprintf("connection %s was %s and is now %s", id, p.state, c.state))
		}
		if len(c.history) < len(p.history) || !slices.Equal(c.history[:len(p.history)], p.history) {
			bad = append(bad, fmt.Sprintf("connection %s: history changed:\n  was %q\n  now %q", id, p.history, c.history))
		}
	}
	for id, p := range prev.tasks {
		c, ok := cur.tasks[id]
		switch {
		case !ok:
			bad = append(bad, fmt.Sprintf("task %s (%s, step %q) is gone", id, p.RecordRef, p.StepID))
		case p.State != store.TaskOpen && (c.State != p.State || !c.ClosedAt.Equal(p.ClosedAt)):
			bad = append(bad, fmt.Sprintf("task %s was %s at %s and is now %s at %s", id, p.State, p.ClosedAt, c.State, c.ClosedAt))
		}
	}
	for id, p := range prev.msgs {
		c, ok := cur.msgs[id]
		switch {
		case !ok:
			bad = append(bad, fmt.Sprintf("message %s (%s) is gone", id, p.Key))
		case c.Tries < p.Tries:
			bad = append(bad, fmt.Sprintf("message %s went back from %d tries to %d", id, p.Tries, c.Tries))
		case p.State != store.MsgQueued && (c.State != p.State || !c.SentAt.Equal(p.SentAt)):
			bad = append(bad, fmt.Sprintf("message %s was %s and is now %s", id, p.State, c.State))
		}
	}
	return bad
}

// acknowledged checks that what the child reported done survived the kill, and that every
// timer and message due before its last completed tick had been handled.
func acknowledged(t *testing.T, db *bolt.DB, run childRun) []string {
	t.Helper()
	var bad []string
	err := db.View(context.Background(), func(tx store.Tx) error {
		for _, ack := range run.connect {
			seq, err := tx.SequenceByName(ack.seq)
			if err != nil {
				return err
			}
			for _, ref := range ack.refs {
				entity, id, _ := strings.Cut(ref, "/")
				rec, err := tx.Record(entity, id)
				if err != nil {
					return err
				}
				conns, err := tx.ConnsByRecord(rec.Key)
				if err != nil {
					return err
				}
				if !slices.ContainsFunc(conns, func(c store.Connection) bool { return c.Sequence == seq.ID && c.CreatedAt.Equal(ack.at) }) {
					bad = append(bad, fmt.Sprintf("%s was connected to %s at %s, but the connection is gone", ref, ack.seq, ack.at.Format(time.RFC3339)))
				}
			}
		}
		for id, state := range run.settled {
			tid, err := store.ParseID(id)
			if err != nil {
				return err
			}
			tk, err := tx.Task(tid)
			if err != nil {
				bad = append(bad, fmt.Sprintf("task %s was %s, but: %v", id, state, err))
			} else if string(tk.State) != state {
				bad = append(bad, fmt.Sprintf("task %s was %s, but is %s", id, state, tk.State))
			}
		}
		if run.ticks == 0 {
			return nil
		}
		dues, err := tx.DueBefore(run.lastAt, 5)
		if err != nil {
			return err
		}
		for _, d := range dues {
			bad = append(bad, fmt.Sprintf("connection %s's timer of %s was not fired by the tick at %s", d.Conn, d.At.Format(time.RFC3339), run.lastAt.Format(time.RFC3339)))
		}
		// Messages queued at the time of the tick come from work done after it.
		msgs, err := tx.QueuedBefore(run.lastAt.Add(-time.Nanosecond), 5)
		if err != nil {
			return err
		}
		for _, m := range msgs {
			bad = append(bad, fmt.Sprintf("message %s due at %s was not dispatched by the tick at %s", m.Key, m.NextTry.Format(time.RFC3339), run.lastAt.Format(time.RFC3339)))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return bad
}

// checkMail compares the outbox with what the SMTP server accepted: every message marked
// sent was accepted, and the server got nothing that is not in the outbox. A message may
// have been accepted more than once (the process died before recording it), always with
// its own Message-ID; it returns how many such repeats there were.
func checkMail(t *testing.T, l ledger, srv *mailtest.Server) (repeats int) {
	t.Helper()
	byMsgID := map[string]store.Message{}
	for _, m := range l.msgs {
		byMsgID[strings.Trim(m.MessageID, "<>")] = m
	}
	got := map[string]int{}
	for _, r := range srv.Messages() {
		id := strings.Trim(r.MessageID, "<>")
		got[id]++
		m, ok := byMsgID[id]
		if !ok {
			t.Errorf("the SMTP server got %q (Message-ID %s), which is not in the outbox", r.Subject, r.MessageID)
			continue
		}
		if len(r.To) != 1 || r.To[0] != m.To {
			t.Errorf("message %s went to %v, want %s", m.Key, r.To, m.To)
		}
		if got[id] == 2 {
			repeats++
		}
	}
	for id, m := range byMsgID {
		if m.State == store.MsgSent && got[id] == 0 {
			t.Errorf("message %s is marked sent but the SMTP server never accepted it", m.Key)
		}
	}
	checkSendLimits(t, srv.Messages())
	return repeats
}

// checkSendLimits checks the crash org's sending limits (6 an hour, 1m apart, per sender
// mailbox) on what the SMTP server accepted, by the Date of each message (the engine's
// clock when it let the message out), across every kill and restart: a send repeated after a
// kill counts again.
func checkSendLimits(t *testing.T, got []mailtest.Received) {
	t.Helper()
	byBox := map[string][]time.Time{}
	for _, r := range got {
		at, err := netmail.ParseDate(r.Date)
		if err != nil {
			t.Errorf("message %s: Date %q: %v", r.MessageID, r.Date, err)
			continue
		}
		box := mailboxOf(r.Header.Get("From"))
		byBox[box] = append(byBox[box], at)
	}
	for box, times := range byBox {
		slices.SortFunc(times, time.Time.Compare)
		perHour := map[time.Time]int{}
		for i, at := range times {
			h := at.UTC().Truncate(time.Hour)
			if perHour[h]++; perHour[h] == 7 {
				t.Errorf("%s sent more than 6 emails in the hour from %s", box, h.Format(time.RFC3339))
			}
			if i > 0 && at.Sub(times[i-1]) < time.Minute {
				t.Errorf("%s sent two emails %v apart (at %s), less than its 1m spacing", box, at.Sub(times[i-1]), at.Format(time.RFC3339))
			}
		}
	}
}

// mailboxOf returns the address of a From value, lowercased ("Sam <sam@x>" → "sam@x").
func mailboxOf(from string) string {
	if a, err := netmail.ParseAddress(from); err == nil {
		return strings.ToLower(a.Address)
	}
	return strings.ToLower(strings.TrimSpace(from))
}

// TestCrash kills the engine process at random moments over one database and checks after
// every kill that nothing was lost and everything is consistent (see the top of the file).
// PACER_CRASH_SEED repeats a run's choices; PACER_CRASH_KEEP=FILE keeps the database of a
// failing run.
func TestCrash(t *testing.T) {
	if os.Getenv(crashDBEnv) != "" {
		t.Skip("inside the engine process")
	}
	switch runtime.GOOS {
	case "js", "wasip1", "ios", "android":
		t.Skip("needs to start and kill processes")
	}
	rounds := 30
	if testing.Short() {
		rounds = 10
	}
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv(crashSeedEnv); s != "" {
		var err error
		if seed, err = strconv.ParseUint(s, 10, 64); err != nil {
			t.Fatalf("%s: %v", crashSeedEnv, err)
		}
	}
	t.Logf("seed %d (%s=%d repeats the choices; the moments of the kills vary)", seed, crashSeedEnv, seed)
	rng := rand.New(rand.NewPCG(seed, 0))
	start := time.Now()

	path := filepath.Join(t.TempDir(), "pacer.db")
	if keep := os.Getenv("PACER_CRASH_KEEP"); keep != "" {
		// For a post-mortem: the database as the failing check found it.
		t.Cleanup(func() {
			if t.Failed() {
				b, err := os.ReadFile(path)
				if err == nil {
					err = os.WriteFile(keep, b, 0o600)
				}
				t.Logf("database kept in %s: %v", keep, err)
			}
		})
	}
	srv := mailtest.Start(t)
	setupCrashOrg(t, path, srv.URL())
	ctx := context.Background()
	var prev ledger
	now := monday.Add(time.Hour)
	opening, catchingUp := 0, 0
	for round := range rounds {
		if rng.IntN(4) == 0 {
			srv.FailNext(1+rng.IntN(6), 451) // the transport has a bad moment: retries
		}
		run := runChild(t, path, now, seed+uint64(round), rng)
		switch {
		case !run.opened:
			opening++
		case run.ticks == 0:
			catchingUp++
		}

		db, err := bolt.Open(path, bolt.Options{})
		if err != nil {
			t.Fatalf("round %d: the database does not open after the kill: %v", round, err)
		}
		e := engine.New(db, engine.FixedClock(now))
		problems, err := e.Check(ctx, "ada")
		if err != nil {
			t.Fatalf("round %d: check: %v", round, err)
		}
		cur := snapshot(t, db, prev)
		problems = append(problems, compare(prev, cur)...)
		problems = append(problems, acknowledged(t, db, run)...)
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
		if len(problems) > 0 {
			t.Fatalf("round %d (killed after %d ticks):\n  %s", round, run.ticks, strings.Join(problems, "\n  "))
		}
		checkMail(t, cur, srv)
		if t.Failed() {
			t.FailNow()
		}
		prev = cur
		// Down for a while: the next run starts by catching up what came due meanwhile.
		if cur.latest.After(now) {
			now = cur.latest
		}
		now = now.Add(time.Duration(rng.IntN(12*60)) * time.Minute)
	}

	// Finally the engine runs on to a quiet state in this process: what the kills left must
	// still work.
	srv.FailNext(0, 0)
	db, err := bolt.Open(path, bolt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	clock := engine.NewManualClock(now)
	e := engine.New(db, clock)
	for range 10 {
		clock.Advance(4 * 24 * time.Hour)
		if rep, err := e.Tick(ctx); err != nil || len(rep.Errors) > 0 {
			t.Fatalf("tick: %v %q", err, rep.Errors)
		}
	}
	// The messages the sending limits hold go out in their hours: run from one wake-up to
	// the next until none is left queued.
	for i := 0; ; i++ {
		next, ok, err := e.NextWake(ctx)
		must(t, err)
		if !ok || i > 20_000 {
			break
		}
		if next.After(clock.Now()) {
			clock.Set(next)
		}
		if rep, err := e.Tick(ctx); err != nil || len(rep.Errors) > 0 {
			t.Fatalf("tick: %v %q", err, rep.Errors)
		}
	}
	problems, err := e.Check(ctx, "ada")
	must(t, err)
	final := snapshot(t, db, prev)
	problems = append(problems, compare(prev, final)...)
	if len(problems) > 0 {
		t.Fatalf("after running on:\n  %s", strings.Join(problems, "\n  "))
	}
	repeats := checkMail(t, final, srv)
	states := map[string]int{}
	for _, c := range final.conns {
		states[string(c.state)]++
	}
	for _, tk := range final.tasks {
		states["task "+string(tk.State)]++
	}
	for _, m := range final.msgs {
		states["message "+string(m.State)]++
		if m.State == store.MsgQueued {
			t.Errorf("message %s still queued after running on", m.Key)
		}
	}
	t.Logf("%d kills (%d while opening the database, %d while catching up) in %v; %d emails accepted, %d of them again after a kill; %v",
		rounds, opening, catchingUp, time.Since(start).Round(time.Millisecond), len(srv.Messages()), repeats, states)
}

// TestCrashBrokenTimer is the crash test with a timer that can't be applied: one
// connection runs on a version whose definition can't be read. Every start of the killed
// engine catches up past it (the child fails on any other error), its history and Check
// name it, and the other connections of its batch move on.
func TestCrashBrokenTimer(t *testing.T) {
	if os.Getenv(crashDBEnv) != "" {
		t.Skip("inside the engine process")
	}
	switch runtime.GOOS {
	case "js", "wasip1", "ios", "android":
		t.Skip("needs to start and kill processes")
	}
	rounds := 8
	if testing.Short() {
		rounds = 4
	}
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 0))
	path := filepath.Join(t.TempDir(), "pacer.db")
	srv := mailtest.Start(t)
	setupCrashOrg(t, path, srv.URL())
	ctx := context.Background()

	// Three leads wait in Nurture; one of them is moved onto a version that can't be read.
	refs := []string{"lead/L-001", "lead/L-002", "lead/L-003"}
	var broken store.ID
	var others []store.ID
	func() {
		db, err := bolt.Open(path, bolt.Options{})
		must(t, err)
		defer db.Close()
		e := engine.New(db, engine.FixedClock(monday))
		_, err = e.Connect(ctx, "max", "Nurture", refs)
		must(t, err)
		must(t, db.Update(ctx, func(tx store.Tx) error {
			s, err := tx.SequenceByName("Nurture")
			if err != nil {
				return err
			}
			for i, ref := range refs {
				rec, err := tx.Record("lead", strings.TrimPrefix(ref, "lead/"))
				if err != nil {
					return err
				}
				cs, err := tx.ConnsByRecord(rec.Key)
				if err != nil {
					return err
				}
				if i > 0 {
					others = append(others, cs[0].ID)
					continue
				}
				broken = cs[0].ID
				if err := tx.PutVersion(store.Version{Sequence: s.ID, N: 99, Definition: []byte("steps: [\n"), PublishedAt: monday}); err != nil {
					return err
				}
				c := cs[0]
				c.Version = 99
				return tx.PutConn(c)
			}
			return nil
		}))
	}()

	var prev ledger
	now := monday.Add(2 * 24 * time.Hour) // the wait of all three is over
	reported := 0
	for round := range rounds {
		run := runChild(t, path, now, seed+uint64(round), rng, crashBrokenEnv+"="+broken.String())
		db, err := bolt.Open(path, bolt.Options{})
		if err != nil {
			t.Fatalf("round %d: the database does not open after the kill: %v", round, err)
		}
		e := engine.New(db, engine.FixedClock(now))
		problems, err := e.Check(ctx, "ada")
		if err != nil {
			t.Fatalf("round %d: check: %v", round, err)
		}
		named := 0
		problems = slices.DeleteFunc(problems, func(p string) bool {
			if strings.Contains(p, broken.String()) {
				named++
				return true
			}
			return false
		})
		cur := snapshot(t, db, prev)
		problems = append(problems, compare(prev, cur)...)
		problems = append(problems, acknowledged(t, db, run)...)
		var errs int
		must(t, db.View(ctx, func(tx store.Tx) error {
			h, err := tx.History(broken)
			for _, ev := range h {
				if ev.Type == store.EventError {
					errs++
				}
			}
			return err
		}))
		must(t, db.Close())
		if len(problems) > 0 {
			t.Fatalf("round %d (killed after %d ticks):\n  %s", round, run.ticks, strings.Join(problems, "\n  "))
		}
		if run.ticks > 0 && (errs == 0 || named == 0) {
			t.Fatalf("round %d: %d ticks, yet the broken timer has %d error entries and Check names it %d times", round, run.ticks, errs, named)
		}
		if errs > 0 {
			reported++
		}
		prev = cur
		if cur.latest.After(now) {
			now = cur.latest
		}
		now = now.Add(time.Duration(rng.IntN(12*60)) * time.Minute)
	}
	if reported == 0 {
		t.Fatal("no run of the engine got to the broken timer")
	}
	for _, id := range others {
		if c := prev.conns[id]; c.visit < 2 {
			t.Errorf("connection %s is still at visit %d: the broken timer held it up", id, c.visit)
		}
	}
	if c := prev.conns[broken]; c.state != store.ConnActive || c.visit != 1 {
		t.Errorf("the broken connection is %s at visit %d, want active at its wait", c.state, c.visit)
	}
}

// TestCheckFindsDamage breaks the runtime through the store port in ways a lost or half
// write would, and expects Check to say so.
func TestCheckFindsDamage(t *testing.T) {
	cases := []struct {
		name  string
		harm  func(tx store.Tx, c store.Connection) error
		wants string
	}{
		{"lost timer", func(tx store.Tx, c store.Connection) error {
			c.WakeAt = time.Time{}
			return tx.PutConn(c)
		}, "is at wait step \"pause\" with no wake-up"},
		{"task of a past visit reopened", func(tx store.Tx, c store.Connection) error {
			tk, err := tx.Task(store.DerivedID("task", c.ID.String(), "first-call", "1"))
			if err != nil {
				return err
			}
			tk.State = store.TaskOpen
			return tx.PutTask(tk)
		}, "belongs to visit 1 of its connection, which is at visit 3"},
		{"step not in the plan", func(tx store.Tx, c store.Connection) error {
			c.Step = "nowhere"
			return tx.PutConn(c)
		}, "which version 1 does not have"},
		{"history out of order", func(tx store.Tx, c store.Connection) error {
			return tx.AppendHistory(c.ID, store.Event{At: monday.Add(time.Hour), Type: "step_entered", StepID: "first-call"})
		}, "can't follow step \"pause\""},
		{"history back in time", func(tx store.Tx, c store.Connection) error {
			return tx.AppendHistory(c.ID, store.Event{At: monday.Add(-time.Hour), Type: "task_snoozed", StepID: "pause"})
		}, "before the entry before it"},
		{"message for a step that sends nothing", func(tx store.Tx, c store.Connection) error {
			return tx.PutMessage(store.Message{ID: store.NewID(monday), Conn: c.ID, Record: c.Record, Sequence: c.Sequence, StepID: "pause", Visit: 3, Key: fmt.Sprintf("%s/pause/3", c.ID), State: store.MsgQueued, NextTry: monday})
		}, "is queued for a wait step, which sends nothing"},
		{"message marked sent without its transition", func(tx store.Tx, c store.Connection) error {
			var sent error
			err := tx.Messages(func(m store.Message) bool {
				m.State, m.SentAt = store.MsgSent, monday
				sent = tx.PutMessage(m)
				return false
			})
			return errors.Join(err, sent)
		}, "has no email_sent for it"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t)
			w.connect(w.sequence(callSeq), "lead/L-1")
			w.act("sam", w.only("sam").ID, engine.TaskAction{Kind: engine.ActDone, Outcome: "no_answer"})
			// One message of another record waits in the outbox for a server that is down.
			must(t, w.e.SetSetting(w.ctx, "ada", "smtp_url", "smtp://127.0.0.1:1"))
			w.connect(w.sequence(autoSeq), "lead/L-3")
			if probs, err := w.e.Check(w.ctx, "ada"); err != nil || len(probs) > 0 {
				t.Fatalf("before: %v %q", err, probs)
			}
			must(t, w.db.Update(w.ctx, func(tx store.Tx) error {
				rec, err := tx.Record("lead", "L-1")
				if err != nil {
					return err
				}
				conns, err := tx.ConnsByRecord(rec.Key)
				if err != nil {
					return err
				}
				return tc.harm(tx, conns[0])
			}))
			probs, err := w.e.Check(w.ctx, "ada")
			must(t, err)
			if !slices.ContainsFunc(probs, func(p string) bool { return strings.Contains(p, tc.wants) }) {
				t.Fatalf("want a problem with %q, got %q", tc.wants, probs)
			}
		})
	}
	_, err := newWorld(t).e.Check(context.Background(), "sam")
	wantErr(t, err, engine.ErrForbidden)
}

// staleLists is a store whose open-task lists hand out an earlier copy of each task (its
// note as it was), as an index that missed a write of its task would.
type staleLists struct {
	store.Store
	open, mine bool // which list is stale: OpenTasks, TasksFor
}

func (s staleLists) View(ctx context.Context, fn func(store.Tx) error) error {
	return s.Store.View(ctx, func(tx store.Tx) error { return fn(staleTx{tx, s}) })
}

type staleTx struct {
	store.Tx
	s staleLists
}

func stale(fn func(store.Task) bool) func(store.Task) bool {
	return func(tk store.Task) bool { tk.Note = "as it was"; return fn(tk) }
}

func (tx staleTx) OpenTasks(fn func(store.Task) bool) error {
	if tx.s.open {
		fn = stale(fn)
	}
	return tx.Tx.OpenTasks(fn)
}

func (tx staleTx) TasksFor(username string, fn func(store.Task) bool) error {
	if tx.s.mine {
		fn = stale(fn)
	}
	return tx.Tx.TasksFor(username, fn)
}

// TestCheckFindsStaleLists expects Check to notice a list whose copy of a task is not the
// task itself.
func TestCheckFindsStaleLists(t *testing.T) {
	w := newWorld(t)
	w.connect(w.sequence(callSeq), "lead/L-1")
	for _, tc := range []struct {
		open, mine bool
		wants      string
	}{
		{false, false, ""},
		{true, false, "is listed among the open tasks as it was, not as it is (outcome)"},
		{false, true, "is in the work list of sam as it was, not as it is (outcome)"},
	} {
		probs, err := engine.New(staleLists{w.db, tc.open, tc.mine}, w.clock).Check(w.ctx, "ada")
		must(t, err)
		switch {
		case tc.wants == "" && len(probs) > 0:
			t.Errorf("lists as they are: %q", probs)
		case tc.wants != "" && !slices.ContainsFunc(probs, func(p string) bool { return strings.Contains(p, tc.wants) }):
			t.Errorf("stale OpenTasks %t, TasksFor %t: want a problem with %q, got %q", tc.open, tc.mine, tc.wants, probs)
		}
	}
}
