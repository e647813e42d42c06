package designer

import (
	"github.com/pacer-sales/pacer/engine/sequence"
	"github.com/pacer-sales/pacer/ui/components/dialog"
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

// newTypePicker is the picker of a new step's type: the groups are tabs (←→), the types of
// a group a list (↑↓), each with what it does.
func newTypePicker(title string) *dialog.Picker {
	var items []dialog.Item
	for _, g := range pickerGroups {
		items = append(items, dialog.Item{Group: string(g)})
		for _, ti := range typesOf(g) {
			items = append(items, dialog.Item{Label: icon(ti.Type) + " " + ti.DefaultName, Hint: typeHelp[ti.Type], Value: string(ti.Type)})
		}
	}
	p := dialog.NewPicker(title, items)
	p.Tabs = true
	return p
}
