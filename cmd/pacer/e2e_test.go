package main

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pacer-sales/pacer/internal/ptytest"
)

// e2eWait bounds every wait of the end-to-end tests; they normally take milliseconds.
const e2eWait = 15 * time.Second

// e2eNow pins the clock of the end-to-end runs (a Monday morning).
const e2eNow = "2026-03-02T09:00:00Z"

// pacerBin builds the real binary for one test.
func pacerBin(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("end-to-end: builds the binary and runs it in a pty")
	}
	return ptytest.Build(t, "github.com/pacer-sales/pacer/cmd/pacer")
}

// demoDBFile makes a database with the sample org, through the binary.
func demoDBFile(t *testing.T, bin string) string {
	t.Helper()
	db := filepath.Join(t.TempDir(), "pacer.db")
	if out, err := exec.Command(bin, "--db", db, "--now", e2eNow, "demo").CombinedOutput(); err != nil {
		t.Fatalf("pacer demo: %v\n%s", err, out)
	}
	return db
}

// TestE2EHomeTabsQuit opens the program on the sample org, switches tabs and quits.
func TestE2EHomeTabsQuit(t *testing.T) {
	bin := pacerBin(t)
	db := demoDBFile(t, bin)
	term := ptytest.Start(t, bin, []string{"--db", db, "--now", e2eNow}, ptytest.Options{Width: 100, Height: 30})
	scr := term.WaitFor("[1 Sequences]", e2eWait)
	t.Logf("header after %v; screen:\n%s", term.Since(), scr)
	head := strings.SplitN(scr, "\n", 2)[0]
	for _, want := range []string{"pacer", "2 Work list", "admin (admin)", "Mon 2 Mar 09:00"} {
		if !strings.Contains(head, want) {
			t.Errorf("header %q lacks %q", head, want)
		}
	}
	// The home grid lists the sample org's sequences.
	scr = term.WaitFor("Webinar follow-up", e2eWait)
	for _, want := range []string{"Name", "Status", "Product demo request", "active", "q quit"} {
		if !strings.Contains(scr, want) {
			t.Errorf("home grid lacks %q:\n%s", want, scr)
		}
	}

	// enter opens the sequence under the cursor; esc comes back to the grid.
	term.Send(ptytest.Enter)
	term.WaitFor("Sequence starts here", e2eWait)
	term.Send(ptytest.Esc)
	term.WaitFor("Webinar follow-up", e2eWait)

	term.Send("2")
	scr = term.WaitFor("[2 Work list]", e2eWait)
	if strings.Contains(scr, "not in this build") {
		t.Errorf("the work list is not wired:\n%s", scr)
	}
	term.Send("1")
	term.WaitFor("[1 Sequences]", e2eWait)

	term.Resize(79, 23)
	term.WaitFor("too small", e2eWait)
	term.Resize(100, 30)
	term.WaitFor("[1 Sequences]", e2eWait)

	term.Send("q")
	if code := term.Wait(e2eWait); code != 0 {
		t.Errorf("exit %d; screen:\n%s", code, term.Screen())
	}
}

// TestE2EFirstRun starts on an empty database and loads the sample org from the
// first-run screen.
func TestE2EFirstRun(t *testing.T) {
	bin := pacerBin(t)
	db := filepath.Join(t.TempDir(), "pacer.db")
	term := ptytest.Start(t, bin, []string{"--db", db, "--now", e2eNow}, ptytest.Options{})
	term.WaitFor("Load the sample org", e2eWait)
	term.Send(ptytest.Enter)
	scr := term.WaitFor("Loaded the sample org", e2eWait)
	if !strings.Contains(scr, "admin (admin)") || !strings.Contains(scr, "[1 Sequences]") {
		t.Errorf("not on the home grid as the admin:\n%s", scr)
	}
	term.Send(ptytest.CtrlC)
	if code := term.Wait(e2eWait); code != 0 {
		t.Errorf("exit %d", code)
	}
	// The org is there for the command line too.
	out, err := exec.Command(bin, "--db", db, "user", "list").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "admin") {
		t.Errorf("user list: %v\n%s", err, out)
	}
}

// BenchmarkE2EFirstFrame is the wall time from starting the binary in a pty on the sample
// org to the home grid's rows on screen (ms-to-frame), then quitting with q.
func BenchmarkE2EFirstFrame(b *testing.B) {
	bin := ptytest.Build(b, "github.com/pacer-sales/pacer/cmd/pacer")
	db := filepath.Join(b.TempDir(), "pacer.db")
	if out, err := exec.Command(bin, "--db", db, "--now", e2eNow, "demo").CombinedOutput(); err != nil {
		b.Fatalf("pacer demo: %v\n%s", err, out)
	}
	var total time.Duration
	for b.Loop() {
		term := ptytest.Start(b, bin, []string{"--db", db, "--now", e2eNow}, ptytest.Options{})
		term.WaitFor("Webinar follow-up", e2eWait)
		total += term.Since()
		term.Send("q")
		if code := term.Wait(e2eWait); code != 0 {
			b.Fatalf("exit %d", code)
		}
	}
	b.ReportMetric(float64(total.Microseconds())/1000/float64(b.N), "ms-to-frame")
}

// TestE2EMouseNoColorUnsavedQuit: under NO_COLOR a click selects a grid row (reverse video,
// no colour codes), and quitting with unsaved changes on the sequence page asks first.
func TestE2EMouseNoColorUnsavedQuit(t *testing.T) {
	bin := pacerBin(t)
	db := demoDBFile(t, bin)
	term := ptytest.Start(t, bin, []string{"--db", db, "--now", e2eNow}, ptytest.Options{Env: []string{"NO_COLOR=1"}})
	scr := term.WaitFor("Product demo request", e2eWait)
	row := -1
	for y, l := range strings.Split(scr, "\n") {
		if strings.HasPrefix(l, "Product demo request") {
			row = y
		}
	}
	if row < 0 {
		t.Fatalf("no row for Product demo request:\n%s", scr)
	}
	selected := func(y int) bool {
		lines := strings.Split(term.StyledScreen(), "\n")
		return y < len(lines) && strings.Contains(lines[y], "7m")
	}
	if selected(row) {
		t.Fatal("the row is selected before the click")
	}
	term.Click(3, row)
	term.WaitUntil("the clicked row selected", func(string) bool { return selected(row) }, e2eWait)
	if raw := string(term.Raw()); strings.Contains(raw, "[38;") || strings.Contains(raw, ";38;") {
		t.Error("colours drawn under NO_COLOR")
	}

	term.Send(ptytest.Enter)
	term.WaitFor("Sequence starts here", e2eWait)
	term.Send(ptytest.Down, "d")
	term.WaitFor("unsaved changes", e2eWait)
	term.Send("q")
	term.WaitFor("? Discard unsaved changes and quit?", e2eWait)
	term.Send("n")
	term.WaitGone("[y] yes · [n] no", e2eWait)
	term.Send("q")
	term.WaitFor("[y] yes · [n] no", e2eWait)
	term.Send("y")
	if code := term.Wait(e2eWait); code != 0 {
		t.Errorf("exit %d", code)
	}
}

// adminCLI returns a runner of pacer commands as the admin on db at e2eNow: it returns
// their output and fails the test when one fails.
func adminCLI(t *testing.T, bin, db string) func(args ...string) string {
	return func(args ...string) string {
		t.Helper()
		out, err := exec.Command(bin, append([]string{"--db", db, "--now", e2eNow, "--as", "admin"}, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("pacer %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
}
