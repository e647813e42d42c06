package mail_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pacer-sales/pacer/engine/mail"
)

// now is a Wednesday.
var now = time.Date(2026, time.December, 2, 15, 4, 0, 0, time.UTC)

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

func TestReturnDateFixtures(t *testing.T) {
	for name, want := range map[string]time.Time{
		"en-until.txt":       day(2026, 12, 14),
		"en-iso.txt":         day(2026, 12, 14),
		"en-month-first.txt": day(2026, 12, 21),
		"de-numeric.txt":     day(2026, 12, 14),
		"de-month.txt":       day(2026, 12, 15),
		"de-inclusive.txt":   day(2026, 12, 14),
		"no-date.txt":        {},
	} {
		b, err := os.ReadFile(filepath.Join("testdata", "returndate", name))
		if err != nil {
			t.Fatal(err)
		}
		got, phrase, ok := mail.ReturnDate(string(b), now, time.UTC)
		if ok != !want.IsZero() || !got.Equal(want) {
			t.Errorf("%s: %v %q %v, want %v", name, got, phrase, ok, want)
		}
		if ok && !strings.Contains(string(b), strings.Fields(phrase)[0]) {
			t.Errorf("%s: phrase %q is not from the text", name, phrase)
		}
	}
}

func TestReturnDateForms(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		text string
		want time.Time
	}{
		{"I am away until Monday.", day(2026, 12, 7)},
		{"Back on Wednesday", day(2026, 12, 9)}, // today is Wednesday: the next one
		{"out until 5 January", day(2027, 1, 5)},
		{"OUT UNTIL THE 3RD OF JANUARY", day(2027, 1, 3)},
		{"back in the office on Dec 10", day(2026, 12, 10)},
		{"I'm off through December 20th", day(2026, 12, 21)},
		{"returning 2026-12-14", day(2026, 12, 14)},
		{"zurück am 10. Dez.", day(2026, 12, 10)},
		{"Ab Montag wieder im Büro", day(2026, 12, 7)},
		{"bis 14.12.26 im Urlaub", day(2026, 12, 14)},
		{"until 1 December 2026", time.Time{}}, // past
		{"until 2 December", time.Time{}},      // today: no pause
		{"until 14 December 2028", time.Time{}},
		{"until 31 April", time.Time{}},
		{"until 14.13.2026", time.Time{}},
		{"from 1 to 14 December", time.Time{}},
		{"I will reply soon.", time.Time{}},
		{"", time.Time{}},
	} {
		got, phrase, ok := mail.ReturnDate(c.text, now, time.UTC)
		if ok != !c.want.IsZero() || !got.Equal(c.want) {
			t.Errorf("%q: %v %q %v, want %v", c.text, got, phrase, ok, c.want)
		}
	}
	got, _, ok := mail.ReturnDate("back on 2026-12-14", now, berlin)
	if !ok || !got.Equal(time.Date(2026, 12, 14, 0, 0, 0, 0, berlin)) {
		t.Errorf("in Berlin: %v", got)
	}
	// Only the start of a long reply is read.
	if _, _, ok := mail.ReturnDate(strings.Repeat("x ", 10<<10)+"until 14 December", now, time.UTC); ok {
		t.Error("a date past the read limit was found")
	}
}

// An automatic reply's text is read (its HTML part when it has no text part), so the date
// can be found; other messages' bodies are not read.
func TestReadInboundAutoReplyText(t *testing.T) {
	in := readFixture(t, "ooo-html.eml")
	if !in.Auto || !strings.Contains(in.Text, "bis zum 14.12.2026") || strings.Contains(in.Text, "<b>") {
		t.Fatalf("auto reply %+v", in)
	}
	if got, _, ok := mail.ReturnDate(in.Text, now, time.UTC); !ok || !got.Equal(day(2026, 12, 14)) {
		t.Errorf("ReturnDate = %v, %v", got, ok)
	}
	if in := readFixture(t, "reply.eml"); in.Text != "" {
		t.Errorf("a reply's text was read: %q", in.Text)
	}
}

// FuzzReturnDate: any text is read without panicking, and a date found is a midnight after
// today and within a year.
func FuzzReturnDate(f *testing.F) {
	names, err := filepath.Glob(filepath.Join("testdata", "returndate", "*.txt"))
	if err != nil || len(names) == 0 {
		f.Fatalf("no seeds: %v", err)
	}
	for _, n := range names {
		b, err := os.ReadFile(n)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(b))
	}
	f.Fuzz(func(t *testing.T, text string) {
		got, phrase, ok := mail.ReturnDate(text, now, time.UTC)
		if !ok {
			return
		}
		today := day(2026, 12, 2)
		if !got.After(today) || got.Sub(today) > 367*24*time.Hour || got.Hour() != 0 || phrase == "" {
			t.Fatalf("ReturnDate(%q) = %v, %q", text, got, phrase)
		}
	})
}
