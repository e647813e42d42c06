package engine

import (
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/pacer-sales/pacer/store"
)

// mailboxes counts what each sender mailbox has sent, for the sending limits: the messages of
// the current clock hour and day (in the org's zone) and when the last one went out. The
// counts live in the process: a restart begins them again, which can let a mailbox send up to
// its limit once more in that hour; no message is ever lost or sent twice by it.
type mailboxes struct {
	mu  sync.Mutex
	use map[string]*mailboxUse
}

type mailboxUse struct {
	hour, day     time.Time
	inHour, inDay int
	last          time.Time
}

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

// admit counts one message of a mailbox sent at now when its limits allow it; otherwise it
// returns the next time they may, and why.
func (mb *mailboxes) admit(from string, l sendLimits, loc *time.Location, now time.Time) (next time.Time, why string) {
	if !l.any() {
		return time.Time{}, ""
	}
	if loc == nil {
		loc = time.UTC
	}
	addr := mailboxOf(from)
	mb.mu.Lock()
	defer mb.mu.Unlock()
	if mb.use == nil {
		mb.use = map[string]*mailboxUse{}
	}
	u := mb.use[addr]
	if u == nil {
		u = &mailboxUse{}
		mb.use[addr] = u
	}
	t := now.In(loc)
	y, m, d := t.Date()
	hour := time.Date(y, m, d, t.Hour(), 0, 0, 0, loc)
	day := startOfDayIn(y, m, d, loc)
	if !u.hour.Equal(hour) {
		u.hour, u.inHour = hour, 0
	}
	if !u.day.Equal(day) {
		u.day, u.inDay = day, 0
	}
	switch {
	case l.perDay > 0 && u.inDay >= l.perDay:
		return startOfDayIn(y, m, d+1, loc), fmt.Sprintf("held by the sending limit of %s: %d a day", addr, l.perDay)
	case l.perHour > 0 && u.inHour >= l.perHour:
		return hour.Add(time.Hour), fmt.Sprintf("held by the sending limit of %s: %d an hour", addr, l.perHour)
	case l.spacing > 0 && !u.last.IsZero() && now.Before(u.last.Add(l.spacing)):
		return u.last.Add(l.spacing), fmt.Sprintf("held by the spacing of %s: %s between two emails", addr, l.spacing)
	}
	u.inHour++
	u.inDay++
	u.last = now
	return time.Time{}, ""
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
	next, why := e.mailboxes.admit(m.From, limitsFor(o, users, m.From), o.calendar.Loc, now)
	if next.IsZero() {
		return false, nil
	}
	m.NextTry = next
	if err := tx.PutMessage(m); err != nil {
		return false, err
	}
	return true, tx.AppendHistory(m.Conn, store.Event{At: now, Type: store.EventMessageHeld, StepID: m.StepID, Until: next, Why: why})
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
