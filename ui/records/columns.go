package records

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"charm.land/lipgloss/v2"

	"github.com/pacer-sales/pacer/engine"
	"github.com/pacer-sales/pacer/ui/common"
	"github.com/pacer-sales/pacer/ui/components/dialog"
	"github.com/pacer-sales/pacer/ui/components/grid"
)

// prefsScreen names the Records screen's entry in a user's preferences.
const prefsScreen = "records"

// The columns' keys. The sortable ones are the orders of engine.RecordQuery.Sort.
const (
	colID       = "id"
	colName     = "name"
	colOwner    = "owner"
	colModified = "modified"
	colStands   = "stands"
	colEmail    = "email"
	colStage    = "stage"
	colEntity   = "entity"
)

// columns are the grid's columns, in their default order.
func columns(st *common.Styles) []grid.Column {
	return []grid.Column{
		{Key: colID, Title: "Id", Width: 12},
		{Key: colName, Title: "Name", Width: 20},
		{Key: colOwner, Title: "Owner", Width: 10},
		{Key: colStands, Title: "Where it stands", Width: 30, Flex: true, Style: func(cell string) (lipgloss.Style, bool) {
			// The standing is always written out; colour only adds to it.
			if strings.Contains(cell, "paused") {
				return st.Warning, true
			}
			return lipgloss.Style{}, false
		}},
		{Key: colModified, Title: "Modified", Width: 16},
		{Key: colEmail, Title: "Email", Width: 18},
		{Key: colStage, Title: "Stage", Width: 8},
		{Key: colEntity, Title: "Type", Width: 11},
	}
}

// defaultLayout hides the columns most people don't need at first (o shows them).
var defaultLayout = grid.State{Hidden: []string{colStage, colEntity}}

// sortable reports a column the store keeps an order of.
func sortable(key string) bool { return slices.Contains(engine.RecordSorts, key) }

// filterable reports a column f filters by.
func filterable(key string) bool { return key == colOwner || key == colStands || key == colEntity }

// standLabels are the words of each standing a filter offers.
var standLabels = map[string]string{
	engine.StandActive:  "in a sequence",
	engine.StandWaiting: "waiting",
	engine.StandPaused:  "paused",
	engine.StandNone:    "not connected",
}

// modifiedLayout is how the Modified column shows a time (in the user's zone).
const modifiedLayout = "2006-01-02 15:04"

// gridRows are the page's rows for the grid: only the page, whatever the number of records.
func (m *Model) gridRows(now time.Time) *grid.Rows {
	n := len(m.rows)
	cols := columns(m.c.Styles)
	r := &grid.Rows{IDs: make([]string, n), Cells: make([][]string, len(cols))}
	for c := range cols {
		r.Cells[c] = make([]string, n)
	}
	for i, row := range m.rows {
		r.IDs[i] = row.Ref()
		for c, col := range cols {
			r.Cells[c][i] = grid.Clean(m.cell(col.Key, row, now))
		}
	}
	return r
}

// cell is the text of a record's cell.
func (m *Model) cell(key string, r engine.RecordRow, now time.Time) string {
	switch key {
	case colID:
		if _, on := m.marks[r.Ref()]; on {
			return "▪ " + r.ID
		}
		return r.ID
	case colName:
		return r.Name
	case colOwner:
		return r.Owner
	case colStands:
		return m.standings(r.Standings, now)
	case colModified:
		if r.ModifiedAt.IsZero() {
			return ""
		}
		return r.ModifiedAt.In(m.loc).Format(modifiedLayout)
	case colEmail:
		return r.Email
	case colStage:
		return r.Stage
	case colEntity:
		return r.Entity
	}
	return ""
}

// standings says where a record stands in each sequence, with the days at its step while
// active (waiting and paused too): "Seq: ◷ Wait · waiting until Mon Mar 4 09:00 PST ·
// 1.5 d in step; Other: completed".
func (m *Model) standings(ss []engine.Standing, now time.Time) string {
	if len(ss) == 0 {
		return "—"
	}
	parts := make([]string, 0, len(ss))
	for _, s := range ss {
		p := s.Sequence + ": "
		switch {
		case s.State != "active":
			p += s.State
			if s.Reason != "" {
				p += " (" + s.Reason + ")"
			}
		case s.Paused:
			p += "⏸ paused at " + s.StepName
			if s.PauseReason != "" {
				p += " (" + s.PauseReason + ")"
			}
			if !s.ResumeAt.IsZero() {
				p += " · resumes " + m.when(s.ResumeAt)
			}
			p += " · " + inStep(s.EnteredAt, now)
		case s.Waiting:
			p += common.StepIcon(s.StepType) + " " + s.StepName + " · waiting until " + m.when(s.WakeAt) + " · " + inStep(s.EnteredAt, now)
		default:
			p += common.StepIcon(s.StepType) + " " + s.StepName + " · active · " + inStep(s.EnteredAt, now)
		}
		parts = append(parts, p)
	}
	return strings.Join(parts, "; ")
}

// inStep says how long a connection has been at its step: "1.5 d in step".
func inStep(entered, now time.Time) string {
	return fmt.Sprintf("%.1f d in step", max(now.Sub(entered).Hours()/24, 0))
}

// filterItems are the values the filter of column key offers, checked as the grid has them.
func (m *Model) filterItems(key string, users []string) []dialog.Item {
	on := map[string]bool{}
	for _, v := range m.grid.Filter(key) {
		on[v] = true
	}
	var items []dialog.Item
	switch key {
	case colStands:
		for _, s := range engine.Stands {
			items = append(items, dialog.Item{Label: standLabels[s], Value: s, Checked: on[s]})
		}
	case colEntity:
		for i, e := range Entities {
			items = append(items, dialog.Item{Label: e, Value: e, Current: i == m.entity})
		}
	case colOwner:
		for _, u := range users {
			label := u
			if u == "" {
				label = "(no owner)"
			}
			items = append(items, dialog.Item{Label: label, Value: u, Checked: on[u]})
		}
	}
	return items
}

// summary describes the sort, filters and search after the title.
func (m *Model) summary() string {
	var b strings.Builder
	key, desc := m.grid.Sort()
	dir := "ascending"
	if desc {
		dir = "descending"
	}
	for _, c := range m.grid.AllColumns() {
		if c.Key == key {
			fmt.Fprintf(&b, "  ·  sorted by %s, %s", c.Title, dir)
		}
	}
	var parts []string
	for _, c := range m.grid.AllColumns() {
		vals := m.grid.Filter(c.Key)
		if len(vals) == 0 || c.Key == colEntity {
			continue
		}
		words := make([]string, len(vals))
		for i, v := range vals {
			switch {
			case c.Key == colStands:
				words[i] = standLabels[v]
			case v == "":
				words[i] = "(no owner)"
			default:
				words[i] = v
			}
		}
		parts = append(parts, c.Title+" = "+strings.Join(words, " or "))
	}
	if len(parts) > 0 {
		b.WriteString("  ·  filters: " + strings.Join(parts, "; ") + " (F clears)")
	}
	return b.String()
}
