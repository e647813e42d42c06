package holidays

import (
	"testing"
	"time"

	"github.com/pacer-sales/pacer/store"
)

func TestOffCountsObservedDaysAndOwnDays(t *testing.T) {
	s := New("US", []store.Holiday{{Date: "2026-12-24", Name: "Christmas Eve"}, {Date: "bad", Name: "ignored"}})
	for _, c := range []struct {
		y    int
		m    time.Month
		d    int
		name string
		off  bool
	}{
		{2026, time.November, 26, "Thanksgiving Day", true},
		{2026, time.July, 3, "Independence Day", true}, // the 4th is a Saturday
		{2026, time.July, 4, "", false},
		{2026, time.December, 24, "Christmas Eve", true},
		{2026, time.December, 23, "", false},
		{2021, time.December, 31, "New Year's Day", true}, // 2022's, observed in 2021
	} {
		name, off := s.Off(c.y, c.m, c.d)
		if off != c.off || name != c.name {
			t.Errorf("Off(%d-%02d-%02d) = %q, %v; want %q, %v", c.y, c.m, c.d, name, off, c.name, c.off)
		}
	}
}

func TestRegionsAndNone(t *testing.T) {
	if !Known("de-by") || !Known("us") || Known("de-zz") || Known("") {
		t.Fatal("Known is wrong for de-by, us, de-zz or the empty code")
	}
	by, de := New("de-by", nil), New("de", nil)
	if _, off := by.Off(2026, time.January, 6); !off {
		t.Error("Epiphany is a holiday in Bavaria")
	}
	if _, off := de.Off(2026, time.January, 6); off {
		t.Error("Epiphany is not a national holiday in Germany")
	}
	if New("", nil) != nil {
		t.Error("no region and no own days should be the nil set")
	}
	var none *Set
	if _, off := none.Off(2026, time.January, 1); off || none.Year(2026) != nil {
		t.Error("the nil set has days off")
	}
}

func TestYearListsInDateOrder(t *testing.T) {
	days := New("us", []store.Holiday{{Date: "2026-11-26", Name: "Our Thanksgiving"}, {Date: "2026-02-02", Name: "Groundhog"}}).Year(2026)
	if len(days) < 10 || days[0].Date != "2026-01-01" {
		t.Fatalf("Year(2026) starts %+v", days[:2])
	}
	for i := 1; i < len(days); i++ {
		if days[i-1].Date >= days[i].Date {
			t.Fatalf("not in date order without repeats: %+v then %+v", days[i-1], days[i])
		}
	}
	for _, d := range days {
		if d.Date == "2026-11-26" && (d.Name != "Our Thanksgiving" || !d.Own) {
			t.Fatalf("the org's own day replaces the public one of its date: %+v", d)
		}
	}
}
