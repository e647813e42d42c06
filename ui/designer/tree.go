package designer

import (
	"fmt"
	"strings"

	"github.com/pacer-sales/pacer/engine/sequence"
	"github.com/pacer-sales/pacer/ui/common"
)

// rowKind says what a line of the tree stands for.
type rowKind int

const (
	// rowStart is the "Sequence starts here" line; adding on it inserts at the top.
	rowStart rowKind = iota
	// rowStep is one step.
	rowStep
	// rowBranch is the Yes or No heading of a condition; adding on it inserts at the top of
	// that branch.
	rowBranch
	// rowEmpty is the "(empty)" placeholder of an empty branch.
	rowEmpty
)

// Branch names.
const (
	branchYes = "yes"
	branchNo  = "no"
)

// row is one line of the rendered tree. It points into the definition it was built from, so
// rows are rebuilt after every edit.
type row struct {
	kind rowKind
	// id is the step's id (rowStep) or its condition's id (rowBranch, rowEmpty).
	id string
	// branch is yes or no for rowBranch and rowEmpty.
	branch string
	// path is the step's path, e.g. "steps[2].no[1]" (rowStep).
	path string
	// depth counts the conditions around the line.
	depth int
	// prefix is the tree drawing before the line's text.
	prefix string
	step   *sequence.Step
}

// key identifies a row across rebuilds, so the cursor can follow it.
func (r row) key() string {
	switch r.kind {
	case rowStep:
		return "step:" + r.id
	case rowBranch:
		return r.branch + ":" + r.id
	case rowEmpty:
		return "empty-" + r.branch + ":" + r.id
	}
	return "start"
}

// stepKey is the row key of a step id.
func stepKey(id string) string { return "step:" + id }

// buildRows flattens a definition into the lines of the tree, in document order.
func buildRows(def *sequence.Sequence) []row {
	rows := []row{{kind: rowStart}}
	if def == nil {
		return rows
	}
	return appendRows(rows, def.Steps, "steps", "", 0)
}

func appendRows(rows []row, steps []sequence.Step, path, indent string, depth int) []row {
	for i := range steps {
		st := &steps[i]
		last := i == len(steps)-1
		p := fmt.Sprintf("%s[%d]", path, i)
		conn, cont := "├─ ", "│  "
		if last {
			conn, cont = "└─ ", "   "
		}
		rows = append(rows, row{kind: rowStep, id: st.ID, path: p, depth: depth, prefix: indent + conn, step: st})
		if st.Type != sequence.Condition {
			continue
		}
		inner := indent + cont
		for _, b := range []struct {
			name  string
			steps []sequence.Step
			conn  string
			cont  string
		}{
			{branchYes, st.Yes, "├─ ", "│  "},
			{branchNo, st.No, "└─ ", "   "},
		} {
			rows = append(rows, row{kind: rowBranch, id: st.ID, branch: b.name, depth: depth + 1, prefix: inner + b.conn, step: st})
			if len(b.steps) == 0 {
				rows = append(rows, row{kind: rowEmpty, id: st.ID, branch: b.name, depth: depth + 1, prefix: inner + b.cont + "└─ ", step: st})
				continue
			}
			rows = appendRows(rows, b.steps, p+"."+b.name, inner+b.cont, depth+1)
		}
	}
	return rows
}

// icons are one-cell symbols per step type; the type is always named in words too, so
// icon returns the symbol of a step type (common.StepIcon).
func icon(t sequence.Type) string { return common.StepIcon(string(t)) }

// typeLabels name each type briefly in the tree.
var typeLabels = map[sequence.Type]string{
	sequence.Email:             "email",
	sequence.AutoEmail:         "automated email",
	sequence.SMS:               "text message",
	sequence.AutoSMS:           "automated text",
	sequence.Call:              "call",
	sequence.Task:              "task",
	sequence.Wait:              "wait",
	sequence.Condition:         "condition",
	sequence.UpdateField:       "update field",
	sequence.SetStage:          "set stage",
	sequence.AdvanceTo:         "advance",
	sequence.LinkedInResearch:  "LinkedIn research",
	sequence.LinkedInIntroduce: "LinkedIn introduction",
	sequence.LinkedInConnect:   "LinkedIn connect",
	sequence.LinkedInInMail:    "LinkedIn InMail",
}

// typeLabel is the short name of a step type.
func typeLabel(t sequence.Type) string {
	if s, ok := typeLabels[t]; ok {
		return s
	}
	return string(t)
}

// summary is what the tree shows after a step's name: its type (when the name does not say
// it already) and its key options.
func summary(st *sequence.Step) string {
	var parts []string
	ti, _ := sequence.Info(st.Type)
	if st.Name != "" && st.Name != ti.DefaultName {
		parts = append(parts, typeLabel(st.Type))
	}
	if d := details(st); d != "" {
		parts = append(parts, d)
	}
	return strings.Join(parts, " · ")
}

// details are the key options of a step in a few words.
func details(st *sequence.Step) string {
	switch st.Type {
	case sequence.Email, sequence.SMS:
		if st.Template != "" {
			return "template " + st.Template
		}
	case sequence.AutoEmail, sequence.AutoSMS:
		if st.Template != "" {
			return "template " + st.Template
		}
		return "no template yet"
	case sequence.Wait:
		if st.Duration <= 0 {
			return "no duration yet"
		}
		return "wait " + sequence.FormatDuration(st.Duration)
	case sequence.Condition:
		return conditionSummary(st)
	case sequence.UpdateField:
		if st.Field == "" {
			return "no field yet"
		}
		return "set " + st.Field + " = " + valueText(st.Value)
	case sequence.SetStage:
		if st.Stage == "" {
			return "no stage yet"
		}
		return "stage → " + st.Stage
	case sequence.AdvanceTo:
		if st.Sequence == "" {
			return "no target yet"
		}
		return "to " + st.Sequence
	}
	return ""
}

// kindLabels name each condition kind.
var kindLabels = map[sequence.Kind]string{
	sequence.EmailOpened:          "email opened",
	sequence.EmailReplied:         "email replied",
	sequence.LinkClicked:          "link clicked",
	sequence.AttachmentDownloaded: "attachment downloaded",
	sequence.EmailEvents:          "email events",
	sequence.CallOutcome:          "call outcome",
	sequence.FieldTest:            "record field test",
	sequence.StageIs:              "record stage",
}

func kindLabel(k sequence.Kind) string {
	if s, ok := kindLabels[k]; ok {
		return s
	}
	return string(k)
}

// eventWords are the short forms of email events in summaries.
var eventWords = map[sequence.Kind]string{
	sequence.EmailOpened:          "opened",
	sequence.EmailReplied:         "replied",
	sequence.LinkClicked:          "clicked",
	sequence.AttachmentDownloaded: "downloaded",
}

// conditionSummary says what a condition tests, e.g. "if call outcome is connected".
func conditionSummary(st *sequence.Step) string {
	window := func() string {
		s := ""
		if st.Within > 0 {
			s = " within " + sequence.FormatDuration(st.Within)
		}
		if !st.IsEarly() {
			s += " (waits out the window)"
		}
		return s
	}
	switch st.If {
	case sequence.EmailOpened, sequence.EmailReplied, sequence.LinkClicked, sequence.AttachmentDownloaded:
		return "if " + eventWords[st.If] + window()
	case sequence.EmailEvents:
		words := make([]string, len(st.Events))
		for i, e := range st.Events {
			words[i] = eventWords[e]
			if words[i] == "" {
				words[i] = string(e)
			}
		}
		m := string(st.Match)
		if m == "" {
			m = string(sequence.MatchAll)
		}
		return "if " + m + " of " + strings.Join(words, ", ") + window()
	case sequence.CallOutcome:
		if len(st.Outcomes) == 0 {
			return "if call outcome is … (none chosen)"
		}
		return "if call outcome is " + strings.Join(st.Outcomes, " or ")
	case sequence.FieldTest:
		return "if " + testText(st.Test)
	case sequence.StageIs:
		if len(st.Stages) == 0 {
			return "if stage is … (none chosen)"
		}
		return "if stage is " + strings.Join(st.Stages, " or ")
	case "":
		return "no test yet"
	}
	return "if " + string(st.If)
}

// testText writes a field test compactly: "status eq qualified", "all(a eq 1, b gt 2)".
func testText(t sequence.Test) string {
	group := func(name string, ts []sequence.Test) string {
		parts := make([]string, len(ts))
		for i, x := range ts {
			parts[i] = testText(x)
		}
		return name + "(" + strings.Join(parts, ", ") + ")"
	}
	var parts []string
	if t.Field != "" || t.Op != "" {
		parts = append(parts, comparisonText(t))
	}
	if len(t.All) > 0 {
		parts = append(parts, group("all", t.All))
	}
	if len(t.Any) > 0 {
		parts = append(parts, group("any", t.Any))
	}
	if len(parts) == 0 {
		return "… (no test yet)"
	}
	return strings.Join(parts, " and ")
}

// comparisonText writes one comparison as the line form the form reads back.
func comparisonText(t sequence.Test) string {
	op := t.Op
	if op == "" {
		op = sequence.OpEq
	}
	s := t.Field + " " + string(op)
	if op == sequence.OpEmpty || op == sequence.OpNotEmpty {
		return s
	}
	return s + " " + valueText(t.Value)
}

// valueText writes a field value as the user types it; lists are comma-separated.
func valueText(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = valueText(e)
		}
		return strings.Join(parts, ", ")
	case float64:
		return fmt.Sprint(x)
	}
	return fmt.Sprint(v)
}
