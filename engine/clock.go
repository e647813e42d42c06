package engine

import "time"

// Clock tells the engine what time it is. Nothing in the engine calls time.Now directly, so
// a pinned or simulated clock (--now, simulate, tests) drives every decision.
type Clock interface {
	Now() time.Time
}

// SystemClock is the wall clock.
type SystemClock struct{}

// Now returns the current time in UTC.
func (SystemClock) Now() time.Time { return time.Now().UTC() }

// FixedClock always returns the same instant (the --now flag).
type FixedClock time.Time

// Now returns the pinned instant.
func (c FixedClock) Now() time.Time { return time.Time(c).UTC() }
