package engine_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pacer-sales/pacer/engine"
	"github.com/pacer-sales/pacer/engine/mail/mailtest"
	"github.com/pacer-sales/pacer/store"
)

// claimLog is a store that notes every claim of queued messages: when (by the lease clock)
// and which.
type claimLog struct {
	store.Store
	now func() time.Time

	mu     sync.Mutex
	claims []claimNote
}

type claimNote struct {
	at  time.Time
	ids map[string]bool // Message-IDs
}

func (s *claimLog) Update(ctx context.Context, fn func(store.Tx) error) error {
	return s.Store.Update(ctx, func(tx store.Tx) error { return fn(claimLogTx{tx, s}) })
}

type claimLogTx struct {
	store.Tx
	s *claimLog
}

func (tx claimLogTx) ClaimQueued(until time.Time, limit int, lease time.Duration) ([]store.Message, error) {
	msgs, err := tx.Tx.ClaimQueued(until, limit, lease)
	note := claimNote{at: tx.s.now(), ids: map[string]bool{}}
	for _, m := range msgs {
		note.ids[strings.Trim(m.MessageID, "<>")] = true
	}
	tx.s.mu.Lock()
	tx.s.claims = append(tx.s.claims, note)
	tx.s.mu.Unlock()
	return msgs, err
}

// TestSlowSendsStayInsideTheLease: a mail server that takes two minutes per message, and a
// lease of five. A node sends a claimed message only while half its lease is left, and
// hands the rest back to the outbox, so none is ever delivered after the lease it was
// claimed under ran out (when another node could have claimed and sent it too), and the
// same tick still sends them all, each once.
func TestSlowSendsStayInsideTheLease(t *testing.T) {
	w := newWorld(t)
	srv := mailtest.Start(t)
	must(t, w.e.SetSetting(w.ctx, "ada", "smtp_url", srv.URL()))
	const lease, perSend = 5 * time.Minute, 2 * time.Minute
	var mu sync.Mutex
	leaseNow := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	now := func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		return leaseNow
	}
	type arrival struct {
		id string
		at time.Time
	}
	var arrivals []arrival
	srv.OnData(func(r mailtest.Received) {
		mu.Lock()
		leaseNow = leaseNow.Add(perSend)
		arrivals = append(arrivals, arrival{strings.Trim(r.MessageID, "<>"), leaseNow})
		mu.Unlock()
	})
	log := &claimLog{Store: w.db, now: now}
	w.e = engine.New(log, w.clock)
	w.e.SetSendLease(lease)
	engine.SetLeaseClock(w.e, now)

	w.connect(w.sequence(mailFirstSequence), w.tomsLeads("S", 5)...)
	w.after(0)

	mu.Lock()
	defer mu.Unlock()
	if len(arrivals) != 5 {
		t.Fatalf("%d messages delivered in the tick, want all 5", len(arrivals))
	}
	seen := map[string]bool{}
	for _, a := range arrivals {
		if seen[a.id] {
			t.Fatalf("%s delivered twice", a.id)
		}
		seen[a.id] = true
		var last *claimNote
		for i := range log.claims {
			if c := &log.claims[i]; c.ids[a.id] && !c.at.After(a.at) {
				last = c
			}
		}
		if last == nil {
			t.Fatalf("%s was delivered unclaimed", a.id)
		}
		if a.at.After(last.at.Add(lease)) {
			t.Errorf("%s was delivered %s after its claim, past the %s lease", a.id, a.at.Sub(last.at), lease)
		}
	}
	if len(log.claims) < 3 {
		t.Errorf("%d claims; five two-minute sends under a five-minute lease need at least 3", len(log.claims))
	}
}
