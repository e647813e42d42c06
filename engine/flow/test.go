package flow

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/pacer-sales/pacer/engine/sequence"
	"github.com/pacer-sales/pacer/store"
)

// FieldOf returns a record's field by name: its own fields (id, name, owner, stage,
// access_team, email, phone) first, then the free fields. ok is false when it has none.
func FieldOf(r store.Record, name string) (v any, ok bool) {
	if name == "id" {
		return r.ID, true
	}
	if own := OwnText(&r, name); own != nil {
		return *own, *own != ""
	}
	v, ok = r.Fields[name]
	return v, ok
}

// OwnText returns the record's own text field of that name (name, owner, stage,
// access_team, email, phone), or nil when the name is a free field (or the id).
func OwnText(r *store.Record, name string) *string {
	switch name {
	case "name":
		return &r.Name
	case "owner":
		return &r.Owner
	case "stage":
		return &r.Stage
	case "access_team":
		return &r.AccessTeam
	case "email":
		return &r.Email
	case "phone":
		return &r.Phone
	}
	return nil
}

// SetFieldOf sets a record's field by name, the way FieldOf reads it: the record's own
// text fields (name, owner, stage, access_team, email, phone) take the value as text (nil
// clears them); any other name, id included (a record's id does not change), is a free
// field.
func SetFieldOf(r *store.Record, name string, v any) {
	if own := OwnText(r, name); own != nil {
		*own = Text(v)
		return
	}
	fields := make(map[string]any, len(r.Fields)+1)
	for k, x := range r.Fields {
		fields[k] = x
	}
	fields[name] = v
	r.Fields = fields
}

// Test evaluates a field test against a record and says why in words. Strings compare
// ignoring case; numbers compare as numbers when both sides are numbers (a numeric string
// counts); a missing field is empty and fails every comparison but ne and empty.
func Test(t sequence.Test, r store.Record) (bool, string) {
	switch {
	case t.All != nil:
		for _, sub := range t.All {
			if ok, why := Test(sub, r); !ok {
				return false, why
			}
		}
		return true, fmt.Sprintf("all %d tests hold", len(t.All))
	case t.Any != nil:
		var whys []string
		for _, sub := range t.Any {
			ok, why := Test(sub, r)
			if ok {
				return true, why
			}
			whys = append(whys, why)
		}
		return false, strings.Join(whys, "; ")
	}
	v, present := FieldOf(r, t.Field)
	empty := !present || v == nil || v == ""
	shown := fmt.Sprintf("%s is %s", t.Field, show(v, present))
	var ok bool
	switch t.Op {
	case sequence.OpEmpty:
		ok = empty
	case sequence.OpNotEmpty:
		ok = !empty
	case sequence.OpEq, "":
		ok = !empty && equal(v, t.Value)
	case sequence.OpNe:
		ok = empty || !equal(v, t.Value)
	case sequence.OpGt, sequence.OpGe, sequence.OpLt, sequence.OpLe:
		if !empty {
			c, comparable := compare(v, t.Value)
			ok = comparable && map[sequence.Op]bool{
				sequence.OpGt: c > 0, sequence.OpGe: c >= 0, sequence.OpLt: c < 0, sequence.OpLe: c <= 0,
			}[t.Op]
		}
	case sequence.OpContains:
		ok = !empty && strings.Contains(strings.ToLower(Text(v)), strings.ToLower(Text(t.Value)))
	case sequence.OpIn:
		for _, x := range list(t.Value) {
			if !empty && equal(v, x) {
				ok = true
				break
			}
		}
	}
	verb := "holds"
	if !ok {
		verb = "fails"
	}
	why := fmt.Sprintf("%s: %s, test %s", verb, shown, t.Op)
	if t.Value != nil {
		why += " " + Text(t.Value)
	}
	return ok, why
}

func show(v any, present bool) string {
	if !present || v == nil {
		return "empty"
	}
	return strconv.Quote(Text(v))
}

// Text is the plain text form of a field value: numbers without trailing zeros, bools as
// true/false, lists in brackets.
func Text(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	case []any:
		parts := make([]string, len(x))
		for i, p := range x {
			parts[i] = Text(p)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	}
	return fmt.Sprint(v)
}

// list returns the values of an `in` test.
func list(v any) []any {
	switch x := v.(type) {
	case []any:
		return x
	case []string:
		out := make([]any, len(x))
		for i, s := range x {
			out[i] = s
		}
		return out
	}
	return nil
}

// number returns v as a number: a number, or a string written as a plain decimal number
// ("42", " -3.5 ", "1e3"). Words that ParseFloat also takes (NaN, Inf, hexadecimal) are
// text.
func number(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, !math.IsNaN(x)
	case float32:
		return float64(x), !math.IsNaN(float64(x))
	case int:
		return float64(x), true
	case int64:
		return float64(x), true
	case int32:
		return float64(x), true
	case uint:
		return float64(x), true
	case uint64:
		return float64(x), true
	case uint32:
		return float64(x), true
	case string:
		s := strings.TrimSpace(x)
		if s == "" || strings.Trim(s, "0123456789+-.eE") != "" {
			return 0, false
		}
		f, err := strconv.ParseFloat(s, 64)
		return f, err == nil && !math.IsInf(f, 0)
	}
	return 0, false
}

func equal(a, b any) bool {
	if x, ok := number(a); ok {
		if y, ok := number(b); ok {
			return x == y
		}
	}
	return strings.EqualFold(Text(a), Text(b))
}

func compare(a, b any) (int, bool) {
	if x, ok := number(a); ok {
		if y, ok := number(b); ok {
			switch {
			case x < y:
				return -1, true
			case x > y:
				return 1, true
			}
			return 0, true
		}
	}
	sa, sb := strings.ToLower(Text(a)), strings.ToLower(Text(b))
	return strings.Compare(sa, sb), true
}
