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

// option is one line of a picker.
type option struct {
	label string
	value string
	// dim is the filter an option sets (due, entity, activity) or the kind of list
	// (me, all, user).
	dim string
	// header is a section title, not choosable.
	header bool
	// current marks the value in force.
	current bool
}

// picker is a list to choose from, shown in place of Up next.
type picker struct {
	kind   pickKind
	title  string
	opts   []option
	cursor int
}

func (p *picker) step(d int) {
	for i := p.cursor + d; i >= 0 && i < len(p.opts); i += d {
		if !p.opts[i].header {
			p.cursor = i
			return
		}
	}
}

func (m *Model) openPicker(p *picker) {
	m.mode, m.picker = modePicker, p
	p.cursor = -1
	p.step(1)
	for i, o := range p.opts {
		if o.current && !o.header && p.kind != pickFilter {
			p.cursor = i
			break
		}
	}
}

// outcomePicker asks for the outcome of a call (the org's list).
func (m *Model) outcomePicker() *picker {
	p := &picker{kind: pickOutcome, title: "Outcome of the call with " + m.pend.record}
	for _, o := range m.settings.CallOutcomes {
		p.opts = append(p.opts, option{label: strings.ReplaceAll(o, "_", " "), value: o})
	}
	p.opts = append(p.opts, option{label: "(no outcome)", value: ""})
	return p
}

// assignPicker lists the users who can take the task.
func (m *Model) assignPicker(r row) *picker {
	p := &picker{kind: pickAssign, title: "Assign " + r.RecordName + " · " + r.Name + " to"}
	for _, u := range m.users {
		label := u.Username
		if u.Name != "" {
			label += " — " + u.Name
		}
		if slices.Contains(r.Assignees, u.Username) {
			label += " (assigned)"
		}
		p.opts = append(p.opts, option{label: label, value: u.Username})
	}
	return p
}

// filterPicker offers every filter value; choosing one sets that filter.
func (m *Model) filterPicker() *picker {
	p := &picker{kind: pickFilter, title: "Filter the work list"}
	f := m.filter
	add := func(dim, label, value, cur string) {
		mark := "  "
		if value == cur {
			mark = "• "
		}
		p.opts = append(p.opts, option{label: mark + label, value: value, dim: dim, current: value == cur})
	}
	p.opts = append(p.opts, option{label: "Due", header: true})
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
	p.opts = append(p.opts, option{label: "Record type", header: true})
	add("entity", "any type", "", f.Entity)
	for _, e := range sortedKeys(entities, f.Entity) {
		add("entity", e, e, f.Entity)
	}
	p.opts = append(p.opts, option{label: "Activity", header: true})
	add("activity", "any activity", "", f.Activity)
	for _, t := range sortedKeys(types, f.Activity) {
		add("activity", icon(t)+" "+stepLabel(t), t, f.Activity)
	}
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
	p := &picker{kind: pickWhose, title: "Whose work list"}
	p.opts = append(p.opts,
		option{label: "My work list", dim: "me", current: !m.scope.All && m.scope.User == ""},
		option{label: "Whole team (every open task)", dim: "all", current: m.scope.All})
	for _, u := range m.users {
		if u.Username == m.c.User.Username {
			continue
		}
		label := u.Username
		if u.Name != "" {
			label += " — " + u.Name
		}
		p.opts = append(p.opts, option{label: label, value: u.Username, dim: "user", current: m.scope.User == u.Username})
	}
	return p
}

// pickerKey moves in a picker and applies the choice.
func (m *Model) pickerKey(msg tea.KeyPressMsg) tea.Cmd {
	p := m.picker
	switch {
	case key.Matches(msg, m.keys.Cancel):
		m.closePrompt()
		m.pend = nil
		return nil
	case key.Matches(msg, m.keys.Up):
		p.step(-1)
		return nil
	case key.Matches(msg, m.keys.Down):
		p.step(1)
		return nil
	case !key.Matches(msg, m.keys.Choose) || p.cursor < 0:
		return nil
	}
	o := p.opts[p.cursor]
	m.closePrompt()
	switch p.kind {
	case pickOutcome:
		if m.pend == nil {
			return nil
		}
		m.pend.outcome = o.value
		m.openInput("note", "Note (optional): ", "enter to finish")
		return nil
	case pickAssign:
		if m.pend == nil {
			return nil
		}
		pd := *m.pend
		m.pend = nil
		return m.act(pd, engine.TaskAction{Kind: engine.ActAssign, To: o.value})
	case pickWait:
		if m.pend == nil {
			return nil
		}
		pd := *m.pend
		m.pend = nil
		return m.skipWaitCmd(pd.taskID, pd.record, o.value)
	case pickFilter:
		switch o.dim {
		case "due":
			m.filter.Due = o.value
		case "entity":
			m.filter.Entity = o.value
		case "activity":
			m.filter.Activity = o.value
		}
		m.refilter()
		return m.upNextCmd(false)
	case pickWhose:
		switch o.dim {
		case "me":
			m.scope = scope{}
		case "all":
			m.scope = scope{All: true}
		default:
			m.scope = scope{User: o.value}
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
	st := m.c.Styles
	p := m.picker
	out := wrapLines([]pline{{0, st.Title, p.title}}, w, 3)
	room := max(1, h-1-len(out))
	first := 0
	if p.cursor >= room {
		first = p.cursor - room + 1
	}
	for i := first; i < len(p.opts) && i < first+room; i++ {
		o := p.opts[i]
		switch {
		case o.header:
			out = append(out, st.Header.Render(cell(o.label, w)))
		case i == p.cursor:
			out = append(out, st.Selected.Render(cell("› "+o.label, w)))
		default:
			out = append(out, st.Text.Render(cell("  "+o.label, w)))
		}
	}
	return append(out, wrapLines([]pline{{0, st.Muted, "↑↓ move · enter choose · esc cancel"}}, w, 2)...)
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
