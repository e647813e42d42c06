package console_test

import (
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
)

// A double click on a task opens its record's Up next over the whole screen, where nothing
// of it is cut (in the side panel it is); a single click, or clicks on two rows, only
// select; ↑↓ scroll it; the action keys act on the task there; esc goes back to the list on
// the same task; enter opens it from the keyboard.
func TestDoubleClickOpensUpNext(t *testing.T) {
	w := workWorld(t)
	s := w.open("sam", 100, 14)
	click := func(y int) { s.send(tea.MouseClickMsg{X: 5, Y: y, Button: tea.MouseLeft}) }
	click(6) // Di Evans, Hello email
	click(5) // Di Evans, Intro call
	click(6)
	if !strings.Contains(s.cursorRow(), "Hello email") || !strings.Contains(s.view(), "│Up next · Di Evans") {
		t.Fatalf("single clicks:\n%s", s.view())
	}
	if strings.Contains(s.panel(), "Fields") {
		t.Fatalf("the side panel is not cut at this height; the test shows nothing:\n%s", s.panel())
	}
	click(6)
	v := s.view()
	if !strings.HasPrefix(v, "Up next: Di Evans (lead/L-4)  esc back to the list") || strings.Contains(v, "│") {
		t.Fatalf("a double click did not open Up next:\n%s", v)
	}
	for _, want := range []string{"◆ Mails (v1)", "▶ ✉ Hello email (template intro) · due today 08:30", "◆ Calls (v1)", "▶ ☎ Intro call"} {
		if !strings.Contains(v, want) {
			t.Fatalf("opened Up next lacks %q:\n%s", want, v)
		}
	}
	var help []string
	for _, b := range s.s.ShortHelp() {
		help = append(help, b.Help().Desc)
	}
	if got := strings.Join(help, ","); got != "scroll,done,skip,snooze,skip wait,email,back to the list" {
		t.Fatalf("footer while opened: %s", got)
	}
	// Scrolled to its end, the record's fields show: the side panel cut them.
	for range 20 {
		s.keys("down")
	}
	if v := s.view(); !strings.Contains(v, "Fields") || !strings.Contains(v, "di@example.com") {
		t.Fatalf("scrolled to the end:\n%s", v)
	}
	s.keys("esc")
	if !strings.Contains(s.cursorRow(), "Hello email") || !strings.Contains(s.view(), "│Up next · Di Evans") {
		t.Fatalf("esc:\n%s", s.view())
	}
	// enter opens it too; x skips the task shown, and the list moves on under it.
	s.keys("enter")
	if !strings.HasPrefix(s.view(), "Up next: Di Evans") {
		t.Fatalf("enter did not open Up next:\n%s", s.view())
	}
	s.keys("x")
	s.wantStatus("Skipped: Di Evans", false)
	if _, open := w.openTask("sam", "lead/L-4", "hello"); open {
		t.Fatal("x while Up next is opened did not skip the task")
	}
}

// A task the engine moved says so: the row carries a short mark, and Up next (beside the
// list and opened) says why — here sam is away and sue covers.
func TestMovedTaskSaysWhy(t *testing.T) {
	w := newWorld(t)
	back := monday.Add(72 * time.Hour)
	must(t, w.e.AddAway(w.ctx, "max", "sam", monday.Add(-time.Hour), back, "sue"))
	w.connectAt(monday, w.sequence(callsSeq), "lead/L-1") // sam's record: the call goes to sue
	w.connectAt(monday, w.sequence(accountsSeq), "account/A-1")
	must(t, w.e.RemoveAway(w.ctx, "max", "sam", monday.Add(-time.Hour)))
	w.connectAt(monday, "Calls", "lead/L-3") // sue's own: nothing moved
	s := w.open("sue", 120, 30)
	const why = "moved: sam is away until 2026-03-05 17:00: covered by sue"
	s.selectRow("Ana Lima")
	// Beside the list the reason wraps.
	if p := s.panel(); !strings.Contains(s.cursorRow(), "Ana Lima · moved") || !strings.Contains(p, "moved: sam is away until 2026-03-05") || !strings.Contains(p, "17:00: covered by sue") {
		t.Fatalf("the covered task:\n%s", s.view())
	}
	s.keys("enter")
	if v := s.view(); !strings.HasPrefix(v, "Up next: Ana Lima") || !strings.Contains(v, why) {
		t.Fatalf("opened Up next of the covered task:\n%s", v)
	}
	s.keys("esc")
	s.selectRow("Cy Diaz")
	if strings.Contains(s.cursorRow(), "moved") || strings.Contains(s.panel(), "moved:") {
		t.Fatalf("a task nothing moved shows a reason:\n%s", s.view())
	}
	s.selectRow("Acme")
	if !strings.Contains(s.cursorRow(), "Acme · moved") {
		t.Fatalf("the covered account task:\n%s", s.view())
	}
}
