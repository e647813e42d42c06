// Package admin is the Admin tab of the screens (SPEC §8): the org's users and their SSH
// keys, teams and their members, email templates and org settings. Admins change them;
// managers see them read-only; sellers do not get the tab. Every change goes through the
// engine calls the command line uses, inside tea.Cmds.
package admin

import (
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/pacer-sales/pacer/engine"
	"github.com/pacer-sales/pacer/ui/common"
	"github.com/pacer-sales/pacer/ui/components/dialog"
	"github.com/pacer-sales/pacer/ui/components/grid"
	"github.com/pacer-sales/pacer/ui/components/recordpicker"
)

// section is one part of the tab.
type section int

const (
	secUsers section = iota
	secTeams
	secTemplates
	secSettings
	secCount
)

// sectionNames title the sections on the tab's first line.
var sectionNames = [secCount]string{"Users", "Teams", "Templates", "Settings"}

// data is one load of everything the tab shows.
type data struct {
	users     []engine.User
	teams     []engine.Team
	templates []engine.Template
	settings  [][2]string
}

// Messages of the screen's commands.
type (
	// loadedMsg carries a load; gen tells a late answer from the current one.
	loadedMsg struct {
		gen  int
		data data
		err  error
	}
	// doneMsg ends an action: err refuses it (the dialog stays open when it is a prompt,
	// with the error under it), note is said in the status line.
	doneMsg struct {
		note string
		err  error
		// sel is the row of the current section to put the cursor on after the reload
		// (a user or team just added).
		sel string
	}
	// previewMsg carries a template preview.
	previewMsg struct {
		ref     string
		preview engine.Preview
		err     error
	}
)

// Model is the Admin screen.
type Model struct {
	c    *common.Common
	keys keyMap
	// admin may change things; a manager reads only.
	admin bool

	sec   section
	grids [secCount]*grid.Model
	data  data

	gen     int
	loaded  bool
	loadErr error
	// pendingSel is the row to select when the next load arrives.
	pendingSel string

	// dlg is the open dialog, nil when the grid has the keys.
	dlg *dlg
	// edit is the template editor, nil when closed.
	edit *editor

	width, height int
}

// New returns the Admin screen for the acting user of c.
func New(c *common.Common) common.Screen {
	m := &Model{c: c, keys: defaultKeys(), admin: c.User.Has(engine.RoleAdmin)}
	for s := range secCount {
		m.grids[s] = grid.New(columns[s], gridStyles(c.Styles))
	}
	m.grids[secUsers].Empty = "No users."
	m.grids[secTeams].Empty = "No teams yet."
	m.grids[secTemplates].Empty = "No templates yet."
	m.SetSize(c.Width, c.Height)
	return m
}

func gridStyles(st *common.Styles) grid.Styles {
	return grid.Styles{Header: st.Header, HeaderSelected: st.Selected, Selected: st.Selected, Muted: st.Muted}
}

// Init loads the tab.
func (m *Model) Init() tea.Cmd { return m.reload() }

func (m *Model) reload() tea.Cmd {
	m.gen++
	return loadCmd(m.c, m.gen)
}

// loadCmd reads users, teams, templates and settings as the acting user.
func loadCmd(c *common.Common, gen int) tea.Cmd {
	ctx, eng, by := c.Ctx, c.Engine, c.User.Username
	return func() tea.Msg {
		var d data
		var err error
		if d.users, err = eng.Users(ctx, by); err != nil {
			return loadedMsg{gen: gen, err: err}
		}
		if d.teams, err = eng.Teams(ctx, by); err != nil {
			return loadedMsg{gen: gen, err: err}
		}
		if d.templates, err = eng.Templates(ctx, by); err != nil {
			return loadedMsg{gen: gen, err: err}
		}
		s, err := eng.Settings(ctx, by)
		if err != nil {
			return loadedMsg{gen: gen, err: err}
		}
		d.settings = engine.SettingValues(s)
		return loadedMsg{gen: gen, data: d}
	}
}

// SetSize sets the screen's area: the section line, then the grid.
func (m *Model) SetSize(width, height int) {
	m.width, m.height = width, height
	for _, g := range m.grids {
		g.SetSize(width, max(height-2, 1))
	}
	if m.edit != nil {
		m.edit.setSize(width, height)
	}
}

// CapturesInput reports that a dialog or the template editor takes the keys.
func (m *Model) CapturesInput() bool { return m.dlg != nil || m.edit != nil }

// Dirty reports a template edit not saved.
func (m *Model) Dirty() bool { return m.edit != nil && m.edit.dirty() }

// Update handles one message.
func (m *Model) Update(msg tea.Msg) (common.Screen, tea.Cmd) {
	switch msg := msg.(type) {
	case loadedMsg:
		if msg.gen == m.gen {
			m.loaded, m.loadErr = true, msg.err
			if msg.err == nil {
				m.data = msg.data
				m.fill()
				if m.pendingSel != "" {
					m.grids[m.sec].Select(m.pendingSel)
					m.pendingSel = ""
				}
			}
		}
		return m, nil
	case common.ChangedMsg:
		return m, m.reload()
	case common.StylesChangedMsg:
		for _, g := range m.grids {
			g.SetStyles(gridStyles(m.c.Styles))
		}
		if m.dlg != nil && m.dlg.prompt != nil {
			m.dlg.prompt.SetStyles(m.c.Styles)
		}
		return m, nil
	case doneMsg:
		return m, m.done(msg)
	case previewMsg, recordpicker.LoadedMsg:
		if m.edit != nil {
			return m, m.editorResult(msg)
		}
		return m, nil
	case tea.KeyPressMsg:
		return m, m.key(msg)
	case tea.PasteMsg:
		if m.dlg != nil && m.dlg.prompt != nil {
			_, cmd := m.dlg.prompt.Update(msg)
			return m, cmd
		}
		if m.edit != nil {
			return m, m.edit.update(msg)
		}
		return m, nil
	case tea.MouseMsg:
		if m.dlg == nil && m.edit == nil {
			m.grids[m.sec].HandleMouse(msg, msg.Mouse().X, msg.Mouse().Y-2)
		}
		return m, nil
	}
	if m.dlg != nil && m.dlg.prompt != nil {
		_, cmd := m.dlg.prompt.Update(msg)
		return m, cmd
	}
	if m.edit != nil {
		return m, m.edit.update(msg)
	}
	return m, nil
}

// done ends an action.
func (m *Model) done(msg doneMsg) tea.Cmd {
	if msg.err != nil {
		if m.dlg != nil && m.dlg.prompt != nil {
			m.dlg.prompt.Err = msg.err.Error()
			m.dlg.busy = false
			return nil
		}
		if m.edit != nil {
			m.edit.err, m.edit.saving = msg.err.Error(), false
			return nil
		}
		m.dlg = nil
		return common.Fail(msg.err)
	}
	m.dlg = nil
	m.pendingSel = msg.sel
	if m.edit != nil && m.edit.saving {
		m.edit = nil
	}
	return tea.Batch(common.Status(msg.note), m.reload())
}

// key handles a key press: the editor or dialog first, then the section's actions, then
// the grid.
func (m *Model) key(msg tea.KeyPressMsg) tea.Cmd {
	if m.edit != nil {
		return m.editorKey(msg)
	}
	if m.dlg != nil {
		return m.dialogKey(msg)
	}
	k := m.keys
	switch {
	case key.Matches(msg, k.NextSection):
		m.sec = (m.sec + 1) % secCount
		return nil
	case key.Matches(msg, k.PrevSection):
		m.sec = (m.sec + secCount - 1) % secCount
		return nil
	case key.Matches(msg, k.Reload):
		return m.reload()
	}
	if cmd, ok := m.action(msg); ok {
		return cmd
	}
	m.grids[m.sec].HandleKey(msg)
	return nil
}

// readOnly refuses a change for a manager.
func (m *Model) readOnly() tea.Cmd {
	return func() tea.Msg {
		return common.StatusMsg{Text: "read-only: only admins change users, teams, templates and settings here", Err: true}
	}
}

// View draws the section line and the section's grid, the dialog or the editor.
func (m *Model) View() string {
	st := m.c.Styles
	var tabs []string
	for s := range secCount {
		if s == m.sec {
			tabs = append(tabs, st.TabActive.Render("["+sectionNames[s]+"]"))
		} else {
			tabs = append(tabs, st.Tab.Render(" "+sectionNames[s]+" "))
		}
	}
	head := strings.Join(tabs, " ")
	if !m.admin {
		head += "  " + st.Muted.Render("read-only")
	}
	if m.edit != nil {
		return head + "\n" + m.edit.view(st)
	}
	var body string
	switch {
	case m.dlg != nil:
		body = m.dlg.view(st, min(m.width, 100), max(m.height-2, 3))
	case !m.loaded:
		body = st.Muted.Render("Loading…")
	case m.loadErr != nil:
		body = st.Danger.Render(dialog.Fit(grid.Clean(m.loadErr.Error()), m.width))
	default:
		body = m.grids[m.sec].View()
	}
	return head + "\n\n" + body
}
