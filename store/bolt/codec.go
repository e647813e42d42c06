package bolt

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"

	"github.com/pacer-sales/pacer/store"
	"github.com/pacer-sales/pacer/store/stored"
)

// Every stored value starts with a format-version byte; the rest depends on the format.
// Format 1 is JSON for entities, and the raw bytes for bodies, preferences and index
// entries. A value in an unknown format was written by a newer pacer and is refused rather
// than misread.
const format1 byte = 1

// encodeJSON returns format byte 1 followed by the JSON of v.
func encodeJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	buf.Grow(256)
	buf.WriteByte(format1)
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	b := buf.Bytes()
	return b[:len(b)-1], nil // drop the encoder's newline
}

// decodeJSON reads a value written by encodeJSON into v. It copies everything it keeps, so
// b may be memory owned by bbolt.
func decodeJSON(b []byte, v any, what string) error {
	if err := checkFormat(b, what); err != nil {
		return err
	}
	if err := json.Unmarshal(b[1:], v); err != nil {
		return damaged("damaged %s value: %w", what, err)
	}
	return nil
}

// encodeRaw returns format byte 1 followed by p.
func encodeRaw(p []byte) []byte {
	b := make([]byte, 1+len(p))
	b[0] = format1
	copy(b[1:], p)
	return b
}

// decodeRaw returns a copy of the bytes written by encodeRaw.
func decodeRaw(b []byte, what string) ([]byte, error) {
	if err := checkFormat(b, what); err != nil {
		return nil, err
	}
	return bytes.Clone(b[1:]), nil
}

// encodeID returns format byte 1 followed by id: the value of an index entry.
func encodeID(id store.ID) []byte { return encodeRaw(id[:]) }

// decodeID reads an index entry written by encodeID.
func decodeID(b []byte, what string) (store.ID, error) {
	var id store.ID
	if err := checkFormat(b, what); err != nil {
		return id, err
	}
	if len(b) != 1+len(id) {
		return id, damaged("damaged %s entry: %d bytes", what, len(b))
	}
	copy(id[:], b[1:])
	return id, nil
}

func checkFormat(b []byte, what string) error {
	switch {
	case len(b) == 0:
		return damaged("damaged %s value: empty", what)
	case b[0] != format1:
		return fmt.Errorf("%s value has format %d, which this version of pacer cannot read", what, b[0])
	}
	return nil
}

// nanos stores a time as Unix nanoseconds, 0 for the zero time.
func nanos(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

// fromNanos reads a time stored by nanos, in UTC.
func fromNanos(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

// versionKey is the key of version n of sequence seq: seq(16) | n (uint32, big-endian).
func versionKey(seq store.ID, n int) []byte {
	k := make([]byte, 20)
	copy(k, seq[:])
	binary.BigEndian.PutUint32(k[16:], uint32(n))
	return k
}

// joinKey returns a 0x00 b: the key of a two-part index such as (entity, id) or
// (username, screen). 0x00 sorts before every other byte, so the keys sort as the pairs.
func joinKey(a, b string) []byte {
	k := make([]byte, 0, len(a)+1+len(b))
	k = append(k, a...)
	k = append(k, 0)
	return append(k, b...)
}

// The stored forms of the entities, format 1. They are kept apart from the port's types so
// that renaming a field of the port never changes what is on disk. Names that are keys
// (username, team and template names, IDs) are not repeated in the value.

type userV1 struct {
	Name      string         `json:"name,omitempty"`
	Email     string         `json:"email,omitempty"`
	Roles     []store.Role   `json:"roles"`
	Title     string         `json:"title,omitempty"`
	Territory string         `json:"territory,omitempty"`
	TimeZone  string         `json:"timezone,omitempty"`
	SSHKeys   []string       `json:"ssh_keys,omitempty"`
	From      string         `json:"from,omitempty"`
	Timing    *stored.Timing `json:"timing,omitempty"`
	IMAPURL   string         `json:"imap_url,omitempty"`
}

func toUserV1(u store.User) userV1 {
	return userV1{
		Name: u.Name, Email: u.Email, Roles: u.Roles, Title: u.Title, Territory: u.Territory,
		TimeZone: u.TimeZone, SSHKeys: u.SSHKeys, From: u.From, Timing: stored.FromUser(u),
		IMAPURL: u.IMAPURL,
	}
}

func (v userV1) user(username string) store.User {
	u := store.User{
		Username: username, Name: v.Name, Email: v.Email, Roles: v.Roles, Title: v.Title,
		Territory: v.Territory, TimeZone: v.TimeZone, SSHKeys: v.SSHKeys, From: v.From,
		IMAPURL: v.IMAPURL,
	}
	v.Timing.SetOn(&u)
	return u
}

type memberV1 struct {
	Username string `json:"username"`
	Role     string `json:"role,omitempty"`
}

type teamV1 struct {
	Type    store.TeamType `json:"type"`
	Members []memberV1     `json:"members"`
}

func toTeamV1(t store.Team) teamV1 {
	v := teamV1{Type: t.Type}
	if t.Members != nil {
		v.Members = make([]memberV1, len(t.Members))
		for i, m := range t.Members {
			v.Members[i] = memberV1{Username: m.Username, Role: m.Role}
		}
	}
	return v
}

func (v teamV1) team(name string) store.Team {
	t := store.Team{Name: name, Type: v.Type}
	if v.Members != nil {
		t.Members = make([]store.Member, len(v.Members))
		for i, m := range v.Members {
			t.Members[i] = store.Member{Username: m.Username, Role: m.Role}
		}
	}
	return t
}

type recordV1 struct {
	Entity     string         `json:"entity"`
	ID         string         `json:"id"`
	Name       string         `json:"name"`
	Owner      string         `json:"owner,omitempty"`
	Stage      string         `json:"stage,omitempty"`
	AccessTeam string         `json:"access_team,omitempty"`
	Email      string         `json:"email,omitempty"`
	Phone      string         `json:"phone,omitempty"`
	Fields     map[string]any `json:"fields,omitempty"`
	Created    int64          `json:"created"`
	Modified   int64          `json:"modified"`
}

func toRecordV1(r store.Record) recordV1 {
	return recordV1{
		Entity: r.Entity, ID: r.ID, Name: r.Name, Owner: r.Owner, Stage: r.Stage,
		AccessTeam: r.AccessTeam, Email: r.Email, Phone: r.Phone, Fields: r.Fields,
		Created: nanos(r.CreatedAt), Modified: nanos(r.ModifiedAt),
	}
}

func (v recordV1) record(key store.ID) store.Record {
	return store.Record{
		Key: key, Entity: v.Entity, ID: v.ID, Name: v.Name, Owner: v.Owner, Stage: v.Stage,
		AccessTeam: v.AccessTeam, Email: v.Email, Phone: v.Phone, Fields: v.Fields,
		CreatedAt: fromNanos(v.Created), ModifiedAt: fromNanos(v.Modified),
	}
}

type templateV1 struct {
	Kind     store.TemplateKind `json:"kind"`
	Subject  string             `json:"subject,omitempty"`
	Body     string             `json:"body,omitempty"` // body ID in hex; empty when there is no body
	HTML     string             `json:"html,omitempty"` // the HTML body's ID in hex; empty when there is none
	Modified int64              `json:"modified"`
}

type sequenceV1 struct {
	Name        string         `json:"name"`
	Description string         `json:"description,omitempty"`
	Entity      string         `json:"entity"`
	Owner       string         `json:"owner"`
	State       store.SeqState `json:"state"`
	Version     int            `json:"version"`
	Tags        []string       `json:"tags,omitempty"`
	Steps       int            `json:"steps"`
	Definition  string         `json:"definition,omitempty"` // body ID in hex; empty when there is none
	Created     int64          `json:"created"`
	Modified    int64          `json:"modified"`
}

func (v sequenceV1) summary(id store.ID) store.Sequence {
	return store.Sequence{
		ID: id, Name: v.Name, Description: v.Description, Entity: v.Entity, Owner: v.Owner,
		State: v.State, Version: v.Version, Tags: v.Tags, Steps: v.Steps,
		CreatedAt: fromNanos(v.Created), ModifiedAt: fromNanos(v.Modified),
	}
}

type versionV1 struct {
	Definition []byte `json:"definition"`
	Published  int64  `json:"published"`
	By         string `json:"by"`
	Note       string `json:"note,omitempty"`
}
