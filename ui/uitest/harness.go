package uitest

import (
	"testing"
	"testing/synctest"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/pacer-sales/pacer/ui/common"
)

// Harness drives a screen as the program would, inside a synctest bubble: every command
// runs in its own goroutine and what it returns is fed back to the screen. A command still
// waiting once everything else in the bubble waits (a text cursor's blink) is left waiting,
// without sleeping, and drained when the test ends.
type Harness struct {
	T *testing.T
	// S is the screen under test.
	S common.Screen
	// Up says which messages go up to the root instead of back to the screen (a status, a
	// request to open a sequence); nil sends every message back.
	Up func(tea.Msg) bool
	// Sent are the messages that went up; Given every message the screen was given.
	Sent, Given []tea.Msg
	waiting     []chan tea.Msg
}

// NewHarness drives s in t, which must run inside synctest.Test.
func NewHarness(t *testing.T, s common.Screen, up func(tea.Msg) bool) *Harness {
	h := &Harness{T: t, S: s, Up: up}
	t.Cleanup(h.drain)
	return h
}

// Statuses sends a screen's status messages up, and every other message back.
func Statuses(msg tea.Msg) bool {
	_, ok := msg.(common.StatusMsg)
	return ok
}

// Send gives the screen a message and runs what it returns.
func (h *Harness) Send(msg tea.Msg) {
	h.T.Helper()
	h.Given = append(h.Given, msg)
	s, cmd := h.S.Update(msg)
	h.S = s
	h.Run(cmd)
}

// Run runs a command and everything it leads to.
func (h *Harness) Run(cmd tea.Cmd) {
	h.T.Helper()
	if cmd == nil {
		return
	}
	out := make(chan tea.Msg, 1)
	go func() { out <- cmd() }()
	synctest.Wait()
	select {
	case msg := <-out:
		h.handle(msg)
	default:
		h.waiting = append(h.waiting, out)
	}
}

func (h *Harness) handle(msg tea.Msg) {
	h.T.Helper()
	if cmds, ok := Commands(msg); ok {
		for _, c := range cmds {
			h.Run(c)
		}
		return
	}
	switch {
	case msg == nil:
	case h.Up != nil && h.Up(msg):
		h.Sent = append(h.Sent, msg)
	default:
		h.Send(msg)
	}
}

// drain lets the commands left waiting finish: while the test waits on them the bubble's
// clock moves on at once. Their messages are dropped.
func (h *Harness) drain() {
	for _, c := range h.waiting {
		<-c
	}
	h.waiting = nil
}

// Press sends key presses by name (see Key).
func (h *Harness) Press(keys ...string) {
	h.T.Helper()
	for _, k := range keys {
		h.Send(Key(k))
	}
}

// Type types each character of s.
func (h *Harness) Type(s string) {
	h.T.Helper()
	for _, r := range s {
		h.Send(tea.KeyPressMsg{Code: r, Text: string(r)})
	}
}

// View is the screen as plain text.
func (h *Harness) View() string { return ansi.Strip(h.S.View()) }

// LastStatus is the last status message that went up; zero when none did.
func (h *Harness) LastStatus() common.StatusMsg {
	for i := len(h.Sent) - 1; i >= 0; i-- {
		if st, ok := h.Sent[i].(common.StatusMsg); ok {
			return st
		}
	}
	return common.StatusMsg{}
}

// Drive runs cmd and everything it leads to on the test's goroutine, breadth first, for
// screens whose commands never wait on time: update gives a message to the screen and
// returns its command; a status message goes to status instead. It fails tb when the
// commands don't settle after 1000.
func Drive(tb testing.TB, cmd tea.Cmd, update func(tea.Msg) tea.Cmd, status func(common.StatusMsg)) {
	tb.Helper()
	queue := []tea.Cmd{cmd}
	for n := 0; len(queue) > 0; n++ {
		if n > 1000 {
			tb.Fatal("commands never settle")
		}
		c := queue[0]
		queue = queue[1:]
		if c == nil {
			continue
		}
		msg := c()
		if cmds, ok := Commands(msg); ok {
			queue = append(queue, cmds...)
			continue
		}
		switch msg := msg.(type) {
		case nil:
		case common.StatusMsg:
			status(msg)
		default:
			queue = append(queue, update(msg))
		}
	}
}
