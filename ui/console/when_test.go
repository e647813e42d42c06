package console_test

import (
	"strings"
	"testing"
	"time"

	"github.com/pacer-sales/pacer/ui/console"
)

func TestParseWhen(t *testing.T) {
	la, err := time.LoadLocation("America/Los_Angeles")
	must(t, err)
	// Monday 2026-03-02 22:30 in Los Angeles; daylight saving starts on Sunday 2026-03-08.
	now := time.Date(2026, 3, 2, 22, 30, 0, 0, la)
	at := func(d, h, m int) time.Time { return time.Date(2026, 3, d, h, m, 0, 0, la) }
	for _, c := range []struct {
		in   string
		want time.Time
	}{
		{"+2h", at(3, 0, 30)},
		{"+90m", at(3, 0, 0)},
		{"+3d", at(5, 22, 30)},
		{"+1d4h", at(4, 2, 30)},
		{"+ 1d 4h", at(4, 2, 30)},
		{"+1w", at(9, 22, 30)},                  // same clock time across the change
		{"+168h", at(9, 22, 30).Add(time.Hour)}, // exactly a week of hours
		{"tomorrow", at(3, 9, 0)},               // the start of a working day
		{"tomorrow 14:30", at(3, 14, 30)},       //
		{"Tomorrow 9am", at(3, 9, 0)},           //
		{"tomorrow 9", at(3, 9, 0)},             // a bare hour after a day
		{"tomorrow 4:15pm", at(3, 16, 15)},      //
		{"today 23:00", at(2, 23, 0)},           //
		{"mon", at(9, 9, 0)},                    // the next Monday, never today; 09:00 PDT
		{"Friday 14:30", at(6, 14, 30)},         //
		{"2026-03-04 10:00", at(4, 10, 0)},      //
		{"2026-03-04T10:00", at(4, 10, 0)},      //
		{"2026-03-04", at(4, 9, 0)},             //
		{"23:45", at(2, 23, 45)},                // later today
		{"08:00", at(3, 8, 0)},                  // passed today: tomorrow
		{"3pm", at(3, 15, 0)},                   //
		{"12am", at(3, 0, 0)},                   // midnight
		{"12pm", at(3, 12, 0)},                  // noon
		{"2026-03-04T10:00:00Z", time.Date(2026, 3, 4, 10, 0, 0, 0, time.UTC)}, // as written
	} {
		got, err := console.ParseWhen(c.in, now, la)
		if err != nil || !got.Equal(c.want) {
			t.Errorf("ParseWhen(%q) = %v, %v; want %v", c.in, got, err, c.want)
		}
	}
	if got, _ := console.ParseWhen("mon", now, la); got.UTC().Hour() != 16 {
		t.Errorf("Monday 09:00 after the change is %v, want 16:00 UTC (PDT)", got.UTC())
	}
	for _, c := range []struct{ in, err string }{
		{"", "type when"},
		{"someday", `can't read "someday"`},
		{"25:00", "not a time of day"},
		{"9", "not a time of day"},
		{"13pm", "not a time of day"},
		{"tomorrow 9:7", "not a time of day"},
		{"2026-02-30", "not a real day"},
		{"+5x", "unit"},
		{"+", "needs an amount"},
		{"+99999d", "too large"},
		{"today", "today needs a time"},
		{"today 10:00", "has passed"},
		{"2026-03-01 10:00", "has passed"},
	} {
		_, err := console.ParseWhen(c.in, now, la)
		if err == nil || !strings.Contains(err.Error(), c.err) {
			t.Errorf("ParseWhen(%q) error %v, want %q", c.in, err, c.err)
		}
	}
	// With no zone, UTC.
	if got, err := console.ParseWhen("tomorrow", now, nil); err != nil || !got.Equal(time.Date(2026, 3, 4, 9, 0, 0, 0, time.UTC)) {
		t.Errorf("tomorrow in UTC = %v, %v", got, err)
	}
}
