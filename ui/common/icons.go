package common

import "github.com/pacer-sales/pacer/engine/sequence"

// stepIcons are the symbols of the step types, the same on every screen (the designer's
// tree, the work list, Up next, the record view).
var stepIcons = map[sequence.Type]string{
	sequence.Email:             "✉",
	sequence.AutoEmail:         "✉",
	sequence.SMS:               "✆",
	sequence.AutoSMS:           "✆",
	sequence.Call:              "☎",
	sequence.Task:              "☐",
	sequence.Wait:              "◷",
	sequence.Condition:         "◆",
	sequence.UpdateField:       "✎",
	sequence.SetStage:          "⚑",
	sequence.AdvanceTo:         "➜",
	sequence.LinkedInResearch:  "in",
	sequence.LinkedInIntroduce: "in",
	sequence.LinkedInConnect:   "in",
	sequence.LinkedInInMail:    "in",
}

// StepIcon is the symbol of a step type ("•" for one it does not know).
func StepIcon(t string) string {
	if s, ok := stepIcons[sequence.Type(t)]; ok {
		return s
	}
	return "•"
}
