package main

import (
	"strings"
	"testing"

	"github.com/pacer-sales/pacer/internal/ptytest"
)

// cursorLine is the designer's line under the cursor (it starts with ›), or "".
func cursorLine(screen string) string {
	for _, l := range strings.Split(screen, "\n") {
		if strings.HasPrefix(l, "›") {
			return l
		}
	}
	return ""
}

// TestE2EDesignerCopyPasteProblemsVersions: with NO_COLOR, in the real program, a whole
// condition is copied and pasted into another branch (fresh ids); a pasted wait at a
// branch's end is marked ! on its row with its problem written out, and the mark goes with
// undo; the change is saved as version 2 with a note, and version 1 opens read only from
// the version history and esc returns to the draft.
func TestE2EDesignerCopyPasteProblemsVersions(t *testing.T) {
	bin := pacerBin(t)
	db := demoDBFile(t, bin)
	term := ptytest.Start(t, bin, []string{"--db", db, "--now", e2eNow, "--as", "admin"},
		ptytest.Options{Width: 110, Height: 40, Env: []string{"NO_COLOR=1"}})
	term.WaitFor("Product demo request", e2eWait)
	term.Send("j", "j", ptytest.Enter)
	term.WaitFor("Product demo request  Active v1", e2eWait)

	// goTo moves the cursor down (j) until its line holds text.
	goTo := func(text string) {
		t.Helper()
		for range 40 {
			prev := cursorLine(term.Screen())
			if strings.Contains(prev, text) {
				return
			}
			term.Send("j")
			term.WaitUntil("the cursor to move", func(s string) bool { return cursorLine(s) != prev }, e2eWait)
		}
		t.Fatalf("no row %q:\n%s", text, term.Screen())
	}
	goTo("◆ Replied with a time?")
	term.Send("c")
	term.WaitFor("Copied Replied with a time? with its branches (6 steps)", e2eWait)
	term.Send("g")
	term.WaitUntil("the cursor at the top", func(s string) bool { return strings.Contains(cursorLine(s), "Sequence starts here") }, e2eWait)
	goTo("✉ Send the demo recap")
	term.Send("P")
	scr := term.WaitFor("Pasted Replied with a time? as condition-1 with its branches (6 steps, new ids)", e2eWait)
	if n := strings.Count(scr, "◆ Replied with a time?"); n != 2 {
		t.Fatalf("%d conditions named Replied with a time? after the paste:\n%s", n, scr)
	}
	if strings.Contains(scr, "problem") {
		t.Fatalf("a valid paste shows a problem:\n%s", scr)
	}

	// A wait pasted at the end of the Yes branch: the row is marked, the title counts it,
	// the problem is written out; undo takes it away.
	term.Send("g")
	term.WaitUntil("the cursor at the top", func(s string) bool { return strings.Contains(cursorLine(s), "Sequence starts here") }, e2eWait)
	goTo("◷ Wait  wait 1d")
	term.Send("c")
	term.WaitFor("Copied Wait", e2eWait)
	term.Send("g")
	term.WaitUntil("the cursor at the top", func(s string) bool { return strings.Contains(cursorLine(s), "Sequence starts here") }, e2eWait)
	goTo("⚑ Set stage  stage → propose")
	term.Send("P")
	scr = term.WaitFor("! 1 problem", e2eWait)
	if l := cursorLine(scr); !strings.HasPrefix(l, "›!") || !strings.Contains(l, "◷ Wait") {
		t.Fatalf("the pasted wait is not marked: %q\n%s", l, scr)
	}
	term.WaitFor("! [wait_last]", e2eWait)
	term.Send("u")
	scr = term.WaitGone("! 1 problem", e2eWait)
	if strings.Contains(scr, "[wait_last]") || strings.Contains(scr, "›!") {
		t.Fatalf("the mark stayed after undo:\n%s", scr)
	}

	// Saved as version 2 with a note.
	term.Send(ptytest.CtrlS)
	term.WaitFor("What changed?", e2eWait)
	term.Send("reply check after the recap")
	term.WaitFor("reply check after the recap", e2eWait)
	term.Send(ptytest.Enter)
	term.WaitFor("version 2 is live for new connections", e2eWait)

	// Version 1, read only, from the history; esc back to the draft.
	term.Send("H")
	term.WaitFor("Versions of Product demo request (2)", e2eWait)
	term.WaitFor("reply check after the recap", e2eWait)
	term.Send(ptytest.Down, ptytest.Enter)
	scr = term.WaitFor("Product demo request  [version 1, read only]  by admin", e2eWait)
	if n := strings.Count(scr, "◆ Replied with a time?"); n != 1 {
		t.Fatalf("version 1 shows %d conditions named Replied with a time?:\n%s", n, scr)
	}
	term.WaitFor("esc back to the draft", e2eWait)
	if strings.Contains(scr, "add step") || strings.Contains(scr, "save") {
		t.Fatalf("the read-only footer offers edits:\n%s", scr)
	}
	term.Send("d")
	term.WaitFor("Version 1 is read only: esc returns to the draft", e2eWait)
	term.Send(ptytest.Esc)
	term.WaitFor("Back to the draft", e2eWait)
	scr = term.WaitFor("Product demo request  Active v2", e2eWait)
	if n := strings.Count(scr, "◆ Replied with a time?"); n != 2 {
		t.Fatalf("back in the draft, %d conditions named Replied with a time?:\n%s", n, scr)
	}
	term.Send("q")
	if code := term.Wait(e2eWait); code != 0 {
		t.Fatalf("exit %d; screen:\n%s", code, term.Screen())
	}
}
