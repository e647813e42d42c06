package bolt_test

import (
	"context"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"go.etcd.io/bbolt"

	"github.com/pacer-sales/pacer/store"
	"github.com/pacer-sales/pacer/store/bolt"
)

var benchStart = time.Date(2026, time.March, 2, 9, 0, 0, 0, time.UTC)

// benchConn is connection i of a benchmark: a record halfway through a sequence.
func benchConn(i int, seq store.ID) store.Connection {
	at := benchStart.Add(time.Duration(i) * time.Millisecond)
	id := store.NewID(at)
	return store.Connection{
		ID: id, Record: store.NewID(at), Sequence: seq, Version: 1, State: store.ConnActive,
		Source: "manual", Step: "step-1", Visit: 1, EnteredAt: at, WakeAt: at.Add(48 * time.Hour),
		Outcomes: map[string]string{"call-1": "connected"},
		Sent: map[string]store.Sent{"mail-1": {Message: store.DerivedID(id.String(), "mail-1", "1"), At: at,
			Events: map[string]time.Time{"opened": at.Add(time.Hour)}}},
		CreatedAt: at, UpdatedAt: at,
	}
}

// insertConns stores n connections of seq (each with a connected and a step_entered event),
// committing every 10,000, and returns their IDs in order.
func insertConns(b *testing.B, db store.Store, seq store.ID, n int) []store.ID {
	ids := make([]store.ID, 0, n)
	for from := 0; from < n; from += 10_000 {
		err := db.Update(context.Background(), func(tx store.Tx) error {
			for i := from; i < min(from+10_000, n); i++ {
				c := benchConn(i, seq)
				if err := tx.PutConn(c); err != nil {
					return err
				}
				if err := tx.AppendHistory(c.ID,
					store.Event{At: c.CreatedAt, Type: "connected", By: "maria.l"},
					store.Event{At: c.CreatedAt, Type: "step_entered", StepID: c.Step}); err != nil {
					return err
				}
				ids = append(ids, c.ID)
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	return ids
}

// transition moves connection id one step on, as the engine does: read it, enter the next
// step with a new wake-up, write it and one history event; every 4th step also creates an
// open task and every 8th queues a message when extras is set.
func transition(tx store.Tx, id store.ID, now time.Time, extras bool) error {
	c, err := tx.Conn(id)
	if err != nil {
		return err
	}
	c.Visit++
	c.Step = "step-" + strconv.Itoa(int(c.Visit))
	c.EnteredAt, c.UpdatedAt, c.WakeAt = now, now, now.Add(time.Duration(c.Visit)*time.Hour)
	if extras && c.Visit%4 == 0 {
		tk := store.Task{
			ID: store.DerivedID(id.String(), c.Step, strconv.Itoa(int(c.Visit))), Conn: id, Record: c.Record,
			Sequence: c.Sequence, StepID: c.Step, Visit: c.Visit, Type: "call", Name: "Call the buyer",
			DueAt: now, Assignees: []string{"maria.l"}, State: store.TaskOpen, CreatedAt: now,
		}
		if err := tx.PutTask(tk); err != nil {
			return err
		}
		c.Task, c.WakeAt = tk.ID, time.Time{}
	}
	if extras && c.Visit%8 == 0 {
		m := store.Message{
			ID: store.DerivedID(id.String(), c.Step, strconv.Itoa(int(c.Visit))), Conn: id, Record: c.Record,
			Sequence: c.Sequence, StepID: c.Step, Visit: c.Visit, Channel: "email",
			To: "buyer@example.com", Subject: "Following up",
			Body:  "Hello Pat,\n\nfollowing up on my last note: would a short call next week work for you?\n\n— Maria López, Contoso\n",
			State: store.MsgQueued, NextTry: now, CreatedAt: now,
		}
		m.Key = m.ID.String()
		m.MessageID = "<" + m.Key + "@pacer.example>"
		if err := tx.PutMessage(m); err != nil {
			return err
		}
	}
	if err := tx.PutConn(c); err != nil {
		return err
	}
	return tx.AppendHistory(id, store.Event{At: now, Type: "step_entered", StepID: c.Step})
}

// BenchmarkPutConn measures step transitions committed 1000 per Update, the way the
// engine's writer groups them: each reads a connection and writes it back with its due
// entry and one history event. "insert" connects new records instead; "mixed" also creates
// a task every 4th and queues a message every 8th transition; "random" walks the pool of
// 100,000 connections in random order rather than in due order. Under fsync/ every commit
// is synced, as pacer runs; nosync/ shows the processor's share.
func BenchmarkPutConn(b *testing.B) {
	const batch, pool = 1000, 100_000
	seq := store.NewID(benchStart)
	for _, sync := range []string{"fsync", "nosync"} {
		opts := bolt.Options{NoSync: sync == "nosync"}
		b.Run(sync+"/insert", func(b *testing.B) {
			db := benchOpenWith(b, opts)
			n := 0
			for b.Loop() {
				err := db.Update(context.Background(), func(tx store.Tx) error {
					for range batch {
						c := benchConn(n, seq)
						n++
						if err := tx.PutConn(c); err != nil {
							return err
						}
						if err := tx.AppendHistory(c.ID, store.Event{At: c.CreatedAt, Type: "connected", By: "maria.l"}); err != nil {
							return err
						}
					}
					return nil
				})
				if err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "transitions/s")
		})
		for _, mode := range []string{"transition", "mixed", "random"} {
			b.Run(sync+"/"+mode, func(b *testing.B) {
				db := benchOpenWith(b, opts)
				ids := insertConns(b, db, seq, pool)
				order := ids
				if mode == "random" {
					order = append([]store.ID(nil), ids...)
					rand.New(rand.NewPCG(1, 2)).Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
				}
				n := 0
				now := benchStart.Add(72 * time.Hour)
				for b.Loop() {
					err := db.Update(context.Background(), func(tx store.Tx) error {
						for range batch {
							if err := transition(tx, order[n%pool], now, mode == "mixed"); err != nil {
								return err
							}
							n++
							now = now.Add(time.Millisecond)
						}
						return nil
					})
					if err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "transitions/s")
			})
		}
	}
}

func benchOpenWith(b *testing.B, opts bolt.Options) *bolt.DB {
	db, err := bolt.Open(filepath.Join(b.TempDir(), "pacer.db"), opts)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = db.Close() })
	return db
}

// BenchmarkRawBatchedPut is the baseline the engine's benchmark compares itself to: bare
// bbolt, opened as pacer opens it, 500 puts of 100-byte values under 24-byte time-ordered
// keys per Update (with fsync).
func BenchmarkRawBatchedPut(b *testing.B) {
	const batch = 500
	bdb, err := bbolt.Open(filepath.Join(b.TempDir(), "raw.db"), 0o600, &bbolt.Options{
		Timeout: time.Second, FreelistType: bbolt.FreelistMapType, InitialMmapSize: 256 << 20,
	})
	if err != nil {
		b.Fatal(err)
	}
	defer bdb.Close()
	name := []byte("raw")
	if err := bdb.Update(func(btx *bbolt.Tx) error { _, err := btx.CreateBucket(name); return err }); err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	n := 0
	for b.Loop() {
		err := bdb.Update(func(btx *bbolt.Tx) error {
			bk := btx.Bucket(name)
			for range batch {
				k := make([]byte, 24)
				binary.BigEndian.PutUint64(k, uint64(benchStart.UnixNano())+uint64(n))
				binary.BigEndian.PutUint64(k[8:], rng.Uint64())
				binary.BigEndian.PutUint64(k[16:], rng.Uint64())
				v := make([]byte, 100)
				copy(v, k)
				if err := bk.Put(k, v); err != nil {
					return err
				}
				n++
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "puts/s")
}

// BenchmarkTasksFor lists the work list of one seller with 10,000 open tasks in a database
// of 200,000 connections and 50,000 open tasks, built once. "open+list" includes opening
// and closing the database, as `pacer tasks` does.
func BenchmarkTasksFor(b *testing.B) {
	const conns, tasks, mine = 200_000, 50_000, 10_000
	path := filepath.Join(b.TempDir(), "pacer.db")
	start := time.Now()
	db, err := bolt.Open(path, bolt.Options{NoSync: true})
	if err != nil {
		b.Fatal(err)
	}
	ids := insertConns(b, db, store.NewID(benchStart), conns)
	rng := rand.New(rand.NewPCG(5, 6))
	for from := 0; from < tasks; from += 10_000 {
		err := db.Update(context.Background(), func(tx store.Tx) error {
			for i := from; i < from+10_000; i++ {
				conn := ids[i*(conns/tasks)]
				who := "maria.l"
				if i%(tasks/mine) != 0 {
					who = fmt.Sprintf("seller%02d", i%40)
				}
				tk := store.Task{
					ID: store.DerivedID(conn.String(), "call-1", "1"), Conn: conn, Record: conn,
					Sequence: conn, StepID: "call-1", Visit: 1, Type: "call", Name: "Call the buyer",
					DueAt:     benchStart.Add(time.Duration(rng.IntN(30*24*60)) * time.Minute),
					Assignees: []string{who}, State: store.TaskOpen, CreatedAt: benchStart,
				}
				if err := tx.PutTask(tk); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	if err := db.Close(); err != nil {
		b.Fatal(err)
	}
	b.Logf("built a database of %d connections and %d tasks in %v", conns, tasks, time.Since(start).Round(time.Millisecond))

	list := func(db store.Store) {
		var got []store.Task
		err := db.View(context.Background(), func(tx store.Tx) error {
			return tx.TasksFor("maria.l", func(tk store.Task) bool { got = append(got, tk); return true })
		})
		if err != nil {
			b.Fatal(err)
		}
		if len(got) != mine {
			b.Fatalf("TasksFor listed %d tasks, want %d", len(got), mine)
		}
	}
	b.Run("list", func(b *testing.B) {
		db, err := bolt.Open(path, bolt.Options{})
		if err != nil {
			b.Fatal(err)
		}
		defer db.Close()
		for b.Loop() {
			list(db)
		}
		b.ReportMetric(b.Elapsed().Seconds()*1000/float64(b.N), "ms/list")
	})
	b.Run("open+list", func(b *testing.B) {
		for b.Loop() {
			db, err := bolt.Open(path, bolt.Options{})
			if err != nil {
				b.Fatal(err)
			}
			list(db)
			if err := db.Close(); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(b.Elapsed().Seconds()*1000/float64(b.N), "ms/op")
	})
}
