package bolt

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
	"time"

	"go.etcd.io/bbolt"

	"github.com/pacer-sales/pacer/store"
)

func fullRecord() store.Record {
	return store.Record{
		Key: tRecord, Entity: "lead", ID: "L-1001", Name: "Ana Lima — Contoso", Owner: "team:west",
		Stage: "qualify", AccessTeam: "deal", Email: "ana@contoso.example", Phone: "+1 555 0101",
		Fields:    map[string]any{"industry": "retail", "employees": 1250.0, "vip": true, "churned": false, "score": -0.5, "": ""},
		CreatedAt: t0, ModifiedAt: t0.Add(26 * time.Hour),
	}
}

func TestRecordRoundTrip(t *testing.T) {
	for name, r := range map[string]store.Record{
		"every field": fullRecord(),
		"zero":        {Key: tRecord},
		"pre-1970":    {Key: tRecord, Entity: "account", ID: "A-1", CreatedAt: time.Date(1969, 7, 20, 20, 17, 0, 0, time.UTC), ModifiedAt: time.Unix(0, 0).UTC()},
	} {
		v, err := encodeRecord(r)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		got, err := decodeRecord(tRecord, v)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !reflect.DeepEqual(got, r) {
			t.Errorf("%s:\n got %+v\nwant %+v", name, got, r)
		}
		created, err := recordCreated(v)
		if err != nil || !created.Equal(r.CreatedAt) {
			t.Errorf("%s: created %v, %v; want %v", name, created, err, r.CreatedAt)
		}
		if again, _ := encodeRecord(got); !bytes.Equal(again, v) {
			t.Errorf("%s: encoding is not stable", name)
		}
	}
	if _, err := encodeRecord(store.Record{Fields: map[string]any{"n": 3}}); err == nil {
		t.Error("a field holding an int encoded without an error")
	}
}

// TestRecordFormat1 reads records stored as JSON, the form before format 2.
func TestRecordFormat1(t *testing.T) {
	r := fullRecord()
	v, err := encodeJSON(toRecordV1(r))
	if err != nil {
		t.Fatal(err)
	}
	got, err := decodeRecord(tRecord, v)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, r) {
		t.Errorf("\n got %+v\nwant %+v", got, r)
	}
	created, err := recordCreated(v)
	if err != nil || !created.Equal(r.CreatedAt) {
		t.Errorf("created %v, %v; want %v", created, err, r.CreatedAt)
	}
}

// TestRecordPutKeepsFormat1Created updates a record stored as JSON: it keeps its key and
// creation time and is written back in format 2.
func TestRecordPutKeepsFormat1Created(t *testing.T) {
	db := openTestDB(t)
	r := fullRecord()
	r.Key = store.ID{}
	var stored store.Record
	updateTx(t, db, func(tx *tx) error {
		var err error
		stored, err = tx.PutRecord(r)
		if err != nil {
			return err
		}
		b, err := bucket(tx.btx, bRecords)
		if err != nil {
			return err
		}
		v, err := encodeJSON(toRecordV1(stored))
		if err != nil {
			return err
		}
		return b.Put(stored.Key[:], v)
	})
	updateTx(t, db, func(tx *tx) error {
		r.Name, r.CreatedAt, r.ModifiedAt = "Ana Lima", time.Time{}, t0.Add(48*time.Hour)
		got, err := tx.PutRecord(r)
		if err != nil {
			return err
		}
		if got.Key != stored.Key || !got.CreatedAt.Equal(stored.CreatedAt) {
			t.Errorf("update made key %s created %v; want %s %v", got.Key, got.CreatedAt, stored.Key, stored.CreatedAt)
		}
		b, err := bucket(tx.btx, bRecords)
		if err != nil {
			return err
		}
		if v := b.Get(got.Key[:]); len(v) == 0 || v[0] != recordFormat2 {
			t.Errorf("updated record stored as %q, want format 2", v)
		}
		back, err := tx.RecordByKey(got.Key)
		if err != nil || back.Name != "Ana Lima" || !back.CreatedAt.Equal(stored.CreatedAt) {
			t.Errorf("read back %+v, %v", back, err)
		}
		return nil
	})
}

func TestRecordDecodeGarbage(t *testing.T) {
	v, err := encodeRecord(fullRecord())
	if err != nil {
		t.Fatal(err)
	}
	for n := range len(v) {
		if _, err := decodeRecord(tRecord, v[:n]); err == nil {
			t.Errorf("record cut to %d of %d bytes decoded without an error", n, len(v))
		}
	}
	if _, err := decodeRecord(tRecord, append(bytes.Clone(v), 0)); err == nil {
		t.Error("record with a byte too many decoded without an error")
	}
	future := bytes.Clone(v)
	future[0] = 3
	if _, err := decodeRecord(tRecord, future); err == nil || !strings.Contains(err.Error(), "format 3") {
		t.Errorf("record in format 3: %v", err)
	}
	if _, err := recordCreated(future); err == nil {
		t.Error("creation time of a record in format 3 read without an error")
	}
	huge := []byte{recordFormat2, 2, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x7f}
	if _, err := decodeRecord(tRecord, huge); err == nil {
		t.Error("record claiming a huge number of fields decoded without an error")
	}
	t.Logf("record with every field set: %d bytes (JSON: %d)", len(v), len(mustJSON(t, toRecordV1(fullRecord()))))
}

// FuzzDecodeRecord checks that the record decoder never panics on damaged input, and that
// whatever it accepts encodes to a form it reads back the same.
func FuzzDecodeRecord(f *testing.F) {
	v, _ := encodeRecord(fullRecord())
	f.Add(v)
	v, _ = encodeRecord(store.Record{})
	f.Add(v)
	f.Add(mustJSON(f, toRecordV1(fullRecord())))
	f.Add([]byte{recordFormat2})
	f.Fuzz(func(t *testing.T, v []byte) {
		_, _ = recordCreated(v)
		r, err := decodeRecord(tRecord, v)
		if err != nil {
			return
		}
		canon, err := encodeRecord(r)
		if err != nil {
			return // a JSON record can hold what format 2 refuses (a number too big, …)
		}
		r2, err := decodeRecord(tRecord, canon)
		if err != nil {
			t.Fatalf("record %+v does not read back: %v", r, err)
		}
		if again, _ := encodeRecord(r2); !bytes.Equal(again, canon) {
			t.Fatalf("record %+v reads back as %+v", r, r2)
		}
	})
}

// updateTx runs fn in a write transaction of db and fails the test on an error.
func updateTx(t *testing.T, db *DB, fn func(*tx) error) {
	t.Helper()
	if err := db.bdb.Update(func(btx *bbolt.Tx) error { return fn(&tx{btx: btx}) }); err != nil {
		t.Fatal(err)
	}
}

func mustJSON(tb testing.TB, v any) []byte {
	tb.Helper()
	b, err := encodeJSON(v)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}
