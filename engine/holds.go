package engine

import (
	"context"
	"time"

	"github.com/pacer-sales/pacer/engine/sequence"
	"github.com/pacer-sales/pacer/store"
)

// What holds a queued automated email past its time: the Reason of its message_held history
// entry, and the keys of Holds.ByReason.
const (
	// HoldWindow: the recipient's send window is closed.
	HoldWindow = "send_window"
	// HoldLimit: the sender mailbox is at its sending limit or spacing.
	HoldLimit = "send_limit"
	// HoldAway: the sender is away (and the sequence does not send while away).
	HoldAway = "sender_away"
	// HoldPaused: the connection is paused.
	HoldPaused = "paused"
	// HoldOther: held for a reason recorded without its kind.
	HoldOther = "other"
)

// Holds counts the automated messages of a sequence that wait past their time, and why.
type Holds struct {
	// Total is how many are held; ByReason splits it by the Hold constants.
	Total    int            `json:"total"`
	ByReason map[string]int `json:"by_reason"`
	// Steps are the steps that hold any, in the order of the sequence's newest version
	// (steps only older versions have come after them).
	Steps []StepHolds `json:"steps"`
}

// StepHolds are the held messages of one step.
type StepHolds struct {
	ID       string         `json:"id"`
	Name     string         `json:"name"`
	Total    int            `json:"total"`
	ByReason map[string]int `json:"by_reason"`
	// Next is the earliest time one of them is due to go out again; zero when every one
	// waits for a resume without a date.
	Next time.Time `json:"next,omitzero"`
}

// SequenceHolds counts the automated emails and SMS of a sequence's connections that wait
// in the outbox past their time, for the whole sequence and per step, by what holds them
// (HoldWindow, HoldLimit, HoldAway, HoldPaused): what the Stats tab shows beside the step
// counts. A message is held while its active connection is paused at its step, or while the
// latest message_held entry of the step's current visit holds it past now. Any user may.
func (e *Engine) SequenceHolds(ctx context.Context, by, name string) (Holds, error) {
	h := Holds{ByReason: map[string]int{}, Steps: []StepHolds{}}
	err := e.view(ctx, func(tx store.Tx) error {
		if _, err := actor(tx, by); err != nil {
			return err
		}
		seq, err := findSequence(tx, name)
		if err != nil {
			return err
		}
		now := e.clock.Now()
		byStep := map[string]*StepHolds{}
		var order []string
		stepOf := func(st *sequence.Step) *StepHolds {
			s := byStep[st.ID]
			if s == nil {
				s = &StepHolds{ID: st.ID, Name: st.DisplayName(), ByReason: map[string]int{}}
				byStep[st.ID] = s
				order = append(order, st.ID)
			}
			return s
		}
		if seq.Version > 0 {
			pl, err := e.plans.get(tx, seq.ID, seq.Version)
			if err != nil {
				return err
			}
			pl.Def.Walk(func(_ string, st *sequence.Step) bool {
				if st.Type == sequence.AutoEmail || st.Type == sequence.AutoSMS {
					stepOf(st)
				}
				return true
			})
		}
		var inner error
		err = tx.ConnsBySequence(seq.ID, func(c store.Connection) bool {
			st, reason, until, err := e.heldAt(tx, c, now)
			if err != nil {
				inner = err
				return false
			}
			if reason == "" {
				return true
			}
			s := stepOf(st)
			s.Total++
			s.ByReason[reason]++
			if !until.IsZero() && (s.Next.IsZero() || until.Before(s.Next)) {
				s.Next = until
			}
			h.Total++
			h.ByReason[reason]++
			return true
		})
		if err == nil {
			err = inner
		}
		for _, id := range order {
			if s := byStep[id]; s.Total > 0 {
				h.Steps = append(h.Steps, *s)
			}
		}
		return err
	})
	return h, err
}

// heldAt returns the automated step whose message a connection holds at now, what holds it
// and until when (zero: a pause without a date); reason is "" when nothing is held.
func (e *Engine) heldAt(tx store.Tx, c store.Connection, now time.Time) (st *sequence.Step, reason string, until time.Time, err error) {
	if c.State != store.ConnActive || c.Step == "" || !c.Task.IsZero() {
		return nil, "", time.Time{}, nil
	}
	if s, ok := c.Sent[c.Step]; ok && !s.At.Before(c.EnteredAt) {
		return nil, "", time.Time{}, nil // sent in this visit
	}
	pl, err := e.plans.get(tx, c.Sequence, c.Version)
	if err != nil {
		return nil, "", time.Time{}, nil // a version that can't be read holds nothing here; the doctor names it
	}
	if st = pl.Step(c.Step); st == nil || (st.Type != sequence.AutoEmail && st.Type != sequence.AutoSMS) {
		return nil, "", time.Time{}, nil
	}
	if c.Paused() {
		return st, HoldPaused, c.Pause.Until, nil
	}
	hist, err := tx.History(c.ID)
	if err != nil {
		return nil, "", time.Time{}, err
	}
	for i := len(hist) - 1; i >= 0 && !hist[i].At.Before(c.EnteredAt); i-- {
		if ev := hist[i]; ev.Type == store.EventMessageHeld && ev.StepID == c.Step {
			if !ev.Until.After(now) {
				break
			}
			reason = ev.Reason
			if reason == "" {
				reason = HoldOther
			}
			return st, reason, ev.Until, nil
		}
	}
	return nil, "", time.Time{}, nil
}
