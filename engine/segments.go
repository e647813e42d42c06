package engine

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/pacer-sales/pacer/engine/flow"
	"github.com/pacer-sales/pacer/store"
)

// AddSegment saves a segment: records of entity matching every FIELD=VALUE test get
// connected to the sequence while the segment is active. It starts inactive. Managers and
// admins may.
func (e *Engine) AddSegment(ctx context.Context, by string, s store.Segment) error {
	s.Name = strings.TrimSpace(s.Name)
	if s.Name == "" {
		return invalid("a segment needs a name")
	}
	if !entityRE.MatchString(s.Entity) {
		return invalid("segment %q: entity %q: use lowercase letters, digits and '_'", s.Name, s.Entity)
	}
	if len(s.Where) == 0 {
		return invalid("segment %q: give at least one --where FIELD=VALUE", s.Name)
	}
	for _, w := range s.Where {
		if strings.TrimSpace(w.Field) == "" {
			return invalid("segment %q: a --where test has no field", s.Name)
		}
	}
	s.Active = false
	return e.update(ctx, func(tx store.Tx) error {
		if _, err := requireManager(tx, by, "manage segments"); err != nil {
			return err
		}
		seq, err := findSequence(tx, s.Sequence)
		if err != nil {
			return err
		}
		if seq.Entity != s.Entity {
			return invalid("segment %q is over %s records but sequence %q is for %s records", s.Name, s.Entity, seq.Name, seq.Entity)
		}
		s.Sequence = seq.Name
		if _, err := tx.Segment(s.Name); err == nil {
			return invalid("a segment named %q already exists", s.Name)
		}
		return tx.PutSegment(s)
	})
}

// Segments lists the segments. Any user may.
func (e *Engine) Segments(ctx context.Context, by string) ([]store.Segment, error) {
	var out []store.Segment
	err := e.view(ctx, func(tx store.Tx) (err error) {
		if _, err = actor(tx, by); err != nil {
			return err
		}
		out, err = tx.Segments()
		return err
	})
	return out, err
}

// SetSegmentActive turns a segment on or off. Turning it on connects the records that
// already match; it returns how many.
func (e *Engine) SetSegmentActive(ctx context.Context, by, name string, active bool) (int, error) {
	n := 0
	err := e.update(ctx, func(tx store.Tx) error {
		n = 0 // a transaction the store runs again starts over
		if _, err := requireManager(tx, by, "manage segments"); err != nil {
			return err
		}
		s, err := tx.Segment(name)
		if err != nil {
			return notFound(err, "there is no segment %q", name)
		}
		s.Active = active
		if err := tx.PutSegment(s); err != nil {
			return err
		}
		if !active {
			return nil
		}
		var recs []store.Record
		if err := tx.Records(s.Entity, func(r store.Record) bool {
			if segmentMatches(s, r) {
				recs = append(recs, r)
			}
			return true
		}); err != nil {
			return err
		}
		o, err := loadOrg(tx)
		if err != nil {
			return err
		}
		for _, r := range recs {
			ok, err := e.segmentConnect(tx, o, s, r)
			if err != nil {
				return err
			}
			if ok {
				n++
			}
		}
		return nil
	})
	return n, err
}

func segmentMatches(s store.Segment, r store.Record) bool {
	if r.Entity != s.Entity {
		return false
	}
	for _, w := range s.Where {
		v, ok := flow.FieldOf(r, w.Field)
		if !ok || !strings.EqualFold(flow.Text(v), w.Value) {
			return false
		}
	}
	return true
}

// segmentConnect connects a matching record to the segment's sequence when the sequence is
// active and the record has never been connected to it (a record that finished or left the
// sequence is not put back by an update). It reports whether it connected.
func (e *Engine) segmentConnect(tx store.Tx, o *org, s store.Segment, r store.Record) (bool, error) {
	seq, err := tx.SequenceByName(s.Sequence)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	} else if err != nil {
		return false, err
	}
	if seq.State != store.Active || seq.Entity != r.Entity {
		return false, nil
	}
	conns, err := tx.ConnsByRecord(r.Key)
	if err != nil {
		return false, err
	}
	for _, c := range conns {
		if c.Sequence == seq.ID {
			return false, nil
		}
	}
	now := e.clock.Now()
	_, err = e.step(tx, o, newConn(r, seq, "segment:"+s.Name, now), flow.Input{Kind: flow.Connect}, now)
	return err == nil, err
}

// applySegments connects a record just imported, created or changed to the sequences of
// the active segments it matches (SPEC §4.12). segs is the org's segment list.
func (e *Engine) applySegments(tx store.Tx, o *org, segs []store.Segment, r store.Record) error {
	for _, s := range segs {
		if s.Active && segmentMatches(s, r) {
			if _, err := e.segmentConnect(tx, o, s, r); err != nil {
				return fmt.Errorf("segment %s: %w", s.Name, err)
			}
		}
	}
	return nil
}

// activeSegments returns the active segments over an entity, with the org they connect in.
func (e *Engine) activeSegments(tx store.Tx, entity string) ([]store.Segment, *org, error) {
	all, err := tx.Segments()
	if err != nil {
		return nil, nil, err
	}
	var segs []store.Segment
	for _, s := range all {
		if s.Active && s.Entity == entity {
			segs = append(segs, s)
		}
	}
	if len(segs) == 0 {
		return nil, nil, nil
	}
	o, err := loadOrg(tx)
	return segs, o, err
}
