package engine

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/pacer-sales/pacer/engine/flow"
	"github.com/pacer-sales/pacer/engine/limits"
	"github.com/pacer-sales/pacer/store"
)

// TaskRow is one task of a work list (the `pacer tasks` JSON shape of SPEC §7).
type TaskRow struct {
	ID         string    `json:"id"`
	Record     string    `json:"record"`
	RecordName string    `json:"record_name"`
	Sequence   string    `json:"sequence"`
	StepID     string    `json:"step_id"`
	Type       string    `json:"type"`
	Name       string    `json:"name"`
	DueAt      time.Time `json:"due_at"`
	Assignees  []string  `json:"assignees"`
	State      string    `json:"state"`
	Error      string    `json:"error,omitempty"`
	// Why says why the task is due when it is or assigned to whom it is, when the engine
	// moved it: a holiday, the seller's time off and cover, the seller's working hours.
	Why string `json:"why,omitempty"`
}

func taskRow(t store.Task) TaskRow {
	as := t.Assignees
	if as == nil {
		as = []string{}
	}
	return TaskRow{
		ID: t.ID.String(), Record: t.RecordRef, RecordName: t.RecordName, Sequence: t.SeqName,
		StepID: t.StepID, Type: t.Type, Name: t.Name, DueAt: t.DueAt, Assignees: as,
		State: string(t.State), Error: t.Error, Why: t.Why,
	}
}

// Due selects tasks by due time, in the user's time zone.
type Due string

// The due filters of the work list.
const (
	DueAll      Due = "all"
	DueOverdue  Due = "overdue"
	DueToday    Due = "today"
	DueUpcoming Due = "upcoming"
)

// TaskQuery selects a work list.
type TaskQuery struct {
	// User is whose list; empty means the acting user. All lists every open task.
	User string
	All  bool
	Due  Due
}

// Tasks returns open tasks, earliest due first. Sellers see their own list; managers and
// admins any user's or all.
func (e *Engine) Tasks(ctx context.Context, by string, q TaskQuery) ([]TaskRow, error) {
	switch q.Due {
	case "", DueAll, DueOverdue, DueToday, DueUpcoming:
	default:
		return nil, invalid("due %q: want overdue, today, upcoming or all", q.Due)
	}
	var rows []TaskRow
	err := e.view(ctx, func(tx store.Tx) error {
		u, err := actor(tx, by)
		if err != nil {
			return err
		}
		whose := u
		if q.User != "" && q.User != u.Username {
			if !isManager(u) {
				return forbidden("%s can only see their own work list", u.Username)
			}
			if whose, err = tx.User(q.User); err != nil {
				return notFound(err, "there is no user %q", q.User)
			}
		}
		if q.All && !isManager(u) {
			return forbidden("only managers and admins see every work list")
		}
		keep := dueFilter(q.Due, e.clock.Now(), whose.TimeZone)
		collect := func(t store.Task) bool {
			if keep(t.DueAt) {
				rows = append(rows, taskRow(t))
			}
			return true
		}
		if q.All {
			return tx.OpenTasks(collect)
		}
		return tx.TasksFor(whose.Username, collect)
	})
	if rows == nil {
		rows = []TaskRow{}
	}
	return rows, err
}

// dueFilter selects due times: overdue is before today began, today is within the user's
// calendar day, upcoming is from tomorrow on.
func dueFilter(d Due, now time.Time, tz string) func(time.Time) bool {
	loc, err := time.LoadLocation(tz)
	if err != nil || tz == "" {
		loc = time.UTC
	}
	n := now.In(loc)
	start := time.Date(n.Year(), n.Month(), n.Day(), 0, 0, 0, 0, loc)
	end := start.AddDate(0, 0, 1)
	switch d {
	case DueOverdue:
		return func(t time.Time) bool { return t.Before(start) }
	case DueToday:
		return func(t time.Time) bool { return !t.Before(start) && t.Before(end) }
	case DueUpcoming:
		return func(t time.Time) bool { return !t.Before(end) }
	}
	return func(time.Time) bool { return true }
}

// findTask resolves a task id (its full hex form, or a unique prefix of at least 6 digits)
// to an open task the user may act on.
func findTask(tx store.Tx, u store.User, id string) (store.Task, error) {
	id = strings.ToLower(strings.TrimSpace(id))
	var t store.Task
	if full, err := store.ParseID(id); err == nil {
		if t, err = tx.Task(full); err != nil {
			return t, notFound(err, "there is no task %s", id)
		}
	} else {
		if len(id) < 6 {
			return t, invalid("task %q: give the task id (at least 6 characters of it)", id)
		}
		var found []store.Task
		scan := func(x store.Task) bool {
			if strings.HasPrefix(x.ID.String(), id) {
				found = append(found, x)
			}
			return len(found) < 2
		}
		if err := tx.OpenTasks(scan); err != nil {
			return t, err
		}
		switch len(found) {
		case 0:
			return t, invalid("there is no open task %s", id)
		case 1:
			t = found[0]
		default:
			return t, invalid("task id %s is ambiguous; give more of it", id)
		}
	}
	if t.State != store.TaskOpen {
		return t, invalid("task %s is already %s", id, t.State)
	}
	if !isManager(u) && !slices.Contains(t.Assignees, u.Username) {
		return t, forbidden("task %s is not assigned to %s", id, u.Username)
	}
	return t, nil
}

// TaskAction is what a seller does with a task.
type TaskAction struct {
	Kind TaskActionKind
	// Outcome and Note complete a call (done).
	Outcome, Note string
	// Until is the new due time (snooze).
	Until time.Time
	// To is the user who takes the task (assign).
	To string
}

// TaskActionKind names a task action.
type TaskActionKind string

// The task actions.
const (
	ActDone   TaskActionKind = "done"
	ActSkip   TaskActionKind = "skip"
	ActSnooze TaskActionKind = "snooze"
	ActAssign TaskActionKind = "assign"
)

// ActOnTask settles, snoozes or reassigns a task (SPEC §4.2). A task with several assignees
// is settled by the first of them to act. Sellers act on tasks assigned to them; managers
// and admins on any.
func (e *Engine) ActOnTask(ctx context.Context, by, id string, a TaskAction) (TaskRow, error) {
	var row TaskRow
	err := e.update(ctx, func(tx store.Tx) error {
		u, err := actor(tx, by)
		if err != nil {
			return err
		}
		t, err := findTask(tx, u, id)
		if err != nil {
			return err
		}
		now := e.clock.Now()
		switch a.Kind {
		case ActSnooze:
			if err := limits.Time("snooze until", a.Until); err != nil {
				return fmt.Errorf("%w: %w", ErrInvalid, err)
			}
			if !a.Until.After(now) {
				return invalid("snooze until %s: pick a time after now (%s)", a.Until.Format(time.RFC3339), now.Format(time.RFC3339))
			}
			t.DueAt, t.Why = a.Until, "" // the seller's own choice now
			if err := tx.PutTask(t); err != nil {
				return err
			}
			row = taskRow(t)
			return tx.AppendHistory(t.Conn, store.Event{At: now, Type: store.EventTaskSnoozed, StepID: t.StepID, By: u.Username, Until: a.Until, Task: t.ID.String()})
		case ActAssign:
			to, err := tx.User(a.To)
			if err != nil {
				return notFound(err, "there is no user %q", a.To)
			}
			t.Assignees, t.Why = []string{to.Username}, "" // handed over by hand: the engine's reason is gone
			if err := tx.PutTask(t); err != nil {
				return err
			}
			row = taskRow(t)
			return tx.AppendHistory(t.Conn, store.Event{At: now, Type: store.EventTaskAssigned, StepID: t.StepID, By: u.Username, Assignees: t.Assignees, Task: t.ID.String()})
		case ActDone, ActSkip:
		default:
			return invalid("unknown task action %q", a.Kind)
		}
		kind := flow.TaskDone
		if a.Kind == ActSkip {
			kind = flow.TaskSkipped
		}
		c, err := tx.Conn(t.Conn)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		if err != nil || c.State != store.ConnActive || c.Task != t.ID {
			// A task outside the walk (a notice, or its connection ended): just close it.
			t.State, t.ClosedAt, t.ClosedBy, t.Note = store.TaskDone, now, u.Username, a.Note
			if kind == flow.TaskSkipped {
				t.State = store.TaskSkipped
			}
			row = taskRow(t)
			return tx.PutTask(t)
		}
		o, err := loadOrg(tx)
		if err != nil {
			return err
		}
		res, err := e.step(tx, o, c, flow.Input{Kind: kind, Visit: t.Visit, Outcome: a.Outcome, Note: a.Note, By: u.Username}, now)
		if err != nil {
			return err
		}
		if res.Ignored != "" {
			if strings.Contains(res.Ignored, "outcome") {
				return invalid("%s; outcomes: %s", res.Ignored, strings.Join(o.settings.CallOutcomes, ", "))
			}
			return invalid("task %s: %s", id, res.Ignored)
		}
		t, err = tx.Task(t.ID)
		row = taskRow(t)
		return err
	})
	return row, err
}
