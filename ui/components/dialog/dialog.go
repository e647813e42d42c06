// Package dialog holds the dialogs every screen shares: a Picker (choose one item, or check
// several, in sections or tabs), a Confirm (a question with its answers) and a Prompt (one
// line of text that stays open, keeping what was typed, until it is accepted or cancelled).
// Each takes key presses through Update, says how it ended with a Result, lists its keys
// for the footer help and draws itself as plain lines, in a box (Panel) or inline.
package dialog

import (
	"strings"

	"charm.land/bubbles/v2/key"
	"github.com/charmbracelet/x/ansi"

	"github.com/pacer-sales/pacer/ui/common"
	"github.com/pacer-sales/pacer/ui/components/grid"
)

// Result is what a key press did to a dialog.
type Result int

const (
	// Open: the dialog still has the keys.
	Open Result = iota
	// Accepted: the user chose, answered or submitted; read the dialog's value.
	Accepted
	// Cancelled: the user closed the dialog (esc) without choosing.
	Cancelled
)

// Keys are the keys of every dialog.
type Keys struct {
	common.NavKeys
	// Choose picks the item under the cursor, or submits a prompt; Cancel closes.
	Choose, Cancel key.Binding
	// Toggle checks the item under the cursor and ToggleAll every item (pickers with
	// checkboxes).
	Toggle, ToggleAll key.Binding
	// PrevGroup and NextGroup move between a picker's tabs or sections.
	PrevGroup, NextGroup key.Binding
}

// DefaultKeys are the dialogs' keys.
func DefaultKeys() Keys {
	return Keys{
		NavKeys:   common.DefaultNavKeys(),
		Choose:    key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "choose")),
		Cancel:    key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "cancel")),
		Toggle:    key.NewBinding(key.WithKeys("space", "x"), key.WithHelp("space", "check/uncheck")),
		ToggleAll: key.NewBinding(key.WithKeys("a"), key.WithHelp("a", "all/none")),
		PrevGroup: key.NewBinding(key.WithKeys("left", "h", "shift+tab"), key.WithHelp("←/h", "previous group")),
		NextGroup: key.NewBinding(key.WithKeys("right", "l", "tab"), key.WithHelp("→/l", "next group")),
	}
}

// Panel draws a dialog box width cells wide and at most height lines high: the title, the
// content (cut to fit) and a footer line that always shows.
func Panel(st *common.Styles, title, content, footer string, width, height int) string {
	w := max(width, 20)
	lines := []string{st.Title.Render(title), ""}
	lines = append(lines, strings.Split(content, "\n")...)
	// Two border lines, a blank line and the footer.
	if rows := max(height-4, 3); len(lines) > rows {
		lines = lines[:rows]
	}
	lines = append(lines, "", st.Muted.Render(footer))
	for i, l := range lines {
		lines[i] = Fit(l, w-4)
	}
	return st.Border.Padding(0, 1).Width(w).Render(strings.Join(lines, "\n"))
}

// Fit cuts a styled line to w cells, marking the cut with an ellipsis.
func Fit(s string, w int) string {
	if ansi.StringWidth(s) <= w {
		return s
	}
	return ansi.Truncate(s, max(w, 0), "…")
}

// Wrap breaks plain text into lines of at most w cells (words longer than w are cut
// across lines), so a long message is read in full instead of cut at the edge. Control
// characters and escape sequences in s are dropped (see grid.Clean).
func Wrap(s string, w int) []string {
	w = max(w, 1)
	var out []string
	for _, para := range strings.Split(s, "\n") {
		wrapped := ansi.Wrap(grid.Clean(para), w, " ")
		out = append(out, strings.Split(wrapped, "\n")...)
	}
	return out
}
