package console

import (
	"fmt"
	"slices"
	"strings"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textarea"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"github.com/pacer-sales/pacer/engine"
	"github.com/pacer-sales/pacer/ui/common"
	"github.com/pacer-sales/pacer/ui/components/dialog"
)

// pickKind is what a picker chooses.
type pickKind int

const (
	pickOutcome pickKind = iota
	pickAssign
	pickFilter
	pickWhose
	pickWait
)

// picker is a list to choose from, shown in place of Up next.
type picker struct {
	kind pickKind
	d    *dialog.Picker
}

func (m *Model) openPicker(p *picker) {
	m.mode, m.picker = modePicker, p
}

// newPicker returns a picker of kind titled title over items.
func newPicker(kind pickKind, title string, items []dialog.Item) *picker {
	return &picker{kind: kind, d: dialog.NewPicker(title, items)}
}

// outcomePicker asks for the outcome of a call (the org's list). "(no outcome)" is offered
// only when no call-outcome condition tests the call (the engine would refuse it).
func (m *Model) outcomePicker() *picker {
	var items []dialog.Item
	for _, o := range m.settings.CallOutcomes {
		items = append(items, dialog.Item{Label: strings.ReplaceAll(o, "_", " "), Value: o})
	}
	title := "Outcome of the call with " + m.pend.record
	if x, ok := m.up.of(m.pend.taskID); ok && x.Current.NeedsOutcome {
		title += " (the next step branches on it: choose one)"
	} else {
		items = append(items, dialog.Item{Label: "(no outcome)", Value: ""})
	}
	return newPicker(pickOutcome, title, items)
}

// assignPicker lists the users who can take the task.
func (m *Model) assignPicker(r row) *picker {
	var items []dialog.Item
	for _, u := range m.users {
		label := u.Username
		if u.Name != "" {
			label += " — " + u.Name
		}
		if slices.Contains(r.Assignees, u.Username) {
			label += " (assigned)"
		}
		items = append(items, dialog.Item{Label: label, Value: u.Username})
	}
	return newPicker(pickAssign, "Assign "+r.RecordName+" · "+r.Name+" to", items)
}

// filterPicker offers every filter value; choosing one sets that filter. The values in
// force are marked.
func (m *Model) filterPicker() *picker {
	var items []dialog.Item
	f := m.filter
	add := func(dim, label, value, cur string) {
		items = append(items, dialog.Item{Label: label, Value: value, Kind: dim, Current: value == cur})
	}
	items = append(items, dialog.Item{Group: "Due"})
	for _, d := range []string{"", "overdue", "today", "upcoming"} {
		label := dueLabel(d)
		if d == "" {
			label = "any time"
		}
		add("due", label, d, f.Due)
	}
	entities, types := map[string]bool{}, map[string]bool{}
	for i := range m.rows {
		entities[m.rows[i].entity()] = true
		types[m.rows[i].Type] = true
	}
	items = append(items, dialog.Item{Group: "Record type"})
	add("entity", "any type", "", f.Entity)
	for _, e := range sortedKeys(entities, f.Entity) {
		add("entity", e, e, f.Entity)
	}
	items = append(items, dialog.Item{Group: "Activity"})
	add("activity", "any activity", "", f.Activity)
	for _, t := range sortedKeys(types, f.Activity) {
		add("activity", icon(t)+" "+stepLabel(t), t, f.Activity)
	}
	p := newPicker(pickFilter, "Filter the work list", items)
	return p
}

// sortedKeys are a set's keys, with keep added (a filter in force whose tasks are gone).
func sortedKeys(set map[string]bool, keep string) []string {
	if keep != "" {
		set[keep] = true
	}
	out := make([]string, 0, len(set))
	for k := range set {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// whosePicker lets managers and admins pick whose work list to see.
func (m *Model) whosePicker() *picker {
	items := []dialog.Item{
		{Label: "My work list", Kind: "me", Current: !m.scope.All && m.scope.User == ""},
		{Label: "Whole team (every open task)", Kind: "all", Current: m.scope.All},
	}
	for _, u := range m.users {
		if u.Username == m.c.User.Username {
			continue
		}
		label := u.Username
		if u.Name != "" {
			label += " — " + u.Name
		}
		items = append(items, dialog.Item{Label: label, Value: u.Username, Kind: "user", Current: m.scope.User == u.Username})
	}
	return newPicker(pickWhose, "Whose work list", items)
}

// pickerKey moves in a picker and applies the choice.
func (m *Model) pickerKey(msg tea.KeyPressMsg) tea.Cmd {
	p := m.picker
	switch p.d.Update(msg) {
	case dialog.Cancelled:
		m.closePrompt()
		m.pend = nil
		return nil
	case dialog.Open:
		return nil
	}
	o, _ := p.d.Selected()
	m.closePrompt()
	switch p.kind {
	case pickOutcome:
		if m.pend == nil {
			return nil
		}
		m.pend.outcome = o.Value
		m.openInput("note", "Note (optional): ", "enter to finish")
		return nil
	case pickAssign:
		if m.pend == nil {
			return nil
		}
		pd := *m.pend
		m.pend = nil
		return m.act(pd, engine.TaskAction{Kind: engine.ActAssign, To: o.Value})
	case pickWait:
		if m.pend == nil {
			return nil
		}
		pd := *m.pend
		m.pend = nil
		return m.skipWaitCmd(pd.taskID, pd.record, o.Value)
	case pickFilter:
		switch o.Kind {
		case "due":
			m.filter.Due = o.Value
		case "entity":
			m.filter.Entity = o.Value
		case "activity":
			m.filter.Activity = o.Value
		}
		m.refilter()
		return m.upNextCmd(false)
	case pickWhose:
		switch o.Kind {
		case "me":
			m.scope = scope{}
		case "all":
			m.scope = scope{All: true}
		default:
			m.scope = scope{User: o.Value}
		}
		m.rows, m.order, m.loaded, m.cursor, m.offset, m.selID = nil, nil, false, 0, 0, ""
		m.groups = [3]groupSpan{}
		m.gen++
		m.loading, m.reload = true, false
		return m.loadCmd()
	}
	return nil
}

// pickerLines renders the open picker.
func (m *Model) pickerLines(w, h int) []string {
	return m.picker.d.Lines(m.c.Styles, w, h)
}

// composer is the email editor of an email task.
type composer struct {
	p       pending
	ref     string
	step    string
	seq     string
	draft   engine.Draft
	to      textinput.Model
	subject textinput.Model
	body    textarea.Model
	focus   int // 0 to, 1 subject, 2 body
	sending bool
	err     string
	width   int
	height  int
}

func (m *Model) onDraft(msg draftMsg) tea.Cmd {
	m.busy = ""
	if msg.err != nil {
		return common.Fail(msg.err)
	}
	c := &composer{p: msg.p, draft: msg.draft}
	for i := range m.rows {
		if m.rows[i].ID == msg.p.taskID {
			r := m.rows[i]
			c.ref, c.step, c.seq = r.Record, r.Name, r.Sequence
		}
	}
	c.to, c.subject = newInput(m.c), newInput(m.c)
	c.to.Prompt, c.subject.Prompt = "To:      ", "Subject: "
	c.to.SetValue(msg.draft.To)
	c.to.Placeholder = "address"
	c.subject.SetValue(msg.draft.Subject)
	c.subject.CharLimit = 400
	c.body = newArea(m.c)
	c.body.SetValue(msg.draft.Body)
	c.body.MoveToBegin()
	c.setSize(m.width, m.height)
	c.setFocus(1)
	if msg.draft.Subject != "" {
		c.setFocus(2)
	}
	m.compose, m.mode = c, modeCompose
	return nil
}

func (c *composer) setSize(w, h int) {
	c.width, c.height = w, h
	c.to.SetWidth(max(10, w-12))
	c.subject.SetWidth(max(10, w-12))
	c.body.SetWidth(max(10, w))
	c.body.SetHeight(max(3, h-7))
}

func (c *composer) setFocus(i int) {
	c.focus = (i + 3) % 3
	c.to.Blur()
	c.subject.Blur()
	c.body.Blur()
	switch c.focus {
	case 0:
		c.to.Focus()
	case 1:
		c.subject.Focus()
	default:
		c.body.Focus()
	}
}

func (c *composer) changed() bool {
	return c.to.Value() != c.draft.To || c.subject.Value() != c.draft.Subject || c.body.Value() != c.draft.Body
}

// update gives a message to the focused field.
func (c *composer) update(msg tea.Msg) tea.Cmd {
	var cmd tea.Cmd
	switch c.focus {
	case 0:
		c.to, cmd = c.to.Update(msg)
	case 1:
		c.subject, cmd = c.subject.Update(msg)
	default:
		c.body, cmd = c.body.Update(msg)
	}
	return cmd
}

func (m *Model) composeKey(msg tea.KeyPressMsg) tea.Cmd {
	c := m.compose
	if c == nil {
		m.mode = modeList
		return nil
	}
	if c.sending {
		return nil // the send in flight decides
	}
	switch {
	case key.Matches(msg, m.keys.Cancel):
		m.compose, m.mode = nil, modeList
		return common.Status("Email discarded; the task is still open")
	case key.Matches(msg, m.keys.Send):
		c.sending, c.err = true, ""
		d := engine.Draft{To: strings.TrimSpace(c.to.Value()), From: c.draft.From, Subject: c.subject.Value(), Body: c.body.Value()}
		e, ctx, by, p := m.c.Engine, m.c.Ctx, m.c.User.Username, c.p
		return func() tea.Msg {
			sent, err := e.SendEmail(ctx, by, p.taskID, d)
			return sentMsg{p: p, sent: sent, to: d.To, err: err}
		}
	case msg.String() == "tab":
		c.setFocus(c.focus + 1)
		return nil
	case msg.String() == "shift+tab":
		c.setFocus(c.focus - 1)
		return nil
	}
	return c.update(msg)
}

func (m *Model) onSent(msg sentMsg) tea.Cmd {
	c := m.compose
	if msg.err != nil {
		if c != nil {
			c.sending, c.err = false, msg.err.Error()
		}
		return common.Fail(msg.err)
	}
	m.compose, m.mode = nil, modeList
	m.afterAction(msg.p)
	text := fmt.Sprintf("Sent to %s; %s is done", msg.to, msg.p.record)
	if !msg.sent {
		text = fmt.Sprintf("No email transport is set up: the email to %s is kept in the outbox and the task is marked as sent", msg.to)
	}
	return tea.Batch(m.reloadCmd(), common.Status(text))
}

// view renders the editor over the whole screen area.
func (c *composer) view(st *common.Styles, transport bool) string {
	w := c.width
	lines := []string{
		st.Title.Render(cell(fmt.Sprintf("Email · %s (%s) · %s · %s", c.p.record, c.ref, c.step, c.seq), w)),
		c.to.View(),
		st.Muted.Render(cell("From:    "+c.draft.From, w)),
		c.subject.View(),
		st.Muted.Render(strings.Repeat("─", max(1, w))),
	}
	lines = append(lines, strings.Split(c.body.View(), "\n")...)
	lines = append(lines, st.Muted.Render(strings.Repeat("─", max(1, w))))
	hint := "ctrl+s send now · tab field · esc discard"
	if !transport {
		hint = "ctrl+s mark as sent (no transport: kept in the outbox) · tab field · esc discard"
	}
	switch {
	case c.sending:
		hint = "Sending…"
	case c.err != "":
		hint = c.err
	case c.draft.Warning != "":
		hint = c.draft.Warning + " · " + hint
	}
	style := st.Muted
	if c.err != "" {
		style = st.Danger
	}
	lines = append(lines, style.Render(cell(hint, w)))
	if len(lines) > c.height {
		lines = lines[:c.height]
	}
	for i := range lines {
		lines[i] = cell(lines[i], w)
	}
	for len(lines) < c.height {
		lines = append(lines, strings.Repeat(" ", w))
	}
	return strings.Join(lines, "\n")
}
