package sequence

import (
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Problem is one validation finding (SPEC §3).
type Problem struct {
	// Path locates the step, e.g. "steps[2].no[1]"; empty for sequence-level problems.
	Path string `json:"path,omitempty"`
	// StepID is the id of the step, when the problem is about one.
	StepID string `json:"step_id,omitempty"`
	// Message is a plain sentence for the user.
	Message string `json:"message"`
	// Code is the stable rule code, e.g. "wait_last".
	Code string `json:"code"`
}

// Peer is another sequence of the org, as validation needs to see it.
type Peer struct {
	Name   string
	Entity string
	Active bool
}

// Env is what validation needs to know about the org around a sequence.
type Env struct {
	// MaxWait bounds waits and condition windows; zero means the default 30 days.
	MaxWait time.Duration
	// CallOutcomes is the org's list; nil means the default list.
	CallOutcomes []string
	// Templates reports whether a template of that name exists; nil skips the check.
	Templates func(name string) bool
	// Others are the org's other sequences (not this one); nil skips name_taken and
	// advance_target checks that need them.
	Others []Peer
	// Activating adds the active_limit check: ActiveCount other sequences are active and the
	// org allows ActiveLimit.
	Activating  bool
	ActiveCount int
	ActiveLimit int
}

// Org defaults that validation falls back to when Env leaves them unset.
const (
	// DefaultMaxWait is the longest wait or condition window when the org sets none.
	DefaultMaxWait = 30 * 24 * time.Hour
	// DefaultActiveLimit is how many sequences an org may have active when it sets no limit.
	DefaultActiveLimit = 250
)

// DefaultCallOutcomes is the org's list of call outcomes when it sets none.
var DefaultCallOutcomes = []string{"connected", "left_voicemail", "no_answer", "busy", "wrong_number"}

// The validation codes. Every Problem carries exactly one of them; they are stable and may be
// matched on by scripts and front ends.
//
//	name_required     the sequence has no name (blank or only spaces)
//	name_taken        another sequence has the same name, ignoring case and surrounding spaces
//	entity_invalid    the record type is neither built in nor a lowercase identifier [a-z][a-z0-9_]*
//	no_steps          the sequence has no step after the start
//	wait_last         a path ends with a wait: nothing follows the wait on some path
//	wait_range        a wait or an email condition's window is missing, not > 0, or > max_wait
//	condition_source  an email condition does not come right after an email/auto_email step, or a
//	                  call_outcome condition right after a call step (the previous step of the same
//	                  list; the first step of a branch or of the sequence has none)
//	outcome_unknown   a call_outcome condition lists no outcome, or one not in the org's list
//	advance_first     advance_to is the first step of the sequence
//	advance_not_last  a step follows advance_to on its path
//	advance_target    advance_to names no sequence, this sequence, or one that does not exist,
//	                  is not active or is for another record type
//	template_missing  auto_email/auto_sms names no template, or any email/SMS step names a
//	                  template that does not exist
//	id_duplicate      a step id is used by an earlier step (reported on every later use)
//	assign_invalid    record_field without a field, a field with another rule, member conditions
//	                  outside owner_team/access_team, an unknown member key or rule, a blank value
//	active_limit      activating would exceed the org's limit of active sequences
//
// Codes beyond the SPEC §3 table, for options a step cannot work without:
//
//	condition_invalid a condition has no or an unknown kind; a field condition lacks a field,
//	                  operator or value; a stage condition lists no stage; email_events lists no
//	                  or unknown events, or its match is not all/any
//	command_invalid   update_field without a field, set_stage without a stage
//	type_unknown      a step's type is missing or not a known type
//	too_large         a name, id, description, tag or value is over its size limit (package
//	                  limits); more steps or tags than allowed
//	text_invalid      a name, id, description, tag or value is not UTF-8 or holds terminal
//	                  control characters (newlines and tabs are allowed in descriptions and values)
const (
	CodeNameRequired     = "name_required"
	CodeNameTaken        = "name_taken"
	CodeEntityInvalid    = "entity_invalid"
	CodeNoSteps          = "no_steps"
	CodeWaitLast         = "wait_last"
	CodeWaitRange        = "wait_range"
	CodeConditionSource  = "condition_source"
	CodeOutcomeUnknown   = "outcome_unknown"
	CodeAdvanceFirst     = "advance_first"
	CodeAdvanceNotLast   = "advance_not_last"
	CodeAdvanceTarget    = "advance_target"
	CodeTemplateMissing  = "template_missing"
	CodeIDDuplicate      = "id_duplicate"
	CodeAssignInvalid    = "assign_invalid"
	CodeActiveLimit      = "active_limit"
	CodeConditionInvalid = "condition_invalid"
	CodeCommandInvalid   = "command_invalid"
	CodeTypeUnknown      = "type_unknown"
	CodeTooLarge         = "too_large"
	CodeTextInvalid      = "text_invalid"
)

// Codes lists every validation code, the SPEC §3 table first, then the extra ones.
var Codes = []string{
	CodeNameRequired, CodeNameTaken, CodeEntityInvalid, CodeNoSteps, CodeWaitLast, CodeWaitRange,
	CodeConditionSource, CodeOutcomeUnknown, CodeAdvanceFirst, CodeAdvanceNotLast,
	CodeAdvanceTarget, CodeTemplateMissing, CodeIDDuplicate, CodeAssignInvalid, CodeActiveLimit,
	CodeConditionInvalid, CodeCommandInvalid, CodeTypeUnknown, CodeTooLarge, CodeTextInvalid,
}

// Validate checks a sequence against every rule of SPEC §3 and returns all problems, in
// document order, sequence-level ones first. An empty result means the sequence may be
// activated.
//
// Paths: a path runs from the start through a step list; at a condition it goes on into the
// Yes or the No list, and when that list ends, with the steps that follow the condition in
// its own list (and so on outwards). A path ends where no step follows. So a wait is last
// when nothing follows it on some path, and advance_to must be where every path through it
// ends. A condition's source is the step right before it in the same list.
//
// Messages are plain sentences in lower case without a final full stop, so a front end can
// put them after a path or capitalize them.
func Validate(s *Sequence, env Env) []Problem {
	if s == nil {
		s = &Sequence{}
	}
	v := &validation{s: s, env: env, ids: map[string]string{}}
	v.maxWait = env.MaxWait
	if v.maxWait <= 0 {
		v.maxWait = DefaultMaxWait
	}
	v.outcomes = env.CallOutcomes
	if v.outcomes == nil {
		v.outcomes = DefaultCallOutcomes
	}
	v.sequenceLevel()
	if probs := CheckSizes(s); len(probs) > 0 {
		// Too many steps, or texts too large: the rules below would only repeat the cost.
		return append(v.out, probs...)
	}
	v.list("steps", s.Steps, nil, "", false)
	return v.out
}

// validation is the state of one Validate call.
type validation struct {
	s        *Sequence
	env      Env
	maxWait  time.Duration
	outcomes []string
	ids      map[string]string // step id → path of its first use
	out      []Problem
}

func (v *validation) add(path string, st *Step, code, msg string) {
	p := Problem{Path: path, Message: msg, Code: code}
	if st != nil {
		p.StepID = st.ID
	}
	v.out = append(v.out, p)
}

func (v *validation) sequenceLevel() {
	s := v.s
	name := strings.TrimSpace(s.Name)
	if name == "" {
		v.add("", nil, CodeNameRequired, "the sequence needs a name")
	} else {
		for _, o := range v.env.Others {
			if strings.EqualFold(strings.TrimSpace(o.Name), name) {
				v.add("", nil, CodeNameTaken, "another sequence is already named "+q(strings.TrimSpace(o.Name))+
					"; sequence names must be unique, ignoring case")
				break
			}
		}
	}
	if s.Entity != "" && !slices.Contains(BuiltinEntities, s.Entity) && !isIdentifier(s.Entity) {
		v.add("", nil, CodeEntityInvalid, "the record type "+q(s.Entity)+" isn't valid; use "+
			strings.Join(BuiltinEntities, ", ")+
			" or a custom type in lower case (letters, digits and _, starting with a letter)")
	}
	v.assign()
	if len(s.Steps) == 0 {
		v.add("", nil, CodeNoSteps, "the sequence has no steps; add at least one after the start")
	}
	if v.env.Activating {
		limit := v.env.ActiveLimit
		if limit <= 0 {
			limit = DefaultActiveLimit
		}
		if v.env.ActiveCount+1 > limit {
			v.add("", nil, CodeActiveLimit, "your organization can have up to "+strconv.Itoa(limit)+" active sequences")
		}
	}
}

func (v *validation) assign() {
	a := v.s.Assign
	rule := a.Rule()
	known := true
	switch rule {
	case AssignRecordOwner, AssignRecordField, AssignOwnerTeam, AssignAccessTeam:
	default:
		known = false
		v.add("", nil, CodeAssignInvalid, "the assignment rule "+q(string(a.To))+
			" isn't known; use record_owner, record_field, owner_team or access_team")
	}
	field := strings.TrimSpace(a.Field)
	switch {
	case rule == AssignRecordField && field == "":
		v.add("", nil, CodeAssignInvalid,
			"assigning by record field needs the field that holds the seller's username or email")
	case known && rule != AssignRecordField && a.Field != "":
		v.add("", nil, CodeAssignInvalid, "the assignment field "+q(a.Field)+
			" only applies when assigning by record field; remove it or assign to record_field")
	}
	if len(a.Members) == 0 {
		return
	}
	if known && rule != AssignOwnerTeam && rule != AssignAccessTeam {
		v.add("", nil, CodeAssignInvalid,
			"member conditions only apply when assigning to an owner team or access team; remove them or assign to owner_team or access_team")
	}
	keys := make([]string, 0, len(a.Members))
	for k := range a.Members {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		switch {
		case !slices.Contains(MemberKeys, k):
			v.add("", nil, CodeAssignInvalid, "the member condition "+q(k)+" isn't known; use "+
				strings.Join(MemberKeys, ", "))
		case strings.TrimSpace(a.Members[k]) == "":
			v.add("", nil, CodeAssignInvalid, "the member condition "+q(k)+" needs a value")
		}
	}
}

// list checks the steps of one list. parent is the condition whose branch it is (nil for the
// top level) and branch names it ("Yes"/"No"); more says whether steps follow the end of the
// list on its paths.
func (v *validation) list(prefix string, steps []Step, parent *Step, branch string, more bool) {
	for i := range steps {
		st := &steps[i]
		path := prefix + "[" + strconv.Itoa(i) + "]"
		var prev *Step
		if i > 0 {
			prev = &steps[i-1]
		}
		next := i < len(steps)-1 || more
		v.step(path, st, stepContext{prev: prev, parent: parent, branch: branch, first: parent == nil && i == 0, next: next})
		if st.Type == Condition {
			v.list(path+".yes", st.Yes, st, "Yes", next)
			v.list(path+".no", st.No, st, "No", next)
		}
	}
}

// stepContext is where a step sits on its paths.
type stepContext struct {
	prev   *Step  // the step right before it in its list, nil when it is first in its list
	parent *Step  // the condition whose branch holds it, nil at the top level
	branch string // "Yes" or "No" when parent is set
	first  bool   // the very first step of the sequence
	next   bool   // some step follows it on its paths
}

func (v *validation) step(path string, st *Step, c stepContext) {
	if _, ok := Info(st.Type); !ok {
		msg := "the step " + q(st.DisplayName()) + " has no type"
		if st.Type != "" {
			msg = "the step type " + q(string(st.Type)) + " isn't known"
		}
		v.add(path, st, CodeTypeUnknown, msg)
	}
	if st.ID != "" {
		if at, dup := v.ids[st.ID]; dup {
			v.add(path, st, CodeIDDuplicate, "the step id "+q(st.ID)+" is already used by the step at "+at+
				"; step ids must be unique")
		} else {
			v.ids[st.ID] = path
		}
	}
	who := noun(st)
	switch st.Type {
	case Email, SMS, AutoEmail, AutoSMS:
		tpl := strings.TrimSpace(st.Template)
		switch {
		case tpl == "" && (st.Type == AutoEmail || st.Type == AutoSMS):
			v.add(path, st, CodeTemplateMissing, who+" needs a template")
		case tpl != "" && v.env.Templates != nil && !v.env.Templates(st.Template):
			v.add(path, st, CodeTemplateMissing, who+" uses the template "+q(st.Template)+", which doesn't exist")
		}
	case Wait:
		switch {
		case st.Duration <= 0:
			v.add(path, st, CodeWaitRange, who+" needs a duration longer than zero")
		case st.Duration > v.maxWait:
			v.add(path, st, CodeWaitRange, who+" lasts "+spanText(st.Duration)+
				", longer than the organization's maximum of "+spanText(v.maxWait))
		}
		if !c.next {
			v.add(path, st, CodeWaitLast, "a sequence can't end with a wait step; remove it or add a step after it")
		}
	case Condition:
		v.condition(path, st, c)
	case UpdateField:
		if strings.TrimSpace(st.Field) == "" {
			v.add(path, st, CodeCommandInvalid, who+" needs the field to set")
		}
	case SetStage:
		if strings.TrimSpace(st.Stage) == "" {
			v.add(path, st, CodeCommandInvalid, who+" needs the stage to move the record to")
		}
	case AdvanceTo:
		if c.first {
			v.add(path, st, CodeAdvanceFirst, who+" can't be the first step of the sequence; add a step before it")
		}
		if c.next {
			v.add(path, st, CodeAdvanceNotLast, who+
				" hands the record over to another sequence, so nothing may follow it; remove the steps after it or move it to the end")
		}
		v.advanceTarget(path, st)
	}
}

func (v *validation) advanceTarget(path string, st *Step) {
	who := noun(st)
	target := strings.TrimSpace(st.Sequence)
	if target == "" {
		v.add(path, st, CodeAdvanceTarget, who+" needs the sequence to advance to")
		return
	}
	if strings.EqualFold(target, strings.TrimSpace(v.s.Name)) {
		v.add(path, st, CodeAdvanceTarget, who+" can't advance to this same sequence")
		return
	}
	if v.env.Others == nil {
		return
	}
	for _, o := range v.env.Others {
		if !strings.EqualFold(strings.TrimSpace(o.Name), target) {
			continue
		}
		if !o.Active {
			v.add(path, st, CodeAdvanceTarget, who+" advances to "+q(o.Name)+", which isn't active")
		}
		theirs := o.Entity
		if theirs == "" {
			theirs = DefaultEntity
		}
		if ours := v.s.RecordType(); theirs != ours {
			v.add(path, st, CodeAdvanceTarget, who+" advances to "+q(o.Name)+", which is for "+theirs+
				" records, not "+ours+" records")
		}
		return
	}
	v.add(path, st, CodeAdvanceTarget, who+" advances to "+q(target)+", but there is no sequence of that name")
}

func (v *validation) condition(path string, st *Step, c stepContext) {
	who := noun(st)
	if st.If == "" {
		v.add(path, st, CodeConditionInvalid, who+" needs a kind (if:)")
		return
	}
	if !slices.Contains(Kinds, st.If) {
		v.add(path, st, CodeConditionInvalid, who+" has the unknown kind "+q(string(st.If))+"; use one of "+
			kindList(Kinds))
		return
	}
	if st.If.IsEmailKind() {
		if c.prev == nil || (c.prev.Type != Email && c.prev.Type != AutoEmail) {
			v.add(path, st, CodeConditionSource, who+
				" checks email events, so it must come right after an email or automated email step; "+where(c))
		}
		switch {
		case st.Within == 0:
			v.add(path, st, CodeWaitRange, who+" needs a window (within), for example 3d")
		case st.Within < 0:
			v.add(path, st, CodeWaitRange, who+" needs a window longer than zero")
		case st.Within > v.maxWait:
			v.add(path, st, CodeWaitRange, who+" has a window of "+spanText(st.Within)+
				", longer than the organization's maximum of "+spanText(v.maxWait))
		}
	}
	switch st.If {
	case EmailEvents:
		if len(st.Events) == 0 {
			v.add(path, st, CodeConditionInvalid, who+" needs at least one email event to check ("+
				kindList(EventKinds)+")")
		}
		for _, e := range st.Events {
			if !slices.Contains(EventKinds, e) {
				v.add(path, st, CodeConditionInvalid, who+" lists "+q(string(e))+", which isn't an email event; use "+
					kindList(EventKinds))
			}
		}
		switch st.Match {
		case MatchAll, MatchAny:
		case "":
			v.add(path, st, CodeConditionInvalid, who+" needs to say whether all or any of its events must happen (match: all or any)")
		default:
			v.add(path, st, CodeConditionInvalid, who+" has the match "+q(string(st.Match))+"; use all or any")
		}
	case CallOutcome:
		if c.prev == nil || c.prev.Type != Call {
			v.add(path, st, CodeConditionSource, who+
				" checks a call outcome, so it must come right after a call step; "+where(c))
		}
		if len(st.Outcomes) == 0 {
			v.add(path, st, CodeOutcomeUnknown, who+" needs at least one call outcome; pick one or more of "+
				strings.Join(v.outcomes, ", "))
		}
		for _, o := range st.Outcomes {
			if !slices.Contains(v.outcomes, o) {
				v.add(path, st, CodeOutcomeUnknown, who+" uses the call outcome "+q(o)+
					", which isn't in the organization's list ("+strings.Join(v.outcomes, ", ")+")")
			}
		}
	case FieldTest:
		t := st.Test
		if t.Field == "" && t.Op == "" && t.Value == nil && t.All == nil && t.Any == nil {
			v.add(path, st, CodeConditionInvalid, who+" needs a field test: a field and an operator, or all/any tests")
			return
		}
		v.test(path, st, &t)
	case StageIs:
		if len(st.Stages) == 0 {
			v.add(path, st, CodeConditionInvalid, who+" needs at least one stage to check")
		}
		for _, sg := range st.Stages {
			if strings.TrimSpace(sg) == "" {
				v.add(path, st, CodeConditionInvalid, who+" lists a blank stage")
				break
			}
		}
	}
}

// test checks one field test of a field condition, and the tests nested in it.
func (v *validation) test(path string, st *Step, t *Test) {
	who := noun(st)
	group := t.All != nil || t.Any != nil
	comparison := t.Field != "" || t.Op != "" || t.Value != nil
	if group {
		if comparison {
			v.add(path, st, CodeConditionInvalid, who+
				" has a test that is both a comparison and an all/any group; make them separate tests")
		}
		for _, g := range []struct {
			name  string
			tests []Test
		}{{"all", t.All}, {"any", t.Any}} {
			if g.tests == nil {
				continue
			}
			if len(g.tests) == 0 {
				v.add(path, st, CodeConditionInvalid, who+" has an empty "+g.name+" group; add a test to it")
			}
			for i := range g.tests {
				v.test(path, st, &g.tests[i])
			}
		}
		return
	}
	field := strings.TrimSpace(t.Field)
	subject := who + " has a test that"
	if field != "" {
		subject = who + " tests the field " + q(field) + " but"
	}
	if field == "" {
		v.add(path, st, CodeConditionInvalid, subject+" needs a field")
	}
	switch {
	case t.Op == "":
		v.add(path, st, CodeConditionInvalid, subject+" needs an operator ("+opList()+")")
	case !slices.Contains(Ops, t.Op):
		v.add(path, st, CodeConditionInvalid, subject+" has the unknown operator "+q(string(t.Op))+"; use one of "+opList())
	case t.Op == OpEmpty || t.Op == OpNotEmpty:
	case t.Op == OpIn:
		if list, ok := t.Value.([]any); !ok || len(list) == 0 {
			v.add(path, st, CodeConditionInvalid, subject+" needs a list of values for the in operator")
		}
	case t.Value == nil:
		v.add(path, st, CodeConditionInvalid, subject+" needs a value to compare with")
	}
}

// where says what comes right before a condition, for condition_source messages.
func where(c stepContext) string {
	switch {
	case c.prev != nil:
		return "here it follows " + noun(c.prev)
	case c.parent != nil:
		return "here it is the first step of the " + c.branch + " branch of " + noun(c.parent)
	default:
		return "here it is the first step of the sequence"
	}
}

// noun names a step in a message: its kind and its display name, e.g. the wait “Wait 3 days”.
func noun(st *Step) string {
	kind := "step"
	switch st.Type {
	case Email:
		kind = "email"
	case AutoEmail:
		kind = "automated email"
	case SMS:
		kind = "text message"
	case AutoSMS:
		kind = "automated text message"
	case Call:
		kind = "call"
	case Task:
		kind = "task"
	case Wait:
		kind = "wait"
	case Condition:
		kind = "condition"
	case UpdateField:
		kind = "field update"
	case SetStage:
		kind = "stage change"
	case AdvanceTo:
		kind = "advance step"
	case LinkedInResearch, LinkedInIntroduce, LinkedInConnect, LinkedInInMail:
		kind = "LinkedIn step"
	}
	return "the " + kind + " " + q(st.DisplayName())
}

// q quotes a name for a message.
func q(s string) string { return "“" + s + "”" }

func kindList(ks []Kind) string {
	parts := make([]string, len(ks))
	for i, k := range ks {
		parts[i] = string(k)
	}
	return strings.Join(parts, ", ")
}

func opList() string {
	parts := make([]string, len(Ops))
	for i, o := range Ops {
		parts[i] = string(o)
	}
	return strings.Join(parts, ", ")
}

// isIdentifier reports whether s matches [a-z][a-z0-9_]*.
func isIdentifier(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z':
		case i > 0 && (c >= '0' && c <= '9' || c == '_'):
		default:
			return false
		}
	}
	return s != ""
}

// spanText writes a duration for people: "30 days", "1 day 12 hours", "90 minutes" as
// "1 hour 30 minutes". Durations that are not whole minutes fall back to Go's notation.
func spanText(d time.Duration) string {
	if d <= 0 || d%time.Minute != 0 {
		return d.String()
	}
	var parts []string
	unit := func(n int64, one string) {
		if n == 0 {
			return
		}
		s := strconv.FormatInt(n, 10) + " " + one
		if n != 1 {
			s += "s"
		}
		parts = append(parts, s)
	}
	day := 24 * time.Hour
	unit(int64(d/day), "day")
	unit(int64(d%day/time.Hour), "hour")
	unit(int64(d%time.Hour/time.Minute), "minute")
	return strings.Join(parts, " ")
}
