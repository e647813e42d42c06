package sequence

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/pacer-sales/pacer/engine/limits"
)

// taskFile writes a sequence file of n task steps.
func taskFile(n int) []byte {
	var b bytes.Buffer
	b.WriteString("name: Big\nsteps:\n")
	for i := range n {
		fmt.Fprintf(&b, "  - type: task\n    name: Task %d\n", i)
	}
	return b.Bytes()
}

// TestParseFileSizeLimit: a file over limits.SequenceFile is refused before it is read,
// with the limit in the message.
func TestParseFileSizeLimit(t *testing.T) {
	data := append([]byte("name: x\ndescription: "), bytes.Repeat([]byte("a"), limits.SequenceFile)...)
	_, err := Parse(data, "big.yaml")
	if err == nil || err.Error() != "big.yaml:1: the sequence file is too large: the limit is 4 MiB" {
		t.Fatalf("Parse: %v", err)
	}
}

// TestParseItemLimit: a file of tiny flow items under the size limit is refused before the
// YAML reader builds its millions of nodes; prose of the same size is not.
func TestParseItemLimit(t *testing.T) {
	flood := "name: x\nsteps: [" + strings.Repeat("0,", 2_000_000) + "0]\n"
	_, err := Parse([]byte(flood), "flood.yaml")
	want := fmt.Sprintf("flood.yaml:1: the sequence file has too many items (%d lines and \",[{\" separators; the limit is %d)", 2_000_003, limits.SequenceItems)
	if err == nil || err.Error() != want {
		t.Fatalf("Parse of a flood of items: %v, want %q", err, want)
	}
	sentence := "Thanks for your time on the call today, it was good to hear about your plans.\n"
	prose := "name: Long\ndescription: |\n" + strings.Repeat("  "+sentence, (limits.SequenceFile-100)/(len(sentence)+2)) + "steps: []\n"
	if _, err := Parse([]byte(prose), "prose.yaml"); err != nil {
		t.Fatalf("Parse of %d bytes of prose: %v", len(prose), err)
	}
}

// TestParseStepLimit: limits.Steps steps are read; one more is refused with the limit and
// the line of the step over it.
func TestParseStepLimit(t *testing.T) {
	s, err := Parse(taskFile(limits.Steps), "ok.yaml")
	if err != nil || s.CountSteps() != limits.Steps {
		t.Fatalf("Parse of %d steps: %v", limits.Steps, err)
	}
	_, err = Parse(taskFile(limits.Steps+1), "big.yaml")
	want := fmt.Sprintf("big.yaml:%d: the sequence (more than 1000 steps) is too large: the limit is 1000 steps", 3+2*limits.Steps)
	if err == nil || err.Error() != want {
		t.Fatalf("Parse of %d steps: %v, want %q", limits.Steps+1, err, want)
	}
	// Nested steps count too.
	var b strings.Builder
	b.WriteString("name: Nested\nsteps:\n  - type: condition\n    if: stage\n    stages: [a]\n    yes:\n")
	for range limits.Steps {
		b.WriteString("      - type: task\n")
	}
	b.WriteString("    no: []\n")
	if _, err := Parse([]byte(b.String()), "nested.yaml"); err == nil || !strings.Contains(err.Error(), "the limit is 1000 steps") {
		t.Fatalf("Parse of nested steps: %v", err)
	}
}

// TestParseLargeFileWithoutAliases: a file under the limits without a single alias is never
// refused for what aliases expand to, however many values it holds (issue 8: a big file
// was refused with "its aliases expand to more than 100000 values").
func TestParseLargeFileWithoutAliases(t *testing.T) {
	var b bytes.Buffer
	b.WriteString("name: Wide\nsteps:\n")
	values := strings.TrimSuffix(strings.Repeat("v,", 300), ",")
	for i := range limits.Steps / 2 {
		fmt.Fprintf(&b, "  - type: condition\n    id: c%d\n    if: field\n    field: tier\n    op: in\n    value: [%s]\n    yes: []\n    no: []\n  - type: task\n", i, values)
	}
	if b.Len() > limits.SequenceFile {
		t.Fatalf("the file is %d bytes, over the limit", b.Len())
	}
	s, err := Parse(b.Bytes(), "wide.yaml")
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if n := len(s.Steps[0].Test.Value.([]any)); n != 300 {
		t.Fatalf("the first test has %d values", n)
	}
	// Aliases still may not add more than their budget.
	bomb := "name: x\na: &a [v,v,v,v,v,v,v,v,v,v]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: [*e,*e,*e,*e,*e,*e,*e,*e,*e,*e]\n"
	if _, err := Parse([]byte(bomb), "bomb.yaml"); err == nil || !strings.Contains(err.Error(), "its aliases expand to more than 100000 values") {
		t.Fatalf("Parse of an alias bomb: %v", err)
	}
}

// TestAssignIDsManySteps: ids of many steps of a type are unique, numbered on from the last
// one, around the ids already taken.
func TestAssignIDsManySteps(t *testing.T) {
	s := &Sequence{}
	for i := range limits.Steps {
		st := Step{Type: Task}
		if i == 1 {
			st.ID = "task-2" // taken by the second step: the first gets task-1, the third task-3
		}
		s.Steps = append(s.Steps, st)
	}
	s.Steps = append(s.Steps, Step{Type: AutoEmail})
	s.AssignIDs()
	seen := map[string]bool{}
	for i, st := range s.Steps {
		if seen[st.ID] || st.ID == "" {
			t.Fatalf("step %d: id %q again or empty", i, st.ID)
		}
		seen[st.ID] = true
	}
	if s.Steps[0].ID != "task-1" || s.Steps[2].ID != "task-3" || s.Steps[limits.Steps-1].ID != "task-1000" || s.Steps[limits.Steps].ID != "auto-email-1" {
		t.Fatalf("ids %q %q %q %q", s.Steps[0].ID, s.Steps[2].ID, s.Steps[limits.Steps-1].ID, s.Steps[limits.Steps].ID)
	}
}

// BenchmarkAssignIDs numbers the ids of a sequence of 30,000 steps of one type (quadratic
// before: 42 s; the limit is now limits.Steps, but numbering stays linear).
func BenchmarkAssignIDs(b *testing.B) {
	for b.Loop() {
		s := &Sequence{Steps: make([]Step, 30_000)}
		for i := range s.Steps {
			s.Steps[i].Type = Call
		}
		s.AssignIDs()
	}
}

// TestCheckSizes: every text of a sequence is held to its limit, with the step's path.
func TestCheckSizes(t *testing.T) {
	long := strings.Repeat("x", limits.FieldValue+1)
	s := &Sequence{
		Name: "S", Tags: make([]string, limits.Tags+1),
		Steps: []Step{
			{Type: UpdateField, ID: "u", Field: "f", Value: long},
			{Type: Task, ID: strings.Repeat("i", limits.Identifier+1), Description: "two\nlines\tfine"},
		},
	}
	var got []string
	for _, p := range CheckSizes(s) {
		got = append(got, p.Path+" "+p.Code+": "+p.Message)
	}
	want := []string{
		" too_large: the list of tags (51) is too large: the limit is 50 tags",
		"steps[0] too_large: the value is too large: the limit is 16 KiB",
		"steps[1] too_large: the step id is too large: the limit is 100 bytes",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("got:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
