package home

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/pacer-sales/pacer/engine"
	"github.com/pacer-sales/pacer/ui/common"
	"github.com/pacer-sales/pacer/ui/components/grid"
	"github.com/pacer-sales/pacer/ui/uitest"
)

// randomRows makes n grid rows with many ties in every column, mixed case and empty values.
func randomRows(n int, seed uint64) []engine.SeqRow {
	rng := rand.New(rand.NewPCG(seed, 99))
	words := []string{"Outbound", "outbound", "webinar", "Demo", "renewal", "event", "Follow-up", "", "Ünïcode", "zeta"}
	owners := []string{"admin", "dana.whitfield", "sam.okafor", "Priya"}
	entities := []string{"lead", "opportunity", "account", "contact", "partner"}
	tags := []string{"outbound", "Nurture", "meetings", "demo"}
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	rows := make([]engine.SeqRow, n)
	for i := range rows {
		s := engine.Sequence{
			Name:        words[rng.IntN(len(words))] + " " + words[rng.IntN(len(words))],
			Description: words[rng.IntN(len(words))] + " and " + words[rng.IntN(len(words))],
			Entity:      entities[rng.IntN(len(entities))],
			State:       engine.StateDraft,
			Owner:       owners[rng.IntN(len(owners))],
			Steps:       rng.IntN(6),
			ModifiedAt:  base.Add(time.Duration(rng.IntN(5)) * time.Hour),
		}
		switch rng.IntN(3) {
		case 1:
			s.State = engine.StateActive
		case 2:
			s.State = engine.StateInactive
		}
		for _, t := range tags {
			if rng.IntN(3) == 0 {
				s.Tags = append(s.Tags, t)
			}
		}
		s.ID[15] = byte(i)
		s.ID[14] = byte(i >> 8)
		s.ID[13] = byte(i >> 16)
		rows[i] = engine.NewSeqRow(s, rng.IntN(4))
	}
	return rows
}

// TestGridOrderEqualsQueryApply checks the grid against engine.Query.Apply (what `pacer seq
// list` prints) for random sorts, filters and searches.
func TestGridOrderEqualsQueryApply(t *testing.T) {
	rows := randomRows(2000, 1)
	set := newRowSet(rows, time.UTC)
	g := grid.New(columns(common.NewStyles(common.DefaultTheme(true), true)), grid.Styles{})
	g.SetSize(120, 30)
	g.SetRows(set.grid)
	rng := rand.New(rand.NewPCG(5, 6))
	needles := []string{"", "out", "OUTBOUND", " demo ", "ünï", "and e", "nothing like it"}
	nonEmpty := 0
	for i := range 500 {
		col := engine.Columns[rng.IntN(len(engine.Columns))]
		q := engine.Query{Sort: col.Key, Desc: rng.IntN(2) == 0, Search: needles[rng.IntN(len(needles))], Filters: map[string][]string{}}
		for range rng.IntN(3) {
			c := engine.Columns[rng.IntN(len(engine.Columns))]
			vals := engine.Values(c, rows)
			var pick []string
			for range 1 + rng.IntN(3) {
				v := vals[rng.IntN(len(vals))]
				if rng.IntN(2) == 0 {
					v = strings.ToUpper(v)
				}
				pick = append(pick, v)
			}
			q.Filters[c.Key] = pick
		}
		g.SetState(grid.State{Sort: q.Sort, Desc: q.Desc, Filters: q.Filters})
		g.SetSearch(q.Search)
		var got []string
		for _, r := range g.Visible() {
			got = append(got, set.rows[r].ID)
		}
		var want []string
		for _, r := range q.Apply(rows) {
			want = append(want, r.ID)
		}
		if !slices.Equal(got, want) {
			t.Fatalf("query %d %+v: grid shows %d rows, Apply %d; first difference at %d", i, q, len(got), len(want), firstDiff(got, want))
		}
		if len(got) > 1 {
			nonEmpty++
		}
	}
	if nonEmpty < 150 {
		t.Fatalf("only %d of 500 queries kept more than one row; the test proves little", nonEmpty)
	}
}

func firstDiff(a, b []string) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

// TestFilterValuesAreEngineValues checks the picker offers engine.Values of the column.
func TestFilterValuesAreEngineValues(t *testing.T) {
	rows := randomRows(300, 2)
	set := newRowSet(rows, time.UTC)
	for i, c := range engine.Columns {
		if want := engine.Values(c, rows); !slices.Equal(set.values[i], want) {
			t.Errorf("%s: values %v, want %v", c.Key, set.values[i], want)
		}
	}
}

// bigScreen is a home screen showing n generated sequences, without a database.
func bigScreen(tb testing.TB, n, width, height int) *Model {
	tb.Helper()
	c := &common.Common{User: engine.User{Username: "admin", Roles: []engine.Role{engine.RoleAdmin}},
		Styles: common.NewStyles(common.DefaultTheme(true), true)}
	m := New(c).(*Model)
	m.SetSize(width, height)
	m.gen = 1
	m.Update(loadedMsg{gen: 1, set: newRowSet(randomRows(n, 3), time.UTC)})
	if !m.loaded {
		tb.Fatal("not loaded")
	}
	return m
}

func TestTenThousandRowsRenderOnlyTheWindow(t *testing.T) {
	m := bigScreen(t, 10000, 120, 30)
	out := ansi.Strip(m.View())
	ls := strings.Split(out, "\n")
	// Title, header, 27 rows, position line.
	if len(ls) != 30 {
		t.Fatalf("%d lines:\n%s", len(ls), out)
	}
	if !strings.HasPrefix(ls[29], "1–27 of 10,000") {
		t.Fatalf("position = %q", ls[29])
	}
	m.Update(uitest.Key("G"))
	ls = strings.Split(ansi.Strip(m.View()), "\n")
	if len(ls) != 30 || !strings.HasPrefix(ls[29], "9,974–10,000 of 10,000") {
		t.Fatalf("at the end: %d lines, position %q", len(ls), ls[len(ls)-1])
	}
	// The rendering grows with the window, not with the rows.
	small := len(bigScreen(t, 100, 120, 30).View())
	big := len(m.View())
	if big > 2*small {
		t.Fatalf("view of 10,000 rows is %d bytes, of 100 rows %d", big, small)
	}
	// A narrow terminal: still one line per row, none wider than the screen.
	m.SetSize(80, 24)
	for _, l := range strings.Split(ansi.Strip(m.View()), "\n") {
		if w := ansi.StringWidth(l); w > 80 {
			t.Fatalf("line of %d cells at 80 columns: %q", w, l)
		}
	}
}

func TestSmallTerminal(t *testing.T) {
	m := bigScreen(t, 50, 80, 24)
	m.Update(uitest.Key("l"))
	for range 8 {
		m.Update(uitest.Key("l"))
	}
	out := ansi.Strip(m.View())
	ls := strings.Split(out, "\n")
	if len(ls) != 24 || !strings.Contains(ls[1], "Tags") || !strings.Contains(ls[23], "columns") {
		t.Fatalf("view:\n%s", out)
	}
}
