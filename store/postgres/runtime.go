package postgres

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pacer-sales/pacer/store"
)

var _ store.RuntimeTx = (*tx)(nil)

// Connections

const connCols = "id, record, seq, version, state, reason, source, step, visit, entered_at, wake_at, task, outcomes, sent, skipped, created_at, updated_at, pause"

// pauseDoc is the stored form of a paused connection's pause (NULL when not paused).
type pauseDoc struct {
	At     int64  `json:"at"`
	Until  int64  `json:"until,omitempty"`
	Reason string `json:"reason,omitempty"`
	By     string `json:"by,omitempty"`
	Left   int64  `json:"left_ns,omitempty"`
	// Working: Left is working time.
	Working bool `json:"working,omitempty"`
}

func unixNanos(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func fromNanos(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

// sentDoc is the stored form of a step's sent message.
type sentDoc struct {
	Message string               `json:"message"` // hex
	At      time.Time            `json:"at"`
	Events  map[string]time.Time `json:"events,omitempty"`
}

func scanConn(r pgx.Rows) (store.Connection, error) {
	var c store.Connection
	var outcomes, sent, pause []byte
	err := r.Scan(idp(&c.ID), idp(&c.Record), idp(&c.Sequence), &c.Version, &c.State, &c.Reason, &c.Source, &c.Step,
		&c.Visit, tm(&c.EnteredAt), tm(&c.WakeAt), idp(&c.Task), &outcomes, &sent, &c.Skipped, tm(&c.CreatedAt), tm(&c.UpdatedAt), &pause)
	if err != nil {
		return c, err
	}
	return c, decodeConn(&c, outcomes, sent, pause)
}

// decodeConn sets the JSON columns of a scanned connection.
func decodeConn(c *store.Connection, outcomes, sent, pause []byte) error {
	if len(pause) > 0 {
		var d pauseDoc
		if err := json.Unmarshal(pause, &d); err != nil {
			return fmt.Errorf("damaged pause of connection %s: %w", c.ID, err)
		}
		c.Pause = store.Pause{At: fromNanos(d.At), Until: fromNanos(d.Until), Reason: d.Reason, By: d.By, Left: time.Duration(d.Left), Working: d.Working}
	}
	c.Skipped = nilIfEmpty(c.Skipped)
	if len(outcomes) > 0 {
		if err := json.Unmarshal(outcomes, &c.Outcomes); err != nil {
			return fmt.Errorf("damaged outcomes of connection %s: %w", c.ID, err)
		}
	}
	if len(sent) > 0 {
		var docs map[string]sentDoc
		if err := json.Unmarshal(sent, &docs); err != nil {
			return fmt.Errorf("damaged sent messages of connection %s: %w", c.ID, err)
		}
		c.Sent = make(map[string]store.Sent, len(docs))
		for k, d := range docs {
			mid, err := store.ParseID(d.Message)
			if err != nil {
				return fmt.Errorf("damaged sent message of connection %s: %w", c.ID, err)
			}
			c.Sent[k] = store.Sent{Message: mid, At: d.At.UTC(), Events: utcTimes(d.Events)}
		}
	}
	return nil
}

func utcTimes(m map[string]time.Time) map[string]time.Time {
	for k, v := range m {
		m[k] = v.UTC()
	}
	return m
}

func (t *tx) Conn(id store.ID) (store.Connection, error) {
	if c, ok := t.keep.conn(id); ok {
		return c, nil
	}
	var c store.Connection
	found, err := t.queryOne("SELECT "+connCols+" FROM conns WHERE id = $1"+t.lock(), []any{id[:]}, func(r pgx.Rows) (err error) {
		c, err = scanConn(r)
		return err
	})
	if err == nil && !found {
		err = notFound("connection %s", id)
	}
	if err == nil && t.writable {
		t.keep.keepConn(c) // locked FOR UPDATE
	}
	return c, err
}

// PutConn inserts or updates a connection; its wake_at is the due index.
func (t *tx) PutConn(c store.Connection) error {
	if err := store.CheckConn(c); err != nil {
		return err
	}
	if c.UpdatedAt.IsZero() {
		c.UpdatedAt = time.Now().UTC()
	}
	if c.CreatedAt.IsZero() {
		c.CreatedAt = c.UpdatedAt
	}
	if t.writable {
		t.keep.putConn(copyConn(c))
	}
	var outcomes, sent any
	if len(c.Outcomes) > 0 {
		b, err := json.Marshal(c.Outcomes)
		if err != nil {
			return fmt.Errorf("connection %s: %w", c.ID, err)
		}
		outcomes = string(b)
	}
	if len(c.Sent) > 0 {
		docs := make(map[string]sentDoc, len(c.Sent))
		for k, s := range c.Sent {
			docs[k] = sentDoc{Message: s.Message.String(), At: s.At.UTC(), Events: s.Events}
		}
		b, err := json.Marshal(docs)
		if err != nil {
			return fmt.Errorf("connection %s: %w", c.ID, err)
		}
		sent = string(b)
	}
	var skipped []string
	if len(c.Skipped) > 0 {
		skipped = slices.Clone(c.Skipped)
	}
	var pause any
	if c.Paused() {
		b, err := json.Marshal(pauseDoc{At: unixNanos(c.Pause.At), Until: unixNanos(c.Pause.Until), Reason: c.Pause.Reason, By: c.Pause.By, Left: int64(c.Pause.Left), Working: c.Pause.Working})
		if err != nil {
			return fmt.Errorf("connection %s: %w", c.ID, err)
		}
		pause = string(b)
	}
	if !t.writable {
		return errReadOnly("store connection " + c.ID.String())
	}
	t.wrote = true
	t.rows.conns.put(string(c.ID[:]), []any{c.ID[:], c.Record[:], c.Sequence[:], int64(c.Version), string(c.State), c.Reason,
		c.Source, c.Step, int64(c.Visit), nanos(c.EnteredAt), nanos(c.WakeAt), c.Task[:], outcomes, sent, skipped,
		nanos(c.CreatedAt), nanos(c.UpdatedAt), pause})
	return nil
}

// ConnsByRecord returns every connection of a record, oldest first.
func (t *tx) ConnsByRecord(record store.ID) ([]store.Connection, error) {
	if kept, ok := t.keep.byRecord[record]; ok {
		var list []store.Connection
		for _, c := range kept {
			list = append(list, copyConn(c))
		}
		return list, nil
	}
	var list []store.Connection
	err := t.query("SELECT "+connCols+" FROM conns WHERE record = $1 ORDER BY id", []any{record[:]}, func(r pgx.Rows) error {
		c, err := scanConn(r)
		list = append(list, c)
		return err
	})
	return list, err
}

// ConnsBySequence walks a sequence's connections a chunk at a time, oldest first.
func (t *tx) ConnsBySequence(seq store.ID, fn func(store.Connection) bool) error {
	after := make([]byte, 0, 16)
	for {
		var list []store.Connection
		err := t.query("SELECT "+connCols+" FROM conns WHERE seq = $1 AND id > $2 ORDER BY id LIMIT $3",
			[]any{seq[:], after, chunk}, func(r pgx.Rows) error {
				c, err := scanConn(r)
				list = append(list, c)
				return err
			})
		if err != nil {
			return err
		}
		for _, c := range list {
			if !fn(c) {
				return nil
			}
		}
		if len(list) < chunk {
			return nil
		}
		last := list[len(list)-1].ID
		after = last[:]
	}
}

// CountConns counts a sequence's connections by state.
func (t *tx) CountConns(seq store.ID) (map[store.ConnState]int, error) {
	counts := map[store.ConnState]int{}
	err := t.query("SELECT state, count(*) FROM conns WHERE seq = $1 GROUP BY state", []any{seq[:]}, func(r pgx.Rows) error {
		var state string
		var n int
		err := r.Scan(&state, &n)
		counts[store.ConnState(state)] = n
		return err
	})
	return counts, err
}

func scanDue(r pgx.Rows) (store.Due, error) {
	var d store.Due
	var visit int64
	err := r.Scan(tm(&d.At), idp(&d.Conn), &visit)
	d.Visit = uint32(visit)
	return d, err
}

// DueBefore returns up to limit due-index entries with At <= until, earliest first.
func (t *tx) DueBefore(until time.Time, limit int) ([]store.Due, error) {
	var list []store.Due
	if limit <= 0 {
		return list, nil
	}
	err := t.query("SELECT wake_at, id, visit FROM conns WHERE wake_at IS NOT NULL AND wake_at <= $1 ORDER BY wake_at, id LIMIT $2",
		[]any{until.UnixNano(), limit}, func(r pgx.Rows) error {
			d, err := scanDue(r)
			list = append(list, d)
			return err
		})
	return list, err
}

// NextDue returns the earliest due-index entry.
func (t *tx) NextDue() (store.Due, bool, error) {
	var d store.Due
	found, err := t.queryOne("SELECT wake_at, id, visit FROM conns WHERE wake_at IS NOT NULL ORDER BY wake_at, id LIMIT 1", nil,
		func(r pgx.Rows) (err error) {
			d, err = scanDue(r)
			return err
		})
	return d, found, err
}

// History

// checkEvent refuses an event whose values the port does not allow.
func checkEvent(ev store.Event) error {
	for _, v := range []any{ev.Old, ev.New} {
		switch v := v.(type) {
		case nil, string, bool:
		case float64:
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return fmt.Errorf("event %s: %v is not a number that can be stored", ev.Type, v)
			}
		default:
			return fmt.Errorf("event %s: a value of %T; values are strings, float64s, bools or nil", ev.Type, v)
		}
	}
	return nil
}

// AppendHistory adds events to the end of a connection's history: one row per append.
func (t *tx) AppendHistory(conn store.ID, events ...store.Event) error {
	if conn.IsZero() {
		return errors.New("history of a connection without an ID")
	}
	if len(events) == 0 {
		return nil
	}
	out := make([]store.Event, len(events))
	for i, ev := range events {
		if err := checkEvent(ev); err != nil {
			return fmt.Errorf("history of connection %s: %w", conn, err)
		}
		ev.At, ev.Until = utc(ev.At), utc(ev.Until)
		out[i] = ev
	}
	b, err := json.Marshal(out)
	if err != nil {
		return fmt.Errorf("history of connection %s: %w", conn, err)
	}
	if !t.writable {
		return errReadOnly("append to the history of connection " + conn.String())
	}
	t.wrote = true
	t.rows.history.put("", []any{conn[:], string(b)})
	return nil
}

func utc(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return t.UTC()
}

// History returns a connection's history in the order it was appended.
func (t *tx) History(conn store.ID) ([]store.Event, error) {
	var list []store.Event
	err := t.query("SELECT events FROM history WHERE conn = $1 ORDER BY n", []any{conn[:]}, func(r pgx.Rows) error {
		var b []byte
		if err := r.Scan(&b); err != nil {
			return err
		}
		var evs []store.Event
		if err := json.Unmarshal(b, &evs); err != nil {
			return fmt.Errorf("damaged history of connection %s: %w", conn, err)
		}
		for i := range evs {
			evs[i].At, evs[i].Until = utc(evs[i].At), utc(evs[i].Until)
		}
		list = append(list, evs...)
		return nil
	})
	return list, err
}

// Tasks

const taskCols = "id, conn, record, seq, record_ref, record_name, seq_name, step_id, visit, type, name, template, due_at, assignees, state, outcome, note, error, created_at, closed_at, closed_by, why"

// taskColsOf is taskCols of the table named t.
const taskColsOf = "t.id, t.conn, t.record, t.seq, t.record_ref, t.record_name, t.seq_name, t.step_id, t.visit, t.type, t.name, t.template, t.due_at, t.assignees, t.state, t.outcome, t.note, t.error, t.created_at, t.closed_at, t.closed_by, t.why"

func scanTask(r pgx.Rows) (store.Task, error) {
	var tk store.Task
	var visit int64
	err := r.Scan(idp(&tk.ID), idp(&tk.Conn), idp(&tk.Record), idp(&tk.Sequence), &tk.RecordRef, &tk.RecordName, &tk.SeqName,
		&tk.StepID, &visit, &tk.Type, &tk.Name, &tk.Template, tm(&tk.DueAt), &tk.Assignees, &tk.State, &tk.Outcome,
		&tk.Note, &tk.Error, tm(&tk.CreatedAt), tm(&tk.ClosedAt), &tk.ClosedBy, &tk.Why)
	tk.Visit = uint32(visit)
	tk.Assignees = nilIfEmpty(tk.Assignees)
	return tk, err
}

func (t *tx) Task(id store.ID) (store.Task, error) {
	var tk store.Task
	found, err := t.queryOne("SELECT "+taskCols+" FROM tasks WHERE id = $1"+t.lock(), []any{id[:]}, func(r pgx.Rows) (err error) {
		tk, err = scanTask(r)
		return err
	})
	if err == nil && !found {
		err = notFound("task %s", id)
	}
	return tk, err
}

// dueKey is a task's due time as a sort key: the zero time sorts first.
func dueKey(at time.Time) int64 {
	if at.IsZero() {
		return math.MinInt64
	}
	return at.UnixNano()
}

// PutTask inserts or updates a task; an open one is listed for each distinct assignee.
func (t *tx) PutTask(tk store.Task) error {
	if tk.ID.IsZero() {
		return errors.New("task has no ID")
	}
	for _, a := range tk.Assignees {
		if err := store.CheckName("assignee", a); err != nil {
			return fmt.Errorf("task %s: %w", tk.ID, err)
		}
	}
	if tk.CreatedAt.IsZero() {
		tk.CreatedAt = time.Now().UTC()
	}
	if !t.writable {
		return errReadOnly("store task " + tk.ID.String())
	}
	t.wrote = true
	t.rows.tasks.put(string(tk.ID[:]), []any{tk.ID[:], tk.Conn[:], tk.Record[:], tk.Sequence[:], tk.RecordRef, tk.RecordName,
		tk.SeqName, tk.StepID, int64(tk.Visit), tk.Type, tk.Name, tk.Template, nanos(tk.DueAt), strs(tk.Assignees),
		string(tk.State), tk.Outcome, tk.Note, tk.Error, nanos(tk.CreatedAt), nanos(tk.ClosedAt), tk.ClosedBy, tk.Why, dueKey(tk.DueAt)})
	return nil
}

// TasksFor walks username's open tasks, earliest due first, a chunk at a time.
func (t *tx) TasksFor(username string, fn func(store.Task) bool) error {
	// The page of the assignee's index first, then each task by its key (OFFSET 0 keeps the
	// lookup per row): a large page never turns into a scan of every task.
	return t.walkTasks(`SELECT `+taskColsOf+`, a.due_key FROM (
			SELECT task, due_key FROM task_assignees WHERE username = $1 AND (due_key, task) > ($2, $3)
			ORDER BY due_key, task LIMIT $4) a
		CROSS JOIN LATERAL (SELECT * FROM tasks WHERE id = a.task OFFSET 0) t
		ORDER BY a.due_key, a.task`, username, fn)
}

// OpenTasks walks every open task, earliest due first, a chunk at a time.
func (t *tx) OpenTasks(fn func(store.Task) bool) error {
	return t.walkTasks(`SELECT `+taskColsOf+`, t.due_key FROM tasks t
		WHERE t.state = 'open' AND $1::text IS NOT NULL AND (t.due_key, t.id) > ($2, $3) ORDER BY t.due_key, t.id LIMIT $4`, "", fn)
}

// maxTaskPage bounds the pages of walkTasks, which grow from chunk: a work list of ten
// thousand tasks takes three queries.
const maxTaskPage = 32 * chunk

func (t *tx) walkTasks(sql, username string, fn func(store.Task) bool) error {
	afterKey, afterID := int64(math.MinInt64), []byte{}
	for page := chunk; ; page = min(4*page, maxTaskPage) {
		var list []store.Task
		var lastKey int64
		err := t.query(sql, []any{username, afterKey, afterID, page}, func(r pgx.Rows) error {
			tk, err := scanTaskKey(r, &lastKey)
			list = append(list, tk)
			return err
		})
		if err != nil {
			return err
		}
		for _, tk := range list {
			if !fn(tk) {
				return nil
			}
		}
		if len(list) < page {
			return nil
		}
		last := list[len(list)-1].ID
		afterKey, afterID = lastKey, last[:]
	}
}

// scanTaskKey scans a task followed by its due key.
func scanTaskKey(r pgx.Rows, key *int64) (store.Task, error) {
	var tk store.Task
	var visit int64
	err := r.Scan(idp(&tk.ID), idp(&tk.Conn), idp(&tk.Record), idp(&tk.Sequence), &tk.RecordRef, &tk.RecordName, &tk.SeqName,
		&tk.StepID, &visit, &tk.Type, &tk.Name, &tk.Template, tm(&tk.DueAt), &tk.Assignees, &tk.State, &tk.Outcome,
		&tk.Note, &tk.Error, tm(&tk.CreatedAt), tm(&tk.ClosedAt), &tk.ClosedBy, &tk.Why, key)
	tk.Visit = uint32(visit)
	tk.Assignees = nilIfEmpty(tk.Assignees)
	return tk, err
}

// Messages

const msgCols = "id, conn, record, seq, step_id, visit, key, message_id, channel, from_addr, to_addr, subject, body, state, tries, next_try, last_error, created_at, sent_at, html"

func scanMessage(r pgx.Rows) (store.Message, error) {
	var m store.Message
	var visit int64
	err := r.Scan(idp(&m.ID), idp(&m.Conn), idp(&m.Record), idp(&m.Sequence), &m.StepID, &visit, &m.Key, &m.MessageID,
		&m.Channel, &m.From, &m.To, &m.Subject, &m.Body, &m.State, &m.Tries, tm(&m.NextTry), &m.LastError,
		tm(&m.CreatedAt), tm(&m.SentAt), &m.HTML)
	m.Visit = uint32(visit)
	return m, err
}

func (t *tx) Message(id store.ID) (store.Message, error) {
	var m store.Message
	found, err := t.queryOne("SELECT "+msgCols+" FROM messages WHERE id = $1"+t.lock(), []any{id[:]}, func(r pgx.Rows) (err error) {
		m, err = scanMessage(r)
		return err
	})
	if err == nil && !found {
		err = notFound("message %s", id)
	}
	return m, err
}

// PutMessage inserts or updates an outbox message. Storing a message ends its lease.
func (t *tx) PutMessage(m store.Message) error {
	if m.ID.IsZero() {
		return errors.New("message has no ID")
	}
	if m.CreatedAt.IsZero() {
		m.CreatedAt = time.Now().UTC()
	}
	if !t.writable {
		return errReadOnly("store message " + m.ID.String())
	}
	t.wrote = true
	t.rows.messages.put(string(m.ID[:]), []any{m.ID[:], m.Conn[:], m.Record[:], m.Sequence[:], m.StepID, int64(m.Visit), m.Key,
		m.MessageID, m.Channel, m.From, m.To, m.Subject, m.Body, string(m.State), int64(m.Tries), nanos(m.NextTry), m.LastError,
		nanos(m.CreatedAt), nanos(m.SentAt), m.HTML})
	return nil
}

// queuedWhere selects the queued messages due by $1; a zero NextTry is due at once.
const queuedWhere = "state = 'queued' AND (next_try <= $1 OR next_try IS NULL)"

// QueuedBefore returns up to limit queued messages with NextTry <= until, earliest first.
func (t *tx) QueuedBefore(until time.Time, limit int) ([]store.Message, error) {
	var list []store.Message
	if limit <= 0 {
		return list, nil
	}
	err := t.query("SELECT "+msgCols+" FROM messages WHERE "+queuedWhere+" ORDER BY next_try NULLS FIRST, id LIMIT $2",
		[]any{until.UnixNano(), limit}, func(r pgx.Rows) error {
			m, err := scanMessage(r)
			list = append(list, m)
			return err
		})
	return list, err
}

// Messages walks every outbox message, oldest (by CreatedAt, then ID) first.
func (t *tx) Messages(fn func(store.Message) bool) error {
	afterAt, afterID := int64(math.MinInt64), []byte{}
	for {
		var list []store.Message
		err := t.query("SELECT "+msgCols+" FROM messages WHERE (created_at, id) > ($1, $2) ORDER BY created_at, id LIMIT $3",
			[]any{afterAt, afterID, chunk}, func(r pgx.Rows) error {
				m, err := scanMessage(r)
				list = append(list, m)
				return err
			})
		if err != nil {
			return err
		}
		for _, m := range list {
			if !fn(m) {
				return nil
			}
		}
		if len(list) < chunk {
			return nil
		}
		last := list[len(list)-1]
		afterAt, afterID = last.CreatedAt.UnixNano(), last.ID[:]
	}
}

// Segments

func scanSegment(r pgx.Rows) (store.Segment, error) {
	var s store.Segment
	var matches []byte
	if err := r.Scan(&s.Name, &s.Entity, &matches, &s.Sequence, &s.Active); err != nil {
		return s, err
	}
	if err := json.Unmarshal(matches, &s.Where); err != nil {
		return s, fmt.Errorf("damaged segment %q: %w", s.Name, err)
	}
	s.Where = nilIfEmpty(s.Where)
	return s, nil
}

func (t *tx) Segment(name string) (store.Segment, error) {
	var s store.Segment
	found, err := t.queryOne("SELECT name, entity, matches, sequence, active FROM segments WHERE name = $1", []any{name},
		func(r pgx.Rows) (err error) {
			s, err = scanSegment(r)
			return err
		})
	if err == nil && !found {
		err = notFound("segment %q", name)
	}
	return s, err
}

func (t *tx) Segments() ([]store.Segment, error) {
	list := []store.Segment{}
	err := t.query("SELECT name, entity, matches, sequence, active FROM segments ORDER BY name", nil, func(r pgx.Rows) error {
		s, err := scanSegment(r)
		list = append(list, s)
		return err
	})
	return list, err
}

func (t *tx) PutSegment(s store.Segment) error {
	if err := store.CheckName("segment name", s.Name); err != nil {
		return err
	}
	where := s.Where
	if where == nil {
		where = []store.SegmentMatch{}
	}
	b, err := json.Marshal(where)
	if err != nil {
		return fmt.Errorf("segment %q: %w", s.Name, err)
	}
	return t.write(fmt.Sprintf("store segment %q", s.Name), `INSERT INTO segments (name, entity, matches, sequence, active)
		VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (name) DO UPDATE SET entity = excluded.entity, matches = excluded.matches,
			sequence = excluded.sequence, active = excluded.active`,
		s.Name, s.Entity, string(b), s.Sequence, s.Active)
}

func (t *tx) DeleteSegment(name string) error {
	n, err := t.exec(fmt.Sprintf("delete segment %q", name), "DELETE FROM segments WHERE name = $1", name)
	if err == nil && n == 0 {
		err = notFound("segment %q", name)
	}
	return err
}
