package bolt

import (
	"fmt"

	"go.etcd.io/bbolt"
)

// bucketDef names a top-level bucket and says how its pages are filled on write.
//
// Every bucket pacer uses is declared here once; the migration that introduces a bucket
// creates it, and transactions reach it only through (*tx).bucket so its fill setting
// always applies.
type bucketDef struct {
	name string
	// fill is the bbolt FillPercent for writes; 0 keeps bbolt's default (0.5). Buckets whose
	// keys only ever grow take 1.0 so their pages are packed full.
	fill float64
}

// The buckets of schema 1. Keys are fixed-width and big-endian where they hold numbers, so
// byte order is the order pacer lists things in.
var (
	// meta holds the schema version (key "schema").
	bMeta = bucketDef{name: "meta"}
	// settings holds the org settings (key "org").
	bSettings = bucketDef{name: "settings"}
	// users: username → user.
	bUsers = bucketDef{name: "users"}
	// teams: team name → team.
	bTeams = bucketDef{name: "teams"}
	// records: key (16-byte ID) → record. Keys are time-ordered and only appended.
	bRecords = bucketDef{name: "records", fill: 1.0}
	// records_by_ref: entity 0x00 id → record key.
	bRecordsByRef = bucketDef{name: "records_by_ref"}
	// templates: template name → template, its body referenced in bodies.
	bTemplates = bucketDef{name: "templates"}
	// bodies: body ID (16 bytes) → raw bytes of a template body or a sequence definition.
	// IDs are only appended.
	bBodies = bucketDef{name: "bodies", fill: 1.0}
	// sequences: sequence ID (16 bytes) → sequence summary, its definition referenced in
	// bodies. IDs are only appended.
	bSequences = bucketDef{name: "sequences", fill: 1.0}
	// seq_by_name: lowercased name → sequence ID.
	bSeqByName = bucketDef{name: "seq_by_name"}
	// versions: sequence ID (16) | n (uint32) → published version. Never rewritten.
	bVersions = bucketDef{name: "versions", fill: 1.0}
	// prefs: username 0x00 screen → opaque bytes.
	bPrefs = bucketDef{name: "prefs"}
)

// schema1Buckets are the buckets the initial schema creates.
var schema1Buckets = []bucketDef{
	bMeta, bSettings, bUsers, bTeams, bRecords, bRecordsByRef, bTemplates, bBodies,
	bSequences, bSeqByName, bVersions, bPrefs,
}

// The buckets schema 2 adds for the runtime: connections and their history, tasks, the due
// index, the outbox and segments. Index entries have empty values unless said otherwise;
// times in keys are 8 bytes big-endian from timeKey, so index order is time order (times
// before 1970 included), and the 16-byte ID that ends every index key breaks ties.
var (
	// conns: connection ID (16) → connection (binary format 1). Keys are appended, but
	// values grow as a connection walks its steps: pages filled full would split into a
	// full page and a nearly empty one at each growth, so this keeps bbolt's default fill.
	bConns = bucketDef{name: "conns"}
	// conn_by_record: record key (16) | connection ID (16).
	bConnByRecord = bucketDef{name: "conn_by_record"}
	// conn_by_seq: sequence ID (16) | connection ID (16). Within a sequence, keys are only
	// appended (connection IDs grow) and values are empty.
	bConnBySeq = bucketDef{name: "conn_by_seq", fill: 1.0}
	// conn_counts: sequence ID (16) | state → format byte | count (uint64). Absent when 0.
	bConnCounts = bucketDef{name: "conn_counts"}
	// due: timeKey(WakeAt) (8) | connection ID (16) → format byte | visit (uint32). One
	// entry per connection with a non-zero WakeAt.
	bDue = bucketDef{name: "due"}
	// history: connection ID (16) | sequence (uint64, from the bucket's NextSequence) → the
	// events of one append (binary format 1 for one, 2 for several: history_codec.go). The
	// sequence keeps each connection's events in append order. Schema 4 moves its entries
	// to history_log and removes it.
	bHistory = bucketDef{name: "history"}
	// tasks: task ID (16) → task (binary format 1).
	bTasks = bucketDef{name: "tasks"}
	// task_by_assignee: username 0x00 timeKey(DueAt) (8) | task ID (16), for open tasks
	// only, one entry per distinct assignee. From schema 5 the value is the task, a copy
	// of its value in tasks, so a work list reads this index alone.
	bTaskByAssignee = bucketDef{name: "task_by_assignee"}
	// task_open: timeKey(DueAt) (8) | task ID (16), for open tasks only. From schema 5 the
	// value is the task, as in task_by_assignee.
	bTaskOpen = bucketDef{name: "task_open"}
	// outbox: message ID (16) → message (binary format 1); a long body is referenced in
	// bodies. IDs are time-ordered, so new messages are appended and pages are filled full;
	// most messages are written once (kept, or sent at the first try), and one sent later
	// grows by a few bytes, splitting at most its page.
	bOutbox = bucketDef{name: "outbox", fill: 1.0}
	// outbox_order: timeKey(CreatedAt) (8) | message ID (16). Messages are created in time
	// order and keep their CreatedAt, so keys are only appended.
	bOutboxOrder = bucketDef{name: "outbox_order", fill: 1.0}
	// outbox_due: timeKey(NextTry) (8) | message ID (16), for queued messages only.
	bOutboxDue = bucketDef{name: "outbox_due"}
	// segments: segment name → segment (JSON).
	bSegments = bucketDef{name: "segments"}
)

// schema2Buckets are the buckets schema 2 adds.
var schema2Buckets = []bucketDef{
	bConns, bConnByRecord, bConnBySeq, bConnCounts, bDue, bHistory, bTasks, bTaskByAssignee,
	bTaskOpen, bOutbox, bOutboxOrder, bOutboxDue, bSegments,
}

// The buckets schema 4 adds: history as an append-only log. Every AppendHistory adds one
// entry at the end of history_log, so the pages it writes are the last ones, filled full,
// rather than pages in the middle of the tree next to each connection's earlier entries;
// history_by_conn finds a connection's entries again.
var (
	// history_log: sequence (uint64, from the bucket's NextSequence) → format byte |
	// connection ID (16) | the events of one append (a history value: history_codec.go).
	// Keys are only appended.
	bHistoryLog = bucketDef{name: "history_log", fill: 1.0}
	// history_by_conn: connection ID (16) → format byte | the connection's history_log
	// sequences in append order, each as its difference from the one before (uvarint; the
	// first from 0). An append rewrites one short value rather than adding a key.
	bHistoryByConn = bucketDef{name: "history_by_conn"}
)

// schema4Buckets are the buckets schema 4 adds.
var schema4Buckets = []bucketDef{bHistoryLog, bHistoryByConn}

// records_order (schema 7): the records in use in each order of store.RecordsSorted but
// by id (records_by_ref is that one): entity 0x00 kind, the sort value, then the id (see
// orderKey) → record key (encodeID).
var bRecordsOrder = bucketDef{name: "records_order"}

// bucket returns the bucket def from btx, with its fill setting applied in a writable
// transaction. A missing bucket means the schema is broken, which is reported as an error.
func bucket(btx *bbolt.Tx, def bucketDef) (*bbolt.Bucket, error) {
	b := btx.Bucket([]byte(def.name))
	if b == nil {
		return nil, fmt.Errorf("database is missing the %s bucket", def.name)
	}
	if def.fill > 0 && btx.Writable() {
		b.FillPercent = def.fill
	}
	return b, nil
}
