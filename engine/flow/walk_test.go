package flow

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/pacer-sales/pacer/engine/sequence"
	"github.com/pacer-sales/pacer/store"
)

func TestPlan(t *testing.T) {
	p := mustPlan(t, specExample)
	if p.First != "intro" || p.Def == nil {
		t.Fatalf("first %q", p.First)
	}
	for _, tc := range []struct{ id, next, source string }{
		{"intro", "research", ""},
		{"research", "call1", "intro"},
		{"call1", "cond1", "research"},
		{"cond1", "", "call1"},
		// The yes branch, then past the condition: the path ends.
		{"connect", "meeting", ""},
		{"meeting", "", "connect"},
		// The no branch and the condition nested in it.
		{"wait3d", "call2", ""},
		{"call2", "cond2", "wait3d"},
		{"cond2", "", "call2"},
		{"disq", "", ""},
		{"nope", "", ""},
	} {
		if got := p.Next(tc.id); got != tc.next {
			t.Errorf("Next(%q) = %q, want %q", tc.id, got, tc.next)
		}
		src := p.Source(tc.id)
		if (src == nil) != (tc.source == "") || (src != nil && src.ID != tc.source) {
			t.Errorf("Source(%q) = %v, want %q", tc.id, src, tc.source)
		}
		if st := p.Step(tc.id); (st == nil) != (tc.id == "nope") || (st != nil && st.ID != tc.id) {
			t.Errorf("Step(%q) = %v", tc.id, st)
		}
	}
	if p.branchStart(p.Step("cond1"), true) != "connect" || p.branchStart(p.Step("cond1"), false) != "wait3d" {
		t.Error("cond1 branches")
	}
	// An empty branch continues after the condition; here the path ends.
	if got := p.branchStart(p.Step("cond2"), true); got != "" {
		t.Errorf("cond2 yes leads to %q", got)
	}
	if got := p.branchStart(p.Step("cond2"), false); got != "disq" {
		t.Errorf("cond2 no leads to %q", got)
	}

	ids := func(steps []*sequence.Step) []string {
		var out []string
		for _, st := range steps {
			out = append(out, st.ID)
		}
		return out
	}
	for _, tc := range []struct {
		id   string
		max  int
		want []string
	}{
		{"intro", 10, []string{"research", "call1", "cond1"}},
		{"intro", 2, []string{"research", "call1"}},
		{"intro", 0, nil},
		{"call1", 10, []string{"cond1"}},
		{"wait3d", 10, []string{"call2", "cond2"}},
		{"connect", 10, []string{"meeting"}},
		{"meeting", 10, nil},
		{"cond1", 10, nil},
		{"disq", 10, nil},
		{"nope", 10, nil},
	} {
		if got := ids(p.Ahead(tc.id, tc.max)); !slices.Equal(got, tc.want) {
			t.Errorf("Ahead(%q, %d) = %v, want %v", tc.id, tc.max, got, tc.want)
		}
	}

	// Empty branches of a condition nested last in a branch lead past the outer condition.
	q := mustPlan(t, `
name: s
steps:
  - {type: task, id: a}
  - type: condition
    id: outer
    if: stage
    stages: [x]
    yes:
      - {type: task, id: y}
      - type: condition
        id: inner
        if: stage
        stages: [x]
        yes: []
        no: []
    no: []
  - {type: task, id: after}
`)
	if q.Next("inner") != "after" || q.branchStart(q.Step("inner"), true) != "after" || q.branchStart(q.Step("outer"), false) != "after" {
		t.Errorf("inner next %q", q.Next("inner"))
	}
	if got := ids(q.Ahead("y", 5)); !slices.Equal(got, []string{"inner"}) {
		t.Errorf("Ahead(y) = %v", got)
	}
	if got := ids(q.Ahead("a", 5)); !slices.Equal(got, []string{"outer"}) {
		t.Errorf("Ahead(a) = %v", got)
	}
}

// walkPlans are the sequences the random walks run on: the SPEC §2 example, and one with
// email conditions, a field condition and a hand-over.
var walkPlans = []string{specExample, `
name: email walk
options: {exit_on_reply: true, skip_non_working_days: true}
steps:
  - {type: email, id: m1}
  - type: condition
    id: c1
    if: email_opened
    within: 1d
    yes:
      - {type: auto_email, id: m2, template: t}
      - type: condition
        id: c2
        if: email_events
        events: [link_clicked, attachment_downloaded]
        match: any
        within: 2d
        early: false
        yes: [{type: set_stage, id: st, stage: develop}]
        no: [{type: wait, id: w, duration: 4h}, {type: sms, id: s}]
    no:
      - {type: update_field, id: uf, field: score, value: 1}
  - type: condition
    id: c3
    if: field
    field: score
    op: ge
    value: 1
    yes: [{type: advance_to, id: adv, sequence: Nurture}]
    no: [{type: linkedin_inmail, id: li}]
`}

// randomWalk feeds a connection random inputs, good and bad, at random times and checks
// the runtime's invariants after each: nothing panics, the visit never goes back, an ended
// connection stays ended and idle, a task is created once per visit and closed at most once,
// the open task is the current visit's, and only waits and conditions have a wake-up.
func randomWalk(t *testing.T, src string, n func(int) int, steps int) {
	r := newRun(t, mustPlan(t, src))
	r.env.Calendar = NewCalendar(store.DefaultSettings())
	r.conn.State = ""
	stepIDs := []string{"nope"}
	r.plan.Def.Walk(func(_ string, st *sequence.Step) bool {
		stepIDs = append(stepIDs, st.ID)
		return true
	})
	pick := func(xs ...string) string { return xs[n(len(xs))] }
	created := map[uint32]int{}
	closed := map[uint32]int{}
	connected := false
	for i := 0; i < steps; i++ {
		// The clock moves on, sometimes to the wake-up.
		switch n(6) {
		case 0:
			r.env.Now = r.env.Now.Add(time.Minute)
		case 1:
			r.env.Now = r.env.Now.Add(time.Duration(n(72)) * time.Hour)
		case 2:
			if !r.conn.WakeAt.IsZero() && r.conn.WakeAt.After(r.env.Now) {
				r.env.Now = r.conn.WakeAt
			}
		}
		visit := r.conn.Visit
		if n(4) == 0 {
			visit = uint32(n(int(r.conn.Visit) + 3))
		}
		in := Input{Visit: visit, By: "sam"}
		switch k := n(40); {
		case i == 0 && k < 36 || k == 0:
			in.Kind = Connect
		case k < 8:
			in.Kind = TaskDone
			in.Outcome = pick("", "connected", "no_answer", "busy", "a_boat")
		case k < 12:
			in.Kind = TaskSkipped
		case k < 18:
			in.Kind = Timer
		case k < 20:
			in.Kind = SkipWait
		case k < 25:
			in.Kind = MessageSent
			in.Message = store.DerivedID(fmt.Sprint(i))
			if n(2) == 0 {
				in.At = r.env.Now
			}
		case k < 27:
			in.Kind = MessageFailed
			in.Error = "550"
		case k < 37:
			in.Kind = EmailEvent
			in.StepID = pick(stepIDs...)
			in.Event = sequence.Kind(pick("email_opened", "email_replied", "link_clicked", "attachment_downloaded", "bounced"))
			switch n(3) {
			case 0:
				in.At = r.env.Now
			case 1:
				in.At = r.env.Now.Add(-time.Duration(n(96)) * time.Hour)
			}
		case k < 38:
			in.Kind = Disconnect
			in.Reason = pick("", store.ReasonManual, store.ReasonSequenceDeleted)
		default:
			in.Kind = "snooze"
		}

		before, wasConnected := r.conn, connected
		res := r.decide(in)
		c := res.Conn
		if in.Kind == Connect && res.Ignored == "" {
			connected = true
		}
		if c.Visit < before.Visit {
			t.Fatalf("input %d (%s): visit went back from %d to %d", i, in.Kind, before.Visit, c.Visit)
		}
		if wasConnected && before.State != store.ConnActive && res.Ignored == "" {
			t.Fatalf("input %d (%s): an ended connection (%s) moved: %v", i, in.Kind, before.State, hist(res))
		}
		if res.Ignored != "" {
			continue
		}
		for _, ef := range res.Effects {
			switch ef.Kind {
			case CreateTask:
				created[ef.Visit]++
				if created[ef.Visit] > 1 {
					t.Fatalf("input %d (%s): a second task for visit %d", i, in.Kind, ef.Visit)
				}
				if ef.Step == nil || ef.StepID != ef.Step.ID {
					t.Fatalf("input %d: create_task %+v", i, ef)
				}
			case CloseTask:
				closed[ef.Visit]++
				if created[ef.Visit] == 0 || closed[ef.Visit] > 1 {
					t.Fatalf("input %d (%s): close_task for visit %d: created %d, closed %d", i, in.Kind, ef.Visit, created[ef.Visit], closed[ef.Visit])
				}
			}
		}
		open := 0
		for v, k := range created {
			if k > closed[v] {
				open++
				if v != c.Visit {
					t.Fatalf("input %d (%s): the task of visit %d is open at visit %d", i, in.Kind, v, c.Visit)
				}
			}
		}
		switch {
		case open > 1:
			t.Fatalf("input %d: %d open tasks", i, open)
		case open == 1 && c.Task != r.taskID(c.Step, c.Visit):
			t.Fatalf("input %d: open task %s, want the id of %s visit %d", i, c.Task, c.Step, c.Visit)
		case open == 0 && !c.Task.IsZero():
			t.Fatalf("input %d: task %s set with no open task", i, c.Task)
		}
		for _, e := range res.History {
			if e.At.IsZero() || e.Type == "" {
				t.Fatalf("input %d: history entry %+v", i, e)
			}
		}
		if c.State != store.ConnActive {
			if c.Step != "" || !c.Task.IsZero() || !c.WakeAt.IsZero() {
				t.Fatalf("input %d: ended connection %+v", i, c)
			}
			if last := res.History[len(res.History)-1]; last.Type != "completed" && last.Type != "disconnected" {
				t.Fatalf("input %d: ended with %v", i, hist(res))
			}
			continue
		}
		st := r.plan.Step(c.Step)
		if st == nil {
			t.Fatalf("input %d: active at unknown step %q", i, c.Step)
		}
		if !c.WakeAt.IsZero() && st.Type != sequence.Wait && st.Type != sequence.Condition {
			t.Fatalf("input %d: wake-up %v at a %s step", i, c.WakeAt, st.Type)
		}
		if c.WakeAt.IsZero() && st.Type == sequence.Wait {
			t.Fatalf("input %d: a wait without a wake-up", i)
		}
	}
}

func TestRandomWalk(t *testing.T) {
	for seed := range uint64(300) {
		src := walkPlans[seed%uint64(len(walkPlans))]
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, 7))
			randomWalk(t, src, rng.IntN, 150)
		})
	}
}

// FuzzRandomWalk drives the same walk from fuzz bytes.
func FuzzRandomWalk(f *testing.F) {
	f.Add([]byte{0})
	f.Add([]byte{1, 0, 20, 3, 0, 8, 1, 2, 5, 30, 4, 4, 12, 0, 0, 9, 1, 33})
	f.Add([]byte("a seller works the sequence through to the end"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) == 0 {
			return
		}
		src := walkPlans[int(data[0])%len(walkPlans)]
		data = data[1:]
		n := func(k int) int {
			if k <= 1 || len(data) == 0 {
				return 0
			}
			b := int(data[0])
			data = data[1:]
			return b % k
		}
		randomWalk(t, src, n, 200)
	})
}
