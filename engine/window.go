package engine

import (
	"fmt"
	"strings"
	"time"

	"github.com/pacer-sales/pacer/engine/flow"
	"github.com/pacer-sales/pacer/engine/sequence"
	"github.com/pacer-sales/pacer/store"
)

// zone returns the time zone of an IANA name, nil when it is empty or unknown; each name is
// read once.
func (e *Engine) zone(name string) *time.Location {
	if name == "" || name == "Local" {
		return nil
	}
	if v, ok := e.zones.Load(name); ok {
		loc, _ := v.(*time.Location)
		return loc
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		loc = nil
	}
	e.zones.Store(name, loc)
	return loc
}

// recipientZone returns the zone an automated email's send window is read in, and where it
// comes from: the record's `timezone` field, else the sender's time zone, else the org's.
func (e *Engine) recipientZone(o *org, rec store.Record, sender store.User) (*time.Location, string) {
	if v, ok := rec.Fields["timezone"].(string); ok {
		if loc := e.zone(strings.TrimSpace(v)); loc != nil {
			return loc, "the record's time zone"
		}
	}
	if loc := e.zone(sender.TimeZone); loc != nil {
		return loc, "the sender's time zone"
	}
	return o.calendar.Loc, "the org's time zone"
}

// sendWindow returns when an automated email queued at now may go out under the sequence's
// send window, and when that is later than now, what holds it (HoldWindow, HoldAway) and
// why in words. The window is the org's working hours on working days (not on holidays)
// unless the sequence's send_window gives other hours or says any. A sender's time off holds
// them until the return unless the sequence's send_while_away says otherwise.
func (e *Engine) sendWindow(o *org, plan *flow.Plan, rec store.Record, sender store.User, now time.Time) (at time.Time, hold, why string) {
	from, awayWhy := now, ""
	if a, away := awayAt(sender, now); away && !plan.Def.Options.SendWhileAway {
		// A seller's own emails wait for the seller's return, unless the sequence says
		// send_while_away.
		from = a.To
		awayWhy = fmt.Sprintf("held while the sender %s is away (until %s)", sender.Username, a.To.UTC().Format("2006-01-02 15:04"))
	}
	start, end, anyTime, def, err := sequence.ParseWindow(plan.Def.Options.SendWindow)
	if anyTime || err != nil {
		if awayWhy == "" {
			return now, "", ""
		}
		return from, HoldAway, awayWhy
	}
	cal := o.calendar
	if def {
		start, end = cal.Start, cal.End
	}
	cal.Start, cal.End = start, end
	loc, source := e.recipientZone(o, rec, sender)
	if loc == nil {
		loc = time.UTC
	}
	cal.Loc = loc
	at = cal.NextWorking(from)
	if !at.After(now) {
		return now, "", ""
	}
	if awayWhy != "" {
		return at, HoldAway, awayWhy
	}
	return at, HoldWindow, fmt.Sprintf("held for the send window %02d:%02d-%02d:%02d in %s (%s)", start/60, start%60, end/60, end%60, loc, source)
}
