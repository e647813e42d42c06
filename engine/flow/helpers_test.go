package flow

import (
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pacer-sales/pacer/engine/sequence"
	"github.com/pacer-sales/pacer/store"
)

// t0 is a Monday, 10:00 UTC, inside the default working hours.
var t0 = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

// specExample is the sequence of SPEC §2, with ids on every step.
const specExample = `
name: High volume outbound prospecting
description: Cold outreach with calls
entity: lead
tags: [outbound, prospecting]
options:
  exit_on_reply: true
  skip_non_working_days: false
steps:
  - type: auto_email
    id: intro
    name: Introduction email
    template: intro
  - type: linkedin_research
    id: research
  - type: call
    id: call1
    name: Intro call
  - type: condition
    id: cond1
    if: call_outcome
    outcomes: [connected]
    yes:
      - type: linkedin_connect
        id: connect
      - type: task
        id: meeting
        name: Schedule a meeting
    no:
      - type: wait
        id: wait3d
        duration: 3d
      - type: call
        id: call2
        name: Second call
      - type: condition
        id: cond2
        if: call_outcome
        outcomes: [connected]
        yes: []
        no:
          - type: update_field
            id: disq
            field: status
            value: disqualified
`

// mustPlan parses a sequence file, gives its steps ids and prepares it for walking.
func mustPlan(t testing.TB, src string) *Plan {
	t.Helper()
	def, err := sequence.Parse([]byte(src), "test.yaml")
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	def.AssignIDs()
	return NewPlan(def)
}

// run drives one connection through a plan, input by input, with a manual clock. Each
// decision is checked to be pure (the connection and record passed in are left as they
// were) and deterministic (deciding again gives the same result); a decision that is not
// ignored becomes the new state, and its record changes are applied the way the engine
// applies them.
type run struct {
	t    testing.TB
	plan *Plan
	conn store.Connection
	env  Env
	// hist is every history entry so far.
	hist []store.Event
	// last is the last result.
	last Result
}

func newRun(t testing.TB, plan *Plan) *run {
	return &run{
		t:    t,
		plan: plan,
		conn: store.Connection{
			ID:       store.DerivedID("conn", t.Name()),
			Record:   store.DerivedID("record", t.Name()),
			Sequence: store.DerivedID("sequence", t.Name()),
			Version:  1,
			State:    store.ConnActive,
			Source:   "manual",
		},
		env: Env{
			Now:          t0,
			Record:       store.Record{Entity: "lead", ID: "L-1001", Name: "Ada Lovelace", Owner: "sam", Stage: "prospect", Email: "ada@example.com"},
			CallOutcomes: store.DefaultSettings().CallOutcomes,
		},
	}
}

// at sets the clock to t0 + d.
func (r *run) at(d time.Duration) *run {
	r.env.Now = t0.Add(d)
	return r
}

func (r *run) decide(in Input) Result {
	r.t.Helper()
	conn, rec := deepConn(r.conn), deepRecord(r.env.Record)
	res := Decide(r.conn, r.plan, in, r.env)
	if !reflect.DeepEqual(r.conn, conn) {
		r.t.Fatalf("Decide(%s) changed the connection passed in", in.Kind)
	}
	if !reflect.DeepEqual(r.env.Record, rec) {
		r.t.Fatalf("Decide(%s) changed the record passed in", in.Kind)
	}
	if again := Decide(r.conn, r.plan, in, r.env); !reflect.DeepEqual(res, again) {
		r.t.Fatalf("Decide(%s) is not deterministic:\n%+v\n%+v", in.Kind, res, again)
	}
	r.last = res
	if res.Ignored != "" {
		if !reflect.DeepEqual(res.Conn, r.conn) || len(res.Effects) > 0 || len(res.History) > 0 {
			r.t.Fatalf("Decide(%s) ignored the input (%s) but changed something: %+v", in.Kind, res.Ignored, res)
		}
		return res
	}
	r.conn = res.Conn
	r.hist = append(r.hist, res.History...)
	for _, ef := range res.Effects {
		switch ef.Kind {
		case SetField:
			SetFieldOf(&r.env.Record, ef.Field, ef.New)
		case SetStage:
			r.env.Record.Stage, _ = ef.New.(string)
		}
	}
	return res
}

// do applies an input that must be taken.
func (r *run) do(in Input) Result {
	r.t.Helper()
	res := r.decide(in)
	if res.Ignored != "" {
		r.t.Fatalf("Decide(%s) ignored the input: %s", in.Kind, res.Ignored)
	}
	return res
}

// ignored applies an input that must be ignored, with a reason containing why.
func (r *run) ignored(in Input, why string) Result {
	r.t.Helper()
	res := r.decide(in)
	if res.Ignored == "" {
		r.t.Fatalf("Decide(%s) took the input, want it ignored (%s); effects %v, history %v", in.Kind, why, effs(res), hist(res))
	}
	if !strings.Contains(res.Ignored, why) {
		r.t.Fatalf("Decide(%s) ignored the input because %q, want a reason with %q", in.Kind, res.Ignored, why)
	}
	return res
}

func (r *run) connect() Result {
	r.t.Helper()
	r.conn.State = ""
	return r.do(Input{Kind: Connect, By: "sam"})
}

func (r *run) done(outcome string) Result {
	r.t.Helper()
	return r.do(Input{Kind: TaskDone, Visit: r.conn.Visit, Outcome: outcome, By: "sam"})
}

func (r *run) skip() Result {
	r.t.Helper()
	return r.do(Input{Kind: TaskSkipped, Visit: r.conn.Visit, By: "sam"})
}

func (r *run) timer() Result {
	r.t.Helper()
	return r.decide(Input{Kind: Timer, Visit: r.conn.Visit})
}

func (r *run) sent(msg string) Result {
	r.t.Helper()
	return r.do(Input{Kind: MessageSent, Visit: r.conn.Visit, Message: store.DerivedID("message", msg), At: r.env.Now})
}

func (r *run) event(step string, kind sequence.Kind) Result {
	r.t.Helper()
	return r.decide(Input{Kind: EmailEvent, StepID: step, Event: kind, At: r.env.Now})
}

// taskID is the task id a step's visit must get.
func (r *run) taskID(step string, visit uint32) store.ID {
	return store.DerivedID("task", r.conn.ID.String(), step, fmt.Sprint(visit))
}

// want checks the connection's step, visit and state.
func (r *run) want(step string, visit uint32, state store.ConnState) {
	r.t.Helper()
	c := r.conn
	if c.Step != step || c.Visit != visit || c.State != state {
		r.t.Fatalf("connection at %q visit %d %s, want %q visit %d %s (history %v)", c.Step, c.Visit, c.State, step, visit, state, hist(r.last))
	}
}

// wantTask checks that the connection's open task is the one of its current visit, or none.
func (r *run) wantTask(open bool) {
	r.t.Helper()
	c := r.conn
	switch {
	case open && c.Task != r.taskID(c.Step, c.Visit):
		r.t.Fatalf("task %s, want the derived id of %s visit %d", c.Task, c.Step, c.Visit)
	case !open && !c.Task.IsZero():
		r.t.Fatalf("task %s open at %s, want none", c.Task, c.Step)
	}
}

// effs renders effects compactly: "kind step[ state][ field old→new]".
func effs(res Result) []string {
	var out []string
	for _, e := range res.Effects {
		s := string(e.Kind) + " " + e.StepID
		if e.State != "" {
			s += " " + string(e.State)
		}
		if e.Kind == SetField || e.Kind == SetStage {
			s += fmt.Sprintf(" %s%v→%v", prefix(e.Field), e.Old, e.New)
		}
		if e.Sequence != "" {
			s += " " + e.Sequence
		}
		out = append(out, s)
	}
	return out
}

func prefix(field string) string {
	if field == "" {
		return ""
	}
	return field + " "
}

// hist renders history entries compactly: "type step[ branch][ outcome][ reason]".
func hist(res Result) []string {
	var out []string
	for _, e := range res.History {
		s := e.Type + " " + e.StepID
		for _, x := range []string{e.Branch, e.Outcome, e.Reason, e.Event} {
			if x != "" {
				s += " " + x
			}
		}
		out = append(out, s)
	}
	return out
}

func wantList(t testing.TB, what string, got, want []string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Fatalf("%s:\n got  %q\n want %q", what, got, want)
	}
}

// entry returns the first history entry of a type in res, failing when there is none.
func entry(t testing.TB, res Result, typ string) store.Event {
	t.Helper()
	for _, e := range res.History {
		if e.Type == typ {
			return e
		}
	}
	t.Fatalf("no %s entry in %v", typ, hist(res))
	return store.Event{}
}

func deepConn(c store.Connection) store.Connection {
	c = cloneConn(c)
	for k, s := range c.Sent {
		s.Events = maps.Clone(s.Events)
		c.Sent[k] = s
	}
	return c
}

func deepRecord(r store.Record) store.Record {
	r.Fields = maps.Clone(r.Fields)
	return r
}
