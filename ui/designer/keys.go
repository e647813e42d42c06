package designer

import (
	"charm.land/bubbles/v2/key"

	"github.com/pacer-sales/pacer/ui/common"
)

// keyMap holds the sequence page's keys; the footer help is generated from it.
type keyMap struct {
	common.NavKeys
	NextTab, PrevTab key.Binding
	Back             key.Binding
	// BackToDraft is esc while an old version is shown.
	BackToDraft key.Binding

	// Designer
	Add, Edit, Delete, Props, Save, Activate, Check key.Binding
	MoveUp, MoveDown, Undo, Redo                    key.Binding
	Copy, Paste, Versions                           key.Binding

	// Connected records
	Connect, Disconnect, Reload key.Binding

	// Lists and questions
	Choose, Cancel key.Binding
}

func newKeyMap() keyMap {
	return keyMap{
		NavKeys:     common.DefaultNavKeys(),
		NextTab:     key.NewBinding(key.WithKeys("tab", "]"), key.WithHelp("tab/]", "next tab")),
		PrevTab:     key.NewBinding(key.WithKeys("shift+tab", "["), key.WithHelp("shift+tab/[", "previous tab")),
		Back:        key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "back")),
		BackToDraft: key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "back to the draft")),

		Add:      key.NewBinding(key.WithKeys("a", "+"), key.WithHelp("a/+", "add step")),
		Edit:     key.NewBinding(key.WithKeys("enter", "e"), key.WithHelp("enter/e", "edit")),
		Delete:   key.NewBinding(key.WithKeys("d"), key.WithHelp("d", "delete")),
		Props:    key.NewBinding(key.WithKeys("p"), key.WithHelp("p", "properties")),
		Save:     key.NewBinding(key.WithKeys("ctrl+s"), key.WithHelp("ctrl+s", "save")),
		Activate: key.NewBinding(key.WithKeys("A"), key.WithHelp("A", "activate")),
		Check:    key.NewBinding(key.WithKeys("v"), key.WithHelp("v", "check problems")),
		MoveUp:   key.NewBinding(key.WithKeys("K", "alt+up"), key.WithHelp("K", "move up")),
		MoveDown: key.NewBinding(key.WithKeys("J", "alt+down"), key.WithHelp("J", "move down")),
		Undo:     key.NewBinding(key.WithKeys("ctrl+z", "u"), key.WithHelp("ctrl+z/u", "undo")),
		Redo:     key.NewBinding(key.WithKeys("ctrl+y", "U"), key.WithHelp("ctrl+y/U", "redo")),
		Copy:     key.NewBinding(key.WithKeys("c"), key.WithHelp("c", "copy step")),
		Paste:    key.NewBinding(key.WithKeys("P"), key.WithHelp("P", "paste after")),
		Versions: key.NewBinding(key.WithKeys("H"), key.WithHelp("H", "version history")),

		Connect:    key.NewBinding(key.WithKeys("c"), key.WithHelp("c", "connect")),
		Disconnect: key.NewBinding(key.WithKeys("x"), key.WithHelp("x", "disconnect")),
		Reload:     key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "refresh")),

		Choose: key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "go to step")),
		Cancel: key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "close")),
	}
}
