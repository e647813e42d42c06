package home

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"charm.land/lipgloss/v2"

	"github.com/pacer-sales/pacer/engine"
	"github.com/pacer-sales/pacer/ui/common"
	"github.com/pacer-sales/pacer/ui/components/grid"
)

// columns are the grid's columns: engine.Columns, in the same order, so a column number
// means the same in both.
func columns(st *common.Styles) []grid.Column {
	width := map[string]int{
		"name": 24, "description": 9, "entity": 13, "state": 8, "owner": 10,
		"steps": 5, "connected": 9, "modified": 16, "tags": 10,
	}
	cols := make([]grid.Column, len(engine.Columns))
	for i, c := range engine.Columns {
		cols[i] = grid.Column{
			Key:   c.Key,
			Title: c.Title,
			Width: width[c.Key],
			Flex:  c.Key == "description" || c.Key == "name",
			Right: c.Key == "steps" || c.Key == "connected",
			Multi: c.Key == "tags",
		}
		if c.Key == "state" {
			// The state is always written out; colour only adds to it.
			cols[i].Style = func(cell string) (lipgloss.Style, bool) {
				switch cell {
				case string(engine.StateActive):
					return st.Success, true
				case string(engine.StateDraft):
					return st.Warning, true
				case string(engine.StateInactive):
					return st.Muted, true
				}
				return lipgloss.Style{}, false
			}
		}
	}
	return cols
}

// modifiedLayout is how the Modified column shows a time (in the user's zone).
const modifiedLayout = "2006-01-02 15:04"

// rowSet is one load of the sequences: the engine's rows, the grid's precomputed view of
// them and the values each column's filter offers.
type rowSet struct {
	rows   []engine.SeqRow
	grid   *grid.Rows
	values [][]string
	byID   map[string]int
}

// newRowSet precomputes everything a key press needs: cell texts, folded search texts, each
// column's sorted orders (as engine.Query.Apply sorts: the column, then name, then id) and
// each column's filter values (engine.Values). It runs in a tea.Cmd, never in Update.
//
// Times (the Modified column) are in loc, the user's zone, as the header's clock is.
func newRowSet(rows []engine.SeqRow, loc *time.Location) *rowSet {
	n := len(rows)
	g := &grid.Rows{
		IDs:    make([]string, n),
		Cells:  make([][]string, len(engine.Columns)),
		Parts:  make([][][]string, len(engine.Columns)),
		Search: [][]string{make([]string, n), make([]string, n)},
		Orders: make([][2][]int32, len(engine.Columns)),
	}
	lname, ldesc := g.Search[0], g.Search[1]
	byID := make(map[string]int, n)
	for i := range rows {
		r := &rows[i]
		g.IDs[i] = r.ID
		byID[r.ID] = i
		lname[i] = strings.ToLower(r.Name)
		ldesc[i] = strings.ToLower(r.Description)
	}
	for c, col := range engine.Columns {
		cells := make([]string, n)
		for i := range rows {
			if col.Key == "modified" {
				cells[i] = rows[i].ModifiedAt.In(loc).Format(modifiedLayout)
				continue
			}
			cells[i] = grid.Clean(col.Value(&rows[i]))
		}
		g.Cells[c] = cells
		if col.Key == "tags" {
			parts := make([][]string, n)
			for i := range rows {
				parts[i] = rows[i].Tags
			}
			g.Parts[c] = parts
		}
	}
	// Rows are sorted once in tie order (name, then id); each column then ranks its distinct
	// cells and buckets the rows by rank, in tie order: O(n) per column after one sort.
	var names rankedNames
	names.rank, names.k = rankStrings(lname)
	nameRank := names.rank
	tieOrder := make([]int32, n)
	for i := range tieOrder {
		tieOrder[i] = int32(i)
	}
	slices.SortFunc(tieOrder, func(a, b int32) int {
		if c := cmp.Compare(nameRank[a], nameRank[b]); c != 0 {
			return c
		}
		return strings.Compare(rows[a].ID, rows[b].ID)
	})
	values := make([][]string, len(engine.Columns))
	var wg sync.WaitGroup
	for c, col := range engine.Columns {
		wg.Go(func() {
			keys, k := sortKeys(col.Key, rows, lname, ldesc, names)
			asc, desc := grid.OrdersByRank(keys, k, tieOrder)
			g.Orders[c] = [2][]int32{asc, desc}
			values[c] = engine.Values(col, rows)
		})
	}
	wg.Wait()
	return &rowSet{rows: rows, grid: g, values: values, byID: byID}
}

// sortKeys ranks the rows by a column the way engine.Query.Apply compares them: equal
// cells get equal ranks, in [0, k).
func sortKeys(key string, rows []engine.SeqRow, lname, ldesc []string, names rankedNames) ([]int64, int) {
	n := len(rows)
	switch key {
	case "name":
		return names.rank, names.k
	case "description":
		return rankStrings(ldesc)
	case "entity", "state", "owner":
		vals := make([]string, n)
		for i := range rows {
			switch key {
			case "entity":
				vals[i] = rows[i].Entity
			case "state":
				vals[i] = rows[i].State
			default:
				vals[i] = rows[i].Owner
			}
		}
		return rankStrings(vals)
	case "steps", "connected":
		vals := make([]int, n)
		for i := range rows {
			if key == "steps" {
				vals[i] = rows[i].Steps
			} else {
				vals[i] = rows[i].Connected
			}
		}
		return rankBy(vals, func(v int) int { return v }, cmp.Compare[int])
	case "modified":
		return rankBy(rows, func(r engine.SeqRow) int64 { return r.ModifiedAt.UnixNano() }, func(a, b engine.SeqRow) int {
			return a.ModifiedAt.Compare(b.ModifiedAt)
		})
	case "tags":
		// Tag lists keyed by a length-prefixed encoding, so different lists never share a
		// key; ordered as slices.Compare orders them.
		var kb strings.Builder
		return rankBy(rows, func(r engine.SeqRow) string {
			kb.Reset()
			for _, t := range r.Tags {
				kb.WriteString(strconv.Itoa(len(t)))
				kb.WriteByte(':')
				kb.WriteString(t)
			}
			return kb.String()
		}, func(a, b engine.SeqRow) int { return slices.Compare(a.Tags, b.Tags) })
	}
	return make([]int64, n), 1
}

// rankedNames are the rows' ranks by folded name.
type rankedNames struct {
	rank []int64
	k    int
}

// rankStrings ranks strings among the distinct ones, in byte order (strings.Compare): equal
// strings get equal ranks. It returns the ranks and how many distinct strings there are.
func rankStrings(vals []string) ([]int64, int) {
	return rankBy(vals, func(v string) string { return v }, strings.Compare)
}

// rankBy ranks values by compare among the distinct ones; id must be equal exactly for
// values that compare equal.
func rankBy[V any, K comparable](vals []V, id func(V) K, compare func(a, b V) int) ([]int64, int) {
	distinct := make(map[K]int, len(vals)/4+1)
	var reps []V
	idx := make([]int, len(vals))
	for i, v := range vals {
		k := id(v)
		d, ok := distinct[k]
		if !ok {
			d = len(reps)
			distinct[k] = d
			reps = append(reps, v)
		}
		idx[i] = d
	}
	order := make([]int, len(reps))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return compare(reps[a], reps[b]) })
	rank := make([]int64, len(reps))
	for pos, d := range order {
		rank[d] = int64(pos)
	}
	out := make([]int64, len(vals))
	for i, d := range idx {
		out[i] = rank[d]
	}
	return out, len(reps)
}
