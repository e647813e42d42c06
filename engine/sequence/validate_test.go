package sequence

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pacer-sales/pacer/engine/limits"
)

const day = 24 * time.Hour

// Step builders for the tests: short to read, plain literals underneath.

func callStep(id string) Step { return Step{Type: Call, ID: id} }
func taskStep(id string) Step { return Step{Type: Task, ID: id} }
func emailStep(id string) Step {
	return Step{Type: Email, ID: id}
}
func waitStep(id string, d time.Duration) Step { return Step{Type: Wait, ID: id, Duration: d} }
func advanceStep(id, target string) Step {
	return Step{Type: AdvanceTo, ID: id, Sequence: target}
}
func outcomeCond(id string, yes, no []Step) Step {
	return Step{Type: Condition, ID: id, If: CallOutcome, Outcomes: []string{"connected"}, Yes: yes, No: no}
}
func openedCond(id string, yes, no []Step) Step {
	return Step{Type: Condition, ID: id, If: EmailOpened, Within: 3 * day, Yes: yes, No: no}
}

func seq(steps ...Step) *Sequence { return &Sequence{Name: "Outbound", Steps: steps} }

func templatesOf(names ...string) func(string) bool {
	return func(n string) bool { return slices.Contains(names, n) }
}

func prob(path, id, code, msg string) Problem {
	return Problem{Path: path, StepID: id, Code: code, Message: msg}
}

func TestValidateCodes(t *testing.T) {
	peers := []Peer{
		{Name: "Nurture", Active: true},
		{Name: "Dormant", Active: false},
		{Name: "Deals", Entity: "opportunity", Active: true},
	}
	cases := []struct {
		name string
		s    *Sequence
		env  Env
		want []Problem
	}{
		{
			name: "name_required blank",
			s:    &Sequence{Name: " \t ", Steps: []Step{taskStep("t")}},
			want: []Problem{prob("", "", CodeNameRequired, "the sequence needs a name")},
		},
		{
			name: "name_taken ignores case and spaces",
			s:    &Sequence{Name: " outbound ", Steps: []Step{taskStep("t")}},
			env:  Env{Others: []Peer{{Name: "Other"}, {Name: "OUTBOUND "}}},
			want: []Problem{prob("", "", CodeNameTaken,
				"another sequence is already named “OUTBOUND”; sequence names must be unique, ignoring case")},
		},
		{
			name: "entity_invalid",
			s:    &Sequence{Name: "Outbound", Entity: "Lead-2", Steps: []Step{taskStep("t")}},
			want: []Problem{prob("", "", CodeEntityInvalid,
				"the record type “Lead-2” isn't valid; use lead, opportunity, account, contact or a custom type in lower case (letters, digits and _, starting with a letter)")},
		},
		{
			name: "entity_invalid leading digit",
			s:    &Sequence{Name: "Outbound", Entity: "2nd", Steps: []Step{taskStep("t")}},
			want: []Problem{prob("", "", CodeEntityInvalid,
				"the record type “2nd” isn't valid; use lead, opportunity, account, contact or a custom type in lower case (letters, digits and _, starting with a letter)")},
		},
		{
			name: "no_steps",
			s:    &Sequence{Name: "Outbound"},
			want: []Problem{prob("", "", CodeNoSteps, "the sequence has no steps; add at least one after the start")},
		},
		{
			name: "wait_last at the top",
			s:    seq(callStep("c"), waitStep("w", 2*day)),
			want: []Problem{prob("steps[1]", "w", CodeWaitLast,
				"a sequence can't end with a wait step; remove it or add a step after it")},
		},
		{
			name: "wait_range zero",
			s:    seq(callStep("c"), Step{Type: Wait, ID: "w", Name: "Pause"}, taskStep("t")),
			want: []Problem{prob("steps[1]", "w", CodeWaitRange, "the wait “Pause” needs a duration longer than zero")},
		},
		{
			name: "wait_range negative",
			s:    seq(callStep("c"), waitStep("w", -time.Hour), taskStep("t")),
			want: []Problem{prob("steps[1]", "w", CodeWaitRange, "the wait “Wait” needs a duration longer than zero")},
		},
		{
			name: "wait_range over the default maximum",
			s:    seq(callStep("c"), Step{Type: Wait, ID: "w", Name: "Long pause", Duration: 45 * day}, taskStep("t")),
			want: []Problem{prob("steps[1]", "w", CodeWaitRange,
				"the wait “Long pause” lasts 45 days, longer than the organization's maximum of 30 days")},
		},
		{
			name: "wait_range exactly the maximum is fine",
			s:    seq(callStep("c"), waitStep("w", 30*day), taskStep("t")),
		},
		{
			name: "wait_range over the org maximum",
			s:    seq(callStep("c"), waitStep("w", 7*day+90*time.Minute), taskStep("t")),
			env:  Env{MaxWait: 7 * day},
			want: []Problem{prob("steps[1]", "w", CodeWaitRange,
				"the wait “Wait” lasts 7 days 1 hour 30 minutes, longer than the organization's maximum of 7 days")},
		},
		{
			name: "wait_range email condition without a window",
			s: seq(emailStep("e"), Step{Type: Condition, ID: "o", Name: "Opened?", If: EmailOpened,
				No: []Step{callStep("c")}}),
			want: []Problem{prob("steps[1]", "o", CodeWaitRange,
				"the condition “Opened?” needs a window (within), for example 3d")},
		},
		{
			name: "wait_range email condition window too long",
			s: seq(emailStep("e"), Step{Type: Condition, ID: "o", If: EmailReplied, Within: 31 * day,
				No: []Step{callStep("c")}}),
			want: []Problem{prob("steps[1]", "o", CodeWaitRange,
				"the condition “Condition” has a window of 31 days, longer than the organization's maximum of 30 days")},
		},
		{
			name: "wait_range email condition negative window",
			s:    seq(emailStep("e"), Step{Type: Condition, ID: "o", If: LinkClicked, Within: -day}),
			want: []Problem{prob("steps[1]", "o", CodeWaitRange, "the condition “Condition” needs a window longer than zero")},
		},
		{
			name: "condition_source email condition after a call",
			s:    seq(Step{Type: Call, ID: "c", Name: "Intro call"}, openedCond("o", nil, nil)),
			want: []Problem{prob("steps[1]", "o", CodeConditionSource,
				"the condition “Condition” checks email events, so it must come right after an email or automated email step; here it follows the call “Intro call”")},
		},
		{
			name: "condition_source email condition after an sms",
			s:    seq(Step{Type: AutoSMS, ID: "s", Template: "hi"}, openedCond("o", nil, nil)),
			want: []Problem{prob("steps[1]", "o", CodeConditionSource,
				"the condition “Condition” checks email events, so it must come right after an email or automated email step; here it follows the automated text message “Automated text message”")},
		},
		{
			name: "condition_source first step of the sequence",
			s:    seq(Step{Type: Condition, ID: "o", Name: "Connected?", If: CallOutcome, Outcomes: []string{"busy"}}),
			want: []Problem{prob("steps[0]", "o", CodeConditionSource,
				"the condition “Connected?” checks a call outcome, so it must come right after a call step; here it is the first step of the sequence")},
		},
		{
			name: "condition_source first step of a branch",
			s: seq(callStep("c"), outcomeCond("outer", nil, []Step{
				{Type: Condition, ID: "inner", Name: "Busy?", If: CallOutcome, Outcomes: []string{"busy"}},
			})),
			want: []Problem{prob("steps[1].no[0]", "inner", CodeConditionSource,
				"the condition “Busy?” checks a call outcome, so it must come right after a call step; here it is the first step of the No branch of the condition “Condition”")},
		},
		{
			name: "outcome_unknown none picked",
			s:    seq(callStep("c"), Step{Type: Condition, ID: "o", If: CallOutcome}),
			want: []Problem{prob("steps[1]", "o", CodeOutcomeUnknown,
				"the condition “Condition” needs at least one call outcome; pick one or more of connected, left_voicemail, no_answer, busy, wrong_number")},
		},
		{
			name: "outcome_unknown not in the default list",
			s:    seq(callStep("c"), Step{Type: Condition, ID: "o", If: CallOutcome, Outcomes: []string{"connected", "meeting_booked"}}),
			want: []Problem{prob("steps[1]", "o", CodeOutcomeUnknown,
				"the condition “Condition” uses the call outcome “meeting_booked”, which isn't in the organization's list (connected, left_voicemail, no_answer, busy, wrong_number)")},
		},
		{
			name: "outcome_unknown with the org list",
			s:    seq(callStep("c"), Step{Type: Condition, ID: "o", If: CallOutcome, Outcomes: []string{"meeting_booked", "connected"}}),
			env:  Env{CallOutcomes: []string{"meeting_booked", "no_answer"}},
			want: []Problem{prob("steps[1]", "o", CodeOutcomeUnknown,
				"the condition “Condition” uses the call outcome “connected”, which isn't in the organization's list (meeting_booked, no_answer)")},
		},
		{
			name: "advance_first",
			s:    seq(Step{Type: AdvanceTo, ID: "a", Name: "To nurture", Sequence: "Nurture"}),
			want: []Problem{prob("steps[0]", "a", CodeAdvanceFirst,
				"the advance step “To nurture” can't be the first step of the sequence; add a step before it")},
		},
		{
			name: "advance_not_last in the same list",
			s:    seq(callStep("c"), advanceStep("a", "Nurture"), taskStep("t")),
			want: []Problem{prob("steps[1]", "a", CodeAdvanceNotLast,
				"the advance step “Advance to another sequence” hands the record over to another sequence, so nothing may follow it; remove the steps after it or move it to the end")},
		},
		{
			name: "advance_target blank",
			s:    seq(callStep("c"), advanceStep("a", "  ")),
			env:  Env{Others: peers},
			want: []Problem{prob("steps[1]", "a", CodeAdvanceTarget,
				"the advance step “Advance to another sequence” needs the sequence to advance to")},
		},
		{
			name: "advance_target itself",
			s:    seq(callStep("c"), advanceStep("a", "OUTBOUND")),
			want: []Problem{prob("steps[1]", "a", CodeAdvanceTarget,
				"the advance step “Advance to another sequence” can't advance to this same sequence")},
		},
		{
			name: "advance_target missing",
			s:    seq(callStep("c"), advanceStep("a", "Nowhere")),
			env:  Env{Others: peers},
			want: []Problem{prob("steps[1]", "a", CodeAdvanceTarget,
				"the advance step “Advance to another sequence” advances to “Nowhere”, but there is no sequence of that name")},
		},
		{
			name: "advance_target missing with no other sequence",
			s:    seq(callStep("c"), advanceStep("a", "Nurture")),
			env:  Env{Others: []Peer{}},
			want: []Problem{prob("steps[1]", "a", CodeAdvanceTarget,
				"the advance step “Advance to another sequence” advances to “Nurture”, but there is no sequence of that name")},
		},
		{
			name: "advance_target inactive",
			s:    seq(callStep("c"), advanceStep("a", "dormant")),
			env:  Env{Others: peers},
			want: []Problem{prob("steps[1]", "a", CodeAdvanceTarget,
				"the advance step “Advance to another sequence” advances to “Dormant”, which isn't active")},
		},
		{
			name: "advance_target other entity",
			s:    seq(callStep("c"), advanceStep("a", "Deals")),
			env:  Env{Others: peers},
			want: []Problem{prob("steps[1]", "a", CodeAdvanceTarget,
				"the advance step “Advance to another sequence” advances to “Deals”, which is for opportunity records, not lead records")},
		},
		{
			name: "advance_target same explicit entity",
			s: &Sequence{Name: "Upsell", Entity: "opportunity",
				Steps: []Step{callStep("c"), advanceStep("a", "deals")}},
			env: Env{Others: peers},
		},
		{
			name: "advance_target lead written out matches default",
			s: &Sequence{Name: "Upsell", Entity: "lead",
				Steps: []Step{callStep("c"), advanceStep("a", "Nurture")}},
			env: Env{Others: peers},
		},
		{
			name: "advance_target unknown without others is not checked",
			s:    seq(callStep("c"), advanceStep("a", "Nowhere")),
		},
		{
			name: "template_missing auto_email without template",
			s:    seq(Step{Type: AutoEmail, ID: "m", Name: "Intro"}),
			want: []Problem{prob("steps[0]", "m", CodeTemplateMissing, "the automated email “Intro” needs a template")},
		},
		{
			name: "template_missing auto_sms unknown template",
			s:    seq(Step{Type: AutoSMS, ID: "m", Template: "ping"}),
			env:  Env{Templates: templatesOf("intro")},
			want: []Problem{prob("steps[0]", "m", CodeTemplateMissing,
				"the automated text message “Automated text message” uses the template “ping”, which doesn't exist")},
		},
		{
			name: "template_missing manual email naming an unknown template",
			s:    seq(Step{Type: Email, ID: "m", Template: "gone"}),
			env:  Env{Templates: templatesOf("intro")},
			want: []Problem{prob("steps[0]", "m", CodeTemplateMissing,
				"the email “Email” uses the template “gone”, which doesn't exist")},
		},
		{
			name: "template not looked up without a template list",
			s:    seq(Step{Type: AutoEmail, ID: "m", Template: "anything"}, Step{Type: SMS}),
		},
		{
			name: "id_duplicate on later uses",
			s: seq(callStep("x"), outcomeCond("c", []Step{taskStep("x")}, nil),
				taskStep(""), taskStep(""), taskStep("x")),
			want: []Problem{
				prob("steps[1].yes[0]", "x", CodeIDDuplicate, "the step id “x” is already used by the step at steps[0]; step ids must be unique"),
				prob("steps[4]", "x", CodeIDDuplicate, "the step id “x” is already used by the step at steps[0]; step ids must be unique"),
			},
		},
		{
			name: "assign_invalid record_field without field",
			s:    &Sequence{Name: "Outbound", Assign: Assign{To: AssignRecordField, Field: " "}, Steps: []Step{taskStep("t")}},
			want: []Problem{prob("", "", CodeAssignInvalid,
				"assigning by record field needs the field that holds the seller's username or email")},
		},
		{
			name: "assign_invalid field with another rule",
			s:    &Sequence{Name: "Outbound", Assign: Assign{To: AssignOwnerTeam, Field: "am"}, Steps: []Step{taskStep("t")}},
			want: []Problem{prob("", "", CodeAssignInvalid,
				"the assignment field “am” only applies when assigning by record field; remove it or assign to record_field")},
		},
		{
			name: "assign_invalid members without a team rule",
			s: &Sequence{Name: "Outbound", Assign: Assign{Members: map[string]string{"role": "sales rep"}},
				Steps: []Step{taskStep("t")}},
			want: []Problem{prob("", "", CodeAssignInvalid,
				"member conditions only apply when assigning to an owner team or access team; remove them or assign to owner_team or access_team")},
		},
		{
			name: "assign_invalid unknown and blank member keys, sorted",
			s: &Sequence{Name: "Outbound", Assign: Assign{To: AssignAccessTeam,
				Members: map[string]string{"region": "west", "title": " ", "role": "rep", "level": "3"}},
				Steps: []Step{taskStep("t")}},
			want: []Problem{
				prob("", "", CodeAssignInvalid, "the member condition “level” isn't known; use role, title, territory"),
				prob("", "", CodeAssignInvalid, "the member condition “region” isn't known; use role, title, territory"),
				prob("", "", CodeAssignInvalid, "the member condition “title” needs a value"),
			},
		},
		{
			name: "assign_invalid unknown rule",
			s:    &Sequence{Name: "Outbound", Assign: Assign{To: "round_robin"}, Steps: []Step{taskStep("t")}},
			want: []Problem{prob("", "", CodeAssignInvalid,
				"the assignment rule “round_robin” isn't known; use record_owner, record_field, owner_team or access_team")},
		},
		{
			name: "active_limit default",
			s:    seq(taskStep("t")),
			env:  Env{Activating: true, ActiveCount: 250},
			want: []Problem{prob("", "", CodeActiveLimit, "your organization can have up to 250 active sequences")},
		},
		{
			name: "active_limit of the org",
			s:    seq(taskStep("t")),
			env:  Env{Activating: true, ActiveCount: 5, ActiveLimit: 5},
			want: []Problem{prob("", "", CodeActiveLimit, "your organization can have up to 5 active sequences")},
		},
		{
			name: "active_limit room for one more",
			s:    seq(taskStep("t")),
			env:  Env{Activating: true, ActiveCount: 4, ActiveLimit: 5},
		},
		{
			name: "active_limit only when activating",
			s:    seq(taskStep("t")),
			env:  Env{ActiveCount: 900, ActiveLimit: 5},
		},
		{
			name: "condition_invalid no kind",
			s:    seq(callStep("c"), Step{Type: Condition, ID: "k"}),
			want: []Problem{prob("steps[1]", "k", CodeConditionInvalid, "the condition “Condition” needs a kind (if:)")},
		},
		{
			name: "condition_invalid unknown kind",
			s:    seq(callStep("c"), Step{Type: Condition, ID: "k", If: "weather"}),
			want: []Problem{prob("steps[1]", "k", CodeConditionInvalid,
				"the condition “Condition” has the unknown kind “weather”; use one of email_opened, email_replied, link_clicked, attachment_downloaded, email_events, call_outcome, field, stage")},
		},
		{
			name: "condition_invalid field test missing",
			s:    seq(callStep("c"), Step{Type: Condition, ID: "f", Name: "Hot?", If: FieldTest}),
			want: []Problem{prob("steps[1]", "f", CodeConditionInvalid,
				"the condition “Hot?” needs a field test: a field and an operator, or all/any tests")},
		},
		{
			name: "condition_invalid field test without operator",
			s:    seq(callStep("c"), Step{Type: Condition, ID: "f", If: FieldTest, Test: Test{Field: "score"}}),
			want: []Problem{prob("steps[1]", "f", CodeConditionInvalid,
				"the condition “Condition” tests the field “score” but needs an operator (eq, ne, gt, ge, lt, le, contains, in, empty, not_empty)")},
		},
		{
			name: "condition_invalid field test without field",
			s:    seq(callStep("c"), Step{Type: Condition, ID: "f", If: FieldTest, Test: Test{Op: OpNotEmpty}}),
			want: []Problem{prob("steps[1]", "f", CodeConditionInvalid, "the condition “Condition” has a test that needs a field")},
		},
		{
			name: "condition_invalid nested tests",
			s: seq(callStep("c"), Step{Type: Condition, ID: "f", If: FieldTest, Test: Test{All: []Test{
				{Field: "score", Op: OpGt, Value: 50.0},
				{Any: []Test{
					{Field: "region", Op: "like", Value: "west"},
					{Field: "tier", Op: OpIn, Value: "gold"},
					{Field: "status", Op: OpEq},
				}},
				{Any: []Test{}},
			}}}),
			want: []Problem{
				prob("steps[1]", "f", CodeConditionInvalid,
					"the condition “Condition” tests the field “region” but has the unknown operator “like”; use one of eq, ne, gt, ge, lt, le, contains, in, empty, not_empty"),
				prob("steps[1]", "f", CodeConditionInvalid,
					"the condition “Condition” tests the field “tier” but needs a list of values for the in operator"),
				prob("steps[1]", "f", CodeConditionInvalid,
					"the condition “Condition” tests the field “status” but needs a value to compare with"),
				prob("steps[1]", "f", CodeConditionInvalid,
					"the condition “Condition” has an empty any group; add a test to it"),
			},
		},
		{
			name: "condition_invalid comparison mixed with a group",
			s: seq(callStep("c"), Step{Type: Condition, ID: "f", If: FieldTest,
				Test: Test{Field: "a", Op: OpEmpty, Any: []Test{{Field: "b", Op: OpNotEmpty}}}}),
			want: []Problem{prob("steps[1]", "f", CodeConditionInvalid,
				"the condition “Condition” has a test that is both a comparison and an all/any group; make them separate tests")},
		},
		{
			name: "condition_invalid stage without stages",
			s:    seq(callStep("c"), Step{Type: Condition, ID: "s", If: StageIs}),
			want: []Problem{prob("steps[1]", "s", CodeConditionInvalid, "the condition “Condition” needs at least one stage to check")},
		},
		{
			name: "condition_invalid stage blank",
			s:    seq(callStep("c"), Step{Type: Condition, ID: "s", If: StageIs, Stages: []string{"qualify", " "}}),
			want: []Problem{prob("steps[1]", "s", CodeConditionInvalid, "the condition “Condition” lists a blank stage")},
		},
		{
			name: "condition_invalid email_events",
			s: seq(emailStep("e"), Step{Type: Condition, ID: "ev", If: EmailEvents, Within: day},
				emailStep("e2"), Step{Type: Condition, ID: "ev2", If: EmailEvents, Within: day,
					Events: []Kind{EmailOpened, "email_forwarded"}, Match: "most"}, taskStep("t")),
			want: []Problem{
				prob("steps[1]", "ev", CodeConditionInvalid,
					"the condition “Condition” needs at least one email event to check (email_opened, email_replied, link_clicked, attachment_downloaded)"),
				prob("steps[1]", "ev", CodeConditionInvalid,
					"the condition “Condition” needs to say whether all or any of its events must happen (match: all or any)"),
				prob("steps[3]", "ev2", CodeConditionInvalid,
					"the condition “Condition” lists “email_forwarded”, which isn't an email event; use email_opened, email_replied, link_clicked, attachment_downloaded"),
				prob("steps[3]", "ev2", CodeConditionInvalid, "the condition “Condition” has the match “most”; use all or any"),
			},
		},
		{
			name: "command_invalid update_field without field",
			s:    seq(Step{Type: UpdateField, ID: "u", Name: "Disqualify", Value: "x"}),
			want: []Problem{prob("steps[0]", "u", CodeCommandInvalid, "the field update “Disqualify” needs the field to set")},
		},
		{
			name: "command_invalid set_stage without stage",
			s:    seq(Step{Type: SetStage, ID: "g"}),
			want: []Problem{prob("steps[0]", "g", CodeCommandInvalid,
				"the stage change “Set stage” needs the stage to move the record to")},
		},
		{
			name: "too_large step name",
			s:    seq(Step{Type: Task, ID: "t", Name: strings.Repeat("n", limits.Name+1)}),
			want: []Problem{prob("steps[0]", "t", CodeTooLarge, "the name is too large: the limit is 200 bytes")},
		},
		{
			name: "too_large steps",
			s:    seq(slices.Repeat([]Step{{Type: Task}}, limits.Steps+1)...),
			want: []Problem{prob("", "", CodeTooLarge, "the sequence (1001 steps) is too large: the limit is 1000 steps")},
		},
		{
			name: "text_invalid escape in a description and a test value",
			s: &Sequence{Name: "S", Description: "x\x1b]52;c;aGk=\a", Steps: []Step{
				{Type: Condition, ID: "c", If: FieldTest, Test: Test{Field: "tier", Op: OpIn, Value: []any{"a", "b\u009b2J"}}, Yes: []Step{}, No: []Step{taskStep("t")}},
			}},
			want: []Problem{
				prob("", "", CodeTextInvalid, "the description contains the control character U+001B, which pacer does not accept"),
				prob("steps[0]", "c", CodeTextInvalid, "the value of a test contains the control character U+009B, which pacer does not accept"),
			},
		},
		{
			name: "type_unknown",
			s:    seq(Step{Type: "fax", ID: "f"}, Step{ID: "n", Name: "Mystery"}),
			want: []Problem{
				prob("steps[0]", "f", CodeTypeUnknown, "the step type “fax” isn't known"),
				prob("steps[1]", "n", CodeTypeUnknown, "the step “Mystery” has no type"),
			},
		},
	}
	covered := map[string]bool{}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := Validate(tc.s, tc.env)
			checkProblems(t, tc.s, got)
			for _, p := range got {
				covered[p.Code] = true
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got:\n%s\nwant:\n%s", dumpProblems(got), dumpProblems(tc.want))
			}
		})
	}
	for _, c := range Codes {
		if !covered[c] {
			t.Errorf("no case trips %s", c)
		}
	}
}

func dumpProblems(ps []Problem) string {
	if len(ps) == 0 {
		return "  (none)"
	}
	var b strings.Builder
	for _, p := range ps {
		fmt.Fprintf(&b, "  %s [%s] %s: %s\n", p.Path, p.StepID, p.Code, p.Message)
	}
	return b.String()
}

func TestCodesAreUnique(t *testing.T) {
	seen := map[string]bool{}
	for _, c := range Codes {
		if c == "" || seen[c] {
			t.Errorf("code %q empty or repeated", c)
		}
		seen[c] = true
	}
}

// TestValidateEveryProblemAtOnce checks that one call reports everything, sequence-level
// problems first, then each step's in document (Walk) order.
func TestValidateEveryProblemAtOnce(t *testing.T) {
	s := &Sequence{
		Name:   "",
		Entity: "Bad Entity",
		Assign: Assign{To: AssignRecordField},
		Steps: []Step{
			{Type: AdvanceTo, ID: "a", Sequence: ""},
			{Type: AutoEmail, ID: "m"},
			{Type: Condition, ID: "c", If: CallOutcome, Outcomes: []string{"maybe"},
				Yes: []Step{
					{Type: Wait, ID: "w", Duration: 40 * day},
				},
				No: []Step{
					{Type: Condition, ID: "e", If: EmailOpened},
				},
			},
			{Type: Task, ID: "m"},
			{Type: Wait, ID: "w2", Duration: time.Hour},
		},
	}
	env := Env{Activating: true, ActiveCount: 2, ActiveLimit: 2, Others: []Peer{}}
	got := Validate(s, env)
	want := []Problem{
		prob("", "", CodeNameRequired, "the sequence needs a name"),
		prob("", "", CodeEntityInvalid, "the record type “Bad Entity” isn't valid; use lead, opportunity, account, contact or a custom type in lower case (letters, digits and _, starting with a letter)"),
		prob("", "", CodeAssignInvalid, "assigning by record field needs the field that holds the seller's username or email"),
		prob("", "", CodeActiveLimit, "your organization can have up to 2 active sequences"),
		prob("steps[0]", "a", CodeAdvanceFirst, "the advance step “Advance to another sequence” can't be the first step of the sequence; add a step before it"),
		prob("steps[0]", "a", CodeAdvanceNotLast, "the advance step “Advance to another sequence” hands the record over to another sequence, so nothing may follow it; remove the steps after it or move it to the end"),
		prob("steps[0]", "a", CodeAdvanceTarget, "the advance step “Advance to another sequence” needs the sequence to advance to"),
		prob("steps[1]", "m", CodeTemplateMissing, "the automated email “Automated email” needs a template"),
		prob("steps[2]", "c", CodeConditionSource, "the condition “Condition” checks a call outcome, so it must come right after a call step; here it follows the automated email “Automated email”"),
		prob("steps[2]", "c", CodeOutcomeUnknown, "the condition “Condition” uses the call outcome “maybe”, which isn't in the organization's list (connected, left_voicemail, no_answer, busy, wrong_number)"),
		prob("steps[2].yes[0]", "w", CodeWaitRange, "the wait “Wait” lasts 40 days, longer than the organization's maximum of 30 days"),
		prob("steps[2].no[0]", "e", CodeConditionSource, "the condition “Condition” checks email events, so it must come right after an email or automated email step; here it is the first step of the No branch of the condition “Condition”"),
		prob("steps[2].no[0]", "e", CodeWaitRange, "the condition “Condition” needs a window (within), for example 3d"),
		prob("steps[3]", "m", CodeIDDuplicate, "the step id “m” is already used by the step at steps[1]; step ids must be unique"),
		prob("steps[4]", "w2", CodeWaitLast, "a sequence can't end with a wait step; remove it or add a step after it"),
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got:\n%s\nwant:\n%s", dumpProblems(got), dumpProblems(want))
	}
	// The order follows Walk: every step path appears in the same order as Walk visits it.
	var order []string
	s.Walk(func(p string, _ *Step) bool { order = append(order, p); return true })
	last := -1
	for _, p := range got {
		if p.Path == "" {
			if last >= 0 {
				t.Errorf("sequence-level problem %s after a step problem", p.Code)
			}
			continue
		}
		i := slices.Index(order, p.Path)
		if i < last {
			t.Errorf("problem at %s reported after one at %s", p.Path, order[last])
		}
		last = i
	}
}

// specExample is the sequence of SPEC §2, written as literals.
func specExample() *Sequence {
	return &Sequence{
		Name:        "High volume outbound prospecting",
		Description: "Cold outreach with calls",
		Entity:      "lead",
		Tags:        []string{"outbound", "prospecting"},
		Assign: Assign{To: AssignRecordField, Field: "account_manager",
			Members: nil},
		Options: Options{ExitOnReply: true},
		Steps: []Step{
			{Type: AutoEmail, ID: "intro", Name: "Introduction email", Template: "intro"},
			{Type: LinkedInResearch},
			{Type: Call, Name: "Intro call"},
			{Type: Condition, If: CallOutcome, Outcomes: []string{"connected"},
				Yes: []Step{
					{Type: LinkedInConnect},
					{Type: Task, Name: "Schedule a meeting"},
				},
				No: []Step{
					{Type: Wait, Duration: 3 * day},
					{Type: Call, Name: "Second call"},
					{Type: Condition, If: CallOutcome, Outcomes: []string{"connected"},
						Yes: []Step{},
						No: []Step{
							{Type: UpdateField, Field: "status", Value: "disqualified"},
						},
					},
				},
			},
		},
	}
}

func TestValidateCleanSequences(t *testing.T) {
	env := Env{Templates: templatesOf("intro", "follow_up"), Others: []Peer{
		{Name: "Nurture", Active: true},
		{Name: "Renewals", Entity: "account", Active: true},
	}, Activating: true, ActiveCount: 3}
	teams := specExample()
	teams.Name = "Team outbound"
	teams.Assign = Assign{To: AssignOwnerTeam, Members: map[string]string{"role": "sales rep", "territory": "west"}}
	ids := specExample()
	ids.Name = "With ids"
	ids.AssignIDs()

	clean := map[string]*Sequence{
		"spec example": specExample(),
		"owner team":   teams,
		"assigned ids": ids,
		"single task":  {Name: "One", Steps: []Step{{Type: Task}}},
		"custom entity and email conditions": {Name: "Partners", Entity: "partner_2", Steps: []Step{
			{Type: Email, Template: "follow_up"},
			{Type: Condition, If: EmailOpened, Within: 2 * day, Early: new(bool),
				Yes: []Step{{Type: AutoEmail, Template: "intro"},
					{Type: Condition, If: EmailEvents, Events: []Kind{EmailReplied, LinkClicked}, Match: MatchAny, Within: 30 * day}},
				No: []Step{{Type: Wait, Duration: 90 * time.Minute}, {Type: SMS}}},
			{Type: Condition, If: FieldTest, Test: Test{Any: []Test{
				{Field: "score", Op: OpGe, Value: 50.0},
				{All: []Test{{Field: "tier", Op: OpIn, Value: []any{"gold", "silver"}}, {Field: "phone", Op: OpEmpty}}},
			}}, Yes: []Step{{Type: SetStage, Stage: "qualify"}}},
			{Type: Condition, If: StageIs, Stages: []string{"qualify"}},
		}},
		"advance at the end of a branch": {Name: "Outbound", Steps: []Step{
			{Type: Call},
			{Type: Condition, If: CallOutcome, Outcomes: []string{"no_answer", "busy"},
				Yes: []Step{{Type: Wait, Duration: day}, {Type: AdvanceTo, Sequence: "nurture "}},
				No:  []Step{{Type: LinkedInInMail}}},
		}},
	}
	for name, s := range clean {
		t.Run(name, func(t *testing.T) {
			if got := Validate(s, env); len(got) != 0 {
				t.Errorf("want no problems, got:\n%s", dumpProblems(got))
			}
		})
	}
}

// TestValidatePaths covers the path rules: a condition's branches go on with the steps after
// the condition in its own list, and a path ends where nothing follows.
func TestValidatePaths(t *testing.T) {
	type found struct{ Path, Code string }
	cases := []struct {
		name  string
		steps []Step
		want  []found
	}{
		{"lone wait", []Step{waitStep("w", day)}, []found{{"steps[0]", CodeWaitLast}}},
		{"wait at the end of a yes branch of the last condition",
			[]Step{callStep("c"), outcomeCond("k", []Step{waitStep("w", day)}, nil)},
			[]found{{"steps[1].yes[0]", CodeWaitLast}}},
		{"wait at the end of a branch followed by a step after the condition",
			[]Step{callStep("c"), outcomeCond("k", []Step{waitStep("w", day)}, nil), taskStep("t")},
			nil},
		{"wait deep in nested branches, with a step after the outer condition",
			[]Step{callStep("c"), outcomeCond("k", nil, []Step{
				callStep("c2"), outcomeCond("k2", []Step{waitStep("w", day)}, []Step{waitStep("w2", day)}),
			}), taskStep("t")},
			nil},
		{"wait deep in nested branches, nothing after",
			[]Step{callStep("c"), outcomeCond("k", nil, []Step{
				callStep("c2"), outcomeCond("k2", []Step{waitStep("w", day)}, []Step{waitStep("w2", day)}),
			})},
			[]found{{"steps[1].no[1].yes[0]", CodeWaitLast}, {"steps[1].no[1].no[0]", CodeWaitLast}}},
		{"a condition with empty branches ends the path",
			[]Step{callStep("c"), waitStep("w", day), callStep("c2"), outcomeCond("k", nil, nil)},
			nil},
		{"wait right before a final condition is followed by it",
			[]Step{emailStep("e"), waitStep("w", day), emailStep("e2"), openedCond("k", []Step{}, []Step{})},
			nil},
		{"wait reported once though several paths end there",
			[]Step{callStep("c"), outcomeCond("k", []Step{callStep("c3")}, []Step{callStep("c4")}), waitStep("w", day)},
			[]found{{"steps[2]", CodeWaitLast}}},

		{"email condition right after an automated email",
			[]Step{{Type: AutoEmail, Template: "t"}, openedCond("k", nil, nil)}, nil},
		{"email condition after a manual email inside a branch",
			[]Step{callStep("c"), outcomeCond("k", []Step{emailStep("e"), openedCond("k2", nil, nil)}, nil)}, nil},
		{"email condition first in a branch of an email condition",
			[]Step{emailStep("e"), openedCond("k", []Step{openedCond("k2", nil, nil)}, nil)},
			[]found{{"steps[1].yes[0]", CodeConditionSource}}},
		{"email condition right after a condition whose branches end with emails",
			[]Step{callStep("c"), outcomeCond("k", []Step{emailStep("e")}, []Step{emailStep("e2")}), openedCond("k2", nil, nil)},
			[]found{{"steps[2]", CodeConditionSource}}},
		{"call outcome after a task",
			[]Step{callStep("c"), taskStep("t"), outcomeCond("k", nil, nil)},
			[]found{{"steps[2]", CodeConditionSource}}},
		{"call outcome after a wait",
			[]Step{callStep("c"), waitStep("w", day), outcomeCond("k", nil, nil)},
			[]found{{"steps[2]", CodeConditionSource}}},
		{"field and stage conditions need no source",
			[]Step{{Type: Condition, If: StageIs, Stages: []string{"a"}, Yes: []Step{
				{Type: Condition, If: FieldTest, Test: Test{Field: "x", Op: OpNotEmpty}}}}},
			nil},

		{"advance at the end of the sequence", []Step{callStep("c"), advanceStep("a", "N")}, nil},
		{"advance at the end of a branch with nothing after the condition",
			[]Step{callStep("c"), outcomeCond("k", []Step{advanceStep("a", "N")}, []Step{advanceStep("a2", "N")})}, nil},
		{"advance at the end of a branch, step after the condition",
			[]Step{callStep("c"), outcomeCond("k", []Step{advanceStep("a", "N")}, nil), taskStep("t")},
			[]found{{"steps[1].yes[0]", CodeAdvanceNotLast}}},
		{"advance in a nested branch, step after the outer condition only",
			[]Step{callStep("c"), outcomeCond("k", []Step{callStep("c2"), outcomeCond("k2", nil, []Step{advanceStep("a", "N")})}, nil), taskStep("t")},
			[]found{{"steps[1].yes[1].no[0]", CodeAdvanceNotLast}}},
		{"advance before a condition",
			[]Step{callStep("c"), advanceStep("a", "N"), outcomeCond("k", nil, nil)},
			[]found{{"steps[1]", CodeAdvanceNotLast}, {"steps[2]", CodeConditionSource}}},
		{"advance first in a branch is not the first step",
			[]Step{callStep("c"), outcomeCond("k", []Step{advanceStep("a", "N")}, nil)}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var got []found
			for _, p := range Validate(seq(tc.steps...), Env{}) {
				got = append(got, found{p.Path, p.Code})
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestValidateNilSequence(t *testing.T) {
	got := Validate(nil, Env{})
	var codes []string
	for _, p := range got {
		codes = append(codes, p.Code)
	}
	if want := []string{CodeNameRequired, CodeNoSteps}; !reflect.DeepEqual(codes, want) {
		t.Errorf("codes %v, want %v", codes, want)
	}
}

func TestValidateDoesNotChangeTheSequence(t *testing.T) {
	s := specExample()
	s.Steps = append(s.Steps, Step{Type: Wait}, Step{Type: Condition, If: FieldTest, Test: Test{All: []Test{{}}}})
	before := fmt.Sprintf("%#v", s)
	Validate(s, Env{Others: []Peer{}, Templates: templatesOf()})
	if after := fmt.Sprintf("%#v", s); after != before {
		t.Errorf("Validate changed the sequence")
	}
}

func TestSpanText(t *testing.T) {
	for d, want := range map[time.Duration]string{
		30 * day:                      "30 days",
		day + 12*time.Hour:            "1 day 12 hours",
		90 * time.Minute:              "1 hour 30 minutes",
		time.Minute:                   "1 minute",
		2*time.Hour + time.Second:     "2h0m1s",
		-time.Hour:                    "-1h0m0s",
		day + time.Hour + time.Minute: "1 day 1 hour 1 minute",
	} {
		if got := spanText(d); got != want {
			t.Errorf("spanText(%v) = %q, want %q", d, got, want)
		}
	}
}

// TestValidateRandomTrees validates many random step trees, built straight as values, and
// checks the invariants the fuzz target checks on parsed files.
func TestValidateRandomTrees(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	pick := func(xs ...string) string { return xs[r.IntN(len(xs))] }
	var tree func(depth int) []Step
	tree = func(depth int) []Step {
		n := r.IntN(4)
		steps := make([]Step, n)
		for i := range steps {
			st := &steps[i]
			st.Type = Types[r.IntN(len(Types))].Type
			if r.IntN(20) == 0 {
				st.Type = "bogus"
			}
			st.ID = pick("", "", "a", "b", "c")
			st.Template = pick("", "intro", "gone")
			st.Duration = time.Duration(r.IntN(5)-1) * 10 * day
			st.Within = st.Duration
			st.Sequence = pick("", "Nurture", "Dormant", "Deals", "nowhere", "Random")
			st.Field, st.Stage = pick("", "status"), pick("", "qualify")
			if st.Type == Condition {
				st.If = Kinds[r.IntN(len(Kinds))]
				st.Outcomes = []string{pick("connected", "bogus")}[:r.IntN(2)]
				st.Events = []Kind{EmailOpened, "bogus"}[:r.IntN(3)]
				st.Match = Match(pick("", "all", "any", "most"))
				st.Stages = []string{pick("a", " ")}[:r.IntN(2)]
				st.Test = Test{Field: pick("", "x"), Op: Op(pick("", "eq", "in", "empty", "like"))}
				if r.IntN(3) == 0 {
					st.Test = Test{All: []Test{{Field: "x", Op: OpGt, Value: 1.0}, {Any: []Test{}}}}
				}
				if depth < 4 {
					st.Yes, st.No = tree(depth+1), tree(depth+1)
				}
			}
		}
		return steps
	}
	envs := []Env{{}, {Others: []Peer{{Name: "Nurture", Active: true}, {Name: "Dormant"}, {Name: "Deals", Entity: "opportunity"}},
		Templates: templatesOf("intro"), Activating: true, ActiveCount: 1, ActiveLimit: 1}}
	for i := 0; i < 2000; i++ {
		s := &Sequence{Name: pick("", "Random", "Other"), Entity: pick("", "lead", "Bad!"), Steps: tree(0)}
		for _, env := range envs {
			got := Validate(s, env)
			checkProblems(t, s, got)
			if again := Validate(s, env); !reflect.DeepEqual(got, again) {
				t.Fatalf("not deterministic")
			}
		}
		if t.Failed() {
			t.Fatalf("in sequence %#v", s)
		}
	}
}
