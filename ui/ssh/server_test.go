package ssh_test

import (
	"bytes"
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/charmbracelet/x/vt"
	gossh "golang.org/x/crypto/ssh"

	"github.com/pacer-sales/pacer/engine"
	"github.com/pacer-sales/pacer/store/bolt"
	"github.com/pacer-sales/pacer/ui"
	"github.com/pacer-sales/pacer/ui/console"
	"github.com/pacer-sales/pacer/ui/designer"
	"github.com/pacer-sales/pacer/ui/home"
	pacerssh "github.com/pacer-sales/pacer/ui/ssh"
)

// wait bounds every wait on the screen; it only matters when a test fails.
const wait = 15 * time.Second

// outbound is the sample org's lead sequence whose first step is a seller's task.
const outbound = "High-volume outbound prospecting"

// seller is a pacer user of a test with a key of their own and one lead with an open task.
type seller struct {
	username string
	key      gossh.Signer
	lead     string // the lead's name, in their work list
}

// org is the sample org behind a running SSH server on 127.0.0.1.
type org struct {
	eng     *engine.Engine
	srv     *pacerssh.Server
	addr    string
	sellers map[string]seller
	// others are names of records in other sellers' work lists.
	others []string
}

// newOrg loads the sample org, adds sellers with keys made here (each owning one lead
// connected to the outbound sequence), and serves the screens on 127.0.0.1.
func newOrg(t testing.TB, sellers ...string) *org {
	t.Helper()
	return newOrgWith(t, nil, sellers...)
}

// newOrgWith is newOrg with the server's options adjusted by adjust (when not nil).
func newOrgWith(t testing.TB, adjust func(*org, *pacerssh.Options), sellers ...string) *org {
	t.Helper()
	ctx := context.Background()
	db, err := bolt.Open(filepath.Join(t.TempDir(), "pacer.db"), bolt.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	eng := engine.New(db, nil)
	if _, err := eng.LoadDemo(ctx); err != nil {
		t.Fatal(err)
	}
	o := &org{eng: eng, sellers: map[string]seller{}}
	for i, name := range sellers {
		key := newKey(t)
		must(t, eng.AddUser(ctx, "admin", engine.User{
			Username: name, Name: strings.ToUpper(name[:1]) + name[1:], Roles: []engine.Role{engine.RoleSeller},
			SSHKeys: []string{authorizedKey(key, name+"@laptop")},
		}))
		ref := leadRef(20 + i)
		rec, err := eng.SetRecord(ctx, "admin", ref, map[string]string{"owner": name})
		must(t, err)
		_, err = eng.Connect(ctx, "admin", outbound, []string{ref})
		must(t, err)
		o.sellers[name] = seller{username: name, key: key, lead: rec.Name}
	}
	all, err := eng.Tasks(ctx, "admin", engine.TaskQuery{All: true})
	must(t, err)
	for _, row := range all {
		if len(row.Assignees) == 1 && strings.Contains(row.Assignees[0], ".") {
			o.others = append(o.others, row.RecordName)
		}
	}
	if len(o.others) == 0 {
		t.Fatal("the sample org has no tasks of its own sellers")
	}
	o.serve(t, adjust)
	return o
}

func leadRef(n int) string { return "lead/L-" + strconv.Itoa(1000+n) }

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func (o *org) serve(t testing.TB, adjust func(*org, *pacerssh.Options)) {
	t.Helper()
	opts := pacerssh.Options{
		UI: ui.Options{Screens: ui.Screens{Home: home.New, Sequence: designer.New, WorkList: console.New}},
	}
	if adjust != nil {
		adjust(o, &opts)
	}
	srv, err := pacerssh.New(o.eng, opts)
	must(t, err)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(l) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
		if err := <-served; !errors.Is(err, pacerssh.ErrServerClosed) {
			t.Errorf("serve: %v", err)
		}
	})
	o.srv, o.addr = srv, l.Addr().String()
}

// open signs in as a seller in a 100×30 terminal.
func (o *org) open(t testing.TB, name string) *term {
	t.Helper()
	return openTerm(t, o.addr, o.srv.HostKey(), 100, 30, nil, o.sellers[name].key)
}

// A seller signs in with their key: the header names them, the home grid shows, 2 opens
// their work list with their task and no one else's, q ends the session.
func TestSessionAsSeller(t *testing.T) {
	o := newOrg(t, "tess", "omar")
	tm := o.open(t, "tess")
	tm.WaitFor(wait, "tess (seller)", "[1 Sequences]", "Webinar follow-up", "Missed meeting follow-up")
	if n := o.srv.Sessions(); n != 1 {
		t.Errorf("Sessions() = %d, want 1", n)
	}
	tm.Send("2")
	scr := tm.WaitFor(wait, "[2 Work list]", o.sellers["tess"].lead)
	for _, other := range append([]string{o.sellers["omar"].lead}, o.others...) {
		if strings.Contains(scr, other) {
			t.Errorf("tess's work list shows %q, a task of another seller:\n%s", other, scr)
		}
	}
	tm.Send("q")
	if code := tm.Wait(wait); code != 0 {
		t.Errorf("exit status %d", code)
	}
}

// Two sellers at once, each in their own program: each sees their own work list, and one
// leaving does not end the other.
func TestConcurrentSessions(t *testing.T) {
	o := newOrg(t, "tess", "omar")
	terms := map[string]*term{}
	for _, name := range []string{"tess", "omar"} {
		terms[name] = o.open(t, name)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 2)
	for name, tm := range terms {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := tm.waitUntil(name+"'s home", contains(name+" (seller)", "[1 Sequences]"), wait); err != nil {
				errs <- err
				return
			}
			tm.Send("2")
			if _, err := tm.waitUntil(name+"'s work list", contains("[2 Work list]", o.sellers[name].lead), wait); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if t.Failed() {
		return
	}
	if scr := terms["omar"].Screen(); strings.Contains(scr, o.sellers["tess"].lead) {
		t.Errorf("omar sees tess's task:\n%s", scr)
	}
	terms["tess"].Send("q")
	if code := terms["tess"].Wait(wait); code != 0 {
		t.Errorf("tess: exit status %d", code)
	}
	// omar works on: back to the sequences and to the work list again.
	terms["omar"].Send("1")
	terms["omar"].WaitFor(wait, "[1 Sequences]")
	terms["omar"].Send("2")
	terms["omar"].WaitFor(wait, "[2 Work list]", o.sellers["omar"].lead)
	terms["omar"].Send("q")
	if code := terms["omar"].Wait(wait); code != 0 {
		t.Errorf("omar: exit status %d", code)
	}
}

func contains(texts ...string) func(_ *vt.Emulator, scr string) bool {
	return func(_ *vt.Emulator, scr string) bool {
		for _, s := range texts {
			if !strings.Contains(scr, s) {
				return false
			}
		}
		return true
	}
}

// A key that belongs to no pacer user is refused at authentication.
func TestUnknownKeyRefused(t *testing.T) {
	o := newOrg(t, "tess")
	_, err := dial(o.addr, o.srv.HostKey(), newKey(t))
	if err == nil || !strings.Contains(err.Error(), "unable to authenticate") {
		t.Fatalf("dial with an unknown key: %v, want an authentication failure", err)
	}
}

// The user is the owner of the key the connection was authenticated with: a client that
// offers an unknown key first, then omar's, is omar.
func TestUserFromAuthenticatedKey(t *testing.T) {
	o := newOrg(t, "tess", "omar")
	tm := openTerm(t, o.addr, o.srv.HostKey(), 100, 30, nil, newKey(t), o.sellers["omar"].key)
	scr := tm.WaitFor(wait, "omar (seller)", "[1 Sequences]")
	if strings.Contains(scr, "tess") {
		t.Errorf("omar's session names tess:\n%s", scr)
	}
}

// A session without a terminal, or with a command, is told why and ends with status 1.
func TestSessionNeedsTerminal(t *testing.T) {
	o := newOrg(t, "tess")
	_, port, _ := net.SplitHostPort(o.addr)
	client, err := dial(o.addr, o.srv.HostKey(), o.sellers["tess"].key)
	must(t, err)
	defer client.Close()
	for _, c := range []struct {
		name, cmd string
		pty       bool
		want      string
	}{
		{"shell without a pty", "", false, "no command and no terminal. Run a command, e.g. ssh -p " + port + " 127.0.0.1 seq list, or connect with a terminal for the screens: ssh -t -p " + port + " 127.0.0.1"},
		{"command to a server of the screens only", "tasks --json", true, "takes no command"},
	} {
		t.Run(c.name, func(t *testing.T) {
			sess, err := client.NewSession()
			must(t, err)
			defer sess.Close()
			var stdout, stderr bytes.Buffer
			sess.Stdout, sess.Stderr = &stdout, &stderr
			if c.pty {
				must(t, sess.RequestPty("xterm", 30, 100, gossh.TerminalModes{}))
			}
			if c.cmd == "" {
				must(t, sess.Shell())
				err = sess.Wait()
			} else {
				err = sess.Run(c.cmd)
			}
			var ee *gossh.ExitError
			if !errors.As(err, &ee) || ee.ExitStatus() != 1 {
				t.Fatalf("session ended with %v, want exit status 1", err)
			}
			if out := stdout.String() + stderr.String(); !strings.Contains(out, c.want) {
				t.Errorf("output %q lacks %q", out, c.want)
			}
		})
	}
}

// The host key is generated on the first start, kept, and the same on the next start.
func TestHostKeyKept(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "pacer.db.ssh_host_ed25519")
	db, err := bolt.Open(filepath.Join(dir, "pacer.db"), bolt.Options{NoSync: true})
	must(t, err)
	defer db.Close()
	eng := engine.New(db, nil)
	first, err := pacerssh.New(eng, pacerssh.Options{HostKeyPath: path})
	must(t, err)
	fi, err := os.Stat(path)
	must(t, err)
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("host key mode %v, want 0600", fi.Mode().Perm())
	}
	pub, err := os.ReadFile(path + ".pub")
	must(t, err)
	if !strings.HasPrefix(string(pub), "ssh-ed25519 ") {
		t.Errorf("public half %q", pub)
	}
	again, err := pacerssh.New(eng, pacerssh.Options{HostKeyPath: path})
	must(t, err)
	if !bytes.Equal(first.HostKey().Marshal(), again.HostKey().Marshal()) {
		t.Error("the host key changed between starts")
	}
	must(t, os.WriteFile(filepath.Join(dir, "bad"), []byte("not a key"), 0o600))
	if _, err := pacerssh.New(eng, pacerssh.Options{HostKeyPath: filepath.Join(dir, "bad")}); err == nil || !strings.Contains(err.Error(), "host key") {
		t.Errorf("a bad host key file: %v", err)
	}
}

// Shutdown ends every session's program cleanly (exit status 0) and returns once they are
// gone; new connections are refused.
func TestShutdownEndsSessions(t *testing.T) {
	o := newOrg(t, "tess", "omar")
	a, b := o.open(t, "tess"), o.open(t, "omar")
	a.WaitFor(wait, "tess (seller)", "[1 Sequences]")
	b.WaitFor(wait, "omar (seller)", "[1 Sequences]")
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	must(t, o.srv.Shutdown(ctx))
	for _, tm := range []*term{a, b} {
		// Each client is told why its session ends.
		tm.WaitFor(wait, "pacer is stopping: the server was asked to shut down")
		if code := tm.Wait(wait); code != 0 {
			t.Errorf("exit status %d", code)
		}
	}
	if n := o.srv.Sessions(); n != 0 {
		t.Errorf("%d sessions after Shutdown", n)
	}
	if _, err := dial(o.addr, o.srv.HostKey(), o.sellers["tess"].key); err == nil {
		t.Error("a new connection was accepted after Shutdown")
	}
}
