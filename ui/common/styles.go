package common

import (
	"image/color"

	"charm.land/lipgloss/v2"
)

// Theme names colours by what they mean, not how they look.
type Theme struct {
	Text, Muted, Accent, Success, Warning, Danger, SelectedFg, SelectedBg, Border color.Color
}

// DefaultTheme returns pacer's theme for a dark or light terminal background.
func DefaultTheme(dark bool) Theme {
	ld := lipgloss.LightDark(dark)
	return Theme{
		Text:       ld(lipgloss.Color("#1f2328"), lipgloss.Color("#e6edf3")),
		Muted:      ld(lipgloss.Color("#656d76"), lipgloss.Color("#8b949e")),
		Accent:     ld(lipgloss.Color("#0969da"), lipgloss.Color("#58a6ff")),
		Success:    ld(lipgloss.Color("#1a7f37"), lipgloss.Color("#3fb950")),
		Warning:    ld(lipgloss.Color("#9a6700"), lipgloss.Color("#d29922")),
		Danger:     ld(lipgloss.Color("#cf222e"), lipgloss.Color("#f85149")),
		SelectedFg: ld(lipgloss.Color("#ffffff"), lipgloss.Color("#0d1117")),
		SelectedBg: ld(lipgloss.Color("#0969da"), lipgloss.Color("#58a6ff")),
		Border:     ld(lipgloss.Color("#d0d7de"), lipgloss.Color("#30363d")),
	}
}

// Styles are the lipgloss styles every screen uses, built from a theme. With colour off
// (NO_COLOR) they keep bold, underline and reverse, so state never depends on colour.
type Styles struct {
	Text, Muted, Title, Accent, Success, Warning, Danger lipgloss.Style
	// Selected marks the cursor row; Header the grid's header row.
	Selected, Header lipgloss.Style
	// TabActive and Tab are the header's screen tabs.
	TabActive, Tab lipgloss.Style
	Border         lipgloss.Style
}

// NewStyles builds the styles of a theme; noColor drops every colour.
func NewStyles(t Theme, noColor bool) *Styles {
	c := func(col color.Color) color.Color {
		if noColor {
			return lipgloss.NoColor{}
		}
		return col
	}
	s := lipgloss.NewStyle()
	st := &Styles{
		Text:      s.Foreground(c(t.Text)),
		Muted:     s.Foreground(c(t.Muted)),
		Title:     s.Foreground(c(t.Accent)).Bold(true),
		Accent:    s.Foreground(c(t.Accent)),
		Success:   s.Foreground(c(t.Success)),
		Warning:   s.Foreground(c(t.Warning)),
		Danger:    s.Foreground(c(t.Danger)).Bold(true),
		Selected:  s.Foreground(c(t.SelectedFg)).Background(c(t.SelectedBg)).Bold(true),
		Header:    s.Foreground(c(t.Muted)).Bold(true).Underline(true),
		TabActive: s.Foreground(c(t.Accent)).Bold(true).Underline(true),
		Tab:       s.Foreground(c(t.Muted)),
		Border:    s.BorderStyle(lipgloss.RoundedBorder()).BorderForeground(c(t.Border)),
	}
	if noColor {
		st.Selected = s.Reverse(true).Bold(true)
	}
	return st
}
