package admin

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
	"github.com/pacer-sales/pacer/ui/components/dialog"
	"github.com/pacer-sales/pacer/ui/uitest"
)

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

const (
	admin   = demo.AdminUser
	manager = demo.ManagerUser
	seller  = "sam.okafor"
)

// demoEngine opens an engine over a real bbolt file with a pinned clock and loads the
// sample org.
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

// harness drives the screen as the program would: every command runs in its own
// goroutine and what it returns is fed back. It runs inside a synctest bubble, so commands
// waiting on time (a cursor blink) are left waiting without sleeping.
type harness struct {
	t        *testing.T
	e        *engine.Engine
	s        common.Screen
	statuses []common.StatusMsg
	waiting  []chan tea.Msg
}

func screenFor(t *testing.T, e *engine.Engine, user string) *harness {
	t.Helper()
	u, err := e.Whoami(context.Background(), user)
	if err != nil {
		t.Fatal(err)
	}
	c := &common.Common{Ctx: context.Background(), Engine: e, User: u, Styles: common.NewStyles(common.DefaultTheme(true), false)}
	h := &harness{t: t, e: e, s: New(c)}
	t.Cleanup(h.drain)
	h.send(tea.WindowSizeMsg{Width: 120, Height: 30})
	h.s.SetSize(120, 30)
	h.run(h.s.Init())
	if !h.m().loaded || h.m().loadErr != nil {
		t.Fatalf("not loaded: %v", h.m().loadErr)
	}
	return h
}

func (h *harness) m() *Model { return h.s.(*Model) }

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
		h.waiting = append(h.waiting, out)
	}
}

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
	default:
		h.send(msg)
	}
}

func (h *harness) send(msg tea.Msg) {
	s, cmd := h.s.Update(msg)
	h.s = s
	h.run(cmd)
}

func (h *harness) press(keys ...string) {
	for _, k := range keys {
		h.send(uitest.Key(k))
	}
}

func (h *harness) typeText(s string) {
	for _, r := range s {
		h.send(tea.KeyPressMsg{Code: r, Text: string(r)})
	}
}

func (h *harness) view() string { return ansi.Strip(h.s.View()) }

func (h *harness) lastStatus() common.StatusMsg {
	if len(h.statuses) == 0 {
		return common.StatusMsg{}
	}
	return h.statuses[len(h.statuses)-1]
}

// wantStatus fails unless the last status is a success containing part.
func (h *harness) wantStatus(part string) {
	h.t.Helper()
	if st := h.lastStatus(); st.Err || !strings.Contains(st.Text, part) {
		h.t.Fatalf("status = %+v, want success with %q", st, part)
	}
}

// section shows section s.
func (h *harness) section(s section) {
	for h.m().sec != s {
		h.press("tab")
	}
}

// selectRow puts the grid's cursor on the row id.
func (h *harness) selectRow(id string) {
	h.t.Helper()
	if !h.m().grids[h.m().sec].Select(id) {
		h.t.Fatalf("no row %q in %s", id, sectionNames[h.m().sec])
	}
}

// choose moves the open picker's cursor to the item labelled label and presses enter.
func (h *harness) choose(label string) {
	h.t.Helper()
	p := h.picker()
	p.Update(uitest.Key("home"))
	for range len(p.Items()) + 1 {
		if it, ok := p.Selected(); ok && it.Label == label {
			h.press("enter")
			return
		}
		p.Update(uitest.Key("down"))
	}
	h.t.Fatalf("picker %q has no item %q", p.Title, label)
}

// picker is the open picker (the screen's or the editor's).
func (h *harness) picker() *dialog.Picker {
	h.t.Helper()
	m := h.m()
	switch {
	case m.dlg != nil && m.dlg.picker != nil:
		return m.dlg.picker
	case m.edit != nil && m.edit.picker != nil:
		return m.edit.picker
	}
	h.t.Fatalf("no picker open:\n%s", h.view())
	return nil
}
