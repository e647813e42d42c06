package engine

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/pacer-sales/pacer/engine/flow"
	"github.com/pacer-sales/pacer/engine/mail"
	"github.com/pacer-sales/pacer/engine/sequence"
	"github.com/pacer-sales/pacer/store"
)

// aheadMax bounds how many upcoming steps Up next lists per connection.
const aheadMax = 20

// UpStep is one step of a sequence as the seller console's Up next shows it.
type UpStep struct {
	ID   string `json:"id"`
	Type string `json:"type"`
	Name string `json:"name"`
	// Detail says a little more: a wait's duration, what a condition tests, an email's
	// template.
	Detail string `json:"detail,omitempty"`
}

// CurrentStep is the step a connection is at now.
type CurrentStep struct {
	UpStep
	// EnteredAt is when the connection entered the step.
	EnteredAt time.Time `json:"entered_at"`
	// TaskID, DueAt and Assignees describe the step's open task, if it has one.
	TaskID    string    `json:"task_id,omitempty"`
	DueAt     time.Time `json:"due_at,omitzero"`
	Assignees []string  `json:"assignees,omitempty"`
	// WakeAt is when the step ends by itself: a wait's end, an email condition's window.
	WakeAt time.Time `json:"wake_at,omitzero"`
	// Waiting is true at a wait step, which a seller may skip.
	Waiting bool `json:"waiting,omitempty"`
	// NeedsOutcome is true at a call that a call-outcome condition tests: it can't be done
	// without an outcome.
	NeedsOutcome bool `json:"needs_outcome,omitempty"`
}

// PastStep is a step the connection has been through, from its history.
type PastStep struct {
	UpStep
	At time.Time `json:"at"`
	// What happened: done, skipped, sent, yes, no, wait_skipped, field_updated, stage_set.
	What    string `json:"what"`
	Outcome string `json:"outcome,omitempty"`
	Note    string `json:"note,omitempty"`
	By      string `json:"by,omitempty"`
	// Why is the reason a condition took its branch.
	Why string `json:"why,omitempty"`
}

// UpNext is one active connection of a record as the seller console's right-hand panel
// shows it: where it is, what comes next as the path stands, and what it went through.
type UpNext struct {
	ConnID   string `json:"conn_id"`
	Sequence string `json:"sequence"`
	Version  int    `json:"version"`
	// Current is the step the connection is at.
	Current CurrentStep `json:"current"`
	// Ahead are the steps after it, up to and including the next condition (whose branch
	// is not known yet).
	Ahead []UpStep `json:"ahead"`
	// Past are the completed and skipped steps, oldest first.
	Past []PastStep `json:"past"`
	// Record is the record with its fields, as it is now.
	Record Record `json:"record"`
}

// upStep describes a step of a plan.
func upStep(st *sequence.Step) UpStep {
	u := UpStep{ID: st.ID, Type: string(st.Type), Name: st.DisplayName()}
	switch st.Type {
	case sequence.Wait:
		u.Detail = sequence.FormatDuration(st.Duration)
	case sequence.Condition:
		u.Detail = conditionDetail(st)
	case sequence.Email, sequence.AutoEmail, sequence.SMS, sequence.AutoSMS:
		if st.Template != "" {
			u.Detail = "template " + st.Template
		}
	case sequence.UpdateField:
		u.Detail = fmt.Sprintf("%s = %v", st.Field, st.Value)
	case sequence.SetStage:
		u.Detail = "stage " + st.Stage
	case sequence.AdvanceTo:
		u.Detail = "to " + st.Sequence
	}
	return u
}

// conditionDetail is a short sentence of what a condition tests.
func conditionDetail(st *sequence.Step) string {
	switch st.If {
	case sequence.CallOutcome:
		return "call outcome is " + strings.Join(st.Outcomes, " or ")
	case sequence.StageIs:
		return "stage is " + strings.Join(st.Stages, " or ")
	case sequence.FieldTest:
		return "field test"
	case sequence.EmailEvents:
		ks := make([]string, len(st.Events))
		for i, k := range st.Events {
			ks[i] = strings.ReplaceAll(string(k), "_", " ")
		}
		return fmt.Sprintf("%s of %s within %s", st.Match, strings.Join(ks, ", "), sequence.FormatDuration(st.Within))
	}
	return fmt.Sprintf("%s within %s", strings.ReplaceAll(string(st.If), "_", " "), sequence.FormatDuration(st.Within))
}

// pastKinds maps the history entries Up next lists to what they say happened.
var pastKinds = map[string]string{
	store.EventTaskDone:     "done",
	store.EventTaskSkipped:  "skipped",
	store.EventEmailSent:    "sent",
	store.EventWaitSkipped:  "wait_skipped",
	store.EventFieldUpdated: "field_updated",
	store.EventStageSet:     "stage_set",
}

// mayWorkRecord reports whether u may see the tasks of a record: managers and admins, the
// record's owners, and the assignees of an open task of one of its connections.
func mayWorkRecord(tx store.Tx, u store.User, rec store.Record, conns []store.Connection) (bool, error) {
	if isManager(u) || ownsRecord(tx, u, rec) {
		return true, nil
	}
	for _, c := range conns {
		if c.State != store.ConnActive || c.Task.IsZero() {
			continue
		}
		t, err := tx.Task(c.Task)
		if errors.Is(err, store.ErrNotFound) {
			continue
		} else if err != nil {
			return false, err
		}
		if slices.Contains(t.Assignees, u.Username) {
			return true, nil
		}
	}
	return false, nil
}

// UpNext returns, for each active connection of a record ("entity/id"), the step it is at,
// the steps ahead as the path stands, the completed and skipped steps with their times, and
// the record itself. Managers and admins may, and sellers who own the record or have one of
// its tasks.
func (e *Engine) UpNext(ctx context.Context, by, ref string) ([]UpNext, error) {
	out := []UpNext{}
	err := e.view(ctx, func(tx store.Tx) error {
		u, err := actor(tx, by)
		if err != nil {
			return err
		}
		rec, err := e.recordFor(tx, ref)
		if err != nil {
			return err
		}
		conns, err := tx.ConnsByRecord(rec.Key)
		if err != nil {
			return err
		}
		if ok, err := mayWorkRecord(tx, u, rec, conns); err != nil {
			return err
		} else if !ok {
			return forbidden("%s can't see the tasks of %s", u.Username, ref)
		}
		o, err := loadOrg(tx)
		if err != nil {
			return err
		}
		for _, c := range conns {
			if c.State != store.ConnActive {
				continue
			}
			un, err := e.upNext(tx, o, c)
			if err != nil {
				return err
			}
			un.Record = rec
			out = append(out, un)
		}
		return nil
	})
	return out, err
}

func (e *Engine) upNext(tx store.Tx, o *org, c store.Connection) (UpNext, error) {
	un := UpNext{ConnID: c.ID.String(), Sequence: o.seqName(tx, c.Sequence), Version: c.Version, Ahead: []UpStep{}, Past: []PastStep{}}
	pl, err := e.plans.get(tx, c.Sequence, c.Version)
	if err != nil {
		return un, err
	}
	describe := func(id string) UpStep {
		if st := pl.Step(id); st != nil {
			return upStep(st)
		}
		return UpStep{ID: id, Name: id}
	}
	cur := CurrentStep{UpStep: describe(c.Step), EnteredAt: c.EnteredAt, WakeAt: c.WakeAt}
	cur.Waiting = cur.Type == string(sequence.Wait)
	cur.NeedsOutcome = pl.NeedsOutcome(c.Step)
	if !c.Task.IsZero() {
		t, err := tx.Task(c.Task)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return un, err
		}
		if err == nil && t.State == store.TaskOpen {
			cur.TaskID, cur.DueAt, cur.Assignees = t.ID.String(), t.DueAt, t.Assignees
		}
	}
	un.Current = cur
	for _, st := range pl.Ahead(c.Step, aheadMax) {
		un.Ahead = append(un.Ahead, upStep(st))
	}
	hist, err := tx.History(c.ID)
	if err != nil {
		return un, err
	}
	for _, h := range hist {
		what, ok := pastKinds[h.Type]
		if h.Type == store.EventCondition {
			what, ok = h.Branch, true
		}
		if !ok {
			continue
		}
		un.Past = append(un.Past, PastStep{UpStep: describe(h.StepID), At: h.At, What: what, Outcome: h.Outcome, Note: h.Note, By: h.By, Why: h.Why})
	}
	return un, nil
}

// Draft is an email a seller is about to send for an email task.
type Draft struct {
	To      string `json:"to"`
	From    string `json:"from"`
	Subject string `json:"subject"`
	Body    string `json:"body"`
	// Template is the step's template, "" when it has none.
	Template string `json:"template,omitempty"`
	// Warning says why the template could not be filled in; the seller writes the email.
	Warning string `json:"warning,omitempty"`
}

// emailTask finds an open email task the user may act on, with its record.
func emailTask(tx store.Tx, u store.User, id string) (store.Task, store.Record, error) {
	t, err := findTask(tx, u, id)
	if err != nil {
		return t, store.Record{}, err
	}
	if t.Type != string(sequence.Email) {
		return t, store.Record{}, invalid("task %s is a %s step, not an email", id, t.Type)
	}
	rec, err := tx.RecordByKey(t.Record)
	if err != nil {
		return t, rec, fmt.Errorf("record of task %s: %w", id, err)
	}
	return t, rec, nil
}

// senderOf is the From address of an email a user sends: theirs, else the org's.
func senderOf(u store.User, s store.Settings) string {
	switch {
	case u.From != "":
		return u.From
	case u.Email != "":
		return u.Email
	}
	return s.FromAddress
}

// ComposeEmail fills in an open email task's template for its record: To is the record's
// email, From the acting user's address, and {{owner.name}} the record's owner (the acting
// user when they are one of an owning team). Subject and body are empty when the step has
// no template. The user must be allowed to act on the task (as ActOnTask).
func (e *Engine) ComposeEmail(ctx context.Context, by, taskID string) (Draft, error) {
	var d Draft
	err := e.view(ctx, func(tx store.Tx) error {
		u, err := actor(tx, by)
		if err != nil {
			return err
		}
		t, rec, err := emailTask(tx, u, taskID)
		if err != nil {
			return err
		}
		s, err := tx.Settings()
		if err != nil {
			return err
		}
		d = Draft{To: rec.Email, From: senderOf(u, s), Template: t.Template}
		var warnings []string
		defer func() { // the address's warning comes first
			if len(warnings) > 0 {
				if d.Warning != "" {
					warnings = append(warnings, d.Warning)
				}
				d.Warning = strings.Join(warnings, "; ")
			}
		}()
		switch why, err := suppressed(tx, rec.Email); {
		case err != nil:
			return err
		case why == store.ReasonUnsubscribed:
			warnings = append(warnings, rec.Email+" unsubscribed from automated emails: write only if they asked you to")
		case why == store.ReasonBounced:
			warnings = append(warnings, rec.Email+" is undeliverable (an email to it bounced)")
		}
		if t.Template == "" {
			return nil
		}
		tmpl, err := tx.Template(t.Template)
		if errors.Is(err, store.ErrNotFound) {
			d.Warning = fmt.Sprintf("template %q is missing; write the email yourself", t.Template)
			return nil
		} else if err != nil {
			return err
		}
		owner := ownerFor(tx, rec, u.Username)
		c, err := mail.Compile(tmpl)
		if err != nil {
			d.Subject, d.Body, d.Warning = tmpl.Subject, tmpl.Body, err.Error()
			return nil
		}
		r := c.Fill(rec, owner)
		d.Subject, d.Body = r.Subject, r.Body
		if len(r.Missing) > 0 {
			d.Warning = fmt.Sprintf("%s has no value for %s: fill it in before sending", rec.Ref(), strings.Join(r.Missing, ", "))
		}
		return nil
	})
	return d, err
}

// SendEmail sends the email of an open email task and marks the task done. With an SMTP
// transport configured (settings smtp_url) the email goes out now, outside any transaction,
// and is recorded in the outbox as sent; with none, it is kept in the local outbox and the
// task is marked as sent. sent reports which. A failing send returns its error and leaves
// the task open. Empty To and From take the draft's defaults (see ComposeEmail). The user
// must be allowed to act on the task (as ActOnTask).
func (e *Engine) SendEmail(ctx context.Context, by, taskID string, d Draft) (sent bool, err error) {
	var (
		t        store.Task
		settings store.Settings
		msg      store.Message
	)
	err = e.view(ctx, func(tx store.Tx) error {
		u, err := actor(tx, by)
		if err != nil {
			return err
		}
		var rec store.Record
		if t, rec, err = emailTask(tx, u, taskID); err != nil {
			return err
		}
		if settings, err = tx.Settings(); err != nil {
			return err
		}
		to, from := strings.TrimSpace(d.To), strings.TrimSpace(d.From)
		if to == "" {
			to = rec.Email
		}
		if from == "" {
			from = senderOf(u, settings)
		}
		if to == "" {
			return invalid("%s has no email address: give one to send to", rec.Ref())
		}
		if from == "" && settings.SMTPURL != "" {
			return invalid("no sender address: set an email for %s or the org's from address", u.Username)
		}
		// The message of a task is named from its step visit, as the task is: sending it
		// again carries the same Message-ID.
		key := store.Visit{Conn: t.Conn, Step: t.StepID, N: t.Visit}.Key()
		msg = store.Message{
			Conn: t.Conn, Record: t.Record, Sequence: t.Sequence, StepID: t.StepID, Visit: t.Visit,
			Key: key, MessageID: mail.MessageID(key, ""), Channel: "email",
			From: from, To: to, Subject: d.Subject, Body: d.Body, Tries: 1,
		}
		return nil
	})
	if err != nil {
		return false, err
	}
	sent = settings.SMTPURL != ""
	if sent {
		tr, err := e.transportFor(settings.SMTPURL)
		if err != nil {
			return false, err
		}
		em := mail.Email{MessageID: msg.MessageID, From: msg.From, To: msg.To, Subject: msg.Subject, Body: msg.Body, Date: e.clock.Now()}
		if em.DKIM, err = e.dkim(settings); err != nil {
			return false, fmt.Errorf("the email to %s was not sent; the task stays open: %w", msg.To, err)
		}
		if err := tr.Send(ctx, em); err != nil {
			return false, fmt.Errorf("the email to %s was not sent; the task stays open: %w", msg.To, err)
		}
	}
	err = e.update(ctx, func(tx store.Tx) error {
		u, err := actor(tx, by)
		if err != nil {
			return err
		}
		cur, err := findTask(tx, u, t.ID.String())
		if err == nil && cur.Visit != t.Visit {
			err = invalid("task %s changed", taskID)
		}
		if err != nil {
			if sent {
				return fmt.Errorf("the email to %s was sent, but the task can't be marked done: %w", msg.To, err)
			}
			return err
		}
		c, err := tx.Conn(t.Conn)
		if err != nil {
			return fmt.Errorf("connection of task %s: %w", taskID, err)
		}
		if c.State != store.ConnActive || c.Task != t.ID {
			return invalid("task %s is no longer the step its record is at", taskID)
		}
		now := e.clock.Now()
		msg.ID, msg.CreatedAt, msg.SentAt, msg.State = store.NewID(now), now, now, store.MsgKept
		note := "marked as sent"
		if sent {
			msg.State, note = store.MsgSent, "sent"
		}
		if err := tx.PutMessage(msg); err != nil {
			return err
		}
		o, err := loadOrg(tx)
		if err != nil {
			return err
		}
		res, err := e.step(tx, o, c, flow.Input{Kind: flow.ManualSent, Visit: t.Visit, Message: msg.ID, At: now, Note: note, By: u.Username}, now)
		if err != nil {
			return err
		}
		if res.Ignored != "" {
			return invalid("task %s: %s", taskID, res.Ignored)
		}
		return nil
	})
	if err != nil {
		return false, err
	}
	return sent, nil
}
