// Package holidays knows the public holidays of countries and their regions (from
// github.com/rickar/cal/v2) and the org's own days off, and answers whether a day is one.
package holidays

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/rickar/cal/v2"

	"github.com/pacer-sales/pacer/store"
)

// Known reports whether code (a country, "us", or a country and region, "de-by", any
// case) names a public holiday list.
func Known(code string) bool {
	_, ok := regions[strings.ToLower(code)]
	return ok
}

// Codes returns every known code, sorted.
func Codes() []string {
	out := make([]string, 0, len(regions))
	for k := range regions {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// DateLayout is how a day is written: 2026-11-26.
const DateLayout = "2006-01-02"

// ParseDate reads a day written as DateLayout.
func ParseDate(s string) (time.Time, error) {
	t, err := time.Parse(DateLayout, strings.TrimSpace(s))
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is not a date (want YYYY-MM-DD)", s)
	}
	return t, nil
}

// day packs a date as yyyymmdd.
type day int32

func dayOf(y int, m time.Month, d int) day { return day(y*10000 + int(m)*100 + d) }

// Set is the days off of a calendar: the public holidays of a region and the org's own
// days. Its methods may be called from several goroutines; the nil Set has no days off.
type Set struct {
	public []*cal.Holiday
	own    map[day]string
	mu     sync.Mutex
	years  map[int]map[day]string
}

// New returns the set of the public holidays of region (a known code, else none) and the
// org's own days (those whose date can't be read are left out).
func New(region string, own []store.Holiday) *Set {
	s := &Set{public: regions[strings.ToLower(region)]}
	for _, h := range own {
		t, err := ParseDate(h.Date)
		if err != nil {
			continue
		}
		if s.own == nil {
			s.own = map[day]string{}
		}
		y, m, d := t.Date()
		s.own[dayOf(y, m, d)] = h.Name
	}
	if s.public == nil && s.own == nil {
		return nil
	}
	return s
}

// Off returns the name of the holiday on a day, and whether there is one. A public holiday
// counts on the day it is observed (a Saturday's holiday moved to Friday is off on Friday).
func (s *Set) Off(y int, m time.Month, d int) (string, bool) {
	if s == nil {
		return "", false
	}
	k := dayOf(y, m, d)
	if n, ok := s.own[k]; ok {
		return n, true
	}
	if len(s.public) == 0 {
		return "", false
	}
	n, ok := s.year(y)[k]
	return n, ok
}

// year returns the public holidays of a year by day, computed once.
func (s *Set) year(y int) map[day]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if days, ok := s.years[y]; ok {
		return days
	}
	days := map[day]string{}
	for _, h := range s.public {
		// A holiday observed on another day than its own can move into the next or the
		// previous year; both years' dates are looked at.
		for _, yy := range []int{y - 1, y, y + 1} {
			_, obs := h.Calc(yy)
			if obs.IsZero() || obs.Year() != y {
				continue
			}
			oy, om, od := obs.Date()
			if _, seen := days[dayOf(oy, om, od)]; !seen {
				days[dayOf(oy, om, od)] = h.Name
			}
		}
	}
	if s.years == nil {
		s.years = map[int]map[day]string{}
	}
	s.years[y] = days
	return days
}

// Day is one day off of a year.
type Day struct {
	Date string `json:"date"`
	Name string `json:"name"`
	// Own is set for the org's own days, clear for public holidays.
	Own bool `json:"own"`
}

// Year lists the days off of a year in date order.
func (s *Set) Year(y int) []Day {
	if s == nil {
		return nil
	}
	var out []Day
	for k, n := range s.own {
		if int(k)/10000 == y {
			out = append(out, Day{Date: k.String(), Name: n, Own: true})
		}
	}
	if len(s.public) > 0 {
		for k, n := range s.year(y) {
			if _, own := s.own[k]; !own {
				out = append(out, Day{Date: k.String(), Name: n})
			}
		}
	}
	slices.SortFunc(out, func(a, b Day) int { return strings.Compare(a.Date, b.Date) })
	return out
}

func (k day) String() string {
	return fmt.Sprintf("%04d-%02d-%02d", int(k)/10000, int(k)/100%100, int(k)%100)
}
