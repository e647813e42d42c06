package bolt

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"go.etcd.io/bbolt"

	"github.com/pacer-sales/pacer/store"
)

// The runtime's part of a transaction (store.RuntimeTx): connections and their history, the
// due index, tasks, the outbox and segments. Every Put method reads the head of the value
// it replaces and moves the entity's index entries in the same transaction.
//
// Timestamps: a zero CreatedAt (connections, tasks, messages) or UpdatedAt (connections)
// given to a Put method becomes the current time, and an existing entity keeps the
// CreatedAt it was stored with. Every other time is stored as given: a zero WakeAt means no
// wake-up (no due entry); a queued message with a zero NextTry is due at once.
//
// Connections outlive their sequence: DeleteSequence leaves them, their history and their
// indexes alone (the engine disconnects them first and keeps their history).

var _ store.RuntimeTx = (*tx)(nil)

// walkChunk is how many index entries a walk reads before calling fn on them.
const walkChunk = 256

// walkIDs calls fn with the ID that ends each key of b starting with prefix, in key order,
// until fn returns false or an error. It reads keys a chunk at a time and holds no cursor
// while fn runs, so fn may write to b (in an Update); keys fn adds past the walk's position
// are visited too.
func walkIDs(b *bbolt.Bucket, prefix []byte, what string, fn func(store.ID) (bool, error)) error {
	from, after := prefix, false
	ids := make([]store.ID, 0, walkChunk)
	for {
		ids = ids[:0]
		var last []byte
		c := b.Cursor()
		k, _ := c.Seek(from)
		if after && k != nil && bytes.Equal(k, from) {
			k, _ = c.Next()
		}
		for ; k != nil && bytes.HasPrefix(k, prefix) && len(ids) < walkChunk; k, _ = c.Next() {
			if len(k) < len(prefix)+len(store.ID{}) {
				return damaged("damaged %s index: a key of %d bytes", what, len(k))
			}
			ids, last = append(ids, store.ID(k[len(k)-len(store.ID{}):])), k
		}
		from, after = bytes.Clone(last), true
		for _, id := range ids {
			if ok, err := fn(id); err != nil || !ok {
				return err
			}
		}
		if len(ids) < walkChunk {
			return nil
		}
	}
}

// idPair returns the key a|b of the indexes from one entity to another, in the
// transaction's key room: good until the next key is made.
func (t *tx) idPair(a, b store.ID) []byte {
	k := t.key[:32]
	copy(k, a[:])
	copy(k[16:], b[:])
	return k
}

// timeID is the key timeKey(t)|id of the time-ordered indexes.
func timeID(t time.Time, id store.ID) []byte {
	var k [24]byte
	return appendTimeID(k[:0], t, id)
}

// timeID returns the key timeKey(at)|id in the transaction's key room: good until the next
// key is made.
func (t *tx) timeID(at time.Time, id store.ID) []byte {
	return appendTimeID(t.key[:0], at, id)
}

func appendTimeID(k []byte, t time.Time, id store.ID) []byte {
	k = binary.BigEndian.AppendUint64(k, timeKey(t))
	return append(k, id[:]...)
}

// splitTimeID reads a key made by timeID.
func splitTimeID(k []byte, what string) (time.Time, store.ID, error) {
	if len(k) != 24 {
		return time.Time{}, store.ID{}, damaged("damaged %s index: a key of %d bytes", what, len(k))
	}
	return fromTimeKey(binary.BigEndian.Uint64(k)), store.ID(k[8:]), nil
}

// assigneeKey is the key username 0x00 timeKey(due)|task of task_by_assignee.
func assigneeKey(username string, due time.Time, task store.ID) []byte {
	k := make([]byte, 0, len(username)+25)
	k = append(k, username...)
	k = append(k, 0)
	k = binary.BigEndian.AppendUint64(k, timeKey(due))
	return append(k, task[:]...)
}

// Connections

func (t *tx) Conn(id store.ID) (store.Connection, error) {
	b, err := t.bucket(bConns)
	if err != nil {
		return store.Connection{}, err
	}
	return t.conn(b, id)
}

func (t *tx) conn(b *bbolt.Bucket, id store.ID) (store.Connection, error) {
	v := t.get(b, t.idKey(id))
	if v == nil {
		return store.Connection{}, notFound("connection %s", id)
	}
	c, err := decodeConn(id, v)
	if err == nil {
		t.last.id, t.last.head = id, headOf(c)
	}
	return c, err
}

// storedHead returns the head of the stored connection id; ok is false when there is none.
func (t *tx) storedHead(conns *bbolt.Bucket, id store.ID) (h connHead, ok bool, err error) {
	if id == t.last.id {
		return t.last.head, true, nil
	}
	v := t.get(conns, t.idKey(id))
	if v == nil {
		return connHead{}, false, nil
	}
	if h, err = decodeConnHead(v); err != nil {
		return connHead{}, false, fmt.Errorf("connection %s: %w", id, err)
	}
	return h, true, nil
}

// PutConn inserts or updates c, keeping conn_by_record, conn_by_seq, the counts by state
// and the due entry in step with it.
func (t *tx) PutConn(c store.Connection) error {
	if err := store.CheckConn(c); err != nil {
		return err
	}
	conns, err := t.bucket(bConns)
	if err != nil {
		return err
	}
	old, exists, err := t.storedHead(conns, c.ID)
	if err != nil {
		return err
	}
	if c.UpdatedAt.IsZero() {
		c.UpdatedAt = time.Now().UTC()
	}
	switch {
	case exists:
		c.CreatedAt = old.CreatedAt
	case c.CreatedAt.IsZero():
		c.CreatedAt = c.UpdatedAt
	}

	if !exists || old.Record != c.Record {
		if err := t.moveEntry(bConnByRecord, exists, old.Record, c.Record, c.ID); err != nil {
			return err
		}
	}
	if !exists || old.Sequence != c.Sequence {
		if err := t.moveEntry(bConnBySeq, exists, old.Sequence, c.Sequence, c.ID); err != nil {
			return err
		}
	}
	if !exists || old.Sequence != c.Sequence || old.State != c.State {
		if exists {
			t.addCount(old.Sequence, old.State, -1)
		}
		t.addCount(c.Sequence, c.State, 1)
	}

	oldKey, newKey := timeKey(old.WakeAt), timeKey(c.WakeAt)
	if oldKey != newKey || old.Visit != c.Visit {
		due, err := t.bucket(bDue)
		if err != nil {
			return err
		}
		if oldKey != 0 && oldKey != newKey {
			if err := due.Delete(t.timeID(old.WakeAt, c.ID)); err != nil {
				return err
			}
		}
		if newKey != 0 {
			v := t.keep(binary.BigEndian.AppendUint32(append(t.spare(5), format1), c.Visit))
			if err := due.Put(t.timeID(c.WakeAt, c.ID), v); err != nil {
				return err
			}
		}
	}
	if err := conns.Put(t.idKey(c.ID), t.keep(appendConn(t.spare(connSize(&c)), c))); err != nil {
		t.last.id = store.ID{}
		return err
	}
	t.last.id, t.last.head = c.ID, headOf(c)
	return nil
}

// moveEntry puts the index entry to|id in def, first deleting from|id when hadOld.
func (t *tx) moveEntry(def bucketDef, hadOld bool, from, to, id store.ID) error {
	b, err := t.bucket(def)
	if err != nil {
		return err
	}
	if hadOld {
		if err := b.Delete(t.idPair(from, id)); err != nil {
			return err
		}
	}
	return b.Put(t.idPair(to, id), nil)
}

// addCount adds delta to the count of connections of seq in state, in memory until
// flushCounts.
func (t *tx) addCount(seq store.ID, state store.ConnState, delta int64) {
	if t.counts == nil {
		t.counts = make(map[countKey]int64)
	}
	t.counts[countKey{seq, state}] += delta
}

// flushCounts writes the count changes of the transaction to conn_counts.
func (t *tx) flushCounts() error {
	if len(t.counts) == 0 {
		return nil
	}
	b, err := t.bucket(bConnCounts)
	if err != nil {
		return err
	}
	for ck, delta := range t.counts {
		if delta == 0 {
			continue
		}
		k := append(append(t.key[:0], ck.seq[:]...), ck.state...)
		n, err := decodeCount(t.get(b, k))
		if err != nil {
			return err
		}
		n += delta
		if n <= 0 {
			err = b.Delete(k)
		} else {
			v := t.keep(binary.BigEndian.AppendUint64(append(t.spare(9), format1), uint64(n)))
			err = b.Put(k, v)
		}
		if err != nil {
			return err
		}
	}
	clear(t.counts)
	return nil
}

func decodeCount(v []byte) (int64, error) {
	if v == nil {
		return 0, nil
	}
	if err := checkFormat(v, "connection count"); err != nil {
		return 0, err
	}
	if len(v) != 9 {
		return 0, damaged("damaged connection count: %d bytes", len(v))
	}
	return int64(binary.BigEndian.Uint64(v[1:])), nil
}

// ConnsByRecord returns every connection of a record in ID order: oldest first.
func (t *tx) ConnsByRecord(record store.ID) ([]store.Connection, error) {
	conns := []store.Connection{}
	err := t.connsBy(bConnByRecord, record, func(c store.Connection) bool {
		conns = append(conns, c)
		return true
	})
	return conns, err
}

// ConnsBySequence calls fn for every connection of seq in ID order (oldest first) until fn
// returns false. In an Update, fn may write.
func (t *tx) ConnsBySequence(seq store.ID, fn func(store.Connection) bool) error {
	return t.connsBy(bConnBySeq, seq, fn)
}

func (t *tx) connsBy(def bucketDef, owner store.ID, fn func(store.Connection) bool) error {
	idx, err := t.bucket(def)
	if err != nil {
		return err
	}
	conns, err := t.bucket(bConns)
	if err != nil {
		return err
	}
	return walkIDs(idx, owner[:], def.name, func(id store.ID) (bool, error) {
		c, err := t.conn(conns, id)
		if err != nil {
			return false, damaged("damaged %s index: %w", def.name, err)
		}
		return fn(c), nil
	})
}

// CountConns counts a sequence's connections by state; states without any are left out.
func (t *tx) CountConns(seq store.ID) (map[store.ConnState]int, error) {
	if err := t.flushCounts(); err != nil {
		return nil, err
	}
	b, err := t.bucket(bConnCounts)
	if err != nil {
		return nil, err
	}
	counts := map[store.ConnState]int{}
	c := b.Cursor()
	for k, v := c.Seek(seq[:]); k != nil && bytes.HasPrefix(k, seq[:]); k, v = c.Next() {
		n, err := decodeCount(v)
		if err != nil {
			return nil, err
		}
		counts[store.ConnState(k[16:])] = int(n)
	}
	return counts, nil
}

// DueBefore returns up to limit due entries with At <= until, earliest first (then by
// connection ID).
func (t *tx) DueBefore(until time.Time, limit int) ([]store.Due, error) {
	b, err := t.bucket(bDue)
	if err != nil {
		return nil, err
	}
	end := timeKey(until)
	dues := []store.Due{}
	c := b.Cursor()
	for k, v := c.First(); k != nil && len(dues) < limit; k, v = c.Next() {
		if len(k) >= 8 && binary.BigEndian.Uint64(k) > end {
			break
		}
		d, err := decodeDue(k, v)
		if err != nil {
			return nil, err
		}
		dues = append(dues, d)
	}
	return dues, nil
}

// NextDue returns the earliest due entry.
func (t *tx) NextDue() (store.Due, bool, error) {
	b, err := t.bucket(bDue)
	if err != nil {
		return store.Due{}, false, err
	}
	k, v := b.Cursor().First()
	if k == nil {
		return store.Due{}, false, nil
	}
	d, err := decodeDue(k, v)
	return d, err == nil, err
}

func decodeDue(k, v []byte) (store.Due, error) {
	at, conn, err := splitTimeID(k, "due")
	if err != nil {
		return store.Due{}, err
	}
	if err := checkFormat(v, "due"); err != nil {
		return store.Due{}, err
	}
	if len(v) != 5 {
		return store.Due{}, damaged("damaged due entry: %d bytes", len(v))
	}
	return store.Due{At: at, Conn: conn, Visit: binary.BigEndian.Uint32(v[1:])}, nil
}

// History

// AppendHistory adds events to the end of conn's history, as one entry of history_log. The
// connection need not be stored yet (it may be put later in the same transaction).
func (t *tx) AppendHistory(conn store.ID, events ...store.Event) error {
	if conn.IsZero() {
		return errors.New("history of a connection without an ID")
	}
	if len(events) == 0 {
		return nil
	}
	log, err := t.bucket(bHistoryLog)
	if err != nil {
		return err
	}
	idx, err := t.bucket(bHistoryByConn)
	if err != nil {
		return err
	}
	v := append(append(t.spare(logHead+32*len(events)), format1), conn[:]...)
	if v, err = appendHistoryValue(v, events); err != nil {
		return fmt.Errorf("history of connection %s: %w", conn, err)
	}
	return t.putLog(log, idx, conn, t.keep(v))
}

// logHead is the length of the head of a history_log value: format byte, connection ID.
const logHead = 1 + 16

// appendLog adds the history value v of conn at the end of history_log.
func appendLog(log, idx *bbolt.Bucket, conn store.ID, v []byte) error {
	e := make([]byte, 0, logHead+len(v))
	e = append(append(append(e, format1), conn[:]...), v...)
	var t *tx // memory of its own for each value
	return t.putLog(log, idx, conn, e)
}

// putLog puts the history_log value e of conn under the log's next sequence, and adds that
// sequence to conn's list in history_by_conn.
func (t *tx) putLog(log, idx *bbolt.Bucket, conn store.ID, e []byte) error {
	seq, err := log.NextSequence()
	if err != nil {
		return err
	}
	old := t.get(idx, t.idKey(conn))
	last, err := lastLogSeq(old)
	if err != nil {
		return fmt.Errorf("history of connection %s: %w", conn, err)
	}
	if seq <= last {
		return fmt.Errorf("history of connection %s: log sequence %d after %d", conn, seq, last)
	}
	b := t.spare(max(len(old), 1) + binary.MaxVarintLen64)
	if len(old) == 0 {
		b = append(b, format1)
	} else {
		b = append(b, old...)
	}
	b = t.keep(binary.AppendUvarint(b, seq-last))
	if err := log.Put(binary.BigEndian.AppendUint64(t.keyRoom(), seq), e); err != nil {
		return err
	}
	return idx.Put(t.idKey(conn), b)
}

// logSeqs calls fn with each history_log sequence of a history_by_conn value, in order; a
// nil value has none.
func logSeqs(v []byte, fn func(uint64) error) error {
	if v == nil {
		return nil
	}
	if err := checkFormat(v, "history index"); err != nil {
		return err
	}
	var seq uint64
	for p := v[1:]; len(p) > 0; {
		d, n := binary.Uvarint(p)
		if n <= 0 || d == 0 {
			return damaged("damaged history index value")
		}
		seq += d
		p = p[n:]
		if err := fn(seq); err != nil {
			return err
		}
	}
	return nil
}

// lastLogSeq returns the last history_log sequence of a history_by_conn value, 0 for none.
func lastLogSeq(v []byte) (uint64, error) {
	var last uint64
	err := logSeqs(v, func(s uint64) error { last = s; return nil })
	return last, err
}

// History returns conn's history in append order; empty for an unknown connection.
func (t *tx) History(conn store.ID) ([]store.Event, error) {
	log, err := t.bucket(bHistoryLog)
	if err != nil {
		return nil, err
	}
	idx, err := t.bucket(bHistoryByConn)
	if err != nil {
		return nil, err
	}
	events := []store.Event{}
	var k [8]byte
	err = logSeqs(idx.Get(conn[:]), func(seq uint64) error {
		binary.BigEndian.PutUint64(k[:], seq)
		v := log.Get(k[:])
		switch {
		case v == nil:
			return damaged("damaged history index: history entry %d of connection %s is missing", seq, conn)
		case len(v) < logHead || v[0] != format1:
			if err := checkFormat(v, "history entry"); err != nil {
				return err
			}
			return damaged("damaged history entry: %d bytes", len(v))
		case store.ID(v[1:logHead]) != conn:
			return damaged("damaged history index: history entry %d belongs to connection %s, not %s", seq, store.ID(v[1:logHead]), conn)
		}
		var err error
		if events, err = appendEvents(events, v[logHead:]); err != nil {
			return fmt.Errorf("history of connection %s: %w", conn, err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return events, nil
}

// Tasks

func (t *tx) Task(id store.ID) (store.Task, error) {
	b, err := t.bucket(bTasks)
	if err != nil {
		return store.Task{}, err
	}
	return t.task(b, id)
}

func (t *tx) task(b *bbolt.Bucket, id store.ID) (store.Task, error) {
	v := t.get(b, t.idKey(id))
	if v == nil {
		return store.Task{}, notFound("task %s", id)
	}
	return decodeTask(id, v)
}

// PutTask inserts or updates tk. An open task is in task_open under its due time and in
// task_by_assignee once for each distinct assignee, each entry holding a copy of the task,
// rewritten whenever the task is; a task in any other state is in neither.
func (t *tx) PutTask(tk store.Task) error {
	if tk.ID.IsZero() {
		return errors.New("task has no ID")
	}
	for _, a := range tk.Assignees {
		if err := store.CheckName("assignee", a); err != nil {
			return fmt.Errorf("task %s: %w", tk.ID, err)
		}
	}
	tasks, err := t.bucket(bTasks)
	if err != nil {
		return err
	}
	var old taskHead
	exists := false
	if v := t.get(tasks, t.idKey(tk.ID)); v != nil {
		if old, err = decodeTaskHead(v); err != nil {
			return fmt.Errorf("task %s: %w", tk.ID, err)
		}
		exists = true
	}
	switch {
	case exists:
		tk.CreatedAt = old.CreatedAt
	case tk.CreatedAt.IsZero():
		tk.CreatedAt = time.Now().UTC()
	}

	// One value serves the task and its index entries: bbolt only reads it, at commit.
	v := t.keep(appendTask(t.spare(256), tk))
	wasOpen := exists && store.TaskState(old.State) == store.TaskOpen
	isOpen := tk.State == store.TaskOpen
	// The entries stay under the same keys when the task stays open with the same due
	// time and assignees: putting them again replaces their copies.
	moved := wasOpen && !(isOpen && timeKey(old.DueAt) == timeKey(tk.DueAt) && sameSet(old.Assignees, tk.Assignees))
	if wasOpen || isOpen {
		open, err := t.bucket(bTaskOpen)
		if err != nil {
			return err
		}
		byAssignee, err := t.bucket(bTaskByAssignee)
		if err != nil {
			return err
		}
		if moved {
			if err := open.Delete(t.timeID(old.DueAt, tk.ID)); err != nil {
				return err
			}
			for _, a := range old.Assignees {
				if err := byAssignee.Delete(assigneeKey(a, old.DueAt, tk.ID)); err != nil {
					return err
				}
			}
		}
		if isOpen {
			if err := putTaskEntries(open, byAssignee, tk, v); err != nil {
				return err
			}
		}
	}
	return tasks.Put(t.idKey(tk.ID), v)
}

// putTaskEntries puts the entries of the open task tk, stored as v, in task_open and
// task_by_assignee.
func putTaskEntries(open, byAssignee *bbolt.Bucket, tk store.Task, v []byte) error {
	if err := open.Put(timeID(tk.DueAt, tk.ID), v); err != nil {
		return err
	}
	for _, a := range tk.Assignees {
		if err := byAssignee.Put(assigneeKey(a, tk.DueAt, tk.ID), v); err != nil {
			return err
		}
	}
	return nil
}

// sameSet reports whether a and b hold the same strings, ignoring order and repeats.
func sameSet(a, b []string) bool {
	has := func(xs []string, x string) bool {
		for _, y := range xs {
			if y == x {
				return true
			}
		}
		return false
	}
	for _, x := range a {
		if !has(b, x) {
			return false
		}
	}
	for _, x := range b {
		if !has(a, x) {
			return false
		}
	}
	return true
}

// TasksFor calls fn for each open task assigned to username, earliest due first (then by
// task ID), until fn returns false. In an Update, fn may write.
func (t *tx) TasksFor(username string, fn func(store.Task) bool) error {
	if store.CheckName("username", username) != nil {
		return nil // no such user can be assigned anything
	}
	return t.tasksBy(bTaskByAssignee, joinKey(username, ""), fn)
}

// OpenTasks calls fn for every open task, earliest due first (then by task ID), until fn
// returns false. In an Update, fn may write.
func (t *tx) OpenTasks(fn func(store.Task) bool) error {
	return t.tasksBy(bTaskOpen, nil, fn)
}

// tasksBy walks the index def, whose entries hold their tasks, so the walk reads nothing
// else. Like walkIDs it reads a chunk of entries at a time, decoded, and holds no cursor
// while fn runs, so fn may write.
func (t *tx) tasksBy(def bucketDef, prefix []byte, fn func(store.Task) bool) error {
	idx, err := t.bucket(def)
	if err != nil {
		return err
	}
	from, after := prefix, false
	chunk := make([]store.Task, 0, walkChunk)
	for {
		chunk = chunk[:0]
		var last []byte
		c := idx.Cursor()
		k, v := c.Seek(from)
		if after && k != nil && bytes.Equal(k, from) {
			k, v = c.Next()
		}
		for ; k != nil && bytes.HasPrefix(k, prefix) && len(chunk) < walkChunk; k, v = c.Next() {
			if len(k) < len(prefix)+len(store.ID{}) {
				return damaged("damaged %s index: a key of %d bytes", def.name, len(k))
			}
			id := store.ID(k[len(k)-len(store.ID{}):])
			if len(v) == 0 {
				return damaged("damaged %s index: the entry of task %s holds no task", def.name, id)
			}
			tk, err := decodeTask(id, v)
			if err != nil {
				return damaged("damaged %s index: task %s: %w", def.name, id, err)
			}
			chunk, last = append(chunk, tk), k
		}
		from, after = bytes.Clone(last), true
		for _, tk := range chunk {
			if !fn(tk) {
				return nil
			}
		}
		if len(chunk) < walkChunk {
			return nil
		}
	}
}

// Outbox

func (t *tx) Message(id store.ID) (store.Message, error) {
	b, err := t.bucket(bOutbox)
	if err != nil {
		return store.Message{}, err
	}
	return t.message(b, id)
}

func (t *tx) message(b *bbolt.Bucket, id store.ID) (store.Message, error) {
	v := t.get(b, t.idKey(id))
	if v == nil {
		return store.Message{}, notFound("message %s", id)
	}
	m, ref, parts, err := decodeMessage(id, v)
	if err != nil {
		return store.Message{}, err
	}
	if !ref.IsZero() {
		body, err := t.body(ref.String())
		if err != nil {
			return store.Message{}, fmt.Errorf("message %s: %w", id, err)
		}
		if err := setBody(&m, body, parts); err != nil {
			return store.Message{}, fmt.Errorf("message %s: %w", id, err)
		}
	}
	return m, nil
}

// PutMessage inserts or updates m, keeping outbox_order and outbox_due (queued messages
// only) in step with it. A body longer than maxInlineBody is kept in bodies.
func (t *tx) PutMessage(m store.Message) error {
	if m.ID.IsZero() {
		return errors.New("message has no ID")
	}
	outbox, err := t.bucket(bOutbox)
	if err != nil {
		return err
	}
	var old msgHead
	var oldMsg store.Message
	exists := false
	if v := t.get(outbox, t.idKey(m.ID)); v != nil {
		if old, err = decodeMsgHead(v); err != nil {
			return fmt.Errorf("message %s: %w", m.ID, err)
		}
		if oldMsg, _, _, err = decodeMessage(m.ID, v); err != nil {
			return fmt.Errorf("message %s: %w", m.ID, err)
		}
		exists = true
	}
	if err := t.reindexMessage(oldMsg, exists, m); err != nil {
		return fmt.Errorf("message %s: %w", m.ID, err)
	}
	switch {
	case exists:
		m.CreatedAt = old.CreatedAt
	case m.CreatedAt.IsZero():
		m.CreatedAt = time.Now().UTC()
	}

	ref, err := t.putMessageBody(old.BodyRef, storedBody(m))
	if err != nil {
		return fmt.Errorf("message %s: %w", m.ID, err)
	}
	if !exists {
		order, err := t.bucket(bOutboxOrder)
		if err != nil {
			return err
		}
		if err := order.Put(t.timeID(m.CreatedAt, m.ID), nil); err != nil {
			return err
		}
	}
	wasQueued := exists && store.MsgState(old.State) == store.MsgQueued
	isQueued := m.State == store.MsgQueued
	oldKey, newKey := timeKey(old.NextTry), timeKey(m.NextTry)
	if wasQueued != isQueued || (isQueued && oldKey != newKey) {
		due, err := t.bucket(bOutboxDue)
		if err != nil {
			return err
		}
		if wasQueued {
			if err := due.Delete(t.timeID(old.NextTry, m.ID)); err != nil {
				return err
			}
		}
		if isQueued {
			if err := due.Put(t.timeID(m.NextTry, m.ID), nil); err != nil {
				return err
			}
		}
	}
	return outbox.Put(t.idKey(m.ID), t.keep(appendMessage(t.spare(512), m, ref)))
}

// putMessageBody keeps a message body in bodies when it is too long to be inline, reusing
// the message's body ID old, and returns its ID; it returns the zero ID, removing old, for a
// body kept inline. A body that did not change is not written again.
func (t *tx) putMessageBody(old store.ID, body string) (store.ID, error) {
	if len(body) <= maxInlineBody {
		if !old.IsZero() {
			if _, err := t.putBody(old.String(), nil); err != nil {
				return store.ID{}, err
			}
		}
		return store.ID{}, nil
	}
	if !old.IsZero() {
		b, err := t.bucket(bBodies)
		if err != nil {
			return store.ID{}, err
		}
		if v := b.Get(old[:]); len(v) > 0 && string(v[1:]) == body {
			return old, nil
		}
		_, err = t.putBody(old.String(), []byte(body))
		return old, err
	}
	ref, err := t.putBody("", []byte(body))
	if err != nil {
		return store.ID{}, err
	}
	return store.ParseID(ref)
}

// QueuedBefore returns up to limit queued messages with NextTry <= until, earliest first
// (then by message ID).
func (t *tx) QueuedBefore(until time.Time, limit int) ([]store.Message, error) {
	due, err := t.bucket(bOutboxDue)
	if err != nil {
		return nil, err
	}
	outbox, err := t.bucket(bOutbox)
	if err != nil {
		return nil, err
	}
	end := timeKey(until)
	msgs := []store.Message{}
	c := due.Cursor()
	for k, _ := c.First(); k != nil && len(msgs) < limit; k, _ = c.Next() {
		_, id, err := splitTimeID(k, "outbox_due")
		if err != nil {
			return nil, err
		}
		if binary.BigEndian.Uint64(k) > end {
			break
		}
		m, err := t.message(outbox, id)
		if err != nil {
			return nil, damaged("damaged outbox_due index: %w", err)
		}
		msgs = append(msgs, m)
	}
	return msgs, nil
}

// NextQueued returns the earliest NextTry of the queued messages.
func (t *tx) NextQueued() (time.Time, bool, error) {
	due, err := t.bucket(bOutboxDue)
	if err != nil {
		return time.Time{}, false, err
	}
	k, _ := due.Cursor().First()
	if k == nil {
		return time.Time{}, false, nil
	}
	at, _, err := splitTimeID(k, "outbox_due")
	return at, err == nil, err
}

// Messages calls fn for every outbox message, oldest (by CreatedAt, then ID) first, until
// fn returns false. In an Update, fn may write.
func (t *tx) Messages(fn func(store.Message) bool) error {
	order, err := t.bucket(bOutboxOrder)
	if err != nil {
		return err
	}
	outbox, err := t.bucket(bOutbox)
	if err != nil {
		return err
	}
	return walkIDs(order, nil, bOutboxOrder.name, func(id store.ID) (bool, error) {
		m, err := t.message(outbox, id)
		if err != nil {
			return false, damaged("damaged outbox_order index: %w", err)
		}
		return fn(m), nil
	})
}

// Segments

func (t *tx) Segment(name string) (store.Segment, error) {
	b, err := t.bucket(bSegments)
	if err != nil {
		return store.Segment{}, err
	}
	var v []byte
	if name != "" {
		v = b.Get([]byte(name))
	}
	if v == nil {
		return store.Segment{}, notFound("segment %q", name)
	}
	var sv segmentV1
	if err := decodeJSON(v, &sv, "segment"); err != nil {
		return store.Segment{}, err
	}
	return sv.segment(name), nil
}

// Segments returns every segment ordered by name.
func (t *tx) Segments() ([]store.Segment, error) {
	b, err := t.bucket(bSegments)
	if err != nil {
		return nil, err
	}
	segs := []store.Segment{}
	err = b.ForEach(func(k, v []byte) error {
		var sv segmentV1
		if err := decodeJSON(v, &sv, "segment"); err != nil {
			return err
		}
		segs = append(segs, sv.segment(string(k)))
		return nil
	})
	return segs, err
}

func (t *tx) PutSegment(s store.Segment) error {
	if err := store.CheckName("segment name", s.Name); err != nil {
		return err
	}
	b, err := t.bucket(bSegments)
	if err != nil {
		return err
	}
	v, err := encodeJSON(toSegmentV1(s))
	if err != nil {
		return fmt.Errorf("segment %q: %w", s.Name, err)
	}
	return b.Put([]byte(s.Name), v)
}

func (t *tx) DeleteSegment(name string) error {
	b, err := t.bucket(bSegments)
	if err != nil {
		return err
	}
	if name == "" || b.Get([]byte(name)) == nil {
		return notFound("segment %q", name)
	}
	return b.Delete([]byte(name))
}

// Claims: one process has the database, so claiming is finding.

// ClaimDue is DueBefore: no other process can hold an entry.
func (t *tx) ClaimDue(until time.Time, limit int) ([]store.Due, error) {
	return t.DueBefore(until, limit)
}

// ClaimQueued is QueuedBefore: no other process can hold a lease.
func (t *tx) ClaimQueued(until time.Time, limit int, _ time.Duration) ([]store.Message, error) {
	return t.QueuedBefore(until, limit)
}

// Lead reports that node leads: it is the only process on the database.
func (t *tx) Lead(string, string, time.Duration) (bool, error) { return true, nil }

// Resign does nothing: leadership ends with the process.
func (t *tx) Resign(string, string) error { return nil }
