package sequence

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func codecBoolPtr(b bool) *bool { return &b }

// codecSeq wraps steps in a sequence as Parse returns it (defaults filled in).
func codecSeq(steps ...Step) *Sequence {
	return &Sequence{Name: "Round trip", Entity: DefaultEntity, Assign: Assign{To: AssignRecordOwner}, Steps: steps}
}

// codecParse parses src and fails the test on any error.
func codecParse(t *testing.T, src string) *Sequence {
	t.Helper()
	s, err := Parse([]byte(src), "seq.yaml")
	if err != nil {
		t.Fatalf("Parse: %v\nsource:\n%s", err, src)
	}
	return s
}

// codecRoundTrip checks that Parse(Marshal(s)) equals s and that Marshal is stable.
func codecRoundTrip(t *testing.T, s *Sequence) {
	t.Helper()
	out := Marshal(s)
	got, err := Parse(out, "marshaled.yaml")
	if err != nil {
		t.Fatalf("Parse(Marshal(s)): %v\nmarshaled:\n%s", err, out)
	}
	if !reflect.DeepEqual(got, s) {
		t.Fatalf("round trip changed the sequence\nmarshaled:\n%s\nwant: %#v\ngot:  %#v", out, s, got)
	}
	if again := Marshal(got); string(again) != string(out) {
		t.Fatalf("Marshal is not stable\nfirst:\n%s\nsecond:\n%s", out, again)
	}
}

func TestCodecRoundTripStepTypes(t *testing.T) {
	cases := map[Type][]Step{
		Email: {
			{Type: Email},
			{Type: Email, ID: "e1", Name: "Personal note", Description: "Write it yourself", Template: "intro"},
		},
		AutoEmail: {{Type: AutoEmail, Template: "intro"}},
		SMS:       {{Type: SMS}, {Type: SMS, Template: "text"}},
		AutoSMS:   {{Type: AutoSMS, Name: "Reminder", Template: "reminder"}},
		Call:      {{Type: Call}, {Type: Call, ID: "c", Name: "Intro call", Description: "Ask about budget"}},
		Task:      {{Type: Task, Name: "Prepare a quote"}},
		Wait: {
			{Type: Wait, Duration: 3 * 24 * time.Hour},
			{Type: Wait, Duration: 4 * time.Hour},
			{Type: Wait, Duration: 36 * time.Hour},
			{Type: Wait, Duration: 90 * time.Minute},
			{Type: Wait, Duration: 26*time.Hour + 30*time.Minute},
			{Type: Wait}, // zero: left to the validator
		},
		UpdateField: {
			{Type: UpdateField, Field: "status", Value: "disqualified"},
			{Type: UpdateField, Field: "score", Value: 42.0},
			{Type: UpdateField, Field: "ratio", Value: -0.125},
			{Type: UpdateField, Field: "big", Value: 1e21},
			{Type: UpdateField, Field: "tiny", Value: 1e-9},
			{Type: UpdateField, Field: "qualified", Value: false},
			{Type: UpdateField, Field: "code", Value: "007"},
			{Type: UpdateField, Field: "answer", Value: "yes"},
			{Type: UpdateField, Field: "cleared"},
		},
		SetStage:          {{Type: SetStage, Stage: "Qualify"}},
		AdvanceTo:         {{Type: AdvanceTo, Sequence: "Nurture: long term"}},
		LinkedInResearch:  {{Type: LinkedInResearch}},
		LinkedInIntroduce: {{Type: LinkedInIntroduce, Description: "Ask a shared contact"}},
		LinkedInConnect:   {{Type: LinkedInConnect, Name: "Connect"}},
		LinkedInInMail:    {{Type: LinkedInInMail, ID: "inmail"}},
		Condition: {
			{Type: Condition, If: EmailOpened, Within: 2 * 24 * time.Hour, Yes: []Step{{Type: Call}}, No: []Step{}},
			{Type: Condition, If: EmailReplied, Within: 90 * time.Minute, Early: codecBoolPtr(false), Yes: []Step{}, No: []Step{}},
			{Type: Condition, If: LinkClicked, Within: time.Hour, Early: codecBoolPtr(true), Yes: []Step{}, No: []Step{{Type: Task}}},
			{Type: Condition, If: AttachmentDownloaded, Within: 24 * time.Hour, Yes: []Step{}, No: []Step{}},
			{Type: Condition, If: EmailEvents, Events: []Kind{EmailOpened, LinkClicked}, Match: MatchAll,
				Within: 5 * 24 * time.Hour, Yes: []Step{}, No: []Step{}},
			{Type: Condition, If: EmailEvents, Events: []Kind{EmailReplied, AttachmentDownloaded}, Match: MatchAny,
				Within: 12 * time.Hour, Early: codecBoolPtr(false), Yes: []Step{}, No: []Step{}},
			{Type: Condition, If: CallOutcome, Outcomes: []string{"connected", "left_voicemail"},
				Yes: []Step{{Type: Task}}, No: []Step{{Type: Wait, Duration: time.Hour}, {Type: Call}}},
			{Type: Condition, If: FieldTest, Test: Test{Field: "score", Op: OpGt, Value: 50.0}, Yes: []Step{}, No: []Step{}},
			{Type: Condition, If: FieldTest, Test: Test{Field: "country", Op: OpIn, Value: []any{"FR", 3.0, true}},
				Yes: []Step{}, No: []Step{}},
			{Type: Condition, If: FieldTest, Test: Test{Field: "phone", Op: OpEmpty}, Yes: []Step{}, No: []Step{}},
			{Type: Condition, If: FieldTest, Test: Test{Field: "phone", Op: OpNotEmpty}, Yes: []Step{}, No: []Step{}},
			{Type: Condition, If: FieldTest, Test: Test{All: []Test{
				{Field: "score", Op: OpGe, Value: 80.5},
				{Any: []Test{
					{Field: "industry", Op: OpContains, Value: "bank"},
					{Field: "region", Op: OpNe, Value: "APAC"},
					{All: []Test{{Field: "budget", Op: OpLt, Value: 1000.0}, {Field: "notes", Op: OpLe, Value: "m"}}},
				}},
			}}, Yes: []Step{{Type: Task}}, No: []Step{}},
			{Type: Condition, If: FieldTest, Test: Test{Any: []Test{}}, Yes: []Step{}, No: []Step{}},
			{Type: Condition, If: StageIs, Stages: []string{"Qualify", "Develop"}, Yes: []Step{}, No: []Step{}},
			{Type: Condition, If: StageIs, Stages: []string{"Close"},
				Yes: []Step{{Type: Condition, If: StageIs, Stages: []string{"Won"}, Yes: []Step{}, No: []Step{{Type: Task}}}},
				No:  []Step{}},
		},
	}
	for _, ti := range Types {
		steps := cases[ti.Type]
		if len(steps) == 0 {
			t.Errorf("no round-trip case for step type %s", ti.Type)
		}
		for _, st := range steps {
			t.Run(string(ti.Type), func(t *testing.T) { codecRoundTrip(t, codecSeq(st)) })
		}
	}
	// Every condition kind is covered.
	seen := map[Kind]bool{}
	for _, st := range cases[Condition] {
		seen[st.If] = true
	}
	for _, k := range Kinds {
		if !seen[k] {
			t.Errorf("no round-trip case for condition kind %s", k)
		}
	}
}

func TestCodecRoundTripSequenceSettings(t *testing.T) {
	base := func(edit func(s *Sequence)) *Sequence {
		s := codecSeq(Step{Type: Task})
		edit(s)
		return s
	}
	cases := map[string]*Sequence{
		"custom entity": base(func(s *Sequence) { s.Entity = "partner_deal" }),
		"description":   base(func(s *Sequence) { s.Description = "Two lines\nof text" }),
		"tags":          base(func(s *Sequence) { s.Tags = []string{"outbound", "a, b", "[x]", "true"} }),
		"record_field":  base(func(s *Sequence) { s.Assign = Assign{To: AssignRecordField, Field: "account_manager"} }),
		"owner_team":    base(func(s *Sequence) { s.Assign = Assign{To: AssignOwnerTeam} }),
		"access_team": base(func(s *Sequence) {
			s.Assign = Assign{To: AssignAccessTeam, Members: map[string]string{"role": "account manager", "territory": "EMEA", "title": "AE"}}
		}),
		"owner members":  base(func(s *Sequence) { s.Assign.Members = map[string]string{"title": ""} }),
		"exit on reply":  base(func(s *Sequence) { s.Options.ExitOnReply = true }),
		"working days":   base(func(s *Sequence) { s.Options.SkipNonWorkingDays = true }),
		"both options":   base(func(s *Sequence) { s.Options = Options{ExitOnReply: true, SkipNonWorkingDays: true} }),
		"send window":    base(func(s *Sequence) { s.Options.SendWindow = "08:00-18:00" }),
		"any time":       base(func(s *Sequence) { s.Options.SendWindow = "any" }),
		"no steps":       base(func(s *Sequence) { s.Steps = nil }),
		"no name":        base(func(s *Sequence) { s.Name = "" }),
		"odd characters": base(func(s *Sequence) { s.Name = "  leading: \"quoted\" # not a comment\t\r\u2028end " }),
	}
	for name, s := range cases {
		t.Run(name, func(t *testing.T) { codecRoundTrip(t, s) })
	}
}

func TestCodecSampleFiles(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 3 {
		t.Fatalf("want at least 3 sample files in testdata, found %d", len(files))
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			s, err := Parse(data, file)
			if err != nil {
				t.Fatal(err)
			}
			codecRoundTrip(t, s)
		})
	}
}

func TestCodecSpecExample(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "spec_example.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	got, err := Parse(data, "spec_example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	want := &Sequence{
		Name:        "High volume outbound prospecting",
		Description: "Cold outreach with calls",
		Entity:      "lead",
		Tags:        []string{"outbound", "prospecting"},
		Assign:      Assign{To: AssignRecordOwner, Field: "account_manager", Members: map[string]string{"role": "sales rep"}},
		Options:     Options{ExitOnReply: true},
		Steps: []Step{
			{Type: AutoEmail, ID: "intro", Name: "Introduction email", Template: "intro"},
			{Type: LinkedInResearch},
			{Type: Call, Name: "Intro call"},
			{Type: Condition, If: CallOutcome, Outcomes: []string{"connected"},
				Yes: []Step{{Type: LinkedInConnect}, {Type: Task, Name: "Schedule a meeting"}},
				No: []Step{
					{Type: Wait, Duration: 72 * time.Hour},
					{Type: Call, Name: "Second call"},
					{Type: Condition, If: CallOutcome, Outcomes: []string{"connected"},
						Yes: []Step{},
						No:  []Step{{Type: UpdateField, Field: "status", Value: "disqualified"}}},
				}},
		},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("SPEC §2 example:\nwant %#v\ngot  %#v", want, got)
	}
	if n := got.CountSteps(); n != 10 {
		t.Errorf("CountSteps = %d, want 10", n)
	}
}

func TestCodecParseConventions(t *testing.T) {
	s := codecParse(t, `
name: Minimal
description:
tags: []
steps:
  - type: call
    id: 7
  - type: condition
    if: field
    field: score
    value: 0x10
  - type: condition
    if: field
    field: code
    op: in
    value: ["3", 3, false]
  - type: condition
    if: field
    all: []
    yes:
    no: ~
  - type: update_field
    field: n
    value: 12
  - type: wait
    duration: 0d
`)
	want := &Sequence{
		Name:   "Minimal",
		Entity: DefaultEntity,
		Assign: Assign{To: AssignRecordOwner},
		Steps: []Step{
			{Type: Call, ID: "7"},
			{Type: Condition, If: FieldTest, Test: Test{Field: "score", Op: OpEq, Value: 16.0}, Yes: []Step{}, No: []Step{}},
			{Type: Condition, If: FieldTest, Test: Test{Field: "code", Op: OpIn, Value: []any{"3", 3.0, false}}, Yes: []Step{}, No: []Step{}},
			{Type: Condition, If: FieldTest, Test: Test{All: []Test{}}, Yes: []Step{}, No: []Step{}},
			{Type: UpdateField, Field: "n", Value: 12.0},
			{Type: Wait},
		},
	}
	if !reflect.DeepEqual(s, want) {
		t.Fatalf("\nwant %#v\ngot  %#v", want, s)
	}
	if s.Steps[0].Yes != nil || s.Steps[0].No != nil {
		t.Error("a step that is not a condition has non-nil branches")
	}

	// Anchors and aliases are expanded; empty strings take the defaults.
	s = codecParse(t, `
name: &n Aliased
description: *n
entity: ""
assign: {to: ""}
steps:
  - &c {type: call, name: Again}
  - *c
`)
	want = &Sequence{Name: "Aliased", Description: "Aliased", Entity: DefaultEntity, Assign: Assign{To: AssignRecordOwner},
		Steps: []Step{{Type: Call, Name: "Again"}, {Type: Call, Name: "Again"}}}
	if !reflect.DeepEqual(s, want) {
		t.Fatalf("\nwant %#v\ngot  %#v", want, s)
	}
}

// codecGoldenSequence exercises quoting, defaults and canonical durations in Marshal.
var codecGoldenSequence = &Sequence{
	Name:        "Renewal: 90 days out",
	Description: "Starts three months before the end date.\nOwned by account managers.",
	Tags:        []string{"renewal", "yes", "2024"},
	Assign:      Assign{To: AssignOwnerTeam, Members: map[string]string{"territory": "EMEA", "role": "account manager"}},
	Options:     Options{SkipNonWorkingDays: true, SendWhileAway: true},
	Steps: []Step{
		{Type: AutoEmail, ID: "notice", Template: "renewal-notice"},
		{Type: Condition, If: EmailOpened, Within: 36 * time.Hour, Early: codecBoolPtr(false),
			Yes: []Step{{Type: Call, Name: "Renewal call"}},
			No:  []Step{{Type: Wait, Duration: 90 * time.Minute}, {Type: SMS}}},
		{Type: Condition, If: FieldTest, Test: Test{Any: []Test{
			{Field: "arr", Op: OpGt, Value: 50000.0},
			{Field: "tier", Op: OpIn, Value: []any{"gold", "platinum"}},
			{Field: "churn_risk", Value: true},
		}}, Yes: nil, No: []Step{{Type: UpdateField, Field: "renewal_owner", Value: "null"}}},
		{Type: SetStage, Stage: "Negotiate"},
	},
}

const codecGoldenText = `name: 'Renewal: 90 days out'
description: |-
  Starts three months before the end date.
  Owned by account managers.
entity: lead
tags: [renewal, yes, "2024"]
assign:
  to: owner_team
  members: {role: account manager, territory: EMEA}
options:
  skip_non_working_days: true
  send_while_away: true
steps:
  - type: auto_email
    id: notice
    template: renewal-notice
  - type: condition
    if: email_opened
    within: 1d12h
    early: false
    yes:
      - type: call
        name: Renewal call
    no:
      - type: wait
        duration: 1h30m
      - type: sms
  - type: condition
    if: field
    any:
      - field: arr
        op: gt
        value: 50000
      - field: tier
        op: in
        value: [gold, platinum]
      - field: churn_risk
        op: eq
        value: true
    yes: []
    no:
      - type: update_field
        field: renewal_owner
        value: "null"
  - type: set_stage
    stage: Negotiate
`

func TestCodecMarshalGolden(t *testing.T) {
	got := string(Marshal(codecGoldenSequence))
	if got != codecGoldenText {
		t.Fatalf("Marshal output differs from the golden text\ngot:\n%s\nwant:\n%s", got, codecGoldenText)
	}
	// The golden text reads back as the sequence, with Parse's conventions filled in.
	s := codecParse(t, got)
	if s.Entity != DefaultEntity || s.Steps[2].Yes == nil || s.Steps[2].Test.Any[2].Op != OpEq {
		t.Errorf("Parse conventions not applied: %#v", s)
	}
	if v := s.Steps[2].No[0].Value; v != "null" {
		t.Errorf("quoted null read back as %#v, want the string", v)
	}
	codecRoundTrip(t, s)
}

func TestCodecMarshalOnlyWritesTypeOptions(t *testing.T) {
	// Options of another type are not written, so the file always reads back.
	s := codecSeq(
		Step{Type: Call, Template: "stray", Duration: time.Hour},
		Step{Type: Condition, If: CallOutcome, Outcomes: []string{"busy"}, Stages: []string{"stray"}, Within: time.Hour},
	)
	out := string(Marshal(s))
	for _, stray := range []string{"template", "duration", "stages", "within"} {
		if strings.Contains(out, stray) {
			t.Errorf("Marshal wrote %q:\n%s", stray, out)
		}
	}
	if !strings.Contains(out, "yes: []") || !strings.Contains(out, "no: []") {
		t.Errorf("nil branches of a condition not written as []:\n%s", out)
	}
	if _, err := Parse([]byte(out), "out.yaml"); err != nil {
		t.Fatal(err)
	}
	// An empty entity is written as lead.
	if out := string(Marshal(&Sequence{Name: "x"})); out != "name: x\nentity: lead\n" {
		t.Errorf("Marshal of a bare sequence = %q", out)
	}
}

func TestCodecErrors(t *testing.T) {
	cases := []struct {
		name string
		src  string
		want []string
	}{
		{"empty file", "", []string{
			"seq.yaml:1: the file is empty; a sequence file is a mapping with at least name and steps"}},
		{"only comments", "# nothing here\n", []string{
			"seq.yaml:1: the file is empty; a sequence file is a mapping with at least name and steps"}},
		{"list document", "- type: call\n", []string{
			"seq.yaml:1: a sequence file must be a mapping (name:, steps:, …), got a list"}},
		{"scalar document", "hello\n", []string{
			`seq.yaml:1: a sequence file must be a mapping (name:, steps:, …), got "hello"`}},
		{"two documents", "name: a\n---\nname: b\n", []string{
			"seq.yaml:3: the file holds more than one YAML document; put one sequence per file"}},
		{"syntax", "name: x\nsteps:\n  - type: call\n   name: y\n", []string{
			"seq.yaml:4: YAML syntax: did not find expected '-' indicator"}},
		{"tab", "name: x\nsteps:\n  - type: call\n\tname: y\n", []string{
			"seq.yaml:4: YAML syntax: found a tab character that violates indentation"}},
		{"alias cycle", "name: x\nsteps: &s\n  - type: condition\n    if: stage\n    yes: *s\n", []string{
			"seq.yaml:5: alias *s is used inside the value it names"}},
		{"unknown top key", "name: x\nnmae: y\nflavour: z\n", []string{
			`seq.yaml:2: unknown key "nmae" at the top level; did you mean "name"?`,
			`seq.yaml:3: unknown key "flavour" at the top level; valid keys: name, description, entity, tags, assign, options, steps`}},
		{"duplicate key", "name: x\nsteps: []\nname: y\n", []string{
			`seq.yaml:3: duplicate key "name" at the top level (first at line 1)`}},
		{"steps not a list", "name: x\nsteps: call\n", []string{
			`seq.yaml:2: wrong type: "steps" must be a list of steps, got "call"`}},
		{"tags", "tags: {a: b}\n", []string{
			`seq.yaml:1: wrong type: "tags" must be a list of strings, got a mapping`}},
		{"tag item", "tags: [a, [b]]\n", []string{
			`seq.yaml:1: wrong type: tags[1] must be a string, got a list`}},
		{"assign", "assign:\n  to: boss\n  feild: x\n  members: {role: a, level: b}\n", []string{
			`seq.yaml:2: unknown assign.to "boss"; want one of record_owner, record_field, owner_team, access_team`,
			`seq.yaml:3: unknown key "feild" in assign; did you mean "field"?`,
			`seq.yaml:4: unknown key "level" in assign.members; valid keys: role, title, territory`}},
		{"assign not a mapping", "assign: record_owner\n", []string{
			`seq.yaml:1: wrong type: "assign" must be a mapping (to:, field:, members:), got "record_owner"`}},
		{"send window", "options:\n  send_window: 18:00-08:00\n", []string{
			`seq.yaml:2: options: send_window "18:00-08:00": the start must be before the end`}},
		{"options", "options:\n  exit_on_reply: sometimes\n  skip_weekends: true\n  send_while_away: 1\n", []string{
			`seq.yaml:2: wrong type: "exit_on_reply" in options must be true or false, got "sometimes"`,
			`seq.yaml:3: unknown key "skip_weekends" in options; valid keys: exit_on_reply, skip_non_working_days, send_window, send_while_away`,
			`seq.yaml:4: wrong type: "send_while_away" in options must be true or false, got "1"`}},
		{"step not a mapping", "steps:\n  - call\n", []string{
			`seq.yaml:2: wrong type: steps[0] must be a mapping (a step with a type), got "call"`}},
		{"step without type", "steps:\n  - name: x\n", []string{
			"seq.yaml:2: step (steps[0]) has no type; want one of email, auto_email, sms, auto_sms, call, task, wait, " +
				"condition, update_field, set_stage, advance_to, linkedin_research, linkedin_introduce, linkedin_connect, linkedin_inmail"}},
		{"unknown type", "steps:\n  - type: cal\n  - type: meeting\n", []string{
			`seq.yaml:2: unknown step type "cal" (steps[0]); did you mean "call"?`,
			"seq.yaml:3: unknown step type \"meeting\" (steps[1]); want one of email, auto_email, sms, auto_sms, call, task, wait, " +
				"condition, update_field, set_stage, advance_to, linkedin_research, linkedin_introduce, linkedin_connect, linkedin_inmail"}},
		{"option of another type", "steps:\n  - type: call\n    template: intro\n", []string{
			`seq.yaml:3: unknown key "template" in call step (steps[0]); valid keys: type, id, name, description`}},
		{"misspelt option", "name: x\nsteps:\n  - type: call\n  - type: call\n  - type: call\n  - type: wait\n    duraton: 3d\n", []string{
			`seq.yaml:7: unknown key "duraton" in wait step (steps[3]); did you mean "duration"?`}},
		{"durations", "steps:\n  - type: wait\n    duration: 3x\n  - type: wait\n    duration: 2h1d\n  - type: wait\n    duration: -3d\n" +
			"  - type: wait\n    duration: 3\n  - type: wait\n    duration: 99999999999d\n  - type: wait\n    duration: [3d]\n", []string{
			`seq.yaml:3: duration "3x" in wait step (steps[0]): want forms like 3d, 4h, 1d12h, 90m`,
			`seq.yaml:5: duration "2h1d" in wait step (steps[1]): want forms like 3d, 4h, 1d12h, 90m`,
			`seq.yaml:7: duration "-3d" in wait step (steps[2]): must not be negative; want forms like 3d, 4h, 1d12h, 90m`,
			`seq.yaml:9: duration "3" in wait step (steps[3]): want forms like 3d, 4h, 1d12h, 90m`,
			`seq.yaml:11: duration "99999999999d" in wait step (steps[4]): too long`,
			`seq.yaml:13: wrong type: "duration" in wait step (steps[5]) must be a duration like 3d, 4h, 1d12h or 90m, got a list`}},
		{"condition without if", "steps:\n  - type: condition\n    outcomes: [x]\n    yes: []\n", []string{
			`seq.yaml:2: condition step (steps[0]) has no "if"; want one of email_opened, email_replied, link_clicked, ` +
				`attachment_downloaded, email_events, call_outcome, field, stage`}},
		{"unknown kind", "steps:\n  - type: condition\n    if: email_bounced\n    within: 2d\n    yes:\n      - type: wait\n        duration: 1x\n", []string{
			`seq.yaml:3: unknown condition kind "email_bounced" (steps[0]); want one of email_opened, email_replied, link_clicked, ` +
				`attachment_downloaded, email_events, call_outcome, field, stage`,
			`seq.yaml:7: duration "1x" in wait step (steps[0].yes[0]): want forms like 3d, 4h, 1d12h, 90m`}},
		{"kind options", "steps:\n  - type: condition\n    if: call_outcome\n    within: 2d\n    outcomes: connected\n", []string{
			`seq.yaml:4: unknown key "within" in call_outcome condition (steps[0]); valid keys: type, id, name, description, if, yes, no, outcomes`,
			`seq.yaml:5: wrong type: "outcomes" in call_outcome condition (steps[0]) must be a list of strings, got "connected"`}},
		{"early and match", "steps:\n  - type: condition\n    if: email_events\n    events: [email_opened, bounced]\n    match: some\n" +
			"    within: 1d\n    early: maybe\n", []string{
			`seq.yaml:4: unknown event "bounced" (events[1]) in email_events condition (steps[0]); want one of email_opened, ` +
				`email_replied, link_clicked, attachment_downloaded`,
			`seq.yaml:5: match "some" in email_events condition (steps[0]): want all or any`,
			`seq.yaml:7: wrong type: "early" in email_events condition (steps[0]) must be true or false, got "maybe"`}},
		{"branches", "steps:\n  - type: condition\n    if: stage\n    stages: [a]\n    yes: nothing\n    no:\n      - type: sms\n        sequence: x\n", []string{
			`seq.yaml:5: wrong type: "yes" in stage condition (steps[0]) must be a list of steps, got "nothing"`,
			`seq.yaml:8: unknown key "sequence" in sms step (steps[0].no[0]); valid keys: type, id, name, description, template`}},
		{"branches on a call", "steps:\n  - type: call\n    yes: []\n", []string{
			`seq.yaml:3: unknown key "yes" in call step (steps[0]); valid keys: type, id, name, description`}},
		{"field tests", `steps:
  - type: condition
    if: field
    field: score
    op: gtt
    value: 5
  - type: condition
    if: field
    all:
      - field: a
        value: [1, 2]
      - any:
          - {field: b, op: in, value: x}
          - {field: c, op: empty, value: 3}
          - {fieldd: c}
          - {field: d, op: in, value: [a, ~, {x: 1}]}
          - just a string
      - field: e
        value: .nan
`, []string{
			`seq.yaml:5: unknown op "gtt" in field condition (steps[0]); did you mean "gt"?`,
			`seq.yaml:11: wrong type: "value" in field test (steps[1].all[0]) must be a string, number or true/false, got a list (op in tests against a list)`,
			`seq.yaml:13: wrong type: "value" in field test (steps[1].all[1].any[0]) must be a list for op in, got "x"`,
			`seq.yaml:14: "value" in field test (steps[1].all[1].any[1]) is not used with op empty; remove it`,
			`seq.yaml:15: unknown key "fieldd" in field test (steps[1].all[1].any[2]); did you mean "field"?`,
			`seq.yaml:16: wrong type: value[1] in field test (steps[1].all[1].any[3]) must be a string, number or true/false, got nothing`,
			`seq.yaml:16: wrong type: value[2] in field test (steps[1].all[1].any[3]) must be a string, number or true/false, got a mapping`,
			`seq.yaml:17: wrong type: steps[1].all[1].any[4] must be a mapping (field:, op:, value: or all:/any:), got "just a string"`,
			`seq.yaml:19: "value" in field test (steps[1].all[2]) must be a finite number, got ".nan"`}},
		{"update_field value", "steps:\n  - type: update_field\n    field: f\n    value: {a: 1}\n  - type: update_field\n    op: eq\n", []string{
			`seq.yaml:4: wrong type: "value" in update_field step (steps[0]) must be a string, number or true/false, got a mapping`,
			`seq.yaml:6: unknown key "op" in update_field step (steps[1]); valid keys: type, id, name, description, field, value`}},
		{"non-scalar key", "? [a]\n: b\n", []string{
			`seq.yaml:1: keys must be words at the top level, got a list`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Parse([]byte(tc.src), "seq.yaml")
			if err == nil {
				t.Fatalf("Parse succeeded: %#v", s)
			}
			if s != nil {
				t.Error("Parse returned a sequence along with errors")
			}
			var fe FileErrors
			if !errors.As(err, &fe) {
				t.Fatalf("error is %T, want FileErrors", err)
			}
			if got, want := err.Error(), strings.Join(tc.want, "\n"); got != want {
				t.Fatalf("errors differ\ngot:\n%s\nwant:\n%s", got, want)
			}
		})
	}
}

func TestCodecErrorsAllAtOnce(t *testing.T) {
	src := `name: Broken
entity: lead
steps:
  - type: email
    tempalte: intro
  - type: wait
    duration: soon
  - type: condition
    if: email_opened
    within: 2d
    early: "no"
    yes:
      - type: task
        name: [x]
    no: []
  - type: teleport
extra: 1
`
	_, err := Parse([]byte(src), "broken.yaml")
	var fe FileErrors
	if !errors.As(err, &fe) {
		t.Fatalf("error %v is not FileErrors", err)
	}
	var lines []int
	for _, e := range fe {
		if e.File != "broken.yaml" || e.Column < 1 {
			t.Errorf("bad position in %#v", e)
		}
		lines = append(lines, e.Line)
	}
	if want := []int{5, 7, 11, 14, 16, 17}; !reflect.DeepEqual(lines, want) {
		t.Fatalf("error lines = %v, want %v\n%v", lines, want, err)
	}
}

func TestCodecTooManyErrors(t *testing.T) {
	var b strings.Builder
	b.WriteString("steps:\n")
	for range 150 {
		b.WriteString("  - type: nope\n")
	}
	_, err := Parse([]byte(b.String()), "many.yaml")
	var fe FileErrors
	if !errors.As(err, &fe) {
		t.Fatalf("error %v is not FileErrors", err)
	}
	if len(fe) != codecMaxErrors+1 || !strings.Contains(fe[len(fe)-1].Msg, "too many problems") {
		t.Fatalf("got %d errors, last %q", len(fe), fe[len(fe)-1].Msg)
	}
}

func TestCodecAliasBomb(t *testing.T) {
	src := "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
	for i, prev := 0, "a"; i < 6; i++ {
		name := string(rune('b' + i))
		src += name + ": &" + name + " [" + strings.Repeat("*"+prev+", ", 9) + "*" + prev + "]\n"
		prev = name
	}
	_, err := Parse([]byte(src), "bomb.yaml")
	if err == nil || !strings.Contains(err.Error(), "too large") {
		t.Fatalf("Parse of an alias bomb: %v", err)
	}
}

func TestCodecNestingLimit(t *testing.T) {
	src := "steps: [" + strings.Repeat("{type: condition, if: stage, yes: [", codecMaxDepth+1) + "{type: task}" +
		strings.Repeat("]}", codecMaxDepth+1) + "]\n"
	_, err := Parse([]byte(src), "deep.yaml")
	if err == nil || !strings.Contains(err.Error(), "nests too deeply") {
		t.Fatalf("Parse of deeply nested conditions: %v", err)
	}
	src = "steps: [" + strings.Repeat("{type: condition, if: stage, yes: [", codecMaxDepth) + "{type: task}" +
		strings.Repeat("]}", codecMaxDepth) + "]\n"
	codecRoundTrip(t, codecParse(t, src))
}

func TestCodecDurations(t *testing.T) {
	good := map[string]time.Duration{
		"3d":      72 * time.Hour,
		"4h":      4 * time.Hour,
		"1d12h":   36 * time.Hour,
		"90m":     90 * time.Minute,
		"1d2h30m": 26*time.Hour + 30*time.Minute,
		"1d30m":   24*time.Hour + 30*time.Minute,
		"0":       0,
		"0m":      0,
		"007h":    7 * time.Hour,
	}
	for in, want := range good {
		got, err := ParseDuration(in)
		if err != nil || got != want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "d", "3", "3x", "3s", "1h1d", "1d1d", "3 d", " 3d", "3d ", "+3d", "-3d", "1.5h", "3D", "3dd", "99999999999999999999m", "200000d"} {
		if got, err := ParseDuration(in); err == nil {
			t.Errorf("ParseDuration(%q) = %v, want an error", in, got)
		}
	}
	format := map[time.Duration]string{
		0:                            "0m",
		90 * time.Minute:             "1h30m",
		36 * time.Hour:               "1d12h",
		72 * time.Hour:               "3d",
		24*time.Hour + time.Minute:   "1d1m",
		time.Minute + 30*time.Second: "1m",
		-2 * time.Hour:               "-2h",
	}
	for in, want := range format {
		if got := FormatDuration(in); got != want {
			t.Errorf("FormatDuration(%v) = %q, want %q", in, got, want)
		}
	}
}

// codecTrickyStrings need quoting, escaping or a block style to survive a file.
var codecTrickyStrings = []string{
	"", " ", "  x", "x ", "\t", "a\tb", "\n", "a\n", "\na", "a\n\n", "a\n ", " a\n b", "a\n\n\nb", "a\r\nb", "\r",
	"#", "a #b", "a# b", "- ", "-", "- a\n- b", "? x", ": x", "a: b", "a:b", "'", "''", "\"", "\\", "\\n",
	"null", "Null", "~", "true", "yes", "no", "on", "0", "-0", "007", "0x10", "0o7", "1e3", "1_000", ".inf", ".nan",
	"2024-01-01", "12:30", "---", "...", "|", ">", "@x", "`x", "%x", "!x", "!!str", "&x", "*x", "{", "}", "[", "]",
	",", "a,b", "[a, b]", "{a: b}", "é", "日本", "\u00a0", "a\u00a0", "\u0085", "\u2028", "\u2029", "\ufeff", "\ufeffa",
	"\x00", "\x01", "\x7f", "\u0080", "\U0001F600", strings.Repeat("long ", 50),
}

// codecRoundTripString puts s everywhere a string goes and checks that it reads back unchanged.
func codecRoundTripString(t *testing.T, s string) {
	t.Helper()
	seq := &Sequence{
		Name: s, Description: s, Entity: "lead", Tags: []string{s, "x"},
		Assign: Assign{To: AssignRecordField, Field: s, Members: map[string]string{"role": s}},
		Steps: []Step{
			{Type: Email, ID: s, Name: s, Description: s, Template: s},
			{Type: UpdateField, Field: s, Value: s},
			{Type: Condition, If: FieldTest, Test: Test{Any: []Test{
				{Field: s, Op: OpIn, Value: []any{s, s}},
				{Field: s, Op: OpContains, Value: s},
			}}, Yes: []Step{}, No: []Step{}},
			{Type: Condition, If: CallOutcome, Outcomes: []string{s}, Yes: []Step{}, No: []Step{}},
		},
	}
	if s == "" {
		// An empty update_field value is written as "" and reads back as such; nothing else
		// needs adjusting, since empty strings are left out and read back empty.
		seq.Steps[1].Value = "x"
	}
	codecRoundTrip(t, seq)
}

func TestCodecTrickyStrings(t *testing.T) {
	for _, s := range codecTrickyStrings {
		codecRoundTripString(t, s)
	}
}
