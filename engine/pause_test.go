package engine_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/pacer-sales/pacer/engine"
)

const pauseSequence = `name: Pause me
steps:
  - type: wait
    id: rest
    duration: 3d
  - type: call
    id: ring
  - type: task
    id: after
`

func TestPauseDuringWaitResumesWithTimeLeft(t *testing.T) {
	w := newWorld(t)
	seq := w.sequence(pauseSequence)
	w.connect(seq, "lead/L-1")
	w.after(24 * time.Hour) // two days of the wait left
	n, err := w.e.Pause(w.ctx, "max", seq, engine.Targets{Refs: []string{"lead/L-1"}}, "customer on holiday", time.Time{})
	must(t, err)
	if n != 1 {
		t.Fatalf("paused %d connections, want 1", n)
	}
	c := w.conn("lead/L-1")
	if c.Pause == nil || c.Pause.Left != 48*time.Hour || c.WakeAt != nil {
		t.Fatalf("paused connection: pause %+v, wake %v; want 48h left and no wake-up", c.Pause, c.WakeAt)
	}
	w.after(5 * 24 * time.Hour) // long past the wait's old end
	if c := w.conn("lead/L-1"); c.CurrentStep != "rest" || len(w.tasks("sam")) != 0 {
		t.Fatalf("while paused the connection moved to %s, sam has %d tasks", c.CurrentStep, len(w.tasks("sam")))
	}
	resumedAt := w.clock.Now()
	n, err = w.e.Resume(w.ctx, "max", seq, engine.Targets{Refs: []string{"lead/L-1"}})
	must(t, err)
	if n != 1 {
		t.Fatalf("resumed %d connections, want 1", n)
	}
	c = w.conn("lead/L-1")
	wantTime(t, "the wait's new end", *c.WakeAt, resumedAt.Add(48*time.Hour))
	w.after(48*time.Hour - time.Minute)
	if len(w.tasks("sam")) != 0 {
		t.Fatal("the call came before the wait's remaining time was over")
	}
	w.after(time.Minute)
	w.only("sam")
	got := strings.Join(kinds(w.conn("lead/L-1")), " ")
	if !strings.Contains(got, "paused:customer on holiday resumed step_entered") {
		t.Fatalf("history %s lacks paused, resumed", got)
	}
	for _, h := range w.conn("lead/L-1").History {
		if h.Type == "paused" && (h.By != "max" || h.Reason != "customer on holiday") {
			t.Fatalf("paused event %+v, want by max with the reason", h)
		}
	}
}

func TestPauseTakesTaskOutAndResumeBringsItBackDue(t *testing.T) {
	w := newWorld(t)
	seq := w.sequence(`name: Call first
steps:
  - type: call
    id: ring
  - type: task
    id: after
`)
	w.connect(seq, "lead/L-1")
	task := w.only("sam")
	_, err := w.e.Pause(w.ctx, "sam", seq, engine.Targets{Refs: []string{"lead/L-1"}}, "", time.Time{})
	must(t, err)
	if n := len(w.tasks("sam")); n != 0 {
		t.Fatalf("sam still has %d tasks after pausing", n)
	}
	if _, err := w.e.ActOnTask(w.ctx, "sam", task.ID, engine.TaskAction{Kind: engine.ActDone}); err == nil {
		t.Fatal("a paused connection's task could be done")
	}
	w.after(3 * time.Hour)
	_, err = w.e.Resume(w.ctx, "sam", seq, engine.Targets{Refs: []string{"lead/L-1"}})
	must(t, err)
	back := w.only("sam")
	if back.ID != task.ID {
		t.Fatalf("the task came back as %s, want %s", back.ID, task.ID)
	}
	wantTime(t, "the resumed task's due time", back.DueAt, w.clock.Now())
}

func TestPauseWholeSequenceAndResumeDate(t *testing.T) {
	w := newWorld(t)
	seq := w.sequence(pauseSequence)
	w.connect(seq, "lead/L-1", "lead/L-2", "lead/L-3")
	until := w.clock.Now().Add(10 * 24 * time.Hour)
	n, err := w.e.Pause(w.ctx, "max", seq, engine.Targets{All: true}, "quarter end", until)
	must(t, err)
	if n != 3 {
		t.Fatalf("paused %d, want 3", n)
	}
	// Pausing again names nothing new; a named record already paused is refused.
	if n, err := w.e.Pause(w.ctx, "max", seq, engine.Targets{All: true}, "", time.Time{}); err != nil || n != 0 {
		t.Fatalf("pausing the paused: %d, %v", n, err)
	}
	if _, err := w.e.Pause(w.ctx, "max", seq, engine.Targets{Refs: []string{"lead/L-1"}}, "", time.Time{}); !errors.Is(err, engine.ErrInvalid) || !strings.Contains(err.Error(), "lead/L-1 is paused already") {
		t.Fatalf("pausing a paused record: %v", err)
	}
	w.after(5 * 24 * time.Hour)
	if c := w.conn("lead/L-2"); c.Pause == nil || c.CurrentStep != "rest" {
		t.Fatalf("before its resume date L-2 is %+v", c)
	}
	w.after(5 * 24 * time.Hour) // the resume date: each wait goes on with its 3 days
	c := w.conn("lead/L-2")
	if c.Pause != nil || c.WakeAt == nil {
		t.Fatalf("at the resume date L-2 is still paused: %+v", c)
	}
	wantTime(t, "L-2's wait end", *c.WakeAt, until.Add(3*24*time.Hour))
	// A seller's --where reaches only their own records (sue's L-3, her team's L-2).
	n, err = w.e.Pause(w.ctx, "sue", seq, engine.Targets{Field: "stage", Value: "NEW"}, "", time.Time{})
	must(t, err)
	if n != 2 || w.conn("lead/L-3").Pause == nil || w.conn("lead/L-1").Pause != nil {
		t.Fatalf("sue's --where stage=new paused %d; L-3 %v, L-1 %v", n, w.conn("lead/L-3").Pause, w.conn("lead/L-1").Pause)
	}
	if _, err := w.e.Pause(w.ctx, "sue", seq, engine.Targets{Refs: []string{"lead/L-1"}}, "", time.Time{}); !errors.Is(err, engine.ErrInvalid) || !strings.Contains(err.Error(), "can only pause records they own") {
		t.Fatalf("sue pausing sam's record: %v", err)
	}
}

func TestPausedWorkingWaitResumesWithWorkingTimeLeft(t *testing.T) {
	w := newWorld(t)
	w.setting("holidays", "us")
	seq := w.sequence(`name: Working pause
options: {skip_non_working_days: true}
steps:
  - type: wait
    id: rest
    duration: 2d
  - type: call
    id: ring
`)
	day := func(m time.Month, d, h int) time.Time { return time.Date(2026, m, d, h, 0, 0, 0, time.UTC) }
	w.clock.Set(day(time.November, 25, 13)) // Wednesday before Thanksgiving, 13:00
	w.connect(seq, "lead/L-1")              // two working days: 16 working hours
	w.after(2 * time.Hour)                  // 15:00: 14 working hours left
	_, err := w.e.Pause(w.ctx, "max", seq, engine.Targets{Refs: []string{"lead/L-1"}}, "", time.Time{})
	must(t, err)
	if p := w.conn("lead/L-1").Pause; p == nil || p.Left != 14*time.Hour || !p.Working {
		t.Fatalf("pause %+v: want 14h of working time left", p)
	}
	// Paused over Thanksgiving and the weekend, resumed Tuesday 09:00: Tuesday's eight
	// hours and six of Wednesday's are left, so the wait ends Wednesday 15:00 (the wall
	// clock's remainder, 4d22h from the pause, would end it on a Sunday).
	w.clock.Set(day(time.December, 1, 9))
	w.after(0)
	_, err = w.e.Resume(w.ctx, "max", seq, engine.Targets{Refs: []string{"lead/L-1"}})
	must(t, err)
	want := day(time.December, 2, 15)
	wantTime(t, "the wait's end after the resume", *w.conn("lead/L-1").WakeAt, want)
	w.after(want.Sub(w.clock.Now()) - time.Minute)
	if n := len(w.tasks("sam")); n != 0 {
		t.Fatalf("the call came %v before the working time left was over", time.Minute)
	}
	w.after(time.Minute)
	w.only("sam")
}

// A task that resumes while its seller is away goes as a new one would: to the cover, else
// due at the seller's first working hour back, saying why.
func TestResumeWhileTheSellerIsAway(t *testing.T) {
	for _, cover := range []string{"sue", ""} {
		t.Run("cover="+cover, func(t *testing.T) {
			w := newWorld(t)
			seq := w.sequence(`name: Call first
steps:
  - type: call
    id: ring
`)
			w.connect(seq, "lead/L-1")
			w.only("sam")
			_, err := w.e.Pause(w.ctx, "sam", seq, engine.Targets{Refs: []string{"lead/L-1"}}, "", time.Time{})
			must(t, err)
			back := w.samAway(cover)
			w.after(time.Hour)
			_, err = w.e.Resume(w.ctx, "max", seq, engine.Targets{Refs: []string{"lead/L-1"}})
			must(t, err)
			if cover != "" {
				task := w.only("sue")
				wantTime(t, "the covered task's due time", task.DueAt, w.clock.Now())
				if !strings.Contains(task.Why, "covered by sue") {
					t.Fatalf("the covered task says %q", task.Why)
				}
				if n := len(w.tasks("sam")); n != 0 {
					t.Fatalf("sam, away, has %d tasks", n)
				}
				return
			}
			task := w.only("sam")
			wantTime(t, "the task's due time", task.DueAt, back)
			if !strings.Contains(task.Why, "sam is away") {
				t.Fatalf("the task says %q", task.Why)
			}
		})
	}
}
