package bolt

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"go.etcd.io/bbolt"

	"github.com/pacer-sales/pacer/store"
)

// A page damaged while the database is open (here: its element headers overwritten through the
// file, which the process has mapped) makes reads fail with store.ErrDamaged instead of
// crashing the process.
func TestDamageWhileOpen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "pacer.db")
	db, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.Update(t.Context(), func(tx store.Tx) error {
		for i := range 2000 {
			if _, err := tx.PutRecord(store.Record{Entity: "lead", ID: fmt.Sprintf("L-%05d", i), Name: "Someone"}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var leaves []int64
	err = db.bdb.View(func(btx *bbolt.Tx) error {
		for id := 2; ; id++ {
			p, err := btx.Page(id)
			if err != nil || p == nil {
				return nil
			}
			if p.Type == "leaf" && p.Count > 10 {
				leaves = append(leaves, int64(id))
			}
		}
	})
	if err != nil || len(leaves) == 0 {
		t.Fatalf("no leaf pages found (%v)", err)
	}
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	garbage := make([]byte, 16*8)
	for i := range garbage {
		garbage[i] = 0x7f
	}
	for _, id := range leaves {
		if _, err := f.WriteAt(garbage, id*4096+16); err != nil {
			t.Fatal(err)
		}
	}
	_ = f.Close()
	err = db.View(t.Context(), func(tx store.Tx) error {
		return tx.Records("", func(store.Record) bool { return true })
	})
	if !errors.Is(err, store.ErrDamaged) {
		t.Fatalf("reading a damaged page: %v, want store.ErrDamaged", err)
	}
	t.Log(err)
}

// A panic of pacer's own code inside a transaction is not mistaken for damage.
func TestOwnPanicIsNotDamage(t *testing.T) {
	db, err := Open(filepath.Join(t.TempDir(), "pacer.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	defer func() {
		if r := recover(); r != "boom" {
			t.Fatalf("recovered %v, want the panic itself", r)
		}
	}()
	_ = db.View(t.Context(), func(store.Tx) error { panic("boom") })
}
