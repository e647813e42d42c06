package store

import "time"

// ConnState is the state of a connection.
type ConnState string

// The connection states.
const (
	ConnActive       ConnState = "active"
	ConnCompleted    ConnState = "completed"
	ConnDisconnected ConnState = "disconnected"
)

// Disconnect reasons (SPEC §3–4).
const (
	ReasonManual          = "manual"
	ReasonReplied         = "replied"
	ReasonAdvanced        = "advanced"
	ReasonAdvanceFailed   = "advance_failed"
	ReasonSequenceDeleted = "sequence_deleted"
	// ReasonRecordRemoved: the record was removed (record remove).
	ReasonRecordRemoved = "record_removed"
	// ReasonUnsubscribed: the recipient unsubscribed from pacer's automated emails.
	ReasonUnsubscribed = "unsubscribed"
	// ReasonBounced: an email to the record's address bounced for good.
	ReasonBounced = "bounced"
)

// Connection is a record attached to one published version of a sequence, walking its
// steps. Everything the runtime needs to decide the next move is in it, so deciding is a
// pure function of the connection, the version and the input.
type Connection struct {
	ID       ID        `json:"-"`
	Record   ID        `json:"-"`
	Sequence ID        `json:"-"`
	Version  int       `json:"version"`
	State    ConnState `json:"state"`
	Reason   string    `json:"reason,omitempty"`
	// Source says how it was connected: "manual", "segment:NAME", "advance:SEQUENCE".
	Source string `json:"source,omitempty"`
	// Step is the id of the current step; empty once the connection has ended.
	Step string `json:"step,omitempty"`
	// Visit counts step entries; a timer or task carries the visit it was made for, so a
	// stale wake-up or a second action on a settled task is recognized and ignored.
	Visit     uint32    `json:"visit"`
	EnteredAt time.Time `json:"entered_at"`
	// WakeAt is when the runtime must look at the connection again (wait end, condition
	// window end, message retry); zero when nothing is scheduled. It is mirrored by exactly
	// one entry of the due index.
	WakeAt time.Time `json:"wake_at,omitempty"`
	// Task is the open task of the current step, if any.
	Task ID `json:"-"`
	// Outcomes holds the outcome each call step was completed with, by step id.
	Outcomes map[string]string `json:"outcomes,omitempty"`
	// Sent holds the message each email/SMS step sent, by step id, with the events seen.
	Sent map[string]Sent `json:"sent,omitempty"`
	// Skipped lists step ids the seller skipped (a skipped step's condition takes No).
	Skipped []string `json:"skipped,omitempty"`
	// Pause is set while the connection is paused: nothing of it runs until it is resumed.
	Pause     Pause     `json:"pause,omitzero"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Paused reports whether the connection is paused.
func (c Connection) Paused() bool { return !c.Pause.At.IsZero() }

// Pause is why and since when a connection is paused.
type Pause struct {
	At time.Time `json:"at"`
	// Until is when it resumes by itself; zero: only when someone resumes it.
	Until  time.Time `json:"until,omitzero"`
	Reason string    `json:"reason,omitempty"`
	By     string    `json:"by,omitempty"`
	// Left is the time its wait or condition window had left when it was paused (0: none).
	Left time.Duration `json:"left,omitempty"`
	// Working says Left is working time of the org calendar (a wait that counts working
	// time only), not time on the clock.
	Working bool `json:"working,omitempty"`
}

// Sent is a message a step sent and the email events recorded against it.
type Sent struct {
	Message ID                   `json:"-"`
	At      time.Time            `json:"at"`
	Events  map[string]time.Time `json:"events,omitempty"`
}

// Event is one entry of a connection's history (SPEC §4.11).
type Event struct {
	At     time.Time `json:"at"`
	Type   string    `json:"type"`
	StepID string    `json:"step_id,omitempty"`
	// Detail fields, set according to Type.
	Outcome   string    `json:"outcome,omitempty"`
	Note      string    `json:"note,omitempty"`
	Branch    string    `json:"branch,omitempty"` // yes or no
	Why       string    `json:"why,omitempty"`
	Field     string    `json:"field,omitempty"`
	Old       any       `json:"old,omitempty"`
	New       any       `json:"new,omitempty"`
	Reason    string    `json:"reason,omitempty"`
	By        string    `json:"by,omitempty"`
	Assignees []string  `json:"assignees,omitempty"`
	Until     time.Time `json:"until,omitempty"`
	Event     string    `json:"event,omitempty"` // email event kind
	Message   string    `json:"message_id,omitempty"`
	Sequence  string    `json:"sequence,omitempty"`
	Task      string    `json:"task,omitempty"`
}

// The types of history events (Event.Type), SPEC §4.11.
const (
	EventConnected     = "connected"
	EventStepEntered   = "step_entered"
	EventEmailSent     = "email_sent"
	EventCondition     = "condition"
	EventCompleted     = "completed"
	EventDisconnected  = "disconnected"
	EventTaskCreated   = "task_created"
	EventTaskDone      = "task_done"
	EventTaskSkipped   = "task_skipped"
	EventTaskSnoozed   = "task_snoozed"
	EventTaskAssigned  = "task_assigned"
	EventStageSet      = "stage_set"
	EventFieldUpdated  = "field_updated"
	EventEmail         = "event" // an email event: opened, replied, … (in Event.Event)
	EventMessageFailed = "message_failed"
	EventWaitSkipped   = "wait_skipped"
	EventAdvanced      = "advanced"
	// EventError is a timer that could not be applied; Reason says why.
	EventError = "error"
	// EventEmailHeld is an automated email not sent because placeholders had no value and
	// no fallback; Reason names them. A manual email task replaces it.
	EventEmailHeld = "email_held"
	// EventPaused and EventResumed: the connection was paused (Reason, By, Until) and resumed.
	EventPaused  = "paused"
	EventResumed = "resumed"
	// EventMessageHeld: an automated message waits (Until) for its send window or its
	// mailbox's sending limits (Why).
	EventMessageHeld = "message_held"
)

// EventTypes lists every history event type in the order they were introduced. A backend
// may store a type as its position in this list (store/bolt does), so the list only grows
// at its end.
var EventTypes = [...]string{
	EventConnected, EventStepEntered, EventEmailSent, EventCondition, EventCompleted, EventDisconnected,
	EventTaskCreated, EventTaskDone, EventTaskSkipped, EventTaskSnoozed, EventTaskAssigned,
	EventStageSet, EventFieldUpdated, EventEmail, EventMessageFailed, EventWaitSkipped, EventAdvanced,
	EventError, EventEmailHeld, EventPaused, EventResumed, EventMessageHeld,
}

// TaskState is the state of a task.
type TaskState string

// The task states.
const (
	TaskOpen     TaskState = "open"
	TaskDone     TaskState = "done"
	TaskSkipped  TaskState = "skipped"
	TaskCanceled TaskState = "canceled"
	// TaskPaused is the task of a paused connection: in no work list until it is resumed.
	TaskPaused TaskState = "paused"
)

// Task is a manual step waiting for a seller. Its ID is derived from (connection, step,
// visit), so creating it twice is creating it once.
type Task struct {
	ID       ID `json:"-"`
	Conn     ID `json:"-"`
	Record   ID `json:"-"`
	Sequence ID `json:"-"`
	// RecordRef ("entity/id"), RecordName and SeqName copy the record's and the sequence's
	// names when the task is made, so a work list shows them without reading either.
	RecordRef  string    `json:"record,omitempty"`
	RecordName string    `json:"record_name,omitempty"`
	SeqName    string    `json:"sequence_name,omitempty"`
	StepID     string    `json:"step_id"`
	Visit      uint32    `json:"visit"`
	Type       string    `json:"type"`
	Name       string    `json:"name"`
	Template   string    `json:"template,omitempty"`
	DueAt      time.Time `json:"due_at"`
	Assignees  []string  `json:"assignees"`
	State      TaskState `json:"state"`
	Outcome    string    `json:"outcome,omitempty"`
	Note       string    `json:"note,omitempty"`
	// Error is set on a manual email task made from an automated message that kept failing.
	Error     string    `json:"error,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	ClosedAt  time.Time `json:"closed_at,omitempty"`
	ClosedBy  string    `json:"closed_by,omitempty"`
	// Why says why the task's due time or assignees differ from the step's own: a holiday,
	// the seller's time off and cover, the seller's working hours ("" when nothing moved,
	// and again once a person snoozes or reassigns it or a resume makes it due at once).
	Why string `json:"why,omitempty"`
}

// MsgState is the state of an outbox message.
type MsgState string

// The outbox states.
const (
	MsgQueued MsgState = "queued"
	MsgSent   MsgState = "sent"
	// MsgKept is a message kept in the local outbox because no transport is configured;
	// it counts as sent.
	MsgKept   MsgState = "kept"
	MsgFailed MsgState = "failed"
)

// Message is an automated email or SMS in the transactional outbox.
type Message struct {
	ID       ID     `json:"-"`
	Conn     ID     `json:"-"`
	Record   ID     `json:"-"`
	Sequence ID     `json:"-"`
	StepID   string `json:"step_id"`
	Visit    uint32 `json:"visit"`
	// Key is the idempotency key (connection, step, visit); MessageID derives from it.
	Key       string `json:"key"`
	MessageID string `json:"message_id"`
	Channel   string `json:"channel"` // email or sms
	From      string `json:"from,omitempty"`
	To        string `json:"to"`
	Subject   string `json:"subject,omitempty"`
	Body      string `json:"body"`
	// HTML is the email's HTML body rendered from its template's own HTML, "" when the HTML
	// part is made from Body.
	HTML      string    `json:"html,omitempty"`
	State     MsgState  `json:"state"`
	Tries     int       `json:"tries"`
	NextTry   time.Time `json:"next_try,omitempty"`
	LastError string    `json:"last_error,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	SentAt    time.Time `json:"sent_at,omitempty"`
}

// Segment is a saved filter over one entity linked to a sequence: while active, matching
// records are connected automatically.
type Segment struct {
	Name     string         `json:"name"`
	Entity   string         `json:"entity"`
	Where    []SegmentMatch `json:"where"`
	Sequence string         `json:"sequence"`
	Active   bool           `json:"active"`
}

// SegmentMatch is one FIELD=VALUE test of a segment; all must hold.
type SegmentMatch struct {
	Field string `json:"field"`
	Value string `json:"value"`
}

// Due is one entry of the due index: a connection to look at again at At, for the visit it
// was scheduled in.
type Due struct {
	At    time.Time
	Conn  ID
	Visit uint32
}

// RuntimeTx is the part of a transaction that the runtime uses: connections and their
// history, tasks, the due index, the outbox and segments. Every index (due, connections by
// record and by sequence, open tasks by assignee and by due time, queued messages by next
// try) is kept by the Put methods in the same transaction as its entity. A zero CreatedAt
// (and a connection's zero UpdatedAt) given to a Put method is set to the current time; an
// entity that exists keeps the CreatedAt it was stored with. Connections outlive their
// sequence: DeleteSequence leaves them and their history.
type RuntimeTx interface {
	Conn(id ID) (Connection, error)
	// PutConn inserts or updates a connection; its due-index entry follows WakeAt (one entry
	// per connection, removed when WakeAt is zero).
	PutConn(Connection) error
	// ConnsByRecord returns every connection of a record, oldest first.
	ConnsByRecord(record ID) ([]Connection, error)
	// ConnsBySequence calls fn for every connection of a sequence, oldest first, until fn
	// returns false. In an Update, fn may write.
	ConnsBySequence(seq ID, fn func(Connection) bool) error
	// CountConns counts a sequence's connections by state.
	CountConns(seq ID) (map[ConnState]int, error)
	// DueBefore returns up to limit due-index entries with At <= until, earliest first.
	DueBefore(until time.Time, limit int) ([]Due, error)
	// NextDue returns the earliest due-index entry; ok is false when the index is empty.
	NextDue() (d Due, ok bool, err error)

	// AppendHistory adds events to the end of a connection's history.
	AppendHistory(conn ID, events ...Event) error
	// History returns a connection's history in the order it was appended.
	History(conn ID) ([]Event, error)

	Task(id ID) (Task, error)
	// PutTask inserts or updates a task; open tasks are indexed by each assignee and due time.
	PutTask(Task) error
	// TasksFor calls fn for each open task assigned to username, earliest due first, until
	// fn returns false. In an Update, fn may write.
	TasksFor(username string, fn func(Task) bool) error
	// OpenTasks calls fn for every open task, earliest due first, until fn returns false.
	// In an Update, fn may write.
	OpenTasks(fn func(Task) bool) error

	Message(id ID) (Message, error)
	// PutMessage inserts or updates an outbox message; queued ones are indexed by NextTry.
	PutMessage(Message) error
	// QueuedBefore returns up to limit queued messages with NextTry <= until, earliest first.
	QueuedBefore(until time.Time, limit int) ([]Message, error)
	// NextQueued returns when the earliest queued message can next be claimed: its
	// NextTry, or the end of its lease (ClaimQueued) when that is later; ok is false when
	// none is queued.
	NextQueued() (at time.Time, ok bool, err error)
	// Messages calls fn for every outbox message, oldest first, until fn returns false.
	// In an Update, fn may write.
	Messages(fn func(Message) bool) error

	// Claims: what lets several processes share one database. A backend used by one
	// process at a time (bbolt) implements them as DueBefore and QueuedBefore, and always
	// leads.

	// ClaimDue returns up to limit due-index entries with At <= until, earliest first,
	// that no other transaction has claimed, and holds each entry's connection for this
	// transaction until it ends: another process's ClaimDue skips them, and its reads of
	// those connections in an Update wait. A backend may claim more entries than it returns
	// (a batch ahead, held alike), which the same transaction's later ClaimDue calls return
	// in their turn, its own changes of them included. In a View it is DueBefore.
	ClaimDue(until time.Time, limit int) ([]Due, error)
	// ClaimQueued returns up to limit queued messages with NextTry <= until, earliest
	// first, that no other process holds a lease on, and leases them to this one for lease
	// (measured by the database's clock) once the transaction commits. Storing a message
	// ends its lease. A process that dies while holding a lease leaves its messages to the
	// others when the lease ends.
	ClaimQueued(until time.Time, limit int, lease time.Duration) ([]Message, error)
	// Lead makes node the holder of the leadership called name for ttl (by the database's
	// clock) when no other node holds it or its term has ended, or extends node's own term;
	// it reports whether node leads.
	Lead(name, node string, ttl time.Duration) (bool, error)
	// Resign ends node's term of the leadership called name, if node holds it.
	Resign(name, node string) error

	Segment(name string) (Segment, error)
	// Segments returns every segment ordered by name.
	Segments() ([]Segment, error)
	PutSegment(Segment) error
	DeleteSegment(name string) error
}

// Prefetcher is a Tx that can read ahead: a backend whose every read is a round trip
// (PostgreSQL) implements it, so work that is about to read many records reads them in
// one. It changes no answer: the reads that follow return what they would have returned.
type Prefetcher interface {
	// PrefetchRecords reads ahead, in an Update, the live records of entity with the given
	// ids (locking them, as Record does) and their connections; ids of no record are
	// skipped.
	PrefetchRecords(entity string, ids []string) error
}
