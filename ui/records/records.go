// Package records is the Records screen (tab 3): the org's records of one record type on
// the grid (sort, filter by picking values, column order and choice, remembered per user),
// a page at a time — the store keeps an index of each order, so a database of a million
// records is never held in memory — with where each stands in its sequences, a search by
// name, email and id that runs in the background (a key press never waits for it), marks
// for bulk connecting, and the record view: fields to edit, connections with their
// history, and the actions connect, disconnect, skip wait, pause and resume.
package records

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"github.com/pacer-sales/pacer/engine"
	"github.com/pacer-sales/pacer/engine/limits"
	"github.com/pacer-sales/pacer/ui/common"
	"github.com/pacer-sales/pacer/ui/components/dialog"
	"github.com/pacer-sales/pacer/ui/components/grid"
	"github.com/pacer-sales/pacer/ui/components/input"
)

// Entities are the record types the screen cycles through with e.
var Entities = []string{"lead", "contact", "opportunity", "account"}

// maxMarks bounds the records marked at once ("all that match" stops there).
const maxMarks = 10000

// mode is what the screen shows.
type mode int

const (
	modeList mode = iota
	modeSearch
	modeView
	modePicker
	modeConfirm
	modePrompt
	// modeReasons shows a refusal in full (every reason of a refused bulk connect).
	modeReasons
)

// pickFor is what an open picker chooses for.
type pickFor int

const (
	pickConnect pickFor = iota
	pickDisconnect
	pickSkipWait
	pickBulk
	pickFilter
	pickColumns
	pickField
	pickPause
	pickResume
)

// keyMap are the screen's keys.
type keyMap struct {
	grid.KeyMap
	Open, Back, Search, ClearSearch, Entity, Mark, MarkAll, Unmark, BulkConnect, Refresh key.Binding
	Filter, ClearFilters, Columns                                                        key.Binding
	Connect, Disconnect, SkipWait, Edit, Pause, Resume                                   key.Binding
}

func newKeys() keyMap {
	b := func(k, help string, keys ...string) key.Binding {
		return key.NewBinding(key.WithKeys(keys...), key.WithHelp(k, help))
	}
	return keyMap{
		KeyMap:       grid.DefaultKeyMap(),
		Open:         b("enter", "open", "enter"),
		Back:         b("esc", "back", "esc"),
		Search:       b("/", "search", "/"),
		ClearSearch:  b("esc", "clear search", "esc"),
		Entity:       b("e", "record type", "e"),
		Mark:         b("space", "mark", "space"),
		MarkAll:      b("*", "mark all that match", "*"),
		Unmark:       b("u", "unmark all", "u"),
		BulkConnect:  b("C", "connect marked", "C"),
		Refresh:      b("r", "refresh", "r"),
		Filter:       b("f", "filter by column", "f"),
		ClearFilters: b("F", "clear filters", "F"),
		Columns:      b("o", "choose columns", "o"),
		Connect:      b("c", "connect", "c"),
		Disconnect:   b("x", "disconnect", "x"),
		SkipWait:     b("w", "skip wait", "w"),
		Edit:         b("e", "edit a field", "e"),
		Pause:        b("p", "pause", "p"),
		Resume:       b("r", "resume", "r"),
	}
}

// mark is a marked record. Where it stands is read again when the marks are connected
// (Engine.ConnectedTo), never taken from the page it was marked on.
type mark struct{}

// Model is the Records screen. It is used through a pointer.
type Model struct {
	c    *common.Common
	keys keyMap
	loc  *time.Location

	width, height int

	grid *grid.Model
	// prefs remembers the grid's layout; prefsVersion is the grid version last remembered.
	prefs        *grid.Saver
	prefsVersion int
	prefsGen     int
	ready        bool

	entity int
	search string
	input  textinput.Model

	// The page shown: starts[i] is where the i-th page starts; rows its records, next
	// where the page after it starts.
	starts  []engine.RecordPos
	rows    []engine.RecordRow
	more    bool
	next    engine.RecordPos
	gen     int
	land    land
	loading bool
	// refill asks the load under way to read its page again when it comes back shorter
	// than the screen has grown to (SetSize).
	refill bool
	// cancel gives up the load under way (a search that reads many records) when another
	// one starts.
	cancel context.CancelFunc
	err    error

	marks map[string]mark

	mode mode
	// The record view.
	view    *engine.RecordView
	viewErr error
	offset  int

	picker   *dialog.Picker
	pickFor  pickFor
	pickCol  string
	confirm  *dialog.Confirm
	onYes    tea.Cmd
	prompt   *dialog.Prompt
	onPrompt func(string) tea.Cmd
	// refused is the refusal shown in full (modeReasons).
	refused *refusal
}

// New returns the Records screen of the acting user.
func New(c *common.Common) common.Screen {
	in := input.New(c.Styles)
	in.Prompt = "/ "
	in.Placeholder = "name, email or id"
	in.CharLimit = limits.Name
	g := grid.New(columns(c.Styles), gridStyles(c.Styles))
	g.SetRemote(true)
	g.SetState(defaultLayout)
	m := &Model{c: c, keys: newKeys(), loc: c.Location(), input: in, starts: []engine.RecordPos{{}}, marks: map[string]mark{},
		grid: g, prefs: &grid.Saver{Screen: prefsScreen}}
	m.prefsVersion = g.Version()
	m.SetSize(c.Width, c.Height)
	return m
}

// gridStyles are the grid's styles taken from the shared ones.
func gridStyles(st *common.Styles) grid.Styles {
	return grid.Styles{Header: st.Header, HeaderSelected: st.Selected, Selected: st.Selected, Muted: st.Muted}
}

// Messages of the screen's commands.
type (
	prefsMsg struct {
		state *grid.State
		err   error
	}
	pageMsg struct {
		gen  int
		page engine.RecordsPage
		err  error
	}
	detailMsg struct {
		ref  string
		view engine.RecordView
		err  error
	}
	seqsMsg struct {
		ref  string
		seqs []string
		bulk bool
		err  error
	}
	ownersMsg struct {
		owners []string
		err    error
	}
	actedMsg struct {
		text string
		err  error
	}
	// promptMsg is the outcome of a prompt's action: an error keeps the prompt open.
	promptMsg struct {
		text string
		err  error
	}
	markedMsg struct {
		marks  map[string]mark
		capped bool
		err    error
	}
)

// Init reads the user's remembered layout, then the first page.
func (m *Model) Init() tea.Cmd {
	c, p := m.c, m.prefs
	return func() tea.Msg {
		st, err := p.Load(c)
		return prefsMsg{state: st, err: err}
	}
}

// SetSize gives the screen its area: the title, the grid and the status line.
func (m *Model) SetSize(w, h int) {
	grew := h > m.height
	m.width, m.height = w, h
	m.input.SetWidth(max(10, w-4))
	m.grid.SetSize(w, max(h-1, 0))
	if grew {
		// A taller screen shows a longer page: a load under way reads the page again when
		// it arrives short, and the next key's load fills it otherwise.
		m.refill = true
	}
}

// CapturesInput is true while a search, a picker, a prompt or a question has the keys.
func (m *Model) CapturesInput() bool {
	return m.mode == modeSearch || m.mode == modePicker || m.mode == modeConfirm || m.mode == modePrompt || m.mode == modeReasons
}

// Dirty is false: nothing is kept unsaved.
func (m *Model) Dirty() bool { return false }

// entityName is the record type shown.
func (m *Model) entityName() string { return Entities[m.entity] }

// pageSize is how many records a page holds: the rows that fit.
func (m *Model) pageSize() int { return max(1, min(m.grid.Window(), limits.Page)) }

// query is what the grid's sort and filters and the search pick, from where the page
// starts.
func (m *Model) query() engine.RecordQuery {
	sort, desc := m.grid.Sort()
	if !sortable(sort) {
		sort, desc = colID, false
	}
	return engine.RecordQuery{
		Entity: m.entityName(), Sort: sort, Desc: desc, Search: m.search,
		Owners: m.grid.Filter(colOwner), Stands: m.grid.Filter(colStands),
		After: m.starts[len(m.starts)-1], Limit: m.pageSize(),
	}
}

// narrowed reports that a search or a filter may make a load read many records.
func (m *Model) narrowed() bool {
	return strings.TrimSpace(m.search) != "" || len(m.grid.Filter(colOwner)) > 0 || len(m.grid.Filter(colStands)) > 0
}

// load reads the page that starts at starts[len-1], giving up the load under way.
func (m *Model) load() tea.Cmd {
	if m.cancel != nil {
		m.cancel()
	}
	ctx, cancel := context.WithCancel(m.c.Ctx)
	m.cancel = cancel
	m.gen++
	m.loading = true
	m.grid.Empty = m.emptyText() // not what the last page said while this one loads
	gen, e, by, q := m.gen, m.c.Engine, m.c.User.Username, m.query()
	return func() tea.Msg {
		defer cancel()
		p, err := e.QueryRecords(ctx, by, q)
		return pageMsg{gen: gen, page: p, err: err}
	}
}

// restart shows the first page again (a new record type, sort, filter or search); the
// rows shown go, so none of another query stays under the cursor.
func (m *Model) restart() tea.Cmd {
	m.starts = []engine.RecordPos{{}}
	m.rows, m.more = nil, false
	m.setRows()
	return m.load()
}

// setRows hands the page to the grid.
func (m *Model) setRows() {
	m.grid.Empty = m.emptyText()
	m.grid.SetRows(m.gridRows(m.c.Engine.Clock().Now()))
	more := "end of the list"
	if m.more {
		more = "↓ at the last row or pgdn: next page"
	}
	m.grid.Position = fmt.Sprintf("page %d · %d on this page · %s", len(m.starts), len(m.rows), more)
}

// emptyText is what the grid says without rows.
func (m *Model) emptyText() string {
	switch {
	case m.loading && m.narrowed():
		return "Searching… (keys keep working; a new search gives this one up)"
	case m.loading:
		return "Loading…"
	case m.search != "":
		return fmt.Sprintf("No %s record holds %q in its name, email or id%s.", m.entityName(), m.search, m.filterNote())
	case m.narrowed():
		return "No " + m.entityName() + " record passes the filters. F clears them."
	}
	return "No " + m.entityName() + " records. e shows another record type."
}

func (m *Model) filterNote() string {
	if len(m.grid.Filter(colOwner)) > 0 || len(m.grid.Filter(colStands)) > 0 {
		return " and passes the filters"
	}
	return ""
}

// selected is the record under the cursor.
func (m *Model) selected() (engine.RecordRow, bool) {
	i, ok := m.grid.SelectedRow()
	if !ok || i >= len(m.rows) {
		return engine.RecordRow{}, false
	}
	return m.rows[i], true
}

// rememberLayout saves the grid's layout when it changed.
func (m *Model) rememberLayout() tea.Cmd {
	if v := m.grid.Version(); v != m.prefsVersion {
		m.prefsVersion = v
		m.prefsGen++
		return m.prefs.SaveCmd(m.c, m.prefsGen, m.grid.State())
	}
	return nil
}

// Update handles a message.
func (m *Model) Update(msg tea.Msg) (common.Screen, tea.Cmd) {
	switch msg := msg.(type) {
	case prefsMsg:
		if msg.err == nil && msg.state != nil {
			m.grid.SetState(*msg.state)
			if vals := m.grid.Filter(colEntity); len(vals) == 1 {
				if i := slices.Index(Entities, vals[0]); i >= 0 {
					m.entity = i
				}
			}
		}
		m.prefsVersion, m.ready = m.grid.Version(), true
		return m, m.load()
	case pageMsg:
		if msg.gen != m.gen {
			return m, nil
		}
		m.loading, m.err = false, msg.err
		if msg.err == nil {
			m.rows, m.more, m.next = msg.page.Rows, msg.page.More, msg.page.Next
		}
		m.setRows()
		switch m.land {
		case landFirst:
			m.grid.MoveCursor(-len(m.rows))
		case landLast:
			m.grid.MoveCursor(len(m.rows))
		}
		m.land = landKeep
		if m.refill && msg.err == nil && m.more && len(m.rows) < m.pageSize() {
			m.refill = false
			return m, m.load()
		}
		m.refill = false
		return m, nil
	case detailMsg:
		if m.view != nil && m.view.Ref() != msg.ref && msg.err == nil {
			return m, nil
		}
		if msg.err != nil {
			m.viewErr = msg.err
			return m, nil
		}
		v := msg.view
		m.view, m.viewErr = &v, nil
		return m, nil
	case seqsMsg:
		return m, m.onSeqs(msg)
	case ownersMsg:
		if msg.err != nil {
			return m, failErr(msg.err)
		}
		m.openFilter(colOwner, msg.owners)
		return m, nil
	case bulkDoneMsg:
		m.marks = map[string]mark{}
		return m.Update(msg.actedMsg)
	case refusedMsg:
		m.refused, m.mode = &refusal{title: "Nothing connected to " + msg.seq, reasons: msg.reasons}, modeReasons
		return m, fail(fmt.Sprintf("nothing connected to %s: %d record(s) refused (reasons above)", msg.seq, len(msg.reasons)))
	case previewMsg:
		if msg.err != nil {
			return m, failErr(msg.err)
		}
		return m, m.bulkPreview(msg.seq, msg.refs, msg.connected)
	case actedMsg:
		if msg.err != nil {
			return m, failErr(msg.err)
		}
		return m, tea.Batch(done(msg.text), m.load(), m.reloadView())
	case promptMsg:
		if msg.err != nil {
			if m.mode == modePrompt && m.prompt != nil {
				m.prompt.Err = errText(msg.err)
				return m, nil
			}
			return m, failErr(msg.err)
		}
		m.mode, m.prompt = m.back(), nil
		return m, tea.Batch(done(msg.text), m.load(), m.reloadView())
	case markedMsg:
		if msg.err != nil {
			return m, failErr(msg.err)
		}
		m.marks = msg.marks
		text := fmt.Sprintf("Marked %d record(s) that match", len(m.marks))
		if msg.capped {
			text += fmt.Sprintf(" (stopped at %d)", maxMarks)
		}
		m.setRows()
		return m, common.Status(text)
	case common.ChangedMsg:
		return m, tea.Batch(m.load(), m.reloadView())
	case common.StylesChangedMsg:
		m.input.SetStyles(input.Styles(m.c.Styles))
		m.grid.SetStyles(gridStyles(m.c.Styles))
		if m.prompt != nil {
			m.prompt.SetStyles(m.c.Styles)
		}
		return m, nil
	case tea.KeyPressMsg:
		return m, m.key(msg)
	case tea.MouseMsg:
		if m.mode == modeList && m.ready {
			return m, m.mouse(msg)
		}
		return m, nil
	}
	if m.mode == modePrompt && m.prompt != nil {
		_, cmd := m.prompt.Update(msg)
		return m, cmd
	}
	return m, nil
}

// mouse handles a click or the wheel on the list: line 0 is the title, the grid's header
// line 1. A header click sorts (again: reverses) by a column the store keeps an order of.
func (m *Model) mouse(msg tea.MouseMsg) tea.Cmd {
	before := m.grid.State()
	sorted, desc := m.grid.Sort()
	mouse := msg.Mouse()
	m.grid.HandleMouse(msg, mouse.X, mouse.Y-1)
	if m.grid.Opened() {
		return m.open()
	}
	if s, d := m.grid.Sort(); s != sorted || d != desc {
		if !sortable(s) {
			m.grid.SetState(before)
			m.prefsVersion = m.grid.Version()
			return fail(m.unsortable(s))
		}
		return tea.Batch(m.rememberLayout(), m.restart())
	}
	return nil
}

// unsortable says which columns sort.
func (m *Model) unsortable(key string) string {
	title := key
	for _, c := range m.grid.AllColumns() {
		if c.Key == key {
			title = c.Title
		}
	}
	return fmt.Sprintf("Records don't sort by %s: sort by Id, Name, Owner or Modified (the orders the database keeps for a million records)", title)
}

// done shows on the footer's status line that an action was done, marked ✓ (not by colour
// alone).
func done(text string) tea.Cmd { return common.Status("✓ " + text) }

// fail shows a refusal on the footer's status line, which wraps it to the width.
func fail(text string) tea.Cmd { return common.Fail(errors.New(text)) }

// failErr shows an engine error on the status line, without the engine's kind prefix.
func failErr(err error) tea.Cmd { return fail(errText(err)) }

// errText is an error for the status line, without the engine's kind prefix.
func errText(err error) string {
	s := err.Error()
	for _, p := range []string{engine.ErrInvalid.Error() + ": ", engine.ErrForbidden.Error() + ": "} {
		s = strings.TrimPrefix(s, p)
	}
	return s
}

// key routes a key press by mode.
func (m *Model) key(msg tea.KeyPressMsg) tea.Cmd {
	switch m.mode {
	case modeSearch:
		return m.searchKey(msg)
	case modePicker:
		return m.pickerKey(msg)
	case modePrompt:
		return m.promptKey(msg)
	case modeConfirm:
		switch m.confirm.Update(msg) {
		case dialog.Accepted:
			m.mode = m.back()
			if m.confirm.Yes() {
				return m.onYes
			}
		case dialog.Cancelled:
			m.mode = m.back()
		}
		return nil
	case modeView:
		return m.viewKey(msg)
	case modeReasons:
		m.refusedKey(msg)
		return nil
	}
	if !m.ready {
		return nil
	}
	return m.listKey(msg)
}

// back is the mode a dialog returns to: the record view when one is open.
func (m *Model) back() mode {
	if m.view != nil {
		return modeView
	}
	return modeList
}

func (m *Model) listKey(msg tea.KeyPressMsg) tea.Cmd {
	k := m.keys
	last := m.grid.Cursor() == len(m.rows)-1
	switch {
	case key.Matches(msg, k.Down) && last && m.more, key.Matches(msg, k.PageDown) && m.more:
		// The next page starts after the last record shown.
		m.starts = append(m.starts, m.next)
		m.land = landFirst
		return m.load()
	case key.Matches(msg, k.Up) && m.grid.Cursor() == 0 && len(m.starts) > 1,
		key.Matches(msg, k.PageUp) && len(m.starts) > 1:
		m.starts = m.starts[:len(m.starts)-1]
		if key.Matches(msg, k.Up) {
			m.land = landLast
		}
		return m.load()
	case key.Matches(msg, k.Top) && len(m.starts) > 1:
		return m.restart()
	case key.Matches(msg, k.Sort):
		if c := m.grid.SelectedColumn(); !sortable(c.Key) {
			return fail(m.unsortable(c.Key))
		}
		m.grid.SortBySelected()
		return tea.Batch(m.rememberLayout(), m.restart())
	case key.Matches(msg, k.Open):
		return m.open()
	case key.Matches(msg, k.Search):
		m.mode = modeSearch
		m.input.SetValue(m.search)
		m.input.CursorEnd()
		return m.input.Focus()
	case key.Matches(msg, k.ClearSearch) && m.search != "":
		m.search = ""
		return tea.Batch(common.Status("Search cleared"), m.restart())
	case key.Matches(msg, k.Entity):
		return m.setEntity((m.entity + 1) % len(Entities))
	case key.Matches(msg, k.Filter):
		return m.filter()
	case key.Matches(msg, k.ClearFilters):
		if len(m.grid.Filter(colOwner)) == 0 && len(m.grid.Filter(colStands)) == 0 {
			return common.Status("No filters to clear")
		}
		m.grid.SetFilter(colOwner, nil)
		m.grid.SetFilter(colStands, nil)
		m.marks = map[string]mark{}
		return tea.Batch(common.Status("Filters cleared"), m.rememberLayout(), m.restart())
	case key.Matches(msg, k.Columns):
		var items []dialog.Item
		for _, c := range m.grid.AllColumns() {
			items = append(items, dialog.Item{Label: c.Title, Value: c.Key, Checked: m.grid.Shown(c.Key)})
		}
		m.openPicker(pickColumns, "Columns to show (space checks, enter keeps; < > move the selected column)", items)
		m.picker.Multi = true
		return nil
	case key.Matches(msg, k.Mark):
		if r, ok := m.selected(); ok {
			if _, on := m.marks[r.Ref()]; on {
				delete(m.marks, r.Ref())
			} else if len(m.marks) < maxMarks {
				m.marks[r.Ref()] = mark{}
			}
			m.setRows()
			m.grid.MoveCursor(1)
		}
		return nil
	case key.Matches(msg, k.MarkAll):
		return m.markAll()
	case key.Matches(msg, k.Unmark):
		m.marks = map[string]mark{}
		m.setRows()
		return nil
	case key.Matches(msg, k.BulkConnect):
		if len(m.marks) == 0 {
			return fail("Mark records first: space marks one, * all that match")
		}
		return m.seqsCmd("", true)
	case key.Matches(msg, k.Refresh):
		return m.load()
	}
	if m.grid.HandleKey(msg) {
		return m.rememberLayout()
	}
	return nil
}

// land is where the cursor goes on the next page loaded.
type land int

const (
	landKeep  land = iota // on its record if it is still shown, else at the same place
	landFirst             // the first row (a page turned forwards)
	landLast              // the last row (↑ past the first row)
)

// setEntity shows another record type: its first page, in the same layout.
func (m *Model) setEntity(i int) tea.Cmd {
	m.entity = i
	m.marks = map[string]mark{}
	m.grid.SetFilter(colEntity, []string{m.entityName()})
	return tea.Batch(m.rememberLayout(), m.restart())
}

// filter opens the value picker of the selected column.
func (m *Model) filter() tea.Cmd {
	c := m.grid.SelectedColumn()
	switch {
	case !filterable(c.Key):
		return fail(fmt.Sprintf("Records filter by Owner, Where it stands and Type; %s is searched with /", c.Title))
	case c.Key == colOwner:
		e, ctx, by := m.c.Engine, m.c.Ctx, m.c.User.Username
		return func() tea.Msg {
			users, err := e.Users(ctx, by)
			if err != nil {
				return ownersMsg{err: err}
			}
			teams, err := e.Teams(ctx, by)
			owners := []string{""}
			for _, u := range users {
				owners = append(owners, u.Username)
			}
			for _, t := range teams {
				if t.Type == engine.OwnerTeam {
					owners = append(owners, "team:"+t.Name)
				}
			}
			return ownersMsg{owners: owners, err: err}
		}
	}
	m.openFilter(c.Key, nil)
	return nil
}

// openFilter opens the value picker of column key.
func (m *Model) openFilter(key string, owners []string) {
	items := m.filterItems(key, owners)
	switch key {
	case colEntity:
		m.openPicker(pickFilter, "Record type to show", items)
	case colStands:
		m.openPicker(pickFilter, "Show the records that stand any way checked (none checked: no filter)", items)
		m.picker.Multi = true
	default:
		m.openPicker(pickFilter, "Show the records owned by any checked (none checked: no filter)", items)
		m.picker.Multi = true
	}
	m.pickCol = key
}

// markAll marks every record that passes the search and filters, page by page, up to
// maxMarks.
func (m *Model) markAll() tea.Cmd {
	e, ctx, by, q := m.c.Engine, m.c.Ctx, m.c.User.Username, m.query()
	q.After = engine.RecordPos{}
	return func() tea.Msg {
		marks := map[string]mark{}
		for len(marks) < maxMarks {
			q.Limit = min(limits.Page, maxMarks-len(marks))
			p, err := e.QueryRecords(ctx, by, q)
			if err != nil {
				return markedMsg{err: err}
			}
			for _, r := range p.Rows {
				marks[r.Ref()] = mark{}
			}
			if !p.More || len(p.Rows) == 0 {
				return markedMsg{marks: marks}
			}
			q.After = p.Next
		}
		return markedMsg{marks: marks, capped: true}
	}
}

func (m *Model) searchKey(msg tea.KeyPressMsg) tea.Cmd {
	switch msg.String() {
	case "enter":
		m.mode = modeList
		m.input.Blur()
		return nil
	case "esc":
		m.mode = modeList
		m.input.Blur()
		if m.search != "" {
			m.search = ""
			return m.restart()
		}
		return nil
	case "up", "down":
		m.grid.HandleKey(msg)
		return nil
	}
	var cmd tea.Cmd
	m.input, cmd = m.input.Update(msg)
	if v := m.input.Value(); v != m.search {
		m.search = v
		m.marks = map[string]mark{}
		return tea.Batch(cmd, m.restart())
	}
	return cmd
}

func (m *Model) openPicker(f pickFor, title string, items []dialog.Item) {
	m.picker, m.pickFor, m.mode = dialog.NewPicker(title, items), f, modePicker
}

func (m *Model) pickerKey(msg tea.KeyPressMsg) tea.Cmd {
	switch m.picker.Update(msg) {
	case dialog.Cancelled:
		m.mode = m.back()
		return nil
	case dialog.Open:
		return nil
	}
	m.mode = m.back()
	var checked []string
	for _, it := range m.picker.Checked() {
		checked = append(checked, it.Value)
	}
	it, _ := m.picker.Selected()
	switch m.pickFor {
	case pickFilter:
		if m.pickCol == colEntity {
			return m.setEntity(max(slices.Index(Entities, it.Value), 0))
		}
		m.grid.SetFilter(m.pickCol, checked)
		m.marks = map[string]mark{}
		return tea.Batch(m.rememberLayout(), m.restart())
	case pickColumns:
		if len(checked) == 0 {
			return fail("Keep one column at least")
		}
		m.grid.SetShown(checked)
		m.setRows()
		return m.rememberLayout()
	case pickBulk:
		return m.previewCmd(it.Value)
	}
	return m.viewPicked(it.Value)
}

// openPrompt asks for a line of text; submit's command answers with a promptMsg (an error
// keeps the prompt open with what was typed).
func (m *Model) openPrompt(title, hint, value string, submit func(string) tea.Cmd) {
	m.prompt = dialog.NewPrompt(m.c.Styles, title, value)
	m.prompt.Hint = hint
	m.onPrompt, m.mode = submit, modePrompt
}

func (m *Model) promptKey(msg tea.KeyPressMsg) tea.Cmd {
	r, cmd := m.prompt.Update(msg)
	switch r {
	case dialog.Cancelled:
		m.mode, m.prompt = m.back(), nil
		return nil
	case dialog.Accepted:
		return m.onPrompt(m.prompt.Value())
	}
	return cmd
}

func (m *Model) ask(d *dialog.Confirm, yes tea.Cmd) {
	m.confirm, m.onYes, m.mode = d, yes, modeConfirm
}

// previewMsg carries what the bulk preview needs: the marked records and which of them
// are active in the sequence now.
type previewMsg struct {
	seq             string
	refs, connected []string
	err             error
}

// previewCmd reads, when the sequence is chosen, which marked records are connected to it
// now — a record may have been connected elsewhere since it was marked — so the preview
// counts what stands, and the all-or-nothing connect it asks about takes only the others.
func (m *Model) previewCmd(seq string) tea.Cmd {
	refs := make([]string, 0, len(m.marks))
	for ref := range m.marks {
		refs = append(refs, ref)
	}
	slices.Sort(refs)
	e, ctx, by := m.c.Engine, m.c.Ctx, m.c.User.Username
	return func() tea.Msg {
		connected, err := e.ConnectedTo(ctx, by, seq, refs)
		return previewMsg{seq: seq, refs: refs, connected: connected, err: err}
	}
}

// bulkPreview asks before connecting the marked records: how many, and how many already
// active in the sequence (read just now) are left out.
func (m *Model) bulkPreview(seq string, marked, connected []string) tea.Cmd {
	var refs []string
	for _, ref := range marked {
		if !slices.Contains(connected, ref) {
			refs = append(refs, ref)
		}
	}
	if len(refs) == 0 {
		return fail(fmt.Sprintf("Every marked record is already connected to %s", seq))
	}
	q := fmt.Sprintf("Connect %d record(s) to %s?", len(refs), seq)
	detail := []string{"All or nothing: if any record is refused, none is connected and every reason is listed."}
	if left := len(marked) - len(refs); left > 0 {
		detail = append([]string{fmt.Sprintf("%d record(s) marked; %d already connected will be left out.", len(marked), left)}, detail...)
	}
	m.ask(dialog.NewConfirm(q, detail...), m.connectCmd(seq, refs))
	return nil
}

// seqsCmd lists the active sequences of the record type, for connecting ref (or the marked
// records, with bulk).
func (m *Model) seqsCmd(ref string, bulk bool) tea.Cmd {
	e, ctx, by, entity := m.c.Engine, m.c.Ctx, m.c.User.Username, m.entityName()
	if m.view != nil {
		entity = m.view.Entity
	}
	return func() tea.Msg {
		rows, err := e.SequenceRows(ctx, by)
		var seqs []string
		for _, r := range rows {
			if r.State == string(engine.StateActive) && r.Entity == entity {
				seqs = append(seqs, r.Name)
			}
		}
		return seqsMsg{ref: ref, seqs: seqs, bulk: bulk, err: err}
	}
}

func (m *Model) onSeqs(msg seqsMsg) tea.Cmd {
	if msg.err != nil {
		return failErr(msg.err)
	}
	if len(msg.seqs) == 0 {
		return fail("No active sequence takes " + m.entityName() + " records: activate one first")
	}
	items := make([]dialog.Item, len(msg.seqs))
	for i, s := range msg.seqs {
		items[i] = dialog.Item{Label: s, Value: s}
	}
	if msg.bulk {
		m.openPicker(pickBulk, fmt.Sprintf("Connect %d marked record(s) to", len(m.marks)), items)
		return nil
	}
	m.openPicker(pickConnect, "Connect "+msg.ref+" to", items)
	return nil
}

// connectCmd connects refs to seq, all or nothing. A refusal of several records opens every
// reason in full (refusedMsg); one record's refusal goes to the status line.
func (m *Model) connectCmd(seq string, refs []string) tea.Cmd {
	e, ctx, by := m.c.Engine, m.c.Ctx, m.c.User.Username
	bulk := len(refs) > 1
	return func() tea.Msg {
		res, err := e.Connect(ctx, by, seq, refs)
		if err != nil {
			text := errText(err)
			head, rest, _ := strings.Cut(text, "\n")
			if !strings.HasPrefix(head, "nothing connected") {
				return actedMsg{err: fmt.Errorf("nothing connected: %s", text)}
			}
			if !bulk {
				return actedMsg{err: errors.New(text)}
			}
			var reasons []string
			for _, l := range strings.Split(rest, "\n") {
				if l = strings.TrimSpace(l); l != "" {
					reasons = append(reasons, l)
				}
			}
			return refusedMsg{seq: seq, reasons: reasons}
		}
		if bulk {
			return bulkDoneMsg{actedMsg{text: fmt.Sprintf("Connected %d record(s) to %s", len(res), seq)}}
		}
		return actedMsg{text: fmt.Sprintf("Connected %s to %s", refs[0], seq)}
	}
}

// refusedMsg ends a refused bulk connect: nothing was connected, for these reasons.
type refusedMsg struct {
	seq     string
	reasons []string
}

// refusal is a refusal read in full: every reason, scrolled with the navigation keys.
type refusal struct {
	title   string
	reasons []string
	offset  int
}

// refusedKey scrolls the reasons; esc, enter or q closes them.
func (m *Model) refusedKey(msg tea.KeyPressMsg) {
	switch msg.String() {
	case "esc", "enter", "q":
		m.mode, m.refused = m.back(), nil
		return
	}
	if o, ok := m.keys.Move(msg, m.refused.offset, len(m.refused.reasons), max(m.height-8, 1)); ok {
		m.refused.offset = o
	}
}

// bulkDoneMsg ends a bulk connect: the marks are cleared.
type bulkDoneMsg struct{ actedMsg }

// when shows a time in the user's zone.
func (m *Model) when(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(m.loc).Format("Mon Jan 2 15:04 MST")
}
