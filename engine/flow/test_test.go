package flow

import (
	"reflect"
	"testing"

	"github.com/pacer-sales/pacer/engine/sequence"
	"github.com/pacer-sales/pacer/store"
)

// testRecord has a field of every kind: own fields, text, numbers (as numbers, as numeric
// text, as Go integers), bools, blank, null, and text that ParseFloat would read as a number.
var testRecord = store.Record{
	Entity: "lead", ID: "L-1", Name: "Ada Lovelace", Owner: "sam", Stage: "qualify", Email: "ada@example.com",
	Fields: map[string]any{
		"company":  "Acme Corp",
		"score":    42.0,
		"size":     "250",
		"spaced":   " 7 ",
		"count":    5,
		"vip":      true,
		"churned":  false,
		"blank":    "",
		"null":     nil,
		"nan":      "NaN",
		"hex":      "0x10",
		"infinity": "Infinity",
	},
}

func cmp(field string, op sequence.Op, value any) sequence.Test {
	return sequence.Test{Field: field, Op: op, Value: value}
}

func TestFieldTestOps(t *testing.T) {
	for _, tc := range []struct {
		name string
		test sequence.Test
		want bool
	}{
		// eq: text ignores case, numbers compare as numbers, bools as true/false.
		{"eq text", cmp("company", sequence.OpEq, "acme corp"), true},
		{"eq text differs", cmp("company", sequence.OpEq, "Acme"), false},
		{"eq is the default op", cmp("company", "", "Acme Corp"), true},
		{"eq number", cmp("score", sequence.OpEq, 42.0), true},
		{"eq number as text", cmp("score", sequence.OpEq, "42.0"), true},
		{"eq numeric text", cmp("size", sequence.OpEq, 250.0), true},
		{"eq numeric text with spaces", cmp("spaced", sequence.OpEq, 7.0), true},
		{"eq integer", cmp("count", sequence.OpEq, 5.0), true},
		{"eq bool", cmp("vip", sequence.OpEq, true), true},
		{"eq bool as text", cmp("vip", sequence.OpEq, "TRUE"), true},
		{"eq bool differs", cmp("vip", sequence.OpEq, false), false},
		{"eq false", cmp("churned", sequence.OpEq, false), true},
		{"eq own field", cmp("name", sequence.OpEq, "ada lovelace"), true},
		{"eq own stage", cmp("stage", sequence.OpEq, "Qualify"), true},
		{"eq id", cmp("id", sequence.OpEq, "l-1"), true},
		{"eq missing", cmp("region", sequence.OpEq, "west"), false},
		{"eq missing against blank", cmp("region", sequence.OpEq, ""), false},
		{"eq blank against blank", cmp("blank", sequence.OpEq, ""), false},
		{"eq NaN is text", cmp("nan", sequence.OpEq, "nan"), true},
		{"eq hex is text", cmp("hex", sequence.OpEq, 16.0), false},
		{"eq hex as text", cmp("hex", sequence.OpEq, "0X10"), true},
		{"eq Infinity is text", cmp("infinity", sequence.OpEq, "infinity"), true},

		// ne: the negation of eq, true for a missing field.
		{"ne text", cmp("company", sequence.OpNe, "Initech"), true},
		{"ne same text", cmp("company", sequence.OpNe, "ACME CORP"), false},
		{"ne number", cmp("score", sequence.OpNe, 42.0), false},
		{"ne missing", cmp("region", sequence.OpNe, "west"), true},
		{"ne blank", cmp("blank", sequence.OpNe, "x"), true},
		{"ne bool", cmp("vip", sequence.OpNe, false), true},

		// gt ge lt le: numbers as numbers, text in order ignoring case; empty fails.
		{"gt", cmp("score", sequence.OpGt, 41.5), true},
		{"gt equal", cmp("score", sequence.OpGt, 42.0), false},
		{"ge equal", cmp("score", sequence.OpGe, 42.0), true},
		{"ge more", cmp("score", sequence.OpGe, 43.0), false},
		{"lt", cmp("score", sequence.OpLt, 100.0), true},
		{"lt numeric text, not text order", cmp("size", sequence.OpLt, 1000.0), true},
		{"gt numeric text against text", cmp("size", sequence.OpGt, "9"), true},
		{"lt integer, not text order", cmp("count", sequence.OpLt, 10.0), true},
		{"le equal", cmp("score", sequence.OpLe, "42"), true},
		{"le less", cmp("score", sequence.OpLe, 41.0), false},
		{"gt text", cmp("company", sequence.OpGt, "abc"), true},
		{"lt text ignores case", cmp("company", sequence.OpLt, "b"), true},
		{"gt missing", cmp("region", sequence.OpGt, 0.0), false},
		{"lt missing", cmp("region", sequence.OpLt, 0.0), false},
		{"le blank", cmp("blank", sequence.OpLe, "z"), false},
		{"ge null", cmp("null", sequence.OpGe, ""), false},

		// contains: text, ignoring case.
		{"contains", cmp("company", sequence.OpContains, "CORP"), true},
		{"contains not", cmp("company", sequence.OpContains, "Inc"), false},
		{"contains number", cmp("score", sequence.OpContains, "4"), true},
		{"contains own field", cmp("email", sequence.OpContains, "@example"), true},
		{"contains missing", cmp("region", sequence.OpContains, ""), false},

		// in: any value of the list equals.
		{"in", cmp("company", sequence.OpIn, []any{"Initech", "acme corp"}), true},
		{"in none", cmp("company", sequence.OpIn, []any{"Initech"}), false},
		{"in numbers", cmp("score", sequence.OpIn, []any{1.0, 42.0}), true},
		{"in numeric text", cmp("size", sequence.OpIn, []any{250.0}), true},
		{"in bools", cmp("vip", sequence.OpIn, []any{true}), true},
		{"in stage", cmp("stage", sequence.OpIn, []any{"develop", "qualify"}), true},
		{"in string list", cmp("company", sequence.OpIn, []string{"acme corp"}), true},
		{"in empty list", cmp("company", sequence.OpIn, []any{}), false},
		{"in not a list", cmp("company", sequence.OpIn, "Acme Corp"), false},
		{"in missing", cmp("region", sequence.OpIn, []any{""}), false},

		// empty and not_empty: missing, null and blank are empty; false and 0 are not.
		{"empty missing", cmp("region", sequence.OpEmpty, nil), true},
		{"empty null", cmp("null", sequence.OpEmpty, nil), true},
		{"empty blank", cmp("blank", sequence.OpEmpty, nil), true},
		{"empty text", cmp("company", sequence.OpEmpty, nil), false},
		{"empty false", cmp("churned", sequence.OpEmpty, nil), false},
		{"empty own field unset", cmp("phone", sequence.OpEmpty, nil), true},
		{"not_empty", cmp("company", sequence.OpNotEmpty, nil), true},
		{"not_empty false", cmp("churned", sequence.OpNotEmpty, nil), true},
		{"not_empty missing", cmp("region", sequence.OpNotEmpty, nil), false},
		{"not_empty blank", cmp("blank", sequence.OpNotEmpty, nil), false},

		{"unknown op", cmp("company", "like", "Acme%"), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, why := Test(tc.test, testRecord)
			if got != tc.want {
				t.Fatalf("Test(%+v) = %v (%s), want %v", tc.test, got, why, tc.want)
			}
			if why == "" {
				t.Fatal("no why")
			}
		})
	}
}

func TestFieldTestGroups(t *testing.T) {
	yes := cmp("vip", sequence.OpEq, true)
	no := cmp("score", sequence.OpGt, 50.0)
	no2 := cmp("region", sequence.OpEq, "west")
	for _, tc := range []struct {
		name string
		test sequence.Test
		want bool
		why  string
	}{
		{"all hold", sequence.Test{All: []sequence.Test{yes, yes}}, true, "all 2 tests hold"},
		{"all, one fails", sequence.Test{All: []sequence.Test{yes, no, no2}}, false, `fails: score is "42", test gt 50`},
		{"all of none", sequence.Test{All: []sequence.Test{}}, true, "all 0 tests hold"},
		{"any, one holds", sequence.Test{Any: []sequence.Test{no, yes}}, true, `holds: vip is "true", test eq true`},
		{"any, none holds", sequence.Test{Any: []sequence.Test{no, no2}}, false, `fails: score is "42", test gt 50; fails: region is empty, test eq west`},
		{"any of none", sequence.Test{Any: []sequence.Test{}}, false, ""},
		{"nested", sequence.Test{All: []sequence.Test{yes, {Any: []sequence.Test{no, {All: []sequence.Test{yes, cmp("stage", sequence.OpIn, []any{"qualify"})}}}}}}, true, "all 2 tests hold"},
		{"nested fails", sequence.Test{Any: []sequence.Test{no, {All: []sequence.Test{yes, no2}}}}, false, `fails: score is "42", test gt 50; fails: region is empty, test eq west`},
		{"a comparison says why", cmp("size", sequence.OpIn, []any{1.0, "x"}), false, `fails: size is "250", test in [1, x]`},
		{"empty has no value in its why", cmp("company", sequence.OpEmpty, nil), false, `fails: company is "Acme Corp", test empty`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, why := Test(tc.test, testRecord)
			if got != tc.want || why != tc.why {
				t.Fatalf("Test = %v, %q; want %v, %q", got, why, tc.want, tc.why)
			}
		})
	}
}

func TestFieldTestFromFile(t *testing.T) {
	// Values read from a file: numbers are float64, lists []any.
	plan := mustPlan(t, `
name: s
steps:
  - type: condition
    id: c
    if: field
    any:
      - {field: score, op: ge, value: 100}
      - all:
          - {field: size, op: in, value: [100, 250, 500]}
          - {field: vip, op: eq, value: true}
          - {field: region, op: empty}
    yes: []
    no: []
`)
	ok, why := Test(plan.Step("c").Test, testRecord)
	if !ok || why != "all 3 tests hold" {
		t.Fatalf("Test = %v, %q", ok, why)
	}
}

func TestFieldOf(t *testing.T) {
	r := testRecord
	for _, tc := range []struct {
		name string
		v    any
		ok   bool
	}{
		{"id", "L-1", true},
		{"name", "Ada Lovelace", true},
		{"owner", "sam", true},
		{"stage", "qualify", true},
		{"email", "ada@example.com", true},
		{"phone", "", false},
		{"access_team", "", false},
		{"company", "Acme Corp", true},
		{"null", nil, true},
		{"region", nil, false},
	} {
		if v, ok := FieldOf(r, tc.name); v != tc.v || ok != tc.ok {
			t.Errorf("FieldOf(%q) = %v, %v; want %v, %v", tc.name, v, ok, tc.v, tc.ok)
		}
	}
}

func TestSetFieldOf(t *testing.T) {
	r := testRecord
	fields := r.Fields
	SetFieldOf(&r, "email", "ada@lovelace.example")
	SetFieldOf(&r, "stage", "develop")
	SetFieldOf(&r, "phone", 5551234.0)
	SetFieldOf(&r, "owner", nil)
	SetFieldOf(&r, "company", "Initech")
	SetFieldOf(&r, "region", "west")
	if r.Email != "ada@lovelace.example" || r.Stage != "develop" || r.Phone != "5551234" || r.Owner != "" {
		t.Fatalf("own fields %+v", r)
	}
	if r.Fields["company"] != "Initech" || r.Fields["region"] != "west" || r.Fields["email"] != nil {
		t.Fatalf("fields %v", r.Fields)
	}
	for name, want := range map[string]any{"email": "ada@lovelace.example", "stage": "develop", "company": "Initech", "region": "west"} {
		if v, _ := FieldOf(r, name); v != want {
			t.Errorf("FieldOf(%q) = %v after SetFieldOf, want %v", name, v, want)
		}
	}
	// The record's field map is copied, never changed in place.
	if !reflect.DeepEqual(fields, testRecord.Fields) || fields["company"] != "Acme Corp" {
		t.Fatalf("SetFieldOf changed the original map: %v", fields)
	}
	var empty store.Record
	SetFieldOf(&empty, "status", true)
	if empty.Fields["status"] != true {
		t.Fatalf("fields %v", empty.Fields)
	}
}

func TestText(t *testing.T) {
	for _, tc := range []struct {
		v    any
		want string
	}{
		{nil, ""}, {"x", "x"}, {42.0, "42"}, {0.5, "0.5"}, {1e21, "1000000000000000000000"}, {true, "true"},
		{[]any{"a", 1.0, false}, "[a, 1, false]"}, {7, "7"},
	} {
		if got := Text(tc.v); got != tc.want {
			t.Errorf("Text(%#v) = %q, want %q", tc.v, got, tc.want)
		}
	}
}
