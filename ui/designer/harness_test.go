package designer

import (
	"context"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/pacer-sales/pacer/engine"
	"github.com/pacer-sales/pacer/engine/sequence"
	"github.com/pacer-sales/pacer/store"
	"github.com/pacer-sales/pacer/store/bolt"
	"github.com/pacer-sales/pacer/ui/common"
	"github.com/pacer-sales/pacer/ui/uitest"
)

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// newEngine opens an engine over a real bbolt file with a pinned clock.
func newEngine(t *testing.T) *engine.Engine {
	t.Helper()
	db, err := bolt.Open(filepath.Join(t.TempDir(), "pacer.db"), bolt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return engine.New(db, engine.FixedClock(t0))
}

// newOrg is an engine with an admin, a manager, two sellers, templates and leads owned by sam.
func newOrg(t *testing.T) *engine.Engine {
	t.Helper()
	e := newEngine(t)
	ctx := context.Background()
	must(t, e.AddUser(ctx, "", store.User{Username: "ada", Roles: []store.Role{store.RoleAdmin}}))
	must(t, e.AddUser(ctx, "ada", store.User{Username: "max", Roles: []store.Role{store.RoleManager}}))
	must(t, e.AddUser(ctx, "ada", store.User{Username: "sam", Roles: []store.Role{store.RoleSeller}}))
	must(t, e.AddUser(ctx, "ada", store.User{Username: "sue", Roles: []store.Role{store.RoleSeller}}))
	must(t, e.AddTemplate(ctx, "ada", store.Template{Name: "intro", Kind: store.EmailTemplate, Subject: "Hello {{first_name}}", Body: "Hi"}))
	must(t, e.AddTemplate(ctx, "ada", store.Template{Name: "nudge", Kind: store.EmailTemplate, Subject: "Following up", Body: "Hi again"}))
	must(t, e.AddTemplate(ctx, "ada", store.Template{Name: "ping", Kind: store.SMSTemplate, Body: "Hi {{first_name}}"}))
	csv := "id,name,owner,email\nL-1,Ann Lee,sam,ann@example.com\nL-2,Bob Ray,sam,bob@example.com\nL-3,Cy Dee,sue,cy@example.com\n"
	if _, err := e.ImportRecords(ctx, "ada", "leads.csv", strings.NewReader(csv), "lead"); err != nil {
		t.Fatal(err)
	}
	return e
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// importSeq stores a sequence file, activated when asked.
func importSeq(t *testing.T, e *engine.Engine, yaml string, activate bool) {
	t.Helper()
	def, err := sequence.Parse([]byte(yaml), "test.yaml")
	must(t, err)
	_, err = e.ImportSequence(context.Background(), "ada", def, engine.SaveOptions{Activate: activate})
	must(t, err)
}

// harness drives the page (uitest.Harness) with what this package's tests ask of it;
// every message goes back to the page, statuses included (it shows them itself).
type harness struct {
	*uitest.Harness
	eng *engine.Engine
}

// open builds the page of name for user at a fixed size and loads it. It must run inside
// synctest.Test.
func open(t *testing.T, e *engine.Engine, user, name string, w, h int) *harness {
	t.Helper()
	u, err := e.Whoami(context.Background(), user)
	must(t, err)
	c := &common.Common{Ctx: context.Background(), Engine: e, User: u, Styles: common.NewStyles(common.DefaultTheme(true), true)}
	hs := &harness{uitest.NewHarness(t, New(c, name), nil), e}
	hs.Send(tea.WindowSizeMsg{Width: w, Height: h})
	hs.Run(hs.S.Init())
	return hs
}

// model is the page under test.
func (h *harness) model() *Model { return h.S.(*Model) }

// sawMsg reports whether the page was sent a message of the same type as want.
func (h *harness) sawMsg(want tea.Msg) bool {
	for _, m := range h.Given {
		if reflect.TypeOf(m) == reflect.TypeOf(want) {
			return true
		}
	}
	return false
}

// wantView fails unless the view contains every part.
func (h *harness) wantView(parts ...string) {
	h.T.Helper()
	v := h.View()
	for _, p := range parts {
		if !strings.Contains(v, p) {
			h.T.Fatalf("view lacks %q:\n%s", p, v)
		}
	}
}

// wantStatus fails unless the status line contains s.
func (h *harness) wantStatus(s string) {
	h.T.Helper()
	if m := h.model(); !strings.Contains(m.status, s) {
		h.T.Fatalf("status = %q, want it to contain %q", m.status, s)
	}
}

// cursorTo moves the tree cursor to the row with key k by pressing ↑/↓.
func (h *harness) cursorTo(k string) {
	h.T.Helper()
	m := h.model()
	want := -1
	for i, r := range m.rows {
		if r.key() == k {
			want = i
		}
	}
	if want < 0 {
		h.T.Fatalf("no row %q", k)
	}
	for m.cursor < want {
		h.Press("down")
	}
	for m.cursor > want {
		h.Press("up")
	}
}

// selectedKey is the key of the row under the cursor.
func (h *harness) selectedKey() string {
	m := h.model()
	return m.rows[m.cursor].key()
}

// stored reads the sequence back from the engine.
func (h *harness) stored(name string) engine.SequenceDetail {
	h.T.Helper()
	d, err := h.eng.Sequence(context.Background(), "ada", name)
	must(h.T, err)
	return d
}
