package postgres

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pacer-sales/pacer/store"
)

// dbNow is the database's clock in Unix nanoseconds: leases are measured by it, so nodes
// whose clocks differ agree on when one ends.
const dbNow = "(extract(epoch FROM clock_timestamp()) * 1000000000)::int8"

// ClaimDue returns the due entries no other transaction holds, locking their connections
// (FOR UPDATE SKIP LOCKED) until this transaction ends. In a View it is DueBefore.
func (t *tx) ClaimDue(until time.Time, limit int) ([]store.Due, error) {
	if !t.writable {
		return t.DueBefore(until, limit)
	}
	if limit <= 0 {
		return []store.Due{}, nil
	}
	if t.keep.due != nil {
		if list, ok := t.keep.due.take(until, limit); ok {
			return list, nil
		}
	}
	if err := t.claimBatch(until, limit); err != nil {
		return nil, err
	}
	list, _ := t.keep.due.take(until, limit)
	return list, nil
}

// ClaimQueued leases up to limit queued messages due by until that no other process holds.
func (t *tx) ClaimQueued(until time.Time, limit int, lease time.Duration) ([]store.Message, error) {
	if !t.writable {
		return nil, errReadOnly("claim queued messages")
	}
	var list []store.Message
	if limit <= 0 {
		return list, nil
	}
	// A lease is no change for the other nodes to follow: it sends no notification.
	cols := "m." + strings.ReplaceAll(msgCols, ", ", ", m.")
	err := t.query(`WITH c AS (
			SELECT id FROM messages WHERE `+queuedWhere+` AND (lease_until IS NULL OR lease_until <= `+dbNow+`)
			ORDER BY next_try NULLS FIRST, id LIMIT $2 FOR UPDATE SKIP LOCKED)
		UPDATE messages m SET lease_until = `+dbNow+` + $3 FROM c WHERE m.id = c.id
		RETURNING `+cols,
		[]any{until.UnixNano(), limit, lease.Nanoseconds()}, func(r pgx.Rows) error {
			m, err := scanMessage(r)
			list = append(list, m)
			return err
		})
	slices.SortFunc(list, func(a, b store.Message) int {
		if c := compareTimes(a.NextTry, b.NextTry); c != 0 {
			return c
		}
		return strings.Compare(string(a.ID[:]), string(b.ID[:]))
	})
	return list, err
}

func compareTimes(a, b time.Time) int {
	switch {
	case a.IsZero() && b.IsZero():
		return 0
	case a.IsZero():
		return -1
	case b.IsZero():
		return 1
	}
	return a.Compare(b)
}

// NextQueued returns when the earliest queued message can be claimed: its NextTry, or the
// end of its lease when that is later.
func (t *tx) NextQueued() (time.Time, bool, error) {
	var at time.Time
	var n int64
	found := false
	_, err := t.queryOne(`SELECT min(greatest(coalesce(next_try, $1), coalesce(lease_until, $1))), count(*)
		FROM messages WHERE state = 'queued'`, []any{int64(math.MinInt64)}, func(r pgx.Rows) error {
		var v *int64
		if err := r.Scan(&v, &n); err != nil {
			return err
		}
		if n > 0 && v != nil {
			found = true
			if *v != math.MinInt64 {
				at = time.Unix(0, *v).UTC()
			}
		}
		return nil
	})
	return at, found, err
}

// Lead takes or extends node's term of the leadership called name.
func (t *tx) Lead(name, node string, ttl time.Duration) (bool, error) {
	if !t.writable {
		return false, errReadOnly("claim leadership")
	}
	var holder string
	found, err := t.queryOne(`INSERT INTO leaders (name, node, expires_at)
		VALUES ($1, $2, clock_timestamp() + make_interval(secs => $3))
		ON CONFLICT (name) DO UPDATE SET node = excluded.node, expires_at = excluded.expires_at
		WHERE leaders.node = excluded.node OR leaders.expires_at <= clock_timestamp()
		RETURNING node`, []any{name, node, ttl.Seconds()}, func(r pgx.Rows) error { return r.Scan(&holder) })
	return found && holder == node, err
}

// Resign ends node's term of the leadership called name.
func (t *tx) Resign(name, node string) error {
	_, err := t.exec("resign leadership "+name, "DELETE FROM leaders WHERE name = $1 AND node = $2", name, node)
	return err
}

var _ store.Watcher = (*DB)(nil)

// Watch signals after changes committed by any process on this database: it listens for
// the notifications every Update sends at commit. While it cannot listen (the connection
// failed, the server restarted) it signals every poll interval and tries again, and it
// signals once it listens again, for what it may have missed. The channel closes when ctx
// ends.
func (db *DB) Watch(ctx context.Context) <-chan struct{} {
	ch := make(chan struct{}, 1)
	signal := func() {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
	go func() {
		defer close(ch)
		for {
			_ = db.listen(ctx, signal)
			if ctx.Err() != nil {
				return
			}
			signal()
			select {
			case <-ctx.Done():
				return
			case <-time.After(db.opts.PollInterval):
			}
		}
	}()
	return ch
}

// listen holds a connection listening on the database's channel and signals for each
// notification; it returns when the connection fails or ctx ends. Every poll interval
// without a notification it checks that the connection still answers.
func (db *DB) listen(ctx context.Context, signal func()) error {
	conn, err := pgx.Connect(ctx, db.dsn)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{db.channel}.Sanitize()); err != nil {
		return fmt.Errorf("postgres: listen: %w", err)
	}
	signal() // what committed before this listened
	for {
		wctx, cancel := context.WithTimeout(ctx, db.opts.PollInterval)
		_, err := conn.WaitForNotification(wctx)
		cancel()
		switch {
		case err == nil:
			signal()
		case ctx.Err() != nil:
			return ctx.Err()
		case wctx.Err() != nil:
			if err := conn.Ping(ctx); err != nil {
				return err
			}
		default:
			return err
		}
	}
}
