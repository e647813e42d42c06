package bolt

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/pacer-sales/pacer/store"
)

// A history value holds the events one AppendHistory call adds, so a step transition writes
// one key for all of them. Values are written in format 3; formats 1 (one event) and 2
// (several) are still read.
//
// History value, format 2: the number of events (two or more, uvarint), then each event as
// its length (uvarint) and its format-1 form.
//
// History value, format 3: the number of events (one or more, uvarint), then each event as
// in format 1 without its format byte — its field mask, then those fields in bit order —
// except that the events of one value share what they can:
//
//   - At is the zig-zag difference in Unix nanoseconds from the At of the event before it in
//     the value that has one (from 0 for the first), so the events of one transition, which
//     share their time, take a byte for it;
//   - Type is its code in historyTypes, or 0 then the string;
//   - StepID is 0 when it is the step of the event before it (a step id is never empty),
//     else the string;
//   - Message and Task are 0 then the 16 bytes of an ID when they hold the hex form of one,
//     else the string.
const (
	historyFormat2 byte = 2
	historyFormat3 byte = 3
)

// historyTypes are the event types format 3 writes as a code: the code of historyTypes[i]
// is i+1. They are store.EventTypes, which only grows at its end, so released codes never
// change.
var historyTypes = store.EventTypes

// historyTypeCode returns the format-3 code of an event type, 0 when it has none.
func historyTypeCode(typ string) uint64 {
	for i, t := range historyTypes {
		if t == typ {
			return uint64(i + 1)
		}
	}
	return 0
}

// encodeEvents returns the history value of events (at least one), in format 3.
func encodeEvents(events []store.Event) ([]byte, error) {
	return appendHistoryValue(nil, events)
}

// appendHistoryValue appends the format-3 history value of events to b.
func appendHistoryValue(b []byte, events []store.Event) ([]byte, error) {
	n := 2
	for i := range events {
		n += 24 + len(events[i].StepID) + len(events[i].Why) + len(events[i].Note)
	}
	e := encoder{b: slices.Grow(b, n)}
	e.byte(historyFormat3)
	e.uvarint(uint64(len(events)))
	var prevAt int64
	var prevStep string
	for i := range events {
		if err := e.event3(&events[i], &prevAt, &prevStep); err != nil {
			return nil, err
		}
	}
	return e.b, nil
}

// event3 appends the format-3 form of ev; prevAt and prevStep are the At (in Unix
// nanoseconds) and step of the events before it, and are updated.
func (e *encoder) event3(ev *store.Event, prevAt *int64, prevStep *string) error {
	mask := eventMask(ev)
	e.uvarint(mask)
	for bit := range evFields {
		if mask&(1<<bit) == 0 {
			continue
		}
		switch bit {
		case evAt:
			at := unixNano(ev.At)
			e.varint(int64(uint64(at) - uint64(*prevAt)))
			*prevAt = at
		case evType:
			if c := historyTypeCode(ev.Type); c != 0 {
				e.uvarint(c)
			} else {
				e.byte(0)
				e.str(ev.Type)
			}
		case evStepID:
			if ev.StepID == *prevStep {
				e.byte(0)
			} else {
				e.str(ev.StepID)
			}
			*prevStep = ev.StepID
		case evMessage, evTask:
			s := *eventString(ev, bit)
			if id, ok := hexID(s); ok {
				e.byte(0)
				e.id(id)
			} else {
				e.str(s)
			}
		case evUntil:
			e.time(ev.Until)
		case evOld:
			if err := e.value(ev.Old); err != nil {
				return fmt.Errorf("%s event: old value: %w", ev.Type, err)
			}
		case evNew:
			if err := e.value(ev.New); err != nil {
				return fmt.Errorf("%s event: new value: %w", ev.Type, err)
			}
		case evAssignees:
			e.strs(ev.Assignees)
		default:
			e.str(*eventString(ev, bit))
		}
	}
	return nil
}

// hexID returns the ID whose hex form (store.ID.String) is s.
func hexID(s string) (store.ID, bool) {
	var id store.ID
	if len(s) != 2*len(id) {
		return id, false
	}
	for i := range id {
		hi, ok1 := fromHex(s[2*i])
		lo, ok2 := fromHex(s[2*i+1])
		if !ok1 || !ok2 {
			return store.ID{}, false
		}
		id[i] = hi<<4 | lo
	}
	return id, true
}

// fromHex reads a lowercase hex digit.
func fromHex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	}
	return 0, false
}

// decodeEvents3 appends the events of a format-3 history value (its format byte skipped).
func decodeEvents3(events []store.Event, v []byte) ([]store.Event, error) {
	d := decoder{b: v}
	// An event takes at least one byte: its field mask.
	n := d.count(1)
	if d.err == nil && n < 1 {
		d.fail(fmt.Errorf("it claims %d events", n))
	}
	var prevAt int64
	var prevStep string
	for range n {
		if d.err != nil {
			break
		}
		var ev store.Event
		mask := d.uvarint()
		if mask>>evFields != 0 {
			d.fail(fmt.Errorf("it has fields (mask %#x) this version of pacer does not know", mask))
		}
		for bit := range evFields {
			if d.err != nil {
				break
			}
			if mask&(1<<bit) == 0 {
				continue
			}
			switch bit {
			case evAt:
				prevAt = int64(uint64(prevAt) + uint64(d.varint()))
				if prevAt == math.MinInt64 {
					d.fail(errors.New("a time out of range"))
				}
				ev.At = time.Unix(0, prevAt).UTC()
			case evType:
				switch c := d.uvarint(); {
				case c == 0:
					ev.Type = d.str()
				case c <= uint64(len(historyTypes)):
					ev.Type = historyTypes[c-1]
				default:
					d.fail(fmt.Errorf("an event type of unknown code %d", c))
				}
			case evStepID:
				ev.StepID = d.str()
				if ev.StepID == "" {
					if prevStep == "" && d.err == nil {
						d.fail(errors.New("a step the same as that of no event"))
					}
					ev.StepID = prevStep
				}
				prevStep = ev.StepID
			case evMessage, evTask:
				p := eventString(&ev, bit)
				if *p = d.str(); *p == "" && d.err == nil {
					*p = d.id().String()
				}
			case evUntil:
				ev.Until = d.time()
			case evOld:
				ev.Old = d.value()
			case evNew:
				ev.New = d.value()
			case evAssignees:
				ev.Assignees = d.strs()
			default:
				*eventString(&ev, bit) = d.str()
			}
		}
		events = append(events, ev)
	}
	if err := d.finish("history event"); err != nil {
		return events, err
	}
	return events, nil
}

// appendEvents appends the events of a history value to events.
func appendEvents(events []store.Event, v []byte) ([]store.Event, error) {
	if len(v) > 0 && v[0] == historyFormat3 {
		return decodeEvents3(events, v[1:])
	}
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
