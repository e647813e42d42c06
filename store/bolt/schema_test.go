package bolt

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"go.etcd.io/bbolt"

	"github.com/pacer-sales/pacer/store"
)

// handMade writes a bbolt file holding only a meta bucket, with schema version v
// (no version key at all when v < 0).
func handMade(t *testing.T, v int) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "pacer.db")
	bdb, err := bbolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer bdb.Close()
	err = bdb.Update(func(btx *bbolt.Tx) error {
		if v < 0 {
			_, err := btx.CreateBucket([]byte("meta"))
			return err
		}
		return writeSchema(btx, v)
	})
	if err != nil {
		t.Fatal(err)
	}
	return path
}

func schemaOf(t *testing.T, path string) int {
	t.Helper()
	bdb, err := bbolt.Open(path, 0o600, &bbolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer bdb.Close()
	var v int
	err = bdb.View(func(btx *bbolt.Tx) error {
		var err error
		v, _, err = readSchema(btx)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestMigrateFromSchema0(t *testing.T) {
	for name, v := range map[string]int{"no version key": -1, "version 0": 0} {
		t.Run(name, func(t *testing.T) {
			path := handMade(t, v)
			db, err := Open(path, Options{})
			if err != nil {
				t.Fatal(err)
			}
			ctx := t.Context()
			err = db.Update(ctx, func(tx store.Tx) error {
				s, err := tx.Settings()
				if err != nil {
					return err
				}
				if !reflect.DeepEqual(s, store.DefaultSettings()) {
					t.Errorf("settings after migration: %+v", s)
				}
				if _, err := tx.PutSequence(store.Sequence{Name: "After migration", Definition: []byte("x")}); err != nil {
					return err
				}
				_, err = tx.PutRecord(store.Record{Entity: "lead", ID: "L-1"})
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			if err := db.Close(); err != nil {
				t.Fatal(err)
			}
			if got := schemaOf(t, path); got != currentSchema() {
				t.Errorf("schema after migration: %d, want %d", got, currentSchema())
			}
			// Reopening a current database migrates nothing and changes nothing.
			before := fileSum(t, path)
			db, err = Open(path, Options{})
			if err != nil {
				t.Fatal(err)
			}
			_ = db.Close()
			if fileSum(t, path) != before {
				t.Error("opening and closing a current database changed the file")
			}
		})
	}
}

func TestNewerSchemaRefused(t *testing.T) {
	path := handMade(t, currentSchema()+1)
	before := fileSum(t, path)
	db, err := Open(path, Options{})
	if err == nil {
		db.Close()
		t.Fatal("Open of a database with a newer schema succeeded")
	}
	if !errors.Is(err, ErrNewerSchema) || !strings.Contains(err.Error(), path) {
		t.Errorf("Open of a newer schema: %v; want ErrNewerSchema naming the file", err)
	}
	t.Log(err)
	if fileSum(t, path) != before {
		t.Error("Open changed a database with a newer schema")
	}
}

// TestMigrateSteps runs a made-up chain of migrations: each runs once, in order, from the
// stored version, and a failing step leaves the database as it was.
func TestMigrateSteps(t *testing.T) {
	path := handMade(t, 1)
	bdb, err := bbolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer bdb.Close()
	var ran []int
	step := func(n int) migration {
		return func(btx *bbolt.Tx) error {
			ran = append(ran, n)
			_, err := btx.CreateBucket([]byte{byte('a' + n)})
			return err
		}
	}
	steps := []migration{step(0), step(1), step(2), step(3)}
	err = bdb.Update(func(btx *bbolt.Tx) error { return migrate(btx, 1, steps) })
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(ran, []int{1, 2, 3}) {
		t.Errorf("ran steps %v, want [1 2 3]", ran)
	}
	_ = bdb.View(func(btx *bbolt.Tx) error {
		if v, _, _ := readSchema(btx); v != 4 {
			t.Errorf("schema after migrating: %d, want 4", v)
		}
		return nil
	})

	failing := append(steps, func(*bbolt.Tx) error { return errors.New("disk on fire") })
	err = bdb.Update(func(btx *bbolt.Tx) error {
		if _, err := btx.CreateBucket([]byte("partial")); err != nil {
			return err
		}
		return migrate(btx, 4, failing)
	})
	if err == nil || !strings.Contains(err.Error(), "migrate schema 4 to 5") {
		t.Errorf("failing migration: %v", err)
	}
	_ = bdb.View(func(btx *bbolt.Tx) error {
		if v, _, _ := readSchema(btx); v != 4 || btx.Bucket([]byte("partial")) != nil {
			t.Errorf("after a failed migration: schema %d, partial bucket %v", v, btx.Bucket([]byte("partial")) != nil)
		}
		return nil
	})
}

func TestUnknownValueFormatRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "pacer.db")
	db, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.bdb.Update(func(btx *bbolt.Tx) error {
		return btx.Bucket([]byte(bUsers.name)).Put([]byte("future"), []byte("\x02{}"))
	})
	if err != nil {
		t.Fatal(err)
	}
	err = db.View(t.Context(), func(tx store.Tx) error { _, err := tx.User("future"); return err })
	if err == nil || !strings.Contains(err.Error(), "format 2") {
		t.Errorf("reading a value of an unknown format: %v", err)
	}
}

func TestVersionKeyOrder(t *testing.T) {
	seq := store.NewID(store.ID{}.Time())
	a, b := versionKey(seq, 255), versionKey(seq, 256)
	if string(a) >= string(b) || binary.BigEndian.Uint32(b[16:]) != 256 {
		t.Error("version keys do not sort by number")
	}
}

func fileSum(t *testing.T, path string) [32]byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return sha256.Sum256(b)
}

// TestMigrateRecordOrder opens a database of schema 6 (records, no records_order): the
// migration indexes every record in use, so RecordsSorted finds them in order.
func TestMigrateRecordOrder(t *testing.T) {
	path := filepath.Join(t.TempDir(), "pacer.db")
	db, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(t.Context(), func(tx store.Tx) error {
		for i, n := range []string{"cy", "Ana", "bo"} {
			if _, err := tx.PutRecord(store.Record{Entity: "lead", ID: fmt.Sprintf("L-%d", i), Name: n}); err != nil {
				return err
			}
		}
		_, err := tx.RemoveRecord("lead", "L-0")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	err = db.bdb.Update(func(btx *bbolt.Tx) error {
		if err := btx.DeleteBucket([]byte(bRecordsOrder.name)); err != nil {
			return err
		}
		return writeSchema(btx, 6)
	})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	db, err = Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var got []string
	err = db.View(t.Context(), func(tx store.Tx) error {
		return tx.RecordsSorted("lead", store.RecordOrder{By: store.SortByName}, nil, func(r store.Record) bool {
			got = append(got, r.Name)
			return true
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(got) != "[Ana bo]" {
		t.Errorf("records by name after the migration: %q, want [Ana bo]", got)
	}
}
