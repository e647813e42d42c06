package engine

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/pacer-sales/pacer/engine/flow"
	"github.com/pacer-sales/pacer/engine/limits"
	"github.com/pacer-sales/pacer/store"
)

// AddAway records time off of a user, [from, to), with an optional cover who gets the tasks
// that come due meanwhile. Admins and managers may, and users for themselves.
func (e *Engine) AddAway(ctx context.Context, by, username string, from, to time.Time, cover string) error {
	for _, t := range []struct {
		what string
		at   time.Time
	}{{"--from", from}, {"--to", to}} {
		if err := limits.Time(t.what, t.at); err != nil {
			return invalid("%s", err)
		}
	}
	if !to.After(from) {
		return invalid("away %s: --to %s is not after --from %s", username, to.UTC().Format(time.RFC3339), from.UTC().Format(time.RFC3339))
	}
	cover = strings.TrimSpace(cover)
	return e.update(ctx, func(tx store.Tx) error {
		actorU, err := actor(tx, by)
		if err != nil {
			return err
		}
		if actorU.Username != username && !isManager(actorU) {
			return forbidden("%s may only record their own time off", actorU.Username)
		}
		u, err := tx.User(username)
		if err != nil {
			return notFound(err, "there is no user %q", username)
		}
		if cover != "" {
			if cover == username {
				return invalid("away %s: a user can't cover for themselves", username)
			}
			if _, err := tx.User(cover); err != nil {
				return notFound(err, "away %s: there is no user %q to cover", username, cover)
			}
		}
		if len(u.Away) >= limits.TimeOff {
			return invalid("away %s: %d periods of time off already, the limit", username, limits.TimeOff)
		}
		u.Away = append(u.Away, store.TimeOff{From: from.UTC(), To: to.UTC(), Cover: cover})
		slices.SortFunc(u.Away, func(a, b store.TimeOff) int { return a.From.Compare(b.From) })
		return tx.PutUser(u)
	})
}

// RemoveAway removes the time off of a user that starts at from.
func (e *Engine) RemoveAway(ctx context.Context, by, username string, from time.Time) error {
	return e.update(ctx, func(tx store.Tx) error {
		actorU, err := actor(tx, by)
		if err != nil {
			return err
		}
		if actorU.Username != username && !isManager(actorU) {
			return forbidden("%s may only change their own time off", actorU.Username)
		}
		u, err := tx.User(username)
		if err != nil {
			return notFound(err, "there is no user %q", username)
		}
		i := slices.IndexFunc(u.Away, func(a store.TimeOff) bool { return a.From.Equal(from) })
		if i < 0 {
			return invalid("%s has no time off from %s", username, from.UTC().Format(time.RFC3339))
		}
		u.Away = slices.Delete(u.Away, i, i+1)
		return tx.PutUser(u)
	})
}

// awayAt returns the time off of u that at falls in.
func awayAt(u store.User, at time.Time) (store.TimeOff, bool) {
	for _, a := range u.Away {
		if !at.Before(a.From) && at.Before(a.To) {
			return a, true
		}
	}
	return store.TimeOff{}, false
}

// userCalendar is the org's calendar with the user's own days, hours and zone.
func (e *Engine) userCalendar(o *org, u store.User) flow.Calendar {
	c := o.calendar
	if u.Hours.Days != nil {
		c.Days = [7]bool{}
		for _, d := range u.Hours.Days {
			c.Days[d] = true
		}
	}
	if u.Hours.Start != u.Hours.End {
		c.Start, c.End = u.Hours.Start, u.Hours.End
	}
	if loc := e.zone(u.TimeZone); loc != nil {
		c.Loc = loc
	}
	return c
}

// sellerTime fits a task's due time and assignees to the sellers' time: a seller away at
// due hands the task to their cover when one is named, else (the only assignee) the task is
// due at their first working hour back; a single seller's own working time moves it into
// their hours. It returns the due time, the assignees and what it changed ("" for nothing).
func (e *Engine) sellerTime(tx store.Tx, o *org, users []string, due time.Time) (time.Time, []string, string) {
	var notes []string
	out, cloned := users, false
	for i, name := range users {
		u, err := tx.User(name)
		if err != nil {
			continue
		}
		a, away := awayAt(u, due)
		if !away {
			continue
		}
		back := e.userCalendar(o, u).NextWorking(a.To)
		switch {
		case a.Cover != "" && !slices.Contains(out, a.Cover):
			if !cloned {
				out, cloned = slices.Clone(users), true
			}
			out[i] = a.Cover
			notes = append(notes, fmt.Sprintf("%s is away until %s: covered by %s", name, a.To.UTC().Format("2006-01-02 15:04"), a.Cover))
		case len(users) == 1:
			due = back
			notes = append(notes, fmt.Sprintf("%s is away: due at their first working hour back", name))
		}
	}
	if len(out) == 1 {
		if u, err := tx.User(out[0]); err == nil && !u.Hours.IsZero() {
			if at := e.userCalendar(o, u).NextWorking(due); at.After(due) {
				due = at
				notes = append(notes, fmt.Sprintf("due at %s's working hours", u.Username))
			}
		}
	}
	return due, out, strings.Join(notes, "; ")
}
