package designer

import (
	"context"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/pacer-sales/pacer/engine"
	"github.com/pacer-sales/pacer/ui/common"
)

const windowed = `name: Windowed
options:
  send_window: 14:00-16:00
steps:
  - type: auto_email
    id: hello
    template: intro
  - type: task
    id: after
    name: Follow up
`

// The Stats tab shows, under each automated email step, the emails the engine holds there
// and why: the send window, or the sender being away; and follows the engine when they go.
func TestStatsShowHeldEmailsPerStep(t *testing.T) {
	e := newOrg(t)
	ctx := context.Background()
	// sue owns L-3 and is away until Wednesday 09:00; the window opens at 14:00 (it is 09:00).
	must(t, e.AddAway(ctx, "ada", "sue", t0.Add(-time.Hour), t0.Add(48*time.Hour), ""))
	importSeq(t, e, windowed, true)
	_, err := e.Connect(ctx, "ada", "Windowed", []string{"lead/L-1", "lead/L-2", "lead/L-3"})
	must(t, err)
	synctest.Test(t, func(t *testing.T) {
		h := open(t, e, "ada", "Windowed", 120, 30)
		h.Press("tab", "tab")
		h.wantView("[Stats]", "✉ Automated email", "queued 3: send window 2 · sender away 1; first out 2026-03-02 14:00 UTC")
		// The held line sits under its step, not under the task after it.
		ls := strings.Split(plain(h.View()), "\n")
		for i, l := range ls {
			if strings.Contains(l, "queued 3") && !strings.Contains(ls[i-1], "Automated email") {
				t.Fatalf("held line after %q:\n%s", ls[i-1], plain(h.View()))
			}
		}
		// L-1 disconnected: its held email is no longer counted once the engine says so.
		must(t, e.Disconnect(ctx, "ada", "Windowed", []string{"lead/L-1"}))
		h.Send(common.ChangedMsg{})
		h.wantView("queued 2: send window 1 · sender away 1")
		// L-2 paused without a date: held for the pause, going out at a resume.
		_, err := e.Pause(ctx, "ada", "Windowed", engine.Targets{Refs: []string{"lead/L-2"}}, "on leave", time.Time{})
		must(t, err)
		h.Send(common.ChangedMsg{})
		h.wantView("queued 2: sender away 1 · paused 1; first out 2026-03-04 14:00 UTC")
		must(t, e.Disconnect(ctx, "ada", "Windowed", []string{"lead/L-3"}))
		h.Send(common.ChangedMsg{})
		h.wantView("queued 1: paused 1; first out at a resume")
	})
}
