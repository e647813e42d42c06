package admin

import (
	"charm.land/bubbles/v2/key"
)

// keyMap are the Admin tab's keys. The action keys mean something in each section; the
// footer shows the current section's.
type keyMap struct {
	NextSection, PrevSection, Reload key.Binding
	// Users.
	AddUser, EditUser, PasteKey, RemoveKey, RemoveUser key.Binding
	// Teams.
	AddTeam, SetMember, RemoveMember, RemoveTeam key.Binding
	// Templates.
	EditTemplate key.Binding
	// ReadTemplate is EditTemplate for a manager: the editor opens read-only.
	ReadTemplate key.Binding
	// Settings.
	EditSetting, TestEmail key.Binding
	// The template editor.
	Save, Preview, SwitchField, Close key.Binding
}

func defaultKeys() keyMap {
	b := func(k, h string, keys ...string) key.Binding {
		return key.NewBinding(key.WithKeys(keys...), key.WithHelp(k, h))
	}
	return keyMap{
		NextSection: b("tab", "next section", "tab"),
		PrevSection: b("shift+tab", "previous section", "shift+tab"),
		Reload:      b("r", "reload", "r"),

		AddUser:    b("a", "add user", "a"),
		EditUser:   b("e/enter", "edit user", "e", "enter"),
		PasteKey:   b("p", "paste SSH key", "p"),
		RemoveKey:  b("d", "remove SSH key", "d"),
		RemoveUser: b("x", "remove user", "x"),

		AddTeam:      b("a", "add team", "a"),
		SetMember:    b("m", "add member / member role", "m"),
		RemoveMember: b("d", "remove member", "d"),
		RemoveTeam:   b("x", "remove team", "x"),

		EditTemplate: b("e/enter", "edit template", "e", "enter"),
		ReadTemplate: b("e/enter", "read template, preview", "e", "enter"),

		EditSetting: b("e/enter", "edit setting", "e", "enter"),
		TestEmail:   b("t", "send a test email", "t"),

		Save:        b("ctrl+s", "save", "ctrl+s"),
		Preview:     b("ctrl+p", "preview for a record", "ctrl+p"),
		SwitchField: b("tab", "subject/body", "tab", "shift+tab"),
		Close:       b("esc", "close", "esc"),
	}
}

// actionKeys are the change keys of a section (none for a manager).
func (m *Model) actionKeys() []key.Binding {
	k := m.keys
	switch m.sec {
	case secUsers:
		return []key.Binding{k.AddUser, k.EditUser, k.PasteKey, k.RemoveKey, k.RemoveUser}
	case secTeams:
		return []key.Binding{k.AddTeam, k.SetMember, k.RemoveMember, k.RemoveTeam}
	case secTemplates:
		return []key.Binding{k.EditTemplate}
	case secSettings:
		return []key.Binding{k.EditSetting, k.TestEmail}
	}
	return nil
}

// ShortHelp lists the keys of what is shown.
func (m *Model) ShortHelp() []key.Binding {
	switch {
	case m.edit != nil && m.edit.records != nil:
		return m.edit.records.Help()
	case m.edit != nil && !m.admin:
		return []key.Binding{m.keys.Preview, m.keys.SwitchField, m.keys.Close}
	case m.edit != nil:
		return []key.Binding{m.keys.Save, m.keys.Preview, m.keys.SwitchField, m.keys.Close}
	case m.dlg != nil:
		return m.dlg.help()
	}
	out := []key.Binding{m.keys.NextSection}
	switch {
	case m.admin:
		out = append(out, m.actionKeys()...)
	case m.sec == secTemplates:
		out = append(out, m.keys.ReadTemplate)
	}
	return out
}

// FullHelp lists every key of what is shown.
func (m *Model) FullHelp() [][]key.Binding {
	if m.edit != nil || m.dlg != nil {
		return [][]key.Binding{m.ShortHelp()}
	}
	out := [][]key.Binding{{m.keys.NextSection, m.keys.PrevSection, m.keys.Reload}}
	if m.admin {
		out = append(out, m.actionKeys())
	}
	return out
}
