package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestHolidayCommands(t *testing.T) {
	db := demoDB(t)
	ok(t, pacer(t, db, "settings", "holidays", "us"))
	ok(t, pacer(t, db, "holiday", "add", "2026-12-24", "Christmas", "Eve"))
	r := ok(t, pacer(t, db, "holiday", "list", "--year", "2026"))
	for _, want := range []string{"2026-11-26  Thanksgiving Day", "2026-12-24  Christmas Eve", "org"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("holiday list lacks %q:\n%s", want, r.stdout)
		}
	}
	r = ok(t, pacer(t, db, "holiday", "list", "--year", "2026", "--json"))
	var days []struct {
		Date, Name string
		Own        bool
	}
	if err := json.Unmarshal([]byte(r.stdout), &days); err != nil {
		t.Fatal(err)
	}
	own := 0
	for _, d := range days {
		if d.Own {
			own++
		}
	}
	if own != 1 || len(days) < 11 {
		t.Fatalf("holiday list --json: %d days, %d own: %+v", len(days), own, days)
	}
	ok(t, pacer(t, db, "holiday", "remove", "2026-12-24"))
	if r := pacer(t, db, "holiday", "remove", "2026-12-24"); r.code != 1 || !strings.Contains(r.stderr, "no holiday of the org on 2026-12-24") {
		t.Fatalf("removing it twice: exit %d, %s", r.code, r.stderr)
	}
	if r := pacer(t, db, "settings", "holidays", "atlantis"); r.code != 1 || !strings.Contains(r.stderr, "unknown country or region") {
		t.Fatalf("settings holidays atlantis: exit %d, %s", r.code, r.stderr)
	}
}

func TestPauseResumeCommands(t *testing.T) {
	db := demoDB(t)
	r := ok(t, pacer(t, db, "seq", "list", "--json"))
	var seqs []struct{ Name string }
	if err := json.Unmarshal([]byte(r.stdout), &seqs); err != nil || len(seqs) == 0 {
		t.Fatal(err)
	}
	r = ok(t, pacer(t, db, "pause", seqs[0].Name, "--all", "--reason", "trade show", "--until", "2099-01-02"))
	if !strings.HasPrefix(r.stdout, "Paused ") {
		t.Fatalf("pause: %s", r.stdout)
	}
	r = ok(t, pacer(t, db, "resume", seqs[0].Name, "--all"))
	if !strings.HasPrefix(r.stdout, "Resumed ") || strings.Fields(r.stdout)[1] != strings.Fields(ok(t, pacer(t, db, "pause", seqs[0].Name, "--all")).stdout)[1] {
		t.Fatalf("resume: %s", r.stdout)
	}
	if r := pacer(t, db, "pause", seqs[0].Name); r.code != 1 || !strings.Contains(r.stderr, "--all") {
		t.Fatalf("pause without targets: exit %d, %s", r.code, r.stderr)
	}
	if r := pacer(t, db, "pause", seqs[0].Name, "--all", "--until", "soon"); r.code != 1 || !strings.Contains(r.stderr, "--until") {
		t.Fatalf("pause --until soon: exit %d, %s", r.code, r.stderr)
	}
}

func TestSimulateSaysWhyAnEmailMoved(t *testing.T) {
	db := orgDB(t)
	ok(t, pacer(t, db, "settings", "holidays", "us"))
	// Wednesday before Thanksgiving, 20:00 UTC: the email waits for Friday morning.
	r := ok(t, pacer(t, db, "--now", "2026-11-25T20:00:00Z", "simulate", "Outreach"))
	for _, want := range []string{"message held until 2026-11-27 09:00", "send window 09:00-17:00 in UTC", "2026-11-27 09:00"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("timeline lacks %q:\n%s", want, r.stdout)
		}
	}
}

func TestSimulateSaysWhyASendingLimitAndAPauseMovedSteps(t *testing.T) {
	db := orgDB(t)
	ok(t, pacer(t, db, "settings", "max_per_hour", "1"))
	ok(t, pacer(t, db, "--now", "2026-03-02T09:00:00Z", "connect", "Outreach", "lead/L-1")) // sam's hour's one
	r := ok(t, pacer(t, db, "--now", "2026-03-02T09:10:00Z", "simulate", "Outreach", "--record", "lead/L-2",
		"--outcome", "ring=no_answer", "--pause", "1h+2d=trade show"))
	for _, want := range []string{
		"message held until 2026-03-02 10:00: held by the sending limit of sam@example.com: 1 an hour",
		"paused (trade show) until 2026-03-04 10:10",
		"2026-03-06 10:00  Phone call [ring-again]  step entered",
		"resumed: paused for 2d (trade show): the step goes on with the time it had left",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("timeline lacks %q:\n%s", want, r.stdout)
		}
	}
	if r := pacer(t, db, "simulate", "Outreach", "--pause", "1d"); r.code != 1 || !strings.Contains(r.stderr, "AFTER+FOR") {
		t.Fatalf("--pause 1d: exit %d, %s", r.code, r.stderr)
	}
}

func TestOutboxShowsHeldMessages(t *testing.T) {
	db := orgDB(t)
	ok(t, pacer(t, db, "--now", "2026-03-02T20:00:00Z", "connect", "Outreach", "lead/L-1"))
	r := ok(t, pacer(t, db, "--now", "2026-03-02T20:05:00Z", "outbox"))
	if !strings.Contains(r.stdout, "queued until 2026-03-03 09:00 (held for the send window 09:00-17:00") {
		t.Fatalf("outbox:\n%s", r.stdout)
	}
}

func TestAwayAndUserSetWorkTime(t *testing.T) {
	db := orgDB(t)
	ok(t, pacer(t, db, "user", "set", "sam", "--workhours", "08:00-16:00", "--workdays", "mon-thu", "--max-per-hour", "5"))
	if r := pacer(t, db, "user", "set", "sam", "--workdays", "someday"); r.code != 1 || !strings.Contains(r.stderr, "someday") {
		t.Fatalf("--workdays someday: exit %d, %s", r.code, r.stderr)
	}
	ok(t, pacer(t, db, "away", "add", "sam", "--from", "2026-03-02", "--to", "2026-03-05T08:00:00Z"))
	if r := pacer(t, db, "away", "add", "sam", "--from", "2026-03-06", "--to", "2026-03-05"); r.code != 1 || !strings.Contains(r.stderr, "is not after") {
		t.Fatalf("backwards time off: exit %d, %s", r.code, r.stderr)
	}
	ok(t, pacer(t, db, "--now", "2026-03-02T09:00:00Z", "connect", "Outreach", "lead/L-1"))
	r := ok(t, pacer(t, db, "record", "show", "lead/L-1", "--json"))
	if !strings.Contains(r.stdout, "held while the sender sam is away") {
		t.Fatalf("sam's email while away:\n%s", r.stdout)
	}
	ok(t, pacer(t, db, "away", "remove", "sam", "--from", "2026-03-02"))
}

func TestTasksSayWhyTheyMoved(t *testing.T) {
	db := orgDB(t)
	seq := filepath.Join(t.TempDir(), "calls.yaml")
	if err := os.WriteFile(seq, []byte("name: Calls\nsteps:\n  - type: call\n    id: ring\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ok(t, pacer(t, db, "seq", "import", seq, "--activate"))
	ok(t, pacer(t, db, "settings", "holidays", "us"))
	ok(t, pacer(t, db, "--now", "2026-11-26T10:00:00Z", "connect", "Calls", "lead/L-1")) // Thanksgiving
	const why = "due moved from the holiday Thanksgiving Day to the next working hour"
	r := ok(t, pacer(t, db, "--as", "sam", "tasks"))
	head, rest, _ := strings.Cut(r.stdout, "\n")
	if !strings.HasSuffix(strings.TrimSpace(head), "ASSIGNEES  WHY") || !strings.Contains(rest, "2026-11-27 09:00") || !strings.Contains(rest, why) {
		t.Fatalf("pacer tasks:\n%s", r.stdout)
	}
	var rows []struct{ Why string }
	if err := json.Unmarshal([]byte(ok(t, pacer(t, db, "--as", "sam", "tasks", "--json")).stdout), &rows); err != nil || len(rows) != 1 || rows[0].Why != why {
		t.Fatalf("pacer tasks --json: %+v, %v", rows, err)
	}
}
