// Package pgtest gives tests a PostgreSQL database of their own: a throwaway server started
// once per test binary (initdb and postgres run as the postgres system user when the tests
// run as root, listening only on a Unix socket in a temporary directory), or the server
// named by PACER_TEST_PG=DSN. Each call of DSN makes a new, empty schema and returns a DSN
// whose search_path is that schema, so tests never see each other's tables.
//
// Without PostgreSQL binaries (initdb, postgres in PATH or /usr/lib/postgresql/*/bin) and
// without PACER_TEST_PG, tests skip with a message saying so; PACER_TEST_PG_REQUIRED=1 turns
// that skip into a failure (CI sets it).
//
// A package whose tests use it calls Main from its TestMain, which stops the server when the
// tests end; the server also dies with the test process (a parent-death signal).
package pgtest

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Environment variables the harness reads.
const (
	// EnvDSN names an existing server to use instead of a throwaway one.
	EnvDSN = "PACER_TEST_PG"
	// EnvRequired set to 1 makes a missing PostgreSQL a test failure instead of a skip.
	EnvRequired = "PACER_TEST_PG_REQUIRED"
)

// server is the process-wide test server.
var server struct {
	once sync.Once
	dsn  string // of the database the schemas are made in
	err  error
	stop func()
	dir  string
}

var schemas atomic.Int64

// Main runs the tests of a package and stops the throwaway server afterwards.
func Main(m *testing.M) {
	code := m.Run()
	Stop()
	os.Exit(code)
}

// Stop stops the throwaway server, if one was started, and removes its directory.
func Stop() {
	if server.stop != nil {
		server.stop()
		server.stop = nil
	}
}

// DSN returns the DSN of a new, empty schema for t, dropped when t ends. It skips t (or
// fails it, with PACER_TEST_PG_REQUIRED=1) when no PostgreSQL can be had.
func DSN(t testing.TB) string {
	t.Helper()
	base := Server(t)
	name := fmt.Sprintf("t%d_%d", os.Getpid(), schemas.Add(1))
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatalf("pgtest: connect to the test server: %v", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+name); err != nil {
		t.Fatalf("pgtest: create schema %s: %v", name, err)
	}
	t.Cleanup(func() {
		c, err := pgx.Connect(context.Background(), base)
		if err != nil {
			return
		}
		defer c.Close(context.Background())
		_, _ = c.Exec(context.Background(), "DROP SCHEMA "+name+" CASCADE")
	})
	return WithSchema(base, name)
}

// WithSchema returns dsn with its search_path set to schema.
func WithSchema(dsn, schema string) string {
	return WithParam(dsn, "search_path", schema)
}

// WithParam returns dsn with the connection parameter key set to value.
func WithParam(dsn, key, value string) string {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err == nil {
			q := u.Query()
			q.Set(key, value)
			u.RawQuery = q.Encode()
			return u.String()
		}
	}
	return dsn + " " + key + "=" + value
}

// Server returns the DSN of the test server's database, starting the server on first use.
func Server(t testing.TB) string {
	t.Helper()
	if dsn := os.Getenv(EnvDSN); dsn != "" {
		return dsn
	}
	server.once.Do(func() { server.dsn, server.err = start() })
	if server.err != nil {
		var missing *missingError
		if errors.As(server.err, &missing) && os.Getenv(EnvRequired) != "1" {
			t.Skipf("pgtest: %v (install Debian's postgresql package, or set %s=DSN; %s=1 makes this a failure)", server.err, EnvDSN, EnvRequired)
		}
		t.Fatalf("pgtest: %v", server.err)
	}
	return server.dsn
}

// missingError says no PostgreSQL binaries were found.
type missingError struct{ what string }

func (e *missingError) Error() string { return "no PostgreSQL binaries found: " + e.what }

// binDir finds the directory of initdb and postgres: PATH first, then the newest
// /usr/lib/postgresql/N/bin.
func binDir() (string, error) {
	if p, err := exec.LookPath("initdb"); err == nil {
		if _, err := exec.LookPath("postgres"); err == nil {
			return filepath.Dir(p), nil
		}
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return version(dirs[i]) > version(dirs[j]) })
	for _, d := range dirs {
		if isFile(filepath.Join(d, "initdb")) && isFile(filepath.Join(d, "postgres")) {
			return d, nil
		}
	}
	return "", &missingError{what: "initdb and postgres are neither in PATH nor in /usr/lib/postgresql/*/bin"}
}

func version(dir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(dir)))
	return n
}

func isFile(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && !fi.IsDir()
}

// start makes a cluster in a new temporary directory and starts postgres on a Unix socket
// there, as the postgres user when running as root.
func start() (string, error) {
	bin, err := binDir()
	if err != nil {
		return "", err
	}
	cred, owner, err := runAs()
	if err != nil {
		return "", err
	}
	dir, err := os.MkdirTemp("", "pacer-pgtest-")
	if err != nil {
		return "", err
	}
	server.dir = dir
	data := filepath.Join(dir, "data")
	if err := os.Mkdir(data, 0o700); err != nil {
		return "", err
	}
	if cred != nil {
		for _, p := range []string{dir, data} {
			if err := os.Chown(p, int(cred.Uid), int(cred.Gid)); err != nil {
				return "", fmt.Errorf("give %s to the postgres user: %w", p, err)
			}
		}
	}
	initdb := exec.Command(filepath.Join(bin, "initdb"), "-D", data, "-U", owner, "-E", "UTF8",
		"--locale=C", "--auth=trust", "--no-sync")
	initdb.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	if out, err := initdb.CombinedOutput(); err != nil {
		return "", fmt.Errorf("initdb: %v\n%s", err, out)
	}
	// Throwaway data: no fsync, no full-page writes. max_connections covers several nodes
	// of the crash test with their pools.
	args := []string{"-D", data, "-k", dir, "-c", "listen_addresses=", "-c", "port=5432",
		"-c", "fsync=off", "-c", "full_page_writes=off", "-c", "synchronous_commit=off",
		"-c", "max_connections=200", "-c", "shared_buffers=128MB"}
	if extra := os.Getenv("PACER_TEST_PG_ARGS"); extra != "" {
		args = append(args, strings.Fields(extra)...)
	}
	cmd := exec.Command(filepath.Join(bin, "postgres"), args...)
	logs, err := cmd.StderrPipe()
	if err != nil {
		return "", err
	}
	cmd.SysProcAttr = serverAttr(cred)
	if err := startLocked(cmd); err != nil {
		return "", fmt.Errorf("start postgres: %w", err)
	}
	ready, logged := watchLog(logs)
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	server.stop = func() {
		_ = cmd.Process.Signal(syscall.SIGINT) // fast shutdown
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
		_ = os.RemoveAll(dir)
	}
	select {
	case <-ready:
	case <-exited:
		return "", fmt.Errorf("postgres exited at start:\n%s", logged())
	case <-time.After(time.Minute):
		server.stop()
		return "", fmt.Errorf("postgres was not ready within a minute:\n%s", logged())
	}
	base := (&url.URL{Scheme: "postgres", User: url.User(owner), Host: "localhost", Path: "/postgres",
		RawQuery: url.Values{"host": {dir}, "port": {"5432"}, "sslmode": {"disable"}}.Encode()}).String()
	return base, nil
}

// watchLog reads the server's log: ready is closed when it says it accepts connections;
// logged returns what it has said so far (the first 64 KiB), for error messages.
func watchLog(r io.Reader) (ready <-chan struct{}, logged func() string) {
	ch := make(chan struct{})
	var mu sync.Mutex
	var buf strings.Builder
	go func() {
		sc := bufio.NewScanner(r)
		signalled := false
		for sc.Scan() {
			line := sc.Text()
			mu.Lock()
			if buf.Len() < 64<<10 {
				buf.WriteString(line + "\n")
			}
			mu.Unlock()
			if !signalled && strings.Contains(line, "ready to accept connections") {
				signalled = true
				close(ch)
			}
		}
	}()
	return ch, func() string {
		mu.Lock()
		defer mu.Unlock()
		return buf.String()
	}
}

// startLocked starts cmd from a goroutine locked to its OS thread for good, since the
// parent-death signal follows the thread that forked, not the process.
func startLocked(cmd *exec.Cmd) error {
	errc := make(chan error)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread lives as long as the process
		errc <- cmd.Start()
		select {}
	}()
	return <-errc
}

// runAs returns the credential to run the server with (nil: as this process) and the
// database superuser's name.
func runAs() (*syscall.Credential, string, error) {
	if os.Geteuid() != 0 {
		u, err := user.Current()
		if err != nil {
			return nil, "", err
		}
		return nil, u.Username, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, "", &missingError{what: "running as root, and there is no postgres system user to run the server as"}
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, "postgres", nil
}
