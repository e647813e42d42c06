// Package bolt is pacer's embedded storage backend: one bbolt file holding the whole org.
// It implements store.Store; no bbolt type leaves this package.
//
// Layout: a few top-level buckets (see buckets.go) with fixed-width, big-endian keys and
// time-ordered 16-byte IDs; every value starts with a format-version byte. The meta bucket
// holds the schema version, and Open runs the migrations a database needs.
//
// Only one process may have a database open. Open fails with *LockedError, naming the
// holder, when another process has it, and with *NotPacerError, leaving the file untouched,
// when the file is not a pacer database or is damaged. Beside the file PATH it keeps
// PATH.lock-info while open (who holds it) and PATH.checked once closed (the file's state
// then, so the next Open need not check every page: verified.go).
//
// To store something new: declare its buckets in buckets.go (with fill 1.0 when keys are
// only appended); append a migration to the migrations slice that creates them (released
// migrations never change); give it a stored form and conversions in codec.go; write its
// Tx methods, changing its indexes in the same transaction; and extend store/storetest.
package bolt

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"sync"
	"time"

	"go.etcd.io/bbolt"
	bberrors "go.etcd.io/bbolt/errors"

	"github.com/pacer-sales/pacer/store"
)

// DefaultTimeout is how long Open waits for another process to release the database.
const DefaultTimeout = 2 * time.Second

// initialMmapSize is the address space mapped at open, so a growing database is rarely
// remapped (a remap waits for every reader). On Linux it reserves address space only: no
// memory is used and the file does not grow until pages are written.
const initialMmapSize = 256 << 20

// Options tune Open. The zero value is what pacer uses.
type Options struct {
	// Timeout is how long to wait for another process to release the database before
	// failing with *LockedError; 0 means DefaultTimeout.
	Timeout time.Duration
	// NoSync skips the fsync at commit: much faster, but a crash of the machine may lose
	// the last commits or damage the file. Only for throwaway stores (simulations, tests).
	NoSync bool
}

// NotPacerError is returned by Open when the file exists but is not a pacer database, or is
// damaged. The file is left as it was.
type NotPacerError struct {
	// Path is the file.
	Path string
	// Reason says what is wrong with it.
	Reason string
}

func (e *NotPacerError) Error() string {
	return fmt.Sprintf("%s is not a pacer database: %s", e.Path, e.Reason)
}

// DB is an open pacer database. It is safe for concurrent use: any number of View
// transactions run alongside one Update at a time.
type DB struct {
	bdb  *bbolt.DB
	path string
	// absPath is path made absolute, its links resolved, as /proc/self/maps names the file.
	absPath string

	closeOnce sync.Once
	closeErr  error
}

var _ store.Store = (*DB)(nil)

// Open opens the pacer database at path, creating it (and its directory) when it does not
// exist or is empty, and migrating it to the current schema.
func Open(path string, opts Options) (db *DB, err error) {
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	// A damaged file can make bbolt panic or fault while it reads it; report that as a
	// damaged database rather than crashing.
	var bdb *bbolt.DB
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			if bdb != nil {
				_ = bdb.Close()
			}
			db, err = nil, &NotPacerError{Path: path, Reason: fmt.Sprintf("the file is damaged (%v)", r)}
		}
	}()

	if err := inspect(path, opts.Timeout); err != nil {
		return nil, err
	}
	// The free-page list is written with every commit (a page or two), so opening reads it
	// rather than rebuilding it by a walk over every page of the file: on a database of a
	// million connections that walk alone took 380 ms warm, against 5 ms.
	bdb, err = bbolt.Open(path, 0o600, &bbolt.Options{
		Timeout:         opts.Timeout,
		FreelistType:    bbolt.FreelistMapType,
		InitialMmapSize: initialMmapSize,
		NoSync:          opts.NoSync,
	})
	if err != nil {
		return nil, openError(path, err)
	}
	db = &DB{bdb: bdb, path: path, absPath: path}
	if abs, err := filepath.Abs(path); err == nil {
		db.absPath = abs
		if real, err := filepath.EvalSymlinks(abs); err == nil {
			db.absPath = real
		}
	}
	if err := db.upgrade(); err != nil {
		_ = bdb.Close()
		return nil, err
	}
	// Best effort: the lock info only improves the message another process shows.
	_ = writeLockInfo(path)
	return db, nil
}

// inspect checks, without writing to it, that an existing non-empty file at path is a pacer
// database this version can open. A missing file gets its directory created.
func inspect(path string, timeout time.Duration) error {
	fi, err := os.Stat(path)
	if errors.Is(err, os.ErrNotExist) {
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return fmt.Errorf("create the database directory: %w", err)
		}
		return nil
	}
	if err != nil {
		return fmt.Errorf("open %s: %w", path, err)
	}
	if fi.IsDir() {
		return &NotPacerError{Path: path, Reason: "it is a directory"}
	}
	if fi.Size() == 0 {
		return nil
	}
	if fi.Size() < int64(2*os.Getpagesize()) {
		return &NotPacerError{Path: path, Reason: fmt.Sprintf("it is not a database file (only %d bytes)", fi.Size())}
	}
	bdb, err := bbolt.Open(path, 0o600, &bbolt.Options{ReadOnly: true, Timeout: timeout})
	if err != nil {
		return openError(path, err)
	}
	defer bdb.Close()
	return bdb.View(func(btx *bbolt.Tx) error {
		if btx.Size() > fi.Size() {
			return &NotPacerError{Path: path, Reason: fmt.Sprintf(
				"the file is damaged: it is %d bytes but its contents reach %d bytes (truncated?)",
				fi.Size(), btx.Size())}
		}
		version, ok, err := readSchema(btx)
		if err != nil {
			return &NotPacerError{Path: path, Reason: "the file is damaged: " + err.Error()}
		}
		if !ok {
			if name, _ := btx.Cursor().First(); name != nil {
				return &NotPacerError{Path: path, Reason: fmt.Sprintf(
					"it is a bbolt database of another program (it has a %q bucket and no pacer metadata)", name)}
			}
			return nil // an empty bbolt file: made a pacer database on open
		}
		if version > currentSchema() {
			return newerSchemaError(path, version)
		}
		if checkedBefore(path, fi, btx) {
			return nil // as a pacer process left it (verified.go)
		}
		return checkPages(path, btx)
	})
}

// checkPages reads every page of the database in this goroutine, where a damaged page
// panics (or faults) into Open's recover and is reported: every key and value of every
// bucket, nested ones included, checking that each bucket's keys are in order. A file that
// fails is refused, so nothing is ever written into it. (bbolt's own Tx.Check runs in a
// goroutine of its own, where a fault on a damaged page would crash the process.) Opened
// for writing, bbolt rebuilds the free-page list of a file that has none written (one made
// with NoFreelistSync) by a walk too, where such a panic would crash the process instead.
func checkPages(path string, btx *bbolt.Tx) error {
	pageWalks.Add(1)
	return btx.ForEach(func(name []byte, b *bbolt.Bucket) error {
		if err := walkBucket(b); err != nil {
			return &NotPacerError{Path: path, Reason: fmt.Sprintf("the file is damaged: bucket %q: %v; restore it from a backup", name, err)}
		}
		return nil
	})
}

// touched keeps the reads of walkBucket from being optimized away.
var touched byte

// walkBucket reads the first and last byte of every key and value of b and of the buckets
// nested in it, and reports keys out of order.
func walkBucket(b *bbolt.Bucket) error {
	c := b.Cursor()
	var prev []byte
	for k, v := c.First(); k != nil; k, v = c.Next() {
		touched ^= k[0] ^ k[len(k)-1]
		if prev != nil && bytes.Compare(prev, k) >= 0 {
			return fmt.Errorf("key %x follows key %x", k, prev)
		}
		prev = k
		if v == nil {
			if nb := b.Bucket(k); nb != nil {
				if err := walkBucket(nb); err != nil {
					return fmt.Errorf("in %q: %w", k, err)
				}
			}
			continue
		}
		if len(v) > 0 {
			touched ^= v[0] ^ v[len(v)-1]
		}
	}
	return nil
}

func newerSchemaError(path string, version int) error {
	return fmt.Errorf("%s: %w (schema %d; this version reads up to schema %d): upgrade pacer",
		path, ErrNewerSchema, version, currentSchema())
}

// openError turns an error of bbolt.Open into pacer's terms.
func openError(path string, err error) error {
	switch {
	case errors.Is(err, bberrors.ErrTimeout):
		return lockedError(path)
	case errors.Is(err, bberrors.ErrInvalid):
		return &NotPacerError{Path: path, Reason: "it is not a database file (or its header is destroyed)"}
	case errors.Is(err, bberrors.ErrVersionMismatch):
		return &NotPacerError{Path: path, Reason: "it is a database file of an unsupported format version"}
	case errors.Is(err, bberrors.ErrChecksum):
		return &NotPacerError{Path: path, Reason: "the file is damaged: its header checksums do not match"}
	}
	return fmt.Errorf("open %s: %w", path, err)
}

// upgrade runs the migrations the database needs, writing nothing when it is current.
func (db *DB) upgrade() error {
	var version int
	err := db.bdb.View(func(btx *bbolt.Tx) error {
		var err error
		version, _, err = readSchema(btx)
		return err
	})
	if err != nil {
		return &NotPacerError{Path: db.path, Reason: "the file is damaged: " + err.Error()}
	}
	switch {
	case version > currentSchema():
		return newerSchemaError(db.path, version)
	case version == currentSchema():
		return nil
	}
	return db.bdb.Update(func(btx *bbolt.Tx) error {
		// Read again inside the write transaction: this is the version migrate starts from.
		version, _, err := readSchema(btx)
		if err != nil {
			return err
		}
		if version > currentSchema() {
			return newerSchemaError(db.path, version)
		}
		if err := migrate(btx, version, migrations); err != nil {
			return fmt.Errorf("%s: %w", db.path, err)
		}
		return nil
	})
}

// Path returns the database file's path.
func (db *DB) Path() string { return db.path }

// View runs fn in a read-only transaction.
func (db *DB) View(ctx context.Context, fn func(store.Tx) error) (err error) {
	if err := ctx.Err(); err != nil {
		return err
	}
	defer db.recoverDamage(&err)
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	return db.bdb.View(func(btx *bbolt.Tx) error { return fn(&tx{btx: btx}) })
}

// Update runs fn in a read-write transaction that commits when fn returns nil and rolls
// back every write of fn when it returns an error (or panics). A panic raised inside bbolt
// by a damaged page comes back as an error wrapping store.ErrDamaged.
func (db *DB) Update(ctx context.Context, fn func(store.Tx) error) (err error) {
	if err := ctx.Err(); err != nil {
		return err
	}
	defer db.recoverDamage(&err)
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	return db.bdb.Update(func(btx *bbolt.Tx) error {
		t := &tx{btx: btx}
		if err := fn(t); err != nil {
			return err
		}
		if err := t.flushCounts(); err != nil {
			return err
		}
		if err := t.flushOrder(); err != nil {
			return err
		}
		// Hold no pages of the file mapped past the transaction (see unmapPages); bbolt
		// replaces its mapping only while committing, after this.
		unmapPages(db.bdb.Info().Data, db.absPath)
		return nil
	})
}

// Backup writes a consistent copy of the database to w from a read transaction, so writers
// carry on meanwhile. The copy is itself a pacer database file.
func (db *DB) Backup(ctx context.Context, w io.Writer) (int64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	var n int64
	err := db.bdb.View(func(btx *bbolt.Tx) error {
		var err error
		n, err = btx.WriteTo(ctxWriter{ctx: ctx, w: w})
		return err
	})
	return n, err
}

// ctxWriter stops a backup when its context ends.
type ctxWriter struct {
	ctx context.Context
	w   io.Writer
}

func (c ctxWriter) Write(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.w.Write(p)
}

// Close releases the database. Calling it again does nothing.
func (db *DB) Close() error {
	db.closeOnce.Do(func() {
		// Write the check marker and remove the lock sidecar while still holding the lock,
		// so neither is ever the next holder's. A marker that can't be written only means
		// the next Open checks every page.
		_ = db.writeChecked()
		lerr := removeLockInfo(db.path)
		db.closeErr = errors.Join(db.bdb.Close(), lerr)
	})
	return db.closeErr
}
