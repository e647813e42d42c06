package home

import (
	"testing"
	"time"

	"github.com/pacer-sales/pacer/ui/uitest"
)

// BenchmarkHomeKey measures one key press on a grid of 10,000 sequences: Update and the
// View that follows, at 120×30 (SPEC §9: < 5 ms per key for sort, filter, search and
// reorder). Each op is one key.
func BenchmarkHomeKey(b *testing.B) {
	cases := []struct {
		name  string
		setup []string
		keys  []string
	}{
		// s on Status (again: reverse), then on Steps.
		{"sort", []string{"l", "l", "l"}, []string{"s", "s", "l", "l", "s", "s", "h", "h"}},
		// f opens the picker of Status, space checks the first value, enter applies; the
		// next round unchecks it.
		{"filter", []string{"l", "l", "l"}, []string{"f", "space", "enter"}},
		// f on Name: the picker lists 10,000-ish values (windowed).
		{"filter-name", nil, []string{"f", "space", "enter"}},
		{"clear-filters", []string{"l", "l", "l", "f", "space", "enter"}, []string{"F", "f", "space", "enter"}},
		// Typing in the search box, and deleting again.
		{"search", []string{"/"}, []string{"o", "u", "t", "backspace", "backspace", "backspace"}},
		{"reorder", []string{"l"}, []string{">", ">", "<", "<"}},
		{"cursor", nil, []string{"j", "j", "j", "k"}},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			m := bigScreen(b, 10000, 120, 30)
			for _, k := range c.setup {
				m.Update(uitest.Key(k))
			}
			i := 0
			for b.Loop() {
				m.Update(uitest.Key(c.keys[i%len(c.keys)]))
				_ = m.View()
				i++
			}
		})
	}
}

// BenchmarkHomeLoad measures what a load of 10,000 sequences costs besides reading them:
// the cell texts, search texts, every column's sorted orders and filter values. It runs in
// a command, off the update loop.
func BenchmarkHomeLoad(b *testing.B) {
	rows := randomRows(10000, 4)
	for b.Loop() {
		newRowSet(rows, time.UTC)
	}
}
