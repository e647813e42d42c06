package store_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/pacer-sales/pacer/store"
	"github.com/pacer-sales/pacer/store/bolt"
	"github.com/pacer-sales/pacer/store/postgres"
	"github.com/pacer-sales/pacer/store/postgres/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

var at = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// TestCopyKeepsOrphans copies an org holding a connection whose record was removed and
// whose sequence was deleted (reachable from neither a sequence nor a live record), next to
// a new record of the removed one's entity and id: in every destination the connection
// keeps its history and its removed record, and the new record stays apart.
func TestCopyKeepsOrphans(t *testing.T) {
	ctx := context.Background()
	src := openBolt(t, "src.db")
	conn := store.Connection{ID: store.NewID(at), Version: 1, State: store.ConnActive, Step: "call", Visit: 1, CreatedAt: at, UpdatedAt: at}
	events := []store.Event{{At: at, Type: store.EventConnected}, {At: at, Type: store.EventStepEntered, StepID: "call"}}
	if err := src.Update(ctx, func(tx store.Tx) error {
		seq, err := tx.PutSequence(store.Sequence{Name: "Gone", Entity: "lead", Owner: "ada", State: store.Active, Version: 1})
		if err != nil {
			return err
		}
		if err := tx.PutVersion(store.Version{Sequence: seq.ID, N: 1, Definition: []byte("name: Gone\n")}); err != nil {
			return err
		}
		rec, err := tx.PutRecord(store.Record{Entity: "lead", ID: "r1", Name: "Old One", CreatedAt: at})
		if err != nil {
			return err
		}
		conn.Record, conn.Sequence = rec.Key, seq.ID
		if err := tx.PutConn(conn); err != nil {
			return err
		}
		if err := tx.AppendHistory(conn.ID, events...); err != nil {
			return err
		}
		if _, err := tx.RemoveRecord("lead", "r1"); err != nil {
			return err
		}
		if err := tx.DeleteSequence(seq.ID); err != nil {
			return err
		}
		_, err = tx.PutRecord(store.Record{Entity: "lead", ID: "r1", Name: "New One", CreatedAt: at.Add(time.Hour)})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	pg, err := postgres.Open(ctx, pgtest.DSN(t), postgres.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = pg.Close() })
	for name, dst := range map[string]store.Store{"bbolt": openBolt(t, "dst.db"), "PostgreSQL": pg} {
		n, err := store.Copy(ctx, dst, src)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if n.Conns != 1 || n.Events != 2 || n.Records != 1 || n.Removed != 1 {
			t.Errorf("%s: copied %+v, want 1 connection, 2 events, 1 record and 1 removed", name, n)
		}
		if err := dst.View(ctx, func(tx store.Tx) error {
			var removed []store.Record
			if err := tx.RemovedRecords(func(r store.Record) bool { removed = append(removed, r); return true }); err != nil {
				return err
			}
			if len(removed) != 1 || removed[0].Name != "Old One" {
				t.Fatalf("%s: removed records %+v, want Old One", name, removed)
			}
			live, err := tx.Record("lead", "r1")
			if err != nil || live.Name != "New One" || live.Key == removed[0].Key {
				t.Errorf("%s: lead/r1 is %+v (%v), want New One apart from the removed record", name, live, err)
			}
			conns, err := tx.ConnsByRecord(removed[0].Key)
			if err != nil {
				return err
			}
			if len(conns) != 1 || conns[0].ID != conn.ID || conns[0].Step != "call" {
				t.Fatalf("%s: connections of the removed record %+v, want %s", name, conns, conn.ID)
			}
			hist, err := tx.History(conn.ID)
			if err != nil {
				return err
			}
			if len(hist) != 2 || hist[1].Type != store.EventStepEntered {
				t.Errorf("%s: history %+v, want the two events", name, hist)
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
}

func openBolt(t *testing.T, name string) *bolt.DB {
	t.Helper()
	db, err := bolt.Open(filepath.Join(t.TempDir(), name), bolt.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}
