package dialog

import (
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"

	"github.com/pacer-sales/pacer/ui/common"
	"github.com/pacer-sales/pacer/ui/uitest"
)

var st = common.NewStyles(common.DefaultTheme(true), true)

func sectioned() []Item {
	return []Item{
		{Group: "Due"}, {Label: "any", Value: ""}, {Label: "today", Value: "today", Current: true},
		{Group: "Type"}, {Label: "Lead", Value: "lead"}, {Label: "Account", Value: "account"},
	}
}

func TestPickerSkipsHeadersAndStartsOnCurrent(t *testing.T) {
	p := NewPicker("Filter", sectioned())
	if it, _ := p.Selected(); it.Value != "today" {
		t.Fatalf("starts on %q, want the current item", it.Value)
	}
	p.Update(uitest.Key("down"))
	if it, _ := p.Selected(); it.Value != "lead" {
		t.Fatalf("down over a section title landed on %q", it.Value)
	}
	p.Update(uitest.Key("up"))
	p.Update(uitest.Key("up"))
	if it, _ := p.Selected(); it.Value != "" || it.Label != "any" {
		t.Fatalf("up went to %+v", it)
	}
	p.Update(uitest.Key("up"))
	if it, _ := p.Selected(); it.Label != "any" {
		t.Fatalf("up at the first item moved to %+v", it)
	}
	p.Update(uitest.Key("G"))
	if it, _ := p.Selected(); it.Value != "account" {
		t.Fatalf("G went to %+v", it)
	}
	p.Update(uitest.Key("left"))
	if it, _ := p.Selected(); it.Label != "any" {
		t.Fatalf("left jumped to %+v, want the previous section's first item", it)
	}
	if r := p.Update(uitest.Key("enter")); r != Accepted {
		t.Fatalf("enter: %v", r)
	}
	if r := p.Update(uitest.Key("esc")); r != Cancelled {
		t.Fatalf("esc: %v", r)
	}
}

func TestPickerTabsKeepTheirCursor(t *testing.T) {
	p := NewPicker("Add a step", sectioned())
	p.Tabs = true
	p.cursor = 1
	p.Update(uitest.Key("down"))
	p.Update(uitest.Key("down"))
	if it, _ := p.Selected(); it.Value != "today" {
		t.Fatalf("down in a tab left the tab: %+v", it)
	}
	p.Update(uitest.Key("right"))
	if it, _ := p.Selected(); it.Value != "lead" {
		t.Fatalf("right: %+v", it)
	}
	view := ansi.Strip(strings.Join(p.Lines(st, 60, 12), "\n"))
	if !strings.Contains(view, "[Type]") || strings.Contains(view, "today") {
		t.Fatalf("tab view shows another tab's items or not its own tab:\n%s", view)
	}
	p.Update(uitest.Key("right")) // wraps to Due, back on today
	if it, _ := p.Selected(); it.Value != "today" {
		t.Fatalf("returning to a tab: %+v", it)
	}
}

func TestPickerChecks(t *testing.T) {
	p := NewPicker("Filter by Status", []Item{{Label: "Active", Value: "active"}, {Label: "Draft", Value: "draft"}})
	p.Multi = true
	p.Update(uitest.Key("space"))
	if c := p.Checked(); len(c) != 1 || c[0].Value != "active" {
		t.Fatalf("space: %+v", c)
	}
	p.Update(uitest.Key("a"))
	if c := p.Checked(); len(c) != 2 {
		t.Fatalf("a with one checked checks all: %+v", c)
	}
	p.Update(uitest.Key("a"))
	if c := p.Checked(); len(c) != 0 {
		t.Fatalf("a with all checked clears: %+v", c)
	}
	view := ansi.Strip(p.View(st, 50, 12))
	if !strings.Contains(view, "[ ] Draft") || !strings.Contains(view, "space check/uncheck") {
		t.Fatalf("view:\n%s", view)
	}
}

func TestPickerScrollsAndFits(t *testing.T) {
	var items []Item
	for i := range 100 {
		items = append(items, Item{Label: strings.Repeat("x", i%70), Value: string(rune('a' + i%26))})
	}
	p := NewPicker("Many \x1b]52;c;AAAA\a", items)
	for range 50 {
		p.Update(uitest.Key("down"))
	}
	lines := p.Lines(st, 40, 10)
	if len(lines) > 10 {
		t.Fatalf("%d lines in 10", len(lines))
	}
	found := false
	for _, l := range lines {
		if ansi.StringWidth(l) > 40 {
			t.Fatalf("line %q wider than 40", l)
		}
		if strings.Contains(l, "\x1b]") || strings.Contains(l, "\a") {
			t.Fatalf("escape sequence reached the view: %q", l)
		}
		found = found || strings.Contains(ansi.Strip(l), "›")
	}
	if !found {
		t.Fatalf("the cursor row is scrolled out:\n%s", strings.Join(lines, "\n"))
	}
	p.Update(uitest.Key("pgdown"))
	if p.cursor <= 50 {
		t.Fatalf("pgdown did not move a page: %d", p.cursor)
	}
}

func TestConfirm(t *testing.T) {
	c := NewConfirm("Delete it?", "It can't be undone.")
	if r := c.Update(uitest.Key("z")); r != Open {
		t.Fatalf("z: %v", r)
	}
	if r := c.Update(uitest.Key("Y")); r != Accepted || !c.Yes() {
		t.Fatalf("Y: %v %v", r, c.Yes())
	}
	c = NewConfirm("Delete it?")
	if r := c.Update(uitest.Key("n")); r != Accepted || c.Yes() {
		t.Fatalf("n: %v yes=%v", r, c.Yes())
	}
	c = Ask("Restore?", Choice{Keys: []string{"r"}, Label: "restore"}, Choice{Keys: []string{"d"}, Label: "discard"})
	if r := c.Update(uitest.Key("d")); r != Accepted || c.Answer != 1 {
		t.Fatalf("d: %v answer %d", r, c.Answer)
	}
	if r := c.Update(uitest.Key("esc")); r != Cancelled {
		t.Fatalf("esc: %v", r)
	}
	long := NewConfirm(strings.Repeat("word ", 40))
	lines := long.Lines(st, 30)
	if len(lines) < 3 {
		t.Fatalf("a long question is not wrapped: %q", lines)
	}
	for _, l := range lines {
		if ansi.StringWidth(l) > 30 {
			t.Fatalf("line %q wider than 30", l)
		}
	}
	if all := ansi.Strip(strings.Join(lines, " ")); strings.Count(all, "word") != 40 {
		t.Fatalf("words lost in wrapping: %q", all)
	}
}

func TestPromptKeepsTextOnError(t *testing.T) {
	p := NewPrompt(st, "Snooze until", "")
	for _, k := range []string{"t", "o", "m"} {
		p.Update(uitest.Key(k))
	}
	if r, _ := p.Update(uitest.Key("enter")); r != Accepted {
		t.Fatalf("enter: %v", r)
	}
	p.Err = "can't read \"tom\" as a time"
	lines := ansi.Strip(strings.Join(p.Lines(st, 60), "\n"))
	if !strings.Contains(lines, "tom") || !strings.Contains(lines, "can't read") {
		t.Fatalf("refused value lost or error not shown:\n%s", lines)
	}
	p.Update(uitest.Key("o"))
	if p.Err != "" || p.Value() != "tomo" {
		t.Fatalf("typing after an error: err %q value %q", p.Err, p.Value())
	}
	if r, _ := p.Update(uitest.Key("esc")); r != Cancelled {
		t.Fatalf("esc: %v", r)
	}
}
