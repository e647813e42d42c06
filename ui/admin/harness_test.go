package admin

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

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

// harness drives the admin screen (uitest.Harness) with what this package's tests ask of it.
type harness struct {
	*uitest.Harness
	e *engine.Engine
}

// screenFor builds the admin screen of a user at 120×30 and runs its first load.
func screenFor(t *testing.T, e *engine.Engine, user string) *harness {
	t.Helper()
	u, err := e.Whoami(context.Background(), user)
	if err != nil {
		t.Fatal(err)
	}
	c := &common.Common{Ctx: context.Background(), Engine: e, User: u, Styles: common.NewStyles(common.DefaultTheme(true), false)}
	h := &harness{uitest.NewHarness(t, New(c), uitest.Statuses), e}
	h.Send(tea.WindowSizeMsg{Width: 120, Height: 30})
	h.S.SetSize(120, 30)
	h.Run(h.S.Init())
	if !h.m().loaded || h.m().loadErr != nil {
		t.Fatalf("not loaded: %v", h.m().loadErr)
	}
	return h
}

func (h *harness) m() *Model { return h.S.(*Model) }

// wantStatus fails unless the last status is a success containing part.
func (h *harness) wantStatus(part string) {
	h.T.Helper()
	if st := h.LastStatus(); st.Err || !strings.Contains(st.Text, part) {
		h.T.Fatalf("status = %+v, want success with %q", st, part)
	}
}

// section shows section s.
func (h *harness) section(s section) {
	for h.m().sec != s {
		h.Press("tab")
	}
}

// selectRow puts the grid's cursor on the row id.
func (h *harness) selectRow(id string) {
	h.T.Helper()
	if !h.m().grids[h.m().sec].Select(id) {
		h.T.Fatalf("no row %q in %s", id, sectionNames[h.m().sec])
	}
}

// choose moves the open picker's cursor to the item labelled label and presses enter.
func (h *harness) choose(label string) {
	h.T.Helper()
	p := h.picker()
	p.Update(uitest.Key("home"))
	for range len(p.Items()) + 1 {
		if it, ok := p.Selected(); ok && it.Label == label {
			h.Press("enter")
			return
		}
		p.Update(uitest.Key("down"))
	}
	h.T.Fatalf("picker %q has no item %q", p.Title, label)
}

// picker is the open picker (the screen's or the editor's).
func (h *harness) picker() *dialog.Picker {
	h.T.Helper()
	m := h.m()
	switch {
	case m.dlg != nil && m.dlg.picker != nil:
		return m.dlg.picker
	case m.edit != nil && m.edit.picker != nil:
		return m.edit.picker
	}
	h.T.Fatalf("no picker open:\n%s", h.View())
	return nil
}
