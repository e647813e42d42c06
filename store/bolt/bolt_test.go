package bolt_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.etcd.io/bbolt"

	"github.com/pacer-sales/pacer/store"
	"github.com/pacer-sales/pacer/store/bolt"
	"github.com/pacer-sales/pacer/store/storetest"
)

// openTemp opens a new database in a temporary directory, closed when t ends.
func openTemp(t *testing.T) *bolt.DB {
	t.Helper()
	return openAt(t, filepath.Join(t.TempDir(), "pacer.db"))
}

func openAt(t *testing.T, path string) *bolt.DB {
	t.Helper()
	db, err := bolt.Open(path, bolt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Error(err)
		}
	})
	return db
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return openTemp(t) })
}

func TestOpenCreatesDirectories(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a", "b", "pacer.db")
	db := openAt(t, path)
	err := db.View(t.Context(), func(tx store.Tx) error {
		s, err := tx.Settings()
		if err == nil && !reflect.DeepEqual(s, store.DefaultSettings()) {
			t.Errorf("settings of a new database: %+v", s)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path + ".lock-info"); err != nil {
		t.Errorf("no lock info beside an open database: %v", err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path + ".lock-info"); !os.IsNotExist(err) {
		t.Errorf("lock info left after Close: %v", err)
	}
	if err := db.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

// TestStaleLockInfo opens a database whose previous holder died without closing it: the
// lock is gone with the process, and its lock info is replaced.
func TestStaleLockInfo(t *testing.T) {
	path := filepath.Join(t.TempDir(), "pacer.db")
	if err := os.WriteFile(path+".lock-info", []byte(`{"pid":999999,"started":"2026-01-02T03:04:05Z"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	openAt(t, path)
	b, err := os.ReadFile(path + ".lock-info")
	if err != nil || !strings.Contains(string(b), `"pid":`+strconv.Itoa(os.Getpid())) {
		t.Errorf("lock info after opening: %q, %v; want this process's pid", b, err)
	}
}

func TestOpenEmptyFiles(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty.db")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	emptyBolt := filepath.Join(dir, "bolt.db")
	bdb, err := bbolt.Open(emptyBolt, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	_ = bdb.Close()
	for _, path := range []string{empty, emptyBolt} {
		db := openAt(t, path)
		putUser(t, db, "adam")
	}
}

func putUser(t *testing.T, db store.Store, name string) {
	t.Helper()
	err := db.Update(t.Context(), func(tx store.Tx) error {
		return tx.PutUser(store.User{Username: name, Roles: []store.Role{store.RoleAdmin}})
	})
	if err != nil {
		t.Fatal(err)
	}
}

// The lock test runs a second process: the test binary itself, running only
// TestHoldDatabase with holdEnv set to the database path.
const holdEnv = "PACER_BOLT_TEST_HOLD"

// TestHoldDatabase is the child process of TestLocked: it opens the database, says "ready"
// and holds it until its stdin closes.
func TestHoldDatabase(t *testing.T) {
	path := os.Getenv(holdEnv)
	if path == "" {
		t.Skip("runs only as the child process of TestLocked")
	}
	db, err := bolt.Open(path, bolt.Options{})
	if err != nil {
		fmt.Println("error:", err)
		t.Fatal(err)
	}
	fmt.Println("ready")
	_, _ = io.Copy(io.Discard, os.Stdin)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestLocked(t *testing.T) {
	if os.Getenv(holdEnv) != "" {
		t.Skip("child process")
	}
	path := filepath.Join(t.TempDir(), "pacer.db")
	child := exec.Command(os.Args[0], "-test.run=^TestHoldDatabase$", "-test.count=1")
	child.Env = append(os.Environ(), holdEnv+"="+path)
	child.Stderr = os.Stderr
	stdin, err := child.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := child.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		_ = stdin.Close()
		_ = child.Wait()
	}()
	ready := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(stdout).ReadString('\n')
		ready <- strings.TrimSpace(line)
		_, _ = io.Copy(io.Discard, stdout)
	}()
	select {
	case line := <-ready:
		if line != "ready" {
			t.Fatalf("child process said %q, want ready", line)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("child process did not open the database within 30 s")
	}

	start := time.Now()
	db, err := bolt.Open(path, bolt.Options{})
	elapsed := time.Since(start)
	if err == nil {
		db.Close()
		t.Fatal("Open of a database held by another process succeeded")
	}
	var locked *bolt.LockedError
	if !errors.As(err, &locked) {
		t.Fatalf("Open of a held database: %v (%T), want *bolt.LockedError", err, err)
	}
	t.Logf("Open failed after %v: %v", elapsed.Round(time.Millisecond), err)
	if elapsed > 3*time.Second {
		t.Errorf("Open took %v to fail; SPEC §10 wants the exit within 3 s", elapsed)
	}
	if locked.PID != child.Process.Pid || locked.Path != path {
		t.Errorf("LockedError names pid %d, path %s; want the child's pid %d, path %s", locked.PID, locked.Path, child.Process.Pid, path)
	}
	if locked.Started.IsZero() || locked.Started.After(time.Now()) || time.Since(locked.Started) > time.Minute {
		t.Errorf("LockedError.Started = %v, want the child's recent start", locked.Started)
	}
	want := fmt.Sprintf("pacer is already running: pid %d, started %s (database %s)",
		child.Process.Pid, locked.Started.Format(time.RFC3339), path)
	if err.Error() != want {
		t.Errorf("error message:\n got  %s\n want %s", err, want)
	}

	// Without the lock info, the error still says the database is held.
	if err := os.Remove(path + ".lock-info"); err != nil {
		t.Fatal(err)
	}
	_, err = bolt.Open(path, bolt.Options{Timeout: 200 * time.Millisecond})
	if !errors.As(err, &locked) || locked.PID != 0 || !strings.Contains(err.Error(), "held by another process") {
		t.Errorf("Open of a held database without lock info: %v", err)
	}

	// Once the child lets go, the database opens.
	_ = stdin.Close()
	if err := child.Wait(); err != nil {
		t.Fatalf("child process: %v", err)
	}
	openAt(t, path)
	b, err := os.ReadFile(path + ".lock-info")
	if err != nil || !strings.Contains(string(b), `"pid":`+strconv.Itoa(os.Getpid())) {
		t.Errorf("lock info after reopening: %q, %v; want this process's pid", b, err)
	}
}

func sum(t *testing.T, path string) [32]byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return sha256.Sum256(b)
}

// wantNotPacer opens path, expecting *NotPacerError and the file untouched.
func wantNotPacer(t *testing.T, path, reason string) {
	t.Helper()
	before := sum(t, path)
	db, err := bolt.Open(path, bolt.Options{})
	if err == nil {
		db.Close()
		t.Fatalf("Open of %s succeeded", filepath.Base(path))
	}
	var np *bolt.NotPacerError
	if !errors.As(err, &np) {
		t.Fatalf("Open of %s: %v (%T), want *bolt.NotPacerError", filepath.Base(path), err, err)
	}
	if !strings.HasPrefix(err.Error(), path+" is not a pacer database: ") || !strings.Contains(err.Error(), reason) {
		t.Errorf("error message %q, want it to start with %q and say %q", err, path+" is not a pacer database: ", reason)
	}
	t.Log(err)
	if sum(t, path) != before {
		t.Errorf("Open changed %s", filepath.Base(path))
	}
	if _, err := os.Stat(path + ".lock-info"); !os.IsNotExist(err) {
		t.Errorf("Open left lock info beside %s", filepath.Base(path))
	}
}

// filledDB makes a closed pacer database with some data and returns its path.
func filledDB(t *testing.T, records int) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "pacer.db")
	db, err := bolt.Open(path, bolt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(t.Context(), func(tx store.Tx) error {
		for i := range records {
			r := store.Record{Entity: "lead", ID: fmt.Sprintf("L-%06d", i), Name: strings.Repeat("n", 100)}
			if _, err := tx.PutRecord(r); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestNotPacer(t *testing.T) {
	dir := t.TempDir()

	t.Run("text", func(t *testing.T) {
		path := filepath.Join(dir, "notes.txt")
		if err := os.WriteFile(path, bytes.Repeat([]byte("call Contoso back on Monday\n"), 400), 0o644); err != nil {
			t.Fatal(err)
		}
		wantNotPacer(t, path, "not a database file")
	})
	t.Run("short text", func(t *testing.T) {
		path := filepath.Join(dir, "short.txt")
		if err := os.WriteFile(path, []byte("hello\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		wantNotPacer(t, path, "not a database file")
	})
	t.Run("other bbolt database", func(t *testing.T) {
		path := filepath.Join(dir, "other.db")
		bdb, err := bbolt.Open(path, 0o600, nil)
		if err != nil {
			t.Fatal(err)
		}
		err = bdb.Update(func(btx *bbolt.Tx) error {
			b, err := btx.CreateBucket([]byte("widgets"))
			if err != nil {
				return err
			}
			return b.Put([]byte("w1"), []byte("blue"))
		})
		if err != nil {
			t.Fatal(err)
		}
		_ = bdb.Close()
		wantNotPacer(t, path, `another program (it has a "widgets" bucket`)
	})
	t.Run("destroyed header", func(t *testing.T) {
		path := filledDB(t, 100)
		f, err := os.OpenFile(path, os.O_RDWR, 0)
		if err != nil {
			t.Fatal(err)
		}
		// Both meta pages: page 0 and page 1 of 4 KiB.
		for _, off := range []int64{16, 4096 + 16} {
			if _, err := f.WriteAt(bytes.Repeat([]byte{0xAB}, 64), off); err != nil {
				t.Fatal(err)
			}
		}
		_ = f.Close()
		wantNotPacer(t, path, "")
	})
	t.Run("truncated", func(t *testing.T) {
		path := filledDB(t, 3000)
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.Truncate(path, 64<<10); err != nil {
			t.Fatal(err)
		}
		t.Logf("truncated from %d bytes", fi.Size())
		wantNotPacer(t, path, "damaged")
	})
	t.Run("damaged pages", func(t *testing.T) {
		// Garble whole data pages, or only what follows their headers, at a few fixed places.
		// Each file either fails to open with *NotPacerError, untouched, or opens (the damage
		// hit free pages); it must never crash the process.
		refused := 0
		for seed := range 6 {
			path := filledDB(t, 1000)
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			r := rand.New(rand.NewPCG(uint64(seed), 7))
			pages := 0
			_ = bboltView(t, path, func(btx *bbolt.Tx) error { pages = int(btx.Size() / 4096); return nil })
			from := 0
			if seed%2 == 1 {
				from = 16 // keep the page header
			}
			for range 2 {
				p := 2 + r.IntN(pages-2)
				for i := from; i < 4096; i++ {
					b[p*4096+i] = byte(r.Uint32())
				}
			}
			if err := os.WriteFile(path, b, 0o600); err != nil {
				t.Fatal(err)
			}
			before := sum(t, path)
			db, err := bolt.Open(path, bolt.Options{})
			var np *bolt.NotPacerError
			switch {
			case err == nil:
				_ = db.Close()
			case errors.As(err, &np):
				refused++
				if sum(t, path) != before {
					t.Errorf("seed %d: Open changed a damaged file", seed)
				}
			default:
				t.Errorf("seed %d: Open of a damaged file: %v (%T)", seed, err, err)
			}
		}
		if refused == 0 {
			t.Error("no damaged file was refused")
		}
	})
	t.Run("directory", func(t *testing.T) {
		_, err := bolt.Open(t.TempDir(), bolt.Options{})
		var np *bolt.NotPacerError
		if !errors.As(err, &np) {
			t.Errorf("Open of a directory: %v, want *bolt.NotPacerError", err)
		}
	})
}

func TestBackupRestore(t *testing.T) {
	db := openTemp(t)
	ctx := t.Context()
	var seqID store.ID
	err := db.Update(ctx, func(tx store.Tx) error {
		settings := store.DefaultSettings()
		settings.ActiveLimit, settings.TrackingURL = 40, "https://t.example.com"
		if err := tx.PutSettings(settings); err != nil {
			return err
		}
		if err := tx.PutUser(store.User{Username: "adam", Name: "Adam", Roles: []store.Role{store.RoleAdmin}, SSHKeys: []string{"ssh-ed25519 AAAA"}}); err != nil {
			return err
		}
		if err := tx.PutTeam(store.Team{Name: "West", Type: store.OwnerTeam, Members: []store.Member{{Username: "adam", Role: "lead"}}}); err != nil {
			return err
		}
		for i := range 500 {
			r := store.Record{Entity: "lead", ID: fmt.Sprintf("L-%d", i), Name: "Lead", Fields: map[string]any{"n": float64(i), "ok": i%2 == 0}}
			if _, err := tx.PutRecord(r); err != nil {
				return err
			}
		}
		if err := tx.PutTemplate(store.Template{Name: "intro", Kind: store.EmailTemplate, Subject: "Hi", Body: "Hello {{name}}"}); err != nil {
			return err
		}
		seq, err := tx.PutSequence(store.Sequence{Name: "Outbound", Entity: "lead", Owner: "adam", State: store.Active, Version: 1, Definition: []byte("name: Outbound\n")})
		if err != nil {
			return err
		}
		seqID = seq.ID
		if err := tx.PutVersion(store.Version{Sequence: seq.ID, N: 1, Definition: []byte("name: Outbound\n"), By: "adam"}); err != nil {
			return err
		}
		return tx.PutPrefs("adam", store.Prefs{"home": []byte("cols")})
	})
	if err != nil {
		t.Fatal(err)
	}

	copyPath := filepath.Join(t.TempDir(), "backup.db")
	f, err := os.Create(copyPath)
	if err != nil {
		t.Fatal(err)
	}
	n, err := db.Backup(ctx, f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(copyPath); fi.Size() != n {
		t.Errorf("Backup reported %d bytes, the file has %d", n, fi.Size())
	}
	restored := openAt(t, copyPath)
	if got, want := dump(t, restored, seqID), dump(t, db, seqID); !reflect.DeepEqual(got, want) {
		t.Errorf("restored backup differs:\n got  %+v\n want %+v", got, want)
	}

	canceled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := db.Backup(canceled, io.Discard); !errors.Is(err, context.Canceled) {
		t.Errorf("Backup with a canceled context: %v", err)
	}
}

// TestBackupWhileWriting takes a backup while another goroutine commits batches, and checks
// the copy holds whole batches only.
func TestBackupWhileWriting(t *testing.T) {
	db := openTemp(t)
	const batch = 50
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			err := db.Update(context.Background(), func(tx store.Tx) error {
				for j := range batch {
					if _, err := tx.PutRecord(store.Record{Entity: "lead", ID: fmt.Sprintf("L-%d-%d", i, j)}); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				t.Error(err)
				return
			}
		}
	})
	time.Sleep(50 * time.Millisecond)
	var buf bytes.Buffer
	_, err := db.Backup(t.Context(), &buf)
	close(stop)
	wg.Wait()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "copy.db")
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	restored := openAt(t, path)
	count := 0
	err = restored.View(t.Context(), func(tx store.Tx) error {
		return tx.Records("", func(store.Record) bool { count++; return true })
	})
	if err != nil {
		t.Fatal(err)
	}
	if count == 0 || count%batch != 0 {
		t.Errorf("the backup holds %d records, want a positive multiple of %d", count, batch)
	}
}

type contents struct {
	Settings  store.Settings
	Users     []store.User
	Teams     []store.Team
	Records   []store.Record
	Templates []store.Template
	Sequences []store.Sequence
	Sequence  store.Sequence
	Versions  []store.Version
	Prefs     store.Prefs
}

func dump(t *testing.T, db store.Store, seq store.ID) contents {
	t.Helper()
	var c contents
	err := db.View(t.Context(), func(tx store.Tx) error {
		var err error
		c.Settings, _ = tx.Settings()
		c.Users, _ = tx.Users()
		c.Teams, _ = tx.Teams()
		_ = tx.Records("", func(r store.Record) bool { c.Records = append(c.Records, r); return true })
		c.Templates, _ = tx.Templates()
		c.Sequences, _ = tx.Sequences()
		c.Versions, _ = tx.Versions(seq)
		c.Prefs, _ = tx.Prefs("adam")
		c.Sequence, err = tx.Sequence(seq)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestMapFootprint checks that the large initial memory map costs neither memory nor disk.
func TestMapFootprint(t *testing.T) {
	rss := func() int64 {
		b, err := os.ReadFile("/proc/self/status")
		if err != nil {
			t.Skip("no /proc/self/status")
		}
		for line := range strings.Lines(string(b)) {
			if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
				kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
				return kb << 10
			}
		}
		t.Skip("no VmRSS")
		return 0
	}
	before := rss()
	path := filepath.Join(t.TempDir(), "pacer.db")
	db := openAt(t, path)
	for i := range 20 {
		putUser(t, db, fmt.Sprintf("user%d", i))
	}
	after := rss()
	var st syscall.Stat_t
	if err := syscall.Stat(path, &st); err != nil {
		t.Fatal(err)
	}
	t.Logf("RSS +%d KiB; file size %d KiB, on disk %d KiB", (after-before)>>10, st.Size>>10, st.Blocks*512>>10)
	if after-before > 32<<20 {
		t.Errorf("opening a database grew RSS by %d MiB", (after-before)>>20)
	}
	if st.Blocks*512 > 4<<20 {
		t.Errorf("a new database takes %d KiB on disk", st.Blocks*512>>10)
	}
}

// bboltView runs fn in a read transaction of the bbolt file at path.
func bboltView(t *testing.T, path string, fn func(*bbolt.Tx) error) error {
	t.Helper()
	bdb, err := bbolt.Open(path, 0o600, &bbolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer bdb.Close()
	return bdb.View(fn)
}
