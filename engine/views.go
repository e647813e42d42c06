package engine

import (
	"context"
	"time"

	"github.com/pacer-sales/pacer/engine/flow"
	"github.com/pacer-sales/pacer/engine/sequence"
	"github.com/pacer-sales/pacer/store"
)

// ConnView is one connection of a record with its history (the `record show` JSON shape).
type ConnView struct {
	ID          string     `json:"id"`
	Sequence    string     `json:"sequence"`
	Version     int        `json:"version"`
	State       string     `json:"state"`
	Reason      string     `json:"reason"`
	CurrentStep string     `json:"current_step"`
	StepName    string     `json:"step_name,omitempty"`
	StepType    string     `json:"step_type,omitempty"`
	Source      string     `json:"source,omitempty"`
	EnteredAt   time.Time  `json:"entered_at"`
	WakeAt      *time.Time `json:"wake_at,omitempty"`
	// Pause is set while the connection is paused.
	Pause   *store.Pause  `json:"pause,omitempty"`
	History []store.Event `json:"history"`
}

// RecordView is a record with its connections.
type RecordView struct {
	store.Record
	// EmailStatus is "undeliverable" (an email bounced for good) or "unsubscribed" when the
	// record's address gets no automated email, else empty.
	EmailStatus string     `json:"email_status,omitempty"`
	Connections []ConnView `json:"connections"`
}

// RecordDetail returns a record with every connection and its history. Any user may.
func (e *Engine) RecordDetail(ctx context.Context, by, ref string) (RecordView, error) {
	var v RecordView
	err := e.view(ctx, func(tx store.Tx) error {
		if _, err := actor(tx, by); err != nil {
			return err
		}
		rec, err := e.recordFor(tx, ref)
		if err != nil {
			return err
		}
		v.Record = rec
		switch why, err := suppressed(tx, rec.Email); {
		case err != nil:
			return err
		case why == store.ReasonBounced:
			v.EmailStatus = "undeliverable"
		case why != "":
			v.EmailStatus = why
		}
		conns, err := tx.ConnsByRecord(rec.Key)
		if err != nil {
			return err
		}
		o, err := loadOrg(tx)
		if err != nil {
			return err
		}
		v.Connections = []ConnView{}
		for _, c := range conns {
			cv, err := e.connView(tx, o, c)
			if err != nil {
				return err
			}
			if cv.History, err = tx.History(c.ID); err != nil {
				return err
			}
			v.Connections = append(v.Connections, cv)
		}
		return nil
	})
	return v, err
}

func (e *Engine) connView(tx store.Tx, o *org, c store.Connection) (ConnView, error) {
	cv := ConnView{
		ID: c.ID.String(), Sequence: o.seqName(tx, c.Sequence), Version: c.Version, State: string(c.State),
		Reason: c.Reason, CurrentStep: c.Step, Source: c.Source, EnteredAt: c.EnteredAt, History: []store.Event{},
	}
	if !c.WakeAt.IsZero() {
		w := c.WakeAt
		cv.WakeAt = &w
	}
	if c.Paused() {
		p := c.Pause
		cv.Pause = &p
	}
	if c.Step != "" {
		if pl, err := e.plans.get(tx, c.Sequence, c.Version); err == nil {
			if st := pl.Step(c.Step); st != nil {
				cv.StepName, cv.StepType = st.DisplayName(), string(st.Type)
			}
		}
	}
	return cv, nil
}

// ConnRow is one record connected to a sequence (the sequence page's Connected records).
type ConnRow struct {
	ConnView
	Record     string  `json:"record"`
	RecordName string  `json:"record_name"`
	DaysInStep float64 `json:"days_in_step"`
}

// StepStat counts what happened at one step of a sequence across its connections.
//
// Entered counts the visits to the step. Done counts the visits that went on to the next
// step or to the end by the step's own course — a task done, an email sent, a command run,
// a wait waited out, a condition decided; Skipped the visits ended by a skip (a task
// skipped or a wait skipped); Waiting the connections at the step now. The visits left
// otherwise (disconnected there) are in Entered only. Sent, Opened, Replied and Clicked are
// the email engagement the engine recorded for the step's messages.
type StepStat struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	Type    string `json:"type"`
	Entered int    `json:"entered"`
	Done    int    `json:"done"`
	Skipped int    `json:"skipped"`
	Waiting int    `json:"waiting"`
	Yes     int    `json:"yes,omitempty"`
	No      int    `json:"no,omitempty"`
	// Sent counts the emails handed to the mail server, those it refused (hard bounces at
	// sending) included.
	Sent    int `json:"sent,omitempty"`
	Opened  int `json:"opened,omitempty"`
	Replied int `json:"replied,omitempty"`
	Clicked int `json:"clicked,omitempty"`
	// Bounced, Unsubscribed and AutoReplied count those signals of the step's emails; Held
	// the emails held for placeholders without a value.
	Bounced      int `json:"bounced,omitempty"`
	Unsubscribed int `json:"unsubscribed,omitempty"`
	AutoReplied  int `json:"auto_replied,omitempty"`
	Held         int `json:"held,omitempty"`
	// Rates are the engagement counts as shares of Sent, for a step that sent email.
	Rates EmailRates `json:"rates,omitzero"`
}

// EmailRates are a step's engagement as shares (0–1) of the emails it sent. Opened is a
// soft signal: mail clients and scanners that fetch images inflate it (SeqStats.OpensNote).
type EmailRates struct {
	Opened       float64 `json:"opened"`
	Clicked      float64 `json:"clicked"`
	Replied      float64 `json:"replied"`
	Bounced      float64 `json:"bounced"`
	Unsubscribed float64 `json:"unsubscribed"`
}

// OpensNote is what the numbers say of opens.
const OpensNote = "opens are a soft signal: mail clients and scanners that load images inflate them"

// SeqStats are the sequence page's Stats: counts per state and per step, and the share of
// ended connections that completed.
type SeqStats struct {
	States      map[string]int `json:"states"`
	Steps       []StepStat     `json:"steps"`
	SuccessRate float64        `json:"success_rate"`
	// OpensNote says how far to trust the open counts.
	OpensNote string `json:"opens_note"`
}

// SequenceActivity returns the records connected to a sequence and its stats. Any user may.
func (e *Engine) SequenceActivity(ctx context.Context, by, name string) ([]ConnRow, SeqStats, error) {
	var rows []ConnRow
	st := SeqStats{States: map[string]int{}, OpensNote: OpensNote}
	err := e.view(ctx, func(tx store.Tx) error {
		if _, err := actor(tx, by); err != nil {
			return err
		}
		seq, err := findSequence(tx, name)
		if err != nil {
			return err
		}
		o, err := loadOrg(tx)
		if err != nil {
			return err
		}
		now := e.clock.Now()
		byStep := map[string]*StepStat{}
		var order []string
		stat := func(id string) *StepStat {
			s := byStep[id]
			if s == nil {
				s = &StepStat{ID: id}
				byStep[id] = s
				order = append(order, id)
			}
			return s
		}
		if seq.Version > 0 {
			pl, err := e.plans.get(tx, seq.ID, seq.Version)
			if err != nil {
				return err
			}
			pl.Def.Walk(func(_ string, s *sequence.Step) bool {
				x := stat(s.ID)
				x.Name, x.Type = s.DisplayName(), string(s.Type)
				return true
			})
		}
		var inner error
		err = tx.ConnsBySequence(seq.ID, func(c store.Connection) bool {
			st.States[string(c.State)]++
			cv, err := e.connView(tx, o, c)
			if err != nil {
				inner = err
				return false
			}
			rec, err := tx.RecordByKey(c.Record)
			if err != nil {
				inner = err
				return false
			}
			row := ConnRow{ConnView: cv, Record: rec.Ref(), RecordName: rec.Name}
			if c.State == store.ConnActive {
				row.DaysInStep = now.Sub(c.EnteredAt).Hours() / 24
				stat(c.Step).Waiting++
			}
			rows = append(rows, row)
			hist, err := tx.History(c.ID)
			if err != nil {
				inner = err
				return false
			}
			countVisits(hist, stat)
			return true
		})
		if err == nil {
			err = inner
		}
		for _, id := range order {
			x := byStep[id]
			if x.Sent > 0 {
				n := float64(x.Sent)
				x.Rates = EmailRates{Opened: float64(x.Opened) / n, Clicked: float64(x.Clicked) / n,
					Replied: float64(x.Replied) / n, Bounced: float64(x.Bounced) / n, Unsubscribed: float64(x.Unsubscribed) / n}
			}
			st.Steps = append(st.Steps, *x)
		}
		return err
	})
	if ended := st.States["completed"] + st.States["disconnected"]; ended > 0 {
		st.SuccessRate = float64(st.States["completed"]) / float64(ended)
	}
	if rows == nil {
		rows = []ConnRow{}
	}
	return rows, st, err
}

// OutboxRow is one message of the outbox (the `pacer outbox` JSON shape).
type OutboxRow struct {
	ID        string    `json:"id"`
	To        string    `json:"to"`
	From      string    `json:"from,omitempty"`
	Subject   string    `json:"subject"`
	State     string    `json:"state"`
	Sequence  string    `json:"sequence"`
	Record    string    `json:"record"`
	MessageID string    `json:"message_id"`
	Channel   string    `json:"channel"`
	Tries     int       `json:"tries"`
	LastError string    `json:"last_error,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	SentAt    time.Time `json:"sent_at,omitzero"`
	// NextTry is when a queued message goes out (or is tried again); Held says why a
	// queued message waits past now (its send window, its mailbox's limits, a pause).
	NextTry time.Time `json:"next_try,omitzero"`
	Held    string    `json:"held,omitempty"`
	// HeldFor is what holds it, one of the Hold constants ("" for a retry's wait).
	HeldFor string `json:"held_for,omitempty"`
	Body    string `json:"body"`
}

// Outbox lists the messages pacer has queued, sent or kept, oldest first. Managers and
// admins see all; sellers those to records they own.
func (e *Engine) Outbox(ctx context.Context, by string) ([]OutboxRow, error) {
	rows := []OutboxRow{}
	err := e.view(ctx, func(tx store.Tx) error {
		u, err := actor(tx, by)
		if err != nil {
			return err
		}
		o, err := loadOrg(tx)
		if err != nil {
			return err
		}
		var inner error
		now := e.clock.Now()
		err = tx.Messages(func(m store.Message) bool {
			rec, err := tx.RecordByKey(m.Record)
			if err != nil {
				inner = err
				return false
			}
			if !isManager(u) && !ownsRecord(tx, u, rec) {
				return true
			}
			row := OutboxRow{
				ID: m.ID.String(), To: m.To, From: m.From, Subject: m.Subject, State: string(m.State),
				Sequence: o.seqName(tx, m.Sequence), Record: rec.Ref(), MessageID: m.MessageID, Channel: m.Channel,
				Tries: m.Tries, LastError: m.LastError, CreatedAt: m.CreatedAt, SentAt: m.SentAt, Body: m.Body,
			}
			if m.State == store.MsgQueued {
				row.NextTry = m.NextTry
				if m.NextTry.After(now) {
					if row.Held, row.HeldFor, err = heldWhy(tx, m); err != nil {
						inner = err
						return false
					}
				}
			}
			rows = append(rows, row)
			return true
		})
		if err == nil {
			err = inner
		}
		return err
	})
	return rows, err
}

// countVisits adds one connection's history to the step counts (see StepStat): each visit
// of a step ends as done when the next step is entered or the connection completes, as
// skipped when a skip ended it, and is not counted as either when the connection was
// disconnected there.
func countVisits(hist []store.Event, stat func(id string) *StepStat) {
	cur, skipped := "", false
	// sent are the steps whose email went out: a bounce of a step without one is a
	// refusal by the mail server, counted as sent too (it was handed over), so that the
	// bounce rate is of every email tried.
	sent := map[string]bool{}
	leave := func() {
		if cur == "" {
			return
		}
		if skipped {
			stat(cur).Skipped++
		} else {
			stat(cur).Done++
		}
		cur, skipped = "", false
	}
	for _, h := range hist {
		switch h.Type {
		case store.EventStepEntered:
			leave()
			cur = h.StepID
			stat(h.StepID).Entered++
		case store.EventTaskSkipped, store.EventWaitSkipped:
			if h.StepID == cur {
				skipped = true
			}
		case store.EventCompleted:
			leave()
		case store.EventDisconnected:
			cur, skipped = "", false
		case store.EventCondition:
			if h.Branch == "yes" {
				stat(h.StepID).Yes++
			} else {
				stat(h.StepID).No++
			}
		case store.EventEmailSent:
			stat(h.StepID).Sent++
			sent[h.StepID] = true
		case store.EventEmail:
			switch sequence.Kind(h.Event) {
			case sequence.EmailOpened:
				stat(h.StepID).Opened++
			case sequence.EmailReplied:
				stat(h.StepID).Replied++
			case sequence.LinkClicked:
				stat(h.StepID).Clicked++
			case flow.EmailBounced:
				stat(h.StepID).Bounced++
				if !sent[h.StepID] {
					stat(h.StepID).Sent++
					sent[h.StepID] = true
				}
			case flow.Unsubscribed:
				stat(h.StepID).Unsubscribed++
			case flow.AutoReply:
				stat(h.StepID).AutoReplied++
			}
		case store.EventEmailHeld:
			stat(h.StepID).Held++
		}
	}
}

// heldWhy says why a queued message waits: its connection's pause, else the last hold of its
// step in the history (send window, sending limits), else a retry after an error.
func heldWhy(tx store.Tx, m store.Message) (why, hold string, err error) {
	c, err := tx.Conn(m.Conn)
	if err != nil {
		return "", "", nil
	}
	if c.Paused() {
		return "its connection is paused", HoldPaused, nil
	}
	hist, err := tx.History(m.Conn)
	if err != nil {
		return "", "", err
	}
	for i := len(hist) - 1; i >= 0; i-- {
		if h := hist[i]; h.Type == store.EventMessageHeld && h.StepID == m.StepID {
			if !h.Until.Equal(m.NextTry) {
				break // held before, waiting now for another try
			}
			hold = h.Reason
			if hold == "" {
				hold = HoldOther
			}
			return h.Why, hold, nil
		}
	}
	if m.LastError != "" {
		return "tried again after: " + m.LastError, "", nil
	}
	return "", "", nil
}
