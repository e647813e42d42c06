package records

import (
	"fmt"
	"slices"
	"strings"

	"time"

	"charm.land/bubbles/v2/key"
	"github.com/charmbracelet/x/ansi"

	"github.com/pacer-sales/pacer/engine"
	"github.com/pacer-sales/pacer/ui/common"
	"github.com/pacer-sales/pacer/ui/components/dialog"
	"github.com/pacer-sales/pacer/ui/components/grid"
)

// View draws the list or the record view, with a dialog over it when one is open, in
// exactly the area given.
func (m *Model) View() string {
	if m.width <= 0 || m.height <= 0 {
		return ""
	}
	st := m.c.Styles
	var lines []string
	switch {
	case m.mode == modePicker && m.picker != nil:
		lines = strings.Split(m.picker.View(st, min(m.width, 90), m.height-1), "\n")
	case m.mode == modeConfirm && m.confirm != nil:
		lines = strings.Split(m.confirm.View(st, min(m.width, 90), m.height-1), "\n")
	case m.view != nil:
		lines = m.viewLines(st)
	default:
		lines = m.listLines(st)
	}
	status := ""
	if m.status != "" {
		if m.failed {
			status = st.Danger.Render("✗ " + m.status)
		} else {
			status = st.Success.Render("✓ " + m.status)
		}
	}
	body := m.height - 1
	if len(lines) > body {
		lines = lines[:body]
	}
	for len(lines) < body {
		lines = append(lines, "")
	}
	lines = append(lines, status)
	for i, l := range lines {
		lines[i] = dialog.Fit(l, m.width)
	}
	return strings.Join(lines, "\n")
}

// listLines are the title, the header and the page of records.
func (m *Model) listLines(st *common.Styles) []string {
	title := st.Title.Render("Records · "+m.entityName()) + st.Muted.Render(fmt.Sprintf("  ·  page %d", len(m.starts)))
	if len(m.marks) > 0 {
		title += st.Warning.Render(fmt.Sprintf("  ·  %d marked (C connects them)", len(m.marks)))
	}
	if m.mode == modeSearch {
		title = st.Title.Render("Search: ") + m.input.View()
	} else if m.search != "" {
		title += st.Muted.Render(fmt.Sprintf("  ·  search %q (esc clears)", m.search))
	}
	idW, nameW, ownerW := 12, max(14, (m.width-40)*2/5), 14
	seqW := max(10, m.width-2-2-idW-nameW-ownerW-3)
	head := fmt.Sprintf("    %-*s %-*s %-*s %s", idW, "Id", nameW, "Name", ownerW, "Owner", "In sequences (step · state · days in step / waiting until)")
	lines := []string{title, st.Header.Render(dialog.Fit(head, m.width))}
	switch {
	case m.err != nil:
		return append(lines, st.Danger.Render("Can't read the records: "+errText(m.err)))
	case m.loading && len(m.rows) == 0:
		return append(lines, st.Muted.Render("Loading…"))
	case len(m.rows) == 0:
		msg := "No " + m.entityName() + " records. e shows another record type."
		if m.search != "" {
			msg = fmt.Sprintf("No %s record holds %q in its name, email or id.", m.entityName(), m.search)
		}
		return append(lines, st.Muted.Render(msg))
	}
	now := m.c.Engine.Clock().Now()
	for i, r := range m.rows {
		box := "  "
		if _, on := m.marks[r.Ref()]; on {
			box = "▪ "
		}
		cur := "  "
		if i == m.cursor {
			cur = "› "
		}
		text := fmt.Sprintf("%-*s %-*s %-*s %s", idW, cellText(r.ID, idW), nameW, cellText(r.Name, nameW), ownerW, cellText(r.Owner, ownerW),
			cellText(m.standings(r.Standings, now), seqW))
		if i == m.cursor {
			lines = append(lines, cur+box+st.Selected.Render(text))
		} else {
			lines = append(lines, cur+box+st.Text.Render(text))
		}
	}
	more := "end of the list"
	if m.more {
		more = "↓ at the last row or pgdn: next page"
	}
	lines = append(lines, st.Muted.Render(fmt.Sprintf("%d on this page · %s", len(m.rows), more)))
	return lines
}

// cellText cleans and cuts a cell.
func cellText(s string, w int) string {
	s = grid.Clean(s)
	if ansi.StringWidth(s) > w {
		return ansi.Truncate(s, w, "…")
	}
	return s
}

// standings says where a record stands in each sequence: "Seq: ◷ Wait · waiting until
// Mon Mar 4 09:00 PST; Other: completed".
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
		case s.Waiting:
			p += common.StepIcon(s.StepType) + " " + s.StepName + " · waiting until " + m.when(s.WakeAt)
		default:
			p += fmt.Sprintf("%s %s · active · %.1f d", common.StepIcon(s.StepType), s.StepName, now.Sub(s.EnteredAt).Hours()/24)
		}
		parts = append(parts, p)
	}
	return strings.Join(parts, "; ")
}

// viewLines are the record view: its fields, then each connection with its history.
func (m *Model) viewLines(st *common.Styles) []string {
	v := m.view
	var out []string
	out = append(out, st.Title.Render(grid.Clean(v.Name))+st.Muted.Render("  "+v.Ref()+"  ·  esc back · c connect · x disconnect · w skip wait"))
	if m.viewErr != nil {
		out = append(out, st.Danger.Render(errText(m.viewErr)))
	}
	out = append(out, "", st.Header.Render("Fields"))
	field := func(k, val string) {
		if val != "" {
			out = append(out, fmt.Sprintf("  %-16s %s", k, grid.Clean(val)))
		}
	}
	field("owner", v.Owner)
	field("stage", v.Stage)
	field("email", v.Email)
	field("phone", v.Phone)
	keys := make([]string, 0, len(v.Fields))
	for k := range v.Fields {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		field(k, fmt.Sprint(v.Fields[k]))
	}
	out = append(out, "", st.Header.Render("Sequences"))
	if len(v.Connections) == 0 {
		out = append(out, st.Muted.Render("  Not connected to any sequence. c connects it."))
	}
	for _, c := range v.Connections {
		line := fmt.Sprintf("  ◆ %s (v%d) · %s", c.Sequence, c.Version, c.State)
		switch {
		case c.State == "active":
			line += " · at " + common.StepIcon(c.StepType) + " " + c.StepName
			if isWait(c) && c.WakeAt != nil {
				line += " · waiting until " + m.when(*c.WakeAt) + " (w skips it)"
			}
		case c.Reason != "":
			line += " (" + c.Reason + ")"
		}
		out = append(out, st.Accent.Render(grid.Clean(line)))
		for _, h := range c.History {
			text := eventText(h.Type, h.StepID, h.By, h.Branch, h.Outcome, h.Event, h.Reason, h.Note)
			out = append(out, st.Text.Render("    "+m.when(h.At)+"  "+grid.Clean(text)))
		}
	}
	if m.offset > 0 {
		out = out[min(m.offset, max(len(out)-1, 0)):]
	}
	return out
}

// eventText is one history event in words: its type, step, who, then its details.
func eventText(typ, step, by string, details ...string) string {
	s := strings.ReplaceAll(typ, "_", " ")
	if step != "" {
		s += " · " + step
	}
	for _, x := range details {
		if x != "" {
			s += " · " + x
		}
	}
	if by != "" {
		s += " · by " + by
	}
	return s
}

// ShortHelp lists the keys that work now.
func (m *Model) ShortHelp() []key.Binding {
	k := m.keys
	switch m.mode {
	case modeSearch:
		return []key.Binding{key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "keep search")), k.ClearSearch}
	case modePicker:
		return m.picker.Help()
	case modeConfirm:
		return m.confirm.Help()
	case modeView:
		return []key.Binding{k.Connect, k.Disconnect, k.SkipWait, k.Up, k.Down, k.Back}
	}
	return []key.Binding{k.Up, k.Down, k.Open, k.Search, k.Entity, k.Mark, k.BulkConnect}
}

// FullHelp lists every key of the screen.
func (m *Model) FullHelp() [][]key.Binding {
	if m.mode != modeList {
		return [][]key.Binding{m.ShortHelp()}
	}
	k := m.keys
	return [][]key.Binding{
		k.Bindings(),
		{k.Open, k.Search, k.ClearSearch, k.Entity, k.Refresh},
		{k.Mark, k.MarkAll, k.Unmark, k.BulkConnect},
	}
}
