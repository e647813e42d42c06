// Package ptytest runs a program in a pseudo-terminal for end-to-end tests of pacer's
// terminal screens: it builds the binary, starts it in a pty of a given size, types keys,
// and reads the screen as plain text through a terminal emulator. Waits follow the output
// as it arrives; a deadline only bounds a failure.
//
//	bin := ptytest.Build(t, "github.com/pacer-sales/pacer/cmd/pacer")
//	term := ptytest.Start(t, bin, []string{"--db", db}, ptytest.Options{})
//	term.WaitFor("1 Sequences", 10*time.Second)
//	term.Send("2")
//	term.Send(ptytest.Enter)
//	term.Send("q")
//	if code := term.Wait(10 * time.Second); code != 0 { ... }
//
// Keys sent in one go reach the program in one read, faster than anyone types: a form that
// moves its focus through a command (enter in a huh form) may still be on the old field
// when the next characters arrive. Wait for the effect of such a key (the focus marker on
// the next field, a dialog's title) before typing on.
package ptytest

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/charmbracelet/x/vt"
	"github.com/creack/pty"
)

// Keys as a terminal sends them.
const (
	Enter     = "\r"
	Esc       = "\x1b"
	Tab       = "\t"
	ShiftTab  = "\x1b[Z"
	Backspace = "\x7f"
	Up        = "\x1b[A"
	Down      = "\x1b[B"
	Right     = "\x1b[C"
	Left      = "\x1b[D"
	CtrlC     = "\x03"
	CtrlS     = "\x13"
)

// Options describe the terminal a program starts in.
type Options struct {
	// Width and Height are the terminal's size; 100×30 when zero.
	Width, Height int
	// Env is added to the environment, after TERM=xterm-256color. The test process's
	// PACER_* variables are never passed on.
	Env []string
	// Dir is the working directory; the test's when empty.
	Dir string
}

// Term is a program running in a pseudo-terminal, and the screen it has drawn.
type Term struct {
	t   testing.TB
	cmd *exec.Cmd
	pty *os.File

	mu      sync.Mutex
	emu     *vt.Emulator
	changed chan struct{} // closed and replaced after every output
	raw     bytes.Buffer  // everything the program wrote

	readDone chan struct{} // the pty has no more output
	exited   chan struct{} // the process ended
	waitErr  error
	started  time.Time
}

// Build compiles the main package pkg into a temporary directory of the test and returns
// the binary's path.
func Build(t testing.TB, pkg string) string {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("ptytest: the go command is needed to build %s: %v", pkg, err)
	}
	out := filepath.Join(t.TempDir(), path.Base(pkg))
	cmd := exec.Command(goBin, "build", "-o", out, pkg)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("ptytest: go build %s: %v\n%s", pkg, err, b)
	}
	return out
}

// Start runs bin with args in a new pseudo-terminal. The process is killed, if still
// running, when the test ends.
func Start(t testing.TB, bin string, args []string, opts Options) *Term {
	t.Helper()
	if opts.Width == 0 {
		opts.Width = 100
	}
	if opts.Height == 0 {
		opts.Height = 30
	}
	cmd := exec.Command(bin, args...)
	cmd.Dir = opts.Dir
	cmd.Env = append(environ(), "TERM=xterm-256color")
	cmd.Env = append(cmd.Env, opts.Env...)
	tm := &Term{
		t:        t,
		cmd:      cmd,
		emu:      vt.NewEmulator(opts.Width, opts.Height),
		changed:  make(chan struct{}),
		readDone: make(chan struct{}),
		exited:   make(chan struct{}),
		started:  time.Now(),
	}
	f, err := pty.StartWithSize(cmd, &pty.Winsize{Cols: uint16(opts.Width), Rows: uint16(opts.Height)})
	if err != nil {
		t.Fatalf("ptytest: start %s: %v", bin, err)
	}
	tm.pty = f
	go tm.readOutput()
	go tm.answerQueries()
	go func() {
		tm.waitErr = cmd.Wait()
		close(tm.exited)
	}()
	t.Cleanup(tm.close)
	return tm
}

// environ is this process's environment without the variables that would change what the
// program under test does.
func environ() []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch {
		case strings.HasPrefix(k, "PACER_"), k == "TERM", k == "NO_COLOR", k == "COLUMNS", k == "LINES", k == "COLORTERM":
			continue
		}
		env = append(env, kv)
	}
	return env
}

// readOutput feeds the program's output to the emulator and wakes the waiters.
func (tm *Term) readOutput() {
	defer close(tm.readDone)
	buf := make([]byte, 32*1024)
	for {
		n, err := tm.pty.Read(buf)
		if n > 0 {
			tm.mu.Lock()
			tm.raw.Write(buf[:n])
			_, _ = tm.emu.Write(buf[:n])
			close(tm.changed)
			tm.changed = make(chan struct{})
			tm.mu.Unlock()
		}
		if err != nil {
			return
		}
	}
}

// answerQueries sends the emulator's replies (background colour, cursor position, modes)
// back to the program, as a real terminal does.
func (tm *Term) answerQueries() {
	_, _ = io.Copy(tm.pty, tm.emu)
}

func (tm *Term) close() {
	select {
	case <-tm.exited:
	default:
		_ = tm.cmd.Process.Kill()
		<-tm.exited
	}
	_ = tm.pty.Close()
	<-tm.readDone
	// Ends answerQueries without touching the emulator's state, which it reads.
	if c, ok := tm.emu.InputPipe().(io.Closer); ok {
		_ = c.Close()
	}
}

// Kill ends the program with SIGKILL, as a killed terminal would, and waits until it has
// exited.
func (tm *Term) Kill() {
	_ = tm.cmd.Process.Kill()
	<-tm.exited
}

// Send types keys: plain text or the constants of this package.
func (tm *Term) Send(keys ...string) {
	tm.t.Helper()
	for _, k := range keys {
		if _, err := io.WriteString(tm.pty, k); err != nil {
			tm.t.Fatalf("ptytest: send %q: %v", k, err)
		}
	}
}

// Click presses and releases the left mouse button at column x, row y (from 0), as a
// terminal reports it in SGR mouse mode.
func (tm *Term) Click(x, y int) {
	tm.t.Helper()
	tm.Send(fmt.Sprintf("\x1b[<0;%d;%dM", x+1, y+1), fmt.Sprintf("\x1b[<0;%d;%dm", x+1, y+1))
}

// Wheel turns the mouse wheel at column x, row y: down when down is true, else up.
func (tm *Term) Wheel(x, y int, down bool) {
	tm.t.Helper()
	b := 64
	if down {
		b = 65
	}
	tm.Send(fmt.Sprintf("\x1b[<%d;%d;%dM", b, x+1, y+1))
}

// Resize changes the terminal's size; the program is told with SIGWINCH.
func (tm *Term) Resize(w, h int) {
	tm.t.Helper()
	tm.mu.Lock()
	tm.emu.Resize(w, h)
	tm.mu.Unlock()
	if err := pty.Setsize(tm.pty, &pty.Winsize{Cols: uint16(w), Rows: uint16(h)}); err != nil {
		tm.t.Fatalf("ptytest: resize: %v", err)
	}
}

// Screen is the terminal's screen as plain text, one line per row, trailing spaces cut.
func (tm *Term) Screen() string {
	tm.mu.Lock()
	defer tm.mu.Unlock()
	return tm.screen()
}

func (tm *Term) screen() string {
	lines := strings.Split(tm.emu.String(), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " ")
	}
	return strings.Join(lines, "\n")
}

// StyledScreen is the screen with its styles as ANSI escape sequences, one line per row:
// for checks on what plain text can't show (the reverse video of a selected row).
func (tm *Term) StyledScreen() string {
	tm.mu.Lock()
	defer tm.mu.Unlock()
	return tm.emu.Render()
}

// Raw is everything the program has written, escape sequences included.
func (tm *Term) Raw() []byte {
	tm.mu.Lock()
	defer tm.mu.Unlock()
	return bytes.Clone(tm.raw.Bytes())
}

// Since is the time from the program's start to now.
func (tm *Term) Since() time.Duration { return time.Since(tm.started) }

// WaitFor waits until the screen shows text and returns the screen. It fails the test,
// showing the screen, if that has not happened within timeout or the program ended first.
func (tm *Term) WaitFor(text string, timeout time.Duration) string {
	tm.t.Helper()
	return tm.WaitUntil(fmt.Sprintf("%q on screen", text), func(s string) bool { return strings.Contains(s, text) }, timeout)
}

// WaitGone waits until the screen no longer shows text.
func (tm *Term) WaitGone(text string, timeout time.Duration) string {
	tm.t.Helper()
	return tm.WaitUntil(fmt.Sprintf("%q gone", text), func(s string) bool { return !strings.Contains(s, text) }, timeout)
}

// WaitUntil waits until ok(screen) holds, checking after each piece of output, and
// returns the screen; what names the condition in a failure.
func (tm *Term) WaitUntil(what string, ok func(screen string) bool, timeout time.Duration) string {
	tm.t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		tm.mu.Lock()
		scr, changed := tm.screen(), tm.changed
		tm.mu.Unlock()
		if ok(scr) {
			return scr
		}
		select {
		case <-changed:
		case <-tm.readDone:
			if scr := tm.Screen(); ok(scr) {
				return scr
			}
			tm.t.Fatalf("ptytest: the program ended before %s (%v); screen:\n%s", what, tm.exitErr(), tm.Screen())
			return ""
		case <-deadline.C:
			tm.t.Fatalf("ptytest: no %s after %v; screen:\n%s", what, timeout, tm.Screen())
			return ""
		}
	}
}

// exitErr is the program's exit status once it ended.
func (tm *Term) exitErr() error {
	select {
	case <-tm.exited:
		if tm.waitErr == nil {
			return errors.New("exit 0")
		}
		return tm.waitErr
	default:
		return errors.New("still running")
	}
}

// Wait waits for the program to end and returns its exit code; it fails the test if the
// program is still running after timeout.
func (tm *Term) Wait(timeout time.Duration) int {
	tm.t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	select {
	case <-tm.exited:
	case <-deadline.C:
		tm.t.Fatalf("ptytest: the program is still running after %v; screen:\n%s", timeout, tm.Screen())
	}
	var ee *exec.ExitError
	if errors.As(tm.waitErr, &ee) {
		return ee.ExitCode()
	}
	if tm.waitErr != nil {
		tm.t.Fatalf("ptytest: wait: %v", tm.waitErr)
	}
	return 0
}
