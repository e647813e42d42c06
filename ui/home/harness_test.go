package home

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

// harness drives the home screen (uitest.Harness) with what this package's tests ask of it.
type harness struct{ *uitest.Harness }

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
	h := &harness{uitest.NewHarness(t, New(c), goesUp)}
	h.Send(tea.WindowSizeMsg{Width: 120, Height: 30})
	h.Run(h.S.Init())
	if !h.m().loaded {
		t.Fatalf("not loaded: %v", h.m().loadErr)
	}
	return h
}

// goesUp sends statuses and requests to open a sequence up to the root.
func goesUp(msg tea.Msg) bool {
	_, open := msg.(common.OpenSequenceMsg)
	return open || uitest.Statuses(msg)
}

func (h *harness) m() *Model { return h.S.(*Model) }

// opened lists the sequences the screen asked to open, in order.
func (h *harness) opened() []string {
	var out []string
	for _, msg := range h.Sent {
		if o, ok := msg.(common.OpenSequenceMsg); ok {
			out = append(out, o.Name)
		}
	}
	return out
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
	h.T.Helper()
	m := h.m()
	h.Press("g")
	for range m.grid.Visible() {
		if h.cursorName() == name {
			return
		}
		h.Press("j")
	}
	h.T.Fatalf("no row %q among %v", name, h.names())
}

// selectColumn selects the column with that title.
func (h *harness) selectColumn(title string) {
	h.T.Helper()
	for range 12 {
		h.Press("h")
	}
	for range h.m().grid.Columns() {
		if h.m().grid.SelectedColumn().Title == title {
			return
		}
		h.Press("l")
	}
	h.T.Fatalf("no column %q", title)
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
