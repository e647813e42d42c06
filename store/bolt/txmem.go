package bolt

import (
	"bytes"

	"go.etcd.io/bbolt"

	"github.com/pacer-sales/pacer/store"
)

// What a transaction keeps to write and read with fewer allocations: the memory of the
// values it puts, the buckets it opened and a cursor per bucket for its point reads.

// arenaChunk is the size of the chunks the values a transaction puts are carved from.
const arenaChunk = 64 << 10

// spare returns a slice of length 0 with room for at least n bytes, for a value to be
// appended to; keep then claims what was appended. bbolt holds the values given to Put
// until the transaction ends, so the memory of a claimed value is never handed out again
// within the transaction: a chunk is only appended to, and a full one is left to the
// garbage collector once the transaction is gone.
func (t *tx) spare(n int) []byte {
	if t == nil {
		return make([]byte, 0, n)
	}
	if cap(t.arena)-len(t.arena) < n {
		if n > arenaChunk/4 {
			return make([]byte, 0, n) // a large value gets its own memory
		}
		t.arena = make([]byte, 0, arenaChunk)
	}
	return t.arena[len(t.arena):len(t.arena)]
}

// keep claims v, a value appended to a slice from spare, and returns it with its capacity
// cut to its length. A value that outgrew its spare room was moved by append to memory of
// its own, and the arena is left as it was.
func (t *tx) keep(v []byte) []byte {
	if t == nil {
		return v
	}
	free := t.arena[len(t.arena):cap(t.arena)]
	if len(v) > 0 && len(v) <= len(free) && &v[0] == &free[0] {
		t.arena = t.arena[:len(t.arena)+len(v)]
	}
	return v[:len(v):len(v)]
}

// openBucket is a bucket the transaction opened, with the cursor of its point reads.
type openBucket struct {
	name string
	b    *bbolt.Bucket
	c    *bbolt.Cursor
}

// bucket returns the bucket def of the transaction (see the function bucket), opening it
// once per transaction.
func (t *tx) bucket(def bucketDef) (*bbolt.Bucket, error) {
	for i := range t.open {
		if t.open[i].name == def.name {
			return t.open[i].b, nil
		}
	}
	b, err := bucket(t.btx, def)
	if err != nil {
		return nil, err
	}
	t.open = append(t.open, openBucket{name: def.name, b: b})
	return b, nil
}

// get returns the value of key in b, as b.Get does, through a cursor the transaction keeps
// for b: a cursor seeks from the root again at every Seek, so it serves any number of
// reads, between writes too, and its path is allocated once.
func (t *tx) get(b *bbolt.Bucket, key []byte) []byte {
	if t == nil {
		return b.Get(key)
	}
	var c *bbolt.Cursor
	for i := range t.open {
		if t.open[i].b == b {
			if t.open[i].c == nil {
				t.open[i].c = b.Cursor()
			}
			c = t.open[i].c
			break
		}
	}
	if c == nil {
		return b.Get(key)
	}
	k, v := c.Seek(key)
	if !bytes.Equal(k, key) {
		return nil
	}
	return v
}

// idKey returns id as a key in the transaction's key room: good until the next key is made.
// (A key sliced from an ID variable would move the variable to the heap, as bbolt's
// methods keep their keys out of the compiler's sight.)
func (t *tx) idKey(id store.ID) []byte {
	return append(t.keyRoom(), id[:]...)
}

// keyRoom returns the transaction's key room, empty, to append a key to.
func (t *tx) keyRoom() []byte {
	if t == nil {
		return make([]byte, 0, len(t.key))
	}
	return t.key[:0]
}
