package storetest

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/pacer-sales/pacer/store"
)

// testRecordsSorted checks RecordsSorted: every order both ways against a sort of the
// records done here, pages that start after a record (one that was removed too), ties by
// id, a record that moves when it changes, removed records and other entities left out.
func testRecordsSorted(t *testing.T, s store.Store) {
	names := []string{"bo Chen", "Ana Lima", "ana lima", "Zoe", "émile", "Bo chen", "cy", "Ana"}
	owners := []string{"sam", "ada", "", "team:west", "sam", "ada", "Sam", "sam"}
	var want []store.Record
	update(t, s, func(tx store.Tx) error {
		// More records than a backend reads at once (the 600 near the end share a name, an
		// owner and a time, so only their ids order them).
		for i := range 620 {
			r := store.Record{Entity: "lead", ID: fmt.Sprintf("L-%03d", (i*37)%620), ModifiedAt: at(i % 9)}
			r.Name, r.Owner = names[i%len(names)], owners[i%len(owners)]
			if i >= 20 {
				r.Name, r.Owner, r.ModifiedAt = "Same", "same", at(100)
			}
			got, err := tx.PutRecord(r)
			if err != nil {
				return err
			}
			want = append(want, got)
		}
		_, err := tx.PutRecord(store.Record{Entity: "account", ID: "A-1", Name: "Aaa", ModifiedAt: at(0)})
		return err
	})
	// One record changes name, owner and time: it moves; one is removed.
	update(t, s, func(tx store.Tx) error {
		r, err := tx.Record("lead", want[3].ID)
		if err != nil {
			return err
		}
		r.Name, r.Owner, r.ModifiedAt = "AAA first", "aaa", at(-5)
		if _, err := tx.PutRecord(r); err != nil {
			return err
		}
		_, err = tx.RemoveRecord("lead", want[5].ID)
		return err
	})
	want[3].Name, want[3].Owner, want[3].ModifiedAt = "AAA first", "aaa", at(-5)
	removed := want[5]
	want = slices.Delete(want, 5, 6)

	value := func(by store.RecordSort, r store.Record) string {
		switch by {
		case store.SortByName:
			return store.FoldName(r.Name)
		case store.SortByModified:
			return fmt.Sprintf("%020d", r.ModifiedAt.UnixNano())
		case store.SortByOwner:
			return r.Owner
		}
		return ""
	}
	sorted := func(o store.RecordOrder, recs []store.Record) []string {
		recs = slices.Clone(recs)
		slices.SortFunc(recs, func(a, b store.Record) int {
			c := cmp.Or(strings.Compare(value(o.By, a), value(o.By, b)), strings.Compare(a.ID, b.ID))
			if o.Desc {
				return -c
			}
			return c
		})
		out := make([]string, len(recs))
		for i, r := range recs {
			out[i] = r.ID
		}
		return out
	}
	walk := func(o store.RecordOrder, after *store.Record, limit int) []string {
		var got []string
		view(t, s, func(tx store.Tx) error {
			return tx.RecordsSorted("lead", o, after, func(r store.Record) bool {
				got = append(got, r.ID)
				return limit == 0 || len(got) < limit
			})
		})
		return got
	}
	for _, by := range store.RecordSorts {
		for _, desc := range []bool{false, true} {
			o := store.RecordOrder{By: by, Desc: desc}
			all := sorted(o, want)
			name := fmt.Sprintf("RecordsSorted(%s, desc %v)", by, desc)
			wantOrder(t, name, walk(o, nil, 0), all)
			// Pages: each starts after the last record of the one before.
			var paged []string
			var after *store.Record
			for len(paged) < len(all) {
				page := walk(o, after, 7)
				if len(page) == 0 {
					break
				}
				paged = append(paged, page...)
				last := page[len(page)-1]
				i := slices.IndexFunc(want, func(r store.Record) bool { return r.ID == last })
				after = &want[i]
			}
			wantOrder(t, name+" in pages of 7", paged, all)
			// After a record that is gone: where it would be.
			rest := sorted(o, append(slices.Clone(want), removed))
			i := slices.Index(rest, removed.ID)
			wantOrder(t, name+" after a removed record", walk(o, &removed, 0), rest[i+1:])
		}
	}
	view(t, s, func(tx store.Tx) error {
		if err := tx.RecordsSorted("", store.RecordOrder{By: store.SortByName}, nil, func(store.Record) bool { return true }); err == nil {
			t.Error("RecordsSorted without an entity: no error")
		}
		if err := tx.RecordsSorted("lead", store.RecordOrder{By: "stage"}, nil, func(store.Record) bool { return true }); err == nil {
			t.Error("RecordsSorted by an unknown order: no error")
		}
		return nil
	})
}
