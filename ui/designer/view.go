package designer

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/pacer-sales/pacer/engine/sequence"
	"github.com/pacer-sales/pacer/ui/common"
	"github.com/pacer-sales/pacer/ui/components/dialog"
)

// View draws the page: the sequence's title line, the tabs, the tab's body and the status
// line, in exactly the area given by SetSize.
func (m *Model) View() string {
	st := m.c.Styles
	w := max(1, m.width)
	lines := []string{m.titleLine(st), m.tabsLine(st), ""}
	body := m.bodyHeight()
	var content string
	switch {
	case m.loadErr != nil:
		content = st.Danger.Render("Can't open the sequence: " + errText(m.loadErr))
	case !m.isLoaded():
		content = st.Muted.Render("Loading " + m.name + "…")
	case m.mode == modeForm && m.form != nil:
		content = m.form.View()
	case m.mode == modePicker || m.mode == modeVersions:
		content = m.picker.View(st, min(w, 100), body)
	case m.mode == modeRecords && m.records != nil:
		content = m.records.View(st, min(w, 100), body)
	case m.tab == tabConnected:
		content = m.connectedView(st, w, body)
	case m.tab == tabStats:
		content = m.statsView(st, w, body)
	default:
		content = m.designerView(st, w)
	}
	lines = append(lines, fit(content, w, body)...)
	lines = append(lines, m.statusLines(st, w)...)
	return strings.Join(lines, "\n")
}

// fit cuts or pads text to exactly height lines no wider than width.
func fit(s string, width, height int) []string {
	ls := strings.Split(s, "\n")
	if len(ls) > height {
		ls = ls[:height]
	}
	for i, l := range ls {
		ls[i] = ansi.Truncate(l, width, "…")
	}
	for len(ls) < height {
		ls = append(ls, "")
	}
	return ls
}

// titleLine names the sequence with its state, version, record type and owner.
func (m *Model) titleLine(st *common.Styles) string {
	if !m.isLoaded() {
		return st.Title.Render(m.name)
	}
	state := strings.ToUpper(string(m.seq.State)[:1]) + string(m.seq.State)[1:]
	if m.seq.Version > 0 {
		state += fmt.Sprintf(" v%d", m.seq.Version)
	}
	if m.old != nil {
		s := st.Title.Render(m.def.Name) + "  " + st.Warning.Render(fmt.Sprintf("[version %d, read only]", m.old.info.n)) + "  " + st.Muted.Render(m.versionTitle())
		return ansi.Truncate(s, max(1, m.width), "…")
	}
	ent := m.def.RecordType()
	parts := []string{state, strings.ToUpper(ent[:1]) + ent[1:], "owner " + m.seq.Owner}
	s := st.Title.Render(m.def.Name) + "  " + st.Muted.Render(strings.Join(parts, " · "))
	if !m.canEdit {
		s += "  " + st.Warning.Render("[read only]")
	}
	if m.Dirty() {
		mark := "● unsaved changes"
		if m.draftAt == m.edits {
			mark += " (kept as a draft)" // a killed terminal loses nothing
		}
		s += "  " + st.Warning.Render(mark)
	}
	if b := m.problemsBadge(); b != "" {
		s += "  " + st.Danger.Render(b)
	}
	return ansi.Truncate(s, max(1, m.width), "…")
}

func (m *Model) tabsLine(st *common.Styles) string {
	parts := make([]string, tabCount)
	for i := range tabCount {
		name := tabNames[i]
		if i == tabConnected && m.conn.done {
			// Active connections, as the home grid's Connected column counts them; the
			// ended ones are listed too, and counted apart.
			active := 0
			for _, r := range m.conn.rows {
				if r.State == "active" {
					active++
				}
			}
			if ended := len(m.conn.rows) - active; ended > 0 {
				name += fmt.Sprintf(" (%d active, %d ended)", active, ended)
			} else {
				name += fmt.Sprintf(" (%d)", active)
			}
		}
		if i == m.tab {
			parts[i] = st.TabActive.Render("[" + name + "]")
		} else {
			parts[i] = st.Tab.Render(" " + name + " ")
		}
	}
	return strings.Join(parts, "  ")
}

// designerView draws the tree and, while it has the keys, the problem list below it.
func (m *Model) designerView(st *common.Styles, width int) string {
	h := m.treeHeight()
	var lines []string
	for i := m.offset; i < len(m.rows) && i < m.offset+h; i++ {
		lines = append(lines, m.treeLine(st, m.rows[i], i == m.cursor, width))
	}
	if len(m.rows) == 1 && len(lines) < h {
		lines = append(lines, "", st.Muted.Render("   No steps yet: a adds the first one."))
	}
	if m.mode != modeProblems {
		return strings.Join(lines, "\n")
	}
	for len(lines) < h {
		lines = append(lines, "")
	}
	return strings.Join(append(lines, m.problemsView(st, width)...), "\n")
}

// treeLine draws one row: the cursor mark, the tree drawing, the icon and name, the summary.
func (m *Model) treeLine(st *common.Styles, r row, selected bool, width int) string {
	var text, extra string
	var style = st.Text
	switch r.kind {
	case rowStart:
		text, style = "● Sequence starts here", st.Title
	case rowStep:
		text = icon(r.step.Type) + " " + r.step.DisplayName()
		extra = summary(r.step)
	case rowBranch:
		if r.branch == branchYes {
			text, style = "Yes", st.Success
		} else {
			text, style = "No", st.Danger
		}
	case rowEmpty:
		text, style = "(empty)", st.Muted
		if selected {
			extra = "a adds a step here"
		}
	}
	cur, flag := " ", " "
	if selected {
		cur = "›"
	}
	if len(m.rowProbs[r.key()]) > 0 {
		flag = st.Danger.Render(problemMark)
	}
	mark := cur + flag
	var s string
	if selected {
		body := text
		if extra != "" {
			body += "  " + extra
		}
		s = mark + st.Muted.Render(r.prefix) + st.Selected.Render(body)
	} else {
		s = mark + st.Muted.Render(r.prefix) + style.Render(text)
		if extra != "" {
			s += "  " + st.Muted.Render(extra)
		}
	}
	return ansi.Truncate(s, width, "…")
}

// problemsView lists validation problems: path, step id, message and code.
func (m *Model) problemsView(st *common.Styles, width int) []string {
	h := m.problemsHeight()
	lines := []string{st.Danger.Render(m.problemsTitle) + st.Muted.Render("  ↑↓ choose · enter go to the step · esc close")}
	n := h - 1
	start := 0
	if m.probCursor >= n {
		start = m.probCursor - n + 1
	}
	for i := start; i < len(m.problems) && len(lines) < h; i++ {
		line := problemLine(m.problems[i])
		if i == m.probCursor {
			// The selected problem is read in full: wrapped, not cut at the edge.
			for j, l := range dialog.Wrap(line, max(width-2, 1)) {
				mark := "› "
				if j > 0 {
					mark = "  "
				}
				lines = append(lines, mark+st.Selected.Render(l))
			}
		} else {
			lines = append(lines, "  "+st.Text.Render(line))
		}
	}
	for i := range lines {
		lines[i] = ansi.Truncate(lines[i], width, "…")
	}
	if len(lines) > h {
		lines = lines[:h]
	}
	return lines
}

// problemLine writes a problem as "path (step id) [code] message", the code before the
// sentence so a narrow screen cuts only the sentence.
func problemLine(p sequence.Problem) string {
	where := p.Path
	if where == "" {
		where = "sequence"
	}
	if p.StepID != "" {
		where += " (" + p.StepID + ")"
	}
	return where + " [" + p.Code + "] " + p.Message
}

// maxStatusLines bounds the status lines: a long message wraps onto at most this many.
const maxStatusLines = 4

// statusLines show a pending question and its answers, else the selected row's problems
// (in the designer) above the last status message (wrapped, never cut at the edge), else a
// hint about the selected step.
func (m *Model) statusLines(st *common.Styles, width int) []string {
	if m.prompt != nil {
		return m.prompt.d.Lines(st, width)
	}
	lines := m.messageLines(st, width)
	if note := m.problemNote(); note != "" && m.isLoaded() && m.tab == tabDesigner && m.mode == modeNormal {
		return append(wrapped(note, st.Danger, width, maxStatusLines-1), lines...)
	}
	return lines
}

// messageLines are the status message or the selection hint.
func (m *Model) messageLines(st *common.Styles, width int) []string {
	var text string
	var style = st.Muted
	switch {
	case m.status != "" && m.statusErr:
		text, style = "✗ "+m.status, st.Danger
	case m.status != "":
		text, style = "✓ "+m.status, st.Success
	case m.isLoaded() && m.tab == tabDesigner && m.mode == modeNormal:
		return []string{ansi.Truncate(st.Muted.Render(m.selectionHint()), max(1, width), "…")}
	default:
		return []string{""}
	}
	return wrapped(text, style, width, maxStatusLines)
}

// wrapped wraps text onto at most n lines of width, the last cut with … when it is longer.
func wrapped(text string, style lipgloss.Style, width, n int) []string {
	lines := dialog.Wrap(text, width)
	if len(lines) > n {
		lines = lines[:n]
		lines[n-1] = ansi.Truncate(lines[n-1], max(1, width-1), "") + "…"
	}
	for i, l := range lines {
		lines[i] = style.Render(l)
	}
	return lines
}

// selectionHint describes the selected step: its id and description.
func (m *Model) selectionHint() string {
	if m.cursor >= len(m.rows) {
		return ""
	}
	r := m.rows[m.cursor]
	if r.kind != rowStep {
		return ""
	}
	s := r.step.ID + " · " + typeLabel(r.step.Type)
	if r.step.Type == sequence.Condition {
		s += " (" + kindLabel(r.step.If) + ")"
	}
	if r.step.Description != "" {
		s += " · " + r.step.Description
	}
	return s
}

// ShortHelp lists the keys of the tab and mode shown.
func (m *Model) ShortHelp() []key.Binding {
	k := m.keys
	switch m.mode {
	case modeProblems:
		return []key.Binding{k.Up, k.Down, k.Choose, k.Cancel}
	case modeForm:
		if m.form == nil {
			return nil
		}
		return append(m.form.KeyBinds(), key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "cancel")))
	case modePicker, modeVersions:
		return m.picker.Help()
	case modeRecords:
		return m.records.Help()
	case modePrompt:
		return m.prompt.d.Help()
	}
	switch m.tab {
	case tabConnected:
		return []key.Binding{k.Up, k.Down, k.Connect, k.Disconnect, k.Reload, k.NextTab, k.Back}
	case tabStats:
		return []key.Binding{k.Up, k.Down, k.NextTab, k.Back}
	}
	if m.old != nil {
		// An old version: look, copy a step for the draft, go back.
		if m.canEdit {
			return []key.Binding{k.Up, k.Down, k.Copy, k.Versions, k.BackToDraft}
		}
		return []key.Binding{k.Up, k.Down, k.Versions, k.BackToDraft}
	}
	if !m.canEdit {
		// Read only: only the keys that work here.
		return []key.Binding{k.Up, k.Down, k.Check, k.Versions, k.NextTab, k.Back}
	}
	return []key.Binding{k.Add, k.Edit, k.Delete, k.Copy, k.Paste, k.Props, k.Save, k.Activate, k.NextTab, k.Back}
}

// FullHelp lists every key of the page.
func (m *Model) FullHelp() [][]key.Binding {
	k := m.keys
	if m.mode != modeNormal {
		return [][]key.Binding{m.ShortHelp()}
	}
	nav := []key.Binding{k.Up, k.Down, k.Top, k.Bottom, k.PageUp, k.PageDown}
	if m.old != nil {
		if m.canEdit {
			return [][]key.Binding{nav, {k.Copy, k.Versions, k.NextTab, k.PrevTab, k.BackToDraft}}
		}
		return [][]key.Binding{nav, {k.Versions, k.NextTab, k.PrevTab, k.BackToDraft}}
	}
	if !m.canEdit {
		return [][]key.Binding{nav, {k.Check, k.Versions, k.NextTab, k.PrevTab, k.Back}, {k.Reload}}
	}
	return [][]key.Binding{
		nav,
		{k.Add, k.Edit, k.Delete, k.Props, k.Check},
		{k.MoveUp, k.MoveDown, k.Undo, k.Redo},
		{k.Copy, k.Paste, k.Versions},
		{k.Save, k.Activate, k.NextTab, k.PrevTab, k.Back},
		{k.Connect, k.Disconnect, k.Reload},
	}
}
