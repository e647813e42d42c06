package engine

import (
	"context"
	"fmt"
	netmail "net/mail"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/pacer-sales/pacer/engine/holidays"
	"github.com/pacer-sales/pacer/engine/limits"
	"github.com/pacer-sales/pacer/engine/mail"
	"github.com/pacer-sales/pacer/engine/sequence"
	"github.com/pacer-sales/pacer/store"
)

// setting is one org setting: its key, how its text form is read into the settings and
// written back, and whether its value holds a secret (shown masked, to admins only).
type setting struct {
	key    string
	parse  func(s *store.Settings, v string) error
	format func(s store.Settings) string
	secret bool
}

// settings is the one table of org settings, in display order.
var settings = []setting{
	{key: "active_limit", parse: parseActiveLimit, format: func(s store.Settings) string { return strconv.Itoa(s.ActiveLimit) }},
	{key: "max_wait", parse: parseMaxWait, format: func(s store.Settings) string { return sequence.FormatDuration(s.MaxWait) }},
	{key: "workdays", parse: parseWorkdays, format: func(s store.Settings) string { return FormatWeekdays(s.Workdays) }},
	{key: "workhours", parse: parseWorkhours, format: func(s store.Settings) string { return formatClock(s.WorkStart) + "-" + formatClock(s.WorkEnd) }},
	{key: "timezone", parse: parseTimeZone, format: func(s store.Settings) string { return s.TimeZone }},
	{key: "call_outcomes", parse: parseCallOutcomes, format: func(s store.Settings) string { return strings.Join(s.CallOutcomes, ",") }},
	{key: "smtp_url", parse: parseSMTPURL, format: func(s store.Settings) string { return MaskURL(s.SMTPURL) }, secret: true},
	{key: "from", parse: parseFrom, format: func(s store.Settings) string { return s.FromAddress }},
	{key: "tracking_url", parse: parseTrackingURL, format: func(s store.Settings) string { return s.TrackingURL }},
	{key: "imap_url", parse: parseIMAPURL, format: func(s store.Settings) string { return MaskURL(s.IMAPURL) }, secret: true},
	{key: "bounce_domain", parse: parseBounceDomain, format: func(s store.Settings) string { return s.BounceDomain }},
	{key: "dkim_domain", parse: parseDKIMDomain, format: func(s store.Settings) string { return s.DKIMDomain }},
	{key: "dkim_selector", parse: parseDKIMSelector, format: func(s store.Settings) string { return s.DKIMSelector }},
	{key: "dkim_key_file", parse: parseDKIMKeyFile, format: func(s store.Settings) string { return s.DKIMKeyFile }, secret: true},
	{key: "holidays", parse: parseHolidays, format: func(s store.Settings) string { return s.Holidays }},
	{key: "max_per_hour", parse: parseMaxPerHour, format: func(s store.Settings) string { return strconv.Itoa(s.MaxPerHour) }},
	{key: "max_per_day", parse: parseMaxPerDay, format: func(s store.Settings) string { return strconv.Itoa(s.MaxPerDay) }},
	{key: "min_spacing", parse: parseMinSpacing, format: func(s store.Settings) string { return formatSpacing(s.MinSpacing) }},
}

// SettingKeys are the keys `pacer settings KEY VALUE` accepts, in display order.
var SettingKeys = func() []string {
	keys := make([]string, len(settings))
	for i, st := range settings {
		keys[i] = st.key
	}
	return keys
}()

// Settings returns the org settings. Any user may read them, but secrets never leave the
// engine in full: admins see them masked (smtp_url's password as ****), everyone else without
// the credentials at all. The engine itself reads the stored settings.
func (e *Engine) Settings(ctx context.Context, by string) (store.Settings, error) {
	var s store.Settings
	err := e.view(ctx, func(tx store.Tx) error {
		u, err := actor(tx, by)
		if err != nil {
			return err
		}
		if s, err = tx.Settings(); err != nil {
			return err
		}
		if u.Has(store.RoleAdmin) {
			s.SMTPURL, s.IMAPURL = MaskURL(s.SMTPURL), MaskURL(s.IMAPURL)
		} else {
			s.SMTPURL, s.IMAPURL = stripCredentials(s.SMTPURL), stripCredentials(s.IMAPURL)
			if s.DKIMKeyFile != "" {
				s.DKIMKeyFile = "configured"
			}
		}
		return nil
	})
	return s, err
}

// SetSetting changes one org setting from its text form. Only admins may.
func (e *Engine) SetSetting(ctx context.Context, by, key, value string) error {
	st, ok := settingByKey(key)
	if !ok {
		return invalid("unknown setting %q (known: %s)", clip(key, 40), strings.Join(SettingKeys, ", "))
	}
	value = strings.TrimSpace(value)
	if err := limits.Text(key, value, limits.FieldValue, false); err != nil {
		return invalid("%s", err)
	}
	return e.update(ctx, func(tx store.Tx) error {
		if _, err := requireAdmin(tx, by, "change org settings"); err != nil {
			return err
		}
		s, err := tx.Settings()
		if err != nil {
			return err
		}
		if err := st.parse(&s, value); err != nil {
			return err
		}
		return tx.PutSettings(s)
	})
}

// SecretSetting reports whether a setting holds a secret (smtp_url, imap_url, where the DKIM
// key is): Settings
// gives it masked, and a screen asks for the whole new value instead of editing the old.
func SecretSetting(key string) bool {
	st, ok := settingByKey(key)
	return ok && st.secret
}

func settingByKey(key string) (setting, bool) {
	i := slices.IndexFunc(settings, func(st setting) bool { return st.key == key })
	if i < 0 {
		return setting{}, false
	}
	return settings[i], true
}

// SettingValues renders every setting in its text form, in SettingKeys order, secrets masked.
func SettingValues(s store.Settings) [][2]string {
	out := make([][2]string, len(settings))
	for i, st := range settings {
		out[i] = [2]string{st.key, st.format(s)}
	}
	return out
}

func parseActiveLimit(s *store.Settings, v string) error {
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > 1_000_000 {
		return invalid("active_limit %q: want a whole number from 1 to 1000000", v)
	}
	s.ActiveLimit = n
	return nil
}

func parseMaxWait(s *store.Settings, v string) error {
	d, err := sequence.ParseDuration(v)
	if err != nil || d <= 0 || d > 10*365*24*time.Hour {
		return invalid("max_wait %q: want a duration like 30d or 2d12h, at most 3650d", v)
	}
	s.MaxWait = d
	return nil
}

func parseWorkdays(s *store.Settings, v string) error {
	days, err := ParseWeekdays(v)
	if err != nil {
		return invalid("workdays: %s", err)
	}
	s.Workdays = days
	return nil
}

func parseWorkhours(s *store.Settings, v string) error {
	from, to, ok := strings.Cut(v, "-")
	a, errA := clockMinutes(from)
	b, errB := clockMinutes(to)
	if !ok || errA != nil || errB != nil || a >= b {
		return invalid("workhours %q: want HH:MM-HH:MM with the start before the end", v)
	}
	s.WorkStart, s.WorkEnd = a, b
	return nil
}

func parseTimeZone(s *store.Settings, v string) error {
	if _, err := time.LoadLocation(v); err != nil || v == "" || v == "Local" {
		return invalid("timezone %q: unknown time zone (want an IANA name such as Europe/Paris)", v)
	}
	s.TimeZone = v
	return nil
}

func parseCallOutcomes(s *store.Settings, v string) error {
	var outs []string
	for _, part := range strings.Split(v, ",") {
		o := strings.TrimSpace(part)
		if o == "" {
			continue
		}
		if !usernameRE.MatchString(o) || len(o) > limits.Identifier {
			return invalid("call_outcomes: %q: use lowercase letters, digits, '.', '_' or '-'", clip(o, 40))
		}
		if !slices.Contains(outs, o) {
			outs = append(outs, o)
		}
	}
	if len(outs) == 0 {
		return invalid("call_outcomes: give at least one outcome")
	}
	s.CallOutcomes = outs
	return nil
}

func parseSMTPURL(s *store.Settings, v string) error {
	if v != "" {
		u, err := url.Parse(v)
		if err != nil || (u.Scheme != "smtp" && u.Scheme != "smtps") || u.Host == "" {
			return invalid("smtp_url %q: want smtp://user:pass@host:port or smtps://…", MaskURL(v))
		}
	}
	s.SMTPURL = v
	return nil
}

func parseIMAPURL(s *store.Settings, v string) error {
	if err := checkIMAPURL("imap_url", v); err != nil {
		return err
	}
	s.IMAPURL = v
	return nil
}

// checkIMAPURL refuses a mailbox URL that is not imap:// or imaps:// with a host; "" is
// none. what names the input.
func checkIMAPURL(what, v string) error {
	if v != "" {
		u, err := url.Parse(v)
		if err != nil || (u.Scheme != "imap" && u.Scheme != "imaps") || u.Host == "" {
			return invalid("%s %q: want imap://user:pass@host:port/MAILBOX or imaps://…", what, MaskURL(v))
		}
	}
	return nil
}

// domainRE is a DNS name of letters, digits and hyphens in dot-separated labels.
var domainRE = regexp.MustCompile(`^(?i)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+$`)

func parseBounceDomain(s *store.Settings, v string) error {
	v = strings.ToLower(v)
	if v != "" && (len(v) > 253 || !domainRE.MatchString(v)) {
		return invalid("bounce_domain %q: want a domain name such as bounces.example.com", v)
	}
	s.BounceDomain = v
	return nil
}

func parseDKIMDomain(s *store.Settings, v string) error {
	v = strings.ToLower(v)
	if v != "" && (len(v) > 253 || !domainRE.MatchString(v)) {
		return invalid("dkim_domain %q: want the domain of the From addresses, such as example.com", v)
	}
	s.DKIMDomain = v
	return nil
}

// selectorRE is a DKIM selector: DNS labels.
var selectorRE = regexp.MustCompile(`^(?i)[a-z0-9]([a-z0-9_-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9_-]{0,61}[a-z0-9])?)*$`)

func parseDKIMSelector(s *store.Settings, v string) error {
	v = strings.ToLower(v)
	if v != "" && !selectorRE.MatchString(v) {
		return invalid("dkim_selector %q: want a DNS label such as pacer or s2026", v)
	}
	s.DKIMSelector = v
	return nil
}

// parseDKIMKeyFile takes the path of the DKIM private key once the key in it reads.
func parseDKIMKeyFile(s *store.Settings, v string) error {
	if v != "" {
		if _, err := mail.ReadDKIMKey(v); err != nil {
			return invalid("dkim_key_file: %v", err)
		}
	}
	s.DKIMKeyFile = v
	return nil
}

func parseFrom(s *store.Settings, v string) error {
	if v != "" {
		if _, err := netmail.ParseAddress(v); err != nil {
			return invalid("from %q: not an email address", v)
		}
	}
	s.FromAddress = v
	return nil
}

func parseTrackingURL(s *store.Settings, v string) error {
	if v != "" {
		u, err := url.Parse(v)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return invalid("tracking_url %q: want http(s)://host[/path], the address of pacer serve's HTTP endpoints", v)
		}
	}
	s.TrackingURL = v
	return nil
}

func parseHolidays(s *store.Settings, v string) error {
	v = strings.ToLower(v)
	if v == "none" {
		v = ""
	}
	if v != "" && !holidays.Known(v) {
		return invalid("holidays %q: unknown country or region (want a code such as us, gb, de or de-by, or none; known: %s)", clip(v, 40), strings.Join(holidays.Codes(), ", "))
	}
	s.Holidays = v
	return nil
}

// maxSendLimit bounds max_per_hour and max_per_day.
const maxSendLimit = 1_000_000

func parseSendLimit(key, v string) (int, error) {
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 || n > maxSendLimit {
		return 0, invalid("%s %q: want a whole number from 0 (no limit) to %d", key, v, maxSendLimit)
	}
	return n, nil
}

func parseMaxPerHour(s *store.Settings, v string) (err error) {
	s.MaxPerHour, err = parseSendLimit("max_per_hour", v)
	return err
}

func parseMaxPerDay(s *store.Settings, v string) (err error) {
	s.MaxPerDay, err = parseSendLimit("max_per_day", v)
	return err
}

// maxSpacing bounds min_spacing.
const maxSpacing = 24 * time.Hour

func parseMinSpacing(s *store.Settings, v string) error {
	if v == "0" {
		s.MinSpacing = 0
		return nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 || d > maxSpacing {
		return invalid("min_spacing %q: want a duration such as 30s, 2m or 1h30m, from 0 to 24h", v)
	}
	s.MinSpacing = d
	return nil
}

func formatSpacing(d time.Duration) string {
	if d == 0 {
		return "0"
	}
	return d.String()
}

// weekdayNames are the three-letter day names, Sunday first (time.Weekday order).
var weekdayNames = []string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}

// fullWeekdayNames are the whole day names, Sunday first.
var fullWeekdayNames = []string{"sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"}

// ParseWeekdays reads a list of days such as "mon,tue,fri", "mon-fri" or "monday, thursday":
// each item a day's three-letter or whole English name, or a range of two days, in any case.
// The result is in week order without repeats.
func ParseWeekdays(v string) ([]time.Weekday, error) {
	var days []time.Weekday
	for _, part := range strings.Split(v, ",") {
		part = strings.TrimSpace(part)
		from, to, isRange := strings.Cut(part, "-")
		a, okA := weekday(from)
		b, okB := a, okA
		if isRange {
			b, okB = weekday(to)
		}
		if !okA || !okB {
			return nil, fmt.Errorf("%q is not a day or a range of days (want mon,tue,wed,thu,fri,sat,sun or mon-fri)", clip(part, 40))
		}
		for d := a; ; d = (d + 1) % 7 {
			if !slices.Contains(days, d) {
				days = append(days, d)
			}
			if d == b {
				break
			}
		}
	}
	slices.Sort(days)
	return days, nil
}

// weekday reads one day name exactly (ASCII letters only, any case).
func weekday(s string) (time.Weekday, bool) {
	s = strings.TrimSpace(s)
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return 0, false
		}
	}
	s = strings.ToLower(s)
	if i := slices.Index(weekdayNames, s); i >= 0 {
		return time.Weekday(i), true
	}
	if i := slices.Index(fullWeekdayNames, s); i >= 0 {
		return time.Weekday(i), true
	}
	return 0, false
}

// FormatWeekdays writes days as ParseWeekdays reads them.
func FormatWeekdays(days []time.Weekday) string {
	names := make([]string, len(days))
	for i, d := range days {
		names[i] = weekdayNames[d]
	}
	return strings.Join(names, ",")
}

func clockMinutes(s string) (int, error) {
	t, err := time.Parse("15:04", strings.TrimSpace(s))
	if err != nil {
		return 0, err
	}
	return t.Hour()*60 + t.Minute(), nil
}

func formatClock(m int) string { return fmt.Sprintf("%02d:%02d", m/60, m%60) }

// secretParams are the query parameters of a URL that hold secrets.
var secretParams = []string{"password", "pass", "passwd", "pwd", "secret", "token", "api_key", "apikey"}

// MaskURL hides the secrets of a URL: the password of its user information and the values of
// query parameters such as password or token become ****. A value that isn't a URL is
// masked whole after its scheme, and one without a scheme is masked whole.
func MaskURL(raw string) string {
	if raw == "" {
		return ""
	}
	if !strings.Contains(raw, "://") {
		return "****" // not a URL at all: it may be the password alone
	}
	u, err := url.Parse(raw)
	if err != nil {
		scheme, _, _ := strings.Cut(raw, "://")
		return scheme + "://****"
	}
	if u.User != nil {
		if _, has := u.User.Password(); has {
			u.User = url.UserPassword(u.User.Username(), "****")
		}
	}
	if u.RawQuery != "" {
		q := u.Query()
		for k := range q {
			if slices.Contains(secretParams, strings.ToLower(k)) {
				q[k] = []string{"****"}
			}
		}
		u.RawQuery = q.Encode()
	}
	return strings.ReplaceAll(u.String(), "%2A%2A%2A%2A", "****")
}

// stripCredentials keeps only a URL's scheme and host: enough to say that a mail server is
// set, nothing of how to sign in to it.
func stripCredentials(raw string) string {
	if raw == "" {
		return ""
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "configured"
	}
	return u.Scheme + "://" + u.Host
}
