package engine

import (
	"cmp"
	"context"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/pacer-sales/pacer/store"
)

// SeqRow is one row of the sequences home grid (and of `pacer seq list`).
type SeqRow struct {
	ID          string    `json:"id"`
	Name        string    `json:"name"`
	Description string    `json:"description"`
	Entity      string    `json:"entity"`
	State       string    `json:"state"`
	Version     int       `json:"version"`
	Owner       string    `json:"owner"`
	Tags        []string  `json:"tags"`
	Steps       int       `json:"steps"`
	Connected   int       `json:"connected"`
	ModifiedAt  time.Time `json:"modified_at"`

	// folded name and description, computed once so sorting and searching don't allocate
	lname, ldesc string
}

// NewSeqRow makes a grid row from a stored sequence and its count of connected records.
func NewSeqRow(s store.Sequence, connected int) SeqRow {
	tags := s.Tags
	if tags == nil {
		tags = []string{}
	}
	return SeqRow{
		ID: s.ID.String(), Name: s.Name, Description: s.Description, Entity: s.Entity,
		State: string(s.State), Version: s.Version, Owner: s.Owner, Tags: tags,
		Steps: s.Steps, Connected: connected, ModifiedAt: s.ModifiedAt,
		lname: strings.ToLower(s.Name), ldesc: strings.ToLower(s.Description),
	}
}

// Column is a column of the sequences grid.
type Column struct {
	// Key is the name used by --sort and --filter.
	Key string
	// Title is the header shown in the grid.
	Title string
	// Value is the cell text.
	Value func(*SeqRow) string
	cmp   func(a, b *SeqRow) int
}

// Columns are the grid's columns in their default order (SPEC §8).
var Columns = []Column{
	{"name", "Name", func(r *SeqRow) string { return r.Name }, func(a, b *SeqRow) int { return strings.Compare(a.lname, b.lname) }},
	{"description", "Description", func(r *SeqRow) string { return r.Description }, func(a, b *SeqRow) int { return strings.Compare(a.ldesc, b.ldesc) }},
	{"entity", "Record type", func(r *SeqRow) string { return r.Entity }, func(a, b *SeqRow) int { return strings.Compare(a.Entity, b.Entity) }},
	{"state", "Status", func(r *SeqRow) string { return r.State }, func(a, b *SeqRow) int { return strings.Compare(a.State, b.State) }},
	{"owner", "Owner", func(r *SeqRow) string { return r.Owner }, func(a, b *SeqRow) int { return strings.Compare(a.Owner, b.Owner) }},
	{"steps", "Steps", func(r *SeqRow) string { return strconv.Itoa(r.Steps) }, func(a, b *SeqRow) int { return cmp.Compare(a.Steps, b.Steps) }},
	{"connected", "Connected", func(r *SeqRow) string { return strconv.Itoa(r.Connected) }, func(a, b *SeqRow) int { return cmp.Compare(a.Connected, b.Connected) }},
	{"modified", "Modified", func(r *SeqRow) string { return r.ModifiedAt.Format("2006-01-02 15:04") }, func(a, b *SeqRow) int { return a.ModifiedAt.Compare(b.ModifiedAt) }},
	{"tags", "Tags", func(r *SeqRow) string { return strings.Join(r.Tags, ", ") }, func(a, b *SeqRow) int { return slices.Compare(a.Tags, b.Tags) }},
}

// columnAliases lets the command line use the grid's titles too.
var columnAliases = map[string]string{"record_type": "entity", "type": "entity", "status": "state", "modified_at": "modified", "tag": "tags"}

// ColumnByKey finds a column by key, title or alias, ignoring case.
func ColumnByKey(key string) (Column, bool) {
	k := strings.ToLower(strings.ReplaceAll(strings.TrimSpace(key), " ", "_"))
	if a, ok := columnAliases[k]; ok {
		k = a
	}
	for _, c := range Columns {
		if c.Key == k {
			return c, true
		}
	}
	return Column{}, false
}

// Query is the grid's view of the sequences: a sort, filters by column values and a search.
// The home grid and `pacer seq list` both apply it, so they always agree.
type Query struct {
	// Sort is a column key; empty sorts by name.
	Sort string `json:"sort,omitempty"`
	Desc bool   `json:"desc,omitempty"`
	// Filters maps a column key to the values it may take (any of them; ignoring case). For
	// tags a row matches when it has any of the values.
	Filters map[string][]string `json:"filters,omitempty"`
	// Search matches name and description only, ignoring case.
	Search string `json:"search,omitempty"`
}

// Apply returns the rows that pass the filters and search, sorted. rows is not modified.
// Ties sort by name, then id, so the order is stable.
func (q Query) Apply(rows []SeqRow) []SeqRow {
	needle := strings.ToLower(strings.TrimSpace(q.Search))
	type filter struct {
		col  Column
		vals []string
	}
	var filters []filter
	for key, vals := range q.Filters {
		if c, ok := ColumnByKey(key); ok && len(vals) > 0 {
			filters = append(filters, filter{c, vals})
		}
	}
	// Sort pointers, not the wide rows themselves.
	picked := make([]*SeqRow, 0, len(rows))
rows:
	for i := range rows {
		r := &rows[i]
		if needle != "" && !strings.Contains(r.lname, needle) && !strings.Contains(r.ldesc, needle) {
			continue
		}
		for _, f := range filters {
			if !matchFilter(f.col, r, f.vals) {
				continue rows
			}
		}
		picked = append(picked, r)
	}
	col, ok := ColumnByKey(q.Sort)
	if !ok {
		col = Columns[0]
	}
	slices.SortFunc(picked, func(a, b *SeqRow) int {
		c := col.cmp(a, b)
		if q.Desc {
			c = -c
		}
		if c != 0 {
			return c
		}
		if c = strings.Compare(a.lname, b.lname); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	out := make([]SeqRow, len(picked))
	for i, r := range picked {
		out[i] = *r
	}
	return out
}

func matchFilter(c Column, r *SeqRow, vals []string) bool {
	if c.Key == "tags" {
		for _, t := range r.Tags {
			for _, v := range vals {
				if strings.EqualFold(t, v) {
					return true
				}
			}
		}
		return false
	}
	cell := c.Value(r)
	for _, v := range vals {
		if strings.EqualFold(cell, v) {
			return true
		}
	}
	return false
}

// Values lists the distinct values of a column among rows (each tag separately for tags),
// sorted — what a filter offers to pick from.
func Values(c Column, rows []SeqRow) []string {
	seen := map[string]bool{}
	var out []string
	add := func(v string) {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	for i := range rows {
		if c.Key == "tags" {
			for _, t := range rows[i].Tags {
				add(t)
			}
			continue
		}
		add(c.Value(&rows[i]))
	}
	slices.Sort(out)
	return out
}

// SequenceRows returns every sequence as a grid row (unsorted). Any user may list sequences.
func (e *Engine) SequenceRows(ctx context.Context, by string) ([]SeqRow, error) {
	var rows []SeqRow
	err := e.view(ctx, func(tx store.Tx) error {
		if _, err := actor(tx, by); err != nil {
			return err
		}
		seqs, err := tx.Sequences()
		if err != nil {
			return err
		}
		rows = make([]SeqRow, len(seqs))
		for i, s := range seqs {
			counts, err := tx.CountConns(s.ID)
			if err != nil {
				return err
			}
			rows[i] = NewSeqRow(s, counts[store.ConnActive])
		}
		return nil
	})
	return rows, err
}

// ListSequences returns the grid rows that q selects, in q's order.
func (e *Engine) ListSequences(ctx context.Context, by string, q Query) ([]SeqRow, error) {
	rows, err := e.SequenceRows(ctx, by)
	if err != nil {
		return nil, err
	}
	return q.Apply(rows), nil
}
