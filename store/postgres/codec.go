package postgres

import (
	"fmt"
	"time"

	"github.com/pacer-sales/pacer/store"
)

// nanos is the stored form of a time: Unix nanoseconds, or NULL for the zero time.
func nanos(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixNano()
}

// timeScanner reads a stored time into *p: NULL is the zero time, others are UTC.
type timeScanner struct{ p *time.Time }

func tm(p *time.Time) timeScanner { return timeScanner{p} }

func (s timeScanner) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*s.p = time.Time{}
	case int64:
		*s.p = time.Unix(0, v).UTC()
	default:
		return fmt.Errorf("a stored time is a %T, want int8", src)
	}
	return nil
}

// idScanner reads a 16-byte bytea into an ID.
type idScanner struct{ p *store.ID }

func idp(p *store.ID) idScanner { return idScanner{p} }

func (s idScanner) Scan(src any) error {
	b, ok := src.([]byte)
	if !ok || len(b) != len(store.ID{}) {
		return fmt.Errorf("a stored ID is %T of %d bytes, want 16 bytes", src, len(b))
	}
	copy(s.p[:], b)
	return nil
}

// strs returns a copy of xs for a text[] column that is NOT NULL (empty for nil): queued
// writes are sent later, so they never share the caller's slices.
func strs(xs []string) []string {
	return append([]string{}, xs...)
}

// nilIfEmpty returns nil for an empty list, as bbolt's decoders do.
func nilIfEmpty[T any](xs []T) []T {
	if len(xs) == 0 {
		return nil
	}
	return xs
}
