package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"time"

	"github.com/pacer-sales/pacer/engine"
	"github.com/pacer-sales/pacer/store/bolt"
	"github.com/pacer-sales/pacer/ui/cli"
)

// backend opens the database the global flags name for the command line of this process.
type backend struct {
	args           []string
	stdin          io.Reader
	stdout, stderr io.Writer

	// hold is set by the front ends that hold the database themselves (serve, run, the
	// screens): Open never forwards their command to another process.
	hold bool
	// path is the database file, once opened.
	path string
	db   *bolt.DB
	eng  *engine.Engine
}

// defaultDBPath is $PACER_DB, else $XDG_DATA_HOME/pacer/pacer.db, else
// ~/.local/share/pacer/pacer.db.
func defaultDBPath() (string, error) {
	if p := os.Getenv("PACER_DB"); p != "" {
		return p, nil
	}
	dir := os.Getenv("XDG_DATA_HOME")
	if dir == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", fmt.Errorf("can't find the home directory for the database: %w (pass --db)", err)
		}
		dir = filepath.Join(home, ".local", "share")
	}
	return filepath.Join(dir, "pacer", "pacer.db"), nil
}

// clock is the clock --now or $PACER_NOW pins, else the system's.
func clock(now string) (engine.Clock, error) {
	if now == "" {
		now = os.Getenv("PACER_NOW")
	}
	if now == "" {
		return engine.SystemClock{}, nil
	}
	t, err := time.Parse(time.RFC3339, now)
	if err != nil {
		return nil, fmt.Errorf("--now/PACER_NOW %q: want an RFC 3339 time like 2026-03-02T09:00:00Z", now)
	}
	return engine.FixedClock(t), nil
}

// Open opens the database (once) and returns the engine over it. When a running pacer
// holds the database and answers on its socket, the command line runs there instead
// (Forward): Open then returns the command's exit code as a silent ExitError. The front
// ends that hold the database themselves (serve, run, the screens) set hold and never
// forward.
func (b *backend) Open(ctx context.Context, g cli.Globals) (*engine.Engine, error) {
	if b.eng != nil {
		return b.eng, nil
	}
	clk, err := clock(g.Now)
	if err != nil {
		return nil, err
	}
	path := g.DB
	if path == "" {
		if path, err = defaultDBPath(); err != nil {
			return nil, cli.Exit(cli.ExitNoDB, err)
		}
	}
	if !b.hold {
		if err := b.forward(ctx, path); !errors.Is(err, cli.ErrNoHolder) {
			return nil, err
		}
	} else if info, err := cli.AskHolder(cli.SocketPath(path)); err == nil {
		// A front end of its own can't run beside the holder: say so at once.
		return nil, cli.Exit(cli.ExitNoDB, heldBy(info, fmt.Errorf("pacer is already running: pid %d, started %s (database %s)", info.PID, info.Started.Format(time.RFC3339), path)))
	}
	db, err := bolt.Open(path, bolt.Options{})
	var locked *bolt.LockedError
	if errors.As(err, &locked) && !b.hold {
		// The holder may have been starting its socket: ask once more.
		if ferr := b.forward(ctx, path); !errors.Is(ferr, cli.ErrNoHolder) {
			return nil, ferr
		}
	}
	if errors.As(err, &locked) && b.hold {
		if info, ierr := cli.AskHolder(cli.SocketPath(path)); ierr == nil {
			return nil, cli.Exit(cli.ExitNoDB, heldBy(info, err))
		}
	}
	if err != nil {
		return nil, cli.Exit(cli.ExitNoDB, err)
	}
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(engine.GCPercent)
	}
	b.path, b.db = path, db
	b.eng = engine.New(db, clk)
	return b.eng, nil
}

// forward runs the command line in the pacer that answers on the database's socket; it
// returns cli.ErrNoHolder when none does, and otherwise the command's exit code as a silent
// ExitError.
func (b *backend) forward(ctx context.Context, path string) error {
	code, err := cli.Forward(ctx, cli.SocketPath(path), b.args, os.Getenv, osUser(), b.stdin, b.stdout, b.stderr)
	switch {
	case errors.Is(err, cli.ErrNoHolder):
		return err
	case err != nil:
		return cli.Exit(code, err)
	}
	return cli.Exit(code, nil)
}

// heldBy explains a database held by a pacer whose socket answers: what runs there, and
// how to reach its screens.
func heldBy(info cli.HolderInfo, err error) error {
	msg := fmt.Sprintf("%v: %s runs on it", err, info.What)
	if info.SSH != "" {
		msg += fmt.Sprintf("; reach its screens with ssh -p %s %s", port(info.SSH), sshHost(info.SSH))
	} else {
		msg += "; stop it to open the screens here (commands such as pacer tasks run inside it)"
	}
	return errors.New(msg)
}

// Scratch copies the database into a temporary directory for simulate. The copy is read
// straight from the store: it never leaves this process, so it needs no admin rights the
// way `pacer backup` does.
func (b *backend) Scratch(ctx context.Context, now time.Time) (*engine.Engine, func(), error) {
	if b.db == nil {
		return nil, nil, fmt.Errorf("the database is not open")
	}
	return scratch(ctx, b.db, now)
}

// scratch copies db into a temporary directory and opens an engine with a manual clock
// over the copy; done removes it.
func scratch(ctx context.Context, db *bolt.DB, now time.Time) (*engine.Engine, func(), error) {
	dir, err := os.MkdirTemp("", "pacer-simulate-")
	if err != nil {
		return nil, nil, err
	}
	fail := func(err error) (*engine.Engine, func(), error) {
		os.RemoveAll(dir)
		return nil, nil, err
	}
	path := filepath.Join(dir, "copy.db")
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return fail(err)
	}
	_, err = db.Backup(ctx, f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fail(err)
	}
	copyDB, err := bolt.Open(path, bolt.Options{NoSync: true})
	if err != nil {
		return fail(err)
	}
	done := func() {
		copyDB.Close()
		os.RemoveAll(dir)
	}
	return engine.NewSimulator(copyDB, engine.NewManualClock(now)), done, nil
}

func (b *backend) close() {
	if b.db != nil {
		_ = b.db.Close()
		b.db = nil
	}
}

// Path is the live database file, once open.
func (b *backend) Path() string { return b.path }
