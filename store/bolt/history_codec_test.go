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
		if v[0] != historyFormat3 {
			t.Errorf("%s: stored in format %d, want 3", name, v[0])
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
	future[0] = 4
	if _, err := appendEvents(nil, future); err == nil || !strings.Contains(err.Error(), "format 4") {
		t.Errorf("history value in format 4: %v", err)
	}
}

// encodeEventsFormat2 is the history value of events (two or more) as formats 1 and 2
// stored it, for reading databases written by earlier versions.
func encodeEventsFormat2(t testing.TB, events []store.Event) []byte {
	if len(events) == 1 {
		v, err := encodeEvent(events[0])
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	e := encoder{b: []byte{historyFormat2}}
	e.uvarint(uint64(len(events)))
	for _, ev := range events {
		v, err := encodeEvent(ev)
		if err != nil {
			t.Fatal(err)
		}
		e.uvarint(uint64(len(v)))
		e.b = append(e.b, v...)
	}
	return e.b
}

// TestEventsEarlierFormats reads history values of formats 1 and 2, and checks that format 3
// is shorter for the events of a step transition.
func TestEventsEarlierFormats(t *testing.T) {
	step := []store.Event{
		{At: t0, Type: "step_entered", StepID: "intro"},
		{At: t0, Type: "email_sent", StepID: "intro", Message: tMsg.String()},
		{At: t0, Type: "condition", StepID: "score", Branch: "yes", Why: "score is 73, at least 50"},
		{At: t0.Add(time.Second), Type: "task_created", StepID: "call", Task: tMsg.String(), Assignees: []string{"sam"}},
		{At: t0, Type: "custom", StepID: "call", Message: strings.ToUpper(tMsg.String()), Task: "not an id"},
		{Type: "completed"},
	}
	for _, evs := range [][]store.Event{step[:1], step} {
		old := encodeEventsFormat2(t, evs)
		got, err := appendEvents(nil, old)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, evs) {
			t.Errorf("format %d:\n got %+v\nwant %+v", old[0], got, evs)
		}
		v, err := encodeEvents(evs)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := appendEvents(nil, v); err != nil || !reflect.DeepEqual(got, evs) {
			t.Errorf("format 3: %v\n got %+v\nwant %+v", err, got, evs)
		}
		if len(v) >= len(old) {
			t.Errorf("%d events take %d bytes in format 3, %d in format %d", len(evs), len(v), len(old), old[0])
		}
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
	f.Add(encodeEventsFormat2(f, []store.Event{{At: t0, Type: "step_entered", StepID: "s"}, fullEvent("b", false)}))
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

// TestHistoryTypeCodes pins the codes that history values on disk carry: a type's code is
// its place in store.EventTypes, so that list may only grow at its end.
func TestHistoryTypeCodes(t *testing.T) {
	released := []string{
		"connected", "step_entered", "email_sent", "condition", "completed", "disconnected",
		"task_created", "task_done", "task_skipped", "task_snoozed", "task_assigned",
		"stage_set", "field_updated", "event", "message_failed", "wait_skipped", "advanced",
		"error",
	}
	for i, typ := range released {
		if got := historyTypeCode(typ); got != uint64(i+1) {
			t.Errorf("code of %q = %d, want %d", typ, got, i+1)
		}
	}
	if historyTypeCode("no_such_type") != 0 {
		t.Error("an unknown type has a code")
	}
}
