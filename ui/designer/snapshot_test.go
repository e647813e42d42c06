package designer

import (
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"context"
	"strings"
	"testing"
	"testing/synctest"
)

// plain trims the spaces that pad each line of a view.
func plain(v string) string {
	ls := strings.Split(v, "\n")
	for i, l := range ls {
		ls[i] = strings.TrimRight(l, " ")
	}
	return strings.Join(ls, "\n")
}

func wantSnapshot(t *testing.T, h *harness, want string) {
	t.Helper()
	want = strings.TrimPrefix(want, "\n")
	if got := plain(h.View()); got != want {
		t.Fatalf("view:\n%s\nwant:\n%s", got, want)
	}
}

// The demo's "Product demo request" in the area an 80×24 terminal leaves the page.
func TestSnapshotsOnTheDemo(t *testing.T) {
	e := newEngine(t)
	if _, err := e.LoadDemo(context.Background()); err != nil {
		t.Fatal(err)
	}
	synctest.Test(t, func(t *testing.T) {
		h := open(t, e, "admin", "Product demo request", 80, 22)
		wantSnapshot(t, h, `
Product demo request  Active v1 · Opportunity · owner admin
[Designer]   Connected records (4)    Stats

› ● Sequence starts here
  ├─ ⚑ Set stage  stage → develop
  ├─ ✉ Propose demo times  email · template demo-scheduling
  ├─ ☎ Qualify the demo request  call
  └─ ◆ Reached the requester?  condition · if call outcome is connected
     ├─ Yes
     │  ├─ ☐ Prepare the demo environment  task
     │  ├─ ☐ Run the demo  task
     │  ├─ ✉ Send the demo recap  email · template demo-recap
     │  └─ ⚑ Set stage  stage → propose
     └─ No
        ├─ ◷ Wait  wait 1d
        ├─ ✉ Remind them of the proposed times  automated email · template demo…
        └─ ◆ Replied with a time?  condition · if replied within 3d
           ├─ Yes
           │  └─ ☐ Confirm the demo slot  task
           └─ No
              ├─ ☎ Second call  call
`)
		// G goes to the last step; the tree scrolls and the status line names the step.
		h.Press("G")
		wantSnapshot(t, h, `
Product demo request  Active v1 · Opportunity · owner admin
[Designer]   Connected records (4)    Stats

     ├─ Yes
     │  ├─ ☐ Prepare the demo environment  task
     │  ├─ ☐ Run the demo  task
     │  ├─ ✉ Send the demo recap  email · template demo-recap
     │  └─ ⚑ Set stage  stage → propose
     └─ No
        ├─ ◷ Wait  wait 1d
        ├─ ✉ Remind them of the proposed times  automated email · template demo…
        └─ ◆ Replied with a time?  condition · if replied within 3d
           ├─ Yes
           │  └─ ☐ Confirm the demo slot  task
           └─ No
              ├─ ☎ Second call  call
              └─ ◆ Reached them this time?  condition · if call outcome is conn…
                 ├─ Yes
                 │  └─ ☐ Book the demo  task
                 └─ No
›                   └─ ✎ Update field  set demo_status = no_response
mark-stalled · update field`)
		// g back to the top; k at the top stays.
		h.Press("g", "k")
		if h.selectedKey() != "start" || h.model().offset != 0 {
			t.Fatalf("cursor %s offset %d", h.selectedKey(), h.model().offset)
		}
		h.Press("tab", "tab")
		wantSnapshot(t, h, `
Product demo request  Active v1 · Opportunity · owner admin
 Designer    Connected records (4)   [Stats]

Connections  4 in all: active 4 · completed 0 · disconnected 0
Success rate  — (no connection has ended yet)

  Step                        Entered            done · skipped · waiting now
  ● Sequence starts here
  ├─ ⚑ Set stage              ████████████    4  4 · 0 · 0
  ├─ ✉ Propose demo times     ████████████    4  0 · 0 · 4
  ├─ ☎ Qualify the demo req…  ░░░░░░░░░░░░    0  0 · 0 · 0
  └─ ◆ Reached the requeste…  ░░░░░░░░░░░░    0  0 · 0 · 0  yes 0 · no 0
     ├─ Yes
     │  ├─ ☐ Prepare the de…  ░░░░░░░░░░░░    0  0 · 0 · 0
     │  ├─ ☐ Run the demo     ░░░░░░░░░░░░    0  0 · 0 · 0
     │  ├─ ✉ Send the demo …  ░░░░░░░░░░░░    0  0 · 0 · 0
     │  └─ ⚑ Set stage        ░░░░░░░░░░░░    0  0 · 0 · 0
     └─ No
        ├─ ◷ Wait             ░░░░░░░░░░░░    0  0 · 0 · 0
        ├─ ✉ Remind them of…  ░░░░░░░░░░░░    0  0 · 0 · 0
        └─ ◆ Replied with a…  ░░░░░░░░░░░░    0  0 · 0 · 0  yes 0 · no 0
`)
		// The help follows the tab.
		var keys []string
		for _, b := range h.S.ShortHelp() {
			keys = append(keys, b.Help().Key)
		}
		if strings.Join(keys, " ") != "↑/k ↓/j tab/] esc" {
			t.Fatalf("stats help %v", keys)
		}
	})
}

// Every line of the page fits the width it was given, whatever the tab or mode.
func TestViewFitsItsArea(t *testing.T) {
	e := newEngine(t)
	if _, err := e.LoadDemo(context.Background()); err != nil {
		t.Fatal(err)
	}
	synctest.Test(t, func(t *testing.T) {
		for _, size := range [][2]int{{80, 20}, {120, 40}} {
			h := open(t, e, "admin", "High-volume outbound prospecting", size[0], size[1])
			check := func(what string) {
				t.Helper()
				lines := strings.Split(h.S.View(), "\n")
				if len(lines) != size[1] {
					t.Fatalf("%s at %v: %d lines", what, size, len(lines))
				}
				for _, l := range lines {
					if w := lipglossWidth(l); w > size[0] {
						t.Fatalf("%s at %v: line %q is %d wide", what, size, l, w)
					}
				}
			}
			check("tree")
			h.Press("G")
			check("tree at the end")
			h.Press("a")
			check("picker")
			h.Press("right", "enter")
			check("condition form")
			h.Press("esc", "p")
			check("properties")
			h.Press("esc", "d")
			check("delete question")
			h.Press("esc", "v")
			check("problems")
			h.Press("esc", "tab")
			check("connected")
			h.Press("tab")
			check("stats")
		}
	})
}

func lipglossWidth(s string) int { return lipgloss.Width(s) }

func TestMouseSelectsAndScrolls(t *testing.T) {
	e := newOrg(t)
	importSeq(t, e, live, true)
	synctest.Test(t, func(t *testing.T) {
		h := open(t, e, "ada", "Live", 100, 30)
		m := h.model()
		// Row 2 of the tree (the condition) is on the body's third line.
		h.Send(tea.MouseClickMsg{X: 10, Y: 3 + 2, Button: tea.MouseLeft})
		if h.selectedKey() != "step:reached" {
			t.Fatalf("click selected %s", h.selectedKey())
		}
		h.Send(tea.MouseWheelMsg{Button: tea.MouseWheelDown})
		h.Send(tea.MouseWheelMsg{Button: tea.MouseWheelDown})
		if h.selectedKey() != "step:book" {
			t.Fatalf("wheel moved to %s", h.selectedKey())
		}
		h.Send(tea.MouseWheelMsg{Button: tea.MouseWheelUp})
		if h.selectedKey() != "yes:reached" {
			t.Fatalf("wheel up moved to %s", h.selectedKey())
		}
		// The tabs line: "[Designer]  " then " Connected records (0) " then " Stats ".
		h.Send(tea.MouseClickMsg{X: 40, Y: 1, Button: tea.MouseLeft})
		if m.tab != tabStats {
			t.Fatalf("tab %d after clicking Stats", m.tab)
		}
		h.Send(tea.MouseClickMsg{X: 15, Y: 1, Button: tea.MouseLeft})
		if m.tab != tabConnected {
			t.Fatalf("tab %d after clicking Connected records", m.tab)
		}
		// Clicks wait while a question is open.
		h.Send(tea.MouseClickMsg{X: 2, Y: 1, Button: tea.MouseLeft})
		h.Press("up", "d")
		h.wantView("Delete condition")
		h.Send(tea.MouseClickMsg{X: 40, Y: 1, Button: tea.MouseLeft})
		if m.tab != tabDesigner {
			t.Fatalf("tab %d", m.tab)
		}
	})
}

// The root hands every live screen every command result; a page takes only its own.
func TestPagesTakeOnlyTheirOwnResults(t *testing.T) {
	e := newOrg(t)
	importSeq(t, e, live, true)
	blank(t, e, "Other")
	synctest.Test(t, func(t *testing.T) {
		a := open(t, e, "ada", "Live", 100, 30)
		b := open(t, e, "ada", "Other", 100, 30)
		msg := a.model().loadCmd()()
		b.Send(msg)
		if b.model().def.Name != "Other" {
			t.Fatalf("page b took page a's sequence: %q", b.model().def.Name)
		}
		b.Press("a")
		submit := a.model().own(func() tea.Msg { return formDoneMsg{id: b.model().formID, ok: true} })()
		b.Send(submit)
		if b.model().mode != modePicker {
			t.Fatal("page b took page a's form result")
		}
	})
}
