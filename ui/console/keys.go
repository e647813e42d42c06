package console

import (
	"charm.land/bubbles/v2/key"

	"github.com/pacer-sales/pacer/ui/common"
)

// keyMap is every key of the work list.
type keyMap struct {
	common.NavKeys

	Done, Skip, Snooze, SkipWait, Assign, Compose, Refresh key.Binding
	// Open opens the selected task's Up next over the whole screen (a double click too).
	Open key.Binding

	Search, ClearSearch, Filter, ClearFilters, Sort, Whose, AfterAction key.Binding

	// Keys of prompts, pickers and the email editor.
	Choose, Cancel, Send, NextField key.Binding
}

// defaultKeyMap is the work list's keys (SPEC §8).
func defaultKeyMap() keyMap {
	b := func(keys []string, k, help string) key.Binding {
		return key.NewBinding(key.WithKeys(keys...), key.WithHelp(k, help))
	}
	return keyMap{
		NavKeys: common.DefaultNavKeys(),

		Done:     b([]string{"d"}, "d", "done"),
		Skip:     b([]string{"x"}, "x", "skip"),
		Snooze:   b([]string{"z"}, "z", "snooze"),
		SkipWait: b([]string{"w"}, "w", "skip wait"),
		Assign:   b([]string{"a"}, "a", "assign"),
		Compose:  b([]string{"e"}, "e", "email"),
		Refresh:  b([]string{"r"}, "r", "refresh"),
		Open:     b([]string{"enter"}, "enter", "open Up next"),

		Search:       b([]string{"/"}, "/", "search"),
		ClearSearch:  b([]string{"esc"}, "esc", "clear search"),
		Filter:       b([]string{"f"}, "f", "filter"),
		ClearFilters: b([]string{"F"}, "F", "clear filters"),
		Sort:         b([]string{"s"}, "s", "sort"),
		Whose:        b([]string{"u"}, "u", "whose list"),
		AfterAction:  b([]string{"n"}, "n", "after action: next/stay"),

		Choose:    b([]string{"enter"}, "enter", "choose"),
		Cancel:    b([]string{"esc"}, "esc", "cancel"),
		Send:      b([]string{"ctrl+s"}, "ctrl+s", "send"),
		NextField: b([]string{"tab", "shift+tab"}, "tab", "next field"),
	}
}
