package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/charmbracelet/x/vt"
	gossh "golang.org/x/crypto/ssh"
)

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// lines collects what a command writes, line by line, for a test to wait on.
type lines struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	added chan struct{}
}

func newLines() *lines { return &lines{added: make(chan struct{})} }

func (l *lines) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf.Write(p)
	close(l.added)
	l.added = make(chan struct{})
	return len(p), nil
}

func (l *lines) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// waitMatch waits until the output matches re and returns the submatches.
func (l *lines) waitMatch(t *testing.T, re *regexp.Regexp, timeout time.Duration) []string {
	t.Helper()
	deadline := time.After(timeout)
	for {
		l.mu.Lock()
		m, added := re.FindStringSubmatch(l.buf.String()), l.added
		l.mu.Unlock()
		if m != nil {
			return m
		}
		select {
		case <-added:
		case <-deadline:
			t.Fatalf("no %s in the output after %v:\n%s", re, timeout, l.String())
		}
	}
}

// pacer serve end to end: it prints where it listens, keeps its host key beside the
// database, serves the screens to a user's key and the endpoints, and stops when asked.
func TestServeCommand(t *testing.T) {
	db := demoDB(t)
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	must(t, err)
	key, err := gossh.NewSignerFromKey(priv)
	must(t, err)
	pub := strings.TrimSpace(string(gossh.MarshalAuthorizedKey(key.PublicKey()))) + " tess@laptop"
	ok(t, pacer(t, db, "user", "add", "tess", "--role", "seller", "--key", pub))

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out := newLines()
	var errb bytes.Buffer
	code := make(chan int, 1)
	go func() {
		code <- run(ctx, []string{"--db", db, "serve", "--ssh", "127.0.0.1:0", "--http", "127.0.0.1:0"}, strings.NewReader(""), out, &errb)
	}()
	m := out.waitMatch(t, regexp.MustCompile(`SSH: the screens and commands on (127\.0\.0\.1:\d+) \(host key (SHA256:\S+), `), 15*time.Second)
	sshAddr, fingerprint := m[1], m[2]
	httpURL := out.waitMatch(t, regexp.MustCompile(`HTTP: tracking and events on (http://127\.0\.0\.1:\d+) `), 15*time.Second)[1]
	out.waitMatch(t, regexp.MustCompile(`pacer serve is running`), 15*time.Second)

	hostPub, err := os.ReadFile(db + ".ssh_host_ed25519.pub")
	must(t, err)
	hostKey, _, _, _, err := gossh.ParseAuthorizedKey(hostPub)
	must(t, err)
	if got := gossh.FingerprintSHA256(hostKey); got != fingerprint {
		t.Errorf("printed host key %s, file has %s", fingerprint, got)
	}

	res, err := http.Get(httpURL + "/healthz")
	must(t, err)
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Errorf("GET /healthz: %d", res.StatusCode)
	}

	client, err := gossh.Dial("tcp", sshAddr, &gossh.ClientConfig{
		User: "whoever", Auth: []gossh.AuthMethod{gossh.PublicKeys(key)},
		HostKeyCallback: gossh.FixedHostKey(hostKey), Timeout: 10 * time.Second,
	})
	must(t, err)
	defer client.Close()
	sess, err := client.NewSession()
	must(t, err)
	must(t, sess.RequestPty("xterm-256color", 30, 100, gossh.TerminalModes{}))
	stdin, err := sess.StdinPipe()
	must(t, err)
	stdout, err := sess.StdoutPipe()
	must(t, err)
	must(t, sess.Shell())
	emu := vt.NewEmulator(100, 30)
	go func() { _, _ = io.Copy(stdin, emu) }()
	defer func() {
		if c, ok := emu.InputPipe().(io.Closer); ok {
			_ = c.Close()
		}
	}()
	screen := make(chan string)
	go func() {
		defer close(screen)
		r := bufio.NewReader(stdout)
		buf := make([]byte, 32<<10)
		for {
			n, err := r.Read(buf)
			if n > 0 {
				_, _ = emu.Write(buf[:n])
				screen <- emu.String()
			}
			if err != nil {
				return
			}
		}
	}()
	deadline := time.After(15 * time.Second)
	for seen := false; !seen; {
		select {
		case s, open := <-screen:
			if !open {
				t.Fatal("the session ended before the home screen")
			}
			seen = strings.Contains(s, "tess (seller)") && strings.Contains(s, "[1 Sequences]")
		case <-deadline:
			t.Fatal("no home screen of tess over SSH")
		}
	}
	go func() {
		for range screen {
		}
	}()

	// Stopping ends the session and the command, cleanly.
	cancel()
	select {
	case c := <-code:
		if c != 0 {
			t.Fatalf("pacer serve exited %d: %s", c, errb.String())
		}
	case <-time.After(15 * time.Second):
		t.Fatal("pacer serve still runs after its context ended")
	}
	if err := sess.Wait(); err != nil {
		t.Errorf("the session ended with %v, want a clean exit", err)
	}
	if !strings.Contains(out.String(), "pacer serve: stopping") {
		t.Errorf("output:\n%s", out.String())
	}
}

// Refusals before anything starts.
func TestServeRefuses(t *testing.T) {
	db := demoDB(t)
	r := pacer(t, db, "serve", "--ssh", "off", "--http", "off")
	if r.code != 1 || !strings.Contains(r.stderr, "nothing to serve") {
		t.Errorf("both off: exit %d, %s", r.code, r.stderr)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	defer l.Close()
	r = pacer(t, db, "serve", "--ssh", "off", "--http", l.Addr().String())
	if r.code != 1 || !strings.Contains(r.stderr, "--http "+l.Addr().String()) {
		t.Errorf("taken port: exit %d, %s", r.code, r.stderr)
	}
	r = pacer(t, filepath.Join(t.TempDir(), "empty.db"), "serve")
	if r.code != 1 || !strings.Contains(r.stderr, "no users yet") {
		t.Errorf("empty database: exit %d, %s", r.code, r.stderr)
	}
}
