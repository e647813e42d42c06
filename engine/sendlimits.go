package engine

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/pacer-sales/pacer/store"
)

// sendLimits are the limits of one mailbox.
type sendLimits struct {
	perHour, perDay int
	spacing         time.Duration
}

func (l sendLimits) any() bool { return l.perHour > 0 || l.perDay > 0 || l.spacing > 0 }

// limitsFor returns the sending limits of a sender address: the org's, with the overrides of
// the user whose mailbox it is.
func limitsFor(o *org, users []store.User, from string) sendLimits {
	l := sendLimits{perHour: o.settings.MaxPerHour, perDay: o.settings.MaxPerDay, spacing: o.settings.MinSpacing}
	addr := mailboxOf(from)
	for _, u := range users {
		if u.MaxPerHour == 0 && u.MaxPerDay == 0 {
			continue
		}
		if addr != "" && (mailboxOf(u.From) == addr || mailboxOf(u.Email) == addr) {
			if u.MaxPerHour > 0 {
				l.perHour = u.MaxPerHour
			}
			if u.MaxPerDay > 0 {
				l.perDay = u.MaxPerDay
			}
		}
	}
	return l
}

// mailboxOf returns the address of a From value ("Zoe <zoe@x>" → "zoe@x"), lowercased.
func mailboxOf(from string) string {
	if i := strings.LastIndexByte(from, '<'); i >= 0 {
		from = strings.TrimSuffix(from[i+1:], ">")
	}
	return strings.ToLower(strings.TrimSpace(from))
}

// admit counts one email of a mailbox let out at now when its limits allow it; otherwise it
// returns the next time they may, and why. The counts of the clock hour and day (in loc)
// are kept in the database, in the transaction that lets the email out: a restart, or
// another process on the same database, goes on from them.
func admit(tx store.Tx, from string, l sendLimits, loc *time.Location, now time.Time) (next time.Time, why string, err error) {
	if !l.any() {
		return time.Time{}, "", nil
	}
	if loc == nil {
		loc = time.UTC
	}
	addr := mailboxOf(from)
	u, err := tx.MailboxUse(addr)
	if err != nil {
		return time.Time{}, "", err
	}
	t := now.In(loc)
	y, m, d := t.Date()
	hour := time.Date(y, m, d, t.Hour(), 0, 0, 0, loc)
	day := startOfDayIn(y, m, d, loc)
	// A clock that went back (another node's, or this one's after a correction) counts in
	// the later hour and day kept: never more than a limit in either.
	if hour.After(u.Hour) {
		u.Hour, u.InHour = hour, 0
	}
	if day.After(u.Day) {
		u.Day, u.InDay = day, 0
	}
	switch {
	case l.perDay > 0 && u.InDay >= l.perDay:
		return startOfDayIn(y, m, d+1, loc), fmt.Sprintf("held by the sending limit of %s: %d a day", addr, l.perDay), nil
	case l.perHour > 0 && u.InHour >= l.perHour:
		return hour.Add(time.Hour), fmt.Sprintf("held by the sending limit of %s: %d an hour", addr, l.perHour), nil
	case l.spacing > 0 && !u.Last.IsZero() && now.Before(u.Last.Add(l.spacing)):
		return u.Last.Add(l.spacing), fmt.Sprintf("held by the spacing of %s: %s between two emails", addr, l.spacing), nil
	}
	u.InHour++
	u.InDay++
	u.Last = now
	return time.Time{}, "", tx.PutMailboxUse(u)
}

// lockMailboxes reads the use of the sender mailboxes of the emails among msgs in the order
// of their addresses, so that on a database several nodes share each holds them for its
// transaction in one order and none waits on another's in a circle.
func lockMailboxes(tx store.Tx, msgs []store.Message) error {
	var boxes []string
	for _, m := range msgs {
		if m.Channel == "email" {
			boxes = append(boxes, mailboxOf(m.From))
		}
	}
	slices.Sort(boxes)
	for _, b := range slices.Compact(boxes) {
		if _, err := tx.MailboxUse(b); err != nil {
			return err
		}
	}
	return nil
}

// startOfDayIn returns midnight of a day in loc (the day normalized), or the first instant
// of the day where midnight doesn't exist.
func startOfDayIn(y int, m time.Month, d int, loc *time.Location) time.Time {
	t := time.Date(y, m, d, 0, 0, 0, 0, loc)
	if t.Hour() != 0 {
		t = t.Add(time.Duration(24-t.Hour()) * time.Hour).Truncate(time.Hour)
	}
	return t
}

// holdForLimits holds a claimed email whose mailbox is over its sending limits until the
// next slot they allow (its next try, with a message_held entry in the history), and
// reports whether it did; one it lets through is counted.
func (e *Engine) holdForLimits(tx store.Tx, o *org, users []store.User, m store.Message, now time.Time) (bool, error) {
	if m.Channel != "email" {
		return false, nil
	}
	next, why, err := admit(tx, m.From, limitsFor(o, users, m.From), o.calendar.Loc, now)
	if next.IsZero() || err != nil {
		return false, err
	}
	// The next slot the limits allow (the next day starts at midnight) may be outside the
	// email's send window or the sender's time off: it waits for those from there.
	at, inWindow, err := e.windowAfter(tx, o, users, m, next)
	if err != nil {
		return false, err
	}
	if at.After(next) {
		next, why = at, why+", then "+strings.TrimPrefix(inWindow, "held ")
	}
	m.NextTry = next
	if err := tx.PutMessage(m); err != nil {
		return false, err
	}
	return true, tx.AppendHistory(m.Conn, store.Event{At: now, Type: store.EventMessageHeld, StepID: m.StepID, Until: next, Reason: HoldLimit, Why: why})
}

// windowAfter returns when a queued email may go out at or after at under its send window
// and its sender's time off (at itself when nothing holds it), and why in words.
func (e *Engine) windowAfter(tx store.Tx, o *org, users []store.User, m store.Message, at time.Time) (time.Time, string, error) {
	c, err := tx.Conn(m.Conn)
	if errors.Is(err, store.ErrNotFound) {
		return at, "", nil
	} else if err != nil {
		return at, "", err
	}
	plan, err := e.plans.get(tx, c.Sequence, c.Version)
	if err != nil {
		return at, "", err
	}
	rec, err := tx.RecordByKey(m.Record)
	if errors.Is(err, store.ErrNotFound) {
		return at, "", nil
	} else if err != nil {
		return at, "", err
	}
	var sender store.User
	if addr := mailboxOf(m.From); addr != "" {
		for _, u := range users {
			if mailboxOf(u.From) == addr || mailboxOf(u.Email) == addr {
				sender = u
				break
			}
		}
	}
	next, _, why := e.sendWindow(o, plan, rec, sender, at)
	return next, why, nil
}

// limited reports whether any sending limit is set (org-wide or for a user), in which case
// every automated email goes through the dispatcher, also without a transport.
func limited(o *org, users []store.User) bool {
	if (sendLimits{o.settings.MaxPerHour, o.settings.MaxPerDay, o.settings.MinSpacing}).any() {
		return true
	}
	for _, u := range users {
		if u.MaxPerHour > 0 || u.MaxPerDay > 0 {
			return true
		}
	}
	return false
}
