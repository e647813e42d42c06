package records

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"charm.land/bubbles/v2/key"

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
		lines = strings.Split(m.picker.View(st, min(m.width, 90), m.height), "\n")
	case m.mode == modeConfirm && m.confirm != nil:
		lines = strings.Split(m.confirm.View(st, min(m.width, 90), m.height), "\n")
	case m.mode == modePrompt && m.prompt != nil:
		lines = strings.Split(m.prompt.View(st, min(m.width, 90), m.height), "\n")
	case m.mode == modeReasons && m.refused != nil:
		lines = strings.Split(m.refused.view(st, min(m.width, 90), m.height), "\n")
	case m.view != nil:
		lines = m.viewLines(st)
	default:
		lines = m.listLines(st)
	}
	if len(lines) > m.height {
		lines = lines[:m.height]
	}
	for len(lines) < m.height {
		lines = append(lines, "")
	}
	for i, l := range lines {
		lines[i] = dialog.Fit(l, m.width)
	}
	return strings.Join(lines, "\n")
}

// view draws the reasons in a box w×h, wrapped to it, from the first one scrolled to.
func (r *refusal) view(st *common.Styles, w, h int) string {
	rows := max(h-6, 1) // the box's borders, title, blank line, blank line and footer
	var lines []string
	for _, reason := range r.reasons[r.offset:] {
		for i, l := range dialog.Wrap(reason, max(w-6, 1)) {
			if i == 0 {
				l = "• " + l
			} else {
				l = "  " + l
			}
			lines = append(lines, st.Text.Render(l))
		}
	}
	var above []string
	if r.offset > 0 {
		above = []string{st.Muted.Render(fmt.Sprintf("↑ %d reason(s) above", r.offset))}
		rows = max(rows-1, 1)
	}
	if len(lines) > rows {
		lines = append(lines[:max(rows-1, 0)], st.Muted.Render("↓ more reasons below"))
	}
	lines = append(above, lines...)
	return dialog.Panel(st, r.title, strings.Join(lines, "\n"), "↑↓ pgup pgdn scroll · esc or enter closes", w, h)
}

// listLines are the title and the grid (its header, the page of records and the position
// line).
func (m *Model) listLines(st *common.Styles) []string {
	title := st.Title.Render("Records · "+m.entityName()) + st.Muted.Render(m.summary())
	if len(m.marks) > 0 {
		title += st.Warning.Render(fmt.Sprintf("  ·  %d marked (C connects them)", len(m.marks)))
	}
	if m.mode == modeSearch {
		title = st.Title.Render("Search: ") + m.input.View()
	} else if m.search != "" {
		title += st.Muted.Render(fmt.Sprintf("  ·  search %q (esc clears)", m.search))
	}
	if m.loading && m.narrowed() {
		title += st.Warning.Render("  ·  searching…")
	}
	title += st.Muted.Render("  ·  times in " + common.ZoneLabel(m.loc, m.c.Engine.Clock().Now()))
	lines := []string{title}
	if m.err != nil && !errors.Is(m.err, context.Canceled) {
		return append(lines, st.Danger.Render("Can't read the records: "+errText(m.err)))
	}
	if !m.ready {
		return append(lines, st.Muted.Render("Loading…"))
	}
	return append(lines, strings.Split(m.grid.View(), "\n")...)
}

// viewLines are the record view: its fields, then each connection with its history.
func (m *Model) viewLines(st *common.Styles) []string {
	v := m.view
	var out []string
	out = append(out, st.Title.Render(grid.Clean(v.Name))+st.Muted.Render("  "+v.Ref()+"  ·  esc back · e edit · c connect · x disconnect · w skip wait · p pause · r resume"))
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
	now := m.c.Engine.Clock().Now()
	for _, c := range v.Connections {
		line := fmt.Sprintf("  ◆ %s (v%d) · %s", c.Sequence, c.Version, c.State)
		switch {
		case c.State == "active" && c.Pause != nil:
			line += " · ⏸ paused at " + common.StepIcon(c.StepType) + " " + c.StepName + " since " + m.when(c.Pause.At)
			if c.Pause.Reason != "" {
				line += " · " + c.Pause.Reason
			}
			if c.Pause.By != "" {
				line += " · by " + c.Pause.By
			}
			if !c.Pause.Until.IsZero() {
				line += " · resumes by itself " + m.when(c.Pause.Until)
			}
			line += " (r resumes it) · " + inStep(c.EnteredAt, now)
		case c.State == "active":
			line += " · at " + common.StepIcon(c.StepType) + " " + c.StepName
			if isWait(c) && c.WakeAt != nil {
				line += " · waiting until " + m.when(*c.WakeAt) + " (w skips it)"
			}
			line += " · " + inStep(c.EnteredAt, now)
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
	case modePrompt:
		return m.prompt.Help()
	case modeReasons:
		return append(m.keys.NavKeys.Bindings()[:4], key.NewBinding(key.WithKeys("esc", "enter"), key.WithHelp("esc", "close")))
	case modeView:
		return []key.Binding{k.Edit, k.Connect, k.Disconnect, k.SkipWait, k.Pause, k.Resume, k.Back}
	}
	return []key.Binding{k.Up, k.Down, k.Sort, k.Filter, k.Open, k.Search, k.Entity, k.Mark, k.BulkConnect}
}

// FullHelp lists every key of the screen.
func (m *Model) FullHelp() [][]key.Binding {
	if m.mode != modeList {
		return [][]key.Binding{m.ShortHelp()}
	}
	k := m.keys
	return [][]key.Binding{
		k.Bindings(),
		{k.Left, k.Right, k.Sort, k.MoveLeft, k.MoveRight, k.Columns},
		{k.Filter, k.ClearFilters, k.Search, k.ClearSearch, k.Entity, k.Refresh},
		{k.Open, k.Mark, k.MarkAll, k.Unmark, k.BulkConnect},
	}
}
