package ui

import (
	"reflect"

	tea "charm.land/bubbletea/v2"

	"github.com/pacer-sales/pacer/ui/common"
)

// slot holds one live screen. A screen's Update may hand back another value; the slot
// keeps its place, and the results of its commands find it by the slot.
type slot struct {
	s common.Screen
}

// routed is the result of a screen's command on its way back to that screen.
type routed struct {
	to  *slot
	msg tea.Msg
}

// teaPkg is Bubble Tea's package path: its messages are for the program, never a screen's.
var teaPkg = reflect.TypeFor[tea.BatchMsg]().PkgPath()

// place gives a new screen its slot.
func (m *Root) place(s common.Screen) *slot { return &slot{s: s} }

// start runs a screen's Init.
func (m *Root) start(sl *slot) tea.Cmd { return m.from(sl, sl.s.Init()) }

// updateSlot hands msg to one screen and keeps what it hands back.
func (m *Root) updateSlot(sl *slot, msg tea.Msg) tea.Cmd {
	s, cmd := sl.s.Update(msg)
	if s != nil {
		sl.s = s
	}
	return m.from(sl, cmd)
}

// from tags the results of a screen's command so they return to that screen (see deliver).
func (m *Root) from(sl *slot, cmd tea.Cmd) tea.Cmd {
	if cmd == nil {
		return nil
	}
	return func() tea.Msg { return tag(sl, cmd()) }
}

// tag wraps one result of sl's command. Batches and sequences are opened so every command
// in them is tagged; Bubble Tea's own messages (quit, window size requests, running a
// program) go to the program as they are.
func tag(sl *slot, msg tea.Msg) tea.Msg {
	switch msg := msg.(type) {
	case nil:
		return nil
	case tea.BatchMsg:
		out := make(tea.BatchMsg, len(msg))
		for i, c := range msg {
			out[i] = tagCmd(sl, c)
		}
		return out
	}
	v := reflect.ValueOf(msg)
	if v.Kind() == reflect.Slice && v.Type().Elem() == reflect.TypeFor[tea.Cmd]() && v.Type().PkgPath() == teaPkg {
		// tea.Sequence: keep the order, tag each step.
		cmds := make([]tea.Cmd, v.Len())
		for i := range cmds {
			cmds[i] = tagCmd(sl, v.Index(i).Interface().(tea.Cmd))
		}
		if seq := tea.Sequence(cmds...); seq != nil {
			return seq()
		}
		return nil
	}
	if t := reflect.TypeOf(msg); t.PkgPath() == teaPkg || t.Kind() == reflect.Pointer && t.Elem().PkgPath() == teaPkg {
		return msg
	}
	return routed{to: sl, msg: msg}
}

// tagCmd wraps a command of sl so its results are tagged (see tag).
func tagCmd(sl *slot, c tea.Cmd) tea.Cmd {
	if c == nil {
		return nil
	}
	return func() tea.Msg { return tag(sl, c()) }
}

// deliver handles the result of a screen's command: the messages meant for the root
// (status, navigation, engine changes, signing in) are the root's; anything else goes
// back to the screen that asked, if it is still open.
func (m *Root) deliver(r routed) tea.Cmd {
	switch msg := r.msg.(type) {
	case common.BackMsg:
		return m.back(r.to)
	case common.StatusMsg, common.OpenSequenceMsg, common.ChangedMsg, common.StylesChangedMsg, signedInMsg:
		return m.update(msg)
	}
	for _, sl := range m.live() {
		if sl == r.to {
			return m.updateSlot(sl, r.msg)
		}
	}
	return nil
}

// activeSlot holds the screen shown.
func (m *Root) activeSlot() *slot {
	if m.first != nil {
		return m.first
	}
	st := m.stacks[m.tab]
	return st[len(st)-1]
}

// active is the screen shown.
func (m *Root) active() common.Screen { return m.activeSlot().s }

// live lists every open screen, shown or not.
func (m *Root) live() []*slot {
	var out []*slot
	if m.first != nil {
		out = append(out, m.first)
	}
	for _, st := range m.stacks {
		out = append(out, st...)
	}
	return out
}

// forward hands msg to the screen shown.
func (m *Root) forward(msg tea.Msg) tea.Cmd { return m.updateSlot(m.activeSlot(), msg) }

// broadcast hands msg to every open screen.
func (m *Root) broadcast(msg tea.Msg) tea.Cmd {
	var cmds []tea.Cmd
	for _, sl := range m.live() {
		cmds = append(cmds, m.updateSlot(sl, msg))
	}
	return tea.Batch(cmds...)
}
