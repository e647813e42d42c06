package main

import (
	"bufio"
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"

	"github.com/pacer-sales/pacer/engine"
	"github.com/pacer-sales/pacer/internal/ptytest"
	storepkg "github.com/pacer-sales/pacer/store"
	"github.com/pacer-sales/pacer/store/bolt"
)

// teamWait bounds the waits of the team-server tests; they normally take milliseconds.
const teamWait = 20 * time.Second

// sshUser is a pacer user's key for the tests.
type sshUser struct {
	signer gossh.Signer
	line   string // authorized_keys form
}

func newSSHUser(t *testing.T, comment string) sshUser {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	must(t, err)
	s, err := gossh.NewSignerFromKey(priv)
	must(t, err)
	return sshUser{s, strings.TrimSpace(string(gossh.MarshalAuthorizedKey(s.PublicKey()))) + " " + comment}
}

// server is `pacer serve` in a child process (this test binary as pacer).
type server struct {
	cmd     *exec.Cmd
	out     *lines
	sshAddr string
	done    chan struct{}
}

// startServer starts pacer serve on db in a child process and waits until it runs.
func startServer(t *testing.T, db string, extra ...string) *server {
	t.Helper()
	args := append([]string{"--db", db, "serve", "--ssh", "127.0.0.1:0", "--http", "off"}, extra...)
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "PACER_TEST_AS_PACER=1")
	s := &server{cmd: cmd, out: newLines(), done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = s.out, s.out
	must(t, cmd.Start())
	go func() { _ = cmd.Wait(); close(s.done) }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-s.done
	})
	s.sshAddr = s.out.waitMatch(t, regexp.MustCompile(`SSH: the screens and commands on (127\.0\.0\.1:\d+) `), teamWait)[1]
	s.out.waitMatch(t, regexp.MustCompile(`pacer serve is running`), teamWait)
	return s
}

// stop sends sig and waits for the server to end.
func (s *server) stop(t *testing.T, sig os.Signal) {
	t.Helper()
	must(t, s.cmd.Process.Signal(sig))
	select {
	case <-s.done:
	case <-time.After(teamWait):
		t.Fatal("pacer serve did not stop")
	}
}

// proc runs pacer in a child process in dir, with stdin.
func proc(t *testing.T, dir, stdin string, args ...string) result {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "PACER_TEST_AS_PACER=1")
	cmd.Dir = dir
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatal(err)
	}
	return result{cmd.ProcessState.ExitCode(), out.String(), errb.String()}
}

// sshRun runs a command over SSH as the key's user.
func sshRun(t *testing.T, addr string, key gossh.Signer, command, stdin string) result {
	t.Helper()
	client, err := gossh.Dial("tcp", addr, &gossh.ClientConfig{
		User: "anyone", Auth: []gossh.AuthMethod{gossh.PublicKeys(key)},
		HostKeyCallback: gossh.InsecureIgnoreHostKey(), Timeout: teamWait,
	})
	must(t, err)
	defer client.Close()
	sess, err := client.NewSession()
	must(t, err)
	defer sess.Close()
	var out, errb bytes.Buffer
	sess.Stdout, sess.Stderr, sess.Stdin = &out, &errb, strings.NewReader(stdin)
	err = sess.Run(command)
	r := result{stdout: out.String(), stderr: errb.String()}
	var ee *gossh.ExitError
	switch {
	case errors.As(err, &ee):
		r.code = ee.ExitStatus()
	case err != nil:
		t.Fatalf("ssh %s: %v", command, err)
	}
	return r
}

// recordCount counts the records of an entity, through whatever pacer answers.
func recordCount(t *testing.T, dir, db, entity string) int {
	t.Helper()
	r := ok(t, proc(t, dir, "", "--db", db, "record", "list", "--entity", entity, "--json"))
	var rows []json.RawMessage
	must(t, json.Unmarshal([]byte(r.stdout), &rows))
	return len(rows)
}

// With pacer serve holding the database, commands of other processes run inside it through
// the socket: same output and exit codes. After a SIGKILL the stale socket misleads no one.
func TestSocketCommandsWhileServing(t *testing.T) {
	db := demoDB(t)
	dir := t.TempDir()
	tess := newSSHUser(t, "tess@laptop")
	ok(t, pacer(t, db, "user", "add", "tess", "--role", "seller", "--key", tess.line))
	before := ok(t, pacer(t, db, "--as", "tess", "seq", "list", "--json"))

	srv := startServer(t, db)
	sock := db + ".sock"
	st, err := os.Stat(sock)
	must(t, err)
	if st.Mode()&os.ModeSocket == 0 || st.Mode().Perm() != 0o600 {
		t.Errorf("socket %s: mode %v, want an owner-only socket", sock, st.Mode())
	}
	// seq list --json: over SSH and through the socket, as before the server started.
	if r := sshRun(t, srv.sshAddr, tess.signer, "seq list --json", ""); r.code != 0 || r.stdout != before.stdout {
		t.Errorf("seq list --json over SSH differs from the local command (exit %d, %d vs %d bytes)", r.code, len(r.stdout), len(before.stdout))
	}
	if r := ok(t, proc(t, dir, "", "--db", db, "--as", "tess", "seq", "list", "--json")); r.stdout != before.stdout {
		t.Errorf("seq list --json through the socket differs from the local command")
	}

	// Managing the org while it serves.
	zed := newSSHUser(t, "zed@laptop")
	r := ok(t, proc(t, dir, "", "--db", db, "user", "add", "zed", "--role", "seller", "--name", "Zed"))
	if !strings.Contains(r.stdout, "Added user zed.") {
		t.Errorf("user add: %q", r.stdout)
	}
	ok(t, proc(t, dir, "", "--db", db, "user", "key", "add", "zed", zed.line))
	r = proc(t, dir, "", "--db", db, "user", "key", "add", "tess", zed.line)
	if r.code != 1 || !strings.Contains(r.stderr, "already belongs to user zed") {
		t.Errorf("zed's key for tess: exit %d %q", r.code, r.stderr)
	}
	// zed signs in over SSH at once, with the key just added.
	if r := sshRun(t, srv.sshAddr, zed.signer, "tasks --json", ""); r.code != 0 || strings.TrimSpace(r.stdout) != "[]" {
		t.Errorf("zed's tasks over SSH: exit %d %q %q", r.code, r.stdout, r.stderr)
	}
	r = ok(t, proc(t, dir, "", "--db", db, "tasks", "--all", "--json"))
	var tasks []map[string]any
	must(t, json.Unmarshal([]byte(r.stdout), &tasks))
	if len(tasks) == 0 {
		t.Error("tasks --all --json through the socket lists nothing")
	}

	// record import of a file named relative to the second process's directory, and of
	// standard input; a bad row is refused with nothing imported.
	leads := recordCount(t, dir, db, "lead")
	must(t, os.WriteFile(filepath.Join(dir, "new.csv"), []byte("id,name,owner\nS-1,Sock One,tess\n"), 0o600))
	ok(t, proc(t, dir, "", "--db", db, "record", "import", "new.csv", "--entity", "lead"))
	r = proc(t, dir, "id,name,owner\nS-2,Sock Two,tess\nS-3,,ghost\n", "--db", db, "record", "import", "-", "--entity", "lead")
	if r.code != 1 || !strings.Contains(r.stderr, "-:3:") {
		t.Errorf("bad stdin import: exit %d %q", r.code, r.stderr)
	}
	if n := recordCount(t, dir, db, "lead"); n != leads+1 {
		t.Errorf("leads: %d, want %d", n, leads+1)
	}

	// A backup through the socket: written by the server, owner-only, a database that
	// checks clean.
	ok(t, proc(t, dir, "", "--db", db, "backup", "copy.db"))
	copyPath := filepath.Join(dir, "copy.db")
	st, err = os.Stat(copyPath)
	must(t, err)
	if st.Mode().Perm() != 0o600 {
		t.Errorf("backup mode %v, want 0600", st.Mode().Perm())
	}
	if r := proc(t, dir, "", "--db", copyPath, "doctor"); r.code != 0 || !strings.Contains(r.stdout, "No problems found") {
		t.Errorf("doctor on the backup: exit %d %s %s", r.code, r.stdout, r.stderr)
	}
	// Over SSH a backup is a stream.
	admin := newSSHUser(t, "admin@laptop")
	ok(t, proc(t, dir, "", "--db", db, "user", "key", "add", "admin", admin.line))
	streamed := sshRun(t, srv.sshAddr, admin.signer, "backup -", "")
	if streamed.code != 0 || len(streamed.stdout) < 4096 {
		t.Fatalf("backup - over SSH: exit %d, %d bytes, %s", streamed.code, len(streamed.stdout), streamed.stderr)
	}
	streamPath := filepath.Join(dir, "stream.db")
	must(t, os.WriteFile(streamPath, []byte(streamed.stdout), 0o600))
	if r := proc(t, dir, "", "--db", streamPath, "doctor"); r.code != 0 {
		t.Errorf("doctor on the streamed backup: exit %d %s %s", r.code, r.stdout, r.stderr)
	}
	if r := proc(t, dir, "", "--db", db, "--now", "2026-03-02T09:00:00Z", "tick"); r.code != 1 || !strings.Contains(r.stderr, "whose clock its commands run by") {
		t.Errorf("--now through the socket: exit %d %q", r.code, r.stderr)
	}
	if !strings.Contains(srv.out.String(), `msg="socket: command" args="user add"`) {
		t.Errorf("the server logged no socket command:\n%s", srv.out.String())
	}

	// SIGKILL leaves the socket behind: it doesn't block a command or a new server.
	srv.stop(t, syscall.SIGKILL)
	if _, err := os.Stat(sock); err != nil {
		t.Fatalf("after SIGKILL the socket is gone (%v); the test wants a stale one", err)
	}
	r = ok(t, proc(t, dir, "", "--db", db, "user", "list"))
	if !strings.Contains(r.stdout, "zed") {
		t.Errorf("user list after the kill: %q", r.stdout)
	}
	srv = startServer(t, db)
	if r := ok(t, proc(t, dir, "", "--db", db, "user", "list", "--json")); !strings.Contains(r.stdout, gossh.FingerprintSHA256(zed.signer.PublicKey())) {
		t.Errorf("user list --json lacks zed's key fingerprint:\n%s", r.stdout)
	}
	// A clean stop removes the socket and tells the sessions.
	srv.stop(t, syscall.SIGTERM)
	if _, err := os.Stat(sock); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("after a clean stop the socket is still there: %v", err)
	}
}

// The screens on a database a pacer serve holds say how to reach its screens.
func TestScreensOnHeldDatabase(t *testing.T) {
	bin := pacerBin(t)
	db := demoDBFile(t, bin)
	srv := startServer(t, db)
	_, port, _ := strings.Cut(srv.sshAddr, ":")
	term := ptytest.Start(t, bin, []string{"--db", db}, ptytest.Options{Width: 120, Height: 30})
	scr := term.WaitFor("reach its screens with ssh -p "+port+" localhost", e2eWait)
	if !strings.Contains(scr, "pacer serve runs on it") || !strings.Contains(scr, fmt.Sprintf("pid %d", srv.cmd.Process.Pid)) {
		t.Errorf("screen:\n%s", scr)
	}
	if code := term.Wait(e2eWait); code != 2 {
		t.Errorf("exit %d, want 2", code)
	}
}

// The management commands: messages and exit codes of the command line.
func TestManagementCommands(t *testing.T) {
	db := demoDB(t)
	k := newSSHUser(t, "k@laptop")
	ok(t, pacer(t, db, "user", "add", "kim", "--role", "seller", "--key", k.line))
	r := pacer(t, db, "user", "add", "lee", "--role", "seller", "--key", k.line)
	if r.code != 1 || !strings.Contains(r.stderr, "already belongs to user kim") {
		t.Errorf("a key for two users: exit %d %q", r.code, r.stderr)
	}
	r = pacer(t, db, "user", "add", "kim", "--role", "seller")
	if r.code != 1 || !strings.Contains(r.stderr, "pacer user set kim") {
		t.Errorf("user add of an existing user: exit %d %q", r.code, r.stderr)
	}
	ok(t, pacer(t, db, "user", "set", "kim", "--name", "Kim Ode", "--tz", "Europe/Paris", "--from", "kim@example.com"))
	r = ok(t, pacer(t, db, "user", "key", "list", "kim"))
	if !strings.Contains(r.stdout, gossh.FingerprintSHA256(k.signer.PublicKey())) || !strings.Contains(r.stdout, "k@laptop") {
		t.Errorf("user key list: %s", r.stdout)
	}
	r = pacer(t, db, "user", "set", "admin", "--role", "manager")
	if r.code != 1 || !strings.Contains(r.stderr, "last admin") {
		t.Errorf("demoting the last admin: exit %d %q", r.code, r.stderr)
	}
	ok(t, pacer(t, db, "user", "key", "remove", "kim", "1"))

	// user remove with open tasks: refused, then handed over.
	var users []struct {
		Username string   `json:"username"`
		Roles    []string `json:"roles"`
	}
	must(t, json.Unmarshal([]byte(ok(t, pacer(t, db, "user", "list", "--json")).stdout), &users))
	var sellers []string
	for _, u := range users {
		if strings.Join(u.Roles, ",") == "seller" && u.Username != "kim" {
			sellers = append(sellers, u.Username)
		}
	}
	busy := ""
	for _, s := range sellers {
		if len(tasksOf(t, db, "--user", s)) > 0 {
			busy = s
			break
		}
	}
	if busy == "" {
		t.Fatal("no seller of the sample org has open tasks")
	}
	n := len(tasksOf(t, db, "--user", busy))
	r = pacer(t, db, "user", "remove", busy)
	if r.code != 1 || !strings.Contains(r.stderr, "--reassign-to") {
		t.Errorf("user remove with open tasks: exit %d %q", r.code, r.stderr)
	}
	r = ok(t, pacer(t, db, "user", "remove", busy, "--reassign-to", "kim"))
	if got := len(tasksOf(t, db, "--user", "kim")); got != n {
		t.Errorf("kim has %d tasks after taking over %d: %s", got, n, r.stdout)
	}

	// A template an active sequence uses can't be removed.
	var tmpls []struct {
		Name string `json:"name"`
	}
	must(t, json.Unmarshal([]byte(ok(t, pacer(t, db, "template", "list", "--json")).stdout), &tmpls))
	refused := false
	for _, tp := range tmpls {
		r := pacer(t, db, "template", "remove", tp.Name)
		switch {
		case r.code == 1 && strings.Contains(r.stderr, "is used by the active sequence"):
			refused = true
		case r.code == 0:
		default:
			t.Errorf("template remove %s: exit %d %q", tp.Name, r.code, r.stderr)
		}
	}
	if !refused {
		t.Error("no template of the sample org was protected by its active sequence")
	}

	// record remove ends its connections with reason record_removed.
	var recs []struct {
		Entity string `json:"entity"`
		ID     string `json:"id"`
	}
	must(t, json.Unmarshal([]byte(ok(t, pacer(t, db, "record", "list", "--json")).stdout), &recs))
	var ref, seqName string
	for _, rec := range recs {
		var v recordShow
		must(t, json.Unmarshal([]byte(ok(t, pacer(t, db, "record", "show", rec.Entity+"/"+rec.ID, "--json")).stdout), &v))
		for _, c := range v.Connections {
			if c.State == "active" {
				ref, seqName = rec.Entity+"/"+rec.ID, c.Sequence
			}
		}
		if ref != "" {
			break
		}
	}
	if ref == "" {
		t.Fatal("no connected record in the sample org")
	}
	r = ok(t, pacer(t, db, "record", "remove", ref))
	if !strings.Contains(r.stdout, "1 connection(s) disconnected") {
		t.Errorf("record remove: %q", r.stdout)
	}
	if r := pacer(t, db, "record", "show", ref); r.code != 1 {
		t.Errorf("record show of a removed record: exit %d", r.code)
	}
	var show struct {
		Connected []struct {
			Record  string `json:"record"`
			State   string `json:"state"`
			Reason  string `json:"reason"`
			History []struct {
				Type   string `json:"type"`
				Reason string `json:"reason"`
			} `json:"history"`
		} `json:"connected_records"`
	}
	must(t, json.Unmarshal([]byte(ok(t, pacer(t, db, "seq", "show", seqName, "--json")).stdout), &show))
	found := false
	for _, c := range show.Connected {
		if c.Record == ref && c.State == "disconnected" && c.Reason == "record_removed" {
			found = true
		}
	}
	if !found {
		t.Errorf("seq show lacks %s disconnected with reason record_removed", ref)
	}
	if r := ok(t, pacer(t, db, "doctor")); !strings.Contains(r.stdout, "No problems found") {
		t.Errorf("doctor: %s", r.stdout)
	}

	// team and segment management.
	ok(t, pacer(t, db, "team", "add", "night", "--type", "access", "--member", "kim"))
	ok(t, pacer(t, db, "team", "member", "add", "night", "admin:lead"))
	ok(t, pacer(t, db, "team", "member", "remove", "night", "kim"))
	ok(t, pacer(t, db, "team", "set", "night", "--type", "owner"))
	r = ok(t, pacer(t, db, "team", "list", "--json"))
	if !strings.Contains(r.stdout, `"name": "night",`+"\n"+`    "type": "owner"`) {
		t.Errorf("team list after team set:\n%s", r.stdout)
	}
	ok(t, pacer(t, db, "team", "remove", "night"))
	var seqs []struct {
		Name, Entity string
	}
	must(t, json.Unmarshal([]byte(ok(t, pacer(t, db, "seq", "list", "--json")).stdout), &seqs))
	leadSeq := ""
	for _, s := range seqs {
		if s.Entity == "lead" {
			leadSeq = s.Name
		}
	}
	ok(t, pacer(t, db, "segment", "add", "big", "--entity", "lead", "--where", "stage=qualify", "--seq", leadSeq))
	ok(t, pacer(t, db, "segment", "remove", "big"))
	if r := ok(t, pacer(t, db, "segment", "list", "--json")); strings.Contains(r.stdout, `"big"`) {
		t.Errorf("segment list after remove: %s", r.stdout)
	}
}

// A record name carrying terminal escapes (OSC 52 clipboard write, a screen clear, a C1
// CSI) reaches a manager's terminal without them, in every text printer; JSON escapes them
// itself. The engine refuses control characters at input now, so the name is written
// straight into the store, as a database from before that check holds it.
func TestTextOutputStripsControls(t *testing.T) {
	db := demoDB(t)
	evil := "Acme\x1b]52;c;cm0gLXJmIH4=\x07\x1b[2J\u009b31m"
	ref := ""
	store, err := bolt.Open(db, bolt.Options{})
	must(t, err)
	must(t, store.Update(t.Context(), func(tx storepkg.Tx) error {
		var rec storepkg.Record
		err := tx.Records("account", func(r storepkg.Record) bool { rec = r; return false })
		if err != nil {
			return err
		}
		rec.Name = evil
		ref = rec.Ref()
		_, err = tx.PutRecord(rec)
		return err
	}))
	must(t, store.Close())
	var manager string
	var users []struct {
		Username string   `json:"username"`
		Roles    []string `json:"roles"`
	}
	must(t, json.Unmarshal([]byte(ok(t, pacer(t, db, "user", "list", "--json")).stdout), &users))
	for _, u := range users {
		if strings.Contains(strings.Join(u.Roles, ","), "manager") {
			manager = u.Username
		}
	}
	for _, args := range [][]string{
		{"record", "list"}, {"record", "show", ref}, {"tasks", "--all"}, {"user", "list"}, {"seq", "list"},
	} {
		r := ok(t, pacer(t, db, append([]string{"--as", manager}, args...)...))
		if strings.ContainsAny(r.stdout, "\x1b\x07\u009b") {
			t.Errorf("%s prints terminal controls: %q", strings.Join(args, " "), r.stdout)
		}
		if args[0] == "record" && !strings.Contains(r.stdout, "Acme]52;c;cm0gLXJmIH4=[2J31m") {
			t.Errorf("%s lost the visible text of the name:\n%s", strings.Join(args, " "), r.stdout)
		}
	}
	r := ok(t, pacer(t, db, "--as", manager, "record", "show", ref, "--json"))
	var v struct{ Name string }
	must(t, json.Unmarshal([]byte(r.stdout), &v))
	if v.Name != evil || strings.Contains(r.stdout, "\x1b") {
		t.Errorf("record show --json: name %q", v.Name)
	}
}

// Inputs read through their limits: /dev/zero is refused at once, naming the file and the
// limit.
func TestInputLimits(t *testing.T) {
	db := demoDB(t)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"seq", "validate", "/dev/zero"}, "/dev/zero is too large: the limit is 4 MiB"},
		{[]string{"seq", "import", "/dev/zero"}, "/dev/zero is too large: the limit is 4 MiB"},
		{[]string{"record", "import", "/dev/zero", "--entity", "lead"}, "/dev/zero is too large: the limit is 128 MiB"},
		{[]string{"template", "add", "z", "--subject", "s", "--body-file", "/dev/zero"}, "--body-file /dev/zero is too large: the limit is 256 KiB"},
	} {
		start := time.Now()
		r := pacer(t, db, c.args...)
		if r.code != 1 || !strings.Contains(r.stderr, c.want) {
			t.Errorf("%s: exit %d %q, want %q", strings.Join(c.args, " "), r.code, r.stderr, c.want)
		}
		t.Logf("%s refused in %v", strings.Join(c.args, " "), time.Since(start).Round(time.Millisecond))
	}
	big := filepath.Join(t.TempDir(), "big.yaml")
	must(t, os.WriteFile(big, bytes.Repeat([]byte("#"), 4<<20+1), 0o600))
	if r := pacer(t, db, "seq", "validate", big); r.code != 1 || !strings.Contains(r.stderr, "big.yaml is too large") {
		t.Errorf("a regular file over the limit: exit %d %q", r.code, r.stderr)
	}
}

// Backups are owner-only whatever the umask, and never onto the live database.
func TestBackupOwnerOnlyNotLive(t *testing.T) {
	db := demoDB(t)
	old := syscall.Umask(0)
	defer syscall.Umask(old)
	copyPath := filepath.Join(t.TempDir(), "copy.db")
	must(t, os.WriteFile(copyPath, []byte("old"), 0o666)) // an old file in the way
	ok(t, pacer(t, db, "backup", copyPath))
	st, err := os.Stat(copyPath)
	must(t, err)
	if st.Mode().Perm() != 0o600 {
		t.Errorf("backup under umask 0: mode %v, want 0600", st.Mode().Perm())
	}
	r := pacer(t, db, "backup", db)
	if r.code != 1 || !strings.Contains(r.stderr, "live database") {
		t.Errorf("backup onto the live database: exit %d %q", r.code, r.stderr)
	}
	ok(t, pacer(t, db, "seq", "list"))
	link := filepath.Join(t.TempDir(), "link.db")
	must(t, os.Symlink(db, link))
	if r := pacer(t, db, "backup", link); r.code != 1 || !strings.Contains(r.stderr, "live database") {
		t.Errorf("backup onto a link to the live database: exit %d %q", r.code, r.stderr)
	}
	var out bytes.Buffer
	code := run(t.Context(), []string{"--db", db, "backup", "-"}, strings.NewReader(""), &out, io.Discard)
	if code != 0 || out.Len() < 4096 {
		t.Errorf("backup -: exit %d, %d bytes", code, out.Len())
	}
}

// --log-format json makes every log line of pacer serve a JSON object; --events-token
// warns that ps shows it.
func TestServeLogFormatAndTokenWarning(t *testing.T) {
	db := demoDB(t)
	srv := startServer(t, db, "--log-format", "json", "--http", "127.0.0.1:0", "--events-token", "s3cret")
	srv.stop(t, syscall.SIGTERM)
	sc := bufio.NewScanner(strings.NewReader(srv.out.String()))
	logs := 0
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "{") {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil || m["msg"] == nil {
			t.Errorf("not a JSON log line: %q", line)
		}
		logs++
	}
	if logs == 0 {
		t.Errorf("no JSON log lines:\n%s", srv.out.String())
	}
	if !strings.Contains(srv.out.String(), "--events-token is visible to every user of this machine in ps; set $PACER_EVENTS_TOKEN instead") {
		t.Errorf("no warning about --events-token:\n%s", srv.out.String())
	}
	if r := pacer(t, db, "serve", "--log-format", "xml", "--ssh", "off"); r.code != 1 || !strings.Contains(r.stderr, "--log-format") {
		t.Errorf("--log-format xml: exit %d %q", r.code, r.stderr)
	}
}

// Errors of the engine's runs are logged with their text, one line each.
func TestTickErrorsLogged(t *testing.T) {
	var buf bytes.Buffer
	log, err := newLogger("json", &buf)
	must(t, err)
	logTick(log, engine.TickReport{Timers: 2, Errors: []string{"connection 1: disk full", "message 2: smtp: 554 refused"}})
	for _, want := range []string{`"err":"connection 1: disk full"`, `"err":"message 2: smtp: 554 refused"`, `"timers":2`} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("log lacks %s:\n%s", want, buf.String())
		}
	}
}

// Through the socket --now is taken when it is the time the holder's clock is pinned to,
// and refused otherwise.
func TestSocketNowMatchesHolder(t *testing.T) {
	db := demoDB(t)
	const now = "2026-03-02T09:00:00Z"
	srv := startServer(t, db, "--now", now)
	dir := t.TempDir()
	if r := proc(t, dir, "", "--db", db, "--now", now, "tick"); r.code != 0 {
		t.Errorf("--now as the holder's: exit %d %q", r.code, r.stderr)
	}
	if r := proc(t, dir, "", "--db", db, "--now", "2026-03-09T09:00:00Z", "tick"); r.code != 1 || !strings.Contains(r.stderr, "stop it to pin the clock") {
		t.Errorf("another --now: exit %d %q", r.code, r.stderr)
	}
	srv.stop(t, syscall.SIGTERM)
}
