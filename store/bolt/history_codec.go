package bolt

import (
	"encoding/binary"
	"fmt"

	"github.com/pacer-sales/pacer/store"
)

// A history value holds the events one AppendHistory call adds, so a step transition writes
// one key for all of them. A single event is stored in its own format 1 (runtime_codec.go).
//
// History value, format 2: the number of events (two or more, uvarint), then each event as
// its length (uvarint) and its format-1 form.
const historyFormat2 byte = 2

// encodeEvents returns the history value of events (at least one).
func encodeEvents(events []store.Event) ([]byte, error) {
	if len(events) == 1 {
		return encodeEvent(events[0])
	}
	b := make([]byte, 0, 2+48*len(events))
	b = binary.AppendUvarint(append(b, historyFormat2), uint64(len(events)))
	var err error
	for _, ev := range events {
		// Leave one byte for the length; most events are shorter than 128 bytes.
		at := len(b)
		if b, err = appendEvent(append(b, 0), ev); err != nil {
			return nil, err
		}
		n := len(b) - at - 1
		if n >= 0x80 {
			b = append(b[:at], append(uvarintBytes(uint64(n)), b[at+1:]...)...)
		} else {
			b[at] = byte(n)
		}
	}
	return b, nil
}

func uvarintBytes(x uint64) []byte {
	e := encoder{}
	e.uvarint(x)
	return e.b
}

// appendEvents appends the events of a history value to events.
func appendEvents(events []store.Event, v []byte) ([]store.Event, error) {
	if len(v) == 0 || v[0] != historyFormat2 {
		ev, err := decodeEvent(v)
		if err != nil {
			return events, err
		}
		return append(events, ev), nil
	}
	d := decoder{b: v[1:]}
	// An event takes at least three bytes: its length, format byte and field mask.
	n := d.count(3)
	if d.err == nil && n < 2 {
		d.fail(fmt.Errorf("it claims %d events", n))
	}
	for range n {
		p := d.take(d.uvarint())
		if d.err != nil {
			break
		}
		ev, err := decodeEvent(p)
		if err != nil {
			return events, err
		}
		events = append(events, ev)
	}
	if err := d.finish("history event"); err != nil {
		return events, err
	}
	return events, nil
}
