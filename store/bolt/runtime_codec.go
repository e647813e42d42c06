package bolt

import (
	"encoding/binary"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/pacer-sales/pacer/store"
)

// The stored forms of the runtime's values, binary format 1 (see binary.go). Each starts
// with a head: the fields its indexes are made from, which a Put method reads back from the
// stored value it replaces without decoding the rest. IDs that are keys are not repeated.

// inKeyOrder calls fn for each entry of m in key order, so a value always encodes to the
// same bytes. Maps of one entry, the common case, are not sorted.
func inKeyOrder[V any](m map[string]V, fn func(k string, v V)) {
	if len(m) <= 1 {
		for k, v := range m {
			fn(k, v)
		}
		return
	}
	for _, k := range slices.Sorted(maps.Keys(m)) {
		fn(k, m[k])
	}
}

// Connection, format 1:
//
//	head: record id | sequence id | visit | wake | state | created
//	rest: version | reason | source | step | entered | task (optional id) |
//	      outcomes (n, (step, outcome)*) |
//	      sent (n, (step, message id, at, events (n, (kind, at)*))*) |
//	      skipped (n, step*) | updated |
//	      optional pause tail: 1 | at | until | reason | by | left

// connHead is the head of a stored connection.
type connHead struct {
	Record, Sequence store.ID
	Visit            uint32
	WakeAt           time.Time
	State            store.ConnState
	CreatedAt        time.Time
}

func (d *decoder) connHead() connHead {
	var h connHead
	h.Record, h.Sequence = d.id(), d.id()
	h.Visit, h.WakeAt = d.uint32(), d.time()
	h.State = store.ConnState(d.str())
	h.CreatedAt = d.time()
	return h
}

// headOf returns the head of c's stored form.
func headOf(c store.Connection) connHead {
	return connHead{
		Record: c.Record, Sequence: c.Sequence, Visit: c.Visit, WakeAt: c.WakeAt, State: c.State,
		CreatedAt: c.CreatedAt,
	}
}

func decodeConnHead(v []byte) (connHead, error) {
	d := decoder{b: v}
	if err := d.start("connection"); err != nil {
		return connHead{}, err
	}
	h := d.connHead()
	if d.err != nil {
		return connHead{}, damaged("damaged connection value: %w", d.err)
	}
	return h, nil
}

func encodeConn(c store.Connection) []byte { return appendConn(nil, c) }

// connSize returns about how many bytes the stored form of c takes.
func connSize(c *store.Connection) int {
	n := 96 + len(c.State) + len(c.Reason) + len(c.Source) + len(c.Step)
	for k, v := range c.Outcomes {
		n += 2 + len(k) + len(v)
	}
	for k, s := range c.Sent {
		n += 32 + len(k) + 16*len(s.Events)
	}
	for _, s := range c.Skipped {
		n += 1 + len(s)
	}
	return n
}

// appendConn appends the stored form of c to b.
func appendConn(b []byte, c store.Connection) []byte {
	e := encoder{b: slices.Grow(b, connSize(&c))}
	e.byte(format1)
	e.id(c.Record)
	e.id(c.Sequence)
	e.uvarint(uint64(c.Visit))
	e.time(c.WakeAt)
	e.str(string(c.State))
	e.time(c.CreatedAt)

	e.varint(int64(c.Version))
	e.str(c.Reason)
	e.str(c.Source)
	e.str(c.Step)
	e.time(c.EnteredAt)
	e.optID(c.Task)
	e.uvarint(uint64(len(c.Outcomes)))
	inKeyOrder(c.Outcomes, func(step, outcome string) {
		e.str(step)
		e.str(outcome)
	})
	e.uvarint(uint64(len(c.Sent)))
	inKeyOrder(c.Sent, func(step string, s store.Sent) {
		e.str(step)
		e.id(s.Message)
		e.time(s.At)
		e.uvarint(uint64(len(s.Events)))
		inKeyOrder(s.Events, func(kind string, at time.Time) {
			e.str(kind)
			e.time(at)
		})
	})
	e.strs(c.Skipped)
	e.time(c.UpdatedAt)
	if c.Paused() {
		// An optional tail: connections that were never paused have none.
		if c.Pause.Working {
			e.byte(connPausedWorking)
		} else {
			e.byte(connPaused)
		}
		e.time(c.Pause.At)
		e.time(c.Pause.Until)
		e.str(c.Pause.Reason)
		e.str(c.Pause.By)
		e.varint(int64(c.Pause.Left))
	}
	return e.b
}

// connPaused marks the tail of a paused connection; connPausedWorking the tail of one whose
// Left is working time.
const (
	connPaused        byte = 1
	connPausedWorking byte = 2
)

func decodeConn(id store.ID, v []byte) (store.Connection, error) {
	d := decoder{b: v}
	if err := d.start("connection"); err != nil {
		return store.Connection{}, err
	}
	h := d.connHead()
	c := store.Connection{
		ID: id, Record: h.Record, Sequence: h.Sequence, Visit: h.Visit, WakeAt: h.WakeAt,
		State: h.State, CreatedAt: h.CreatedAt,
	}
	c.Version = d.int()
	c.Reason, c.Source, c.Step = d.str(), d.str(), d.str()
	c.EnteredAt = d.time()
	c.Task = d.optID()
	if n := d.count(2); n > 0 {
		c.Outcomes = make(map[string]string, n)
		for range n {
			k := d.str()
			c.Outcomes[k] = d.str()
		}
	}
	if n := d.count(19); n > 0 {
		c.Sent = make(map[string]store.Sent, n)
		for range n {
			k := d.str()
			s := store.Sent{Message: d.id(), At: d.time()}
			if m := d.count(2); m > 0 {
				s.Events = make(map[string]time.Time, m)
				for range m {
					kind := d.str()
					s.Events[kind] = d.time()
				}
			}
			c.Sent[k] = s
		}
	}
	c.Skipped = d.strs()
	c.UpdatedAt = d.time()
	if d.err == nil && len(d.b) > 0 {
		switch mark := d.byte(); mark {
		case connPaused:
		case connPausedWorking:
			c.Pause.Working = true
		default:
			d.fail(fmt.Errorf("unknown connection tail %d", mark))
		}
		c.Pause.At, c.Pause.Until = d.time(), d.time()
		c.Pause.Reason, c.Pause.By = d.str(), d.str()
		c.Pause.Left = time.Duration(d.varint())
	}
	if err := d.finish("connection"); err != nil {
		return store.Connection{}, err
	}
	return c, nil
}

// Event, format 1: a bit mask of the fields present (the ev constants are the bits), then
// those fields in bit order. Most events set three or four of their eighteen fields.

// The fields of an event, in the order of their mask bits.
const (
	evAt = iota
	evType
	evStepID
	evOutcome
	evNote
	evBranch
	evWhy
	evField
	evOld
	evNew
	evReason
	evBy
	evAssignees
	evUntil
	evEvent
	evMessage
	evSequence
	evTask
	evFields // the number of fields
)

// eventString returns the string field of e that bit stands for, nil for the fields that
// are not strings.
func eventString(e *store.Event, bit int) *string {
	switch bit {
	case evType:
		return &e.Type
	case evStepID:
		return &e.StepID
	case evOutcome:
		return &e.Outcome
	case evNote:
		return &e.Note
	case evBranch:
		return &e.Branch
	case evWhy:
		return &e.Why
	case evField:
		return &e.Field
	case evReason:
		return &e.Reason
	case evBy:
		return &e.By
	case evEvent:
		return &e.Event
	case evMessage:
		return &e.Message
	case evSequence:
		return &e.Sequence
	case evTask:
		return &e.Task
	}
	return nil
}

func encodeEvent(ev store.Event) ([]byte, error) { return appendEvent(nil, ev) }

// eventMask returns the bits of the fields of ev that are set.
func eventMask(ev *store.Event) uint64 {
	var mask uint64
	for bit := range evFields {
		var present bool
		switch bit {
		case evAt:
			present = !ev.At.IsZero()
		case evUntil:
			present = !ev.Until.IsZero()
		case evOld:
			present = ev.Old != nil
		case evNew:
			present = ev.New != nil
		case evAssignees:
			present = len(ev.Assignees) > 0
		default:
			present = *eventString(ev, bit) != ""
		}
		if present {
			mask |= 1 << bit
		}
	}
	return mask
}

// appendEvent appends the format-1 form of ev to b.
func appendEvent(b []byte, ev store.Event) ([]byte, error) {
	mask := eventMask(&ev)
	n := 24
	for bit := range evFields {
		switch bit {
		case evAt, evUntil, evOld, evNew:
		case evAssignees:
			for _, a := range ev.Assignees {
				n += 1 + len(a)
			}
		default:
			n += 1 + len(*eventString(&ev, bit))
		}
	}
	if s, ok := ev.Old.(string); ok {
		n += 2 + len(s)
	}
	if s, ok := ev.New.(string); ok {
		n += 2 + len(s)
	}

	e := encoder{b: slices.Grow(b, n)}
	e.byte(format1)
	e.uvarint(mask)
	for bit := range evFields {
		if mask&(1<<bit) == 0 {
			continue
		}
		switch bit {
		case evAt:
			e.time(ev.At)
		case evUntil:
			e.time(ev.Until)
		case evOld:
			if err := e.value(ev.Old); err != nil {
				return nil, fmt.Errorf("%s event: old value: %w", ev.Type, err)
			}
		case evNew:
			if err := e.value(ev.New); err != nil {
				return nil, fmt.Errorf("%s event: new value: %w", ev.Type, err)
			}
		case evAssignees:
			e.strs(ev.Assignees)
		default:
			e.str(*eventString(&ev, bit))
		}
	}
	return e.b, nil
}

func decodeEvent(v []byte) (store.Event, error) {
	d := decoder{b: v}
	if err := d.start("history event"); err != nil {
		return store.Event{}, err
	}
	var ev store.Event
	mask := d.uvarint()
	if mask>>evFields != 0 {
		d.fail(fmt.Errorf("it has fields (mask %#x) this version of pacer does not know", mask))
	}
	for bit := range evFields {
		if d.err != nil {
			break
		}
		if mask&(1<<bit) == 0 {
			continue
		}
		switch bit {
		case evAt:
			ev.At = d.time()
		case evUntil:
			ev.Until = d.time()
		case evOld:
			ev.Old = d.value()
		case evNew:
			ev.New = d.value()
		case evAssignees:
			ev.Assignees = d.strs()
		default:
			*eventString(&ev, bit) = d.str()
		}
	}
	if err := d.finish("history event"); err != nil {
		return store.Event{}, err
	}
	return ev, nil
}

// Task, format 1:
//
//	head: state | due | assignees (n, username*) | created
//	rest: conn id | record id | sequence id | record ref | record name | sequence name |
//	      step | visit | type | name | template | outcome | note | error | closed | closed by |
//	      optional why tail: 1 | why

// taskHead is the head of a stored task. State is bbolt's memory: use it only within the
// transaction it was read in.
type taskHead struct {
	State     []byte
	DueAt     time.Time
	Assignees []string
	CreatedAt time.Time
}

func (d *decoder) taskHead() taskHead {
	var h taskHead
	h.State = d.take(d.uvarint())
	h.DueAt = d.time()
	h.Assignees = d.strs()
	h.CreatedAt = d.time()
	return h
}

func decodeTaskHead(v []byte) (taskHead, error) {
	d := decoder{b: v}
	if err := d.start("task"); err != nil {
		return taskHead{}, err
	}
	h := d.taskHead()
	if d.err != nil {
		return taskHead{}, damaged("damaged task value: %w", d.err)
	}
	return h, nil
}

func encodeTask(tk store.Task) []byte { return appendTask(nil, tk) }

// appendTask appends the stored form of tk to b.
func appendTask(b []byte, tk store.Task) []byte {
	n := 84 + len(tk.State) + len(tk.RecordRef) + len(tk.RecordName) + len(tk.SeqName) +
		len(tk.StepID) + len(tk.Type) + len(tk.Name) + len(tk.Template) + len(tk.Outcome) +
		len(tk.Note) + len(tk.Error) + len(tk.ClosedBy) + len(tk.Why)
	for _, a := range tk.Assignees {
		n += 1 + len(a)
	}
	e := encoder{b: slices.Grow(b, n)}
	e.byte(format1)
	e.str(string(tk.State))
	e.time(tk.DueAt)
	e.strs(tk.Assignees)
	e.time(tk.CreatedAt)

	e.id(tk.Conn)
	e.id(tk.Record)
	e.id(tk.Sequence)
	e.str(tk.RecordRef)
	e.str(tk.RecordName)
	e.str(tk.SeqName)
	e.str(tk.StepID)
	e.uvarint(uint64(tk.Visit))
	e.str(tk.Type)
	e.str(tk.Name)
	e.str(tk.Template)
	e.str(tk.Outcome)
	e.str(tk.Note)
	e.str(tk.Error)
	e.time(tk.ClosedAt)
	e.str(tk.ClosedBy)
	if tk.Why != "" {
		// An optional tail: tasks whose due time or assignees nothing moved have none.
		e.byte(taskWhy)
		e.str(tk.Why)
	}
	return e.b
}

// taskWhy marks the tail of a task that says why its due time or assignees were moved.
const taskWhy byte = 1

func decodeTask(id store.ID, v []byte) (store.Task, error) {
	d := decoder{b: v}
	if err := d.start("task"); err != nil {
		return store.Task{}, err
	}
	h := d.taskHead()
	tk := store.Task{
		ID: id, State: store.TaskState(h.State), DueAt: h.DueAt, Assignees: h.Assignees,
		CreatedAt: h.CreatedAt,
	}
	tk.Conn, tk.Record, tk.Sequence = d.id(), d.id(), d.id()
	tk.RecordRef, tk.RecordName, tk.SeqName = d.str(), d.str(), d.str()
	tk.StepID = d.str()
	tk.Visit = d.uint32()
	tk.Type, tk.Name, tk.Template = d.str(), d.str(), d.str()
	tk.Outcome, tk.Note, tk.Error = d.str(), d.str(), d.str()
	tk.ClosedAt = d.time()
	tk.ClosedBy = d.str()
	if d.err == nil && len(d.b) > 0 {
		if mark := d.byte(); mark != taskWhy {
			d.fail(fmt.Errorf("unknown task tail %d", mark))
		}
		tk.Why = d.str()
	}
	if err := d.finish("task"); err != nil {
		return store.Task{}, err
	}
	return tk, nil
}

// Message, format 1:
//
//	head: state | next try | created | body (0: none; 1, text: inline; 2, id: in bodies)
//	rest: conn id | record id | sequence id | step | visit | key | message-id | channel |
//	      from | to | subject | tries | last error | sent

// maxInlineBody is the longest message body kept in the outbox value itself (texts, short
// notes); longer ones go to the bodies bucket, so outbox pages stay dense.
const maxInlineBody = 256

// The body tags of a message value. The parts tags hold an email with an HTML body of its
// own: the stored body is then packParts(text, HTML).
const (
	bodyNone byte = iota
	bodyInline
	bodyRef
	bodyInlineParts
	bodyRefParts
)

// packParts is the stored body of an email with text and HTML bodies: the text's length
// (uvarint), the text, the HTML.
func packParts(text, html string) string {
	b := binary.AppendUvarint(make([]byte, 0, binary.MaxVarintLen64+len(text)+len(html)), uint64(len(text)))
	return string(append(append(b, text...), html...))
}

// unpackParts reads a body packParts made.
func unpackParts(p []byte) (text, html string, err error) {
	n, k := binary.Uvarint(p)
	if k <= 0 || n > uint64(len(p)-k) {
		return "", "", damaged("damaged message body: a text part of %d bytes in %d", n, len(p))
	}
	return string(p[k : k+int(n)]), string(p[k+int(n):]), nil
}

// storedBody is the body of m as stored: its text, or its text and HTML packed.
func storedBody(m store.Message) string {
	if m.HTML == "" {
		return m.Body
	}
	return packParts(m.Body, m.HTML)
}

// msgHead is the head of a stored message. State is bbolt's memory: use it only within the
// transaction it was read in.
type msgHead struct {
	State     []byte
	NextTry   time.Time
	CreatedAt time.Time
	// Body is the inline body (bbolt's memory), BodyRef the body's ID in bodies, or neither.
	Body    []byte
	BodyRef store.ID
	// Parts says the body is packed text and HTML (packParts).
	Parts bool
}

func (d *decoder) msgHead() msgHead {
	var h msgHead
	h.State = d.take(d.uvarint())
	h.NextTry, h.CreatedAt = d.time(), d.time()
	switch tag := d.byte(); tag {
	case bodyNone:
	case bodyInline, bodyInlineParts:
		h.Body = d.take(d.uvarint())
		h.Parts = tag == bodyInlineParts
	case bodyRef, bodyRefParts:
		h.BodyRef = d.id()
		h.Parts = tag == bodyRefParts
		if d.err == nil && h.BodyRef.IsZero() {
			d.fail(fmt.Errorf("a body reference of zero"))
		}
	default:
		d.fail(fmt.Errorf("a body of unknown kind %d", tag))
	}
	return h
}

func decodeMsgHead(v []byte) (msgHead, error) {
	d := decoder{b: v}
	if err := d.start("message"); err != nil {
		return msgHead{}, err
	}
	h := d.msgHead()
	if d.err != nil {
		return msgHead{}, damaged("damaged message value: %w", d.err)
	}
	return h, nil
}

// encodeMessage returns the stored form of m, its body inline, or only referenced when ref
// is not zero.
func encodeMessage(m store.Message, ref store.ID) []byte { return appendMessage(nil, m, ref) }

// appendMessage appends the stored form of m to b, as encodeMessage makes it.
func appendMessage(b []byte, m store.Message, ref store.ID) []byte {
	body := storedBody(m)
	n := 96 + len(m.State) + len(m.StepID) + len(m.Key) + len(m.MessageID) + len(m.Channel) +
		len(m.From) + len(m.To) + len(m.Subject) + len(m.LastError)
	if ref.IsZero() {
		n += len(body)
	}
	var parts byte
	if m.HTML != "" {
		parts = bodyInlineParts - bodyInline
	}
	e := encoder{b: slices.Grow(b, n)}
	e.byte(format1)
	e.str(string(m.State))
	e.time(m.NextTry)
	e.time(m.CreatedAt)
	switch {
	case !ref.IsZero():
		e.byte(bodyRef + parts)
		e.id(ref)
	case body == "":
		e.byte(bodyNone)
	default:
		e.byte(bodyInline + parts)
		e.str(body)
	}

	e.id(m.Conn)
	e.id(m.Record)
	e.id(m.Sequence)
	e.str(m.StepID)
	e.uvarint(uint64(m.Visit))
	e.str(m.Key)
	e.str(m.MessageID)
	e.str(m.Channel)
	e.str(m.From)
	e.str(m.To)
	e.str(m.Subject)
	e.varint(int64(m.Tries))
	e.str(m.LastError)
	e.time(m.SentAt)
	return e.b
}

// decodeMessage reads a stored message. A body kept in bodies is not read: Body is empty,
// ref names it and parts says whether it holds packed text and HTML (setBody reads it).
func decodeMessage(id store.ID, v []byte) (m store.Message, ref store.ID, parts bool, err error) {
	d := decoder{b: v}
	if err := d.start("message"); err != nil {
		return store.Message{}, ref, false, err
	}
	h := d.msgHead()
	m = store.Message{ID: id, State: store.MsgState(h.State), NextTry: h.NextTry, CreatedAt: h.CreatedAt}
	if h.BodyRef.IsZero() {
		if err := setBody(&m, h.Body, h.Parts); err != nil {
			return store.Message{}, store.ID{}, false, err
		}
	}
	m.Conn, m.Record, m.Sequence = d.id(), d.id(), d.id()
	m.StepID = d.str()
	m.Visit = d.uint32()
	m.Key, m.MessageID, m.Channel = d.str(), d.str(), d.str()
	m.From, m.To, m.Subject = d.str(), d.str(), d.str()
	m.Tries = d.int()
	m.LastError = d.str()
	m.SentAt = d.time()
	if err := d.finish("message"); err != nil {
		return store.Message{}, store.ID{}, false, err
	}
	return m, h.BodyRef, h.Parts, nil
}

// setBody sets m's text (and HTML, when parts) from its stored body.
func setBody(m *store.Message, body []byte, parts bool) error {
	if !parts {
		m.Body = string(body)
		return nil
	}
	var err error
	m.Body, m.HTML, err = unpackParts(body)
	return err
}

// Segments are read and written rarely: JSON, format 1.

type segmentMatchV1 struct {
	Field string `json:"field"`
	Value string `json:"value"`
}

type segmentV1 struct {
	Entity   string           `json:"entity"`
	Where    []segmentMatchV1 `json:"where"`
	Sequence string           `json:"sequence"`
	Active   bool             `json:"active,omitempty"`
}

func toSegmentV1(s store.Segment) segmentV1 {
	v := segmentV1{Entity: s.Entity, Sequence: s.Sequence, Active: s.Active}
	if s.Where != nil {
		v.Where = make([]segmentMatchV1, len(s.Where))
		for i, m := range s.Where {
			v.Where[i] = segmentMatchV1{Field: m.Field, Value: m.Value}
		}
	}
	return v
}

func (v segmentV1) segment(name string) store.Segment {
	s := store.Segment{Name: name, Entity: v.Entity, Sequence: v.Sequence, Active: v.Active}
	if v.Where != nil {
		s.Where = make([]store.SegmentMatch, len(v.Where))
		for i, m := range v.Where {
			s.Where[i] = store.SegmentMatch{Field: m.Field, Value: m.Value}
		}
	}
	return s
}
