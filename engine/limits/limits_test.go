package limits

import (
	"testing"
	"time"
)

func TestTooLargeNamesTheLimit(t *testing.T) {
	cases := []struct {
		what string
		n    int
		unit string
		want string
	}{
		{"the sequence file", SequenceFile, "bytes", "the sequence file is too large: the limit is 4 MiB"},
		{"the body", TemplateBody, "bytes", "the body is too large: the limit is 256 KiB"},
		{"the name", Name, "bytes", "the name is too large: the limit is 200 bytes"},
		{"the sequence", Steps, "steps", "the sequence is too large: the limit is 1000 steps"},
	}
	for _, c := range cases {
		if got := TooLarge(c.what, c.n, c.unit).Error(); got != c.want {
			t.Errorf("TooLarge(%q) = %q, want %q", c.what, got, c.want)
		}
	}
}

func TestText(t *testing.T) {
	cases := []struct {
		s         string
		multiline bool
		want      string
	}{
		{"Acme Corp", false, ""},
		{"two\nlines", true, ""},
		{"two\nlines", false, "the name contains the control character U+000A, which pacer does not accept"},
		{"x\x1b]52;c;aGk=\a", false, "the name contains the control character U+001B, which pacer does not accept"},
		{"x\u009b2J", true, "the name contains the control character U+009B, which pacer does not accept"},
		{"caf\xe9", false, "the name is not valid UTF-8 text"},
		{string(make([]byte, Name+1)), false, "the name is too large: the limit is 200 bytes"},
	}
	for _, c := range cases {
		err := Text("the name", c.s, Name, c.multiline)
		got := ""
		if err != nil {
			got = err.Error()
		}
		if got != c.want {
			t.Errorf("Text(%q) = %q, want %q", c.s, got, c.want)
		}
	}
}

func TestTime(t *testing.T) {
	for _, ok := range []time.Time{Earliest, time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC), Latest.Add(-time.Nanosecond)} {
		if err := Time("the clock", ok); err != nil {
			t.Errorf("Time(%s) = %v, want nil", ok, err)
		}
	}
	for _, bad := range []time.Time{Latest, time.Date(2262, 4, 12, 0, 0, 0, 0, time.UTC), time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC), Earliest.Add(-time.Nanosecond)} {
		err := Time("the clock", bad)
		want := "the clock " + bad.UTC().Format(time.RFC3339) + " is out of range: pacer works with times from 1970-01-01 until 2200-01-01"
		if err == nil || err.Error() != want {
			t.Errorf("Time(%s) = %v, want %q", bad, err, want)
		}
	}
}
