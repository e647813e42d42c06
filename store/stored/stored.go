// Package stored holds the stored (JSON) forms of the org settings and of a user's timing that
// every backend writes the same way. They are kept apart from the port's types so that
// renaming a field of the port never changes what is on disk; a new setting gets a field here
// and is stored by bbolt and PostgreSQL alike.
package stored

import (
	"time"

	"github.com/pacer-sales/pacer/store"
)

// Settings is the stored form of the org settings (store.Settings).
type Settings struct {
	ActiveLimit  int            `json:"active_limit"`
	MaxWait      int64          `json:"max_wait_ns"`
	Workdays     []time.Weekday `json:"workdays"`
	WorkStart    int            `json:"work_start"`
	WorkEnd      int            `json:"work_end"`
	TimeZone     string         `json:"timezone"`
	CallOutcomes []string       `json:"call_outcomes"`
	SMTPURL      string         `json:"smtp_url,omitempty"`
	FromAddress  string         `json:"from_address,omitempty"`
	TrackingURL  string         `json:"tracking_url,omitempty"`
	IMAPURL      string         `json:"imap_url,omitempty"`
	BounceDomain string         `json:"bounce_domain,omitempty"`
	DKIMDomain   string         `json:"dkim_domain,omitempty"`
	DKIMSelector string         `json:"dkim_selector,omitempty"`
	DKIMKeyFile  string         `json:"dkim_key_file,omitempty"`
	Holidays     string         `json:"holidays,omitempty"`
	OrgHolidays  []Holiday      `json:"org_holidays,omitempty"`
	MaxPerHour   int            `json:"max_per_hour,omitempty"`
	MaxPerDay    int            `json:"max_per_day,omitempty"`
	MinSpacing   int64          `json:"min_spacing_ns,omitempty"`
}

// Holiday is the stored form of one of the org's own days off.
type Holiday struct {
	Date string `json:"date"`
	Name string `json:"name"`
}

// FromSettings returns the stored form of s.
func FromSettings(s store.Settings) Settings {
	return Settings{
		ActiveLimit: s.ActiveLimit, MaxWait: int64(s.MaxWait), Workdays: s.Workdays,
		WorkStart: s.WorkStart, WorkEnd: s.WorkEnd, TimeZone: s.TimeZone,
		CallOutcomes: s.CallOutcomes, SMTPURL: s.SMTPURL, FromAddress: s.FromAddress,
		TrackingURL: s.TrackingURL, IMAPURL: s.IMAPURL, BounceDomain: s.BounceDomain,
		DKIMDomain: s.DKIMDomain, DKIMSelector: s.DKIMSelector, DKIMKeyFile: s.DKIMKeyFile,
		Holidays: s.Holidays, OrgHolidays: fromHolidays(s.OrgHolidays),
		MaxPerHour: s.MaxPerHour, MaxPerDay: s.MaxPerDay, MinSpacing: int64(s.MinSpacing),
	}
}

func fromHolidays(hs []store.Holiday) []Holiday {
	if hs == nil {
		return nil
	}
	out := make([]Holiday, len(hs))
	for i, h := range hs {
		out[i] = Holiday{Date: h.Date, Name: h.Name}
	}
	return out
}

// Timing is the stored form of a user's own working time, time off and sending limits.
type Timing struct {
	Days       []time.Weekday `json:"days,omitempty"`
	Start      int            `json:"start,omitempty"`
	End        int            `json:"end,omitempty"`
	Away       []Away         `json:"away,omitempty"`
	MaxPerHour int            `json:"max_per_hour,omitempty"`
	MaxPerDay  int            `json:"max_per_day,omitempty"`
}

// Away is the stored form of one time off of a user.
type Away struct {
	From  int64  `json:"from"`
	To    int64  `json:"to"`
	Cover string `json:"cover,omitempty"`
}

// FromUser returns the stored form of u's timing, nil when it has none.
func FromUser(u store.User) *Timing {
	if u.Hours.IsZero() && len(u.Away) == 0 && u.MaxPerHour == 0 && u.MaxPerDay == 0 {
		return nil
	}
	d := &Timing{Days: u.Hours.Days, Start: u.Hours.Start, End: u.Hours.End, MaxPerHour: u.MaxPerHour, MaxPerDay: u.MaxPerDay}
	for _, a := range u.Away {
		d.Away = append(d.Away, Away{From: a.From.UnixNano(), To: a.To.UnixNano(), Cover: a.Cover})
	}
	return d
}

// SetOn sets u's timing from its stored form; a nil Timing sets nothing.
func (d *Timing) SetOn(u *store.User) {
	if d == nil {
		return
	}
	u.Hours = store.WorkHours{Days: d.Days, Start: d.Start, End: d.End}
	u.MaxPerHour, u.MaxPerDay = d.MaxPerHour, d.MaxPerDay
	for _, a := range d.Away {
		u.Away = append(u.Away, store.TimeOff{From: time.Unix(0, a.From).UTC(), To: time.Unix(0, a.To).UTC(), Cover: a.Cover})
	}
}

func holidaysOf(ds []Holiday) []store.Holiday {
	if ds == nil {
		return nil
	}
	out := make([]store.Holiday, len(ds))
	for i, d := range ds {
		out[i] = store.Holiday{Date: d.Date, Name: d.Name}
	}
	return out
}

// Settings returns the settings v stores.
func (v Settings) Settings() store.Settings {
	return store.Settings{
		ActiveLimit: v.ActiveLimit, MaxWait: time.Duration(v.MaxWait), Workdays: v.Workdays,
		WorkStart: v.WorkStart, WorkEnd: v.WorkEnd, TimeZone: v.TimeZone,
		CallOutcomes: v.CallOutcomes, SMTPURL: v.SMTPURL, FromAddress: v.FromAddress,
		TrackingURL: v.TrackingURL, IMAPURL: v.IMAPURL, BounceDomain: v.BounceDomain,
		DKIMDomain: v.DKIMDomain, DKIMSelector: v.DKIMSelector, DKIMKeyFile: v.DKIMKeyFile,
		Holidays: v.Holidays, OrgHolidays: holidaysOf(v.OrgHolidays),
		MaxPerHour: v.MaxPerHour, MaxPerDay: v.MaxPerDay, MinSpacing: time.Duration(v.MinSpacing),
	}
}
