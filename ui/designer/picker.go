package designer

import (
	"strings"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/pacer-sales/pacer/engine/sequence"
	"github.com/pacer-sales/pacer/ui/common"
)

// pickerGroups are the picker's tabs, in order.
var pickerGroups = []sequence.Group{sequence.GroupSteps, sequence.GroupConditions, sequence.GroupCommands, sequence.GroupLinkedIn}

// typeHelp says in a few words what each step type does.
var typeHelp = map[sequence.Type]string{
	sequence.Email:             "a manual email the seller sends",
	sequence.AutoEmail:         "an email pacer sends from a template",
	sequence.SMS:               "a text message the seller sends",
	sequence.AutoSMS:           "a text message pacer sends from a template",
	sequence.Call:              "a phone call; the seller records the outcome",
	sequence.Task:              "a custom activity for the seller",
	sequence.Wait:              "pause before the next step",
	sequence.Condition:         "branch on email events, a call outcome, a field or the stage",
	sequence.UpdateField:       "set a field of the record",
	sequence.SetStage:          "move the record to a business-process stage",
	sequence.AdvanceTo:         "hand the record over to another active sequence",
	sequence.LinkedInResearch:  "look the person up on LinkedIn",
	sequence.LinkedInIntroduce: "ask a mutual connection for an introduction",
	sequence.LinkedInConnect:   "send a connection request",
	sequence.LinkedInInMail:    "send an InMail message",
}

// typesOf lists the step types of a picker group.
func typesOf(g sequence.Group) []sequence.TypeInfo {
	var out []sequence.TypeInfo
	for _, ti := range sequence.Types {
		if ti.Group == g {
			out = append(out, ti)
		}
	}
	return out
}

// picker chooses the type of a new step: ←→ move between groups, ↑↓ between types.
type picker struct {
	group int
	index [4]int
}

// selected is the type under the picker's cursor.
func (p *picker) selected() sequence.Type {
	ts := typesOf(pickerGroups[p.group])
	return ts[p.index[p.group]].Type
}

// move handles a navigation key; other keys do nothing.
func (p *picker) move(k string) {
	n := len(typesOf(pickerGroups[p.group]))
	switch k {
	case "left", "h", "shift+tab":
		p.group = (p.group + len(pickerGroups) - 1) % len(pickerGroups)
	case "right", "l", "tab":
		p.group = (p.group + 1) % len(pickerGroups)
	case "up", "k":
		p.index[p.group] = (p.index[p.group] + n - 1) % n
	case "down", "j":
		p.index[p.group] = (p.index[p.group] + 1) % n
	case "home", "g":
		p.index[p.group] = 0
	case "end", "G":
		p.index[p.group] = n - 1
	}
}

// view draws the picker: the group tabs, then the types of the current group.
func (p *picker) view(st *common.Styles, title string, width int) string {
	var b strings.Builder
	b.WriteString(st.Title.Render(title))
	b.WriteString("\n\n")
	tabs := make([]string, len(pickerGroups))
	for i, g := range pickerGroups {
		if i == p.group {
			tabs[i] = st.TabActive.Render("[" + string(g) + "]")
		} else {
			tabs[i] = st.Tab.Render(" " + string(g) + " ")
		}
	}
	b.WriteString(strings.Join(tabs, "  "))
	b.WriteString("\n\n")
	for i, ti := range typesOf(pickerGroups[p.group]) {
		line := icon(ti.Type) + " " + ti.DefaultName
		pad := max(0, 28-lipgloss.Width(line))
		help := typeHelp[ti.Type]
		if i == p.index[p.group] {
			b.WriteString("› " + st.Selected.Render(line+strings.Repeat(" ", pad)) + "  " + st.Text.Render(help))
		} else {
			b.WriteString("  " + st.Text.Render(line+strings.Repeat(" ", pad)) + "  " + st.Muted.Render(help))
		}
		b.WriteString("\n")
	}
	b.WriteString("\n")
	b.WriteString(st.Muted.Render("←→ group · ↑↓ type · enter choose · esc cancel"))
	lines := strings.Split(b.String(), "\n")
	for i, l := range lines {
		lines[i] = ansi.Truncate(l, width, "…")
	}
	return strings.Join(lines, "\n")
}
