package common

import (
	"testing"

	tea "charm.land/bubbletea/v2"
)

func TestNavKeysMove(t *testing.T) {
	k := DefaultNavKeys()
	press := func(code rune, text string, mod tea.KeyMod) tea.KeyPressMsg {
		return tea.KeyPressMsg{Code: code, Text: text, Mod: mod}
	}
	for _, c := range []struct {
		name        string
		msg         tea.KeyPressMsg
		from, n, pg int
		want        int
		handled     bool
	}{
		{"down", press(tea.KeyDown, "", 0), 3, 10, 4, 4, true},
		{"j", press('j', "j", 0), 9, 10, 4, 9, true},
		{"up at top", press('k', "k", 0), 0, 10, 4, 0, true},
		{"pgdown", press(tea.KeyPgDown, "", 0), 3, 10, 4, 7, true},
		{"ctrl+d", press('d', "", tea.ModCtrl), 8, 10, 4, 9, true},
		{"ctrl+u", press('u', "", tea.ModCtrl), 8, 10, 4, 4, true},
		{"G", press('G', "G", 0), 0, 10, 4, 9, true},
		{"home", press(tea.KeyHome, "", 0), 5, 10, 4, 0, true},
		{"empty list", press(tea.KeyDown, "", 0), 0, 0, 4, 0, true},
		{"other key", press('x', "x", 0), 5, 10, 4, 5, false},
	} {
		got, ok := k.Move(c.msg, c.from, c.n, c.pg)
		if got != c.want || ok != c.handled {
			t.Errorf("%s: got %d %v, want %d %v", c.name, got, ok, c.want, c.handled)
		}
	}
	if _, ok := TypingNavKeys().Move(press('j', "j", 0), 0, 10, 4); ok {
		t.Error("j moves a list under a text input")
	}
	// One label per key everywhere (they had drifted: pgdn / pgdown).
	if h := k.PageDown.Help(); h.Key != "pgdn" {
		t.Errorf("page down is labelled %q", h.Key)
	}
}
