package common

import "charm.land/bubbles/v2/key"

// GlobalKeys are the keys the root handles on every screen (unless the screen captures
// input).
type GlobalKeys struct {
	Sequences, WorkList, Help, Quit key.Binding
}

// DefaultGlobalKeys are the keys of SPEC §8: 1 sequences, 2 work list, ? help, q quit.
func DefaultGlobalKeys() GlobalKeys {
	return GlobalKeys{
		Sequences: key.NewBinding(key.WithKeys("1"), key.WithHelp("1", "sequences")),
		WorkList:  key.NewBinding(key.WithKeys("2"), key.WithHelp("2", "work list")),
		Help:      key.NewBinding(key.WithKeys("?"), key.WithHelp("?", "all keys")),
		Quit:      key.NewBinding(key.WithKeys("q", "ctrl+c"), key.WithHelp("q", "quit")),
	}
}
