package records

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/pacer-sales/pacer/engine"
	"github.com/pacer-sales/pacer/ui/components/dialog"
	"github.com/pacer-sales/pacer/ui/console"
)

// open shows the record view of the selected record.
func (m *Model) open() tea.Cmd {
	r, ok := m.selected()
	if !ok {
		return nil
	}
	m.mode, m.view, m.viewErr, m.offset = modeView, &engine.RecordView{Record: r.Record}, nil, 0
	return m.detailCmd(r.Ref())
}

func (m *Model) detailCmd(ref string) tea.Cmd {
	e, ctx, by := m.c.Engine, m.c.Ctx, m.c.User.Username
	return func() tea.Msg {
		v, err := e.RecordDetail(ctx, by, ref)
		return detailMsg{ref: ref, view: v, err: err}
	}
}

// reloadView reads the open record again.
func (m *Model) reloadView() tea.Cmd {
	if m.view == nil {
		return nil
	}
	return m.detailCmd(m.view.Ref())
}

func (m *Model) viewKey(msg tea.KeyPressMsg) tea.Cmd {
	k := m.keys
	v := m.view
	switch {
	case key.Matches(msg, k.Back):
		m.mode, m.view = modeList, nil
		return nil
	case key.Matches(msg, k.Connect):
		return m.seqsCmd(v.Ref(), false)
	case key.Matches(msg, k.Edit):
		return m.editFields()
	case key.Matches(msg, k.Disconnect):
		items := m.connItems(func(c engine.ConnView) bool { return c.State == "active" }, func(c engine.ConnView) string { return "at " + c.StepName })
		if len(items) == 0 {
			return fail(v.Ref() + " is not active in any sequence")
		}
		m.openPicker(pickDisconnect, "Disconnect "+v.Name+" from", items)
		return nil
	case key.Matches(msg, k.SkipWait):
		items := m.connItems(func(c engine.ConnView) bool {
			return c.State == "active" && c.WakeAt != nil && isWait(c) && c.Pause == nil
		},
			func(c engine.ConnView) string { return "waiting until " + m.when(*c.WakeAt) })
		return m.pick(pickSkipWait, items, v.Ref()+" is not at a wait in any sequence", "Skip the wait of "+v.Name+" in")
	case key.Matches(msg, k.Pause):
		items := m.connItems(func(c engine.ConnView) bool { return c.State == "active" && c.Pause == nil }, func(c engine.ConnView) string { return "at " + c.StepName })
		return m.pick(pickPause, items, v.Ref()+" has no running connection to pause", "Pause "+v.Name+" in")
	case key.Matches(msg, k.Resume):
		items := m.connItems(func(c engine.ConnView) bool { return c.State == "active" && c.Pause != nil }, func(c engine.ConnView) string { return "paused: " + c.Pause.Reason })
		return m.pick(pickResume, items, v.Ref()+" is not paused in any sequence", "Resume "+v.Name+" in")
	}
	if o, ok := k.Move(msg, m.offset, 1<<20, m.height/2); ok {
		m.offset = o
	}
	return nil
}

// connItems are the open record's connections that pass keep, as picker items.
func (m *Model) connItems(keep func(engine.ConnView) bool, hint func(engine.ConnView) string) []dialog.Item {
	var items []dialog.Item
	for _, c := range m.view.Connections {
		if keep(c) {
			items = append(items, dialog.Item{Label: c.Sequence, Hint: hint(c), Value: c.Sequence})
		}
	}
	return items
}

// pick acts on the only item at once, asks which of several, or says none when there is none.
func (m *Model) pick(f pickFor, items []dialog.Item, none, title string) tea.Cmd {
	switch len(items) {
	case 0:
		return fail(none)
	case 1:
		m.pickFor = f
		return m.viewPicked(items[0].Value)
	}
	m.openPicker(f, title, items)
	return nil
}

// viewPicked acts on what a picker of the record view chose.
func (m *Model) viewPicked(value string) tea.Cmd {
	ref := m.view.Ref()
	switch m.pickFor {
	case pickConnect:
		return m.connectCmd(value, []string{ref})
	case pickSkipWait:
		return m.skipWaitCmd(ref, value)
	case pickDisconnect:
		m.ask(dialog.NewConfirm(fmt.Sprintf("Disconnect %s from %s?", ref, value),
			"Its open tasks close and its history is kept."), m.disconnectCmd(value, ref))
	case pickField:
		m.editField(value)
	case pickPause:
		m.askPause(value)
	case pickResume:
		return m.resumeCmd(value, ref)
	}
	return nil
}

// isWait reports a connection at a wait step.
func isWait(c engine.ConnView) bool { return c.StepType == "wait" }

func (m *Model) skipWaitCmd(ref, seq string) tea.Cmd {
	e, ctx, by := m.c.Engine, m.c.Ctx, m.c.User.Username
	return func() tea.Msg {
		err := e.SkipWait(ctx, by, seq, ref)
		return actedMsg{text: fmt.Sprintf("Skipped the wait of %s in %s", ref, seq), err: err}
	}
}

func (m *Model) disconnectCmd(seq, ref string) tea.Cmd {
	e, ctx, by := m.c.Engine, m.c.Ctx, m.c.User.Username
	return func() tea.Msg {
		err := e.Disconnect(ctx, by, seq, []string{ref})
		return actedMsg{text: fmt.Sprintf("Disconnected %s from %s", ref, seq), err: err}
	}
}

// newField is the picker's value for a free field not there yet.
const newField = "\x00new"

// ownFields are the record's own fields, in the order the view shows them.
var ownFields = []string{"name", "owner", "stage", "access_team", "email", "phone"}

// editFields lists the fields the acting user may change, or says why they may not.
func (m *Model) editFields() tea.Cmd {
	v, u := m.view, m.c.User
	manager := engine.IsManager(u)
	if !manager && v.Owner != u.Username {
		owner := v.Owner
		if owner == "" {
			owner = "nobody"
		}
		return fail(fmt.Sprintf("You can change only the records you own; %s belongs to %s (a manager can change it or its owner)", v.Ref(), owner))
	}
	var items []dialog.Item
	for _, f := range ownFields {
		if f == "owner" && !manager {
			continue // only managers and admins change an owner
		}
		items = append(items, dialog.Item{Label: f, Hint: fieldText(m.fieldValue(f)), Value: f})
	}
	keys := make([]string, 0, len(v.Fields))
	for k := range v.Fields {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		items = append(items, dialog.Item{Label: k, Hint: fieldText(fmt.Sprint(v.Fields[k])), Value: k})
	}
	items = append(items, dialog.Item{Label: "+ a new field", Value: newField})
	m.openPicker(pickField, "Change a field of "+v.Ref(), items)
	return nil
}

// fieldText is a value as a picker hint.
func fieldText(s string) string {
	if s == "" {
		return "(empty)"
	}
	return s
}

// fieldValue is the text of one of the open record's fields.
func (m *Model) fieldValue(f string) string {
	v := m.view
	switch f {
	case "name":
		return v.Name
	case "owner":
		return v.Owner
	case "stage":
		return v.Stage
	case "access_team":
		return v.AccessTeam
	case "email":
		return v.Email
	case "phone":
		return v.Phone
	}
	if x, ok := v.Fields[f]; ok {
		return fmt.Sprint(x)
	}
	return ""
}

// editField asks for a field's new value and saves it with the engine's rules (the
// command line's pacer record set): a refusal keeps the prompt and what was typed.
func (m *Model) editField(f string) {
	ref := m.view.Ref()
	if f == newField {
		m.openPrompt("A new field of "+ref, "name=value (lowercase letters, digits and _ in the name)", "", func(s string) tea.Cmd {
			name, value, ok := strings.Cut(s, "=")
			if !ok || strings.TrimSpace(name) == "" {
				m.prompt.Err = "write it as name=value, e.g. industry=retail"
				return nil
			}
			return m.setFieldCmd(ref, strings.TrimSpace(name), value)
		})
		return
	}
	hint := "enter saves · esc cancels"
	if slices.Contains(ownFields, f) && f != "name" || !slices.Contains(ownFields, f) {
		hint = "empty clears it · enter saves · esc cancels"
	}
	m.openPrompt(fmt.Sprintf("%s of %s", f, ref), hint, m.fieldValue(f), func(s string) tea.Cmd {
		return m.setFieldCmd(ref, f, s)
	})
}

func (m *Model) setFieldCmd(ref, field, value string) tea.Cmd {
	e, ctx, by := m.c.Engine, m.c.Ctx, m.c.User.Username
	return func() tea.Msg {
		_, err := e.SetRecord(ctx, by, ref, map[string]string{field: value})
		return promptMsg{text: fmt.Sprintf("Saved %s of %s", field, ref), err: err}
	}
}

// askPause asks why, then until when, and pauses the record's connection to seq.
func (m *Model) askPause(seq string) {
	ref := m.view.Ref()
	m.openPrompt(fmt.Sprintf("Why pause %s in %s?", ref, seq), "the reason is kept in the history (may be empty)", "", func(reason string) tea.Cmd {
		m.openPrompt(fmt.Sprintf("Resume %s in %s by itself at (empty: only when resumed with r)", ref, seq),
			"tomorrow 9:00 · fri 14:30 · 2026-03-04 10:00 · +3d — in "+m.loc.String(), "", func(when string) tea.Cmd {
				var until time.Time
				if strings.TrimSpace(when) != "" {
					t, err := console.ParseWhen(when, m.c.Engine.Clock().Now(), m.loc)
					if err != nil {
						m.prompt.Err = err.Error()
						return nil
					}
					until = t
				}
				return m.pauseCmd(seq, ref, reason, until)
			})
		return nil
	})
}

func (m *Model) pauseCmd(seq, ref, reason string, until time.Time) tea.Cmd {
	e, ctx, by := m.c.Engine, m.c.Ctx, m.c.User.Username
	text := fmt.Sprintf("Paused %s in %s", ref, seq)
	if !until.IsZero() {
		text += " until " + m.when(until)
	}
	return func() tea.Msg {
		_, err := e.Pause(ctx, by, seq, engine.Targets{Refs: []string{ref}}, reason, until)
		return promptMsg{text: text, err: err}
	}
}

func (m *Model) resumeCmd(seq, ref string) tea.Cmd {
	e, ctx, by := m.c.Engine, m.c.Ctx, m.c.User.Username
	return func() tea.Msg {
		_, err := e.Resume(ctx, by, seq, engine.Targets{Refs: []string{ref}})
		return actedMsg{text: fmt.Sprintf("Resumed %s in %s", ref, seq), err: err}
	}
}
