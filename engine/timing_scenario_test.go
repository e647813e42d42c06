package engine_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/pacer-sales/pacer/engine"
)

const callSequence = "name: Call\nsteps:\n  - type: call\n    id: ring\n"

// leads imports n leads owned by owner, prefix-1 … prefix-n, and returns their refs.
func (w *world) leads(prefix, owner string, n int) []string {
	w.t.Helper()
	csv := "id,name,owner,email\n"
	var refs []string
	for i := 1; i <= n; i++ {
		csv += fmt.Sprintf("%s-%d,Lead %s %d,%s,%s%d@example.com\n", prefix, i, prefix, i, owner, strings.ToLower(prefix), i)
		refs = append(refs, fmt.Sprintf("lead/%s-%d", prefix, i))
	}
	_, err := w.e.ImportRecords(w.ctx, "max", prefix+".csv", strings.NewReader(csv), "lead")
	must(w.t, err)
	return refs
}

// keptAndQueued counts the outbox's kept (sent without a transport) and queued messages.
func (w *world) keptAndQueued(refs []string) (kept, queued int) {
	w.t.Helper()
	box := w.outbox()
	for _, ref := range refs {
		switch box[ref].State {
		case "kept":
			kept++
		case "queued":
			queued++
		}
	}
	return kept, queued
}

func ptr[T any](v T) *T { return &v }

// A seller who works 08:00-16:00 Monday to Thursday: a task that would come due at 16:30 on
// Thursday is due at 08:00 on Monday, and the work list says why; one due within the hours
// stays.
func TestSellersShorterHours(t *testing.T) {
	w := newWorld(t)
	_, err := w.e.SetUser(w.ctx, "ada", "sam", engine.UserChange{WorkHours: ptr("08:00-16:00"), WorkDays: ptr("mon-thu")})
	must(t, err)
	refs := w.leads("H", "sam", 2)
	seq := w.sequence(plainWaitSequence)
	wednesday := time.Date(2026, 3, 4, 0, 0, 0, 0, time.UTC)
	w.clock.Set(wednesday.Add(15 * time.Hour)) // the wait ends Thursday 15:00: within sam's hours
	w.connect(seq, refs[0])
	w.clock.Set(wednesday.Add(16*time.Hour + 30*time.Minute)) // Thursday 16:30: after them
	w.connect(seq, refs[1])
	w.after(24 * time.Hour)
	thursday := wednesday.Add(24 * time.Hour)
	within := w.tasksOf("sam", refs[0])
	if len(within) != 1 || !within[0].DueAt.Equal(thursday.Add(15*time.Hour)) || within[0].Why != "" {
		t.Fatalf("the task due Thursday 15:00: %+v", within)
	}
	after := w.tasksOf("sam", refs[1])
	nextMonday := time.Date(2026, 3, 9, 8, 0, 0, 0, time.UTC) // Friday is not one of sam's days
	if len(after) != 1 {
		t.Fatalf("sam has %d tasks for %s", len(after), refs[1])
	}
	wantTime(t, "the task that would come due Thursday 16:30", after[0].DueAt, nextMonday)
	if after[0].Why != "due at sam's working hours" {
		t.Fatalf("the work list says %q", after[0].Why)
	}
	c := w.conn(refs[1])
	last := c.History[len(c.History)-1]
	if last.Type != "task_created" || last.Why != after[0].Why || !last.Until.Equal(nextMonday) {
		t.Fatalf("the history of the moved task: %+v", last)
	}
}

// Time off without a cover: the task of a step reached while the seller is away stays theirs,
// due at their first working hour back, and the work list says so.
func TestAwayWithoutCoverTaskWaitsForTheReturn(t *testing.T) {
	w := newWorld(t)
	thursdayEvening := time.Date(2026, 3, 5, 18, 0, 0, 0, time.UTC)
	must(t, w.e.AddAway(w.ctx, "max", "sam", monday, thursdayEvening, ""))
	w.connect(w.sequence(callSequence), "lead/L-1") // Monday 09:00, sam away
	task := w.only("sam")
	wantTime(t, "the call's due time", task.DueAt, time.Date(2026, 3, 6, 9, 0, 0, 0, time.UTC)) // Friday 09:00
	if task.Why != "sam is away: due at their first working hour back" {
		t.Fatalf("the work list says %q", task.Why)
	}
	for _, other := range []string{"sue", "tom"} {
		if n := len(w.tasks(other)); n != 0 {
			t.Fatalf("%s has %d tasks; without a cover the task stays sam's", other, n)
		}
	}
	if n := len(w.tasksOf("sam", "lead/L-1")); n != 1 {
		t.Fatalf("sam has %d tasks for L-1", n)
	}
	// Paused and resumed while sam is still away, it waits for the return again.
	_, err := w.e.Pause(w.ctx, "max", "Call", engine.Targets{Refs: []string{"lead/L-1"}}, "", time.Time{})
	must(t, err)
	w.clock.Advance(time.Hour)
	_, err = w.e.Resume(w.ctx, "max", "Call", engine.Targets{Refs: []string{"lead/L-1"}})
	must(t, err)
	if task := w.only("sam"); !task.DueAt.Equal(time.Date(2026, 3, 6, 9, 0, 0, 0, time.UTC)) || task.Why == "" {
		t.Fatalf("resumed while sam is away, the task is due %s and says %q", task.DueAt, task.Why)
	}
	// Resumed after the return, it is due at once: the reason it moved no longer holds.
	_, err = w.e.Pause(w.ctx, "max", "Call", engine.Targets{Refs: []string{"lead/L-1"}}, "", time.Time{})
	must(t, err)
	w.clock.Set(time.Date(2026, 3, 6, 10, 0, 0, 0, time.UTC))
	_, err = w.e.Resume(w.ctx, "max", "Call", engine.Targets{Refs: []string{"lead/L-1"}})
	must(t, err)
	if task := w.only("sam"); !task.DueAt.Equal(w.clock.Now()) || task.Why != "" {
		t.Fatalf("after a resume the task is due %s and says %q, want due now and no reason", task.DueAt, task.Why)
	}
}

// A seller who snoozes a moved task chose its time: the reason goes.
func TestSnoozingAMovedTaskClearsWhy(t *testing.T) {
	w := newWorld(t)
	w.samAway("")
	w.connect(w.sequence(callSequence), "lead/L-1")
	task := w.only("sam")
	if task.Why == "" {
		t.Fatal("the task of a seller away says nothing")
	}
	w.act("sam", task.ID, engine.TaskAction{Kind: engine.ActSnooze, Until: task.DueAt.Add(2 * time.Hour)})
	if got := w.only("sam"); got.Why != "" || !got.DueAt.Equal(task.DueAt.Add(2*time.Hour)) {
		t.Fatalf("after snoozing: due %s, why %q", got.DueAt, got.Why)
	}
}

// max_per_day: what is over a mailbox's day goes out the next day, in its send window, and
// counts in that day.
func TestMaxPerDaySpreadsIntoTheNextDay(t *testing.T) {
	w := newWorld(t)
	w.setting("max_per_day", "2")
	seq := w.sequence(mailFirstSequence)
	first := w.leads("D", "tom", 3)
	w.connect(seq, first...) // Monday 09:00: three due at once
	w.tick()
	if k, q := w.keptAndQueued(first); k != 2 || q != 1 {
		t.Fatalf("Monday: %d kept, %d queued; want 2 and 1", k, q)
	}
	tuesday := monday.Add(24 * time.Hour)
	var held string
	for _, ref := range first {
		if w.outbox()[ref].State == "queued" {
			held = ref
		}
	}
	until, why := w.heldUntil(held)
	wantTime(t, "the hold of the third", until, tuesday)
	if !strings.Contains(why, "tom@example.com: 2 a day") {
		t.Fatalf("held for %q", why)
	}
	w.after(tuesday.Sub(w.clock.Now()) - time.Minute) // Tuesday 08:59: still the hold
	if k, _ := w.keptAndQueued(first); k != 2 {
		t.Fatalf("before Tuesday's window %d kept", k)
	}
	w.after(time.Minute)
	if m := w.outbox()[held]; m.State != "kept" || !m.SentAt.Equal(tuesday) {
		t.Fatalf("Tuesday 09:00 the third is %+v", m)
	}
	// It counts in Tuesday: of two more, one goes out, one waits for Wednesday.
	more := w.leads("E", "tom", 2)
	w.connect(seq, more...)
	w.tick()
	if k, q := w.keptAndQueued(more); k != 1 || q != 1 {
		t.Fatalf("Tuesday's two more: %d kept, %d queued; want 1 and 1", k, q)
	}
}

// A user's max_per_hour overrides the org's, up or down, for their mailbox only.
func TestUserSendLimitBeatsTheOrgDefault(t *testing.T) {
	w := newWorld(t)
	w.setting("max_per_hour", "2")
	_, err := w.e.SetUser(w.ctx, "ada", "tom", engine.UserChange{MaxPerHour: ptr(3)})
	must(t, err)
	_, err = w.e.SetUser(w.ctx, "ada", "sue", engine.UserChange{MaxPerHour: ptr(1)})
	must(t, err)
	seq := w.sequence(mailFirstSequence)
	toms, sues, sams := w.leads("T", "tom", 4), w.leads("S", "sue", 3), w.leads("M", "sam", 3)
	w.connect(seq, append(append(toms, sues...), sams...)...)
	w.tick()
	for _, c := range []struct {
		who          string
		refs         []string
		kept, queued int
	}{{"tom (3 an hour)", toms, 3, 1}, {"sue (1 an hour)", sues, 1, 2}, {"sam (the org's 2)", sams, 2, 1}} {
		if k, q := w.keptAndQueued(c.refs); k != c.kept || q != c.queued {
			t.Errorf("%s: %d kept, %d queued; want %d and %d", c.who, k, q, c.kept, c.queued)
		}
	}
	_, why := w.heldUntil(toms[3])
	if !strings.Contains(why, "tom@example.com: 3 an hour") {
		t.Fatalf("tom's fourth held for %q", why)
	}
}
