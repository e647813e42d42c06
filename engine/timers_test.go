package engine_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pacer-sales/pacer/engine"
	"github.com/pacer-sales/pacer/store"
)

// Timers that can't be applied (issue 8, item 1): reported, put back or held, never a panic,
// and never in the way of the others.

const waitThenCall = `
name: Pause
steps:
  - type: wait
    id: pause
    duration: 1d
  - type: call
    id: ring
`

// failingStore is the store of a full disk for the writes of some connections: PutConn of
// one of them fails. The failure of a real disk can't be made on demand here; everything
// else is the real bbolt file.
type failingStore struct {
	store.Store
	mu    sync.Mutex
	conns map[store.ID]bool
}

var errDiskFull = errors.New("write pacer.db: no space left on device")

func (s *failingStore) fail(ids ...store.ID) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.conns = map[store.ID]bool{}
	for _, id := range ids {
		s.conns[id] = true
	}
}

func (s *failingStore) Update(ctx context.Context, fn func(store.Tx) error) error {
	return s.Store.Update(ctx, func(tx store.Tx) error { return fn(failingTx{tx, s}) })
}

type failingTx struct {
	store.Tx
	s *failingStore
}

func (tx failingTx) PutConn(c store.Connection) error {
	tx.s.mu.Lock()
	bad := tx.s.conns[c.ID]
	tx.s.mu.Unlock()
	if bad {
		return errDiskFull
	}
	return tx.Tx.PutConn(c)
}

func connID(t *testing.T, w *world, ref string) store.ID {
	t.Helper()
	id, err := store.ParseID(w.conn(ref).ID)
	must(t, err)
	return id
}

// TestTimerThatCantBeWrittenIsHeld: the store refuses the writes of one connection (a full
// disk): its timer can be neither applied nor put back, so it is held for a minute in
// memory and named by the tick report and by Check, while the other timers fire; once the
// disk has room again it fires.
func TestTimerThatCantBeWrittenIsHeld(t *testing.T) {
	w := newWorld(t)
	fs := &failingStore{Store: w.db}
	w.e = engine.New(fs, w.clock)
	seq := w.sequence(waitThenCall)
	w.connect(seq, "lead/L-1", "lead/L-2", "lead/L-3")
	bad := connID(t, w, "lead/L-2")
	fs.fail(bad)

	rep := w.after(25 * time.Hour)
	if rep.Timers != 2 || len(rep.Errors) != 1 || !strings.Contains(rep.Errors[0], bad.String()) ||
		!strings.Contains(rep.Errors[0], "no space left") || !strings.Contains(rep.Errors[0], "held until") {
		t.Fatalf("tick: %+v", rep)
	}
	wantState(t, w.conn("lead/L-1"), "active", "ring")
	wantState(t, w.conn("lead/L-3"), "active", "ring")
	wantState(t, w.conn("lead/L-2"), "active", "pause")
	problems, err := w.e.Check(w.ctx, "ada")
	must(t, err)
	if len(problems) != 1 || !strings.Contains(problems[0], bad.String()) || !strings.Contains(problems[0], "could not be applied") {
		t.Fatalf("check: %q", problems)
	}
	// Held: not tried again at once, and the next wake-up is the end of the hold.
	if rep := w.after(0); rep.Timers != 0 || len(rep.Errors) != 0 {
		t.Fatalf("tick during the hold: %+v", rep)
	}
	next, ok, err := w.e.NextWake(w.ctx)
	must(t, err)
	if want := monday.Add(25*time.Hour + time.Minute); !ok || !next.Equal(want) {
		t.Fatalf("next wake %v %v, want %v", next, ok, want)
	}

	fs.fail() // room again
	if rep := w.after(time.Minute); rep.Timers != 1 || len(rep.Errors) != 0 {
		t.Fatalf("tick after the hold: %+v", rep)
	}
	wantState(t, w.conn("lead/L-2"), "active", "ring")
	problems, err = w.e.Check(w.ctx, "ada")
	must(t, err)
	if len(problems) != 0 {
		t.Fatalf("check after: %q", problems)
	}
}

// breakVersion moves a connection onto a published version whose definition can't be read
// (damaged, or written by a release with other limits).
func breakVersion(t *testing.T, w *world, seqName string, conn store.ID) {
	t.Helper()
	must(t, w.db.Update(w.ctx, func(tx store.Tx) error {
		s, err := tx.SequenceByName(seqName)
		if err != nil {
			return err
		}
		if err := tx.PutVersion(store.Version{Sequence: s.ID, N: 99, Definition: []byte("name: x\nsteps: [\n"), PublishedAt: monday}); err != nil {
			return err
		}
		c, err := tx.Conn(conn)
		if err != nil {
			return err
		}
		c.Version = 99
		return tx.PutConn(c)
	}))
}

// TestTimerOnUnreadableVersion: a connection whose version can't be read can't take its
// timer: the tick reports it and goes on with the others, the timer is put back a minute
// with the error in the history, and Check names the connection. (Before, putting it back
// panicked the engine at every start.)
func TestTimerOnUnreadableVersion(t *testing.T) {
	w := newWorld(t)
	seq := w.sequence(waitThenCall)
	w.connect(seq, "lead/L-1", "lead/L-2")
	bad := connID(t, w, "lead/L-1")
	breakVersion(t, w, seq, bad)

	rep := w.after(25 * time.Hour)
	if rep.Timers != 1 || len(rep.Errors) != 1 || !strings.Contains(rep.Errors[0], bad.String()) || !strings.Contains(rep.Errors[0], "YAML syntax") {
		t.Fatalf("tick: %+v", rep)
	}
	wantState(t, w.conn("lead/L-2"), "active", "ring")
	c := w.conn("lead/L-1")
	wantState(t, c, "active", "pause")
	last := c.History[len(c.History)-1]
	if last.Type != store.EventError || !strings.Contains(last.Reason, "YAML syntax") || c.WakeAt == nil || !c.WakeAt.Equal(monday.Add(25*time.Hour+time.Minute)) {
		t.Fatalf("history ends with %+v, wakes at %v", last, c.WakeAt)
	}
	problems, err := w.e.Check(w.ctx, "ada")
	must(t, err)
	if !slices.ContainsFunc(problems, func(p string) bool {
		return strings.Contains(p, bad.String()) && strings.Contains(p, "could not be applied")
	}) ||
		!slices.ContainsFunc(problems, func(p string) bool { return strings.Contains(p, "can't be read") }) {
		t.Fatalf("check: %q", problems)
	}
	// A new engine over the same file (a restart) starts, tries again and reports again.
	e2 := engine.New(w.db, w.clock)
	w.clock.Advance(time.Minute)
	rep, err = e2.Tick(w.ctx)
	if err != nil || rep.Timers != 0 || len(rep.Errors) != 1 {
		t.Fatalf("tick after a restart: %+v, %v", rep, err)
	}
	// Failing again and again, it backs off: 2 minutes after the second failure, then 4.
	if c := w.conn("lead/L-1"); c.WakeAt == nil || !c.WakeAt.Equal(w.clock.Now().Add(2*time.Minute)) {
		t.Fatalf("after the second failure it wakes at %v, want %v", c.WakeAt, w.clock.Now().Add(2*time.Minute))
	}
	w.clock.Advance(time.Minute)
	if rep, err := e2.Tick(w.ctx); err != nil || len(rep.Errors) != 0 {
		t.Fatalf("a minute into the back-off: %+v, %v", rep, err)
	}
	w.clock.Advance(time.Minute)
	if rep, err := e2.Tick(w.ctx); err != nil || len(rep.Errors) != 1 {
		t.Fatalf("at the end of the back-off: %+v, %v", rep, err)
	}
	if c := w.conn("lead/L-1"); c.WakeAt == nil || !c.WakeAt.Equal(w.clock.Now().Add(4*time.Minute)) {
		t.Fatalf("after the third failure it wakes at %v", c.WakeAt)
	}
	// It can still be ended: a disconnect needs nothing of its steps.
	must(t, e2.Disconnect(w.ctx, "max", seq, []string{"lead/L-1"}))
	if c := w.conn("lead/L-1"); c.State != "disconnected" || c.WakeAt != nil {
		t.Fatalf("after disconnect: %s, wakes %v", c.State, c.WakeAt)
	}
	if rep := w.after(time.Hour); len(rep.Errors) != 0 {
		t.Fatalf("tick after the disconnect: %+v", rep)
	}
}

// TestAdvanceIntoUnreadableSequence: handing a record over to a sequence whose definition
// can't be read fails like handing it to an inactive one: advance_failed, and the owner is
// told why.
func TestAdvanceIntoUnreadableSequence(t *testing.T) {
	w := newWorld(t)
	target := w.sequence(callSeq)
	src := w.sequence(`
name: Hand over
steps:
  - type: wait
    id: pause
    duration: 1d
  - type: advance_to
    id: go
    sequence: "` + target + `"
`)
	w.connect(src, "lead/L-1")
	must(t, w.db.Update(w.ctx, func(tx store.Tx) error {
		s, err := tx.SequenceByName(target)
		if err != nil {
			return err
		}
		if err := tx.PutVersion(store.Version{Sequence: s.ID, N: s.Version + 1, Definition: []byte("steps: [\n"), PublishedAt: monday}); err != nil {
			return err
		}
		s.Version++
		_, err = tx.PutSequence(s)
		return err
	}))
	if rep := w.after(25 * time.Hour); len(rep.Errors) != 0 {
		t.Fatalf("tick: %+v", rep)
	}
	c := w.conn("lead/L-1")
	if c.State != "disconnected" || c.Reason != store.ReasonAdvanceFailed {
		t.Fatalf("connection %s (%s), want disconnected (advance_failed)", c.State, c.Reason)
	}
	notice := w.only("sam")
	if !strings.Contains(notice.Error, "can't be read") {
		t.Fatalf("notice: %+v", notice)
	}
	problems, err := w.e.Check(w.ctx, "ada")
	must(t, err)
	if len(problems) != 0 {
		t.Fatalf("check: %q", problems)
	}
}

// TestClockOutOfRange: a clock the store can't hold times of (the nanoseconds run out in
// April 2262) is refused with a clear error by every change, the connect and the tick.
func TestRetryDelay(t *testing.T) {
	for failures, want := range []time.Duration{time.Minute, 2 * time.Minute, 4 * time.Minute, 8 * time.Minute, 16 * time.Minute, 32 * time.Minute, time.Hour, time.Hour} {
		if got := engine.RetryDelay(failures); got != want {
			t.Errorf("after %d failures in a row: %v, want %v", failures, got, want)
		}
	}
	if got := engine.RetryDelay(1 << 20); got != time.Hour {
		t.Errorf("after very many failures: %v", got)
	}
}

func TestClockOutOfRange(t *testing.T) {
	w := newWorld(t)
	seq := w.sequence(waitThenCall)
	w.clock.Set(time.Date(2262, 4, 10, 0, 0, 0, 0, time.UTC))
	_, err := w.e.Connect(w.ctx, "max", seq, []string{"lead/L-1"})
	wantErr(t, err, engine.ErrInvalid)
	if !strings.Contains(err.Error(), "2262-04-10T00:00:00Z is out of range") {
		t.Fatalf("connect: %v", err)
	}
	w.clock.Set(time.Date(2262, 4, 12, 0, 0, 0, 0, time.UTC))
	_, err = w.e.Tick(w.ctx)
	wantErr(t, err, engine.ErrInvalid)
	if !strings.Contains(err.Error(), "until 2200-01-01") {
		t.Fatalf("tick: %v", err)
	}
	// Just inside the range a wait still fits.
	w.clock.Set(time.Date(2199, 12, 30, 0, 0, 0, 0, time.UTC))
	w.connect(seq, "lead/L-1")
	if c := w.conn("lead/L-1"); c.WakeAt == nil || !c.WakeAt.Equal(time.Date(2199, 12, 31, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("wakes at %v", c.WakeAt)
	}
}

// TestSnoozeOutOfRange: a snooze to a time the store can't hold is refused.
func TestSnoozeOutOfRange(t *testing.T) {
	w := newWorld(t)
	w.connect(w.sequence(callSeq), "lead/L-1")
	task := w.only("sam")
	_, err := w.e.ActOnTask(w.ctx, "sam", task.ID, engine.TaskAction{Kind: engine.ActSnooze, Until: time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)})
	wantRefused(t, "snooze to 9999", err, "snooze until 9999-01-01T00:00:00Z is out of range")
	if got := w.only("sam"); !got.DueAt.Equal(task.DueAt) {
		t.Fatalf("due %s, want %s", got.DueAt, task.DueAt)
	}
}
