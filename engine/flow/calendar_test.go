package flow

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/pacer-sales/pacer/store"
)

func zone(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Skipf("time zone %s: %v", name, err)
	}
	return loc
}

// weekdays is Monday to Friday.
var weekdays = [7]bool{time.Monday: true, time.Tuesday: true, time.Wednesday: true, time.Thursday: true, time.Friday: true}

// everyDay is the whole week.
var everyDay = [7]bool{true, true, true, true, true, true, true}

func TestAddWorking(t *testing.T) {
	paris := zone(t, "Europe/Paris")
	santiago := zone(t, "America/Santiago")
	havana := zone(t, "America/Havana")
	utc := Calendar{Loc: time.UTC, Days: weekdays, Start: 9 * 60, End: 17 * 60}
	parisWeek := Calendar{Loc: paris, Days: weekdays, Start: 9 * 60, End: 17 * 60}
	parisAllWeek := Calendar{Loc: paris, Days: everyDay, Start: 9 * 60, End: 17 * 60}
	u := func(month time.Month, day, hour, min int) time.Time {
		return time.Date(2026, month, day, hour, min, 0, 0, time.UTC)
	}
	in := func(loc *time.Location, month time.Month, day, hour, min int) time.Time {
		return time.Date(2026, month, day, hour, min, 0, 0, loc)
	}
	// March 2026: Monday 2, Friday 6, Saturday 7, Monday 9.
	for _, tc := range []struct {
		name string
		cal  Calendar
		from time.Time
		d    time.Duration
		want time.Time
	}{
		{"one day from Friday", utc, u(3, 6, 10, 0), 24 * time.Hour, u(3, 9, 10, 0)},
		{"four hours from 15:00", utc, u(3, 2, 15, 0), 4 * time.Hour, u(3, 3, 11, 0)},
		{"four hours from Friday 15:00", utc, u(3, 6, 15, 0), 4 * time.Hour, u(3, 9, 11, 0)},
		{"within the day", utc, u(3, 2, 10, 0), 90 * time.Minute, u(3, 2, 11, 30)},
		{"from Saturday", utc, u(3, 7, 12, 0), 2 * time.Hour, u(3, 9, 11, 0)},
		{"from Sunday night", utc, u(3, 8, 23, 59), time.Hour, u(3, 9, 10, 0)},
		{"before hours", utc, u(3, 2, 7, 0), 2 * time.Hour, u(3, 2, 11, 0)},
		{"after hours", utc, u(3, 2, 18, 0), 2 * time.Hour, u(3, 3, 11, 0)},
		{"at closing", utc, u(3, 2, 17, 0), time.Hour, u(3, 3, 10, 0)},
		{"one day from opening ends at the next opening", utc, u(3, 2, 9, 0), 24 * time.Hour, u(3, 3, 9, 0)},
		{"running out at closing ends at the next opening", utc, u(3, 2, 15, 0), 2 * time.Hour, u(3, 3, 9, 0)},
		{"running out at Friday closing ends on Monday", utc, u(3, 6, 16, 0), time.Hour, u(3, 9, 9, 0)},
		{"three days", utc, u(3, 2, 10, 0), 72 * time.Hour, u(3, 5, 10, 0)},
		{"five days is a week", utc, u(3, 2, 10, 0), 5 * 24 * time.Hour, u(3, 9, 10, 0)},
		{"a day and a half", utc, u(3, 2, 10, 0), 36 * time.Hour, u(3, 4, 14, 0)},
		{"seconds count", utc, u(3, 2, 16, 59), 90 * time.Second, u(3, 3, 9, 0).Add(30 * time.Second)},
		{"zero", utc, u(3, 7, 12, 0), 0, u(3, 7, 12, 0)},
		{"negative", utc, u(3, 7, 12, 0), -time.Hour, u(3, 7, 11, 0)},
		{"no working days adds as is", Calendar{Loc: time.UTC, Start: 540, End: 1020}, u(3, 6, 15, 0), 4 * time.Hour, u(3, 6, 19, 0)},
		{"zero calendar adds as is", Calendar{}, u(3, 7, 12, 0), 24 * time.Hour, u(3, 8, 12, 0)},
		{"no zone means UTC", Calendar{Days: weekdays, Start: 540, End: 1020}, u(3, 6, 15, 0), 4 * time.Hour, u(3, 9, 11, 0)},
		{"empty hours mean the whole day", Calendar{Loc: time.UTC, Days: weekdays}, u(3, 6, 20, 0), 8 * time.Hour, u(3, 9, 4, 0)},
		{"hours out of range mean the whole day", Calendar{Loc: time.UTC, Days: weekdays, Start: -60, End: 2000}, u(3, 6, 20, 0), 8 * time.Hour, u(3, 9, 4, 0)},

		// Europe/Paris is UTC+1 in winter, UTC+2 from Sunday 29 March 2026 02:00.
		{"Paris hours, UTC input", parisWeek, u(3, 2, 8, 30), time.Hour, u(3, 2, 9, 30)},
		{"Paris hours, before opening in Paris", parisWeek, u(3, 2, 7, 0), time.Hour, u(3, 2, 9, 0)},
		{"Paris, past closing in Paris", parisWeek, u(3, 2, 16, 30), time.Hour, u(3, 3, 9, 0)},
		{"Paris, over the spring change weekend", parisWeek, u(3, 27, 15, 0), 2 * time.Hour, u(3, 30, 8, 0)},
		{"Paris, on the spring change day", parisAllWeek, in(paris, 3, 28, 16, 0), 2 * time.Hour, in(paris, 3, 29, 10, 0)},
		{"Paris, on the autumn change day", parisAllWeek, in(paris, 10, 24, 16, 0), 2 * time.Hour, in(paris, 10, 25, 10, 0)},
		{"Paris, a day over the autumn change", parisAllWeek, in(paris, 10, 24, 10, 0), 24 * time.Hour, in(paris, 10, 25, 10, 0)},
		{"Paris, whole days over the spring change", Calendar{Loc: paris, Days: everyDay}, in(paris, 3, 28, 12, 0), 24 * time.Hour, in(paris, 3, 29, 12, 0).Add(time.Hour)},

		// Zones whose clocks skip midnight on the day of a change.
		{"Santiago, weekend without a midnight", Calendar{Loc: santiago, Days: weekdays, Start: 540, End: 1020}, in(santiago, 9, 4, 16, 0), 2 * time.Hour, in(santiago, 9, 7, 10, 0)},
		{"Santiago, working the day without a midnight", Calendar{Loc: santiago, Days: everyDay, Start: 0, End: 24 * 60}, in(santiago, 9, 5, 22, 0), 3 * time.Hour, in(santiago, 9, 6, 2, 0)},
		{"Havana, weekend without a midnight", Calendar{Loc: havana, Days: weekdays, Start: 540, End: 1020}, in(havana, 3, 6, 16, 0), 2 * time.Hour, in(havana, 3, 9, 10, 0)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.cal.AddWorking(tc.from, tc.d)
			if !got.Equal(tc.want) {
				t.Fatalf("AddWorking(%v, %v) = %v, want %v", tc.from, tc.d, got, tc.want)
			}
			if got.Location() != tc.from.Location() {
				t.Fatalf("result in %v, want the input's zone %v", got.Location(), tc.from.Location())
			}
		})
	}
}

func TestNewCalendar(t *testing.T) {
	c := NewCalendar(store.DefaultSettings())
	if c.Loc != time.UTC || c.Days != weekdays || c.Start != 9*60 || c.End != 17*60 {
		t.Fatalf("default calendar %+v", c)
	}
	s := store.DefaultSettings()
	s.TimeZone = "Europe/Paris"
	s.Workdays = []time.Weekday{time.Saturday, 9, -1}
	s.WorkStart, s.WorkEnd = 17*60, 9*60
	c = NewCalendar(s)
	if c.Loc.String() != "Europe/Paris" || c.Days != [7]bool{time.Saturday: true} || c.Start != 0 || c.End != 24*60 {
		t.Fatalf("calendar %+v", c)
	}
	for _, tz := range []string{"", "Mars/Olympus_Mons"} {
		s.TimeZone = tz
		if c := NewCalendar(s); c.Loc != time.UTC {
			t.Fatalf("zone %q gave %v", tz, c.Loc)
		}
	}
}

// TestAddWorkingProperties checks, over random starts and durations, that a working-time
// wait ends inside working hours, after it started and not before the same plain wait,
// and grows with its hours and minutes.
func TestAddWorkingProperties(t *testing.T) {
	cals := []Calendar{
		NewCalendar(store.DefaultSettings()),
		{Loc: zone(t, "Europe/Paris"), Days: everyDay, Start: 8*60 + 30, End: 18 * 60},
		{Loc: zone(t, "America/Santiago"), Days: weekdays, Start: 0, End: 24 * 60},
		{Loc: zone(t, "Australia/Lord_Howe"), Days: [7]bool{time.Sunday: true, time.Wednesday: true}, Start: 60, End: 23 * 60},
		{Loc: zone(t, "America/New_York"), Days: weekdays, Start: 7 * 60, End: 7*60 + 1},
	}
	rng := rand.New(rand.NewPCG(1, 2))
	base := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := 0; i < 4000; i++ {
		c := cals[i%len(cals)]
		from := base.Add(time.Duration(rng.Int64N(int64(3 * 365 * 24 * time.Hour))))
		d := time.Duration(rng.Int64N(int64(30 * 24 * time.Hour)))
		if i%4 == 0 {
			d = time.Duration(rng.IntN(30)+1) * 24 * time.Hour
		}
		got := c.AddWorking(from, d)
		if !got.After(from) && d > 0 {
			t.Fatalf("%v: AddWorking(%v, %v) = %v, not after the start", c.Loc, from, d, got)
		}
		// Working days keep the wall clock, so over a clock change a wait may end up to an
		// hour before the plain one.
		if got.Before(from.Add(d - time.Hour)) {
			t.Fatalf("%v: AddWorking(%v, %v) = %v, before the plain wait", c.Loc, from, d, got)
		}
		local := got.In(c.Loc)
		start, end := c.hours()
		min := local.Hour()*60 + local.Minute()
		if !c.Days[local.Weekday()] || min < start || min >= end {
			t.Fatalf("%v: AddWorking(%v, %v) = %v (%s), outside working time", c.Loc, from, d, got, local.Format(time.RFC1123))
		}
		// Whole days are working days and the rest working hours, so a longer wait ends no
		// sooner as long as its whole days are the same.
		if d%(24*time.Hour) >= 24*time.Hour-time.Minute {
			continue
		}
		if more := c.AddWorking(from, d+time.Minute); more.Before(got) {
			t.Fatalf("%v: a longer wait from %v ends sooner: %v < %v", c.Loc, from, more, got)
		}
	}
}

func TestNextWorkingSkipsHoursWeekendsAndHolidays(t *testing.T) {
	s := store.DefaultSettings()
	s.Holidays = "us"
	s.OrgHolidays = []store.Holiday{{Date: "2026-11-27", Name: "Bridge day"}}
	c := NewCalendar(s)
	at := func(d, h, m int) time.Time { return time.Date(2026, 11, d, h, m, 0, 0, time.UTC) }
	for _, tc := range []struct{ in, want time.Time }{
		{at(25, 10, 0), at(25, 10, 0)}, // working time already
		{at(25, 17, 0), at(30, 9, 0)},  // closing Wednesday: Thanksgiving, the bridge day, the weekend
		{at(26, 8, 0), at(30, 9, 0)},
		{at(24, 7, 30), at(24, 9, 0)},
	} {
		if got := c.NextWorking(tc.in); !got.Equal(tc.want) {
			t.Errorf("NextWorking(%s) = %s, want %s", tc.in, got, tc.want)
		}
	}
	if name, off := c.Holiday(at(26, 23, 0)); !off || name != "Thanksgiving Day" {
		t.Errorf("Holiday(Thanksgiving) = %q, %v", name, off)
	}
}

// TestWorkingBetweenUndoesAddWorkingTime: the working time from a start to where a span of
// working time ends is that span, and the working time between two instants, added to the
// first, reaches the second when it is working time (or the next opening when it is not).
func TestWorkingBetweenUndoesAddWorkingTime(t *testing.T) {
	us := store.DefaultSettings()
	us.Holidays = "us"
	cals := []Calendar{
		NewCalendar(us),
		{Loc: zone(t, "Europe/Paris"), Days: everyDay, Start: 8*60 + 30, End: 18 * 60},
		{Loc: zone(t, "America/Santiago"), Days: weekdays, Start: 0, End: 24 * 60},
		{Loc: zone(t, "Australia/Lord_Howe"), Days: [7]bool{time.Sunday: true, time.Wednesday: true}, Start: 60, End: 23 * 60},
	}
	rng := rand.New(rand.NewPCG(3, 4))
	base := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := 0; i < 4000; i++ {
		c := cals[i%len(cals)]
		a := base.Add(time.Duration(rng.Int64N(int64(3 * 365 * 24 * time.Hour)))).Truncate(time.Second)
		w := time.Duration(rng.Int64N(int64(10 * 24 * time.Hour))).Truncate(time.Second)
		end := c.AddWorkingTime(a, w)
		if got := c.WorkingBetween(a, end); got != w {
			t.Fatalf("%v: WorkingBetween(%v, AddWorkingTime(·, %v) = %v) = %v", c.Loc, a, w, end, got)
		}
		b := a.Add(time.Duration(rng.Int64N(int64(20 * 24 * time.Hour)))).Truncate(time.Second)
		if got, want := c.AddWorkingTime(a, c.WorkingBetween(a, b)), c.NextWorking(b); !got.Equal(want) {
			t.Fatalf("%v: AddWorkingTime(%v, WorkingBetween(·, %v)) = %v, want %v", c.Loc, a, b, got, want)
		}
	}
	plain := Calendar{}
	a := base.Add(90 * time.Minute)
	if got := plain.WorkingBetween(a, a.Add(50*time.Hour)); got != 50*time.Hour {
		t.Errorf("a calendar without working days: WorkingBetween = %v, want 50h", got)
	}
	if got := cals[0].WorkingBetween(a, a.Add(-time.Hour)); got != 0 {
		t.Errorf("WorkingBetween backwards = %v, want 0", got)
	}
}
