// Package limits holds the size limits of everything pacer accepts (SPEC §10): files,
// names, fields, bodies, payloads, steps and terminal sizes. Every input is checked against
// these before it is held in memory, and an input over a limit is refused with an error that
// names the input and the limit. The README's "Limits" section lists the same numbers.
package limits

import (
	"fmt"
	"time"
	"unicode/utf8"
)

// Sizes of whole inputs, in bytes.
const (
	// SequenceFile is the largest sequence file (YAML) read by seq import/validate or over
	// any front end.
	SequenceFile = 4 << 20
	// SequenceItems bounds the lines plus flow separators (",", "[", "{") of a sequence file,
	// checked before the YAML is read: a file of tiny flow items would otherwise make the
	// YAML reader build millions of nodes within SequenceFile.
	SequenceItems = 200_000
	// CSVFile is the largest CSV file record import reads.
	CSVFile = 128 << 20
	// TemplateBody is the largest template body (each of text and HTML).
	TemplateBody = 256 << 10
	// HTTPBody is the largest request body the HTTP endpoints read.
	HTTPBody = 64 << 10
	// SocketRequest is the largest request (command line, environment, directory) a second
	// local process may send to the running pacer through its socket.
	SocketRequest = 64 << 10
	// InboundMail is the largest message of a watched mailbox pacer reads (replies and
	// bounces); only its first InboundMail bytes are fetched and parsed.
	InboundMail = 256 << 10
)

// Sizes of single values, in bytes.
const (
	// Name bounds a name: sequence, step, record, user display name, team, template, tag,
	// segment, subject.
	Name = 200
	// Identifier bounds an id or key: username, record id, entity, field name, step id.
	Identifier = 100
	// Description bounds a sequence's or step's description.
	Description = 4 << 10
	// FieldValue bounds one record field value, email, phone or note.
	FieldValue = 16 << 10
	// Fields bounds the number of free fields of one record.
	Fields = 200
	// CSVRows bounds the rows of one CSV import.
	CSVRows = 1_000_000
	// Tags bounds the number of tags of one sequence.
	Tags = 50
	// SSHKey bounds one public key line.
	SSHKey = 16 << 10
	// OrgHolidays bounds the org's own days off, and TimeOff one user's periods of time off.
	OrgHolidays = 1000
	TimeOff     = 200
)

// Sequence shape.
const (
	// Steps bounds the steps of one sequence, counted over every branch.
	Steps = 1000
)

// Times the engine works with: its clock and every time given to it (--now, PACER_NOW, the
// time of an email event, a snooze) lie in [Earliest, Latest). The store keeps times as
// nanoseconds since 1970, which run out in April 2262; Latest leaves room after it for the
// longest wait.
var (
	Earliest = time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC)
	Latest   = time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC)
)

// EventSkew is how far the time of a reported email event may be into the future (by the
// engine's clock), or before its message was sent: clocks of mail relays and trackers differ
// a little, not by more.
const EventSkew = 5 * time.Minute

// Time checks that t lies in [Earliest, Latest); the error names what and the range.
func Time(what string, t time.Time) error {
	if t.Before(Earliest) || !t.Before(Latest) {
		return fmt.Errorf("%s %s is out of range: pacer works with times from %s until %s",
			what, t.UTC().Format(time.RFC3339), Earliest.Format("2006-01-02"), Latest.Format("2006-01-02"))
	}
	return nil
}

// Terminal sizes a session may ask for (pty requests and resizes). Larger requests are
// clamped to these.
const (
	TermCols = 500
	TermRows = 300
)

// TooLarge is the error for an input over its limit: what, and the limit with its unit.
func TooLarge(what string, limit int, unit string) error {
	return fmt.Errorf("%s is too large: the limit is %s", what, Format(limit, unit))
}

// Format writes a limit for people: bytes as KiB or MiB when they divide evenly, other
// units as a count.
func Format(n int, unit string) string {
	if unit != "bytes" {
		return fmt.Sprintf("%d %s", n, unit)
	}
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

// Text checks one value a user typed: valid UTF-8, at most max bytes, and free of terminal
// control characters (C0, DEL and C1: ESC, BEL, CSI … could otherwise reach another user's
// terminal). Newlines and tabs are allowed only when multiline is true. The error names what.
func Text(what, s string, max int, multiline bool) error {
	if len(s) > max {
		return TooLarge(what, max, "bytes")
	}
	if !utf8.ValidString(s) {
		return fmt.Errorf("%s is not valid UTF-8 text", what)
	}
	for _, r := range s {
		if (r == '\n' || r == '\t') && multiline {
			continue
		}
		if isControl(r) {
			return fmt.Errorf("%s contains the control character %U, which pacer does not accept", what, r)
		}
	}
	return nil
}

// isControl reports whether r is a terminal control character: C0 (including newline and
// tab), DEL or C1.
func isControl(r rune) bool {
	return r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0)
}

// Screen pages.
const (
	// Page bounds the rows one page of a listing (the Records screen) reads at a time.
	Page = 500
)
