package storetest

import (
	"encoding/binary"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pacer-sales/pacer/store"
)

// The runtime's part of the suite: connections and their history, the due index, tasks,
// the outbox and segments (store.RuntimeTx).

// idSeq makes the IDs of id unique.
var idSeq atomic.Uint64

// id returns a new ID for the time at(n): IDs of a larger n sort later, whatever order they
// are made in (unlike store.NewID's, which also keep the order they were made in).
func id(n int) store.ID {
	var x store.ID
	binary.BigEndian.PutUint64(x[:8], uint64(at(n).UnixNano()))
	binary.BigEndian.PutUint64(x[8:], idSeq.Add(1))
	return x
}

// fullConn returns a connection with every field set.
func fullConn(cid, record, seq store.ID) store.Connection {
	return store.Connection{
		ID: cid, Record: record, Sequence: seq, Version: 3, State: store.ConnDisconnected,
		Reason: store.ReasonReplied, Source: "segment:EMEA leads", Step: "mail-2", Visit: 7,
		EnteredAt: at(10), WakeAt: at(2 * 24 * 60), Task: store.DerivedID(cid.String(), "call-1", "2"),
		Outcomes: map[string]string{"call-1": "left_voicemail", "call-3": "connected"},
		Sent: map[string]store.Sent{
			"mail-1": {Message: store.DerivedID(cid.String(), "mail-1", "1"), At: at(20),
				Events: map[string]time.Time{"opened": at(25), "clicked": at(26), "replied": at(30)}},
			"sms-1": {Message: store.DerivedID(cid.String(), "sms-1", "1"), At: at(40)},
		},
		Skipped:   []string{"task-2", "call-9"},
		CreatedAt: at(1), UpdatedAt: at(50),
	}
}

// conn returns a plain active connection.
func conn(cid, record, seq store.ID) store.Connection {
	return store.Connection{
		ID: cid, Record: record, Sequence: seq, Version: 1, State: store.ConnActive,
		Source: "manual", Step: "call-1", Visit: 1, EnteredAt: at(1), CreatedAt: at(1), UpdatedAt: at(1),
	}
}

func cloneConn(c store.Connection) store.Connection {
	c.Outcomes = maps.Clone(c.Outcomes)
	c.Skipped = slices.Clone(c.Skipped)
	if c.Sent != nil {
		sent := make(map[string]store.Sent, len(c.Sent))
		for k, s := range c.Sent {
			s.Events = maps.Clone(s.Events)
			sent[k] = s
		}
		c.Sent = sent
	}
	return c
}

func putConns(t *testing.T, s store.Store, conns ...store.Connection) {
	t.Helper()
	update(t, s, func(tx store.Tx) error {
		for _, c := range conns {
			if err := tx.PutConn(c); err != nil {
				return err
			}
		}
		return nil
	})
}

func getConn(t *testing.T, s store.Store, cid store.ID) store.Connection {
	t.Helper()
	return get(t, s, func(tx store.Tx) (store.Connection, error) { return tx.Conn(cid) })
}

func connIDs(cs []store.Connection) []string {
	return names(cs, func(c store.Connection) string { return c.ID.String() })
}

func idStrings(ids ...store.ID) []string {
	return names(ids, store.ID.String)
}

func testConns(t *testing.T, s store.Store) {
	record, seq := id(-100), id(-99)
	want := fullConn(id(1), record, seq)
	in := cloneConn(want)
	update(t, s, func(tx store.Tx) error {
		if err := tx.PutConn(in); err != nil {
			return err
		}
		in.Outcomes["call-1"], in.Skipped[0] = "mutated after put", "mutated after put" // must not reach the store
		in.Sent["mail-1"].Events["opened"] = at(999)
		got, err := tx.Conn(want.ID)
		wantEqual(t, "Conn in the transaction that put it", got, want)
		return err
	})
	got := getConn(t, s, want.ID)
	wantEqual(t, "Conn", got, want)

	// Returned values are copies.
	got.Outcomes["call-1"], got.Skipped[1] = "mutated", "mutated"
	got.Sent["mail-1"].Events["opened"] = at(999)
	wantEqual(t, "connection after mutating a returned copy", getConn(t, s, want.ID), want)

	// Put replaces; an existing connection keeps its CreatedAt.
	changed := conn(want.ID, record, seq)
	changed.State, changed.Step, changed.Visit, changed.UpdatedAt = store.ConnCompleted, "", 9, at(60)
	changed.CreatedAt = at(55)
	putConns(t, s, changed)
	changed.CreatedAt = want.CreatedAt
	wantEqual(t, "connection after update", getConn(t, s, want.ID), changed)

	// Zero timestamps are set.
	fresh := conn(id(2), record, seq)
	fresh.CreatedAt, fresh.UpdatedAt = time.Time{}, time.Time{}
	putConns(t, s, fresh)
	if got := getConn(t, s, fresh.ID); got.CreatedAt.IsZero() || got.UpdatedAt.IsZero() {
		t.Errorf("a connection put with zero times has CreatedAt %v, UpdatedAt %v; want both set", got.CreatedAt, got.UpdatedAt)
	}

	// A pause is kept, and taken off again.
	paused := getConn(t, s, want.ID)
	paused.Pause = store.Pause{At: at(61), Until: at(600), Reason: "customer on leave", By: "zoe", Left: 90 * time.Minute}
	paused.WakeAt = at(600)
	putConns(t, s, paused)
	wantEqual(t, "paused connection", getConn(t, s, want.ID), paused)
	paused.Pause.Working = true // Left counts working time
	putConns(t, s, paused)
	wantEqual(t, "paused connection with working time left", getConn(t, s, want.ID), paused)
	paused.Pause, paused.WakeAt = store.Pause{}, time.Time{}
	putConns(t, s, paused)
	wantEqual(t, "resumed connection", getConn(t, s, want.ID), paused)

	view(t, s, func(tx store.Tx) error {
		_, err := tx.Conn(id(3))
		wantErr(t, "Conn of a missing connection", err, store.ErrNotFound)
		return nil
	})
	err := s.Update(t.Context(), func(tx store.Tx) error { return tx.PutConn(conn(store.ID{}, record, seq)) })
	if err == nil {
		t.Error("PutConn of a connection without an ID succeeded, want an error")
	}
	err = s.View(t.Context(), func(tx store.Tx) error { return tx.PutConn(conn(id(4), record, seq)) })
	if err == nil {
		t.Error("PutConn in a View succeeded, want an error")
	}
}

func testConnIndexes(t *testing.T, s store.Store) {
	rec1, rec2, rec3 := id(-10), id(-11), id(-12)
	seqA, seqB := id(-20), id(-21)
	// Put out of creation order, and over several transactions.
	c5 := conn(id(5), rec1, seqA)
	c1 := conn(id(1), rec1, seqB)
	c3 := conn(id(3), rec2, seqA)
	c2 := conn(id(2), rec1, seqA)
	c4 := conn(id(4), rec2, seqB)
	putConns(t, s, c5, c1)
	putConns(t, s, c3)
	putConns(t, s, c2, c4)

	byRecord := func(r store.ID) []string {
		return connIDs(get(t, s, func(tx store.Tx) ([]store.Connection, error) { return tx.ConnsByRecord(r) }))
	}
	wantOrder(t, "ConnsByRecord(rec1)", byRecord(rec1), idStrings(c1.ID, c2.ID, c5.ID))
	wantOrder(t, "ConnsByRecord(rec2)", byRecord(rec2), idStrings(c3.ID, c4.ID))
	wantOrder(t, "ConnsByRecord of a record without connections", byRecord(rec3), nil)
	wantEqual(t, "ConnsByRecord(rec2)[0]", get(t, s, func(tx store.Tx) ([]store.Connection, error) { return tx.ConnsByRecord(rec2) })[0], c3)

	bySeq := func(q store.ID, limit int) []string {
		var got []string
		view(t, s, func(tx store.Tx) error {
			return tx.ConnsBySequence(q, func(c store.Connection) bool {
				got = append(got, c.ID.String())
				return limit == 0 || len(got) < limit
			})
		})
		return got
	}
	wantOrder(t, "ConnsBySequence(seqA)", bySeq(seqA, 0), idStrings(c2.ID, c3.ID, c5.ID))
	wantOrder(t, "ConnsBySequence(seqB)", bySeq(seqB, 0), idStrings(c1.ID, c4.ID))
	wantOrder(t, "ConnsBySequence(seqA) stopping after 2", bySeq(seqA, 2), idStrings(c2.ID, c3.ID))
	wantOrder(t, "ConnsBySequence of a sequence without connections", bySeq(id(-30), 0), nil)

	// Updating a connection does not duplicate it in the indexes.
	c2.State, c2.Visit, c2.WakeAt = store.ConnCompleted, 2, at(100)
	putConns(t, s, c2, c2)
	wantOrder(t, "ConnsByRecord(rec1) after updates", byRecord(rec1), idStrings(c1.ID, c2.ID, c5.ID))
	wantOrder(t, "ConnsBySequence(seqA) after updates", bySeq(seqA, 0), idStrings(c2.ID, c3.ID, c5.ID))
}

// testConnsWalkAndWrite walks more connections than a backend is likely to read at once,
// disconnecting each, the way the engine disconnects a sequence's connections.
func testConnsWalkAndWrite(t *testing.T, s store.Store) {
	const n = 600
	seq, other := id(-1), id(-2)
	update(t, s, func(tx store.Tx) error {
		for i := range n {
			c := conn(id(i), id(-100-i), seq)
			c.WakeAt = at(1000 + i)
			if err := tx.PutConn(c); err != nil {
				return err
			}
		}
		return tx.PutConn(conn(id(n), id(-50), other))
	})
	seen := 0
	update(t, s, func(tx store.Tx) error {
		var werr error
		err := tx.ConnsBySequence(seq, func(c store.Connection) bool {
			seen++
			c.State, c.Reason, c.Step, c.WakeAt = store.ConnDisconnected, store.ReasonSequenceDeleted, "", time.Time{}
			werr = errors.Join(tx.PutConn(c), tx.AppendHistory(c.ID, store.Event{At: at(2000), Type: "disconnected", Reason: c.Reason}))
			return werr == nil
		})
		return errors.Join(err, werr)
	})
	if seen != n {
		t.Fatalf("walked %d connections, want %d", seen, n)
	}
	counts := get(t, s, func(tx store.Tx) (map[store.ConnState]int, error) { return tx.CountConns(seq) })
	wantEqual(t, "CountConns after the walk", counts, map[store.ConnState]int{store.ConnDisconnected: n})
	dues := get(t, s, func(tx store.Tx) ([]store.Due, error) { return tx.DueBefore(at(1<<20), 1000) })
	if len(dues) != 0 {
		t.Errorf("after disconnecting every connection there are %d due entries, want 0", len(dues))
	}
}

func testCountConns(t *testing.T, s store.Store) {
	seqA, seqB := id(-1), id(-2)
	count := func(q store.ID) map[store.ConnState]int {
		return get(t, s, func(tx store.Tx) (map[store.ConnState]int, error) { return tx.CountConns(q) })
	}
	wantEqual(t, "CountConns of a sequence without connections", count(seqA), map[store.ConnState]int{})

	var conns []store.Connection
	for i := range 5 {
		conns = append(conns, conn(id(i), id(-10-i), seqA))
	}
	putConns(t, s, conns...)
	putConns(t, s, conn(id(10), id(-20), seqB))
	wantEqual(t, "CountConns(seqA)", count(seqA), map[store.ConnState]int{store.ConnActive: 5})

	conns[0].State = store.ConnCompleted
	conns[1].State = store.ConnCompleted
	conns[2].State, conns[2].Reason = store.ConnDisconnected, store.ReasonManual
	conns[3].Visit = 2 // an update that keeps the state
	putConns(t, s, conns[:4]...)
	putConns(t, s, conns[0]) // putting it again changes nothing
	wantEqual(t, "CountConns(seqA) after state changes", count(seqA), map[store.ConnState]int{
		store.ConnActive: 2, store.ConnCompleted: 2, store.ConnDisconnected: 1,
	})
	wantEqual(t, "CountConns(seqB)", count(seqB), map[store.ConnState]int{store.ConnActive: 1})
}

func dueAll(t *testing.T, s store.Store) []store.Due {
	t.Helper()
	return get(t, s, func(tx store.Tx) ([]store.Due, error) { return tx.DueBefore(at(1<<20), 1<<20) })
}

func dueOf(c store.Connection) store.Due { return store.Due{At: c.WakeAt, Conn: c.ID, Visit: c.Visit} }

// testDueIndex follows the due index through inserts, updates and clears: it always holds
// exactly one entry per connection with a WakeAt, carrying its visit.
func testDueIndex(t *testing.T, s store.Store) {
	rec, seq := id(-1), id(-2)
	a, b, c := conn(id(1), rec, seq), conn(id(2), rec, seq), conn(id(3), rec, seq)
	a.WakeAt, b.WakeAt = at(300), at(100)
	putConns(t, s, a, b, c) // c has no WakeAt: no entry
	wantEqual(t, "due index after inserts", dueAll(t, s), []store.Due{dueOf(b), dueOf(a)})

	// Moving a wake-up moves the entry; a new visit at the same time replaces the visit.
	a.WakeAt, a.Visit = at(50), 2
	b.Visit = 5
	putConns(t, s, a, b)
	wantEqual(t, "due index after updates", dueAll(t, s), []store.Due{dueOf(a), dueOf(b)})

	// Several updates in one transaction leave one entry, whether or not the connection
	// was read in between.
	update(t, s, func(tx store.Tx) error {
		for i := range 6 {
			if i%2 == 1 {
				got, err := tx.Conn(c.ID)
				if err != nil {
					return err
				}
				wantEqual(t, "Conn in the transaction that updated it", got, c)
			}
			c.WakeAt, c.Visit = at(200+i*10), uint32(10+i)
			if err := tx.PutConn(c); err != nil {
				return err
			}
			if i == 3 {
				if err := tx.PutConn(a); err != nil { // another connection in between
					return err
				}
			}
		}
		return nil
	})
	wantEqual(t, "due index after updates in one transaction", dueAll(t, s), []store.Due{dueOf(a), dueOf(b), dueOf(c)})

	// Clearing WakeAt removes the entry.
	a.WakeAt = time.Time{}
	putConns(t, s, a)
	wantEqual(t, "due index after clearing a wake-up", dueAll(t, s), []store.Due{dueOf(b), dueOf(c)})

	// Times before 1970 sort first; the instant of the Unix epoch is a time like any other.
	old := time.Date(1969, time.July, 20, 20, 17, 40, 0, time.UTC)
	a.WakeAt, b.WakeAt = old, time.Unix(0, 0).UTC()
	putConns(t, s, a, b)
	wantEqual(t, "due index with times around 1970", dueAll(t, s), []store.Due{dueOf(a), dueOf(b), dueOf(c)})
	if got := dueAll(t, s); len(got) == 3 && (got[1].At.IsZero() || !got[1].At.Equal(time.Unix(0, 0))) {
		t.Errorf("a wake-up at the Unix epoch reads back as %v", got[1].At)
	}
}

func testDueBefore(t *testing.T, s store.Store) {
	view(t, s, func(tx store.Tx) error {
		dues, err := tx.DueBefore(at(1000), 10)
		if len(dues) != 0 {
			t.Errorf("DueBefore on an empty index: %v", dues)
		}
		_, ok, err2 := tx.NextDue()
		if ok {
			t.Error("NextDue on an empty index reports an entry")
		}
		return errors.Join(err, err2)
	})

	rec, seq := id(-1), id(-2)
	var conns []store.Connection
	for i, minute := range []int{40, 10, 30, 20, 50, 30} {
		c := conn(id(i), rec, seq)
		c.WakeAt, c.Visit = at(minute), uint32(i+1)
		conns = append(conns, c)
	}
	putConns(t, s, conns...)
	due := func(until time.Time, limit int) []store.Due {
		return get(t, s, func(tx store.Tx) ([]store.Due, error) { return tx.DueBefore(until, limit) })
	}
	times := func(ds []store.Due) []string {
		return names(ds, func(d store.Due) string { return d.At.UTC().Format("15:04") })
	}
	wantOrder(t, "DueBefore all", times(due(at(100), 100)), []string{"09:40", "09:50", "10:00", "10:00", "10:10", "10:20"})
	wantOrder(t, "DueBefore with a limit", times(due(at(100), 3)), []string{"09:40", "09:50", "10:00"})
	wantOrder(t, "DueBefore until an entry's time (inclusive)", times(due(at(30), 100)), []string{"09:40", "09:50", "10:00", "10:00"})
	wantOrder(t, "DueBefore until just before an entry", times(due(at(30).Add(-time.Millisecond), 100)), []string{"09:40", "09:50"})
	wantOrder(t, "DueBefore before everything", times(due(at(0), 100)), nil)
	wantOrder(t, "DueBefore with a limit of 0", times(due(at(100), 0)), nil)
	wantEqual(t, "DueBefore's first entry", due(at(100), 1), []store.Due{dueOf(conns[1])})

	next := get(t, s, func(tx store.Tx) (store.Due, error) {
		d, ok, err := tx.NextDue()
		if !ok && err == nil {
			err = errors.New("NextDue found nothing")
		}
		return d, err
	})
	wantEqual(t, "NextDue", next, dueOf(conns[1]))
	conns[1].WakeAt = at(45)
	putConns(t, s, conns[1])
	wantEqual(t, "NextDue after moving the earliest", get(t, s, func(tx store.Tx) (store.Due, error) {
		d, _, err := tx.NextDue()
		return d, err
	}), dueOf(conns[3]))
}

func fullEvent(n int) store.Event {
	return store.Event{
		At: at(n), Type: "field_updated", StepID: fmt.Sprintf("cmd-%d", n), Outcome: "connected",
		Note: "Spoke to the CFO — «ja»", Branch: "yes", Why: "opened within 2d", Field: "budget",
		Old: 1200.5, New: "large", Reason: "manual", By: "maria.l", Assignees: []string{"zoe", "adam"},
		Until: at(n + 60), Event: "opened", Message: "<a1b2@pacer.example>", Sequence: "Outbound",
		Task: "0123456789abcdef0123456789abcdef",
	}
}

func history(t *testing.T, s store.Store, cid store.ID) []store.Event {
	t.Helper()
	return get(t, s, func(tx store.Tx) ([]store.Event, error) { return tx.History(cid) })
}

func testHistory(t *testing.T, s store.Store) {
	a, b := id(1), id(2)
	wantA := []store.Event{
		fullEvent(1),
		{At: at(2), Type: "step_entered", StepID: "wait-1"},
		{At: at(3), Type: "field_updated", Field: "vip", Old: false, New: true},
		{At: at(4), Type: "field_updated", Field: "stage", Old: nil, New: ""},
		{At: at(5), Type: "stage_set", Old: "qualify", New: 3.0},
	}
	wantB := []store.Event{
		{At: at(9), Type: "connected", By: "zoe"},
		{At: at(1), Type: "step_entered", StepID: "call-1"}, // earlier time, appended later
		{At: at(8), Type: "task_created", Assignees: []string{"zoe"}, Task: "x"},
	}
	// Interleave the two connections' events over several transactions.
	update(t, s, func(tx store.Tx) error {
		in := wantA[0]
		in.Assignees = slices.Clone(in.Assignees)
		err := errors.Join(tx.AppendHistory(a, in), tx.AppendHistory(b, wantB[0]))
		in.Assignees[0] = "mutated after append" // must not reach the store
		return err
	})
	update(t, s, func(tx store.Tx) error {
		return errors.Join(tx.AppendHistory(b, wantB[1]), tx.AppendHistory(a, wantA[1], wantA[2]))
	})
	update(t, s, func(tx store.Tx) error {
		return errors.Join(tx.AppendHistory(a, wantA[3]), tx.AppendHistory(b, wantB[2]), tx.AppendHistory(a, wantA[4]), tx.AppendHistory(b))
	})
	got := history(t, s, a)
	wantEqual(t, "History(a)", got, wantA)
	wantEqual(t, "History(b)", history(t, s, b), wantB)
	for i, ev := range got {
		for _, v := range [][2]any{{ev.Old, wantA[i].Old}, {ev.New, wantA[i].New}} {
			if fmt.Sprintf("%T", v[0]) != fmt.Sprintf("%T", v[1]) {
				t.Errorf("event %d: a value of %T reads back as %T", i, v[1], v[0])
			}
		}
	}
	got[0].Assignees[0] = "mutated"
	wantEqual(t, "history after mutating a returned copy", history(t, s, a), wantA)
	if h := history(t, s, id(3)); len(h) != 0 {
		t.Errorf("History of a connection without events: %v", h)
	}

	// Only strings, float64s, bools and nil can be stored as values.
	err := s.Update(t.Context(), func(tx store.Tx) error {
		return tx.AppendHistory(a, store.Event{At: at(10), Type: "field_updated", New: 12})
	})
	if err == nil {
		t.Error("AppendHistory of an int value succeeded, want an error")
	}
	wantEqual(t, "History(a) after a refused append", history(t, s, a), wantA)
}

func fullTask(tid, cid store.ID) store.Task {
	return store.Task{
		ID: tid, Conn: cid, Record: id(-50), Sequence: id(-51), RecordRef: "lead/L-1001",
		RecordName: "Contoso Ltd", SeqName: "Outbound", StepID: "call-1", Visit: 2,
		Type: "call", Name: "Call the buyer", Template: "call-script", DueAt: at(60),
		Assignees: []string{"zoe", "maria.l"}, State: store.TaskDone, Outcome: "busy",
		Note: "call back Tuesday", Error: "smtp: 550 mailbox unavailable", CreatedAt: at(1),
		ClosedAt: at(90), ClosedBy: "zoe", Why: "maria.l is away until 2026-03-16 09:00: covered by zoe",
	}
}

// openTask returns an open task due at at(due) for the assignees.
func openTask(n, due int, assignees ...string) store.Task {
	cid := id(n)
	return store.Task{
		ID: store.DerivedID(cid.String(), "call-1", "1"), Conn: cid, Record: id(-n), Sequence: id(-1000),
		StepID: "call-1", Visit: 1, Type: "call", Name: fmt.Sprintf("task %d", n), DueAt: at(due),
		Assignees: assignees, State: store.TaskOpen, CreatedAt: at(0),
	}
}

func putTasks(t *testing.T, s store.Store, tasks ...store.Task) {
	t.Helper()
	update(t, s, func(tx store.Tx) error {
		for _, tk := range tasks {
			if err := tx.PutTask(tk); err != nil {
				return err
			}
		}
		return nil
	})
}

// tasksFor lists the names of username's open tasks (every open task for "*").
func tasksFor(t *testing.T, s store.Store, username string, limit int) []string {
	t.Helper()
	var got []string
	view(t, s, func(tx store.Tx) error {
		fn := func(tk store.Task) bool {
			got = append(got, tk.Name)
			return limit == 0 || len(got) < limit
		}
		if username == "*" {
			return tx.OpenTasks(fn)
		}
		return tx.TasksFor(username, fn)
	})
	return got
}

func testTasks(t *testing.T, s store.Store) {
	tid, cid := store.DerivedID("c", "call-1", "2"), id(1)
	want := fullTask(tid, cid)
	in := want
	in.Assignees = slices.Clone(want.Assignees)
	putTasks(t, s, in)
	in.Assignees[0] = "mutated after put"
	got := get(t, s, func(tx store.Tx) (store.Task, error) { return tx.Task(tid) })
	wantEqual(t, "Task", got, want)
	got.Assignees[0] = "mutated"
	wantEqual(t, "task after mutating a returned copy", get(t, s, func(tx store.Tx) (store.Task, error) { return tx.Task(tid) }), want)
	wantOrder(t, "TasksFor of the assignee of a done task", tasksFor(t, s, "zoe", 0), nil)

	// Put replaces; the task keeps its CreatedAt; a new one with a zero CreatedAt gets one.
	changed := openTask(1, 30, "adam")
	changed.ID, changed.CreatedAt = tid, at(70)
	putTasks(t, s, changed)
	changed.CreatedAt = want.CreatedAt
	wantEqual(t, "task after update", get(t, s, func(tx store.Tx) (store.Task, error) { return tx.Task(tid) }), changed)
	fresh := openTask(2, 30, "adam")
	fresh.CreatedAt = time.Time{}
	putTasks(t, s, fresh)
	if got := get(t, s, func(tx store.Tx) (store.Task, error) { return tx.Task(fresh.ID) }); got.CreatedAt.IsZero() {
		t.Error("a task put with a zero CreatedAt still has a zero CreatedAt")
	}

	// Why a task was moved comes back from the work lists too; a put without one clears it.
	moved := openTask(4, 40, "maria.l")
	moved.Why = "due at maria.l's working hours"
	putTasks(t, s, moved)
	var listed []store.Task
	view(t, s, func(tx store.Tx) error {
		return tx.TasksFor("maria.l", func(tk store.Task) bool { listed = append(listed, tk); return true })
	})
	if len(listed) != 1 || listed[0].Why != moved.Why {
		t.Errorf("TasksFor of a moved task: %+v, want one with why %q", listed, moved.Why)
	}
	view(t, s, func(tx store.Tx) error {
		return tx.OpenTasks(func(tk store.Task) bool {
			if tk.ID == moved.ID && tk.Why != moved.Why {
				t.Errorf("OpenTasks of a moved task: why %q, want %q", tk.Why, moved.Why)
			}
			return true
		})
	})
	moved.Why = ""
	putTasks(t, s, moved)
	wantEqual(t, "a moved task put again without a why", get(t, s, func(tx store.Tx) (store.Task, error) { return tx.Task(moved.ID) }), moved)

	view(t, s, func(tx store.Tx) error {
		_, err := tx.Task(store.DerivedID("missing"))
		wantErr(t, "Task of a missing task", err, store.ErrNotFound)
		return nil
	})
	if err := s.Update(t.Context(), func(tx store.Tx) error { return tx.PutTask(openTask(3, 1, "")) }); err == nil {
		t.Error("PutTask with an empty assignee succeeded, want an error")
	}
	if err := s.Update(t.Context(), func(tx store.Tx) error { tk := openTask(3, 1, "zoe"); tk.ID = store.ID{}; return tx.PutTask(tk) }); err == nil {
		t.Error("PutTask of a task without an ID succeeded, want an error")
	}
}

// testTaskIndexes follows a seller's work list through creation, reassignment, snoozing and
// closing.
func testTaskIndexes(t *testing.T, s store.Store) {
	t1 := openTask(1, 30, "ana")
	t2 := openTask(2, 10, "ana", "bob")
	t3 := openTask(3, 20, "bob")
	t4 := openTask(4, 40, "ana.b") // a username that starts with another
	t5 := openTask(5, 5, "an")
	t6 := openTask(6, 25, "ana", "ana") // named twice: listed once
	done := openTask(7, 1, "ana")
	done.State = store.TaskDone
	putTasks(t, s, t1, t2, t3, t4, t5, t6, done)

	wantOrder(t, "TasksFor(ana)", tasksFor(t, s, "ana", 0), []string{"task 2", "task 6", "task 1"})
	wantOrder(t, "TasksFor(bob)", tasksFor(t, s, "bob", 0), []string{"task 2", "task 3"})
	wantOrder(t, "TasksFor(ana.b)", tasksFor(t, s, "ana.b", 0), []string{"task 4"})
	wantOrder(t, "TasksFor(an)", tasksFor(t, s, "an", 0), []string{"task 5"})
	wantOrder(t, "TasksFor(nobody)", tasksFor(t, s, "nobody", 0), nil)
	wantOrder(t, "TasksFor(ana) stopping after 2", tasksFor(t, s, "ana", 2), []string{"task 2", "task 6"})
	wantOrder(t, "OpenTasks", tasksFor(t, s, "*", 0), []string{"task 5", "task 2", "task 3", "task 6", "task 1", "task 4"})
	wantOrder(t, "OpenTasks stopping after 1", tasksFor(t, s, "*", 1), []string{"task 5"})
	first := get(t, s, func(tx store.Tx) (store.Task, error) {
		var got store.Task
		err := tx.TasksFor("ana", func(tk store.Task) bool { got = tk; return false })
		return got, err
	})
	wantEqual(t, "TasksFor(ana)'s first task", first, t2)

	// Reassign: t1 goes from ana to bob; t3 gets carol too.
	t1.Assignees = []string{"bob"}
	t3.Assignees = []string{"bob", "carol"}
	putTasks(t, s, t1, t3)
	wantOrder(t, "TasksFor(ana) after reassigning", tasksFor(t, s, "ana", 0), []string{"task 2", "task 6"})
	wantOrder(t, "TasksFor(bob) after reassigning", tasksFor(t, s, "bob", 0), []string{"task 2", "task 3", "task 1"})
	wantOrder(t, "TasksFor(carol) after reassigning", tasksFor(t, s, "carol", 0), []string{"task 3"})

	// Snooze: t2 moves to the end of every list it is in.
	t2.DueAt = at(100)
	putTasks(t, s, t2)
	wantOrder(t, "TasksFor(ana) after snoozing", tasksFor(t, s, "ana", 0), []string{"task 6", "task 2"})
	wantOrder(t, "TasksFor(bob) after snoozing", tasksFor(t, s, "bob", 0), []string{"task 3", "task 1", "task 2"})
	wantOrder(t, "OpenTasks after snoozing", tasksFor(t, s, "*", 0), []string{"task 5", "task 3", "task 6", "task 1", "task 4", "task 2"})

	// Close: done, skipped and canceled tasks leave every list.
	t2.State, t2.ClosedAt, t2.ClosedBy = store.TaskDone, at(101), "bob"
	t3.State = store.TaskSkipped
	t5.State = store.TaskCanceled
	putTasks(t, s, t2, t3, t5)
	wantOrder(t, "TasksFor(ana) after closing", tasksFor(t, s, "ana", 0), []string{"task 6"})
	wantOrder(t, "TasksFor(bob) after closing", tasksFor(t, s, "bob", 0), []string{"task 1"})
	wantOrder(t, "TasksFor(carol) after closing", tasksFor(t, s, "carol", 0), nil)
	wantOrder(t, "OpenTasks after closing", tasksFor(t, s, "*", 0), []string{"task 6", "task 1", "task 4"})

	// Reopening puts it back.
	t3.State = store.TaskOpen
	putTasks(t, s, t3)
	wantOrder(t, "TasksFor(carol) after reopening", tasksFor(t, s, "carol", 0), []string{"task 3"})

	// A paused task is in no list until it is open again.
	t3.State = store.TaskPaused
	putTasks(t, s, t3)
	wantOrder(t, "TasksFor(carol) while paused", tasksFor(t, s, "carol", 0), nil)
	wantOrder(t, "OpenTasks while task 3 is paused", tasksFor(t, s, "*", 0), []string{"task 6", "task 1", "task 4"})
	wantEqual(t, "the paused task", get(t, s, func(tx store.Tx) (store.Task, error) { return tx.Task(t3.ID) }), t3)
	t3.State = store.TaskOpen
	putTasks(t, s, t3)
	wantOrder(t, "TasksFor(carol) after resuming", tasksFor(t, s, "carol", 0), []string{"task 3"})

	// A change that keeps the due time and the assignees shows in the lists too.
	t3.Note, t3.Name = "left a voicemail", "task 3, again"
	putTasks(t, s, t3)
	for _, who := range []string{"carol", "*"} {
		got := get(t, s, func(tx store.Tx) (store.Task, error) {
			var got store.Task
			fn := func(tk store.Task) bool {
				got = tk
				return tk.ID != t3.ID
			}
			if who == "*" {
				return got, tx.OpenTasks(fn)
			}
			return got, tx.TasksFor(who, fn)
		})
		wantEqual(t, fmt.Sprintf("task 3 as listed for %q after a change", who), got, t3)
	}
}

// testTasksWalkAndWrite closes every task of a seller while walking the seller's list.
func testTasksWalkAndWrite(t *testing.T, s store.Store) {
	const n = 600
	var tasks []store.Task
	for i := range n {
		tasks = append(tasks, openTask(i, n-i, "ana"))
	}
	putTasks(t, s, tasks...)
	seen := 0
	update(t, s, func(tx store.Tx) error {
		var werr error
		err := tx.TasksFor("ana", func(tk store.Task) bool {
			seen++
			tk.State, tk.ClosedBy = store.TaskDone, "ana"
			werr = tx.PutTask(tk)
			return werr == nil
		})
		return errors.Join(err, werr)
	})
	if seen != n {
		t.Errorf("walked %d tasks, want %d", seen, n)
	}
	if left := tasksFor(t, s, "*", 0); len(left) != 0 {
		t.Errorf("%d tasks are still open after closing them all", len(left))
	}
}

func fullMessage(mid store.ID, body string) store.Message {
	return store.Message{
		ID: mid, Conn: id(-1), Record: id(-2), Sequence: id(-3), StepID: "mail-1", Visit: 2,
		Key: "conn/mail-1/2", MessageID: "<a1b2@pacer.example>", Channel: "email",
		From: "Zoe Quinn <zoe@example.com>", To: "buyer@contoso.example", Subject: "Hello",
		Body: body, State: store.MsgFailed, Tries: 5, NextTry: at(60),
		LastError: "dial tcp: connection refused", CreatedAt: at(1), SentAt: at(2),
	}
}

func queued(n, created, next int) store.Message {
	mid := store.DerivedID("conn", "mail", fmt.Sprint(n))
	return store.Message{
		ID: mid, Conn: id(n), Record: id(-n), Sequence: id(-1000), StepID: "mail-1", Visit: 1,
		Key: fmt.Sprintf("m%d", n), MessageID: fmt.Sprintf("<m%d@pacer.example>", n), Channel: "email",
		To: "buyer@example.com", Subject: fmt.Sprintf("message %d", n), Body: "Hello",
		State: store.MsgQueued, NextTry: at(next), CreatedAt: at(created),
	}
}

func putMessages(t *testing.T, s store.Store, msgs ...store.Message) {
	t.Helper()
	update(t, s, func(tx store.Tx) error {
		for _, m := range msgs {
			if err := tx.PutMessage(m); err != nil {
				return err
			}
		}
		return nil
	})
}

func testMessages(t *testing.T, s store.Store) {
	long := strings.Repeat("Hello {{first_name}}, we help teams like yours sell more.\n", 100)
	msgs := []store.Message{
		fullMessage(store.DerivedID("short"), "Hi Pat, it's Zoe."),
		fullMessage(store.DerivedID("long"), long),
		fullMessage(store.DerivedID("none"), ""),
	}
	putMessages(t, s, msgs...)
	for _, m := range msgs {
		got := get(t, s, func(tx store.Tx) (store.Message, error) { return tx.Message(m.ID) })
		wantEqual(t, "Message with a body of "+fmt.Sprint(len(m.Body)), got, m)
	}

	// Updates replace the body (long to short, short to long) and keep CreatedAt.
	msgs[0].Body, msgs[1].Body, msgs[2].Body = long+"!", "short now", long
	msgs[0].Tries, msgs[0].CreatedAt = 6, at(30)
	putMessages(t, s, msgs...)
	msgs[0].CreatedAt = at(1)
	for _, m := range msgs {
		got := get(t, s, func(tx store.Tx) (store.Message, error) { return tx.Message(m.ID) })
		wantEqual(t, "Message after update", got, m)
	}
	fresh := queued(1, 0, 0)
	fresh.CreatedAt = time.Time{}
	putMessages(t, s, fresh)
	if got := get(t, s, func(tx store.Tx) (store.Message, error) { return tx.Message(fresh.ID) }); got.CreatedAt.IsZero() {
		t.Error("a message put with a zero CreatedAt still has a zero CreatedAt")
	}
	view(t, s, func(tx store.Tx) error {
		_, err := tx.Message(store.DerivedID("missing"))
		wantErr(t, "Message of a missing message", err, store.ErrNotFound)
		return nil
	})
}

func testOutbox(t *testing.T, s store.Store) {
	view(t, s, func(tx store.Tx) error {
		_, ok, err := tx.NextQueued()
		if ok {
			t.Error("NextQueued on an empty outbox reports a message")
		}
		return err
	})
	m1, m2, m3, m4 := queued(1, 1, 30), queued(2, 2, 10), queued(3, 3, 20), queued(4, 4, 40)
	sent := queued(5, 5, 5)
	sent.State, sent.SentAt = store.MsgSent, at(6)
	kept := queued(6, 0, 0) // created first, kept: listed by Messages, not queued
	kept.State = store.MsgKept
	putMessages(t, s, m3, m1, sent, m4, m2, kept)

	subjects := func(ms []store.Message) []string {
		return names(ms, func(m store.Message) string { return m.Subject })
	}
	queuedBefore := func(until time.Time, limit int) []string {
		return subjects(get(t, s, func(tx store.Tx) ([]store.Message, error) { return tx.QueuedBefore(until, limit) }))
	}
	nextQueued := func() time.Time {
		return get(t, s, func(tx store.Tx) (time.Time, error) {
			at, ok, err := tx.NextQueued()
			if !ok && err == nil {
				err = errors.New("NextQueued found nothing")
			}
			return at, err
		})
	}
	wantOrder(t, "QueuedBefore all", queuedBefore(at(100), 10), []string{"message 2", "message 3", "message 1", "message 4"})
	wantOrder(t, "QueuedBefore until an entry (inclusive)", queuedBefore(at(20), 10), []string{"message 2", "message 3"})
	wantOrder(t, "QueuedBefore with a limit", queuedBefore(at(100), 1), []string{"message 2"})
	wantOrder(t, "QueuedBefore before everything", queuedBefore(at(9), 10), nil)
	wantEqual(t, "QueuedBefore's first message", get(t, s, func(tx store.Tx) ([]store.Message, error) { return tx.QueuedBefore(at(100), 1) }), []store.Message{m2})
	wantEqual(t, "NextQueued", nextQueued(), at(10))

	// A retry moves the message; sending, keeping or failing it takes it out of the queue.
	m2.Tries, m2.NextTry, m2.LastError = 1, at(35), "421 try later"
	m3.State, m3.SentAt = store.MsgSent, at(21)
	m4.State = store.MsgFailed
	putMessages(t, s, m2, m3, m4)
	wantOrder(t, "QueuedBefore after a retry and sends", queuedBefore(at(100), 10), []string{"message 1", "message 2"})
	wantEqual(t, "NextQueued after a retry and sends", nextQueued(), at(30))
	m1.State = store.MsgKept
	m2.State = store.MsgSent
	putMessages(t, s, m1, m2)
	wantOrder(t, "QueuedBefore with nothing queued", queuedBefore(at(100), 10), nil)
	view(t, s, func(tx store.Tx) error {
		if _, ok, err := tx.NextQueued(); ok || err != nil {
			t.Errorf("NextQueued with nothing queued: ok %v, %v", ok, err)
		}
		return nil
	})
	// Requeued.
	m4.State, m4.NextTry = store.MsgQueued, at(50)
	putMessages(t, s, m4)
	wantOrder(t, "QueuedBefore after requeueing", queuedBefore(at(100), 10), []string{"message 4"})

	// Messages lists every message, oldest first, whatever its state.
	var all []string
	view(t, s, func(tx store.Tx) error {
		return tx.Messages(func(m store.Message) bool { all = append(all, m.Subject); return true })
	})
	wantOrder(t, "Messages", all, []string{"message 6", "message 1", "message 2", "message 3", "message 4", "message 5"})
	all = nil
	view(t, s, func(tx store.Tx) error {
		return tx.Messages(func(m store.Message) bool { all = append(all, m.Subject); return len(all) < 2 })
	})
	wantOrder(t, "Messages stopping after 2", all, []string{"message 6", "message 1"})
}

func testSegments(t *testing.T, s store.Store) {
	segs := []store.Segment{
		{Name: "West leads", Entity: "lead", Sequence: "Outbound", Active: true,
			Where: []store.SegmentMatch{{Field: "territory", Value: "West"}, {Field: "vip", Value: "true"}}},
		{Name: "All contacts", Entity: "contact", Sequence: "Nurture"},
		{Name: "Stalled deals", Entity: "opportunity", Sequence: "Revive", Active: true,
			Where: []store.SegmentMatch{{Field: "stage", Value: "develop"}}},
	}
	update(t, s, func(tx store.Tx) error {
		for _, sg := range segs {
			in := sg
			in.Where = slices.Clone(sg.Where)
			if err := tx.PutSegment(in); err != nil {
				return err
			}
			if len(in.Where) > 0 {
				in.Where[0].Value = "mutated after put"
			}
		}
		return nil
	})
	for _, sg := range segs {
		wantEqual(t, "Segment "+sg.Name, get(t, s, func(tx store.Tx) (store.Segment, error) { return tx.Segment(sg.Name) }), sg)
	}
	list := get(t, s, store.Tx.Segments)
	wantOrder(t, "Segments", names(list, func(sg store.Segment) string { return sg.Name }), []string{"All contacts", "Stalled deals", "West leads"})
	list[2].Where[0].Value = "mutated"
	wantEqual(t, "segment after mutating a returned copy", get(t, s, func(tx store.Tx) (store.Segment, error) { return tx.Segment("West leads") }), segs[0])

	changed := segs[0]
	changed.Active, changed.Where = false, []store.SegmentMatch{{Field: "territory", Value: "East"}}
	update(t, s, func(tx store.Tx) error { return tx.PutSegment(changed) })
	wantEqual(t, "segment after update", get(t, s, func(tx store.Tx) (store.Segment, error) { return tx.Segment("West leads") }), changed)

	update(t, s, func(tx store.Tx) error { return tx.DeleteSegment("All contacts") })
	view(t, s, func(tx store.Tx) error {
		_, err := tx.Segment("All contacts")
		wantErr(t, "Segment of a deleted segment", err, store.ErrNotFound)
		_, err = tx.Segment("west leads") // names are exact
		wantErr(t, "Segment with another case", err, store.ErrNotFound)
		list, err := tx.Segments()
		wantOrder(t, "Segments after delete", names(list, func(sg store.Segment) string { return sg.Name }), []string{"Stalled deals", "West leads"})
		return err
	})
	err := s.Update(t.Context(), func(tx store.Tx) error { return tx.DeleteSegment("nope") })
	wantErr(t, "DeleteSegment of a missing segment", err, store.ErrNotFound)
	if err := s.Update(t.Context(), func(tx store.Tx) error { return tx.PutSegment(store.Segment{Entity: "lead"}) }); err == nil {
		t.Error("PutSegment without a name succeeded, want an error")
	}
}

// runtimeSnapshot is everything the runtime's part of a store holds for the given
// connections, sequences and sellers, for checking that a failed Update changed nothing.
type runtimeSnapshot struct {
	Conns    []store.Connection
	ByRecord [][]store.Connection
	Counts   []map[store.ConnState]int
	Due      []store.Due
	History  [][]store.Event
	Tasks    []store.Task
	Open     []store.Task
	For      [][]store.Task
	Queued   []store.Message
	Messages []store.Message
	Segments []store.Segment
}

func takeRuntimeSnapshot(t *testing.T, s store.Store, records, seqs, conns []store.ID, users []string) runtimeSnapshot {
	t.Helper()
	var sn runtimeSnapshot
	view(t, s, func(tx store.Tx) error {
		var errs []error
		for _, q := range seqs {
			err := tx.ConnsBySequence(q, func(c store.Connection) bool { sn.Conns = append(sn.Conns, c); return true })
			counts, err2 := tx.CountConns(q)
			sn.Counts = append(sn.Counts, counts)
			errs = append(errs, err, err2)
		}
		for _, r := range records {
			cs, err := tx.ConnsByRecord(r)
			sn.ByRecord = append(sn.ByRecord, cs)
			errs = append(errs, err)
		}
		for _, c := range conns {
			h, err := tx.History(c)
			sn.History = append(sn.History, h)
			errs = append(errs, err)
		}
		var err error
		sn.Due, err = tx.DueBefore(at(1<<20), 1<<20)
		errs = append(errs, err)
		errs = append(errs, tx.OpenTasks(func(tk store.Task) bool { sn.Open = append(sn.Open, tk); return true }))
		for _, u := range users {
			var list []store.Task
			errs = append(errs, tx.TasksFor(u, func(tk store.Task) bool { list = append(list, tk); return true }))
			sn.For = append(sn.For, list)
		}
		sn.Queued, err = tx.QueuedBefore(at(1<<20), 1<<20)
		errs = append(errs, err)
		errs = append(errs, tx.Messages(func(m store.Message) bool { sn.Messages = append(sn.Messages, m); return true }))
		sn.Segments, err = tx.Segments()
		return errors.Join(append(errs, err)...)
	})
	return sn
}

func testRuntimeRollback(t *testing.T, s store.Store) {
	rec, seq := id(-1), id(-2)
	c1, c2 := conn(id(1), rec, seq), conn(id(2), rec, seq)
	c1.WakeAt = at(100)
	tk := openTask(1, 50, "ana", "bob")
	m := queued(1, 1, 60)
	m.Body = strings.Repeat("long body ", 100)
	update(t, s, func(tx store.Tx) error {
		return errors.Join(
			tx.PutConn(c1), tx.PutConn(c2),
			tx.AppendHistory(c1.ID, store.Event{At: at(1), Type: "connected"}),
			tx.PutTask(tk), tx.PutMessage(m),
			tx.PutSegment(store.Segment{Name: "seg", Entity: "lead", Sequence: "x"}),
		)
	})
	records, seqs, conns, users := []store.ID{rec, id(-3)}, []store.ID{seq, id(-4)}, []store.ID{c1.ID, c2.ID, id(3)}, []string{"ana", "bob", "carol"}
	before := takeRuntimeSnapshot(t, s, records, seqs, conns, users)

	boom := errors.New("boom")
	err := s.Update(t.Context(), func(tx store.Tx) error {
		c1.WakeAt, c1.State, c1.Visit = at(10), store.ConnCompleted, 2
		c2.WakeAt = at(20)
		c3 := conn(id(3), id(-3), id(-4))
		c3.WakeAt = at(5)
		tk.DueAt, tk.Assignees = at(5), []string{"carol"}
		tk2 := openTask(2, 1, "ana")
		m.State, m.Body = store.MsgSent, "short"
		m2 := queued(2, 2, 1)
		steps := errors.Join(
			tx.PutConn(c1), tx.PutConn(c2), tx.PutConn(c3),
			tx.AppendHistory(c1.ID, store.Event{At: at(2), Type: "completed"}),
			tx.AppendHistory(c3.ID, store.Event{At: at(2), Type: "connected"}),
			tx.PutTask(tk), tx.PutTask(tk2), tx.PutMessage(m), tx.PutMessage(m2),
			tx.PutSegment(store.Segment{Name: "seg2", Entity: "lead", Sequence: "y"}),
			tx.DeleteSegment("seg"),
		)
		if steps != nil {
			return fmt.Errorf("writes before the failure: %w", steps)
		}
		// The transaction sees its own writes.
		if d, _, err := tx.NextDue(); err != nil || d.Conn != c3.ID {
			return fmt.Errorf("NextDue in the transaction: %v, %v; want connection 3", d, err)
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Update returned %v, want the error of fn", err)
	}
	wantEqual(t, "runtime state after a failed Update", takeRuntimeSnapshot(t, s, records, seqs, conns, users), before)
}

// testConnsOutliveSequence checks that deleting a sequence leaves its connections, their
// history and their indexes alone: the engine disconnects them first and keeps the history.
func testConnsOutliveSequence(t *testing.T, s store.Store) {
	seq := putSequence(t, s, sampleSequence("Doomed", 1))
	c := conn(id(1), id(-1), seq.ID)
	c.State, c.Reason = store.ConnDisconnected, store.ReasonSequenceDeleted
	putConns(t, s, c)
	update(t, s, func(tx store.Tx) error {
		return errors.Join(tx.AppendHistory(c.ID, store.Event{At: at(2), Type: "disconnected", Reason: c.Reason}), tx.DeleteSequence(seq.ID))
	})
	wantEqual(t, "connection of a deleted sequence", getConn(t, s, c.ID), c)
	if h := history(t, s, c.ID); len(h) != 1 {
		t.Errorf("history of a connection of a deleted sequence: %d events, want 1", len(h))
	}
	var n int
	view(t, s, func(tx store.Tx) error {
		return tx.ConnsBySequence(seq.ID, func(store.Connection) bool { n++; return true })
	})
	if n != 1 {
		t.Errorf("ConnsBySequence of a deleted sequence: %d connections, want 1", n)
	}
}
