package engine

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/pacer-sales/pacer/engine/flow"
	"github.com/pacer-sales/pacer/engine/limits"
	"github.com/pacer-sales/pacer/store"
)

// Targets picks connections of one sequence: the records named (Refs), those whose field
// matches (Field=Value, ignoring case), or every active connection (All).
type Targets struct {
	Refs         []string
	Field, Value string
	All          bool
}

// Pause pauses the active connections of a sequence that t picks, with a reason and an
// optional date when they resume by themselves (zero: only by Resume). While paused nothing
// of a connection runs: its task leaves the work lists, its timer stops with the time it had
// left, its queued email waits. Managers may pause any record, sellers the records they own.
// Named records that can't be paused are listed and nothing is paused. It returns how many
// connections it paused.
func (e *Engine) Pause(ctx context.Context, by, seqName string, t Targets, reason string, until time.Time) (int, error) {
	reason = strings.TrimSpace(reason)
	if err := limits.Text("the reason", reason, limits.FieldValue, false); err != nil {
		return 0, invalid("%s", err)
	}
	if !until.IsZero() {
		if err := limits.Time("--until", until); err != nil {
			return 0, invalid("%s", err)
		}
		if !until.After(e.clock.Now()) {
			return 0, invalid("--until %s is not in the future", until.UTC().Format(time.RFC3339))
		}
	}
	return e.pauseOrResume(ctx, by, seqName, t, "pause", func(c store.Connection) string {
		if c.Paused() {
			return "is paused already"
		}
		return ""
	}, flow.Input{Kind: flow.Pause, Reason: reason, At: until})
}

// Resume resumes the paused connections of a sequence that t picks: a wait continues with
// the time it had left, a task comes back due at once. The roles are Pause's.
func (e *Engine) Resume(ctx context.Context, by, seqName string, t Targets) (int, error) {
	return e.pauseOrResume(ctx, by, seqName, t, "resume", func(c store.Connection) string {
		if !c.Paused() {
			return "is not paused"
		}
		return ""
	}, flow.Input{Kind: flow.Resume})
}

func (e *Engine) pauseOrResume(ctx context.Context, by, seqName string, t Targets, verb string, unfit func(store.Connection) string, in flow.Input) (int, error) {
	n := 0
	picks := 0
	if len(t.Refs) > 0 {
		picks++
	}
	if t.Field != "" {
		picks++
	}
	if t.All {
		picks++
	}
	if picks != 1 {
		return 0, invalid("%s: name records, or give --where FIELD=VALUE, or --all (one of them)", verb)
	}
	err := e.update(ctx, func(tx store.Tx) error {
		n = 0
		u, err := actor(tx, by)
		if err != nil {
			return err
		}
		seq, err := findSequence(tx, seqName)
		if err != nil {
			return err
		}
		var conns []store.Connection
		var problems []string
		if len(t.Refs) > 0 {
			if conns, problems, err = e.namedConns(tx, u, seq, t.Refs, verb, unfit); err != nil {
				return err
			}
		} else {
			var walkErr error
			err := tx.ConnsBySequence(seq.ID, func(c store.Connection) bool {
				if c.State != store.ConnActive || unfit(c) != "" {
					return true
				}
				rec, err := tx.RecordByKey(c.Record)
				if err != nil {
					walkErr = err
					return false
				}
				if t.Field != "" {
					v, ok := flow.FieldOf(rec, t.Field)
					if !ok || !strings.EqualFold(fmt.Sprint(v), t.Value) {
						return true
					}
				}
				if !isManager(u) && !ownsRecord(tx, u, rec) {
					return true // a seller's --where and --all reach only their own records
				}
				conns = append(conns, c)
				return true
			})
			if err == nil {
				err = walkErr
			}
			if err != nil {
				return err
			}
		}
		if len(problems) > 0 {
			return invalid("nothing done (%s):\n  %s", verb, strings.Join(problems, "\n  "))
		}
		o, err := loadOrg(tx)
		if err != nil {
			return err
		}
		now := e.clock.Now()
		step := in
		step.By = u.Username
		for _, c := range conns {
			res, err := e.step(tx, o, c, step, now)
			if err != nil {
				return err
			}
			if res.Ignored == "" {
				n++
			}
		}
		return nil
	})
	return n, err
}
