package designer

import (
	"fmt"
	"strings"
	"time"

	"github.com/pacer-sales/pacer/engine"
)

// What the engine holds at each email step: automated emails queued past now for the send
// window, a sending limit, or the sender being away. They are read from the outbox (the
// rows of `pacer outbox`, each with why it waits) and put on the step of their record's
// active connection, which stays on an automated email's step until it is sent. heldByStep
// is the one place that reads them and heldText the one place that draws them.

// held counts one step's queued emails by why they wait.
type held struct {
	window, limit, away, other int
	// next is when the first of them goes out.
	next time.Time
}

func (h held) total() int { return h.window + h.limit + h.away + h.other }

// heldByStep counts the sequence's held emails per step id.
func heldByStep(seq string, box []engine.OutboxRow, conns []engine.ConnRow) map[string]held {
	step := map[string]string{} // record → the step of its active connection
	for _, c := range conns {
		if c.State == "active" {
			step[c.Record] = c.CurrentStep
		}
	}
	out := map[string]held{}
	for _, r := range box {
		if r.State != "queued" || r.Held == "" || !strings.EqualFold(r.Sequence, seq) {
			continue
		}
		id, ok := step[r.Record]
		if !ok {
			continue
		}
		h := out[id]
		switch why := r.Held; {
		case strings.HasPrefix(why, "held for the send window"):
			h.window++
		case strings.HasPrefix(why, "held by the sending limit"), strings.HasPrefix(why, "held by the spacing"):
			h.limit++
		case strings.HasPrefix(why, "held while the sender"):
			h.away++
		default:
			h.other++
		}
		if h.next.IsZero() || r.NextTry.Before(h.next) {
			h.next = r.NextTry
		}
		out[id] = h
	}
	return out
}

// heldText draws a step's held emails, e.g. "queued 3: send window 2 · sender away 1;
// first out 2026-03-02 14:00 UTC"; "" when none.
func (m *Model) heldText(h held) string {
	if h.total() == 0 {
		return ""
	}
	var parts []string
	for _, p := range []struct {
		n    int
		what string
	}{{h.window, "send window"}, {h.limit, "sending limit"}, {h.away, "sender away"}, {h.other, "paused or retrying"}} {
		if p.n > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", p.what, p.n))
		}
	}
	return fmt.Sprintf("queued %d: %s; first out %s", h.total(), strings.Join(parts, " · "), m.when(h.next))
}
