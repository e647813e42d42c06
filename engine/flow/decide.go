package flow

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/pacer-sales/pacer/engine/limits"
	"github.com/pacer-sales/pacer/engine/sequence"
	"github.com/pacer-sales/pacer/store"
)

// InputKind names what happened to a connection.
type InputKind string

// The inputs Decide understands.
const (
	// Connect enters the first step of a new connection.
	Connect InputKind = "connect"
	// Timer is a due-index wake-up (wait over, condition window closed).
	Timer InputKind = "timer"
	// TaskDone and TaskSkipped settle the current step's task.
	TaskDone    InputKind = "task_done"
	TaskSkipped InputKind = "task_skipped"
	// SkipWait ends the current wait now.
	SkipWait InputKind = "skip_wait"
	// MessageSent: the transport accepted the current step's automated message.
	MessageSent InputKind = "message_sent"
	// MessageFailed: the current step's message failed for good; a manual task replaces it.
	MessageFailed InputKind = "message_failed"
	// MessageHeld: the current step's automated email was not queued because placeholders
	// had no value and no fallback (Error names them); a manual task replaces it.
	MessageHeld InputKind = "message_held"
	// ManualSent: a seller sent the email of the current step's task by hand (Message, At,
	// By, Note); the task is done.
	ManualSent InputKind = "manual_sent"
	// EmailEvent: an email event (opened, replied, …) for a message of this connection.
	EmailEvent InputKind = "email_event"
	// Disconnect ends the connection (reason in Input.Reason, manual when empty).
	Disconnect InputKind = "disconnect"
	// Pause stops the connection (Reason, By; At, when set, is when it resumes by itself):
	// its task leaves the work lists, its timer stops with the time it had left.
	Pause InputKind = "pause"
	// Resume starts a paused connection again (By): a wait continues with the time it had
	// left, the task is due at once.
	Resume InputKind = "resume"
)

// The mail signals: events recorded against an email (history "event", and in the step's
// Sent events, so they are counted) that no condition waits for. An automatic reply is not
// a reply; a hard bounce and an unsubscribe end connections through Disconnect.
const (
	AutoReply    sequence.Kind = "auto_reply"
	EmailBounced sequence.Kind = "email_bounced"
	Unsubscribed sequence.Kind = "unsubscribed"
)

// Signals lists the mail signals.
var Signals = []sequence.Kind{AutoReply, EmailBounced, Unsubscribed}

// Input is one thing that happened to a connection.
type Input struct {
	Kind InputKind
	// Visit is the step visit a timer, task or message belongs to; an input for another visit
	// is stale and ignored.
	Visit uint32
	// Outcome and Note come with TaskDone.
	Outcome string
	Note    string
	// By is the user acting (tasks, skip wait, disconnect).
	By string
	// StepID, Event and At describe an EmailEvent (At is when it happened).
	StepID string
	Event  sequence.Kind
	At     time.Time
	// Message is the outbox message of MessageSent and ManualSent; Error the failure of
	// MessageFailed.
	Message store.ID
	Error   string
	Reason  string
}

// Env is what Decide knows of the world besides the connection.
type Env struct {
	Now time.Time
	// Record is the record as it is now: Decide reads its fields and stage for conditions and
	// returns changes as effects.
	Record store.Record
	// Calendar counts waits when the sequence skips non-working days.
	Calendar Calendar
	// CallOutcomes is the org's list (for checking a done call's outcome).
	CallOutcomes []string
	// History, when not nil, is a buffer the result's History is appended to from its start
	// (so it shares the buffer's array while it fits); its contents are overwritten.
	History []store.Event
}

// EffectKind names something the engine must do after a decision, in the same transaction.
type EffectKind string

// The effects.
const (
	// CreateTask opens a task for the current step (Error set when it replaces a failed
	// automated message).
	CreateTask EffectKind = "create_task"
	// CloseTask settles the open task (done/skipped/canceled, in State).
	CloseTask EffectKind = "close_task"
	// QueueMessage puts the current step's automated email or SMS in the outbox.
	QueueMessage EffectKind = "queue_message"
	// SetField and SetStage change the record.
	SetField EffectKind = "set_field"
	SetStage EffectKind = "set_stage"
	// Advance connects the record to another sequence (the connection is disconnected with
	// reason advanced; the engine turns that into advance_failed when it can't).
	Advance EffectKind = "advance"
	// PauseTask takes the open task out of the work lists (state paused); ResumeTask puts it
	// back, due now.
	PauseTask  EffectKind = "pause_task"
	ResumeTask EffectKind = "resume_task"
)

// Effect is one thing to do.
type Effect struct {
	Kind   EffectKind
	StepID string
	Visit  uint32
	// Task and message details.
	Step  *sequence.Step
	Error string
	State store.TaskState
	// Field changes: Field, Old → New; SetStage uses Old/New for the stage.
	Field    string
	Old, New any
	// Sequence is the target of Advance.
	Sequence string
}

// Result is a decision: the connection's next state, the effects and the history entries.
type Result struct {
	Conn    store.Connection
	Effects []Effect
	History []store.Event
	// Ignored is set when the input was stale or did not apply; nothing changed.
	Ignored string
}

// maxAutoSteps guards against a definition that would loop through automatic steps forever.
const maxAutoSteps = 10_000

// Decide applies one input to a connection running plan. It is pure: the same arguments
// always give the same result, and it changes none of them (env.History only as the
// buffer it says it is). The result's connection shares the maps and slices of c that the
// decision did not change; those it changes are copied first.
func Decide(c store.Connection, plan *Plan, in Input, env Env) Result {
	d := &decision{plan: plan, env: env, rec: env.Record}
	d.res.Conn = c
	d.res.History = env.History[:0]
	d.apply(in)
	if len(d.res.History) == 0 {
		d.res.History = nil
	}
	return d.res
}

type decision struct {
	plan  *Plan
	env   Env
	rec   store.Record
	res   Result
	steps int
	// own says which of the connection's maps and slices are the decision's own copies.
	ownSent, ownOutcomes, ownSkipped bool
}

// sentMap returns the connection's Sent map to change, copied from the input's first (made
// when there is none).
func (d *decision) sentMap() map[string]store.Sent {
	c := d.conn()
	if !d.ownSent {
		m := make(map[string]store.Sent, len(c.Sent)+1)
		for k, v := range c.Sent {
			m[k] = v
		}
		c.Sent, d.ownSent = m, true
	}
	return c.Sent
}

// outcomes returns the connection's Outcomes map to change, copied first.
func (d *decision) outcomes() map[string]string {
	c := d.conn()
	if !d.ownOutcomes {
		m := make(map[string]string, len(c.Outcomes)+1)
		for k, v := range c.Outcomes {
			m[k] = v
		}
		c.Outcomes, d.ownOutcomes = m, true
	}
	return c.Outcomes
}

// skip adds a step to the connection's Skipped list, copied first.
func (d *decision) skip(id string) {
	c := d.conn()
	if !d.ownSkipped {
		c.Skipped, d.ownSkipped = slices.Clip(slices.Clone(c.Skipped)), true
	}
	c.Skipped = append(c.Skipped, id)
}

func (d *decision) conn() *store.Connection { return &d.res.Conn }

func (d *decision) history(e store.Event) {
	if e.At.IsZero() {
		e.At = d.env.Now
	}
	if d.res.History == nil {
		// Most decisions record two to four events.
		d.res.History = make([]store.Event, 0, 4)
	}
	d.res.History = append(d.res.History, e)
}

func (d *decision) effect(e Effect) { d.res.Effects = append(d.res.Effects, e) }

func (d *decision) ignore(why string) { d.res.Ignored = why }

func (d *decision) current() *sequence.Step { return d.plan.Step(d.conn().Step) }

func (d *decision) apply(in Input) {
	c := d.conn()
	if in.Kind == Connect {
		if c.Step != "" || c.Visit != 0 {
			d.ignore("already connected")
			return
		}
		c.State = store.ConnActive
		d.history(store.Event{Type: store.EventConnected, By: in.By, Reason: c.Source})
		d.enter(d.plan.First)
		return
	}
	if c.State != store.ConnActive {
		d.ignore("the connection has ended")
		return
	}
	if c.Paused() {
		switch in.Kind {
		case Resume:
			d.resume(in.By)
			return
		case Timer:
			if in.Visit == c.Visit && !c.Pause.Until.IsZero() && !d.env.Now.Before(c.Pause.Until) {
				d.resume("")
				return
			}
			d.ignore("the connection is paused")
			return
		case Disconnect, EmailEvent:
		default:
			d.ignore("the connection is paused")
			return
		}
	}
	// Disconnecting and recording email events need no current step, so a connection whose
	// step is unknown to its plan can still be ended.
	switch in.Kind {
	case Pause:
		d.pause(in)
		return
	case Resume:
		d.ignore("the connection is not paused")
		return
	case Disconnect:
		reason := in.Reason
		if reason == "" {
			reason = store.ReasonManual
		}
		d.end(store.ConnDisconnected, reason, in.By)
		return
	case EmailEvent:
		d.emailEvent(in)
		return
	}
	cur := d.current()
	if cur == nil {
		d.ignore("the connection is at no step")
		return
	}
	if in.Visit != c.Visit {
		d.ignore(fmt.Sprintf("stale: visit %d, the connection is at visit %d", in.Visit, c.Visit))
		return
	}
	switch in.Kind {
	case Timer:
		d.timer(cur)
	case TaskDone, TaskSkipped:
		if c.Task.IsZero() {
			d.ignore("the step has no open task")
			return
		}
		d.settleTask(cur, in)
	case SkipWait:
		if cur.Type != sequence.Wait {
			d.ignore("the current step is not a wait")
			return
		}
		d.history(store.Event{Type: store.EventWaitSkipped, StepID: cur.ID, By: in.By})
		c.WakeAt = time.Time{}
		d.leave(cur)
	case MessageSent:
		if !isAutoMessage(cur) || !c.Task.IsZero() {
			d.ignore("the current step is not sending a message")
			return
		}
		at := in.At
		if at.IsZero() {
			at = d.env.Now
		}
		d.sent(cur.ID, store.Sent{Message: in.Message, At: at})
		d.history(store.Event{Type: store.EventEmailSent, StepID: cur.ID, Message: in.Message.String()})
		d.leave(cur)
	case ManualSent:
		if c.Task.IsZero() || !sendsMessage(cur) {
			d.ignore("the current step is not a message to send by hand")
			return
		}
		at := in.At
		if at.IsZero() {
			at = d.env.Now
		}
		// Events already recorded for the step are kept; a following email condition's
		// window starts now.
		d.sent(cur.ID, store.Sent{Message: in.Message, At: at})
		d.history(store.Event{Type: store.EventEmailSent, StepID: cur.ID, Message: in.Message.String(), By: in.By})
		d.settleTask(cur, Input{Kind: TaskDone, Visit: in.Visit, Note: in.Note, By: in.By})
	case MessageFailed, MessageHeld:
		if !isAutoMessage(cur) || !c.Task.IsZero() {
			d.ignore("the current step is not sending a message")
			return
		}
		typ := store.EventMessageFailed
		if in.Kind == MessageHeld {
			typ = store.EventEmailHeld
		}
		d.history(store.Event{Type: typ, StepID: cur.ID, Reason: in.Error})
		d.openTask(cur, in.Error)
	default:
		d.ignore("unknown input " + string(in.Kind))
	}
}

func isAutoMessage(st *sequence.Step) bool {
	return st.Type == sequence.AutoEmail || st.Type == sequence.AutoSMS
}

// sendsMessage reports whether a step's task is a message (an email or SMS step, or an
// automated one whose message failed into a manual task).
func sendsMessage(st *sequence.Step) bool {
	return st.Type == sequence.Email || st.Type == sequence.SMS || isAutoMessage(st)
}

func (d *decision) sent(step string, s store.Sent) {
	m := d.sentMap()
	if old, ok := m[step]; ok && len(old.Events) > 0 && s.Events == nil {
		s.Events = old.Events
	}
	m[step] = s
}

// settleTask handles done and skip of the current step's task.
func (d *decision) settleTask(cur *sequence.Step, in Input) {
	c := d.conn()
	state := store.TaskDone
	if in.Kind == TaskSkipped {
		state = store.TaskSkipped
	}
	if in.Kind == TaskDone {
		if in.Outcome != "" && cur.Type == sequence.Call && len(d.env.CallOutcomes) > 0 && !slices.Contains(d.env.CallOutcomes, in.Outcome) {
			d.ignore(fmt.Sprintf("unknown call outcome %q", in.Outcome))
			return
		}
		if cur.Type == sequence.Call && in.Outcome == "" && d.needsOutcome(cur) {
			d.ignore("a call that a call-outcome condition follows needs an outcome")
			return
		}
	}
	d.effect(Effect{Kind: CloseTask, StepID: cur.ID, Visit: c.Visit, State: state})
	if state == store.TaskDone {
		d.history(store.Event{Type: store.EventTaskDone, StepID: cur.ID, Outcome: in.Outcome, Note: in.Note, By: in.By, Task: c.Task.String()})
		if in.Outcome != "" {
			d.outcomes()[cur.ID] = in.Outcome
		}
		if sendsMessage(cur) {
			// A message the seller sent by hand starts the window of a following email
			// condition now; events reported for the step still count.
			if s, ok := c.Sent[cur.ID]; !ok || s.At.IsZero() {
				d.sent(cur.ID, store.Sent{Message: s.Message, At: d.env.Now})
			}
		}
	} else {
		d.history(store.Event{Type: store.EventTaskSkipped, StepID: cur.ID, By: in.By, Task: c.Task.String()})
		d.skip(cur.ID)
	}
	c.Task = store.ID{}
	d.leave(cur)
}

// needsOutcome reports whether a call_outcome condition follows the call.
func (d *decision) needsOutcome(call *sequence.Step) bool { return d.plan.NeedsOutcome(call.ID) }

// leave ends the current step and enters the one after it.
func (d *decision) leave(cur *sequence.Step) {
	d.enter(d.plan.Next(cur.ID))
}

// enter makes id the current step and runs automatic steps until the connection waits for
// something (a task, a timer, a message) or ends.
func (d *decision) enter(id string) {
	c := d.conn()
	for {
		d.steps++
		if d.steps > maxAutoSteps {
			d.end(store.ConnDisconnected, "loop", "")
			return
		}
		if id == "" {
			d.end(store.ConnCompleted, "", "")
			return
		}
		st := d.plan.Step(id)
		if st == nil {
			d.end(store.ConnDisconnected, "step_missing", "")
			return
		}
		c.Visit++
		c.Step, c.EnteredAt, c.WakeAt = id, d.env.Now, time.Time{}
		d.history(store.Event{Type: store.EventStepEntered, StepID: id})
		switch st.Type {
		case sequence.Wait:
			until := d.env.Now.Add(st.Duration)
			if d.plan.Def.Options.SkipNonWorkingDays {
				until = d.env.Calendar.AddWorking(d.env.Now, st.Duration)
			}
			c.WakeAt = until
			return
		case sequence.AutoEmail, sequence.AutoSMS:
			d.effect(Effect{Kind: QueueMessage, StepID: id, Visit: c.Visit, Step: st})
			return
		case sequence.Condition:
			next, decided := d.condition(st)
			if !decided {
				return
			}
			id = next
		case sequence.UpdateField:
			// The record's own fields (email, stage, …) are set where FieldOf reads them, so
			// a later condition of this run sees the new value.
			old, had := FieldOf(d.rec, st.Field)
			if !had {
				old = nil
			}
			SetFieldOf(&d.rec, st.Field, st.Value)
			d.effect(Effect{Kind: SetField, StepID: id, Field: st.Field, Old: old, New: st.Value})
			d.history(store.Event{Type: store.EventFieldUpdated, StepID: id, Field: st.Field, Old: old, New: st.Value})
			id = d.plan.Next(id)
		case sequence.SetStage:
			old := d.rec.Stage
			d.rec.Stage = st.Stage
			d.effect(Effect{Kind: SetStage, StepID: id, Old: old, New: st.Stage})
			d.history(store.Event{Type: store.EventStageSet, StepID: id, Old: old, New: st.Stage})
			id = d.plan.Next(id)
		case sequence.AdvanceTo:
			d.effect(Effect{Kind: Advance, StepID: id, Sequence: st.Sequence})
			d.history(store.Event{Type: store.EventAdvanced, StepID: id, Sequence: st.Sequence})
			d.end(store.ConnDisconnected, store.ReasonAdvanced, "")
			return
		default: // activity steps
			d.openTask(st, "")
			return
		}
	}
}

func (d *decision) openTask(st *sequence.Step, errText string) {
	c := d.conn()
	c.Task = store.Visit{Conn: c.ID, Step: st.ID, N: c.Visit}.TaskID()
	d.effect(Effect{Kind: CreateTask, StepID: st.ID, Visit: c.Visit, Step: st, Error: errText})
}

// end finishes the connection, cancelling its open task.
func (d *decision) end(state store.ConnState, reason, by string) {
	c := d.conn()
	if !c.Task.IsZero() {
		d.effect(Effect{Kind: CloseTask, StepID: c.Step, Visit: c.Visit, State: store.TaskCanceled})
		c.Task = store.ID{}
	}
	last := c.Step
	c.State, c.Reason, c.Step, c.WakeAt, c.Pause = state, reason, "", time.Time{}, store.Pause{}
	if state == store.ConnCompleted {
		d.history(store.Event{Type: store.EventCompleted, StepID: last})
	} else {
		d.history(store.Event{Type: store.EventDisconnected, StepID: last, Reason: reason, By: by})
	}
}

// pause stops the connection: its wake-up becomes the resume date (none without one), the
// time its wait or window had left is kept, and its task leaves the work lists.
func (d *decision) pause(in Input) {
	c := d.conn()
	p := store.Pause{At: d.env.Now, Until: in.At, Reason: in.Reason, By: in.By}
	if !c.WakeAt.IsZero() {
		p.Left = max(0, c.WakeAt.Sub(d.env.Now))
		if d.workingWait() {
			// Counted as the wait counts: nights, weekends and holidays are not time left.
			p.Left, p.Working = d.env.Calendar.WorkingBetween(d.env.Now, c.WakeAt), true
		}
	}
	c.Pause, c.WakeAt = p, p.Until
	if !c.Task.IsZero() {
		d.effect(Effect{Kind: PauseTask, StepID: c.Step, Visit: c.Visit})
	}
	d.history(store.Event{Type: store.EventPaused, StepID: c.Step, Reason: in.Reason, By: in.By, Until: in.At})
}

// resume starts a paused connection again (by is empty when its resume date came).
func (d *decision) resume(by string) {
	c := d.conn()
	left, working := c.Pause.Left, c.Pause.Working
	c.Pause, c.WakeAt = store.Pause{}, time.Time{}
	d.history(store.Event{Type: store.EventResumed, StepID: c.Step, By: by})
	if !c.Task.IsZero() {
		d.effect(Effect{Kind: ResumeTask, StepID: c.Step, Visit: c.Visit})
	}
	cur := d.current()
	if cur == nil {
		return
	}
	if cur.Type == sequence.Condition {
		// Events may have come in while it was paused.
		if next, decided := d.condition(cur); decided {
			d.enter(next)
			return
		}
	}
	switch {
	case working && cur.Type == sequence.Wait:
		c.WakeAt = d.env.Calendar.AddWorkingTime(d.env.Now, left)
	case left > 0 || cur.Type == sequence.Wait || cur.Type == sequence.Condition:
		c.WakeAt = d.env.Now.Add(left)
	}
}

// workingWait reports whether the current step is a wait that counts working time only.
func (d *decision) workingWait() bool {
	cur := d.current()
	return cur != nil && cur.Type == sequence.Wait && d.plan.Def.Options.SkipNonWorkingDays
}

// timer handles a wake-up of the current step.
func (d *decision) timer(cur *sequence.Step) {
	c := d.conn()
	if c.WakeAt.IsZero() || d.env.Now.Before(c.WakeAt) {
		d.ignore("not due yet")
		return
	}
	switch cur.Type {
	case sequence.Wait:
		c.WakeAt = time.Time{}
		d.leave(cur)
	case sequence.Condition:
		c.WakeAt = time.Time{}
		next, decided := d.condition(cur)
		if decided {
			d.enter(next)
		}
	default:
		d.ignore("the current step has no timer")
	}
}

// emailEvent records an event against the message of a step and, when the connection is
// waiting at a condition on it, decides the condition.
func (d *decision) emailEvent(in Input) {
	c := d.conn()
	signal := slices.Contains(Signals, in.Event)
	if !slices.Contains(sequence.EventKinds, in.Event) && !signal {
		d.ignore(fmt.Sprintf("unknown email event %q", in.Event))
		return
	}
	s, ok := c.Sent[in.StepID]
	if !ok && in.Event == EmailBounced && in.StepID == c.Step {
		if st := d.plan.Step(in.StepID); st != nil && isAutoMessage(st) {
			// The mail server refused the step's message while it was sent: the bounce is
			// part of the history (and the step's numbers) though nothing was sent.
			at := in.At
			if at.IsZero() {
				at = d.env.Now
			}
			d.history(store.Event{Type: store.EventEmail, StepID: in.StepID, Event: string(in.Event), At: at, Note: in.Note})
			return
		}
	}
	if !ok {
		// A seller's manual email can be opened or answered before the task is marked done:
		// the event is kept for the current step, and its window starts when the task is
		// done. A step not reached yet has sent nothing.
		st := d.plan.Step(in.StepID)
		if st == nil || in.StepID != c.Step || (st.Type != sequence.Email && st.Type != sequence.SMS) {
			d.ignore(fmt.Sprintf("step %q sent no message", in.StepID))
			return
		}
	}
	at := in.At
	if at.IsZero() {
		at = d.env.Now
	}
	since := s.At
	if !ok {
		since = c.EnteredAt // a manual message goes out after its step is entered
	}
	if why := EventTimeProblem(at, since, d.env.Now); why != "" {
		d.ignore(why)
		return
	}
	if _, seen := s.Events[string(in.Event)]; seen {
		d.ignore("event already recorded")
		return
	}
	s.Events = cloneTimes(s.Events)
	s.Events[string(in.Event)] = at
	d.sentMap()[in.StepID] = s
	d.history(store.Event{Type: store.EventEmail, StepID: in.StepID, Event: string(in.Event), At: at, Note: in.Note})
	if signal {
		return // no condition waits for it; what it ends, the engine ends with Disconnect
	}
	if in.Event == sequence.EmailReplied && d.plan.Def.Options.ExitOnReply {
		d.end(store.ConnDisconnected, store.ReasonReplied, "")
		return
	}
	if c.Paused() {
		return // recorded; a condition on it is decided when the connection resumes
	}
	cur := d.current()
	if cur == nil || cur.Type != sequence.Condition || !cur.If.IsEmailKind() {
		return
	}
	if src := d.plan.Source(cur.ID); src == nil || src.ID != in.StepID {
		return
	}
	next, decided := d.condition(cur)
	if decided {
		d.enter(next)
	}
}

// EventTimeProblem says why an email event can't have happened at at, or "" when it can:
// not before its message was sent (sent; zero when unknown) and not after now, each by more
// than the clock skew of limits.EventSkew (the clocks of mail relays and trackers differ a
// little from pacer's).
func EventTimeProblem(at, sent, now time.Time) string {
	switch {
	case !sent.IsZero() && at.Before(sent.Add(-limits.EventSkew)):
		return fmt.Sprintf("the event at %s is before its message was sent (%s)", at.UTC().Format(time.RFC3339), sent.UTC().Format(time.RFC3339))
	case at.After(now.Add(limits.EventSkew)):
		return fmt.Sprintf("the event at %s is in the future: it is %s now, and an event may be at most %s ahead", at.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339), limits.EventSkew)
	}
	return ""
}

// condition decides a condition step when it can; otherwise it schedules the wake-up that
// will (the end of an email window) and returns decided = false.
func (d *decision) condition(st *sequence.Step) (next string, decided bool) {
	yes, why, wait := d.evaluate(st)
	if !wait.IsZero() {
		d.conn().WakeAt = wait
		return "", false
	}
	branch := "no"
	if yes {
		branch = "yes"
	}
	d.history(store.Event{Type: store.EventCondition, StepID: st.ID, Branch: branch, Why: why})
	d.conn().WakeAt = time.Time{}
	return d.plan.branchStart(st, yes), true
}

// evaluate returns the branch of a condition and why; a non-zero wait means it can't be
// decided before then.
func (d *decision) evaluate(st *sequence.Step) (yes bool, why string, wait time.Time) {
	c := d.conn()
	switch st.If {
	case sequence.CallOutcome:
		src := d.plan.Source(st.ID)
		if src == nil {
			return false, "no call step before the condition", time.Time{}
		}
		if slices.Contains(c.Skipped, src.ID) {
			return false, fmt.Sprintf("the call %q was skipped", src.DisplayName()), time.Time{}
		}
		out := c.Outcomes[src.ID]
		if out == "" {
			return false, "the call was completed without an outcome", time.Time{}
		}
		if slices.Contains(st.Outcomes, out) {
			return true, fmt.Sprintf("call outcome %s is one of %s", out, strings.Join(st.Outcomes, ", ")), time.Time{}
		}
		return false, fmt.Sprintf("call outcome %s is not one of %s", out, strings.Join(st.Outcomes, ", ")), time.Time{}
	case sequence.FieldTest:
		ok, why := Test(st.Test, d.rec)
		return ok, why, time.Time{}
	case sequence.StageIs:
		if slices.Contains(st.Stages, d.rec.Stage) {
			return true, fmt.Sprintf("stage %q is one of %s", d.rec.Stage, strings.Join(st.Stages, ", ")), time.Time{}
		}
		return false, fmt.Sprintf("stage %q is not one of %s", d.rec.Stage, strings.Join(st.Stages, ", ")), time.Time{}
	}
	if !st.If.IsEmailKind() {
		return false, "unknown condition " + string(st.If), time.Time{}
	}
	src := d.plan.Source(st.ID)
	if src == nil {
		return false, "no email step before the condition", time.Time{}
	}
	if slices.Contains(c.Skipped, src.ID) {
		return false, fmt.Sprintf("the email %q was skipped", src.DisplayName()), time.Time{}
	}
	sent, ok := c.Sent[src.ID]
	if !ok {
		return false, "no email was sent", time.Time{}
	}
	end := sent.At.Add(st.Within)
	events, match := st.Events, st.Match
	if st.If != sequence.EmailEvents {
		events, match = []sequence.Kind{st.If}, sequence.MatchAll
	}
	var seen, missing []string
	for _, k := range events {
		at, ok := sent.Events[string(k)]
		if ok && !at.After(end) {
			seen = append(seen, string(k))
		} else {
			missing = append(missing, string(k))
		}
	}
	met := len(missing) == 0 || (match == sequence.MatchAny && len(seen) > 0)
	window := sequence.FormatDuration(st.Within)
	switch {
	case met && st.IsEarly():
		return true, fmt.Sprintf("%s within %s", strings.Join(seen, ", "), window), time.Time{}
	case d.env.Now.Before(end):
		return false, "", end
	case met:
		return true, fmt.Sprintf("%s within %s", strings.Join(seen, ", "), window), time.Time{}
	default:
		return false, fmt.Sprintf("no %s within %s", strings.Join(missing, ", "), window), time.Time{}
	}
}

func cloneConn(c store.Connection) store.Connection {
	if c.Outcomes != nil {
		m := make(map[string]string, len(c.Outcomes))
		for k, v := range c.Outcomes {
			m[k] = v
		}
		c.Outcomes = m
	}
	if c.Sent != nil {
		m := make(map[string]store.Sent, len(c.Sent))
		for k, v := range c.Sent {
			m[k] = v
		}
		c.Sent = m
	}
	c.Skipped = slices.Clone(c.Skipped)
	return c
}

func cloneTimes(m map[string]time.Time) map[string]time.Time {
	out := make(map[string]time.Time, len(m)+1)
	for k, v := range m {
		out[k] = v
	}
	return out
}
