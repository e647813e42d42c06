// Package input builds the one-line text inputs of the screens (search boxes, prompts, the
// email editor's fields) from the shared styles, with a steady cursor.
package input

import (
	"charm.land/bubbles/v2/textinput"

	"github.com/pacer-sales/pacer/ui/common"
)

// New returns an empty one-line input drawn with st.
func New(st *common.Styles) textinput.Model {
	in := textinput.New()
	in.SetStyles(Styles(st))
	return in
}

// Styles are a one-line input's styles taken from st, with a steady cursor. A screen sets
// them again on its inputs after common.StylesChangedMsg.
func Styles(st *common.Styles) textinput.Styles {
	s := textinput.DefaultDarkStyles()
	s.Focused.Prompt, s.Blurred.Prompt = st.Accent, st.Muted
	s.Focused.Text, s.Blurred.Text = st.Text, st.Muted
	s.Focused.Placeholder, s.Blurred.Placeholder = st.Muted, st.Muted
	s.Cursor.Blink = false
	return s
}
