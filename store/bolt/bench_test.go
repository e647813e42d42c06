package bolt_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/pacer-sales/pacer/store"
	"github.com/pacer-sales/pacer/store/bolt"
)

// benchRecord is a record shaped like a row of a CSV import: the standard columns and a few
// free fields.
func benchRecord(i int) store.Record {
	return store.Record{
		Entity: "lead", ID: fmt.Sprintf("L-%07d", i), Name: fmt.Sprintf("Company %d Ltd", i),
		Owner: "maria.l", Stage: "qualify", Email: fmt.Sprintf("buyer%d@example.com", i),
		Phone: "+1 555 0100",
		Fields: map[string]any{
			"industry": "retail", "employees": float64(i % 5000), "city": "Springfield",
			"source": "web", "vip": i%7 == 0,
		},
	}
}

func putBatch(b *testing.B, db store.Store, from, n int) {
	err := db.Update(context.Background(), func(tx store.Tx) error {
		for i := from; i < from+n; i++ {
			if _, err := tx.PutRecord(benchRecord(i)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
}

func benchOpen(b *testing.B) *bolt.DB {
	db, err := bolt.Open(filepath.Join(b.TempDir(), "pacer.db"), bolt.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = db.Close() })
	return db
}

// BenchmarkPutRecords upserts records with PutRecord, committing (with fsync) once per 1000
// records (insert, update) or once for a whole 100,000-row import, the way an
// all-or-nothing CSV import does. ns/record is the figure to size imports with.
func BenchmarkPutRecords(b *testing.B) {
	const batch = 1000
	b.Run("insert-1000-per-tx", func(b *testing.B) {
		db := benchOpen(b)
		for i := 0; b.Loop(); i++ {
			putBatch(b, db, i*batch, batch)
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*batch), "ns/record")
	})
	b.Run("update-1000-per-tx", func(b *testing.B) {
		const existing = 20 * batch
		db := benchOpen(b)
		for i := 0; i < existing; i += batch {
			putBatch(b, db, i, batch)
		}
		for i := 0; b.Loop(); i++ {
			putBatch(b, db, (i*batch)%existing, batch)
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*batch), "ns/record")
	})
	b.Run("import-100000-one-tx", func(b *testing.B) {
		const rows = 100_000
		var total time.Duration
		n := 0
		for b.Loop() {
			b.StopTimer()
			db, err := bolt.Open(filepath.Join(b.TempDir(), fmt.Sprintf("pacer%d.db", n)), bolt.Options{})
			if err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			start := time.Now()
			putBatch(b, db, 0, rows)
			total += time.Since(start)
			n++
			b.StopTimer()
			_ = db.Close()
			b.StartTimer()
		}
		b.ReportMetric(float64(total.Nanoseconds())/float64(n*rows), "ns/record")
		b.ReportMetric(total.Seconds()/float64(n), "s/import")
	})
	b.Run("import-100000-one-tx-names-shuffled", func(b *testing.B) {
		// Names in no order, as a real file has them: the index by name is written in key
		// order at the commit, so this costs what the ordered import does.
		const rows = 100_000
		for b.Loop() {
			b.StopTimer()
			db := benchOpen(b)
			b.StartTimer()
			err := db.Update(context.Background(), func(tx store.Tx) error {
				for i := range rows {
					r := benchRecord(i)
					r.Name = fmt.Sprintf("Company %d Ltd", (i*7919)%rows)
					if _, err := tx.PutRecord(r); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/import")
	})
}

// BenchmarkOpen opens and closes a database of 200,000 records: the start-up cost of the
// store, including pacer's damage check, a walk over every page.
func BenchmarkOpen(b *testing.B) {
	path := filepath.Join(b.TempDir(), "pacer.db")
	db, err := bolt.Open(path, bolt.Options{NoSync: true})
	if err != nil {
		b.Fatal(err)
	}
	for i := 0; i < 200_000; i += 10_000 {
		putBatch(b, db, i, 10_000)
	}
	_ = db.Close()
	for b.Loop() {
		db, err := bolt.Open(path, bolt.Options{})
		if err != nil {
			b.Fatal(err)
		}
		_ = db.Close()
	}
}
