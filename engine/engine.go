// Package engine is pacer's domain: the Engine façade that every front end (command line,
// terminal screens, SSH) calls. Every action names the acting user and is checked against the
// roles of SPEC §6 before anything else happens.
package engine

import (
	"context"
	"crypto"
	"errors"
	"fmt"
	"regexp"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pacer-sales/pacer/engine/limits"
	"github.com/pacer-sales/pacer/engine/mail"
	"github.com/pacer-sales/pacer/store"
)

// GCPercent is the garbage-collector setting pacer runs the engine with (unless GOGC is
// set): a transition allocates many short-lived values while the live heap stays small
// (under 10 MB walking 100,000 records), so collecting a quarter as often saves about a
// fifth of the engine's CPU for some 10 MB more memory.
const GCPercent = 400

// Engine is the façade over an open store.
type Engine struct {
	st    store.Store
	clock Clock
	plans plans
	hub   hub

	newTransport func(url string) (mail.Transport, error)
	mu           sync.Mutex
	tr           mail.Transport
	trURL        string

	// lease is how long dispatch holds the messages it claims (0: DefaultSendLease);
	// leaseClock tells the time a lease is measured in, the machine's (time.Now).
	lease      time.Duration
	leaseClock func() time.Time
	// node names this process among those sharing the database; leads says if it leads.
	node  string
	leads atomic.Bool
	// watching names the mailboxes the mail watcher watches now (under mu).
	watching []string
	// dkimKey is the DKIM key read from the file and version dkimStamp names (under mu).
	dkimKey   crypto.Signer
	dkimStamp string

	// held are the timers that could neither be applied nor put back, by connection.
	heldMu sync.Mutex
	held   map[store.ID]heldTimer

	// scratch is the clock of a simulator; nil on a real database.
	scratch *ManualClock

	// zones caches time zones by IANA name (nil: unknown).
	zones sync.Map
}

// New returns an engine over st that tells time with clock (SystemClock when nil) and
// sends email through the SMTP server of the org settings.
func New(st store.Store, clock Clock) *Engine {
	if clock == nil {
		clock = SystemClock{}
	}
	return &Engine{st: st, clock: clock, newTransport: mail.NewSMTP, leaseClock: time.Now}
}

// Clock returns the engine's clock.
func (e *Engine) Clock() Clock { return e.clock }

var usernameRE = regexp.MustCompile(`^[a-z0-9._-]+$`)

// actor loads the acting user; an unknown name is refused.
func actor(tx store.Tx, username string) (store.User, error) {
	if username == "" {
		return store.User{}, forbidden("no acting user; pass --as USER")
	}
	u, err := tx.User(username)
	if errors.Is(err, store.ErrNotFound) {
		return store.User{}, forbidden("%q is not a pacer user", username)
	}
	return u, err
}

// requireAdmin loads the actor and checks the admin role.
func requireAdmin(tx store.Tx, username, what string) (store.User, error) {
	u, err := actor(tx, username)
	if err != nil {
		return u, err
	}
	if !u.Has(store.RoleAdmin) {
		return u, forbidden("only admins can %s", what)
	}
	return u, nil
}

// requireManager loads the actor and checks the admin or manager role.
func requireManager(tx store.Tx, username, what string) (store.User, error) {
	u, err := actor(tx, username)
	if err != nil {
		return u, err
	}
	if !isManager(u) {
		return u, forbidden("only managers and admins can %s", what)
	}
	return u, nil
}

func isManager(u store.User) bool { return u.Has(store.RoleAdmin) || u.Has(store.RoleManager) }

// canManageSequence: admins and managers manage any sequence, sellers only their own.
func canManageSequence(u store.User, s store.Sequence) error {
	if isManager(u) || s.Owner == u.Username {
		return nil
	}
	return forbidden("%s can only change their own sequences; %q belongs to %s", u.Username, s.Name, s.Owner)
}

func (e *Engine) view(ctx context.Context, fn func(store.Tx) error) error {
	return e.st.View(ctx, fn)
}

// update runs fn in the write transaction of a façade method: what it stores of the org
// (users, teams, records, templates, segments) is held to the limits (checkedTx). When it
// commits, subscribers are told that data changed.
func (e *Engine) update(ctx context.Context, fn func(store.Tx) error) error {
	return e.write(ctx, func(tx store.Tx) error { return fn(checkedTx{tx}) })
}

// write runs fn in a write transaction as it is: the runtime's own transactions (timers,
// sends), which store only what the engine made of values held to the limits when they were
// given — and must not fail on a record stored before a limit was lowered. When it commits,
// subscribers are told that data changed. Every write is refused while the clock is outside
// the times pacer works with (limits.Time).
func (e *Engine) write(ctx context.Context, fn func(store.Tx) error) error {
	if err := limits.Time("the current time", e.clock.Now()); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	err := e.st.Update(ctx, fn)
	if err == nil {
		e.notify()
	}
	return err
}

// Whoami returns the acting user.
func (e *Engine) Whoami(ctx context.Context, username string) (store.User, error) {
	var u store.User
	err := e.view(ctx, func(tx store.Tx) (err error) {
		u, err = actor(tx, username)
		return err
	})
	return masked(u, u.Has(store.RoleAdmin)), err
}

// DefaultActor picks the acting user when none is given: osUser when it is a pacer user, else
// the first admin. It returns "" on a database without users.
func (e *Engine) DefaultActor(ctx context.Context, osUser string) (string, error) {
	var name string
	err := e.view(ctx, func(tx store.Tx) error {
		if osUser != "" {
			if _, err := tx.User(osUser); err == nil {
				name = osUser
				return nil
			}
		}
		users, err := tx.Users()
		if err != nil {
			return err
		}
		for _, u := range users {
			if u.Has(store.RoleAdmin) {
				name = u.Username
				return nil
			}
		}
		return nil
	})
	return name, err
}

// Empty reports whether the database has no users yet (a new org).
func (e *Engine) Empty(ctx context.Context) (bool, error) {
	empty := false
	err := e.view(ctx, func(tx store.Tx) error {
		users, err := tx.Users()
		empty = len(users) == 0
		return err
	})
	return empty, err
}

func notFound(err error, format string, args ...any) error {
	if errors.Is(err, store.ErrNotFound) {
		return invalid(format, args...)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", fmt.Sprintf(format, args...), err)
	}
	return nil
}
