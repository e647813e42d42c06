package designer

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"charm.land/huh/v2"

	"github.com/pacer-sales/pacer/engine"
	"github.com/pacer-sales/pacer/engine/sequence"
	"github.com/pacer-sales/pacer/ui/components/form"
)

// formEnv is what the forms offer to pick from: the org's templates, call outcomes and
// limits, and the sequences a step may advance to.
type formEnv struct {
	templates []engine.Template
	outcomes  []string
	maxWait   time.Duration
	// targets are the active sequences of the same record type, other than this one.
	targets []string
}

// stepValues are the values a step form edits, as the user types them.
type stepValues struct {
	Name, Description string
	Template          string
	Duration          string
	// condition
	Kind     sequence.Kind
	Within   string
	Early    bool
	Events   []sequence.Kind
	Match    sequence.Match
	Outcomes []string
	// field test: one guided comparison, more comparisons one per line, how they combine.
	// complex is set when the test nests groups the form can't show; it is then kept as is.
	TestField, TestValue string
	TestOp               sequence.Op
	MoreTests            string
	Combine              sequence.Match
	complex              bool
	Stages               string
	// commands
	Field, Value string
	Stage        string
	Target       string
}

// valuesOf reads a step into form values.
func valuesOf(st *sequence.Step) *stepValues {
	v := &stepValues{
		Name: st.Name, Description: st.Description, Template: st.Template,
		Kind: st.If, Early: st.IsEarly(), Events: slices.Clone(st.Events), Match: st.Match,
		Outcomes: slices.Clone(st.Outcomes), Stages: strings.Join(st.Stages, ", "),
		Field: st.Field, Value: valueText(st.Value), Stage: st.Stage, Target: st.Sequence,
		TestOp: sequence.OpEq, Combine: sequence.MatchAll,
	}
	if st.Duration > 0 {
		v.Duration = sequence.FormatDuration(st.Duration)
	}
	v.Within = "3d"
	if st.Within > 0 {
		v.Within = sequence.FormatDuration(st.Within)
	}
	if v.Match == "" {
		v.Match = sequence.MatchAll
	}
	v.readTest(st.Test)
	return v
}

// readTest splits a field test into the form's guided comparison and extra lines.
func (v *stepValues) readTest(t sequence.Test) {
	plain := func(x sequence.Test) bool { return len(x.All) == 0 && len(x.Any) == 0 }
	set := func(x sequence.Test) {
		v.TestField, v.TestValue = x.Field, valueText(x.Value)
		if x.Op != "" {
			v.TestOp = x.Op
		}
	}
	switch {
	case plain(t):
		set(t)
	case t.Field == "" && t.Op == "" && (len(t.All) == 0) != (len(t.Any) == 0):
		list, comb := t.All, sequence.MatchAll
		if len(t.Any) > 0 {
			list, comb = t.Any, sequence.MatchAny
		}
		for _, x := range list {
			if !plain(x) {
				v.complex = true
				return
			}
		}
		set(list[0])
		lines := make([]string, 0, len(list)-1)
		for _, x := range list[1:] {
			lines = append(lines, comparisonText(x))
		}
		v.MoreTests, v.Combine = strings.Join(lines, "\n"), comb
	default:
		v.complex = true
	}
}

// parseWindow reads a wait or window duration: > 0 and at most the org's longest wait.
func parseWindow(s string, maxWait time.Duration) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, errors.New("required, e.g. 3d, 4h, 1d12h or 90m")
	}
	d, err := sequence.ParseDuration(s)
	if err != nil {
		return 0, err
	}
	if d <= 0 {
		return 0, errors.New("must be more than 0")
	}
	if maxWait > 0 && d > maxWait {
		return 0, fmt.Errorf("at most %s (the org's longest wait)", sequence.FormatDuration(maxWait))
	}
	return d, nil
}

// parseComparison reads one "FIELD OP [VALUE]" line of a field test.
func parseComparison(line string) (sequence.Test, error) {
	f := strings.Fields(line)
	if len(f) < 2 {
		return sequence.Test{}, fmt.Errorf("%q: want FIELD OP VALUE, e.g. status eq qualified", line)
	}
	rest := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(line), f[0]))
	rest = strings.TrimSpace(strings.TrimPrefix(rest, f[1]))
	return comparison(f[0], sequence.Op(f[1]), rest)
}

// comparison builds one comparison from its typed parts, with the value in the shape its
// operator takes: none for empty/not_empty, a list for in.
func comparison(field string, op sequence.Op, value string) (sequence.Test, error) {
	field = strings.TrimSpace(field)
	if field == "" {
		return sequence.Test{}, errors.New("a field test needs a field")
	}
	if !slices.Contains(sequence.Ops, op) {
		names := make([]string, len(sequence.Ops))
		for i, o := range sequence.Ops {
			names[i] = string(o)
		}
		return sequence.Test{}, fmt.Errorf("unknown operator %q (want %s)", op, strings.Join(names, ", "))
	}
	t := sequence.Test{Field: field, Op: op}
	value = strings.TrimSpace(value)
	switch op {
	case sequence.OpEmpty, sequence.OpNotEmpty:
	case sequence.OpIn:
		list := []any{}
		for _, p := range strings.Split(value, ",") {
			if p = strings.TrimSpace(p); p != "" {
				list = append(list, engine.FieldValue(p))
			}
		}
		t.Value = list
	default:
		t.Value = engine.FieldValue(value)
	}
	return t, nil
}

// test builds the field test of the form's values.
func (v *stepValues) test() (sequence.Test, error) {
	first, err := comparison(v.TestField, v.TestOp, v.TestValue)
	if err != nil {
		return sequence.Test{}, err
	}
	var more []sequence.Test
	for _, line := range strings.Split(v.MoreTests, "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		t, err := parseComparison(line)
		if err != nil {
			return sequence.Test{}, err
		}
		more = append(more, t)
	}
	if len(more) == 0 {
		return first, nil
	}
	all := append([]sequence.Test{first}, more...)
	if v.Combine == sequence.MatchAny {
		return sequence.Test{Any: all}, nil
	}
	return sequence.Test{All: all}, nil
}

// splitList reads a comma-separated list, dropping blanks and repeats.
func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" && !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	return out
}

// apply writes the form's values into a step of its type, keeping its id and branches.
func (v *stepValues) apply(st *sequence.Step, env formEnv) error {
	out := sequence.Step{Type: st.Type, ID: st.ID, Yes: st.Yes, No: st.No}
	out.Name = strings.TrimSpace(v.Name)
	if ti, ok := sequence.Info(st.Type); ok && out.Name == ti.DefaultName {
		out.Name = ""
	}
	out.Description = strings.TrimSpace(v.Description)
	switch st.Type {
	case sequence.Email, sequence.AutoEmail, sequence.SMS, sequence.AutoSMS:
		out.Template = v.Template
	case sequence.Wait:
		d, err := parseWindow(v.Duration, env.maxWait)
		if err != nil {
			return fmt.Errorf("duration: %w", err)
		}
		out.Duration = d
	case sequence.UpdateField:
		out.Field = strings.TrimSpace(v.Field)
		if out.Field == "" {
			return errors.New("update field needs a field")
		}
		out.Value = engine.FieldValue(strings.TrimSpace(v.Value))
	case sequence.SetStage:
		out.Stage = strings.TrimSpace(v.Stage)
		if out.Stage == "" {
			return errors.New("set stage needs a stage")
		}
	case sequence.AdvanceTo:
		out.Sequence = v.Target
	case sequence.Condition:
		out.If = v.Kind
		switch {
		case v.Kind.IsEmailKind():
			d, err := parseWindow(v.Within, env.maxWait)
			if err != nil {
				return fmt.Errorf("within: %w", err)
			}
			out.Within = d
			if !v.Early {
				f := false
				out.Early = &f
			}
			if v.Kind == sequence.EmailEvents {
				if len(v.Events) == 0 {
					return errors.New("choose at least one email event")
				}
				out.Events = slices.Clone(v.Events)
				out.Match = v.Match
				if out.Match == sequence.MatchAll {
					out.Match = ""
				}
			}
		case v.Kind == sequence.CallOutcome:
			if len(v.Outcomes) == 0 {
				return errors.New("choose at least one call outcome")
			}
			out.Outcomes = slices.Clone(v.Outcomes)
		case v.Kind == sequence.FieldTest:
			if v.complex {
				out.Test = cloneTest(st.Test)
				break
			}
			t, err := v.test()
			if err != nil {
				return err
			}
			out.Test = t
		case v.Kind == sequence.StageIs:
			out.Stages = splitList(v.Stages)
			if len(out.Stages) == 0 {
				return errors.New("list at least one stage")
			}
		default:
			return errors.New("choose what the condition tests")
		}
	}
	*st = out
	return nil
}

// stepForm builds the form of a step type over v. title heads the first page.
func stepForm(t sequence.Type, v *stepValues, env formEnv, title string) *huh.Form {
	ti, _ := sequence.Info(t)
	name := huh.NewInput().Title("Name").Placeholder("blank: " + ti.DefaultName).Value(&v.Name)
	desc := huh.NewInput().Title("Description").Placeholder("optional").Value(&v.Description)
	first := []huh.Field{name, desc}
	var groups []*huh.Group
	switch t {
	case sequence.Email, sequence.SMS, sequence.AutoEmail, sequence.AutoSMS:
		first = append(first, templateSelect(t, v, env))
	case sequence.Wait:
		first = append(first, huh.NewInput().Title("Wait for").
			Description("days, hours, minutes: 3d, 4h, 1d12h, 90m").
			Placeholder(form.Example("3d")).Value(&v.Duration).
			Validate(func(s string) error { _, err := parseWindow(s, env.maxWait); return err }))
	case sequence.UpdateField:
		first = append(first,
			huh.NewInput().Title("Field").Placeholder(form.Example("status")).Value(&v.Field).Validate(form.Required("The field", "status")),
			huh.NewInput().Title("New value").Description("true/false and numbers are stored as such").Value(&v.Value))
	case sequence.SetStage:
		first = append(first, huh.NewInput().Title("Stage").Placeholder(form.Example("develop")).Value(&v.Stage).Validate(form.Required("The stage", "develop")))
	case sequence.AdvanceTo:
		first = append(first, targetSelect(v, env))
	case sequence.Condition:
		first = append(first, kindSelect(v))
		groups = conditionGroups(v, env)
	}
	head := huh.NewGroup(first...).Title(title)
	return huh.NewForm(append([]*huh.Group{head}, groups...)...)
}

// templateSelect picks the template of an email or SMS step among the org's templates of
// that channel; manual steps may have none.
func templateSelect(t sequence.Type, v *stepValues, env formEnv) huh.Field {
	kind := engine.EmailTemplate
	if t == sequence.SMS || t == sequence.AutoSMS {
		kind = engine.SMSTemplate
	}
	var opts []huh.Option[string]
	optional := t == sequence.Email || t == sequence.SMS
	if optional {
		opts = append(opts, huh.NewOption("(none: the seller writes it)", ""))
	}
	seen := false
	for _, tm := range env.templates {
		if tm.Kind != "" && tm.Kind != kind {
			continue
		}
		label := tm.Name
		if tm.Subject != "" {
			label += " — " + tm.Subject
		}
		opts = append(opts, huh.NewOption(label, tm.Name))
		seen = seen || tm.Name == v.Template
	}
	if v.Template != "" && !seen {
		opts = append(opts, huh.NewOption(v.Template+" (missing)", v.Template))
	}
	if len(opts) == 0 {
		opts = append(opts, huh.NewOption("(no templates yet: add one with pacer template add)", ""))
	}
	if v.Template == "" && !optional && len(opts) > 0 {
		v.Template = opts[0].Value
	}
	title := "Template"
	if !optional {
		title = "Template (sent automatically)"
	}
	return huh.NewSelect[string]().Title(title).Options(opts...).Value(&v.Template).Height(min(len(opts), 8) + 1)
}

// targetSelect picks the sequence an advance_to step hands the record to.
func targetSelect(v *stepValues, env formEnv) huh.Field {
	var opts []huh.Option[string]
	for _, n := range env.targets {
		opts = append(opts, huh.NewOption(n, n))
	}
	if v.Target != "" && !slices.Contains(env.targets, v.Target) {
		opts = append(opts, huh.NewOption(v.Target+" (not active)", v.Target))
	}
	if len(opts) == 0 {
		opts = append(opts, huh.NewOption("(no active sequence of this record type)", ""))
	}
	if v.Target == "" {
		v.Target = opts[0].Value
	}
	return huh.NewSelect[string]().Title("Advance to").
		Description("an active sequence of the same record type").
		Options(opts...).Value(&v.Target).Height(min(len(opts), 8) + 1)
}

// kindSelect picks what a condition tests.
func kindSelect(v *stepValues) huh.Field {
	opts := make([]huh.Option[sequence.Kind], len(sequence.Kinds))
	for i, k := range sequence.Kinds {
		opts[i] = huh.NewOption(kindLabel(k), k)
	}
	if v.Kind == "" {
		v.Kind = sequence.Kinds[0]
	}
	return huh.NewSelect[sequence.Kind]().Title("Condition").Options(opts...).Value(&v.Kind).Height(len(opts) + 1)
}

// conditionGroups are the pages of a condition's options, one per kind; only the page of the
// chosen kind shows.
func conditionGroups(v *stepValues, env formEnv) []*huh.Group {
	is := func(ks ...sequence.Kind) func() bool {
		return func() bool { return !slices.Contains(ks, v.Kind) }
	}
	within := func() huh.Field {
		return huh.NewInput().Title("Within").
			Description("how long after the email to wait for it: 3d, 4h, 1d12h").
			Placeholder(form.Example("3d")).Value(&v.Within).
			Validate(func(s string) error { _, err := parseWindow(s, env.maxWait); return err })
	}
	early := func() huh.Field {
		return huh.NewConfirm().Title("Take the Yes path as soon as it happens?").
			Affirmative("At once").Negative("Wait out the window").Value(&v.Early)
	}
	single := huh.NewGroup(within(), early()).Title("Email event").
		WithHideFunc(is(sequence.EmailOpened, sequence.EmailReplied, sequence.LinkClicked, sequence.AttachmentDownloaded))

	evOpts := make([]huh.Option[sequence.Kind], len(sequence.EventKinds))
	for i, k := range sequence.EventKinds {
		evOpts[i] = huh.NewOption(kindLabel(k), k)
	}
	events := huh.NewGroup(
		huh.NewMultiSelect[sequence.Kind]().Title("Events").Options(evOpts...).Value(&v.Events).
			Validate(func(ks []sequence.Kind) error {
				if len(ks) == 0 {
					return errors.New("choose at least one event")
				}
				return nil
			}),
		huh.NewSelect[sequence.Match]().Title("Yes when").Options(
			huh.NewOption("all of them happen", sequence.MatchAll),
			huh.NewOption("any of them happens", sequence.MatchAny)).Value(&v.Match),
		within(), early(),
	).Title("Email events").WithHideFunc(is(sequence.EmailEvents))

	outcomes := slices.Clone(env.outcomes)
	for _, o := range v.Outcomes {
		if !slices.Contains(outcomes, o) {
			outcomes = append(outcomes, o)
		}
	}
	if len(v.Outcomes) == 0 && slices.Contains(outcomes, "connected") {
		v.Outcomes = []string{"connected"}
	}
	call := huh.NewGroup(
		huh.NewMultiSelect[string]().Title("Yes when the call's outcome is").
			Options(huh.NewOptions(outcomes...)...).Value(&v.Outcomes).Height(len(outcomes) + 1).
			Validate(func(os []string) error {
				if len(os) == 0 {
					return errors.New("choose at least one outcome")
				}
				return nil
			}),
	).Title("Call outcome").WithHideFunc(is(sequence.CallOutcome))

	var field *huh.Group
	if v.complex {
		field = huh.NewGroup(huh.NewNote().Title("Field test").
			Description("This test nests groups of tests; it is kept as it is.\nEdit it in the sequence file (pacer seq export/import).")).
			WithHideFunc(is(sequence.FieldTest))
	} else {
		ops := make([]huh.Option[sequence.Op], len(sequence.Ops))
		for i, o := range sequence.Ops {
			ops[i] = huh.NewOption(string(o), o)
		}
		field = huh.NewGroup(
			huh.NewInput().Title("Field").Placeholder(form.Example("status")).Value(&v.TestField).Validate(form.Required("The field", "status")),
			huh.NewSelect[sequence.Op]().Title("Operator").Options(ops...).Value(&v.TestOp).Inline(true),
			huh.NewInput().Title("Value").Description("for in: a comma-separated list; none for empty/not_empty").Value(&v.TestValue),
			huh.NewText().Title("More tests").Description("optional, one per line: FIELD OP VALUE (ctrl+j starts a line)").
				Lines(3).Value(&v.MoreTests).
				Validate(func(s string) error {
					for _, l := range strings.Split(s, "\n") {
						if strings.TrimSpace(l) == "" {
							continue
						}
						if _, err := parseComparison(l); err != nil {
							return err
						}
					}
					return nil
				}),
			huh.NewSelect[sequence.Match]().Title("With more tests, Yes when").Options(
				huh.NewOption("all hold", sequence.MatchAll),
				huh.NewOption("any holds", sequence.MatchAny)).Value(&v.Combine).Inline(true),
		).Title("Record field test").WithHideFunc(is(sequence.FieldTest))
	}
	stage := huh.NewGroup(
		huh.NewInput().Title("Yes when the record's stage is one of").
			Description("comma-separated, e.g. develop, propose").Value(&v.Stages).Validate(form.Required("The stages", "develop, propose")),
	).Title("Record stage").WithHideFunc(is(sequence.StageIs))
	return []*huh.Group{single, events, call, field, stage}
}

// propValues are the values of the sequence properties form.
type propValues struct {
	Name, Description string
	Entity, Custom    string
	Tags              string
	Assign            sequence.AssignTo
	AssignField       string
	Role, Title, Terr string
	ExitOnReply       bool
	SkipNonWorking    bool
	SendWhileAway     bool
}

const otherEntity = "\x00other"

func propsOf(def *sequence.Sequence) *propValues {
	p := &propValues{
		Name: def.Name, Description: def.Description, Entity: def.RecordType(),
		Tags: strings.Join(def.Tags, ", "), Assign: def.Assign.Rule(), AssignField: def.Assign.Field,
		Role: def.Assign.Members["role"], Title: def.Assign.Members["title"], Terr: def.Assign.Members["territory"],
		ExitOnReply: def.Options.ExitOnReply, SkipNonWorking: def.Options.SkipNonWorkingDays,
		SendWhileAway: def.Options.SendWhileAway,
	}
	if !slices.Contains(sequence.BuiltinEntities, p.Entity) {
		p.Custom, p.Entity = p.Entity, otherEntity
	}
	return p
}

var entityRE = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

// apply writes the properties into a definition. lockAssign keeps the assignment (an active
// sequence can't change it).
func (p *propValues) apply(def *sequence.Sequence, lockAssign bool) {
	def.Name = strings.TrimSpace(p.Name)
	def.Description = strings.TrimSpace(p.Description)
	ent := p.Entity
	if ent == otherEntity {
		ent = strings.TrimSpace(p.Custom)
	}
	def.Entity = ent
	if ent == sequence.DefaultEntity {
		def.Entity = ""
	}
	def.Tags = splitList(p.Tags)
	// The form has no send window: the sequence keeps the one it has.
	def.Options.ExitOnReply, def.Options.SkipNonWorkingDays = p.ExitOnReply, p.SkipNonWorking
	def.Options.SendWhileAway = p.SendWhileAway
	if lockAssign {
		return
	}
	a := sequence.Assign{To: p.Assign}
	if a.To == sequence.AssignRecordOwner {
		a.To = ""
	}
	switch p.Assign {
	case sequence.AssignRecordField:
		a.Field = strings.TrimSpace(p.AssignField)
	case sequence.AssignOwnerTeam, sequence.AssignAccessTeam:
		for k, val := range map[string]string{"role": p.Role, "title": p.Title, "territory": p.Terr} {
			if val = strings.TrimSpace(val); val != "" {
				if a.Members == nil {
					a.Members = map[string]string{}
				}
				a.Members[k] = val
			}
		}
	}
	def.Assign = a
}

// propsForm builds the sequence properties form. active sequences show their assignment but
// can't change it.
func propsForm(p *propValues, active bool) *huh.Form {
	ents := []huh.Option[string]{}
	for _, e := range sequence.BuiltinEntities {
		ents = append(ents, huh.NewOption(strings.ToUpper(e[:1])+e[1:], e))
	}
	ents = append(ents, huh.NewOption("Other record type…", otherEntity))
	general := huh.NewGroup(
		huh.NewInput().Title("Name").Value(&p.Name).Validate(form.Required("The name", "")),
		huh.NewInput().Title("Description").Placeholder("optional").Value(&p.Description),
		huh.NewSelect[string]().Title("Record type").Options(ents...).Value(&p.Entity).Height(len(ents)+1),
		huh.NewInput().Title("Tags").Placeholder("comma-separated").Value(&p.Tags),
	).Title("Sequence properties")
	custom := huh.NewGroup(
		huh.NewInput().Title("Record type").Description("lowercase letters, digits and _").Value(&p.Custom).
			Validate(func(s string) error {
				if !entityRE.MatchString(strings.TrimSpace(s)) {
					return errors.New("use lowercase letters, digits and _, starting with a letter")
				}
				return nil
			}),
	).Title("Custom record type").WithHideFunc(func() bool { return p.Entity != otherEntity })

	groups := []*huh.Group{general, custom}
	if active {
		groups = append(groups, huh.NewGroup(huh.NewNote().Title("Assignment").
			Description(assignText(p)+"\n\nDeactivate the sequence before assigning it.")))
	} else {
		isTeam := func() bool { return p.Assign == sequence.AssignOwnerTeam || p.Assign == sequence.AssignAccessTeam }
		groups = append(groups,
			huh.NewGroup(huh.NewSelect[sequence.AssignTo]().Title("Who works the steps").Options(
				huh.NewOption("Record owner", sequence.AssignRecordOwner),
				huh.NewOption("User in a record field", sequence.AssignRecordField),
				huh.NewOption("Owner team members", sequence.AssignOwnerTeam),
				huh.NewOption("Access team members", sequence.AssignAccessTeam),
			).Value(&p.Assign).Height(5)).Title("Assignment"),
			huh.NewGroup(huh.NewInput().Title("Record field holding the user").
				Description("a username or email; falls back to the record owner").
				Placeholder(form.Example("account_manager")).Value(&p.AssignField).Validate(form.Required("The record field", "account_manager"))).
				Title("Assignment: record field").
				WithHideFunc(func() bool { return p.Assign != sequence.AssignRecordField }),
			huh.NewGroup(
				huh.NewInput().Title("Member role").Placeholder("any").Value(&p.Role),
				huh.NewInput().Title("Title").Placeholder("any").Value(&p.Title),
				huh.NewInput().Title("Territory").Placeholder("any").Value(&p.Terr),
			).Title("Assignment: team members").Description("only members matching every condition given").
				WithHideFunc(func() bool { return !isTeam() }),
		)
	}
	groups = append(groups, huh.NewGroup(
		huh.NewConfirm().Title("Exit when the customer replies to any email?").Value(&p.ExitOnReply),
		huh.NewConfirm().Title("Count waits in working time only?").
			Description("skips the org calendar's non-working days and hours").Value(&p.SkipNonWorking),
		huh.NewConfirm().Title("Send automated emails while the seller is away?").
			Description("otherwise they wait for the seller's return").Value(&p.SendWhileAway),
	).Title("Options"))
	return huh.NewForm(groups...)
}

// assignText says who works the steps, in words.
func assignText(p *propValues) string {
	switch p.Assign {
	case sequence.AssignRecordField:
		return "The user in the record field " + p.AssignField + "."
	case sequence.AssignOwnerTeam, sequence.AssignAccessTeam:
		s := "Members of the record's owner team"
		if p.Assign == sequence.AssignAccessTeam {
			s = "Members of the record's access team"
		}
		var conds []string
		for _, c := range [][2]string{{"role", p.Role}, {"title", p.Title}, {"territory", p.Terr}} {
			if c[1] != "" {
				conds = append(conds, c[0]+" "+c[1])
			}
		}
		if len(conds) > 0 {
			s += " with " + strings.Join(conds, ", ")
		}
		return s + "."
	}
	return "The record owner."
}

// noteForm asks for the note of a new version of an active sequence.
func noteForm(note *string, version int) *huh.Form {
	return huh.NewForm(huh.NewGroup(
		huh.NewInput().Title("What changed?").
			Description(fmt.Sprintf("saving an active sequence publishes version %d; connected records stay on theirs", version+1)).
			Value(note),
	).Title("Save a new version"))
}
