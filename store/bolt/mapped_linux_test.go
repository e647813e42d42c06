package bolt

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/pacer-sales/pacer/store"
)

// mappedKB returns the resident size in kB of the mapping that starts at data.
func mappedKB(t *testing.T, data uintptr) int {
	t.Helper()
	f, err := os.Open("/proc/self/smaps")
	if err != nil {
		t.Skip(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	in := false
	for sc.Scan() {
		line := sc.Text()
		if start, _, ok := strings.Cut(line, "-"); ok && !strings.Contains(start, ":") && !strings.Contains(start, " ") {
			s, err := strconv.ParseUint(start, 16, 64)
			in = err == nil && uintptr(s) == data
			continue
		}
		if rest, ok := strings.CutPrefix(line, "Rss:"); in && ok {
			kb, err := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(rest, "kB")))
			if err != nil {
				t.Fatal(err)
			}
			return kb
		}
	}
	t.Fatalf("no mapping at %#x", data)
	return 0
}

// TestUpdateUnmapsPages reads a database of several MB through its mapping, then checks
// that a write transaction leaves none of its pages mapped.
func TestUpdateUnmapsPages(t *testing.T) {
	db := openTestDB(t)
	ctx := context.Background()
	for i := 0; i < 20_000; i += 5000 {
		if err := db.Update(ctx, func(tx store.Tx) error {
			for j := i; j < i+5000; j++ {
				r := store.Record{Entity: "lead", ID: fmt.Sprintf("L-%06d", j), Name: strings.Repeat("n", 200)}
				if _, err := tx.PutRecord(r); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	n := 0
	if err := db.View(ctx, func(tx store.Tx) error {
		return tx.Records("lead", func(store.Record) bool { n++; return true })
	}); err != nil || n != 20_000 {
		t.Fatal(n, err)
	}
	data := db.bdb.Info().Data
	before := mappedKB(t, data)
	if before < 2048 {
		t.Fatalf("reading every record left %d kB mapped; want several MB", before)
	}
	if err := db.Update(ctx, func(tx store.Tx) error { return tx.PutUser(store.User{Username: "ada"}) }); err != nil {
		t.Fatal(err)
	}
	if after := mappedKB(t, db.bdb.Info().Data); after > 256 {
		t.Errorf("after a write transaction %d kB of the file are mapped (%d before); want next to none", after, before)
	} else {
		t.Logf("mapped: %d kB before the write transaction, %d kB after", before, after)
	}
}
