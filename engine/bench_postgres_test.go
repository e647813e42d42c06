package engine_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pacer-sales/pacer/engine"
	"github.com/pacer-sales/pacer/store/postgres"
	"github.com/pacer-sales/pacer/store/postgres/pgtest"
)

// BenchmarkEngineWalkPostgres is BenchmarkEngineWalk (SPEC §9: walkSequence over
// $PACER_BENCH_RECORDS records, 100,000 by default) on PostgreSQL, by one node and by three
// (three engines with pools of their own on one database, ticking together on one clock),
// with PostgreSQL's own rate for comparable batched inserts (rows of a 24-byte key and a
// 100-byte value, 500 per transaction, sent as one pipelined batch) on the same server.
// The server is pgtest's (throwaway: fsync and synchronous_commit off; PACER_TEST_PG_ARGS="-c
// fsync=on -c synchronous_commit=on -c full_page_writes=on" makes it durable) or
// PACER_TEST_PG's.
func BenchmarkEngineWalkPostgres(b *testing.B) {
	for _, nodes := range []int{1, 3} {
		b.Run(fmt.Sprintf("nodes=%d", nodes), func(b *testing.B) { benchWalkPostgres(b, nodes) })
	}
}

func benchWalkPostgres(b *testing.B, nodes int) {
	n := benchRecords(b)
	ctx := context.Background()
	var entries int
	var wall time.Duration
	var raw float64
	runs := 0
	for b.Loop() {
		b.StopTimer()
		dsn := pgtest.DSN(b)
		rawBefore := rawPostgresRate(b, dsn, 5*n)
		clock := engine.NewManualClock(t0)
		var engines []*engine.Engine
		for range nodes {
			db, err := postgres.Open(ctx, dsn, postgres.Options{})
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { db.Close() })
			if len(engines) == 0 {
				engines = append(engines, walkOrgOn(b, db, clock, n, false))
			} else {
				engines = append(engines, engine.New(db, clock))
			}
		}
		b.StartTimer()
		start := time.Now()
		e := engines[0]
		for i := 0; i < n; i += connectBatch {
			refs := make([]string, 0, connectBatch)
			for j := i; j < min(n, i+connectBatch); j++ {
				refs = append(refs, fmt.Sprintf("lead/L-%07d", j))
			}
			if _, err := e.Connect(ctx, "max", "Throughput walk", refs); err != nil {
				b.Fatal(err)
			}
			clock.Advance(time.Minute)
		}
		for {
			next, ok, err := e.NextWake(ctx)
			if err != nil {
				b.Fatal(err)
			}
			if !ok {
				break
			}
			if next.After(clock.Now()) {
				clock.Set(next)
			}
			var wg sync.WaitGroup
			errs := make([]error, len(engines))
			for i, en := range engines {
				wg.Add(1)
				go func() {
					defer wg.Done()
					rep, err := en.Tick(ctx)
					if err == nil && len(rep.Errors) > 0 {
						err = fmt.Errorf("%d errors, first: %s", len(rep.Errors), rep.Errors[0])
					}
					errs[i] = err
				}()
			}
			wg.Wait()
			for _, err := range errs {
				if err != nil {
					b.Fatal(err)
				}
			}
		}
		walked := time.Since(start)
		b.StopTimer()
		rawAfter := rawPostgresRate(b, dsn, 5*n)
		db, err := postgres.Open(ctx, dsn, postgres.Options{})
		if err != nil {
			b.Fatal(err)
		}
		got := countWalk(b, db, mustSeqID(b, db, "Throughput walk"), n, time.Time{}).entries
		db.Close()
		entries += got
		wall += walked
		raw += (rawBefore + rawAfter) / 2
		runs++
		b.Logf("%d records, %d nodes: %d step entries in %v; raw PostgreSQL %.0f inserts/s (%.0f before, %.0f after)",
			n, nodes, got, walked.Round(time.Millisecond), (rawBefore+rawAfter)/2, rawBefore, rawAfter)
		b.StartTimer()
	}
	rate := float64(entries) / wall.Seconds()
	b.ReportMetric(rate, "transitions/s")
	b.ReportMetric(raw/float64(runs), "raw-inserts/s")
	b.ReportMetric(rate/(raw/float64(runs)), "ratio")
}

// rawPostgresRate inserts puts rows into a table of its own, 500 per transaction.
func rawPostgresRate(b *testing.B, dsn string, puts int) float64 {
	b.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "DROP TABLE IF EXISTS raw; CREATE TABLE raw (k bytea PRIMARY KEY, v bytea NOT NULL)"); err != nil {
		b.Fatal(err)
	}
	const batch = 500
	start := time.Now()
	for n := 0; n < puts; {
		tx, err := conn.Begin(ctx)
		if err != nil {
			b.Fatal(err)
		}
		bt := &pgx.Batch{}
		for range batch {
			k := make([]byte, 24)
			for i := range 8 {
				k[i] = byte(uint64(n) >> (56 - 8*i))
				k[8+i] = byte((uint64(n) * 0x9e3779b97f4a7c15) >> (56 - 8*i))
			}
			v := make([]byte, 100)
			copy(v, k)
			bt.Queue("INSERT INTO raw (k, v) VALUES ($1, $2)", k, v)
			n++
		}
		if err := tx.SendBatch(ctx, bt).Close(); err != nil {
			b.Fatal(err)
		}
		if err := tx.Commit(ctx); err != nil {
			b.Fatal(err)
		}
	}
	rate := float64(puts) / time.Since(start).Seconds()
	if _, err := conn.Exec(ctx, "DROP TABLE raw"); err != nil {
		b.Fatal(err)
	}
	return rate
}
