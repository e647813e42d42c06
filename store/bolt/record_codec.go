package bolt

import (
	"fmt"
	"math"
	"time"

	"github.com/pacer-sales/pacer/store"
)

// Records are read at every step transition (conditions test their fields, templates fill
// in their names) and written by update_field and set_stage steps, so they are stored in
// the compact binary form of the runtime's values (binary.go) rather than JSON.
//
// Record, format 2: created, modified, entity, id, name, owner, stage, access team, email,
// phone, then the number of free fields and each field's name and value (encoder.value) in
// name order. Format 1, the JSON of recordV1, is still read; PutRecord writes format 2.
const recordFormat2 byte = 2

func encodeRecord(r store.Record) ([]byte, error) {
	n := 32 + len(r.Entity) + len(r.ID) + len(r.Name) + len(r.Owner) + len(r.Stage) +
		len(r.AccessTeam) + len(r.Email) + len(r.Phone)
	for k, v := range r.Fields {
		n += 2 + len(k) + 10
		if s, ok := v.(string); ok {
			n += len(s)
		}
	}
	e := encoder{b: make([]byte, 0, n)}
	e.byte(recordFormat2)
	e.time(r.CreatedAt)
	e.time(r.ModifiedAt)
	for _, s := range []string{r.Entity, r.ID, r.Name, r.Owner, r.Stage, r.AccessTeam, r.Email, r.Phone} {
		e.str(s)
	}
	e.uvarint(uint64(len(r.Fields)))
	var err error
	inKeyOrder(r.Fields, func(k string, v any) {
		e.str(k)
		if verr := e.value(v); verr != nil && err == nil {
			err = fmt.Errorf("field %q: %w", k, verr)
		}
	})
	if err != nil {
		return nil, err
	}
	return e.b, nil
}

// decodeRecord reads a stored record in either format.
func decodeRecord(key store.ID, v []byte) (store.Record, error) {
	if len(v) > 0 && v[0] == format1 {
		var rv recordV1
		if err := decodeJSON(v, &rv, "record"); err != nil {
			return store.Record{}, err
		}
		return rv.record(key), nil
	}
	d, err := recordDecoder(v)
	if err != nil {
		return store.Record{}, err
	}
	r := store.Record{Key: key, CreatedAt: d.time(), ModifiedAt: d.time()}
	for _, s := range []*string{&r.Entity, &r.ID, &r.Name, &r.Owner, &r.Stage, &r.AccessTeam, &r.Email, &r.Phone} {
		*s = d.str()
	}
	// A field takes at least two bytes: an empty name and a nil value.
	if n := d.count(2); n > 0 {
		r.Fields = make(map[string]any, n)
		for range n {
			k := d.str()
			val := d.value()
			if f, ok := val.(float64); ok && (math.IsNaN(f) || math.IsInf(f, 0)) {
				d.fail(fmt.Errorf("field %q holds %v", k, f))
			}
			r.Fields[k] = val
		}
	}
	if err := d.finish("record"); err != nil {
		return store.Record{}, err
	}
	return r, nil
}

// recordCreated reads only the creation time of a stored record in either format.
func recordCreated(v []byte) (time.Time, error) {
	if len(v) > 0 && v[0] == format1 {
		var created struct {
			Created int64 `json:"created"`
		}
		if err := decodeJSON(v, &created, "record"); err != nil {
			return time.Time{}, err
		}
		return fromNanos(created.Created), nil
	}
	d, err := recordDecoder(v)
	if err != nil {
		return time.Time{}, err
	}
	t := d.time()
	if d.err != nil {
		return time.Time{}, damaged("damaged record value: %w", d.err)
	}
	return t, nil
}

// recordDecoder checks the format byte of a format-2 record and returns a decoder past it.
func recordDecoder(v []byte) (*decoder, error) {
	switch {
	case len(v) == 0:
		return nil, damaged("damaged record value: empty")
	case v[0] != recordFormat2:
		return nil, fmt.Errorf("record value has format %d, which this version of pacer cannot read", v[0])
	}
	return &decoder{b: v[1:]}, nil
}
