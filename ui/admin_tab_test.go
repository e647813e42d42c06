package ui

import (
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
)

// TestAdminTabByRole: admins and managers get tab 4 (key and click); sellers see no tab
// and 4 does nothing for them.
func TestAdminTabByRole(t *testing.T) {
	for _, tc := range []struct {
		user string
		tab  bool
	}{{"admin", true}, {"dana.whitfield", true}, {"sam.okafor", false}} {
		t.Run(tc.user, func(t *testing.T) {
			h := newHarness(t, newEngine(t, true), tc.user, Options{})
			h.send(tea.WindowSizeMsg{Width: 100, Height: 30})
			head := strings.Split(h.screen(), "\n")[0]
			if got := strings.Contains(head, "4 Admin"); got != tc.tab {
				t.Fatalf("header %q: admin tab shown = %v, want %v", head, got, tc.tab)
			}
			h.send(press("4"))
			scr := h.screen()
			if got := strings.Contains(scr, "screen admin 100x26"); got != tc.tab {
				t.Fatalf("after 4: admin screen shown = %v, want %v:\n%s", got, tc.tab, scr)
			}
			if !tc.tab {
				if h.count("admin") != 0 || !strings.Contains(scr, "[1 Sequences]") {
					t.Fatalf("seller got the admin tab:\n%s", scr)
				}
				return
			}
			if !strings.Contains(strings.Split(scr, "\n")[0], "[4 Admin]") {
				t.Fatalf("admin tab not marked:\n%s", scr)
			}
			// A click on the Sequences tab and one on the Admin tab switch back and forth.
			h.send(press("1"))
			x := strings.Index(strings.Split(h.screen(), "\n")[0], "4 Admin")
			h.send(tea.MouseClickMsg{X: x, Y: 0, Button: tea.MouseLeft})
			if !strings.Contains(h.screen(), "screen admin") || h.count("admin") != 1 {
				t.Fatalf("click on the tab: %d admin screens:\n%s", h.count("admin"), h.screen())
			}
		})
	}
}
