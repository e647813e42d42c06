package mail

import (
	"regexp"
	"strconv"
	"strings"
	"time"
)

// maxReturnText bounds how much of an automatic reply ReturnDate reads.
const maxReturnText = 8 << 10

// maxAway is how far ahead a return date may be; a later one is taken for a misreading.
const maxAway = 366 * 24 * time.Hour

// months are the month names and abbreviations of English and German, lower case.
var months = map[string]time.Month{
	"january": 1, "jan": 1, "januar": 1, "jänner": 1,
	"february": 2, "feb": 2, "februar": 2,
	"march": 3, "mar": 3, "märz": 3, "maerz": 3, "mrz": 3,
	"april": 4, "apr": 4,
	"may": 5, "mai": 5,
	"june": 6, "jun": 6, "juni": 6,
	"july": 7, "jul": 7, "juli": 7,
	"august": 8, "aug": 8,
	"september": 9, "sep": 9, "sept": 9,
	"october": 10, "oct": 10, "oktober": 10, "okt": 10,
	"november": 11, "nov": 11,
	"december": 12, "dec": 12, "dezember": 12, "dez": 12,
}

// weekdays are the day names of English and German, lower case.
var weekdays = map[string]time.Weekday{
	"sunday": 0, "sonntag": 0, "monday": 1, "montag": 1, "tuesday": 2, "dienstag": 2,
	"wednesday": 3, "mittwoch": 3, "thursday": 4, "donnerstag": 4, "friday": 5, "freitag": 5,
	"saturday": 6, "samstag": 6, "sonnabend": 6,
}

// returnRE finds a phrase that names a return date: a keyword ("until", "back on", "bis",
// "zurück am", …), then a date: 2026-12-14, 14.12.2026, 14.12., 14 December [2026],
// December 14[th][, 2026], or a weekday alone. Group "incl" is set for the keywords that
// name the last day away ("through", "bis einschließlich") rather than the day back.
var returnRE = func() *regexp.Regexp {
	month := `(?P<month>` + alternatives(months) + `)\.?`
	weekday := `(?P<wday>` + alternatives(weekdays) + `)`
	date := `(?:(?P<iy>\d{4})-(?P<im>\d{1,2})-(?P<id>\d{1,2})` +
		`|(?P<nd>\d{1,2})\.(?P<nm>\d{1,2})\.(?P<ny>\d{2,4})?` +
		`|(?P<dd>\d{1,2})(?:st|nd|rd|th|\.)?\s+(?:of\s+)?` + month + `(?:,?\s+(?P<dy>\d{4}))?` +
		`|` + strings.ReplaceAll(month, "month", "month2") + `\s+(?P<md>\d{1,2})(?:st|nd|rd|th)?(?:,?\s+(?P<my>\d{4}))?` +
		`|` + weekday + `)`
	until := `(?:until|till|til|bis(?:\s+(?:zum|zur))?|(?P<incl>through|thru|bis\s+(?:einschließlich|einschl\.|inklusive|inkl\.)))`
	back := `(?:back(?:\s+in(?:\s+the)?\s+office)?(?:\s+(?:on|from))?|return(?:ing)?(?:\s+(?:on|to\s+the\s+office\s+on))?|in\s+the\s+office\s+(?:again\s+)?(?:on|from)|zurück(?:\s+(?:am|ab))?|wieder\s+(?:am|ab)|ab)`
	return regexp.MustCompile(`(?i)\b(?:` + until + `|` + back + `)\s+(?:(?:the|on|am|dem|den)\s+)?(?:` +
		strings.ReplaceAll(weekday, "wday", "wday2") + `,?\s+(?:the\s+|den\s+)?)?` + date)
}()

// alternatives is the names of m, longest first, as a regexp alternation.
func alternatives[V any](m map[string]V) string {
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, regexp.QuoteMeta(k))
	}
	// Longest first, so "september" wins over "sep".
	for i := range names {
		for j := i + 1; j < len(names); j++ {
			if len(names[j]) > len(names[i]) || (len(names[j]) == len(names[i]) && names[j] < names[i]) {
				names[i], names[j] = names[j], names[i]
			}
		}
	}
	return strings.Join(names, "|")
}

// ReturnDate reads the date an automatic reply says its sender is back ("I am out of the
// office until 14 December", "back on 2026-12-14", "bis zum 14.12.", "ab Montag wieder"):
// the day back, at midnight in loc: the date named ("until 14 December" is read as back on
// the 14th), the day after for an inclusive one ("through", "bis einschließlich"). A date
// without a year is the next one from now. It also returns the phrase it read. A date in the past or more than a year ahead, or none, is false.
func ReturnDate(text string, now time.Time, loc *time.Location) (time.Time, string, bool) {
	if len(text) > maxReturnText {
		text = text[:maxReturnText]
	}
	now = now.In(loc)
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, loc)
	for _, m := range returnRE.FindAllStringSubmatchIndex(text, 8) {
		g := func(name string) string {
			i := returnRE.SubexpIndex(name)
			if m[2*i] < 0 {
				return ""
			}
			return strings.ToLower(text[m[2*i]:m[2*i+1]])
		}
		day, ok := dateOf(g, today)
		if !ok {
			continue
		}
		if g("incl") != "" {
			day = day.AddDate(0, 0, 1)
		}
		if !day.After(today) || day.Sub(today) > maxAway {
			continue
		}
		return day, strings.Join(strings.Fields(text[m[0]:m[1]]), " "), true
	}
	return time.Time{}, "", false
}

// dateOf reads the date of one match (g gives its groups), a year-less one the next from
// today on.
func dateOf(g func(string) string, today time.Time) (time.Time, bool) {
	num := func(s string) int { n, _ := strconv.Atoi(s); return n }
	var y, d int
	var mo time.Month
	switch {
	case g("iy") != "":
		y, mo, d = num(g("iy")), time.Month(num(g("im"))), num(g("id"))
	case g("nd") != "":
		y, mo, d = num(g("ny")), time.Month(num(g("nm"))), num(g("nd"))
		if y > 0 && y < 100 {
			y += 2000
		}
	case g("dd") != "":
		y, mo, d = num(g("dy")), months[g("month")], num(g("dd"))
	case g("md") != "":
		y, mo, d = num(g("my")), months[g("month2")], num(g("md"))
	case g("wday") != "":
		ahead := (int(weekdays[g("wday")]) - int(today.Weekday()) + 7) % 7
		if ahead == 0 {
			ahead = 7
		}
		return today.AddDate(0, 0, ahead), true
	default:
		return time.Time{}, false
	}
	if mo < 1 || mo > 12 || d < 1 || d > 31 {
		return time.Time{}, false
	}
	yearless := y == 0
	if yearless {
		y = today.Year()
	}
	t := time.Date(y, mo, d, 0, 0, 0, 0, today.Location())
	if t.Day() != d {
		return time.Time{}, false // 31 April
	}
	if yearless && t.Before(today) {
		t = time.Date(y+1, mo, d, 0, 0, 0, 0, today.Location())
	}
	return t, true
}
