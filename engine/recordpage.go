package engine

import (
	"context"
	"slices"
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
	// Paused is set while the connection is paused: why, and when it resumes by itself
	// (zero: when someone resumes it).
	Paused      bool      `json:"paused,omitempty"`
	PauseReason string    `json:"pause_reason,omitempty"`
	ResumeAt    time.Time `json:"resume_at,omitzero"`
}

// RecordRow is one row of the Records screen: a record and where it stands in each
// sequence, newest connection first.
type RecordRow struct {
	store.Record
	Standings []Standing `json:"standings"`
}

// RecordPage reads one page of the records of entity in id order: up to limit records (at
// most limits.Page) whose id sorts after after, and whether more follow; with a search,
// only the records whose name, email or id hold it. See QueryRecords. Any user may.
func (e *Engine) RecordPage(ctx context.Context, by, entity, after, search string, limit int) ([]RecordRow, bool, error) {
	q := RecordQuery{Entity: entity, Search: search, Limit: limit}
	if after != "" {
		q.After = RecordPos{rec: &store.Record{ID: after}}
	}
	p, err := e.QueryRecords(ctx, by, q)
	return p.Rows, p.More, err
}

// The standings a RecordQuery picks records by.
const (
	// StandActive: active in a sequence and not paused (at a wait or not).
	StandActive = "active"
	// StandWaiting: active at a wait step, not paused.
	StandWaiting = "waiting"
	// StandPaused: a connection is paused.
	StandPaused = "paused"
	// StandNone: in no sequence now (never connected, or every connection ended).
	StandNone = "none"
)

// Stands lists the standings of RecordQuery.Stands.
var Stands = []string{StandActive, StandWaiting, StandPaused, StandNone}

// RecordSorts lists the orders of RecordQuery.Sort.
var RecordSorts = []string{"id", "name", "modified", "owner"}

// RecordQuery picks a page of records of one type.
type RecordQuery struct {
	Entity string
	// Sort is id (when empty), name (ignoring the case of ASCII letters), modified or
	// owner; ties go by id. Desc reverses it.
	Sort string
	Desc bool
	// Search keeps the records whose name, email or id hold it, ignoring case.
	Search string
	// Owners keeps the records owned by any of them ("" for no owner); Stands those that
	// stand in any of the ways named (StandActive, ...).
	Owners, Stands []string
	// After is where the page starts: RecordPage.Next of the page before; the zero value
	// for the first page.
	After RecordPos
	// Limit is the most rows of the page (at most limits.Page).
	Limit int
}

// RecordPos is where a page of records starts (opaque): the record it starts after.
type RecordPos struct{ rec *store.Record }

// IsZero reports the start of the list.
func (p RecordPos) IsZero() bool { return p.rec == nil }

// RecordsPage is a page of records and where the next one starts.
type RecordsPage struct {
	Rows []RecordRow
	// More is true when records follow; Next is where they start.
	More bool
	Next RecordPos
}

// scanCheck is how many records a walk reads between looks at its context, so a search
// that is given up on stops.
const scanCheck = 512

// QueryRecords reads the page of records q picks: the records of q.Entity in q's order
// after q.After that pass its search and filters. A sort is a seek in the store's index
// of that order; a search or a filter reads on until the page is full (or the records
// end), looking at ctx as it goes, so a search that is given up on (ctx cancelled) stops.
// Only the page is held in memory, whatever the number of records. Any user may.
func (e *Engine) QueryRecords(ctx context.Context, by string, q RecordQuery) (RecordsPage, error) {
	var page RecordsPage
	if !entityRE.MatchString(q.Entity) {
		return page, invalid("record type %q: lowercase letters, digits and _", q.Entity)
	}
	limit := max(1, min(q.Limit, limits.Page))
	if len(q.Search) > limits.Name {
		return page, invalid("%v", limits.TooLarge("a search", limits.Name, "bytes"))
	}
	order := store.RecordOrder{By: store.RecordSort(q.Sort), Desc: q.Desc}
	if q.Sort == "" {
		order.By = store.SortByID
	}
	if err := store.CheckOrder(order); err != nil {
		return page, invalid("sort records by %q: use %s", q.Sort, strings.Join(RecordSorts, ", "))
	}
	if len(q.Owners) > limits.Page || len(q.Stands) > len(Stands) {
		return page, invalid("too many filter values")
	}
	for _, s := range q.Stands {
		if !slices.Contains(Stands, s) {
			return page, invalid("records that stand %q: use %s", s, strings.Join(Stands, ", "))
		}
	}
	needle := strings.ToLower(strings.TrimSpace(q.Search))
	err := e.view(ctx, func(tx store.Tx) error {
		if _, err := actor(tx, by); err != nil {
			return err
		}
		o, err := loadOrg(tx)
		if err != nil {
			return err
		}
		var inner error
		keep := func(r store.Record) bool {
			if needle != "" && !recordHolds(r, needle) {
				return true
			}
			if len(q.Owners) > 0 && !slices.Contains(q.Owners, r.Owner) {
				return true
			}
			if len(page.Rows) == limit {
				page.More = true
				return false
			}
			row, err := e.recordRow(tx, o, r)
			if err != nil {
				inner = err
				return false
			}
			if len(q.Stands) > 0 && !standsIn(row.Standings, q.Stands) {
				return true
			}
			page.Rows = append(page.Rows, row)
			return true
		}
		if len(q.Stands) > 0 && !slices.Contains(q.Stands, StandNone) {
			// Only records in a sequence can pass: when those are few, they are read by
			// their connections and sorted here rather than found in a walk of every record.
			recs, few, err := inSequences(tx, q.Entity)
			if err != nil {
				return err
			}
			if few {
				for _, r := range sortedAfter(recs, order, q.After.rec) {
					if !keep(r) {
						break
					}
				}
				return inner
			}
		}
		read := 0
		err = tx.RecordsSorted(q.Entity, order, q.After.rec, func(r store.Record) bool {
			if read++; read%scanCheck == 0 {
				if inner = ctx.Err(); inner != nil {
					return false
				}
			}
			return keep(r)
		})
		if err == nil {
			err = inner
		}
		return err
	})
	if err != nil {
		return RecordsPage{}, err
	}
	if n := len(page.Rows); n > 0 {
		last := page.Rows[n-1].Record
		page.Next = RecordPos{rec: &last}
	}
	return page, nil
}

// fewInSequences bounds the records inSequences reads: past it, a walk of every record
// in order is the cheaper way.
const fewInSequences = 5000

// inSequences returns the records of entity in use that have an active connection, when
// there are at most fewInSequences active connections in all (few is false otherwise).
func inSequences(tx store.Tx, entity string) (recs []store.Record, few bool, err error) {
	seqs, err := tx.Sequences()
	if err != nil {
		return nil, false, err
	}
	active := 0
	for _, s := range seqs {
		n, err := tx.CountConns(s.ID)
		if err != nil {
			return nil, false, err
		}
		if active += n[store.ConnActive]; active > fewInSequences {
			return nil, false, nil
		}
	}
	seen := map[store.ID]bool{}
	for _, s := range seqs {
		if s.Entity != entity {
			continue
		}
		var inner error
		err := tx.ConnsBySequence(s.ID, func(c store.Connection) bool {
			if c.State != store.ConnActive || seen[c.Record] {
				return true
			}
			seen[c.Record] = true
			r, err := tx.RecordByKey(c.Record)
			if err != nil {
				inner = err
				return false
			}
			// A removed record keeps its key; the one in use under its ref may be another.
			if cur, err := tx.Record(r.Entity, r.ID); err == nil && cur.Key == r.Key && r.Entity == entity {
				recs = append(recs, cur)
			}
			return true
		})
		if err == nil {
			err = inner
		}
		if err != nil {
			return nil, false, err
		}
	}
	return recs, true, nil
}

// sortedAfter sorts recs in order o, as the store's indexes do, and returns those after
// the record after (all when nil).
func sortedAfter(recs []store.Record, o store.RecordOrder, after *store.Record) []store.Record {
	cmp := func(a, b store.Record) int {
		var c int
		switch o.By {
		case store.SortByName:
			c = strings.Compare(store.FoldName(a.Name), store.FoldName(b.Name))
		case store.SortByModified:
			c = a.ModifiedAt.Compare(b.ModifiedAt)
		case store.SortByOwner:
			c = strings.Compare(a.Owner, b.Owner)
		}
		if c == 0 {
			c = strings.Compare(a.ID, b.ID)
		}
		if o.Desc {
			return -c
		}
		return c
	}
	slices.SortFunc(recs, cmp)
	if after == nil {
		return recs
	}
	i, _ := slices.BinarySearchFunc(recs, *after, cmp)
	for i < len(recs) && cmp(recs[i], *after) <= 0 {
		i++
	}
	return recs[i:]
}

// Stand is how a record stands in its sequences, for RecordQuery.Stands: each of
// StandActive, StandWaiting, StandPaused that holds, or StandNone alone.
func Stand(ss []Standing) []string {
	var out []string
	for _, s := range ss {
		switch {
		case s.State != string(store.ConnActive):
		case s.Paused:
			out = append(out, StandPaused)
		case s.Waiting:
			out = append(out, StandActive, StandWaiting)
		default:
			out = append(out, StandActive)
		}
	}
	if len(out) == 0 {
		return []string{StandNone}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// standsIn reports that standings ss stand in any of the ways of want.
func standsIn(ss []Standing, want []string) bool {
	for _, s := range Stand(ss) {
		if slices.Contains(want, s) {
			return true
		}
	}
	return false
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
			if c.Paused() {
				s.Paused, s.PauseReason, s.ResumeAt = true, c.Pause.Reason, c.Pause.Until
			}
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
