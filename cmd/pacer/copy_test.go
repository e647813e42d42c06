package main

import (
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/pacer-sales/pacer/store/postgres/pgtest"
)

// TestCopyBetweenBackends moves the demo org, run for a while, from a bbolt file to
// PostgreSQL and back to a new file: doctor is clean on every copy, and every sequence
// export, record (with its connections and histories) and the whole work list read the
// same on all three.
func TestCopyBetweenBackends(t *testing.T) {
	dir := t.TempDir()
	file, back := filepath.Join(dir, "pacer.db"), filepath.Join(dir, "back.db")
	pg := pgtest.DSN(t)
	const now = "2026-03-02T09:00:00Z"
	ok(t, pacer(t, file, "--now", now, "demo"))
	ok(t, pacer(t, file, "--now", "2026-03-09T12:00:00Z", "tick"))

	ok(t, pacer(t, "", "copy", "--from", file, "--to", pg))
	ok(t, pacer(t, "", "copy", "--from", pg, "--to", back))
	if r := pacer(t, "", "copy", "--from", file, "--to", pg); r.code == 0 {
		t.Error("a copy into a database that holds an org succeeded, want it refused")
	}

	read := func(db string) map[string]string {
		t.Helper()
		out := map[string]string{}
		out["doctor"] = ok(t, pacer(t, db, "--now", now, "doctor")).stdout
		out["tasks"] = ok(t, pacer(t, db, "--now", now, "tasks", "--all", "--due", "all", "--json")).stdout
		out["outbox"] = ok(t, pacer(t, db, "--now", now, "outbox", "--json")).stdout
		var seqs []struct{ Name string }
		if err := json.Unmarshal([]byte(ok(t, pacer(t, db, "seq", "list", "--json")).stdout), &seqs); err != nil || len(seqs) == 0 {
			t.Fatalf("seq list --json: %d sequences, %v", len(seqs), err)
		}
		for _, s := range seqs {
			out["seq "+s.Name] = ok(t, pacer(t, db, "seq", "export", s.Name)).stdout
		}
		var recs []struct{ Entity, ID string }
		if err := json.Unmarshal([]byte(ok(t, pacer(t, db, "record", "list", "--json")).stdout), &recs); err != nil || len(recs) == 0 {
			t.Fatalf("record list --json: %d records, %v", len(recs), err)
		}
		for _, r := range recs {
			ref := r.Entity + "/" + r.ID
			out["record "+ref] = ok(t, pacer(t, db, "--now", now, "record", "show", ref, "--json")).stdout
		}
		return out
	}
	want := read(file)
	if len(want["tasks"]) < 10 {
		t.Fatalf("the demo org has no work list to compare: %q", want["tasks"])
	}
	for name, db := range map[string]string{"PostgreSQL": pg, "the copy back": back} {
		got := read(db)
		if len(got) != len(want) {
			t.Errorf("%s: %d outputs, want %d", name, len(got), len(want))
		}
		for k, w := range want {
			if got[k] != w {
				t.Errorf("%s: %s differs:\n got  %.600s\n want %.600s", name, k, got[k], w)
			}
		}
	}
}
