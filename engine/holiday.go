package engine

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/pacer-sales/pacer/engine/holidays"
	"github.com/pacer-sales/pacer/engine/limits"
	"github.com/pacer-sales/pacer/store"
)

// AddHoliday adds one of the org's own days off (date YYYY-MM-DD in the org's time zone)
// or renames the one on that date. Only admins may.
func (e *Engine) AddHoliday(ctx context.Context, by, date, name string) error {
	t, err := holidays.ParseDate(date)
	if err != nil {
		return invalid("holiday date: %s", err)
	}
	if err := limits.Time("the holiday", t); err != nil {
		return invalid("%s", err)
	}
	name = strings.TrimSpace(name)
	if name == "" {
		return invalid("holiday %s: give it a name", date)
	}
	if err := limits.Text("the holiday's name", name, limits.Name, false); err != nil {
		return invalid("%s", err)
	}
	day := t.Format(holidays.DateLayout)
	return e.update(ctx, func(tx store.Tx) error {
		if _, err := requireAdmin(tx, by, "change the org's holidays"); err != nil {
			return err
		}
		s, err := tx.Settings()
		if err != nil {
			return err
		}
		i, found := slices.BinarySearchFunc(s.OrgHolidays, day, func(h store.Holiday, d string) int { return strings.Compare(h.Date, d) })
		if found {
			s.OrgHolidays[i].Name = name
		} else {
			if len(s.OrgHolidays) >= limits.OrgHolidays {
				return invalid("holiday %s: the org has %d holidays already, the limit", day, limits.OrgHolidays)
			}
			s.OrgHolidays = slices.Insert(s.OrgHolidays, i, store.Holiday{Date: day, Name: name})
		}
		return tx.PutSettings(s)
	})
}

// RemoveHoliday removes the org's own day off on date. Only admins may.
func (e *Engine) RemoveHoliday(ctx context.Context, by, date string) error {
	t, err := holidays.ParseDate(date)
	if err != nil {
		return invalid("holiday date: %s", err)
	}
	day := t.Format(holidays.DateLayout)
	return e.update(ctx, func(tx store.Tx) error {
		if _, err := requireAdmin(tx, by, "change the org's holidays"); err != nil {
			return err
		}
		s, err := tx.Settings()
		if err != nil {
			return err
		}
		i := slices.IndexFunc(s.OrgHolidays, func(h store.Holiday) bool { return h.Date == day })
		if i < 0 {
			return invalid("no holiday of the org on %s (public holidays come from `settings holidays`)", day)
		}
		s.OrgHolidays = slices.Delete(s.OrgHolidays, i, i+1)
		return tx.PutSettings(s)
	})
}

// Holidays lists the days off of a year: the public holidays of the org's `holidays`
// setting and the org's own days, in date order. Any user may read them.
func (e *Engine) Holidays(ctx context.Context, by string, year int) ([]holidays.Day, error) {
	if year < limits.Earliest.Year() || year >= limits.Latest.Year() {
		return nil, invalid("year %d: want a year from %d to %d", year, limits.Earliest.Year(), limits.Latest.Year()-1)
	}
	var out []holidays.Day
	err := e.view(ctx, func(tx store.Tx) error {
		if _, err := actor(tx, by); err != nil {
			return err
		}
		s, err := tx.Settings()
		if err != nil {
			return err
		}
		out = holidays.New(s.Holidays, s.OrgHolidays).Year(year)
		return nil
	})
	return out, err
}

// Year returns the current year of the engine's clock in the zone of loc (UTC when nil).
func (e *Engine) Year(loc *time.Location) int {
	if loc == nil {
		loc = time.UTC
	}
	return e.clock.Now().In(loc).Year()
}
