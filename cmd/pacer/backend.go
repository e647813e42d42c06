package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"time"

	"github.com/pacer-sales/pacer/engine"
	"github.com/pacer-sales/pacer/store"
	"github.com/pacer-sales/pacer/store/bolt"
	"github.com/pacer-sales/pacer/store/postgres"
	"github.com/pacer-sales/pacer/ui/cli"
)

// backend opens the database the global flags name for the command line of this process.
type backend struct {
	args           []string
	stdin          io.Reader
	stdout, stderr io.Writer

	// path is the database file or PostgreSQL URL, once opened.
	path string
	db   store.Store
	eng  *engine.Engine
}

// defaultDBPath is $PACER_DB (a file, or a postgres:// URL), else $XDG_DATA_HOME/pacer/pacer.db, else
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

// Open opens the database (once) and returns the engine over it.
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
	db, err := openStore(ctx, path)
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

// openStore opens the database at path: PostgreSQL for a postgres:// URL, else a bbolt file.
func openStore(ctx context.Context, path string) (store.Store, error) {
	if postgres.IsURL(path) {
		return postgres.Open(ctx, path, postgres.Options{})
	}
	return bolt.Open(path, bolt.Options{})
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
func scratch(ctx context.Context, db store.Store, now time.Time) (*engine.Engine, func(), error) {
	dir, err := os.MkdirTemp("", "pacer-simulate-")
	if err != nil {
		return nil, nil, err
	}
	fail := func(err error) (*engine.Engine, func(), error) {
		os.RemoveAll(dir)
		return nil, nil, err
	}
	path := filepath.Join(dir, "copy.db")
	if _, ok := db.(*bolt.DB); !ok {
		// Another backend: its org copied through the store port.
		copyDB, err := bolt.Open(path, bolt.Options{NoSync: true})
		if err != nil {
			return fail(err)
		}
		if _, err := store.Copy(ctx, copyDB, db); err != nil {
			copyDB.Close()
			return fail(err)
		}
		done := func() {
			copyDB.Close()
			os.RemoveAll(dir)
		}
		return engine.NewSimulator(copyDB, engine.NewManualClock(now)), done, nil
	}
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
