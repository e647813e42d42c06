// Package designer is the sequence page of the terminal program: the Designer tab, which
// draws a sequence's step tree from "Sequence starts here" and edits it (add through a
// picker and a form, edit, delete, properties, save, activate), the Connected records tab
// and the Stats tab.
//
// The page edits the engine's sequence model (engine/sequence) in memory and re-renders the
// tree from it after every change; the cursor follows the edited step by its id. Every
// engine call runs in a tea.Cmd and comes back as a message.
package designer

import (
	"errors"
	"fmt"
	"strings"
	"sync/atomic"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/huh/v2"

	"github.com/pacer-sales/pacer/engine"
	"github.com/pacer-sales/pacer/engine/sequence"
	"github.com/pacer-sales/pacer/ui/common"
	"github.com/pacer-sales/pacer/ui/components/dialog"
	"github.com/pacer-sales/pacer/ui/components/form"
	"github.com/pacer-sales/pacer/ui/components/recordpicker"
)

// pageTab is one of the page's tabs.
type pageTab int

// The tabs of the sequence page.
const (
	tabDesigner pageTab = iota
	tabConnected
	tabStats
	tabCount
)

var tabNames = [tabCount]string{"Designer", "Connected records", "Stats"}

// mode is what takes the keys.
type mode int

const (
	modeNormal   mode = iota
	modePicker        // choosing the type of a new step
	modeForm          // a huh form is open
	modePrompt        // a question waits for its answer
	modeProblems      // the list of validation problems has the cursor
	modeRecords       // the record picker of Connect is open
	modeVersions      // the list of versions is open
)

// formPurpose says what a submitted form does.
type formPurpose int

const (
	formAdd formPurpose = iota
	formEdit
	formProps
	formNote
)

// Messages of the page's commands.
type (
	loadedMsg struct {
		name      string
		detail    engine.SequenceDetail
		draft     []byte
		templates []engine.Template
		settings  engine.Settings
		peers     []engine.SeqRow
		err       error
	}
	activityMsg struct {
		rows  []engine.ConnRow
		stats engine.SeqStats
		err   error
		// held are the emails held per step, read while the Stats tab shows (withHeld).
		held     map[string]engine.StepHolds
		withHeld bool
	}
	// savedMsg ends a save and/or an activation.
	savedMsg struct {
		seq      engine.Sequence
		saved    bool // the definition was stored
		activate bool // activation was asked for
		edits    int  // the edit count the save was made from
		err      error
	}
	validatedMsg struct {
		probs []sequence.Problem
		// warns are the warnings of a valid definition (engine.SequenceWarnings), shown
		// in the problems list after the check; they don't stop a save or activation.
		warns []engine.Warning
		err   error
		// save: the check before saving an active sequence (ask for the note when valid).
		save bool
	}
	formDoneMsg struct {
		id int
		ok bool
	}
	connectedMsg struct {
		n   int
		err error
	}
	disconnectedMsg struct {
		ref string
		err error
	}
)

// choice is one answer of a prompt.
type choice struct {
	keys  []string
	label string
	do    func(*Model) tea.Cmd
}

// prompt is a question asked on the status line; every key goes to it until answered.
// d.Choices are the choices' keys and labels, in the same order.
type prompt struct {
	d       *dialog.Confirm
	choices []choice
}

// Model is the sequence page. It is used through a pointer: Update changes it in place.
type Model struct {
	c    *common.Common
	page int64
	keys keyMap
	// name is the sequence shown; it follows renames.
	name string

	width, height int
	tab           pageTab

	loadErr error
	seq     engine.Sequence
	def     *sequence.Sequence
	canEdit bool
	env     formEnv
	peers   []engine.SeqRow
	// versions are the published versions, newest first.
	versions []versionInfo

	// edits counts changes; saved is the count last stored.
	edits, saved int

	rows   []row
	cursor int
	offset int

	mode   mode
	picker *dialog.Picker
	// records is the record picker of Connect.
	records *recordpicker.Model
	prompt  *prompt

	form     *huh.Form
	formID   int
	formFor  formPurpose
	stepVals *stepValues
	propVals *propValues
	// draft is the step being added; target the row it goes after; editID the step being
	// edited.
	draft  sequence.Step
	target row
	editID string
	note   string

	// hist is the undo history of the edits since the last save; draftAt is the edit
	// number whose draft was last written (-1: none).
	hist    undoLog
	draftAt int

	problems      []sequence.Problem
	probCursor    int
	problemsTitle string
	// rowProbs are the problems of the tree shown, by row key; probCount counts them.
	rowProbs  map[string][]sequence.Problem
	probCount int

	// clip is the copied step (c), pasted by P.
	clip *clipboard
	// old is the old version shown read only, when one is open.
	old *oldVersion

	status    string
	statusErr bool
	busy      bool
	// bg is the terminal's background, handed to forms opened after it became known.
	bg *tea.BackgroundColorMsg

	conn connTab
}

// pages numbers the sequence pages, so each takes only its own commands' results (the root
// hands those to every live screen).
var pages atomic.Int64

// pageMsg is the result of one page's command.
type pageMsg struct {
	page int64
	msg  tea.Msg
}

// own wraps a command's result with the page's number.
func (m *Model) own(f func() tea.Msg) tea.Cmd {
	page := m.page
	return func() tea.Msg { return pageMsg{page: page, msg: f()} }
}

// New returns the sequence page of the sequence called name.
func New(c *common.Common, name string) common.Screen {
	return &Model{c: c, name: name, page: pages.Add(1), keys: newKeyMap(), rows: []row{{kind: rowStart}}, draftAt: -1}
}

// Init loads the sequence and its activity.
func (m *Model) Init() tea.Cmd {
	return tea.Batch(m.loadCmd(), m.activityCmd())
}

// SetSize gives the page its area.
func (m *Model) SetSize(width, height int) {
	m.width, m.height = width, height
	if m.form != nil {
		m.form = m.form.WithWidth(m.formWidth()).WithHeight(m.formHeight())
	}
	m.follow()
}

// Dirty reports unsaved edits.
func (m *Model) Dirty() bool { return m.edits != m.saved }

// CapturesInput is true while a picker, form, question or problem list has the keys.
func (m *Model) CapturesInput() bool { return m.mode != modeNormal }

// loadCmd reads the sequence and what its forms offer.
func (m *Model) loadCmd() tea.Cmd {
	eng, ctx, by, name := m.c.Engine, m.c.Ctx, m.c.User.Username, m.name
	return m.own(func() tea.Msg {
		msg := loadedMsg{name: name}
		msg.detail, msg.err = eng.Sequence(ctx, by, name)
		if msg.err != nil {
			return msg
		}
		if msg.templates, msg.err = eng.Templates(ctx, by); msg.err != nil {
			return msg
		}
		if msg.settings, msg.err = eng.Settings(ctx, by); msg.err != nil {
			return msg
		}
		msg.peers, msg.err = eng.SequenceRows(ctx, by)
		if msg.err == nil {
			msg.draft, msg.err = eng.Prefs(ctx, by, draftKey(msg.detail.ID.String()))
		}
		return msg
	})
}

// activityCmd reads the connected records and the stats, and while the Stats tab shows
// the emails held at its steps (read only then).
func (m *Model) activityCmd() tea.Cmd {
	eng, ctx, by, name, withHeld := m.c.Engine, m.c.Ctx, m.c.User.Username, m.name, m.tab == tabStats
	return m.own(func() tea.Msg {
		rows, stats, err := eng.SequenceActivity(ctx, by, name)
		msg := activityMsg{rows: rows, stats: stats, err: err, withHeld: withHeld}
		if err == nil && withHeld {
			var h engine.Holds
			if h, msg.err = eng.SequenceHolds(ctx, by, name); msg.err == nil {
				msg.held = heldByStep(h)
			}
		}
		return msg
	})
}

// showTab shows a tab; the Stats tab reads what it shows afresh.
func (m *Model) showTab(t pageTab) tea.Cmd {
	m.tab = t
	if t == tabStats {
		return m.activityCmd()
	}
	return nil
}

// Update handles one message.
func (m *Model) Update(msg tea.Msg) (common.Screen, tea.Cmd) {
	if pm, ok := msg.(pageMsg); ok {
		if pm.page != m.page {
			return m, nil // another sequence page's result
		}
		msg = pm.msg
	}
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.SetSize(msg.Width, msg.Height)
		return m, nil
	case loadedMsg:
		m.onLoaded(msg)
		return m, nil
	case draftSavedMsg:
		if msg.err != nil {
			m.fail(msg.err)
		} else {
			m.draftAt = msg.edit
		}
		return m, nil
	case activityMsg:
		m.conn.loaded(msg)
		return m, nil
	case savedMsg:
		cmd := m.savedDone(msg)
		if !m.Dirty() {
			cmd = tea.Batch(cmd, m.keepDraft()) // saved: the draft is cleared
		}
		return m, cmd
	case validatedMsg:
		return m, m.validated(msg)
	case formDoneMsg:
		if msg.id != m.formID || m.form == nil {
			return m, nil
		}
		before := m.edits
		cmd := m.formDone(msg.ok)
		return m, m.afterEdits(before, cmd)
	case connectedMsg:
		if msg.err != nil {
			if m.records != nil {
				// The picker stays open with what was chosen and typed, and says why.
				m.records.Err = "nothing connected: " + errText(msg.err)
				m.mode = modeRecords
				return m, nil
			}
			m.fail(msg.err)
			return m, nil
		}
		m.records = nil
		if m.mode == modeRecords {
			m.mode = modeNormal
		}
		m.setStatus(fmt.Sprintf("Connected %d record(s) to %s", msg.n, m.seq.Name))
		return m, m.activityCmd()
	case recordpicker.LoadedMsg:
		if m.records != nil {
			_, cmd := m.records.Update(msg)
			return m, cmd
		}
		return m, nil
	case disconnectedMsg:
		if msg.err != nil {
			m.fail(msg.err)
			return m, nil
		}
		m.setStatus("Disconnected " + msg.ref)
		return m, m.activityCmd()
	case common.ChangedMsg:
		cmds := []tea.Cmd{m.activityCmd()}
		if !m.Dirty() && m.mode == modeNormal && !m.busy {
			cmds = append(cmds, m.loadCmd())
		}
		return m, tea.Batch(cmds...)
	case tea.KeyPressMsg:
		before := m.edits
		cmd := m.key(msg)
		return m, m.afterEdits(before, cmd)
	case tea.MouseClickMsg:
		return m, m.click(tea.Mouse(msg))
	case tea.MouseWheelMsg:
		m.wheel(tea.Mouse(msg))
		return m, nil
	case tea.BackgroundColorMsg:
		m.bg = &msg
	}
	if m.mode == modeForm && m.form != nil {
		return m, m.updateForm(msg)
	}
	return m, nil
}

// onLoaded takes a fresh copy of the sequence. While there are unsaved edits the definition
// being edited is kept.
func (m *Model) onLoaded(msg loadedMsg) {
	if msg.err != nil {
		if !m.isLoaded() {
			m.loadErr = msg.err
		}
		m.fail(msg.err)
		return
	}
	m.loadErr = nil
	m.seq = msg.detail.Sequence
	m.name = m.seq.Name
	m.canEdit = engine.CanEdit(m.c.User, m.seq)
	m.peers = msg.peers
	m.env.templates = msg.templates
	m.env.outcomes = msg.settings.CallOutcomes
	if len(m.env.outcomes) == 0 {
		m.env.outcomes = sequence.DefaultCallOutcomes
	}
	m.env.maxWait = msg.settings.MaxWait
	m.versions = versionsOf(msg.detail)
	if m.old != nil {
		return // an old version is shown; the draft's tree is reloaded on esc
	}
	if m.def == nil || !m.Dirty() {
		first := m.def == nil
		m.def = msg.detail.Def
		m.def.AssignIDs()
		m.rebuild()
		m.resetHistory()
		if first {
			m.offerDraft(msg.draft)
		}
	}
}

func (m *Model) isLoaded() bool { return m.def != nil }

// rebuild redraws the rows from the definition, keeping the cursor on the same row.
func (m *Model) rebuild() {
	k := ""
	if m.cursor < len(m.rows) {
		k = m.rows[m.cursor].key()
	}
	m.rows = buildRows(m.def)
	m.revalidate()
	m.moveTo(k)
}

// moveTo puts the cursor on the row with key k, if there is one; otherwise it keeps the
// cursor's index within the rows.
func (m *Model) moveTo(k string) bool {
	for i, r := range m.rows {
		if r.key() == k {
			m.cursor = i
			m.follow()
			return true
		}
	}
	m.cursor = max(0, min(m.cursor, len(m.rows)-1))
	m.follow()
	return false
}

// edited records one change of the definition.
func (m *Model) edited() {
	m.commit()
	m.rebuild()
}

func (m *Model) setStatus(s string) { m.status, m.statusErr = s, false }

func (m *Model) fail(err error) {
	m.status, m.statusErr = errText(err), true
}

// errText is an error for the status line: the engine's kind prefix dropped, on one line.
func errText(err error) string {
	s := err.Error()
	for _, p := range []string{engine.ErrInvalid.Error() + ": ", engine.ErrForbidden.Error() + ": "} {
		s = strings.TrimPrefix(s, p)
	}
	return strings.Join(strings.Fields(s), " ")
}

// key routes a key press by mode.
func (m *Model) key(msg tea.KeyPressMsg) tea.Cmd {
	switch m.mode {
	case modeForm:
		return m.updateForm(msg)
	case modePicker:
		return m.pickerKey(msg)
	case modePrompt:
		return m.promptKey(msg)
	case modeRecords:
		return m.recordsKey(msg)
	case modeProblems:
		return m.problemsKey(msg)
	case modeVersions:
		return m.versionsKey(msg)
	}
	k := m.keys
	switch {
	case key.Matches(msg, k.NextTab):
		return m.showTab((m.tab + 1) % tabCount)
	case key.Matches(msg, k.PrevTab):
		return m.showTab((m.tab + tabCount - 1) % tabCount)
	case key.Matches(msg, k.Back):
		return m.back()
	case key.Matches(msg, k.Save):
		return m.save(false)
	case key.Matches(msg, k.Activate):
		return m.save(true)
	}
	switch m.tab {
	case tabConnected:
		return m.connectedKey(msg)
	case tabStats:
		m.conn.statsKey(msg, k, len(m.rows))
		return nil
	}
	return m.designerKey(msg)
}

// afterEdits keeps the draft when cmd's key or form changed the definition (the edit
// count moved from before).
func (m *Model) afterEdits(before int, cmd tea.Cmd) tea.Cmd {
	if m.edits == before {
		return cmd
	}
	return tea.Batch(cmd, m.keepDraft())
}

// back leaves the page, asking first when there are unsaved edits; from an old version it
// returns to the draft.
func (m *Model) back() tea.Cmd {
	if m.old != nil {
		return m.closeVersion()
	}
	leave := func(m *Model) tea.Cmd {
		back := func() tea.Msg { return common.BackMsg{} }
		if !m.Dirty() {
			return back
		}
		// Leaving without saving, asked and answered: the draft goes too.
		m.edits = m.saved
		return tea.Sequence(m.keepDraft(), back)
	}
	if !m.Dirty() {
		return leave(m)
	}
	m.ask("Discard unsaved changes to "+m.def.Name+"?",
		choice{[]string{"y"}, "discard and leave", leave},
		choice{[]string{"n", "esc"}, "stay", nil})
	return nil
}

// ask shows a question; the first matching choice runs, a nil do just closes it.
func (m *Model) ask(q string, cs ...choice) {
	d := dialog.Ask(q)
	for _, c := range cs {
		d.Choices = append(d.Choices, dialog.Choice{Keys: c.keys, Label: c.label})
	}
	m.prompt = &prompt{d: d, choices: cs}
	m.mode = modePrompt
	m.follow()
}

func (m *Model) promptKey(msg tea.KeyPressMsg) tea.Cmd {
	p := m.prompt
	switch p.d.Update(msg) {
	case dialog.Cancelled:
		m.prompt, m.mode = nil, modeNormal
	case dialog.Accepted:
		m.prompt, m.mode = nil, modeNormal
		if do := p.choices[p.d.Answer].do; do != nil {
			return do(m)
		}
	}
	return nil
}

// refuseReadOnly reports (on the status line) that the user may not change the sequence.
func (m *Model) refuseReadOnly() bool {
	if !m.isLoaded() {
		m.setStatus("The sequence is still loading")
		return true
	}
	if m.old != nil {
		m.status, m.statusErr = fmt.Sprintf("Version %d is read only: esc returns to the draft (c copies a step to paste there)", m.old.info.n), true
		return true
	}
	if m.canEdit {
		return false
	}
	m.status, m.statusErr = fmt.Sprintf("Read only: %s belongs to %s; you can view it but not change it", m.seq.Name, m.seq.Owner), true
	return true
}

// designerKey handles the Designer tab's keys.
func (m *Model) designerKey(msg tea.KeyPressMsg) tea.Cmd {
	k := m.keys
	switch {
	case key.Matches(msg, k.Up):
		m.cursor = max(0, m.cursor-1)
	case key.Matches(msg, k.Down):
		m.cursor = min(len(m.rows)-1, m.cursor+1)
	case key.Matches(msg, k.Top):
		m.cursor = 0
	case key.Matches(msg, k.Bottom):
		m.cursor = len(m.rows) - 1
	case key.Matches(msg, k.PageUp):
		m.cursor = max(0, m.cursor-m.treeHeight())
	case key.Matches(msg, k.PageDown):
		m.cursor = min(len(m.rows)-1, m.cursor+m.treeHeight())
	case key.Matches(msg, k.Add):
		return m.startAdd()
	case key.Matches(msg, k.Edit):
		return m.startEdit()
	case key.Matches(msg, k.Delete):
		m.deleteSelected()
	case key.Matches(msg, k.Props):
		return m.startProps()
	case key.Matches(msg, k.MoveUp):
		m.move(-1)
	case key.Matches(msg, k.MoveDown):
		m.move(1)
	case key.Matches(msg, k.Undo):
		if !m.refuseReadOnly() {
			m.undo()
		}
	case key.Matches(msg, k.Redo):
		if !m.refuseReadOnly() {
			m.redo()
		}
	case key.Matches(msg, k.Check):
		return m.check()
	case key.Matches(msg, k.Copy):
		m.copySelected()
	case key.Matches(msg, k.Paste):
		m.paste()
	case key.Matches(msg, k.Versions):
		m.openVersions()
	default:
		return nil
	}
	m.follow()
	return nil
}

// startAdd opens the step picker for a step after the selected row.
func (m *Model) startAdd() tea.Cmd {
	if m.refuseReadOnly() {
		return nil
	}
	r := m.rows[m.cursor]
	if _, ok := insertion(m.def, r); !ok {
		return nil
	}
	m.target = r
	m.picker = newTypePicker("Add a step " + m.placeText(r))
	m.mode = modePicker
	m.setStatus("")
	return nil
}

func (m *Model) pickerKey(msg tea.KeyPressMsg) tea.Cmd {
	switch m.picker.Update(msg) {
	case dialog.Cancelled:
		m.mode = modeNormal
		return nil
	case dialog.Accepted:
		it, _ := m.picker.Selected()
		t := sequence.Type(it.Value)
		s, _ := insertion(m.def, m.target)
		if t == sequence.Condition && s.depth >= maxDepth {
			m.status, m.statusErr = fmt.Sprintf("Conditions may be nested at most %d levels", maxDepth), true
			m.mode = modeNormal
			return nil
		}
		m.draft = sequence.Step{Type: t}
		m.stepVals = valuesOf(&m.draft)
		if t == sequence.Condition {
			m.stepVals.Kind = defaultKind(s.previous())
		}
		ti, _ := sequence.Info(t)
		return m.openForm(stepForm(t, m.stepVals, m.formEnv(), "Add: "+ti.DefaultName+" — "+m.placeText(m.target)), formAdd)
	}
	return nil
}

// defaultKind suggests a condition kind from the step before it: a call's outcome, an
// email's opening, else a field test.
func defaultKind(prev *sequence.Step) sequence.Kind {
	if prev != nil {
		switch prev.Type {
		case sequence.Call:
			return sequence.CallOutcome
		case sequence.Email, sequence.AutoEmail:
			return sequence.EmailOpened
		}
	}
	return sequence.FieldTest
}

// placeText says where an added step goes.
func (m *Model) placeText(r row) string {
	switch r.kind {
	case rowStart:
		return "at the start"
	case rowStep:
		return "after " + r.step.DisplayName()
	}
	b := "Yes"
	if r.branch == branchNo {
		b = "No"
	}
	return "first in " + b + " of " + r.step.DisplayName()
}

// formEnv is what the forms offer, with advance targets for the current record type.
func (m *Model) formEnv() formEnv {
	env := m.env
	env.targets = nil
	for _, p := range m.peers {
		if p.State == string(engine.StateActive) && p.Entity == m.def.RecordType() && !strings.EqualFold(p.Name, m.seq.Name) {
			env.targets = append(env.targets, p.Name)
		}
	}
	return env
}

// startEdit opens the selected step's form.
func (m *Model) startEdit() tea.Cmd {
	if m.refuseReadOnly() {
		return nil
	}
	r := m.rows[m.cursor]
	switch r.kind {
	case rowStart:
		return m.startProps()
	case rowStep:
	default:
		m.setStatus("Select a step to edit it; a adds a step here")
		return nil
	}
	m.editID = r.id
	m.stepVals = valuesOf(r.step)
	ti, _ := sequence.Info(r.step.Type)
	return m.openForm(stepForm(r.step.Type, m.stepVals, m.formEnv(), "Edit: "+ti.DefaultName+" ("+r.id+")"), formEdit)
}

// startProps opens the sequence properties.
func (m *Model) startProps() tea.Cmd {
	if m.refuseReadOnly() {
		return nil
	}
	m.propVals = propsOf(m.def)
	return m.openForm(propsForm(m.propVals, m.seq.State == engine.StateActive), formProps)
}

// deleteSelected deletes the selected step, refusing a step a condition reads and asking
// what to do with a condition's branches.
func (m *Model) deleteSelected() {
	if m.refuseReadOnly() {
		return
	}
	r := m.rows[m.cursor]
	if r.kind != rowStep {
		m.status, m.statusErr = "Nothing to delete here: select a step (a adds one here)", true
		return
	}
	s, ok := locate(m.def, r.id)
	if !ok {
		return
	}
	st := &(*s.list)[s.index]
	if dep := s.dependent(); dep != nil {
		what := "checks its call outcome"
		if dep.If.IsEmailKind() {
			what = "waits for events of its email"
		}
		m.status, m.statusErr = fmt.Sprintf("Can't delete %q: the condition %q right after it %s; delete or change the condition first",
			st.DisplayName(), dep.DisplayName(), what), true
		return
	}
	name := st.DisplayName()
	if st.Type != sequence.Condition || countSteps(st.Yes, st.No) == 0 {
		s.remove(keepNone)
		m.edited()
		m.setStatus("Deleted " + name)
		return
	}
	id := r.id
	del := func(k keep, what string) func(*Model) tea.Cmd {
		return func(m *Model) tea.Cmd {
			if s, ok := locate(m.def, id); ok {
				s.remove(k)
				m.edited()
				m.setStatus("Deleted " + name + what)
			}
			return nil
		}
	}
	m.ask(fmt.Sprintf("Delete condition %q? Its branches hold %d step(s) (Yes %d, No %d).",
		name, countSteps(st.Yes, st.No), countSteps(st.Yes), countSteps(st.No)),
		choice{[]string{"d"}, "delete with both branches", del(keepNone, " and its branches")},
		choice{[]string{"y"}, "keep the Yes steps in its place", del(keepYes, "; its Yes steps took its place")},
		choice{[]string{"n"}, "keep the No steps in its place", del(keepNo, "; its No steps took its place")},
		choice{[]string{"esc"}, "cancel", nil})
}

// openForm shows a form; its submit and cancel come back as formDoneMsg.
func (m *Model) openForm(f *huh.Form, purpose formPurpose) tea.Cmd {
	m.formID++
	id := m.formID
	f.SubmitCmd = m.own(func() tea.Msg { return formDoneMsg{id: id, ok: true} })
	f.CancelCmd = m.own(func() tea.Msg { return formDoneMsg{id: id} })
	m.form = f.WithKeyMap(form.Keys()).WithTheme(form.Theme(m.c.Styles)).WithShowHelp(false).WithWidth(m.formWidth()).WithHeight(m.formHeight())
	m.formFor = purpose
	m.mode = modeForm
	if m.bg != nil {
		m.updateForm(*m.bg)
	}
	return m.form.Init()
}

func (m *Model) updateForm(msg tea.Msg) tea.Cmd {
	f, cmd := m.form.Update(msg)
	if ff, ok := f.(*huh.Form); ok {
		m.form = ff
	}
	return cmd
}

// formDone applies a submitted form, or drops a canceled one.
func (m *Model) formDone(ok bool) tea.Cmd {
	purpose := m.formFor
	m.form, m.mode = nil, modeNormal
	if !ok {
		m.setStatus("Canceled")
		return nil
	}
	switch purpose {
	case formAdd:
		st := m.draft
		if err := m.stepVals.apply(&st, m.formEnv()); err != nil {
			m.fail(err)
			return nil
		}
		s, ok := insertion(m.def, m.target)
		if !ok {
			return nil
		}
		s.insert(st)
		m.def.AssignIDs()
		added := (*s.list)[s.index]
		m.edited()
		m.moveTo(stepKey(added.ID))
		m.setStatus("Added " + added.DisplayName())
	case formEdit:
		s, ok := locate(m.def, m.editID)
		if !ok {
			return nil
		}
		st := &(*s.list)[s.index]
		if err := m.stepVals.apply(st, m.formEnv()); err != nil {
			m.fail(err)
			return nil
		}
		m.edited()
		m.moveTo(stepKey(st.ID))
		m.setStatus("Changed " + st.DisplayName())
	case formProps:
		m.propVals.apply(m.def, m.seq.State == engine.StateActive)
		m.edited()
		m.setStatus("Properties changed; ctrl+s saves")
	case formNote:
		return m.saveCmd(strings.TrimSpace(m.note), false)
	}
	return nil
}

// save stores the definition (ctrl+s), or saves and activates it (A). Saving an active
// sequence publishes a new version, so it first asks for a change note.
func (m *Model) save(activate bool) tea.Cmd {
	if m.refuseReadOnly() {
		return nil
	}
	if m.busy {
		m.setStatus("Still saving…")
		return nil
	}
	active := m.seq.State == engine.StateActive
	switch {
	case activate && active && !m.Dirty():
		m.setStatus(fmt.Sprintf("%s is already active (version %d)", m.seq.Name, m.seq.Version))
		return nil
	case !activate && !m.Dirty():
		m.setStatus("No changes to save")
		return nil
	case active:
		// An active sequence must stay valid: check first, so a refused change does not
		// ask for its note before saying so.
		return m.checkThen(true)
	}
	return m.saveCmd("", activate)
}

// saveCmd saves the definition (when edited) and then activates the sequence (when asked).
func (m *Model) saveCmd(note string, activate bool) tea.Cmd {
	m.busy = true
	if activate {
		m.setStatus("Activating…")
	} else {
		m.setStatus("Saving…")
	}
	eng, ctx, by := m.c.Engine, m.c.Ctx, m.c.User.Username
	id, name, dirty, edits := m.seq.ID, m.seq.Name, m.Dirty(), m.edits
	def := cloneDef(m.def)
	return m.own(func() tea.Msg {
		res := savedMsg{activate: activate, edits: edits}
		if dirty {
			s, err := eng.SaveSequence(ctx, by, id, def, engine.SaveOptions{Note: note})
			if err != nil {
				res.err = err
				return res
			}
			res.saved, res.seq, name = true, s, s.Name
		}
		if activate {
			s, err := eng.Activate(ctx, by, name)
			if err != nil {
				res.err = err
				return res
			}
			res.seq = s
		}
		return res
	})
}

// savedDone reports a save or activation and reloads the sequence.
func (m *Model) savedDone(msg savedMsg) tea.Cmd {
	m.busy = false
	if msg.saved {
		m.saved = msg.edits
		m.seq = msg.seq
		m.name = msg.seq.Name
		if m.edits == m.saved {
			m.hist.undo, m.hist.redo = nil, nil // undo and redo last until saved
		}
	}
	if msg.err != nil {
		var pe *engine.ProblemsError
		if errors.As(msg.err, &pe) {
			title := fmt.Sprintf("Can't activate %s: %d problem(s)", pe.Sequence, len(pe.Problems))
			if !msg.activate {
				title = fmt.Sprintf("Not saved: an active sequence must stay valid; %d problem(s)", len(pe.Problems))
			} else if msg.saved {
				title += " (the draft is saved)"
			}
			m.showProblems(title, pe.Problems)
			m.status, m.statusErr = title, true
		} else {
			m.fail(msg.err)
		}
		if msg.saved {
			return changed
		}
		return nil
	}
	switch {
	case msg.activate:
		m.setStatus(fmt.Sprintf("Activated %s (version %d)", msg.seq.Name, msg.seq.Version))
	case msg.seq.State == engine.StateActive:
		m.setStatus(fmt.Sprintf("Saved %s: version %d is live for new connections", msg.seq.Name, msg.seq.Version))
	default:
		m.setStatus(fmt.Sprintf("Saved %s (%s)", msg.seq.Name, msg.seq.State))
	}
	m.problems = nil
	m.seq.State, m.seq.Version = msg.seq.State, msg.seq.Version
	// Every screen (this one included) reloads: the home grid shows the new state.
	return changed
}

// changed tells every screen that the engine's data changed.
func changed() tea.Msg { return common.ChangedMsg{} }

// check validates the definition being edited against the org (v).
func (m *Model) check() tea.Cmd { return m.checkThen(false) }

// checkThen validates the definition being edited; with save, a valid one goes on to the
// change note and the save.
func (m *Model) checkThen(save bool) tea.Cmd {
	eng, ctx, by, name := m.c.Engine, m.c.Ctx, m.c.User.Username, m.seq.Name
	def := cloneDef(m.def)
	return m.own(func() tea.Msg {
		probs, err := eng.Validate(ctx, by, def, name)
		msg := validatedMsg{probs: probs, err: err, save: save}
		if err == nil && len(probs) == 0 && !save {
			msg.warns, msg.err = eng.SequenceWarnings(ctx, by, def)
		}
		return msg
	})
}

func (m *Model) validated(msg validatedMsg) tea.Cmd {
	if msg.err != nil {
		m.fail(msg.err)
		return nil
	}
	if msg.save {
		if len(msg.probs) > 0 {
			title := fmt.Sprintf("Not saved: an active sequence must stay valid; %d problem(s)", len(msg.probs))
			m.showProblems(title, msg.probs)
			m.status, m.statusErr = title, true
			return nil
		}
		m.note = ""
		return m.openForm(noteForm(&m.note, m.seq.Version), formNote)
	}
	if len(msg.probs) == 0 && len(msg.warns) > 0 {
		// Listed like problems, so each can be jumped to; they don't stop activation.
		warns := make([]sequence.Problem, len(msg.warns))
		for i, w := range msg.warns {
			warns[i] = sequence.Problem{Path: w.Path, StepID: w.StepID, Code: w.Code, Message: "warning: " + w.Message}
		}
		m.showProblems(fmt.Sprintf("No problems: the sequence can be activated; %d warning(s)", len(warns)), warns)
		m.setStatus(m.problemsTitle)
		return nil
	}
	if len(msg.probs) == 0 {
		m.problems = nil
		m.setStatus("No problems: the sequence can be activated")
		return nil
	}
	m.showProblems(fmt.Sprintf("%d problem(s) to fix before activating", len(msg.probs)), msg.probs)
	m.setStatus(m.problemsTitle)
	return nil
}

func (m *Model) showProblems(title string, probs []sequence.Problem) {
	m.problems, m.problemsTitle, m.probCursor = probs, title, 0
	m.tab = tabDesigner
	m.mode = modeProblems
}

// problemsKey moves in the problem list; enter jumps the tree's cursor to the step.
func (m *Model) problemsKey(msg tea.KeyPressMsg) tea.Cmd {
	k := m.keys
	switch {
	case key.Matches(msg, k.Up):
		m.probCursor = max(0, m.probCursor-1)
	case key.Matches(msg, k.Down):
		m.probCursor = min(len(m.problems)-1, m.probCursor+1)
	case key.Matches(msg, k.Choose):
		m.jumpTo(m.problems[m.probCursor])
	case key.Matches(msg, k.Cancel):
		m.mode = modeNormal
	}
	return nil
}

// jumpTo puts the tree's cursor on a problem's step and closes the list.
func (m *Model) jumpTo(p sequence.Problem) {
	m.mode = modeNormal
	id := p.StepID
	if id == "" && p.Path != "" {
		m.def.Walk(func(path string, st *sequence.Step) bool {
			if path == p.Path {
				id = st.ID
				return false
			}
			return true
		})
	}
	if id == "" {
		m.moveTo("start")
		m.setStatus(p.Message + " (p edits the sequence properties)")
		return
	}
	if !m.moveTo(stepKey(id)) {
		m.setStatus("That step is no longer in the sequence")
		return
	}
	m.status, m.statusErr = p.Message, true
}

// The page's first lines: the title, the tabs, a blank line; the body starts below.
const (
	tabsLine = 1
	bodyTop  = 3
)

// click selects a tab, a tree row or a connected record; clicks are ignored while a
// picker, form or question has the keys.
func (m *Model) click(ms tea.Mouse) tea.Cmd {
	if m.mode != modeNormal || ms.Button != tea.MouseLeft {
		return nil
	}
	if ms.Y == tabsLine {
		x := 0
		for i := range tabCount {
			w := len([]rune(tabNames[i])) + 2
			if i == tabConnected && m.conn.done {
				w += len(fmt.Sprintf(" (%d)", len(m.conn.rows)))
			}
			if ms.X >= x && ms.X < x+w {
				return m.showTab(i)
			}
			x += w + 2
		}
		return nil
	}
	i := ms.Y - bodyTop
	if i < 0 {
		return nil
	}
	switch m.tab {
	case tabDesigner:
		if r := m.offset + i; i < m.treeHeight() && r < len(m.rows) {
			m.cursor = r
		}
	case tabConnected:
		if r := m.conn.offset + i - 1; i >= 1 && r < len(m.conn.rows) {
			m.conn.cursor = r
		}
	}
	return nil
}

// wheel scrolls the tab shown by moving its cursor.
func (m *Model) wheel(ms tea.Mouse) {
	if m.mode != modeNormal {
		return
	}
	k := m.keys.Down
	switch ms.Button {
	case tea.MouseWheelUp:
		k = m.keys.Up
	case tea.MouseWheelDown:
	default:
		return
	}
	msg := keyMsgFor(k)
	switch m.tab {
	case tabDesigner:
		m.designerKey(msg)
	case tabConnected:
		m.connectedKey(msg)
	case tabStats:
		m.conn.statsKey(msg, m.keys, len(m.rows))
	}
}

// keyMsgFor is the key press of a binding's first key (up or down).
func keyMsgFor(b key.Binding) tea.KeyPressMsg {
	if b.Keys()[0] == "up" {
		return tea.KeyPressMsg{Code: tea.KeyUp}
	}
	return tea.KeyPressMsg{Code: tea.KeyDown}
}

// bodyHeight is the height below the page's title and tabs and above its status line (two
// lines while a question is asked).
func (m *Model) bodyHeight() int {
	return max(1, m.height-3-len(m.statusLines(m.c.Styles, max(1, m.width))))
}

// treeHeight is how many tree lines show (the problem list takes the bottom when open).
func (m *Model) treeHeight() int {
	h := m.bodyHeight()
	if m.mode == modeProblems {
		h -= m.problemsHeight()
	}
	return max(1, h)
}

func (m *Model) problemsHeight() int {
	return min(len(m.problems)+2, m.bodyHeight()/2)
}

func (m *Model) formWidth() int { return max(20, min(m.width, 90)) }

// formHeight leaves the form's help and error lines room below its fields.
func (m *Model) formHeight() int { return max(5, m.bodyHeight()-3) }

// follow scrolls the tree so the cursor shows.
func (m *Model) follow() {
	h := m.treeHeight()
	if m.cursor < m.offset {
		m.offset = m.cursor
	}
	if m.cursor >= m.offset+h {
		m.offset = m.cursor - h + 1
	}
	m.offset = max(0, min(m.offset, len(m.rows)-h))
}
