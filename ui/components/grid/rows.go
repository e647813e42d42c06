package grid

import (
	"slices"
	"strings"
)

// Rows is a fixed set of rows with everything the grid needs precomputed, so that a key
// press only walks a cached order. Build it once per row set (in a tea.Cmd, off the update
// loop) and hand it to Model.SetRows; it is never modified afterwards.
type Rows struct {
	// IDs identify rows across reloads: the cursor follows its row's id.
	IDs []string
	// Cells holds the cell text of each column: Cells[col][row], cleaned with Clean.
	Cells [][]string
	// Parts holds, for Multi columns, each row's separate values: Parts[col][row]. It may
	// be nil, or nil for a column that is not Multi.
	Parts [][][]string
	// Search holds the texts a search looks in, folded to lower case: Search[k][row]. A row
	// matches when any of its texts contains the search.
	Search [][]string
	// Orders holds each column's sorted order of row numbers, ascending and descending:
	// Orders[col][0] and Orders[col][1]. Build them with Orders.
	Orders [][2][]int32
}

// Len is the number of rows.
func (r *Rows) Len() int {
	if r == nil {
		return 0
	}
	return len(r.IDs)
}

// Orders sorts the rows 0..n-1 by cmp, breaking ties with tie, and returns the ascending
// order and the descending one. Descending reverses cmp only: rows that cmp finds equal
// keep tie's order in both, which is how a "sort by column, then by name" query behaves.
func Orders(n int, cmp, tie func(a, b int) int) (asc, desc []int32) {
	asc = make([]int32, n)
	for i := range asc {
		asc[i] = int32(i)
	}
	slices.SortFunc(asc, func(a, b int32) int {
		if c := cmp(int(a), int(b)); c != 0 {
			return c
		}
		return tie(int(a), int(b))
	})
	desc = make([]int32, 0, n)
	// Walk the runs of equal keys from the last one; each run keeps its tie order.
	for end := n; end > 0; {
		start := end - 1
		for start > 0 && cmp(int(asc[start-1]), int(asc[end-1])) == 0 {
			start--
		}
		desc = append(desc, asc[start:end]...)
		end = start
	}
	return asc, desc
}

// OrdersByRank is Orders for rows already ranked: rank[i] in [0, k) orders the rows (equal
// ranks are ties) and tieOrder lists every row in tie order. It runs in O(n + k).
func OrdersByRank(rank []int64, k int, tieOrder []int32) (asc, desc []int32) {
	n := len(tieOrder)
	start := make([]int32, k+1)
	for _, r := range rank {
		start[r+1]++
	}
	for i := 1; i <= k; i++ {
		start[i] += start[i-1]
	}
	asc = make([]int32, n)
	next := slices.Clone(start[:k])
	for _, row := range tieOrder {
		r := rank[row]
		asc[next[r]] = row
		next[r]++
	}
	desc = make([]int32, 0, n)
	for r := k - 1; r >= 0; r-- {
		desc = append(desc, asc[start[r]:start[r+1]]...)
	}
	return asc, desc
}

// Clean makes text safe for one cell: line breaks and tabs become spaces, other control
// characters (escape sequences included) are dropped.
func Clean(s string) string {
	plain := true
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f {
			plain = false
			break
		}
	}
	if plain {
		return s
	}
	bad := func(r rune) bool { return r < 0x20 || (r >= 0x7f && r < 0xa0) || r == '\u2028' || r == '\u2029' }
	if !strings.ContainsFunc(s, bad) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case r == '\n' || r == '\r' || r == '\t' || r == '\u2028' || r == '\u2029' || r == '\u0085':
			b.WriteByte(' ')
		case bad(r):
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
