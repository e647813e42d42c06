package postgres

import (
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/pacer-sales/pacer/store"
)

// schema5 indexes the records in use in each order of store.RecordsSorted but by id
// (records_ref is that one). The name is folded with translate, which folds ASCII letters
// alone whatever the database's locale, as store.FoldName does.
const schema5 = `
CREATE INDEX records_by_name ON records (entity, (` + foldedName + `), id) WHERE NOT removed;
CREATE INDEX records_by_modified ON records (entity, modified_at, id) WHERE NOT removed;
CREATE INDEX records_by_owner ON records (entity, (owner COLLATE "C"), id) WHERE NOT removed;
`

// foldedName is store.FoldName in SQL.
const foldedName = `translate(name, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz') COLLATE "C"`

// sortColumn is the SQL of a sort's value (as its index has it) and the value of r in it.
func sortColumn(by store.RecordSort, r store.Record) (string, any) {
	switch by {
	case store.SortByName:
		return foldedName, store.FoldName(r.Name)
	case store.SortByModified:
		return "modified_at", nanos(r.ModifiedAt)
	case store.SortByOwner:
		return `owner COLLATE "C"`, r.Owner
	}
	return "id", r.ID
}

// RecordsSorted implements store.Tx: pages of the order's index, each starting after the
// last record of the one before.
func (t *tx) RecordsSorted(entity string, o store.RecordOrder, after *store.Record, fn func(store.Record) bool) error {
	if entity == "" {
		return errors.New("records sorted: no entity")
	}
	if err := store.CheckOrder(o); err != nil {
		return err
	}
	for {
		args := []any{entity}
		if after != nil {
			if _, v := sortColumn(o.By, *after); o.By != store.SortByID {
				args = append(args, v)
			}
			args = append(args, after.ID)
		}
		var recs []store.Record
		err := t.query(sortedSQL(o, after != nil), args, func(r pgx.Rows) error {
			rec, err := scanRecord(r)
			recs = append(recs, rec)
			return err
		})
		if err != nil {
			return err
		}
		for _, rec := range recs {
			if !fn(rec) {
				return nil
			}
		}
		if len(recs) < chunk {
			return nil
		}
		after = &recs[len(recs)-1]
	}
}

// sortedSQL is the query of a chunk of RecordsSorted: $1 the entity, then (with after) the
// sort value and the id of the record it starts after ($2 the id alone for the id order).
// Its ORDER BY is its index's, so it is a walk of the index, never a sort.
func sortedSQL(o store.RecordOrder, after bool) string {
	col, _ := sortColumn(o.By, store.Record{})
	cmp, dir := ">", "ASC"
	if o.Desc {
		cmp, dir = "<", "DESC"
	}
	sql := "SELECT " + recordCols + " FROM records WHERE entity = $1 AND NOT removed"
	switch {
	case after && o.By == store.SortByID:
		sql += " AND id " + cmp + " $2"
	case after:
		sql += fmt.Sprintf(" AND (%s, id) %s ($2, $3)", col, cmp)
	}
	sql += fmt.Sprintf(" ORDER BY %s %s", col, dir)
	if o.By != store.SortByID {
		sql += ", id " + dir
	}
	return sql + fmt.Sprintf(" LIMIT %d", chunk)
}
