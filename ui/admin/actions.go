package admin

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"github.com/pacer-sales/pacer/engine"
	"github.com/pacer-sales/pacer/engine/limits"
	"github.com/pacer-sales/pacer/ui/common"
	"github.com/pacer-sales/pacer/ui/components/dialog"
	"github.com/pacer-sales/pacer/ui/components/grid"
)

// dlg is the open dialog of an action: one of a picker, a prompt or a confirm, and what to
// do with the answer. An answer either opens the next dialog (no I/O) or returns the
// engine call's command; a prompt stays open until the call's doneMsg, so a refused value
// keeps what was typed.
type dlg struct {
	picker  *dialog.Picker
	prompt  *dialog.Prompt
	confirm *dialog.Confirm

	onPick func(chosen []dialog.Item) tea.Cmd
	onText func(v string) tea.Cmd
	onYes  func() tea.Cmd
	// busy is set while the engine call of a prompt runs.
	busy bool
}

func (d *dlg) help() []key.Binding {
	switch {
	case d.picker != nil:
		return d.picker.Help()
	case d.prompt != nil:
		return d.prompt.Help()
	}
	return d.confirm.Help()
}

func (d *dlg) view(st *common.Styles, w, h int) string {
	switch {
	case d.picker != nil:
		return d.picker.View(st, w, h)
	case d.prompt != nil:
		return d.prompt.View(st, w, h)
	}
	return d.confirm.View(st, w, h)
}

// pick opens a picker.
func (m *Model) pick(p *dialog.Picker, on func([]dialog.Item) tea.Cmd) tea.Cmd {
	m.dlg = &dlg{picker: p, onPick: on}
	return nil
}

// ask opens a prompt holding value, taking at most limit characters.
func (m *Model) ask(title, hint, value string, limit int, on func(string) tea.Cmd) tea.Cmd {
	p := dialog.NewPrompt(m.c.Styles, grid.Clean(title), value)
	p.Hint = hint
	p.Input.CharLimit = limit
	m.dlg = &dlg{prompt: p, onText: on}
	return nil
}

// confirmThen asks a yes/no question.
func (m *Model) confirmThen(q string, yes func() tea.Cmd, lines ...string) tea.Cmd {
	m.dlg = &dlg{confirm: dialog.NewConfirm(q, lines...), onYes: yes}
	return nil
}

// dialogKey hands a key to the open dialog and acts on its answer.
func (m *Model) dialogKey(msg tea.KeyPressMsg) tea.Cmd {
	d := m.dlg
	switch {
	case d.picker != nil:
		switch d.picker.Update(msg) {
		case dialog.Accepted:
			var chosen []dialog.Item
			if d.picker.Multi {
				chosen = d.picker.Checked()
			} else if it, ok := d.picker.Selected(); ok {
				chosen = []dialog.Item{it}
			}
			m.dlg = nil
			return d.onPick(chosen)
		case dialog.Cancelled:
			m.dlg = nil
		}
		return nil
	case d.prompt != nil:
		if d.busy {
			return nil
		}
		res, cmd := d.prompt.Update(msg)
		switch res {
		case dialog.Accepted:
			d.busy = true
			next := d.onText(strings.TrimSpace(d.prompt.Value()))
			if m.dlg != d {
				// The answer opened the next dialog.
				d.busy = false
			}
			return next
		case dialog.Cancelled:
			m.dlg = nil
		}
		return cmd
	}
	switch d.confirm.Update(msg) {
	case dialog.Accepted:
		m.dlg = nil
		if d.confirm.Yes() {
			return d.onYes()
		}
	case dialog.Cancelled:
		m.dlg = nil
	}
	return nil
}

// call runs an engine call in a command; its error or note comes back as doneMsg.
func call(fn func() (string, error)) tea.Cmd {
	return func() tea.Msg {
		note, err := fn()
		return doneMsg{note: note, err: err}
	}
}

// action starts the action of a key in the current section; ok is false for other keys.
func (m *Model) action(msg tea.KeyPressMsg) (tea.Cmd, bool) {
	var bs []key.Binding
	for _, b := range m.actionKeys() {
		bs = append(bs, b)
	}
	if !key.Matches(msg, bs...) {
		return nil, false
	}
	if !m.admin {
		if id, ok := m.grids[m.sec].SelectedID(); ok && m.sec == secTemplates && key.Matches(msg, m.keys.ReadTemplate) {
			return m.openEditor(id), true
		}
		return m.readOnly(), true
	}
	k := m.keys
	id, has := m.grids[m.sec].SelectedID()
	switch m.sec {
	case secUsers:
		switch {
		case key.Matches(msg, k.AddUser):
			return m.addUser(), true
		case !has:
			return nil, true
		case key.Matches(msg, k.EditUser):
			return m.editUser(id), true
		case key.Matches(msg, k.PasteKey):
			return m.pasteKey(id), true
		case key.Matches(msg, k.RemoveKey):
			return m.removeKey(id), true
		case key.Matches(msg, k.RemoveUser):
			return m.removeUser(id), true
		}
	case secTeams:
		switch {
		case key.Matches(msg, k.AddTeam):
			return m.addTeam(), true
		case !has:
			return nil, true
		case key.Matches(msg, k.SetMember):
			return m.setMember(id), true
		case key.Matches(msg, k.RemoveMember):
			return m.removeMember(id), true
		case key.Matches(msg, k.RemoveTeam):
			return m.removeTeam(id), true
		}
	case secTemplates:
		if has {
			return m.openEditor(id), true
		}
	case secSettings:
		switch {
		case key.Matches(msg, k.TestEmail):
			return m.testEmail(), true
		case has:
			return m.editSetting(id), true
		}
	}
	return nil, true
}

// rolePicker checks roles, the current ones checked.
func rolePicker(title string, current []engine.Role) *dialog.Picker {
	var items []dialog.Item
	for _, r := range []engine.Role{engine.RoleAdmin, engine.RoleManager, engine.RoleSeller} {
		it := dialog.Item{Label: string(r), Value: string(r)}
		for _, c := range current {
			if c == r {
				it.Checked = true
			}
		}
		items = append(items, it)
	}
	p := dialog.NewPicker(title, items)
	p.Multi = true
	return p
}

func roles(items []dialog.Item) []engine.Role {
	var out []engine.Role
	for _, it := range items {
		out = append(out, engine.Role(it.Value))
	}
	return out
}

// addUser asks for the username, then the roles, then adds the user.
func (m *Model) addUser() tea.Cmd {
	ctx, eng, by := m.c.Ctx, m.c.Engine, m.c.User.Username
	return m.ask("Add a user: username", "lowercase letters, digits, '.', '_' or '-'; e.g. jane.doe", "", limits.Identifier, func(name string) tea.Cmd {
		if name == "" {
			m.dlg.prompt.Err = "a username is required: type one, e.g. jane.doe"
			m.dlg.busy = false
			return nil
		}
		if _, exists := m.userByName(name); exists {
			m.dlg.prompt.Err = fmt.Sprintf("user %q already exists; edit it with e", name)
			m.dlg.busy = false
			return nil
		}
		return m.pick(rolePicker("Roles of "+name+" (space checks, enter adds)", []engine.Role{engine.RoleSeller}), func(items []dialog.Item) tea.Cmd {
			rs := roles(items)
			return func() tea.Msg {
				if err := eng.AddUser(ctx, by, engine.User{Username: name, Roles: rs}); err != nil {
					return doneMsg{err: err}
				}
				return doneMsg{note: "added user " + name + "; p pastes their SSH key, e edits name and email", sel: name}
			}
		})
	})
}

// userFields are the fields e edits, in order.
var userFields = []struct{ key, label string }{
	{"name", "Name"}, {"email", "Email"}, {"roles", "Roles"}, {"title", "Title"},
	{"territory", "Territory"}, {"tz", "Time zone"}, {"from", "Sender address"},
}

// editUser picks a field of a user, then asks its new value.
func (m *Model) editUser(name string) tea.Cmd {
	u, ok := m.userByName(name)
	if !ok {
		return nil
	}
	vals := map[string]string{"name": u.Name, "email": u.Email, "title": u.Title, "territory": u.Territory, "tz": u.TimeZone, "from": u.From}
	var items []dialog.Item
	for _, f := range userFields {
		hint := vals[f.key]
		if f.key == "roles" {
			var rs []string
			for _, r := range u.Roles {
				rs = append(rs, string(r))
			}
			hint = strings.Join(rs, ",")
		}
		items = append(items, dialog.Item{Label: f.label, Hint: hint, Value: f.key})
	}
	ctx, eng, by := m.c.Ctx, m.c.Engine, m.c.User.Username
	return m.pick(dialog.NewPicker("Edit "+name, items), func(chosen []dialog.Item) tea.Cmd {
		if len(chosen) == 0 {
			return nil
		}
		f := chosen[0]
		if f.Value == "roles" {
			return m.pick(rolePicker("Roles of "+name, u.Roles), func(items []dialog.Item) tea.Cmd {
				rs := roles(items)
				if len(rs) == 0 {
					// No role checked would change nothing (the engine keeps the roles).
					return common.Fail(fmt.Errorf("roles of %s not changed: a user needs a role at least; check one with space", name))
				}
				return call(func() (string, error) {
					_, err := eng.SetUser(ctx, by, name, engine.UserChange{Roles: rs})
					return "changed the roles of " + name, err
				})
			})
		}
		return m.ask(f.Label+" of "+name, "", vals[f.Value], limits.Name, func(v string) tea.Cmd {
			var ch engine.UserChange
			switch f.Value {
			case "name":
				ch.Name = &v
			case "email":
				ch.Email = &v
			case "title":
				ch.Title = &v
			case "territory":
				ch.Territory = &v
			case "tz":
				ch.TimeZone = &v
			case "from":
				ch.From = &v
			}
			return call(func() (string, error) {
				_, err := eng.SetUser(ctx, by, name, ch)
				return "changed " + strings.ToLower(f.Label) + " of " + name, err
			})
		})
	})
}

// pasteKey asks for a public key in authorized_keys form and adds it.
func (m *Model) pasteKey(name string) tea.Cmd {
	ctx, eng, by := m.c.Ctx, m.c.Engine, m.c.User.Username
	return m.ask("Paste an SSH public key for "+name, "the line of KEY.pub: ssh-ed25519 AAAA… comment", "", limits.SSHKey, func(v string) tea.Cmd {
		return call(func() (string, error) {
			ki, err := eng.AddUserKey(ctx, by, name, v)
			if err != nil {
				return "", err
			}
			return "added SSH key " + ki.Fingerprint + " to " + name, nil
		})
	})
}

// removeKey picks one of a user's keys and removes it.
func (m *Model) removeKey(name string) tea.Cmd {
	u, ok := m.userByName(name)
	if !ok {
		return nil
	}
	var items []dialog.Item
	for _, ki := range engine.UserKeyInfos(u) {
		items = append(items, dialog.Item{Label: ki.Fingerprint, Hint: ki.Type + " " + ki.Comment, Value: ki.Fingerprint})
	}
	p := dialog.NewPicker("Remove an SSH key of "+name, items)
	p.Empty = name + " has no SSH keys."
	ctx, eng, by := m.c.Ctx, m.c.Engine, m.c.User.Username
	return m.pick(p, func(chosen []dialog.Item) tea.Cmd {
		if len(chosen) == 0 {
			return nil
		}
		fp := chosen[0].Value
		return m.confirmThen("Remove SSH key "+fp+" of "+name+"?", func() tea.Cmd {
			return call(func() (string, error) {
				_, err := eng.RemoveUserKey(ctx, by, name, fp)
				return "removed SSH key " + fp + " of " + name, err
			})
		})
	})
}

// removeUser picks who takes over the user's open tasks and records, then asks and removes.
func (m *Model) removeUser(name string) tea.Cmd {
	items := []dialog.Item{{Label: "(nobody)", Hint: "refused if they have open tasks or records", Value: ""}}
	for _, u := range m.data.users {
		if u.Username != name {
			items = append(items, dialog.Item{Label: u.Username, Hint: u.Name, Value: u.Username})
		}
	}
	ctx, eng, by := m.c.Ctx, m.c.Engine, m.c.User.Username
	return m.pick(dialog.NewPicker("Remove "+name+": who takes over their open tasks and records?", items), func(chosen []dialog.Item) tea.Cmd {
		if len(chosen) == 0 {
			return nil
		}
		to := chosen[0].Value
		q := "Remove user " + name + "?"
		if to != "" {
			q = "Remove user " + name + " and hand their open tasks and records to " + to + "?"
		}
		return m.confirmThen(q, func() tea.Cmd {
			return call(func() (string, error) {
				res, err := eng.RemoveUser(ctx, by, name, to)
				if err != nil {
					return "", err
				}
				note := "removed user " + name
				if to != "" {
					note += fmt.Sprintf("; %s and %s went to %s", plural(res.Tasks, "open task"), plural(res.Records, "record"), to)
				}
				return note, nil
			})
		})
	})
}

// addTeam asks a name and a type and adds an empty team.
func (m *Model) addTeam() tea.Cmd {
	ctx, eng, by := m.c.Ctx, m.c.Engine, m.c.User.Username
	return m.ask("Add a team: name", "e.g. inside-sales", "", limits.Identifier, func(name string) tea.Cmd {
		if name == "" {
			m.dlg.prompt.Err = "a team name is required: type one, e.g. inside-sales"
			m.dlg.busy = false
			return nil
		}
		items := []dialog.Item{
			{Label: "owner", Hint: "owns records; its members work them", Value: string(engine.OwnerTeam)},
			{Label: "access", Hint: "may see the records it is the access team of", Value: string(engine.AccessTeam)},
		}
		return m.pick(dialog.NewPicker("Type of team "+name, items), func(chosen []dialog.Item) tea.Cmd {
			if len(chosen) == 0 {
				return nil
			}
			t := engine.Team{Name: name, Type: engine.TeamType(chosen[0].Value)}
			return func() tea.Msg {
				if err := eng.AddTeam(ctx, by, t); err != nil {
					return doneMsg{err: err}
				}
				return doneMsg{note: "added team " + name + "; m adds members", sel: name}
			}
		})
	})
}

// setMember picks a user, then asks their member role, and adds them (or changes the role).
func (m *Model) setMember(team string) tea.Cmd {
	t, ok := m.teamByName(team)
	if !ok {
		return nil
	}
	role := map[string]string{}
	for _, mb := range t.Members {
		role[mb.Username] = mb.Role
	}
	var items []dialog.Item
	for _, u := range m.data.users {
		it := dialog.Item{Label: u.Username, Hint: u.Name, Value: u.Username}
		if r, in := role[u.Username]; in {
			it.Hint = "member (" + r + ")"
			it.Current = true
		}
		items = append(items, it)
	}
	ctx, eng, by := m.c.Ctx, m.c.Engine, m.c.User.Username
	return m.pick(dialog.NewPicker("Add a member to "+team+" (or change a member's role)", items), func(chosen []dialog.Item) tea.Cmd {
		if len(chosen) == 0 {
			return nil
		}
		user := chosen[0].Value
		return m.ask("Member role of "+user+" in "+team, "e.g. account_manager; empty for none", role[user], limits.Identifier, func(r string) tea.Cmd {
			return call(func() (string, error) {
				_, err := eng.AddTeamMember(ctx, by, team, engine.Member{Username: user, Role: r})
				return user + " is a member of " + team, err
			})
		})
	})
}

// removeMember picks a member and takes them out of the team.
func (m *Model) removeMember(team string) tea.Cmd {
	t, ok := m.teamByName(team)
	if !ok {
		return nil
	}
	var items []dialog.Item
	for _, mb := range t.Members {
		items = append(items, dialog.Item{Label: mb.Username, Hint: mb.Role, Value: mb.Username})
	}
	p := dialog.NewPicker("Remove a member of "+team, items)
	p.Empty = team + " has no members."
	ctx, eng, by := m.c.Ctx, m.c.Engine, m.c.User.Username
	return m.pick(p, func(chosen []dialog.Item) tea.Cmd {
		if len(chosen) == 0 {
			return nil
		}
		user := chosen[0].Value
		return call(func() (string, error) {
			_, err := eng.RemoveTeamMember(ctx, by, team, user)
			return "took " + user + " out of " + team, err
		})
	})
}

// removeTeam asks and removes a team.
func (m *Model) removeTeam(team string) tea.Cmd {
	ctx, eng, by := m.c.Ctx, m.c.Engine, m.c.User.Username
	return m.confirmThen("Remove team "+team+"?", func() tea.Cmd {
		return call(func() (string, error) {
			return "removed team " + team, eng.RemoveTeam(ctx, by, team)
		})
	})
}

// editSetting asks a setting's new value. A secret is never pre-filled — the whole new
// value is asked for — and is echoed as dots while typed, so it never shows on the screen.
func (m *Model) editSetting(k string) tea.Cmd {
	ctx, eng, by := m.c.Ctx, m.c.Engine, m.c.User.Username
	value, hint := m.settingValue(k), ""
	secret := engine.SecretSetting(k)
	if secret {
		value, hint = "", "holds a password: type the whole new value (empty removes it); it shows as dots"
	}
	cmd := m.ask("Setting "+k, hint, value, limits.FieldValue, func(v string) tea.Cmd {
		return call(func() (string, error) {
			return "changed setting " + k, eng.SetSetting(ctx, by, k, v)
		})
	})
	if secret {
		m.dlg.prompt.Input.EchoMode = textinput.EchoPassword
		m.dlg.prompt.Input.EchoCharacter = '•'
	}
	return cmd
}

// testEmail asks a recipient (the acting user's email first) and sends a test email.
func (m *Model) testEmail() tea.Cmd {
	ctx, eng, by := m.c.Ctx, m.c.Engine, m.c.User.Username
	return m.ask("Send a test email through smtp_url to", "", m.c.User.Email, limits.Name, func(to string) tea.Cmd {
		return call(func() (string, error) {
			return "test email sent to " + to, eng.SendTestEmail(ctx, by, to)
		})
	})
}
