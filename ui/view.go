package ui

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/pacer-sales/pacer/ui/common"
	"github.com/pacer-sales/pacer/ui/components/dialog"
)

// headerLines is the height of the header: the title line and a rule under it.
const headerLines = 2

// clockLayout is how the header shows the time.
const clockLayout = "Mon 2 Jan 15:04"

// tabNames are the header's tabs, keyed by the global keys 1 to 4.
var tabNames = [tabCount]string{tabSequences: "1 Sequences", tabWorkList: "2 Work list", tabRecords: "3 Records", tabAdmin: "4 Admin"}

// brand starts the header.
const brand = " pacer "

// View draws the header, the active screen and the footer on the alternate screen.
func (m *Root) View() tea.View {
	v := tea.NewView(m.render())
	v.AltScreen = true
	v.WindowTitle = "pacer"
	if !m.opts.NoMouse {
		v.MouseMode = tea.MouseModeCellMotion
	}
	return v
}

// tooSmall reports a terminal below MinWidth×MinHeight.
func (m *Root) tooSmall() bool { return m.width < MinWidth || m.height < MinHeight }

// render draws the whole frame as text: header, screen area and footer, or the
// too-small notice.
func (m *Root) render() string {
	if m.width == 0 || m.height == 0 {
		return ""
	}
	if m.tooSmall() {
		return m.renderTooSmall()
	}
	w, h := m.area()
	var b strings.Builder
	b.WriteString(m.renderHeader())
	b.WriteByte('\n')
	b.WriteString(m.c.Styles.Muted.Render(strings.Repeat("─", m.width)))
	b.WriteByte('\n')
	b.WriteString(fit(m.active().View(), w, h))
	b.WriteByte('\n')
	b.WriteString(m.renderStatus())
	b.WriteByte('\n')
	b.WriteString(m.renderHelp())
	return b.String()
}

// renderTooSmall says the terminal is too small and what it needs, centered.
func (m *Root) renderTooSmall() string {
	st := m.c.Styles
	msg := strings.Join([]string{
		st.Warning.Bold(true).Render("The terminal is too small"),
		fmt.Sprintf("it is %d×%d; pacer needs at least %d×%d", m.width, m.height, MinWidth, MinHeight),
		st.Muted.Render("enlarge the window, or press q to quit"),
	}, "\n")
	return fit(lipgloss.Place(m.width, m.height, lipgloss.Center, lipgloss.Center, msg), m.width, m.height)
}

// tabSpan is where a tab sits on the header line.
type tabSpan struct{ tab, start, end int }

// tabSpans lists the header's tabs and their columns (none during the first run).
func (m *Root) tabSpans() []tabSpan {
	if m.first != nil {
		return nil
	}
	x := ansi.StringWidth(brand) + 1
	spans := make([]tabSpan, 0, tabCount)
	for t, name := range tabNames {
		if t == tabAdmin && !adminTab(m.c.User) {
			continue
		}
		w := ansi.StringWidth(name) + 2
		spans = append(spans, tabSpan{t, x, x + w})
		x += w + 1
	}
	return spans
}

// renderHeader is the title line: the product, the tabs (the active one in brackets, not
// only in colour), the acting user with their role and the clock.
func (m *Root) renderHeader() string {
	st := m.c.Styles
	left := st.Title.Render(brand) + " "
	if m.first != nil {
		left += st.Muted.Render("first run")
	}
	for _, sp := range m.tabSpans() {
		if sp.tab == m.tab {
			left += st.TabActive.Render("["+tabNames[sp.tab]+"]") + " "
		} else {
			left += st.Tab.Render(" "+tabNames[sp.tab]+" ") + " "
		}
	}
	clock := m.now.In(m.loc).Format(clockLayout) + " " + common.ZoneLabel(m.loc, m.now)
	who := ""
	if m.c.User.Username != "" {
		who = m.c.User.Username + " (" + roleNames(m.c.User) + ")"
	}
	room := m.width - ansi.StringWidth(left) - ansi.StringWidth(clock) - 4
	if ansi.StringWidth(who) > room {
		who = ansi.Truncate(who, max(room, 0), "…")
	}
	right := st.Text.Render(who) + "  " + st.Muted.Render(clock) + " "
	gap := m.width - ansi.StringWidth(left) - ansi.StringWidth(right)
	return left + strings.Repeat(" ", max(gap, 0)) + right
}

// maxStatusLines bounds the footer's status lines: a long message is wrapped onto at most
// this many, the last one marked when it is cut.
const maxStatusLines = 4

// renderStatus is the footer's status lines: a pending question with its answers, else the
// last message, wrapped to the width (see statusLines).
func (m *Root) renderStatus() string {
	return fit(strings.Join(m.statusLines(), "\n"), m.width, m.statusHeight())
}

// statusHeight is how many lines the status takes (at least one).
func (m *Root) statusHeight() int { return max(len(m.statusLines()), 1) }

// statusLines are the status lines: a question's (Confirm.Lines), else the message wrapped.
func (m *Root) statusLines() []string {
	st := m.c.Styles
	w := max(m.width-1, 1)
	if m.confirm != nil {
		return indent(m.confirm.d.Lines(st, w))
	}
	if m.status.Text == "" {
		return []string{""}
	}
	text, style := m.status.Text, st.Text
	if m.status.Err {
		text, style = "✗ Error: "+text, st.Danger
	}
	lines := dialog.Wrap(text, w)
	if len(lines) > maxStatusLines {
		lines = lines[:maxStatusLines]
		lines[maxStatusLines-1] = ansi.Truncate(lines[maxStatusLines-1], w-1, "") + "…"
	}
	for i, l := range lines {
		lines[i] = style.Render(l)
	}
	return indent(lines)
}

// indent puts the footer's one-cell margin before each line.
func indent(lines []string) []string {
	for i, l := range lines {
		lines[i] = " " + l
	}
	return lines
}

// renderHelp is the key help: on one line the active screen's keys, cut to fit, with the
// global keys that work now always shown on the right; with ? every key, the global ones
// in the first column.
func (m *Root) renderHelp() string {
	screen, global := m.helpKeys()
	if m.help.ShowAll {
		return fit(m.fullHelp(screen, global), m.width, m.helpHeight())
	}
	g := m.help.ShortHelpView(global)
	room := max(m.width-ansi.StringWidth(g)-2, 1)
	hm := m.help
	hm.SetWidth(room)
	s := hm.ShortHelpView(screen.ShortHelp())
	if ansi.StringWidth(s) > room {
		// The help's own cut can leave the line too wide; the global keys must stay.
		s = ansi.Truncate(s, room-1, "") + "…"
	}
	gap := m.width - ansi.StringWidth(s) - ansi.StringWidth(g) - 1
	return fit(s+strings.Repeat(" ", max(gap, 1))+g, m.width, 1)
}

// fullHelp is the help shown with ?: the global keys, then the screen's columns.
func (m *Root) fullHelp(screen help.KeyMap, global []key.Binding) string {
	groups := [][]key.Binding{global}
	for _, g := range screen.FullHelp() {
		if len(g) > 0 {
			groups = append(groups, g)
		}
	}
	return m.help.FullHelpView(groups)
}

// helpHeight is how many lines the key help takes.
func (m *Root) helpHeight() int {
	if !m.help.ShowAll {
		return 1
	}
	return max(lipgloss.Height(m.fullHelp(m.helpKeys())), 1)
}

// area is the size left to the screen between header and footer.
func (m *Root) area() (int, int) {
	return m.width, max(m.height-headerLines-m.statusHeight()-m.helpHeight(), 1)
}

// helpKeys are the keys of the moment: the screen's, and the global keys that work now
// (only ctrl+c while the screen takes text; a question has only its answers).
func (m *Root) helpKeys() (help.KeyMap, []key.Binding) {
	if m.confirm != nil {
		return noKeys{}, m.confirm.d.Help()
	}
	act := m.active()
	if act.CapturesInput() {
		return act, []key.Binding{key.NewBinding(key.WithKeys("ctrl+c"), key.WithHelp("ctrl+c", "quit"))}
	}
	if m.first != nil || !m.help.ShowAll {
		// The tabs and their keys are in the header; the short line keeps to ? and q.
		return act, []key.Binding{m.keys.Help, m.keys.Quit}
	}
	return act, []key.Binding{m.keys.Sequences, m.keys.WorkList, m.keys.Records, m.keys.Help, m.keys.Quit}
}

// noKeys is an empty key map.
type noKeys struct{}

// ShortHelp is empty.
func (noKeys) ShortHelp() []key.Binding { return nil }

// FullHelp is empty.
func (noKeys) FullHelp() [][]key.Binding { return nil }

// helpStyles colours the key help from the shared styles.
func helpStyles(st *common.Styles) help.Styles {
	return help.Styles{
		Ellipsis:       st.Muted,
		ShortKey:       st.Accent.Bold(true),
		ShortDesc:      st.Muted,
		ShortSeparator: st.Muted,
		FullKey:        st.Accent.Bold(true),
		FullDesc:       st.Muted,
		FullSeparator:  st.Muted,
	}
}

// fit makes s exactly h lines of at most w cells: longer lines are cut, missing lines
// added.
func fit(s string, w, h int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > h {
		lines = lines[:h]
	}
	for i, l := range lines {
		if ansi.StringWidth(l) > w {
			lines[i] = ansi.Truncate(l, w, "")
		}
	}
	for len(lines) < h {
		lines = append(lines, "")
	}
	return strings.Join(lines, "\n")
}

// mouse handles a mouse message: a click on a tab switches to it; inside the screen's area
// the message goes to the screen with coordinates relative to the area.
func (m *Root) mouse(msg tea.MouseMsg) tea.Cmd {
	if m.confirm != nil || m.tooSmall() || m.width == 0 {
		return nil
	}
	mo := msg.Mouse()
	if _, click := msg.(tea.MouseClickMsg); click && mo.Y == 0 && mo.Button == tea.MouseLeft {
		if m.active().CapturesInput() {
			// The screen is taking text (a form, a search): the tabs wait, as their keys do.
			return nil
		}
		for _, sp := range m.tabSpans() {
			if mo.X >= sp.start && mo.X < sp.end {
				return m.switchTab(sp.tab)
			}
		}
		return nil
	}
	_, h := m.area()
	if mo.Y < headerLines || mo.Y >= headerLines+h {
		return nil
	}
	mo.Y -= headerLines
	var out tea.Msg
	switch msg.(type) {
	case tea.MouseClickMsg:
		out = tea.MouseClickMsg(mo)
	case tea.MouseReleaseMsg:
		out = tea.MouseReleaseMsg(mo)
	case tea.MouseWheelMsg:
		out = tea.MouseWheelMsg(mo)
	case tea.MouseMotionMsg:
		out = tea.MouseMotionMsg(mo)
	default:
		return nil
	}
	return m.forward(out)
}
