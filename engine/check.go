package engine

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/pacer-sales/pacer/engine/flow"
	"github.com/pacer-sales/pacer/engine/sequence"
	"github.com/pacer-sales/pacer/store"
)

// Check reads the whole runtime in one snapshot and reports every inconsistency it finds
// between connections, their histories, the due index, tasks and the outbox — what a
// doctor command shows after a crash or a restore. It changes nothing; an empty list means
// the runtime is consistent. Only admins may.
//
// What holds in a consistent database:
//   - every active connection is at an existing step of its version; it has a wake-up (and
//     exactly one due-index entry, for its visit) exactly when that step is a wait or an
//     email condition still waiting for its window, and an ended connection has neither;
//   - a connection at an activity step has its open task for that step and visit; one at an
//     automated email or SMS step has the step's message queued, or failed with a manual
//     task in its place; every open task belongs to the current step of an active
//     connection, except the notices the owner gets about an ended one; a message is sent
//     only for the step visit that queued it (one queued for a connection that has left
//     the step since is dropped unsent by the dispatcher);
//   - the history starts with "connected", enters steps in an order the plan allows (one
//     entry per visit), ends with "completed" or "disconnected" exactly when the connection
//     has ended, never goes back in time, and agrees with the tasks and messages it names;
//   - the indexes (connections by record and by sequence, their counts, open tasks by
//     assignee, queued messages) list exactly what the entities say, and the copy of a
//     task the open-task lists hand out is the task as it is.
func (e *Engine) Check(ctx context.Context, by string) ([]string, error) {
	var problems []string
	err := e.view(ctx, func(tx store.Tx) error {
		if _, err := requireAdmin(tx, by, "check the database"); err != nil {
			return err
		}
		k := &checker{e: e, tx: tx}
		if err := k.run(); err != nil {
			return err
		}
		problems = append(k.problems, e.heldReport()...)
		slices.Sort(problems)
		return nil
	})
	return problems, err
}

// farFuture is after every time the store can hold.
var farFuture = time.Unix(0, math.MaxInt64).UTC()

type checker struct {
	e        *Engine
	tx       store.Tx
	problems []string

	conns map[store.ID]store.Connection
	plans map[store.ID]*flow.Plan // by connection; nil when its version is gone
	refs  map[store.ID]string     // record key → "entity/id"
	// tasks holds the state each task should have by the histories; notices those the
	// owners were given.
	tasks   map[store.ID]store.TaskState
	notices map[store.ID]bool
	// msgs is the outbox by message ID, byKey by idempotency key (connection, step, visit).
	msgs  map[store.ID]store.Message
	byKey map[string]store.ID
	// sent and failed are the messages the histories say were sent and failed.
	sent   map[store.ID]store.ID
	failed map[store.ID]store.ID
}

func (k *checker) addf(format string, args ...any) {
	k.problems = append(k.problems, fmt.Sprintf(format, args...))
}

func (k *checker) run() error {
	tx := k.tx
	k.conns = map[store.ID]store.Connection{}
	k.plans = map[store.ID]*flow.Plan{}
	k.refs = map[store.ID]string{}
	k.tasks = map[store.ID]store.TaskState{}
	k.notices = map[store.ID]bool{}
	k.sent = map[store.ID]store.ID{}
	k.failed = map[store.ID]store.ID{}
	k.msgs = map[store.ID]store.Message{}
	k.byKey = map[string]store.ID{}
	if err := tx.Messages(func(m store.Message) bool {
		if _, dup := k.msgs[m.ID]; dup {
			k.addf("message %s is listed twice in the outbox", m.ID)
		}
		if other, dup := k.byKey[m.Key]; dup {
			k.addf("messages %s and %s are both for %s", other, m.ID, m.Key)
		}
		k.msgs[m.ID], k.byKey[m.Key] = m, m.ID
		if m.State == store.MsgFailed {
			// An email that softly bounced until its tries ran out tells the owner.
			k.notices[store.Visit{Conn: m.Conn, Step: m.StepID, N: m.Visit}.NoticeID()] = true
		}
		return true
	}); err != nil {
		return err
	}

	// Records are never deleted (a removed one stays, found by its key), so their
	// connections are every connection, including those of deleted sequences.
	var recs []store.Record
	if err := tx.Records("", func(r store.Record) bool {
		recs = append(recs, r)
		return true
	}); err != nil {
		return err
	}
	if err := tx.RemovedRecords(func(r store.Record) bool {
		recs = append(recs, r)
		return true
	}); err != nil {
		return err
	}
	var order []store.ID
	for _, r := range recs {
		k.refs[r.Key] = r.Ref()
		conns, err := tx.ConnsByRecord(r.Key)
		if err != nil {
			return err
		}
		active := map[store.ID]bool{}
		for _, c := range conns {
			if c.Record != r.Key {
				k.addf("connection %s is listed under %s but belongs to another record", c.ID, r.Ref())
				continue
			}
			if _, dup := k.conns[c.ID]; dup {
				k.addf("connection %s is listed twice", c.ID)
				continue
			}
			if c.State == store.ConnActive {
				if active[c.Sequence] {
					k.addf("%s has two active connections to sequence %s", r.Ref(), c.Sequence)
				}
				active[c.Sequence] = true
			}
			k.conns[c.ID] = c
			order = append(order, c.ID)
		}
	}
	if err := k.bySequence(); err != nil {
		return err
	}
	dues, err := tx.DueBefore(farFuture, math.MaxInt)
	if err != nil {
		return err
	}
	dueOf := map[store.ID][]store.Due{}
	for _, d := range dues {
		if _, ok := k.conns[d.Conn]; !ok {
			k.addf("the due index has an entry at %s for connection %s, which does not exist", d.At.Format(time.RFC3339), d.Conn)
			continue
		}
		dueOf[d.Conn] = append(dueOf[d.Conn], d)
	}
	for _, id := range order {
		if err := k.conn(k.conns[id], dueOf[id]); err != nil {
			return err
		}
	}
	if err := k.openTasks(); err != nil {
		return err
	}
	return k.messages()
}

// bySequence checks the connections-by-sequence index and the counts against the
// connections found through their records.
func (k *checker) bySequence() error {
	seqs, err := k.tx.Sequences()
	if err != nil {
		return err
	}
	want := map[store.ID]map[store.ConnState]int{}
	for _, c := range k.conns {
		if want[c.Sequence] == nil {
			want[c.Sequence] = map[store.ConnState]int{}
		}
		want[c.Sequence][c.State]++
	}
	for _, s := range seqs {
		got := map[store.ConnState]int{}
		if err := k.tx.ConnsBySequence(s.ID, func(c store.Connection) bool {
			if c.Sequence != s.ID {
				k.addf("connection %s is listed under sequence %q but belongs to another", c.ID, s.Name)
				return true
			}
			if _, ok := k.conns[c.ID]; !ok {
				k.addf("connection %s of sequence %q is not listed under its record", c.ID, s.Name)
			}
			got[c.State]++
			return true
		}); err != nil {
			return err
		}
		counts, err := k.tx.CountConns(s.ID)
		if err != nil {
			return err
		}
		for _, st := range []store.ConnState{store.ConnActive, store.ConnCompleted, store.ConnDisconnected} {
			if got[st] != want[s.ID][st] {
				k.addf("sequence %q lists %d %s connections, its records %d", s.Name, got[st], st, want[s.ID][st])
			}
			if counts[st] != want[s.ID][st] {
				k.addf("sequence %q counts %d %s connections, it has %d", s.Name, counts[st], st, want[s.ID][st])
			}
		}
	}
	return nil
}

func (k *checker) conn(c store.Connection, dues []store.Due) error {
	tx := k.tx
	name := fmt.Sprintf("connection %s (%s)", c.ID, k.refs[c.Record])
	pl, err := k.e.plans.get(tx, c.Sequence, c.Version)
	var unreadable sequence.FileErrors
	switch {
	case err == nil:
	case errors.Is(err, store.ErrNotFound):
		pl = nil
		if c.State == store.ConnActive {
			k.addf("%s is active on version %d of sequence %s, which does not exist", name, c.Version, c.Sequence)
		}
	case errors.As(err, &unreadable):
		pl = nil
		if c.State == store.ConnActive {
			k.addf("%s is active on version %d of sequence %s, whose definition can't be read: %s", name, c.Version, c.Sequence, clip(err.Error(), 300))
		}
	default:
		return err
	}
	k.plans[c.ID] = pl

	// The wake-up and its due entry.
	switch {
	case len(dues) > 1:
		k.addf("%s has %d due-index entries", name, len(dues))
	case len(dues) == 1 && c.WakeAt.IsZero():
		k.addf("%s has a due-index entry at %s but no wake-up", name, dues[0].At.Format(time.RFC3339))
	case len(dues) == 1 && (!dues[0].At.Equal(c.WakeAt) || dues[0].Visit != c.Visit):
		k.addf("%s wakes at %s (visit %d) but its due entry says %s (visit %d)", name, c.WakeAt.Format(time.RFC3339), c.Visit, dues[0].At.Format(time.RFC3339), dues[0].Visit)
	case len(dues) == 0 && !c.WakeAt.IsZero():
		k.addf("%s wakes at %s but has no due-index entry", name, c.WakeAt.Format(time.RFC3339))
	}

	if c.State == store.ConnActive {
		if err := k.activeConn(name, c, pl); err != nil {
			return err
		}
	} else {
		if c.Step != "" || !c.Task.IsZero() || !c.WakeAt.IsZero() {
			k.addf("%s has ended (%s) but still has a step %q, a task or a wake-up", name, c.State, c.Step)
		}
	}
	for step, s := range c.Sent {
		if s.Message.IsZero() {
			continue
		}
		m, ok := k.msgs[s.Message]
		if !ok {
			k.addf("%s sent message %s at step %q, which is not in the outbox", name, s.Message, step)
			continue
		}
		if m.Conn != c.ID || m.StepID != step {
			k.addf("%s: the message of step %q belongs to connection %s, step %q", name, step, m.Conn, m.StepID)
		}
	}
	return k.history(name, c, pl)
}

// activeConn checks what an active connection waits for at its current step.
func (k *checker) activeConn(name string, c store.Connection, pl *flow.Plan) error {
	if pl == nil {
		return nil
	}
	st := pl.Step(c.Step)
	if st == nil {
		k.addf("%s is at step %q, which version %d does not have", name, c.Step, c.Version)
		return nil
	}
	rest := flow.WaitsFor(st)
	if (rest == flow.RestTimer) != !c.WakeAt.IsZero() {
		if rest == flow.RestTimer {
			k.addf("%s is at %s step %q with no wake-up", name, st.Type, st.ID)
		} else {
			k.addf("%s is at %s step %q but wakes at %s", name, st.Type, st.ID, c.WakeAt.Format(time.RFC3339))
		}
	}
	switch rest {
	case flow.RestTimer:
		if !c.Task.IsZero() {
			k.addf("%s is at %s step %q but has task %s", name, st.Type, st.ID, c.Task)
		}
	case flow.RestNever:
		k.addf("%s stopped at %s step %q, which runs at once", name, st.Type, st.ID)
	case flow.RestTask:
		if c.Task.IsZero() {
			k.addf("%s is at %s step %q with no task", name, st.Type, st.ID)
		}
	}
	if !c.Task.IsZero() {
		t, err := k.tx.Task(c.Task)
		if errors.Is(err, store.ErrNotFound) {
			k.addf("%s has task %s, which does not exist", name, c.Task)
		} else if err != nil {
			return err
		} else if t.State != store.TaskOpen || t.Conn != c.ID || t.StepID != c.Step || t.Visit != c.Visit {
			k.addf("%s at step %q visit %d has task %s, which is %s, of connection %s, step %q visit %d", name, c.Step, c.Visit, c.Task, t.State, t.Conn, t.StepID, t.Visit)
		}
	}
	if rest == flow.RestMessage {
		m, ok := k.msgs[k.byKey[store.Visit{Conn: c.ID, Step: c.Step, N: c.Visit}.Key()]]
		switch {
		case !ok:
			k.addf("%s is at %s step %q but its message is not in the outbox", name, st.Type, st.ID)
		case c.Task.IsZero() && m.State != store.MsgQueued:
			k.addf("%s is at %s step %q but its message is %s, not queued", name, st.Type, st.ID, m.State)
		case !c.Task.IsZero() && m.State != store.MsgFailed:
			k.addf("%s has a manual task for %s step %q but its message is %s, not failed", name, st.Type, st.ID, m.State)
		}
	}
	return nil
}

// history walks a connection's history against its plan, its tasks and its messages.
func (k *checker) history(name string, c store.Connection, pl *flow.Plan) error {
	tx := k.tx
	h, err := tx.History(c.ID)
	if err != nil {
		return err
	}
	if len(h) == 0 {
		k.addf("%s has no history", name)
		return nil
	}
	if h[0].Type != store.EventConnected {
		k.addf("%s: history starts with %q, not connected", name, h[0].Type)
	}
	var (
		cur     string
		visits  uint32
		ended   *store.Event
		last    time.Time
		open    store.ID // the task the history has open
		entered = map[string]bool{}
		advAt   time.Time
		advStep string
		failed  *store.Event // a timer of the current visit that could not be applied
	)
	for i, ev := range h {
		where := fmt.Sprintf("%s: history entry %d (%s at step %q)", name, i, ev.Type, ev.StepID)
		// An email event carries when it happened, which may be before it was recorded.
		if ev.Type != store.EventEmail {
			if ev.At.Before(last) {
				k.addf("%s is at %s, before the entry before it (%s)", where, ev.At.Format(time.RFC3339Nano), last.Format(time.RFC3339Nano))
			}
			last = ev.At
		}
		if ended != nil && !flow.AfterEnd(ev.Type) {
			k.addf("%s comes after the connection %s", where, ended.Type)
		}
		if flow.AboutStep(ev.Type) && ev.StepID != cur {
			k.addf("%s is not about the current step %q", where, cur)
		}
		switch ev.Type {
		case store.EventConnected:
			if i != 0 {
				k.addf("%s: connected again", where)
			}
		case store.EventStepEntered:
			if !open.IsZero() {
				k.addf("%s: step %q was left with task %s open", where, cur, open)
				open = store.ID{}
			}
			if pl != nil {
				switch {
				case pl.Step(ev.StepID) == nil:
					k.addf("%s: the version has no such step", where)
				case visits == 0 && ev.StepID != pl.First:
					k.addf("%s: the first step is %q", where, pl.First)
				case visits > 0 && !slices.Contains(pl.Successors(cur), ev.StepID):
					k.addf("%s can't follow step %q", where, cur)
				}
			}
			cur, entered[ev.StepID] = ev.StepID, true
			visits++
			failed = nil
		case store.EventCompleted, store.EventDisconnected:
			if ended == nil {
				ended = &h[i]
			}
			if ev.Type == store.EventCompleted && pl != nil && visits > 0 && !slices.Contains(pl.Successors(cur), "") {
				k.addf("%s: a path does not end after step %q", where, cur)
			}
			if !open.IsZero() {
				k.tasks[open] = store.TaskCanceled
				open = store.ID{}
			}
		case store.EventTaskCreated:
			id, err := store.ParseID(ev.Task)
			if err != nil {
				k.addf("%s names no task", where)
				break
			}
			if !open.IsZero() {
				k.addf("%s while task %s is open", where, open)
			}
			open = id
			k.tasks[id] = store.TaskOpen
			t, err := tx.Task(id)
			if errors.Is(err, store.ErrNotFound) {
				k.addf("%s: task %s does not exist", where, id)
				break
			} else if err != nil {
				return err
			}
			if t.Conn != c.ID || t.StepID != ev.StepID || t.Visit != visits {
				k.addf("%s: task %s is of connection %s, step %q, visit %d (want visit %d)", where, id, t.Conn, t.StepID, t.Visit, visits)
			}
		case store.EventTaskDone, store.EventTaskSkipped:
			if ev.Task != open.String() || open.IsZero() {
				k.addf("%s settles task %s, but the open one is %s", where, ev.Task, open)
			}
			if !open.IsZero() {
				k.tasks[open] = map[string]store.TaskState{store.EventTaskDone: store.TaskDone, store.EventTaskSkipped: store.TaskSkipped}[ev.Type]
				open = store.ID{}
			}
		case store.EventEmailSent:
			id, err := store.ParseID(ev.Message)
			if err != nil {
				k.addf("%s names no message", where)
				break
			}
			k.sent[id] = c.ID
			m, ok := k.msgs[id]
			if !ok {
				k.addf("%s: message %s is not in the outbox", where, id)
				break
			}
			if m.Conn != c.ID || m.StepID != ev.StepID || m.Visit != visits {
				k.addf("%s: message %s is of connection %s, step %q, visit %d (want visit %d)", where, id, m.Conn, m.StepID, m.Visit, visits)
			}
			switch m.State {
			case store.MsgSent, store.MsgKept:
			case store.MsgFailed:
				// Sent, then bounced softly until its tries ran out: its owner is told.
				if _, err := tx.Task(store.Visit{Conn: m.Conn, Step: m.StepID, N: m.Visit}.NoticeID()); errors.Is(err, store.ErrNotFound) {
					k.addf("%s: message %s failed after it was sent, but its owner was not told", where, id)
				} else if err != nil {
					return err
				}
			default:
				k.addf("%s: message %s is %s", where, id, m.State)
			}
		case store.EventMessageFailed:
			id, ok := k.byKey[store.Visit{Conn: c.ID, Step: cur, N: visits}.Key()]
			k.failed[id] = c.ID
			if m := k.msgs[id]; !ok {
				k.addf("%s: the message of the visit is not in the outbox", where)
			} else if m.State != store.MsgFailed {
				k.addf("%s: the message of the visit is %s", where, m.State)
			}
		case store.EventEmail:
			if !entered[ev.StepID] {
				k.addf("%s: an email event for a step never entered", where)
			}
		case store.EventAdvanced:
			advAt, advStep = ev.At, ev.StepID
		case store.EventError:
			failed = &h[i]
		}
	}
	if visits != c.Visit {
		k.addf("%s is at visit %d but its history enters %d steps", name, c.Visit, visits)
	}
	switch {
	case c.State == store.ConnActive && ended != nil:
		k.addf("%s is active but its history says %s", name, ended.Type)
	case c.State == store.ConnActive:
		if failed != nil {
			k.addf("%s: its timer at step %q could not be applied at %s: %s", name, c.Step, failed.At.Format(time.RFC3339), failed.Reason)
		}
		if cur != c.Step {
			k.addf("%s is at step %q but its history last entered %q", name, c.Step, cur)
		}
		if open != c.Task {
			k.addf("%s has task %s but its history has %s open", name, c.Task, open)
		}
	case ended == nil:
		k.addf("%s is %s but its history does not say so", name, c.State)
	case string(c.State) != ended.Type || (c.State == store.ConnDisconnected && c.Reason != ended.Reason):
		k.addf("%s is %s (%s) but its history says %s (%s)", name, c.State, c.Reason, ended.Type, ended.Reason)
	}
	switch c.Reason {
	case store.ReasonAdvanced:
		if advAt.IsZero() {
			k.addf("%s was advanced but its history has no advanced entry", name)
			break
		}
		conns, err := tx.ConnsByRecord(c.Record)
		if err != nil {
			return err
		}
		found := false
		for _, o := range conns {
			if o.ID != c.ID && o.CreatedAt.Equal(advAt) && strings.HasPrefix(o.Source, "advance:") {
				found = true
			}
		}
		if !found {
			k.addf("%s was advanced at %s but the record has no connection made then by an advance", name, advAt.Format(time.RFC3339))
		}
	case store.ReasonAdvanceFailed:
		id := store.Visit{Conn: c.ID, Step: advStep, N: c.Visit}.NoticeID()
		k.notices[id] = true
		if _, err := tx.Task(id); errors.Is(err, store.ErrNotFound) {
			k.addf("%s could not advance but its owner was not told (no notice %s)", name, id)
		} else if err != nil {
			return err
		}
	}
	return nil
}

// openTasks checks the tasks the histories name and the open-task indexes.
func (k *checker) openTasks() error {
	tx := k.tx
	for id, want := range k.tasks {
		t, err := tx.Task(id)
		if errors.Is(err, store.ErrNotFound) {
			continue // reported with the history
		} else if err != nil {
			return err
		}
		if t.State != want {
			k.addf("task %s (%s, step %q) is %s but its connection's history says %s", id, t.RecordRef, t.StepID, t.State, want)
		}
	}
	// The lists hand out their own copies of the tasks: each must be the task itself.
	open := map[store.ID]store.Task{}
	byUser := map[string]map[store.ID]bool{}
	listed := map[store.ID]store.Task{}
	if err := tx.OpenTasks(func(t store.Task) bool {
		listed[t.ID] = t
		return true
	}); err != nil {
		return err
	}
	for id, copied := range listed {
		t, err := tx.Task(id)
		if errors.Is(err, store.ErrNotFound) {
			k.addf("open task %s (%s, step %q) is listed among the open tasks but does not exist", id, copied.RecordRef, copied.StepID)
			continue
		} else if err != nil {
			return err
		}
		if !sameTask(copied, t) {
			k.addf("task %s is listed among the open tasks as it was, not as it is (%s)", id, taskDiff(copied, t))
		}
		open[id] = t
	}
	for id, t := range open {
		name := fmt.Sprintf("open task %s (%s, step %q)", id, t.RecordRef, t.StepID)
		if t.State != store.TaskOpen {
			k.addf("%s is listed as open but is %s", name, t.State)
		}
		c, ok := k.conns[t.Conn]
		switch {
		case !ok:
			k.addf("%s belongs to connection %s, which does not exist", name, t.Conn)
		case k.notices[id]:
		case c.State != store.ConnActive:
			k.addf("%s belongs to connection %s, which has ended", name, t.Conn)
		case c.Task != id:
			k.addf("%s belongs to visit %d of its connection, which is at visit %d of step %q", name, t.Visit, c.Visit, c.Step)
		}
		if _, known := k.tasks[id]; !known && !k.notices[id] {
			k.addf("%s is in no connection's history", name)
		}
		for _, a := range t.Assignees {
			if byUser[a] == nil {
				byUser[a] = map[store.ID]bool{}
			}
			byUser[a][id] = true
		}
	}
	for id, want := range k.tasks {
		if _, ok := open[id]; want == store.TaskOpen && !ok {
			if _, err := tx.Task(id); err == nil {
				k.addf("task %s is open but not listed among the open tasks", id)
			}
		}
	}
	users, err := tx.Users()
	if err != nil {
		return err
	}
	for _, u := range users {
		if byUser[u.Username] == nil {
			byUser[u.Username] = map[store.ID]bool{}
		}
	}
	for user, want := range byUser {
		got := map[store.ID]bool{}
		if err := tx.TasksFor(user, func(t store.Task) bool {
			got[t.ID] = true
			if !want[t.ID] {
				k.addf("task %s is in the work list of %s but is not an open task of theirs", t.ID, user)
			} else if !sameTask(t, open[t.ID]) {
				k.addf("task %s is in the work list of %s as it was, not as it is (%s)", t.ID, user, taskDiff(t, open[t.ID]))
			}
			return true
		}); err != nil {
			return err
		}
		for id := range want {
			if !got[id] {
				k.addf("open task %s is missing from the work list of %s", id, user)
			}
		}
	}
	return nil
}

// messages checks every outbox message against its connection and the queued index.
func (k *checker) messages() error {
	tx := k.tx
	queued := map[store.ID]bool{}
	for _, m := range k.msgs {
		name := fmt.Sprintf("message %s (%s step %q visit %d)", m.ID, k.refs[m.Record], m.StepID, m.Visit)
		if m.Key != (store.Visit{Conn: m.Conn, Step: m.StepID, N: m.Visit}).Key() {
			k.addf("%s has key %q, not the one of its step visit", name, m.Key)
		}
		c, ok := k.conns[m.Conn]
		if !ok {
			k.addf("%s belongs to connection %s, which does not exist", name, m.Conn)
			continue
		}
		// at: the connection is still at the step visit that queued the message.
		at := c.State == store.ConnActive && c.Step == m.StepID && c.Visit == m.Visit
		switch m.State {
		case store.MsgQueued:
			queued[m.ID] = true
			// A message whose connection has since left its step (a disconnect, a reply) stays
			// queued until the dispatcher drops it unsent.
			if at {
				if pl := k.plans[c.ID]; pl != nil {
					if st := pl.Step(c.Step); st != nil && flow.WaitsFor(st) != flow.RestMessage {
						k.addf("%s is queued for a %s step, which sends nothing", name, st.Type)
					}
				}
				if !c.Task.IsZero() {
					k.addf("%s is queued but its step has a manual task in its place", name)
				}
			}
		case store.MsgSent, store.MsgKept:
			// A message can go out while its connection leaves the step (a disconnect or a
			// reply between the dispatcher's claim and the server's answer): sent, with no
			// email_sent in a history that has moved on.
			if k.sent[m.ID] != m.Conn && at {
				k.addf("%s is %s but its connection's history has no email_sent for it", name, m.State)
			}
		case store.MsgFailed:
			// Failed without a message_failed entry: dropped unsent after the connection left.
			if k.failed[m.ID] != m.Conn && at {
				k.addf("%s failed but its connection's history has no message_failed for it", name)
			}
		default:
			k.addf("%s is in an unknown state %q", name, m.State)
		}
	}
	listed, err := tx.QueuedBefore(farFuture, math.MaxInt)
	if err != nil {
		return err
	}
	for _, m := range listed {
		if !queued[m.ID] {
			k.addf("message %s is listed as queued but is %s", m.ID, m.State)
		}
		delete(queued, m.ID)
	}
	for id := range queued {
		k.addf("queued message %s is missing from the queue", id)
	}
	return nil
}

// sameTask reports whether a and b are the same task with the same contents.
func sameTask(a, b store.Task) bool { return taskDiff(a, b) == "" }

// taskDiff names the fields in which a differs from b, or returns "" when none does.
func taskDiff(a, b store.Task) string {
	var diff []string
	add := func(field string, same bool) {
		if !same {
			diff = append(diff, field)
		}
	}
	add("id", a.ID == b.ID)
	add("connection", a.Conn == b.Conn)
	add("record", a.Record == b.Record && a.RecordRef == b.RecordRef && a.RecordName == b.RecordName)
	add("sequence", a.Sequence == b.Sequence && a.SeqName == b.SeqName)
	add("step", a.StepID == b.StepID && a.Visit == b.Visit && a.Type == b.Type && a.Name == b.Name && a.Template == b.Template)
	add("due", a.DueAt.Equal(b.DueAt))
	add("assignees", slices.Equal(a.Assignees, b.Assignees))
	add("state", a.State == b.State)
	add("outcome", a.Outcome == b.Outcome && a.Note == b.Note && a.Error == b.Error)
	add("created", a.CreatedAt.Equal(b.CreatedAt))
	add("closed", a.ClosedAt.Equal(b.ClosedAt) && a.ClosedBy == b.ClosedBy)
	return strings.Join(diff, ", ")
}
