package console_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/pacer-sales/pacer/engine"
	"github.com/pacer-sales/pacer/store"
	"github.com/pacer-sales/pacer/ui/common"
	"github.com/pacer-sales/pacer/ui/uitest"
)

// benchTasks is the size of the seller's work list in the benchmark (SPEC §9).
const benchTasks = 10_000

// benchConns is how many connections the benchmark database holds in all (SPEC §9): the
// seller's 10,000 and others, waiting, without tasks. $PACER_BENCH_CONNS changes it.
func benchConns() int {
	if n, err := strconv.Atoi(os.Getenv("PACER_BENCH_CONNS")); err == nil && n >= benchTasks {
		return n
	}
	return 1_000_000
}

// benchWorld is the org of the tests with sam given 10,000 open call tasks of the Calls
// sequence, on 10,000 leads of theirs, due from three days ago to three days ahead, among
// benchConns() connections. The org is made through the engine; the records, connections,
// histories and tasks are written through the store port, 10,000 per transaction, as the
// engine would have left them.
func benchWorld(b *testing.B) *world {
	start := time.Now()
	w := newWorld(b)
	calls := w.sequence(callsSeq)
	ctx := context.Background()
	var seq store.Sequence
	must(b, w.db.View(ctx, func(tx store.Tx) (err error) {
		seq, err = tx.SequenceByName(calls)
		return err
	}))
	now := w.clock.Now()
	rng := rand.New(rand.NewPCG(1, 2))
	const batch = 10_000
	total := benchConns()
	for from := 0; from < total; from += batch {
		must(b, w.db.Update(ctx, func(tx store.Tx) error {
			for i := from; i < min(from+batch, total); i++ {
				at := now.Add(-time.Duration(total-i) * time.Second)
				c := store.Connection{
					ID: store.NewID(at), Sequence: seq.ID, Version: seq.Version, State: store.ConnActive,
					Source: "manual", Step: "first-call", Visit: 1, EnteredAt: at, CreatedAt: at, UpdatedAt: at,
				}
				if i >= benchTasks {
					// Another seller's record, waiting.
					c.Record, c.Step, c.WakeAt = store.NewID(at), "pause", at.Add(48*time.Hour)
					if err := tx.PutConn(c); err != nil {
						return err
					}
					continue
				}
				rec, err := tx.PutRecord(store.Record{
					Entity: "lead", ID: fmt.Sprintf("B-%05d", i), Name: fmt.Sprintf("Buyer %05d", i), Owner: "sam",
					Stage: "new", Email: fmt.Sprintf("buyer%05d@example.com", i), Fields: map[string]any{"score": float64(i % 100)},
					CreatedAt: at, ModifiedAt: at,
				})
				if err != nil {
					return err
				}
				due := now.Add(time.Duration(rng.IntN(6*24*60)-3*24*60) * time.Minute)
				c.Record = rec.Key
				c.Task = store.DerivedID("task", c.ID.String(), "first-call", "1")
				t := store.Task{
					ID: c.Task, Conn: c.ID, Record: rec.Key, Sequence: seq.ID, RecordRef: rec.Ref(), RecordName: rec.Name,
					SeqName: seq.Name, StepID: "first-call", Visit: 1, Type: "call", Name: "Intro call",
					DueAt: due, Assignees: []string{"sam"}, State: store.TaskOpen, CreatedAt: at,
				}
				if err := tx.PutTask(t); err != nil {
					return err
				}
				if err := tx.PutConn(c); err != nil {
					return err
				}
				if err := tx.AppendHistory(c.ID,
					store.Event{At: at, Type: "connected", By: "max", Reason: "manual"},
					store.Event{At: at, Type: "step_entered", StepID: "first-call"},
					store.Event{At: at, Type: "task_created", StepID: "first-call", Task: t.ID.String(), Assignees: t.Assignees}); err != nil {
					return err
				}
			}
			return nil
		}))
	}
	b.Logf("built %d connections, %d open tasks for sam, through the store port, in %v", total, benchTasks, time.Since(start).Round(time.Millisecond))
	return w
}

// BenchmarkWorkList measures the work list of a seller with 10,000 open tasks: loading it
// (the query, and the query with the first frame), a refresh after a change, and a key
// press (Update + View) for moving, searching and sorting.
func BenchmarkWorkList(b *testing.B) {
	w := benchWorld(b)
	ms := func(b *testing.B) { b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/op") }

	b.Run("tasks-query", func(b *testing.B) {
		for b.Loop() {
			rows, err := w.e.Tasks(w.ctx, "sam", engine.TaskQuery{})
			if err != nil || len(rows) != benchTasks {
				b.Fatalf("%d tasks, %v", len(rows), err)
			}
		}
		ms(b)
	})
	b.Run("load+first-view", func(b *testing.B) {
		for b.Loop() {
			s := w.open("sam", 120, 40)
			_ = s.s.View()
		}
		ms(b)
	})
	b.Run("refresh", func(b *testing.B) {
		s := w.open("sam", 120, 40)
		s.keys("j", "j", "j")
		for b.Loop() {
			s.send(common.ChangedMsg{})
			_ = s.s.View()
		}
		ms(b)
	})
	keyBench := func(name string, keys []string, withCmds bool) {
		b.Run(name, func(b *testing.B) {
			s := w.open("sam", 120, 40)
			msgs := make([]tea.KeyPressMsg, len(keys))
			for i, k := range keys {
				msgs[i] = uitest.Key(k)
			}
			i := 0
			for b.Loop() {
				var cmd tea.Cmd
				s.s, cmd = s.s.Update(msgs[i%len(msgs)])
				if withCmds {
					s.run(cmd)
				}
				_ = s.s.View()
				i++
			}
			ms(b)
		})
	}
	down := make([]string, 0, 400)
	for range 200 {
		down = append(down, "j")
	}
	for range 200 {
		down = append(down, "k")
	}
	keyBench("key-move", down, false)
	keyBench("key-move+upnext", down, true)
	keyBench("key-page", []string{"ctrl+d", "ctrl+d", "ctrl+d", "ctrl+u", "ctrl+u", "ctrl+u"}, false)
	b.Run("key-search", func(b *testing.B) {
		s := w.open("sam", 120, 40)
		s.keys("/")
		seq := []tea.KeyPressMsg{uitest.Key("0"), uitest.Key("4"), uitest.Key("backspace"), uitest.Key("backspace")}
		i := 0
		for b.Loop() {
			s.s, _ = s.s.Update(seq[i%len(seq)])
			_ = s.s.View()
			i++
		}
		ms(b)
	})
	b.Run("key-sort", func(b *testing.B) {
		s := w.open("sam", 120, 40)
		for b.Loop() {
			s.s, _ = s.s.Update(uitest.Key("s")) // the preference is saved by a command, not run here
			_ = s.s.View()
		}
		ms(b)
	})
}
