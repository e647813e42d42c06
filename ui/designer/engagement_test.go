package designer

import (
	"context"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/pacer-sales/pacer/engine"
	"github.com/pacer-sales/pacer/engine/sequence"
	"github.com/pacer-sales/pacer/ui/common"
)

const mailed = `name: Mailed
options:
  send_window: any
steps:
  - type: auto_email
    id: hello
    template: intro
  - type: task
    id: after
    name: Follow up
`

// The Stats tab shows per automated email step what the engine recorded: sent, opened
// (marked as a soft signal, with the note saying why), clicked and replied, and follows
// new events.
func TestStatsShowEngagementPerStep(t *testing.T) {
	e := newOrg(t)
	ctx := context.Background()
	importSeq(t, e, mailed, true)
	_, err := e.Connect(ctx, "ada", "Mailed", []string{"lead/L-1", "lead/L-2", "lead/L-3"})
	must(t, err)
	event := func(ref string, kind sequence.Kind) {
		t.Helper()
		must(t, e.RecordEvent(ctx, "ada", ref, kind, "hello", time.Time{}))
	}
	event("lead/L-1", sequence.EmailOpened)
	event("lead/L-1", sequence.LinkClicked)
	event("lead/L-2", sequence.EmailOpened)
	event("lead/L-2", sequence.EmailReplied)
	synctest.Test(t, func(t *testing.T) {
		h := open(t, e, "ada", "Mailed", 140, 30)
		h.Press("tab", "tab")
		h.wantView("[Stats]", "sent 3 · opened* 2 · clicked 1 · replied 1 (33% replied)", "* "+engine.OpensNote)
		// The numbers sit on the email step's line, not the task's.
		for _, l := range strings.Split(plain(h.View()), "\n") {
			if strings.Contains(l, "sent 3") && !strings.Contains(l, "Automated email") {
				t.Fatalf("engagement on %q:\n%s", l, plain(h.View()))
			}
		}
		must(t, e.RecordEvent(ctx, "ada", "lead/L-3", sequence.EmailReplied, "hello", time.Time{}))
		h.Send(common.ChangedMsg{})
		h.wantView("sent 3 · opened* 2 · clicked 1 · replied 2 (67% replied)")
	})
}
