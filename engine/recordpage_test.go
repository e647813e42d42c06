package engine_test

import (
	"strings"
	"testing"

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
