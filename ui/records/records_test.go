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
func org(t *testing.T) *engine.Engine { return orgAt(t, engine.FixedClock(monday)) }

// orgAt is org on the clock given.
func orgAt(t *testing.T, clock engine.Clock) *engine.Engine {
	db, err := bolt.Open(filepath.Join(t.TempDir(), "pacer.db"), bolt.Options{NoSync: true})
	must(t, err)
	t.Cleanup(func() { db.Close() })
	e := engine.New(db, clock)
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
	uitest.Drive(s.t, cmd, func(msg tea.Msg) tea.Cmd {
		var next tea.Cmd
		s.s, next = s.s.Update(msg)
		return next
	}, func(st common.StatusMsg) { s.status = append(s.status, st) })
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

// wantStatus fails unless the last footer message is a success holding text.
func (s *screen) wantStatus(text string) {
	s.t.Helper()
	if n := len(s.status); n == 0 || s.status[n-1].Err || !strings.Contains(s.status[n-1].Text, text) {
		s.t.Fatalf("status %+v, want a success with %q:\n%s", s.status, text, s.view())
	}
}

// wantFail fails unless the last footer message is an error holding text.
func (s *screen) wantFail(text string) {
	s.t.Helper()
	if n := len(s.status); n == 0 || !s.status[n-1].Err || !strings.Contains(s.status[n-1].Text, text) {
		s.t.Fatalf("status %+v, want an error with %q:\n%s", s.status, text, s.view())
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
	s := open(t, e, "sam", 100, 7) // pages of 4
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
	s.wantStatus("Skipped the wait of lead/L-3 in Nurture")
	s.want("at ☐ Wrap up")
	v, err := e.RecordDetail(ctx, "sam", "lead/L-3")
	must(t, err)
	if v.Connections[0].CurrentStep != "wrap" {
		t.Fatalf("at %q", v.Connections[0].CurrentStep)
	}
	// Nothing left to skip: it says so.
	s.keys("w")
	s.wantFail("lead/L-3 is not at a wait in any sequence")
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
	s.wantStatus("Connected 5 record(s) to Nurture")
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
	s.wantFail("Every marked record is already connected to Nurture")
}

// A refused bulk connect changes nothing and says why.
func TestBulkConnectAllOrNothing(t *testing.T) {
	e := org(t)
	ctx := context.Background()
	must(t, e.AddUser(ctx, "ada", store.User{Username: "sue", Roles: []store.Role{store.RoleSeller}}))
	s := open(t, e, "sue", 120, 30) // sue owns none of sam's leads
	s.keys("space", "space", "C", "enter", "y")
	s.wantFail("nothing connected")
	v, err := e.RecordDetail(ctx, "ada", "lead/L-1")
	must(t, err)
	if len(v.Connections) != 0 {
		t.Fatalf("half applied: %+v", v.Connections)
	}
}

// refs are the records shown, in order.
func (s *screen) refs() []string {
	var out []string
	for _, l := range strings.Split(s.view(), "\n") {
		for _, f := range strings.Fields(l) {
			if strings.HasPrefix(f, "L-") {
				out = append(out, "lead/"+f)
				break
			}
		}
	}
	return out
}

func (s *screen) wantRefs(want ...string) {
	s.t.Helper()
	if got := strings.Join(s.refs(), " "); got != strings.Join(want, " ") {
		s.t.Fatalf("records shown %q, want %q:\n%s", got, strings.Join(want, " "), s.view())
	}
}

// column selects the column with that title (from the first).
func (s *screen) column(title string) {
	s.t.Helper()
	s.keys("h", "h", "h", "h", "h", "h", "h", "h")
	for range 8 {
		if records.Column(s.s) == title {
			return
		}
		s.keys("l")
	}
	s.t.Fatalf("no column %q", title)
}

// Sort (the key and a header click), filters picked by value, a column hidden and one
// moved; the layout comes back on the next visit.
func TestSortFilterAndLayoutRemembered(t *testing.T) {
	e := org(t)
	ctx := context.Background()
	must(t, e.AddUser(ctx, "ada", store.User{Username: "sue", Roles: []store.Role{store.RoleSeller}}))
	_, err := e.SetRecord(ctx, "ada", "lead/L-2", map[string]string{"owner": "sue", "name": "zed Zulu"})
	must(t, err)
	_, err = e.Connect(ctx, "ada", "Nurture", []string{"lead/L-3", "lead/L-5"})
	must(t, err)
	s := open(t, e, "ada", 160, 30)
	s.wantRefs("lead/L-1", "lead/L-2", "lead/L-3", "lead/L-4", "lead/L-5", "lead/L-6")

	// Name, descending (s twice): "zed Zulu" first, case ignored.
	s.keys("l", "s", "s")
	s.want("sorted by Name, descending")
	s.wantRefs("lead/L-2", "lead/L-6", "lead/L-5", "lead/L-4", "lead/L-3", "lead/L-1")
	// A click on the Owner header sorts by owner: sam's before sue's.
	head := strings.Split(s.view(), "\n")[1]
	s.send(tea.MouseClickMsg{Button: tea.MouseLeft, X: strings.Index(head, "Owner"), Y: 1})
	s.want("sorted by Owner, ascending")
	s.wantRefs("lead/L-1", "lead/L-3", "lead/L-4", "lead/L-5", "lead/L-6", "lead/L-2")
	// Where it stands has no order in the store: s says so and the sort stays.
	s.column("Where it stands")
	s.keys("s")
	s.wantFail("Records don't sort by Where it stands")
	s.want("sorted by Owner, ascending")

	// Filter where it stands: waiting (the second value).
	s.keys("f")
	s.want("in a sequence", "waiting", "paused", "not connected")
	s.keys("down", "space", "enter")
	s.want("filters: Where it stands = waiting")
	s.wantRefs("lead/L-3", "lead/L-5")
	// And the owner: sam only (after "(no owner)" and ada).
	s.column("Owner")
	s.keys("f")
	s.want("(no owner)", "sue")
	s.keys("down", "down", "space", "enter")
	s.want("Owner = sam")
	s.wantRefs("lead/L-3", "lead/L-5")
	s.keys("f", "down", "down", "space", "down", "space", "enter") // sam off, sue on
	s.want("No lead record passes the filters. F clears them.")
	s.keys("F")
	s.wantStatus("Filters cleared")
	s.wantRefs("lead/L-1", "lead/L-3", "lead/L-4", "lead/L-5", "lead/L-6", "lead/L-2")
	s.column("Where it stands")
	s.keys("f", "down", "down", "space", "enter") // paused: none is
	s.want("filters: Where it stands = paused", "No lead record passes the filters")
	s.keys("f", "down", "space", "down", "space", "enter") // waiting on, paused off
	s.wantRefs("lead/L-3", "lead/L-5")

	// Hide Email, move Owner first.
	s.keys("o")
	s.want("Columns to show")
	s.keys("down", "down", "down", "down", "down", "space", "enter") // Email is sixth
	if strings.Contains(s.view(), "Email") {
		t.Fatalf("Email still shown:\n%s", s.view())
	}
	s.column("Owner")
	s.keys("<", "<")
	if head := strings.Fields(strings.Split(s.view(), "\n")[1]); head[0] != "Owner" {
		t.Fatalf("header after moving Owner first: %q", head)
	}

	// The next visit has it all back.
	s = open(t, e, "ada", 160, 30)
	s.want("sorted by Owner, ascending", "filters: Where it stands = waiting")
	s.wantRefs("lead/L-3", "lead/L-5")
	head = strings.Split(s.view(), "\n")[1]
	if f := strings.Fields(head); f[0] != "Owner" || strings.Contains(head, "Email") {
		t.Fatalf("layout not remembered: %q", head)
	}
	// Another user's layout is their own.
	s = open(t, e, "sam", 160, 30)
	s.want("sorted by Id, ascending", "Email")
}

// A seller edits a field of a record they own; a refused value keeps the prompt and what
// was typed with the reason; another's record is refused before anything is typed; only
// managers are offered the owner.
func TestEditFields(t *testing.T) {
	e := org(t)
	ctx := context.Background()
	must(t, e.AddUser(ctx, "ada", store.User{Username: "sue", Roles: []store.Role{store.RoleSeller}}))
	s := open(t, e, "sam", 120, 30)
	s.keys("enter", "e")
	s.want("Change a field of lead/L-1", "name", "stage", "+ a new field")
	if strings.Contains(s.view(), "owner") {
		t.Fatalf("a seller is offered the owner:\n%s", s.view())
	}
	s.keys("enter") // name
	s.want("name of lead/L-1", "Ana Lima")
	s.keys("ctrl+u")
	s.keys("enter")
	s.want("✗ lead/L-1: name can't be empty")
	s.typeText("Ana Silva")
	s.keys("enter")
	s.wantStatus("Saved name of lead/L-1")
	s.want("Ana Silva")
	// A new free field with a bad name: refused in the prompt, the text kept.
	s.keys("e", "G", "enter")
	s.typeText("Bad Name=1")
	s.keys("enter")
	s.want(`✗ lead/L-1: field name "Bad Name"`, "Bad Name=1")
	s.keys("ctrl+u")
	s.typeText("industry=retail")
	s.keys("enter")
	s.wantStatus("Saved industry of lead/L-1")
	s.want("industry", "retail")
	r, err := e.Record(ctx, "sam", "lead/L-1")
	must(t, err)
	if r.Name != "Ana Silva" || r.Fields["industry"] != "retail" {
		t.Fatalf("stored %+v", r)
	}

	// sue owns none of them.
	s = open(t, e, "sue", 120, 30)
	s.keys("enter", "e")
	s.wantFail("You can change only the records you own; lead/L-1 belongs to sam")
	// An admin changes the owner; an unknown one is refused.
	s = open(t, e, "ada", 120, 30)
	s.keys("enter", "e", "down", "enter")
	s.want("owner of lead/L-1")
	s.keys("ctrl+u")
	s.typeText("nobody")
	s.keys("enter")
	s.want(`owner "nobody" is not a user`)
	s.keys("ctrl+u")
	s.typeText("sue")
	s.keys("enter")
	s.wantStatus("Saved owner of lead/L-1")
	s.want("sue")
}

// Pause a record's connection from its view with a reason and a resume date: it shows as
// paused with both, in the view and the list, the paused filter finds it, r resumes it.
func TestPauseAndResume(t *testing.T) {
	e := org(t)
	ctx := context.Background()
	_, err := e.Connect(ctx, "ada", "Nurture", []string{"lead/L-3"})
	must(t, err)
	s := open(t, e, "sam", 160, 30)
	s.keys("down", "down", "enter", "r")
	s.wantFail("lead/L-3 is not paused in any sequence")
	s.keys("p")
	s.want("Why pause lead/L-3 in Nurture?")
	s.typeText("on holiday")
	s.keys("enter")
	s.want("Resume lead/L-3 in Nurture by itself at")
	s.typeText("last year")
	s.keys("enter")
	s.want(`✗ can't read "last year"`)
	s.keys("ctrl+u")
	s.typeText("2026-03-10 09:00")
	s.keys("enter")
	s.wantStatus("Paused lead/L-3 in Nurture until Tue Mar 10 09:00 UTC")
	s.want(
		"⏸ paused at ◷ Wait since Mon Mar 2 09:00 UTC · on holiday · by sam · resumes by itself Tue Mar 10 09:00 UTC (r resumes it)")
	s.keys("w")
	s.wantFail("lead/L-3 is not at a wait in any sequence")
	s.keys("p")
	s.wantFail("lead/L-3 has no running connection to pause")
	s.keys("esc")
	s.want("Nurture: ⏸ paused at Wait (on holiday) · resumes Tue Mar 10 09:00 UTC")
	s.column("Where it stands")
	s.keys("f", "down", "down", "space", "enter") // paused
	s.wantRefs("lead/L-3")
	s.keys("enter", "r")
	s.wantStatus("Resumed lead/L-3 in Nurture")
	s.want("at ◷ Wait · waiting until")
	v, err := e.RecordDetail(ctx, "sam", "lead/L-3")
	must(t, err)
	if v.Connections[0].Pause != nil {
		t.Fatalf("still paused: %+v", v.Connections[0].Pause)
	}
	s.keys("esc")
	s.want("No lead record passes the filters")
}

// The preview counts what stands when the sequence is chosen, not when the records were
// marked: a record connected elsewhere since is left out, and the connect goes through
// instead of being refused whole.
func TestBulkPreviewReadsStandingAgain(t *testing.T) {
	e := org(t)
	ctx := context.Background()
	s := open(t, e, "ada", 120, 30)
	s.keys("*")
	s.want("6 marked")
	// Someone connects two of the marked records from elsewhere.
	_, err := e.Connect(ctx, "sam", "Nurture", []string{"lead/L-2", "lead/L-5"})
	must(t, err)
	s.keys("C", "enter")
	s.want("Connect 4 record(s) to Nurture?", "6 record(s) marked; 2 already connected will be left out")
	s.keys("y")
	s.wantStatus("Connected 4 record(s) to Nurture")
	for i := 1; i <= 6; i++ {
		v, err := e.RecordDetail(ctx, "ada", fmt.Sprintf("lead/L-%d", i))
		must(t, err)
		if len(v.Connections) != 1 || v.Connections[0].State != "active" {
			t.Fatalf("lead/L-%d: %+v", i, v.Connections)
		}
	}
	// A record disconnected since it was marked is counted back in.
	s.keys("*")
	must(t, e.Disconnect(ctx, "ada", "Nurture", []string{"lead/L-3"}))
	s.keys("C", "enter")
	s.want("Connect 1 record(s) to Nurture?", "6 record(s) marked; 5 already connected will be left out")
}

// From the record view: c picks an active sequence of its type and connects the record;
// x asks before disconnecting it (n keeps it), y disconnects it with its history kept.
func TestRecordViewConnectAndDisconnect(t *testing.T) {
	e := org(t)
	ctx := context.Background()
	def, err := sequence.Parse([]byte("name: Other\nsteps:\n  - type: task\n    id: call\n    name: Call\n"), "o.yaml")
	must(t, err)
	_, err = e.ImportSequence(ctx, "ada", def, engine.SaveOptions{Activate: true})
	must(t, err)
	s := open(t, e, "sam", 160, 30)
	s.keys("enter")
	s.want("Ana Lima", "Not connected to any sequence")
	s.keys("x")
	s.wantFail("lead/L-1 is not active in any sequence")
	s.keys("c")
	s.want("Connect lead/L-1 to", "Nurture", "Other")
	s.keys("esc")
	s.want("Not connected to any sequence")
	s.keys("c", "down", "enter") // Other
	s.wantStatus("Connected lead/L-1 to Other")
	s.want("◆ Other (v1) · active · at ☐ Call", "step entered · call")
	v, err := e.RecordDetail(ctx, "sam", "lead/L-1")
	must(t, err)
	if len(v.Connections) != 1 || v.Connections[0].Sequence != "Other" || v.Connections[0].State != "active" {
		t.Fatalf("after connect: %+v", v.Connections)
	}
	// Connected again to the same sequence: refused, said once.
	s.keys("c", "down", "enter")
	s.wantFail(`nothing connected:`)
	if st := s.status[len(s.status)-1].Text; strings.Count(st, "nothing connected") != 1 || !strings.Contains(st, `lead/L-1 is already connected to "Other"`) {
		t.Fatalf("refusal %q", st)
	}
	s.keys("x")
	s.want("Disconnect Ana Lima from", "Other", "at Call")
	s.keys("enter")
	s.want("Disconnect lead/L-1 from Other?", "Its open tasks close and its history is kept.")
	s.keys("n")
	s.want("◆ Other (v1) · active")
	s.keys("x", "enter", "y")
	s.wantStatus("Disconnected lead/L-1 from Other")
	s.want("◆ Other (v1) · disconnected", "step entered · call")
	v, err = e.RecordDetail(ctx, "sam", "lead/L-1")
	must(t, err)
	if len(v.Connections) != 1 || v.Connections[0].State == "active" {
		t.Fatalf("after disconnect: %+v", v.Connections)
	}
	tasks, err := e.Tasks(ctx, "sam", engine.TaskQuery{User: "sam"})
	must(t, err)
	if len(tasks) != 0 {
		t.Fatalf("open tasks after disconnect: %+v", tasks)
	}
}

// Days in step show for every active connection — at a task, waiting and paused — in the
// list and in the record view.
func TestDaysInStep(t *testing.T) {
	clock := engine.NewManualClock(monday)
	e := orgAt(t, clock)
	ctx := context.Background()
	def, err := sequence.Parse([]byte("name: Calls\nsteps:\n  - type: task\n    id: call\n    name: Call\n"), "c.yaml")
	must(t, err)
	_, err = e.ImportSequence(ctx, "ada", def, engine.SaveOptions{Activate: true})
	must(t, err)
	_, err = e.Connect(ctx, "ada", "Nurture", []string{"lead/L-1", "lead/L-2"})
	must(t, err)
	_, err = e.Connect(ctx, "ada", "Calls", []string{"lead/L-3"})
	must(t, err)
	_, err = e.Pause(ctx, "ada", "Nurture", engine.Targets{Refs: []string{"lead/L-2"}}, "on holiday", time.Time{})
	must(t, err)
	clock.Advance(36 * time.Hour)
	s := open(t, e, "sam", 200, 30)
	s.want("Nurture: ◷ Wait · waiting until Thu Mar 5 09:00 UTC · 1.5 d in step",
		"Nurture: ⏸ paused at Wait (on holiday) · 1.5 d in step",
		"Calls: ☐ Call · active · 1.5 d in step")
	s.keys("enter")
	s.want("◆ Nurture (v1) · active · at ◷ Wait · waiting until Thu Mar 5 09:00 UTC (w skips it) · 1.5 d in step")
	s.keys("esc", "down", "enter")
	s.want("(r resumes it) · 1.5 d in step")
	s.keys("esc", "down", "enter")
	s.want("◆ Calls (v1) · active · at ☐ Call · 1.5 d in step")
}

// A screen that grows while its page is loading reads the page again when the short one
// arrives, so the rows fill the taller screen instead of the load being thrown away.
func TestGrowWhileLoadingRefills(t *testing.T) {
	e := org(t)
	s := open(t, e, "sam", 100, 7) // pages of 4
	s.want("Ana Lima", "Di Evans")
	// A change elsewhere reloads the page; the screen grows before the page arrives.
	var cmd tea.Cmd
	s.s, cmd = s.s.Update(common.ChangedMsg{})
	var page tea.Msg
	for queue := []tea.Cmd{cmd}; len(queue) > 0 && page == nil; {
		c := queue[0]
		queue = queue[1:]
		if c == nil {
			continue
		}
		switch msg := c().(type) {
		case tea.BatchMsg:
			queue = append(queue, msg...)
		default:
			if records.IsPage(msg) {
				page = msg
			}
		}
	}
	if page == nil {
		t.Fatal("a change loads no page")
	}
	s.s.SetSize(100, 12)
	s.send(page)
	s.want("Ana Lima", "Flo Gray", "6 on this page")
}

// TestEmptyWhileLoadingSaysSearching: between a filter picked and its page, an empty grid
// says it is searching, not that no record passes (the page may yet bring some).
func TestEmptyWhileLoadingSaysSearching(t *testing.T) {
	e := org(t)
	_, err := e.Connect(context.Background(), "ada", "Nurture", []string{"lead/L-3"})
	must(t, err)
	s := open(t, e, "ada", 160, 30)
	s.column("Where it stands")
	s.keys("f", "down", "space")
	var cmd tea.Cmd
	s.s, cmd = s.s.Update(uitest.Key("enter"))
	if v := s.view(); strings.Contains(v, "passes the filters") || !strings.Contains(v, "Searching…") {
		t.Fatalf("before the filtered page arrives:\n%s", v)
	}
	s.run(cmd)
	s.want("filters: Where it stands = waiting")
	s.wantRefs("lead/L-3")
}
