package records_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/pacer-sales/pacer/engine"
	"github.com/pacer-sales/pacer/engine/sequence"
	"github.com/pacer-sales/pacer/store"
	"github.com/pacer-sales/pacer/store/bolt"
	"github.com/pacer-sales/pacer/ui/common"
	"github.com/pacer-sales/pacer/ui/records"
	"github.com/pacer-sales/pacer/ui/uitest"
)

var monday = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// org is an admin, a seller (sam) owning six leads, and an active sequence that waits.
func org(t *testing.T) *engine.Engine {
	db, err := bolt.Open(filepath.Join(t.TempDir(), "pacer.db"), bolt.Options{NoSync: true})
	must(t, err)
	t.Cleanup(func() { db.Close() })
	e := engine.New(db, engine.FixedClock(monday))
	ctx := context.Background()
	must(t, e.AddUser(ctx, "", store.User{Username: "ada", Roles: []store.Role{store.RoleAdmin}}))
	must(t, e.AddUser(ctx, "ada", store.User{Username: "sam", Roles: []store.Role{store.RoleSeller}}))
	csv := "id,name,owner,email\n"
	for i, n := range []string{"Ana Lima", "Bo Chen", "Cy Diaz", "Di Evans", "Ed Fox", "Flo Gray"} {
		csv += fmt.Sprintf("L-%d,%s,sam,%s@example.com\n", i+1, n, strings.ToLower(strings.Fields(n)[0]))
	}
	_, err = e.ImportRecords(ctx, "ada", "leads.csv", strings.NewReader(csv), "lead")
	must(t, err)
	def, err := sequence.Parse([]byte(`
name: Nurture
steps:
  - type: wait
    id: pause
    duration: 3d
  - type: task
    id: wrap
    name: Wrap up
`), "t.yaml")
	must(t, err)
	_, err = e.ImportSequence(ctx, "ada", def, engine.SaveOptions{Activate: true})
	must(t, err)
	return e
}

type screen struct {
	t      *testing.T
	s      common.Screen
	status []common.StatusMsg
}

func open(t *testing.T, e *engine.Engine, user string, w, h int) *screen {
	u, err := e.Whoami(context.Background(), user)
	must(t, err)
	c := &common.Common{Ctx: context.Background(), Engine: e, User: u, Styles: common.NewStyles(common.DefaultTheme(true), true), Width: w, Height: h}
	s := &screen{t: t, s: records.New(c)}
	s.send(tea.WindowSizeMsg{Width: w, Height: h})
	s.s.SetSize(w, h)
	s.run(s.s.Init())
	return s
}

func (s *screen) send(msg tea.Msg) {
	var cmd tea.Cmd
	s.s, cmd = s.s.Update(msg)
	s.run(cmd)
}

func (s *screen) run(cmd tea.Cmd) {
	queue := []tea.Cmd{cmd}
	for n := 0; len(queue) > 0; n++ {
		if n > 1000 {
			s.t.Fatal("commands never settle")
		}
		c := queue[0]
		queue = queue[1:]
		if c == nil {
			continue
		}
		switch msg := c().(type) {
		case nil:
		case tea.BatchMsg:
			queue = append(queue, msg...)
		case common.StatusMsg:
			s.status = append(s.status, msg)
		default:
			var next tea.Cmd
			s.s, next = s.s.Update(msg)
			queue = append(queue, next)
		}
	}
}

func (s *screen) keys(ks ...string) {
	for _, k := range ks {
		s.send(uitest.Key(k))
	}
}

func (s *screen) typeText(text string) {
	for _, r := range text {
		s.send(tea.KeyPressMsg{Code: r, Text: string(r)})
	}
}

func (s *screen) view() string { return ansi.Strip(s.s.View()) }

func (s *screen) want(parts ...string) {
	s.t.Helper()
	v := s.view()
	for _, p := range parts {
		if !strings.Contains(v, p) {
			s.t.Fatalf("view lacks %q:\n%s", p, v)
		}
	}
}

// at is the record under the cursor.
func (s *screen) at() string { return records.Selected(s.s) }

// wantAt fails unless the cursor is on ref.
func (s *screen) wantAt(ref string) {
	s.t.Helper()
	if got := s.at(); got != ref {
		s.t.Fatalf("cursor on %q, want %q:\n%s", got, ref, s.view())
	}
}

func TestPagesAndSearch(t *testing.T) {
	e := org(t)
	s := open(t, e, "sam", 100, 8) // pages of 4
	s.want("Records · lead", "page 1", "Ana Lima", "Di Evans", "4 on this page", "next page")
	s.wantAt("lead/L-1")
	if strings.Contains(s.view(), "Ed Fox") {
		t.Fatalf("page 1 holds more than fits:\n%s", s.view())
	}
	s.keys("down", "down", "down", "down") // past the last row: the next page
	s.want("page 2", "Ed Fox", "Flo Gray", "end of the list")
	s.wantAt("lead/L-5")
	s.keys("up") // before the first row: back to page 1, on its last row
	s.want("page 1")
	s.wantAt("lead/L-4")
	s.keys("/")
	if !s.s.CapturesInput() {
		t.Fatal("the search does not take the keys")
	}
	s.typeText("FLO@")
	s.keys("enter")
	s.want(`search "FLO@"`, "Flo Gray")
	if strings.Contains(s.view(), "Ana Lima") {
		t.Fatalf("search kept others:\n%s", s.view())
	}
	s.keys("esc")
	s.want("Ana Lima", "page 1")
}

// A seller finds a waiting record, opens it and skips its wait.
func TestRecordViewSkipsTheWait(t *testing.T) {
	e := org(t)
	ctx := context.Background()
	_, err := e.Connect(ctx, "ada", "Nurture", []string{"lead/L-3"})
	must(t, err)
	s := open(t, e, "sam", 160, 30)
	s.want("Nurture: ◷ Wait · waiting until Thu Mar 5 09:00 UTC")
	s.keys("down", "down", "enter")
	s.want("Cy Diaz", "lead/L-3", "email", "cy@example.com", "◆ Nurture (v1) · active · at ◷ Wait", "(w skips it)", "step entered · pause")
	s.keys("w")
	s.want("✓ Skipped the wait of lead/L-3 in Nurture", "at ☐ Wrap up")
	v, err := e.RecordDetail(ctx, "sam", "lead/L-3")
	must(t, err)
	if v.Connections[0].CurrentStep != "wrap" {
		t.Fatalf("at %q", v.Connections[0].CurrentStep)
	}
	// Nothing left to skip: it says so.
	s.keys("w")
	s.want("✗ lead/L-3 is not at a wait in any sequence")
	s.keys("esc")
	s.want("Records · lead")
}

// Marks, then a bulk connect with its preview: the records already connected are left
// out, the rest connect all at once.
func TestBulkConnectWithPreview(t *testing.T) {
	e := org(t)
	ctx := context.Background()
	_, err := e.Connect(ctx, "ada", "Nurture", []string{"lead/L-2"})
	must(t, err)
	s := open(t, e, "ada", 120, 30)
	s.keys("/")
	s.typeText("example.com")
	s.keys("enter", "*")
	s.want("6 marked")
	s.keys("C")
	s.want("Connect 6 marked record(s) to", "Nurture")
	s.keys("enter")
	s.want("Connect 5 record(s) to Nurture?", "6 record(s) marked; 1 already connected will be left out")
	s.keys("y")
	s.want("✓ Connected 5 record(s) to Nurture")
	if strings.Contains(s.view(), "marked") {
		t.Fatalf("marks kept after the connect:\n%s", s.view())
	}
	for i := 1; i <= 6; i++ {
		v, err := e.RecordDetail(ctx, "ada", fmt.Sprintf("lead/L-%d", i))
		must(t, err)
		if len(v.Connections) != 1 || v.Connections[0].State != "active" {
			t.Fatalf("lead/L-%d: %+v", i, v.Connections)
		}
	}
	// Marking one by one, then connecting records that are all connected already.
	s.keys("esc", "space")
	s.keys("C", "enter")
	s.want("✗ Every marked record is already connected to Nurture")
}

// A refused bulk connect changes nothing and says why.
func TestBulkConnectAllOrNothing(t *testing.T) {
	e := org(t)
	ctx := context.Background()
	must(t, e.AddUser(ctx, "ada", store.User{Username: "sue", Roles: []store.Role{store.RoleSeller}}))
	s := open(t, e, "sue", 120, 30) // sue owns none of sam's leads
	s.keys("space", "space", "C", "enter", "y")
	s.want("✗ nothing connected")
	v, err := e.RecordDetail(ctx, "ada", "lead/L-1")
	must(t, err)
	if len(v.Connections) != 0 {
		t.Fatalf("half applied: %+v", v.Connections)
	}
}
