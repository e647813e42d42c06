package postgres

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/jackc/pgx/v5"
)

// ErrNewerSchema is returned (wrapped) by Open for a database written by a newer version of
// pacer than this one.
var ErrNewerSchema = errors.New("database written by a newer version of pacer")

// migrations[n] takes a database from schema n to n+1, inside the transaction that records
// the new version. A new schema appends a step; released steps never change.
var migrations = []string{
	schema1, // 0 → 1: every table and index
	schema2, // 1 → 2: removed records
	schema3, // 2 → 3: messages by tracking id and recipient, suppressions, mailbox positions
	schema4, // 3 → 4: paused connections, users' working time
	schema5, // 4 → 5: records by name, by modification time and by owner
	schema6, // 5 → 6: nothing (see schema6)
	schema7, // 6 → 7: templates' and emails' own HTML, users' mailboxes, records by email
	schema8, // 7 → 8: what each sender mailbox has let out (sending limits)
	schema9, // 8 → 9: why a task's due time or assignees were moved
}

// schema6 changes nothing: the number was held for a change that came without tables of its
// own. Released steps never change, so it stays, empty.
const schema6 = ``

// currentSchema is the schema this version of pacer writes.
func currentSchema() int { return len(migrations) }

// tables lists every table, in the order Backup writes them.
var tables = []string{
	"meta", "settings", "users", "teams", "records", "templates", "sequences", "versions",
	"prefs", "conns", "history", "tasks", "task_assignees", "messages", "segments", "leaders",
	"suppressions", "mailboxes", "mailbox_use",
}

// schema2 lets records be removed (store.Tx.RemoveRecord): a removed record keeps its row,
// so its connections, tasks and messages still find it by key, but no longer holds its
// (entity, id), which a new record may then take.
const schema2 = `
ALTER TABLE records ADD COLUMN removed boolean NOT NULL DEFAULT false;
ALTER TABLE records DROP CONSTRAINT records_entity_id_key;
CREATE UNIQUE INDEX records_ref ON records (entity, id) WHERE NOT removed;
CREATE INDEX records_removed ON records (key) WHERE removed;
`

// schema4 adds the pause of a connection (json, NULL when not paused) and a user's own
// working time and time off (json, NULL when the org's calendar applies).
const schema4 = `
ALTER TABLE conns ADD COLUMN pause json;
ALTER TABLE users ADD COLUMN timing json;
`

// schema9 adds why a task's due time or assignees differ from its step's own (store.Task.Why).
const schema9 = `
ALTER TABLE tasks ADD COLUMN why text NOT NULL DEFAULT '';
`

// schema1 is the first schema. Times are int8 Unix nanoseconds, NULL for the zero time;
// IDs are 16-byte bytea; text that is listed in order is COLLATE "C". A task's due_key is
// its due time as a sort key that is never NULL (the zero time sorts first), so the work
// lists page through an index on it.
const schema1 = `
CREATE TABLE meta (
	key   text COLLATE "C" PRIMARY KEY,
	value text NOT NULL
);
CREATE TABLE settings (
	id  int PRIMARY KEY CHECK (id = 1),
	doc json NOT NULL
);
CREATE TABLE users (
	username  text COLLATE "C" PRIMARY KEY,
	name      text NOT NULL,
	email     text NOT NULL,
	roles     text[] NOT NULL,
	title     text NOT NULL,
	territory text NOT NULL,
	timezone  text NOT NULL,
	ssh_keys  text[] NOT NULL,
	from_addr text NOT NULL
);
CREATE TABLE teams (
	name    text COLLATE "C" PRIMARY KEY,
	type    text NOT NULL,
	members json NOT NULL
);
CREATE TABLE records (
	key         bytea PRIMARY KEY,
	entity      text COLLATE "C" NOT NULL,
	id          text COLLATE "C" NOT NULL,
	name        text NOT NULL,
	owner       text NOT NULL,
	stage       text NOT NULL,
	access_team text NOT NULL,
	email       text NOT NULL,
	phone       text NOT NULL,
	fields      json,
	created_at  int8,
	modified_at int8,
	UNIQUE (entity, id)
);
CREATE TABLE templates (
	name        text COLLATE "C" PRIMARY KEY,
	kind        text NOT NULL,
	subject     text NOT NULL,
	body        text NOT NULL,
	modified_at int8
);
CREATE TABLE sequences (
	id          bytea PRIMARY KEY,
	name        text NOT NULL,
	folded      text COLLATE "C" NOT NULL,
	description text NOT NULL,
	entity      text NOT NULL,
	owner       text NOT NULL,
	state       text NOT NULL,
	version     int NOT NULL,
	tags        text[] NOT NULL,
	steps       int NOT NULL,
	definition  bytea NOT NULL,
	created_at  int8,
	modified_at int8
);
CREATE UNIQUE INDEX sequences_folded ON sequences (folded) WHERE folded <> '';
CREATE TABLE versions (
	seq          bytea NOT NULL REFERENCES sequences (id) ON DELETE CASCADE,
	n            int8 NOT NULL,
	definition   bytea NOT NULL,
	published_at int8,
	by_user      text NOT NULL,
	note         text NOT NULL,
	PRIMARY KEY (seq, n)
);
CREATE TABLE prefs (
	username text COLLATE "C" NOT NULL,
	screen   text COLLATE "C" NOT NULL,
	value    bytea NOT NULL,
	PRIMARY KEY (username, screen)
);
CREATE TABLE conns (
	id         bytea PRIMARY KEY,
	record     bytea NOT NULL,
	seq        bytea NOT NULL,
	version    int8 NOT NULL,
	state      text NOT NULL,
	reason     text NOT NULL,
	source     text NOT NULL,
	step       text NOT NULL,
	visit      int8 NOT NULL,
	entered_at int8,
	wake_at    int8,
	task       bytea NOT NULL,
	outcomes   json,
	sent       json,
	skipped    text[],
	created_at int8,
	updated_at int8
);
CREATE INDEX conns_record ON conns (record, id);
CREATE INDEX conns_seq ON conns (seq, id) INCLUDE (state);
CREATE INDEX conns_due ON conns (wake_at, id) INCLUDE (visit) WHERE wake_at IS NOT NULL;
CREATE TABLE history (
	n      bigserial PRIMARY KEY,
	conn   bytea NOT NULL,
	events json NOT NULL
);
CREATE INDEX history_conn ON history (conn, n);
CREATE TABLE tasks (
	id          bytea PRIMARY KEY,
	conn        bytea NOT NULL,
	record      bytea NOT NULL,
	seq         bytea NOT NULL,
	record_ref  text NOT NULL,
	record_name text NOT NULL,
	seq_name    text NOT NULL,
	step_id     text NOT NULL,
	visit       int8 NOT NULL,
	type        text NOT NULL,
	name        text NOT NULL,
	template    text NOT NULL,
	due_at      int8,
	due_key     int8 NOT NULL,
	assignees   text[] NOT NULL,
	state       text NOT NULL,
	outcome     text NOT NULL,
	note        text NOT NULL,
	error       text NOT NULL,
	created_at  int8,
	closed_at   int8,
	closed_by   text NOT NULL
);
CREATE INDEX tasks_open ON tasks (due_key, id) WHERE state = 'open';
CREATE TABLE task_assignees (
	username text COLLATE "C" NOT NULL,
	task     bytea NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
	due_key  int8 NOT NULL,
	PRIMARY KEY (task, username)
);
CREATE INDEX task_assignees_due ON task_assignees (username, due_key, task);
CREATE TABLE messages (
	id          bytea PRIMARY KEY,
	conn        bytea NOT NULL,
	record      bytea NOT NULL,
	seq         bytea NOT NULL,
	step_id     text NOT NULL,
	visit       int8 NOT NULL,
	key         text NOT NULL,
	message_id  text NOT NULL,
	channel     text NOT NULL,
	from_addr   text NOT NULL,
	to_addr     text NOT NULL,
	subject     text NOT NULL,
	body        text NOT NULL,
	state       text NOT NULL,
	tries       int8 NOT NULL,
	next_try    int8,
	last_error  text NOT NULL,
	created_at  int8,
	sent_at     int8,
	lease_until int8
);
CREATE INDEX messages_order ON messages (created_at, id);
CREATE INDEX messages_queued ON messages (next_try NULLS FIRST, id) WHERE state = 'queued';
CREATE TABLE segments (
	name     text COLLATE "C" PRIMARY KEY,
	entity   text NOT NULL,
	matches  json NOT NULL,
	sequence text NOT NULL,
	active   bool NOT NULL
);
CREATE TABLE leaders (
	name       text COLLATE "C" PRIMARY KEY,
	node       text NOT NULL,
	expires_at timestamptz NOT NULL
);
`

// upgrade creates or migrates the tables, holding an advisory lock of the schema so that
// nodes starting together migrate once.
func (db *DB) upgrade(ctx context.Context) error {
	// Most opens find the schema current: one query says so, without a lock.
	var v string
	meta := pgx.Identifier{db.schema, "meta"}.Sanitize()
	if err := db.pool.QueryRow(ctx, "SELECT value FROM "+meta+" WHERE key = 'schema'").Scan(&v); err == nil && v == strconv.Itoa(currentSchema()) {
		return nil
	}
	ptx, err := db.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("postgres: begin: %w", err)
	}
	defer func() { _ = ptx.Rollback(context.WithoutCancel(ctx)) }()
	if _, err := ptx.Exec(ctx, "SELECT pg_advisory_xact_lock(hashtext($1))", "pacer schema "+db.schema); err != nil {
		return fmt.Errorf("postgres: lock the schema for migration: %w", err)
	}
	version, err := readSchema(ctx, ptx, db.schema)
	if err != nil {
		return err
	}
	if version > currentSchema() {
		return fmt.Errorf("postgres schema %s: %w (schema %d; this version reads up to schema %d): upgrade pacer",
			db.schema, ErrNewerSchema, version, currentSchema())
	}
	if version == currentSchema() {
		return nil
	}
	for n := version; n < currentSchema(); n++ {
		if _, err := ptx.Exec(ctx, migrations[n]); err != nil {
			return fmt.Errorf("postgres schema %s: migrate to schema %d: %w", db.schema, n+1, err)
		}
	}
	if version == 0 {
		if err := putSettings(ctx, ptx, defaultSettingsDoc()); err != nil {
			return err
		}
	}
	if _, err := ptx.Exec(ctx, `INSERT INTO meta (key, value) VALUES ('schema', $1)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value`, strconv.Itoa(currentSchema())); err != nil {
		return fmt.Errorf("postgres: record the schema version: %w", err)
	}
	return ptx.Commit(ctx)
}

// readSchema returns the schema version of the tables in schema: 0 when there are none. A
// schema holding other tables but no pacer meta is refused rather than written into.
func readSchema(ctx context.Context, q pgx.Tx, schema string) (int, error) {
	var hasMeta bool
	var others int
	err := q.QueryRow(ctx, `SELECT
		EXISTS (SELECT 1 FROM information_schema.tables WHERE table_schema = $1 AND table_name = 'meta'),
		(SELECT count(*) FROM information_schema.tables WHERE table_schema = $1)`, schema).Scan(&hasMeta, &others)
	if err != nil {
		return 0, fmt.Errorf("postgres: read the schema version: %w", err)
	}
	if !hasMeta {
		if others > 0 {
			return 0, fmt.Errorf("postgres schema %s is not a pacer database: it has %d tables and no pacer metadata", schema, others)
		}
		return 0, nil
	}
	var v string
	err = q.QueryRow(ctx, "SELECT value FROM meta WHERE key = 'schema'").Scan(&v)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, fmt.Errorf("postgres schema %s is not a pacer database: its meta table has no schema version", schema)
	}
	if err != nil {
		return 0, fmt.Errorf("postgres: read the schema version: %w", err)
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, fmt.Errorf("postgres schema %s: damaged schema version %q", schema, v)
	}
	return n, nil
}
