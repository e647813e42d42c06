package bolt

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/pacer-sales/pacer/store"
)

func TestEventsRoundTrip(t *testing.T) {
	long := fullEvent(strings.Repeat("old value ", 30), 2.5) // longer than 127 bytes
	for name, evs := range map[string][]store.Event{
		"one":     {fullEvent("a", nil)},
		"two":     {{At: t0, Type: "step_entered", StepID: "intro"}, {At: t0, Type: "email_sent", StepID: "intro", Message: tMsg.String()}},
		"long":    {{At: t0, Type: "step_entered", StepID: "x"}, long, {Type: "completed"}},
		"minimal": {{}, {}},
	} {
		v, err := encodeEvents(evs)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(evs) == 1 && v[0] != format1 {
			t.Errorf("%s: a single event is stored in format %d, want 1", name, v[0])
		}
		got, err := appendEvents([]store.Event{{Type: "before"}}, v)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if want := append([]store.Event{{Type: "before"}}, evs...); !reflect.DeepEqual(got, want) {
			t.Errorf("%s:\n got %+v\nwant %+v", name, got, want)
		}
	}
}

func TestEventsDecodeGarbage(t *testing.T) {
	v, err := encodeEvents([]store.Event{{At: t0, Type: "step_entered", StepID: "x"}, fullEvent(strings.Repeat("o", 200), true)})
	if err != nil {
		t.Fatal(err)
	}
	for n := range len(v) {
		if _, err := appendEvents(nil, v[:n]); err == nil {
			t.Errorf("history value cut to %d of %d bytes decoded without an error", n, len(v))
		}
	}
	if _, err := appendEvents(nil, append(bytes.Clone(v), 0)); err == nil {
		t.Error("history value with a byte too many decoded without an error")
	}
	future := bytes.Clone(v)
	future[0] = 3
	if _, err := appendEvents(nil, future); err == nil || !strings.Contains(err.Error(), "format 3") {
		t.Errorf("history value in format 3: %v", err)
	}
}

// TestHistoryMixedFormats reads a history written one event and several events at a time.
func TestHistoryMixedFormats(t *testing.T) {
	db := openTestDB(t)
	conn := store.NewID(t0)
	var want []store.Event
	updateTx(t, db, func(tx *tx) error {
		for i := range 5 {
			evs := make([]store.Event, i%3+1)
			for j := range evs {
				evs[j] = store.Event{At: t0.Add(time.Duration(i*10+j) * time.Minute), Type: "step_entered", StepID: "s"}
			}
			want = append(want, evs...)
			if err := tx.AppendHistory(conn, evs...); err != nil {
				return err
			}
		}
		return tx.AppendHistory(conn)
	})
	updateTx(t, db, func(tx *tx) error {
		got, err := tx.History(conn)
		if err != nil {
			return err
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("\n got %+v\nwant %+v", got, want)
		}
		return nil
	})
}

// FuzzDecodeEvents checks that the history value decoder never panics on damaged input,
// and that whatever it accepts encodes to a form it reads back the same.
func FuzzDecodeEvents(f *testing.F) {
	v, _ := encodeEvents([]store.Event{{At: t0, Type: "step_entered"}, fullEvent("a", 1.0)})
	f.Add(v)
	v, _ = encodeEvents([]store.Event{fullEvent(nil, true)})
	f.Add(v)
	f.Add([]byte{historyFormat2})
	f.Fuzz(func(t *testing.T, v []byte) {
		evs, err := appendEvents(nil, v)
		if err != nil {
			return
		}
		canon, err := encodeEvents(evs)
		if err != nil {
			t.Fatalf("events %+v decoded but do not encode: %v", evs, err)
		}
		evs2, err := appendEvents(nil, canon)
		if err != nil {
			t.Fatalf("events %+v do not read back: %v", evs, err)
		}
		if again, _ := encodeEvents(evs2); !bytes.Equal(again, canon) {
			t.Fatalf("events %+v read back as %+v", evs, evs2)
		}
	})
}
