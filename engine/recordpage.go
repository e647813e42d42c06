package engine

import (
	"context"
	"strings"
	"time"

	"github.com/pacer-sales/pacer/engine/limits"
	"github.com/pacer-sales/pacer/engine/sequence"
	"github.com/pacer-sales/pacer/store"
)

// Standing is where a record stands in one sequence it is (or was) connected to.
type Standing struct {
	Sequence string `json:"sequence"`
	State    string `json:"state"`
	Reason   string `json:"reason,omitempty"`
	// StepID, StepName and StepType are the step an active connection is at.
	StepID   string `json:"step_id,omitempty"`
	StepName string `json:"step_name,omitempty"`
	StepType string `json:"step_type,omitempty"`
	// EnteredAt is when it entered the step; WakeAt when a wait (Waiting) ends or an email
	// condition's window closes.
	EnteredAt time.Time `json:"entered_at"`
	WakeAt    time.Time `json:"wake_at,omitzero"`
	Waiting   bool      `json:"waiting,omitempty"`
}

// RecordRow is one row of the Records screen: a record and where it stands in each
// sequence, newest connection first.
type RecordRow struct {
	store.Record
	Standings []Standing `json:"standings"`
}

// RecordPage reads one page of the records of entity: up to limit records (at most
// limits.Page) whose id sorts after after, in id order, and whether more follow. With a
// search, only the records whose name, email or id hold it (ignoring case) count; the walk
// goes on until the page is full. Only the page is held in memory, whatever the number of
// records. Any user may.
func (e *Engine) RecordPage(ctx context.Context, by, entity, after, search string, limit int) ([]RecordRow, bool, error) {
	if !entityRE.MatchString(entity) {
		return nil, false, invalid("record type %q: lowercase letters, digits and _", entity)
	}
	limit = max(1, min(limit, limits.Page))
	if len(search) > limits.Name {
		return nil, false, invalid("%v", limits.TooLarge("a search", limits.Name, "bytes"))
	}
	needle := strings.ToLower(strings.TrimSpace(search))
	var rows []RecordRow
	more := false
	err := e.view(ctx, func(tx store.Tx) error {
		if _, err := actor(tx, by); err != nil {
			return err
		}
		o, err := loadOrg(tx)
		if err != nil {
			return err
		}
		var inner error
		err = tx.RecordsAfter(entity, after, func(r store.Record) bool {
			if needle != "" && !recordHolds(r, needle) {
				return true
			}
			if len(rows) == limit {
				more = true
				return false
			}
			row, err := e.recordRow(tx, o, r)
			if err != nil {
				inner = err
				return false
			}
			rows = append(rows, row)
			return true
		})
		if err == nil {
			err = inner
		}
		return err
	})
	return rows, more, err
}

// recordHolds reports that a record's name, email or id holds needle (lower case).
func recordHolds(r store.Record, needle string) bool {
	return strings.Contains(strings.ToLower(r.Name), needle) || strings.Contains(strings.ToLower(r.Email), needle) ||
		strings.Contains(strings.ToLower(r.ID), needle)
}

// recordRow gives a record its standings.
func (e *Engine) recordRow(tx store.Tx, o *org, r store.Record) (RecordRow, error) {
	row := RecordRow{Record: r, Standings: []Standing{}}
	conns, err := tx.ConnsByRecord(r.Key)
	if err != nil {
		return row, err
	}
	for i := len(conns) - 1; i >= 0; i-- {
		c := conns[i]
		s := Standing{Sequence: o.seqName(tx, c.Sequence), State: string(c.State), Reason: c.Reason, EnteredAt: c.EnteredAt}
		if c.State == store.ConnActive {
			s.StepID, s.WakeAt = c.Step, c.WakeAt
			if pl, err := e.plans.get(tx, c.Sequence, c.Version); err == nil {
				if st := pl.Step(c.Step); st != nil {
					s.StepName, s.StepType = st.DisplayName(), string(st.Type)
					s.Waiting = st.Type == sequence.Wait
				}
			}
		}
		row.Standings = append(row.Standings, s)
	}
	return row, nil
}
