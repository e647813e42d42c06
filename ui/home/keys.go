package home

import (
	"charm.land/bubbles/v2/key"

	"github.com/pacer-sales/pacer/ui/components/grid"
)

// keyMap are the home grid's keys (SPEC §8).
type keyMap struct {
	grid.KeyMap
	Filter, ClearFilters, Search                key.Binding
	New, Open, Activate, Deactivate, Copy       key.Binding
	Delete, Tags                                key.Binding
	Yes, No, Toggle, ToggleAll, Apply, Cancel   key.Binding
	PanelUp, PanelDown, Confirm, Close, OpenFix key.Binding
}

// defaultKeyMap returns the home screen's keys.
func defaultKeyMap() keyMap {
	return keyMap{
		KeyMap:       grid.DefaultKeyMap(),
		Filter:       key.NewBinding(key.WithKeys("f"), key.WithHelp("f", "filter by column")),
		ClearFilters: key.NewBinding(key.WithKeys("F"), key.WithHelp("F", "clear filters")),
		Search:       key.NewBinding(key.WithKeys("/"), key.WithHelp("/", "search")),
		New:          key.NewBinding(key.WithKeys("n"), key.WithHelp("n", "new")),
		Open:         key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "open")),
		Activate:     key.NewBinding(key.WithKeys("A"), key.WithHelp("A", "activate")),
		Deactivate:   key.NewBinding(key.WithKeys("D"), key.WithHelp("D", "deactivate")),
		Copy:         key.NewBinding(key.WithKeys("c"), key.WithHelp("c", "copy")),
		Delete:       key.NewBinding(key.WithKeys("x"), key.WithHelp("x", "delete")),
		Tags:         key.NewBinding(key.WithKeys("t"), key.WithHelp("t", "tags")),

		Yes:       key.NewBinding(key.WithKeys("y", "enter"), key.WithHelp("y/enter", "yes")),
		No:        key.NewBinding(key.WithKeys("n", "esc"), key.WithHelp("n/esc", "no")),
		Toggle:    key.NewBinding(key.WithKeys("space", "x"), key.WithHelp("space", "check/uncheck")),
		ToggleAll: key.NewBinding(key.WithKeys("a"), key.WithHelp("a", "all/none")),
		Apply:     key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "apply")),
		Cancel:    key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "cancel")),
		PanelUp:   key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑/k", "up")),
		PanelDown: key.NewBinding(key.WithKeys("down", "j"), key.WithHelp("↓/j", "down")),
		Confirm:   key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "save")),
		Close:     key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "close")),
		OpenFix:   key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "open to fix")),
	}
}
