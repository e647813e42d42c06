// Package grid is a table for large row sets: columns that can be selected, sorted (again:
// reversed), filtered by value and moved, a search, a cursor, and a window that renders only
// the rows that fit. Each column's sorted order is computed once per row set (Rows), so a key
// press is one filtered walk over a cached order.
package grid

import (
	"slices"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"github.com/pacer-sales/pacer/ui/common"
)

// Column describes a column of the grid.
type Column struct {
	// Key names the column in State (remembered preferences) and filters.
	Key string
	// Title is the header text.
	Title string
	// Width is the column's width in cells (at least the title's and the sort arrow's); a
	// Flex column is at least this wide.
	Width int
	// Flex columns share the room left over once every column has its width.
	Flex bool
	// Right aligns the cells to the right (numbers).
	Right bool
	// Multi marks a column whose cells hold several values (tags): a filter keeps a row that
	// has any of the allowed values.
	Multi bool
	// Style, when set, styles a cell by its text (rows other than the cursor's).
	Style func(cell string) (lipgloss.Style, bool)
}

// Styles are the styles a grid draws with.
type Styles struct {
	// Header is the header row; HeaderSelected the selected column's title.
	Header, HeaderSelected lipgloss.Style
	// Selected is the cursor row.
	Selected lipgloss.Style
	// Muted is the position line and the empty message.
	Muted lipgloss.Style
}

// KeyMap are the keys the grid handles itself.
type KeyMap struct {
	common.NavKeys
	Left, Right         key.Binding
	Sort                key.Binding
	MoveLeft, MoveRight key.Binding
}

// DefaultKeyMap are the grid keys of SPEC §8 plus paging.
func DefaultKeyMap() KeyMap {
	return KeyMap{
		NavKeys:   common.DefaultNavKeys(),
		Left:      key.NewBinding(key.WithKeys("left", "h"), key.WithHelp("←/h", "column left")),
		Right:     key.NewBinding(key.WithKeys("right", "l"), key.WithHelp("→/l", "column right")),
		Sort:      key.NewBinding(key.WithKeys("s"), key.WithHelp("s", "sort (again: reverse)")),
		MoveLeft:  key.NewBinding(key.WithKeys("<"), key.WithHelp("<", "move column left")),
		MoveRight: key.NewBinding(key.WithKeys(">"), key.WithHelp(">", "move column right")),
	}
}

// State is what a user's preferences remember of a grid: column order, sort and filters.
type State struct {
	// Columns are the column keys in display order.
	Columns []string `json:"columns,omitempty"`
	// Sort is the sorted column's key; Desc reverses it.
	Sort string `json:"sort,omitempty"`
	Desc bool   `json:"desc,omitempty"`
	// Filters maps a column key to the values it may take.
	Filters map[string][]string `json:"filters,omitempty"`
	// Hidden are the keys of the columns not shown.
	Hidden []string `json:"hidden,omitempty"`
}

// Model is the grid. Use it through a pointer; the zero value is not ready, use New.
type Model struct {
	cols   []Column
	order  []int // display position -> column, of the shown columns
	hidden []int // the columns not shown, in column order
	sel    int   // selected display position
	sort   int   // sorted column
	desc   bool
	keys   KeyMap
	styles Styles

	filters map[int][]string        // column -> values as chosen
	allowed map[int]map[string]bool // column -> folded values
	search  string
	needle  string

	rows    *Rows
	pass    []bool // rows passing every filter; nil without filters
	visible []int32
	cursor  int
	offset  int

	width, height int
	// version counts changes of State, so an owner can tell when to remember them.
	version int

	// Empty is shown instead of rows when none pass.
	Empty string
	// Position, when set, is the position line instead of the grid's count of rows (a
	// remote grid's owner knows where the rows are in the whole).
	Position string

	// remote grids show the rows as given: their owner sorts and filters them.
	remote bool

	// armed is the row a click selected (-1: none), so a second click on it opens it;
	// opened is that second click, until Opened reads it.
	armed  int
	opened bool
}

// Opened reports (once) that the last click was the second on the same row: the owner opens
// the row under the cursor.
func (m *Model) Opened() bool {
	o := m.opened
	m.opened = false
	return o
}

// New returns a grid of the given columns, sorted by the first one.
func New(cols []Column, st Styles) *Model {
	m := &Model{
		cols:    cols,
		order:   make([]int, len(cols)),
		keys:    DefaultKeyMap(),
		styles:  st,
		filters: map[int][]string{},
		allowed: map[int]map[string]bool{},
		Empty:   "Nothing to show.",
		armed:   -1,
	}
	for i := range m.order {
		m.order[i] = i
	}
	return m
}

// SetRemote makes the grid show the rows in the order given, unfiltered: its owner sorts
// and filters them elsewhere (a store's index, for more rows than memory should hold) by
// the grid's sort and filters, which the grid keeps, draws and remembers as ever.
func (m *Model) SetRemote(on bool) {
	m.remote = on
	m.computePass()
	m.refresh()
}

// SetStyles replaces the styles the grid draws with.
func (m *Model) SetStyles(st Styles) { m.styles = st }

// SetSize sets the grid's area: the header, the rows and the position line.
func (m *Model) SetSize(width, height int) {
	m.width, m.height = max(width, 0), max(height, 0)
	m.scrollTo(m.cursor)
}

// Window is the number of rows that fit.
func (m *Model) Window() int { return max(m.height-2, 1) }

// SetRows replaces the row set. The cursor stays on the row with the same id when it is
// still shown.
func (m *Model) SetRows(r *Rows) {
	id, had := m.SelectedID()
	pos := m.cursor - m.offset
	m.rows = r
	m.computePass()
	m.walk()
	if had {
		if i := m.indexOfID(id); i >= 0 {
			m.cursor = i
			m.offset = m.cursor - pos
		}
	}
	m.clamp()
}

// Columns returns the columns in display order.
func (m *Model) Columns() []Column {
	out := make([]Column, len(m.order))
	for i, c := range m.order {
		out[i] = m.cols[c]
	}
	return out
}

// SelectedColumn returns the selected column.
func (m *Model) SelectedColumn() Column { return m.cols[m.order[m.sel]] }

// SelectedRow returns the cursor's row number in Rows, if any row is shown.
func (m *Model) SelectedRow() (int, bool) {
	if len(m.visible) == 0 {
		return 0, false
	}
	return int(m.visible[m.cursor]), true
}

// SelectedID returns the cursor row's id, if any row is shown.
func (m *Model) SelectedID() (string, bool) {
	r, ok := m.SelectedRow()
	if !ok {
		return "", false
	}
	return m.rows.IDs[r], true
}

// Select puts the cursor on the row with the given id; it reports whether that row is shown.
func (m *Model) Select(id string) bool {
	i := m.indexOfID(id)
	if i < 0 {
		return false
	}
	m.cursor = i
	m.scrollTo(i)
	return true
}

// Cursor is the cursor's position among the shown rows; Offset the first row of the window.
func (m *Model) Cursor() int { return m.cursor }

// Offset is the position of the first row in the window.
func (m *Model) Offset() int { return m.offset }

// Visible returns the shown rows (row numbers in Rows) in order. The slice is the grid's;
// don't keep or modify it.
func (m *Model) Visible() []int32 { return m.visible }

// Sort returns the sorted column's key and direction.
func (m *Model) Sort() (key string, desc bool) { return m.cols[m.sort].Key, m.desc }

// Search returns the search text.
func (m *Model) Search() string { return m.search }

// Filter returns the values a column is filtered by (nil when it is not).
func (m *Model) Filter(key string) []string {
	if c := m.colByKey(key); c >= 0 {
		return m.filters[c]
	}
	return nil
}

// Filtered reports whether any filter is set.
func (m *Model) Filtered() bool { return len(m.filters) > 0 }

// Version changes every time State changes.
func (m *Model) Version() int { return m.version }

// State returns the column order, sort and filters.
func (m *Model) State() State {
	s := State{Sort: m.cols[m.sort].Key, Desc: m.desc}
	for _, c := range m.order {
		s.Columns = append(s.Columns, m.cols[c].Key)
	}
	for _, c := range m.hidden {
		s.Hidden = append(s.Hidden, m.cols[c].Key)
	}
	if len(m.filters) > 0 {
		s.Filters = map[string][]string{}
		for c, vals := range m.filters {
			s.Filters[m.cols[c].Key] = slices.Clone(vals)
		}
	}
	return s
}

// SetState restores a column order, the hidden columns, sort and filters. Unknown keys are
// ignored; columns it does not list keep their place after the listed ones. One column at
// least stays shown.
func (m *Model) SetState(s State) {
	var order []int
	seen := make([]bool, len(m.cols))
	hide := make([]bool, len(m.cols))
	for _, k := range s.Hidden {
		if c := m.colByKey(k); c >= 0 {
			hide[c] = true
		}
	}
	for _, k := range s.Columns {
		if c := m.colByKey(k); c >= 0 && !seen[c] && !hide[c] {
			seen[c] = true
			order = append(order, c)
		}
	}
	m.hidden = nil
	for c := range m.cols {
		switch {
		case hide[c]:
			m.hidden = append(m.hidden, c)
		case !seen[c]:
			order = append(order, c)
		}
	}
	if len(order) == 0 && len(m.hidden) > 0 {
		order, m.hidden = m.hidden[:1], m.hidden[1:]
	}
	m.order = order
	m.sel = min(m.sel, len(m.order)-1)
	m.sort, m.desc = 0, false
	if c := m.colByKey(s.Sort); c >= 0 {
		m.sort, m.desc = c, s.Desc
	}
	m.filters, m.allowed = map[int][]string{}, map[int]map[string]bool{}
	for k, vals := range s.Filters {
		if c := m.colByKey(k); c >= 0 && len(vals) > 0 {
			m.setFilter(c, vals)
		}
	}
	m.version++
	m.computePass()
	m.refresh()
}

func (m *Model) colByKey(k string) int {
	for i, c := range m.cols {
		if strings.EqualFold(c.Key, k) {
			return i
		}
	}
	return -1
}

// Shown reports whether the column key is shown.
func (m *Model) Shown(key string) bool {
	c := m.colByKey(key)
	return c >= 0 && !slices.Contains(m.hidden, c)
}

// SetShown shows the columns keys (at least one) and hides the others; shown columns keep
// their order, columns shown again go last.
func (m *Model) SetShown(keys []string) {
	show := make([]bool, len(m.cols))
	some := false
	for _, k := range keys {
		if c := m.colByKey(k); c >= 0 {
			show[c], some = true, true
		}
	}
	if !some {
		return
	}
	var order []int
	for _, c := range m.order {
		if show[c] {
			order = append(order, c)
		}
	}
	for _, c := range m.hidden {
		if show[c] {
			order = append(order, c)
		}
	}
	m.hidden = m.hidden[:0]
	for c := range m.cols {
		if !show[c] {
			m.hidden = append(m.hidden, c)
		}
	}
	m.order = order
	m.sel = min(m.sel, len(m.order)-1)
	m.version++
}

// AllColumns returns every column, shown or not, in column order.
func (m *Model) AllColumns() []Column { return slices.Clone(m.cols) }

// MoveCursor moves the cursor by d rows.
func (m *Model) MoveCursor(d int) {
	if len(m.visible) == 0 {
		return
	}
	m.cursor = min(max(m.cursor+d, 0), len(m.visible)-1)
	m.scrollTo(m.cursor)
}

// Scroll moves the window by d rows, keeping the cursor inside it.
func (m *Model) Scroll(d int) {
	win := m.Window()
	m.offset = min(max(m.offset+d, 0), max(len(m.visible)-win, 0))
	m.cursor = min(max(m.cursor, m.offset), min(m.offset+win, len(m.visible))-1)
	m.cursor = max(m.cursor, 0)
}

// SelectColumn moves the column selection by d.
func (m *Model) SelectColumn(d int) {
	m.sel = min(max(m.sel+d, 0), len(m.order)-1)
}

// SortBySelected sorts by the selected column; when it is already the sorted column the
// direction reverses.
func (m *Model) SortBySelected() {
	c := m.order[m.sel]
	if c == m.sort {
		m.desc = !m.desc
	} else {
		m.sort, m.desc = c, false
	}
	m.version++
	m.refresh()
}

// MoveColumn moves the selected column d places (left when negative); it stays selected.
func (m *Model) MoveColumn(d int) {
	to := min(max(m.sel+d, 0), len(m.order)-1)
	if to == m.sel {
		return
	}
	c := m.order[m.sel]
	m.order = slices.Delete(m.order, m.sel, m.sel+1)
	m.order = slices.Insert(m.order, to, c)
	m.sel = to
	m.version++
}

// SetFilter keeps only rows whose cell in the column is one of vals (ignoring case; for a
// Multi column, rows having any of them). No values removes the column's filter.
func (m *Model) SetFilter(key string, vals []string) {
	c := m.colByKey(key)
	if c < 0 {
		return
	}
	if len(vals) == 0 {
		delete(m.filters, c)
		delete(m.allowed, c)
	} else {
		m.setFilter(c, vals)
	}
	m.version++
	m.computePass()
	m.refresh()
}

func (m *Model) setFilter(c int, vals []string) {
	m.filters[c] = slices.Clone(vals)
	set := make(map[string]bool, len(vals))
	for _, v := range vals {
		set[strings.ToLower(v)] = true
	}
	m.allowed[c] = set
}

// ClearFilters removes every filter.
func (m *Model) ClearFilters() {
	if len(m.filters) == 0 {
		return
	}
	m.filters, m.allowed = map[int][]string{}, map[int]map[string]bool{}
	m.version++
	m.computePass()
	m.refresh()
}

// SetSearch keeps only rows with a search text containing s (ignoring case and surrounding
// spaces).
func (m *Model) SetSearch(s string) {
	m.search = s
	needle := strings.ToLower(strings.TrimSpace(s))
	if needle == m.needle {
		return
	}
	m.needle = needle
	m.refresh()
}

// computePass evaluates the filters once per filter change or row set.
func (m *Model) computePass() {
	n := m.rows.Len()
	if len(m.allowed) == 0 || n == 0 || m.remote {
		m.pass = nil
		return
	}
	if cap(m.pass) >= n {
		m.pass = m.pass[:n]
	} else {
		m.pass = make([]bool, n)
	}
	for i := range m.pass {
		m.pass[i] = true
	}
	for c, set := range m.allowed {
		if m.cols[c].Multi && c < len(m.rows.Parts) && m.rows.Parts[c] != nil {
			parts := m.rows.Parts[c]
			for i := range m.pass {
				if !m.pass[i] {
					continue
				}
				ok := false
				for _, p := range parts[i] {
					if set[strings.ToLower(p)] {
						ok = true
						break
					}
				}
				m.pass[i] = ok
			}
			continue
		}
		cells := m.rows.Cells[c]
		for i := range m.pass {
			if m.pass[i] && !set[strings.ToLower(cells[i])] {
				m.pass[i] = false
			}
		}
	}
}

// walk recomputes the shown rows: the sorted column's cached order, filtered and searched.
func (m *Model) walk() {
	if m.rows.Len() == 0 {
		m.visible = m.visible[:0]
		return
	}
	dir := 0
	if m.desc {
		dir = 1
	}
	vis := m.visible[:0]
	if m.remote {
		for r := range m.rows.Len() {
			vis = append(vis, int32(r))
		}
		m.visible = vis
		return
	}
	order := m.rows.Orders[m.sort][dir]
	if cap(vis) < len(order) {
		vis = make([]int32, 0, len(order))
	}
	pass, needle, texts := m.pass, m.needle, m.rows.Search
	for _, r := range order {
		if pass != nil && !pass[r] {
			continue
		}
		if needle != "" {
			found := false
			for _, t := range texts {
				if strings.Contains(t[r], needle) {
					found = true
					break
				}
			}
			if !found {
				continue
			}
		}
		vis = append(vis, r)
	}
	m.visible = vis
}

// refresh re-walks the rows keeping the cursor on its row, at the same place in the window
// when it can.
func (m *Model) refresh() {
	row, had := m.SelectedRow()
	pos := m.cursor - m.offset
	m.walk()
	if had {
		if i := slices.Index(m.visible, int32(row)); i >= 0 {
			m.cursor = i
			m.offset = i - pos
		}
	}
	m.clamp()
}

func (m *Model) indexOfID(id string) int {
	if m.rows == nil {
		return -1
	}
	for i, r := range m.visible {
		if m.rows.IDs[r] == id {
			return i
		}
	}
	return -1
}

// clamp keeps the cursor on a shown row and the window on the cursor.
func (m *Model) clamp() {
	m.cursor = min(max(m.cursor, 0), max(len(m.visible)-1, 0))
	m.offset = min(max(m.offset, 0), max(len(m.visible)-m.Window(), 0))
	m.scrollTo(m.cursor)
}

// scrollTo moves the window the least needed to show position i.
func (m *Model) scrollTo(i int) {
	win := m.Window()
	if i < m.offset {
		m.offset = i
	} else if i >= m.offset+win {
		m.offset = i - win + 1
	}
	m.offset = min(max(m.offset, 0), max(len(m.visible)-win, 0))
}

// HandleKey handles the grid's own keys and reports whether it did.
func (m *Model) HandleKey(msg tea.KeyPressMsg) bool {
	m.armed = -1
	k := m.keys
	switch {
	case key.Matches(msg, k.Up):
		m.MoveCursor(-1)
	case key.Matches(msg, k.Down):
		m.MoveCursor(1)
	case key.Matches(msg, k.PageUp):
		m.MoveCursor(-m.Window())
	case key.Matches(msg, k.PageDown):
		m.MoveCursor(m.Window())
	case key.Matches(msg, k.Top):
		m.MoveCursor(-len(m.visible))
	case key.Matches(msg, k.Bottom):
		m.MoveCursor(len(m.visible))
	case key.Matches(msg, k.Left):
		m.SelectColumn(-1)
	case key.Matches(msg, k.Right):
		m.SelectColumn(1)
	case key.Matches(msg, k.Sort):
		m.SortBySelected()
	case key.Matches(msg, k.MoveLeft):
		m.MoveColumn(-1)
	case key.Matches(msg, k.MoveRight):
		m.MoveColumn(1)
	default:
		return false
	}
	return true
}

// wheelStep is how many rows one wheel notch scrolls.
const wheelStep = 3

// HandleMouse handles a click or a wheel turn at (x, y), relative to the grid's top left
// corner: a click on a row selects it, a click on the header selects the column, the wheel
// scrolls. It reports whether the grid used the message.
func (m *Model) HandleMouse(msg tea.MouseMsg, x, y int) bool {
	switch msg := msg.(type) {
	case tea.MouseWheelMsg:
		switch msg.Button {
		case tea.MouseWheelUp:
			m.Scroll(-wheelStep)
		case tea.MouseWheelDown:
			m.Scroll(wheelStep)
		default:
			return false
		}
		return true
	case tea.MouseClickMsg:
		if msg.Button != tea.MouseLeft {
			return false
		}
		if y == 0 {
			// A click on a header sorts by its column (again: reverse), as s does.
			if p, ok := m.columnAt(x); ok {
				m.sel = p
				m.SortBySelected()
				m.armed = -1
				return true
			}
			return false
		}
		i := m.offset + y - 1
		if y-1 >= m.Window() || i >= len(m.visible) {
			return false
		}
		// A second click on the row the first one selected (a double-click) opens it.
		m.opened = m.armed == i && m.cursor == i
		m.armed = i
		if m.opened {
			m.armed = -1
		}
		m.cursor = i
		if p, ok := m.columnAt(x); ok {
			m.sel = p
		}
		return true
	}
	return false
}
