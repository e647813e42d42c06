// Package ui is pacer's terminal program: the root model that draws the header (acting
// user, screen tabs, clock) and the footer (status line and key help), routes keys, mouse
// and messages to the screens, follows the engine's changes live and greets a new org.
package ui

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/pacer-sales/pacer/engine"
	"github.com/pacer-sales/pacer/ui/common"
	"github.com/pacer-sales/pacer/ui/components/dialog"
)

// Screens builds the screens the root routes to. A nil constructor shows a placeholder
// saying the screen is not in this build.
type Screens struct {
	// Home is the sequences home grid (tab 1).
	Home func(*common.Common) common.Screen
	// Sequence is the page of one sequence, opened from a grid or list.
	Sequence func(c *common.Common, name string) common.Screen
	// WorkList is the seller's work list (tab 2).
	WorkList func(*common.Common) common.Screen
	// Records is the records screen (tab 3).
	Records func(*common.Common) common.Screen
	// Admin is the users, teams, templates and settings tab (4), for admins and managers.
	Admin func(*common.Common) common.Screen
}

// Options tune one session of the program.
type Options struct {
	// Screens are the constructors of the screens.
	Screens Screens
	// NoMouse leaves the mouse to the terminal (text selection) instead of the program.
	NoMouse bool
	// Environ is the session's environment (NO_COLOR, TERM); nil means this process's.
	Environ []string
	// Input and Output are the terminal; nil means standard input and output.
	Input  io.Reader
	Output io.Writer
	// OSUser suggests the first admin's username on an empty database.
	OSUser string
	// ProgramOptions are added to the program's (an SSH session's window size, colour
	// profile, no signal handler).
	ProgramOptions []tea.ProgramOption
}

// MinWidth and MinHeight are the smallest terminal the screens are laid out for; below it
// the program says so instead of drawing a broken layout.
const (
	MinWidth  = 80
	MinHeight = 24
)

// clockEvery is how often the header's clock is read again.
const clockEvery = 30 * time.Second

// The tabs of the header.
const (
	tabSequences = iota
	tabWorkList
	tabRecords
	tabAdmin
	tabCount
)

// Messages the root sends itself.
type (
	// clockMsg carries the engine's time for the header.
	clockMsg struct{ now time.Time }
	// engineChangedMsg is one signal of the engine's subscription; the root re-arms after it.
	engineChangedMsg struct{}
	// statusExpiredMsg clears the status line if it still shows message seq.
	statusExpiredMsg struct{ seq int }
	// signedInMsg ends the first run: the org has a user to act as.
	signedInMsg struct {
		user engine.User
		loc  *time.Location
		note string
	}
)

// confirm is a yes/no question asked in the footer; every key goes to it until answered.
type confirm struct {
	d   *dialog.Confirm
	yes func() tea.Cmd
}

// ask puts a yes/no question in the footer; yes runs on y or enter.
func (m *Root) ask(question string, yes func() tea.Cmd) {
	m.confirm = &confirm{d: dialog.NewConfirm(question), yes: yes}
}

// Root is the program's model. It is used through a pointer: Update changes it in place.
type Root struct {
	c    *common.Common
	opts Options
	keys common.GlobalKeys
	help help.Model

	// dark and noColor are what the styles were built for.
	dark, noColor bool

	width, height int

	tab    int
	stacks [tabCount][]*slot
	// first holds the first-run screen of an org without users; nil once someone acts.
	first *slot

	now time.Time
	loc *time.Location

	status    common.StatusMsg
	statusSeq int
	confirm   *confirm

	changes     <-chan struct{}
	unsubscribe func()
}

// New builds the root for username on eng. On a database without users it starts with the
// first-run screen and username is ignored; otherwise username must be a pacer user. Close
// ends the root's subscription to the engine's changes.
func New(ctx context.Context, eng *engine.Engine, username string, opts Options) (*Root, error) {
	empty, err := eng.Empty(ctx)
	if err != nil {
		return nil, err
	}
	m := &Root{
		opts:    opts,
		keys:    common.DefaultGlobalKeys(),
		help:    help.New(),
		dark:    true,
		noColor: envNoColor(opts.Environ),
		loc:     time.UTC,
		now:     eng.Clock().Now(),
	}
	m.c = &common.Common{Ctx: ctx, Engine: eng}
	m.c.Styles = common.NewStyles(common.DefaultTheme(m.dark), m.noColor)
	m.help.Styles = helpStyles(m.c.Styles)
	if empty {
		m.first = m.place(newFirstRun(m.c, suggestUsername(opts.OSUser)))
	} else {
		if username == "" {
			return nil, errors.New("no acting user; pass --as USER")
		}
		u, err := eng.Whoami(ctx, username)
		if err != nil {
			return nil, err
		}
		m.c.User = u
		m.loc = common.UserLocation(u)
		m.stacks[tabSequences] = []*slot{m.build(tabSequences)}
	}
	m.changes, m.unsubscribe = eng.Subscribe()
	return m, nil
}

// Close ends the subscription to the engine's changes.
func (m *Root) Close() {
	if m.unsubscribe != nil {
		m.unsubscribe()
		m.unsubscribe = nil
	}
}

// Init asks the terminal for its background colour, starts the clock and the live updates,
// and starts the first screen.
func (m *Root) Init() tea.Cmd {
	return tea.Batch(m.sessionCmds(), m.start(m.activeSlot()))
}

// sessionCmds are the root's own commands at start: the background colour, the clock and
// the live updates.
func (m *Root) sessionCmds() tea.Cmd {
	return tea.Batch(tea.RequestBackgroundColor, m.tickClock(), m.waitChange())
}

// Update routes one message.
func (m *Root) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	cmd := m.update(msg)
	if m.width > 0 {
		// The footer grows with the full help and with the keys of the screen shown.
		if w, h := m.area(); w != m.c.Width || h != m.c.Height {
			m.resize()
		}
	}
	return m, cmd
}

func (m *Root) update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
		m.help.SetWidth(msg.Width)
		m.resize()
		return nil
	case tea.EnvMsg:
		if noColor := msg.Getenv("NO_COLOR") != ""; noColor != m.noColor {
			m.noColor = noColor
			m.restyle()
			return m.broadcast(common.StylesChangedMsg{})
		}
		return nil
	case tea.BackgroundColorMsg:
		m.dark = msg.IsDark()
		m.restyle()
		return tea.Batch(m.broadcast(msg), m.broadcast(common.StylesChangedMsg{}))
	case clockMsg:
		m.now = msg.now
		return m.tickClock()
	case engineChangedMsg:
		return tea.Batch(m.broadcast(common.ChangedMsg{}), m.waitChange())
	case common.StatusMsg:
		m.statusSeq++
		before := m.statusHeight()
		m.status = msg
		if m.statusHeight() != before {
			m.resize() // a message of several lines takes them from the screen
		}
		seq := m.statusSeq
		keep := 5 * time.Second
		if msg.Err {
			keep = 15 * time.Second
		}
		return tea.Tick(keep, func(time.Time) tea.Msg { return statusExpiredMsg{seq} })
	case statusExpiredMsg:
		if msg.seq == m.statusSeq {
			before := m.statusHeight()
			m.status = common.StatusMsg{}
			if m.statusHeight() != before {
				m.resize()
			}
		}
		return nil
	case routed:
		return m.deliver(msg)
	case common.OpenSequenceMsg:
		return m.openSequence(msg.Name)
	case common.BackMsg:
		return m.back(nil)
	case signedInMsg:
		m.c.User = msg.user
		m.loc = msg.loc
		m.first = nil
		m.tab = tabSequences
		home := m.build(tabSequences)
		m.stacks[tabSequences] = []*slot{home}
		m.resize()
		return tea.Batch(m.start(home), common.Status(msg.note))
	case tea.KeyPressMsg:
		return m.key(msg)
	case tea.MouseMsg:
		return m.mouse(msg)
	case tea.KeyReleaseMsg:
		return nil
	case tea.PasteMsg, tea.PasteStartMsg, tea.PasteEndMsg:
		return m.forward(msg)
	}
	return m.broadcast(msg)
}

// key handles a key press: a pending question first, then ctrl+c, then the global keys
// (unless the screen takes text), then the active screen.
func (m *Root) key(msg tea.KeyPressMsg) tea.Cmd {
	if m.confirm != nil {
		if msg.String() == "ctrl+c" {
			return tea.Quit
		}
		c := m.confirm
		switch c.d.Update(msg) {
		case dialog.Accepted:
			m.confirm = nil
			if c.d.Yes() {
				return c.yes()
			}
		case dialog.Cancelled:
			m.confirm = nil
		}
		return nil
	}
	if msg.String() == "ctrl+c" {
		return m.quit()
	}
	if m.tooSmall() {
		if key.Matches(msg, m.keys.Quit) {
			return m.quit()
		}
		return nil
	}
	act := m.active()
	if !act.CapturesInput() {
		switch {
		case key.Matches(msg, m.keys.Quit):
			return m.quit()
		case key.Matches(msg, m.keys.Help):
			m.help.ShowAll = !m.help.ShowAll
			m.resize()
			return nil
		case key.Matches(msg, m.keys.Sequences) && m.first == nil:
			return m.switchTab(tabSequences)
		case key.Matches(msg, m.keys.WorkList) && m.first == nil:
			return m.switchTab(tabWorkList)
		case key.Matches(msg, m.keys.Records) && m.first == nil:
			return m.switchTab(tabRecords)
		case key.Matches(msg, m.keys.Admin) && m.first == nil && adminTab(m.c.User):
			return m.switchTab(tabAdmin)
		}
	}
	return m.forward(msg)
}

// quit ends the program, asking first while any screen holds unsaved changes.
func (m *Root) quit() tea.Cmd {
	for _, sl := range m.live() {
		if sl.s.Dirty() {
			m.ask("Discard unsaved changes and quit?", func() tea.Cmd { return tea.Quit })
			return nil
		}
	}
	return tea.Quit
}

// switchTab shows tab t. On the tab already shown it returns to the tab's first screen,
// asking first when a screen it closes holds unsaved changes.
func (m *Root) switchTab(t int) tea.Cmd {
	if m.tab != t {
		if len(m.stacks[t]) == 0 {
			// Build before showing: sizing the new screen reads the help of the screen
			// shown, so the tab must not point at an empty stack meanwhile.
			sl := m.build(t)
			m.stacks[t] = []*slot{sl}
			m.tab = t
			return m.start(sl)
		}
		m.tab = t
		return nil
	}
	stack := m.stacks[t]
	if len(stack) <= 1 {
		return nil
	}
	home := func() tea.Cmd { m.stacks[t] = m.stacks[t][:1]; return nil }
	for _, sl := range stack[1:] {
		if sl.s.Dirty() {
			m.ask("Discard unsaved changes?", home)
			return nil
		}
	}
	return home()
}

// openSequence shows the page of a sequence over the current tab's screen.
func (m *Root) openSequence(name string) tea.Cmd {
	sl := m.newScreen(func(c *common.Common) common.Screen {
		if m.opts.Screens.Sequence == nil {
			return newPlaceholder(c, "The sequence page of "+name)
		}
		return m.opts.Screens.Sequence(c, name)
	})
	m.stacks[m.tab] = append(m.stacks[m.tab], sl)
	return m.start(sl)
}

// back closes the screen from (the one shown when nil) if it is on top of its tab and not
// the tab's first, showing the one under it.
func (m *Root) back(from *slot) tea.Cmd {
	for t, st := range m.stacks {
		if len(st) > 1 && (from == nil && t == m.tab || from != nil && st[len(st)-1] == from) {
			m.stacks[t] = st[:len(st)-1]
			return nil
		}
	}
	return nil
}

// adminTab reports whether u sees the Admin tab: admins change things there, managers
// read; sellers don't get it.
func adminTab(u engine.User) bool { return u.Has(engine.RoleAdmin) || u.Has(engine.RoleManager) }

// build makes the first screen of tab t.
func (m *Root) build(t int) *slot {
	if t == tabRecords {
		return m.newScreen(func(c *common.Common) common.Screen {
			if m.opts.Screens.Records == nil {
				return newPlaceholder(c, "The records")
			}
			return m.opts.Screens.Records(c)
		})
	}
	if t == tabAdmin {
		return m.newScreen(func(c *common.Common) common.Screen {
			if m.opts.Screens.Admin == nil {
				return newPlaceholder(c, "The admin tab")
			}
			return m.opts.Screens.Admin(c)
		})
	}
	if t == tabWorkList {
		return m.newScreen(func(c *common.Common) common.Screen {
			if m.opts.Screens.WorkList == nil {
				return newPlaceholder(c, "The work list")
			}
			return m.opts.Screens.WorkList(c)
		})
	}
	return m.newScreen(func(c *common.Common) common.Screen {
		if m.opts.Screens.Home == nil {
			return newPlaceholder(c, "The sequences")
		}
		return m.opts.Screens.Home(c)
	})
}

// newScreen constructs a screen, gives it the current area and a slot.
func (m *Root) newScreen(mk func(*common.Common) common.Screen) *slot {
	s := mk(m.c)
	if m.width > 0 {
		w, h := m.area()
		s.SetSize(w, h)
	}
	return m.place(s)
}

// resize gives every live screen the area left between header and footer.
func (m *Root) resize() {
	if m.width == 0 {
		return
	}
	w, h := m.area()
	m.c.Width, m.c.Height = w, h
	for _, sl := range m.live() {
		sl.s.SetSize(w, h)
	}
}

// restyle rebuilds the shared styles in place, so every screen holding them sees the change.
func (m *Root) restyle() {
	*m.c.Styles = *common.NewStyles(common.DefaultTheme(m.dark), m.noColor)
	m.help.Styles = helpStyles(m.c.Styles)
}

// tickClock reads the engine's clock after clockEvery.
func (m *Root) tickClock() tea.Cmd {
	clock := m.c.Engine.Clock()
	return tea.Tick(clockEvery, func(time.Time) tea.Msg { return clockMsg{clock.Now()} })
}

// waitChange waits for the engine's next change.
func (m *Root) waitChange() tea.Cmd {
	ch, ctx := m.changes, m.c.Ctx
	return func() tea.Msg {
		select {
		case _, ok := <-ch:
			if !ok {
				return nil
			}
			return engineChangedMsg{}
		case <-ctx.Done():
			return nil
		}
	}
}

// envNoColor reports NO_COLOR set and non-empty in env (this process's when nil).
func envNoColor(env []string) bool {
	if env == nil {
		return os.Getenv("NO_COLOR") != ""
	}
	v := ""
	for _, kv := range env {
		if k, val, ok := strings.Cut(kv, "="); ok && k == "NO_COLOR" {
			v = val
		}
	}
	return v != ""
}

// suggestUsername turns an OS user name into a valid pacer username ("" when nothing is
// left).
func suggestUsername(osUser string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(osUser) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// roleNames lists a user's roles for the header.
func roleNames(u engine.User) string {
	if len(u.Roles) == 0 {
		return "no role"
	}
	names := make([]string, len(u.Roles))
	for i, r := range u.Roles {
		names[i] = string(r)
	}
	return strings.Join(names, ",")
}

// Run runs the program on the terminal until the user quits or ctx ends.
func Run(ctx context.Context, eng *engine.Engine, username string, opts Options) error {
	m, err := New(ctx, eng, username, opts)
	if err != nil {
		return err
	}
	defer m.Close()
	popts := []tea.ProgramOption{tea.WithContext(ctx)}
	if opts.Input != nil {
		popts = append(popts, tea.WithInput(opts.Input))
	}
	if opts.Output != nil {
		popts = append(popts, tea.WithOutput(opts.Output))
	}
	if opts.Environ != nil {
		popts = append(popts, tea.WithEnvironment(opts.Environ))
	}
	popts = append(popts, opts.ProgramOptions...)
	if _, err := tea.NewProgram(m, popts...).Run(); err != nil {
		if errors.Is(err, tea.ErrProgramKilled) && ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("terminal: %w", err)
	}
	return nil
}
