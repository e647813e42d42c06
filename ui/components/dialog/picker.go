package dialog

import (
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/pacer-sales/pacer/ui/common"
	"github.com/pacer-sales/pacer/ui/components/grid"
)

// Item is one line of a picker.
type Item struct {
	// Label is what the line says; Hint is shown after it, muted.
	Label, Hint string
	// Value is what choosing the item gives; Kind says what it is, in a picker that mixes
	// several kinds of choice (the dimension a filter value sets).
	Value, Kind string
	// Group names a section (or tab) when this item starts it: a title line, not choosable.
	Group string
	// Current marks the value in force: the cursor starts on it and a • marks it.
	Current bool
	// Checked is the checkbox of a picker with checkboxes.
	Checked bool
}

// header reports an item that is a section title.
func (it Item) header() bool { return it.Group != "" }

// Picker chooses one item of a list, or checks several (Multi). Items whose Group is set
// start a section; with Tabs the sections are tabs (←→ switch, one shown at a time),
// otherwise they are titles in one list (←→ jump between them).
type Picker struct {
	// Title heads the picker.
	Title string
	// Multi shows checkboxes: space checks, a checks all or none, enter accepts the checked.
	Multi bool
	// Tabs shows the sections as tabs.
	Tabs bool
	// Empty is said when there is nothing to choose.
	Empty string

	items  []Item
	cursor int
	offset int
	// last is the cursor each tab had, so returning to a tab returns to its item.
	last map[int]int
	keys Keys
	// rows is how many items the last View showed (a page).
	rows int
}

// NewPicker returns a picker over items with the cursor on the first Current item, else the
// first choosable one.
func NewPicker(title string, items []Item) *Picker {
	p := &Picker{Title: title, items: items, keys: DefaultKeys(), last: map[int]int{}, rows: 10, cursor: -1}
	for i, it := range items {
		if it.Current && !it.header() {
			p.cursor = i
			break
		}
	}
	if p.cursor < 0 {
		p.cursor = p.next(-1, 1)
	}
	return p
}

// Items are the picker's items, with their checkboxes as they stand.
func (p *Picker) Items() []Item { return p.items }

// Selected is the item under the cursor; ok is false when there is none.
func (p *Picker) Selected() (Item, bool) {
	if p.cursor < 0 || p.cursor >= len(p.items) {
		return Item{}, false
	}
	return p.items[p.cursor], true
}

// Checked lists the checked items, in order.
func (p *Picker) Checked() []Item {
	var out []Item
	for _, it := range p.items {
		if it.Checked && !it.header() {
			out = append(out, it)
		}
	}
	return out
}

// next is the first choosable index from i (exclusive) in direction d within the shown
// section (with Tabs), or -1.
func (p *Picker) next(i, d int) int {
	lo, hi := p.span()
	for j := i + d; j >= lo && j < hi; j += d {
		if j >= 0 && !p.items[j].header() {
			return j
		}
	}
	return -1
}

// span is the range of indices the cursor may take: the current tab's with Tabs, else all.
func (p *Picker) span() (int, int) {
	if !p.Tabs {
		return 0, len(p.items)
	}
	start := p.groupStart(p.cursor)
	end := len(p.items)
	for j := start + 1; j < len(p.items); j++ {
		if p.items[j].header() {
			end = j
			break
		}
	}
	return max(start, 0), end
}

// groupStart is the index of the section title at or before i (0 when there is none).
func (p *Picker) groupStart(i int) int {
	for j := min(i, len(p.items)-1); j >= 0; j-- {
		if p.items[j].header() {
			return j
		}
	}
	return 0
}

// groups are the indices of the section titles.
func (p *Picker) groups() []int {
	var out []int
	for i, it := range p.items {
		if it.header() {
			out = append(out, i)
		}
	}
	return out
}

// Update handles a key press.
func (p *Picker) Update(msg tea.KeyPressMsg) Result {
	k := p.keys
	switch {
	case key.Matches(msg, k.Cancel):
		return Cancelled
	case key.Matches(msg, k.Choose):
		if p.Multi {
			return Accepted
		}
		if _, ok := p.Selected(); ok {
			return Accepted
		}
		return Open
	case p.Multi && key.Matches(msg, k.Toggle):
		if p.cursor >= 0 {
			p.items[p.cursor].Checked = !p.items[p.cursor].Checked
		}
	case p.Multi && key.Matches(msg, k.ToggleAll):
		all := true
		for _, it := range p.items {
			all = all && (it.Checked || it.header())
		}
		for i := range p.items {
			if !p.items[i].header() {
				p.items[i].Checked = !all
			}
		}
	case key.Matches(msg, k.PrevGroup):
		p.jump(-1)
	case key.Matches(msg, k.NextGroup):
		p.jump(1)
	default:
		p.nav(msg)
	}
	return Open
}

// nav moves the cursor by a navigation key, over choosable items only.
func (p *Picker) nav(msg tea.KeyPressMsg) {
	if p.cursor < 0 {
		return
	}
	lo, hi := p.span()
	to, ok := p.keys.Move(msg, p.cursor, hi, p.rows)
	if !ok {
		return
	}
	to = max(to, lo)
	d := 1
	if to < p.cursor {
		d = -1
	}
	switch {
	case to == p.cursor:
	case !p.items[to].header():
		p.cursor = to
	case p.next(to, d) >= 0:
		p.cursor = p.next(to, d)
	case p.next(to, -d) >= 0:
		p.cursor = p.next(to, -d)
	}
}

// jump moves to the previous or next section (with Tabs: tab, wrapping, each tab keeping
// its cursor).
func (p *Picker) jump(d int) {
	gs := p.groups()
	if len(gs) == 0 || p.cursor < 0 {
		return
	}
	cur := 0
	for i, g := range gs {
		if g <= p.cursor {
			cur = i
		}
	}
	to := cur + d
	if p.Tabs {
		to = (to + len(gs)) % len(gs)
	} else if to < 0 || to >= len(gs) {
		return
	}
	if p.Tabs {
		p.last[cur] = p.cursor
		if c, ok := p.last[to]; ok {
			p.cursor = c
			return
		}
	}
	p.cursor = gs[to]
	if n := p.next(gs[to], 1); n >= 0 {
		p.cursor = n
	} else {
		p.cursor = gs[cur]
		p.cursor = p.next(p.cursor, 1)
	}
}

// Help lists the picker's keys.
func (p *Picker) Help() []key.Binding {
	k := p.keys
	var bs []key.Binding
	if len(p.groups()) > 1 {
		bs = append(bs, key.NewBinding(key.WithKeys("left", "right"), key.WithHelp("←→", "group")))
	}
	bs = append(bs, k.Up, k.Down)
	if p.Multi {
		bs = append(bs, k.Toggle, k.ToggleAll,
			key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "apply")))
	} else {
		bs = append(bs, k.Choose)
	}
	return append(bs, k.Cancel)
}

// Lines draws the picker in w×h cells without a box: title, tabs, items (scrolled to the
// cursor) and the key line. The result has at most h lines, each at most w cells.
func (p *Picker) Lines(st *common.Styles, w, h int) []string {
	out := []string{}
	for _, l := range Wrap(p.Title, w) {
		out = append(out, st.Title.Render(l))
	}
	if p.Tabs {
		out = append(out, "", p.tabLine(st), "")
	}
	body := p.body(st, w, max(h-len(out)-1, 1))
	out = append(out, body...)
	out = append(out, st.Muted.Render(helpLine(p.Help())))
	if len(out) > h {
		out = out[:max(h, 0)]
	}
	for i := range out {
		out[i] = Fit(out[i], w)
	}
	return out
}

// View draws the picker in a box (see Panel).
func (p *Picker) View(st *common.Styles, w, h int) string {
	inner := strings.Join(p.body(st, w-4, max(h-6, 1)), "\n")
	title := grid.Clean(p.Title)
	if p.Tabs {
		inner = p.tabLine(st) + "\n\n" + inner
	}
	return Panel(st, title, inner, helpLine(p.Help()), w, h)
}

// tabLine is the line of tabs, the current one in brackets (not only in colour).
func (p *Picker) tabLine(st *common.Styles) string {
	cur := p.groupStart(p.cursor)
	var tabs []string
	for _, g := range p.groups() {
		name := p.items[g].Group
		if g == cur {
			tabs = append(tabs, st.TabActive.Render("["+name+"]"))
		} else {
			tabs = append(tabs, st.Tab.Render(" "+name+" "))
		}
	}
	return strings.Join(tabs, "  ")
}

// body is the item lines: rows lines at most, scrolled so the cursor shows.
func (p *Picker) body(st *common.Styles, w, rows int) []string {
	lo, hi := p.span()
	if p.Tabs && lo < hi && p.items[lo].header() {
		lo++
	}
	if lo >= hi {
		msg := p.Empty
		if msg == "" {
			msg = "Nothing to choose from."
		}
		return []string{st.Muted.Render(msg)}
	}
	p.rows = rows
	if p.cursor >= 0 {
		if p.cursor < lo+p.offset {
			p.offset = p.cursor - lo
		} else if p.cursor >= lo+p.offset+rows {
			p.offset = p.cursor - lo - rows + 1
		}
	}
	p.offset = max(0, min(p.offset, hi-lo-rows))
	labelW := 0
	for i := lo; i < hi; i++ {
		labelW = max(labelW, ansi.StringWidth(grid.Clean(p.items[i].Label)))
	}
	labelW = min(labelW, max(w/2, 10))
	var out []string
	for i := lo + p.offset; i < hi && len(out) < rows; i++ {
		out = append(out, p.line(st, i, labelW, w))
	}
	return out
}

// line draws item i.
func (p *Picker) line(st *common.Styles, i, labelW, w int) string {
	it := p.items[i]
	if it.header() {
		return st.Header.Render(Fit(grid.Clean(it.Group), w))
	}
	label := grid.Clean(it.Label)
	if it.Current {
		label = "• " + label
	}
	if p.Multi {
		box := "[ ] "
		if it.Checked {
			box = "[x] "
		}
		label = box + label
	}
	if it.Hint != "" {
		label = Fit(label, labelW+4) + strings.Repeat(" ", max(0, labelW+4-ansi.StringWidth(label)))
	}
	if i == p.cursor {
		line := st.Selected.Render("› " + label)
		if it.Hint != "" {
			line += "  " + st.Text.Render(grid.Clean(it.Hint))
		}
		return line
	}
	line := "  " + st.Text.Render(label)
	if it.Hint != "" {
		line += "  " + st.Muted.Render(grid.Clean(it.Hint))
	}
	return line
}

// helpLine is a dialog's keys on one line: "↑/k up · enter choose · esc cancel".
func helpLine(bs []key.Binding) string {
	parts := make([]string, 0, len(bs))
	for _, b := range bs {
		h := b.Help()
		parts = append(parts, h.Key+" "+h.Desc)
	}
	return strings.Join(parts, " · ")
}
