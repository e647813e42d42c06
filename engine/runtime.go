package engine

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/pacer-sales/pacer/engine/flow"
	"github.com/pacer-sales/pacer/engine/mail"
	"github.com/pacer-sales/pacer/engine/sequence"
	"github.com/pacer-sales/pacer/store"
)

// plans caches walkable plans of published versions; versions never change, so entries never
// go stale.
type plans struct {
	mu sync.Mutex
	m  map[planKey]*flow.Plan
}

type planKey struct {
	seq store.ID
	n   int
}

func (p *plans) get(tx store.Tx, seq store.ID, n int) (*flow.Plan, error) {
	k := planKey{seq, n}
	p.mu.Lock()
	pl := p.m[k]
	p.mu.Unlock()
	if pl != nil {
		return pl, nil
	}
	v, err := tx.Version(seq, n)
	if err != nil {
		return nil, fmt.Errorf("version %d of sequence %s: %w", n, seq, err)
	}
	def, err := sequence.Parse(v.Definition, "version "+strconv.Itoa(n))
	if err != nil {
		return nil, err
	}
	pl = flow.NewPlan(def)
	p.mu.Lock()
	if p.m == nil {
		p.m = map[planKey]*flow.Plan{}
	}
	p.m[k] = pl
	p.mu.Unlock()
	return pl, nil
}

// org is what the runtime reads of the org once per transaction.
type org struct {
	settings store.Settings
	calendar flow.Calendar
	// names caches sequence names by id for task and message rows.
	names map[store.ID]string
	// users, teams and templates cache what steps read of them at every entry; the runtime
	// never changes them, so they hold for the transaction.
	users     map[string]store.User
	teams     map[string]store.Team
	templates map[string]store.Template
	// compiled caches the templates read for rendering, by name, for the transaction.
	compiled map[string]*mail.Compiled
	// rtx is the transaction with those reads cached (see reads).
	rtx *orgTx
	// hist is stepRecord's buffer of history, decided the buffer its decisions write their
	// history to, and depth how deep steps are nested.
	hist, decided []store.Event
	depth         int
	// userList is every user, read once when the sending limits need it.
	userList  []store.User
	usersRead bool
}

// allUsers returns every user of the org, read once per transaction.
func (o *org) allUsers(tx store.Tx) ([]store.User, error) {
	if !o.usersRead {
		us, err := tx.Users()
		if err != nil {
			return nil, err
		}
		o.userList, o.usersRead = us, true
	}
	return o.userList, nil
}

func loadOrg(tx store.Tx) (*org, error) {
	s, err := tx.Settings()
	if err != nil {
		return nil, err
	}
	return &org{
		settings: s, calendar: flow.NewCalendar(s), names: map[store.ID]string{},
		users: map[string]store.User{}, teams: map[string]store.Team{}, templates: map[string]store.Template{},
	}, nil
}

// compile returns tp compiled for rendering, once per template name in the transaction
// (the runtime never changes templates).
func (o *org) compile(tp store.Template) (*mail.Compiled, error) {
	if c, ok := o.compiled[tp.Name]; ok {
		return c, nil
	}
	c, err := mail.Compile(tp)
	if err != nil {
		return nil, err
	}
	if o.compiled == nil {
		o.compiled = map[string]*mail.Compiled{}
	}
	o.compiled[tp.Name] = c
	return c, nil
}

func (o *org) seqName(tx store.Tx, id store.ID) string {
	if n, ok := o.names[id]; ok {
		return n
	}
	s, err := tx.Sequence(id)
	if err != nil {
		return "(deleted sequence)"
	}
	o.names[id] = s.Name
	return s.Name
}

// reads returns tx with the org's reads of users, teams and templates served from the
// org's caches, for the runtime's own use inside one transaction.
func (o *org) reads(tx store.Tx) store.Tx {
	if r, ok := tx.(*orgTx); ok && r.o == o {
		return r
	}
	if o.rtx == nil || o.rtx.Tx != tx {
		o.rtx = &orgTx{Tx: tx, o: o}
	}
	return o.rtx
}

// orgTx is a transaction whose reads of users, teams and templates go through the org's
// caches. Values are shared between callers: they are only read.
type orgTx struct {
	store.Tx
	o *org
}

func (t *orgTx) User(name string) (store.User, error) {
	if u, ok := t.o.users[name]; ok {
		return u, nil
	}
	u, err := t.Tx.User(name)
	if err == nil {
		t.o.users[name] = u
	}
	return u, err
}

func (t *orgTx) Team(name string) (store.Team, error) {
	if tm, ok := t.o.teams[name]; ok {
		return tm, nil
	}
	tm, err := t.Tx.Team(name)
	if err == nil {
		t.o.teams[name] = tm
	}
	return tm, err
}

func (t *orgTx) Template(name string) (store.Template, error) {
	if tm, ok := t.o.templates[name]; ok {
		return tm, nil
	}
	tm, err := t.Tx.Template(name)
	if err == nil {
		t.o.templates[name] = tm
	}
	return tm, err
}

// step applies one input to a connection inside tx as of now: decides, applies the
// effects, stores the connection and its history. Inputs that follow from the effects at
// once (a message kept in the local outbox counts as sent) are applied in the same
// transaction. Timers pass their due time as now, so catching up after a stop replays each
// one as of when it came due.
func (e *Engine) step(tx store.Tx, o *org, c store.Connection, in flow.Input, now time.Time) (flow.Result, error) {
	return e.stepRecord(tx, o, c, nil, in, now)
}

// stepRecord is step for a caller that has just read the connection's record (nil: read
// it). The History of the result is only good until the next step in the transaction.
//
// A connection whose timer is due by now takes that timer first, as of its due time, as a
// tick would have: an input that comes after the end of a wait or of a condition's window,
// before the engine ran, finds the connection where it would be had the engine run on time.
func (e *Engine) stepRecord(tx store.Tx, o *org, c store.Connection, known *store.Record, in flow.Input, now time.Time) (flow.Result, error) {
	if in.Kind != flow.Timer && in.Kind != flow.Connect && c.State == store.ConnActive && !c.WakeAt.IsZero() && !c.WakeAt.After(now) {
		res, err := e.stepOne(tx, o, c, known, flow.Input{Kind: flow.Timer, Visit: c.Visit}, c.WakeAt)
		if err != nil {
			return res, err
		}
		if res.Ignored == "" {
			c, known = res.Conn, nil // the timer's steps may have changed the record
		}
	}
	// Several nodes' clocks (or a pinned clock set back) may read earlier than the
	// connection's last change: the input is applied as of that change, so the history stays
	// in time order.
	if c.UpdatedAt.After(now) {
		now = c.UpdatedAt
	}
	return e.stepOne(tx, o, c, known, in, now)
}

// stepOne applies one input (and the inputs that follow from its effects at once).
func (e *Engine) stepOne(tx store.Tx, o *org, c store.Connection, known *store.Record, in flow.Input, now time.Time) (flow.Result, error) {
	tx = o.reads(tx)
	// The connection and its new history are written once, when the inputs that follow
	// from one another are all applied: the last state is the one that counts.
	var pend struct {
		conn     store.Connection
		hist     []store.Event
		stored   bool // the connection is written already
		buffered bool // hist is in buf, the org's buffer when this is the outermost step
		ok       bool
	}
	// The history of several inputs collects in the org's buffer; a step nested in this
	// one (handing a record over to another sequence) uses its own.
	o.depth++
	defer func() { o.depth-- }()
	var buf []store.Event
	if o.depth == 1 {
		buf = o.hist[:0]
	}
	flush := func() error {
		if !pend.ok {
			return nil
		}
		if !pend.stored {
			if err := tx.PutConn(pend.conn); err != nil {
				return err
			}
		}
		err := tx.AppendHistory(pend.conn.ID, pend.hist...)
		if pend.buffered && o.depth == 1 {
			clear(pend.hist)
			o.hist = pend.hist[:0]
		}
		return err
	}
	var rec store.Record
	fresh := known != nil && known.Key == c.Record // rec holds the connection's record
	if fresh {
		rec = *known
	}
	for {
		if !fresh {
			var err error
			if rec, err = tx.RecordByKey(c.Record); err != nil {
				return flow.Result{}, fmt.Errorf("record of connection %s: %w", c.ID, err)
			}
		}
		fresh = false
		plan, err := e.plans.get(tx, c.Sequence, c.Version)
		var unreadable sequence.FileErrors
		if err != nil && in.Kind == flow.Disconnect && errors.As(err, &unreadable) {
			// Ending a connection needs nothing of its steps: one whose version can't be read
			// can still be disconnected (or its sequence deleted).
			plan, err = flow.NewPlan(&sequence.Sequence{}), nil
		}
		if err != nil {
			return flow.Result{}, err
		}
		env := flow.Env{Now: now, Record: rec, Calendar: o.calendar, CallOutcomes: o.settings.CallOutcomes}
		if o.depth == 1 {
			// The history is written (or copied to buf) before the next decision.
			env.History = o.decided
		}
		res := flow.Decide(c, plan, in, env)
		if o.depth == 1 && cap(res.History) > cap(o.decided) {
			o.decided = res.History[:0]
		}
		if res.Ignored != "" {
			return res, flush()
		}
		conn := res.Conn
		conn.UpdatedAt = now
		hist := res.History
		var follow *flow.Input
		var advance *flow.Effect
		recChanged := false
		for _, ef := range res.Effects {
			switch ef.Kind {
			case flow.CreateTask:
				h, err := e.createTask(tx, o, &conn, plan, rec, ef, now)
				if err != nil {
					return res, err
				}
				hist = append(hist, h...)
			case flow.CloseTask:
				id := store.Visit{Conn: conn.ID, Step: ef.StepID, N: ef.Visit}.TaskID()
				t, err := tx.Task(id)
				if errors.Is(err, store.ErrNotFound) {
					continue
				} else if err != nil {
					return res, err
				}
				t.State, t.ClosedAt, t.ClosedBy = ef.State, now, in.By
				if ef.State == store.TaskDone {
					t.Outcome, t.Note = in.Outcome, in.Note
				}
				if err := tx.PutTask(t); err != nil {
					return res, err
				}
			case flow.PauseTask, flow.ResumeTask:
				if err := e.pauseTask(tx, o, conn, ef, now); err != nil {
					return res, err
				}
			case flow.QueueMessage:
				kept, h, err := e.queueMessage(tx, o, conn, plan, rec, ef, now)
				if err != nil {
					return res, err
				}
				hist = append(hist, h...)
				if kept != nil {
					follow = kept
				}
			case flow.SetField:
				flow.SetFieldOf(&rec, ef.Field, ef.New)
				recChanged = true
			case flow.SetStage:
				rec.Stage, _ = ef.New.(string)
				recChanged = true
			case flow.Advance:
				advance = &ef
			}
		}
		if recChanged {
			rec.ModifiedAt = now
			if rec, err = tx.PutRecord(rec); err != nil {
				return res, err
			}
		}
		if advance != nil {
			// The record is handed over after this connection is stored, so the target
			// sees it ended.
			if err := tx.PutConn(conn); err != nil {
				return res, err
			}
			why, err := e.advance(tx, o, conn, rec, advance.Sequence, now)
			if err != nil {
				return res, err
			}
			if why != "" {
				conn.Reason = store.ReasonAdvanceFailed
				for i := range hist {
					if hist[i].Type == store.EventDisconnected {
						hist[i].Reason, hist[i].Note = store.ReasonAdvanceFailed, why
					}
				}
				if err := tx.PutConn(conn); err != nil {
					return res, err
				}
				if err := e.tellOwner(tx, o, conn, rec, advance.StepID, "Advance to "+advance.Sequence+" failed", why, now); err != nil {
					return res, err
				}
			}
		}
		switch {
		case pend.hist == nil && follow == nil:
			pend.hist = hist // one input: its history as it is
		case pend.hist == nil:
			pend.hist, pend.buffered = append(buf, hist...), true
		default:
			pend.hist = append(pend.hist, hist...)
		}
		pend.conn, pend.stored, pend.ok = conn, advance != nil, true
		res.Conn, res.History = conn, hist
		if follow == nil {
			return res, flush()
		}
		c, in = conn, *follow
		// The record is as this step left it, unless handing it over changed it.
		fresh = advance == nil
	}
}

// pauseTask takes the task of a paused connection out of the work lists, or puts it back
// due now when it resumes — as a new task would be: to the cover of a seller who is away,
// else due at their first working hour back.
func (e *Engine) pauseTask(tx store.Tx, o *org, conn store.Connection, ef flow.Effect, now time.Time) error {
	t, err := tx.Task(store.Visit{Conn: conn.ID, Step: ef.StepID, N: ef.Visit}.TaskID())
	if errors.Is(err, store.ErrNotFound) {
		return nil
	} else if err != nil {
		return err
	}
	switch {
	case ef.Kind == flow.PauseTask && t.State == store.TaskOpen:
		t.State = store.TaskPaused
	case ef.Kind == flow.ResumeTask && t.State == store.TaskPaused:
		t.State, t.DueAt, t.Why = store.TaskOpen, now, "" // due at once: no longer moved
		if due, as, why := e.sellerTime(tx, o, t.Assignees, now); why != "" {
			t.DueAt, t.Assignees, t.Why = due, as, why
		}
	default:
		return nil
	}
	return tx.PutTask(t)
}

// createTask opens the task of an activity step for the assignees of the sequence's rule.
func (e *Engine) createTask(tx store.Tx, o *org, conn *store.Connection, plan *flow.Plan, rec store.Record, ef flow.Effect, now time.Time) ([]store.Event, error) {
	users, note, err := assignees(tx, plan.Def.Assign, rec)
	if err != nil {
		return nil, err
	}
	typ := string(ef.Step.Type)
	if ef.Error != "" {
		typ = string(sequence.Email) // a failed automated message becomes a manual email
		if ef.Step.Type == sequence.AutoSMS {
			typ = string(sequence.SMS)
		}
	}
	t := store.Task{
		ID: conn.Task, Conn: conn.ID, Record: rec.Key, Sequence: conn.Sequence,
		RecordRef: rec.Ref(), RecordName: rec.Name, SeqName: o.seqName(tx, conn.Sequence),
		StepID: ef.StepID, Visit: ef.Visit, Type: typ, Name: ef.Step.DisplayName(), Template: ef.Step.Template,
		DueAt: now, Assignees: users, State: store.TaskOpen, Error: ef.Error, CreatedAt: now,
	}
	var moved string
	if name, off := o.calendar.Holiday(now); off {
		// A task that would come due on a day off is due at the next working hour.
		t.DueAt = o.calendar.NextWorking(now)
		moved = fmt.Sprintf("due moved from the holiday %s to the next working hour", name)
	}
	if due, as, why := e.sellerTime(tx, o, users, t.DueAt); why != "" {
		t.DueAt, t.Assignees, users = due, as, as
		moved = strings.TrimPrefix(moved+"; "+why, "; ")
	}
	t.Why = moved
	if err := tx.PutTask(t); err != nil {
		return nil, err
	}
	hist := []store.Event{{At: now, Type: store.EventTaskCreated, StepID: ef.StepID, Task: t.ID.String(), Assignees: users}}
	if note != "" {
		hist[0].Note = note
	}
	if moved != "" {
		hist[0].Until, hist[0].Why = t.DueAt, moved
	}
	return hist, nil
}

// queueMessage renders the step's template for the record and puts it in the outbox. With
// no transport configured the message is kept in the local outbox and counts as sent: the
// returned input applies that at once.
func (e *Engine) queueMessage(tx store.Tx, o *org, conn store.Connection, plan *flow.Plan, rec store.Record, ef flow.Effect, now time.Time) (*flow.Input, []store.Event, error) {
	key := store.Visit{Conn: conn.ID, Step: ef.StepID, N: ef.Visit}.Key()
	channel := "email"
	to := rec.Email
	if ef.Step.Type == sequence.AutoSMS {
		channel, to = "sms", rec.Phone
	}
	m := store.Message{
		ID: store.NewID(now), Conn: conn.ID, Record: rec.Key, Sequence: conn.Sequence,
		StepID: ef.StepID, Visit: ef.Visit, Key: key, MessageID: mail.MessageID(key, ""),
		Channel: channel, To: to, State: store.MsgQueued, NextTry: now, CreatedAt: now,
	}
	fail := func(reason string) (*flow.Input, []store.Event, error) {
		m.State, m.LastError = store.MsgFailed, reason
		if err := tx.PutMessage(m); err != nil {
			return nil, nil, err
		}
		return &flow.Input{Kind: flow.MessageFailed, Visit: ef.Visit, Message: m.ID, Error: reason}, nil, nil
	}
	tmpl, err := tx.Template(ef.Step.Template)
	if err != nil {
		return fail(fmt.Sprintf("template %q is missing", ef.Step.Template))
	}
	owner := ownerFor(tx, rec, "")
	// The message goes out from the person who works the sequence for this record.
	var sender store.User
	if users, _, err := assignees(tx, plan.Def.Assign, rec); err == nil && len(users) > 0 {
		if u, err := tx.User(users[0]); err == nil {
			sender = u
			m.From = u.From
			if m.From == "" {
				m.From = u.Email
			}
		}
	}
	if m.From == "" {
		m.From = o.settings.FromAddress
	}
	compiled, err := o.compile(tmpl)
	if err != nil {
		return fail(err.Error())
	}
	r := compiled.Fill(rec, owner)
	m.Subject, m.Body = r.Subject, r.Body
	if channel == "email" {
		m.HTML = r.HTML
	}
	if to == "" {
		return fail(fmt.Sprintf("%s has no %s", rec.Ref(), map[string]string{"email": "email address", "sms": "phone number"}[channel]))
	}
	if channel == "email" {
		// An unsubscribed or undeliverable address gets no automated email from any
		// sequence: the connection ends instead.
		why, err := suppressed(tx, to)
		if err != nil {
			return nil, nil, err
		}
		if why != "" {
			return &flow.Input{Kind: flow.Disconnect, Reason: why}, nil, nil
		}
	}
	if len(r.Missing) > 0 {
		// Never send a broken merge: the seller writes this one, told what is missing.
		why := fmt.Sprintf("not sent: %s has no value for %s and the template %q gives no fallback",
			rec.Ref(), strings.Join(r.Missing, ", "), tmpl.Name)
		return &flow.Input{Kind: flow.MessageHeld, Visit: ef.Visit, Error: why}, nil, nil
	}
	if channel == "email" {
		if at, hold, why := e.sendWindow(o, plan, rec, sender, now); at.After(now) {
			// Queued until the window opens, also without a transport: the dispatcher keeps
			// it in the local outbox then.
			m.NextTry = at
			return nil, []store.Event{{At: now, Type: store.EventMessageHeld, StepID: ef.StepID, Until: at, Reason: hold, Why: why}}, tx.PutMessage(m)
		}
	}
	if channel == "email" && o.settings.SMTPURL == "" {
		users, err := o.allUsers(tx)
		if err != nil {
			return nil, nil, err
		}
		if limited(o, users) {
			// The sending limits are applied by the dispatcher, which keeps it then.
			return nil, nil, tx.PutMessage(m)
		}
	}
	if o.settings.SMTPURL == "" || channel == "sms" {
		m.State, m.SentAt = store.MsgKept, now
		if err := tx.PutMessage(m); err != nil {
			return nil, nil, err
		}
		return &flow.Input{Kind: flow.MessageSent, Visit: ef.Visit, Message: m.ID, At: now}, nil, nil
	}
	return nil, nil, tx.PutMessage(m)
}

// advance connects the record of an ended connection to the newest version of the target
// sequence. It returns why it could not, or "".
func (e *Engine) advance(tx store.Tx, o *org, from store.Connection, rec store.Record, target string, now time.Time) (string, error) {
	seq, err := tx.SequenceByName(target)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return fmt.Sprintf("sequence %q no longer exists", target), nil
	case err != nil:
		return "", err
	case seq.State != store.Active:
		return fmt.Sprintf("sequence %q is not active", seq.Name), nil
	case seq.Entity != rec.Entity:
		return fmt.Sprintf("sequence %q is for %s records", seq.Name, seq.Entity), nil
	}
	if active, err := activeConn(tx, rec.Key, seq.ID); err != nil {
		return "", err
	} else if active != nil {
		return fmt.Sprintf("%s is already in sequence %q", rec.Ref(), seq.Name), nil
	}
	// A target whose definition can't be read (damaged, or over the limits of this release)
	// can't take the record; its owner is told, as for any other target that can't.
	if _, err := e.plans.get(tx, seq.ID, seq.Version); err != nil {
		var unreadable sequence.FileErrors
		if !errors.As(err, &unreadable) && !errors.Is(err, store.ErrNotFound) {
			return "", err
		}
		return fmt.Sprintf("sequence %q can't be read: %s", seq.Name, clip(err.Error(), 300)), nil
	}
	c := newConn(rec, seq, "advance:"+o.seqName(tx, from.Sequence), now)
	_, err = e.step(tx, o, c, flow.Input{Kind: flow.Connect}, now)
	return "", err
}

// tellOwner puts a task in the record owner's work list about something that went wrong.
func (e *Engine) tellOwner(tx store.Tx, o *org, conn store.Connection, rec store.Record, stepID, name, why string, now time.Time) error {
	return e.putNotice(tx, o, conn, rec, store.Task{StepID: stepID, Visit: conn.Visit, Type: string(sequence.Task), Name: name, Error: why}, now)
}

// putNotice puts t, a task outside the connection's walk about its step visit (StepID,
// Visit), in the record owner's work list, due now.
func (e *Engine) putNotice(tx store.Tx, o *org, conn store.Connection, rec store.Record, t store.Task, now time.Time) error {
	users, err := ownerUsers(tx, rec)
	if err != nil {
		return err
	}
	t.ID = store.Visit{Conn: conn.ID, Step: t.StepID, N: t.Visit}.NoticeID()
	t.Conn, t.Record, t.Sequence, t.RecordRef, t.RecordName = conn.ID, rec.Key, conn.Sequence, rec.Ref(), rec.Name
	t.SeqName, t.DueAt, t.Assignees, t.State, t.CreatedAt = o.seqName(tx, conn.Sequence), now, users, store.TaskOpen, now
	return tx.PutTask(t)
}

// newConn is a new connection of a record to the newest version of a sequence.
func newConn(rec store.Record, seq store.Sequence, source string, now time.Time) store.Connection {
	return store.Connection{
		ID: store.NewID(now), Record: rec.Key, Sequence: seq.ID, Version: seq.Version,
		Source: source, CreatedAt: now, UpdatedAt: now,
	}
}

// activeConn returns the record's active connection to a sequence, or nil.
func activeConn(tx store.Tx, rec, seq store.ID) (*store.Connection, error) {
	conns, err := tx.ConnsByRecord(rec)
	if err != nil {
		return nil, err
	}
	for i := range conns {
		if conns[i].Sequence == seq && conns[i].State == store.ConnActive {
			return &conns[i], nil
		}
	}
	return nil, nil
}
