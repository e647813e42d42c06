// Package console is the work list, the seller console of SPEC §8: the acting user's open
// tasks grouped Overdue / Today / Upcoming in their time zone, with filters, search and
// sort, the selected record's Up next on the right, and the task actions (done with a
// call's outcome, skip, snooze, skip wait, assign, compose and send the email). It follows
// engine changes live (common.ChangedMsg) and keeps the cursor on the same task.
package console

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textarea"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/pacer-sales/pacer/engine"
	"github.com/pacer-sales/pacer/ui/common"
	"github.com/pacer-sales/pacer/ui/components/dialog"
	"github.com/pacer-sales/pacer/ui/components/input"
)

// prefsScreen is the name the work list's preferences are stored under.
const prefsScreen = "console"

// mode is what the keys go to.
type mode int

const (
	modeList mode = iota
	modeSearch
	modePicker
	modeInput
	modeCompose
)

// scope is whose list is shown.
type scope struct {
	// User is a user's list; "" is the acting user's.
	User string
	// All is every open task (managers and admins).
	All bool
}

// prefs are remembered per user.
type prefs struct {
	// After is what the cursor does after an action: "next" (default) or "stay".
	After string `json:"after,omitempty"`
	Sort  string `json:"sort,omitempty"`
}

// pending is an action waiting for a prompt's answer.
type pending struct {
	kind    engine.TaskActionKind
	taskID  string
	record  string // record name, for messages
	nextID  string // the row after the task when the action started
	outcome string
}

// Model is the work list screen.
type Model struct {
	c    *common.Common
	keys keyMap
	loc  *time.Location

	width, height int

	// What is loaded.
	scope    scope
	rows     []row
	loaded   bool
	loadErr  error
	loading  bool
	reload   bool // a change arrived while loading: load again
	gen      int
	settings engine.Settings
	users    []engine.User
	prefs    prefs

	// What is shown: filters, search and sort over rows, in display order.
	filter  filters
	search  string
	sortBy  string
	order   []int // indices into rows
	lowered bool  // rows have their lower-case names
	bydue   bool  // rows are in due order
	groups  [3]groupSpan
	cursor  int // index into order
	offset  int // first body line shown
	selID   string
	dayEnds [2]time.Time // start of today and of tomorrow, in loc, at the last rebuild

	// Up next of the selected record, and its opened state (over the whole screen).
	up   upNext
	open opened

	// Prompts.
	mode    mode
	picker  *picker
	input   textinput.Model
	inputOf string // "snooze" or "note"
	ask     *dialog.Prompt
	pend    *pending
	compose *composer
	busy    string // an action in flight ("Snoozing…")
	// refreshing is set by r until the list it asked for arrives.
	refreshing bool
}

// New returns the work list of the acting user.
func New(c *common.Common) common.Screen {
	m := &Model{c: c, keys: defaultKeyMap(), sortBy: sortDue, prefs: prefs{After: "next"}}
	m.loc = time.UTC
	if tz := c.User.TimeZone; tz != "" {
		if loc, err := time.LoadLocation(tz); err == nil {
			m.loc = loc
		}
	}
	m.input = newInput(c)
	m.width, m.height = c.Width, c.Height
	return m
}

// Init loads the list, the org settings, the users and the remembered preferences.
func (m *Model) Init() tea.Cmd {
	m.loading = true
	m.gen++
	return tea.Batch(m.loadCmd(), m.orgCmd())
}

// SetSize gives the screen its area.
func (m *Model) SetSize(width, height int) {
	m.width, m.height = width, height
	m.sizeInput()
	if m.compose != nil {
		m.compose.setSize(width, height)
	}
	m.scroll()
}

// CapturesInput reports that a prompt, the search box or the email editor has the keys.
func (m *Model) CapturesInput() bool { return m.mode != modeList }

// Dirty reports an email being written.
func (m *Model) Dirty() bool { return m.mode == modeCompose && m.compose != nil && m.compose.changed() }

// ShortHelp is the footer's help for what the keys do now.
func (m *Model) ShortHelp() []key.Binding {
	k := m.keys
	switch m.mode {
	case modeSearch:
		return []key.Binding{k.Choose, k.Cancel}
	case modePicker:
		return m.picker.d.Help()
	case modeInput:
		return []key.Binding{k.Choose, k.Cancel}
	case modeCompose:
		send := k.Send
		if m.settings.SMTPURL == "" {
			send = key.NewBinding(key.WithKeys("ctrl+s"), key.WithHelp("ctrl+s", "mark as sent"))
		}
		return []key.Binding{send, k.NextField, k.Cancel}
	}
	if m.open.on {
		return m.openedHelp()
	}
	return []key.Binding{k.Done, k.Skip, k.Snooze, k.SkipWait, k.Assign, k.Compose, k.Search, k.Filter}
}

// FullHelp is every key of the screen.
func (m *Model) FullHelp() [][]key.Binding {
	k := m.keys
	return [][]key.Binding{
		{k.Up, k.Down, k.PageUp, k.PageDown, k.Top, k.Bottom},
		{k.Done, k.Skip, k.Snooze, k.SkipWait, k.Assign, k.Compose, k.Refresh},
		{k.Search, k.ClearSearch, k.Filter, k.ClearFilters, k.Sort, k.Whose, k.AfterAction},
		{k.Open},
	}
}

// Messages of the screen's commands.
type (
	tasksMsg struct {
		gen  int
		rows []engine.TaskRow
		err  error
	}
	orgMsg struct {
		settings engine.Settings
		users    []engine.User
		prefs    []byte
		err      error
	}
	upNextMsg struct {
		seq int
		ref string
		ups []engine.UpNext
		rec *engine.Record
		err error
	}
	actedMsg struct {
		p    pending
		what string
		err  error
	}
	draftMsg struct {
		p     pending
		draft engine.Draft
		err   error
	}
	sentMsg struct {
		p    pending
		sent bool
		to   string
		err  error
	}
)

func (m *Model) loadCmd() tea.Cmd {
	e, ctx, by, q, gen := m.c.Engine, m.c.Ctx, m.c.User.Username, engine.TaskQuery{User: m.scope.User, All: m.scope.All}, m.gen
	return func() tea.Msg {
		rows, err := e.Tasks(ctx, by, q)
		return tasksMsg{gen: gen, rows: rows, err: err}
	}
}

func (m *Model) orgCmd() tea.Cmd {
	e, ctx, by := m.c.Engine, m.c.Ctx, m.c.User.Username
	return func() tea.Msg {
		var msg orgMsg
		if msg.settings, msg.err = e.Settings(ctx, by); msg.err != nil {
			return msg
		}
		if msg.users, msg.err = e.Users(ctx, by); msg.err != nil {
			return msg
		}
		msg.prefs, msg.err = e.Prefs(ctx, by, prefsScreen)
		return msg
	}
}

func (m *Model) savePrefsCmd() tea.Cmd {
	e, ctx, by := m.c.Engine, m.c.Ctx, m.c.User.Username
	b, _ := json.Marshal(m.prefs)
	return func() tea.Msg {
		if err := e.SetPrefs(ctx, by, prefsScreen, b); err != nil {
			return common.StatusMsg{Text: "could not remember the setting: " + err.Error(), Err: true}
		}
		return nil
	}
}

// reloadCmd loads the list again, or marks that it must be once the load in flight ends.
func (m *Model) reloadCmd() tea.Cmd {
	if m.loading {
		m.reload = true
		return nil
	}
	m.loading = true
	m.gen++
	return m.loadCmd()
}

// Update handles a message.
func (m *Model) Update(msg tea.Msg) (common.Screen, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.SetSize(msg.Width, msg.Height)
		return m, nil
	case common.ChangedMsg:
		return m, m.reloadCmd()
	case common.StylesChangedMsg:
		m.restyle()
		return m, nil
	case tasksMsg:
		return m, m.onTasks(msg)
	case orgMsg:
		if msg.err != nil {
			return m, common.Fail(msg.err)
		}
		m.settings, m.users = msg.settings, msg.users
		if len(msg.prefs) > 0 {
			var p prefs
			if json.Unmarshal(msg.prefs, &p) == nil {
				if p.After == "next" || p.After == "stay" {
					m.prefs.After = p.After
				}
				if validSort(p.Sort) {
					m.prefs.Sort, m.sortBy = p.Sort, p.Sort
					m.rebuild()
				}
			}
		}
		return m, nil
	case upNextMsg:
		if msg.seq == m.up.seq {
			m.up.ref, m.up.ups, m.up.rec, m.up.err = msg.ref, msg.ups, msg.rec, msg.err
		}
		return m, nil
	case actedMsg:
		return m, m.onActed(msg)
	case draftMsg:
		return m, m.onDraft(msg)
	case sentMsg:
		return m, m.onSent(msg)
	case tea.MouseWheelMsg:
		if m.mode == modeList && m.open.on {
			switch msg.Button {
			case tea.MouseWheelUp:
				m.open.scroll = max(0, m.open.scroll-3)
			case tea.MouseWheelDown:
				m.open.scroll += 3
			}
			return m, nil
		}
		if m.mode == modeList {
			switch msg.Button {
			case tea.MouseWheelUp:
				return m, m.move(-3)
			case tea.MouseWheelDown:
				return m, m.move(3)
			}
		}
		return m, nil
	case tea.MouseClickMsg:
		if m.mode == modeList && msg.Button == tea.MouseLeft && !m.open.on {
			return m, m.click(msg.X, msg.Y)
		}
		return m, nil
	case tea.KeyPressMsg:
		switch m.mode {
		case modeSearch:
			return m, m.searchKey(msg)
		case modePicker:
			return m, m.pickerKey(msg)
		case modeInput:
			return m, m.inputKey(msg)
		case modeCompose:
			return m, m.composeKey(msg)
		}
		if m.open.on {
			return m, m.openedKey(msg)
		}
		return m, m.listKey(msg)
	}
	if m.mode == modeCompose && m.compose != nil {
		return m, m.compose.update(msg)
	}
	return m, nil
}

// onTasks takes a loaded list, keeping the cursor on the same task, or on the one after it
// when it is gone.
func (m *Model) onTasks(msg tasksMsg) tea.Cmd {
	if msg.gen != m.gen {
		return nil // a list of another scope
	}
	m.loading = false
	var cmds []tea.Cmd
	if m.reload {
		m.reload = false
		cmds = append(cmds, m.reloadCmd())
	}
	if msg.err != nil {
		m.loadErr = msg.err
		return tea.Batch(append(cmds, common.Fail(msg.err))...)
	}
	m.loadErr, m.loaded = nil, true
	if m.refreshing && !m.reload {
		// The status said "Refreshing…": say it is done, so it does not stay.
		m.refreshing = false
		cmds = append(cmds, common.Status(fmt.Sprintf("Refreshed: %d open task(s)", len(msg.rows))))
	}
	oldRows, oldOrder, oldCursor := m.rows, m.order, m.cursor
	m.setRows(msg.rows)
	m.rebuild()
	m.follow(oldRows, oldOrder, oldCursor)
	// The steps of the selected record may have moved on too.
	cmds = append(cmds, m.upNextCmd(true))
	return tea.Batch(cmds...)
}

// follow puts the cursor on the selected task after a rebuild: where it is now, else the
// first task after it in the old order (oldOrder over oldRows) that is still listed, else
// the one before it.
func (m *Model) follow(oldRows []row, oldOrder []int, oldCursor int) {
	if len(m.order) == 0 {
		m.cursor, m.selID = 0, ""
		m.scroll()
		return
	}
	target := -1
	if m.selID != "" {
		for i, r := range m.order {
			if m.rows[r].ID == m.selID {
				target = i
				break
			}
		}
	}
	if target < 0 && m.selID != "" {
		// Gone: the nearest task after it in the old order that is still listed.
		pos := make(map[string]int, len(m.order))
		for i, r := range m.order {
			pos[m.rows[r].ID] = i
		}
		from := oldCursor
		for j, r := range oldOrder {
			if oldRows[r].ID == m.selID {
				from = j
				break
			}
		}
		for j := from; j < len(oldOrder) && target < 0; j++ {
			if i, ok := pos[oldRows[oldOrder[j]].ID]; ok {
				target = i
			}
		}
		for j := min(from, len(oldOrder)) - 1; j >= 0 && target < 0; j-- {
			if i, ok := pos[oldRows[oldOrder[j]].ID]; ok {
				target = i
			}
		}
	}
	if target < 0 {
		target = max(0, min(oldCursor, len(m.order)-1))
	}
	m.cursor = target
	m.selID = m.rows[m.order[target]].ID
	m.scroll()
}

// selected returns the task under the cursor.
func (m *Model) selected() (row, bool) {
	if m.cursor < 0 || m.cursor >= len(m.order) {
		return row{}, false
	}
	return m.rows[m.order[m.cursor]], true
}

// nextAfter is the task after the selected one (or before it when it is last): where the
// cursor goes once the selected task has been dealt with.
func (m *Model) nextAfter() string {
	switch {
	case m.cursor+1 < len(m.order):
		return m.rows[m.order[m.cursor+1]].ID
	case m.cursor > 0 && m.cursor-1 < len(m.order):
		return m.rows[m.order[m.cursor-1]].ID
	}
	return ""
}

// setCursor moves the cursor to index i of the order and asks for the Up next of the new
// selection's record.
func (m *Model) setCursor(i int) tea.Cmd {
	if len(m.order) == 0 {
		return nil
	}
	m.cursor = max(0, min(i, len(m.order)-1))
	m.selID = m.rows[m.order[m.cursor]].ID
	m.scroll()
	return m.upNextCmd(false)
}

func (m *Model) move(d int) tea.Cmd { return m.setCursor(m.cursor + d) }

// upNextCmd loads the Up next of the selected record when it is not the one shown (or
// always, with force, after the data changed).
func (m *Model) upNextCmd(force bool) tea.Cmd {
	r, ok := m.selected()
	if !ok {
		m.up = upNext{seq: m.up.seq + 1}
		return nil
	}
	if !force && (m.up.ref == r.Record || m.up.want == r.Record) {
		return nil
	}
	m.up.seq++
	m.up.want = r.Record
	e, ctx, by, ref, seq := m.c.Engine, m.c.Ctx, m.c.User.Username, r.Record, m.up.seq
	return func() tea.Msg {
		ups, err := e.UpNext(ctx, by, ref)
		msg := upNextMsg{seq: seq, ref: ref, ups: ups, err: err}
		if err == nil && len(ups) == 0 {
			// No active sequence (a notice about an ended one): the record alone.
			if rec, err := e.Record(ctx, by, ref); err == nil {
				msg.rec = &rec
			}
		}
		return msg
	}
}

// listKey handles a key on the list.
func (m *Model) listKey(msg tea.KeyPressMsg) tea.Cmd {
	k := m.keys
	page := max(1, m.bodyHeight()-1)
	switch {
	case key.Matches(msg, k.Up):
		return m.move(-1)
	case key.Matches(msg, k.Down):
		return m.move(1)
	case key.Matches(msg, k.PageUp):
		return m.move(-page)
	case key.Matches(msg, k.PageDown):
		return m.move(page)
	case key.Matches(msg, k.Top):
		return m.setCursor(0)
	case key.Matches(msg, k.Bottom):
		return m.setCursor(len(m.order) - 1)
	case key.Matches(msg, k.Refresh):
		m.refreshing = true
		return tea.Batch(m.reloadCmd(), common.Status("Refreshing…"))
	case key.Matches(msg, k.ClearSearch) && m.search != "":
		m.search = ""
		m.refilter()
		return tea.Batch(m.upNextCmd(false), common.Status("Search cleared"))
	case key.Matches(msg, k.Search):
		m.mode = modeSearch
		m.input.Reset()
		m.input.Prompt = "/ "
		m.input.Placeholder = "record name"
		m.sizeInput()
		m.input.SetValue(m.search)
		m.input.CursorEnd()
		m.input.Focus()
		return nil
	case key.Matches(msg, k.Filter):
		m.openPicker(m.filterPicker())
		return nil
	case key.Matches(msg, k.ClearFilters):
		m.filter, m.search = filters{}, ""
		m.refilter()
		return common.Status("Filters cleared")
	case key.Matches(msg, k.Sort):
		m.sortBy = nextSort(m.sortBy)
		m.prefs.Sort = m.sortBy
		m.refilter()
		return tea.Batch(m.savePrefsCmd(), common.Status("Sorted by "+m.sortBy))
	case key.Matches(msg, k.AfterAction):
		if m.prefs.After == "stay" {
			m.prefs.After = "next"
		} else {
			m.prefs.After = "stay"
		}
		what := map[string]string{"next": "the cursor moves to the next task", "stay": "the cursor stays on the task"}[m.prefs.After]
		return tea.Batch(m.savePrefsCmd(), common.Status("After an action "+what))
	case key.Matches(msg, k.Open):
		return m.openUpNext()
	case key.Matches(msg, k.Whose):
		if !engine.IsManager(m.c.User) {
			return common.Fail(fmt.Errorf("only managers and admins see other work lists"))
		}
		m.openPicker(m.whosePicker())
		return nil
	}
	r, ok := m.selected()
	if !ok {
		if isAction(msg, k) {
			return common.Status("No task selected")
		}
		return nil
	}
	p := &pending{taskID: r.ID, record: r.RecordName, nextID: m.nextAfter()}
	switch {
	case key.Matches(msg, k.Done):
		p.kind = engine.ActDone
		if r.Type == "call" {
			m.pend = p
			m.openPicker(m.outcomePicker())
			return nil
		}
		return m.act(*p, engine.TaskAction{Kind: engine.ActDone})
	case key.Matches(msg, k.Skip):
		p.kind = engine.ActSkip
		return m.act(*p, engine.TaskAction{Kind: engine.ActSkip})
	case key.Matches(msg, k.Snooze):
		p.kind = engine.ActSnooze
		m.pend = p
		m.openInput("snooze", "Snooze until ", "tomorrow 9:00")
		return nil
	case key.Matches(msg, k.Assign):
		p.kind = engine.ActAssign
		m.pend = p
		m.openPicker(m.assignPicker(r))
		return nil
	case key.Matches(msg, k.SkipWait):
		return m.skipWait(r)
	case key.Matches(msg, k.Compose):
		if r.Type != "email" {
			return common.Fail(fmt.Errorf("e writes the email of an email step; this is a %s step", stepLabel(r.Type)))
		}
		m.busy = "Preparing the email…"
		e, ctx, by, pd := m.c.Engine, m.c.Ctx, m.c.User.Username, *p
		return func() tea.Msg {
			d, err := e.ComposeEmail(ctx, by, pd.taskID)
			return draftMsg{p: pd, draft: d, err: err}
		}
	}
	return nil
}

func isAction(msg tea.KeyPressMsg, k keyMap) bool {
	return key.Matches(msg, k.Done, k.Skip, k.Snooze, k.SkipWait, k.Assign, k.Compose)
}

// act runs a task action.
func (m *Model) act(p pending, a engine.TaskAction) tea.Cmd {
	m.busy = map[engine.TaskActionKind]string{
		engine.ActDone: "Marking done…", engine.ActSkip: "Skipping…", engine.ActSnooze: "Snoozing…", engine.ActAssign: "Assigning…",
	}[a.Kind]
	e, ctx, by := m.c.Engine, m.c.Ctx, m.c.User.Username
	return func() tea.Msg {
		row, err := e.ActOnTask(ctx, by, p.taskID, a)
		return actedMsg{p: p, what: actedText(p, a, row), err: err}
	}
}

// actedText is the footer message after an action.
func actedText(p pending, a engine.TaskAction, row engine.TaskRow) string {
	switch a.Kind {
	case engine.ActDone:
		if a.Outcome != "" {
			return fmt.Sprintf("Done: %s (%s)", p.record, strings.ReplaceAll(a.Outcome, "_", " "))
		}
		return "Done: " + p.record
	case engine.ActSkip:
		return "Skipped: " + p.record
	case engine.ActSnooze:
		return fmt.Sprintf("Snoozed %s until %s", p.record, a.Until.Format("Mon Jan 2 15:04 MST"))
	case engine.ActAssign:
		return fmt.Sprintf("%s assigned to %s", p.record, strings.Join(row.Assignees, ", "))
	}
	return ""
}

// onActed moves the cursor as the user likes it and reloads.
func (m *Model) onActed(msg actedMsg) tea.Cmd {
	m.busy = ""
	if msg.err != nil {
		return common.Fail(msg.err)
	}
	m.afterAction(msg.p)
	return tea.Batch(m.reloadCmd(), common.Status(msg.what))
}

// afterAction moves the selection after an action on p's task: to the task that followed
// it ("next"), or keeps it on the task while it is listed ("stay").
func (m *Model) afterAction(p pending) {
	if m.prefs.After != "stay" && m.selID == p.taskID && p.nextID != "" {
		m.selID = p.nextID
	}
}

// skipWait ends the wait the selected record is at, in the sequence shown in Up next.
func (m *Model) skipWait(r row) tea.Cmd {
	if m.up.ref != r.Record {
		return common.Status("Up next is still loading; try again")
	}
	var waiting []engine.UpNext
	for _, u := range m.up.ups {
		if u.Current.Waiting {
			waiting = append(waiting, u)
		}
	}
	switch len(waiting) {
	case 0:
		return common.Fail(fmt.Errorf("%s is not at a wait in any sequence", r.RecordName))
	case 1:
		return m.skipWaitCmd(r.Record, r.RecordName, waiting[0].Sequence)
	}
	var items []dialog.Item
	for _, u := range waiting {
		items = append(items, dialog.Item{Label: fmt.Sprintf("%s (%s until %s)", u.Sequence, u.Current.Detail, m.when(u.Current.WakeAt)), Value: u.Sequence})
	}
	pk := newPicker(pickWait, "Skip the wait in which sequence?", items)
	m.pend = &pending{record: r.RecordName, taskID: r.Record}
	m.openPicker(pk)
	return nil
}

func (m *Model) skipWaitCmd(ref, name, seq string) tea.Cmd {
	e, ctx, by := m.c.Engine, m.c.Ctx, m.c.User.Username
	m.busy = "Skipping the wait…"
	return func() tea.Msg {
		err := e.SkipWait(ctx, by, seq, ref)
		return actedMsg{what: fmt.Sprintf("Skipped the wait of %s in %s", name, seq), err: err}
	}
}

// searchKey edits the search; the list follows as it is typed.
func (m *Model) searchKey(msg tea.KeyPressMsg) tea.Cmd {
	switch {
	case key.Matches(msg, m.keys.Choose):
		m.mode = modeList
		m.input.Blur()
		return m.upNextCmd(false)
	case key.Matches(msg, m.keys.Cancel):
		m.mode = modeList
		m.input.Blur()
		m.search = ""
		m.refilter()
		return m.upNextCmd(false)
	case msg.String() == "up", msg.String() == "down":
		d := map[string]int{"up": -1, "down": 1}[msg.String()]
		return m.move(d)
	}
	var cmd tea.Cmd
	m.input, cmd = m.input.Update(msg)
	if v := m.input.Value(); v != m.search {
		m.search = v
		m.refilter()
	}
	return cmd
}

// inputKey edits the snooze time or the note of a done call. A time that can't be read
// keeps the prompt open with what was typed and says why.
func (m *Model) inputKey(msg tea.KeyPressMsg) tea.Cmd {
	r, cmd := m.ask.Update(msg)
	switch r {
	case dialog.Cancelled:
		m.closePrompt()
		return nil
	case dialog.Open:
		return cmd
	}
	p := m.pend
	if p == nil {
		m.closePrompt()
		return nil
	}
	switch m.inputOf {
	case "snooze":
		until, err := ParseWhen(m.ask.Value(), m.c.Engine.Clock().Now(), m.loc)
		if err != nil {
			m.ask.Err = err.Error()
			return nil
		}
		m.closePrompt()
		return m.act(*p, engine.TaskAction{Kind: engine.ActSnooze, Until: until})
	case "note":
		note := strings.TrimSpace(m.ask.Value())
		m.closePrompt()
		return m.act(*p, engine.TaskAction{Kind: engine.ActDone, Outcome: p.outcome, Note: note})
	}
	m.closePrompt()
	return nil
}

// openInput shows a one-line prompt under the list, its input led by label.
func (m *Model) openInput(of, label, placeholder string) {
	m.mode, m.inputOf = modeInput, of
	m.ask = dialog.NewPrompt(m.c.Styles, "", "")
	m.ask.Input.Prompt = label
	m.ask.Input.Placeholder = placeholder
	m.ask.Input.CharLimit = 200
}

// sizeInput fits the search box under the list.
func (m *Model) sizeInput() {
	listW, _ := m.layout()
	m.input.SetWidth(max(8, listW-ansi.StringWidth(m.input.Prompt)-2))
}

// closePrompt returns to the list.
func (m *Model) closePrompt() {
	m.mode, m.picker, m.inputOf, m.ask = modeList, nil, "", nil
	m.input.Blur()
}

// restyle takes the shared styles again after the root rebuilt them.
func (m *Model) restyle() {
	m.input.SetStyles(input.Styles(m.c.Styles))
	if m.ask != nil {
		m.ask.SetStyles(m.c.Styles)
	}
	if c := m.compose; c != nil {
		c.to.SetStyles(input.Styles(m.c.Styles))
		c.subject.SetStyles(input.Styles(m.c.Styles))
		c.body.SetStyles(areaStyles(m.c))
	}
}

// newInput is the one-line input of the search box and the prompts.
func newInput(c *common.Common) textinput.Model {
	in := input.New(c.Styles)
	in.CharLimit = 200
	return in
}

// newArea is the email body editor.
func newArea(c *common.Common) textarea.Model {
	a := textarea.New()
	a.SetStyles(areaStyles(c))
	a.ShowLineNumbers = false
	a.CharLimit = 0
	a.MaxHeight = 0
	a.Placeholder = "Write the email…"
	return a
}

// areaStyles are the email body editor's styles from the shared ones.
func areaStyles(c *common.Common) textarea.Styles {
	st := textarea.DefaultDarkStyles()
	st.Focused.Text, st.Blurred.Text = c.Styles.Text, c.Styles.Muted
	st.Focused.Placeholder, st.Blurred.Placeholder = c.Styles.Muted, c.Styles.Muted
	st.Focused.LineNumber, st.Blurred.LineNumber = c.Styles.Muted, c.Styles.Muted
	st.Focused.CursorLineNumber = c.Styles.Accent
	st.Focused.CursorLine = c.Styles.Text
	st.Focused.Prompt, st.Blurred.Prompt = c.Styles.Muted, c.Styles.Muted
	st.Focused.EndOfBuffer, st.Blurred.EndOfBuffer = c.Styles.Muted, c.Styles.Muted
	st.Cursor.Blink = false
	return st
}

// View renders the list and Up next side by side (the email editor over the whole area).
func (m *Model) View() string {
	if m.width <= 0 || m.height <= 0 {
		return ""
	}
	if m.mode == modeCompose && m.compose != nil {
		return m.compose.view(m.c.Styles, m.settings.SMTPURL != "")
	}
	if m.open.on && m.mode == modeList {
		return strings.Join(m.openedLines(), "\n")
	}
	listW, panelW := m.layout()
	var left []string
	if panelW == 0 && m.mode == modePicker && m.picker != nil {
		left = m.pickerLines(listW, m.height)
		for i := range left {
			left[i] = cell(left[i], listW)
		}
		for len(left) < m.height {
			left = append(left, strings.Repeat(" ", listW))
		}
	} else {
		left = append(m.listLines(listW, m.height), m.promptView(listW)...)
	}
	if panelW == 0 {
		return strings.Join(left[:m.height], "\n")
	}
	right := m.panelLines(panelW, m.height)
	sep := m.c.Styles.Muted.Render("│")
	var b strings.Builder
	for i := 0; i < m.height; i++ {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(left[i])
		b.WriteString(sep)
		b.WriteString(right[i])
	}
	return b.String()
}

// promptView is the search box or the prompt under the list.
func (m *Model) promptView(w int) []string {
	st := m.c.Styles
	switch m.mode {
	case modeSearch:
		return []string{cell(m.input.View(), w)}
	case modeInput:
		switch m.inputOf {
		case "snooze":
			m.ask.Hint = "e.g. " + whenHelp
			if v := strings.TrimSpace(m.ask.Value()); v != "" {
				if t, err := ParseWhen(v, m.c.Engine.Clock().Now(), m.loc); err == nil {
					m.ask.Hint = "→ " + t.Format("Mon Jan 2 15:04 MST") + " · enter to snooze"
				}
			}
		case "note":
			m.ask.Hint = "Outcome: " + outcomeLabel(m.pend) + " · enter to finish · esc cancel"
		}
		lines := m.ask.Lines(st, w)
		for i := range lines {
			lines[i] = cell(lines[i], w)
		}
		return lines
	}
	return nil
}

func outcomeLabel(p *pending) string {
	if p == nil || p.outcome == "" {
		return "none"
	}
	return strings.ReplaceAll(p.outcome, "_", " ")
}
