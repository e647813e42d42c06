package engine_test

import (
	"strings"
	"testing"
	"time"

	"github.com/pacer-sales/pacer/store"
)

const mailFirstSequence = `name: Mail first
steps:
  - type: auto_email
    id: hello
    template: intro
  - type: task
    id: after
`

// heldUntil returns the Until of the connection's message_held entry, failing without one.
func (w *world) heldUntil(ref string) (time.Time, string) {
	w.t.Helper()
	for _, h := range w.conn(ref).History {
		if h.Type == store.EventMessageHeld {
			return h.Until, h.Why
		}
	}
	w.t.Fatalf("%s has no message_held in its history: %v", ref, kinds(w.conn(ref)))
	return time.Time{}, ""
}

func TestEmailToTokyoWaitsForItsMorning(t *testing.T) {
	w := newWorld(t)
	_, err := w.e.ImportRecords(w.ctx, "max", "tokyo.csv", strings.NewReader("id,name,owner,email,timezone\nL-9,Kenji Sato,sam,kenji@example.jp,Asia/Tokyo\n"), "lead")
	must(t, err)
	seq := w.sequence(mailFirstSequence)
	w.connect(seq, "lead/L-9", "lead/L-1")                        // Monday 09:00 UTC: 18:00 in Tokyo
	tuesdayInTokyo := time.Date(2026, 3, 3, 0, 0, 0, 0, time.UTC) // 09:00 in Tokyo
	until, why := w.heldUntil("lead/L-9")
	wantTime(t, "the hold of Tokyo's email", until, tuesdayInTokyo)
	if !strings.Contains(why, "Asia/Tokyo") || !strings.Contains(why, "record's time zone") {
		t.Fatalf("why = %q", why)
	}
	box := w.outbox()
	if m := box["lead/L-9"]; m.State != "queued" || !m.NextTry.Equal(tuesdayInTokyo) || !strings.Contains(m.Held, "send window") {
		t.Fatalf("Tokyo's message in the outbox: %+v", m)
	}
	if m := box["lead/L-1"]; m.State != "kept" { // L-1 has no zone: the org's, 09:00 UTC is open
		t.Fatalf("L-1's message: %+v", m)
	}
	w.after(15*time.Hour - time.Minute)
	if m := w.outbox()["lead/L-9"]; m.State != "queued" {
		t.Fatalf("a minute before Tokyo's morning the message is %s", m.State)
	}
	w.after(time.Minute)
	m := w.outbox()["lead/L-9"]
	if m.State != "kept" || !m.SentAt.Equal(tuesdayInTokyo) {
		t.Fatalf("at Tokyo's morning the message is %+v", m)
	}
	if c := w.conn("lead/L-9"); c.CurrentStep != "after" {
		t.Fatalf("after its email the connection is at %s", c.CurrentStep)
	}
}

func TestSendWindowAcrossDSTInTheSendersZone(t *testing.T) {
	w := newWorld(t)
	must(t, w.e.AddUser(w.ctx, "ada", store.User{Username: "nina", Roles: []store.Role{store.RoleSeller}, Email: "nina@example.com", TimeZone: "America/New_York"}))
	_, err := w.e.ImportRecords(w.ctx, "max", "ny.csv", strings.NewReader("id,name,owner,email\nL-7,Ann Ray,nina,ann@example.com\n"), "lead")
	must(t, err)
	// Saturday 2026-03-07 12:00 UTC (07:00 EST); the clocks go forward on Sunday the 8th.
	w.clock.Set(time.Date(2026, 3, 7, 12, 0, 0, 0, time.UTC))
	seq := w.sequence(strings.Replace(mailFirstSequence, "steps:", "options:\n  send_window: 08:00-18:00\nsteps:", 1))
	w.connect(seq, "lead/L-7")
	until, why := w.heldUntil("lead/L-7")
	// Monday 08:00 EDT is 12:00 UTC (it would be 13:00 UTC in winter time).
	wantTime(t, "the hold across the change", until, time.Date(2026, 3, 9, 12, 0, 0, 0, time.UTC))
	if !strings.Contains(why, "08:00-18:00") || !strings.Contains(why, "sender's time zone") {
		t.Fatalf("why = %q", why)
	}
}

func TestSendWindowAnyAndHolidays(t *testing.T) {
	w := newWorld(t)
	w.clock.Set(time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)) // Thanksgiving, 10:00 UTC
	w.connect(w.sequence(strings.Replace(mailFirstSequence, "steps:", "options:\n  send_window: any\nsteps:", 1)), "lead/L-1")
	if m := w.outbox()["lead/L-1"]; m.State != "kept" {
		t.Fatalf("send_window any: %+v", m)
	}
	w.setting("holidays", "us")
	w.connect(w.sequence(strings.Replace(mailFirstSequence, "Mail first", "Mail second", 1)), "lead/L-2")
	until, _ := w.heldUntil("lead/L-2")
	wantTime(t, "the hold over Thanksgiving", until, time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC))
}
