package console_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/pacer-sales/pacer/engine"
	"github.com/pacer-sales/pacer/ui/common"
)

// zoneWorld has four team tasks (shared by sam in Los Angeles and sue in UTC) due around
// the two users' midnights, with the clock at 2026-03-03 06:30 UTC (22:30 on Monday in
// Los Angeles).
func zoneWorld(t *testing.T) *world {
	w := newWorld(t)
	csv := "id,name,owner\nZ-1,Ann Zed,team:west\nZ-2,Ben Zed,team:west\nZ-3,Cat Zed,team:west\nZ-4,Dan Zed,team:west\n"
	_, err := w.e.ImportRecords(w.ctx, "max", "z.csv", strings.NewReader(csv), "lead")
	must(t, err)
	calls := w.sequence(callsSeq)
	utc := func(d, h, m int) time.Time { return time.Date(2026, 3, d, h, m, 0, 0, time.UTC) }
	w.connectAt(utc(2, 7, 0), calls, "lead/Z-1")  // Sun 23:00 in LA
	w.connectAt(utc(2, 20, 0), calls, "lead/Z-2") // Mon 12:00 in LA
	w.connectAt(utc(3, 7, 30), calls, "lead/Z-3") // Mon 23:30 in LA; Tue in UTC
	w.connectAt(utc(3, 9, 0), calls, "lead/Z-4")  // Tue 01:00 in LA
	w.clock.Set(utc(3, 6, 30))
	return w
}

// TestGroupsByTimeZone: the same tasks group differently for a seller in Los Angeles and
// one in UTC, and move when the seller's midnight passes.
func TestGroupsByTimeZone(t *testing.T) {
	w := zoneWorld(t)
	sam := w.open("sam", 120, 30)
	sam.wantRows("# Overdue (1)", "Ann*", "# Today (2)", "Ben", "Cat", "# Upcoming (1)", "Dan")
	sue := w.open("sue", 120, 30)
	sue.wantRows("# Overdue (2)", "Ann*", "Ben", "# Today (2)", "Cat", "Dan")

	// Due times show in the seller's zone, and the title names it.
	if title := sam.lines()[0]; !strings.Contains(title, "times in PST") {
		t.Fatalf("sam's title: %q", title)
	}
	if title := sue.lines()[0]; !strings.Contains(title, "times in UTC") {
		t.Fatalf("sue's title: %q", title)
	}
	sam.selectRow("Cat Zed")
	if row := sam.cursorRow(); !strings.HasSuffix(row, "today 23:30") {
		t.Fatalf("Cat's due in LA: %q", row)
	}
	sue.selectRow("Cat Zed")
	if row := sue.cursorRow(); !strings.HasSuffix(row, "today 07:30") {
		t.Fatalf("Cat's due in UTC: %q", row)
	}
	// Team tasks say so in words (a bare "+1" was cryptic); Up next names the team.
	if row := sam.cursorRow(); !strings.Contains(row, "Cat Zed · team") || strings.Contains(row, "+1") {
		t.Fatalf("no team marker: %q", row)
	}

	// Midnight passes in Los Angeles (08:30 UTC is 00:30 on Tuesday there): a refresh
	// regroups, and the cursor stays on Cat.
	w.clock.Set(time.Date(2026, 3, 3, 8, 30, 0, 0, time.UTC))
	sam.keys("r")
	sam.wantRows("# Overdue (3)", "Ann", "Ben", "Cat*", "# Today (1)", "Dan")
	if row := sam.cursorRow(); !strings.HasSuffix(row, "Mar 02 23:30") {
		t.Fatalf("yesterday's task shows its date: %q", row)
	}
	sue.send(common.ChangedMsg{})
	sue.wantRows("# Overdue (2)", "Ann", "Ben", "# Today (2)", "Cat*", "Dan")
}

// TestView is a plain-text snapshot at 80×24.
func TestView(t *testing.T) {
	w := zoneWorld(t)
	sam := w.open("sam", 80, 24)
	got := sam.lines()
	if len(got) != 24 {
		t.Fatalf("%d lines", len(got))
	}
	for i, l := range strings.Split(sam.s.View(), "\n") {
		if wd := lineWidth(l); wd != 80 {
			t.Fatalf("line %d is %d wide: %q", i, wd, l)
		}
	}
	want := `
My work list · 4 tasks · sort: due · times in PST│Up next · Ann Zed
  Record       Type     Step         Due         │lead/Z-1 · owner team:west
Overdue (1)                                      │
› Ann Zed · t… lead     ☎ Intro call Mar 01 23:00│◆ Calls (v1)
Today (2)                                        │  ▶ ☎ Intro call
  Ben Zed · t… lead     ☎ Intro call today 12:00 │    due Mar 01 23:00
  Cat Zed · t… lead     ☎ Intro call today 23:30 │    team task: sam, sue
Upcoming (1)                                     │    d done · x skip
  Dan Zed · t… lead     ☎ Intro call Mar 03 01:00│      z snooze · a assign
                                                 │  Then
                                                 │    ◆ Condition (call
                                                 │      outcome is connected)
                                                 │
                                                 │Fields
                                                 │  (none)
`
	if g := strings.Join(got[:15], "\n"); g != strings.TrimPrefix(strings.TrimSuffix(want, "\n"), "\n") {
		t.Fatalf("view at 80×24:\n%s\nwant:%s", g, want)
	}
	for _, l := range got[15:] {
		if l != strings.Repeat(" ", 49)+"│" {
			t.Fatalf("line %q below the content", l)
		}
	}
}

// TestFilters: due, record type and activity filters, search by record name, sort.
func TestFilters(t *testing.T) {
	w := newWorld(t)
	calls, mails, accounts := w.sequence(callsSeq), w.sequence(mailsSeq), w.sequence(accountsSeq)
	w.connectAt(monday.Add(-48*time.Hour), calls, "lead/L-1")         // overdue
	w.connectAt(monday.Add(-time.Hour), mails, "lead/L-4")            // today
	w.connectAt(monday.Add(-30*time.Minute), accounts, "account/A-1") // today
	w.connectAt(monday.Add(-2*time.Hour), calls, "lead/L-2")          // today, team
	// A task snoozed to tomorrow is upcoming.
	tasks, err := w.e.Tasks(w.ctx, "sam", engine.TaskQuery{})
	must(t, err)
	for _, task := range tasks {
		if task.Record == "lead/L-2" {
			_, err := w.e.ActOnTask(w.ctx, "sam", task.ID, engine.TaskAction{Kind: engine.ActSnooze, Until: monday.Add(24 * time.Hour)})
			must(t, err)
		}
	}
	s := w.open("sam", 120, 30)
	s.wantRows("# Overdue (1)", "Ana*", "# Today (2)", "Di", "Acme", "# Upcoming (1)", "Bo")

	s.keys("f")
	s.choose("today")
	s.wantRows("# Today (2)", "Di*", "Acme")
	if !strings.Contains(s.list()[0], "2 of 4 tasks · due: today") {
		t.Fatalf("title %q", s.list()[0])
	}
	s.keys("f")
	s.choose("overdue")
	s.wantRows("# Overdue (1)", "Ana*")
	s.keys("f")
	s.choose("from tomorrow")
	s.wantRows("# Upcoming (1)", "Bo*")
	s.keys("f")
	s.choose("any time")
	s.keys("f")
	s.choose("account")
	s.wantRows("# Today (1)", "Acme*")
	s.keys("f")
	s.choose("any type")
	s.keys("f")
	s.choose("☎ call")
	s.wantRows("# Overdue (1)", "Ana", "# Upcoming (1)", "Bo*")
	s.keys("f")
	s.choose("✉ email")
	s.wantRows("# Today (1)", "Di*")
	// Filters combine: an email task of an account does not exist.
	s.keys("f")
	s.choose("account")
	s.wantRows()
	if !strings.Contains(s.view(), "No task matches the filters (F clears them).") {
		t.Fatalf("empty filter result:\n%s", s.view())
	}
	s.keys("F")
	s.wantStatus("Filters cleared", false)
	s.wantRows("# Overdue (1)", "Ana*", "# Today (2)", "Di", "Acme", "# Upcoming (1)", "Bo")

	// Search by record name, live as it is typed; enter keeps it, esc clears it.
	s.keys("/")
	if !s.s.CapturesInput() {
		t.Fatal("the search box does not capture the keys")
	}
	s.typeText("e")
	s.wantRows("# Today (2)", "Di*", "Acme", "# Upcoming (1)", "Bo")
	s.typeText("V")
	s.wantRows("# Today (1)", "Di*")
	s.keys("enter")
	if s.s.CapturesInput() || !strings.Contains(s.list()[0], "search: eV") {
		t.Fatalf("after enter: %q", s.list()[0])
	}
	s.keys("/", "esc")
	s.wantRows("# Overdue (1)", "Ana", "# Today (2)", "Di*", "Acme", "# Upcoming (1)", "Bo")

	// Sort within the groups: by record, by sequence, back to due; remembered.
	s.keys("s")
	s.wantRows("# Overdue (1)", "Ana", "# Today (2)", "Acme", "Di*", "# Upcoming (1)", "Bo")
	s.keys("s")
	s.wantRows("# Overdue (1)", "Ana", "# Today (2)", "Acme", "Di*", "# Upcoming (1)", "Bo")
	if !strings.Contains(s.list()[0], "sort: sequence") {
		t.Fatalf("title %q", s.list()[0])
	}
	b, err := w.e.Prefs(w.ctx, "sam", "console")
	must(t, err)
	var p map[string]string
	must(t, json.Unmarshal(b, &p))
	if p["sort"] != "sequence" {
		t.Fatalf("prefs %s", b)
	}
	again := w.open("sam", 120, 30)
	if !strings.Contains(again.list()[0], "sort: sequence") {
		t.Fatalf("sort not remembered: %q", again.list()[0])
	}
	s.keys("s")
	s.wantRows("# Overdue (1)", "Ana", "# Today (2)", "Di*", "Acme", "# Upcoming (1)", "Bo")
}

// lineWidth is the display width of a rendered line.
func lineWidth(l string) int { return ansi.StringWidth(l) }

// TestScroll: a long list shows the rows that fit, the cursor's row always among them, with
// its group's header when it is the group's first.
func TestScroll(t *testing.T) {
	w := newWorld(t)
	calls := w.sequence(callsSeq)
	var csv strings.Builder
	csv.WriteString("id,name,owner\n")
	var refs []string
	for i := range 40 {
		fmt.Fprintf(&csv, "S-%02d,Sid %02d,sam\n", i, i)
		refs = append(refs, fmt.Sprintf("lead/S-%02d", i))
	}
	_, err := w.e.ImportRecords(w.ctx, "max", "s.csv", strings.NewReader(csv.String()), "lead")
	must(t, err)
	for i, ref := range refs {
		// Half overdue (yesterday), half today, in name order.
		at := monday.Add(-24*time.Hour + time.Duration(i)*time.Minute)
		if i >= 20 {
			at = monday.Add(time.Duration(i-40) * time.Minute)
		}
		w.connectAt(at, calls, ref)
	}
	s := w.open("sam", 80, 24)
	if n := len(s.lines()); n != 24 {
		t.Fatalf("%d lines", n)
	}
	rows := s.rows()
	if len(rows) != 22 || rows[0] != "# Overdue (20)" || !strings.HasPrefix(rows[1], "› Sid 00") {
		t.Fatalf("first page: %q", rows)
	}
	s.keys("G")
	rows = s.rows()
	if !strings.HasPrefix(rows[len(rows)-1], "› Sid 39") || len(rows) != 22 {
		t.Fatalf("last page: %q", rows)
	}
	// The first row of Today brings its header into view.
	s.selectRow("Sid 20")
	s.keys("k", "j")
	rows = s.rows()
	if i := slices.Index(rows, "# Today (20)"); i < 0 || !strings.HasPrefix(rows[i+1], "› Sid 20") {
		t.Fatalf("Today's header is not shown above its first row: %q", rows)
	}
	s.keys("ctrl+u")
	if row := s.cursorRow(); !strings.Contains(row, "Sid 00") {
		t.Fatalf("page up went to %q", row)
	}
	s.keys("g")
	if rows := s.rows(); rows[0] != "# Overdue (20)" {
		t.Fatalf("top: %q", rows)
	}
}

// TestTinySizes: any area draws without failing, exactly as tall as given.
func TestTinySizes(t *testing.T) {
	w := zoneWorld(t)
	s := w.open("sam", 80, 24)
	for _, size := range [][2]int{{80, 1}, {80, 2}, {80, 3}, {30, 5}, {63, 10}, {200, 60}} {
		s.send(tea.WindowSizeMsg{Width: size[0], Height: size[1]})
		for _, keys := range [][]string{nil, {"z"}, {"esc", "d"}, {"esc", "/"}, {"esc"}} {
			s.keys(keys...)
			if n := len(strings.Split(s.s.View(), "\n")); n != size[1] {
				t.Fatalf("%dx%d after %q: %d lines", size[0], size[1], keys, n)
			}
		}
	}
}
