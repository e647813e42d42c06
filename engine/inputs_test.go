package engine_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/pacer-sales/pacer/engine"
	"github.com/pacer-sales/pacer/engine/limits"
	"github.com/pacer-sales/pacer/engine/sequence"
	"github.com/pacer-sales/pacer/store"
)

// wantRefused checks that err is an ErrInvalid whose message says all of parts.
func wantRefused(t *testing.T, what string, err error, parts ...string) {
	t.Helper()
	if !errors.Is(err, engine.ErrInvalid) {
		t.Errorf("%s: %v, want an invalid-input error", what, err)
		return
	}
	for _, p := range parts {
		if !strings.Contains(err.Error(), p) {
			t.Errorf("%s: %q does not say %q", what, err, p)
		}
	}
}

// TestFacadeRefusesOversizedInput: every write path of the façade refuses a value over its
// limit (or one that would drive a terminal) with an error naming the value and the limit,
// and stores nothing of it.
func TestFacadeRefusesOversizedInput(t *testing.T) {
	w := newWorld(t)
	e, ctx := w.e, w.ctx
	big := func(n int) string { return strings.Repeat("x", n+1) }

	wantRefused(t, "user name", e.AddUser(ctx, "ada", store.User{Username: "zed", Name: big(limits.Name), Roles: []store.Role{store.RoleSeller}}),
		`user "zed": the name is too large: the limit is 200 bytes`)
	wantRefused(t, "user title", e.AddUser(ctx, "ada", store.User{Username: "zed", Title: "AE\x1b]0;pwned\a", Roles: []store.Role{store.RoleSeller}}),
		`user "zed": the title contains the control character U+001B`)
	if _, err := e.Whoami(ctx, "zed"); err == nil {
		t.Error("a refused user was stored")
	}
	wantRefused(t, "team name", e.AddTeam(ctx, "ada", store.Team{Name: big(limits.Name), Type: store.OwnerTeam, Members: []store.Member{{Username: "sam"}}}),
		"the name is too large: the limit is 200 bytes")
	wantRefused(t, "team member role", e.AddTeam(ctx, "ada", store.Team{Name: "north", Type: store.OwnerTeam, Members: []store.Member{{Username: "sam", Role: big(limits.Name)}}}),
		`team "north": the member role of sam is too large: the limit is 200 bytes`)
	wantRefused(t, "template body", e.AddTemplate(ctx, "ada", store.Template{Name: "huge", Subject: "Hi", Body: big(limits.TemplateBody)}),
		`template "huge": the body is too large: the limit is 256 KiB`)
	wantRefused(t, "template subject", e.AddTemplate(ctx, "ada", store.Template{Name: "odd", Subject: "Hi\u009b2J", Body: "b"}),
		`template "odd": the subject contains the control character U+009B`)

	_, err := e.SetRecord(ctx, "max", "lead/L-1", map[string]string{"name": big(limits.Name)})
	wantRefused(t, "record name", err, `record "lead/L-1": the name is too large: the limit is 200 bytes`)
	_, err = e.SetRecord(ctx, "max", "lead/L-1", map[string]string{"notes": big(limits.FieldValue)})
	wantRefused(t, "record field", err, `record "lead/L-1": the field "notes" is too large: the limit is 16 KiB`)
	_, err = e.SetRecord(ctx, "sam", "lead/L-1", map[string]string{"name": "x\x1b]52;c;aGk=\a"})
	wantRefused(t, "record name escape", err, "contains the control character U+001B")
	many := map[string]string{}
	for i := range limits.Fields + 1 {
		many[fmt.Sprintf("f%d", i)] = "v"
	}
	_, err = e.SetRecord(ctx, "max", "lead/L-1", many)
	wantRefused(t, "record fields", err, "the number of fields (", "the limit is 200 fields")
	rec, err := e.Record(ctx, "ada", "lead/L-1")
	must(t, err)
	if rec.Name != "Ana Lima" || len(rec.Fields) > 3 {
		t.Errorf("a refused change was stored: %+v", rec)
	}
	// A CSV import is all or nothing: one row over a limit keeps every row out.
	_, err = e.ImportRecords(ctx, "max", "more.csv", strings.NewReader("id,name,owner\nL-8,Fine,sam\nL-9,"+big(limits.Name)+",sam\n"), "lead")
	if err == nil {
		t.Error("import of an oversized name: accepted")
	}
	if _, err := e.Record(ctx, "ada", "lead/L-8"); err == nil {
		t.Error("the import was half applied")
	}

	seq := w.sequence(callSeq)
	wantRefused(t, "segment value", e.AddSegment(ctx, "max", store.Segment{Name: "wide", Entity: "lead", Where: []store.SegmentMatch{{Field: "tier", Value: big(limits.FieldValue)}}, Sequence: seq}),
		`segment "wide": the value of tier is too large: the limit is 16 KiB`)

	// Sequences: the designer's save and the import hold drafts to the limits too.
	def := &sequence.Sequence{Name: "Draft", Description: big(limits.Description), Steps: []sequence.Step{{Type: sequence.Task, Name: big(limits.Name)}}}
	_, err = e.CreateSequence(ctx, "sam", def)
	wantRefused(t, "sequence description", err, "the description is too large: the limit is 4 KiB [too_large]", "steps[0] (task-1): the name is too large: the limit is 200 bytes")
	def = &sequence.Sequence{Name: "Long"}
	for range limits.Steps + 1 {
		def.Steps = append(def.Steps, sequence.Step{Type: sequence.Task})
	}
	_, err = e.ImportSequence(ctx, "max", def, engine.SaveOptions{})
	wantRefused(t, "sequence steps", err, "the sequence (1001 steps) is too large: the limit is 1000 steps")
	if _, err := e.Sequence(ctx, "ada", "Long"); err == nil {
		t.Error("a refused sequence was stored")
	}
}
