package bolt

import (
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"testing"

	"go.etcd.io/bbolt"

	"github.com/pacer-sales/pacer/store"
)

// BenchmarkMigrateRecordOrder builds records_order from 200,000 records, what the first
// open of a database of schema 6 does (rolled back each time).
func BenchmarkMigrateRecordOrder(b *testing.B) {
	const n = 200_000
	db, err := Open(filepath.Join(b.TempDir(), "pacer.db"), Options{NoSync: true})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	err = db.Update(b.Context(), func(tx store.Tx) error {
		for i := range n {
			r := store.Record{Entity: "lead", ID: fmt.Sprintf("L-%07d", i), Name: fmt.Sprintf("Person %d", (i*7919)%n), Owner: "ada"}
			if _, err := tx.PutRecord(r); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	rollback := errors.New("rollback")
	for b.Loop() {
		err := db.bdb.Update(func(btx *bbolt.Tx) error {
			if err := btx.DeleteBucket([]byte(bRecordsOrder.name)); err != nil {
				return err
			}
			if err := recordOrder(btx); err != nil {
				return err
			}
			return rollback
		})
		if !errors.Is(err, rollback) {
			b.Fatal(err)
		}
	}
	b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/migration")
}

// The migration's passes append: each kind of records_order entry sorts after the one
// before (see orderKinds).
func TestOrderKindsInByteOrder(t *testing.T) {
	if !slices.IsSorted(orderKinds) {
		t.Fatalf("orderKinds %q are not in byte order: the migration would move every entry at each put", orderKinds)
	}
}
