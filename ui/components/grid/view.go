package grid

import (
	"strconv"
	"strings"

	"github.com/charmbracelet/x/ansi"
)

// sep is the gap between columns.
const sep = " "

// layout returns the first shown display position and the width of each display position
// (0 when not shown). Flex columns share the spare room; when the columns are wider than the
// grid, the window starts as far left as it can while still showing the selected column.
func (m *Model) layout() (first int, widths []int) {
	n := len(m.order)
	widths = make([]int, n)
	if n == 0 || m.width <= 0 {
		return 0, widths
	}
	total, flex := 0, 0
	for p, c := range m.order {
		widths[p] = colWidth(m.cols[c])
		total += widths[p]
		if m.cols[c].Flex {
			flex++
		}
	}
	total += len(sep) * (n - 1)
	if total <= m.width {
		if spare := m.width - total; flex > 0 {
			share, rest := spare/flex, spare%flex
			for p, c := range m.order {
				if m.cols[c].Flex {
					widths[p] += share
					if rest > 0 {
						widths[p]++
						rest--
					}
				}
			}
		}
		return 0, widths
	}
	span := func(from, to int) int {
		s := 0
		for p := from; p <= to; p++ {
			s += widths[p]
		}
		return s + len(sep)*(to-from)
	}
	for first < m.sel && span(first, m.sel) > m.width {
		first++
	}
	room := m.width
	for p := range widths {
		switch {
		case p < first || room <= 0:
			widths[p] = 0
		case widths[p] > room:
			widths[p] = room
			room = 0
		default:
			room -= widths[p] + len(sep)
		}
	}
	return first, widths
}

// markRoom is the room a header keeps after its title for the sort arrow (" ▼").
const markRoom = 2

// colWidth is a column's width: its Width, widened so the title and the sort arrow fit
// whole (a sorted column's title is never cut).
func colWidth(c Column) int { return max(c.Width, textWidth(c.Title)+markRoom) }

// View renders the header, the rows of the window and the position line, in exactly the
// grid's height. Only the rows in the window are rendered, whatever the row count.
func (m *Model) View() string {
	if m.height <= 0 || m.width <= 0 {
		return ""
	}
	first, widths := m.layout()
	var b strings.Builder
	b.Grow((m.width + 16) * m.height)
	lines := 0
	line := func(s string) {
		if lines > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(s)
		lines++
	}
	line(m.header(first, widths))
	win := m.Window()
	if m.height >= 2 {
		end := min(m.offset+win, len(m.visible))
		if len(m.visible) == 0 {
			line(m.styles.Muted.Render(fit(m.Empty, m.width, false)))
		}
		for i := m.offset; i < end; i++ {
			line(m.row(m.visible[i], i == m.cursor, first, widths))
		}
		for lines < m.height-1 {
			line("")
		}
	}
	if m.height >= 3 || (m.height == 2 && lines < 2) {
		line(m.styles.Muted.Render(fit(m.position(first, widths), m.width, false)))
	}
	return b.String()
}

func (m *Model) header(first int, widths []int) string {
	var b strings.Builder
	used := 0
	for p := first; p < len(m.order); p++ {
		w := widths[p]
		if w == 0 {
			break
		}
		c := m.order[p]
		col := m.cols[c]
		// The marks (filtered, sort direction) survive a narrow column; the title is cut.
		marks := ""
		if _, ok := m.filters[c]; ok {
			marks += "*"
		}
		if c == m.sort {
			if m.desc {
				marks += " ▼"
			} else {
				marks += " ▲"
			}
		}
		if p > first {
			b.WriteString(sep)
			used += len(sep)
		}
		title := col.Title
		if mw := textWidth(marks); mw < w && textWidth(title)+mw > w {
			title = fit(title, w-mw, false)
		}
		cell := fit(title+marks, w, col.Right)
		if p == m.sel {
			b.WriteString(m.styles.HeaderSelected.Render(cell))
		} else {
			b.WriteString(m.styles.Header.Render(cell))
		}
		used += w
	}
	if used < m.width {
		b.WriteString(strings.Repeat(" ", m.width-used))
	}
	return b.String()
}

func (m *Model) row(r int32, selected bool, first int, widths []int) string {
	var b strings.Builder
	used := 0
	for p := first; p < len(m.order); p++ {
		w := widths[p]
		if w == 0 {
			break
		}
		if p > first {
			b.WriteString(sep)
			used += len(sep)
		}
		c := m.order[p]
		col := m.cols[c]
		text := m.rows.Cells[c][r]
		cell := fit(text, w, col.Right)
		if !selected && col.Style != nil {
			if st, ok := col.Style(text); ok {
				cell = st.Render(cell)
			}
		}
		b.WriteString(cell)
		used += w
	}
	if used < m.width {
		b.WriteString(strings.Repeat(" ", m.width-used))
	}
	if selected {
		return m.styles.Selected.Render(b.String())
	}
	return b.String()
}

// position is the position line: "12–30 of 10,000", what the filters and search left of the
// whole, and which columns show when not all fit.
func (m *Model) position(first int, widths []int) string {
	var b strings.Builder
	n := len(m.visible)
	switch {
	case m.Position != "":
		b.WriteString(m.Position)
	case n == 0:
		b.WriteString("0 of ")
		b.WriteString(Thousands(m.rows.Len()))
	default:
		end := min(m.offset+m.Window(), n)
		b.WriteString(Thousands(m.offset + 1))
		b.WriteString("–")
		b.WriteString(Thousands(end))
		b.WriteString(" of ")
		b.WriteString(Thousands(n))
	}
	if n != m.rows.Len() && n > 0 && m.Position == "" {
		b.WriteString(" (")
		b.WriteString(Thousands(m.rows.Len()))
		b.WriteString(" in all)")
	}
	last := first
	for p := first; p < len(widths) && widths[p] > 0; p++ {
		last = p
	}
	if first > 0 || last < len(widths)-1 {
		b.WriteString(" · columns ")
		b.WriteString(strconv.Itoa(first + 1))
		b.WriteString("–")
		b.WriteString(strconv.Itoa(last + 1))
		b.WriteString(" of ")
		b.WriteString(strconv.Itoa(len(widths)))
	}
	return b.String()
}

// columnAt finds the display position of the column under x.
func (m *Model) columnAt(x int) (int, bool) {
	first, widths := m.layout()
	at := 0
	for p := first; p < len(widths) && widths[p] > 0; p++ {
		if x >= at && x < at+widths[p]+len(sep) {
			return p, true
		}
		at += widths[p] + len(sep)
	}
	return 0, false
}

// fit pads or truncates s (plain text) to exactly w cells.
func fit(s string, w int, right bool) string {
	if w <= 0 {
		return ""
	}
	sw := textWidth(s)
	if sw > w {
		if isASCII(s) {
			s = s[:w-1] + "…"
		} else {
			s = ansi.Truncate(s, w, "…")
		}
		sw = textWidth(s)
	}
	if sw == w {
		return s
	}
	pad := strings.Repeat(" ", w-sw)
	if right {
		return pad + s
	}
	return s + pad
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

func textWidth(s string) int {
	if isASCII(s) {
		return len(s)
	}
	return ansi.StringWidth(s)
}

// Thousands formats n with thousands separators: 10000 → "10,000".
func Thousands(n int) string {
	s := strconv.Itoa(n)
	neg := strings.HasPrefix(s, "-")
	if neg {
		s = s[1:]
	}
	if len(s) <= 3 {
		if neg {
			return "-" + s
		}
		return s
	}
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	lead := len(s) % 3
	if lead > 0 {
		b.WriteString(s[:lead])
	}
	for i := lead; i < len(s); i += 3 {
		if b.Len() > 0 && !(neg && b.Len() == 1) {
			b.WriteByte(',')
		}
		b.WriteString(s[i : i+3])
	}
	return b.String()
}
