package mail

import (
	"errors"
	"math"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pacer-sales/pacer/store"
)

var (
	testRec = store.Record{
		Entity: "lead", ID: "L-1001", Name: "Jane  van Dyke", Owner: "ada", Stage: "qualify",
		AccessTeam: "emea", Email: "jane@example.com", Phone: "+44 20 7946 0000",
		Fields: map[string]any{
			"company":   "Northwind",
			"seats":     120.0,
			"budget":    1500000.0,
			"discount":  0.15,
			"negative":  -3.5,
			"trial":     true,
			"renewed":   false,
			"Region":    "North",
			"region_id": 7.0,
		},
	}
	testOwner = store.User{Username: "ada", Name: "Ada Lovelace"}
)

func render(t *testing.T, text string) string {
	t.Helper()
	_, body, err := Render(store.Template{Name: "t", Body: text}, testRec, testOwner)
	if err != nil {
		t.Fatalf("Render(%q): %v", text, err)
	}
	return body
}

func TestRenderPlaceholders(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"Hi {{name}}", "Hi Jane  van Dyke"},
		{"Hi {{first_name}},", "Hi Jane,"},
		{"{{owner.name}}", "Ada Lovelace"},
		{"{{field:company}}", "Northwind"},
		// spaces and case inside the braces
		{"{{ name }}|{{  first_name}}|{{owner.name  }}", "Jane  van Dyke|Jane|Ada Lovelace"},
		{"{{ field : company }}", "Northwind"},
		{"{{Name}} {{FIRST_NAME}} {{Owner.Name}} {{Field:company}}", "Jane  van Dyke Jane Ada Lovelace Northwind"},
		{"{{\tfield:company\n}}", "Northwind"},
		// the record's own columns
		{"{{field:email}} {{field:phone}} {{field:stage}} {{field:id}}", "jane@example.com +44 20 7946 0000 qualify L-1001"},
		{"{{field:entity}}/{{field:owner}}/{{field:access_team}}/{{field:name}}", "lead/ada/emea/Jane  van Dyke"},
		{"{{field:EMAIL}}", "jane@example.com"},
		// free fields: exact, then without regard to case
		{"{{field:Region}} {{field:region}} {{field:REGION}}", "North North North"},
		// missing fields render as nothing
		{"[{{field:nope}}]", "[]"},
		// numbers and bools
		{"{{field:seats}} {{field:budget}} {{field:discount}} {{field:negative}} {{field:region_id}}", "120 1500000 0.15 -3.5 7"},
		{"{{field:trial}}/{{field:renewed}}", "yes/no"},
		// text around and between placeholders, single braces, repeated placeholders
		{"{name} {{name}}{{name}} }}", "{name} Jane  van DykeJane  van Dyke }}"},
		{"no placeholders\n", "no placeholders\n"},
		{"", ""},
	} {
		if got := render(t, tc.in); got != tc.want {
			t.Errorf("Render(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestRenderSubjectAndBody(t *testing.T) {
	tm := store.Template{Name: "intro", Subject: "Hello {{first_name}} at {{field:company}}",
		Body: "Hi {{first_name}},\n\nSeats: {{field:seats}}\n\n{{owner.name}}"}
	subj, body, err := Render(tm, testRec, testOwner)
	if err != nil {
		t.Fatal(err)
	}
	if subj != "Hello Jane at Northwind" {
		t.Errorf("subject = %q", subj)
	}
	if body != "Hi Jane,\n\nSeats: 120\n\nAda Lovelace" {
		t.Errorf("body = %q", body)
	}
}

func TestRenderSubjectLineBreaks(t *testing.T) {
	rec := testRec
	rec.Fields = map[string]any{"topic": "one\r\ntwo\nthree"}
	subj, body, err := Render(store.Template{Subject: "About {{field:topic}}", Body: "{{field:topic}}"}, rec, testOwner)
	if err != nil {
		t.Fatal(err)
	}
	if subj != "About one two three" {
		t.Errorf("subject = %q, want line breaks as spaces", subj)
	}
	if body != "one\r\ntwo\nthree" {
		t.Errorf("body = %q, want the field unchanged", body)
	}
}

func TestRenderEdgeNames(t *testing.T) {
	tm := store.Template{Body: "{{name}}|{{first_name}}|{{owner.name}}"}
	for _, tc := range []struct {
		rec   store.Record
		owner store.User
		want  string
	}{
		{store.Record{}, store.User{}, "||"},
		{store.Record{Name: "  Cher "}, store.User{Username: "max"}, "  Cher |Cher|max"},
		{store.Record{Name: "Ana"}, store.User{Username: "max", Name: "  "}, "Ana|Ana|max"},
	} {
		_, body, err := Render(tm, tc.rec, tc.owner)
		if err != nil {
			t.Fatal(err)
		}
		if body != tc.want {
			t.Errorf("Render(%+v, %+v) = %q, want %q", tc.rec, tc.owner, body, tc.want)
		}
	}
}

func TestRenderErrors(t *testing.T) {
	for _, tc := range []struct {
		subject, body string
		want          []string // every part must appear in the error
	}{
		{"", "Hi {{foo}}", []string{`template "bad"`, "body line 1", "unknown placeholder {{foo}}", "{{first_name}}"}},
		{"{{ FirstName }}", "", []string{"subject line 1", "unknown placeholder {{ FirstName }}"}},
		{"", "a\nb\n\nc {{owner_name}}", []string{"body line 4", "{{owner_name}}"}},
		{"", "{{}}", []string{"unknown placeholder {{}}"}},
		{"", "{{field:}}", []string{"{{field:}} has no field name"}},
		{"", "{{field company}}", []string{"unknown placeholder {{field company}}"}},
		{"", "{{field:a{b}}", []string{"cannot contain braces"}},
		{"", "Hi {{name", []string{"body line 1", `"{{name" is not closed`}},
		{"", "{{{name}}}", []string{"unknown placeholder {{{name}}"}},
		// every problem of both parts is reported
		{"{{x}}", "{{name}} {{y}}\n{{z", []string{"subject line 1: unknown placeholder {{x}}", "body line 1: unknown placeholder {{y}}", "body line 2"}},
	} {
		subj, body, err := Render(store.Template{Name: "bad", Subject: tc.subject, Body: tc.body}, testRec, testOwner)
		if err == nil {
			t.Errorf("Render(%q, %q) = %q, %q, want an error", tc.subject, tc.body, subj, body)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("Render(%q, %q) error %q does not contain %q", tc.subject, tc.body, err, w)
			}
		}
		var pe *PlaceholderError
		if !errors.As(err, &pe) {
			t.Errorf("error %q is not a *PlaceholderError", err)
		}
	}
}

func TestPlaceholders(t *testing.T) {
	got, err := Placeholders("Hi {{ First_Name }}, {{field:company}} {{name}}\n{{first_name}} {{field: company }} {{owner.name}} {{field:Company}}")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"{{first_name}}", "{{field:company}}", "{{name}}", "{{owner.name}}", "{{field:Company}}"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Placeholders = %q, want %q", got, want)
	}
	if got, err := Placeholders("plain text"); err != nil || len(got) != 0 {
		t.Errorf("Placeholders(plain) = %q, %v", got, err)
	}

	got, err = Placeholders("{{name}} {{foo}}\n{{bar}}")
	if !reflect.DeepEqual(got, []string{"{{name}}"}) {
		t.Errorf("Placeholders with errors listed %q", got)
	}
	var pes PlaceholderErrors
	if !errors.As(err, &pes) || len(pes) != 2 {
		t.Fatalf("error = %v, want two PlaceholderErrors", err)
	}
	if pes[0].Placeholder != "{{foo}}" || pes[0].Line != 1 || pes[1].Placeholder != "{{bar}}" || pes[1].Line != 2 {
		t.Errorf("errors = %+v %+v", *pes[0], *pes[1])
	}
	if pes[0].Part != "" || strings.HasPrefix(err.Error(), " ") {
		t.Errorf("error %q names a part", err)
	}
}

func TestCheck(t *testing.T) {
	if err := Check(store.Template{Subject: "{{first_name}}", Body: "{{ field:x }} {{owner.name}}"}); err != nil {
		t.Errorf("Check(good) = %v", err)
	}
	err := Check(store.Template{Subject: "{{a}}", Body: "\n{{b}}"})
	if err == nil || err.Error() != "subject line 1: unknown placeholder {{a}}: use "+knownPlaceholders+"; body line 2: unknown placeholder {{b}}: use "+knownPlaceholders {
		t.Errorf("Check(bad) = %v", err)
	}
}

func TestFormatValue(t *testing.T) {
	for _, tc := range []struct {
		v    any
		want string
	}{
		{nil, ""}, {"x", "x"}, {true, "yes"}, {false, "no"},
		{120.0, "120"}, {0.0, "0"}, {math.Copysign(0, -1), "0"}, {0.5, "0.5"}, {1e21, "1000000000000000000000"},
		{1e-7, "0.0000001"}, {19.99, "19.99"}, {float32(0.1), "0.1"}, {42, "42"}, {int64(-7), "-7"},
		{time.Duration(0), "0s"}, {[]int{1}, "[1]"},
	} {
		if got := FormatValue(tc.v); got != tc.want {
			t.Errorf("FormatValue(%#v) = %q, want %q", tc.v, got, tc.want)
		}
	}
}

func TestMessageID(t *testing.T) {
	a := MessageID("conn-1/step-2/1", "")
	if a != MessageID("conn-1/step-2/1", "") {
		t.Error("MessageID is not stable")
	}
	if !regexp.MustCompile(`^<[0-9a-f]{32}@pacer\.local>$`).MatchString(a) {
		t.Errorf("MessageID = %q", a)
	}
	// sha256("abc") starts ba7816bf8f01cfea414140de5dae2223
	if got := MessageID("abc", "example.com"); got != "<ba7816bf8f01cfea414140de5dae2223@example.com>" {
		t.Errorf("MessageID(abc) = %q", got)
	}
	if MessageID("conn-1/step-2/2", "") == a {
		t.Error("different keys give the same MessageID")
	}
	if got := MessageID("abc", " @example.com "); got != "<ba7816bf8f01cfea414140de5dae2223@example.com>" {
		t.Errorf("MessageID with a padded domain = %q", got)
	}
}

func TestBackoff(t *testing.T) {
	want := map[int]time.Duration{
		-1: 0, 0: 0,
		1: time.Minute, 2: 5 * time.Minute, 3: 15 * time.Minute, 4: 40 * time.Minute,
		5: 0, 6: 0,
	}
	for tries, w := range want {
		if got := Backoff(tries); got != w {
			t.Errorf("Backoff(%d) = %v, want %v", tries, got, w)
		}
	}
	if MaxTries != 5 {
		t.Errorf("MaxTries = %d", MaxTries)
	}
	var total time.Duration
	for n := 1; n < MaxTries; n++ {
		total += Backoff(n)
	}
	if total < 50*time.Minute || total > 70*time.Minute {
		t.Errorf("the tries span %v, want about an hour", total)
	}
}
