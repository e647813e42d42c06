package postgres

import (
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/pacer-sales/pacer/store"
	"github.com/pacer-sales/pacer/store/postgres/pgtest"
)

// TestRecordsSortedUseTheirIndex: every query of RecordsSorted is a walk of its order's
// index (schema 5, or records_ref for the id order), with no sort of the rows, so a page of a
// million records is as quick as one of ten.
func TestRecordsSortedUseTheirIndex(t *testing.T) {
	ctx := t.Context()
	dsn := pgtest.DSN(t)
	db, err := Open(ctx, dsn, Options{})
	if err != nil {
		t.Fatal(err)
	}
	_ = db.Close()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	// A table this small would be read whole; the planner is asked to use an index if it can.
	if _, err := conn.Exec(ctx, "SET enable_seqscan = off"); err != nil {
		t.Fatal(err)
	}
	index := map[store.RecordSort]string{
		store.SortByID: "records_ref", store.SortByName: "records_by_name",
		store.SortByModified: "records_by_modified", store.SortByOwner: "records_by_owner",
	}
	for _, by := range store.RecordSorts {
		for _, desc := range []bool{false, true} {
			for _, after := range []bool{false, true} {
				o := store.RecordOrder{By: by, Desc: desc}
				args := []any{"lead"}
				if after {
					if _, v := sortColumn(by, store.Record{Name: "Bo", Owner: "sam"}); by != store.SortByID {
						args = append(args, v)
					}
					args = append(args, "L-1")
				}
				var plan []string
				rows, err := conn.Query(ctx, "EXPLAIN "+sortedSQL(o, after), args...)
				if err != nil {
					t.Fatalf("%v after %v: %v", o, after, err)
				}
				for rows.Next() {
					var line string
					if err := rows.Scan(&line); err != nil {
						t.Fatal(err)
					}
					plan = append(plan, line)
				}
				rows.Close()
				text := strings.Join(plan, "\n")
				if !strings.Contains(text, index[by]) || strings.Contains(text, "Sort") {
					t.Errorf("%v after %v: the plan is not a walk of %s:\n%s", o, after, index[by], text)
				}
			}
		}
	}
}
