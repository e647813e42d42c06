package console

import (
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/pacer-sales/pacer/ui/components/grid"
)

// Up next opened: a double click on a task (or enter) opens its record's Up next over the
// whole screen, where nothing of it is cut: the current step with its keys, every step
// ahead and done, every field. The action keys still act on the task; ↑↓ scroll; esc (or
// enter) goes back to the list. The seller stays in the work list, on the task.

// opened is the state of the opened Up next.
type opened struct {
	on     bool
	scroll int
	// armed is the task a first click selected (its id): a second click on it opens.
	armed string
}

// openUpNext opens the selected task's Up next.
func (m *Model) openUpNext() tea.Cmd {
	if _, ok := m.selected(); !ok {
		return nil
	}
	m.open = opened{on: true}
	return m.upNextCmd(false)
}

// openedLines draws the opened Up next: a title line, then Up next at the full width.
func (m *Model) openedLines() []string {
	st := m.c.Styles
	title := "Up next"
	if r, ok := m.selected(); ok {
		title += ": " + grid.Clean(r.RecordName) + " (" + grid.Clean(r.Record) + ")"
	}
	head := st.Title.Render(title) + "  " + st.Muted.Render("esc back to the list")
	h := max(1, m.height-1)
	lines := wrapLines(m.upNextLines(), m.width, 1<<20)
	m.open.scroll = max(0, min(m.open.scroll, len(lines)-h))
	lines = lines[m.open.scroll:]
	if len(lines) > h {
		lines = lines[:h]
		lines[h-1] = st.Muted.Render(cell("… ↓ scrolls", m.width))
	}
	out := []string{cell(head, m.width)}
	for _, l := range lines {
		out = append(out, cell(l, m.width))
	}
	for len(out) < m.height {
		out = append(out, strings.Repeat(" ", m.width))
	}
	return out
}

// openedKey handles a key while Up next is opened: scrolling and closing here, the rest
// as in the list.
func (m *Model) openedKey(msg tea.KeyPressMsg) tea.Cmd {
	k := m.keys
	page := max(1, m.height-2)
	switch {
	case key.Matches(msg, k.Cancel), key.Matches(msg, k.Open):
		m.open = opened{}
		return nil
	case key.Matches(msg, k.Up):
		m.open.scroll = max(0, m.open.scroll-1)
	case key.Matches(msg, k.Down):
		m.open.scroll++
	case key.Matches(msg, k.PageUp):
		m.open.scroll = max(0, m.open.scroll-page)
	case key.Matches(msg, k.PageDown):
		m.open.scroll += page
	case key.Matches(msg, k.Top):
		m.open.scroll = 0
	default:
		return m.listKey(msg)
	}
	return nil
}

// openedHelp is the footer while Up next is opened.
func (m *Model) openedHelp() []key.Binding {
	k := m.keys
	scroll := key.NewBinding(key.WithKeys("up", "down"), key.WithHelp("↑↓", "scroll"))
	back := key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "back to the list"))
	return []key.Binding{scroll, k.Done, k.Skip, k.Snooze, k.SkipWait, k.Compose, back}
}
