package bolt

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"strings"
	"time"

	"go.etcd.io/bbolt"

	"github.com/pacer-sales/pacer/store"
	"github.com/pacer-sales/pacer/store/stored"
)

// tx implements store.Tx over one bbolt transaction. Everything it returns is decoded into
// fresh memory: no slice of bbolt's outlives the transaction.
type tx struct {
	btx *bbolt.Tx
	// last is the head of the stored value of the connection read or written last, so
	// PutConn after Conn (one step transition) reads the connection once.
	last struct {
		id   store.ID
		head connHead
	}
	// counts holds the changes to conn_counts not yet written: PutConn adds to them, and
	// they are written once, before the commit or when CountConns reads the counts.
	counts map[countKey]int64
	// order holds the records_order entries not yet written (nil values: deleted), written
	// in key order before the commit or when RecordsSorted reads the index.
	order map[string][]byte
	// arena holds the values the transaction puts (txmem.go), open the buckets it opened.
	arena []byte
	open  []openBucket
	// key is room for the key of one Put or Delete: bbolt copies the keys it keeps.
	key [64]byte
}

// countKey names one count of conn_counts.
type countKey struct {
	seq   store.ID
	state store.ConnState
}

var _ store.Tx = (*tx)(nil)

func notFound(format string, args ...any) error {
	return fmt.Errorf(format+": %w", append(args, store.ErrNotFound)...)
}

// nextID returns a new ID for time t that sorts after every key of b, so keys of b keep
// their creation order even when many are made at one instant (a pinned clock).
func nextID(b *bbolt.Bucket, t time.Time) store.ID {
	id := store.NewID(t)
	if last, _ := b.Cursor().Last(); len(last) == len(id) && bytes.Compare(last, id[:]) >= 0 {
		copy(id[:], last)
		for i := len(id) - 1; i >= 0; i-- {
			id[i]++
			if id[i] != 0 {
				break
			}
		}
	}
	return id
}

// prefixKeys returns copies of the keys of b that start with prefix.
func prefixKeys(b *bbolt.Bucket, prefix []byte) [][]byte {
	var keys [][]byte
	c := b.Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		keys = append(keys, bytes.Clone(k))
	}
	return keys
}

func deleteKeys(b *bbolt.Bucket, keys [][]byte) error {
	for _, k := range keys {
		if err := b.Delete(k); err != nil {
			return err
		}
	}
	return nil
}

// Settings

func (t *tx) Settings() (store.Settings, error) {
	b, err := t.bucket(bSettings)
	if err != nil {
		return store.Settings{}, err
	}
	v := b.Get(settingsKey)
	if v == nil {
		return store.DefaultSettings(), nil
	}
	var sv stored.Settings
	if err := decodeJSON(v, &sv, "settings"); err != nil {
		return store.Settings{}, err
	}
	return sv.Settings(), nil
}

func (t *tx) PutSettings(s store.Settings) error {
	b, err := t.bucket(bSettings)
	if err != nil {
		return err
	}
	v, err := encodeJSON(stored.FromSettings(s))
	if err != nil {
		return fmt.Errorf("settings: %w", err)
	}
	return b.Put(settingsKey, v)
}

// Users

func (t *tx) User(username string) (store.User, error) {
	b, err := t.bucket(bUsers)
	if err != nil {
		return store.User{}, err
	}
	v := b.Get([]byte(username))
	if v == nil {
		return store.User{}, notFound("user %q", username)
	}
	var uv userV1
	if err := decodeJSON(v, &uv, "user"); err != nil {
		return store.User{}, err
	}
	return uv.user(username), nil
}

func (t *tx) Users() ([]store.User, error) {
	b, err := t.bucket(bUsers)
	if err != nil {
		return nil, err
	}
	users := []store.User{}
	err = b.ForEach(func(k, v []byte) error {
		var uv userV1
		if err := decodeJSON(v, &uv, "user"); err != nil {
			return err
		}
		users = append(users, uv.user(string(k)))
		return nil
	})
	return users, err
}

func (t *tx) PutUser(u store.User) error {
	if err := store.CheckName("username", u.Username); err != nil {
		return err
	}
	b, err := t.bucket(bUsers)
	if err != nil {
		return err
	}
	v, err := encodeJSON(toUserV1(u))
	if err != nil {
		return fmt.Errorf("user %q: %w", u.Username, err)
	}
	return b.Put([]byte(u.Username), v)
}

// DeleteUser removes a user and the user's preferences.
func (t *tx) DeleteUser(username string) error {
	b, err := t.bucket(bUsers)
	if err != nil {
		return err
	}
	if b.Get([]byte(username)) == nil {
		return notFound("user %q", username)
	}
	if err := b.Delete([]byte(username)); err != nil {
		return err
	}
	prefs, err := t.bucket(bPrefs)
	if err != nil {
		return err
	}
	return deleteKeys(prefs, prefixKeys(prefs, joinKey(username, "")))
}

// Teams

func (t *tx) Team(name string) (store.Team, error) {
	b, err := t.bucket(bTeams)
	if err != nil {
		return store.Team{}, err
	}
	v := b.Get([]byte(name))
	if v == nil {
		return store.Team{}, notFound("team %q", name)
	}
	var tv teamV1
	if err := decodeJSON(v, &tv, "team"); err != nil {
		return store.Team{}, err
	}
	return tv.team(name), nil
}

func (t *tx) Teams() ([]store.Team, error) {
	b, err := t.bucket(bTeams)
	if err != nil {
		return nil, err
	}
	teams := []store.Team{}
	err = b.ForEach(func(k, v []byte) error {
		var tv teamV1
		if err := decodeJSON(v, &tv, "team"); err != nil {
			return err
		}
		teams = append(teams, tv.team(string(k)))
		return nil
	})
	return teams, err
}

func (t *tx) PutTeam(tm store.Team) error {
	if err := store.CheckName("team name", tm.Name); err != nil {
		return err
	}
	b, err := t.bucket(bTeams)
	if err != nil {
		return err
	}
	v, err := encodeJSON(toTeamV1(tm))
	if err != nil {
		return fmt.Errorf("team %q: %w", tm.Name, err)
	}
	return b.Put([]byte(tm.Name), v)
}

func (t *tx) DeleteTeam(name string) error {
	b, err := t.bucket(bTeams)
	if err != nil {
		return err
	}
	if b.Get([]byte(name)) == nil {
		return notFound("team %q", name)
	}
	return b.Delete([]byte(name))
}

// Records

func (t *tx) Record(entity, id string) (store.Record, error) {
	idx, err := t.bucket(bRecordsByRef)
	if err != nil {
		return store.Record{}, err
	}
	v := idx.Get(joinKey(entity, id))
	if v == nil {
		return store.Record{}, notFound("record %s/%s", entity, id)
	}
	key, err := decodeID(v, "records_by_ref")
	if err != nil {
		return store.Record{}, err
	}
	return t.RecordByKey(key)
}

func (t *tx) RecordByKey(key store.ID) (store.Record, error) {
	b, err := t.bucket(bRecords)
	if err != nil {
		return store.Record{}, err
	}
	v := t.get(b, t.idKey(key))
	if v == nil {
		return store.Record{}, notFound("record with key %s", key)
	}
	return decodeRecord(key, v)
}

// PutRecord upserts r by (entity, id). An existing record keeps its key and CreatedAt; a new
// one gets a key made from its CreatedAt. A zero ModifiedAt becomes the current time, and a
// new record's zero CreatedAt becomes its ModifiedAt.
func (t *tx) PutRecord(r store.Record) (store.Record, error) {
	if err := store.CheckRecord(r); err != nil {
		return store.Record{}, err
	}
	b, err := t.bucket(bRecords)
	if err != nil {
		return store.Record{}, err
	}
	idx, err := t.bucket(bRecordsByRef)
	if err != nil {
		return store.Record{}, err
	}
	if r.ModifiedAt.IsZero() {
		r.ModifiedAt = time.Now()
	}
	var was *store.Record
	ref := joinKey(r.Entity, r.ID)
	var oldEmail string
	if v := t.get(idx, ref); v != nil {
		if r.Key, err = decodeID(v, "records_by_ref"); err != nil {
			return store.Record{}, err
		}
		old := t.get(b, t.idKey(r.Key))
		if old == nil {
			return store.Record{}, damaged("damaged records index: %s points to a missing record", r.Ref())
		}
		prev, err := decodeRecord(r.Key, old)
		if err != nil {
			return store.Record{}, err
		}
		r.CreatedAt, was, oldEmail = prev.CreatedAt, &prev, prev.Email
	} else {
		if r.CreatedAt.IsZero() {
			r.CreatedAt = r.ModifiedAt
		}
		r.Key = nextID(b, r.CreatedAt)
		if err := idx.Put(ref, encodeID(r.Key)); err != nil {
			return store.Record{}, err
		}
	}
	r.CreatedAt, r.ModifiedAt = r.CreatedAt.UTC(), r.ModifiedAt.UTC()
	v, err := encodeRecord(r)
	if err != nil {
		return store.Record{}, fmt.Errorf("record %s: %w", r.Ref(), err)
	}
	if err := b.Put(t.idKey(r.Key), v); err != nil {
		return store.Record{}, err
	}
	t.putOrder(was, r)
	return r, t.reindexEmail(r.Key, oldEmail, r.Email)
}

// recordsChunk is how many index entries Records reads before calling fn on them.
const recordsChunk = 256

// Records walks the records index a chunk at a time and calls fn between chunks' reads, so
// fn may write records (in an Update) without disturbing the walk.
func (t *tx) Records(entity string, fn func(store.Record) bool) error {
	return t.records(entity, "", fn)
}

// RecordsAfter implements store.Tx: a seek to (entity, after), then the walk of Records.
func (t *tx) RecordsAfter(entity, after string, fn func(store.Record) bool) error {
	if entity == "" {
		return fmt.Errorf("records after %q: no entity", after)
	}
	return t.records(entity, after, fn)
}

// records walks the records of entity (every entity when empty) in (entity, id) order,
// starting after the id afterID when it is set.
func (t *tx) records(entity, afterID string, fn func(store.Record) bool) error {
	idx, err := t.bucket(bRecordsByRef)
	if err != nil {
		return err
	}
	var prefix []byte
	if entity != "" {
		prefix = joinKey(entity, "")
	}
	from, after := prefix, false
	if afterID != "" {
		from, after = joinKey(entity, afterID), true
	}
	keys := make([]store.ID, 0, recordsChunk)
	for {
		keys = keys[:0]
		var last []byte
		c := idx.Cursor()
		k, v := c.Seek(from)
		if after && k != nil && bytes.Equal(k, from) {
			k, v = c.Next()
		}
		for ; k != nil && bytes.HasPrefix(k, prefix) && len(keys) < recordsChunk; k, v = c.Next() {
			key, err := decodeID(v, "records_by_ref")
			if err != nil {
				return err
			}
			keys, last = append(keys, key), k
		}
		from, after = bytes.Clone(last), true
		for _, key := range keys {
			r, err := t.RecordByKey(key)
			if err != nil {
				return damaged("damaged records index: %w", err)
			}
			if !fn(r) {
				return nil
			}
		}
		if len(keys) < recordsChunk {
			return nil
		}
	}
}

// RemoveRecord drops the record's entry from records_by_ref; its value stays in records
// under its key, so RecordByKey still finds it.
func (t *tx) RemoveRecord(entity, id string) (store.Record, error) {
	r, err := t.Record(entity, id)
	if err != nil {
		return store.Record{}, err
	}
	idx, err := t.bucket(bRecordsByRef)
	if err != nil {
		return store.Record{}, err
	}
	t.deleteOrder(r)
	if err := t.reindexEmail(r.Key, r.Email, ""); err != nil {
		return store.Record{}, err
	}
	return r, idx.Delete(joinKey(entity, id))
}

// RemovedRecords walks the records bucket for records that records_by_ref no longer names
// (or names with another key): the removed ones. It reads every record; only the doctor
// needs it.
func (t *tx) RemovedRecords(fn func(store.Record) bool) error {
	b, err := t.bucket(bRecords)
	if err != nil {
		return err
	}
	idx, err := t.bucket(bRecordsByRef)
	if err != nil {
		return err
	}
	var removed []store.Record
	c := b.Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		var key store.ID
		if len(k) != len(key) {
			return fmt.Errorf("damaged records bucket: a key of %d bytes", len(k))
		}
		copy(key[:], k)
		r, err := decodeRecord(key, v)
		if err != nil {
			return err
		}
		if cur := idx.Get(joinKey(r.Entity, r.ID)); cur != nil {
			if ck, err := decodeID(cur, "records_by_ref"); err == nil && ck == key {
				continue
			}
		}
		removed = append(removed, r)
	}
	for _, r := range removed {
		if !fn(r) {
			return nil
		}
	}
	return nil
}

// Templates

func (t *tx) Template(name string) (store.Template, error) {
	b, err := t.bucket(bTemplates)
	if err != nil {
		return store.Template{}, err
	}
	v := b.Get([]byte(name))
	if v == nil {
		return store.Template{}, notFound("template %q", name)
	}
	return t.template(name, v)
}

func (t *tx) template(name string, v []byte) (store.Template, error) {
	var tv templateV1
	if err := decodeJSON(v, &tv, "template"); err != nil {
		return store.Template{}, err
	}
	body, err := t.body(tv.Body)
	if err != nil {
		return store.Template{}, fmt.Errorf("template %q: %w", name, err)
	}
	html, err := t.body(tv.HTML)
	if err != nil {
		return store.Template{}, fmt.Errorf("template %q: HTML body: %w", name, err)
	}
	return store.Template{
		Name: name, Kind: tv.Kind, Subject: tv.Subject, Body: string(body), HTML: string(html),
		ModifiedAt: fromNanos(tv.Modified),
	}, nil
}

func (t *tx) Templates() ([]store.Template, error) {
	b, err := t.bucket(bTemplates)
	if err != nil {
		return nil, err
	}
	templates := []store.Template{}
	err = b.ForEach(func(k, v []byte) error {
		tp, err := t.template(string(k), v)
		if err != nil {
			return err
		}
		templates = append(templates, tp)
		return nil
	})
	return templates, err
}

// PutTemplate stores tp, its body in the bodies bucket. A zero ModifiedAt becomes the
// current time.
func (t *tx) PutTemplate(tp store.Template) error {
	if err := store.CheckName("template name", tp.Name); err != nil {
		return err
	}
	b, err := t.bucket(bTemplates)
	if err != nil {
		return err
	}
	var tv templateV1
	if old := b.Get([]byte(tp.Name)); old != nil {
		if err := decodeJSON(old, &tv, "template"); err != nil {
			return err
		}
	}
	if tp.ModifiedAt.IsZero() {
		tp.ModifiedAt = time.Now()
	}
	ref, err := t.putBody(tv.Body, []byte(tp.Body))
	if err != nil {
		return fmt.Errorf("template %q: %w", tp.Name, err)
	}
	html, err := t.putBody(tv.HTML, []byte(tp.HTML))
	if err != nil {
		return fmt.Errorf("template %q: HTML body: %w", tp.Name, err)
	}
	tv = templateV1{Kind: tp.Kind, Subject: tp.Subject, Body: ref, HTML: html, Modified: nanos(tp.ModifiedAt)}
	v, err := encodeJSON(tv)
	if err != nil {
		return fmt.Errorf("template %q: %w", tp.Name, err)
	}
	return b.Put([]byte(tp.Name), v)
}

// DeleteTemplate removes a template and its body.
func (t *tx) DeleteTemplate(name string) error {
	b, err := t.bucket(bTemplates)
	if err != nil {
		return err
	}
	old := b.Get([]byte(name))
	if old == nil {
		return notFound("template %q", name)
	}
	var tv templateV1
	if err := decodeJSON(old, &tv, "template"); err != nil {
		return err
	}
	if _, err := t.putBody(tv.Body, nil); err != nil {
		return fmt.Errorf("template %q: %w", name, err)
	}
	if _, err := t.putBody(tv.HTML, nil); err != nil {
		return fmt.Errorf("template %q: HTML body: %w", name, err)
	}
	return b.Delete([]byte(name))
}

// Bodies: large texts (template bodies, sequence definitions) live in the bodies bucket and
// are referenced from their owner's value by the hex of their ID, "" when there is none.

// body returns a copy of the body ref names; nil for "".
func (t *tx) body(ref string) ([]byte, error) {
	if ref == "" {
		return nil, nil
	}
	id, err := store.ParseID(ref)
	if err != nil {
		return nil, damaged("damaged body reference: %w", err)
	}
	b, err := t.bucket(bBodies)
	if err != nil {
		return nil, err
	}
	v := b.Get(id[:])
	if v == nil {
		return nil, damaged("damaged body reference: body %s is missing", ref)
	}
	return decodeRaw(v, "body")
}

// putBody stores p under ref (a new ref when ref is "") and returns the ref; an empty p
// removes the body and returns "".
func (t *tx) putBody(ref string, p []byte) (string, error) {
	b, err := t.bucket(bBodies)
	if err != nil {
		return "", err
	}
	var id store.ID
	if ref != "" {
		if id, err = store.ParseID(ref); err != nil {
			return "", damaged("damaged body reference: %w", err)
		}
	}
	if len(p) == 0 {
		if ref == "" {
			return "", nil
		}
		return "", b.Delete(id[:])
	}
	if ref == "" {
		id = nextID(b, time.Now())
	}
	return id.String(), b.Put(id[:], encodeRaw(p))
}

// Sequences

// nameKey is the key of a sequence name in seq_by_name: names are unique ignoring case.
func nameKey(name string) []byte { return []byte(strings.ToLower(name)) }

func (t *tx) sequence(id store.ID) (sequenceV1, bool, error) {
	var sv sequenceV1
	b, err := t.bucket(bSequences)
	if err != nil {
		return sv, false, err
	}
	v := b.Get(id[:])
	if v == nil {
		return sv, false, nil
	}
	return sv, true, decodeJSON(v, &sv, "sequence")
}

func (t *tx) Sequence(id store.ID) (store.Sequence, error) {
	sv, ok, err := t.sequence(id)
	if err != nil {
		return store.Sequence{}, err
	}
	if !ok {
		return store.Sequence{}, notFound("sequence %s", id)
	}
	s := sv.summary(id)
	if s.Definition, err = t.body(sv.Definition); err != nil {
		return store.Sequence{}, fmt.Errorf("sequence %q: %w", s.Name, err)
	}
	return s, nil
}

func (t *tx) SequenceByName(name string) (store.Sequence, error) {
	idx, err := t.bucket(bSeqByName)
	if err != nil {
		return store.Sequence{}, err
	}
	var v []byte
	if name != "" {
		v = idx.Get(nameKey(name))
	}
	if v == nil {
		return store.Sequence{}, notFound("sequence %q", name)
	}
	id, err := decodeID(v, "seq_by_name")
	if err != nil {
		return store.Sequence{}, err
	}
	return t.Sequence(id)
}

func (t *tx) Sequences() ([]store.Sequence, error) {
	b, err := t.bucket(bSequences)
	if err != nil {
		return nil, err
	}
	seqs := []store.Sequence{}
	err = b.ForEach(func(k, v []byte) error {
		if len(k) != len(store.ID{}) {
			return damaged("damaged sequences key of %d bytes", len(k))
		}
		var sv sequenceV1
		if err := decodeJSON(v, &sv, "sequence"); err != nil {
			return err
		}
		seqs = append(seqs, sv.summary(store.ID(k)))
		return nil
	})
	return seqs, err
}

// PutSequence inserts or updates s. A new sequence gets an ID after every existing one, so
// IDs keep creation order; an existing one keeps its CreatedAt. A zero ModifiedAt becomes the
// current time, and a new sequence's zero CreatedAt becomes its ModifiedAt.
func (t *tx) PutSequence(s store.Sequence) (store.Sequence, error) {
	b, err := t.bucket(bSequences)
	if err != nil {
		return store.Sequence{}, err
	}
	idx, err := t.bucket(bSeqByName)
	if err != nil {
		return store.Sequence{}, err
	}
	var old sequenceV1
	exists := false
	if !s.ID.IsZero() {
		if old, exists, err = t.sequence(s.ID); err != nil {
			return store.Sequence{}, err
		}
	}
	if s.ModifiedAt.IsZero() {
		s.ModifiedAt = time.Now()
	}
	switch {
	case exists:
		s.CreatedAt = fromNanos(old.Created)
	case s.CreatedAt.IsZero():
		s.CreatedAt = s.ModifiedAt
	}
	if s.ID.IsZero() {
		s.ID = nextID(b, s.CreatedAt)
	}

	// Check the name before writing anything, so a conflict leaves the transaction as it was.
	newName := nameKey(s.Name)
	if len(newName) > 0 {
		if v := idx.Get(newName); v != nil {
			holder, err := decodeID(v, "seq_by_name")
			if err != nil {
				return store.Sequence{}, err
			}
			if holder != s.ID {
				return store.Sequence{}, fmt.Errorf("a sequence named %q already exists (names are unique ignoring case): %w",
					s.Name, store.ErrConflict)
			}
		}
	}
	if oldName := nameKey(old.Name); exists && len(oldName) > 0 && !bytes.Equal(oldName, newName) {
		if err := idx.Delete(oldName); err != nil {
			return store.Sequence{}, err
		}
	}
	if len(newName) > 0 {
		if err := idx.Put(newName, encodeID(s.ID)); err != nil {
			return store.Sequence{}, err
		}
	}

	ref, err := t.putBody(old.Definition, s.Definition)
	if err != nil {
		return store.Sequence{}, fmt.Errorf("sequence %q: %w", s.Name, err)
	}
	s.CreatedAt, s.ModifiedAt = s.CreatedAt.UTC(), s.ModifiedAt.UTC()
	v, err := encodeJSON(sequenceV1{
		Name: s.Name, Description: s.Description, Entity: s.Entity, Owner: s.Owner,
		State: s.State, Version: s.Version, Tags: s.Tags, Steps: s.Steps, Definition: ref,
		Created: nanos(s.CreatedAt), Modified: nanos(s.ModifiedAt),
	})
	if err != nil {
		return store.Sequence{}, fmt.Errorf("sequence %q: %w", s.Name, err)
	}
	if err := b.Put(s.ID[:], v); err != nil {
		return store.Sequence{}, err
	}
	return s, nil
}

// DeleteSequence removes a sequence, its definition, its name and all its versions. Its
// connections, their history and their index entries stay: the engine disconnects them
// first and keeps their history.
func (t *tx) DeleteSequence(id store.ID) error {
	sv, ok, err := t.sequence(id)
	if err != nil {
		return err
	}
	if !ok {
		return notFound("sequence %s", id)
	}
	idx, err := t.bucket(bSeqByName)
	if err != nil {
		return err
	}
	if name := nameKey(sv.Name); len(name) > 0 {
		if v := idx.Get(name); v != nil {
			if holder, err := decodeID(v, "seq_by_name"); err == nil && holder == id {
				if err := idx.Delete(name); err != nil {
					return err
				}
			}
		}
	}
	if _, err := t.putBody(sv.Definition, nil); err != nil {
		return err
	}
	versions, err := t.bucket(bVersions)
	if err != nil {
		return err
	}
	if err := deleteKeys(versions, prefixKeys(versions, id[:])); err != nil {
		return err
	}
	b, err := t.bucket(bSequences)
	if err != nil {
		return err
	}
	return b.Delete(id[:])
}

// Versions

func validVersion(n int) bool { return n >= 1 && n <= math.MaxUint32 }

func (t *tx) Version(seq store.ID, n int) (store.Version, error) {
	b, err := t.bucket(bVersions)
	if err != nil {
		return store.Version{}, err
	}
	var v []byte
	if validVersion(n) {
		v = b.Get(versionKey(seq, n))
	}
	if v == nil {
		return store.Version{}, notFound("version %d of sequence %s", n, seq)
	}
	return decodeVersion(seq, n, v)
}

func decodeVersion(seq store.ID, n int, v []byte) (store.Version, error) {
	var vv versionV1
	if err := decodeJSON(v, &vv, "version"); err != nil {
		return store.Version{}, err
	}
	return store.Version{
		Sequence: seq, N: n, Definition: vv.Definition, PublishedAt: fromNanos(vv.Published),
		By: vv.By, Note: vv.Note,
	}, nil
}

func (t *tx) Versions(seq store.ID) ([]store.Version, error) {
	b, err := t.bucket(bVersions)
	if err != nil {
		return nil, err
	}
	versions := []store.Version{}
	c := b.Cursor()
	for k, v := c.Seek(seq[:]); k != nil && bytes.HasPrefix(k, seq[:]); k, v = c.Next() {
		if len(k) != 20 {
			return nil, damaged("damaged versions key of %d bytes", len(k))
		}
		ver, err := decodeVersion(seq, int(binary.BigEndian.Uint32(k[16:])), v)
		if err != nil {
			return nil, err
		}
		versions = append(versions, ver)
	}
	return versions, nil
}

// PutVersion stores a new version of an existing sequence. A zero PublishedAt becomes the
// current time.
func (t *tx) PutVersion(v store.Version) error {
	if !validVersion(v.N) {
		return fmt.Errorf("version number %d: want 1 or more", v.N)
	}
	if _, ok, err := t.sequence(v.Sequence); err != nil {
		return err
	} else if !ok {
		return notFound("sequence %s", v.Sequence)
	}
	b, err := t.bucket(bVersions)
	if err != nil {
		return err
	}
	key := versionKey(v.Sequence, v.N)
	if b.Get(key) != nil {
		return fmt.Errorf("version %d of sequence %s exists and cannot change: %w", v.N, v.Sequence, store.ErrConflict)
	}
	if v.PublishedAt.IsZero() {
		v.PublishedAt = time.Now()
	}
	val, err := encodeJSON(versionV1{
		Definition: v.Definition, Published: nanos(v.PublishedAt), By: v.By, Note: v.Note,
	})
	if err != nil {
		return fmt.Errorf("version %d of sequence %s: %w", v.N, v.Sequence, err)
	}
	return b.Put(key, val)
}

// Prefs

// Prefs returns a user's preferences, empty when none are stored.
func (t *tx) Prefs(username string) (store.Prefs, error) {
	b, err := t.bucket(bPrefs)
	if err != nil {
		return nil, err
	}
	p := store.Prefs{}
	if username == "" {
		return p, nil
	}
	prefix := joinKey(username, "")
	c := b.Cursor()
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		val, err := decodeRaw(v, "prefs")
		if err != nil {
			return nil, err
		}
		p[string(k[len(prefix):])] = val
	}
	return p, nil
}

// PutPrefs replaces all of a user's preferences with p.
func (t *tx) PutPrefs(username string, p store.Prefs) error {
	if err := store.CheckName("username", username); err != nil {
		return err
	}
	for screen := range p {
		if screen == "" {
			return fmt.Errorf("prefs of %q: empty screen name", username)
		}
	}
	b, err := t.bucket(bPrefs)
	if err != nil {
		return err
	}
	if err := deleteKeys(b, prefixKeys(b, joinKey(username, ""))); err != nil {
		return err
	}
	for screen, val := range p {
		if err := b.Put(joinKey(username, screen), encodeRaw(val)); err != nil {
			return err
		}
	}
	return nil
}
