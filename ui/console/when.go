package console

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// whenHelp says which snooze times ParseWhen accepts.
const whenHelp = "tomorrow 9:00 · fri 14:30 · 2026-03-04 10:00 · 16:00 · 3pm · +2h · +3d · +1d4h"

// defaultHour is the time of day a date without one means (the start of a working day).
const defaultHour = 9

var weekdayNames = map[string]time.Weekday{
	"sun": time.Sunday, "sunday": time.Sunday,
	"mon": time.Monday, "monday": time.Monday,
	"tue": time.Tuesday, "tues": time.Tuesday, "tuesday": time.Tuesday,
	"wed": time.Wednesday, "wednesday": time.Wednesday,
	"thu": time.Thursday, "thur": time.Thursday, "thurs": time.Thursday, "thursday": time.Thursday,
	"fri": time.Friday, "friday": time.Friday,
	"sat": time.Saturday, "saturday": time.Saturday,
}

// ParseWhen reads a snooze time typed by a seller, in their time zone loc, as of now:
//
//	+2h, +90m, +3d, +1w, +1d4h   from now (days and weeks are calendar days: the clock
//	                             time stays the same across a daylight-saving change)
//	today 16:00, tomorrow 9:00   a day word and a time; "tomorrow" alone is 9:00
//	mon, fri 14:30               the next such weekday (never today), 9:00 unless given
//	2026-03-04, 2026-03-04 10:00 a date (9:00 unless given); also 2026-03-04T10:00
//	16:00, 4pm, 4:30pm           a time: today, or tomorrow when it has passed
//
// Times are 24-hour (9:00, 16:30) or 12-hour with am/pm (9am, 4:30pm). A full RFC 3339
// time (2026-03-04T10:00:00Z) is taken as written. The result must be after now.
func ParseWhen(s string, now time.Time, loc *time.Location) (time.Time, error) {
	if loc == nil {
		loc = time.UTC
	}
	now = now.In(loc)
	in := strings.ToLower(strings.Join(strings.Fields(s), " "))
	if in == "" {
		return time.Time{}, errors.New("type when: " + whenHelp)
	}
	t, err := parseWhen(in, now, loc)
	if err != nil {
		return time.Time{}, fmt.Errorf("can't read %q (%v); try %s", strings.TrimSpace(s), err, whenHelp)
	}
	if !t.After(now) {
		return time.Time{}, fmt.Errorf("%s has passed; pick a later time", t.Format("Mon Jan 2 15:04"))
	}
	return t, nil
}

func parseWhen(in string, now time.Time, loc *time.Location) (time.Time, error) {
	if strings.HasPrefix(in, "+") {
		return relative(in[1:], now)
	}
	if t, err := time.Parse(time.RFC3339, strings.ToUpper(in)); err == nil {
		return t.In(loc), nil
	}
	if len(in) > 10 && isDate(in[:10]) && in[10] == 't' {
		in = in[:10] + " " + in[11:] // 2026-03-04T10:00
	}
	day, clock, _ := strings.Cut(in, " ")
	at := func(d time.Time, clock string) (time.Time, error) {
		h, m := defaultHour, 0
		if clock != "" {
			var err error
			if h, m, err = timeOfDay(clock, true); err != nil {
				return time.Time{}, err
			}
		}
		return time.Date(d.Year(), d.Month(), d.Day(), h, m, 0, 0, loc), nil
	}
	switch {
	case day == "today":
		if clock == "" {
			return time.Time{}, errors.New("today needs a time, e.g. today 16:00")
		}
		return at(now, clock)
	case day == "tomorrow" || day == "tmrw" || day == "tom":
		return at(now.AddDate(0, 0, 1), clock)
	case isDate(day):
		d, err := time.ParseInLocation("2006-01-02", day, loc)
		if err != nil {
			return time.Time{}, errors.New("the date is not a real day")
		}
		return at(d, clock)
	}
	if wd, ok := weekdayNames[day]; ok {
		n := (int(wd) - int(now.Weekday()) + 7) % 7
		if n == 0 {
			n = 7
		}
		return at(now.AddDate(0, 0, n), clock)
	}
	// A time alone: today, or tomorrow when it has passed.
	h, m, err := timeOfDay(in, false)
	if err != nil {
		return time.Time{}, err
	}
	t := time.Date(now.Year(), now.Month(), now.Day(), h, m, 0, 0, loc)
	if !t.After(now) {
		t = time.Date(now.Year(), now.Month(), now.Day()+1, h, m, 0, 0, loc)
	}
	return t, nil
}

// isDate reports whether s looks like YYYY-MM-DD.
func isDate(s string) bool {
	return len(s) == 10 && s[4] == '-' && s[7] == '-'
}

// relative reads "2h", "90m", "3d", "1w", "1d4h" (no sign) and adds it to now.
func relative(s string, now time.Time) (time.Time, error) {
	s = strings.ReplaceAll(s, " ", "")
	if s == "" {
		return time.Time{}, errors.New("+ needs an amount, e.g. +2h")
	}
	var days int
	var dur time.Duration
	for s != "" {
		i := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == 0 || i == len(s) {
			return time.Time{}, errors.New("write amounts like 2h, 30m, 3d or 1w")
		}
		n, err := strconv.Atoi(s[:i])
		if err != nil || n > 10000 {
			return time.Time{}, errors.New("the amount is too large")
		}
		switch s[i] {
		case 'm':
			dur += time.Duration(n) * time.Minute
		case 'h':
			dur += time.Duration(n) * time.Hour
		case 'd':
			days += n
		case 'w':
			days += 7 * n
		default:
			return time.Time{}, fmt.Errorf("unit %q: use m, h, d or w", s[i:i+1])
		}
		s = s[i+1:]
	}
	if days > 3660 {
		return time.Time{}, errors.New("the amount is too large")
	}
	return now.AddDate(0, 0, days).Add(dur), nil
}

// timeOfDay reads 16:00, 9:05, 9am, 4pm, 4:30pm, 12am (midnight), 12pm (noon); a bare
// hour ("9") only when bareHour is set (after a day: "tomorrow 9").
func timeOfDay(s string, bareHour bool) (h, m int, err error) {
	bad := fmt.Errorf("%q is not a time of day such as 9:00, 16:30 or 4pm", s)
	half := ""
	switch {
	case strings.HasSuffix(s, "am"), strings.HasSuffix(s, "pm"):
		half, s = s[len(s)-2:], strings.TrimSpace(s[:len(s)-2])
	}
	hs, ms, hasMin := strings.Cut(s, ":")
	if !hasMin {
		hs, ms, hasMin = strings.Cut(s, ".")
	}
	if hs == "" || len(hs) > 2 {
		return 0, 0, bad
	}
	if h, err = strconv.Atoi(hs); err != nil {
		return 0, 0, bad
	}
	if hasMin {
		if len(ms) != 2 {
			return 0, 0, bad
		}
		if m, err = strconv.Atoi(ms); err != nil || m > 59 {
			return 0, 0, bad
		}
	} else if half == "" && !bareHour {
		return 0, 0, bad
	}
	switch half {
	case "am", "pm":
		if h < 1 || h > 12 {
			return 0, 0, bad
		}
		h %= 12
		if half == "pm" {
			h += 12
		}
	default:
		if h > 23 {
			return 0, 0, bad
		}
	}
	return h, m, nil
}
