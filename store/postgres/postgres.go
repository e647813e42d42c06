// Package postgres is pacer's PostgreSQL backend: the store port (store.Store) over ordinary
// tables and indexes, for organizations that outgrow one machine. Several pacer processes may
// share one database: due timers are claimed with FOR UPDATE SKIP LOCKED in the transaction
// that applies them, outbox messages are claimed with a lease, a leader row with an expiry
// elects the node that runs work that must run once, and committed changes are announced
// with NOTIFY (Watch) so every node's screens follow them.
//
// Layout (schema.go): one table per entity, their columns the entity's fields; the maps and
// lists of an entity that are never searched (record fields, a connection's outcomes and
// sent messages, history events) are JSON. Times are int8 Unix nanoseconds (NULL for the
// zero time), so they round-trip exactly as in bbolt; text that is sorted is COLLATE "C",
// so names order by their bytes. The tables live in the first schema of the DSN's
// search_path; meta holds the schema version, and Open runs the migrations a database needs.
//
// Writes are queued in the transaction and sent with its next read, or at commit. The
// runtime's rows (connections, history, tasks, messages) collect per table and go as one
// statement per table over arrays (rows.go), and only a read of those tables, or the
// commit, sends them: a batch of transitions costs a few round trips, not several each. A
// write that fails makes that read, or the commit, fail and the transaction roll back.
//
// In an Update, reading a connection, record, task or message locks its row (FOR UPDATE),
// so an action of one node queues behind another node's transition of the same connection
// instead of racing it. The connections and records an Update has locked it keeps (with
// the suppressions of the records' addresses) and reads again without a round trip; its
// ClaimDue claims a batch of due connections ahead, with their records (cache.go). A
// transaction that deadlocks or fails to serialize is run again (up to maxAttempts times),
// so fn must be safe to repeat.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/pacer-sales/pacer/store"
)

// maxAttempts bounds how often Update runs a transaction that deadlocked or failed to
// serialize.
const maxAttempts = 10

// Options tune Open. The zero value is what pacer uses.
type Options struct {
	// MaxConns bounds the connections of the pool; 0 means pgxpool's default (4, or the
	// number of CPUs when larger).
	MaxConns int32
	// PollInterval is how often Watch signals when it cannot listen for notifications (or
	// has just reconnected); 0 means DefaultPollInterval.
	PollInterval time.Duration
	// ClaimAhead is how many due connections a ClaimDue of an Update claims at once (at
	// least as many as it is asked for), handing the rest out to the transaction's later
	// ClaimDue calls without a round trip; 0 means DefaultClaimAhead, the engine's batch.
	ClaimAhead int
}

// DefaultClaimAhead is ClaimAhead's default: the engine applies up to 500 timers per
// transaction.
const DefaultClaimAhead = 500

// DefaultPollInterval is Watch's polling interval while notifications are unavailable.
const DefaultPollInterval = 2 * time.Second

// DB is an open pacer database on PostgreSQL. It is safe for concurrent use, also by
// several processes.
type DB struct {
	pool    *pgxpool.Pool
	schema  string
	channel string
	opts    Options
	dsn     string

	closeOnce sync.Once
}

var _ store.Store = (*DB)(nil)

// IsURL reports whether s names a PostgreSQL database (postgres:// or postgresql://)
// rather than a file.
func IsURL(s string) bool {
	return strings.HasPrefix(s, "postgres://") || strings.HasPrefix(s, "postgresql://")
}

// Open connects to the database of dsn (a postgres:// URL or a keyword/value string),
// creates pacer's tables in the first schema of its search_path when they are missing, and
// migrates them to the current schema version.
func Open(ctx context.Context, dsn string, opts Options) (*DB, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("postgres: %s: %w", redact(dsn), err)
	}
	if opts.MaxConns > 0 {
		cfg.MaxConns = opts.MaxConns
	}
	if opts.PollInterval <= 0 {
		opts.PollInterval = DefaultPollInterval
	}
	if opts.ClaimAhead <= 0 {
		opts.ClaimAhead = DefaultClaimAhead
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: %s: %w", redact(dsn), err)
	}
	db := &DB{pool: pool, opts: opts, dsn: dsn}
	if err := pool.QueryRow(ctx, "SELECT current_schema()").Scan(&db.schema); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: connect to %s: %w", redact(dsn), err)
	}
	if db.schema == "" {
		pool.Close()
		return nil, fmt.Errorf("postgres: %s: the search_path names no schema that exists", redact(dsn))
	}
	db.channel = "pacer_changes_" + db.schema
	if err := db.upgrade(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	return db, nil
}

// redact returns dsn without its password, for messages.
func redact(dsn string) string {
	cfg, err := pgconn.ParseConfig(dsn)
	if err != nil || cfg.Password == "" {
		return dsn
	}
	return strings.ReplaceAll(dsn, cfg.Password, "xxxxx")
}

// Schema returns the PostgreSQL schema that holds the tables.
func (db *DB) Schema() string { return db.schema }

// View runs fn in a read-only transaction that sees one snapshot of the database.
func (db *DB) View(ctx context.Context, fn func(store.Tx) error) error {
	ptx, err := db.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return fmt.Errorf("postgres: begin: %w", err)
	}
	defer func() { _ = ptx.Rollback(context.WithoutCancel(ctx)) }()
	t := &tx{ctx: ctx, pg: ptx}
	return fn(t)
}

// Update runs fn in a read-write transaction that commits when fn returns nil and rolls
// back every write of fn when it returns an error (or panics). A deadlock or serialization
// failure runs fn again in a new transaction.
func (db *DB) Update(ctx context.Context, fn func(store.Tx) error) error {
	var err error
	for range maxAttempts {
		err = db.update(ctx, fn)
		if !retryable(err) {
			return err
		}
	}
	return err
}

func (db *DB) update(ctx context.Context, fn func(store.Tx) error) error {
	ptx, err := db.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.ReadCommitted})
	if err != nil {
		return fmt.Errorf("postgres: begin: %w", err)
	}
	defer func() { _ = ptx.Rollback(context.WithoutCancel(ctx)) }()
	t := &tx{ctx: ctx, pg: ptx, writable: true, channel: db.channel, ahead: db.opts.ClaimAhead}
	if err := fn(t); err != nil {
		return err
	}
	if t.wrote {
		// Delivered at commit, to every node listening (Watch); one per transaction, sent
		// with the last writes.
		if t.pending == nil {
			t.pending = &pgx.Batch{}
		}
		t.pending.Queue("SELECT pg_notify($1, '')", t.channel)
		t.what = append(t.what, "notify")
	}
	if err := t.flush(); err != nil {
		return err
	}
	if err := ptx.Commit(ctx); err != nil {
		return fmt.Errorf("postgres: commit: %w", err)
	}
	return nil
}

// retryable reports whether err is a deadlock or serialization failure, after which the
// whole transaction may be run again.
func retryable(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (pe.Code == "40P01" || pe.Code == "40001")
}

// Close releases the pool. Calling it again does nothing.
func (db *DB) Close() error {
	db.closeOnce.Do(db.pool.Close)
	return nil
}

// Backup writes a consistent copy of the whole database to w while it stays in use: from
// one snapshot, each table as a line "-- TABLE name" followed by its rows in PostgreSQL's
// COPY text format. It is meant for keeping and for inspection; `pacer copy` moves an org
// between backends.
func (db *DB) Backup(ctx context.Context, w io.Writer) (int64, error) {
	ptx, err := db.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return 0, fmt.Errorf("postgres: begin: %w", err)
	}
	defer func() { _ = ptx.Rollback(context.WithoutCancel(ctx)) }()
	cw := &countWriter{w: w}
	for _, table := range tables {
		if _, err := fmt.Fprintf(cw, "-- TABLE %s\n", table); err != nil {
			return cw.n, err
		}
		if _, err := ptx.Conn().PgConn().CopyTo(ctx, cw, "COPY "+table+" TO STDOUT"); err != nil {
			return cw.n, fmt.Errorf("postgres: back up %s: %w", table, err)
		}
	}
	return cw.n, nil
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
