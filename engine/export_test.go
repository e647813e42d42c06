package engine

import "time"

// RetryDelay exposes retryDelay to the external tests.
var RetryDelay = retryDelay

// SetLeaseClock makes e time its send leases by now instead of the machine's clock.
func SetLeaseClock(e *Engine, now func() time.Time) { e.leaseClock = now }
