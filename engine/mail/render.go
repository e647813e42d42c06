package mail

import (
	"fmt"
	"html"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/pacer-sales/pacer/store"
)

// knownPlaceholders is the hint an unknown placeholder error gives.
const knownPlaceholders = "{{name}}, {{first_name}}, {{field:NAME}} or {{owner.name}}"

// Known lists the placeholders a template may use, each with what it fills in; any of them
// takes a fallback for an empty value: {{first_name|there}}.
var Known = [][2]string{
	{"{{name}}", "the record's name"},
	{"{{first_name}}", "the first word of the record's name"},
	{"{{field:NAME}}", "the record's free field NAME"},
	{"{{owner.name}}", "the name of the record's owner"},
}

type phKind int

const (
	phName phKind = iota + 1
	phFirstName
	phOwnerName
	phField
)

// segment is a piece of template text: literal text, or a placeholder when kind is set.
type segment struct {
	text  string // literal text, or the placeholder as written
	kind  phKind
	field string // for phField
	// fallback is what a placeholder without a value renders as, when hasFallback
	// ("{{first_name|there}}").
	fallback    string
	hasFallback bool
}

// canonical is the placeholder in its normal spelling.
func (s segment) canonical() string {
	switch s.kind {
	case phName:
		return "{{name}}"
	case phFirstName:
		return "{{first_name}}"
	case phOwnerName:
		return "{{owner.name}}"
	case phField:
		return "{{field:" + s.field + "}}"
	}
	return s.text
}

// PlaceholderError is one placeholder a template cannot use.
type PlaceholderError struct {
	// Part is "subject" or "body" when the error comes from a whole template.
	Part string
	// Line is the 1-based line of the text where the placeholder starts.
	Line int
	// Placeholder is the placeholder as written, e.g. "{{foo}}".
	Placeholder string
	// Problem says what is wrong with it.
	Problem string
}

func (e *PlaceholderError) Error() string {
	var b strings.Builder
	if e.Part != "" {
		b.WriteString(e.Part)
		b.WriteByte(' ')
	}
	fmt.Fprintf(&b, "line %d: %s", e.Line, e.Problem)
	return b.String()
}

// PlaceholderErrors are all the placeholder problems of a text or template, in order.
type PlaceholderErrors []*PlaceholderError

func (es PlaceholderErrors) Error() string {
	s := make([]string, len(es))
	for i, e := range es {
		s[i] = e.Error()
	}
	return strings.Join(s, "; ")
}

// Unwrap gives the single errors to errors.Is and errors.As.
func (es PlaceholderErrors) Unwrap() []error {
	out := make([]error, len(es))
	for i, e := range es {
		out[i] = e
	}
	return out
}

// parse splits text into literal text and placeholders, collecting every problem.
func parse(text, part string) ([]segment, PlaceholderErrors) {
	var segs []segment
	var errs PlaceholderErrors
	line := 1
	for len(text) > 0 {
		i := strings.Index(text, "{{")
		if i < 0 {
			segs = append(segs, segment{text: text})
			break
		}
		if i > 0 {
			segs = append(segs, segment{text: text[:i]})
			line += strings.Count(text[:i], "\n")
		}
		text = text[i:]
		j := strings.Index(text[2:], "}}")
		if j < 0 {
			written := text
			if k := strings.IndexAny(written, "\r\n"); k >= 0 {
				written = written[:k]
			}
			if len(written) > 40 {
				written = written[:40] + "…"
			}
			errs = append(errs, &PlaceholderError{Part: part, Line: line, Placeholder: written,
				Problem: fmt.Sprintf("placeholder %q is not closed with }}", written)})
			break
		}
		raw := text[:j+4]
		seg, problem := placeholder(raw)
		if problem != "" {
			errs = append(errs, &PlaceholderError{Part: part, Line: line, Placeholder: raw, Problem: problem})
		} else {
			segs = append(segs, seg)
		}
		line += strings.Count(raw, "\n")
		text = text[len(raw):]
	}
	return segs, errs
}

// placeholder reads one "{{…}}"; it returns a problem when it is not a known placeholder.
func placeholder(raw string) (segment, string) {
	inner := strings.TrimSpace(raw[2 : len(raw)-2])
	seg := segment{text: raw}
	if name, fb, ok := strings.Cut(inner, "|"); ok {
		inner = strings.TrimSpace(name)
		seg.fallback, seg.hasFallback = strings.TrimSpace(fb), true
		if strings.Contains(seg.fallback, "{") {
			return seg, fmt.Sprintf("placeholder %s: a fallback cannot contain braces", raw)
		}
	}
	switch strings.ToLower(inner) {
	case "name":
		seg.kind = phName
		return seg, ""
	case "first_name":
		seg.kind = phFirstName
		return seg, ""
	case "owner.name":
		seg.kind = phOwnerName
		return seg, ""
	}
	if len(inner) >= 5 && strings.EqualFold(inner[:5], "field") {
		rest := strings.TrimSpace(inner[5:])
		if strings.HasPrefix(rest, ":") {
			name := strings.TrimSpace(rest[1:])
			switch {
			case name == "":
				return seg, fmt.Sprintf("placeholder %s has no field name: write {{field:NAME}}", raw)
			case strings.ContainsAny(name, "{}"):
				return seg, fmt.Sprintf("placeholder %s: a field name cannot contain braces", raw)
			}
			seg.kind, seg.field = phField, name
			return seg, ""
		}
	}
	return seg, fmt.Sprintf("unknown placeholder %s: use %s", raw, knownPlaceholders)
}

// Placeholders lists the placeholders text uses, in their normal spelling ("{{first_name}}",
// "{{field:company}}"), each once, in order of first use. It returns every unknown or
// malformed placeholder as PlaceholderErrors; use it to check a template when it is saved.
func Placeholders(text string) ([]string, error) {
	segs, errs := parse(text, "")
	var out []string
	seen := map[string]bool{}
	for _, s := range segs {
		if s.kind == 0 {
			continue
		}
		c := s.canonical()
		if !seen[c] {
			seen[c] = true
			out = append(out, c)
		}
	}
	if len(errs) > 0 {
		return out, errs
	}
	return out, nil
}

// Check reports every placeholder problem in the subject and body of t as PlaceholderErrors
// (naming the part and line), or nil.
func Check(t store.Template) error {
	_, errs := parse(t.Subject, "subject")
	_, body := parse(t.Body, "body")
	_, html := parse(t.HTML, "HTML body")
	errs = append(append(errs, body...), html...)
	if len(errs) > 0 {
		return errs
	}
	return nil
}

// lineBreaks turns the line breaks of a rendered subject into spaces.
var lineBreaks = strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ")

// Render fills in the placeholders of t's subject and body for rec, sent on behalf of
// owner (the user whose name {{owner.name}} shows; for a team-owned record, the caller picks
// the user). Line breaks a field brings into the subject become spaces. An unknown or
// malformed placeholder is an error naming the template, part, line and placeholder;
// nothing is rendered then.
func Render(t store.Template, rec store.Record, owner store.User) (subject, body string, err error) {
	c, err := Compile(t)
	if err != nil {
		return "", "", err
	}
	subject, body = c.Render(rec, owner)
	return subject, body, nil
}

// Compiled is a template read once to be rendered for many records.
type Compiled struct {
	subject, body, html []segment
}

// Compile reads the placeholders of t's subject, body and HTML body; an unknown or
// malformed one is the error Render returns for t.
func Compile(t store.Template) (*Compiled, error) {
	if err := Check(t); err != nil {
		return nil, fmt.Errorf("template %q: %w", t.Name, err)
	}
	subj, _ := parse(t.Subject, "subject")
	body, _ := parse(t.Body, "body")
	html, _ := parse(t.HTML, "HTML body")
	return &Compiled{subject: subj, body: body, html: html}, nil
}

// Render fills in the placeholders of the template for rec, as the function Render does.
func (c *Compiled) Render(rec store.Record, owner store.User) (subject, body string) {
	r := c.Fill(rec, owner)
	return r.Subject, r.Body
}

// Rendered is a template filled in for one record.
type Rendered struct {
	Subject, Body string
	// HTML is the template's own HTML body filled in, every merged value and fallback
	// escaped for HTML; "" when the template has none.
	HTML string
	// Missing lists the placeholders (normal spelling, each once, in order) that had no
	// value and no fallback: they rendered as nothing. An automated email with missing
	// placeholders is held, not sent.
	Missing []string
}

// Fill fills in the placeholders for rec: a placeholder without a value renders its
// fallback when it has one, else nothing, and is then listed in Missing.
func (c *Compiled) Fill(rec store.Record, owner store.User) Rendered {
	var r Rendered
	r.Subject = lineBreaks.Replace(fill(c.subject, rec, owner, &r.Missing, nil))
	r.Body = fill(c.body, rec, owner, &r.Missing, nil)
	r.HTML = fill(c.html, rec, owner, &r.Missing, html.EscapeString)
	return r
}

// value is what placeholder s renders for rec, before any fallback.
func value(s segment, rec store.Record, owner store.User) string {
	switch s.kind {
	case phName:
		return rec.Name
	case phFirstName:
		if w := strings.Fields(rec.Name); len(w) > 0 {
			return w[0]
		}
	case phOwnerName:
		if n := strings.TrimSpace(owner.Name); n != "" {
			return n
		}
		return owner.Username
	case phField:
		return FieldText(rec, s.field)
	}
	return ""
}

// fill renders segs for rec; escape, when set, escapes each value (the literal text is
// the template's own).
func fill(segs []segment, rec store.Record, owner store.User, missing *[]string, escape func(string) string) string {
	var b strings.Builder
	for _, s := range segs {
		if s.kind == 0 {
			b.WriteString(s.text)
			continue
		}
		v := value(s, rec, owner)
		if strings.TrimSpace(v) == "" {
			if s.hasFallback {
				v = s.fallback
			} else if c := s.canonical(); !slices.Contains(*missing, c) {
				*missing = append(*missing, c)
			}
		}
		if escape != nil {
			v = escape(v)
		}
		b.WriteString(v)
	}
	return b.String()
}

// Unfallbacked lists the placeholders of t (normal spelling, each once) that have no
// fallback, for a check that warns about fields a record may lack.
func Unfallbacked(t store.Template) []string {
	subj, _ := parse(t.Subject, "")
	body, _ := parse(t.Body, "")
	html, _ := parse(t.HTML, "")
	var out []string
	for _, s := range slices.Concat(subj, body, html) {
		if s.kind != 0 && !s.hasFallback && !slices.Contains(out, s.canonical()) {
			out = append(out, s.canonical())
		}
	}
	return out
}

// ownField returns one of the record's own columns by its lowercase name.
func ownField(rec store.Record, name string) (string, bool) {
	switch name {
	case "id":
		return rec.ID, true
	case "name":
		return rec.Name, true
	case "entity":
		return rec.Entity, true
	case "owner":
		return rec.Owner, true
	case "stage":
		return rec.Stage, true
	case "access_team":
		return rec.AccessTeam, true
	case "email":
		return rec.Email, true
	case "phone":
		return rec.Phone, true
	}
	return "", false
}

// FieldText is what {{field:name}} renders for rec: an own column by exact name, else the
// free field of that exact name, else the same two looked up without regard to case; ""
// when the record has no such field.
func FieldText(rec store.Record, name string) string {
	if v, ok := ownField(rec, name); ok {
		return v
	}
	if v, ok := rec.Fields[name]; ok {
		return FormatValue(v)
	}
	lower := strings.ToLower(name)
	if v, ok := ownField(rec, lower); ok {
		return v
	}
	var keys []string
	for k := range rec.Fields {
		if strings.ToLower(k) == lower {
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		return ""
	}
	sort.Strings(keys)
	return FormatValue(rec.Fields[keys[0]])
}

// FormatValue is the text of a free-field value in an email: numbers in plain decimal
// without trailing zeros or exponent (120, 0.5, 1500000), true/false as yes/no, nil as "".
func FormatValue(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case bool:
		if x {
			return "yes"
		}
		return "no"
	case float64:
		if x == 0 {
			return "0" // also -0
		}
		return strconv.FormatFloat(x, 'f', -1, 64)
	case float32:
		if x == 0 {
			return "0"
		}
		return strconv.FormatFloat(float64(x), 'f', -1, 32)
	case int:
		return strconv.Itoa(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case fmt.Stringer:
		return x.String()
	}
	return fmt.Sprint(v)
}
