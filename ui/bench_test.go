package ui

import (
	"context"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
)

// BenchmarkFirstFrame is the program's start on the sample org up to its first frame:
// the root is built (the acting user read), started, sized by the first WindowSizeMsg, the
// first screen's load runs and is delivered, and the frame is drawn.
func BenchmarkFirstFrame(b *testing.B) {
	eng := newEngine(b, true)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	for b.Loop() {
		m, err := New(ctx, eng, "admin", Options{Screens: realScreens})
		if err != nil {
			b.Fatal(err)
		}
		m.sessionCmds()
		load := m.active().Init()
		m.Update(tea.WindowSizeMsg{Width: 100, Height: 30})
		if load != nil {
			m.Update(load())
		}
		v := m.View()
		if !strings.Contains(ansi.Strip(v.Content), "[1 Sequences]") {
			b.Fatal("no header")
		}
		m.Close()
	}
}
