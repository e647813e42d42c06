package home

import (
	"charm.land/bubbles/v2/key"

	"github.com/pacer-sales/pacer/ui/components/grid"
)

// keyMap are the home grid's keys (SPEC §8).
type keyMap struct {
	grid.KeyMap
	Filter, ClearFilters, Search          key.Binding
	New, Open, Activate, Deactivate, Copy key.Binding
	Delete, Tags                          key.Binding
	ClearSearch, Close, OpenFix           key.Binding
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

		ClearSearch: key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "clear search")),
		Close:       key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "close")),
		OpenFix:     key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "open to fix")),
	}
}
