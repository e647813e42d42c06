package ui

import (
	"context"
	"fmt"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"

	"github.com/pacer-sales/pacer/engine"
	"github.com/pacer-sales/pacer/engine/sequence"
	"github.com/pacer-sales/pacer/store"
	"github.com/pacer-sales/pacer/ui/records"
)

// TestRecordsRefusalFitsTheFrame: a bulk connect refused for three records, at 80×24 (a screen area of 80×20),
// keeps the frame at 20 lines, says so once on the footer's status line and lists every
// reason in full.
func TestRecordsRefusalFitsTheFrame(t *testing.T) {
	eng := newEngine(t, false)
	ctx := context.Background()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(eng.AddUser(ctx, "", store.User{Username: "ada", Roles: []store.Role{store.RoleAdmin}}))
	must(eng.AddUser(ctx, "ada", store.User{Username: "sam", Roles: []store.Role{store.RoleSeller}}))
	must(eng.AddUser(ctx, "ada", store.User{Username: "sue", Roles: []store.Role{store.RoleSeller}}))
	csv := "id,name,owner\n"
	for i := 1; i <= 3; i++ {
		csv += fmt.Sprintf("L-%d,Lead %d,sam\n", i, i)
	}
	_, err := eng.ImportRecords(ctx, "ada", "leads.csv", strings.NewReader(csv), "lead")
	must(err)
	def, err := sequence.Parse([]byte("name: Nurture\nsteps:\n  - type: task\n    id: call\n    name: Call\n"), "t.yaml")
	must(err)
	_, err = eng.ImportSequence(ctx, "ada", def, engine.SaveOptions{Activate: true})
	must(err)

	h := newHarness(t, eng, "sue", Options{})
	h.m.opts.Screens.Records = records.New
	h.send(tea.WindowSizeMsg{Width: 80, Height: 24})
	shows := func(parts ...string) func() bool {
		return func() bool {
			scr := h.screen()
			for _, p := range parts {
				if !strings.Contains(scr, p) {
					return false
				}
			}
			return true
		}
	}
	h.pump(h.send(press("3")), shows("Lead 3"))
	h.pump(h.send(keys("space", "space", "space", "C")...), shows("Connect 3 marked record(s) to"))
	h.pump(h.send(press("enter")), shows("Connect 3 record(s) to Nurture?"))
	h.pump(h.send(press("y")), shows("Nothing connected to Nurture", "✗ Error: nothing connected to Nurture: 3 record(s) refused"))
	scr := h.screen()
	if n := strings.Count(scr, "\n") + 1; n != 24 {
		t.Fatalf("frame of %d lines at 80×24:\n%s", n, scr)
	}
	for i := 1; i <= 3; i++ {
		if want := fmt.Sprintf("lead/L-%d: sue can only connect records they own (owner: sam)", i); !strings.Contains(scr, want) {
			t.Fatalf("reason %q not readable:\n%s", want, scr)
		}
	}
	if strings.Count(scr, "nothing connected: ") > 0 || strings.Count(scr, "othing connected") != 2 {
		t.Fatalf("'nothing connected' doubled or missing:\n%s", scr)
	}
	// esc closes the reasons; the marks stay for another try.
	h.send(press("esc"))
	if scr := h.screen(); strings.Contains(scr, "Nothing connected to Nurture\n") || !strings.Contains(scr, "3 marked") {
		t.Fatalf("after esc:\n%s", scr)
	}
}
