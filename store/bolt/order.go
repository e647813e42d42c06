package bolt

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"

	"go.etcd.io/bbolt"

	"github.com/pacer-sales/pacer/store"
)

// The kinds of records_order entries, the byte after the entity.
const (
	orderName     = 'n'
	orderModified = 'm'
	orderOwner    = 'o'
)

// orderKinds are the kinds of entry each record has in records_order, in byte order: the
// migration fills the bucket one kind after the other, so each kind's entries go after
// the ones before (a kind put before existing ones would move them all at each put, in a
// page that bbolt splits only at the commit).
var orderKinds = []byte{orderModified, orderName, orderOwner}

// orderKind is the records_order kind of a sort (0 for by id, which is records_by_ref).
func orderKind(s store.RecordSort) byte {
	switch s {
	case store.SortByName:
		return orderName
	case store.SortByModified:
		return orderModified
	case store.SortByOwner:
		return orderOwner
	}
	return 0
}

// orderKey is the records_order key of r for kind: entity 0x00 kind, then the sort value
// (the folded name 0x00, timeKey(ModifiedAt), or the owner 0x00), then the id.
func orderKey(r store.Record, kind byte) []byte {
	k := make([]byte, 0, len(r.Entity)+len(r.Name)+len(r.ID)+12)
	k = append(k, r.Entity...)
	k = append(k, 0, kind)
	switch kind {
	case orderName:
		k = append(k, store.FoldName(r.Name)...)
		k = append(k, 0)
	case orderModified:
		k = binary.BigEndian.AppendUint64(k, timeKey(r.ModifiedAt))
	case orderOwner:
		k = append(k, r.Owner...)
		k = append(k, 0)
	}
	return append(k, r.ID...)
}

// putOrder indexes the record r in records_order, replacing the entries of old (the record
// as it was, nil for a new one) that changed. The entries are written at the commit (see
// flushOrder).
func (t *tx) putOrder(old *store.Record, r store.Record) {
	v := encodeID(r.Key)
	for _, kind := range orderKinds {
		k := orderKey(r, kind)
		if old != nil {
			ok := orderKey(*old, kind)
			if bytes.Equal(ok, k) {
				continue
			}
			t.setOrder(ok, nil)
		}
		t.setOrder(k, v)
	}
}

// deleteOrder removes r's records_order entries (at the commit).
func (t *tx) deleteOrder(r store.Record) {
	for _, kind := range orderKinds {
		t.setOrder(orderKey(r, kind), nil)
	}
}

// setOrder notes the records_order entry k as v (nil: deleted) until flushOrder.
func (t *tx) setOrder(k, v []byte) {
	if t.order == nil {
		t.order = map[string][]byte{}
	}
	t.order[string(k)] = v
}

// flushOrder writes the records_order changes of the transaction in key order. Names come
// in any order, and bbolt splits pages only at the commit: puts in random order into a
// bucket that grows by many entries in one transaction (an import) would each move the
// entries after them in an ever larger page.
func (t *tx) flushOrder() error {
	if len(t.order) == 0 {
		return nil
	}
	b, err := t.bucket(bRecordsOrder)
	if err != nil {
		return err
	}
	keys := make([]string, 0, len(t.order))
	for k := range t.order {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if v := t.order[k]; v == nil {
			err = b.Delete([]byte(k))
		} else {
			err = b.Put([]byte(k), v)
		}
		if err != nil {
			return err
		}
	}
	t.order = nil
	return nil
}

// RecordsSorted implements store.Tx: a seek in records_order (records_by_ref for the id
// order) to the entry after after, then a walk forwards or backwards.
func (t *tx) RecordsSorted(entity string, o store.RecordOrder, after *store.Record, fn func(store.Record) bool) error {
	if entity == "" {
		return errors.New("records sorted: no entity")
	}
	if err := store.CheckOrder(o); err != nil {
		return err
	}
	if err := t.flushOrder(); err != nil {
		return err
	}
	kind := orderKind(o.By)
	def, prefix := bRecordsOrder, append(joinKey(entity, ""), kind)
	if kind == 0 {
		def, prefix = bRecordsByRef, joinKey(entity, "")
	}
	idx, err := t.bucket(def)
	if err != nil {
		return err
	}
	var from []byte
	if after != nil {
		a := *after
		a.Entity = entity
		from = joinKey(entity, a.ID)
		if kind != 0 {
			from = orderKey(a, kind)
		}
	}
	c := idx.Cursor()
	var k, v []byte
	switch {
	case !o.Desc && from == nil:
		k, v = c.Seek(prefix)
	case !o.Desc:
		if k, v = c.Seek(from); k != nil && bytes.Equal(k, from) {
			k, v = c.Next()
		}
	default:
		if from == nil {
			// The first key past the prefix: prefix with its last byte raised.
			from = slices.Clone(prefix)
			from[len(from)-1]++
		}
		if k, _ = c.Seek(from); k == nil {
			k, v = c.Last()
		} else {
			k, v = c.Prev()
		}
	}
	for ; k != nil && bytes.HasPrefix(k, prefix); k, v = step(c, o.Desc) {
		key, err := decodeID(v, def.name)
		if err != nil {
			return err
		}
		r, err := t.RecordByKey(key)
		if err != nil {
			return damaged("damaged %s index: %w", def.name, err)
		}
		if !fn(r) {
			return nil
		}
	}
	return nil
}

// step moves c one entry on, backwards when desc.
func step(c *bbolt.Cursor, desc bool) ([]byte, []byte) {
	if desc {
		return c.Prev()
	}
	return c.Next()
}

// recordOrder creates records_order and fills it from the records in use, one kind of
// entry at a time (so a million records hold one million entries in memory, not three),
// each put in key order (see flushOrder).
func recordOrder(btx *bbolt.Tx) error {
	if err := createBuckets(btx, []bucketDef{bRecordsOrder}); err != nil {
		return err
	}
	refs, err := bucket(btx, bRecordsByRef)
	if err != nil {
		return err
	}
	recs, err := bucket(btx, bRecords)
	if err != nil {
		return err
	}
	b, err := bucket(btx, bRecordsOrder)
	if err != nil {
		return err
	}
	type entry struct {
		k   []byte
		key store.ID
	}
	for _, kind := range orderKinds {
		var entries []entry
		err = refs.ForEach(func(_, v []byte) error {
			key, err := decodeID(v, "records_by_ref")
			if err != nil {
				return err
			}
			rv := recs.Get(key[:])
			if rv == nil {
				return damaged("damaged records index: record key %s is missing", key)
			}
			r, err := decodeRecord(key, rv)
			if err != nil {
				return fmt.Errorf("record %s: %w", key, err)
			}
			entries = append(entries, entry{orderKey(r, kind), key})
			return nil
		})
		if err != nil {
			return err
		}
		slices.SortFunc(entries, func(x, y entry) int { return bytes.Compare(x.k, y.k) })
		for _, e := range entries {
			if err := b.Put(e.k, encodeID(e.key)); err != nil {
				return err
			}
		}
	}
	return nil
}
