package bolt

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"go.etcd.io/bbolt"

	"github.com/pacer-sales/pacer/store"
)

// walks returns how many full page walks opening path takes, and the error of Open.
func walks(t *testing.T, path string) (int64, error) {
	t.Helper()
	before := pageWalks.Load()
	db, err := Open(path, Options{})
	if err == nil {
		err = db.Close()
	}
	return pageWalks.Load() - before, err
}

// TestOpenSkipsCheckOfFileLeftAsItWas: a database closed by pacer opens without the page
// walk; one changed since, copied, or written by a process that did not close it is walked.
func TestOpenSkipsCheckOfFileLeftAsItWas(t *testing.T) {
	path := filepath.Join(t.TempDir(), "pacer.db")
	db, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Update(context.Background(), func(tx store.Tx) error {
		for i := range 2000 {
			if _, err := tx.PutRecord(store.Record{Entity: "lead", ID: fmt.Sprintf("L-%d", i), Name: "Lead"}); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if n, err := walks(t, path); n != 0 || err != nil {
		t.Errorf("reopening a database pacer closed: %d walks, %v; want none", n, err)
	}

	// A process that wrote and did not close (bbolt directly, as a crash leaves it).
	bdb, err := bbolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := bdb.Update(func(btx *bbolt.Tx) error {
		return btx.Bucket([]byte(bPrefs.name)).Put([]byte("x\x00y"), []byte{format1})
	}); err != nil {
		t.Fatal(err)
	}
	_ = bdb.Close()
	if n, err := walks(t, path); n != 1 || err != nil {
		t.Errorf("opening a database written by another process: %d walks, %v; want 1", n, err)
	}
	if n, _ := walks(t, path); n != 0 {
		t.Errorf("reopening after that: %d walks, want none", n)
	}

	// A copy: another file, with no marker of its own.
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	cp := filepath.Join(t.TempDir(), "copy.db")
	if err := os.WriteFile(cp, b, 0o600); err != nil {
		t.Fatal(err)
	}
	if n, err := walks(t, cp); n != 1 || err != nil {
		t.Errorf("opening a copy: %d walks, %v; want 1", n, err)
	}

	// Garbled in place after pacer closed it: walked, and refused.
	var pages int
	if bdb, err := bbolt.Open(path, 0o600, &bbolt.Options{ReadOnly: true}); err == nil {
		_ = bdb.View(func(btx *bbolt.Tx) error { pages = int(btx.Size() / 4096); return nil })
		_ = bdb.Close()
	}
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	refused := false
	for p := 2; p < pages && !refused; p++ {
		garbage := make([]byte, 4096)
		for i := range garbage {
			garbage[i] = byte(i*7 + p)
		}
		if _, err := f.WriteAt(garbage, int64(p)*4096); err != nil {
			t.Fatal(err)
		}
		n, err := walks(t, path)
		var np *NotPacerError
		switch {
		case n != 1:
			t.Fatalf("opening a file garbled at page %d: %d walks, want 1", p, n)
		case errors.As(err, &np):
			refused = true
		case err != nil:
			t.Fatalf("opening a file garbled at page %d: %v", p, err)
		}
	}
	_ = f.Close()
	if !refused {
		t.Error("no garbled file was refused")
	}
}
