package sequence

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/pacer-sales/pacer/engine/limits"
)

// textLimit is the size limit of the text under one key of a sequence file, and whether it
// may span lines.
type textLimit struct {
	max       int
	multiline bool
}

// fileTextLimits are the limits of package limits for the texts of a sequence, by their
// key in the file; texts under other keys (values of fields and tests, words such as a type)
// are bounded as field values.
var fileTextLimits = map[string]textLimit{
	"name":        {limits.Name, false},
	"description": {limits.Description, true},
	"entity":      {limits.Identifier, false},
	"tags":        {limits.Name, false},
	"id":          {limits.Identifier, false},
	"template":    {limits.Name, false},
	"field":       {limits.Identifier, false},
	"stage":       {limits.Name, false},
	"stages":      {limits.Name, false},
	"sequence":    {limits.Name, false},
	"outcomes":    {limits.Identifier, false},
	"role":        {limits.Name, false},
	"title":       {limits.Name, false},
	"territory":   {limits.Name, false},
}

// limitOf returns the limit of the text under key.
func limitOf(key string) textLimit {
	if l, ok := fileTextLimits[key]; ok {
		return l
	}
	return textLimit{limits.FieldValue, true}
}

// checkText checks one text of a sequence against the limit of its key; what names it.
func checkText(what, key, s string) error {
	l := limitOf(key)
	return limits.Text(what, s, l.max, l.multiline)
}

// CheckSizes checks a sequence against the limits of package limits (SPEC §10): at most
// limits.Steps steps and limits.Tags tags; names, ids, descriptions, field names and values
// within their sizes, valid UTF-8 and free of terminal control characters (newlines and
// tabs only in descriptions and values). It returns every problem (code too_large or
// text_invalid), each with its step's path. Validate reports them too; a draft that breaks them can't be saved.
//
// Parse itself refuses only what would make reading costly: a file over
// limits.SequenceFile, more than limits.Steps steps, aliases that expand too far. So a
// definition stored before a limit was lowered can still be read and run.
func CheckSizes(s *Sequence) []Problem {
	var out []Problem
	add := func(path string, st *Step, what, key, v string) {
		if err := checkText(what, key, v); err != nil {
			code := CodeTextInvalid
			if len(v) > limitOf(key).max {
				code = CodeTooLarge
			}
			p := Problem{Path: path, Message: err.Error(), Code: code}
			if st != nil {
				p.StepID = st.ID
			}
			out = append(out, p)
		}
	}
	add("", nil, "the name", "name", strings.TrimSpace(s.Name)) // saving trims it
	add("", nil, "the description", "description", s.Description)
	add("", nil, "the record type", "entity", s.Entity)
	if len(s.Tags) > limits.Tags {
		out = append(out, Problem{Message: limits.TooLarge(fmt.Sprintf("the list of tags (%d)", len(s.Tags)), limits.Tags, "tags").Error(), Code: CodeTooLarge})
	}
	for i, t := range s.Tags {
		add("", nil, fmt.Sprintf("tag %d", i+1), "tags", t)
	}
	add("", nil, "the assignment field", "field", s.Assign.Field)
	for _, k := range MemberKeys {
		add("", nil, "the member condition "+k, k, s.Assign.Members[k])
	}
	if n := s.CountSteps(); n > limits.Steps {
		return append(out, Problem{Message: limits.TooLarge(fmt.Sprintf("the sequence (%d steps)", n), limits.Steps, "steps").Error(), Code: CodeTooLarge})
	}
	s.Walk(func(path string, st *Step) bool {
		add(path, st, "the step id", "id", st.ID)
		add(path, st, "the name", "name", st.Name)
		add(path, st, "the description", "description", st.Description)
		add(path, st, "the template name", "template", st.Template)
		add(path, st, "the field name", "field", st.Field)
		eachValue("the value", st.Value, func(what, v string) { add(path, st, what, "value", v) })
		add(path, st, "the stage", "stage", st.Stage)
		add(path, st, "the sequence name", "sequence", st.Sequence)
		for i, o := range st.Outcomes {
			add(path, st, "outcome "+strconv.Itoa(i+1), "outcomes", o)
		}
		for i, o := range st.Stages {
			add(path, st, "stage "+strconv.Itoa(i+1), "stages", o)
		}
		eachTest(&st.Test, func(t *Test) {
			add(path, st, "the field name of a test", "field", t.Field)
			eachValue("the value of a test", t.Value, func(what, v string) { add(path, st, what, "value", v) })
		})
		return len(out) < 100
	})
	return out
}

// eachValue calls fn for each text of a value (a string, or the strings of a list for op in).
func eachValue(what string, v any, fn func(what, s string)) {
	switch v := v.(type) {
	case string:
		fn(what, v)
	case []any:
		for _, x := range v {
			eachValue(what, x, fn)
		}
	}
}

// eachTest calls fn for a field test and every test of its groups.
func eachTest(t *Test, fn func(*Test)) {
	fn(t)
	for i := range t.All {
		eachTest(&t.All[i], fn)
	}
	for i := range t.Any {
		eachTest(&t.Any[i], fn)
	}
}
