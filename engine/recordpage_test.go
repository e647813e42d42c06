package engine_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pacer-sales/pacer/engine"
)

func refsOf(rows []engine.RecordRow) string {
	var out []string
	for _, r := range rows {
		out = append(out, r.Ref())
	}
	return strings.Join(out, " ")
}

func TestRecordPage(t *testing.T) {
	w := newWorld(t)
	name := w.sequence(`
name: Paged
steps:
  - type: wait
    id: pause
    duration: 2d
  - type: task
    id: wrap
`)
	w.connect(name, "lead/L-2")
	rows, more, err := w.e.RecordPage(w.ctx, "sam", "lead", "", "", 2)
	must(t, err)
	if refsOf(rows) != "lead/L-1 lead/L-2" || !more {
		t.Fatalf("first page %q more %v", refsOf(rows), more)
	}
	st := rows[1].Standings
	if len(st) != 1 || st[0].Sequence != "Paged" || st[0].State != "active" || st[0].StepID != "pause" || !st[0].Waiting || st[0].WakeAt.IsZero() {
		t.Fatalf("L-2 standings %+v", st)
	}
	rows, more, err = w.e.RecordPage(w.ctx, "sam", "lead", "L-2", "", 2)
	must(t, err)
	if refsOf(rows) != "lead/L-3" || more {
		t.Fatalf("second page %q more %v", refsOf(rows), more)
	}
	// A search matches name, email or id, ignoring case.
	for q, want := range map[string]string{"BO CH": "lead/L-2", "cy@": "lead/L-3", "l-1": "lead/L-1", "nobody": ""} {
		rows, _, err := w.e.RecordPage(w.ctx, "sam", "lead", "", q, 10)
		must(t, err)
		if refsOf(rows) != want {
			t.Errorf("search %q: %q, want %q", q, refsOf(rows), want)
		}
	}
	_, _, err = w.e.RecordPage(w.ctx, "sam", "Bad Type", "", "", 10)
	wantErr(t, err, engine.ErrInvalid)
	_, _, err = w.e.RecordPage(w.ctx, "sam", "lead", "", strings.Repeat("x", 201), 10)
	wantErr(t, err, engine.ErrInvalid)
}

// QueryRecords sorts through the store's indexes, pages with Next, filters by owner and by
// how records stand, and stops a walk whose context ends.
func TestQueryRecords(t *testing.T) {
	w := newWorld(t)
	name := w.sequence(`
name: Queried
steps:
  - type: wait
    id: pause
    duration: 2d
  - type: task
    id: wrap
`)
	w.connect(name, "lead/L-2")
	w.connect(name, "lead/L-3")
	_, err := w.e.Pause(w.ctx, "max", name, engine.Targets{Refs: []string{"lead/L-3"}}, "on holiday", time.Time{})
	must(t, err)
	q := func(q engine.RecordQuery) engine.RecordsPage {
		t.Helper()
		q.Entity = "lead"
		p, err := w.e.QueryRecords(w.ctx, "sam", q)
		must(t, err)
		return p
	}
	// By owner, descending: team:west, sue, sam.
	if got := refsOf(q(engine.RecordQuery{Sort: "owner", Desc: true, Limit: 10}).Rows); got != "lead/L-2 lead/L-3 lead/L-1" {
		t.Errorf("by owner, descending: %q", got)
	}
	// By name, a page of 2, then the next from where it ended.
	p := q(engine.RecordQuery{Sort: "name", Desc: true, Limit: 2})
	if refsOf(p.Rows) != "lead/L-3 lead/L-2" || !p.More {
		t.Fatalf("by name, first page: %q more %v", refsOf(p.Rows), p.More)
	}
	if got := refsOf(q(engine.RecordQuery{Sort: "name", Desc: true, Limit: 2, After: p.Next}).Rows); got != "lead/L-1" {
		t.Errorf("by name, second page: %q", got)
	}
	for stands, want := range map[string]string{
		engine.StandActive: "lead/L-2", engine.StandWaiting: "lead/L-2", engine.StandPaused: "lead/L-3",
		engine.StandNone: "lead/L-1", engine.StandNone + " " + engine.StandPaused: "lead/L-1 lead/L-3",
	} {
		if got := refsOf(q(engine.RecordQuery{Stands: strings.Fields(stands), Limit: 10}).Rows); got != want {
			t.Errorf("standing %s: %q, want %q", stands, got, want)
		}
	}
	p = q(engine.RecordQuery{Stands: []string{engine.StandPaused}, Limit: 10})
	if s := p.Rows[0].Standings[0]; !s.Paused || s.PauseReason != "on holiday" {
		t.Errorf("paused standing %+v", s)
	}
	if got := refsOf(q(engine.RecordQuery{Owners: []string{"sam", "sue"}, Limit: 10}).Rows); got != "lead/L-1 lead/L-3" {
		t.Errorf("owners sam or sue: %q", got)
	}
	for _, bad := range []engine.RecordQuery{{Entity: "lead", Sort: "stage"}, {Entity: "lead", Stands: []string{"asleep"}}} {
		_, err := w.e.QueryRecords(w.ctx, "sam", bad)
		wantErr(t, err, engine.ErrInvalid)
	}
	// A search given up on stops: its context is done.
	ctx, cancel := context.WithCancel(w.ctx)
	cancel()
	if _, err := w.e.QueryRecords(ctx, "sam", engine.RecordQuery{Entity: "lead", Search: "nobody"}); err == nil {
		t.Error("a cancelled query succeeded")
	}
}

// A standing filter that only records in a sequence pass reads those records by their
// connections and sorts them as the store does: every order, paged, gives what a walk of
// every record filtered gives.
func TestQueryRecordsInSequencesSorted(t *testing.T) {
	w := newWorld(t)
	name := w.sequence("name: Few\nsteps:\n  - type: wait\n    id: pause\n    duration: 2d\n  - type: task\n    id: wrap\n")
	csv := "id,name,owner\n"
	var refs []string
	for i := range 24 {
		csv += fmt.Sprintf("M-%02d,%c person %d,%s\n", i, 'a'+(i*7)%24, i%3, []string{"sam", "sue", "tom"}[i%3])
		if i%3 != 1 {
			refs = append(refs, fmt.Sprintf("lead/M-%02d", i))
		}
	}
	_, err := w.e.ImportRecords(w.ctx, "max", "more.csv", strings.NewReader(csv), "lead")
	must(t, err)
	w.connect(name, refs...)
	must(t, w.e.Disconnect(w.ctx, "max", name, refs[:2]))
	all := func(q engine.RecordQuery) []string {
		var out []string
		q.Entity, q.Limit = "lead", 5
		for {
			p, err := w.e.QueryRecords(w.ctx, "max", q)
			must(t, err)
			for _, r := range p.Rows {
				out = append(out, r.Ref())
			}
			if !p.More {
				return out
			}
			q.After = p.Next
		}
	}
	for _, sort := range engine.RecordSorts {
		for _, desc := range []bool{false, true} {
			// The reference: every record in order, keeping those active somewhere.
			var want []string
			q := engine.RecordQuery{Entity: "lead", Sort: sort, Desc: desc, Limit: 500}
			p, err := w.e.QueryRecords(w.ctx, "max", q)
			must(t, err)
			for _, r := range p.Rows {
				if slices.Contains(engine.Stand(r.Standings), engine.StandActive) {
					want = append(want, r.Ref())
				}
			}
			got := all(engine.RecordQuery{Sort: sort, Desc: desc, Stands: []string{engine.StandActive}})
			if fmt.Sprint(got) != fmt.Sprint(want) || len(want) != len(refs)-2 {
				t.Errorf("sort %s desc %v: got %v, want %v", sort, desc, got, want)
			}
		}
	}
}

// ConnectedTo names the given records active in the sequence now, in the order given,
// leaving out unknown ones and finished connections.
func TestConnectedTo(t *testing.T) {
	w := newWorld(t)
	name := w.sequence(`
name: Standing
steps:
  - type: task
    id: call
`)
	w.connect(name, "lead/L-3")
	w.connect(name, "lead/L-1")
	got, err := w.e.ConnectedTo(w.ctx, "sam", name, []string{"lead/L-3", "lead/L-2", "lead/L-9", "lead/L-1"})
	must(t, err)
	if strings.Join(got, " ") != "lead/L-3 lead/L-1" {
		t.Fatalf("connected %q", got)
	}
	must(t, w.e.Disconnect(w.ctx, "max", name, []string{"lead/L-3"}))
	got, err = w.e.ConnectedTo(w.ctx, "sam", name, []string{"lead/L-3", "lead/L-1"})
	must(t, err)
	if strings.Join(got, " ") != "lead/L-1" {
		t.Fatalf("after a disconnect: %q", got)
	}
	_, err = w.e.ConnectedTo(w.ctx, "sam", "No such", []string{"lead/L-1"})
	if err == nil {
		t.Fatal("an unknown sequence answered")
	}
}
