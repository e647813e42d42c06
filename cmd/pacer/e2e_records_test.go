package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pacer-sales/pacer/internal/ptytest"
)

// TestE2ERecordsSkipWait: a seller of the sample org finds one of her records that sits in
// a wait (it has no task, so the work list does not show it) in the Records tab, opens it
// and skips the wait; `pacer record show` then shows the record at the next step.
func TestE2ERecordsSkipWait(t *testing.T) {
	bin := pacerBin(t)
	db := demoDBFile(t, bin)
	pacer := adminCLI(t, bin, db)
	noraWaits(t, pacer)

	term := ptytest.Start(t, bin, []string{"--db", db, "--now", e2eNow, "--as", "priya.raman"}, ptytest.Options{Width: 120, Height: 30})
	term.WaitFor("[1 Sequences]", e2eWait)
	term.Send("3")
	term.WaitFor("Records · lead", e2eWait)
	term.Send("/")
	term.Send("Nora Kow")
	term.WaitFor("Search: / Nora Kow", e2eWait)
	term.Send(ptytest.Enter)
	// The page of the whole search: Nora alone, in her wait.
	term.WaitFor(`search "Nora Kow"`, e2eWait)
	term.WaitFor("page 1 · 1 on this page", e2eWait)
	term.WaitFor("Pause first: ◷ Wait · waiting until", e2eWait)
	term.Send(ptytest.Enter)
	term.WaitFor("(w skips it)", e2eWait)
	term.Send("w")
	term.WaitFor("Skipped the wait of lead/L-1010 in Pause first", e2eWait)
	term.WaitFor("at ☐ Follow up", e2eWait)
	term.Send("q")
	if code := term.Wait(e2eWait); code != 0 {
		t.Fatalf("exit %d; screen:\n%s", code, term.Screen())
	}
	out := pacer("record", "show", "lead/L-1010")
	if !strings.Contains(out, "wait skipped") && !strings.Contains(out, "wait_skipped") {
		t.Fatalf("record show lacks the skipped wait:\n%s", out)
	}
}

// TestE2ERecordsBulkConnect: an admin searches the leads, marks all that match (the 50
// leads of the sample org), and connects them to a sequence after the preview; the records
// already in it are left out and the rest connect at once.
func TestE2ERecordsBulkConnect(t *testing.T) {
	bin := pacerBin(t)
	db := demoDBFile(t, bin)
	term := ptytest.Start(t, bin, []string{"--db", db, "--now", e2eNow, "--as", "admin"}, ptytest.Options{Width: 120, Height: 30})
	term.WaitFor("[1 Sequences]", e2eWait)
	term.Send("3")
	term.WaitFor("Records · lead", e2eWait)
	term.Send("/", "@", ptytest.Enter)
	term.WaitFor(`search "@"`, e2eWait)
	term.Send("*")
	term.WaitFor("50 marked", e2eWait)
	term.Send("C")
	term.WaitFor("Connect 50 marked record(s) to", e2eWait)
	term.Send(ptytest.Enter)
	scr := term.WaitFor("50 record(s) marked;", e2eWait)
	if !strings.Contains(scr, "already connected will be left out") {
		t.Fatalf("preview:\n%s", scr)
	}
	term.Send("y")
	term.WaitFor("✓ Connected", e2eWait)
	term.Send("q")
	if code := term.Wait(e2eWait); code != 0 {
		t.Fatalf("exit %d; screen:\n%s", code, term.Screen())
	}
	out, err := exec.Command(bin, "--db", db, "--now", e2eNow, "--as", "admin", "seq", "show", "High-volume outbound prospecting").CombinedOutput()
	if err != nil {
		t.Fatalf("seq show: %v\n%s", err, out)
	}
	if n := strings.Count(string(out), "lead/L-"); n < 50 {
		t.Fatalf("%d leads in the sequence after the bulk connect:\n%s", n, out)
	}
}

// TestE2EDesignerMoveUndoKillRestore: in the designer a step moves up, the move is undone,
// it is moved again and the program is killed with SIGKILL mid-edit; opening the sequence
// again offers the unsaved change, which comes back.
func TestE2EDesignerMoveUndoKillRestore(t *testing.T) {
	bin := pacerBin(t)
	db := demoDBFile(t, bin)
	args := []string{"--db", db, "--now", e2eNow, "--as", "admin"}
	openDemo := func() *ptytest.Term {
		term := ptytest.Start(t, bin, args, ptytest.Options{Width: 100, Height: 30})
		term.WaitFor("Product demo request", e2eWait)
		term.Send("j", "j", ptytest.Enter)
		term.WaitFor("Product demo request  Active v1", e2eWait)
		return term
	}
	term := openDemo()
	term.Send("j", "j", "K")
	term.WaitFor("Moved Propose demo times up", e2eWait)
	term.Send("u")
	term.WaitFor("Undone", e2eWait)
	term.Send("K")
	term.WaitFor("Moved Propose demo times up", e2eWait)
	term.WaitFor("unsaved changes (kept as a draft)", e2eWait)
	term.Kill()

	term = openDemo()
	term.WaitFor("Restore the unsaved changes to Product demo request", e2eWait)
	term.Send("r")
	scr := term.WaitFor("Unsaved changes restored", e2eWait)
	if p, s := strings.Index(scr, "Propose demo times"), strings.Index(scr, "⚑ Set stage"); p < 0 || s < 0 || p > s {
		t.Fatalf("the restored tree does not have the move:\n%s", scr)
	}
	term.Send("q")
	term.WaitFor("Discard unsaved changes and quit?", e2eWait)
	term.Send("y")
	if code := term.Wait(e2eWait); code != 0 {
		t.Fatalf("exit %d; screen:\n%s", code, term.Screen())
	}
}

// TestE2ERecordsSortFilterPause: a seller sorts the Records tab by name and filters it to
// the records that wait, opens the waiting one and pauses it with a reason; the filter then
// leaves it out, `pacer record show` shows the pause, and the next run of the program has
// the sort and the filter back.
func TestE2ERecordsSortFilterPause(t *testing.T) {
	bin := pacerBin(t)
	db := demoDBFile(t, bin)
	pacer := adminCLI(t, bin, db)
	noraWaits(t, pacer)

	args := []string{"--db", db, "--now", e2eNow, "--as", "priya.raman"}
	term := ptytest.Start(t, bin, args, ptytest.Options{Width: 140, Height: 30})
	term.WaitFor("[1 Sequences]", e2eWait)
	term.Send("3")
	term.WaitFor("sorted by Id, ascending", e2eWait)
	term.Send("l", "s", "s")
	scr := term.WaitFor("sorted by Name, descending", e2eWait)
	if !strings.Contains(scr, "Name ▼") {
		t.Fatalf("header lacks the sort:\n%s", scr)
	}
	term.Send("l", "l", "f")
	term.WaitFor("not connected", e2eWait)
	term.Send("j", " ", ptytest.Enter)
	term.WaitFor("filters: Where it stands = waiting", e2eWait)
	scr = term.WaitFor("page 1 · 1 on this page", e2eWait)
	if !strings.Contains(scr, "Nora Kowalski") {
		t.Fatalf("the waiting record is not shown:\n%s", scr)
	}
	term.Send(ptytest.Enter)
	term.WaitFor("(w skips it)", e2eWait)
	term.Send("p")
	term.WaitFor("Why pause lead/L-1010 in Pause first?", e2eWait)
	term.Send("out of office", ptytest.Enter)
	term.WaitFor("by itself at", e2eWait)
	term.Send(ptytest.Enter)
	term.WaitFor("Paused lead/L-1010 in Pause first", e2eWait)
	term.WaitFor("paused at ◷ Wait", e2eWait)
	term.Send(ptytest.Esc)
	term.WaitFor("No lead record passes the filters", e2eWait)
	term.Send("q")
	if code := term.Wait(e2eWait); code != 0 {
		t.Fatalf("exit %d; screen:\n%s", code, term.Screen())
	}
	if out := pacer("record", "show", "lead/L-1010"); !strings.Contains(out, "out of office") {
		t.Fatalf("record show lacks the pause:\n%s", out)
	}

	// The next run remembers the layout.
	term = ptytest.Start(t, bin, args, ptytest.Options{Width: 140, Height: 30})
	term.WaitFor("[1 Sequences]", e2eWait)
	term.Send("3")
	term.WaitFor("sorted by Name, descending  ·  filters: Where it stands = waiting", e2eWait)
	term.Send("q")
	if code := term.Wait(e2eWait); code != 0 {
		t.Fatalf("exit %d; screen:\n%s", code, term.Screen())
	}
}

// noraWaits activates "Pause first", a 3-day wait before a task, and connects Nora
// Kowalski (lead/L-1010, priya.raman's) to it.
func noraWaits(t *testing.T, pacer func(...string) string) {
	t.Helper()
	seq := filepath.Join(t.TempDir(), "pause.yaml")
	if err := os.WriteFile(seq, []byte("name: Pause first\nentity: lead\nsteps:\n  - type: wait\n    id: pause\n    duration: 3d\n  - type: task\n    id: follow\n    name: Follow up\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	pacer("seq", "import", seq)
	pacer("seq", "activate", "Pause first")
	pacer("connect", "Pause first", "lead/L-1010")
}
