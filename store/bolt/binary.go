package bolt

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/pacer-sales/pacer/store"
)

// The runtime's values (connections, history events, tasks, outbox messages) are written
// and read on every step transition, so they use a compact binary form rather than JSON:
// the format byte, then the fields in a fixed order as unsigned varints, zig-zag varints,
// length-prefixed strings and raw 16-byte IDs. A new field means a new format byte.

// Times in values: 0 for the zero time, otherwise the zig-zag Unix nanoseconds plus one, so
// the instant of the Unix epoch and times before 1970 keep their meaning. Times outside
// what Unix nanoseconds can hold (before 1678 or after 2262) are clamped to that range.
var (
	minNanos = int64(math.MinInt64 + 1) // MinInt64 itself would give timeKey 0, the zero time's
	maxNanos = int64(math.MaxInt64)
	minTime  = time.Unix(0, minNanos)
	maxTime  = time.Unix(0, maxNanos)
)

// unixNano returns t in Unix nanoseconds, clamped to [minNanos, maxNanos].
func unixNano(t time.Time) int64 {
	switch {
	case t.Before(minTime):
		return minNanos
	case t.After(maxTime):
		return maxNanos
	}
	return t.UnixNano()
}

// timeKey returns the 8-byte big-endian index form of t: 0 for the zero time, which sorts
// before every other time, and otherwise the Unix nanoseconds with the sign bit flipped, so
// byte order is time order across 1970.
func timeKey(t time.Time) uint64 {
	if t.IsZero() {
		return 0
	}
	return uint64(unixNano(t)) ^ (1 << 63)
}

// fromTimeKey reads a time written by timeKey, in UTC.
func fromTimeKey(k uint64) time.Time {
	if k == 0 {
		return time.Time{}
	}
	return time.Unix(0, int64(k^(1<<63))).UTC()
}

func zigzag(n int64) uint64   { return uint64(n<<1) ^ uint64(n>>63) }
func unzigzag(u uint64) int64 { return int64(u>>1) ^ -int64(u&1) }

// encoder appends the binary form of values to b.
type encoder struct {
	b []byte
}

func (e *encoder) byte(c byte)       { e.b = append(e.b, c) }
func (e *encoder) uvarint(x uint64)  { e.b = binary.AppendUvarint(e.b, x) }
func (e *encoder) varint(x int64)    { e.uvarint(zigzag(x)) }
func (e *encoder) id(id store.ID)    { e.b = append(e.b, id[:]...) }
func (e *encoder) float64(f float64) { e.b = binary.BigEndian.AppendUint64(e.b, math.Float64bits(f)) }
func (e *encoder) str(s string)      { e.uvarint(uint64(len(s))); e.b = append(e.b, s...) }
func (e *encoder) time(t time.Time)  { e.uvarint(timeValue(t)) }
func (e *encoder) strs(ss []string)  { e.uvarint(uint64(len(ss))); e.strList(ss) }
func (e *encoder) strList(ss []string) {
	for _, s := range ss {
		e.str(s)
	}
}

// optID writes an ID that is often zero: one byte 0 for the zero ID, or 16 then the ID.
func (e *encoder) optID(id store.ID) {
	if id.IsZero() {
		e.byte(0)
		return
	}
	e.byte(16)
	e.id(id)
}

func timeValue(t time.Time) uint64 {
	if t.IsZero() {
		return 0
	}
	return zigzag(unixNano(t)) + 1
}

// The type tags of a value held in an any (an event's old and new field values).
const (
	tagNil byte = iota
	tagString
	tagFloat
	tagFalse
	tagTrue
)

// value writes v, which must be nil, a string, a float64 or a bool.
func (e *encoder) value(v any) error {
	switch v := v.(type) {
	case nil:
		e.byte(tagNil)
	case string:
		e.byte(tagString)
		e.str(v)
	case float64:
		e.byte(tagFloat)
		e.float64(v)
	case bool:
		if v {
			e.byte(tagTrue)
		} else {
			e.byte(tagFalse)
		}
	default:
		return fmt.Errorf("a value of type %T cannot be stored; want a string, a float64, a bool or nil", v)
	}
	return nil
}

// errShort is the error of a value that ends too early.
var errShort = errors.New("it ends too early")

// decoder reads values written by encoder. The first problem sticks: every later read
// returns a zero value, and err says what went wrong. Strings and IDs are copied, so b may
// be memory owned by bbolt. Lengths and counts are checked against the bytes left before
// anything is allocated, so damaged input cannot make it allocate much.
type decoder struct {
	b   []byte
	err error
}

func (d *decoder) fail(err error) {
	if d.err == nil {
		d.err = err
	}
}

func (d *decoder) byte() byte {
	if d.err != nil {
		return 0
	}
	if len(d.b) == 0 {
		d.fail(errShort)
		return 0
	}
	c := d.b[0]
	d.b = d.b[1:]
	return c
}

func (d *decoder) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	x, n := binary.Uvarint(d.b)
	if n <= 0 {
		if n == 0 {
			d.fail(errShort)
		} else {
			d.fail(errors.New("it holds a number that overflows"))
		}
		return 0
	}
	d.b = d.b[n:]
	return x
}

func (d *decoder) varint() int64 { return unzigzag(d.uvarint()) }

// int reads a zig-zag varint that must fit an int.
func (d *decoder) int() int {
	n := d.varint()
	if int64(int(n)) != n {
		d.fail(fmt.Errorf("number %d is out of range", n))
		return 0
	}
	return int(n)
}

func (d *decoder) uint32() uint32 {
	x := d.uvarint()
	if x > math.MaxUint32 {
		d.fail(fmt.Errorf("number %d is out of range", x))
		return 0
	}
	return uint32(x)
}

func (d *decoder) take(n uint64) []byte {
	if d.err != nil {
		return nil
	}
	if n > uint64(len(d.b)) {
		d.fail(errShort)
		return nil
	}
	p := d.b[:n]
	d.b = d.b[n:]
	return p
}

func (d *decoder) str() string {
	n := d.uvarint()
	return string(d.take(n))
}

func (d *decoder) id() store.ID {
	var id store.ID
	copy(id[:], d.take(uint64(len(id))))
	return id
}

func (d *decoder) optID() store.ID {
	switch n := d.byte(); n {
	case 0:
		return store.ID{}
	case 16:
		return d.id()
	default:
		d.fail(fmt.Errorf("an ID of %d bytes", n))
		return store.ID{}
	}
}

func (d *decoder) float64() float64 {
	p := d.take(8)
	if p == nil {
		return 0
	}
	return math.Float64frombits(binary.BigEndian.Uint64(p))
}

func (d *decoder) time() time.Time {
	u := d.uvarint()
	if u == 0 {
		return time.Time{}
	}
	return time.Unix(0, unzigzag(u-1)).UTC()
}

// count reads the length of a list or map, each of whose elements takes at least min bytes.
func (d *decoder) count(min int) int {
	n := d.uvarint()
	if d.err == nil && n > uint64(len(d.b)/min) {
		d.fail(fmt.Errorf("it claims %d elements in %d bytes", n, len(d.b)))
		return 0
	}
	return int(n)
}

// strs reads a list of strings; an empty list is nil.
func (d *decoder) strs() []string {
	n := d.count(1)
	if n == 0 {
		return nil
	}
	ss := make([]string, n)
	for i := range ss {
		ss[i] = d.str()
	}
	return ss
}

// value reads a value written by encoder.value.
func (d *decoder) value() any {
	switch tag := d.byte(); tag {
	case tagNil:
		return nil
	case tagString:
		return d.str()
	case tagFloat:
		return d.float64()
	case tagFalse:
		return false
	case tagTrue:
		return true
	default:
		d.fail(fmt.Errorf("a value of unknown type %d", tag))
		return nil
	}
}

// start checks and skips the format byte of a value.
func (d *decoder) start(what string) error {
	if err := checkFormat(d.b, what); err != nil {
		return err
	}
	d.b = d.b[1:]
	return nil
}

// finish returns the first problem met, or an error when bytes are left over.
func (d *decoder) finish(what string) error {
	if d.err == nil && len(d.b) > 0 {
		d.err = fmt.Errorf("%d bytes are left over", len(d.b))
	}
	if d.err != nil {
		return damaged("damaged %s value: %w", what, d.err)
	}
	return nil
}
