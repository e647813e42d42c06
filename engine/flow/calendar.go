package flow

import (
	"time"

	"github.com/pacer-sales/pacer/store"
)

// Calendar is the org's working time: the days and hours in its time zone.
type Calendar struct {
	Loc  *time.Location
	Days [7]bool
	// Start and End are minutes after midnight.
	Start, End int
}

// NewCalendar builds the calendar of the org settings; an unknown time zone means UTC.
func NewCalendar(s store.Settings) Calendar {
	loc, err := time.LoadLocation(s.TimeZone)
	if err != nil || s.TimeZone == "" {
		loc = time.UTC
	}
	c := Calendar{Loc: loc, Start: s.WorkStart, End: s.WorkEnd}
	for _, d := range s.Workdays {
		c.Days[d] = true
	}
	if c.End <= c.Start {
		c.Start, c.End = 0, 24*60
	}
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

// AddWorking returns the time d of working time after t. A day of d counts as one working
// day (the length of the working hours), hours and minutes as working hours and minutes: a
// one-day wait started Friday 10:00 ends Monday 10:00, a four-hour wait started at 15:00 of
// a 9–17 day ends at 11:00 the next working day.
func (c Calendar) AddWorking(t time.Time, d time.Duration) time.Time {
	if !c.working() || d <= 0 {
		return t.Add(d)
	}
	dayLen := time.Duration(c.End-c.Start) * time.Minute
	left := (d/(24*time.Hour))*dayLen + d%(24*time.Hour)
	cur := t.In(c.Loc)
	for {
		y, m, dd := cur.Date()
		dayStart := time.Date(y, m, dd, 0, 0, 0, 0, c.Loc)
		open := dayStart.Add(time.Duration(c.Start) * time.Minute)
		closeAt := dayStart.Add(time.Duration(c.End) * time.Minute)
		if !c.Days[cur.Weekday()] || !cur.Before(closeAt) {
			cur = time.Date(y, m, dd+1, 0, 0, 0, 0, c.Loc)
			continue
		}
		if cur.Before(open) {
			cur = open
		}
		if avail := closeAt.Sub(cur); left <= avail {
			return cur.Add(left).In(t.Location())
		} else {
			left -= avail
		}
		cur = time.Date(y, m, dd+1, 0, 0, 0, 0, c.Loc)
	}
}
