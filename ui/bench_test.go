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
		load := m.start(m.activeSlot())
		m.Update(tea.WindowSizeMsg{Width: 100, Height: 30})
		if load != nil {
			m.Update(load())
		}
		v := m.View()
		if scr := ansi.Strip(v.Content); !strings.Contains(scr, "[1 Sequences]") || !strings.Contains(scr, "Webinar follow-up") {
			b.Fatalf("no header or no grid:\n%s", scr)
		}
		m.Close()
	}
}
