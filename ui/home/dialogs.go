package home

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/pacer-sales/pacer/engine"
	"github.com/pacer-sales/pacer/ui/components/dialog"
	"github.com/pacer-sales/pacer/ui/components/grid"
)

// filterDialog is the filter dialog: a column's values with checkboxes.
type filterDialog struct {
	col grid.Column
	p   *dialog.Picker
}

// confirm asks yes or no before an action.
type confirm struct {
	d   *dialog.Confirm
	yes tea.Cmd
}

// prompt asks for one line of text (a copy's name, tags).
type prompt struct {
	d      *dialog.Prompt
	submit func(string) tea.Cmd
}

// problems lists every problem that keeps a sequence from being activated.
type problems struct {
	err    *engine.ProblemsError
	offset int
}

// openPrompt shows a prompt titled title holding value; submit gets the text on enter.
func (m *Model) openPrompt(title, value string, submit func(string) tea.Cmd) {
	m.prompt = prompt{d: dialog.NewPrompt(m.st, title, value), submit: submit}
	m.mode = modePrompt
}

// ask shows a yes/no question; yes runs on yes.
func (m *Model) ask(d *dialog.Confirm, yes tea.Cmd) {
	m.confirm = confirm{d: d, yes: yes}
	m.mode = modeConfirm
}

// panelWidth is the width of a dialog box, borders included.
func (m *Model) panelWidth() int { return max(min(m.width, 100), 20) }

// panelHeight is the height a dialog box may take (the title line is above it).
func (m *Model) panelHeight() int { return max(m.height-1, 1) }

// panel draws a dialog box (see dialog.Panel).
func (m *Model) panel(title, content, footer string) string {
	return dialog.Panel(m.st, title, content, footer, m.panelWidth(), m.panelHeight())
}

// fitLine cuts a styled line to w cells.
func fitLine(s string, w int) string { return dialog.Fit(s, w) }

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
	on := map[string]bool{}
	for _, v := range m.grid.Filter(col.Key) {
		on[strings.ToLower(v)] = true
	}
	items := make([]dialog.Item, len(values))
	for i, v := range values {
		label := v
		if v == "" {
			label = "(empty)"
		}
		items[i] = dialog.Item{Label: label, Value: v, Checked: on[strings.ToLower(v)]}
	}
	p := dialog.NewPicker(fmt.Sprintf("Filter by %s: show the rows with any checked value (none checked: no filter)", col.Title), items)
	p.Multi = true
	p.Empty = "This column has no values to filter by."
	m.picker = filterDialog{col: col, p: p}
	m.mode = modePicker
}

func (m *Model) pickerKey(msg tea.KeyPressMsg) tea.Cmd {
	switch m.picker.p.Update(msg) {
	case dialog.Cancelled:
		m.mode = modeGrid
	case dialog.Accepted:
		var vals []string
		for _, it := range m.picker.p.Checked() {
			vals = append(vals, it.Value)
		}
		m.grid.SetFilter(m.picker.col.Key, vals)
		m.mode = modeGrid
		return m.rememberLayout()
	}
	return nil
}

func (m *Model) pickerView() string {
	return m.picker.p.View(m.st, m.panelWidth(), m.panelHeight())
}

func (m *Model) confirmKey(msg tea.KeyPressMsg) tea.Cmd {
	switch m.confirm.d.Update(msg) {
	case dialog.Accepted:
		m.mode = modeGrid
		if m.confirm.d.Yes() {
			return m.confirm.yes
		}
	case dialog.Cancelled:
		m.mode = modeGrid
	}
	return nil
}

func (m *Model) confirmView() string {
	return m.confirm.d.View(m.st, m.panelWidth(), m.panelHeight())
}

func (m *Model) promptKey(msg tea.KeyPressMsg) tea.Cmd {
	r, cmd := m.prompt.d.Update(msg)
	switch r {
	case dialog.Cancelled:
		m.mode = modeGrid
	case dialog.Accepted:
		m.mode = modeGrid
		return m.prompt.submit(m.prompt.d.Value())
	}
	return cmd
}

func (m *Model) promptView() string {
	return m.prompt.d.View(m.st, m.panelWidth(), m.panelHeight())
}

func (m *Model) problemsKey(msg tea.KeyPressMsg) tea.Cmd {
	k := m.keys
	switch {
	case key.Matches(msg, k.Close):
		m.mode = modeGrid
	case key.Matches(msg, k.OpenFix):
		m.mode = modeGrid
		return openCmd(m.problems.err.Sequence)
	default:
		m.problems.offset, _ = k.Move(msg, m.problems.offset, len(m.problems.err.Problems), m.panelHeight()/2)
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
