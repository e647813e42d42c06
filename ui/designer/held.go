package designer

import (
	"fmt"
	"strings"

	"github.com/pacer-sales/pacer/engine"
)

// What the engine holds at each automated step: the emails queued past their time for the
// send window, a sending limit, the sender being away or a pause. They come from
// engine.SequenceHolds, the one count of them (also behind `pacer seq show --json`);
// heldText is the one place that draws them.

// heldByStep indexes a sequence's holds by step id.
func heldByStep(h engine.Holds) map[string]engine.StepHolds {
	out := make(map[string]engine.StepHolds, len(h.Steps))
	for _, s := range h.Steps {
		out[s.ID] = s
	}
	return out
}

// heldWords names each kind of hold, in the order heldText lists them.
var heldWords = []struct{ kind, what string }{
	{engine.HoldWindow, "send window"},
	{engine.HoldLimit, "sending limit"},
	{engine.HoldAway, "sender away"},
	{engine.HoldPaused, "paused"},
	{engine.HoldOther, "other"},
}

// heldText draws a step's held emails, e.g. "queued 3: send window 2 · sender away 1;
// first out 2026-03-02 14:00 UTC"; "" when none.
func (m *Model) heldText(h engine.StepHolds) string {
	if h.Total == 0 {
		return ""
	}
	var parts []string
	for _, w := range heldWords {
		if n := h.ByReason[w.kind]; n > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", w.what, n))
		}
	}
	first := "at a resume"
	if !h.Next.IsZero() {
		first = m.when(h.Next)
	}
	return fmt.Sprintf("queued %d: %s; first out %s", h.Total, strings.Join(parts, " · "), first)
}
