package bolt

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"go.etcd.io/bbolt"

	"github.com/pacer-sales/pacer/store"
)

func openTestDB(t *testing.T) *DB {
	t.Helper()
	db, err := Open(filepath.Join(t.TempDir(), "pacer.db"), Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// keysOf returns the keys of a bucket as strings, in order.
func keysOf(btx *bbolt.Tx, def bucketDef) []string {
	var keys []string
	_ = btx.Bucket([]byte(def.name)).ForEach(func(k, _ []byte) error {
		keys = append(keys, string(k))
		return nil
	})
	return keys
}

// checkIndexes rebuilds every runtime index from the entities and compares it, key for key,
// with the one stored; it also checks that bodies holds exactly the bodies referenced.
func checkIndexes(t *testing.T, db *DB) {
	t.Helper()
	err := db.bdb.View(func(btx *bbolt.Tx) error {
		want := map[string][]string{}
		add := func(def bucketDef, k []byte) { want[def.name] = append(want[def.name], string(k)) }
		dueVisits := map[string]uint32{}
		counts := map[string]int64{}
		bodies := map[string]bool{}
		err := btx.Bucket([]byte(bConns.name)).ForEach(func(k, v []byte) error {
			c, err := decodeConn(store.ID(k), v)
			if err != nil {
				return err
			}
			add(bConnByRecord, append(c.Record[:], c.ID[:]...))
			add(bConnBySeq, append(c.Sequence[:], c.ID[:]...))
			counts[string(c.Sequence[:])+string(c.State)]++
			if !c.WakeAt.IsZero() {
				key := timeID(c.WakeAt, c.ID)
				add(bDue, key)
				dueVisits[string(key)] = c.Visit
			}
			return nil
		})
		if err != nil {
			return err
		}
		for k := range counts {
			add(bConnCounts, []byte(k))
		}
		err = btx.Bucket([]byte(bTasks.name)).ForEach(func(k, v []byte) error {
			tk, err := decodeTask(store.ID(k), v)
			if err != nil {
				return err
			}
			if tk.State == store.TaskOpen {
				add(bTaskOpen, timeID(tk.DueAt, tk.ID))
				for _, a := range slices.Compact(slices.Sorted(slices.Values(tk.Assignees))) {
					add(bTaskByAssignee, assigneeKey(a, tk.DueAt, tk.ID))
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		err = btx.Bucket([]byte(bOutbox.name)).ForEach(func(k, v []byte) error {
			m, ref, _, err := decodeMessage(store.ID(k), v)
			if err != nil {
				return err
			}
			add(bOutboxOrder, timeID(m.CreatedAt, m.ID))
			if m.State == store.MsgQueued {
				add(bOutboxDue, timeID(m.NextTry, m.ID))
			}
			if !ref.IsZero() {
				bodies[string(ref[:])] = true
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, def := range []bucketDef{bConnByRecord, bConnBySeq, bConnCounts, bDue, bTaskOpen, bTaskByAssignee, bOutboxOrder, bOutboxDue} {
			w := want[def.name]
			slices.Sort(w)
			if got := keysOf(btx, def); !slices.Equal(got, w) {
				t.Errorf("%s index: %d keys, rebuilt from the entities: %d keys", def.name, len(got), len(w))
			}
		}
		tasks := btx.Bucket([]byte(bTasks.name))
		for _, def := range []bucketDef{bTaskOpen, bTaskByAssignee} {
			_ = btx.Bucket([]byte(def.name)).ForEach(func(k, v []byte) error {
				if want := tasks.Get(k[len(k)-16:]); !bytes.Equal(v, want) {
					t.Errorf("%s entry %x holds %x, the task is %x", def.name, k, v, want)
				}
				return nil
			})
		}
		_ = btx.Bucket([]byte(bDue.name)).ForEach(func(k, v []byte) error {
			if d, err := decodeDue(k, v); err != nil || d.Visit != dueVisits[string(k)] {
				t.Errorf("due entry %x: %+v, %v; want visit %d", k, d, err, dueVisits[string(k)])
			}
			return nil
		})
		_ = btx.Bucket([]byte(bConnCounts.name)).ForEach(func(k, v []byte) error {
			if n, err := decodeCount(v); err != nil || n != counts[string(k)] {
				t.Errorf("count %x: %d, %v; want %d", k, n, err, counts[string(k)])
			}
			return nil
		})
		// Bodies of templates and sequences are referenced by hex; none exist in this test.
		var stored []string
		for _, k := range keysOf(btx, bBodies) {
			stored = append(stored, k)
			if !bodies[k] {
				t.Errorf("body %x is referenced by no message", k)
			}
		}
		if len(stored) != len(bodies) {
			t.Errorf("%d bodies stored, %d referenced", len(stored), len(bodies))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestIndexesFollowEntities applies random puts to connections, tasks and messages and
// checks after each transaction that every index is exactly what the entities imply.
func TestIndexesFollowEntities(t *testing.T) {
	db := openTestDB(t)
	rng := rand.New(rand.NewPCG(7, 11))
	base := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	randTime := func() time.Time {
		switch rng.IntN(8) {
		case 0:
			return time.Time{}
		case 1:
			return time.Unix(0, 0).UTC()
		case 2:
			return base.AddDate(-60, 0, rng.IntN(100)) // before 1970
		}
		return base.Add(time.Duration(rng.IntN(100)) * time.Hour)
	}
	pick := func(xs ...string) string { return xs[rng.IntN(len(xs))] }
	var conns, tasks, msgs []store.ID
	records := []store.ID{store.NewID(base), store.NewID(base.Add(time.Second)), store.NewID(base.Add(2 * time.Second))}
	seqs := []store.ID{store.NewID(base.Add(3 * time.Second)), store.NewID(base.Add(4 * time.Second))}
	users := []string{"ana", "ana.b", "an", "bob"}
	for round := range 60 {
		err := db.Update(t.Context(), func(stx store.Tx) error {
			for range 1 + rng.IntN(10) {
				switch rng.IntN(3) {
				case 0:
					var c store.Connection
					if len(conns) > 0 && rng.IntN(3) > 0 {
						var err error
						if c, err = stx.Conn(conns[rng.IntN(len(conns))]); err != nil {
							return err
						}
					} else {
						c = store.Connection{ID: store.NewID(base.Add(time.Duration(len(conns)) * time.Minute)),
							Record: records[rng.IntN(len(records))], Sequence: seqs[rng.IntN(len(seqs))]}
						conns = append(conns, c.ID)
					}
					c.State = store.ConnState(pick("active", "active", "completed", "disconnected"))
					c.Visit += uint32(rng.IntN(2))
					c.WakeAt = randTime()
					if rng.IntN(10) == 0 {
						c.Sequence = seqs[rng.IntN(len(seqs))]
					}
					if err := stx.PutConn(c); err != nil {
						return err
					}
				case 1:
					tk := store.Task{ID: store.DerivedID("task", fmt.Sprint(len(tasks)))}
					if len(tasks) > 0 && rng.IntN(3) > 0 {
						tk.ID = tasks[rng.IntN(len(tasks))]
					} else {
						tasks = append(tasks, tk.ID)
					}
					tk.State = store.TaskState(pick("open", "open", "done", "skipped", "canceled"))
					tk.DueAt = randTime()
					for range rng.IntN(4) {
						tk.Assignees = append(tk.Assignees, users[rng.IntN(len(users))])
					}
					if err := stx.PutTask(tk); err != nil {
						return err
					}
				case 2:
					m := store.Message{ID: store.DerivedID("msg", fmt.Sprint(len(msgs)))}
					if len(msgs) > 0 && rng.IntN(3) > 0 {
						m.ID = msgs[rng.IntN(len(msgs))]
					} else {
						msgs = append(msgs, m.ID)
					}
					m.State = store.MsgState(pick("queued", "queued", "sent", "kept", "failed"))
					m.NextTry, m.CreatedAt = randTime(), randTime()
					m.Body = strings.Repeat("x", []int{0, 10, maxInlineBody, maxInlineBody + 1, 2000}[rng.IntN(5)])
					if err := stx.PutMessage(m); err != nil {
						return err
					}
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		checkIndexes(t, db)
		if t.Failed() {
			t.Fatalf("indexes differ after round %d", round)
		}
	}
}

// TestMessageBodies checks where message bodies are kept: inline up to maxInlineBody bytes,
// in bodies beyond, and that a body leaves bodies when its message no longer needs it.
func TestMessageBodies(t *testing.T) {
	db := openTestDB(t)
	m := store.Message{ID: store.DerivedID("m"), State: store.MsgQueued, CreatedAt: time.Now()}
	stored := func() (bodies int, value int) {
		_ = db.bdb.View(func(btx *bbolt.Tx) error {
			bodies = btx.Bucket([]byte(bBodies.name)).Stats().KeyN
			value = len(btx.Bucket([]byte(bOutbox.name)).Get(m.ID[:]))
			return nil
		})
		return
	}
	for _, step := range []struct {
		body      string
		bodies    int
		valueOver int // the value is longer than this iff the body is inline
	}{
		{strings.Repeat("a", maxInlineBody), 0, maxInlineBody},
		{strings.Repeat("b", maxInlineBody+1), 1, -1},
		{strings.Repeat("c", 5000), 1, -1},
		{"short", 0, -1},
		{strings.Repeat("d", 3000), 1, -1},
		{"", 0, -1},
	} {
		m.Body = step.body
		if err := db.Update(t.Context(), func(tx store.Tx) error { return tx.PutMessage(m) }); err != nil {
			t.Fatal(err)
		}
		bodies, value := stored()
		if bodies != step.bodies || (step.valueOver >= 0 && value <= step.valueOver) || (step.valueOver < 0 && value > 200) {
			t.Errorf("body of %d bytes: %d bodies stored, message value of %d bytes", len(step.body), bodies, value)
		}
		var got store.Message
		err := db.View(t.Context(), func(tx store.Tx) error {
			var err error
			got, err = tx.Message(m.ID)
			return err
		})
		if err != nil || got.Body != step.body {
			t.Errorf("body of %d bytes reads back as %d bytes (%v)", len(step.body), len(got.Body), err)
		}
	}
	checkIndexes(t, db)
}

// TestMigrateSchema1To2 opens a database made by schema 1 with data in it: the migration
// adds the runtime buckets and leaves the data as it was.
func TestMigrateSchema1To2(t *testing.T) {
	path := filepath.Join(t.TempDir(), "pacer.db")
	bdb, err := bbolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	user := store.User{Username: "adam", Roles: []store.Role{store.RoleAdmin}}
	err = bdb.Update(func(btx *bbolt.Tx) error {
		if err := migrate(btx, 0, migrations[:1]); err != nil {
			return err
		}
		return (&tx{btx: btx}).PutUser(user)
	})
	if err != nil {
		t.Fatal(err)
	}
	_ = bdb.View(func(btx *bbolt.Tx) error {
		if btx.Bucket([]byte(bConns.name)) != nil {
			t.Error("a schema 1 database has a conns bucket")
		}
		return nil
	})
	_ = bdb.Close()
	if got := schemaOf(t, path); got != 1 {
		t.Fatalf("made a database of schema %d, want 1", got)
	}

	db, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	c := store.Connection{ID: store.NewID(time.Now()), Record: store.NewID(time.Now()), Sequence: store.NewID(time.Now()),
		State: store.ConnActive, WakeAt: time.Now()}
	err = db.Update(t.Context(), func(tx store.Tx) error {
		got, err := tx.User("adam")
		if err != nil || got.Username != "adam" || !got.Has(store.RoleAdmin) {
			t.Errorf("user after migration: %+v, %v", got, err)
		}
		return tx.PutConn(c)
	})
	if err != nil {
		t.Fatal(err)
	}
	_ = db.bdb.View(func(btx *bbolt.Tx) error {
		v, _, _ := readSchema(btx)
		if v != currentSchema() {
			t.Errorf("schema after opening: %d, want %d", v, currentSchema())
		}
		for _, def := range append(slices.DeleteFunc(slices.Clone(schema2Buckets), func(d bucketDef) bool { return d == bHistory }), schema4Buckets...) {
			if btx.Bucket([]byte(def.name)) == nil {
				t.Errorf("bucket %s missing after migration", def.name)
			}
		}
		return nil
	})
}

// TestMigrateHistoryToLog opens a database of schema 3 whose history holds values in
// formats 1, 2 and 3 for two connections, appended in turn: schema 4 moves them to the log,
// each connection's events in the order they were appended, and removes the old bucket.
func TestMigrateHistoryToLog(t *testing.T) {
	path := filepath.Join(t.TempDir(), "pacer.db")
	bdb, err := bbolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	a, b := store.ID{1}, store.ID{2}
	ev := func(typ, step string, min int) store.Event {
		return store.Event{At: at.Add(time.Duration(min) * time.Minute), Type: typ, StepID: step}
	}
	want := map[store.ID][]store.Event{}
	err = bdb.Update(func(btx *bbolt.Tx) error {
		if err := migrate(btx, 0, migrations[:3]); err != nil {
			return err
		}
		hist := btx.Bucket([]byte(bHistory.name))
		put := func(conn store.ID, v []byte, evs ...store.Event) error {
			seq, _ := hist.NextSequence()
			k := make([]byte, 24)
			copy(k, conn[:])
			binary.BigEndian.PutUint64(k[16:], seq)
			want[conn] = append(want[conn], evs...)
			return hist.Put(k, v)
		}
		for i, conn := range []store.ID{a, b, a, b, a} {
			e1, e2 := ev("step_entered", fmt.Sprint("s", i), i), ev("task_created", fmt.Sprint("s", i), i)
			var v []byte
			var err error
			switch i % 3 {
			case 0:
				v, err = encodeEvent(e1)
				if err == nil {
					err = put(conn, v, e1)
				}
			case 1:
				p1, _ := encodeEvent(e1)
				p2, _ := encodeEvent(e2)
				v = []byte{historyFormat2, 2, byte(len(p1))}
				v = append(append(append(v, p1...), byte(len(p2))), p2...)
				err = put(conn, v, e1, e2)
			default:
				if v, err = encodeEvents([]store.Event{e1, e2}); err == nil {
					err = put(conn, v, e1, e2)
				}
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	_ = bdb.Close()

	db, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.View(t.Context(), func(tx store.Tx) error {
		for _, conn := range []store.ID{a, b} {
			got, err := tx.History(conn)
			if err != nil {
				return err
			}
			if !reflect.DeepEqual(got, want[conn]) {
				t.Errorf("history of %s after migration:\n got %+v\nwant %+v", conn, got, want[conn])
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	_ = db.bdb.View(func(btx *bbolt.Tx) error {
		if btx.Bucket([]byte(bHistory.name)) != nil {
			t.Error("the history bucket is still there after migration")
		}
		return nil
	})
}

// TestWalkIDsChunks walks an index longer than a chunk whose every entry fn deletes and
// replaces by one sorting before it, then by one after it.
func TestWalkIDsChunks(t *testing.T) {
	db := openTestDB(t)
	const n = 3*walkChunk + 7
	err := db.bdb.Update(func(btx *bbolt.Tx) error {
		b := btx.Bucket([]byte(bTaskOpen.name))
		for i := range n {
			if err := b.Put(timeID(time.Unix(int64(1000+i), 0), store.ID{byte(i >> 8), byte(i)}), nil); err != nil {
				return err
			}
		}
		var seen []store.ID
		err := walkIDs(b, nil, "test", func(id store.ID) (bool, error) {
			seen = append(seen, id)
			i := int(id[0])<<8 | int(id[1])
			if err := b.Delete(timeID(time.Unix(int64(1000+i), 0), id)); err != nil {
				return false, err
			}
			// Added behind the walk: not visited.
			return true, b.Put(timeID(time.Unix(int64(i), 0), store.ID{0xff, byte(i >> 8), byte(i)}), nil)
		})
		if err != nil {
			return err
		}
		if len(seen) != n {
			t.Errorf("walked %d entries, want %d", len(seen), n)
		}
		for i, id := range seen {
			if want := (store.ID{byte(i >> 8), byte(i)}); id != want {
				t.Fatalf("entry %d of the walk is %x, want %x", i, id[:2], want[:2])
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestTimeKeyOrder checks that index keys sort as their times across 1970.
func TestTimeKeyOrder(t *testing.T) {
	times := []time.Time{
		{}, time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC), time.Unix(-1, 0), time.Unix(0, 0),
		time.Unix(0, 1), time.Unix(1, 0), time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
	}
	for i := 1; i < len(times); i++ {
		a, b := timeID(times[i-1], store.ID{0xff}), timeID(times[i], store.ID{})
		if bytes.Compare(a, b) >= 0 {
			t.Errorf("key of %v does not sort before key of %v", times[i-1], times[i])
		}
		if binary.BigEndian.Uint64(b) == 0 {
			t.Errorf("time %v has the zero time's key", times[i])
		}
	}
}

// TestMigrateTaskCopies opens a database of schema 4 whose task indexes have empty values,
// one entry missing and one left by a closed task: schema 5 rebuilds both indexes from the
// tasks, each entry holding its task.
func TestMigrateTaskCopies(t *testing.T) {
	path := filepath.Join(t.TempDir(), "pacer.db")
	bdb, err := bbolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	task := func(n int, state store.TaskState, assignees ...string) store.Task {
		return store.Task{
			ID: store.DerivedID("task", fmt.Sprint(n)), Conn: store.ID{byte(n)}, RecordRef: fmt.Sprintf("lead/L-%d", n),
			StepID: "call", Visit: 1, Type: "call", Name: fmt.Sprint("task ", n), State: state,
			DueAt: at.Add(time.Duration(-n) * time.Hour), Assignees: assignees, CreatedAt: at, Note: "note",
		}
	}
	open1, open2, done := task(1, store.TaskOpen, "ana", "bob"), task(2, store.TaskOpen, "ana"), task(3, store.TaskDone, "ana")
	err = bdb.Update(func(btx *bbolt.Tx) error {
		if err := migrate(btx, 0, migrations[:4]); err != nil {
			return err
		}
		tasks, open, byAssignee := btx.Bucket([]byte(bTasks.name)), btx.Bucket([]byte(bTaskOpen.name)), btx.Bucket([]byte(bTaskByAssignee.name))
		for _, tk := range []store.Task{open1, open2, done} {
			if err := tasks.Put(tk.ID[:], encodeTask(tk)); err != nil {
				return err
			}
		}
		// As schema 4 left them, with empty values; bob's entry of task 1 is missing and the
		// done task is still listed.
		for _, tk := range []store.Task{open1, open2, done} {
			if err := open.Put(timeID(tk.DueAt, tk.ID), nil); err != nil {
				return err
			}
			if err := byAssignee.Put(assigneeKey("ana", tk.DueAt, tk.ID), nil); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	_ = bdb.Close()

	db, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	list := func(tx store.Tx, username string) ([]store.Task, error) {
		var got []store.Task
		fn := func(tk store.Task) bool { got = append(got, tk); return true }
		if username == "" {
			return got, tx.OpenTasks(fn)
		}
		return got, tx.TasksFor(username, fn)
	}
	err = db.View(t.Context(), func(tx store.Tx) error {
		for _, c := range []struct {
			user string
			want []store.Task
		}{{"", []store.Task{open2, open1}}, {"ana", []store.Task{open2, open1}}, {"bob", []store.Task{open1}}} {
			got, err := list(tx, c.user)
			if err != nil {
				return err
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("open tasks of %q after migration:\n got %+v\nwant %+v", c.user, got, c.want)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	checkIndexes(t, db)
}

// Schema 8 indexes the records of schema 6 by email: those in use with an email.
func TestMigrateRecordsByEmail(t *testing.T) {
	path := filepath.Join(t.TempDir(), "pacer.db")
	bdb, err := bbolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	recs := []store.Record{
		{Key: store.DerivedID("r", "1"), Entity: "lead", ID: "L-1", Name: "A", Email: "Ana@Example.com", CreatedAt: at, ModifiedAt: at},
		{Key: store.DerivedID("r", "2"), Entity: "lead", ID: "L-2", Name: "B", CreatedAt: at, ModifiedAt: at},
		{Key: store.DerivedID("r", "3"), Entity: "contact", ID: "C-1", Name: "C", Email: "ana@example.com", CreatedAt: at, ModifiedAt: at},
	}
	err = bdb.Update(func(btx *bbolt.Tx) error {
		if err := migrate(btx, 0, migrations[:6]); err != nil {
			return err
		}
		records, refs := btx.Bucket([]byte(bRecords.name)), btx.Bucket([]byte(bRecordsByRef.name))
		for _, r := range recs {
			v, err := encodeRecord(r)
			if err != nil {
				return err
			}
			if err := records.Put(r.Key[:], v); err != nil {
				return err
			}
			if err := refs.Put(joinKey(r.Entity, r.ID), encodeID(r.Key)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	_ = bdb.Close()
	db, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.View(t.Context(), func(tx store.Tx) error {
		keys, err := tx.RecordsByEmail("ana@example.com")
		if err != nil {
			return err
		}
		want := []store.ID{recs[0].Key, recs[2].Key}
		slices.SortFunc(want, func(a, b store.ID) int { return bytes.Compare(a[:], b[:]) })
		if !reflect.DeepEqual(keys, want) {
			t.Errorf("records of ana@example.com after migration: %v, want %v", keys, want)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
