package main

import (
	"encoding/json"
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
