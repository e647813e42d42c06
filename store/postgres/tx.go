package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/pacer-sales/pacer/store"
	"github.com/pacer-sales/pacer/store/stored"
)

// tx implements store.Tx over one PostgreSQL transaction.
type tx struct {
	ctx      context.Context
	pg       pgx.Tx
	writable bool
	channel  string
	// wrote is set by the first write: the commit then notifies the other nodes.
	wrote bool
	// pending holds the writes not sent yet, and what names each for an error.
	pending *pgx.Batch
	what    []string
	rows    writeBufs
	// recordRows holds the updates of kept records, sent before any read (records are read
	// by the org's reads too).
	recordRows rowBuf
	// keep holds, in an Update, rows it has locked (cache.go); ahead is how many due
	// connections a claim takes at once.
	keep  locked
	ahead int
}

var _ store.Tx = (*tx)(nil)

// errReadOnly is the error of a write in a View.
func errReadOnly(what string) error {
	return fmt.Errorf("%s: a read-only transaction cannot write", what)
}

func notFound(format string, args ...any) error {
	return fmt.Errorf(format+": %w", append(args, store.ErrNotFound)...)
}

// write queues a statement, sent with the next read or at commit; what names it in an error.
func (t *tx) write(what, sql string, args ...any) error {
	if !t.writable {
		return errReadOnly(what)
	}
	if t.pending == nil {
		t.pending = &pgx.Batch{}
	}
	t.pending.Queue(sql, args...)
	t.what = append(t.what, what)
	t.wrote = true
	return nil
}

// take returns the pending writes as one batch, and what names each, leaving none pending;
// with rows false, the runtime's rows (writeBufs) stay pending.
func (t *tx) take(rows bool) (*pgx.Batch, []string, error) {
	rows = rows && t.rows.any()
	if t.pending == nil && !rows && t.recordRows.empty() {
		return nil, nil, nil
	}
	b, what := t.pending, t.what
	t.pending, t.what = nil, nil
	if b == nil {
		b = &pgx.Batch{}
	}
	t.recordRows.tb = recordsTable
	if err := t.recordRows.queue(b, &what, "store records"); err != nil {
		return nil, nil, err
	}
	if rows {
		if err := t.rows.queue(b, &what); err != nil {
			return nil, nil, err
		}
	}
	return b, what, nil
}

// flush sends the pending writes.
func (t *tx) flush() error {
	b, what, err := t.take(true)
	if err != nil || b == nil {
		return err
	}
	br := t.pg.SendBatch(t.ctx, b)
	if err := execAll(br, what); err != nil {
		_ = br.Close()
		return err
	}
	return br.Close()
}

func execAll(br pgx.BatchResults, what []string) error {
	for _, w := range what {
		if _, err := br.Exec(); err != nil {
			return fmt.Errorf("postgres: %s: %w", w, err)
		}
	}
	return nil
}

// query runs sql after the pending writes, in the same round trip, and calls scan for each
// row it returns.
func (t *tx) query(sql string, args []any, scan func(pgx.Rows) error) error {
	return t.run(true, sql, args, scan)
}

// queryOrg is query for a read of none of the tables the runtime's rows go to (connections,
// history, tasks, messages): those rows stay pending, to be sent together later.
func (t *tx) queryOrg(sql string, args []any, scan func(pgx.Rows) error) error {
	return t.run(false, sql, args, scan)
}

func (t *tx) run(withRows bool, sql string, args []any, scan func(pgx.Rows) error) error {
	var rows pgx.Rows
	var br pgx.BatchResults
	b, what, err := t.take(withRows)
	if err != nil {
		return err
	}
	if b != nil {
		b.Queue(sql, args...)
		br = t.pg.SendBatch(t.ctx, b)
		if err := execAll(br, what); err != nil {
			_ = br.Close()
			return err
		}
		rows, err = br.Query()
	} else {
		rows, err = t.pg.Query(t.ctx, sql, args...)
	}
	if err == nil {
		for rows.Next() {
			if err = scan(rows); err != nil {
				break
			}
		}
		rows.Close()
		if err == nil {
			err = rows.Err()
		}
	}
	if br != nil {
		err = errors.Join(err, br.Close())
	}
	if err != nil {
		return fmt.Errorf("postgres: %w", err)
	}
	return nil
}

// queryOne is query for at most one row; found reports whether there was one.
func (t *tx) queryOne(sql string, args []any, scan func(pgx.Rows) error) (found bool, err error) {
	return t.runOne(true, sql, args, scan)
}

// queryOneOrg is queryOrg for at most one row.
func (t *tx) queryOneOrg(sql string, args []any, scan func(pgx.Rows) error) (found bool, err error) {
	return t.runOne(false, sql, args, scan)
}

func (t *tx) runOne(rows bool, sql string, args []any, scan func(pgx.Rows) error) (found bool, err error) {
	err = t.run(rows, sql, args, func(r pgx.Rows) error {
		found = true
		return scan(r)
	})
	return found, err
}

// exec runs a write now (after the pending ones) and returns how many rows it touched.
func (t *tx) exec(what, sql string, args ...any) (int64, error) {
	if !t.writable {
		return 0, errReadOnly(what)
	}
	if err := t.flush(); err != nil {
		return 0, err
	}
	t.wrote = true
	tag, err := t.pg.Exec(t.ctx, sql, args...)
	if err != nil {
		return 0, fmt.Errorf("postgres: %s: %w", what, err)
	}
	return tag.RowsAffected(), nil
}

// lock is the locking clause of reads of rows a transaction may change: in an Update,
// reading a connection, record, task or message holds its row until commit.
func (t *tx) lock() string {
	if t.writable {
		return " FOR UPDATE"
	}
	return ""
}

func isUniqueViolation(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23505"
}

// Settings

func defaultSettingsDoc() stored.Settings { return stored.FromSettings(store.DefaultSettings()) }

const putSettingsSQL = `INSERT INTO settings (id, doc) VALUES (1, $1)
	ON CONFLICT (id) DO UPDATE SET doc = excluded.doc`

func putSettings(ctx context.Context, q pgx.Tx, d stored.Settings) error {
	doc, err := json.Marshal(d)
	if err != nil {
		return err
	}
	if _, err := q.Exec(ctx, putSettingsSQL, string(doc)); err != nil {
		return fmt.Errorf("postgres: store the settings: %w", err)
	}
	return nil
}

func (t *tx) Settings() (store.Settings, error) {
	var d stored.Settings
	found, err := t.queryOneOrg("SELECT doc FROM settings WHERE id = 1", nil, func(r pgx.Rows) error {
		var doc []byte
		if err := r.Scan(&doc); err != nil {
			return err
		}
		return json.Unmarshal(doc, &d)
	})
	if err != nil || !found {
		return store.DefaultSettings(), err
	}
	return d.Settings(), nil
}

func (t *tx) PutSettings(s store.Settings) error {
	doc, err := json.Marshal(stored.FromSettings(s))
	if err != nil {
		return fmt.Errorf("settings: %w", err)
	}
	return t.write("store the settings", putSettingsSQL, string(doc))
}

// Users

const userCols = "username, name, email, roles, title, territory, timezone, ssh_keys, from_addr, timing, imap_url"

func scanUser(r pgx.Rows) (store.User, error) {
	var u store.User
	var roles []string
	var timing []byte
	err := r.Scan(&u.Username, &u.Name, &u.Email, &roles, &u.Title, &u.Territory, &u.TimeZone, &u.SSHKeys, &u.From, &timing, &u.IMAPURL)
	for _, x := range roles {
		u.Roles = append(u.Roles, store.Role(x))
	}
	u.SSHKeys = nilIfEmpty(u.SSHKeys)
	if err == nil && len(timing) > 0 {
		var d stored.Timing
		if err := json.Unmarshal(timing, &d); err != nil {
			return u, fmt.Errorf("damaged working time of user %q: %w", u.Username, err)
		}
		d.SetOn(&u)
	}
	return u, err
}

func (t *tx) User(username string) (store.User, error) {
	var u store.User
	found, err := t.queryOneOrg("SELECT "+userCols+" FROM users WHERE username = $1", []any{username}, func(r pgx.Rows) (err error) {
		u, err = scanUser(r)
		return err
	})
	if err == nil && !found {
		err = notFound("user %q", username)
	}
	return u, err
}

func (t *tx) Users() ([]store.User, error) {
	users := []store.User{}
	err := t.queryOrg("SELECT "+userCols+" FROM users ORDER BY username", nil, func(r pgx.Rows) error {
		u, err := scanUser(r)
		users = append(users, u)
		return err
	})
	return users, err
}

func (t *tx) PutUser(u store.User) error {
	if err := store.CheckName("username", u.Username); err != nil {
		return err
	}
	roles := make([]string, len(u.Roles))
	for i, r := range u.Roles {
		roles[i] = string(r)
	}
	var timing any
	if d := stored.FromUser(u); d != nil {
		b, err := json.Marshal(d)
		if err != nil {
			return fmt.Errorf("user %q: %w", u.Username, err)
		}
		timing = string(b)
	}
	return t.write(fmt.Sprintf("store user %q", u.Username), `INSERT INTO users (`+userCols+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
		ON CONFLICT (username) DO UPDATE SET name = excluded.name, email = excluded.email,
			roles = excluded.roles, title = excluded.title, territory = excluded.territory,
			timezone = excluded.timezone, ssh_keys = excluded.ssh_keys, from_addr = excluded.from_addr,
			timing = excluded.timing, imap_url = excluded.imap_url`,
		u.Username, u.Name, u.Email, roles, u.Title, u.Territory, u.TimeZone, strs(u.SSHKeys), u.From, timing, u.IMAPURL)
}

// DeleteUser removes a user and the user's preferences.
func (t *tx) DeleteUser(username string) error {
	n, err := t.exec(fmt.Sprintf("delete user %q", username), "DELETE FROM users WHERE username = $1", username)
	if err != nil {
		return err
	}
	if n == 0 {
		return notFound("user %q", username)
	}
	return t.write(fmt.Sprintf("delete the preferences of %q", username), "DELETE FROM prefs WHERE username = $1", username)
}

// Teams

func (t *tx) Team(name string) (store.Team, error) {
	var tm store.Team
	found, err := t.queryOneOrg("SELECT name, type, members FROM teams WHERE name = $1", []any{name}, func(r pgx.Rows) (err error) {
		tm, err = scanTeam(r)
		return err
	})
	if err == nil && !found {
		err = notFound("team %q", name)
	}
	return tm, err
}

func scanTeam(r pgx.Rows) (store.Team, error) {
	var tm store.Team
	var members []byte
	if err := r.Scan(&tm.Name, &tm.Type, &members); err != nil {
		return tm, err
	}
	return tm, json.Unmarshal(members, &tm.Members)
}

func (t *tx) Teams() ([]store.Team, error) {
	teams := []store.Team{}
	err := t.queryOrg("SELECT name, type, members FROM teams ORDER BY name", nil, func(r pgx.Rows) error {
		tm, err := scanTeam(r)
		teams = append(teams, tm)
		return err
	})
	return teams, err
}

func (t *tx) PutTeam(tm store.Team) error {
	if err := store.CheckName("team name", tm.Name); err != nil {
		return err
	}
	members, err := json.Marshal(tm.Members)
	if err != nil {
		return fmt.Errorf("team %q: %w", tm.Name, err)
	}
	return t.write(fmt.Sprintf("store team %q", tm.Name), `INSERT INTO teams (name, type, members) VALUES ($1, $2, $3)
		ON CONFLICT (name) DO UPDATE SET type = excluded.type, members = excluded.members`,
		tm.Name, string(tm.Type), string(members))
}

func (t *tx) DeleteTeam(name string) error {
	n, err := t.exec(fmt.Sprintf("delete team %q", name), "DELETE FROM teams WHERE name = $1", name)
	if err == nil && n == 0 {
		err = notFound("team %q", name)
	}
	return err
}

// Records

const recordCols = "key, entity, id, name, owner, stage, access_team, email, phone, fields, created_at, modified_at"

func scanRecord(r pgx.Rows) (store.Record, error) { return scanRecordWith(r) }

// scanRecordWith scans a record, followed by the columns of more.
func scanRecordWith(r pgx.Rows, more ...any) (store.Record, error) {
	var rec store.Record
	var fields []byte
	dest := []any{idp(&rec.Key), &rec.Entity, &rec.ID, &rec.Name, &rec.Owner, &rec.Stage, &rec.AccessTeam,
		&rec.Email, &rec.Phone, &fields, tm(&rec.CreatedAt), tm(&rec.ModifiedAt)}
	dest = append(dest, more...)
	err := r.Scan(dest...)
	if err != nil {
		return rec, err
	}
	return rec, decodeFields(&rec, fields)
}

// decodeFields sets a scanned record's free fields.
func decodeFields(rec *store.Record, fields []byte) error {
	if len(fields) > 0 {
		if err := json.Unmarshal(fields, &rec.Fields); err != nil {
			return fmt.Errorf("damaged fields of record %s: %w", rec.Ref(), err)
		}
	}
	return nil
}

func (t *tx) Record(entity, id string) (store.Record, error) {
	if key, ok := t.keep.refs[refKey(entity, id)]; ok {
		rec, _ := t.keep.record(key)
		return rec, nil
	}
	if t.writable {
		return t.lockRecord("entity = $1 AND id = $2 AND NOT removed", []any{entity, id}, func() error {
			return notFound("record %s/%s", entity, id)
		})
	}
	var rec store.Record
	found, err := t.queryOneOrg("SELECT "+recordCols+" FROM records WHERE entity = $1 AND id = $2 AND NOT removed", []any{entity, id},
		func(r pgx.Rows) (err error) {
			rec, err = scanRecord(r)
			return err
		})
	if err == nil && !found {
		err = notFound("record %s/%s", entity, id)
	}
	return rec, err
}

// lockRecord reads, in an Update, the record where holds, locking and keeping it with the
// suppressions of its address (its automated emails ask for them).
func (t *tx) lockRecord(where string, args []any, missing func() error) (store.Record, error) {
	var rec store.Record
	var removed bool
	var addrKey *string
	var doc []byte
	found, err := t.queryOneOrg("SELECT "+recordCols+", removed, "+suppressionsOf+" FROM records r WHERE "+where+" FOR UPDATE OF r", args,
		func(r pgx.Rows) (err error) {
			rec, err = scanRecordWith(r, &removed, &addrKey, &doc)
			return err
		})
	switch {
	case err != nil:
		return rec, err
	case !found:
		return rec, missing()
	}
	t.keep.keepRecord(rec, removed)
	return rec, t.keep.keepSuppressions(rec, addrKey, doc)
}

func (t *tx) RecordByKey(key store.ID) (store.Record, error) {
	if rec, ok := t.keep.record(key); ok {
		return rec, nil
	}
	if t.writable {
		return t.lockRecord("key = $1", []any{key[:]}, func() error { return notFound("record with key %s", key) })
	}
	var rec store.Record
	found, err := t.queryOneOrg("SELECT "+recordCols+" FROM records WHERE key = $1", []any{key[:]},
		func(r pgx.Rows) (err error) {
			rec, err = scanRecord(r)
			return err
		})
	if err == nil && !found {
		err = notFound("record with key %s", key)
	}
	return rec, err
}

// PutRecord upserts r by (entity, id). An existing record keeps its key and CreatedAt; a new
// one gets a key made from its CreatedAt. A zero ModifiedAt becomes the current time, and a
// new record's zero CreatedAt becomes its ModifiedAt.
func (t *tx) PutRecord(r store.Record) (store.Record, error) {
	if err := store.CheckRecord(r); err != nil {
		return store.Record{}, err
	}
	if !t.writable {
		return store.Record{}, errReadOnly("store record " + r.Ref())
	}
	if r.ModifiedAt.IsZero() {
		r.ModifiedAt = time.Now()
	}
	if r.CreatedAt.IsZero() {
		r.CreatedAt = r.ModifiedAt
	}
	var fields any
	if len(r.Fields) > 0 {
		b, err := json.Marshal(r.Fields)
		if err != nil {
			return store.Record{}, fmt.Errorf("record %s: %w", r.Ref(), err)
		}
		fields = string(b)
	}
	if key, ok := t.keep.refs[refKey(r.Entity, r.ID)]; ok {
		// Kept, so locked: it exists as kept, and the write can wait for the next round trip.
		old := t.keep.records[key]
		r.Key, r.CreatedAt, r.ModifiedAt = key, old.CreatedAt, r.ModifiedAt.UTC()
		t.keep.keepRecord(r, false)
		t.wrote = true
		t.recordRows.put(string(key[:]), []any{key[:], r.Name, r.Owner, r.Stage, r.AccessTeam, r.Email, r.Phone, fields, nanos(r.ModifiedAt)})
		return r, nil
	}
	key := store.NewID(r.CreatedAt)
	created, modified := nanos(r.CreatedAt), nanos(r.ModifiedAt)
	t.wrote = true
	_, err := t.queryOneOrg(`INSERT INTO records (`+recordCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
		ON CONFLICT (entity, id) WHERE NOT removed DO UPDATE SET name = excluded.name, owner = excluded.owner, stage = excluded.stage,
			access_team = excluded.access_team, email = excluded.email, phone = excluded.phone,
			fields = excluded.fields, modified_at = excluded.modified_at
		RETURNING key, created_at`,
		[]any{key[:], r.Entity, r.ID, r.Name, r.Owner, r.Stage, r.AccessTeam, r.Email, r.Phone, fields, created, modified},
		func(row pgx.Rows) error { return row.Scan(idp(&r.Key), tm(&r.CreatedAt)) })
	if err != nil {
		return store.Record{}, fmt.Errorf("record %s: %w", r.Ref(), err)
	}
	r.ModifiedAt = r.ModifiedAt.UTC()
	t.keep.keepRecord(r, false) // the upsert locked it
	return r, nil
}

// chunk is how many rows a walk reads before calling fn on them, so fn may write.
const chunk = 500

// Records walks the records a chunk at a time, in (entity, id) order.
func (t *tx) Records(entity string, fn func(store.Record) bool) error {
	return t.records(entity, "", fn)
}

// RecordsAfter implements store.Tx: the walk of Records from the id after.
func (t *tx) RecordsAfter(entity, after string, fn func(store.Record) bool) error {
	if entity == "" {
		return fmt.Errorf("records after %q: no entity", after)
	}
	return t.records(entity, after, fn)
}

// records walks the records of entity (every entity when empty) in (entity, id) order,
// after the id after.
func (t *tx) records(entity, after string, fn func(store.Record) bool) error {
	lastEntity, lastID := entity, after
	for {
		var recs []store.Record
		var err error
		scan := func(r pgx.Rows) error {
			rec, err := scanRecord(r)
			recs = append(recs, rec)
			return err
		}
		if entity != "" {
			err = t.queryOrg("SELECT "+recordCols+" FROM records WHERE entity = $1 AND id > $2 AND NOT removed ORDER BY id LIMIT $3",
				[]any{entity, lastID, chunk}, scan)
		} else {
			err = t.queryOrg("SELECT "+recordCols+" FROM records WHERE (entity, id) > ($1, $2) AND NOT removed ORDER BY entity, id LIMIT $3",
				[]any{lastEntity, lastID, chunk}, scan)
		}
		if err != nil {
			return err
		}
		for _, rec := range recs {
			if !fn(rec) {
				return nil
			}
		}
		if len(recs) < chunk {
			return nil
		}
		lastEntity, lastID = recs[len(recs)-1].Entity, recs[len(recs)-1].ID
	}
}

// RemoveRecord marks the record removed: its row stays for RecordByKey.
func (t *tx) RemoveRecord(entity, id string) (store.Record, error) {
	r, err := t.Record(entity, id)
	if err != nil {
		return r, err
	}
	_, err = t.exec("remove record "+r.Ref(), "UPDATE records SET removed = true WHERE key = $1", r.Key[:])
	if err == nil {
		t.keep.keepRecord(r, true)
	}
	return r, err
}

// RemovedRecords walks the removed records in key order.
func (t *tx) RemovedRecords(fn func(store.Record) bool) error {
	var recs []store.Record
	err := t.queryOrg("SELECT "+recordCols+" FROM records WHERE removed ORDER BY key", nil, func(r pgx.Rows) error {
		rec, err := scanRecord(r)
		recs = append(recs, rec)
		return err
	})
	if err != nil {
		return err
	}
	for _, r := range recs {
		if !fn(r) {
			return nil
		}
	}
	return nil
}

// Templates

const templateCols = "name, kind, subject, body, modified_at, html"

func scanTemplate(r pgx.Rows) (store.Template, error) {
	var tp store.Template
	err := r.Scan(&tp.Name, &tp.Kind, &tp.Subject, &tp.Body, tm(&tp.ModifiedAt), &tp.HTML)
	return tp, err
}

func (t *tx) Template(name string) (store.Template, error) {
	var tp store.Template
	found, err := t.queryOneOrg("SELECT "+templateCols+" FROM templates WHERE name = $1", []any{name},
		func(r pgx.Rows) (err error) {
			tp, err = scanTemplate(r)
			return err
		})
	if err == nil && !found {
		err = notFound("template %q", name)
	}
	return tp, err
}

func (t *tx) Templates() ([]store.Template, error) {
	list := []store.Template{}
	err := t.queryOrg("SELECT "+templateCols+" FROM templates ORDER BY name", nil, func(r pgx.Rows) error {
		tp, err := scanTemplate(r)
		list = append(list, tp)
		return err
	})
	return list, err
}

func (t *tx) PutTemplate(tp store.Template) error {
	if err := store.CheckName("template name", tp.Name); err != nil {
		return err
	}
	if tp.ModifiedAt.IsZero() {
		tp.ModifiedAt = time.Now()
	}
	return t.write(fmt.Sprintf("store template %q", tp.Name), `INSERT INTO templates (`+templateCols+`)
		VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (name) DO UPDATE SET kind = excluded.kind, subject = excluded.subject, body = excluded.body,
			modified_at = excluded.modified_at, html = excluded.html`,
		tp.Name, string(tp.Kind), tp.Subject, tp.Body, nanos(tp.ModifiedAt), tp.HTML)
}

// DeleteTemplate removes a template.
func (t *tx) DeleteTemplate(name string) error {
	n, err := t.exec(fmt.Sprintf("delete template %q", name), "DELETE FROM templates WHERE name = $1", name)
	if err == nil && n == 0 {
		err = notFound("template %q", name)
	}
	return err
}

// Sequences

const seqSummaryCols = "id, name, description, entity, owner, state, version, tags, steps, created_at, modified_at"

func scanSequence(r pgx.Rows, withDefinition bool) (store.Sequence, error) {
	var s store.Sequence
	dest := []any{idp(&s.ID), &s.Name, &s.Description, &s.Entity, &s.Owner, &s.State, &s.Version, &s.Tags, &s.Steps,
		tm(&s.CreatedAt), tm(&s.ModifiedAt)}
	if withDefinition {
		dest = append(dest, &s.Definition)
	}
	err := r.Scan(dest...)
	s.Tags = nilIfEmpty(s.Tags)
	if len(s.Definition) == 0 {
		s.Definition = nil
	}
	return s, err
}

// fold is the form of a sequence name that is unique: names differ only in case are one.
func fold(name string) string { return strings.ToLower(name) }

func (t *tx) sequenceWhere(where string, args ...any) (store.Sequence, bool, error) {
	var s store.Sequence
	found, err := t.queryOneOrg("SELECT "+seqSummaryCols+", definition FROM sequences WHERE "+where, args,
		func(r pgx.Rows) (err error) {
			s, err = scanSequence(r, true)
			return err
		})
	return s, found, err
}

func (t *tx) Sequence(id store.ID) (store.Sequence, error) {
	s, found, err := t.sequenceWhere("id = $1", id[:])
	if err == nil && !found {
		err = notFound("sequence %s", id)
	}
	return s, err
}

// SequenceByName finds a sequence by name, ignoring case.
func (t *tx) SequenceByName(name string) (store.Sequence, error) {
	var s store.Sequence
	found := false
	var err error
	if f := fold(name); f != "" {
		s, found, err = t.sequenceWhere("folded = $1", f)
	}
	if err == nil && !found {
		err = notFound("sequence %q", name)
	}
	return s, err
}

func (t *tx) Sequences() ([]store.Sequence, error) {
	list := []store.Sequence{}
	err := t.queryOrg("SELECT "+seqSummaryCols+" FROM sequences ORDER BY id", nil, func(r pgx.Rows) error {
		s, err := scanSequence(r, false)
		list = append(list, s)
		return err
	})
	return list, err
}

// PutSequence inserts or updates s. A new sequence gets an ID after every existing one, so
// IDs keep creation order; an existing one keeps its CreatedAt.
func (t *tx) PutSequence(s store.Sequence) (store.Sequence, error) {
	if !t.writable {
		return store.Sequence{}, errReadOnly(fmt.Sprintf("store sequence %q", s.Name))
	}
	if s.ModifiedAt.IsZero() {
		s.ModifiedAt = time.Now()
	}
	exists := false
	if !s.ID.IsZero() {
		found, err := t.queryOneOrg("SELECT created_at FROM sequences WHERE id = $1 FOR UPDATE", []any{s.ID[:]},
			func(r pgx.Rows) error { return r.Scan(tm(&s.CreatedAt)) })
		if err != nil {
			return store.Sequence{}, err
		}
		exists = found
	}
	if !exists && s.CreatedAt.IsZero() {
		s.CreatedAt = s.ModifiedAt
	}
	if s.ID.IsZero() {
		id, err := t.nextSequenceID(s.CreatedAt)
		if err != nil {
			return store.Sequence{}, err
		}
		s.ID = id
	}
	folded := fold(s.Name)
	if folded != "" {
		var holder store.ID
		found, err := t.queryOneOrg("SELECT id FROM sequences WHERE folded = $1", []any{folded},
			func(r pgx.Rows) error { return r.Scan(idp(&holder)) })
		if err != nil {
			return store.Sequence{}, err
		}
		if found && holder != s.ID {
			return store.Sequence{}, fmt.Errorf("a sequence named %q already exists (names are unique ignoring case): %w",
				s.Name, store.ErrConflict)
		}
	}
	s.CreatedAt, s.ModifiedAt = s.CreatedAt.UTC(), s.ModifiedAt.UTC()
	def := s.Definition
	if def == nil {
		def = []byte{}
	}
	_, err := t.exec(fmt.Sprintf("store sequence %q", s.Name), `INSERT INTO sequences
		(`+seqSummaryCols+`, folded, definition) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
		ON CONFLICT (id) DO UPDATE SET name = excluded.name, description = excluded.description,
			entity = excluded.entity, owner = excluded.owner, state = excluded.state, version = excluded.version,
			tags = excluded.tags, steps = excluded.steps, modified_at = excluded.modified_at,
			folded = excluded.folded, definition = excluded.definition`,
		s.ID[:], s.Name, s.Description, s.Entity, s.Owner, string(s.State), s.Version, strs(s.Tags), s.Steps,
		nanos(s.CreatedAt), nanos(s.ModifiedAt), folded, def)
	if isUniqueViolation(err) {
		return store.Sequence{}, fmt.Errorf("a sequence named %q already exists (names are unique ignoring case): %w",
			s.Name, store.ErrConflict)
	}
	if err != nil {
		return store.Sequence{}, err
	}
	return s, nil
}

// nextSequenceID returns a new ID for time t after every sequence's, so creation order
// holds when the clock repeats or goes back.
func (t *tx) nextSequenceID(at time.Time) (store.ID, error) {
	id := store.NewID(at)
	var last store.ID
	found, err := t.queryOneOrg("SELECT id FROM sequences ORDER BY id DESC LIMIT 1", nil,
		func(r pgx.Rows) error { return r.Scan(idp(&last)) })
	if err != nil || !found || string(last[:]) < string(id[:]) {
		return id, err
	}
	id = last
	for i := len(id) - 1; i >= 0; i-- {
		id[i]++
		if id[i] != 0 {
			break
		}
	}
	return id, nil
}

// DeleteSequence removes a sequence and all its versions; its connections stay.
func (t *tx) DeleteSequence(id store.ID) error {
	n, err := t.exec(fmt.Sprintf("delete sequence %s", id), "DELETE FROM sequences WHERE id = $1", id[:])
	if err == nil && n == 0 {
		err = notFound("sequence %s", id)
	}
	return err
}

// Versions

func validVersion(n int) bool { return n >= 1 && n <= math.MaxUint32 }

func scanVersion(r pgx.Rows) (store.Version, error) {
	var v store.Version
	err := r.Scan(idp(&v.Sequence), &v.N, &v.Definition, tm(&v.PublishedAt), &v.By, &v.Note)
	return v, err
}

func (t *tx) Version(seq store.ID, n int) (store.Version, error) {
	var v store.Version
	found := false
	var err error
	if validVersion(n) {
		found, err = t.queryOneOrg("SELECT seq, n, definition, published_at, by_user, note FROM versions WHERE seq = $1 AND n = $2",
			[]any{seq[:], n}, func(r pgx.Rows) (err error) {
				v, err = scanVersion(r)
				return err
			})
	}
	if err == nil && !found {
		err = notFound("version %d of sequence %s", n, seq)
	}
	return v, err
}

func (t *tx) Versions(seq store.ID) ([]store.Version, error) {
	list := []store.Version{}
	err := t.queryOrg("SELECT seq, n, definition, published_at, by_user, note FROM versions WHERE seq = $1 ORDER BY n",
		[]any{seq[:]}, func(r pgx.Rows) error {
			v, err := scanVersion(r)
			list = append(list, v)
			return err
		})
	return list, err
}

// PutVersion stores a new version of an existing sequence. A zero PublishedAt becomes the
// current time.
func (t *tx) PutVersion(v store.Version) error {
	if !validVersion(v.N) {
		return fmt.Errorf("version number %d: want 1 or more", v.N)
	}
	if !t.writable {
		return errReadOnly(fmt.Sprintf("store version %d of sequence %s", v.N, v.Sequence))
	}
	found, err := t.queryOneOrg("SELECT 1 FROM sequences WHERE id = $1", []any{v.Sequence[:]}, func(pgx.Rows) error { return nil })
	if err != nil {
		return err
	}
	if !found {
		return notFound("sequence %s", v.Sequence)
	}
	if v.PublishedAt.IsZero() {
		v.PublishedAt = time.Now()
	}
	def := v.Definition
	if def == nil {
		def = []byte{}
	}
	n, err := t.exec(fmt.Sprintf("store version %d of sequence %s", v.N, v.Sequence),
		`INSERT INTO versions (seq, n, definition, published_at, by_user, note) VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT DO NOTHING`, v.Sequence[:], v.N, def, nanos(v.PublishedAt), v.By, v.Note)
	if err == nil && n == 0 {
		err = fmt.Errorf("version %d of sequence %s exists and cannot change: %w", v.N, v.Sequence, store.ErrConflict)
	}
	return err
}

// Prefs

func (t *tx) Prefs(username string) (store.Prefs, error) {
	p := store.Prefs{}
	err := t.queryOrg("SELECT screen, value FROM prefs WHERE username = $1", []any{username}, func(r pgx.Rows) error {
		var screen string
		var v []byte
		err := r.Scan(&screen, &v)
		p[screen] = v
		return err
	})
	return p, err
}

func (t *tx) PutPrefs(username string, p store.Prefs) error {
	if err := store.CheckName("username", username); err != nil {
		return err
	}
	what := fmt.Sprintf("store the preferences of %q", username)
	if err := t.write(what, "DELETE FROM prefs WHERE username = $1", username); err != nil {
		return err
	}
	for screen, v := range p {
		if err := store.CheckName("screen name", screen); err != nil {
			return err
		}
		if err := t.write(what, "INSERT INTO prefs (username, screen, value) VALUES ($1, $2, $3)", username, screen, append([]byte{}, v...)); err != nil {
			return err
		}
	}
	return nil
}
