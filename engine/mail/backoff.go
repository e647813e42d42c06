package mail

import "time"

// MaxTries is how many times an automated email is tried before it becomes a manual email
// task for the step's assignees (SPEC §4 rule 4).
const MaxTries = 5

// backoff is the wait after the n-th failed try (index n-1): about an hour in all.
var backoff = [MaxTries - 1]time.Duration{
	1 * time.Minute,
	5 * time.Minute,
	15 * time.Minute,
	40 * time.Minute,
}

// Backoff is how long to wait before the next try of an email that has failed tries times:
// 1m, 5m, 15m, then 40m after the fourth failure (61 minutes from the first try to the
// fifth). It returns 0 for tries < 1 (send now) and for tries >= MaxTries, where there is no
// next try: callers give up once tries reaches MaxTries.
func Backoff(tries int) time.Duration {
	if tries < 1 || tries >= MaxTries {
		return 0
	}
	return backoff[tries-1]
}
