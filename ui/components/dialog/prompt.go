package dialog

import (
	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"github.com/pacer-sales/pacer/engine/limits"
	"github.com/pacer-sales/pacer/ui/common"
	"github.com/pacer-sales/pacer/ui/components/grid"
	"github.com/pacer-sales/pacer/ui/components/input"
)

// Prompt asks for one line of text. It stays open after enter until its owner closes it, so
// a value the owner refuses (Err) keeps what was typed for the user to correct.
type Prompt struct {
	// Title heads the prompt's box; Hint is the line under the input (examples, what enter
	// will do).
	Title, Hint string
	// Err is why the value was refused; it shows in place of Hint until the next key.
	Err string
	// Input is the text input.
	Input textinput.Model
	keys  Keys
}

// NewPrompt returns a focused prompt holding value, drawn with st, taking at most
// limits.Name characters unless the owner sets Input.CharLimit.
func NewPrompt(st *common.Styles, title, value string) *Prompt {
	in := input.New(st)
	in.CharLimit = limits.Name
	in.SetValue(value)
	in.CursorEnd()
	in.Focus()
	return &Prompt{Title: title, Input: in, keys: DefaultKeys()}
}

// Value is the text typed.
func (p *Prompt) Value() string { return p.Input.Value() }

// Update handles a message: enter accepts (the prompt stays as it is: the owner checks the
// value and closes it, or sets Err), esc cancels, anything else edits the text.
func (p *Prompt) Update(msg tea.Msg) (Result, tea.Cmd) {
	if k, ok := msg.(tea.KeyPressMsg); ok {
		switch {
		case key.Matches(k, p.keys.Choose):
			return Accepted, nil
		case key.Matches(k, p.keys.Cancel):
			p.Input.Blur()
			return Cancelled, nil
		}
		p.Err = ""
	}
	var cmd tea.Cmd
	p.Input, cmd = p.Input.Update(msg)
	return Open, cmd
}

// SetStyles takes the shared styles again (after common.StylesChangedMsg).
func (p *Prompt) SetStyles(st *common.Styles) { p.Input.SetStyles(input.Styles(st)) }

// Help lists the prompt's keys.
func (p *Prompt) Help() []key.Binding {
	return []key.Binding{
		key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "ok")),
		p.keys.Cancel,
	}
}

// Lines draws the prompt inline, w cells wide: the input, then the error (wrapped) or the
// hint.
func (p *Prompt) Lines(st *common.Styles, w int) []string {
	p.Input.SetWidth(max(w-len([]rune(p.Input.Prompt))-2, 4))
	out := []string{Fit(p.Input.View(), w)}
	if p.Err != "" {
		for _, l := range Wrap("✗ "+grid.Clean(p.Err), w) {
			out = append(out, st.Danger.Render(l))
		}
		return out
	}
	hint := p.Hint
	if hint == "" {
		hint = helpLine(p.Help())
	}
	return append(out, Fit(st.Muted.Render(hint), w))
}

// View draws the prompt in a box (see Panel).
func (p *Prompt) View(st *common.Styles, w, h int) string {
	p.Input.SetWidth(max(w-10, 10))
	content := "> " + p.Input.View()
	if p.Err != "" {
		for _, l := range Wrap("✗ "+grid.Clean(p.Err), max(w-4, 1)) {
			content += "\n" + st.Danger.Render(l)
		}
	} else if p.Hint != "" {
		content += "\n" + st.Muted.Render(p.Hint)
	}
	return Panel(st, p.Title, content, helpLine(p.Help()), w, h)
}
