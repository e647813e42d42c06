package bolt

import (
	"fmt"
	"runtime"
	"strings"

	"github.com/pacer-sales/pacer/store"
)

// damageError is a damaged value, index entry or page found while reading the database. It
// wraps store.ErrDamaged.
type damageError struct{ err error }

func (e *damageError) Error() string   { return e.err.Error() }
func (e *damageError) Unwrap() []error { return []error{store.ErrDamaged, e.err} }

// damaged makes a damageError as fmt.Errorf does (%w included).
func damaged(format string, args ...any) error {
	return &damageError{err: fmt.Errorf(format, args...)}
}

// recoverDamage turns a panic raised inside bbolt, or a memory fault while reading a mapped
// page (debug.SetPanicOnFault is on in transactions), into an error wrapping store.ErrDamaged. bbolt has
// rolled the transaction back by then. Any other panic goes on.
func (db *DB) recoverDamage(err *error) {
	r := recover()
	if r == nil {
		return
	}
	if _, fault := r.(interface{ Addr() uintptr }); !fault && !panickedInBolt() {
		panic(r)
	}
	*err = damaged("%s: the database file is damaged (%v); restore it from a backup", db.path, r)
}

// panickedInBolt reports whether the panic being recovered was raised in bbolt's code: the
// first frame below the runtime's panic machinery belongs to go.etcd.io/bbolt.
func panickedInBolt() bool {
	pcs := make([]uintptr, 32)
	n := runtime.Callers(3, pcs)
	frames := runtime.CallersFrames(pcs[:n])
	inPanic := false
	for {
		f, more := frames.Next()
		switch {
		case strings.HasPrefix(f.Function, "runtime."):
			inPanic = inPanic || strings.HasPrefix(f.Function, "runtime.gopanic") || strings.HasPrefix(f.Function, "runtime.panic") || strings.HasPrefix(f.Function, "runtime.sigpanic")
		case inPanic:
			return strings.HasPrefix(f.Function, "go.etcd.io/bbolt")
		}
		if !more {
			return false
		}
	}
}
