package sequence

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/pacer-sales/pacer/engine/limits"
)

// FileError is one problem found while reading a sequence file, with its position.
type FileError struct {
	File string
	Line int
	// Column is 1-based; 0 when unknown.
	Column int
	Msg    string
}

// Error formats the problem as "file:line: message".
func (e FileError) Error() string {
	file := e.File
	if file == "" {
		file = "<input>"
	}
	return fmt.Sprintf("%s:%d: %s", file, e.Line, e.Msg)
}

// FileErrors is every problem found in one sequence file; Parse returns all of them at once.
type FileErrors []FileError

// Error lists the problems one per line.
func (es FileErrors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// Limits that keep reading a hostile file cheap.
const (
	// codecMaxErrors caps the problems listed for one file.
	codecMaxErrors = 100
	// codecAliasValues bounds the values aliases may add to a file: what a hundred values
	// per step of the largest sequence (limits.Steps) needs. A file without aliases is
	// bounded by its size (limits.SequenceFile) alone.
	codecAliasValues = 100 * limits.Steps
	// codecMaxDepth bounds how deeply conditions, and field-test groups, may nest.
	codecMaxDepth = 100
)

// The keys of each mapping of a sequence file, in canonical order.
var (
	fileTopKeys     = []string{"name", "description", "entity", "tags", "assign", "options", "steps"}
	fileAssignKeys  = []string{"to", "field", "members"}
	fileOptionKeys  = []string{"exit_on_reply", "skip_non_working_days", "send_window", "send_while_away"}
	fileCommonKeys  = []string{"type", "id", "name", "description"}
	fileTestKeys    = []string{"field", "op", "value", "all", "any"}
	fileTemplateKey = []string{"template"}
	// fileTypeKeys are the options of each step type, after the common keys.
	fileTypeKeys = map[Type][]string{
		Email:       fileTemplateKey,
		AutoEmail:   fileTemplateKey,
		SMS:         fileTemplateKey,
		AutoSMS:     fileTemplateKey,
		Wait:        {"duration"},
		UpdateField: {"field", "value"},
		SetStage:    {"stage"},
		AdvanceTo:   {"sequence"},
		Condition:   {"if", "yes", "no"},
	}
	// fileKindKeys are the options of each condition kind.
	fileKindKeys = map[Kind][]string{
		EmailOpened:          {"within", "early"},
		EmailReplied:         {"within", "early"},
		LinkClicked:          {"within", "early"},
		AttachmentDownloaded: {"within", "early"},
		EmailEvents:          {"events", "match", "within", "early"},
		CallOutcome:          {"outcomes"},
		FieldTest:            fileTestKeys,
		StageIs:              {"stages"},
	}
	// fileAssignRules are the values of assign.to.
	fileAssignRules = []string{string(AssignRecordOwner), string(AssignRecordField), string(AssignOwnerTeam), string(AssignAccessTeam)}
)

// fileSyntaxError matches the position in a message of the YAML reader.
var fileSyntaxError = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// Parse reads a sequence file (SPEC §2). file names the input in error messages. On any
// problem it returns a FileErrors listing every one (up to a hundred), each with its line, in
// line order, and no sequence.
//
// Parse rejects what the model can't hold or what is surely a mistake: YAML syntax errors,
// unknown keys at any level (including options of another step type or condition kind),
// duplicate keys, values of the wrong type, unknown step types, condition kinds, operators,
// events, match and assign.to values, and malformed durations. Rules that a draft may break
// while it is being designed (a missing name, a wait of 0 or longer than the org allows, a
// condition after the wrong step, …) are left to Validate.
//
// The sequence it returns follows these conventions, which Marshal keeps, so that
// Parse(Marshal(s)) is reflect.DeepEqual to s for every s that Parse returns:
//   - Defaults are filled in: Entity is "lead" and Assign.To is record_owner when the file
//     gives none (or an empty string).
//   - Lists that are absent or empty are nil (Tags, Steps, Events, Outcomes, Stages and
//     Assign.Members), except the branches of a condition: Yes and No are never nil for a
//     condition step (an empty []Step when absent) and always nil for other steps.
//   - Test.All and Test.Any are nil when absent and non-nil (perhaps empty) when given.
//   - In a field test, op may be left out when field or value is given: it defaults to eq,
//     and Parse stores OpEq. Op empty and not_empty take no value. A test that is both a
//     comparison and an all/any group is kept as it is, for Validate to report.
//   - Numbers, integers included, are float64; the value of op in is a []any of strings,
//     numbers and bools. A null value (or none) is nil. NaN and infinities are rejected.
//   - Early is nil when absent and points to the given bool otherwise. Match is empty when
//     absent.
//   - A null value (`key:` or `key: ~`) is the same as an absent key. Any scalar is
//     accepted where a string is wanted (`id: 7` is "7"); only true and false are booleans
//     (not yes/no or quoted "true").
//
// YAML anchors and aliases are expanded. Parse never panics.
func Parse(data []byte, file string) (seq *Sequence, err error) {
	d := &fileDecoder{file: file}
	if len(data) > limits.SequenceFile {
		return nil, FileErrors{{File: file, Line: 1, Msg: limits.TooLarge("the sequence file", limits.SequenceFile, "bytes").Error()}}
	}
	if n := yamlItems(data); n > limits.SequenceItems {
		return nil, FileErrors{{File: file, Line: 1, Msg: fmt.Sprintf("the sequence file has too many items (%d lines and \",[{\" separators; the limit is %d)", n, limits.SequenceItems)}}
	}
	defer func() {
		if r := recover(); r != nil {
			seq, err = nil, FileErrors{{File: file, Line: 1, Msg: fmt.Sprintf("%s: %v", codecInternalError, r)}}
		}
	}()
	root := d.document(data)
	if root == nil {
		return nil, d.result()
	}
	s := d.sequence(root)
	if len(d.errs) > 0 {
		return nil, d.result()
	}
	return s, nil
}

// yamlItems counts the lines and flow separators of a YAML text: a bound on the nodes the
// YAML reader builds for it.
func yamlItems(data []byte) int {
	n := 0
	for _, b := range data {
		switch b {
		case '\n', ',', '[', '{':
			n++
		}
	}
	return n
}

// codecInternalError starts the message of a problem that is a defect of Parse, not of the file.
const codecInternalError = "internal error while reading the file"

// fileDecoder reads the node tree of one sequence file and collects its problems.
type fileDecoder struct {
	file      string
	errs      FileErrors
	truncated bool
	// visits counts the nodes read, aliases expanded, against maxVisits (see checkAliases).
	visits, maxVisits int
	spent             bool
	// nsteps counts the steps read, against limits.Steps.
	nsteps int
}

// fileEntry is one key and its value in a mapping.
type fileEntry struct {
	key  string
	k, v *yaml.Node
}

func (d *fileDecoder) errorf(n *yaml.Node, format string, args ...any) {
	if len(d.errs) >= codecMaxErrors {
		d.truncated = true
		return
	}
	line, col := 1, 0
	if n != nil && n.Line > 0 {
		line, col = n.Line, n.Column
	}
	d.errs = append(d.errs, FileError{File: d.file, Line: line, Column: col, Msg: fmt.Sprintf(format, args...)})
}

// result returns the problems in line order.
func (d *fileDecoder) result() FileErrors {
	errs := slices.Clone(d.errs)
	sort.SliceStable(errs, func(i, j int) bool {
		if errs[i].Line != errs[j].Line {
			return errs[i].Line < errs[j].Line
		}
		return errs[i].Column < errs[j].Column
	})
	if d.truncated {
		last := errs[len(errs)-1]
		errs = append(errs, FileError{File: d.file, Line: last.Line, Column: last.Column,
			Msg: fmt.Sprintf("too many problems; only the first %d are listed", codecMaxErrors)})
	}
	return errs
}

// document decodes the YAML and returns its root mapping, or nil after reporting why there is
// none.
func (d *fileDecoder) document(data []byte) *yaml.Node {
	docs, err := codecDocuments(data)
	if err != nil {
		d.syntax(data, err)
		return nil
	}
	var root *yaml.Node
	if len(docs) > 0 && docs[0].Kind == yaml.DocumentNode && len(docs[0].Content) > 0 {
		root = docs[0].Content[0]
	}
	if root == nil || codecIsNull(root) {
		d.errorf(nil, "the file is empty; a sequence file is a mapping with at least name and steps")
		return nil
	}
	if len(docs) > 1 && len(docs[1].Content) > 0 && !codecIsNull(docs[1].Content[0]) {
		d.errorf(docs[1].Content[0], "the file holds more than one YAML document; put one sequence per file")
		return nil
	}
	if !d.checkAliases(root) {
		return nil
	}
	if root = d.deref(root); root == nil {
		d.errorf(nil, "the file is empty; a sequence file is a mapping with at least name and steps")
		return nil
	}
	if root.Kind != yaml.MappingNode {
		d.errorf(root, "a sequence file must be a mapping (name:, steps:, …), got %s", codecDescribe(root))
		return nil
	}
	return root
}

// codecDocuments decodes the first two YAML documents of data (a second one is an error the
// caller reports).
func codecDocuments(data []byte) ([]*yaml.Node, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var docs []*yaml.Node
	for len(docs) < 2 {
		var doc yaml.Node
		if err := dec.Decode(&doc); err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			return nil, err
		}
		docs = append(docs, &doc)
	}
	return docs, nil
}

// syntax reports an error of the YAML reader. The reader names the line where the enclosing
// block starts, so the line of the problem itself is found by reading ever longer beginnings
// of the file: the shortest one that fails the same way ends on that line.
func (d *fileDecoder) syntax(data []byte, err error) {
	full := err.Error()
	msg := strings.TrimPrefix(full, "yaml: ")
	lo := 1
	if m := fileSyntaxError.FindStringSubmatch(full); m != nil {
		if n, err := strconv.Atoi(m[1]); err == nil && n > 0 {
			lo = n
		}
		msg = m[2]
	}
	lines := bytes.SplitAfter(data, []byte("\n"))
	hi := len(lines)
	lo = min(lo, hi)
	fails := func(k int) bool {
		_, err := codecDocuments(bytes.Join(lines[:k], nil))
		if err == nil {
			return false
		}
		m := fileSyntaxError.FindStringSubmatch(err.Error())
		return err.Error() == full || m != nil && m[2] == msg && strings.HasSuffix(full, ": "+msg)
	}
	for lo < hi {
		mid := lo + (hi-lo)/2
		if fails(mid) {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	d.errorf(&yaml.Node{Line: max(lo, 1)}, "YAML syntax: %s", msg)
}

// checkAliases reports an alias used inside the value it names, and aliases that expand the
// document beyond what Parse reads; it returns false after reporting either. The document
// may hold as many values as its size allows; aliases may add codecAliasValues to them. It
// sets the budget of values deref counts against.
func (d *fileDecoder) checkAliases(root *yaml.Node) bool {
	const active = -1
	own := codecCountNodes(root)
	limit := own + codecAliasValues
	d.maxVisits = 2 * limit       // deref meets a node once as a key or value, once more as a step
	sizes := map[*yaml.Node]int{} // expanded size of each node done; active while inside it
	ok := true
	var visit func(n *yaml.Node) int
	visit = func(n *yaml.Node) int {
		if s, seen := sizes[n]; seen {
			if s == active {
				ok = false
				return 0
			}
			return s
		}
		sizes[n] = active
		total := 1
		if n.Kind == yaml.AliasNode && n.Alias != nil {
			if sizes[n.Alias] == active {
				if ok {
					d.errorf(n, "alias *%s is used inside the value it names", n.Value)
				}
				ok = false
				return 0
			}
			total += visit(n.Alias)
		}
		for _, c := range n.Content {
			total = min(total+visit(c), limit+1)
			if !ok {
				return 0
			}
		}
		sizes[n] = total
		return total
	}
	if visit(root) > limit && ok {
		d.errorf(root, "the file is too large to read: its aliases expand to more than %d values", codecAliasValues)
		ok = false
	}
	return ok
}

// codecCountNodes counts the nodes of a document as written, without expanding aliases.
func codecCountNodes(root *yaml.Node) int {
	n := 0
	stack := []*yaml.Node{root}
	for len(stack) > 0 {
		x := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		n++
		stack = append(stack, x.Content...)
	}
	return n
}

// deref follows aliases and counts the node against the visit budget. It returns nil when the
// budget is spent.
func (d *fileDecoder) deref(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < 64; i++ {
		n = n.Alias
	}
	if n == nil || n.Kind == yaml.AliasNode {
		return nil
	}
	d.visits++
	if d.visits > d.maxVisits {
		if !d.spent {
			d.spent = true
			d.errorf(n, "the file is too large to read: its aliases expand to more than %d values", codecAliasValues)
		}
		return nil
	}
	return n
}

// entries returns the pairs of a mapping node, reporting duplicate and non-scalar keys.
func (d *fileDecoder) entries(n *yaml.Node, ctx string) []fileEntry {
	seen := map[string]int{}
	out := make([]fileEntry, 0, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := d.deref(n.Content[i])
		if k == nil {
			return out
		}
		if k.Kind != yaml.ScalarNode {
			d.errorf(k, "keys must be words%s, got %s", codecWhere(ctx), codecDescribe(k))
			continue
		}
		if line, dup := seen[k.Value]; dup {
			d.errorf(k, "duplicate key %q%s (first at line %d)", k.Value, codecWhere(ctx), line)
			continue
		}
		seen[k.Value] = k.Line
		out = append(out, fileEntry{key: k.Value, k: k, v: n.Content[i+1]})
	}
	return out
}

// unknownKey reports a key that does not belong where it is.
func (d *fileDecoder) unknownKey(e fileEntry, ctx string, valid []string) {
	d.errorf(e.k, "unknown key %q%s%s", e.key, codecWhere(ctx), codecHint(e.key, valid, "valid keys:"))
}

// wrongType reports a value of the wrong kind.
func (d *fileDecoder) wrongType(n *yaml.Node, what, ctx, want string) {
	d.errorf(n, "wrong type: %s%s must be %s, got %s", what, codecIn(ctx), want, codecDescribe(n))
}

// mapping returns the entries of a mapping value; a null value has none.
func (d *fileDecoder) mapping(e fileEntry, ctx, want string) []fileEntry {
	n := d.deref(e.v)
	if n == nil || codecIsNull(n) {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		d.wrongType(n, strconv.Quote(e.key), ctx, want)
		return nil
	}
	return d.entries(n, codecJoin(ctx, e.key))
}

// str reads a string value; any scalar is taken as written, null is "".
func (d *fileDecoder) str(e fileEntry, ctx string) string {
	return d.scalarString(e.v, strconv.Quote(e.key), ctx)
}

func (d *fileDecoder) scalarString(v *yaml.Node, what, ctx string) string {
	n := d.deref(v)
	if n == nil || codecIsNull(n) {
		return ""
	}
	if n.Kind != yaml.ScalarNode {
		d.wrongType(n, what, ctx, "a string")
		return ""
	}
	return n.Value
}

// word reads an enum value such as a type; ok is false after reporting a value that is not a
// scalar.
func (d *fileDecoder) word(e fileEntry, ctx string) (string, bool) {
	n := d.deref(e.v)
	if n == nil {
		return "", false
	}
	if n.Kind != yaml.ScalarNode {
		d.wrongType(n, strconv.Quote(e.key), ctx, "a string")
		return "", false
	}
	if codecIsNull(n) {
		return "", true
	}
	return n.Value, true
}

// boolean reads true or false; set is false when the value is absent or null.
func (d *fileDecoder) boolean(e fileEntry, ctx string) (value, set bool) {
	n := d.deref(e.v)
	if n == nil || codecIsNull(n) {
		return false, false
	}
	var b bool
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!bool" || n.Decode(&b) != nil {
		d.wrongType(n, strconv.Quote(e.key), ctx, "true or false")
		return false, false
	}
	return b, true
}

// list returns the items of a list value; null is an empty list.
func (d *fileDecoder) list(e fileEntry, ctx, want string) []*yaml.Node {
	n := d.deref(e.v)
	if n == nil || codecIsNull(n) {
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		d.wrongType(n, strconv.Quote(e.key), ctx, want)
		return nil
	}
	return n.Content
}

// strList reads a list of strings; an empty list is nil.
func (d *fileDecoder) strList(e fileEntry, ctx string) []string {
	var out []string
	for i, it := range d.list(e, ctx, "a list of strings") {
		out = append(out, d.scalarString(it, fmt.Sprintf("%s[%d]", e.key, i), ctx))
	}
	return out
}

// duration reads a d/h/m duration.
func (d *fileDecoder) duration(e fileEntry, ctx string) time.Duration {
	n := d.deref(e.v)
	if n == nil || codecIsNull(n) {
		return 0
	}
	if n.Kind != yaml.ScalarNode {
		d.wrongType(n, strconv.Quote(e.key), ctx, "a duration like 3d, 4h, 1d12h or 90m")
		return 0
	}
	v, problem := codecDuration(n.Value)
	if problem != "" {
		d.errorf(n, "%s %q%s: %s", e.key, n.Value, codecIn(ctx), problem)
	}
	return v
}

// value reads a string, number or bool; null is nil.
func (d *fileDecoder) value(v *yaml.Node, what, ctx string) any {
	n := d.deref(v)
	if n == nil || codecIsNull(n) {
		return nil
	}
	const want = "a string, number or true/false"
	if n.Kind != yaml.ScalarNode {
		d.wrongType(n, what, ctx, want)
		return nil
	}
	switch n.ShortTag() {
	case "!!bool":
		var b bool
		if n.Decode(&b) != nil {
			d.wrongType(n, what, ctx, want)
			return nil
		}
		return b
	case "!!int", "!!float":
		var f float64
		if n.Decode(&f) != nil {
			d.wrongType(n, what, ctx, want)
			return nil
		}
		if math.IsNaN(f) || math.IsInf(f, 0) {
			d.errorf(n, "%s%s must be a finite number, got %s", what, codecIn(ctx), codecDescribe(n))
			return nil
		}
		return f
	}
	return n.Value
}

// sequence reads the top-level mapping.
func (d *fileDecoder) sequence(root *yaml.Node) *Sequence {
	s := &Sequence{Entity: DefaultEntity, Assign: Assign{To: AssignRecordOwner}}
	for _, e := range d.entries(root, "") {
		switch e.key {
		case "name":
			s.Name = d.str(e, "")
		case "description":
			s.Description = d.str(e, "")
		case "entity":
			if v := d.str(e, ""); v != "" {
				s.Entity = v
			}
		case "tags":
			s.Tags = d.strList(e, "")
		case "assign":
			d.assign(e, &s.Assign)
		case "options":
			d.options(e, &s.Options)
		case "steps":
			s.Steps = d.steps(e, "", "steps", 0, false)
		default:
			d.unknownKey(e, "", fileTopKeys)
		}
	}
	return s
}

func (d *fileDecoder) assign(e fileEntry, a *Assign) {
	es := d.mapping(e, "", "a mapping (to:, field:, members:)")
	for _, e := range es {
		switch e.key {
		case "to":
			v := d.str(e, "assign")
			switch {
			case v == "":
			case slices.Contains(fileAssignRules, v):
				a.To = AssignTo(v)
			default:
				d.errorf(e.v, "unknown assign.to %q%s", v, codecHint(v, fileAssignRules, "want one of"))
			}
		case "field":
			a.Field = d.str(e, "assign")
		case "members":
			ms := d.mapping(e, "assign", "a mapping (role:, title:, territory:)")
			for _, m := range ms {
				if !slices.Contains(MemberKeys, m.key) {
					d.unknownKey(m, "assign.members", MemberKeys)
					continue
				}
				if a.Members == nil {
					a.Members = map[string]string{}
				}
				a.Members[m.key] = d.str(m, "assign.members")
			}
		default:
			d.unknownKey(e, "assign", fileAssignKeys)
		}
	}
}

func (d *fileDecoder) options(e fileEntry, o *Options) {
	es := d.mapping(e, "", "a mapping (exit_on_reply:, skip_non_working_days:, send_window:, send_while_away:)")
	for _, e := range es {
		switch e.key {
		case "exit_on_reply":
			o.ExitOnReply, _ = d.boolean(e, "options")
		case "skip_non_working_days":
			o.SkipNonWorkingDays, _ = d.boolean(e, "options")
		case "send_while_away":
			o.SendWhileAway, _ = d.boolean(e, "options")
		case "send_window":
			w := strings.TrimSpace(d.str(e, "options"))
			if _, _, _, _, err := ParseWindow(w); err != nil {
				d.errorf(e.v, "options: %v", err)
			} else {
				o.SendWindow = w
			}
		default:
			d.unknownKey(e, "options", fileOptionKeys)
		}
	}
}

// steps reads a list of steps. path is the path of the list ("steps", "steps[2].yes"); a
// branch list is never nil.
func (d *fileDecoder) steps(e fileEntry, ctx, path string, depth int, branch bool) []Step {
	var out []Step
	if branch {
		out = []Step{}
	}
	for i, it := range d.list(e, ctx, "a list of steps") {
		if d.nsteps++; d.nsteps > limits.Steps {
			if d.nsteps == limits.Steps+1 {
				d.errorf(it, "%v", limits.TooLarge(fmt.Sprintf("the sequence (more than %d steps)", limits.Steps), limits.Steps, "steps"))
			}
			return out
		}
		out = append(out, d.step(it, fmt.Sprintf("%s[%d]", path, i), depth))
	}
	return out
}

// step reads one step at path.
func (d *fileDecoder) step(v *yaml.Node, path string, depth int) Step {
	var st Step
	n := d.deref(v)
	if n == nil {
		return st
	}
	if n.Kind != yaml.MappingNode {
		d.errorf(n, "wrong type: %s must be a mapping (a step with a type), got %s", path, codecDescribe(n))
		return st
	}
	es := d.entries(n, "step ("+path+")")
	typeNames := codecNames(Types, func(ti TypeInfo) string { return string(ti.Type) })

	i := slices.IndexFunc(es, func(e fileEntry) bool { return e.key == "type" })
	if i < 0 {
		d.errorf(n, "step (%s) has no type; want one of %s", path, strings.Join(typeNames, ", "))
		return st
	}
	t, ok := d.word(es[i], "step ("+path+")")
	if !ok {
		return st
	}
	if t == "" {
		d.errorf(es[i].v, "step (%s) has no type; want one of %s", path, strings.Join(typeNames, ", "))
		return st
	}
	if _, ok := Info(Type(t)); !ok {
		d.errorf(es[i].v, "unknown step type %q (%s)%s", t, path, codecHint(t, typeNames, "want one of"))
		return st
	}
	st.Type = Type(t)
	ctx := t + " step (" + path + ")"
	valid := slices.Concat(fileCommonKeys, fileTypeKeys[st.Type])

	kindKnown := false
	if st.Type == Condition {
		kindNames := codecNames(Kinds, func(k Kind) string { return string(k) })
		j := slices.IndexFunc(es, func(e fileEntry) bool { return e.key == "if" })
		k, ok := "", true
		if j >= 0 {
			k, ok = d.word(es[j], ctx)
		}
		switch {
		case !ok:
		case k == "" && j < 0:
			d.errorf(n, "%s has no \"if\"; want one of %s", ctx, strings.Join(kindNames, ", "))
		case k == "":
			d.errorf(es[j].v, "%s has no \"if\"; want one of %s", ctx, strings.Join(kindNames, ", "))
		case !slices.Contains(Kinds, Kind(k)):
			d.errorf(es[j].v, "unknown condition kind %q (%s)%s", k, path, codecHint(k, kindNames, "want one of"))
		default:
			st.If, kindKnown = Kind(k), true
			ctx = k + " condition (" + path + ")"
			valid = slices.Concat(valid, fileKindKeys[st.If])
		}
	}

	var yes, no *fileEntry
	var test []fileEntry
	for i := range es {
		e := es[i]
		if !slices.Contains(valid, e.key) {
			if st.Type == Condition && !kindKnown && codecAnyKindKey(e.key) {
				continue // the kind is wrong or missing: its options can't be checked
			}
			d.unknownKey(e, ctx, valid)
			continue
		}
		switch e.key {
		case "type", "if":
		case "id":
			st.ID = d.str(e, ctx)
		case "name":
			st.Name = d.str(e, ctx)
		case "description":
			st.Description = d.str(e, ctx)
		case "template":
			st.Template = d.str(e, ctx)
		case "duration":
			st.Duration = d.duration(e, ctx)
		case "field", "value", "op", "all", "any":
			if st.Type == UpdateField {
				if e.key == "field" {
					st.Field = d.str(e, ctx)
				} else {
					st.Value = d.value(e.v, strconv.Quote(e.key), ctx)
				}
				continue
			}
			test = append(test, e)
		case "stage":
			st.Stage = d.str(e, ctx)
		case "sequence":
			st.Sequence = d.str(e, ctx)
		case "within":
			st.Within = d.duration(e, ctx)
		case "early":
			if b, set := d.boolean(e, ctx); set {
				st.Early = &b
			}
		case "events":
			st.Events = d.events(e, ctx)
		case "match":
			switch m := d.str(e, ctx); m {
			case "":
			case string(MatchAll), string(MatchAny):
				st.Match = Match(m)
			default:
				d.errorf(e.v, "match %q%s: want all or any", m, codecIn(ctx))
			}
		case "outcomes":
			st.Outcomes = d.strList(e, ctx)
		case "stages":
			st.Stages = d.strList(e, ctx)
		case "yes":
			yes = &es[i]
		case "no":
			no = &es[i]
		}
	}
	if st.Type != Condition {
		return st
	}
	st.Yes, st.No = []Step{}, []Step{}
	if st.If == FieldTest {
		st.Test = d.test(test, ctx, path, 0)
	}
	if depth >= codecMaxDepth && (yes != nil || no != nil) {
		d.errorf(n, "%s nests too deeply: conditions may be nested at most %d levels", ctx, codecMaxDepth)
		return st
	}
	if yes != nil {
		st.Yes = d.steps(*yes, ctx, path+".yes", depth+1, true)
	}
	if no != nil {
		st.No = d.steps(*no, ctx, path+".no", depth+1, true)
	}
	return st
}

// events reads the events of an email_events condition.
func (d *fileDecoder) events(e fileEntry, ctx string) []Kind {
	names := codecNames(EventKinds, func(k Kind) string { return string(k) })
	var out []Kind
	for i, it := range d.list(e, ctx, "a list of email events") {
		what := fmt.Sprintf("events[%d]", i)
		if n := d.deref(it); n == nil || n.Kind != yaml.ScalarNode {
			d.scalarString(it, what, ctx) // reports the wrong type
			continue
		}
		v := d.scalarString(it, what, ctx)
		if !slices.Contains(EventKinds, Kind(v)) {
			d.errorf(it, "unknown event %q (%s)%s%s", v, what, codecIn(ctx), codecHint(v, names, "want one of"))
		}
		out = append(out, Kind(v))
	}
	return out
}

// test reads a field test from its entries (those of a field condition, or of an item of an
// all/any list). ctx names where it is in messages; path is the path of the test, used for
// nested lists.
func (d *fileDecoder) test(es []fileEntry, ctx, path string, depth int) Test {
	var t Test
	var value *fileEntry
	comparison := false
	for i := range es {
		e := es[i]
		switch e.key {
		case "field":
			t.Field = d.str(e, ctx)
			comparison = true
		case "op":
			comparison = true
			op := d.str(e, ctx)
			switch {
			case op == "":
			case slices.Contains(Ops, Op(op)):
				t.Op = Op(op)
			default:
				names := codecNames(Ops, func(o Op) string { return string(o) })
				d.errorf(e.v, "unknown op %q%s%s", op, codecIn(ctx), codecHint(op, names, "want one of"))
				t.Op = Op(op)
			}
		case "value":
			value = &es[i]
			comparison = true
		case "all":
			t.All = d.tests(e, ctx, path+".all", depth)
		case "any":
			t.Any = d.tests(e, ctx, path+".any", depth)
		default:
			d.unknownKey(e, ctx, fileTestKeys)
		}
	}
	if !comparison {
		return t
	}
	if t.Op == "" {
		t.Op = OpEq
	}
	if value == nil {
		return t
	}
	n := d.deref(value.v)
	if n == nil || codecIsNull(n) {
		return t
	}
	switch t.Op {
	case OpEmpty, OpNotEmpty:
		d.errorf(n, "\"value\"%s is not used with op %s; remove it", codecIn(ctx), t.Op)
	case OpIn:
		if n.Kind != yaml.SequenceNode {
			d.wrongType(n, `"value"`, ctx, "a list for op in")
			return t
		}
		list := make([]any, 0, len(n.Content))
		for i, it := range n.Content {
			what := fmt.Sprintf("value[%d]", i)
			v := d.value(it, what, ctx)
			if v == nil && !d.spent {
				if m := d.deref(it); m != nil && codecIsNull(m) {
					d.wrongType(m, what, ctx, "a string, number or true/false")
				}
			}
			list = append(list, v)
		}
		t.Value = list
	default:
		if n.Kind == yaml.SequenceNode {
			d.errorf(n, "wrong type: \"value\"%s must be a string, number or true/false, got a list (op in tests against a list)", codecIn(ctx))
			return t
		}
		t.Value = d.value(n, `"value"`, ctx)
	}
	return t
}

// tests reads an all/any list of field tests at path; the result is never nil.
func (d *fileDecoder) tests(e fileEntry, ctx, path string, depth int) []Test {
	out := []Test{}
	items := d.list(e, ctx, "a list of field tests")
	if len(items) > 0 && depth >= codecMaxDepth {
		d.errorf(e.k, "%q%s nests too deeply: field tests may be nested at most %d levels", e.key, codecIn(ctx), codecMaxDepth)
		return out
	}
	for i, it := range items {
		p := fmt.Sprintf("%s[%d]", path, i)
		n := d.deref(it)
		if n == nil {
			return out
		}
		if n.Kind != yaml.MappingNode {
			d.errorf(n, "wrong type: %s must be a mapping (field:, op:, value: or all:/any:), got %s", p, codecDescribe(n))
			continue
		}
		c := "field test (" + p + ")"
		out = append(out, d.test(d.entries(n, c), c, p, depth+1))
	}
	return out
}

// codecAnyKindKey reports whether key is an option of some condition kind.
func codecAnyKindKey(key string) bool {
	for _, keys := range fileKindKeys {
		if slices.Contains(keys, key) {
			return true
		}
	}
	return false
}

// codecIsNull reports whether n is a null scalar (`~`, `null` or nothing).
func codecIsNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

// codecDescribe says what a node is, for "got …" in messages.
func codecDescribe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if codecIsNull(n) {
			return "nothing"
		}
		v := n.Value
		if r := []rune(v); len(r) > 40 {
			v = string(r[:40]) + "…"
		}
		return strconv.Quote(v)
	}
	return "something else"
}

// codecIn places a message in its context: " in wait step (steps[1])".
func codecIn(ctx string) string {
	if ctx == "" {
		return ""
	}
	return " in " + ctx
}

// codecWhere is codecIn that names the top level too.
func codecWhere(ctx string) string {
	if ctx == "" {
		return " at the top level"
	}
	return codecIn(ctx)
}

// codecJoin names a mapping under its parent: "assign.members".
func codecJoin(ctx, key string) string {
	if ctx == "" {
		return key
	}
	return ctx + "." + key
}

// codecNames turns a list of values into their names.
func codecNames[T any](xs []T, name func(T) string) []string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = name(x)
	}
	return out
}

// codecHint suggests the closest valid word, or lists them all after lead.
func codecHint(got string, valid []string, lead string) string {
	if c := codecClosest(got, valid); c != "" {
		return fmt.Sprintf("; did you mean %q?", c)
	}
	return "; " + lead + " " + strings.Join(valid, ", ")
}

// codecClosest returns the valid word within a small edit distance of got, if any.
func codecClosest(got string, valid []string) string {
	if len(got) < 3 || len(got) > 64 {
		return ""
	}
	limit := 1
	if len(got) > 4 {
		limit = 2
	}
	best, bestDist := "", limit+1
	for _, v := range valid {
		if dist := codecEditDistance(got, v); dist < bestDist {
			best, bestDist = v, dist
		}
	}
	return best
}

// codecEditDistance is the edit distance between two short words, counting insertions,
// deletions, substitutions and swaps of neighbours ("nmae" is one edit from "name").
func codecEditDistance(a, b string) int {
	dist := make([][]int, len(a)+1)
	for i := range dist {
		dist[i] = make([]int, len(b)+1)
		dist[i][0] = i
	}
	for j := range dist[0] {
		dist[0][j] = j
	}
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			dist[i][j] = min(dist[i-1][j]+1, dist[i][j-1]+1, dist[i-1][j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				dist[i][j] = min(dist[i][j], dist[i-2][j-2]+1)
			}
		}
	}
	return dist[len(a)][len(b)]
}

// ParseDuration reads a duration of a sequence file: whole days, hours and minutes, each at
// most once and in that order ("3d", "4h", "1d12h", "90m", "1d2h30m"). "0" and zero amounts
// are accepted; whether a zero wait is allowed is a validation rule.
func ParseDuration(s string) (time.Duration, error) {
	d, problem := codecDuration(s)
	if problem != "" {
		return 0, fmt.Errorf("duration %q: %s", s, problem)
	}
	return d, nil
}

// codecDuration parses a d/h/m duration; problem says what is wrong, or is empty.
func codecDuration(s string) (time.Duration, string) {
	const forms = "want forms like 3d, 4h, 1d12h, 90m"
	if s == "0" {
		return 0, ""
	}
	if strings.HasPrefix(s, "-") {
		return 0, "must not be negative; " + forms
	}
	const units = "dhm"
	perUnit := [...]int64{24 * 60, 60, 1}
	maxMinutes := int64(math.MaxInt64 / time.Minute)
	var minutes int64
	next := 0 // the first unit still allowed
	i := 0
	for i < len(s) {
		j := i
		for j < len(s) && s[j] >= '0' && s[j] <= '9' {
			j++
		}
		if j == i || j == len(s) {
			return 0, forms
		}
		u := strings.IndexByte(units[next:], s[j])
		if u < 0 {
			return 0, forms
		}
		u += next
		next = u + 1
		n, err := strconv.ParseInt(s[i:j], 10, 64)
		if err != nil || n > (maxMinutes-minutes)/perUnit[u] {
			return 0, "too long"
		}
		minutes += n * perUnit[u]
		i = j + 1
	}
	if i == 0 {
		return 0, forms
	}
	return time.Duration(minutes) * time.Minute, ""
}

// FormatDuration writes a duration in the canonical form of sequence files: days, hours and
// minutes, largest first, zero parts left out ("1d12h", "1h30m"); zero is "0m". Seconds are
// dropped.
func FormatDuration(d time.Duration) string {
	if d < 0 {
		if d == math.MinInt64 {
			d++
		}
		return "-" + FormatDuration(-d)
	}
	m := int64(d / time.Minute)
	if m == 0 {
		return "0m"
	}
	var b strings.Builder
	for _, u := range []struct {
		size int64
		unit string
	}{{24 * 60, "d"}, {60, "h"}, {1, "m"}} {
		if n := m / u.size; n > 0 {
			b.WriteString(strconv.FormatInt(n, 10))
			b.WriteString(u.unit)
		}
		m %= u.size
	}
	return b.String()
}

// Marshal writes a sequence in the canonical file form: fixed key order, defaults omitted,
// durations in d/h/m form. Parse(Marshal(s)) gives a sequence equal to s.
//
// Keys come in the order of SPEC §2: name, description, entity, tags, assign, options, steps;
// in a step: type, id, name, description, its options, then yes and no. Empty strings and
// lists, false options, zero durations and a nil early are left out; entity is always
// written (lead when empty); assign is left out when it is record_owner with no field or
// members; conditions always write yes and no, `[]` when empty. Only the options of a step's
// type and condition kind are written. Strings are quoted only where YAML needs it; the
// indent is two spaces.
func Marshal(s *Sequence) []byte {
	root := yamlMap(false)
	yamlAddStr(root, "name", s.Name)
	yamlAddStr(root, "description", s.Description)
	yamlAdd(root, "entity", yamlStr(s.RecordType()))
	yamlAddStrList(root, "tags", s.Tags)
	if a := s.Assign; a.Rule() != AssignRecordOwner || a.Field != "" || len(a.Members) > 0 {
		m := yamlMap(false)
		yamlAdd(m, "to", yamlStr(string(a.Rule())))
		yamlAddStr(m, "field", a.Field)
		if len(a.Members) > 0 {
			mm := yamlMap(true)
			for _, k := range yamlMemberOrder(a.Members) {
				yamlAdd(mm, k, yamlStr(a.Members[k]))
			}
			yamlAdd(m, "members", mm)
		}
		yamlAdd(root, "assign", m)
	}
	if o := s.Options; o != (Options{}) {
		m := yamlMap(false)
		if o.ExitOnReply {
			yamlAdd(m, "exit_on_reply", yamlBool(true))
		}
		if o.SkipNonWorkingDays {
			yamlAdd(m, "skip_non_working_days", yamlBool(true))
		}
		if o.SendWindow != "" {
			yamlAdd(m, "send_window", yamlStr(o.SendWindow))
		}
		if o.SendWhileAway {
			yamlAdd(m, "send_while_away", yamlBool(true))
		}
		yamlAdd(root, "options", m)
	}
	if len(s.Steps) > 0 {
		yamlAdd(root, "steps", yamlSteps(s.Steps))
	}

	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(root); err != nil {
		// Every node built above is encodable; a failure is a defect of Marshal.
		panic("sequence: encoding a sequence file: " + err.Error())
	}
	if err := enc.Close(); err != nil {
		panic("sequence: encoding a sequence file: " + err.Error())
	}
	return buf.Bytes()
}

// yamlMemberOrder lists member keys: the known ones in their order, then any others sorted.
func yamlMemberOrder(m map[string]string) []string {
	var keys, others []string
	for _, k := range MemberKeys {
		if _, ok := m[k]; ok {
			keys = append(keys, k)
		}
	}
	for k := range m {
		if !slices.Contains(MemberKeys, k) {
			others = append(others, k)
		}
	}
	slices.Sort(others)
	return append(keys, others...)
}

func yamlSteps(steps []Step) *yaml.Node {
	n := yamlSeq(false)
	for i := range steps {
		n.Content = append(n.Content, yamlStep(&steps[i]))
	}
	return n
}

func yamlStep(st *Step) *yaml.Node {
	m := yamlMap(false)
	yamlAdd(m, "type", yamlStr(string(st.Type)))
	yamlAddStr(m, "id", st.ID)
	yamlAddStr(m, "name", st.Name)
	yamlAddStr(m, "description", st.Description)
	switch st.Type {
	case Email, AutoEmail, SMS, AutoSMS:
		yamlAddStr(m, "template", st.Template)
	case Wait:
		yamlAddDuration(m, "duration", st.Duration)
	case UpdateField:
		yamlAddStr(m, "field", st.Field)
		if st.Value != nil {
			yamlAdd(m, "value", yamlValue(st.Value))
		}
	case SetStage:
		yamlAddStr(m, "stage", st.Stage)
	case AdvanceTo:
		yamlAddStr(m, "sequence", st.Sequence)
	case Condition:
		yamlAddStr(m, "if", string(st.If))
		switch st.If {
		case EmailOpened, EmailReplied, LinkClicked, AttachmentDownloaded, EmailEvents:
			if st.If == EmailEvents {
				events := make([]string, len(st.Events))
				for i, e := range st.Events {
					events[i] = string(e)
				}
				yamlAddStrList(m, "events", events)
				yamlAddStr(m, "match", string(st.Match))
			}
			yamlAddDuration(m, "within", st.Within)
			if st.Early != nil {
				yamlAdd(m, "early", yamlBool(*st.Early))
			}
		case CallOutcome:
			yamlAddStrList(m, "outcomes", st.Outcomes)
		case FieldTest:
			yamlAddTest(m, &st.Test)
		case StageIs:
			yamlAddStrList(m, "stages", st.Stages)
		}
		yamlAdd(m, "yes", yamlSteps(st.Yes))
		yamlAdd(m, "no", yamlSteps(st.No))
	}
	return m
}

// yamlAddTest adds the keys of a field test to m.
func yamlAddTest(m *yaml.Node, t *Test) {
	if t.Field != "" || t.Op != "" || t.Value != nil {
		yamlAddStr(m, "field", t.Field)
		op := t.Op
		if op == "" {
			op = OpEq
		}
		yamlAdd(m, "op", yamlStr(string(op)))
		if t.Value != nil && op != OpEmpty && op != OpNotEmpty {
			yamlAdd(m, "value", yamlValue(t.Value))
		}
	}
	for _, g := range []struct {
		key   string
		tests []Test
	}{{"all", t.All}, {"any", t.Any}} {
		if g.tests == nil {
			continue
		}
		list := yamlSeq(false)
		for i := range g.tests {
			item := yamlMap(false)
			yamlAddTest(item, &g.tests[i])
			list.Content = append(list.Content, item)
		}
		yamlAdd(m, g.key, list)
	}
}

func yamlMap(flow bool) *yaml.Node {
	n := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	if flow {
		n.Style = yaml.FlowStyle
	}
	return n
}

func yamlSeq(flow bool) *yaml.Node {
	n := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
	if flow {
		n.Style = yaml.FlowStyle
	}
	return n
}

func yamlAdd(m *yaml.Node, key string, v *yaml.Node) {
	m.Content = append(m.Content, yamlStr(key), v)
}

func yamlAddStr(m *yaml.Node, key, v string) {
	if v != "" {
		yamlAdd(m, key, yamlStr(v))
	}
}

func yamlAddStrList(m *yaml.Node, key string, vs []string) {
	if len(vs) == 0 {
		return
	}
	list := yamlSeq(true)
	for _, v := range vs {
		list.Content = append(list.Content, yamlStr(v))
	}
	yamlAdd(m, key, list)
}

func yamlAddDuration(m *yaml.Node, key string, d time.Duration) {
	if d != 0 {
		yamlAdd(m, key, yamlStr(FormatDuration(d)))
	}
}

// yamlStr is a string scalar, quoted by the encoder only when it would otherwise read back
// as something else.
func yamlStr(s string) *yaml.Node {
	s = strings.ToValidUTF8(s, "\uFFFD")
	n := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s}
	if strings.ContainsFunc(s, yamlNeedsEscape) || !yamlBlockSafe(s) {
		n.Style = yaml.DoubleQuotedStyle
	}
	return n
}

// yamlBlockSafe reports whether a string with line breaks reads back unchanged from the literal
// block style the encoder picks for it: no line may start or end with a space or a tab.
func yamlBlockSafe(s string) bool {
	if !strings.Contains(s, "\n") {
		return true
	}
	for _, line := range strings.Split(s, "\n") {
		if strings.Trim(line, " \t") != line {
			return false
		}
	}
	return true
}

// yamlNeedsEscape reports characters that only a double-quoted string carries unchanged.
func yamlNeedsEscape(r rune) bool {
	switch r {
	case '\n', '\t':
		return false
	case '\r', '\u0085', '\u2028', '\u2029', '\uFEFF':
		return true
	}
	return r < ' ' || r == 0x7f || (r >= 0x80 && r < 0xa0)
}

func yamlBool(b bool) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: strconv.FormatBool(b)}
}

// yamlValue writes a field value: a string, number or bool, or a flow list of them.
func yamlValue(v any) *yaml.Node {
	switch x := v.(type) {
	case string:
		return yamlStr(x)
	case bool:
		return yamlBool(x)
	case float64:
		return yamlNumber(x)
	case float32:
		return yamlNumber(float64(x))
	case int:
		return yamlNumber(float64(x))
	case int64:
		return yamlNumber(float64(x))
	case []any:
		list := yamlSeq(true)
		for _, it := range x {
			list.Content = append(list.Content, yamlValue(it))
		}
		return list
	case []string:
		list := yamlSeq(true)
		for _, it := range x {
			list.Content = append(list.Content, yamlStr(it))
		}
		return list
	case nil:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Value: "null"}
	}
	return yamlStr(fmt.Sprint(v))
}

// yamlNumber writes a number in plain decimal when that is short, else in exponent form.
func yamlNumber(f float64) *yaml.Node {
	var s string
	switch {
	case math.IsNaN(f):
		s = ".nan"
	case math.IsInf(f, 1):
		s = ".inf"
	case math.IsInf(f, -1):
		s = "-.inf"
	case f == 0 || (math.Abs(f) >= 1e-4 && math.Abs(f) < 1e21):
		s = strconv.FormatFloat(f, 'f', -1, 64)
	default:
		s = strconv.FormatFloat(f, 'g', -1, 64)
	}
	return &yaml.Node{Kind: yaml.ScalarNode, Value: s}
}
