package console_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/pacer-sales/pacer/engine"
	"github.com/pacer-sales/pacer/engine/sequence"
	"github.com/pacer-sales/pacer/store/bolt"
	"github.com/pacer-sales/pacer/ui/common"
	"github.com/pacer-sales/pacer/ui/console"
	"github.com/pacer-sales/pacer/ui/uitest"
)

// world is an org on a real bbolt file with a manual clock: an admin, a manager, two sellers
// (sam in Los Angeles, sue in UTC) who share the owner team west, and a few leads and an
// account.
type world struct {
	t     testing.TB
	ctx   context.Context
	e     *engine.Engine
	clock *engine.ManualClock
	db    *bolt.DB
}

// monday is 2026-03-02 17:00 UTC (09:00 in Los Angeles), a Monday.
var monday = time.Date(2026, 3, 2, 17, 0, 0, 0, time.UTC)

func newWorld(t testing.TB) *world {
	t.Helper()
	db, err := bolt.Open(filepath.Join(t.TempDir(), "pacer.db"), bolt.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	w := &world{t: t, ctx: context.Background(), clock: engine.NewManualClock(monday), db: db}
	w.e = engine.New(db, w.clock)
	must(t, w.e.AddUser(w.ctx, "", engine.User{Username: "ada", Name: "Ada Admin", Roles: []engine.Role{engine.RoleAdmin}, Email: "ada@example.com"}))
	for _, u := range []engine.User{
		{Username: "max", Name: "Max Manager", Roles: []engine.Role{engine.RoleManager}, Email: "max@example.com"},
		{Username: "sam", Name: "Sam Okafor", Roles: []engine.Role{engine.RoleSeller}, Email: "sam@example.com", TimeZone: "America/Los_Angeles"},
		{Username: "sue", Name: "Sue Lin", Roles: []engine.Role{engine.RoleSeller}, Email: "sue@example.com", TimeZone: "UTC"},
	} {
		must(t, w.e.AddUser(w.ctx, "ada", u))
	}
	must(t, w.e.AddTeam(w.ctx, "ada", engine.Team{Name: "west", Type: "owner", Members: []engine.Member{{Username: "sam"}, {Username: "sue"}}}))
	must(t, w.e.AddTemplate(w.ctx, "ada", engine.Template{Name: "intro", Subject: "Hello {{first_name}}", Body: "Hi {{name}}, {{owner.name}} here."}))
	csv := "id,name,owner,stage,email,phone,score\n" +
		"L-1,Ana Lima,sam,new,ana@example.com,+1 555 0101,10\n" +
		"L-2,Bo Chen,team:west,new,bo@example.com,,50\n" +
		"L-3,Cy Diaz,sue,new,cy@example.com,,90\n" +
		"L-4,Di Evans,sam,new,di@example.com,,20\n"
	_, err = w.e.ImportRecords(w.ctx, "max", "leads.csv", strings.NewReader(csv), "lead")
	must(t, err)
	_, err = w.e.ImportRecords(w.ctx, "max", "accounts.csv", strings.NewReader("id,name,owner,email\nA-1,Acme,sam,buy@acme.example\n"), "account")
	must(t, err)
	return w
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// The sequences of the tests.
const (
	callsSeq = `
name: Calls
steps:
  - type: call
    id: first-call
    name: Intro call
  - type: condition
    id: reached
    if: call_outcome
    outcomes: [connected]
    yes:
      - type: task
        id: book
        name: Book a meeting
    no:
      - type: wait
        id: pause
        duration: 2d
      - type: email
        id: follow
        name: Follow-up email
        template: intro
`
	mailsSeq = `
name: Mails
steps:
  - type: email
    id: hello
    name: Hello email
    template: intro
  - type: task
    id: wrap
    name: Wrap up
`
	accountsSeq = `
name: Accounts
entity: account
steps:
  - type: task
    id: review
    name: Review account
`
)

func (w *world) sequence(src string) string {
	w.t.Helper()
	def, err := sequence.Parse([]byte(src), "test.yaml")
	must(w.t, err)
	_, err = w.e.ImportSequence(w.ctx, "max", def, engine.SaveOptions{Activate: true})
	must(w.t, err)
	return def.Name
}

// connectAt connects records with the clock at t (so their first tasks are due then), and
// puts the clock back.
func (w *world) connectAt(t time.Time, seq string, refs ...string) {
	w.t.Helper()
	now := w.clock.Now()
	w.clock.Set(t)
	_, err := w.e.Connect(w.ctx, "max", seq, refs)
	w.clock.Set(now)
	must(w.t, err)
}

// detail is a record's connections with their histories.
func (w *world) detail(ref string) engine.RecordView {
	w.t.Helper()
	v, err := w.e.RecordDetail(w.ctx, "ada", ref)
	must(w.t, err)
	return v
}

// connOf returns a record's latest connection to a sequence.
func (w *world) connOf(ref, seq string) engine.ConnView {
	w.t.Helper()
	v := w.detail(ref)
	for i := len(v.Connections) - 1; i >= 0; i-- {
		if v.Connections[i].Sequence == seq {
			return v.Connections[i]
		}
	}
	w.t.Fatalf("%s has no connection to %s", ref, seq)
	return engine.ConnView{}
}

func (w *world) user(name string) engine.User {
	w.t.Helper()
	u, err := w.e.Whoami(w.ctx, name)
	must(w.t, err)
	return u
}

// screen drives the work list of one user: Update, then every command it returns, with
// their messages fed back, until nothing is left; footer messages are collected.
type screen struct {
	t      testing.TB
	w      *world
	c      *common.Common
	s      common.Screen
	status []common.StatusMsg
}

func (w *world) open(user string, width, height int) *screen {
	w.t.Helper()
	c := &common.Common{Ctx: w.ctx, Engine: w.e, User: w.user(user), Styles: common.NewStyles(common.DefaultTheme(true), false)}
	s := &screen{t: w.t, w: w, c: c, s: console.New(c)}
	s.send(tea.WindowSizeMsg{Width: width, Height: height})
	s.run(s.s.Init())
	return s
}

func (s *screen) send(msg tea.Msg) {
	s.t.Helper()
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

// keys types each key: single characters, or names such as "enter", "esc", "down", "ctrl+s".
func (s *screen) keys(keys ...string) {
	s.t.Helper()
	for _, k := range keys {
		s.send(uitest.Key(k))
	}
}

// typeText types text one character at a time.
func (s *screen) typeText(text string) {
	s.t.Helper()
	for _, r := range text {
		s.send(tea.KeyPressMsg{Code: r, Text: string(r)})
	}
}

// view is the screen as plain text.
func (s *screen) view() string { return ansi.Strip(s.s.View()) }

// lines are the view's lines with trailing spaces cut.
func (s *screen) lines() []string {
	ls := strings.Split(s.view(), "\n")
	for i := range ls {
		ls[i] = strings.TrimRight(ls[i], " ")
	}
	return ls
}

// list is the left part of the view (the work list), line by line, trimmed.
func (s *screen) list() []string {
	var out []string
	for _, l := range strings.Split(s.view(), "\n") {
		left, _, _ := strings.Cut(l, "│")
		out = append(out, strings.TrimRight(left, " "))
	}
	return out
}

// panel is the right part of the view (Up next or a picker).
func (s *screen) panel() string {
	var out []string
	for _, l := range strings.Split(s.view(), "\n") {
		if _, right, ok := strings.Cut(l, "│"); ok {
			out = append(out, strings.TrimRight(right, " "))
		}
	}
	return strings.Join(out, "\n")
}

// rows are the task rows of the list in order ("› " marks the cursor), and the group
// headers as "# Name (n)".
func (s *screen) rows() []string {
	var out []string
	for _, l := range s.list()[2:] {
		switch {
		case strings.HasPrefix(l, "Overdue ("), strings.HasPrefix(l, "Today ("), strings.HasPrefix(l, "Upcoming ("):
			out = append(out, "# "+l)
		case strings.HasPrefix(l, "  "), strings.HasPrefix(l, "› "):
			out = append(out, l)
		}
	}
	return out
}

// cursorRow is the row under the cursor.
func (s *screen) cursorRow() string {
	s.t.Helper()
	for _, r := range s.rows() {
		if strings.HasPrefix(r, "› ") {
			return r
		}
	}
	s.t.Fatalf("no row under the cursor:\n%s", s.view())
	return ""
}

// selectRow moves the cursor down to the first row containing text.
func (s *screen) selectRow(text string) {
	s.t.Helper()
	s.keys("g")
	for range 100 {
		if strings.Contains(s.cursorRow(), text) {
			return
		}
		s.keys("down")
	}
	s.t.Fatalf("no row with %q:\n%s", text, s.view())
}

// choose moves a picker's cursor to the option with label and takes it.
func (s *screen) choose(label string) {
	s.t.Helper()
	for range 60 {
		target, cursor := -1, -1
		for i, l := range strings.Split(s.panel(), "\n") {
			l = strings.TrimSpace(l)
			if strings.HasPrefix(l, "› ") {
				cursor = i
			}
			l = strings.TrimSpace(strings.TrimPrefix(strings.TrimPrefix(l, "› "), "• "))
			if l == label {
				target = i
			}
		}
		switch {
		case target < 0 || cursor < 0:
			s.t.Fatalf("no option %q:\n%s", label, s.view())
		case target == cursor:
			s.keys("enter")
			return
		case target < cursor:
			s.keys("up")
		default:
			s.keys("down")
		}
	}
	s.t.Fatalf("can't reach option %q:\n%s", label, s.view())
}

// lastStatus is the latest footer message.
func (s *screen) lastStatus() common.StatusMsg {
	s.t.Helper()
	if len(s.status) == 0 {
		s.t.Fatal("no footer message")
	}
	return s.status[len(s.status)-1]
}

// wantStatus checks the latest footer message.
func (s *screen) wantStatus(text string, isErr bool) {
	s.t.Helper()
	st := s.lastStatus()
	if !strings.Contains(st.Text, text) || st.Err != isErr {
		s.t.Fatalf("footer %+v, want %q (error %v)", st, text, isErr)
	}
}

// wantRows compares the rows' first columns (record names) and group headers.
func (s *screen) wantRows(want ...string) {
	s.t.Helper()
	var got []string
	for _, r := range s.rows() {
		if strings.HasPrefix(r, "# ") {
			got = append(got, r)
			continue
		}
		name := strings.Fields(strings.TrimPrefix(strings.TrimPrefix(r, "› "), "  "))[0]
		if strings.HasPrefix(r, "› ") {
			name += "*"
		}
		got = append(got, name)
	}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		s.t.Fatalf("rows:\n got %q\nwant %q\n%s", got, want, s.view())
	}
}
