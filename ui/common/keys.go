package common

import (
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
)

// GlobalKeys are the keys the root handles on every screen (unless the screen captures
// input).
type GlobalKeys struct {
	Sequences, WorkList, Records, Help, Quit key.Binding
	// Admin shows the Admin tab (admins and managers).
	Admin key.Binding
}

// DefaultGlobalKeys are the keys of SPEC §8: 1 sequences, 2 work list, 3 records, ? help,
// q quit.
func DefaultGlobalKeys() GlobalKeys {
	return GlobalKeys{
		Sequences: key.NewBinding(key.WithKeys("1"), key.WithHelp("1", "sequences")),
		WorkList:  key.NewBinding(key.WithKeys("2"), key.WithHelp("2", "work list")),
		Records:   key.NewBinding(key.WithKeys("3"), key.WithHelp("3", "records")),
		Help:      key.NewBinding(key.WithKeys("?"), key.WithHelp("?", "all keys")),
		Admin:     key.NewBinding(key.WithKeys("4"), key.WithHelp("4", "admin")),
		Quit:      key.NewBinding(key.WithKeys("q", "ctrl+c"), key.WithHelp("q", "quit")),
	}
}

// NavKeys move a cursor through a list: every list, grid, tree and dialog of the screens
// binds these, with the same keys and the same labels.
type NavKeys struct {
	Up, Down, PageUp, PageDown, Top, Bottom key.Binding
}

// DefaultNavKeys are the navigation keys: ↑↓ or k/j, pgup/pgdn (or ctrl+u/ctrl+d), g/home
// and G/end.
func DefaultNavKeys() NavKeys {
	return NavKeys{
		Up:       key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑/k", "up")),
		Down:     key.NewBinding(key.WithKeys("down", "j"), key.WithHelp("↓/j", "down")),
		PageUp:   key.NewBinding(key.WithKeys("pgup", "ctrl+u"), key.WithHelp("pgup", "page up")),
		PageDown: key.NewBinding(key.WithKeys("pgdown", "ctrl+d"), key.WithHelp("pgdn", "page down")),
		Top:      key.NewBinding(key.WithKeys("home", "g"), key.WithHelp("g/home", "first")),
		Bottom:   key.NewBinding(key.WithKeys("end", "G"), key.WithHelp("G/end", "last")),
	}
}

// TypingNavKeys are the navigation keys of a list under a text input (a picker searched as
// you type): the letters and ctrl+u/ctrl+d are the input's, so only the keys that type
// nothing move.
func TypingNavKeys() NavKeys {
	return NavKeys{
		Up:       key.NewBinding(key.WithKeys("up"), key.WithHelp("↑", "up")),
		Down:     key.NewBinding(key.WithKeys("down"), key.WithHelp("↓", "down")),
		PageUp:   key.NewBinding(key.WithKeys("pgup"), key.WithHelp("pgup", "page up")),
		PageDown: key.NewBinding(key.WithKeys("pgdown"), key.WithHelp("pgdn", "page down")),
		Top:      key.NewBinding(key.WithKeys("home"), key.WithHelp("home", "first")),
		Bottom:   key.NewBinding(key.WithKeys("end"), key.WithHelp("end", "last")),
	}
}

// Bindings lists the navigation keys for help.
func (k NavKeys) Bindings() []key.Binding {
	return []key.Binding{k.Up, k.Down, k.PageUp, k.PageDown, k.Top, k.Bottom}
}

// Move applies a navigation key to a cursor over n items, page items to a page, and
// reports whether msg was one of them; the cursor stays in [0, n) (0 when n is 0).
func (k NavKeys) Move(msg tea.KeyPressMsg, cursor, n, page int) (int, bool) {
	page = max(page, 1)
	switch {
	case key.Matches(msg, k.Up):
		cursor--
	case key.Matches(msg, k.Down):
		cursor++
	case key.Matches(msg, k.PageUp):
		cursor -= page
	case key.Matches(msg, k.PageDown):
		cursor += page
	case key.Matches(msg, k.Top):
		cursor = 0
	case key.Matches(msg, k.Bottom):
		cursor = n - 1
	default:
		return cursor, false
	}
	return max(0, min(cursor, n-1)), true
}
