// Package sequence holds the sequence model of pacer: the step tree that admins design,
// its YAML file format, the validation rules that gate activation, and the built-in
// templates.
//
// A Sequence is plain data. It knows nothing of storage or of records connected to it;
// the engine reads it to walk records through their steps.
package sequence

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Type is the kind of a step, as written in the `type:` key of a sequence file.
type Type string

// The step types of a sequence.
const (
	Email             Type = "email"
	AutoEmail         Type = "auto_email"
	SMS               Type = "sms"
	AutoSMS           Type = "auto_sms"
	Call              Type = "call"
	Task              Type = "task"
	Wait              Type = "wait"
	Condition         Type = "condition"
	UpdateField       Type = "update_field"
	SetStage          Type = "set_stage"
	AdvanceTo         Type = "advance_to"
	LinkedInResearch  Type = "linkedin_research"
	LinkedInIntroduce Type = "linkedin_introduce"
	LinkedInConnect   Type = "linkedin_connect"
	LinkedInInMail    Type = "linkedin_inmail"
)

// Group is a designer tab that step types are picked from.
type Group string

// The four groups of the designer's step picker.
const (
	GroupSteps      Group = "Steps"
	GroupConditions Group = "Conditions"
	GroupCommands   Group = "Commands"
	GroupLinkedIn   Group = "LinkedIn"
)

// TypeInfo describes a step type: its designer group, default name and which options it takes.
type TypeInfo struct {
	Type        Type
	Group       Group
	DefaultName string
	// Manual types create a task for a seller.
	Manual bool
}

// Types lists every step type in designer order.
var Types = []TypeInfo{
	{Email, GroupSteps, "Email", true},
	{AutoEmail, GroupSteps, "Automated email", false},
	{SMS, GroupSteps, "Text message", true},
	{AutoSMS, GroupSteps, "Automated text message", false},
	{Call, GroupSteps, "Phone call", true},
	{Task, GroupSteps, "Task", true},
	{Wait, GroupSteps, "Wait", false},
	{Condition, GroupConditions, "Condition", false},
	{UpdateField, GroupCommands, "Update field", false},
	{SetStage, GroupCommands, "Set stage", false},
	{AdvanceTo, GroupCommands, "Advance to another sequence", false},
	{LinkedInResearch, GroupLinkedIn, "LinkedIn: research", true},
	{LinkedInIntroduce, GroupLinkedIn, "LinkedIn: get introduced", true},
	{LinkedInConnect, GroupLinkedIn, "LinkedIn: connect", true},
	{LinkedInInMail, GroupLinkedIn, "LinkedIn: send InMail", true},
}

// Info returns the description of a step type and whether it is known.
func Info(t Type) (TypeInfo, bool) {
	for _, ti := range Types {
		if ti.Type == t {
			return ti, true
		}
	}
	return TypeInfo{}, false
}

// Kind is what a condition step tests, as written in its `if:` key.
type Kind string

// The condition kinds.
const (
	EmailOpened          Kind = "email_opened"
	EmailReplied         Kind = "email_replied"
	LinkClicked          Kind = "link_clicked"
	AttachmentDownloaded Kind = "attachment_downloaded"
	EmailEvents          Kind = "email_events"
	CallOutcome          Kind = "call_outcome"
	FieldTest            Kind = "field"
	StageIs              Kind = "stage"
)

// Kinds lists every condition kind in designer order.
var Kinds = []Kind{EmailOpened, EmailReplied, LinkClicked, AttachmentDownloaded, EmailEvents, CallOutcome, FieldTest, StageIs}

// EventKinds are the email events a condition can wait for.
var EventKinds = []Kind{EmailOpened, EmailReplied, LinkClicked, AttachmentDownloaded}

// IsEmailKind reports whether k waits for email events (a window and an email source apply).
func (k Kind) IsEmailKind() bool {
	switch k {
	case EmailOpened, EmailReplied, LinkClicked, AttachmentDownloaded, EmailEvents:
		return true
	}
	return false
}

// Match says whether an email_events condition needs all or any of its events.
type Match string

// The two ways to combine events.
const (
	MatchAll Match = "all"
	MatchAny Match = "any"
)

// Op is a comparison of a field test.
type Op string

// The field-test operators.
const (
	OpEq       Op = "eq"
	OpNe       Op = "ne"
	OpGt       Op = "gt"
	OpGe       Op = "ge"
	OpLt       Op = "lt"
	OpLe       Op = "le"
	OpContains Op = "contains"
	OpIn       Op = "in"
	OpEmpty    Op = "empty"
	OpNotEmpty Op = "not_empty"
)

// Ops lists every field-test operator.
var Ops = []Op{OpEq, OpNe, OpGt, OpGe, OpLt, OpLe, OpContains, OpIn, OpEmpty, OpNotEmpty}

// Test is one field test of a `field` condition: either a comparison (Field, Op, Value) or a
// group of tests that must all (All) or any (Any) hold. Groups nest.
type Test struct {
	Field string
	Op    Op
	// Value is a string, float64 or bool; for OpIn a []any of those. Nil for empty/not_empty.
	Value any
	All   []Test
	Any   []Test
}

// Step is one node of the step tree. Only the options of its Type are meaningful; the YAML
// reader rejects options that do not belong to the type.
type Step struct {
	Type        Type
	ID          string
	Name        string
	Description string

	// Template names the email or SMS template (email, auto_email, sms, auto_sms).
	Template string
	// Duration is the length of a wait step.
	Duration time.Duration

	// Field and Value are the field and new value of update_field.
	Field string
	Value any
	// Stage is the target stage of set_stage.
	Stage string
	// Sequence is the name of the target sequence of advance_to.
	Sequence string

	// If is the condition kind of a condition step; the options below belong to it.
	If Kind
	// Within is the window of email conditions.
	Within time.Duration
	// Early, when nil, means true: take the Yes path as soon as the event happens.
	Early    *bool
	Events   []Kind
	Match    Match
	Outcomes []string
	Stages   []string
	// Test is the field test of a `field` condition (field/op/value or all/any at the top).
	Test Test
	Yes  []Step
	No   []Step
}

// IsEarly reports whether an email condition decides Yes as soon as its event happens.
func (s *Step) IsEarly() bool { return s.Early == nil || *s.Early }

// DisplayName is the step's name, or the default name of its type when it has none.
func (s *Step) DisplayName() string {
	if s.Name != "" {
		return s.Name
	}
	if ti, ok := Info(s.Type); ok {
		return ti.DefaultName
	}
	return string(s.Type)
}

// AssignTo says who works a sequence's manual steps.
type AssignTo string

// The assignment rules of SPEC §5.
const (
	AssignRecordOwner AssignTo = "record_owner"
	AssignRecordField AssignTo = "record_field"
	AssignOwnerTeam   AssignTo = "owner_team"
	AssignAccessTeam  AssignTo = "access_team"
)

// MemberKeys are the keys allowed in Assign.Members.
var MemberKeys = []string{"role", "title", "territory"}

// Assign is a sequence's assignment setting.
type Assign struct {
	// To is the rule; empty means record_owner.
	To AssignTo
	// Field is the record field holding a username or email (record_field).
	Field string
	// Members restricts team members (owner_team, access_team) by role, title or territory.
	Members map[string]string
}

// Rule returns the assignment rule, defaulting to record_owner.
func (a Assign) Rule() AssignTo {
	if a.To == "" {
		return AssignRecordOwner
	}
	return a.To
}

// Options are a sequence's behaviour switches.
type Options struct {
	ExitOnReply        bool
	SkipNonWorkingDays bool
	// SendWindow is when automated emails go out in the recipient's time zone: "" for the
	// org's working hours on working days, "any" for any time, or "HH:MM-HH:MM" (every day
	// that is a working day). See ParseWindow.
	SendWindow string
	// SendWhileAway keeps sending the automated emails of a seller who is away (time off);
	// otherwise they wait for the seller's return.
	SendWhileAway bool
}

// ParseWindow reads a send window: "any" (anyTime), or "HH:MM-HH:MM" with the start before
// the end (minutes after midnight). The empty window is the org's hours (def).
func ParseWindow(s string) (start, end int, anyTime, def bool, err error) {
	s = strings.TrimSpace(s)
	switch s {
	case "":
		return 0, 0, false, true, nil
	case "any":
		return 0, 0, true, false, nil
	}
	from, to, ok := strings.Cut(s, "-")
	a, errA := time.Parse("15:04", strings.TrimSpace(from))
	b, errB := time.Parse("15:04", strings.TrimSpace(to))
	if !ok || errA != nil || errB != nil {
		return 0, 0, false, false, fmt.Errorf("send_window %q: want HH:MM-HH:MM (e.g. 08:00-18:00) or any", s)
	}
	start, end = a.Hour()*60+a.Minute(), b.Hour()*60+b.Minute()
	if start >= end {
		return 0, 0, false, false, fmt.Errorf("send_window %q: the start must be before the end", s)
	}
	return start, end, false, false, nil
}

// Sequence is a sequence definition: what a YAML file holds.
type Sequence struct {
	Name        string
	Description string
	// Entity is the record type; empty means lead.
	Entity  string
	Tags    []string
	Assign  Assign
	Options Options
	Steps   []Step
}

// DefaultEntity is the record type of a sequence that names none.
const DefaultEntity = "lead"

// BuiltinEntities are the record types every org has.
var BuiltinEntities = []string{"lead", "opportunity", "account", "contact"}

// RecordType returns the sequence's entity, defaulting to lead.
func (s *Sequence) RecordType() string {
	if s.Entity == "" {
		return DefaultEntity
	}
	return s.Entity
}

// Walk calls fn for every step of the tree in document order, with its path
// (e.g. "steps[2].no[1]"). It stops early when fn returns false.
func (s *Sequence) Walk(fn func(path string, st *Step) bool) {
	walk("steps", s.Steps, fn)
}

func walk(prefix string, steps []Step, fn func(string, *Step) bool) bool {
	for i := range steps {
		p := prefix + "[" + strconv.Itoa(i) + "]"
		if !fn(p, &steps[i]) {
			return false
		}
		if steps[i].Type == Condition {
			if !walk(p+".yes", steps[i].Yes, fn) || !walk(p+".no", steps[i].No, fn) {
				return false
			}
		}
	}
	return true
}

// CountSteps returns the number of steps in the tree (the start is not a step).
func (s *Sequence) CountSteps() int {
	n := 0
	s.Walk(func(string, *Step) bool { n++; return true })
	return n
}

// Find returns the step with the given id and its path, or nil.
func (s *Sequence) Find(id string) (*Step, string) {
	var found *Step
	var at string
	s.Walk(func(p string, st *Step) bool {
		if st.ID == id {
			found, at = st, p
			return false
		}
		return true
	})
	return found, at
}

// AssignIDs gives every step without an id a new one, unique in the sequence and built from its
// type ("call-1", "wait-2"). Existing ids are kept, so ids stay stable across saves. It takes
// time linear in the number of steps: each type's numbering goes on from where it stopped.
func (s *Sequence) AssignIDs() {
	used := map[string]bool{}
	s.Walk(func(_ string, st *Step) bool {
		if st.ID != "" {
			used[st.ID] = true
		}
		return true
	})
	next := map[Type]int{} // the number the next id of a type tries first
	s.Walk(func(_ string, st *Step) bool {
		if st.ID != "" {
			return true
		}
		base := strings.ReplaceAll(string(st.Type), "_", "-") + "-"
		n := max(next[st.Type], 1)
		for used[base+strconv.Itoa(n)] {
			n++
		}
		st.ID = base + strconv.Itoa(n)
		used[st.ID], next[st.Type] = true, n+1
		return true
	})
}
