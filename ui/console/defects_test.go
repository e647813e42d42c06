package console_test

import (
	"strings"
	"testing"
	"time"
)

// The defects found when the work list was tried as a new user would (issue 10, part 5).

// A call no condition tests offers "(no outcome)", and done with it works.
func TestOutcomeOptionalWhenNothingBranchesOnIt(t *testing.T) {
	w := newWorld(t)
	seq := w.sequence(`
name: Lone call
steps:
  - type: call
    id: ring
    name: Ring them
  - type: task
    id: after
    name: After the call
`)
	w.connectAt(monday.Add(-30*time.Minute), seq, "lead/L-1")
	s := w.open("sam", 120, 30)
	s.keys("d")
	if p := s.panel(); !strings.Contains(p, "(no outcome)") || strings.Contains(p, "choose one") {
		t.Fatalf("outcome picker of a call nothing tests:\n%s", p)
	}
	s.choose("(no outcome)")
	s.keys("enter")
	s.wantStatus("Done: Ana Lima", false)
	if c := w.connOf("lead/L-1", seq); c.CurrentStep != "after" {
		t.Fatalf("at %q", c.CurrentStep)
	}
}

// esc clears the search in the list, as it does on the home grid.
func TestEscClearsTheSearch(t *testing.T) {
	w := workWorld(t)
	s := w.open("sam", 120, 30)
	s.keys("/")
	s.typeText("ana")
	s.keys("enter")
	s.wantRows("# Today (1)", "Ana*")
	s.keys("esc")
	s.wantRows("# Today (5)", "Ana*", "Bo", "Di", "Di", "Acme")
	s.wantStatus("Search cleared", false)
}

// r says "Refreshing…" and then that it is done, so the first message does not stay.
func TestRefreshSaysWhenDone(t *testing.T) {
	w := workWorld(t)
	s := w.open("sam", 120, 30)
	s.status = nil
	s.keys("r")
	var texts []string
	for _, st := range s.status {
		texts = append(texts, st.Text)
	}
	if len(texts) != 2 || texts[0] != "Refreshing…" || !strings.HasPrefix(texts[1], "Refreshed: 5 open task(s)") {
		t.Fatalf("footer messages %q", texts)
	}
}

// The snooze prompt's footer lists the prompt's keys, not the list's.
func TestSnoozeFooterKeys(t *testing.T) {
	w := workWorld(t)
	s := w.open("sam", 120, 30)
	s.keys("z")
	var keys []string
	for _, b := range s.s.ShortHelp() {
		keys = append(keys, b.Help().Key)
	}
	if got := strings.Join(keys, " "); got != "enter esc" {
		t.Fatalf("snooze footer keys %q", got)
	}
}

// Up next shows first the sequence of the selected task when the record has several.
func TestUpNextFollowsTheSelectedTask(t *testing.T) {
	w := workWorld(t)
	s := w.open("sam", 120, 30)
	firstSeq := func() string {
		for _, l := range strings.Split(s.panel(), "\n") {
			if l = strings.TrimSpace(l); strings.HasPrefix(l, "◆ ") {
				return l
			}
		}
		return ""
	}
	s.selectRow("Intro call")
	s.selectRow("Di Evans")
	if got := firstSeq(); got != "◆ Calls (v1)" {
		t.Fatalf("Di's call: Up next starts with %q:\n%s", got, s.panel())
	}
	s.keys("down")
	if row := s.cursorRow(); !strings.Contains(row, "Hello email") {
		t.Fatalf("cursor on %q", row)
	}
	if got := firstSeq(); got != "◆ Mails (v1)" {
		t.Fatalf("Di's email: Up next starts with %q:\n%s", got, s.panel())
	}
}

// At 120 columns the record's name gets the widest column (it was cut at 15 cells while
// space was left).
func TestNamesGetTheRoomAt120(t *testing.T) {
	w := newWorld(t)
	_, err := w.e.SetRecord(w.ctx, "max", "lead/L-1", map[string]string{"name": "Alexandrina Montgomery-Smith"})
	must(t, err)
	w.connectAt(monday.Add(-time.Hour), w.sequence(callsSeq), "lead/L-1")
	s := w.open("sam", 120, 30)
	s.selectRow("Alexandrina")
	row := s.cursorRow()
	if !strings.Contains(row, "Alexandrina Montgom") {
		t.Fatalf("the name is cut short at 120 columns: %q", row)
	}
}
