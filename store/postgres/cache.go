package postgres

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pacer-sales/pacer/store"
)

// What an Update has locked it may keep: no other transaction can change those rows until
// it ends. The runtime's transitions read the same rows over and over (a timer's
// connection, its record, the suppressions of the record's address), so an Update keeps
// the rows it locked, as its own writes leave them, and serves those reads without a round
// trip. ClaimDue claims a batch of due connections ahead (with their records and
// suppressions) in one query and hands them out in due order.

// locked is what an Update holds locked and has read, as its own writes leave it.
type locked struct {
	conns   map[store.ID]store.Connection
	records map[store.ID]store.Record
	// refs finds the key of a kept record that is not removed by "entity/id".
	refs map[string]store.ID
	// supps holds the suppressions of addresses (as store.CheckSuppression keys them).
	supps map[string][]store.Suppression
	// byRecord holds the connections of prefetched records (PrefetchRecords), oldest first,
	// as this transaction leaves them; they are not locked.
	byRecord map[store.ID][]store.Connection
	// due is the claimed batch (nil before the first ClaimDue).
	due *dueBatch
}

// dueBatch is the due index as this transaction sees it, for the connections it claimed:
// sorted by (At, Conn). Up to bound (inclusive) it is the whole claimable index as of the
// claim, this transaction's own changes included; past bound it knows nothing, unless
// complete (the claim found fewer than it asked for).
type dueBatch struct {
	until    time.Time
	entries  []store.Due
	bound    store.Due
	complete bool
}

func dueCompare(a, b store.Due) int {
	if c := a.At.Compare(b.At); c != 0 {
		return c
	}
	return bytes.Compare(a.Conn[:], b.Conn[:])
}

// covers reports whether d is inside what the batch knows of.
func (b *dueBatch) covers(d store.Due) bool {
	if d.At.After(b.until) {
		return false
	}
	return b.complete || dueCompare(d, b.bound) <= 0
}

// move follows a connection as this transaction leaves it: its old entry leaves the batch,
// its new one joins when the batch covers it.
func (b *dueBatch) move(c store.Connection) {
	if i := slices.IndexFunc(b.entries, func(d store.Due) bool { return d.Conn == c.ID }); i >= 0 {
		b.entries = slices.Delete(b.entries, i, i+1)
	}
	if c.WakeAt.IsZero() {
		return
	}
	d := store.Due{At: c.WakeAt, Conn: c.ID, Visit: c.Visit}
	if !b.covers(d) {
		return
	}
	i, _ := slices.BinarySearchFunc(b.entries, d, dueCompare)
	b.entries = slices.Insert(b.entries, i, d)
}

// take returns up to limit entries due by until when the batch knows them all, else nil
// and false.
func (b *dueBatch) take(until time.Time, limit int) ([]store.Due, bool) {
	if !until.Equal(b.until) {
		return nil, false
	}
	n := min(limit, len(b.entries))
	if n < limit && !b.complete {
		return nil, false
	}
	return slices.Clone(b.entries[:n]), true
}

func refKey(entity, id string) string { return entity + "/" + id }

// suppressionKey is an address as suppressions are keyed.
func suppressionKey(addr string) string { return strings.ToLower(strings.TrimSpace(addr)) }

func (l *locked) init() {
	if l.conns == nil {
		l.conns = map[store.ID]store.Connection{}
		l.records = map[store.ID]store.Record{}
		l.refs = map[string]store.ID{}
		l.supps = map[string][]store.Suppression{}
		l.byRecord = map[store.ID][]store.Connection{}
	}
}

// keepConn keeps a connection this transaction has read locked.
func (l *locked) keepConn(c store.Connection) {
	l.init()
	l.conns[c.ID] = copyConn(c)
	if l.due != nil {
		l.due.move(c)
	}
}

// putConn follows a connection this transaction stores (c is the caller's no more): a kept
// one changes, and so does the batch of due entries. One not kept stays unknown (it may
// exist with another CreatedAt).
func (l *locked) putConn(c store.Connection) {
	if old, ok := l.conns[c.ID]; ok {
		c.CreatedAt = old.CreatedAt
		l.conns[c.ID] = c
		if old.Record != c.Record {
			l.byRecord[old.Record] = slices.DeleteFunc(l.byRecord[old.Record], func(x store.Connection) bool { return x.ID == c.ID })
		}
	}
	if list, ok := l.byRecord[c.Record]; ok {
		i, found := slices.BinarySearchFunc(list, c.ID, func(x store.Connection, id store.ID) int { return bytes.Compare(x.ID[:], id[:]) })
		if found {
			c.CreatedAt = list[i].CreatedAt
			list[i] = c
		} else {
			list = slices.Insert(list, i, c)
		}
		l.byRecord[c.Record] = list
	}
	if l.due != nil {
		l.due.move(c)
	}
}

// keepRecord keeps a record this transaction has locked; removed says whether it is.
func (l *locked) keepRecord(r store.Record, removed bool) {
	l.init()
	if old, ok := l.records[r.Key]; ok {
		if k, ok := l.refs[old.Ref()]; ok && k == r.Key {
			delete(l.refs, old.Ref())
		}
	}
	l.records[r.Key] = copyRecord(r)
	if !removed {
		l.refs[refKey(r.Entity, r.ID)] = r.Key
	}
}

// conn returns a copy of a kept connection.
func (l *locked) conn(id store.ID) (store.Connection, bool) {
	c, ok := l.conns[id]
	if !ok {
		return c, false
	}
	return copyConn(c), true
}

// record returns a copy of a kept record.
func (l *locked) record(key store.ID) (store.Record, bool) {
	r, ok := l.records[key]
	if !ok {
		return r, false
	}
	return copyRecord(r), true
}

// copyRecord copies r so that the caller's changes do not reach the kept one.
func copyRecord(r store.Record) store.Record {
	r.Fields = maps.Clone(r.Fields)
	return r
}

// copyConn copies c so that the caller's changes do not reach the kept one.
func copyConn(c store.Connection) store.Connection {
	c.Outcomes = maps.Clone(c.Outcomes)
	if c.Sent != nil {
		sent := make(map[string]store.Sent, len(c.Sent))
		for k, s := range c.Sent {
			s.Events = maps.Clone(s.Events)
			sent[k] = s
		}
		c.Sent = sent
	}
	c.Skipped = slices.Clone(c.Skipped)
	return c
}

// claimSQL claims due connections (SKIP LOCKED), locks their records, and returns each with
// its record (NULL columns when there is none) and the suppressions of the record's address.
const claimSQL = `WITH c AS MATERIALIZED (
		SELECT ` + connCols + ` FROM conns WHERE wake_at IS NOT NULL AND wake_at <= $1
		ORDER BY wake_at, id LIMIT $2 FOR UPDATE SKIP LOCKED),
	r AS MATERIALIZED (
		SELECT ` + recordCols + `, removed FROM records WHERE key IN (SELECT record FROM c) FOR UPDATE)
	SELECT c.*, r.key, coalesce(r.entity, ''), coalesce(r.id, ''), coalesce(r.name, ''), coalesce(r.owner, ''),
		coalesce(r.stage, ''), coalesce(r.access_team, ''), coalesce(r.email, ''), coalesce(r.phone, ''), r.fields,
		r.created_at, r.modified_at, coalesce(r.removed, false), ` + suppressionsOf + `
	FROM c LEFT JOIN r ON r.key = c.record ORDER BY c.wake_at, c.id`

// claimBatch claims up to max(limit, t.ahead) due connections in one query and keeps
// them, their records and the suppressions of their addresses.
func (t *tx) claimBatch(until time.Time, limit int) error {
	ask := max(limit, t.ahead)
	b := &dueBatch{until: until}
	var got []store.Due
	err := t.query(claimSQL, []any{until.UnixNano(), ask}, func(r pgx.Rows) error {
		c, rec, hasRec, removed, addrKey, suppDoc, err := scanClaim(r)
		if err != nil {
			return err
		}
		t.keep.init()
		t.keep.conns[c.ID] = c
		got = append(got, store.Due{At: c.WakeAt, Conn: c.ID, Visit: c.Visit})
		if hasRec {
			t.keep.keepRecord(rec, removed)
			return t.keep.keepSuppressions(rec, addrKey, suppDoc)
		}
		return nil
	})
	if err != nil {
		return err
	}
	b.entries = got
	b.complete = len(got) < ask
	if len(got) > 0 {
		b.bound = got[len(got)-1]
	}
	t.keep.due = b
	return nil
}

func scanClaim(r pgx.Rows) (c store.Connection, rec store.Record, hasRec, removed bool, addrKey *string, suppDoc []byte, err error) {
	var outcomes, sent, pause, fields []byte
	var recKey []byte
	err = r.Scan(idp(&c.ID), idp(&c.Record), idp(&c.Sequence), &c.Version, &c.State, &c.Reason, &c.Source, &c.Step,
		&c.Visit, tm(&c.EnteredAt), tm(&c.WakeAt), idp(&c.Task), &outcomes, &sent, &c.Skipped, tm(&c.CreatedAt), tm(&c.UpdatedAt), &pause,
		&recKey, &rec.Entity, &rec.ID, &rec.Name, &rec.Owner, &rec.Stage, &rec.AccessTeam, &rec.Email, &rec.Phone, &fields,
		tm(&rec.CreatedAt), tm(&rec.ModifiedAt), &removed, &addrKey, &suppDoc)
	if err != nil {
		return
	}
	if err = decodeConn(&c, outcomes, sent, pause); err != nil {
		return
	}
	if recKey == nil {
		return
	}
	if err = idp(&rec.Key).Scan(recKey); err != nil {
		return
	}
	hasRec = true
	err = decodeFields(&rec, fields)
	return
}

// suppressionsOf is the SQL of the suppressions of a record's address (r.email), as a JSON
// list of [kind, at, reason, message_id], and the address as they are keyed.
const suppressionsOf = `lower(btrim(r.email)), (SELECT json_agg(json_build_array(s.kind, s.at, s.reason, s.message_id) ORDER BY s.kind)
	FROM suppressions s WHERE s.address = lower(btrim(r.email)))`

// keepSuppressions keeps the suppressions of rec's address read with it (suppressionsOf),
// when the database keyed the address as the store does.
func (l *locked) keepSuppressions(rec store.Record, addrKey *string, doc []byte) error {
	if addrKey == nil || *addrKey != suppressionKey(rec.Email) {
		return nil
	}
	supps, err := parseSuppressions(*addrKey, doc)
	if err != nil {
		return err
	}
	l.init()
	l.supps[*addrKey] = supps
	return nil
}

// parseSuppressions reads suppressionsOf's list.
func parseSuppressions(addr string, doc []byte) ([]store.Suppression, error) {
	supps := []store.Suppression{}
	if len(doc) == 0 {
		return supps, nil
	}
	var rows [][]json.RawMessage
	if err := json.Unmarshal(doc, &rows); err != nil {
		return nil, fmt.Errorf("damaged suppressions of %q: %w", addr, err)
	}
	for _, row := range rows {
		s := store.Suppression{Address: addr}
		var at *int64
		if len(row) != 4 {
			return nil, fmt.Errorf("damaged suppressions of %q", addr)
		}
		for _, err := range []error{json.Unmarshal(row[0], &s.Kind), json.Unmarshal(row[1], &at),
			json.Unmarshal(row[2], &s.Reason), json.Unmarshal(row[3], &s.MessageID)} {
			if err != nil {
				return nil, fmt.Errorf("damaged suppressions of %q: %w", addr, err)
			}
		}
		if at != nil {
			s.At = time.Unix(0, *at).UTC()
		}
		supps = append(supps, s)
	}
	return supps, nil
}

var _ store.Prefetcher = (*tx)(nil)

// PrefetchRecords reads, in one round trip, the live records of entity with the given ids
// (locked and kept, with the suppressions of their addresses) and their connections.
func (t *tx) PrefetchRecords(entity string, ids []string) error {
	if !t.writable || len(ids) == 0 {
		return nil
	}
	b, what, err := t.take(true)
	if err != nil {
		return err
	}
	if b == nil {
		b = &pgx.Batch{}
	}
	const live = "r.entity = $1 AND r.id = ANY($2::text[]) AND NOT r.removed"
	b.Queue("SELECT "+recordCols+", removed, "+suppressionsOf+" FROM records r WHERE "+live+" ORDER BY r.key FOR UPDATE OF r", entity, ids)
	b.Queue("SELECT "+connCols+" FROM conns WHERE record IN (SELECT r.key FROM records r WHERE "+live+") ORDER BY record, id", entity, ids)
	br := t.pg.SendBatch(t.ctx, b)
	err = t.prefetched(br, what)
	if cerr := br.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("postgres: prefetch records: %w", cerr)
	}
	return err
}

func (t *tx) prefetched(br pgx.BatchResults, what []string) error {
	if err := execAll(br, what); err != nil {
		return err
	}
	t.keep.init()
	rows, err := br.Query()
	if err != nil {
		return fmt.Errorf("postgres: prefetch records: %w", err)
	}
	for rows.Next() {
		var removed bool
		var addrKey *string
		var doc []byte
		rec, err := scanRecordWith(rows, &removed, &addrKey, &doc)
		if err == nil {
			t.keep.keepRecord(rec, removed)
			t.keep.byRecord[rec.Key] = []store.Connection{}
			err = t.keep.keepSuppressions(rec, addrKey, doc)
		}
		if err != nil {
			rows.Close()
			return fmt.Errorf("postgres: prefetch records: %w", err)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("postgres: prefetch records: %w", err)
	}
	if rows, err = br.Query(); err != nil {
		return fmt.Errorf("postgres: prefetch connections: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		c, err := scanConn(rows)
		if err != nil {
			return fmt.Errorf("postgres: prefetch connections: %w", err)
		}
		t.keep.byRecord[c.Record] = append(t.keep.byRecord[c.Record], c)
	}
	return rows.Err()
}
