// Package common holds what every screen of the terminal program shares: the Common
// context (engine, acting user, size, styles), the Screen interface the root routes to, the
// messages screens send each other, the global keys and the semantic theme.
package common

import (
	"context"
	"time"

	"charm.land/bubbles/v2/help"
	tea "charm.land/bubbletea/v2"

	"github.com/pacer-sales/pacer/engine"
)

// Common is handed to every screen and component; Ctx, Engine and Styles are always set.
// Screens never do I/O in Update: engine calls run inside tea.Cmds and come back as
// messages.
type Common struct {
	Ctx    context.Context
	Engine *engine.Engine
	// User is the acting user; every engine call is made as them.
	User engine.User
	// Styles are built once per session from the theme and the terminal's background.
	Styles *Styles
	// Width and Height are the size of the screen area (below the header, above the footer).
	Width, Height int
}

// Screen is one screen of the program. Only the root returns a tea.View; screens render
// plain strings into the area they were given with SetSize.
//
// The root hands the active screen the keys it does not keep for itself (none while the
// screen captures input, except ctrl+c) and the mouse messages (click, release, wheel,
// motion) that fall inside the screen's area, with X and Y relative to that area: Y 0 is
// the screen's first line. Every other message — the results of a screen's own commands,
// ChangedMsg, tea.BackgroundColorMsg — goes to every live screen, so a screen ignores what
// it does not know. A screen is sized with SetSize before its first View.
type Screen interface {
	Init() tea.Cmd
	Update(tea.Msg) (Screen, tea.Cmd)
	View() string
	SetSize(width, height int)
	// KeyMap gives the footer help; it is generated from the screen's key bindings.
	help.KeyMap
	// CapturesInput reports that the screen is taking text (a search box, a form), so the
	// root must not treat keys like q or 1 as its own.
	CapturesInput() bool
	// Dirty reports unsaved changes; the root asks before quitting while it is true.
	Dirty() bool
}

// Messages between screens and the root.
type (
	// OpenSequenceMsg asks the root to show the sequence page of a sequence.
	OpenSequenceMsg struct{ Name string }
	// BackMsg asks the root to return to the previous screen.
	BackMsg struct{}
	// StatusMsg shows a one-line message in the footer (Err marks a failure).
	StatusMsg struct {
		Text string
		Err  bool
	}
	// ChangedMsg tells screens the engine's data changed (published by the engine's
	// Subscribe); screens reload what they show.
	ChangedMsg struct{}
	// StylesChangedMsg tells screens that *Common.Styles was rebuilt in place (the
	// terminal's background became known, or NO_COLOR changed); a screen or component that
	// copied styles out of it takes them again.
	StylesChangedMsg struct{}
)

// Status returns a command that shows a footer message.
func Status(text string) tea.Cmd {
	return func() tea.Msg { return StatusMsg{Text: text} }
}

// Fail returns a command that shows an error in the footer.
func Fail(err error) tea.Cmd {
	return func() tea.Msg { return StatusMsg{Text: err.Error(), Err: true} }
}

// Location is the acting user's time zone (UTC when unset or unknown): every time a
// screen shows is in it, labelled with its name (ZoneLabel).
func (c *Common) Location() *time.Location { return UserLocation(c.User) }

// UserLocation is a user's time zone, UTC when unset or unknown.
func UserLocation(u engine.User) *time.Location {
	if u.TimeZone == "" {
		return time.UTC
	}
	loc, err := time.LoadLocation(u.TimeZone)
	if err != nil {
		return time.UTC
	}
	return loc
}

// ZoneLabel names the zone times are shown in at t: its abbreviation ("PST", "UTC"), or
// the zone's name when the abbreviation is only an offset.
func ZoneLabel(loc *time.Location, t time.Time) string {
	abbr, _ := t.In(loc).Zone()
	if abbr == "" || abbr[0] == '+' || abbr[0] == '-' {
		return loc.String()
	}
	return abbr
}
