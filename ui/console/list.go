package console

import (
	"fmt"
	"slices"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/pacer-sales/pacer/engine"
	"github.com/pacer-sales/pacer/ui/common"
)

// row is one task of the list (pointing into the loaded slice) with what filtering and
// sorting need.
type row struct {
	*engine.TaskRow
	lname string // record name in lower case, for search and sort (filled when needed)
	lseq  string
	group int
}

// entity is the record type of the task's record.
func (r row) entity() string {
	ent, _, _ := strings.Cut(r.Record, "/")
	return ent
}

// The groups, in display order.
const (
	grOverdue = iota
	grToday
	grUpcoming
)

var groupNames = [3]string{"Overdue", "Today", "Upcoming"}

// groupSpan is where a group's tasks are in the order.
type groupSpan struct{ first, n int }

// filters narrow the list.
type filters struct {
	// Due is "", overdue, today or upcoming (from tomorrow on).
	Due string
	// Entity is a record type, Activity a step type; "" is any.
	Entity, Activity string
}

func (f filters) active() bool { return f != filters{} }

// The sort orders (within each group).
const (
	sortDue      = "due"
	sortRecord   = "record"
	sortSequence = "sequence"
)

var sorts = []string{sortDue, sortRecord, sortSequence}

func validSort(s string) bool { return slices.Contains(sorts, s) }

func nextSort(s string) string {
	i := slices.Index(sorts, s)
	return sorts[(i+1)%len(sorts)]
}

// setRows takes a loaded list.
func (m *Model) setRows(trs []engine.TaskRow) {
	rows := make([]row, len(trs))
	for i := range trs {
		rows[i].TaskRow = &trs[i]
	}
	m.rows, m.lowered = rows, false
	// The engine lists tasks earliest due first; then sorting by due is keeping that order.
	m.bydue = slices.IsSortedFunc(rows, func(a, b row) int { return a.DueAt.Compare(b.DueAt) })
}

// lower fills in the lower-case names that search and the name sorts use, once per load.
func (m *Model) lower() {
	if m.lowered {
		return
	}
	for i := range m.rows {
		r := &m.rows[i]
		r.lname, r.lseq = strings.ToLower(r.RecordName), strings.ToLower(r.Sequence)
	}
	m.lowered = true
}

// today returns the start of the user's today and of tomorrow, by the engine's clock.
func (m *Model) today() (time.Time, time.Time) {
	n := m.c.Engine.Clock().Now().In(m.loc)
	start := time.Date(n.Year(), n.Month(), n.Day(), 0, 0, 0, 0, m.loc)
	return start, start.AddDate(0, 0, 1)
}

// rebuild groups the rows by due day and applies filters, search and sort.
func (m *Model) rebuild() {
	start, end := m.today()
	m.dayEnds = [2]time.Time{start, end}
	for i := range m.rows {
		r := &m.rows[i]
		switch {
		case r.DueAt.Before(start):
			r.group = grOverdue
		case r.DueAt.Before(end):
			r.group = grToday
		default:
			r.group = grUpcoming
		}
	}
	q := strings.ToLower(strings.TrimSpace(m.search))
	if q != "" || m.sortBy != sortDue {
		m.lower()
	}
	dueGroup := map[string]int{"overdue": grOverdue, "today": grToday, "upcoming": grUpcoming}
	order := make([]int, 0, len(m.rows))
	for i := range m.rows {
		r := &m.rows[i]
		if g, ok := dueGroup[m.filter.Due]; ok && r.group != g {
			continue
		}
		if m.filter.Entity != "" && r.entity() != m.filter.Entity {
			continue
		}
		if m.filter.Activity != "" && r.Type != m.filter.Activity {
			continue
		}
		if q != "" && !strings.Contains(r.lname, q) {
			continue
		}
		order = append(order, i)
	}
	rows := m.rows
	by := m.sortBy
	// Rows in due order are in group order too: sorting by due then keeps them.
	if by != sortDue || !m.bydue {
		m.sortOrder(order, by)
	}
	m.order = order
	m.groups = [3]groupSpan{}
	for i, r := range order {
		g := &m.groups[rows[r].group]
		if g.n == 0 {
			g.first = i
		}
		g.n++
	}
}

// sortOrder sorts order by group, then by the sort key, then by due time.
func (m *Model) sortOrder(order []int, by string) {
	rows := m.rows
	slices.SortStableFunc(order, func(a, b int) int {
		x, y := &rows[a], &rows[b]
		if x.group != y.group {
			return x.group - y.group
		}
		switch by {
		case sortRecord:
			if c := strings.Compare(x.lname, y.lname); c != 0 {
				return c
			}
		case sortSequence:
			if c := strings.Compare(x.lseq, y.lseq); c != 0 {
				return c
			}
		}
		return x.DueAt.Compare(y.DueAt)
	})
}

// refilter rebuilds after a filter, search or sort change, keeping the selection.
func (m *Model) refilter() {
	rows, order, cur := m.rows, m.order, m.cursor
	m.rebuild()
	m.follow(rows, order, cur)
}

// Body lines are group headers and task rows.

// lineOf is the body line of order index i.
func (m *Model) lineOf(i int) int {
	l := i
	for _, g := range m.groups {
		if g.n > 0 && g.first <= i {
			l++
		}
	}
	return l
}

// totalLines counts the body lines.
func (m *Model) totalLines() int {
	n := len(m.order)
	for _, g := range m.groups {
		if g.n > 0 {
			n++
		}
	}
	return n
}

// lineAt says what body line l shows: a group header (g ≥ 0) or order index i.
func (m *Model) lineAt(l int) (g, i int) {
	cur := 0
	for gi, gs := range m.groups {
		if gs.n == 0 {
			continue
		}
		if l == cur {
			return gi, -1
		}
		cur++
		if l < cur+gs.n {
			return -1, gs.first + l - cur
		}
		cur += gs.n
	}
	return -1, -1
}

// layout splits the width between the list and the Up next panel (0 when too narrow).
func (m *Model) layout() (listW, panelW int) {
	switch {
	case m.width < 64:
		return m.width, 0
	case m.width < 110:
		panelW = 30 + max(0, m.width-80)/10
	default:
		// The list keeps most of the room: names need it more than Up next does.
		panelW = min(64, m.width*3/8)
	}
	return m.width - panelW - 1, panelW
}

// promptLines is how many lines the search box or a prompt takes under the list.
func (m *Model) promptLines() int {
	switch m.mode {
	case modeSearch:
		return 1
	case modeInput:
		if m.ask != nil {
			listW, _ := m.layout()
			return len(m.promptView(listW))
		}
		return 2
	}
	return 0
}

// bodyHeight is how many list lines fit under the title and the column header.
func (m *Model) bodyHeight() int {
	return max(1, m.height-2-m.promptLines())
}

// scroll keeps the cursor's line (and its group's header when it is the group's first
// task) in view.
func (m *Model) scroll() {
	h := m.bodyHeight()
	if len(m.order) == 0 {
		m.offset = 0
		return
	}
	l := m.lineOf(m.cursor)
	top := l
	if _, i := m.lineAt(l - 1); l > 0 && i < 0 {
		top = l - 1 // the group's header
	}
	if top < m.offset {
		m.offset = top
	}
	if l >= m.offset+h {
		m.offset = l - h + 1
	}
	m.offset = max(0, min(m.offset, m.totalLines()-h))
}

// click selects the row under a click (y counts from the top of the screen's area); a
// second click on the task the first one selected (a double click) opens its Up next.
func (m *Model) click(x, y int) tea.Cmd {
	listW, _ := m.layout()
	if x >= listW {
		return nil
	}
	l := y - 2 + m.offset
	if y < 2 || l >= m.totalLines() {
		return nil
	}
	_, i := m.lineAt(l)
	if i < 0 {
		m.open.armed = ""
		return nil
	}
	id := m.rows[m.order[i]].ID
	if m.open.armed == id && m.cursor == i {
		return m.openUpNext()
	}
	cmd := m.setCursor(i)
	m.open.armed = id
	return cmd
}

// columns are the widths of the list's columns for a list width.
type columns struct {
	record, entity, step, seq, who, due int
}

// dueWidth fits "Mar 02 09:00" and "today 09:00".
const dueWidth = 12

func (m *Model) columns(listW int) columns {
	c := columns{entity: 8, due: dueWidth}
	rest := listW - 2 - c.due - c.entity - 1 // the marker, due and type with its gap
	if m.scope.All || m.scope.User != "" {
		if rest >= 60 {
			c.who = 10
			rest -= c.who + 1
		}
	}
	if rest >= 44 {
		// record, step and sequence with their gaps; the record's name takes the most.
		rest -= 3
		c.record = rest * 44 / 100
		c.step = rest * 32 / 100
		c.seq = rest - c.record - c.step
	} else {
		rest -= 2
		c.record = rest / 2
		c.step = rest - c.record
	}
	return c
}

// cell pads or cuts s to width w.
func cell(s string, w int) string {
	if w <= 0 {
		return ""
	}
	if ansi.StringWidth(s) > w {
		return ansi.Truncate(s, w, "…")
	}
	return s + strings.Repeat(" ", w-ansi.StringWidth(s))
}

// when shows a time in the user's zone, short: "today 14:30", "Mar 03 09:00".
func (m *Model) when(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	l := t.In(m.loc)
	if !l.Before(m.dayEnds[0]) && l.Before(m.dayEnds[1]) {
		return "today " + l.Format("15:04")
	}
	if l.Year() != m.dayEnds[0].Year() {
		return l.Format("2006-01-02")
	}
	return l.Format("Jan 02 15:04")
}

// listLines renders the title, the column header and the visible body lines.
func (m *Model) listLines(listW, height int) []string {
	st := m.c.Styles
	out := make([]string, 0, height)
	out = append(out, cell(m.title(), listW))
	c := m.columns(listW)
	hdr := "  " + cell("Record", c.record) + " " + cell("Type", c.entity) + " " + cell("Step", c.step)
	if c.seq > 0 {
		hdr += " " + cell("Sequence", c.seq)
	}
	if c.who > 0 {
		hdr += " " + cell("Assignee", c.who)
	}
	hdr += " " + cell("Due", c.due)
	out = append(out, st.Header.Render(cell(hdr, listW)))
	body := height - 2 - m.promptLines()
	switch {
	case m.loadErr != nil:
		out = append(out, st.Danger.Render(cell("Could not load the work list: "+m.loadErr.Error(), listW)))
	case !m.loaded:
		out = append(out, st.Muted.Render(cell("Loading…", listW)))
	case len(m.order) == 0 && (m.filter.active() || m.search != ""):
		out = append(out, st.Muted.Render(cell("No task matches the filters (F clears them).", listW)))
	case len(m.order) == 0:
		out = append(out, st.Muted.Render(cell("No open tasks. Nothing to do!", listW)))
	}
	for l := m.offset; l < m.offset+body && len(m.order) > 0; l++ {
		g, i := m.lineAt(l)
		switch {
		case g >= 0:
			out = append(out, m.groupLine(g, listW))
		case i >= 0:
			out = append(out, m.rowLine(i, c, listW))
		}
	}
	for len(out) < height-m.promptLines() {
		out = append(out, strings.Repeat(" ", listW))
	}
	return out
}

// title is the first line: whose list, how many tasks, the filters, sort and search.
func (m *Model) title() string {
	whose := "My work list"
	switch {
	case m.scope.All:
		whose = "Whole team"
	case m.scope.User != "":
		whose = "Work list of " + m.scope.User
	}
	parts := []string{fmt.Sprintf("%s · %d", whose, len(m.order))}
	if len(m.order) != len(m.rows) {
		parts[0] += fmt.Sprintf(" of %d", len(m.rows))
	}
	parts[0] += " tasks"
	if f := m.filter; f.active() {
		if f.Due != "" {
			parts = append(parts, "due: "+dueLabel(f.Due))
		}
		if f.Entity != "" {
			parts = append(parts, "type: "+f.Entity)
		}
		if f.Activity != "" {
			parts = append(parts, "activity: "+stepLabel(f.Activity))
		}
	}
	if m.search != "" && m.mode != modeSearch {
		parts = append(parts, "search: "+m.search)
	}
	parts = append(parts, "sort: "+m.sortBy, "times in "+common.ZoneLabel(m.c.Location(), m.c.Engine.Clock().Now()))
	if m.busy != "" {
		parts = append(parts, m.busy)
	}
	return m.c.Styles.Title.Render(parts[0]) + m.c.Styles.Muted.Render(" · "+strings.Join(parts[1:], " · "))
}

func dueLabel(d string) string {
	if d == "upcoming" {
		return "from tomorrow"
	}
	return d
}

func (m *Model) groupLine(g, w int) string {
	st := m.c.Styles
	text := fmt.Sprintf("%s (%d)", groupNames[g], m.groups[g].n)
	style := st.Accent
	switch g {
	case grOverdue:
		style = st.Danger
	case grToday:
		style = st.Warning
	}
	return style.Render(cell(text, w))
}

func (m *Model) rowLine(i int, c columns, w int) string {
	r := &m.rows[m.order[i]]
	name := r.RecordName
	if len(r.Assignees) > 1 {
		name += " · team" // a team task, shared with others; Up next names them
	}
	if r.Why != "" {
		name += " · moved" // due later or handed over by the engine; Up next says why
	}
	mark := "  "
	if i == m.cursor {
		mark = "› "
	}
	line := mark + cell(name, c.record) + " " + cell(r.entity(), c.entity) + " " + cell(icon(r.Type)+" "+r.Name, c.step)
	if c.seq > 0 {
		line += " " + cell(r.Sequence, c.seq)
	}
	if c.who > 0 {
		who := ""
		if len(r.Assignees) > 0 {
			who = r.Assignees[0]
		}
		line += " " + cell(who, c.who)
	}
	due := cell(m.when(r.DueAt), c.due)
	pad := max(0, w-ansi.StringWidth(line)-1-c.due)
	if i == m.cursor {
		return m.c.Styles.Selected.Render(cell(line+" "+due, w))
	}
	dueStyle := m.c.Styles.Muted
	if r.group == grOverdue {
		dueStyle = m.c.Styles.Danger
	}
	return m.c.Styles.Text.Render(line+" ") + dueStyle.Render(due) + strings.Repeat(" ", pad)
}

// icon is the symbol of a step type, as every screen shows it (common.StepIcon).
func icon(t string) string { return common.StepIcon(t) }

// stepLabel is a step type in words.
func stepLabel(t string) string {
	switch t {
	case "call":
		return "call"
	case "email":
		return "email"
	case "sms":
		return "text message"
	case "task":
		return "task"
	case "linkedin_research":
		return "LinkedIn research"
	case "linkedin_introduce":
		return "LinkedIn introduction"
	case "linkedin_connect":
		return "LinkedIn connect"
	case "linkedin_inmail":
		return "LinkedIn InMail"
	}
	return strings.ReplaceAll(t, "_", " ")
}
