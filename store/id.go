package store

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"strconv"
	"sync"
	"time"
)

// ID is a 16-byte, time-ordered key: 8 bytes of Unix nanoseconds, big-endian, then 8 random
// bytes. IDs sort by creation time as bytes and as their hex strings.
type ID [16]byte

var lastID struct {
	sync.Mutex
	nanos int64
}

// NewID returns a new ID for time t. IDs made by one process are strictly increasing even
// when t repeats or goes back (a pinned or simulated clock): such an ID takes the next
// nanosecond after the previous one.
func NewID(t time.Time) ID {
	n := t.UnixNano()
	lastID.Lock()
	if n <= lastID.nanos {
		n = lastID.nanos + 1
	}
	lastID.nanos = n
	lastID.Unlock()
	var id ID
	binary.BigEndian.PutUint64(id[:8], uint64(n))
	_, _ = rand.Read(id[8:])
	return id
}

// IsZero reports whether id is the zero ID.
func (id ID) IsZero() bool { return id == ID{} }

// Time returns the creation time encoded in id.
func (id ID) Time() time.Time { return time.Unix(0, int64(binary.BigEndian.Uint64(id[:8]))).UTC() }

// String returns the 32-character hex form.
func (id ID) String() string { return hex.EncodeToString(id[:]) }

// ParseID reads the hex form of an ID.
func ParseID(s string) (ID, error) {
	var id ID
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != len(id) {
		return id, fmt.Errorf("invalid id %q: want 32 hex digits", s)
	}
	copy(id[:], b)
	return id, nil
}

// DerivedID returns an ID determined by parts: the same parts give the same ID. Tasks and
// messages take IDs derived from (connection, step, visit), so replaying a transition
// creates nothing twice.
func DerivedID(parts ...string) ID {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	var id ID
	copy(id[:], h.Sum(nil))
	return id
}

// Visit is one visit of a connection to a step (the connection's Visit counter when it
// entered the step). What the runtime makes for a step visit — its task, the notice its
// owner gets, its outbox message — is named from it, so making one twice makes it once.
type Visit struct {
	Conn ID
	Step string
	N    uint32
}

// Key is the visit's idempotency key, "CONN/STEP/N": an outbox message's Key, from which
// its Message-ID derives.
func (v Visit) Key() string {
	return v.Conn.String() + "/" + v.Step + "/" + strconv.FormatUint(uint64(v.N), 10)
}

// TaskID is the id of the visit's task.
func (v Visit) TaskID() ID { return v.derived("task") }

// NoticeID is the id of the task that tells the record's owner about a problem of the visit.
func (v Visit) NoticeID() ID { return v.derived("notice") }

func (v Visit) derived(kind string) ID {
	return DerivedID(kind, v.Conn.String(), v.Step, strconv.FormatUint(uint64(v.N), 10))
}
