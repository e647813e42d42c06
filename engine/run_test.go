package engine_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/pacer-sales/pacer/engine"
	"github.com/pacer-sales/pacer/engine/mail/mailtest"
)

// The scheduler tests run in a synctest bubble: the engine tells time with SystemClock,
// which reads the bubble's fake clock, so Run's timers fire as soon as every goroutine of
// the bubble waits, and days pass in milliseconds.

// inBubble moves the bubble's clock to monday and returns a world whose engine tells time
// with the system clock. Call it inside synctest.Test.
func inBubble(t *testing.T) *world {
	t.Helper()
	time.Sleep(time.Until(monday))
	w := newWorld(t)
	w.e = engine.New(w.db, engine.SystemClock{})
	w.clock = nil // the bubble's clock rules; w.after does not apply
	return w
}

// runner is Run in a goroutine of the bubble, with the times of the ticks that did
// something.
type runner struct {
	t      *testing.T
	cancel context.CancelFunc
	done   chan error

	mu    sync.Mutex
	ticks []time.Time
}

func startRun(t *testing.T, e *engine.Engine) *runner {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	r := &runner{t: t, cancel: cancel, done: make(chan error, 1)}
	go func() {
		r.done <- e.Run(ctx, func(engine.TickReport) {
			r.mu.Lock()
			r.ticks = append(r.ticks, time.Now().UTC())
			r.mu.Unlock()
		})
	}()
	t.Cleanup(r.stop)
	synctest.Wait()
	return r
}

// tickTimes returns when Run did something, as offsets from monday.
func (r *runner) tickTimes() []time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]time.Duration, len(r.ticks))
	for i, at := range r.ticks {
		out[i] = at.Sub(monday)
	}
	return out
}

// stop cancels Run and waits for it to return.
func (r *runner) stop() {
	if r.cancel == nil {
		return
	}
	r.cancel()
	r.cancel = nil
	if err := <-r.done; err != nil {
		r.t.Errorf("Run: %v", err)
	}
}

// sleepUntil lets the bubble's clock run to monday+d and waits for the engine to settle.
func sleepUntil(d time.Duration) {
	time.Sleep(time.Until(monday.Add(d)))
	synctest.Wait()
}

// Rule 3 under Run: a 72-hour wait ends at exactly 72 hours, not a minute before.
func TestRunWaitsOutA72HourWait(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := inBubble(t)
		name := w.sequence("name: Three days\nsteps:\n  - type: wait\n    id: pause\n    duration: 72h\n  - type: task\n    id: after\n")
		w.connect(name, "lead/L-1")
		r := startRun(t, w.e)

		sleepUntil(71*time.Hour + 59*time.Minute)
		wantState(t, w.conn("lead/L-1"), "active", "pause")
		if n := len(w.tasks("sam")); n != 0 {
			t.Fatalf("%d tasks before the wait ended", n)
		}
		sleepUntil(72 * time.Hour)
		c := w.conn("lead/L-1")
		wantState(t, c, "active", "after")
		if task := w.only("sam"); !task.DueAt.Equal(monday.Add(72 * time.Hour)) {
			t.Fatalf("task due %v, want %v", task.DueAt, monday.Add(72*time.Hour))
		}
		if got := r.tickTimes(); !slices.Equal(got, []time.Duration{72 * time.Hour}) {
			t.Fatalf("Run ticked at %v, want once at 72h", got)
		}
	})
}

// Run sleeping until a timer 30 days out wakes when a change schedules something sooner.
func TestRunWakesEarlyForANewerTimer(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := inBubble(t)
		far := w.sequence("name: Far\nsteps:\n  - type: wait\n    id: month\n    duration: 30d\n  - type: task\n    id: far-task\n")
		soon := w.sequence("name: Soon\nsteps:\n  - type: wait\n    id: hour\n    duration: 1h\n  - type: task\n    id: soon-task\n")
		w.connect(far, "lead/L-3")
		r := startRun(t, w.e) // asleep until monday + 30d

		sleepUntil(10 * time.Minute)
		w.connect(soon, "lead/L-1") // at monday+10m: due at monday+1h10m
		synctest.Wait()
		sleepUntil(time.Hour + 10*time.Minute - time.Second)
		wantState(t, w.conn("lead/L-1"), "active", "hour")
		sleepUntil(time.Hour + 10*time.Minute)
		wantState(t, w.conn("lead/L-1"), "active", "soon-task")
		wantState(t, w.conn("lead/L-3"), "active", "month")
		if got := r.tickTimes(); !slices.Equal(got, []time.Duration{time.Hour + 10*time.Minute}) {
			t.Fatalf("Run ticked at %v, want once at 1h10m", got)
		}

		// Then it goes back to sleep until the far timer.
		sleepUntil(30 * 24 * time.Hour)
		wantState(t, w.conn("lead/L-3"), "active", "far-task")
		if got := r.tickTimes(); !slices.Equal(got, []time.Duration{time.Hour + 10*time.Minute, 30 * 24 * time.Hour}) {
			t.Fatalf("Run ticked at %v, want at 1h10m and 30d", got)
		}
	})
}

// Run returns nil when its context ends, whether it is idle or waiting for a timer.
func TestRunReturnsWhenCanceled(t *testing.T) {
	for _, pending := range []bool{false, true} {
		name := "idle"
		if pending {
			name = "timer pending"
		}
		t.Run(name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				w := inBubble(t)
				if pending {
					w.connect(w.sequence("name: Wait\nsteps:\n  - type: wait\n    duration: 1d\n  - type: task\n"), "lead/L-1")
				}
				ctx, cancel := context.WithCancel(context.Background())
				done := make(chan error, 1)
				go func() { done <- w.e.Run(ctx, nil) }()
				sleepUntil(time.Hour)
				select {
				case err := <-done:
					t.Fatalf("Run returned before it was canceled: %v", err)
				default:
				}
				cancel()
				// Run must return without the clock moving: a Run that kept sleeping would
				// leave the bubble deadlocked here.
				if err := <-done; err != nil {
					t.Fatalf("Run: %v", err)
				}
				if !time.Now().Equal(monday.Add(time.Hour)) {
					t.Fatalf("Run took until %v to return", time.Now())
				}
			})
		})
	}
}

// Rule 10 under Run: a fresh engine started after a stop catches up every overdue timer at
// once, in time order, each as of its due time, including timers that come due from the
// catching up itself.
func TestRunCatchesUpInTimeOrder(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		time.Sleep(time.Until(monday))
		w := newWorld(t) // a manual clock at monday: the engine before the stop
		// Early sets the status at 24h and again at 30h; Late sets it at 36h. In time
		// order the status ends "late", and Late sees Early's second value.
		early := w.sequence(`
name: Early
steps:
  - {type: wait, id: e-wait1, duration: 1d}
  - {type: update_field, id: e-set1, field: status, value: early-1}
  - {type: wait, id: e-wait2, duration: 6h}
  - {type: update_field, id: e-set2, field: status, value: early-2}
  - {type: task, id: e-done}
`)
		late := w.sequence(`
name: Late
options: {send_window: any} # its email at 36h, 21:00, goes out at once
steps:
  - {type: wait, id: l-wait, duration: 36h}
  - {type: update_field, id: l-set, field: status, value: late}
  - {type: auto_email, id: l-mail, template: nudge}
  - {type: wait, id: l-wait2, duration: 1h}
  - {type: task, id: l-done}
`)
		w.connect(late, "lead/L-1")
		w.connect(early, "lead/L-1")
		// Stopped for five days; then a new engine starts on the same database.
		sleepUntil(5 * 24 * time.Hour)
		e := engine.New(w.db, engine.SystemClock{})
		w.e = e
		r := startRun(t, e)

		if got := r.tickTimes(); !slices.Equal(got, []time.Duration{5 * 24 * time.Hour}) {
			t.Fatalf("Run ticked at %v, want once at start", got)
		}
		rec, err := e.Record(w.ctx, "ada", "lead/L-1")
		must(t, err)
		if rec.Fields["status"] != "late" {
			t.Fatalf("status %v, want late (timers out of time order?)", rec.Fields["status"])
		}
		if !rec.ModifiedAt.Equal(monday.Add(36 * time.Hour)) {
			t.Errorf("record modified at %v, want as of the last timer (36h)", rec.ModifiedAt)
		}
		v, err := e.RecordDetail(w.ctx, "ada", "lead/L-1")
		must(t, err)
		byName := map[string]engine.ConnView{}
		for _, c := range v.Connections {
			byName[c.Sequence] = c
		}
		var updates []string
		for _, c := range []engine.ConnView{byName["Early"], byName["Late"]} {
			for _, h := range c.History {
				if h.Type == "field_updated" {
					updates = append(updates, h.At.Sub(monday).String()+" "+str(h.Old)+"→"+str(h.New))
				}
			}
		}
		want := []string{"24h0m0s →early-1", "30h0m0s early-1→early-2", "36h0m0s early-2→late"}
		if !slices.Equal(updates, want) {
			t.Fatalf("field updates %q, want %q", updates, want)
		}
		wantState(t, byName["Early"], "active", "e-done")
		wantState(t, byName["Late"], "active", "l-done")
		tasks := w.tasks("sam")
		if len(tasks) != 2 || !tasks[0].DueAt.Equal(monday.Add(30*time.Hour)) || !tasks[1].DueAt.Equal(monday.Add(37*time.Hour)) {
			t.Fatalf("tasks %+v, want due at 30h and 37h", tasks)
		}
		box := w.outbox()
		if m := box["lead/L-1"]; m.State != "kept" || !m.SentAt.Equal(monday.Add(36*time.Hour)) {
			t.Fatalf("the caught-up email: %+v", m)
		}
	})
}

func str(v any) string {
	if v == nil {
		return ""
	}
	s, _ := v.(string)
	return s
}

// Rule 4 under Run, through a real SMTP server: Run wakes for each retry of a refused email
// at its back-off (1m, then 5m) and the third try goes out with the same Message-ID. The
// server runs outside the bubble: its goroutines wait on the network, which the bubble's
// clock does not wait for.
func TestRunRetriesEmailAtItsBackoff(t *testing.T) {
	srv := mailtest.Start(t)
	synctest.Test(t, func(t *testing.T) {
		w := inBubble(t)
		name := w.addOffer()
		must(t, w.e.SetSetting(w.ctx, "ada", "smtp_url", srv.URL()))
		srv.FailNext(2, 451)
		r := startRun(t, w.e)
		w.connect(name, "lead/L-1")
		synctest.Wait()
		id := w.outbox()["lead/L-1"].MessageID
		if srv.Attempts() != 1 {
			t.Fatalf("%d attempts at once, want 1", srv.Attempts())
		}

		sleepUntil(time.Minute - time.Second)
		if srv.Attempts() != 1 {
			t.Fatalf("retried before the back-off: %d attempts", srv.Attempts())
		}
		sleepUntil(time.Minute)
		if srv.Attempts() != 2 {
			t.Fatalf("%d attempts at 1m, want 2", srv.Attempts())
		}
		sleepUntil(6*time.Minute - time.Second)
		wantState(t, w.conn("lead/L-1"), "active", "offer")
		sleepUntil(6 * time.Minute)
		got := srv.Messages()
		if srv.Attempts() != 3 || len(got) != 1 || got[0].MessageID != id {
			t.Fatalf("at 6m: %d attempts, messages %+v, want one with Message-ID %s", srv.Attempts(), got, id)
		}
		if m := w.outbox()["lead/L-1"]; m.State != "sent" || m.Tries != 3 || !m.SentAt.Equal(monday.Add(6*time.Minute)) {
			t.Fatalf("outbox row %+v", m)
		}
		wantState(t, w.conn("lead/L-1"), "active", "follow-up")
		if got := r.tickTimes(); !slices.Equal(got, []time.Duration{0, time.Minute, 6 * time.Minute}) {
			t.Fatalf("Run ticked at %v, want at 0, 1m and 6m", got)
		}
	})
}
