package ui

import (
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"github.com/pacer-sales/pacer/ui/common"
)

// placeholder stands in for a screen this build does not have.
type placeholder struct {
	c    *common.Common
	what string
	w, h int
}

// newPlaceholder returns the placeholder of the screen named what.
func newPlaceholder(c *common.Common, what string) *placeholder {
	return &placeholder{c: c, what: what}
}

func (p *placeholder) Init() tea.Cmd                           { return nil }
func (p *placeholder) Update(tea.Msg) (common.Screen, tea.Cmd) { return p, nil }
func (p *placeholder) SetSize(w, h int)                        { p.w, p.h = w, h }
func (p *placeholder) ShortHelp() []key.Binding                { return nil }
func (p *placeholder) FullHelp() [][]key.Binding               { return nil }
func (p *placeholder) CapturesInput() bool                     { return false }
func (p *placeholder) Dirty() bool                             { return false }
func (p *placeholder) View() string {
	msg := p.c.Styles.Muted.Render(p.what + " screen is not in this build yet; the command line has it (pacer --help).")
	return lipgloss.Place(p.w, p.h, lipgloss.Center, lipgloss.Center, msg)
}
