// Package records is the Records screen (tab 3): the org's records of one record type, a
// page at a time (a database of a million records is never held in memory), with where
// each stands in its sequences, a search by name, email and id, marks for bulk connecting,
// and the record view: fields, connections with their history, and the actions connect,
// disconnect and skip wait.
package records

import (
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
)

// pickFor is what an open picker chooses for.
type pickFor int

const (
	pickConnect pickFor = iota
	pickDisconnect
	pickSkipWait
	pickBulk
)

// keyMap are the screen's keys.
type keyMap struct {
	common.NavKeys
	Open, Back, Search, ClearSearch, Entity, Mark, MarkAll, Unmark, BulkConnect, Refresh key.Binding
	Connect, Disconnect, SkipWait                                                        key.Binding
}

func newKeys() keyMap {
	b := func(k, help string, keys ...string) key.Binding {
		return key.NewBinding(key.WithKeys(keys...), key.WithHelp(k, help))
	}
	return keyMap{
		NavKeys:     common.DefaultNavKeys(),
		Open:        b("enter", "open", "enter"),
		Back:        b("esc", "back", "esc"),
		Search:      b("/", "search", "/"),
		ClearSearch: b("esc", "clear search", "esc"),
		Entity:      b("e", "record type", "e"),
		Mark:        b("space", "mark", "space"),
		MarkAll:     b("*", "mark all that match", "*"),
		Unmark:      b("u", "unmark all", "u"),
		BulkConnect: b("C", "connect marked", "C"),
		Refresh:     b("r", "refresh", "r"),
		Connect:     b("c", "connect", "c"),
		Disconnect:  b("x", "disconnect", "x"),
		SkipWait:    b("w", "skip wait", "w"),
	}
}

// mark is a marked record and the sequences it is active in (for the bulk preview).
type mark struct {
	active []string
}

// Model is the Records screen. It is used through a pointer.
type Model struct {
	c    *common.Common
	keys keyMap
	loc  *time.Location

	width, height int

	entity int
	search string
	input  textinput.Model

	// The page shown: starts[i] is the id the i-th page starts after; rows its records.
	starts  []string
	rows    []engine.RecordRow
	more    bool
	cursor  int
	gen     int
	loading bool
	err     error

	marks map[string]mark

	mode mode
	// The record view.
	view    *engine.RecordView
	viewErr error
	offset  int

	picker  *dialog.Picker
	pickFor pickFor
	confirm *dialog.Confirm
	onYes   tea.Cmd
	status  string
	failed  bool
}

// New returns the Records screen of the acting user.
func New(c *common.Common) common.Screen {
	in := input.New(c.Styles)
	in.Prompt = "/ "
	in.Placeholder = "name, email or id"
	in.CharLimit = limits.Name
	return &Model{c: c, keys: newKeys(), loc: c.Location(), input: in, starts: []string{""}, marks: map[string]mark{},
		width: c.Width, height: c.Height}
}

// Messages of the screen's commands.
type (
	pageMsg struct {
		gen  int
		rows []engine.RecordRow
		more bool
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
	actedMsg struct {
		text string
		err  error
	}
	markedMsg struct {
		marks  map[string]mark
		capped bool
		err    error
	}
)

// Init loads the first page.
func (m *Model) Init() tea.Cmd { return m.load() }

// SetSize gives the screen its area.
func (m *Model) SetSize(w, h int) {
	grew := h > m.height
	m.width, m.height = w, h
	m.input.SetWidth(max(10, w-4))
	if grew && len(m.rows) < m.pageSize() && m.more {
		m.gen++ // a taller screen shows a longer page: the next load fills it
	}
}

// CapturesInput is true while a search, a picker or a question has the keys.
func (m *Model) CapturesInput() bool {
	return m.mode == modeSearch || m.mode == modePicker || m.mode == modeConfirm
}

// Dirty is false: nothing is kept unsaved.
func (m *Model) Dirty() bool { return false }

// entityName is the record type shown.
func (m *Model) entityName() string { return Entities[m.entity] }

// pageSize is how many records a page holds: the rows that fit.
func (m *Model) pageSize() int { return max(1, min(m.height-4, limits.Page)) }

// load reads the page that starts after starts[len-1].
func (m *Model) load() tea.Cmd {
	m.gen++
	m.loading = true
	gen, e, ctx, by := m.gen, m.c.Engine, m.c.Ctx, m.c.User.Username
	entity, after, search, n := m.entityName(), m.starts[len(m.starts)-1], m.search, m.pageSize()
	return func() tea.Msg {
		rows, more, err := e.RecordPage(ctx, by, entity, after, search, n)
		return pageMsg{gen: gen, rows: rows, more: more, err: err}
	}
}

// restart shows the first page again (a new record type or search).
func (m *Model) restart() tea.Cmd {
	m.starts, m.cursor = []string{""}, 0
	return m.load()
}

// selected is the record under the cursor.
func (m *Model) selected() (engine.RecordRow, bool) {
	if m.cursor < 0 || m.cursor >= len(m.rows) {
		return engine.RecordRow{}, false
	}
	return m.rows[m.cursor], true
}

// Update handles a message.
func (m *Model) Update(msg tea.Msg) (common.Screen, tea.Cmd) {
	switch msg := msg.(type) {
	case pageMsg:
		if msg.gen != m.gen {
			return m, nil
		}
		m.loading, m.err = false, msg.err
		if msg.err == nil {
			m.rows, m.more = msg.rows, msg.more
			m.cursor = max(0, min(m.cursor, len(m.rows)-1))
		}
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
	case bulkDoneMsg:
		m.marks = map[string]mark{}
		return m.Update(msg.actedMsg)
	case actedMsg:
		if msg.err != nil {
			m.setStatus(errText(msg.err), true)
			return m, nil
		}
		m.setStatus(msg.text, false)
		return m, tea.Batch(m.load(), m.reloadView())
	case markedMsg:
		if msg.err != nil {
			m.setStatus(errText(msg.err), true)
			return m, nil
		}
		m.marks = msg.marks
		text := fmt.Sprintf("Marked %d record(s) that match", len(m.marks))
		if msg.capped {
			text += fmt.Sprintf(" (stopped at %d)", maxMarks)
		}
		m.setStatus(text, false)
		return m, nil
	case common.ChangedMsg:
		return m, tea.Batch(m.load(), m.reloadView())
	case common.StylesChangedMsg:
		m.input.SetStyles(input.Styles(m.c.Styles))
		return m, nil
	case tea.KeyPressMsg:
		return m, m.key(msg)
	case tea.MouseClickMsg:
		if m.mode == modeList && msg.Button == tea.MouseLeft {
			if i := msg.Y - 2; i >= 0 && i < len(m.rows) {
				if i == m.cursor {
					return m, m.open()
				}
				m.cursor = i
			}
		}
		return m, nil
	}
	return m, nil
}

// setStatus shows a message on the screen's status line.
func (m *Model) setStatus(s string, failed bool) { m.status, m.failed = s, failed }

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
	m.status = ""
	switch {
	case key.Matches(msg, k.Down) && m.cursor == len(m.rows)-1 && m.more,
		key.Matches(msg, k.PageDown) && m.more:
		// The next page starts after the last record shown.
		m.starts = append(m.starts, m.rows[len(m.rows)-1].ID)
		m.cursor = 0
		return m.load()
	case key.Matches(msg, k.Up) && m.cursor == 0 && len(m.starts) > 1,
		key.Matches(msg, k.PageUp) && len(m.starts) > 1:
		m.starts = m.starts[:len(m.starts)-1]
		if key.Matches(msg, k.Up) {
			m.cursor = m.pageSize() - 1
		} else {
			m.cursor = 0
		}
		return m.load()
	case key.Matches(msg, k.Top) && len(m.starts) > 1:
		return m.restart()
	case key.Matches(msg, k.Open):
		return m.open()
	case key.Matches(msg, k.Search):
		m.mode = modeSearch
		m.input.SetValue(m.search)
		m.input.CursorEnd()
		return m.input.Focus()
	case key.Matches(msg, k.ClearSearch) && m.search != "":
		m.search = ""
		m.setStatus("Search cleared", false)
		return m.restart()
	case key.Matches(msg, k.Entity):
		m.entity = (m.entity + 1) % len(Entities)
		m.marks = map[string]mark{}
		return m.restart()
	case key.Matches(msg, k.Mark):
		if r, ok := m.selected(); ok {
			if _, on := m.marks[r.Ref()]; on {
				delete(m.marks, r.Ref())
			} else if len(m.marks) < maxMarks {
				m.marks[r.Ref()] = mark{active: activeIn(r)}
			}
			if m.cursor < len(m.rows)-1 {
				m.cursor++
			}
		}
		return nil
	case key.Matches(msg, k.MarkAll):
		return m.markAll()
	case key.Matches(msg, k.Unmark):
		m.marks = map[string]mark{}
		return nil
	case key.Matches(msg, k.BulkConnect):
		if len(m.marks) == 0 {
			m.setStatus("Mark records first: space marks one, * all that match", true)
			return nil
		}
		return m.seqsCmd("", true)
	case key.Matches(msg, k.Refresh):
		return m.load()
	}
	if c, ok := k.Move(msg, m.cursor, len(m.rows), m.pageSize()); ok {
		m.cursor = c
	}
	return nil
}

// activeIn lists the sequences a record is active in.
func activeIn(r engine.RecordRow) []string {
	var out []string
	for _, s := range r.Standings {
		if s.State == "active" {
			out = append(out, s.Sequence)
		}
	}
	return out
}

// markAll marks every record that matches the search, page by page, up to maxMarks.
func (m *Model) markAll() tea.Cmd {
	e, ctx, by, entity, search := m.c.Engine, m.c.Ctx, m.c.User.Username, m.entityName(), m.search
	return func() tea.Msg {
		marks := map[string]mark{}
		after := ""
		for len(marks) < maxMarks {
			rows, more, err := e.RecordPage(ctx, by, entity, after, search, min(limits.Page, maxMarks-len(marks)))
			if err != nil {
				return markedMsg{err: err}
			}
			for _, r := range rows {
				marks[r.Ref()] = mark{active: activeIn(r)}
			}
			if !more || len(rows) == 0 {
				return markedMsg{marks: marks}
			}
			after = rows[len(rows)-1].ID
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
	m.status = ""
	switch {
	case key.Matches(msg, k.Back):
		m.mode, m.view = modeList, nil
		return nil
	case key.Matches(msg, k.Connect):
		return m.seqsCmd(v.Ref(), false)
	case key.Matches(msg, k.Disconnect):
		var items []dialog.Item
		for _, c := range v.Connections {
			if c.State == "active" {
				items = append(items, dialog.Item{Label: c.Sequence, Hint: "at " + c.StepName, Value: c.Sequence})
			}
		}
		if len(items) == 0 {
			m.setStatus(v.Ref()+" is not active in any sequence", true)
			return nil
		}
		m.openPicker(pickDisconnect, "Disconnect "+v.Name+" from", items)
		return nil
	case key.Matches(msg, k.SkipWait):
		var items []dialog.Item
		for _, c := range v.Connections {
			if c.State == "active" && c.WakeAt != nil && isWait(c) {
				items = append(items, dialog.Item{Label: c.Sequence, Hint: "waiting until " + m.when(*c.WakeAt), Value: c.Sequence})
			}
		}
		switch len(items) {
		case 0:
			m.setStatus(v.Ref()+" is not at a wait in any sequence", true)
			return nil
		case 1:
			return m.skipWaitCmd(v.Ref(), items[0].Value)
		}
		m.openPicker(pickSkipWait, "Skip the wait of "+v.Name+" in", items)
		return nil
	}
	if o, ok := k.Move(msg, m.offset, 1<<20, m.height/2); ok {
		m.offset = o
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

// seqsCmd lists the active sequences of the record type, for connecting ref (or the marked
// records, with bulk).
func (m *Model) seqsCmd(ref string, bulk bool) tea.Cmd {
	e, ctx, by, entity := m.c.Engine, m.c.Ctx, m.c.User.Username, m.entityName()
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
		m.setStatus(errText(msg.err), true)
		return nil
	}
	if len(msg.seqs) == 0 {
		m.setStatus("No active sequence takes "+m.entityName()+" records: activate one first", true)
		return nil
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
	it, _ := m.picker.Selected()
	seq := it.Value
	m.mode = m.back()
	switch m.pickFor {
	case pickConnect:
		return m.connectCmd(seq, []string{m.view.Ref()})
	case pickSkipWait:
		return m.skipWaitCmd(m.view.Ref(), seq)
	case pickDisconnect:
		ref := m.view.Ref()
		m.ask(dialog.NewConfirm(fmt.Sprintf("Disconnect %s from %s?", ref, seq),
			"Its open tasks close and its history is kept."), m.disconnectCmd(seq, ref))
		return nil
	case pickBulk:
		return m.bulkPreview(seq)
	}
	return nil
}

func (m *Model) ask(d *dialog.Confirm, yes tea.Cmd) {
	m.confirm, m.onYes, m.mode = d, yes, modeConfirm
}

// bulkPreview asks before connecting the marked records: how many, and how many already
// active in the sequence are left out.
func (m *Model) bulkPreview(seq string) tea.Cmd {
	var refs []string
	left := 0
	for ref, mk := range m.marks {
		if slices.Contains(mk.active, seq) {
			left++
			continue
		}
		refs = append(refs, ref)
	}
	slices.Sort(refs)
	q := fmt.Sprintf("Connect %d record(s) to %s?", len(refs), seq)
	detail := []string{"All or nothing: if any record is refused, none is connected and every reason is listed."}
	if left > 0 {
		detail = append([]string{fmt.Sprintf("%d record(s) marked; %d already connected will be left out.", len(m.marks), left)}, detail...)
	}
	if len(refs) == 0 {
		m.setStatus(fmt.Sprintf("Every marked record is already connected to %s", seq), true)
		return nil
	}
	m.ask(dialog.NewConfirm(q, detail...), m.connectCmd(seq, refs))
	return nil
}

func (m *Model) connectCmd(seq string, refs []string) tea.Cmd {
	e, ctx, by := m.c.Engine, m.c.Ctx, m.c.User.Username
	bulk := len(refs) > 1
	return func() tea.Msg {
		res, err := e.Connect(ctx, by, seq, refs)
		if err != nil {
			return actedMsg{err: fmt.Errorf("nothing connected: %w", err)}
		}
		if bulk {
			return bulkDoneMsg{actedMsg{text: fmt.Sprintf("Connected %d record(s) to %s", len(res), seq)}}
		}
		return actedMsg{text: fmt.Sprintf("Connected %s to %s", refs[0], seq)}
	}
}

// bulkDoneMsg ends a bulk connect: the marks are cleared.
type bulkDoneMsg struct{ actedMsg }

func (m *Model) disconnectCmd(seq, ref string) tea.Cmd {
	e, ctx, by := m.c.Engine, m.c.Ctx, m.c.User.Username
	return func() tea.Msg {
		err := e.Disconnect(ctx, by, seq, []string{ref})
		return actedMsg{text: fmt.Sprintf("Disconnected %s from %s", ref, seq), err: err}
	}
}

// when shows a time in the user's zone.
func (m *Model) when(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(m.loc).Format("Mon Jan 2 15:04 MST")
}
