package flow

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/pacer-sales/pacer/engine/sequence"
	"github.com/pacer-sales/pacer/store"
)

// FieldOf returns a record's field by name: its own fields (id, name, owner, stage,
// access_team, email, phone) first, then the free fields. ok is false when it has none.
func FieldOf(r store.Record, name string) (v any, ok bool) {
	switch name {
	case "id":
		return r.ID, true
	case "name":
		return r.Name, r.Name != ""
	case "owner":
		return r.Owner, r.Owner != ""
	case "stage":
		return r.Stage, r.Stage != ""
	case "access_team":
		return r.AccessTeam, r.AccessTeam != ""
	case "email":
		return r.Email, r.Email != ""
	case "phone":
		return r.Phone, r.Phone != ""
	}
	v, ok = r.Fields[name]
	return v, ok
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
		ok = !empty && strings.Contains(strings.ToLower(text(v)), strings.ToLower(text(t.Value)))
	case sequence.OpIn:
		list, _ := t.Value.([]any)
		for _, x := range list {
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
		why += " " + text(t.Value)
	}
	return ok, why
}

func show(v any, present bool) string {
	if !present || v == nil {
		return "empty"
	}
	return strconv.Quote(text(v))
}

func text(v any) string {
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
			parts[i] = text(p)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	}
	return fmt.Sprint(v)
}

func number(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case string:
		f, err := strconv.ParseFloat(strings.TrimSpace(x), 64)
		return f, err == nil
	}
	return 0, false
}

func equal(a, b any) bool {
	if x, ok := number(a); ok {
		if y, ok := number(b); ok {
			return x == y
		}
	}
	return strings.EqualFold(text(a), text(b))
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
	sa, sb := strings.ToLower(text(a)), strings.ToLower(text(b))
	return strings.Compare(sa, sb), true
}
