package sequence

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// FuzzValidate reads arbitrary sequence files and validates whatever parses: Validate must
// not panic, must give the same answer twice, must leave the sequence as it was, and every
// problem must carry a known code, a message and a path and id that point at a real step.
// Seeds live in testdata/fuzz/FuzzValidate.
func FuzzValidate(f *testing.F) {
	f.Add([]byte("name: One step\nsteps:\n  - type: task\n"))
	envs := []Env{
		{},
		{
			MaxWait:      7 * 24 * time.Hour,
			CallOutcomes: []string{"connected", "meeting_booked"},
			Templates:    func(name string) bool { return name == "intro" || name == "follow_up" },
			Others: []Peer{
				{Name: "Nurture", Active: true},
				{Name: "Dormant"},
				{Name: "Deals", Entity: "opportunity", Active: true},
			},
			Activating:  true,
			ActiveCount: 10,
			ActiveLimit: 10,
		},
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Parse(data, "fuzz.yaml")
		if err != nil {
			return
		}
		before := fmt.Sprintf("%#v", s)
		for _, env := range envs {
			first := Validate(s, env)
			second := Validate(s, env)
			if !reflect.DeepEqual(first, second) {
				t.Fatalf("Validate is not deterministic:\n%s\nthen:\n%s", dumpProblems(first), dumpProblems(second))
			}
			if after := fmt.Sprintf("%#v", s); after != before {
				t.Fatalf("Validate changed the sequence")
			}
			checkProblems(t, s, first)
		}
	})
}

// checkProblems checks what every list of problems must satisfy, whatever the sequence.
func checkProblems(t *testing.T, s *Sequence, ps []Problem) {
	t.Helper()
	ids := map[string]string{}
	var order []string
	s.Walk(func(p string, st *Step) bool {
		ids[p] = st.ID
		order = append(order, p)
		return true
	})
	last := -1
	for _, p := range ps {
		if !slices.Contains(Codes, p.Code) {
			t.Errorf("problem with unknown code %q: %+v", p.Code, p)
		}
		if strings.TrimSpace(p.Message) == "" {
			t.Errorf("problem without a message: %+v", p)
		}
		if p.Path == "" {
			if p.StepID != "" || last >= 0 {
				t.Errorf("sequence-level problem with a step id or after step problems: %+v", p)
			}
			continue
		}
		id, ok := ids[p.Path]
		if !ok {
			t.Errorf("problem at a path that is not a step: %+v", p)
			continue
		}
		if id != p.StepID {
			t.Errorf("problem at %s has step id %q, the step has %q", p.Path, p.StepID, id)
		}
		i := slices.Index(order, p.Path)
		if i < last {
			t.Errorf("problem at %s out of document order", p.Path)
		}
		last = i
	}
}
