package ssh_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/charmbracelet/x/vt"
	gossh "golang.org/x/crypto/ssh"
)

// term is an SSH client session in a pseudo-terminal of the server, and the screen it has
// drawn, read through a terminal emulator. Waits follow the output as it arrives; a
// deadline only bounds a failure.
type term struct {
	t      testing.TB
	client *gossh.Client
	sess   *gossh.Session
	stdin  io.WriteCloser

	mu      sync.Mutex
	emu     *vt.Emulator
	changed chan struct{} // closed and replaced after every output
	lastOut time.Time     // when the latest output arrived

	readDone chan struct{}
	exited   chan struct{}
	exitErr  error
}

// newKey makes an ed25519 key for a client.
func newKey(t testing.TB) gossh.Signer {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s, err := gossh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// authorizedKey is a key's public half as `pacer user add --key` takes it.
func authorizedKey(s gossh.Signer, comment string) string {
	return strings.TrimSpace(string(gossh.MarshalAuthorizedKey(s.PublicKey()))) + " " + comment
}

// dial connects to addr with the keys, checking the server's host key.
func dial(addr string, hostKey gossh.PublicKey, keys ...gossh.Signer) (*gossh.Client, error) {
	return gossh.Dial("tcp", addr, &gossh.ClientConfig{
		User:            "anyone",
		Auth:            []gossh.AuthMethod{gossh.PublicKeys(keys...)},
		HostKeyCallback: gossh.FixedHostKey(hostKey),
		Timeout:         10 * time.Second,
	})
}

// openTerm signs in with the keys and starts a shell in a w×h pseudo-terminal, with env
// set in the session first. The connection is closed when the test ends.
func openTerm(t testing.TB, addr string, hostKey gossh.PublicKey, w, h int, env map[string]string, keys ...gossh.Signer) *term {
	t.Helper()
	client, err := dial(addr, hostKey, keys...)
	if err != nil {
		t.Fatalf("ssh: %v", err)
	}
	tm := &term{
		t:        t,
		client:   client,
		emu:      vt.NewEmulator(w, h),
		changed:  make(chan struct{}),
		readDone: make(chan struct{}),
		exited:   make(chan struct{}),
	}
	t.Cleanup(tm.close)
	if tm.sess, err = client.NewSession(); err != nil {
		t.Fatalf("ssh session: %v", err)
	}
	for k, v := range env {
		if err := tm.sess.Setenv(k, v); err != nil {
			t.Fatalf("ssh setenv %s: %v", k, err)
		}
	}
	if err := tm.sess.RequestPty("xterm-256color", h, w, gossh.TerminalModes{}); err != nil {
		t.Fatalf("ssh pty: %v", err)
	}
	if tm.stdin, err = tm.sess.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	out, err := tm.sess.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := tm.sess.Shell(); err != nil {
		t.Fatalf("ssh shell: %v", err)
	}
	go tm.readOutput(out)
	go tm.answerQueries()
	go func() {
		tm.exitErr = tm.sess.Wait()
		close(tm.exited)
	}()
	return tm
}

// readOutput feeds the session's output to the emulator and wakes the waiters.
func (tm *term) readOutput(out io.Reader) {
	defer close(tm.readDone)
	buf := make([]byte, 32*1024)
	for {
		n, err := out.Read(buf)
		if n > 0 {
			now := time.Now()
			tm.mu.Lock()
			_, _ = tm.emu.Write(buf[:n])
			tm.lastOut = now
			close(tm.changed)
			tm.changed = make(chan struct{})
			tm.mu.Unlock()
		}
		if err != nil {
			return
		}
	}
}

// answerQueries sends the emulator's replies (background colour, cursor position) back
// to the program, as a real terminal does.
func (tm *term) answerQueries() { _, _ = io.Copy(tm.stdin, tm.emu) }

func (tm *term) close() {
	_ = tm.client.Close()
	<-tm.readDone
	if c, ok := tm.emu.InputPipe().(io.Closer); ok {
		_ = c.Close()
	}
}

// Send types keys.
func (tm *term) Send(keys string) {
	tm.t.Helper()
	if _, err := io.WriteString(tm.stdin, keys); err != nil {
		tm.t.Fatalf("send %q: %v", keys, err)
	}
}

// Screen is the screen as plain text, trailing spaces cut.
func (tm *term) Screen() string {
	tm.mu.Lock()
	defer tm.mu.Unlock()
	return tm.screen()
}

func (tm *term) screen() string {
	lines := strings.Split(tm.emu.String(), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " ")
	}
	return strings.Join(lines, "\n")
}

// WaitFor waits until the screen shows every text and returns the screen.
func (tm *term) WaitFor(timeout time.Duration, texts ...string) string {
	tm.t.Helper()
	scr, err := tm.waitUntil(fmt.Sprintf("%q on screen", texts), func(e *vt.Emulator, scr string) bool {
		for _, s := range texts {
			if !strings.Contains(scr, s) {
				return false
			}
		}
		return true
	}, timeout)
	if err != nil {
		tm.t.Fatal(err)
	}
	return scr
}

// waitUntil waits until ok holds of the emulator and its plain screen, checking after each
// piece of output, and returns the screen; what names the condition in an error.
func (tm *term) waitUntil(what string, ok func(e *vt.Emulator, screen string) bool, timeout time.Duration) (string, error) {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		tm.mu.Lock()
		scr, changed := tm.screen(), tm.changed
		good := ok(tm.emu, scr)
		tm.mu.Unlock()
		if good {
			return scr, nil
		}
		select {
		case <-changed:
		case <-tm.readDone:
			tm.mu.Lock()
			scr := tm.screen()
			good := ok(tm.emu, scr)
			tm.mu.Unlock()
			if good {
				return scr, nil
			}
			return "", fmt.Errorf("the session ended before %s; screen:\n%s", what, scr)
		case <-deadline.C:
			return "", fmt.Errorf("no %s after %v; screen:\n%s", what, timeout, tm.Screen())
		}
	}
}

// frameWhen waits until ok holds, like waitUntil, and returns when the output that made it
// hold arrived.
func (tm *term) frameWhen(what string, ok func(e *vt.Emulator, screen string) bool, timeout time.Duration) (time.Time, error) {
	var at time.Time
	_, err := tm.waitUntil(what, func(e *vt.Emulator, scr string) bool {
		if ok(e, scr) {
			at = tm.lastOut
			return true
		}
		return false
	}, timeout)
	return at, err
}

// Wait waits for the session to end and returns its exit status.
func (tm *term) Wait(timeout time.Duration) int {
	tm.t.Helper()
	select {
	case <-tm.exited:
	case <-time.After(timeout):
		tm.t.Fatalf("the session still runs after %v; screen:\n%s", timeout, tm.Screen())
	}
	var ee *gossh.ExitError
	if errors.As(tm.exitErr, &ee) {
		return ee.ExitStatus()
	}
	if tm.exitErr != nil {
		tm.t.Fatalf("session: %v", tm.exitErr)
	}
	return 0
}
