package bolt_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime/debug"
	"testing"

	"go.etcd.io/bbolt"

	"github.com/pacer-sales/pacer/store"
	"github.com/pacer-sales/pacer/store/bolt"
)

// Files with bytes flipped in their data pages: a file whose pages can't be read or whose keys are out
// of order is refused (nothing can be written to it), and on a file that opens, no panic of bbolt reading
// a damaged page escapes a transaction — it becomes an error wrapping store.ErrDamaged.
func TestFlippedBytes(t *testing.T) {
	refused := 0
	for seed := range 12 {
		path := filledDB(t, 1500)
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		_ = os.Remove(path + ".checked") // as after a crash or an outside change
		r := rand.New(rand.NewPCG(uint64(seed), 50))
		pages := len(b) / 4096
		for range 50 {
			p := 2 + r.IntN(pages-2)
			b[p*4096+r.IntN(4096)] ^= byte(1 + r.IntN(255))
		}
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatal(err)
		}
		damaged := checkErrors(path)
		db, err := bolt.Open(path, bolt.Options{})
		var np *bolt.NotPacerError
		switch {
		case errors.As(err, &np):
			refused++
			continue
		case err != nil:
			t.Errorf("seed %d: Open: %v (%T)", seed, err, err)
			continue
		case damaged != nil:
			t.Errorf("seed %d: a file that fails its check opened for writing (%v)", seed, damaged)
		}
		useAll(t, seed, db)
		_ = db.Close()
	}
	t.Logf("%d of 12 refused", refused)
}

// A leaf page whose keys are out of order (a key zeroed in the middle of a page) is refused at
// open, the file untouched.
func TestKeysOutOfOrderRefused(t *testing.T) {
	path := filledDB(t, 1500)
	_ = os.Remove(path + ".checked")
	var leaf int
	bdb, err := bbolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	_ = bdb.View(func(btx *bbolt.Tx) error {
		for id := 2; id < int(btx.Size()/4096); id++ {
			if p, err := btx.Page(id); err == nil && p != nil && p.Type == "leaf" && p.Count > 20 {
				leaf = id
				return nil
			}
		}
		return nil
	})
	_ = bdb.Close()
	if leaf == 0 {
		t.Fatal("no leaf page")
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	page := b[leaf*4096:]
	elem := 16 + 10*16 // the eleventh element's header
	pos := int(binary.LittleEndian.Uint32(page[elem+4:]))
	ksize := int(binary.LittleEndian.Uint32(page[elem+8:]))
	for i := range ksize {
		page[elem+pos+i] = 0
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	wantNotPacer(t, path, "follows key")
}

// checkErrors reads a file read-only and reports a fault or keys out of order in a bucket.
func checkErrors(path string) (err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	bdb, err := bbolt.Open(path, 0o600, &bbolt.Options{ReadOnly: true})
	if err != nil {
		return err
	}
	defer bdb.Close()
	return bdb.View(func(btx *bbolt.Tx) error {
		return btx.ForEach(func(name []byte, b *bbolt.Bucket) error {
			var prev []byte
			return b.ForEach(func(k, _ []byte) error {
				if prev != nil && bytes.Compare(prev, k) >= 0 {
					return fmt.Errorf("bucket %s: keys out of order", name)
				}
				prev = k
				return nil
			})
		})
	})
}

// useAll reads every record and writes one, expecting success or store.ErrDamaged, never a
// panic.
func useAll(t *testing.T, seed int, db *bolt.DB) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			t.Errorf("seed %d: a panic escaped a transaction: %v", seed, r)
		}
	}()
	err := db.Update(t.Context(), func(tx store.Tx) error {
		n := 0
		if err := tx.Records("", func(store.Record) bool { n++; return true }); err != nil {
			return err
		}
		_, err := tx.PutRecord(store.Record{Entity: "lead", ID: "NEW-1", Name: "New"})
		return err
	})
	if err != nil && !errors.Is(err, store.ErrDamaged) {
		t.Logf("seed %d: update: %v", seed, err)
	}
}
