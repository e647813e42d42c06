package flow

import (
	"time"

	"github.com/pacer-sales/pacer/engine/holidays"
	"github.com/pacer-sales/pacer/store"
)

// Calendar is the org's working time: the days and hours in its time zone.
type Calendar struct {
	// Loc is the org's time zone; nil means UTC.
	Loc  *time.Location
	Days [7]bool
	// Start and End are minutes after midnight; End <= Start (or a range outside the day)
	// means the whole day.
	Start, End int
	// Off holds the days off (public holidays and the org's own); nil for none.
	Off *holidays.Set
}

// NewCalendar builds the calendar of the org settings; an unknown time zone means UTC.
func NewCalendar(s store.Settings) Calendar {
	loc, err := time.LoadLocation(s.TimeZone)
	if err != nil || s.TimeZone == "" {
		loc = time.UTC
	}
	c := Calendar{Loc: loc, Start: s.WorkStart, End: s.WorkEnd, Off: holidays.New(s.Holidays, s.OrgHolidays)}
	for _, d := range s.Workdays {
		if d >= time.Sunday && d <= time.Saturday {
			c.Days[d] = true
		}
	}
	c.Start, c.End = c.hours()
	return c
}

func (c Calendar) working() bool {
	for _, d := range c.Days {
		if d {
			return true
		}
	}
	return false
}

// hours returns the working hours, the whole day when they are empty or out of range.
func (c Calendar) hours() (start, end int) {
	if c.Start < 0 || c.End > 24*60 || c.End <= c.Start {
		return 0, 24 * 60
	}
	return c.Start, c.End
}

func (c Calendar) loc() *time.Location {
	if c.Loc == nil {
		return time.UTC
	}
	return c.Loc
}

// AddWorking returns the time d of working time after t. A day of d counts as one working
// day (the length of the working hours), hours and minutes as working hours and minutes: a
// one-day wait started Friday 10:00 ends Monday 10:00, a four-hour wait started at 15:00 of
// a 9–17 day ends at 11:00 the next working day. Time before opening, after closing and on
// non-working days does not count. A wait that runs out exactly at closing time ends at the
// next opening instead (a one-day wait started Monday 09:00 ends Tuesday 09:00), so what
// follows it is due while people are at work. Opening and closing are wall-clock times of
// the calendar's zone, also on days when the clocks change. A calendar without working days
// adds d as it is.
func (c Calendar) AddWorking(t time.Time, d time.Duration) time.Time {
	if !c.working() || d <= 0 {
		return t.Add(d)
	}
	start, end := c.hours()
	dayLen := time.Duration(end-start) * time.Minute
	return c.AddWorkingTime(t, (d/(24*time.Hour))*dayLen+d%(24*time.Hour))
}

// AddWorkingTime returns the time w of working time after t, w counted as it is (no day is
// a working day here, unlike AddWorking): what a paused working-time wait had left goes on
// from its resume with it. Like AddWorking, time that runs out at closing (or outside
// working time, w = 0) ends at the next opening. A calendar without working days adds w as
// it is.
func (c Calendar) AddWorkingTime(t time.Time, w time.Duration) time.Time {
	if !c.working() || w < 0 {
		return t.Add(w)
	}
	start, end := c.hours()
	loc := c.loc()
	left := w
	cur := t.In(loc)
	for {
		y, m, dd := cur.Date()
		next := startOfDay(y, m, dd+1, loc)
		if !c.Days[cur.Weekday()] || c.holiday(y, m, dd) {
			cur = next
			continue
		}
		open, closeAt := dayWindow(y, m, dd, start, end, next, loc)
		if cur.Before(open) {
			cur = open
		}
		if !cur.Before(closeAt) {
			cur = next
			continue
		}
		avail := closeAt.Sub(cur)
		if left < avail {
			return cur.Add(left).In(t.Location())
		}
		left -= avail
		cur = next
	}
}

// WorkingBetween returns the working time from a until b (0 when b is not after a): what
// AddWorkingTime(a, ·) needs to reach b, when b is working time. A calendar without working
// days counts b - a.
func (c Calendar) WorkingBetween(a, b time.Time) time.Duration {
	if !b.After(a) {
		return 0
	}
	if !c.working() {
		return b.Sub(a)
	}
	start, end := c.hours()
	loc := c.loc()
	var sum time.Duration
	for cur := a.In(loc); cur.Before(b); {
		y, m, dd := cur.Date()
		next := startOfDay(y, m, dd+1, loc)
		if c.Days[cur.Weekday()] && !c.holiday(y, m, dd) {
			open, closeAt := dayWindow(y, m, dd, start, end, next, loc)
			from, to := cur, b
			if open.After(from) {
				from = open
			}
			if closeAt.Before(to) {
				to = closeAt
			}
			if to.After(from) {
				sum += to.Sub(from)
			}
		}
		cur = next
	}
	return sum
}

func (c Calendar) holiday(y int, m time.Month, d int) bool {
	_, off := c.Off.Off(y, m, d)
	return off
}

// Holiday returns the name of the day off that t falls on in the calendar's zone, if any.
func (c Calendar) Holiday(t time.Time) (string, bool) {
	y, m, d := t.In(c.loc()).Date()
	return c.Off.Off(y, m, d)
}

// maxSearchDays bounds how far NextWorking looks for a working day (a calendar whose every
// day is off).
const maxSearchDays = 3 * 366

// NextWorking returns t when it is working time, else the start of the next working time:
// the next opening of a working day that is not a day off. A calendar without working days
// (or without one in three years) returns t.
func (c Calendar) NextWorking(t time.Time) time.Time {
	if !c.working() {
		return t
	}
	start, end := c.hours()
	loc := c.loc()
	cur := t.In(loc)
	for i := 0; i < maxSearchDays; i++ {
		y, m, dd := cur.Date()
		next := startOfDay(y, m, dd+1, loc)
		if !c.Days[cur.Weekday()] || c.holiday(y, m, dd) {
			cur = next
			continue
		}
		open, closeAt := dayWindow(y, m, dd, start, end, next, loc)
		if cur.Before(open) {
			return open.In(t.Location())
		}
		if cur.Before(closeAt) {
			return cur.In(t.Location())
		}
		cur = next
	}
	return t
}

// startOfDay returns the first instant of a day in loc (the day is normalized, so d may
// run past the month). In a zone whose clocks skip midnight on the day of a change, the
// day starts at the change.
func startOfDay(y int, m time.Month, d int, loc *time.Location) time.Time {
	noon := time.Date(y, m, d, 12, 0, 0, 0, loc)
	y, m, d = noon.Date()
	t := time.Date(y, m, d, 0, 0, 0, 0, loc)
	if ty, tm, td := t.Date(); ty == y && tm == m && td == d {
		return t
	}
	// Midnight does not exist that day and t fell back into the day before: the day begins
	// where that day's zone period ends.
	if _, end := t.ZoneBounds(); end.After(t) && !end.After(noon) {
		return end
	}
	return noon.Add(-12 * time.Hour)
}

// dayWindow is the working window of day (y, m, dd) in loc: from start to end (minutes after
// midnight), within the day that ends at next — a day shortened by a DST change keeps what
// it has of the window.
func dayWindow(y int, m time.Month, dd, start, end int, next time.Time, loc *time.Location) (open, closeAt time.Time) {
	open, closeAt = startOfDay(y, m, dd, loc), next
	if o := time.Date(y, m, dd, start/60, start%60, 0, 0, loc); o.After(open) {
		open = o
	}
	if e := time.Date(y, m, dd, end/60, end%60, 0, 0, loc); end < 24*60 && e.Before(closeAt) {
		closeAt = e
	}
	return open, closeAt
}
