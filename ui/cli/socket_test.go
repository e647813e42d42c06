package cli_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pacer-sales/pacer/engine"
	"github.com/pacer-sales/pacer/store/bolt"
	"github.com/pacer-sales/pacer/ui/cli"
)

type backend struct{ eng *engine.Engine }

func (b backend) Open(context.Context, cli.Globals) (*engine.Engine, error) { return b.eng, nil }
func (b backend) Scratch(context.Context, time.Time) (*engine.Engine, func(), error) {
	return nil, nil, os.ErrInvalid
}
func (b backend) Path() string { return "" }

// logged collects log output and tells a waiting test when a line matches.
type logged struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	added chan struct{}
}

func (l *logged) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf.Write(p)
	close(l.added)
	l.added = make(chan struct{})
	return len(p), nil
}

func (l *logged) wait(t *testing.T, re *regexp.Regexp) {
	t.Helper()
	deadline := time.After(15 * time.Second)
	for {
		l.mu.Lock()
		found, added := re.MatchString(l.buf.String()), l.added
		l.mu.Unlock()
		if found {
			return
		}
		select {
		case <-added:
		case <-deadline:
			t.Fatalf("no log line matches %s:\n%s", re, l.buf.String())
		}
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// socketOrg serves an org with an admin on a socket in a temporary directory.
func socketOrg(t *testing.T) (*engine.Engine, string, *logged) {
	t.Helper()
	dir := t.TempDir()
	db, err := bolt.Open(filepath.Join(dir, "pacer.db"), bolt.Options{NoSync: true})
	must(t, err)
	t.Cleanup(func() { db.Close() })
	eng := engine.New(db, nil)
	must(t, eng.AddUser(context.Background(), "", engine.User{Username: "ada", Roles: []engine.Role{engine.RoleAdmin}}))
	path := cli.SocketPath(filepath.Join(dir, "pacer.db"))
	l, err := cli.ListenSocket(path)
	must(t, err)
	log := &logged{added: make(chan struct{})}
	srv := &cli.SocketServer{Backend: backend{eng}, Log: slog.New(slog.NewTextHandler(log, nil)), Info: cli.HolderInfo{PID: 1, What: "pacer serve"}}
	done := make(chan struct{})
	go func() { defer close(done); _ = srv.Serve(context.Background(), l) }()
	t.Cleanup(func() { l.Close(); <-done })
	return eng, path, log
}

func frame(typ byte, p []byte) []byte {
	b := make([]byte, 5+len(p))
	b[0] = typ
	binary.BigEndian.PutUint32(b[1:], uint32(len(p)))
	copy(b[5:], p)
	return b
}

// Forward runs a command in the holder with the caller's standard streams and exit code.
func TestForwardRunsInTheHolder(t *testing.T) {
	eng, path, _ := socketOrg(t)
	var out, errb bytes.Buffer
	csv := "id,name,owner\nL-1,Ana Lima,ada\nL-2,Bo Chen,ada\n"
	getenv := func(k string) string { return map[string]string{"PACER_USER": "ada"}[k] }
	code, err := cli.Forward(context.Background(), path, []string{"record", "import", "-", "--entity", "lead"}, getenv, "nobody", strings.NewReader(csv), &out, &errb)
	if err != nil || code != 0 || !strings.Contains(out.String(), "Imported 2 lead records") {
		t.Fatalf("forwarded import: %d %v %q %q", code, err, out.String(), errb.String())
	}
	recs, err := eng.Records(context.Background(), "ada", "lead")
	must(t, err)
	if len(recs) != 2 {
		t.Fatalf("%d records", len(recs))
	}
	out.Reset()
	code, err = cli.Forward(context.Background(), path, []string{"seq", "activate", "nothing"}, getenv, "nobody", strings.NewReader(""), &out, &errb)
	if err != nil || code != 1 || !strings.Contains(errb.String(), "nothing") {
		t.Fatalf("a refused command: %d %v %q", code, err, errb.String())
	}
	info, err := cli.AskHolder(path)
	if err != nil || info.What != "pacer serve" {
		t.Fatalf("AskHolder: %+v %v", info, err)
	}
	st, err := os.Stat(path)
	must(t, err)
	if st.Mode().Perm() != 0o600 {
		t.Errorf("socket mode %v", st.Mode().Perm())
	}
	if _, err := cli.ListenSocket(path); err == nil || !strings.Contains(err.Error(), "another pacer answers") {
		t.Errorf("a second listener on a live socket: %v", err)
	}
}

// A client that goes away in the middle of its standard input imports nothing.
func TestSocketClientGoneMidImport(t *testing.T) {
	eng, path, log := socketOrg(t)
	c, err := net.Dial("unix", path)
	must(t, err)
	req := []byte(`{"args":["record","import","-","--entity","lead"],"env":{"PACER_USER":"ada"}}`)
	_, err = c.Write(frame('R', req))
	must(t, err)
	r := bufio.NewReader(c)
	var head [5]byte
	_, err = io.ReadFull(r, head[:])
	must(t, err)
	if head[0] != 'N' {
		t.Fatalf("frame %q, want the holder asking for standard input", head[0])
	}
	_, err = c.Write(frame('I', []byte("id,name,owner\nK-1,Killed One,ada\n")))
	must(t, err)
	c.Close() // killed: no end-of-input frame
	log.wait(t, regexp.MustCompile(`msg="socket: command" args="record import" .*exit=1`))
	recs, err := eng.Records(context.Background(), "ada", "lead")
	must(t, err)
	if len(recs) != 0 {
		t.Errorf("a client gone mid-import left %d records", len(recs))
	}
}

// A socket file left by a killed holder is replaced by the next one.
func TestStaleSocketReplaced(t *testing.T) {
	path := filepath.Join(t.TempDir(), "pacer.db.sock")
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	must(t, err)
	l.SetUnlinkOnClose(false)
	l.Close() // the file stays, nothing answers: a killed process's socket
	if _, err := os.Stat(path); err != nil {
		t.Fatal(err)
	}
	if _, err := cli.AskHolder(path); err == nil {
		t.Fatal("a stale socket answered")
	}
	l2, err := cli.ListenSocket(path)
	must(t, err)
	l2.Close()
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("a closed listener left its socket: %v", err)
	}
}
