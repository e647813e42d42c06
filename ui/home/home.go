// Package home is the sequences home grid (SPEC §8): every sequence of the org in a grid that
// sorts, filters, searches and reorders its columns, and the actions on a sequence — new,
// open, activate, deactivate, copy, delete, tags. The column order, sort and filters are
// remembered per user.
package home

import (
	"fmt"
	"slices"
	"strings"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"github.com/pacer-sales/pacer/engine"
	"github.com/pacer-sales/pacer/ui/common"
	"github.com/pacer-sales/pacer/ui/components/dialog"
	"github.com/pacer-sales/pacer/ui/components/grid"
	"github.com/pacer-sales/pacer/ui/components/input"
)

// mode is what the screen is doing: showing the grid or one of its dialogs.
type mode int

const (
	modeGrid mode = iota
	modeSearch
	modePicker
	modeForm
	modeConfirm
	modePrompt
	modeProblems
)

// Model is the home screen.
type Model struct {
	c    *common.Common
	st   *common.Styles
	keys keyMap
	grid *grid.Model
	set  *rowSet

	// gen numbers the loads, so a late answer to an older one is dropped.
	gen     int
	loaded  bool
	loadErr error
	// pendingSelect is a sequence id to put the cursor on when the next load arrives.
	pendingSelect string

	// prefs remembers the grid state; prefsVersion is the grid version last remembered.
	prefs        *grid.Saver
	prefsVersion int
	prefsGen     int

	mode     mode
	search   textinput.Model
	picker   filterDialog
	confirm  confirm
	prompt   prompt
	problems problems
	form     *newForm

	width, height int
}

// New returns the home screen for the acting user of c.
func New(c *common.Common) common.Screen {
	st := c.Styles
	g := grid.New(columns(st), gridStyles(st))
	m := &Model{
		c:      c,
		st:     st,
		keys:   defaultKeyMap(),
		grid:   g,
		prefs:  &grid.Saver{Screen: prefsScreen},
		search: newInput(st, "Search name and description"),
	}
	m.SetSize(c.Width, c.Height)
	return m
}

// newInput is a one-line text input without a prompt, drawn with st.
func newInput(st *common.Styles, placeholder string) textinput.Model {
	in := input.New(st)
	in.Prompt = ""
	in.Placeholder = placeholder
	return in
}

// gridStyles are the grid's styles taken from the shared ones.
func gridStyles(st *common.Styles) grid.Styles {
	return grid.Styles{Header: st.Header, HeaderSelected: st.Selected, Selected: st.Selected, Muted: st.Muted}
}

// restyle takes the shared styles again after the root rebuilt them.
func (m *Model) restyle() {
	m.grid.SetStyles(gridStyles(m.st))
	m.search.SetStyles(input.Styles(m.st))
	if m.prompt.d != nil {
		m.prompt.d.SetStyles(m.st)
	}
}

// Init loads the sequences and the user's remembered layout.
func (m *Model) Init() tea.Cmd {
	m.gen++
	return loadCmd(m.c, m.gen, true)
}

// reload reads the sequences again; the cursor stays on its sequence.
func (m *Model) reload() tea.Cmd {
	m.gen++
	return loadCmd(m.c, m.gen, false)
}

// SetSize sets the screen's area.
func (m *Model) SetSize(width, height int) {
	m.width, m.height = width, height
	m.grid.SetSize(width, max(height-1, 0))
	m.search.SetWidth(max(width-12, 10))
	if m.form != nil {
		m.form.setWidth(m.panelWidth())
	}
}

// CapturesInput reports that a dialog or the search box takes the keys.
func (m *Model) CapturesInput() bool { return m.mode != modeGrid }

// Dirty is false: the home screen keeps nothing unsaved.
func (m *Model) Dirty() bool { return false }

// selected returns the sequence under the cursor.
func (m *Model) selected() (*engine.SeqRow, bool) {
	r, ok := m.grid.SelectedRow()
	if !ok || m.set == nil {
		return nil, false
	}
	return &m.set.rows[r], true
}

// Update handles a message. Mouse positions are relative to the screen's area (the root
// subtracts the header): line 0 is the title, line 1 the grid's header, rows follow.
func (m *Model) Update(msg tea.Msg) (common.Screen, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.SetSize(msg.Width, msg.Height)
		return m, nil
	case loadedMsg:
		return m, m.onLoaded(msg)
	case common.ChangedMsg:
		return m, m.reload()
	case common.StylesChangedMsg:
		m.restyle()
		return m, nil
	case doneMsg:
		return m, m.done(msg)
	case formMsg:
		return m, m.formDone(msg)
	case tea.KeyPressMsg:
		return m, m.key(msg)
	case tea.MouseMsg:
		if m.mode == modeGrid || m.mode == modeSearch {
			mouse := msg.Mouse()
			sorted, desc := m.grid.Sort()
			m.grid.HandleMouse(msg, mouse.X, mouse.Y-1)
			if m.grid.Opened() {
				if r, ok := m.selected(); ok {
					return m, openCmd(r.Name)
				}
			}
			if s, d := m.grid.Sort(); s != sorted || d != desc {
				return m, m.rememberLayout() // a header click sorted
			}
		}
		return m, nil
	}
	if m.mode == modeForm && m.form != nil {
		return m, m.form.update(msg)
	}
	return m, nil
}

func (m *Model) onLoaded(msg loadedMsg) tea.Cmd {
	if msg.gen != m.gen {
		return nil
	}
	if msg.err != nil {
		m.loadErr = msg.err
		return common.Fail(msg.err)
	}
	m.loadErr = nil
	if msg.prefs != nil {
		m.grid.SetState(*msg.prefs)
	}
	m.prefsVersion = m.grid.Version()
	m.set = msg.set
	m.grid.Empty = "No sequences match. F clears the filters, esc the search."
	if len(msg.set.rows) == 0 {
		m.grid.Empty = "No sequences yet: n creates one, from a built-in template or blank."
	}
	m.grid.SetRows(msg.set.grid)
	m.loaded = true
	if m.pendingSelect != "" {
		m.grid.Select(m.pendingSelect)
		m.pendingSelect = ""
	}
	return nil
}

func (m *Model) done(msg doneMsg) tea.Cmd {
	switch {
	case msg.problems != nil:
		m.problems = problems{err: msg.problems}
		m.mode = modeProblems
		return failText(fmt.Sprintf("%q can't be activated: %d problem(s), listed on screen.", msg.problems.Sequence, len(msg.problems.Problems)))
	case msg.err != nil:
		return common.Fail(msg.err)
	}
	m.pendingSelect = msg.selectID
	cmds := []tea.Cmd{common.Status(msg.status), m.reload()}
	if msg.open != "" {
		cmds = append(cmds, openCmd(msg.open))
	}
	return tea.Batch(cmds...)
}

// rememberLayout saves the grid state when it changed.
func (m *Model) rememberLayout() tea.Cmd {
	if v := m.grid.Version(); v != m.prefsVersion {
		m.prefsVersion = v
		m.prefsGen++
		return m.prefs.SaveCmd(m.c, m.prefsGen, m.grid.State())
	}
	return nil
}

func (m *Model) key(msg tea.KeyPressMsg) tea.Cmd {
	switch m.mode {
	case modeSearch:
		return m.searchKey(msg)
	case modePicker:
		return m.pickerKey(msg)
	case modeForm:
		if m.form != nil {
			return m.form.update(msg)
		}
		m.mode = modeGrid
		return nil
	case modeConfirm:
		return m.confirmKey(msg)
	case modePrompt:
		return m.promptKey(msg)
	case modeProblems:
		return m.problemsKey(msg)
	}
	if !m.loaded {
		return nil
	}
	if m.grid.HandleKey(msg) {
		return m.rememberLayout()
	}
	k := m.keys
	switch {
	case key.Matches(msg, k.Filter):
		m.openPicker()
	case key.Matches(msg, k.ClearFilters):
		if !m.grid.Filtered() {
			return common.Status("No filters to clear.")
		}
		m.grid.ClearFilters()
		return tea.Batch(m.rememberLayout(), common.Status("Filters cleared."))
	case key.Matches(msg, k.Search):
		m.mode = modeSearch
		m.search.SetValue(m.grid.Search())
		m.search.CursorEnd()
		return m.search.Focus()
	case key.Matches(msg, k.ClearSearch):
		if m.grid.Search() != "" {
			m.grid.SetSearch("")
			return common.Status("Search cleared.")
		}
	case key.Matches(msg, k.New):
		return m.openForm()
	case key.Matches(msg, k.Open):
		if r, ok := m.selected(); ok {
			return openCmd(r.Name)
		}
	case key.Matches(msg, k.Activate):
		return m.activate()
	case key.Matches(msg, k.Deactivate):
		return m.deactivate()
	case key.Matches(msg, k.Copy):
		return m.copySeq()
	case key.Matches(msg, k.Delete):
		return m.delete()
	case key.Matches(msg, k.Tags):
		return m.tags()
	}
	return nil
}

func (m *Model) searchKey(msg tea.KeyPressMsg) tea.Cmd {
	switch msg.String() {
	case "esc":
		m.search.SetValue("")
		m.search.Blur()
		m.grid.SetSearch("")
		m.mode = modeGrid
		return nil
	case "enter":
		m.search.Blur()
		m.mode = modeGrid
		return nil
	case "up", "down", "pgup", "pgdown":
		m.grid.HandleKey(msg)
		return nil
	}
	var cmd tea.Cmd
	m.search, cmd = m.search.Update(msg)
	m.grid.SetSearch(m.search.Value())
	return cmd
}

// mayChange refuses, with a clear status, an action a user may not do on a sequence:
// sellers see the org's sequences but change only their own.
func (m *Model) mayChange(r *engine.SeqRow, what string) tea.Cmd {
	if engine.CanEdit(m.c.User, engine.Sequence{Name: r.Name, Owner: r.Owner}) {
		return nil
	}
	return failText(fmt.Sprintf("You can't %s %q: sellers change only their own sequences, and this one belongs to %s. Copy it (c) to make your own.", what, r.Name, r.Owner))
}

func (m *Model) activate() tea.Cmd {
	r, ok := m.selected()
	if !ok {
		return nil
	}
	if refuse := m.mayChange(r, "activate"); refuse != nil {
		return refuse
	}
	if r.State == string(engine.StateActive) {
		return common.Status(fmt.Sprintf("%q is already active.", r.Name))
	}
	publish := "Records can then be connected to it; the definition is published as version 1."
	if r.Version > 0 {
		publish = fmt.Sprintf("Records can then be connected to it. If its definition changed since version %d it is published as version %d; otherwise version %d is active again.", r.Version, r.Version+1, r.Version)
	}
	m.ask(dialog.NewConfirm(fmt.Sprintf("Activate %q?", r.Name), publish,
		"If it is not valid, every problem is listed."), activateCmd(m.c, r.Name, r.Version))
	return nil
}

func (m *Model) deactivate() tea.Cmd {
	r, ok := m.selected()
	if !ok {
		return nil
	}
	if refuse := m.mayChange(r, "deactivate"); refuse != nil {
		return refuse
	}
	if r.State != string(engine.StateActive) {
		return failText(fmt.Sprintf("%q is not active (it is %s).", r.Name, r.State))
	}
	m.ask(dialog.NewConfirm(fmt.Sprintf("Deactivate %q?", r.Name),
		"It takes no new records; the records connected to it run on to their end.",
		"Activate it again (A) to take records again."), deactivateCmd(m.c, r.Name))
	return nil
}

func (m *Model) delete() tea.Cmd {
	r, ok := m.selected()
	if !ok {
		return nil
	}
	if refuse := m.mayChange(r, "delete"); refuse != nil {
		return refuse
	}
	lines := []string{"An active sequence is deactivated first and its connected records are disconnected (reason sequence_deleted); their histories are kept."}
	switch {
	case r.State == string(engine.StateActive):
		lines = append(lines, fmt.Sprintf("This one is active with %d connected record(s).", r.Connected))
	case r.Connected > 0:
		lines = append(lines, fmt.Sprintf("This one is %s with %d connected record(s).", r.State, r.Connected))
	default:
		lines = append(lines, fmt.Sprintf("This one is %s with no connected records.", r.State))
	}
	lines = append(lines, "This can't be undone.")
	d := dialog.NewConfirm(fmt.Sprintf("Delete %q?", r.Name), lines...)
	d.Danger = true
	m.ask(d, deleteCmd(m.c, r.Name))
	return nil
}

func (m *Model) copySeq() tea.Cmd {
	r, ok := m.selected()
	if !ok {
		return nil
	}
	name := r.Name
	m.openPrompt(fmt.Sprintf("Copy %q as a new draft named:", name), m.freeName("Copy of "+name), func(v string) tea.Cmd {
		v = strings.TrimSpace(v)
		if v == "" {
			return failText("The copy needs a name.")
		}
		return cloneCmd(m.c, name, v)
	})
	return nil
}

func (m *Model) tags() tea.Cmd {
	r, ok := m.selected()
	if !ok {
		return nil
	}
	if refuse := m.mayChange(r, "change the tags of"); refuse != nil {
		return refuse
	}
	name := r.Name
	m.openPrompt(fmt.Sprintf("Tags of %q (comma-separated):", name), strings.Join(r.Tags, ", "), func(v string) tea.Cmd {
		return tagsCmd(m.c, name, splitTags(v))
	})
	return nil
}

// splitTags reads comma-separated tags.
func splitTags(s string) []string {
	var out []string
	for t := range strings.SplitSeq(s, ",") {
		if t = strings.TrimSpace(t); t != "" && !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	return out
}

// freeName returns name, or name with a number when a sequence already has it.
func (m *Model) freeName(name string) string {
	taken := func(n string) bool {
		for i := range m.set.rows {
			if strings.EqualFold(m.set.rows[i].Name, n) {
				return true
			}
		}
		return false
	}
	if !taken(name) {
		return name
	}
	for i := 2; ; i++ {
		if n := fmt.Sprintf("%s (%d)", name, i); !taken(n) {
			return n
		}
	}
}

// View renders the screen: a title line, then the grid or the open dialog.
func (m *Model) View() string {
	if m.width <= 0 || m.height <= 0 {
		return ""
	}
	st := m.st
	var title string
	if m.mode == modeSearch {
		title = st.Title.Render("Search: ") + m.search.View()
	} else {
		title = st.Title.Render("Sequences") + st.Muted.Render(m.summary())
	}
	title = fitLine(title, m.width)
	var body string
	switch {
	case m.loadErr != nil && !m.loaded:
		body = st.Danger.Render("Can't load the sequences: " + m.loadErr.Error())
	case !m.loaded:
		body = st.Muted.Render("Loading sequences…")
	case m.mode == modePicker:
		body = m.pickerView()
	case m.mode == modeForm && m.form != nil:
		body = m.panel("New sequence", m.form.view(), "esc cancel")
	case m.mode == modeConfirm:
		body = m.confirmView()
	case m.mode == modePrompt:
		body = m.promptView()
	case m.mode == modeProblems:
		body = m.problemsView()
	default:
		body = m.grid.View()
	}
	if m.height == 1 {
		return title
	}
	return title + "\n" + body
}

// summary describes the sort, filters and search in words after the title.
func (m *Model) summary() string {
	var b strings.Builder
	sortKey, desc := m.grid.Sort()
	if c, ok := engine.ColumnByKey(sortKey); ok {
		dir := "ascending"
		if desc {
			dir = "descending"
		}
		fmt.Fprintf(&b, "  ·  sorted by %s, %s", c.Title, dir)
	}
	if m.grid.Filtered() {
		var parts []string
		for _, c := range m.grid.Columns() {
			if vals := m.grid.Filter(c.Key); len(vals) > 0 {
				parts = append(parts, c.Title+" = "+strings.Join(vals, " or "))
			}
		}
		b.WriteString("  ·  filters: " + strings.Join(parts, "; "))
	}
	if s := strings.TrimSpace(m.grid.Search()); s != "" {
		fmt.Fprintf(&b, "  ·  search %q", s)
	}
	if m.c.Engine != nil {
		// The Modified column is in the user's zone, as the header's clock is.
		b.WriteString("  ·  times in " + common.ZoneLabel(m.c.Location(), m.c.Engine.Clock().Now()))
	}
	if !engine.IsManager(m.c.User) {
		b.WriteString("  ·  others' sequences are read-only")
	}
	return b.String()
}

// ShortHelp lists the keys that work now.
func (m *Model) ShortHelp() []key.Binding {
	k := m.keys
	switch m.mode {
	case modeSearch:
		return []key.Binding{
			key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "keep search")),
			key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "clear search")),
		}
	case modePicker:
		return m.picker.p.Help()
	case modeForm:
		if m.form != nil {
			return m.form.form.KeyBinds()
		}
	case modeConfirm:
		return m.confirm.d.Help()
	case modePrompt:
		return m.prompt.d.Help()
	case modeProblems:
		return []key.Binding{k.Up, k.Down, k.OpenFix, k.Close}
	}
	return []key.Binding{k.Up, k.Down, k.Left, k.Right, k.Sort, k.Filter, k.Search, k.New, k.Open}
}

// FullHelp lists every key of the screen, grouped.
func (m *Model) FullHelp() [][]key.Binding {
	if m.mode != modeGrid {
		return [][]key.Binding{m.ShortHelp()}
	}
	k := m.keys
	return [][]key.Binding{
		{k.Up, k.Down, k.PageUp, k.PageDown, k.Top, k.Bottom},
		{k.Left, k.Right, k.Sort, k.MoveLeft, k.MoveRight},
		{k.Filter, k.ClearFilters, k.Search},
		{k.New, k.Open, k.Activate, k.Deactivate, k.Copy, k.Delete, k.Tags},
	}
}
