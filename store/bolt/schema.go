package bolt

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"

	"go.etcd.io/bbolt"

	"github.com/pacer-sales/pacer/store"
	"github.com/pacer-sales/pacer/store/stored"
)

// migration takes the database from one schema version to the next, inside the
// transaction that records the new version.
type migration func(btx *bbolt.Tx) error

// migrations[n] takes a database from schema n to n+1. A new schema appends a step here;
// existing steps never change, since databases in the field were made by them.
var migrations = []migration{
	createSchema1,  // 0 → 1: the initial buckets and the default settings
	createSchema2,  // 1 → 2: the runtime buckets (connections, history, tasks, due, outbox, segments)
	keepFreelist,   // 2 → 3: the free-page list kept in the file; records and history in format 2
	historyLog,     // 3 → 4: history moved to an append-only log with an index by connection
	taskCopies,     // 4 → 5: task_open and task_by_assignee entries hold their tasks
	mailIndexes,    // 5 → 6: messages by tracking id and recipient, suppressions, mailbox positions
	recordOrder,    // 6 → 7: records by name, by modification time and by owner
	recordsByEmail, // 7 → 8: records by email
	mailboxUse,     // 8 → 9: what each sender mailbox has let out (sending limits)
}

// currentSchema is the schema this version of pacer writes.
func currentSchema() int { return len(migrations) }

// ErrNewerSchema is returned (wrapped) by Open for a database written by a newer version of
// pacer than this one.
var ErrNewerSchema = errors.New("database written by a newer version of pacer")

var (
	schemaKey   = []byte("schema")
	settingsKey = []byte("org")
)

// createBuckets creates the buckets defs that do not exist yet.
func createBuckets(btx *bbolt.Tx, defs []bucketDef) error {
	for _, def := range defs {
		if _, err := btx.CreateBucketIfNotExists([]byte(def.name)); err != nil {
			return fmt.Errorf("create bucket %s: %w", def.name, err)
		}
	}
	return nil
}

// createSchema1 creates the buckets of schema 1 and stores the default org settings.
func createSchema1(btx *bbolt.Tx) error {
	if err := createBuckets(btx, schema1Buckets); err != nil {
		return err
	}
	b := btx.Bucket([]byte(bSettings.name))
	if b.Get(settingsKey) != nil {
		return nil
	}
	v, err := encodeJSON(stored.FromSettings(store.DefaultSettings()))
	if err != nil {
		return err
	}
	return b.Put(settingsKey, v)
}

// createSchema2 creates the runtime buckets of schema 2; existing data is untouched.
func createSchema2(btx *bbolt.Tx) error {
	return createBuckets(btx, schema2Buckets)
}

// keepFreelist changes nothing itself: committing it writes the free-page list, which
// files of schema 2 lack (Open reads the list instead of rebuilding it by a walk over every
// page). From schema 3 on, records and multi-event history values may be in format 2,
// which earlier versions of pacer cannot read.
func keepFreelist(*bbolt.Tx) error { return nil }

// historyLog creates history_log and history_by_conn, moves every entry of history into
// them (each connection's entries keep their order) and removes history.
func historyLog(btx *bbolt.Tx) error {
	if err := createBuckets(btx, schema4Buckets); err != nil {
		return err
	}
	old := btx.Bucket([]byte(bHistory.name))
	if old == nil {
		return nil
	}
	log, err := bucket(btx, bHistoryLog)
	if err != nil {
		return err
	}
	idx, err := bucket(btx, bHistoryByConn)
	if err != nil {
		return err
	}
	err = old.ForEach(func(k, v []byte) error {
		if len(k) != 24 {
			return damaged("damaged history: a key of %d bytes", len(k))
		}
		return appendLog(log, idx, store.ID(k[:16]), v)
	})
	if err != nil {
		return err
	}
	return btx.DeleteBucket([]byte(bHistory.name))
}

// taskCopies rebuilds task_open and task_by_assignee from tasks, each entry now holding
// its task (the value stored in tasks), so a work list reads the index alone. The entries
// are put in key order: bbolt splits pages only at commit, so keys put in random order
// into a bucket that grows by many entries in one transaction would each move the ones
// after them.
func taskCopies(btx *bbolt.Tx) error {
	for _, def := range []bucketDef{bTaskOpen, bTaskByAssignee} {
		if err := btx.DeleteBucket([]byte(def.name)); err != nil && !errors.Is(err, bbolt.ErrBucketNotFound) {
			return fmt.Errorf("delete bucket %s: %w", def.name, err)
		}
	}
	if err := createBuckets(btx, []bucketDef{bTaskOpen, bTaskByAssignee}); err != nil {
		return err
	}
	tasks, err := bucket(btx, bTasks)
	if err != nil {
		return err
	}
	type entry struct{ k, v []byte }
	var open, byAssignee []entry
	err = tasks.ForEach(func(k, v []byte) error {
		if len(k) != len(store.ID{}) {
			return damaged("damaged tasks: a key of %d bytes", len(k))
		}
		h, err := decodeTaskHead(v)
		if err != nil {
			return fmt.Errorf("task %x: %w", k, err)
		}
		if store.TaskState(h.State) != store.TaskOpen {
			return nil
		}
		id, v := store.ID(k), bytes.Clone(v)
		open = append(open, entry{timeID(h.DueAt, id), v})
		for _, a := range h.Assignees {
			byAssignee = append(byAssignee, entry{assigneeKey(a, h.DueAt, id), v})
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, idx := range []struct {
		def     bucketDef
		entries []entry
	}{{bTaskOpen, open}, {bTaskByAssignee, byAssignee}} {
		b, err := bucket(btx, idx.def)
		if err != nil {
			return err
		}
		slices.SortFunc(idx.entries, func(x, y entry) int { return bytes.Compare(x.k, y.k) })
		for _, e := range idx.entries {
			if err := b.Put(e.k, e.v); err != nil {
				return err
			}
		}
	}
	return nil
}

// readSchema returns the schema version of a database, and whether it has pacer's meta
// bucket at all. A meta bucket without a version is schema 0.
func readSchema(btx *bbolt.Tx) (version int, ok bool, err error) {
	meta := btx.Bucket([]byte(bMeta.name))
	if meta == nil {
		return 0, false, nil
	}
	v := meta.Get(schemaKey)
	if v == nil {
		return 0, true, nil
	}
	if err := checkFormat(v, "schema version"); err != nil {
		return 0, true, err
	}
	if len(v) != 5 {
		return 0, true, damaged("damaged schema version: %d bytes", len(v))
	}
	return int(binary.BigEndian.Uint32(v[1:])), true, nil
}

func writeSchema(btx *bbolt.Tx, version int) error {
	meta, err := btx.CreateBucketIfNotExists([]byte(bMeta.name))
	if err != nil {
		return err
	}
	v := make([]byte, 5)
	v[0] = format1
	binary.BigEndian.PutUint32(v[1:], uint32(version))
	return meta.Put(schemaKey, v)
}

// migrate brings btx from schema from up to len(steps), recording each version reached. It
// runs in one transaction, so a failure leaves the database at from.
func migrate(btx *bbolt.Tx, from int, steps []migration) error {
	for n := from; n < len(steps); n++ {
		if err := steps[n](btx); err != nil {
			return fmt.Errorf("migrate schema %d to %d: %w", n, n+1, err)
		}
		if err := writeSchema(btx, n+1); err != nil {
			return fmt.Errorf("migrate schema %d to %d: %w", n, n+1, err)
		}
	}
	return nil
}
