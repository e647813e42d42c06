package home

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/pacer-sales/pacer/engine"
	"github.com/pacer-sales/pacer/engine/demo"
	"github.com/pacer-sales/pacer/store/bolt"
	"github.com/pacer-sales/pacer/ui/common"
	"github.com/pacer-sales/pacer/ui/uitest"
)

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

const (
	admin   = demo.AdminUser
	manager = demo.ManagerUser
	seller  = "sam.okafor"
)

// demoEngine opens an engine over a real bbolt file with a pinned clock and loads the
// sample org: six active sequences owned by the admin.
func demoEngine(t *testing.T) *engine.Engine {
	t.Helper()
	db, err := bolt.Open(filepath.Join(t.TempDir(), "pacer.db"), bolt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	e := engine.New(db, engine.FixedClock(t0))
	if _, err := e.LoadDemo(context.Background()); err != nil {
		t.Fatal(err)
	}
	return e
}

// harness drives a screen as the program would: every command runs in its own goroutine;
// what it returns is fed back to the screen. It runs inside a synctest bubble, so commands
// that wait on time (a text cursor's blink) are simply left waiting, without sleeping.
type harness struct {
	t        *testing.T
	s        common.Screen
	statuses []common.StatusMsg
	opened   []string
	// waiting are commands still waiting on time when last looked at.
	waiting []chan tea.Msg
}

// screenFor builds the home screen of a user at 120×30 and runs its first load.
func screenFor(t *testing.T, e *engine.Engine, user string) *harness {
	t.Helper()
	u, err := e.Whoami(context.Background(), user)
	if err != nil {
		t.Fatal(err)
	}
	c := &common.Common{
		Ctx:    context.Background(),
		Engine: e,
		User:   u,
		Styles: common.NewStyles(common.DefaultTheme(true), false),
	}
	h := &harness{t: t, s: New(c)}
	t.Cleanup(h.drain)
	h.send(tea.WindowSizeMsg{Width: 120, Height: 30})
	h.run(h.s.Init())
	if !h.m().loaded {
		t.Fatalf("not loaded: %v", h.m().loadErr)
	}
	return h
}

func (h *harness) m() *Model { return h.s.(*Model) }

// run executes a command and everything it leads to.
func (h *harness) run(cmd tea.Cmd) {
	if cmd == nil {
		return
	}
	out := make(chan tea.Msg, 1)
	go func() { out <- cmd() }()
	synctest.Wait()
	select {
	case msg := <-out:
		h.handle(msg)
	default:
		// Still waiting on time: a cursor blink. Left behind, drained at the end.
		h.waiting = append(h.waiting, out)
	}
}

// drain lets the commands left waiting finish: while the test waits on them the bubble's
// clock moves on at once. Their messages are dropped.
func (h *harness) drain() {
	for _, c := range h.waiting {
		<-c
	}
	h.waiting = nil
}

func (h *harness) handle(msg tea.Msg) {
	if cmds, ok := uitest.Commands(msg); ok {
		for _, c := range cmds {
			h.run(c)
		}
		return
	}
	switch msg := msg.(type) {
	case nil:
	case common.StatusMsg:
		h.statuses = append(h.statuses, msg)
	case common.OpenSequenceMsg:
		h.opened = append(h.opened, msg.Name)
	default:
		h.send(msg)
	}
}

// send delivers a message to the screen and runs what it returns.
func (h *harness) send(msg tea.Msg) {
	s, cmd := h.s.Update(msg)
	h.s = s
	h.run(cmd)
}

// press sends key presses: names like "enter", "esc", "up", "space", "ctrl+u", or single
// characters.
func (h *harness) press(keys ...string) {
	for _, k := range keys {
		h.send(uitest.Key(k))
	}
}

// typeText types each character of s.
func (h *harness) typeText(s string) {
	for _, r := range s {
		h.send(tea.KeyPressMsg{Code: r, Text: string(r)})
	}
}

// view is the screen as plain text.
func (h *harness) view() string { return ansi.Strip(h.s.View()) }

// lastStatus is the last footer message.
func (h *harness) lastStatus() common.StatusMsg {
	if len(h.statuses) == 0 {
		return common.StatusMsg{}
	}
	return h.statuses[len(h.statuses)-1]
}

// names lists the shown sequences' names in order.
func (h *harness) names() []string {
	m := h.m()
	var out []string
	for _, r := range m.grid.Visible() {
		out = append(out, m.set.rows[r].Name)
	}
	return out
}

// cursorName is the name of the sequence under the cursor.
func (h *harness) cursorName() string {
	r, ok := h.m().selected()
	if !ok {
		return ""
	}
	return r.Name
}

// selectName moves the cursor to the sequence of that name.
func (h *harness) selectName(name string) {
	h.t.Helper()
	m := h.m()
	h.press("g")
	for range m.grid.Visible() {
		if h.cursorName() == name {
			return
		}
		h.press("j")
	}
	h.t.Fatalf("no row %q among %v", name, h.names())
}

// selectColumn selects the column with that title.
func (h *harness) selectColumn(title string) {
	h.t.Helper()
	for range 12 {
		h.press("h")
	}
	for range h.m().grid.Columns() {
		if h.m().grid.SelectedColumn().Title == title {
			return
		}
		h.press("l")
	}
	h.t.Fatalf("no column %q", title)
}

// row returns the engine row of a sequence by name.
func (h *harness) row(name string) (engine.SeqRow, bool) {
	for _, r := range h.m().set.rows {
		if strings.EqualFold(r.Name, name) {
			return r, true
		}
	}
	return engine.SeqRow{}, false
}

// changed is what the root sends when the engine's data changed.
func changed() tea.Msg { return common.ChangedMsg{} }
