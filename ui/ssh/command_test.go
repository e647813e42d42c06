package ssh_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"regexp"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spf13/cobra"
	gossh "golang.org/x/crypto/ssh"

	"github.com/pacer-sales/pacer/engine"
	"github.com/pacer-sales/pacer/engine/limits"
	"github.com/pacer-sales/pacer/ui/cli"
	pacerssh "github.com/pacer-sales/pacer/ui/ssh"
)

// engineBackend gives the commands of the test server its engine.
type engineBackend struct{ eng *engine.Engine }

func (b engineBackend) Open(context.Context, cli.Globals) (*engine.Engine, error) { return b.eng, nil }
func (b engineBackend) Scratch(context.Context, time.Time) (*engine.Engine, func(), error) {
	return nil, nil, errors.New("no scratch copies in this test")
}
func (b engineBackend) Path() string { return "" }

// logLines collects log lines for a test to wait on.
type logLines struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	added chan struct{}
}

func newLogLines() *logLines { return &logLines{added: make(chan struct{})} }

func (l *logLines) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf.Write(p)
	close(l.added)
	l.added = make(chan struct{})
	return len(p), nil
}

// waitMatch waits for a log line matching re and returns its submatches.
func (l *logLines) waitMatch(t testing.TB, re *regexp.Regexp) []string {
	t.Helper()
	deadline := time.After(wait)
	for {
		l.mu.Lock()
		m := re.FindStringSubmatch(l.buf.String())
		added := l.added
		l.mu.Unlock()
		if m != nil {
			return m
		}
		select {
		case <-added:
		case <-deadline:
			t.Fatalf("no log line matches %s; log:\n%s", re, l.String())
		}
	}
}

func (l *logLines) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// commandOrg is the sample org served with commands, its log collected.
func commandOrg(t testing.TB, adjust func(*pacerssh.Options), sellers ...string) (*org, *logLines) {
	t.Helper()
	log := newLogLines()
	o := newOrgWith(t, func(o *org, opts *pacerssh.Options) {
		opts.Backend = engineBackend{o.eng}
		opts.Log = slog.New(slog.NewTextHandler(log, &slog.HandlerOptions{Level: slog.LevelDebug}))
		if adjust != nil {
			adjust(opts)
		}
	}, sellers...)
	return o, log
}

// result is how a command session ended.
type result struct {
	code           int
	stdout, stderr string
}

// runCmd runs a command over a new session of client, with stdin.
func runCmd(t testing.TB, client *gossh.Client, cmd string, stdin string, pty bool) result {
	t.Helper()
	sess, err := client.NewSession()
	must(t, err)
	defer sess.Close()
	var stdout, stderr bytes.Buffer
	sess.Stdout, sess.Stderr = &stdout, &stderr
	sess.Stdin = strings.NewReader(stdin)
	if pty {
		must(t, sess.RequestPty("xterm", 40, 120, gossh.TerminalModes{}))
	}
	err = sess.Run(cmd)
	r := result{stdout: stdout.String(), stderr: stderr.String()}
	var ee *gossh.ExitError
	switch {
	case errors.As(err, &ee):
		r.code = ee.ExitStatus()
	case err != nil:
		t.Fatalf("%s: %v", cmd, err)
	}
	return r
}

// local runs the same command line in this process, as user, for comparison.
func local(o *org, user string, args ...string) result {
	var stdout, stderr bytes.Buffer
	code := cli.Run(context.Background(), cli.Env{Stdout: &stdout, Stderr: &stderr, Backend: engineBackend{o.eng}, User: user}, args)
	return result{code, stdout.String(), stderr.String()}
}

// Commands over SSH run as the user whose key signed in, with the command line's output,
// exit status and roles.
func TestCommandOverSSH(t *testing.T) {
	o, _ := commandOrg(t, nil, "tess")
	client, err := dial(o.addr, o.srv.HostKey(), o.sellers["tess"].key)
	must(t, err)
	defer client.Close()

	r := runCmd(t, client, "seq list --json", "", false)
	want := local(o, "tess", "seq", "list", "--json")
	if r.code != 0 || r.stdout != want.stdout || want.stdout == "" {
		t.Errorf("seq list --json over SSH: exit %d, %d bytes, want the local %d bytes\nstderr: %s", r.code, len(r.stdout), len(want.stdout), r.stderr)
	}
	// tasks shows tess's own work list: she is the acting user.
	r = runCmd(t, client, "tasks --json", "", false)
	var tasks []struct {
		RecordName string   `json:"record_name"`
		Assignees  []string `json:"assignees"`
	}
	must(t, json.Unmarshal([]byte(r.stdout), &tasks))
	if len(tasks) != 1 || tasks[0].RecordName != o.sellers["tess"].lead || !slices.Equal(tasks[0].Assignees, []string{"tess"}) {
		t.Errorf("tess's tasks over SSH: %+v", tasks)
	}

	// A seller may not activate the org's sequences: refused with the local message and exit 1.
	r = runCmd(t, client, "seq activate '"+outbound+"'", "", false)
	want = local(o, "tess", "seq", "activate", outbound)
	if r.code != 1 || want.code != 1 || r.stderr != want.stderr || !strings.Contains(r.stderr, "tess can only change their own sequences") {
		t.Errorf("a seller's activate: exit %d %q, local exit %d %q", r.code, r.stderr, want.code, want.stderr)
	}
	// --as and --db are not accepted over SSH; --help works.
	for _, flag := range []string{"--as admin", "--db /tmp/x.db"} {
		r = runCmd(t, client, "seq list "+flag, "", false)
		if r.code != 1 || !strings.Contains(r.stderr, "unknown flag: "+strings.Fields(flag)[0]) {
			t.Errorf("seq list %s: exit %d %q", flag, r.code, r.stderr)
		}
	}
	r = runCmd(t, client, "--help", "", false)
	if r.code != 0 || !strings.Contains(r.stdout, "seq") || strings.Contains(r.stdout, "--db") || !strings.Contains(r.stdout, "ssh -p") {
		t.Errorf("--help over SSH: exit %d\n%s", r.code, r.stdout)
	}
	// With -t (a terminal) a command still runs as a command, its lines ended for a raw
	// terminal.
	r = runCmd(t, client, "seq list", "", true)
	if r.code != 0 || !strings.Contains(r.stdout, outbound) || !strings.Contains(r.stdout, "\r\n") {
		t.Errorf("seq list with a pty: exit %d %q", r.code, r.stdout)
	}
	// A file argument names a file of the server: refused, pointing at standard input.
	r = runCmd(t, client, "seq import /etc/passwd", "", false)
	if r.code != 1 || !strings.Contains(r.stderr, "give - and send the file on standard input") {
		t.Errorf("a server file over SSH: exit %d %q", r.code, r.stderr)
	}
}

// record import - reads standard input: all or nothing, bad rows as -:LINE: reason.
func TestImportFromStdinOverSSH(t *testing.T) {
	o, _ := commandOrg(t, nil, "tess")
	admin := newKey(t)
	ctx := context.Background()
	_, err := o.eng.AddUserKey(ctx, "admin", "admin", authorizedKey(admin, "admin@laptop"))
	must(t, err)
	client, err := dial(o.addr, o.srv.HostKey(), admin)
	must(t, err)
	defer client.Close()
	count := func() int {
		recs, err := o.eng.Records(ctx, "admin", "lead")
		must(t, err)
		return len(recs)
	}
	before := count()
	bad := "id,name,owner\nX-1,Ok Lead,tess\nX-2,,nobody\n"
	r := runCmd(t, client, "record import - --entity lead", bad, false)
	if r.code != 1 || !strings.Contains(r.stderr, "-:3:") {
		t.Errorf("bad row: exit %d %q", r.code, r.stderr)
	}
	if n := count(); n != before {
		t.Fatalf("a refused import changed the record count: %d → %d", before, n)
	}
	good := "id,name,owner\nX-1,First Lead,tess\nX-2,Second Lead,tess\n"
	r = runCmd(t, client, "record import - --entity lead", good, false)
	if r.code != 0 || !strings.Contains(r.stdout, "Imported 2 lead records: 2 new") {
		t.Errorf("good import: exit %d %q %q", r.code, r.stdout, r.stderr)
	}
	if n := count(); n != before+2 {
		t.Errorf("record count %d → %d, want +2", before, n)
	}
	// Standard input over its limit is refused, naming the limit.
	big := strings.Repeat("x", limits.SequenceFile+1)
	r = runCmd(t, client, "seq import -", big, false)
	if r.code != 1 || !strings.Contains(r.stderr, "standard input is too large: the limit is 4 MiB") {
		t.Errorf("oversized stdin: exit %d %q", r.code, r.stderr)
	}
}

// A client that goes away after sending its input but before the command runs leaves the
// record count unchanged: the end of input it sent is not trusted once the client is gone.
func TestClientGoneMidImport(t *testing.T) {
	o, log := commandOrg(t, nil, "tess")
	admin := newKey(t)
	ctx := context.Background()
	_, err := o.eng.AddUserKey(ctx, "admin", "admin", authorizedKey(admin, "admin@laptop"))
	must(t, err)
	recs, err := o.eng.Records(ctx, "admin", "lead")
	must(t, err)
	before := len(recs)

	conn, err := net.Dial("tcp", o.addr)
	must(t, err)
	cc, chans, reqs, err := gossh.NewClientConn(conn, o.addr, &gossh.ClientConfig{
		User: "admin", Auth: []gossh.AuthMethod{gossh.PublicKeys(admin)},
		HostKeyCallback: gossh.FixedHostKey(o.srv.HostKey()), Timeout: wait,
	})
	must(t, err)
	go gossh.DiscardRequests(reqs)
	go func() {
		for ch := range chans {
			_ = ch.Reject(gossh.Prohibited, "no")
		}
	}()
	ch, chReqs, err := cc.OpenChannel("session", nil)
	must(t, err)
	cmd := gossh.Marshal(struct{ Command string }{"record import - --entity lead"})
	ok, err := ch.SendRequest("exec", true, cmd)
	if err != nil || !ok {
		t.Fatalf("exec: %v %v", ok, err)
	}
	// Half a file, complete lines: imported, they would change the count.
	_, err = io.WriteString(ch, "id,name,owner\nK-1,Killed One,tess\nK-2,Killed Two,tess\n")
	must(t, err)
	must(t, ch.CloseWrite())
	// The server asks whether the client is still there before it trusts the end of input;
	// the client is killed instead of answering.
	select {
	case req := <-chReqs:
		if !strings.HasPrefix(req.Type, "keepalive") {
			t.Fatalf("request %q", req.Type)
		}
	case <-time.After(wait):
		t.Fatal("the server never checked that the client was still there")
	}
	conn.Close()
	log.waitMatch(t, regexp.MustCompile(`msg="ssh: command" .*command="record import" exit=1`))
	recs, err = o.eng.Records(ctx, "admin", "lead")
	must(t, err)
	if len(recs) != before {
		t.Errorf("a client killed mid-import changed the record count: %d → %d", before, len(recs))
	}
}

// A command session and two screen sessions at once.
func TestCommandBesideScreens(t *testing.T) {
	o, _ := commandOrg(t, nil, "tess", "omar")
	a, b := o.open(t, "tess"), o.open(t, "omar")
	a.WaitFor(wait, "tess (seller)", "[1 Sequences]")
	b.WaitFor(wait, "omar (seller)", "[1 Sequences]")
	client, err := dial(o.addr, o.srv.HostKey(), o.sellers["omar"].key)
	must(t, err)
	defer client.Close()
	r := runCmd(t, client, "tasks", "", false)
	if r.code != 0 || !strings.Contains(r.stdout, o.sellers["omar"].lead) || strings.Contains(r.stdout, o.sellers["tess"].lead) {
		t.Errorf("omar's tasks beside the screens: exit %d\n%s", r.code, r.stdout)
	}
	a.Send("2")
	a.WaitFor(wait, "[2 Work list]", o.sellers["tess"].lead)
	b.Send("2")
	b.WaitFor(wait, "[2 Work list]", o.sellers["omar"].lead)
}

// A pty of 65535×65535, and a resize to it, are clamped to the terminal limits: the
// session's program gets the clamped size.
func TestHugePtyClamped(t *testing.T) {
	o, log := commandOrg(t, nil, "tess")
	client, err := dial(o.addr, o.srv.HostKey(), o.sellers["tess"].key)
	must(t, err)
	defer client.Close()
	sess, err := client.NewSession()
	must(t, err)
	defer sess.Close()
	stdout, err := sess.StdoutPipe()
	must(t, err)
	_, err = sess.StdinPipe()
	must(t, err)
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	must(t, sess.RequestPty("xterm-256color", 65535, 65535, gossh.TerminalModes{}))
	must(t, sess.Shell())
	log.waitMatch(t, regexp.MustCompile(fmt.Sprintf(`msg="ssh: session" user=tess .* width=%d height=%d`, limits.TermCols, limits.TermRows)))
	// The frame drawn is at most the clamped size: read until the header shows.
	var out bytes.Buffer
	buf := make([]byte, 64<<10)
	for !bytes.Contains(out.Bytes(), []byte("Sequences")) {
		n, err := stdout.Read(buf)
		out.Write(buf[:n])
		if err != nil {
			t.Fatalf("output ended: %v", err)
		}
	}
	must(t, sess.WindowChange(65535, 65535))
	log.waitMatch(t, regexp.MustCompile(fmt.Sprintf(`msg="ssh: resize" asked_width=65535 asked_height=65535 width=%d height=%d`, limits.TermCols, limits.TermRows)))
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	t.Logf("heap in use: %d MB before the session, %d MB with its 65535×65535 request (clamped to %d×%d); %d KB of output for the first frame",
		before.HeapInuse>>20, after.HeapInuse>>20, limits.TermCols, limits.TermRows, out.Len()>>10)
	if grown := int64(after.HeapInuse) - int64(before.HeapInuse); grown > 512<<20 {
		t.Errorf("the session's heap grew by %d MB", grown>>20)
	}
}

// An idle connection is closed after the idle timeout.
func TestIdleSessionClosed(t *testing.T) {
	const idle = 300 * time.Millisecond
	o, _ := commandOrg(t, func(opts *pacerssh.Options) { opts.IdleTimeout = idle }, "tess")
	client, err := dial(o.addr, o.srv.HostKey(), o.sellers["tess"].key)
	must(t, err)
	defer client.Close()
	start := time.Now()
	done := make(chan error, 1)
	go func() { done <- client.Wait() }()
	select {
	case <-done:
	case <-time.After(wait):
		t.Fatalf("an idle connection is still open after %v (idle timeout %v)", wait, idle)
	}
	if took := time.Since(start); took < idle {
		t.Errorf("closed after %v, before the idle timeout of %v", took, idle)
	}
}

// 300 connections that never sign in: a signed-in user's commands still answer; the
// connections over the cap are closed at once.
func TestUnauthenticatedFlood(t *testing.T) {
	const flood, limit = 300, 32
	o, _ := commandOrg(t, func(opts *pacerssh.Options) { opts.MaxUnauthenticated = limit }, "tess")
	client, err := dial(o.addr, o.srv.HostKey(), o.sellers["tess"].key)
	must(t, err)
	defer client.Close()
	timed := func() time.Duration {
		start := time.Now()
		if r := runCmd(t, client, "tasks --json", "", false); r.code != 0 {
			t.Fatalf("tasks: exit %d %s", r.code, r.stderr)
		}
		return time.Since(start)
	}
	var quiet []time.Duration
	for range 5 {
		quiet = append(quiet, timed())
	}
	conns := make([]net.Conn, 0, flood)
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for range flood {
		c, err := net.Dial("tcp", o.addr)
		must(t, err)
		conns = append(conns, c)
	}
	// The server closes the connections over the cap at once: a read on them ends.
	refused := 0
	for _, c := range conns {
		_ = c.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
		buf := make([]byte, 256)
		for {
			_, err := c.Read(buf)
			if err == nil {
				continue // the server's version line
			}
			var ne net.Error
			if !errors.As(err, &ne) || !ne.Timeout() {
				refused++
			}
			break
		}
	}
	var loaded []time.Duration
	for range 5 {
		loaded = append(loaded, timed())
	}
	sort.Slice(quiet, func(i, j int) bool { return quiet[i] < quiet[j] })
	sort.Slice(loaded, func(i, j int) bool { return loaded[i] < loaded[j] })
	t.Logf("%d connections that never sign in (cap %d): %d closed at once; a signed-in user's tasks --json: median %v before, %v during (%d cores)",
		flood, limit, refused, quiet[2], loaded[2], runtime.NumCPU())
	if refused < flood-limit {
		t.Errorf("%d of %d connections over the cap of %d were closed", refused, flood, limit)
	}
}

// A panic in one session ends that session only: the client gets exit status 1 and the
// server goes on serving the others.
func TestPanicEndsOneSession(t *testing.T) {
	boom := func(*cli.App) *cobra.Command {
		return &cobra.Command{Use: "boom", RunE: func(*cobra.Command, []string) error { panic("boom") }}
	}
	o, log := commandOrg(t, func(opts *pacerssh.Options) { opts.Commands = append(opts.Commands, boom) }, "tess")
	tm := o.open(t, "tess")
	tm.WaitFor(wait, "tess (seller)", "[1 Sequences]")
	client, err := dial(o.addr, o.srv.HostKey(), o.sellers["tess"].key)
	must(t, err)
	defer client.Close()
	r := runCmd(t, client, "boom", "", false)
	if r.code != 1 || !strings.Contains(r.stderr, "internal error") {
		t.Errorf("the panicking session: exit %d %q", r.code, r.stderr)
	}
	log.waitMatch(t, regexp.MustCompile(`msg="ssh: session panicked" .*panic=boom`))
	if r := runCmd(t, client, "tasks --json", "", false); r.code != 0 {
		t.Errorf("the next command: exit %d %s", r.code, r.stderr)
	}
	tm.Send("2")
	tm.WaitFor(wait, "[2 Work list]", o.sellers["tess"].lead)
}

// A connection is closed at the maximum session time even while it is busy.
func TestMaxSessionTime(t *testing.T) {
	const most = 400 * time.Millisecond
	o, _ := commandOrg(t, func(opts *pacerssh.Options) { opts.MaxSessionTime = most }, "tess")
	start := time.Now() // before the server accepts: its clock starts later
	client, err := dial(o.addr, o.srv.HostKey(), o.sellers["tess"].key)
	must(t, err)
	defer client.Close()
	done := make(chan error, 1)
	go func() { done <- client.Wait() }()
	tick := time.NewTicker(most / 8)
	defer tick.Stop()
	for {
		select {
		case <-done:
			if took := time.Since(start); took < most {
				t.Errorf("closed after %v, before the maximum session time of %v", took, most)
			}
			return
		case <-tick.C:
			// Traffic keeps the connection from being idle.
			_, _, _ = client.SendRequest("keepalive@openssh.com", true, nil)
		case <-time.After(wait):
			t.Fatalf("a busy connection is still open after %v (maximum session time %v)", wait, most)
		}
	}
}
