package engine

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/pacer-sales/pacer/engine/flow"
	"github.com/pacer-sales/pacer/engine/sequence"
	"github.com/pacer-sales/pacer/store"
)

// SimEvent is a scripted email event: Kind happens After the simulation starts (to the
// latest message sent by then).
type SimEvent struct {
	Kind  sequence.Kind
	After time.Duration
}

// SimOptions script a simulation.
type SimOptions struct {
	Sequence string
	// Record is "entity/id" of a real record; empty simulates a made-up one.
	Record string
	Events []SimEvent
	// Outcomes maps a step id to how its task is settled: a call outcome, "done" or "skip".
	// A call without one gets the org's first outcome when a call-outcome condition follows
	// it; other tasks are done.
	Outcomes map[string]string
	// Pauses pause the record's connection to the sequence After the start, resuming by
	// itself For later.
	Pauses []SimPause
	// Horizon bounds simulated time (default one year).
	Horizon time.Duration
}

// SimPause is a scripted pause of the simulated connection.
type SimPause struct {
	After, For time.Duration
	Reason     string
}

// SimLine is one line of a simulated timeline.
type SimLine struct {
	At       time.Time `json:"at"`
	Sequence string    `json:"sequence"`
	StepID   string    `json:"step_id,omitempty"`
	StepName string    `json:"step_name,omitempty"`
	What     string    `json:"what"`
	Branch   string    `json:"branch,omitempty"`
	Why      string    `json:"why,omitempty"`
}

// NewSimulator returns an engine for Simulate over a throwaway copy of a database (see
// Store.Backup), driven by a manual clock. It sends no email: messages stay in the copy's
// local outbox.
func NewSimulator(scratch store.Store, clock *ManualClock) *Engine {
	e := New(scratch, clock)
	e.scratch = clock
	return e
}

// Simulate walks a record through a sequence's working definition on the simulator's copy
// with scripted tasks and events, and returns the timeline: every step, what happened,
// which branch and why. The real database is never touched.
func (e *Engine) Simulate(ctx context.Context, by string, opt SimOptions) ([]SimLine, error) {
	clock := e.scratch
	if clock == nil {
		return nil, fmt.Errorf("simulate runs only on a simulator (NewSimulator) over a copy of the database")
	}
	if opt.Horizon <= 0 {
		opt.Horizon = 365 * 24 * time.Hour
	}
	start := clock.Now()
	var rec store.Record
	var seq store.Sequence
	err := e.update(ctx, func(tx store.Tx) error {
		u, err := actor(tx, by)
		if err != nil {
			return err
		}
		if seq, err = findSequence(tx, opt.Sequence); err != nil {
			return err
		}
		s, err := tx.Settings()
		if err != nil {
			return err
		}
		s.SMTPURL = ""
		if err := tx.PutSettings(s); err != nil {
			return err
		}
		def, err := sequence.Parse(seq.Definition, seq.Name)
		if err != nil {
			return err
		}
		// In the copy the acting user works every task, and the working definition runs as
		// it would once activated.
		u.Roles = append(u.Roles, store.RoleAdmin)
		if err := tx.PutUser(u); err != nil {
			return err
		}
		if seq, err = e.save(tx, u, seq, def, SaveOptions{Activate: true, Note: "simulation"}); err != nil {
			return err
		}
		if opt.Record != "" {
			rec, err = e.recordFor(tx, opt.Record)
			if err != nil {
				return err
			}
			if rec.Entity != seq.Entity {
				return invalid("%s is a %s; sequence %q is for %s records", rec.Ref(), rec.Entity, seq.Name, seq.Entity)
			}
			// A real record may already be in the sequence; the simulation starts it afresh.
			if c, err := activeConn(tx, rec.Key, seq.ID); err != nil {
				return err
			} else if c != nil {
				c.State, c.Step, c.WakeAt, c.Task = store.ConnDisconnected, "", time.Time{}, store.ID{}
				if err := tx.PutConn(*c); err != nil {
					return err
				}
			}
			return nil
		}
		rec, err = tx.PutRecord(store.Record{
			Entity: seq.Entity, ID: "SIM-1", Name: "Sam Sample", Owner: u.Username,
			Email: "sam.sample@example.com", Phone: "+1 555 0100", CreatedAt: start, ModifiedAt: start,
		})
		return err
	})
	if err != nil {
		return nil, err
	}
	before := map[store.ID]bool{}
	for _, c := range e.connsOf(ctx, rec.Key) {
		before[c.ID] = true
	}
	if err := e.update(ctx, func(tx store.Tx) error {
		o, err := loadOrg(tx)
		if err != nil {
			return err
		}
		_, err = e.step(tx, o, newConn(rec, seq, "simulation", start), flow.Input{Kind: flow.Connect}, start)
		return err
	}); err != nil {
		return nil, err
	}
	events := slices.Clone(opt.Events)
	slices.SortStableFunc(events, func(a, b SimEvent) int { return int(a.After - b.After) })
	pauses := slices.Clone(opt.Pauses)
	slices.SortStableFunc(pauses, func(a, b SimPause) int { return int(a.After - b.After) })
	var notes []SimLine
	for guard := 0; guard < 100_000; guard++ {
		// Tasks are worked when they are due: a task the seller's time off, hours or a
		// holiday moved is worked then, and what follows it moves with it.
		taskDue, err := e.settleSimTasks(ctx, by, rec, opt.Outcomes)
		if err != nil {
			return nil, err
		}
		next, ok, err := e.NextWake(ctx)
		if err != nil {
			return nil, err
		}
		for _, at := range []time.Time{taskDue, scripted(start, events, func(ev SimEvent) time.Duration { return ev.After }),
			scripted(start, pauses, func(p SimPause) time.Duration { return p.After })} {
			if !at.IsZero() && (!ok || at.Before(next)) {
				next, ok = at, true
			}
		}
		if !ok || next.After(start.Add(opt.Horizon)) {
			break
		}
		if next.After(clock.Now()) {
			clock.Set(next)
		}
		for len(events) > 0 && !start.Add(events[0].After).After(clock.Now()) {
			ev := events[0]
			events = events[1:]
			if err := e.RecordEvent(ctx, by, rec.Ref(), ev.Kind, "", start.Add(ev.After)); err != nil {
				notes = append(notes, SimLine{At: start.Add(ev.After), What: fmt.Sprintf("%s ignored: %v", ev.Kind, err)})
			}
		}
		for len(pauses) > 0 && !start.Add(pauses[0].After).After(clock.Now()) {
			p := pauses[0]
			pauses = pauses[1:]
			at := start.Add(p.After)
			if _, err := e.Pause(ctx, by, seq.Name, Targets{Refs: []string{rec.Ref()}}, p.Reason, at.Add(p.For)); err != nil {
				notes = append(notes, SimLine{At: at, Sequence: seq.Name, What: fmt.Sprintf("pause ignored: %v", err)})
			}
		}
		if _, err := e.Tick(ctx); err != nil {
			return nil, err
		}
	}
	return e.timeline(ctx, rec.Key, before, notes)
}

// connsOf returns a record's connections.
func (e *Engine) connsOf(ctx context.Context, rec store.ID) []store.Connection {
	var conns []store.Connection
	_ = e.view(ctx, func(tx store.Tx) (err error) {
		conns, err = tx.ConnsByRecord(rec)
		return err
	})
	return conns
}

// scripted returns when the first of the scripted items comes (zero for none).
func scripted[T any](start time.Time, items []T, after func(T) time.Duration) time.Time {
	if len(items) == 0 {
		return time.Time{}
	}
	return start.Add(after(items[0]))
}

// settleSimTasks completes or skips, as scripted, every open task of the record that is due,
// and returns when the next one not yet due is (zero for none).
func (e *Engine) settleSimTasks(ctx context.Context, by string, rec store.Record, outcomes map[string]string) (time.Time, error) {
	for {
		var open []store.Task
		var callOutcomes []string
		var later time.Time
		now := e.clock.Now()
		if err := e.view(ctx, func(tx store.Tx) error {
			s, err := tx.Settings()
			if err != nil {
				return err
			}
			callOutcomes = s.CallOutcomes
			return tx.OpenTasks(func(t store.Task) bool {
				switch {
				case t.Record != rec.Key:
				case t.DueAt.After(now):
					if later.IsZero() || t.DueAt.Before(later) {
						later = t.DueAt
					}
				default:
					open = append(open, t)
				}
				return true
			})
		}); err != nil {
			return time.Time{}, err
		}
		if len(open) == 0 {
			return later, nil
		}
		for _, t := range open {
			a := TaskAction{Kind: ActDone}
			switch o := outcomes[t.StepID]; {
			case o == "skip":
				a.Kind = ActSkip
			case o != "" && o != "done":
				a.Outcome = o
			case t.Type == string(sequence.Call) && len(callOutcomes) > 0:
				a.Outcome = callOutcomes[0]
			}
			if _, err := e.ActOnTask(ctx, by, t.ID.String(), a); err != nil {
				return time.Time{}, fmt.Errorf("simulated %s of task %q: %w", a.Kind, t.Name, err)
			}
		}
	}
}

// timeline turns the histories of the record's connections made during the simulation
// (those not in before) into lines in time order.
func (e *Engine) timeline(ctx context.Context, rec store.ID, before map[store.ID]bool, notes []SimLine) ([]SimLine, error) {
	lines := notes
	err := e.view(ctx, func(tx store.Tx) error {
		conns, err := tx.ConnsByRecord(rec)
		if err != nil {
			return err
		}
		o, err := loadOrg(tx)
		if err != nil {
			return err
		}
		for _, c := range conns {
			if before[c.ID] {
				continue
			}
			hist, err := tx.History(c.ID)
			if err != nil {
				return err
			}
			pl, err := e.plans.get(tx, c.Sequence, c.Version)
			if err != nil {
				return err
			}
			name := o.seqName(tx, c.Sequence)
			var paused *store.Event
			for _, h := range hist {
				l := SimLine{At: h.At, Sequence: name, StepID: h.StepID, What: describe(h), Branch: h.Branch, Why: h.Why}
				switch h.Type {
				case store.EventPaused:
					paused = &h
				case store.EventResumed:
					if paused != nil && l.Why == "" {
						// What comes after it moved by the pause: say so where it goes on.
						l.Why = "paused for " + sequence.FormatDuration(h.At.Sub(paused.At))
						if paused.Reason != "" {
							l.Why += " (" + paused.Reason + ")"
						}
						l.Why += ": the step goes on with the time it had left"
					}
					paused = nil
				}
				if st := pl.Step(h.StepID); st != nil {
					l.StepName = st.DisplayName()
				}
				lines = append(lines, l)
			}
		}
		return nil
	})
	slices.SortStableFunc(lines, func(a, b SimLine) int { return a.At.Compare(b.At) })
	return lines, err
}

// describe says what a history event means in a few words.
func describe(h store.Event) string {
	var parts []string
	parts = append(parts, strings.ReplaceAll(h.Type, "_", " "))
	if h.Outcome != "" {
		parts = append(parts, "outcome "+h.Outcome)
	}
	if h.Event != "" {
		parts = append(parts, h.Event)
	}
	if h.Field != "" {
		parts = append(parts, fmt.Sprintf("%s: %s → %s", h.Field, shownValue(h.Old), shownValue(h.New)))
	} else if h.Type == store.EventStageSet {
		parts = append(parts, fmt.Sprintf("%s → %s", shownValue(h.Old), shownValue(h.New)))
	}
	if h.Sequence != "" {
		parts = append(parts, "to "+h.Sequence)
	}
	if len(h.Assignees) > 0 {
		parts = append(parts, "for "+strings.Join(h.Assignees, ", "))
	}
	if h.Reason != "" && h.Type != store.EventMessageHeld { // a hold's kind: its Why says it in words
		parts = append(parts, "("+h.Reason+")")
	}
	if h.Note != "" {
		parts = append(parts, "— "+h.Note)
	}
	if !h.Until.IsZero() && (h.Type == store.EventMessageHeld || h.Type == store.EventTaskCreated || h.Type == store.EventPaused) {
		// Why a step moved: held for a window or a limit, due after a holiday, paused.
		parts = append(parts, "until "+h.Until.UTC().Format("2006-01-02 15:04"))
	}
	return strings.Join(parts, " ")
}

// shownValue is a field value as the timeline shows it; an absent value is "(empty)".
func shownValue(v any) string {
	if t := flow.Text(v); t != "" {
		return t
	}
	return "(empty)"
}
