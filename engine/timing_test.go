package engine_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/pacer-sales/pacer/engine"
)

// wednesdayBeforeThanksgiving is 2026-11-25 10:00 UTC; Thanksgiving is Thursday the 26th.
var wednesdayBeforeThanksgiving = time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)

const workingWaitSequence = `name: Working wait
options:
  skip_non_working_days: true
steps:
  - type: wait
    id: rest
    duration: 1d
  - type: call
    id: ring
`

const plainWaitSequence = `name: Plain wait
steps:
  - type: wait
    id: rest
    duration: 1d
  - type: call
    id: ring
`

func (w *world) setting(key, value string) {
	w.t.Helper()
	must(w.t, w.e.SetSetting(w.ctx, "ada", key, value))
}

func wantTime(t *testing.T, what string, got, want time.Time) {
	t.Helper()
	if !got.Equal(want) {
		t.Fatalf("%s = %s, want %s", what, got.UTC().Format(time.RFC3339), want.UTC().Format(time.RFC3339))
	}
}

func TestWorkingWaitSkipsThanksgiving(t *testing.T) {
	w := newWorld(t)
	w.clock.Set(wednesdayBeforeThanksgiving)
	w.setting("holidays", "us")
	seq := w.sequence(workingWaitSequence)
	w.connect(seq, "lead/L-1")
	friday := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	c := w.conn("lead/L-1")
	if c.WakeAt == nil {
		t.Fatal("the wait has no wake-up")
	}
	wantTime(t, "the wait's end over Thanksgiving", *c.WakeAt, friday)
	w.after(24 * time.Hour) // Thanksgiving 10:00: nothing yet
	if n := len(w.tasks("sam")); n != 0 {
		t.Fatalf("sam has %d tasks on Thanksgiving, want none", n)
	}
	w.after(24 * time.Hour)
	wantTime(t, "the call's due time", w.only("sam").DueAt, friday)
}

func TestWorkingWaitWithoutHolidaysCountsThanksgiving(t *testing.T) {
	w := newWorld(t)
	w.clock.Set(wednesdayBeforeThanksgiving)
	seq := w.sequence(workingWaitSequence)
	w.connect(seq, "lead/L-1")
	wantTime(t, "the wait's end", *w.conn("lead/L-1").WakeAt, time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC))
}

func TestCustomHolidaySkipped(t *testing.T) {
	w := newWorld(t)
	w.clock.Set(wednesdayBeforeThanksgiving)
	w.setting("holidays", "us")
	must(t, w.e.AddHoliday(w.ctx, "ada", "2026-11-27", "Bridge day"))
	seq := w.sequence(workingWaitSequence)
	w.connect(seq, "lead/L-1")
	wantTime(t, "the wait's end over Thanksgiving and the bridge day", *w.conn("lead/L-1").WakeAt, time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC))

	days, err := w.e.Holidays(w.ctx, "sam", 2026)
	must(t, err)
	var got []string
	for _, d := range days {
		if strings.HasPrefix(d.Date, "2026-11") {
			got = append(got, d.Date+" "+d.Name)
		}
	}
	if strings.Join(got, "; ") != "2026-11-11 Veterans Day; 2026-11-26 Thanksgiving Day; 2026-11-27 Bridge day" {
		t.Fatalf("November's days off = %q", got)
	}

	must(t, w.e.RemoveHoliday(w.ctx, "ada", "2026-11-27"))
	w.connect(w.sequence(strings.Replace(workingWaitSequence, "Working wait", "Second wait", 1)), "lead/L-2")
	wantTime(t, "the wait's end once the bridge day is removed", *w.conn("lead/L-2").WakeAt, time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC))
}

func TestTaskDueOnHolidayMovesToNextWorkingHour(t *testing.T) {
	w := newWorld(t)
	w.clock.Set(wednesdayBeforeThanksgiving)
	w.setting("holidays", "us")
	seq := w.sequence(plainWaitSequence)
	w.connect(seq, "lead/L-1")
	w.after(24 * time.Hour) // the plain wait ends on Thanksgiving
	task := w.only("sam")
	wantTime(t, "the call's due time", task.DueAt, time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC))
	if !strings.Contains(task.Why, "holiday Thanksgiving Day") {
		t.Fatalf("the work list says the task moved because %q, want the holiday", task.Why)
	}
	c := w.conn("lead/L-1")
	last := c.History[len(c.History)-1]
	if last.Type != "task_created" || !strings.Contains(last.Why, "Thanksgiving Day") {
		t.Fatalf("the task's history = %+v, want task_created saying it moved from Thanksgiving Day", last)
	}
}

func TestHolidayInputsRefused(t *testing.T) {
	w := newWorld(t)
	for _, c := range []struct{ key, value, want string }{
		{"holidays", "xx", `holidays "xx": unknown country or region`},
		{"holidays", "de-zz", `holidays "de-zz": unknown country or region`},
		{"max_per_hour", "-1", `max_per_hour "-1": want a whole number`},
		{"min_spacing", "2d", `min_spacing "2d": want a duration`},
	} {
		err := w.e.SetSetting(w.ctx, "ada", c.key, c.value)
		if !errors.Is(err, engine.ErrInvalid) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("settings %s %s: %v, want %q", c.key, c.value, err, c.want)
		}
	}
	for _, c := range []struct{ date, name, want string }{
		{"2026-13-01", "x", `"2026-13-01" is not a date`},
		{"2026-12-24", " ", "give it a name"},
		{"2026-12-24", "bell\a", "control character"},
	} {
		err := w.e.AddHoliday(w.ctx, "ada", c.date, c.name)
		if !errors.Is(err, engine.ErrInvalid) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("holiday add %s %q: %v, want %q", c.date, c.name, err, c.want)
		}
	}
	if err := w.e.AddHoliday(w.ctx, "sam", "2026-12-24", "Eve"); !errors.Is(err, engine.ErrForbidden) {
		t.Errorf("a seller adding a holiday: %v, want forbidden", err)
	}
	if err := w.e.RemoveHoliday(w.ctx, "ada", "2026-12-24"); !errors.Is(err, engine.ErrInvalid) {
		t.Errorf("removing a holiday that isn't there: %v, want invalid", err)
	}
	w.setting("holidays", "DE-BY")
	s, err := w.e.Settings(w.ctx, "ada")
	must(t, err)
	if s.Holidays != "de-by" {
		t.Errorf("holidays = %q, want de-by", s.Holidays)
	}
}
