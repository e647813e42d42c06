// Package form holds what every embedded huh form of the screens shares: one key map (esc
// cancels, letters never start a filter), one theme built from the shared styles, in which
// the focused choice is marked by a sign and not by colour alone (NO_COLOR) and a
// placeholder reads as an example rather than a value, and the validators whose messages
// say what is missing.
package form

import (
	"errors"
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	"charm.land/huh/v2"
	"charm.land/lipgloss/v2"

	"github.com/pacer-sales/pacer/ui/common"
)

// Keys are the keys of every embedded form: esc cancels, filtering is off so letters never
// start a search.
func Keys() *huh.KeyMap {
	km := huh.NewDefaultKeyMap()
	km.Quit = key.NewBinding(key.WithKeys("esc", "ctrl+c"), key.WithHelp("esc", "cancel"))
	km.Select.Filter.SetEnabled(false)
	km.MultiSelect.Filter.SetEnabled(false)
	return km
}

// Focus marks the focused button of a yes/no question and the cursor of a choice; the
// other buttons get as many spaces, so nothing moves.
const (
	Focus   = "▸"
	unFocus = " "
)

// Theme is the forms' theme from st. The focused Yes/No button carries Focus and is drawn
// like the selected row (reverse video without colour); placeholders are muted and
// italic; errors are marked ✗.
func Theme(st *common.Styles) huh.Theme {
	return huh.ThemeFunc(func(bool) *huh.Styles {
		t := huh.ThemeBase(true)
		button := lipgloss.NewStyle().Padding(0, 1).MarginRight(1)
		for _, f := range []*huh.FieldStyles{&t.Focused, &t.Blurred} {
			f.Title = st.Title
			f.Description = st.Muted
			f.ErrorIndicator = st.Danger.SetString(" *")
			f.ErrorMessage = st.Danger.SetString("✗")
			f.SelectSelector = st.Accent.SetString(Focus + " ")
			f.Option = st.Text
			f.SelectedOption = st.Text
			f.UnselectedOption = st.Text
			f.SelectedPrefix = st.Accent.SetString("[x] ")
			f.UnselectedPrefix = st.Muted.SetString("[ ] ")
			f.MultiSelectSelector = st.Accent.SetString(Focus + " ")
			f.TextInput.Placeholder = st.Muted.Italic(true)
			f.TextInput.Prompt = st.Accent
			f.TextInput.Text = st.Text
			f.FocusedButton = button.Inherit(st.Selected).SetString(Focus)
			f.BlurredButton = button.Inherit(st.Muted).SetString(unFocus)
			f.NoteTitle = st.Title
		}
		t.Blurred.Title = st.Muted
		t.Blurred.SelectSelector = lipgloss.NewStyle().SetString("  ")
		t.Blurred.MultiSelectSelector = lipgloss.NewStyle().SetString("  ")
		t.Blurred.TextInput.Text = st.Muted
		t.Help.ShortKey, t.Help.ShortDesc = st.Accent, st.Muted
		t.Help.FullKey, t.Help.FullDesc = st.Accent, st.Muted
		return t
	})
}

// Example is a placeholder that reads as an example, not as a value: "e.g. 3d".
func Example(s string) string { return "e.g. " + s }

// Required is a validator of a field that must not be blank; its message names the field
// and, when example is set, shows what to type.
func Required(field, example string) func(string) error {
	msg := field + " is required"
	if example != "" {
		msg += fmt.Sprintf(": type one, e.g. %s", example)
	}
	err := errors.New(msg)
	return func(s string) error {
		if strings.TrimSpace(s) == "" {
			return err
		}
		return nil
	}
}
