package ui

import (
	"context"
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/pacer-sales/pacer/engine"
	"github.com/pacer-sales/pacer/store/bolt"
	"github.com/pacer-sales/pacer/ui/common"
	"github.com/pacer-sales/pacer/ui/uitest"
)

// testNow is the pinned clock of every test: Monday 2 March 2026, 09:00 UTC.
var testNow = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// newEngine opens a fresh database in t.TempDir, with the sample org when demo is true.
func newEngine(t testing.TB, demo bool) *engine.Engine {
	t.Helper()
	db, err := bolt.Open(filepath.Join(t.TempDir(), "pacer.db"), bolt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	eng := engine.New(db, engine.FixedClock(testNow))
	if demo {
		if _, err := eng.LoadDemo(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	return eng
}

// testScreen records what the root hands it.
type testScreen struct {
	name     string
	c        *common.Common
	w, h     int
	msgs     []tea.Msg
	inits    int
	captures bool
	dirty    bool
	// next is returned by the next Init or Update.
	next tea.Cmd
}

func (s *testScreen) Init() tea.Cmd { s.inits++; return s.take() }
func (s *testScreen) Update(msg tea.Msg) (common.Screen, tea.Cmd) {
	s.msgs = append(s.msgs, msg)
	return s, s.take()
}

// take hands out the command the test gave the screen to return next.
func (s *testScreen) take() tea.Cmd {
	c := s.next
	s.next = nil
	return c
}
func (s *testScreen) View() string {
	return fmt.Sprintf("screen %s %dx%d\nsecond line", s.name, s.w, s.h)
}
func (s *testScreen) SetSize(w, h int) { s.w, s.h = w, h }
func (s *testScreen) ShortHelp() []key.Binding {
	return []key.Binding{key.NewBinding(key.WithKeys("x"), key.WithHelp("x", "do "+s.name))}
}
func (s *testScreen) FullHelp() [][]key.Binding {
	return [][]key.Binding{s.ShortHelp(), {key.NewBinding(key.WithKeys("y"), key.WithHelp("y", "more "+s.name))}}
}
func (s *testScreen) CapturesInput() bool { return s.captures }
func (s *testScreen) Dirty() bool         { return s.dirty }

// got counts the messages of type T the screen received.
func got[T any](s *testScreen) int {
	n := 0
	for _, m := range s.msgs {
		if _, ok := m.(T); ok {
			n++
		}
	}
	return n
}

// harness is a root over test screens.
type harness struct {
	t       testing.TB
	m       *Root
	eng     *engine.Engine
	screens []*testScreen
	// msgs carries the results of the commands pump started.
	msgs chan tea.Msg
}

func (h *harness) last(name string) *testScreen {
	h.t.Helper()
	for i := len(h.screens) - 1; i >= 0; i-- {
		if h.screens[i].name == name {
			return h.screens[i]
		}
	}
	h.t.Fatalf("no %s screen was made", name)
	return nil
}

func (h *harness) count(name string) int {
	n := 0
	for _, s := range h.screens {
		if s.name == name {
			n++
		}
	}
	return n
}

func newHarness(t testing.TB, eng *engine.Engine, username string, opts Options) *harness {
	t.Helper()
	h := &harness{t: t, eng: eng}
	mk := func(name string) func(*common.Common) common.Screen {
		return func(c *common.Common) common.Screen {
			s := &testScreen{name: name, c: c}
			h.screens = append(h.screens, s)
			return s
		}
	}
	opts.Screens = Screens{
		Home:     mk("home"),
		WorkList: mk("worklist"),
		Admin:    mk("admin"),
		Sequence: func(c *common.Common, name string) common.Screen { return mk("seq:" + name)(c) },
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	m, err := New(ctx, eng, username, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Close)
	h.m = m
	m.Init()
	return h
}

// firstRun is the first-run screen, nil once someone acts.
func (m *Root) firstRun() *firstRun {
	if m.first == nil {
		return nil
	}
	f, _ := m.first.s.(*firstRun)
	return f
}

func (h *harness) send(msgs ...tea.Msg) tea.Cmd {
	var cmds []tea.Cmd
	for _, msg := range msgs {
		_, cmd := h.m.Update(msg)
		cmds = append(cmds, cmd)
	}
	return tea.Batch(cmds...)
}

// screen is the plain text of the frame.
func (h *harness) screen() string { return ansi.Strip(h.m.View().Content) }

// press is the press of one key (see uitest.Key).
func press(s string) tea.KeyPressMsg { return uitest.Key(s) }

// keys are the presses of several keys.
func keys(s ...string) []tea.Msg {
	out := make([]tea.Msg, len(s))
	for i, k := range s {
		out[i] = press(k)
	}
	return out
}

// quits reports whether cmd (or a command of its batch) ends the program.
func quits(cmd tea.Cmd) bool {
	if cmd == nil {
		return false
	}
	done := make(chan tea.Msg, 1)
	// A batch may hold long waits (the status timer); only quick results count.
	go func() { done <- cmd() }()
	select {
	case msg := <-done:
		if _, ok := msg.(tea.QuitMsg); ok {
			return true
		}
		if b, ok := msg.(tea.BatchMsg); ok {
			for _, c := range b {
				if quits(c) {
					return true
				}
			}
		}
	case <-time.After(time.Second):
	}
	return false
}

func TestHeaderTabsAndClock(t *testing.T) {
	h := newHarness(t, newEngine(t, true), "admin", Options{})
	h.send(tea.WindowSizeMsg{Width: 100, Height: 30})
	scr := h.screen()
	lines := strings.Split(scr, "\n")
	if len(lines) != 30 {
		t.Fatalf("%d lines, want 30:\n%s", len(lines), scr)
	}
	head := lines[0]
	for _, want := range []string{"pacer", "[1 Sequences]", " 2 Work list ", "admin (admin)", "Mon 2 Mar 09:00"} {
		if !strings.Contains(head, want) {
			t.Errorf("header %q lacks %q", head, want)
		}
	}
	if !strings.Contains(scr, "screen home 100x26") {
		t.Errorf("home not shown at 100x26:\n%s", scr)
	}
	home := h.last("home")
	if home.inits != 1 {
		t.Errorf("home Init ran %d times", home.inits)
	}

	h.send(press("2"))
	scr = h.screen()
	if !strings.Contains(scr, "[2 Work list]") || strings.Contains(scr, "[1 Sequences]") {
		t.Errorf("after 2 the work list tab is not the marked one:\n%s", scr)
	}
	if !strings.Contains(scr, "screen worklist 100x26") {
		t.Errorf("work list not shown:\n%s", scr)
	}
	h.send(press("1"), press("2"), press("1"))
	if h.count("home") != 1 || h.count("worklist") != 1 {
		t.Errorf("switching tabs rebuilt screens: %d homes, %d work lists", h.count("home"), h.count("worklist"))
	}
	if !strings.Contains(h.screen(), "screen home") {
		t.Errorf("1 did not return to the home grid")
	}

	h.send(clockMsg{testNow.Add(90 * time.Minute)})
	if !strings.Contains(h.screen(), "Mon 2 Mar 10:30") {
		t.Errorf("clock not updated: %s", strings.Split(h.screen(), "\n")[0])
	}
}

func TestClockInUserTimeZone(t *testing.T) {
	// The sample org's manager works in America/Chicago: 09:00 UTC is 03:00 there.
	h := newHarness(t, newEngine(t, true), "dana.whitfield", Options{})
	h.send(tea.WindowSizeMsg{Width: 120, Height: 30})
	head := strings.Split(h.screen(), "\n")[0]
	// The zone is named, so the time can't be read as another zone's.
	if !strings.Contains(head, "dana.whitfield (manager)") || !strings.Contains(head, "Mon 2 Mar 03:00 CST") {
		t.Errorf("header = %q", head)
	}
}

func TestTooSmall(t *testing.T) {
	h := newHarness(t, newEngine(t, true), "admin", Options{})
	for _, sz := range [][2]int{{79, 23}, {79, 30}, {100, 23}, {20, 5}} {
		h.send(tea.WindowSizeMsg{Width: sz[0], Height: sz[1]})
		scr := h.screen()
		if !strings.Contains(scr, "too small") && sz[0] >= 40 {
			t.Errorf("%dx%d: no too-small message:\n%s", sz[0], sz[1], scr)
		}
		if sz[0] >= 40 && !strings.Contains(scr, "80×24") {
			t.Errorf("%dx%d: the needed size is not named:\n%s", sz[0], sz[1], scr)
		}
		if sz[0] >= 40 && !strings.Contains(scr, fmt.Sprintf("%d×%d", sz[0], sz[1])) {
			t.Errorf("%dx%d: the current size is not named:\n%s", sz[0], sz[1], scr)
		}
		if strings.Contains(scr, "Sequences") || strings.Contains(scr, "screen home") {
			t.Errorf("%dx%d: layout drawn anyway:\n%s", sz[0], sz[1], scr)
		}
		lines := strings.Split(scr, "\n")
		if len(lines) != sz[1] {
			t.Errorf("%dx%d: %d lines", sz[0], sz[1], len(lines))
		}
		for _, l := range lines {
			if w := ansi.StringWidth(l); w > sz[0] {
				t.Errorf("%dx%d: line of %d cells: %q", sz[0], sz[1], w, l)
			}
		}
	}
	// Keys other than quit wait for a usable size.
	h.send(tea.WindowSizeMsg{Width: 79, Height: 23})
	h.send(press("2"))
	if h.m.tab != tabSequences {
		t.Error("2 switched tabs while the terminal was too small")
	}
	if !quits(h.send(press("q"))) {
		t.Error("q does not quit on a too-small terminal")
	}

	h.send(tea.WindowSizeMsg{Width: 80, Height: 24})
	scr := h.screen()
	lines := strings.Split(scr, "\n")
	if len(lines) != 24 || !strings.Contains(lines[0], "[1 Sequences]") {
		t.Fatalf("80x24 not laid out:\n%s", scr)
	}
	for _, l := range lines {
		if ansi.StringWidth(l) > 80 {
			t.Errorf("line wider than 80: %q", l)
		}
	}
	if s := h.last("home"); s.w != 80 || s.h != 20 {
		t.Errorf("home sized %dx%d at 80x24, want 80x20", s.w, s.h)
	}
}

func TestHelpToggle(t *testing.T) {
	h := newHarness(t, newEngine(t, true), "admin", Options{})
	h.send(tea.WindowSizeMsg{Width: 100, Height: 30})
	footer := func() string {
		lines := strings.Split(h.screen(), "\n")
		return strings.Join(lines[len(lines)-6:], "\n")
	}
	f := footer()
	if !strings.Contains(f, "x do home") || !strings.Contains(f, "? all keys") || !strings.Contains(f, "q quit") {
		t.Errorf("short help:\n%s", f)
	}
	if strings.Contains(f, "more home") {
		t.Errorf("short help shows the full help:\n%s", f)
	}
	home := h.last("home")
	short := home.h

	h.send(press("?"))
	f = footer()
	for _, want := range []string{"more home", "1 sequences", "2 work list", "q quit"} {
		if !strings.Contains(f, want) {
			t.Errorf("full help lacks %q:\n%s", want, f)
		}
	}
	if home.h >= short {
		t.Errorf("screen area not shrunk for the full help: %d then %d", short, home.h)
	}
	if n := len(strings.Split(h.screen(), "\n")); n != 30 {
		t.Errorf("full help frame has %d lines", n)
	}
	h.send(press("?"))
	if strings.Contains(footer(), "more home") || home.h != short {
		t.Errorf("? again did not close the full help (area %d)", home.h)
	}
	if got[tea.KeyPressMsg](home) != 0 {
		t.Errorf("global keys reached the screen: %v", home.msgs)
	}
}

func TestCapturingScreenGetsKeys(t *testing.T) {
	h := newHarness(t, newEngine(t, true), "admin", Options{})
	h.send(tea.WindowSizeMsg{Width: 100, Height: 30})
	home := h.last("home")
	home.captures = true
	if quits(h.send(keys("q", "1", "2", "?")...)) {
		t.Fatal("q quit while the screen takes text")
	}
	if n := got[tea.KeyPressMsg](home); n != 4 {
		t.Errorf("screen got %d of 4 keys", n)
	}
	if h.m.tab != tabSequences || h.m.help.ShowAll {
		t.Error("global keys acted while the screen takes text")
	}
	if !strings.Contains(h.screen(), "ctrl+c quit") {
		t.Errorf("footer should offer ctrl+c while typing:\n%s", h.screen())
	}
	if !quits(h.send(press("ctrl+c"))) {
		t.Error("ctrl+c did not quit")
	}
}

func TestQuitAsksWhenDirty(t *testing.T) {
	h := newHarness(t, newEngine(t, true), "admin", Options{})
	h.send(tea.WindowSizeMsg{Width: 100, Height: 30})
	if !quits(h.send(press("q"))) {
		t.Fatal("q does not quit a clean session")
	}
	h.send(common.OpenSequenceMsg{Name: "Cold outreach"})
	seq := h.last("seq:Cold outreach")
	seq.dirty = true

	if quits(h.send(press("q"))) {
		t.Fatal("q quit with unsaved changes")
	}
	if !strings.Contains(h.screen(), "? Discard unsaved changes and quit?") {
		t.Fatalf("no question:\n%s", h.screen())
	}
	if quits(h.send(press("x"))) || !strings.Contains(h.screen(), "[y] yes · [n] no") {
		t.Error("another key answered the question")
	}
	if got[tea.KeyPressMsg](seq) != 0 {
		t.Error("keys reached the screen during the question")
	}
	if quits(h.send(press("n"))) {
		t.Fatal("n quit")
	}
	if strings.Contains(h.screen(), "[y] yes · [n] no") {
		t.Error("question still shown after n")
	}
	h.send(press("ctrl+c"))
	if !strings.Contains(h.screen(), "Discard unsaved changes") {
		t.Error("ctrl+c with unsaved changes did not ask")
	}
	if !quits(h.send(press("y"))) {
		t.Error("y did not quit")
	}

	// Unsaved changes on the other tab count too.
	h2 := newHarness(t, newEngine(t, true), "admin", Options{})
	h2.send(tea.WindowSizeMsg{Width: 100, Height: 30})
	h2.send(common.OpenSequenceMsg{Name: "A"})
	h2.last("seq:A").dirty = true
	h2.send(press("2"))
	if quits(h2.send(press("q"))) {
		t.Error("q quit with unsaved changes on the other tab")
	}
	if !quits(h2.send(press("ctrl+c"))) {
		t.Error("ctrl+c during the question did not quit")
	}
}

func TestStatusLine(t *testing.T) {
	h := newHarness(t, newEngine(t, true), "admin", Options{})
	h.send(tea.WindowSizeMsg{Width: 100, Height: 30})
	status := func() string {
		lines := strings.Split(h.screen(), "\n")
		return lines[len(lines)-2]
	}
	h.send(common.StatusMsg{Text: "Saved Cold outreach"})
	if s := status(); !strings.Contains(s, "Saved Cold outreach") || strings.Contains(s, "Error") {
		t.Errorf("status = %q", s)
	}
	first := h.m.statusSeq
	h.send(common.StatusMsg{Text: "name is taken", Err: true})
	if s := status(); !strings.Contains(s, "✗ Error: name is taken") {
		t.Errorf("error status = %q", s)
	}
	h.send(statusExpiredMsg{first})
	if !strings.Contains(status(), "name is taken") {
		t.Error("an older message's timer cleared a newer one")
	}
	h.send(statusExpiredMsg{h.m.statusSeq})
	if s := strings.TrimSpace(status()); s != "" {
		t.Errorf("status not cleared: %q", s)
	}
	// The commands of the common package reach the line too.
	h.send(common.Fail(fmt.Errorf("disk full"))())
	if !strings.Contains(status(), "Error: disk full") {
		t.Errorf("Fail: %q", status())
	}
	// A message of three lines gives the screen three lines less, and they come back when
	// it goes: the screen never draws under the footer.
	home := h.last("home")
	h.send(common.StatusMsg{Text: "one\ntwo\nthree", Err: true})
	if home.h != 30-2-3-1 {
		t.Errorf("screen height %d under a three-line status, want %d", home.h, 30-2-3-1)
	}
	h.send(statusExpiredMsg{h.m.statusSeq})
	if home.h != 30-2-1-1 {
		t.Errorf("screen height %d after the status went, want %d", home.h, 30-2-1-1)
	}
}

func TestRoutingOpenAndBack(t *testing.T) {
	h := newHarness(t, newEngine(t, true), "admin", Options{})
	h.send(tea.WindowSizeMsg{Width: 100, Height: 30})
	h.send(common.OpenSequenceMsg{Name: "Cold outreach"})
	seq := h.last("seq:Cold outreach")
	if seq.inits != 1 || seq.w != 100 || seq.h != 26 {
		t.Errorf("sequence page: inits %d, size %dx%d", seq.inits, seq.w, seq.h)
	}
	if !strings.Contains(h.screen(), "screen seq:Cold outreach") {
		t.Fatalf("sequence page not shown:\n%s", h.screen())
	}
	if !strings.Contains(strings.Split(h.screen(), "\n")[0], "[1 Sequences]") {
		t.Error("the sequence page belongs to the Sequences tab")
	}
	h.send(press("j"))
	if got[tea.KeyPressMsg](seq) != 1 || got[tea.KeyPressMsg](h.last("home")) != 0 {
		t.Error("keys go to the page shown, only")
	}
	h.send(common.BackMsg{})
	if !strings.Contains(h.screen(), "screen home") {
		t.Fatalf("back did not return home:\n%s", h.screen())
	}
	h.send(common.BackMsg{})
	if !strings.Contains(h.screen(), "screen home") {
		t.Fatal("back on the first screen left it")
	}

	// From the work list a sequence opens over it, and back returns to it.
	h.send(press("2"), common.OpenSequenceMsg{Name: "B"})
	if !strings.Contains(h.screen(), "screen seq:B") || !strings.Contains(h.screen(), "[2 Work list]") {
		t.Fatalf("sequence from the work list:\n%s", h.screen())
	}
	h.send(press("1"))
	if !strings.Contains(h.screen(), "screen home") {
		t.Fatal("1 did not show the home grid")
	}
	h.send(press("2"))
	if !strings.Contains(h.screen(), "screen seq:B") {
		t.Fatal("the work list tab forgot its open page")
	}
	// The tab's key again closes what was opened on it, asking while unsaved.
	h.last("seq:B").dirty = true
	h.send(press("2"))
	if !strings.Contains(h.screen(), "? Discard unsaved changes?") {
		t.Fatalf("no question:\n%s", h.screen())
	}
	h.send(press("n"))
	if !strings.Contains(h.screen(), "screen seq:B") {
		t.Fatal("n closed the page")
	}
	h.send(press("2"), press("y"))
	if !strings.Contains(h.screen(), "screen worklist") {
		t.Fatalf("y did not return to the work list:\n%s", h.screen())
	}
}

func TestChangedFansOut(t *testing.T) {
	eng := newEngine(t, true)
	h := newHarness(t, eng, "admin", Options{})
	h.send(tea.WindowSizeMsg{Width: 100, Height: 30})
	h.send(press("2"), press("1"), common.OpenSequenceMsg{Name: "A"})

	// A real change in the engine wakes the root's subscription.
	wait := h.m.waitChange()
	csv := "id,name,owner,email\nL-9001,Test Lead,admin,test@example.com\n"
	if _, err := eng.ImportRecords(context.Background(), "admin", "t.csv", strings.NewReader(csv), "lead"); err != nil {
		t.Fatal(err)
	}
	msg := wait()
	if _, ok := msg.(engineChangedMsg); !ok {
		t.Fatalf("subscription gave %T", msg)
	}
	cmd := h.send(msg)
	for _, name := range []string{"home", "worklist", "seq:A"} {
		if n := got[common.ChangedMsg](h.last(name)); n != 1 {
			t.Errorf("%s got %d ChangedMsg", name, n)
		}
	}
	// The subscription is re-armed: the next change arrives too.
	rearmed := make(chan bool, 1)
	go func() {
		msg := cmd()
		b, _ := msg.(tea.BatchMsg)
		ok := false
		for _, c := range b {
			if c == nil {
				continue
			}
			if _, is := c().(engineChangedMsg); is {
				ok = true
			}
		}
		_, single := msg.(engineChangedMsg)
		rearmed <- ok || single
	}()
	if _, err := eng.SetRecord(context.Background(), "admin", "lead/L-9001", map[string]string{"stage": "qualified"}); err != nil {
		t.Fatal(err)
	}
	select {
	case ok := <-rearmed:
		if !ok {
			t.Error("no re-armed wait in the command")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the second change never arrived")
	}

	// Messages the root does not know go to every live screen; keys only to the one shown.
	type loaded struct{}
	h.send(loaded{})
	for _, name := range []string{"home", "worklist", "seq:A"} {
		if got[loaded](h.last(name)) != 1 {
			t.Errorf("%s missed a screen's own message", name)
		}
	}
}

func TestMouse(t *testing.T) {
	h := newHarness(t, newEngine(t, true), "admin", Options{})
	h.send(tea.WindowSizeMsg{Width: 100, Height: 30})
	if h.m.View().MouseMode != tea.MouseModeCellMotion || !h.m.View().AltScreen {
		t.Error("view should use the alternate screen and cell-motion mouse")
	}
	home := h.last("home")
	h.send(tea.MouseClickMsg{X: 7, Y: 5, Button: tea.MouseLeft}, tea.MouseWheelMsg{X: 1, Y: 2, Button: tea.MouseWheelDown})
	if len(home.msgs) != 2 {
		t.Fatalf("screen got %v", home.msgs)
	}
	if c, ok := home.msgs[0].(tea.MouseClickMsg); !ok || c.Y != 5-headerLines || c.X != 7 {
		t.Errorf("click arrived as %#v", home.msgs[0])
	}
	if w, ok := home.msgs[1].(tea.MouseWheelMsg); !ok || w.Y != 0 || w.Button != tea.MouseWheelDown {
		t.Errorf("wheel arrived as %#v", home.msgs[1])
	}
	// Header and footer are not the screen's.
	h.send(tea.MouseClickMsg{X: 7, Y: 1, Button: tea.MouseLeft}, tea.MouseClickMsg{X: 7, Y: 29, Button: tea.MouseLeft})
	if len(home.msgs) != 2 {
		t.Errorf("clicks outside the area reached the screen: %v", home.msgs[2:])
	}
	// A click on a tab switches to it.
	head := strings.Split(h.screen(), "\n")[0]
	x := strings.Index(head, "2 Work list")
	h.send(tea.MouseClickMsg{X: x + 2, Y: 0, Button: tea.MouseLeft})
	if h.m.tab != tabWorkList {
		t.Errorf("click at %d on %q did not switch tabs", x+2, head)
	}
	x = strings.Index(head, "1 Sequences")
	h.send(tea.MouseClickMsg{X: x, Y: 0, Button: tea.MouseLeft})
	if h.m.tab != tabSequences {
		t.Error("click on the Sequences tab did not switch back")
	}

	off := newHarness(t, newEngine(t, true), "admin", Options{NoMouse: true})
	off.send(tea.WindowSizeMsg{Width: 100, Height: 30})
	if off.m.View().MouseMode != tea.MouseModeNone {
		t.Error("--no-mouse still captures the mouse")
	}
}

func TestColours(t *testing.T) {
	h := newHarness(t, newEngine(t, true), "admin", Options{Environ: []string{"TERM=xterm-256color", "NO_COLOR=1"}})
	h.send(tea.WindowSizeMsg{Width: 100, Height: 30})
	styles := h.m.c.Styles
	if !h.m.noColor {
		t.Fatal("NO_COLOR not seen")
	}
	if v := h.m.View().Content; strings.Contains(v, "38;") || strings.Contains(v, "48;") {
		t.Errorf("colours drawn under NO_COLOR: %q", v[:200])
	}
	if !strings.Contains(h.screen(), "[1 Sequences]") {
		t.Error("the active tab is not marked without colour")
	}
	h.send(tea.BackgroundColorMsg{Color: lightBg{}})
	if h.m.dark || h.m.c.Styles != styles {
		t.Error("a light background must rebuild the shared styles in place")
	}
	h.send(tea.EnvMsg{"NO_COLOR="})
	if h.m.noColor {
		t.Error("an empty NO_COLOR keeps colours on")
	}
	if v := h.m.View().Content; !strings.Contains(v, "38;") {
		t.Error("no colours with NO_COLOR empty")
	}
	if got[tea.BackgroundColorMsg](h.last("home")) != 1 {
		t.Error("screens are told the background")
	}
	if n := got[common.StylesChangedMsg](h.last("home")); n != 2 {
		t.Errorf("screens told of %d style changes, want 2 (background, NO_COLOR)", n)
	}
	h.send(tea.EnvMsg{"NO_COLOR="})
	if n := got[common.StylesChangedMsg](h.last("home")); n != 2 {
		t.Error("an unchanged NO_COLOR rebuilt the styles")
	}
}

type lightBg struct{}

func (lightBg) RGBA() (r, g, b, a uint32) { return 0xffff, 0xffff, 0xffff, 0xffff }

func TestUnknownUser(t *testing.T) {
	_, err := New(context.Background(), newEngine(t, true), "nobody", Options{})
	if err == nil || !strings.Contains(err.Error(), "nobody") {
		t.Errorf("err = %v", err)
	}
	_, err = New(context.Background(), newEngine(t, true), "", Options{})
	if err == nil {
		t.Error("no acting user accepted")
	}
}

// pump runs cmd and the commands its messages lead to, feeding every message to the root,
// until done reports true. Commands that wait (timers, the subscription) simply never
// answer; a generous deadline bounds a failure.
func (h *harness) pump(cmd tea.Cmd, done func() bool) {
	h.t.Helper()
	if h.msgs == nil {
		h.msgs = make(chan tea.Msg, 64)
	}
	msgs := h.msgs
	run := func(c tea.Cmd) {
		if c == nil {
			return
		}
		go func() { msgs <- c() }()
	}
	run(cmd)
	deadline := time.After(20 * time.Second)
	for !done() {
		select {
		case msg := <-msgs:
			if msg == nil {
				continue
			}
			if b, ok := msg.(tea.BatchMsg); ok {
				for _, c := range b {
					run(c)
				}
				continue
			}
			// tea.Sequence's message is a slice of commands too.
			if v := reflect.ValueOf(msg); v.Kind() == reflect.Slice && v.Type().Elem() == reflect.TypeFor[tea.Cmd]() {
				steps := make([]tea.Cmd, v.Len())
				for i := range steps {
					steps[i] = v.Index(i).Interface().(tea.Cmd)
				}
				go func() {
					for _, c := range steps {
						if c != nil {
							msgs <- c()
						}
					}
				}()
				continue
			}
			run(h.send(msg))
		case <-deadline:
			h.t.Fatalf("timed out; screen:\n%s", h.screen())
		}
	}
}

func TestFirstRunLoadsSampleOrg(t *testing.T) {
	eng := newEngine(t, false)
	h := newHarness(t, eng, "", Options{OSUser: "Robin"})
	h.send(tea.WindowSizeMsg{Width: 100, Height: 30})
	scr := h.screen()
	for _, want := range []string{"Welcome to pacer", "no users yet", "> ", "Load the sample org", "Start blank", "first run"} {
		if !strings.Contains(scr, want) {
			t.Errorf("first-run screen lacks %q:\n%s", want, scr)
		}
	}
	if strings.Contains(scr, "Work list") {
		t.Error("tabs shown before anyone acts")
	}
	h.send(press("2"))
	if h.count("worklist") != 0 {
		t.Error("2 opened the work list during the first run")
	}
	cmd := h.send(press("enter"))
	if !strings.Contains(h.screen(), "Loading the sample org") {
		t.Errorf("no progress shown:\n%s", h.screen())
	}
	h.pump(cmd, func() bool { return h.m.first == nil })
	if h.m.c.User.Username != "admin" || !h.m.c.User.Has(engine.RoleAdmin) {
		t.Errorf("acting as %+v", h.m.c.User)
	}
	if empty, _ := eng.Empty(context.Background()); empty {
		t.Error("the sample org was not loaded")
	}
	scr = h.screen()
	if !strings.Contains(scr, "screen home 100x26") || !strings.Contains(scr, "admin (admin)") || !strings.Contains(scr, "[1 Sequences]") {
		t.Errorf("not on the home grid as admin:\n%s", scr)
	}
	if h.last("home").inits != 1 {
		t.Error("home not started")
	}
	h.pump(nil, func() bool { return strings.Contains(h.screen(), "Loaded the sample org") })
}

func TestFirstRunStartBlank(t *testing.T) {
	eng := newEngine(t, false)
	h := newHarness(t, eng, "", Options{OSUser: "Robin.C"})
	h.send(tea.WindowSizeMsg{Width: 100, Height: 30})
	h.send(press("down"))
	if !strings.Contains(h.screen(), "> ") || !strings.Contains(h.screen(), "Start blank") {
		t.Fatal(h.screen())
	}
	cmd := h.send(press("enter"))
	h.pump(cmd, func() bool { return strings.Contains(h.screen(), "Display name") })
	if !h.m.active().CapturesInput() {
		t.Error("the form does not capture input")
	}
	if !strings.Contains(h.screen(), "robin.c") {
		t.Errorf("the OS user name is not suggested:\n%s", h.screen())
	}
	// q is typed into the form, not taken as quit. Clear the suggestion and type a bad name.
	var typing []tea.Msg
	for range len("robin.c") {
		typing = append(typing, tea.KeyPressMsg{Code: tea.KeyBackspace})
	}
	typing = append(typing, keys("Q", "!")...)
	if quits(h.send(typing...)) {
		t.Fatal("typing quit")
	}
	h.pump(h.send(press("enter")), func() bool { return strings.Contains(h.screen(), "lowercase letters") })
	if strings.Contains(h.screen(), "Display name") && h.m.firstRun().form.GetFocusedField().GetKey() != "username" {
		t.Fatal("a bad username was accepted")
	}
	typing = []tea.Msg{tea.KeyPressMsg{Code: tea.KeyBackspace}, tea.KeyPressMsg{Code: tea.KeyBackspace}}
	typing = append(typing, keys("q", "u", "i", "n", "n")...)
	h.send(typing...)
	h.pump(h.send(press("enter")), func() bool { return h.m.firstRun().form.GetFocusedField().GetKey() == "name" })
	h.send(keys("Q", "u", "i", "n", "n", " ", "Y")...)
	h.pump(h.send(press("enter")), func() bool { return h.m.firstRun().form.GetFocusedField().GetKey() == "email" })
	h.send(keys("q", "@", "e", "x", ".", "o", "r", "g")...)
	h.pump(h.send(press("enter")), func() bool { return h.m.first == nil })
	u := h.m.c.User
	if u.Username != "quinn" || u.Name != "Quinn Y" || u.Email != "q@ex.org" || !u.Has(engine.RoleAdmin) {
		t.Errorf("first admin = %+v", u)
	}
	if got, err := eng.Whoami(context.Background(), "quinn"); err != nil || !got.Has(engine.RoleAdmin) {
		t.Errorf("stored: %+v, %v", got, err)
	}
	if !strings.Contains(h.screen(), "quinn (admin)") || !strings.Contains(h.screen(), "screen home") {
		t.Errorf("not on the home grid as quinn:\n%s", h.screen())
	}
}

func TestFirstRunFormBackAndQuit(t *testing.T) {
	h := newHarness(t, newEngine(t, false), "", Options{})
	h.send(tea.WindowSizeMsg{Width: 100, Height: 30})
	h.pump(h.send(press("down"), press("enter")), func() bool { return h.m.firstRun().step == stepForm })
	h.send(press("esc"))
	if h.m.firstRun().step != stepChoose || !strings.Contains(h.screen(), "Load the sample org") {
		t.Errorf("esc did not go back to the choice:\n%s", h.screen())
	}
	if !quits(h.send(press("q"))) {
		t.Error("q does not quit the first-run screen")
	}
}

func TestSuggestUsername(t *testing.T) {
	for in, want := range map[string]string{"Robin": "robin", "DOMAIN\\Ana Lee": "domainanalee", "": "", "j.doe-2": "j.doe-2"} {
		if got := suggestUsername(in); got != want {
			t.Errorf("suggestUsername(%q) = %q, want %q", in, got, want)
		}
	}
}

// private is a message only its screen knows.
type private struct{ n int }

func TestCommandResultsReturnToTheirScreen(t *testing.T) {
	h := newHarness(t, newEngine(t, true), "admin", Options{})
	h.send(tea.WindowSizeMsg{Width: 100, Height: 30})
	h.send(press("2"), press("1"), common.OpenSequenceMsg{Name: "A"})
	home, work, seq := h.last("home"), h.last("worklist"), h.last("seq:A")

	// A result of the work list's command reaches the work list only, even unseen.
	h.send(press("2"))
	work.next = tea.Batch(func() tea.Msg { return private{1} }, func() tea.Msg { return private{2} })
	cmd := h.send(press("r"))
	h.send(press("1"))
	h.pump(cmd, func() bool { return got[private](work) == 2 })
	if got[private](home) != 0 || got[private](seq) != 0 {
		t.Error("a screen's result reached other screens")
	}

	// A sequence keeps its order and its tags.
	seq.next = tea.Sequence(func() tea.Msg { return private{3} }, func() tea.Msg { return private{4} })
	h.pump(h.send(press("r")), func() bool { return got[private](seq) == 2 })
	if p, ok := seq.msgs[len(seq.msgs)-1].(private); !ok || p.n != 4 {
		t.Errorf("sequence out of order: %v", seq.msgs)
	}

	// Root messages from a screen's command are the root's.
	seq.next = common.Status("saved A")
	h.pump(h.send(press("r")), func() bool { return strings.Contains(h.screen(), "saved A") })
	if got[common.StatusMsg](seq) != 0 {
		t.Error("the status went to the screen")
	}

	// Bubble Tea's own messages go to the program untouched.
	seq.next = tea.Quit
	if !quits(h.send(press("r"))) {
		t.Error("tea.Quit from a screen was wrapped")
	}

	// Back from a screen that is no longer on top closes nothing.
	work.next = func() tea.Msg { return common.BackMsg{} }
	h.send(press("2"))
	cmd = h.send(press("r"))
	h.send(common.OpenSequenceMsg{Name: "B"})
	msg := cmd()
	h.send(msg)
	if !strings.Contains(h.screen(), "screen seq:B") {
		t.Errorf("an old back closed the page on top:\n%s", h.screen())
	}
	// Back from the page on top closes it, whichever tab is shown.
	b := h.last("seq:B")
	b.next = func() tea.Msg { return common.BackMsg{} }
	cmd = h.send(press("r"))
	h.send(press("1"))
	h.send(cmd())
	h.send(press("2"))
	if !strings.Contains(h.screen(), "screen worklist") {
		t.Errorf("back from the page did not close it:\n%s", h.screen())
	}
	if !strings.Contains(h.screen(), "[2 Work list]") {
		t.Error("tab lost")
	}
	_ = home
}

// TestFullHelpThenNewTab: with the full help open, switching to a tab not yet built must
// build it (it used to read the new tab's empty stack while sizing it, and panic).
func TestFullHelpThenNewTab(t *testing.T) {
	h := newHarness(t, newEngine(t, true), "admin", Options{})
	h.send(tea.WindowSizeMsg{Width: 100, Height: 30})
	h.send(press("?"), press("2"))
	scr := h.screen()
	if !strings.Contains(scr, "[2 Work list]") || !strings.Contains(scr, "screen worklist") {
		t.Fatalf("2 with the full help open did not show the work list:\n%s", scr)
	}
	if !strings.Contains(scr, "more worklist") {
		t.Errorf("the full help does not show the new tab's keys:\n%s", scr)
	}
	wl := h.last("worklist")
	if _, hh := h.m.area(); wl.h != hh {
		t.Errorf("work list sized %d high, area is %d", wl.h, hh)
	}
}

// A long status message is wrapped onto a few lines, not cut at the terminal's edge; the
// screen's area gives way and the frame keeps its height.
func TestLongStatusWraps(t *testing.T) {
	h := newHarness(t, newEngine(t, true), "admin", Options{})
	h.send(tea.WindowSizeMsg{Width: 80, Height: 24})
	home := h.last("home")
	full := home.h
	words := strings.Repeat("problem ", 25) + "END"
	h.send(common.StatusMsg{Text: words, Err: true})
	scr := h.screen()
	if n := len(strings.Split(scr, "\n")); n != 24 {
		t.Fatalf("frame has %d lines", n)
	}
	flat := strings.Join(strings.Fields(scr), " ")
	if !strings.Contains(flat, strings.Join(strings.Fields(words), " ")) {
		t.Fatalf("the message is not shown in full:\n%s", scr)
	}
	if home.h >= full {
		t.Errorf("the screen area did not make room for the wrapped message: %d then %d", full, home.h)
	}
}

// wideHelpScreen has more keys than fit on the footer's line.
type wideHelpScreen struct{ testScreen }

func (s *wideHelpScreen) ShortHelp() []key.Binding {
	var bs []key.Binding
	for _, k := range []string{"↑/k up", "↓/j down", "c connect", "x disconnect", "r refresh", "tab/] next tab", "esc back", "enter open the record"} {
		kk, desc, _ := strings.Cut(k, " ")
		bs = append(bs, key.NewBinding(key.WithKeys(kk), key.WithHelp(kk, desc)))
	}
	return bs
}

// However many keys the screen has, the footer keeps "? all keys" and "q quit" at 80
// columns (the Connected records tab lost them).
func TestFooterKeepsTheGlobalKeys(t *testing.T) {
	h := newHarness(t, newEngine(t, true), "admin", Options{})
	h.send(tea.WindowSizeMsg{Width: 80, Height: 24})
	h.m.stacks[tabSequences][0].s = &wideHelpScreen{}
	lines := strings.Split(h.screen(), "\n")
	foot := lines[len(lines)-1]
	if !strings.Contains(foot, "? all keys") || !strings.Contains(foot, "q quit") {
		t.Fatalf("footer %q lost the global keys", foot)
	}
}
