package designer

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/pacer-sales/pacer/engine/sequence"
)

// Every step read into form values and applied back is unchanged.
func TestStepValuesRoundTrip(t *testing.T) {
	f := false
	steps := []sequence.Step{
		{Type: sequence.Email, ID: "e", Name: "Hello", Description: "first touch", Template: "intro"},
		{Type: sequence.AutoSMS, ID: "s", Template: "ping"},
		{Type: sequence.Wait, ID: "w", Duration: 36 * time.Hour},
		{Type: sequence.UpdateField, ID: "u", Field: "score", Value: 5.0},
		{Type: sequence.UpdateField, ID: "u2", Field: "hot", Value: true},
		{Type: sequence.SetStage, ID: "st", Stage: "develop"},
		{Type: sequence.AdvanceTo, ID: "a", Sequence: "Live"},
		{Type: sequence.Condition, ID: "c1", If: sequence.EmailReplied, Within: 48 * time.Hour, Early: &f, Yes: []sequence.Step{{Type: sequence.Task, ID: "t"}}, No: []sequence.Step{}},
		{Type: sequence.Condition, ID: "c2", If: sequence.EmailEvents, Events: []sequence.Kind{sequence.LinkClicked}, Match: sequence.MatchAny, Within: time.Hour, Yes: []sequence.Step{}, No: []sequence.Step{}},
		{Type: sequence.Condition, ID: "c3", If: sequence.CallOutcome, Outcomes: []string{"busy", "no_answer"}, Yes: []sequence.Step{}, No: []sequence.Step{}},
		{Type: sequence.Condition, ID: "c4", If: sequence.FieldTest, Test: sequence.Test{Field: "email", Op: sequence.OpNotEmpty}, Yes: []sequence.Step{}, No: []sequence.Step{}},
		{Type: sequence.Condition, ID: "c5", If: sequence.FieldTest, Test: sequence.Test{All: []sequence.Test{
			{Field: "score", Op: sequence.OpGe, Value: 10.0}, {Field: "region", Op: sequence.OpIn, Value: []any{"EMEA", 3.0}}}}, Yes: []sequence.Step{}, No: []sequence.Step{}},
		// Nested groups can't be shown; the form keeps them as they are.
		{Type: sequence.Condition, ID: "c6", If: sequence.FieldTest, Test: sequence.Test{Any: []sequence.Test{
			{All: []sequence.Test{{Field: "a", Op: sequence.OpEq, Value: "x"}}}, {Field: "b", Op: sequence.OpEmpty}}}, Yes: []sequence.Step{}, No: []sequence.Step{}},
		{Type: sequence.Condition, ID: "c7", If: sequence.StageIs, Stages: []string{"develop", "propose"}, Yes: []sequence.Step{}, No: []sequence.Step{}},
	}
	env := formEnv{maxWait: 30 * 24 * time.Hour}
	for _, st := range steps {
		got := cloneStep(st)
		if err := valuesOf(&st).apply(&got, env); err != nil {
			t.Fatalf("%s: %v", st.ID, err)
		}
		if !reflect.DeepEqual(got, st) {
			t.Errorf("%s: round trip\n got %+v\nwant %+v", st.ID, got, st)
		}
	}
}

func TestFieldTestLines(t *testing.T) {
	for _, c := range []struct {
		line string
		want sequence.Test
		err  string
	}{
		{"status eq qualified", sequence.Test{Field: "status", Op: sequence.OpEq, Value: "qualified"}, ""},
		{"  city   contains  New York ", sequence.Test{Field: "city", Op: sequence.OpContains, Value: "New York"}, ""},
		{"score lt 3.5", sequence.Test{Field: "score", Op: sequence.OpLt, Value: 3.5}, ""},
		{"email empty", sequence.Test{Field: "email", Op: sequence.OpEmpty}, ""},
		{"email not_empty ignored", sequence.Test{Field: "email", Op: sequence.OpNotEmpty}, ""},
		{"tier in gold, silver,, 2", sequence.Test{Field: "tier", Op: sequence.OpIn, Value: []any{"gold", "silver", 2.0}}, ""},
		{"status", sequence.Test{}, "want FIELD OP VALUE"},
		{"status is hot", sequence.Test{}, `unknown operator "is"`},
	} {
		got, err := parseComparison(c.line)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%q: error %v, want %q", c.line, err, c.err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, c.want) {
			t.Errorf("%q = %+v, %v; want %+v", c.line, got, err, c.want)
		}
	}
}

func TestWindowsAreBoundedByMaxWait(t *testing.T) {
	for s, want := range map[string]string{"": "required", "0": "more than 0", "3x": "want forms", "31d": "at most 30d", "30d": ""} {
		_, err := parseWindow(s, 30*24*time.Hour)
		if (err == nil) != (want == "") || err != nil && !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want %q", s, err, want)
		}
	}
}

// The properties form carries the options it shows and keeps the send window it doesn't.
func TestPropertiesKeepOptions(t *testing.T) {
	def := &sequence.Sequence{Name: "Away", Options: sequence.Options{SendWindow: "08:00-18:00", SendWhileAway: true}}
	p := propsOf(def)
	if !p.SendWhileAway {
		t.Fatal("the form does not show send_while_away")
	}
	p.SendWhileAway, p.ExitOnReply = false, true
	p.apply(def, false)
	want := sequence.Options{SendWindow: "08:00-18:00", ExitOnReply: true}
	if def.Options != want {
		t.Fatalf("options after the form: %+v, want %+v", def.Options, want)
	}
}
