package engine_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/pacer-sales/pacer/engine"
	"github.com/pacer-sales/pacer/store/bolt"
)

func TestMailboxLimitSpreadsFiveOverThreeHours(t *testing.T) {
	w := newWorld(t)
	w.setting("max_per_hour", "2")
	refs := w.tomsLeads("T", 5)
	w.connect(w.sequence(mailFirstSequence), refs...) // Monday 09:00: all five due at once
	sentBy := func() (kept, queued int) {
		for _, m := range w.outbox() { // fails on a second message for a record
			switch m.State {
			case "kept":
				kept++
			case "queued":
				queued++
			}
		}
		return kept, queued
	}
	var got []string
	for hour := 0; hour < 4; hour++ {
		if hour > 0 {
			w.after(time.Hour)
		} else {
			w.after(0)
		}
		k, q := sentBy()
		got = append(got, fmt.Sprintf("%d/%d", k, q))
	}
	if strings.Join(got, " ") != "2/3 4/1 5/0 5/0" {
		t.Fatalf("kept/queued at 09:00, 10:00, 11:00, 12:00 = %v, want 2/3 4/1 5/0 5/0", got)
	}
	for _, ref := range refs {
		n := 0
		for _, h := range w.conn(ref).History {
			if h.Type == "email_sent" {
				n++
			}
		}
		if n != 1 {
			t.Fatalf("%s has %d email_sent, want 1", ref, n)
		}
	}
	until, why := w.heldUntil("lead/T-5")
	if !strings.Contains(why, "tom@example.com: 2 an hour") || until.Before(monday.Add(time.Hour)) {
		t.Fatalf("T-5's hold: until %s, why %q", until, why)
	}
}

func TestMinSpacingBetweenTwoEmails(t *testing.T) {
	w := newWorld(t)
	w.setting("min_spacing", "10m")
	_, err := w.e.ImportRecords(w.ctx, "max", "two.csv", strings.NewReader("id,name,owner,email\nS-1,One,tom,s1@example.com\nS-2,Two,tom,s2@example.com\n"), "lead")
	must(t, err)
	w.connect(w.sequence(mailFirstSequence), "lead/S-1", "lead/S-2")
	w.after(0)
	if k := w.outbox(); (k["lead/S-1"].State == "kept") == (k["lead/S-2"].State == "kept") {
		t.Fatalf("with 10m spacing exactly one of two goes out at once: %+v", k)
	}
	w.after(10 * time.Minute)
	for ref, m := range w.outbox() {
		if m.State != "kept" {
			t.Fatalf("%s is %s ten minutes later", ref, m.State)
		}
	}
}

// restart closes the database and opens it again under a new Engine, as a restart of pacer
// does: nothing the old engine kept in memory is there.
func (w *world) restart() {
	w.t.Helper()
	if db, ok := w.db.(*bolt.DB); ok {
		path := db.Path()
		must(w.t, db.Close())
		reopened, err := bolt.Open(path, bolt.Options{NoSync: true})
		must(w.t, err)
		w.t.Cleanup(func() { _ = reopened.Close() })
		w.db = reopened
	}
	w.e = engine.New(w.db, w.clock)
}

func TestMailboxLimitHoldsAcrossRestart(t *testing.T) {
	w := newWorld(t)
	w.setting("max_per_hour", "2")
	csv := "id,name,owner,email\n"
	for i := 1; i <= 4; i++ {
		csv += fmt.Sprintf("R-%d,Lead %d,tom,r%d@example.com\n", i, i, i)
	}
	_, err := w.e.ImportRecords(w.ctx, "max", "four.csv", strings.NewReader(csv), "lead")
	must(t, err)
	seq := w.sequence(mailFirstSequence)
	w.connect(seq, "lead/R-1", "lead/R-2") // Monday 09:00: the hour's two
	w.after(0)
	kept := func() (n int) {
		for _, m := range w.outbox() {
			if m.State == "kept" {
				n++
			}
		}
		return n
	}
	if n := kept(); n != 2 {
		t.Fatalf("%d kept at 09:00, want 2", n)
	}
	w.restart()
	w.clock.Advance(20 * time.Minute)
	w.connect(seq, "lead/R-3", "lead/R-4") // due at once, but the hour's two went out before the restart
	w.after(0)
	if n := kept(); n != 2 {
		t.Fatalf("after a restart at 09:20, %d kept: the mailbox sent past its 2 an hour", n)
	}
	until, why := w.heldUntil("lead/R-3")
	wantTime(t, "R-3's hold", until, monday.Add(time.Hour))
	if !strings.Contains(why, "2 an hour") {
		t.Fatalf("R-3 held for %q", why)
	}
	w.restart()
	w.after(40 * time.Minute) // 10:00: a new hour
	if n := kept(); n != 4 {
		t.Fatalf("%d kept at 10:00, want all 4", n)
	}
}

// tomsLeads imports n leads of tom's with ids PREFIX-1 … PREFIX-n, each with an email
// address of its own, and returns their references.
func (w *world) tomsLeads(prefix string, n int) []string {
	w.t.Helper()
	csv := "id,name,owner,email\n"
	var refs []string
	for i := 1; i <= n; i++ {
		csv += fmt.Sprintf("%s-%d,Lead %s%d,tom,%s%d@example.com\n", prefix, i, prefix, i, strings.ToLower(prefix), i)
		refs = append(refs, fmt.Sprintf("lead/%s-%d", prefix, i))
	}
	_, err := w.e.ImportRecords(w.ctx, "max", prefix+".csv", strings.NewReader(csv), "lead")
	must(w.t, err)
	return refs
}
