package home

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/pacer-sales/pacer/engine"
	"github.com/pacer-sales/pacer/ui/components/grid"
)

// picker is the filter dialog: a column's values with checkboxes.
type picker struct {
	col     grid.Column
	values  []string
	checked []bool
	cursor  int
	offset  int
}

// confirm asks yes or no before an action.
type confirm struct {
	title  string
	lines  []string
	yes    tea.Cmd
	danger bool
}

// prompt asks for one line of text (a copy's name, tags).
type prompt struct {
	title  string
	input  textinput.Model
	submit func(string) tea.Cmd
}

// problems lists every problem that keeps a sequence from being activated.
type problems struct {
	err    *engine.ProblemsError
	offset int
}

// newPrompt returns a prompt titled title, holding value, its input width cells wide.
func (m *Model) newPrompt(title, value string, width int) prompt {
	in := newInput(m.st, "")
	in.SetWidth(width)
	in.SetValue(value)
	in.CursorEnd()
	return prompt{title: title, input: in}
}

// panelWidth is the width of a dialog box, borders included.
func (m *Model) panelWidth() int { return max(min(m.width, 100), 20) }

// promptWidth is the width of a prompt's text input.
func (m *Model) promptWidth() int { return max(m.panelWidth()-8, 10) }

// panelRows is how many content lines a dialog box holds.
func (m *Model) panelRows() int { return max(m.height-1-2, 1) }

// panel draws a dialog box: a title, the content clipped to the screen, and a footer line
// (the dialog's keys) that always shows.
func (m *Model) panel(title, content, footer string) string {
	st := m.st
	w := m.panelWidth()
	lines := []string{st.Title.Render(title), ""}
	lines = append(lines, strings.Split(content, "\n")...)
	if rows := m.panelRows() - 2; len(lines) > rows {
		lines = lines[:max(rows, 1)]
	}
	lines = append(lines, "", st.Muted.Render(footer))
	for i, l := range lines {
		lines[i] = fitLine(l, w-4)
	}
	return st.Border.Padding(0, 1).Width(w).Render(strings.Join(lines, "\n"))
}

// fitLine cuts a styled line to w cells.
func fitLine(s string, w int) string {
	if ansi.StringWidth(s) <= w {
		return s
	}
	return ansi.Truncate(s, w, "…")
}

// openPicker opens the filter dialog of the selected column.
func (m *Model) openPicker() {
	col := m.grid.SelectedColumn()
	c, ok := engine.ColumnByKey(col.Key)
	if !ok {
		return
	}
	var values []string
	for i, ec := range engine.Columns {
		if ec.Key == c.Key {
			values = m.set.values[i]
		}
	}
	p := picker{col: col, values: values, checked: make([]bool, len(values))}
	on := map[string]bool{}
	for _, v := range m.grid.Filter(col.Key) {
		on[strings.ToLower(v)] = true
	}
	for i, v := range values {
		p.checked[i] = on[strings.ToLower(v)]
	}
	m.picker = p
	m.mode = modePicker
}

func (m *Model) pickerKey(msg tea.KeyPressMsg) tea.Cmd {
	p := &m.picker
	k := m.keys
	rows := m.pickerRows()
	switch {
	case key.Matches(msg, k.Cancel):
		m.mode = modeGrid
	case key.Matches(msg, k.PanelUp):
		p.cursor = max(p.cursor-1, 0)
	case key.Matches(msg, k.PanelDown):
		p.cursor = min(p.cursor+1, max(len(p.values)-1, 0))
	case msg.String() == "pgup":
		p.cursor = max(p.cursor-rows, 0)
	case msg.String() == "pgdown":
		p.cursor = min(p.cursor+rows, max(len(p.values)-1, 0))
	case key.Matches(msg, k.Toggle):
		if len(p.checked) > 0 {
			p.checked[p.cursor] = !p.checked[p.cursor]
		}
	case key.Matches(msg, k.ToggleAll):
		all := true
		for _, c := range p.checked {
			all = all && c
		}
		for i := range p.checked {
			p.checked[i] = !all
		}
	case key.Matches(msg, k.Apply):
		var vals []string
		for i, c := range p.checked {
			if c {
				vals = append(vals, p.values[i])
			}
		}
		m.grid.SetFilter(p.col.Key, vals)
		m.mode = modeGrid
		return m.rememberLayout()
	}
	if p.cursor < p.offset {
		p.offset = p.cursor
	} else if p.cursor >= p.offset+rows {
		p.offset = p.cursor - rows + 1
	}
	return nil
}

// pickerRows is how many values the filter dialog shows at once.
func (m *Model) pickerRows() int { return max(m.panelRows()-4, 1) }

func (m *Model) pickerView() string {
	p := &m.picker
	st := m.st
	var b strings.Builder
	if len(p.values) == 0 {
		b.WriteString(st.Muted.Render("This column has no values to filter by."))
	}
	end := min(p.offset+m.pickerRows(), len(p.values))
	for i := p.offset; i < end; i++ {
		box := "[ ] "
		if p.checked[i] {
			box = "[x] "
		}
		v := p.values[i]
		if v == "" {
			v = "(empty)"
		}
		line := box + grid.Clean(v)
		if i == p.cursor {
			line = st.Selected.Render("› " + line)
		} else {
			line = "  " + line
		}
		if i > p.offset {
			b.WriteByte('\n')
		}
		b.WriteString(line)
	}
	return m.panel(fmt.Sprintf("Filter by %s: show the rows with any checked value", p.col.Title), b.String(),
		fmt.Sprintf("%d value(s) · space check · a all/none · enter apply (none checked: no filter) · esc cancel", len(p.values)))
}

func (m *Model) confirmKey(msg tea.KeyPressMsg) tea.Cmd {
	switch {
	case key.Matches(msg, m.keys.Yes):
		m.mode = modeGrid
		return m.confirm.yes
	case key.Matches(msg, m.keys.No):
		m.mode = modeGrid
	}
	return nil
}

func (m *Model) confirmView() string {
	st := m.st
	var b strings.Builder
	for _, l := range m.confirm.lines {
		b.WriteString(ansi.Wordwrap(l, m.panelWidth()-4, " "))
		b.WriteByte('\n')
	}
	title := m.confirm.title
	if m.confirm.danger {
		title = st.Danger.Render(title)
	}
	return m.panel(title, strings.TrimSuffix(b.String(), "\n"), "y/enter yes · n/esc no")
}

func (m *Model) promptKey(msg tea.KeyPressMsg) tea.Cmd {
	switch msg.String() {
	case "esc":
		m.prompt.input.Blur()
		m.mode = modeGrid
		return nil
	case "enter":
		m.prompt.input.Blur()
		m.mode = modeGrid
		return m.prompt.submit(m.prompt.input.Value())
	}
	var cmd tea.Cmd
	m.prompt.input, cmd = m.prompt.input.Update(msg)
	return cmd
}

func (m *Model) promptView() string {
	return m.panel(m.prompt.title, "> "+m.prompt.input.View(), "enter save · esc cancel")
}

func (m *Model) problemsKey(msg tea.KeyPressMsg) tea.Cmd {
	k := m.keys
	switch {
	case key.Matches(msg, k.Close):
		m.mode = modeGrid
	case key.Matches(msg, k.OpenFix):
		m.mode = modeGrid
		return openCmd(m.problems.err.Sequence)
	case key.Matches(msg, k.PanelUp):
		m.problems.offset = max(m.problems.offset-1, 0)
	case key.Matches(msg, k.PanelDown):
		m.problems.offset = min(m.problems.offset+1, max(len(m.problems.err.Problems)-1, 0))
	}
	return nil
}

// problemsView lists each problem with where it is (path and step id), what is wrong and
// its code.
func (m *Model) problemsView() string {
	st := m.st
	pe := m.problems.err
	var b strings.Builder
	for i, p := range pe.Problems[m.problems.offset:] {
		if i > 0 {
			b.WriteByte('\n')
		}
		where := p.Path
		if where == "" {
			where = "sequence"
		}
		step := p.StepID
		if step == "" {
			step = "-"
		}
		fmt.Fprintf(&b, "%s %s  step %s  [%s]\n", st.Danger.Render("✗"), where, step, p.Code)
		b.WriteString(ansi.Wordwrap("  "+p.Message, m.panelWidth()-4, " "))
	}
	return m.panel(fmt.Sprintf("%q can't be activated: %d problem(s)", pe.Sequence, len(pe.Problems)), b.String(),
		"↑/↓ scroll · enter open it to fix · esc close")
}
