package dialog

import (
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/pacer-sales/pacer/ui/common"
	"github.com/pacer-sales/pacer/ui/components/grid"
)

// Choice is one answer of a Confirm.
type Choice struct {
	// Keys answer with this choice; the first is shown.
	Keys []string
	// Label says what the answer does.
	Label string
}

// Yes and No are the answers of a yes/no question: y or enter, n or esc.
var (
	Yes = Choice{Keys: []string{"y", "enter"}, Label: "yes"}
	No  = Choice{Keys: []string{"n", "esc"}, Label: "no"}
)

// Confirm is a question with its answers; every key goes to it until one is given (esc
// always cancels).
type Confirm struct {
	// Question is asked; Detail says more (what the action will do), a line each.
	Question string
	Detail   []string
	// Danger marks an action that can't be undone.
	Danger bool
	// Choices are the answers; the answer given is Answer.
	Choices []Choice
	// Answer is the index of the choice given, once Update returned Accepted.
	Answer int
}

// NewConfirm asks a yes/no question: Answer 0 is yes, 1 no (n or esc).
func NewConfirm(question string, lines ...string) *Confirm {
	return &Confirm{Question: question, Detail: lines, Choices: []Choice{Yes, No}}
}

// Ask asks a question with the given answers.
func Ask(question string, choices ...Choice) *Confirm {
	return &Confirm{Question: question, Choices: choices}
}

// Yes reports that the answer given was the first choice.
func (c *Confirm) Yes() bool { return c.Answer == 0 }

// Update handles a key press: a choice's key accepts it (Answer is its index); esc, when no
// choice takes it, cancels.
func (c *Confirm) Update(msg tea.KeyPressMsg) Result {
	s := msg.String()
	if len([]rune(s)) == 1 && s != strings.ToLower(s) {
		s = strings.ToLower(s) // Y answers as y
	}
	for i, ch := range c.Choices {
		for _, k := range ch.Keys {
			if k == s {
				c.Answer = i
				return Accepted
			}
		}
	}
	if s == "esc" {
		return Cancelled
	}
	return Open
}

// Help lists the answers' keys.
func (c *Confirm) Help() []key.Binding {
	bs := make([]key.Binding, 0, len(c.Choices))
	for _, ch := range c.Choices {
		bs = append(bs, key.NewBinding(key.WithKeys(ch.Keys...), key.WithHelp(strings.Join(ch.Keys, "/"), ch.Label)))
	}
	return bs
}

// answers is the answers on one line: "[y] yes · [n] no".
func (c *Confirm) answers() string {
	parts := make([]string, 0, len(c.Choices))
	for _, ch := range c.Choices {
		parts = append(parts, "["+ch.Keys[0]+"] "+ch.Label)
	}
	return strings.Join(parts, " · ")
}

// Lines draws the question on a status line w cells wide: the question (wrapped, never
// cut) and the answers.
func (c *Confirm) Lines(st *common.Styles, w int) []string {
	q := st.Warning.Bold(true)
	if c.Danger {
		q = st.Danger
	}
	var out []string
	for _, l := range Wrap("? "+grid.Clean(c.Question), w) {
		out = append(out, q.Render(l))
	}
	return append(out, Fit(st.Text.Render(c.answers()), w))
}

// View draws the question in a box (see Panel), its lines wrapped to the box.
func (c *Confirm) View(st *common.Styles, w, h int) string {
	var b []string
	for _, l := range c.Detail {
		b = append(b, Wrap(grid.Clean(l), max(w-4, 1))...)
	}
	title := grid.Clean(c.Question)
	if c.Danger {
		title = st.Danger.Render(title)
	}
	return Panel(st, title, strings.Join(b, "\n"), helpLine(c.Help()), w, h)
}
