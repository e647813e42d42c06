package sequence

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

// tmplWantEntity is the record type each built-in template is for.
var tmplWantEntity = map[string]string{
	"no-show-follow-up":    "contact",
	"outbound-prospecting": "lead",
	"event-invitation":     "contact",
	"product-demo":         "opportunity",
	"account-renewal":      "account",
	"webinar-follow-up":    "lead",
}

func tmplNameSet() func(string) bool {
	names := EmailTemplateNames()
	return func(n string) bool { return slices.Contains(names, n) }
}

func TestTemplatesCatalogue(t *testing.T) {
	ts := Templates()
	if len(ts) != len(tmplWantEntity) {
		t.Fatalf("got %d templates, want %d", len(ts), len(tmplWantEntity))
	}
	keys, names := map[string]bool{}, map[string]bool{}
	for _, tm := range ts {
		if keys[tm.Key] {
			t.Errorf("key %q listed twice", tm.Key)
		}
		keys[tm.Key] = true
		if names[strings.ToLower(tm.Name)] {
			t.Errorf("name %q listed twice", tm.Name)
		}
		names[strings.ToLower(tm.Name)] = true
		want, ok := tmplWantEntity[tm.Key]
		if !ok {
			t.Errorf("unexpected template key %q", tm.Key)
		} else if tm.Entity != want {
			t.Errorf("%s: entity %q, want %q", tm.Key, tm.Entity, want)
		}
		if tm.Name == "" || tm.Description == "" || len(tm.Source) == 0 {
			t.Errorf("%s: name, description and source are required: %+v", tm.Key, tm)
		}
	}
	// Fixed order, and the caller owns the result.
	again := Templates()
	for i := range ts {
		if ts[i].Key != again[i].Key {
			t.Fatalf("order changed between calls: %q vs %q", ts[i].Key, again[i].Key)
		}
	}
	ts[0].Source[0] = '#'
	ts[0].Name = "changed"
	if again := Templates(); again[0].Source[0] == '#' || again[0].Name == "changed" {
		t.Error("changing the result of Templates changed the catalogue")
	}
}

func TestTemplateByKey(t *testing.T) {
	for _, tm := range Templates() {
		for _, q := range []string{tm.Key, strings.ToUpper(tm.Name), strings.ToLower(tm.Name), " " + tm.Name + " "} {
			got, ok := TemplateByKey(q)
			if !ok || got.Key != tm.Key {
				t.Errorf("TemplateByKey(%q) = %q, %v; want %q", q, got.Key, ok, tm.Key)
			}
		}
	}
	if _, ok := TemplateByKey("no-such-template"); ok {
		t.Error("TemplateByKey found a template that does not exist")
	}
	if _, ok := TemplateByKey(""); ok {
		t.Error("TemplateByKey found a template for an empty key")
	}
}

// TestTemplatesStepIDs checks on the raw files that every step carries an explicit id, so the
// ids of sequences made from templates are stable from the first save.
func TestTemplatesStepIDs(t *testing.T) {
	for _, tm := range Templates() {
		var doc struct {
			Steps []map[string]any `yaml:"steps"`
		}
		if err := yaml.Unmarshal(tm.Source, &doc); err != nil {
			t.Fatalf("%s: %v", tm.Key, err)
		}
		var check func(path string, steps []map[string]any)
		check = func(path string, steps []map[string]any) {
			for i, st := range steps {
				if id, _ := st["id"].(string); id == "" {
					t.Errorf("%s: %s[%d] (%v) has no id", tm.Key, path, i, st["type"])
				}
				for _, branch := range []string{"yes", "no"} {
					raw, _ := st[branch].([]any)
					sub := make([]map[string]any, 0, len(raw))
					for _, r := range raw {
						m, _ := r.(map[string]any)
						sub = append(sub, m)
					}
					check(fmt.Sprintf("%s[%d].%s", path, i, branch), sub)
				}
			}
		}
		check("steps", doc.Steps)
	}
}

func TestTemplatesParseAndValidate(t *testing.T) {
	used := map[string]bool{}
	for _, tm := range Templates() {
		t.Run(tm.Key, func(t *testing.T) {
			seq, err := tm.Sequence()
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			if seq.Name != tm.Name || seq.RecordType() != tm.Entity {
				t.Errorf("header says %q/%q, sequence says %q/%q", tm.Name, tm.Entity, seq.Name, seq.RecordType())
			}
			if strings.TrimSpace(seq.Description) != tm.Description {
				t.Errorf("description %q, template lists %q", seq.Description, tm.Description)
			}
			if len(seq.Tags) == 0 {
				t.Error("no tags")
			}
			for _, p := range Validate(seq, Env{Templates: tmplNameSet(), Others: nil}) {
				t.Errorf("%s %s: %s (%s)", p.Path, p.StepID, p.Message, p.Code)
			}
			conditions, manual, types := 0, 0, map[Type]bool{}
			seq.Walk(func(path string, st *Step) bool {
				types[st.Type] = true
				if st.Type == Condition {
					conditions++
					if len(st.Yes) == 0 && len(st.No) == 0 {
						t.Errorf("%s: condition %s has two empty branches", path, st.ID)
					}
				}
				if ti, _ := Info(st.Type); ti.Manual {
					manual++
				}
				if st.Type == Wait && st.Duration > 30*24*time.Hour {
					t.Errorf("%s: wait of %v is longer than 30 days", path, st.Duration)
				}
				if st.Template != "" {
					used[st.Template] = true
				}
				return true
			})
			if conditions == 0 {
				t.Error("no condition step")
			}
			if manual == 0 || len(types) < 4 {
				t.Errorf("expected a mix of step types, got %v", types)
			}
		})
	}
	for _, n := range EmailTemplateNames() {
		if !used[n] {
			t.Errorf("email template %q is listed but no built-in sequence uses it", n)
		}
	}
}

// TestTemplatesRoundTrip checks that a sequence made from a template survives being stored in
// the canonical file form, as the designer and `pacer seq export` write it.
func TestTemplatesRoundTrip(t *testing.T) {
	for _, tm := range Templates() {
		seq, err := tm.Sequence()
		if err != nil {
			t.Fatalf("%s: %v", tm.Key, err)
		}
		again, err := Parse(Marshal(seq), "export:"+tm.Key)
		if err != nil {
			t.Fatalf("%s: reading the canonical form: %v", tm.Key, err)
		}
		if !reflect.DeepEqual(seq, again) {
			t.Errorf("%s: the canonical form reads back differently:\n%s", tm.Key, Marshal(seq))
		}
	}
}
