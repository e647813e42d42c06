package bolt

import (
	"bytes"
	"fmt"
	"strings"
	"time"

	"go.etcd.io/bbolt"

	"github.com/pacer-sales/pacer/store"
)

// The buckets schema 6 adds: what closes the loop of email.
var (
	// msg_by_tracking: tracking id (the lower-case local part of a Message-ID) → message
	// ID (16).
	bMsgByTracking = bucketDef{name: "msg_by_tracking"}
	// msg_by_to: lower-case recipient 0x00 message ID (16). Message IDs are time-ordered,
	// so a recipient's entries run oldest to newest.
	bMsgByTo = bucketDef{name: "msg_by_to"}
	// suppressions: kind 0x00 lower-case address → suppression (JSON).
	bSuppressions = bucketDef{name: "suppressions"}
	// mailboxes: mailbox name → position (JSON).
	bMailboxes = bucketDef{name: "mailboxes"}
)

// bRecordsByEmail is the bucket schema 8 adds: lower-case email 0x00 record key (16), for
// each record in use that has an email, so an unsubscribe or a bounce finds every record
// of the address.
var bRecordsByEmail = bucketDef{name: "records_by_email"}

// schema6Buckets are the buckets schema 6 adds.
var schema6Buckets = []bucketDef{bMsgByTracking, bMsgByTo, bSuppressions, bMailboxes}

// mailIndexes creates the buckets of schema 6 and indexes the messages already in the
// outbox by tracking id and recipient.
func mailIndexes(btx *bbolt.Tx) error {
	if err := createBuckets(btx, schema6Buckets); err != nil {
		return err
	}
	outbox, err := bucket(btx, bOutbox)
	if err != nil {
		return err
	}
	byTracking, err := bucket(btx, bMsgByTracking)
	if err != nil {
		return err
	}
	byTo, err := bucket(btx, bMsgByTo)
	if err != nil {
		return err
	}
	return outbox.ForEach(func(k, v []byte) error {
		if len(k) != len(store.ID{}) {
			return damaged("damaged outbox: a key of %d bytes", len(k))
		}
		m, _, _, err := decodeMessage(store.ID(k), v)
		if err != nil {
			return fmt.Errorf("message %x: %w", k, err)
		}
		return indexMessage(byTracking, byTo, m)
	})
}

// trackingKey is the msg_by_tracking key of a Message-ID.
func trackingKey(messageID string) []byte {
	id := strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(messageID), "<"), ">")
	local, _, _ := strings.Cut(id, "@")
	return []byte(strings.ToLower(local))
}

// toKey is the msg_by_to key of a message, or its prefix when id is zero.
func toKey(to string, id store.ID, withID bool) []byte {
	k := append([]byte(strings.ToLower(strings.TrimSpace(to))), 0)
	if withID {
		k = append(k, id[:]...)
	}
	return k
}

// indexMessage puts m's entries in msg_by_tracking and msg_by_to.
func indexMessage(byTracking, byTo *bbolt.Bucket, m store.Message) error {
	if k := trackingKey(m.MessageID); len(k) > 0 {
		if err := byTracking.Put(k, bytes.Clone(m.ID[:])); err != nil {
			return err
		}
	}
	if m.To != "" {
		return byTo.Put(toKey(m.To, m.ID, true), nil)
	}
	return nil
}

// reindexMessage moves m's index entries when its Message-ID or recipient changed from
// old's; exists says whether old was stored.
func (t *tx) reindexMessage(old store.Message, exists bool, m store.Message) error {
	if exists && old.MessageID == m.MessageID && old.To == m.To {
		return nil
	}
	byTracking, err := t.bucket(bMsgByTracking)
	if err != nil {
		return err
	}
	byTo, err := t.bucket(bMsgByTo)
	if err != nil {
		return err
	}
	if exists {
		if k := trackingKey(old.MessageID); len(k) > 0 && bytes.Equal(byTracking.Get(k), old.ID[:]) {
			if err := byTracking.Delete(k); err != nil {
				return err
			}
		}
		if old.To != "" {
			if err := byTo.Delete(toKey(old.To, old.ID, true)); err != nil {
				return err
			}
		}
	}
	return indexMessage(byTracking, byTo, m)
}

// MessageByTrackingID looks a message up by the local part of its Message-ID.
func (t *tx) MessageByTrackingID(id string) (store.Message, error) {
	k := trackingKey(id)
	if len(k) == 0 || strings.ContainsAny(id, "@<> ") {
		return store.Message{}, notFound("message with tracking id %q", id)
	}
	b, err := t.bucket(bMsgByTracking)
	if err != nil {
		return store.Message{}, err
	}
	v := b.Get(k)
	if v == nil {
		return store.Message{}, notFound("message with tracking id %q", id)
	}
	if len(v) != len(store.ID{}) {
		return store.Message{}, damaged("damaged msg_by_tracking index: a value of %d bytes", len(v))
	}
	outbox, err := t.bucket(bOutbox)
	if err != nil {
		return store.Message{}, err
	}
	return t.message(outbox, store.ID(v))
}

// MessagesTo returns up to limit messages to address, newest first.
func (t *tx) MessagesTo(address string, limit int) ([]store.Message, error) {
	out := []store.Message{}
	address = strings.TrimSpace(address)
	if limit <= 0 || address == "" {
		return out, nil
	}
	b, err := t.bucket(bMsgByTo)
	if err != nil {
		return nil, err
	}
	outbox, err := t.bucket(bOutbox)
	if err != nil {
		return nil, err
	}
	prefix := toKey(address, store.ID{}, false)
	c := b.Cursor()
	// Seek past the last entry of the prefix, then walk back.
	end := append(bytes.Clone(prefix[:len(prefix)-1]), 1)
	k, _ := c.Seek(end)
	if k == nil {
		k, _ = c.Last()
	} else {
		k, _ = c.Prev()
	}
	for ; k != nil && bytes.HasPrefix(k, prefix) && len(out) < limit; k, _ = c.Prev() {
		if len(k) != len(prefix)+16 {
			return nil, damaged("damaged msg_by_to index: a key of %d bytes", len(k))
		}
		m, err := t.message(outbox, store.ID(k[len(prefix):]))
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, nil
}

type suppressionV1 struct {
	At        int64  `json:"at"`
	Reason    string `json:"reason,omitempty"`
	MessageID string `json:"message_id,omitempty"`
}

func suppressionKey(kind, address string) []byte {
	return []byte(kind + "\x00" + strings.ToLower(strings.TrimSpace(address)))
}

func decodeSuppression(k, v []byte) (store.Suppression, error) {
	kind, addr, ok := bytes.Cut(k, []byte{0})
	if !ok {
		return store.Suppression{}, damaged("damaged suppressions: a key without a kind")
	}
	var sv suppressionV1
	if err := decodeJSON(v, &sv, "suppression"); err != nil {
		return store.Suppression{}, err
	}
	s := store.Suppression{Kind: string(kind), Address: string(addr), Reason: sv.Reason, MessageID: sv.MessageID}
	if sv.At != 0 {
		s.At = time.Unix(0, sv.At).UTC()
	}
	return s, nil
}

// Suppressions returns the suppressions of an address.
func (t *tx) Suppressions(address string) ([]store.Suppression, error) {
	out := []store.Suppression{}
	b, err := t.bucket(bSuppressions)
	if err != nil {
		return nil, err
	}
	for _, kind := range []string{store.SuppressBounced, store.SuppressUnsubscribed} {
		k := suppressionKey(kind, address)
		if v := b.Get(k); v != nil {
			s, err := decodeSuppression(k, v)
			if err != nil {
				return nil, err
			}
			out = append(out, s)
		}
	}
	return out, nil
}

// AllSuppressions walks the suppressions of kind (all when empty) in key order.
func (t *tx) AllSuppressions(kind string, fn func(store.Suppression) bool) error {
	b, err := t.bucket(bSuppressions)
	if err != nil {
		return err
	}
	var prefix []byte
	if kind != "" {
		prefix = []byte(kind + "\x00")
	}
	c := b.Cursor()
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		s, err := decodeSuppression(k, v)
		if err != nil {
			return err
		}
		if !fn(s) {
			return nil
		}
	}
	return nil
}

// PutSuppression stores s under its kind and lower-case address.
func (t *tx) PutSuppression(s store.Suppression) error {
	addr, err := store.CheckSuppression(s)
	if err != nil {
		return err
	}
	b, err := t.bucket(bSuppressions)
	if err != nil {
		return err
	}
	at := s.At
	if at.IsZero() {
		at = time.Now()
	}
	v, err := encodeJSON(suppressionV1{At: at.UnixNano(), Reason: s.Reason, MessageID: s.MessageID})
	if err != nil {
		return err
	}
	return b.Put(suppressionKey(s.Kind, addr), v)
}

// DeleteSuppression removes one suppression.
func (t *tx) DeleteSuppression(kind, address string) error {
	b, err := t.bucket(bSuppressions)
	if err != nil {
		return err
	}
	k := suppressionKey(kind, address)
	if b.Get(k) == nil {
		return notFound("%s address %q", kind, address)
	}
	return b.Delete(k)
}

type mailboxPosV1 struct {
	UIDValidity uint32 `json:"uid_validity"`
	LastUID     uint32 `json:"last_uid"`
}

// MailboxPos returns a watched mailbox's position.
func (t *tx) MailboxPos(name string) (store.MailboxPos, error) {
	b, err := t.bucket(bMailboxes)
	if err != nil {
		return store.MailboxPos{}, err
	}
	var v []byte
	if name != "" {
		v = b.Get([]byte(name))
	}
	if v == nil {
		return store.MailboxPos{}, notFound("mailbox %q", name)
	}
	var pv mailboxPosV1
	if err := decodeJSON(v, &pv, "mailbox position"); err != nil {
		return store.MailboxPos{}, err
	}
	return store.MailboxPos{Name: name, UIDValidity: pv.UIDValidity, LastUID: pv.LastUID}, nil
}

// PutMailboxPos keeps a watched mailbox's position.
func (t *tx) PutMailboxPos(p store.MailboxPos) error {
	if p.Name == "" {
		return fmt.Errorf("mailbox position: no mailbox name")
	}
	b, err := t.bucket(bMailboxes)
	if err != nil {
		return err
	}
	v, err := encodeJSON(mailboxPosV1{UIDValidity: p.UIDValidity, LastUID: p.LastUID})
	if err != nil {
		return err
	}
	return b.Put([]byte(p.Name), v)
}

// emailKey is the records_by_email key of a record's email and key, or the prefix of the
// address's keys when key is zero; nil for a record without an email.
func emailKey(email string, key store.ID) []byte {
	email = strings.ToLower(strings.TrimSpace(email))
	if email == "" {
		return nil
	}
	k := append([]byte(email), 0)
	if key.IsZero() {
		return k
	}
	return append(k, key[:]...)
}

// recordsByEmail creates records_by_email and indexes the records in use.
func recordsByEmail(btx *bbolt.Tx) error {
	if err := createBuckets(btx, []bucketDef{bRecordsByEmail}); err != nil {
		return err
	}
	idx, err := bucket(btx, bRecordsByEmail)
	if err != nil {
		return err
	}
	refs, err := bucket(btx, bRecordsByRef)
	if err != nil {
		return err
	}
	records, err := bucket(btx, bRecords)
	if err != nil {
		return err
	}
	return refs.ForEach(func(_, v []byte) error {
		key, err := decodeID(v, "records_by_ref")
		if err != nil {
			return err
		}
		rv := records.Get(key[:])
		if rv == nil {
			return damaged("damaged records index: record %s is missing", key)
		}
		r, err := decodeRecord(key, rv)
		if err != nil {
			return err
		}
		if k := emailKey(r.Email, key); k != nil {
			return idx.Put(k, nil)
		}
		return nil
	})
}

// reindexEmail moves a record's records_by_email entry from its old email to its new one
// ("" for none).
func (t *tx) reindexEmail(key store.ID, old, email string) error {
	oldK, newK := emailKey(old, key), emailKey(email, key)
	if bytes.Equal(oldK, newK) {
		return nil
	}
	idx, err := t.bucket(bRecordsByEmail)
	if err != nil {
		return err
	}
	if oldK != nil {
		if err := idx.Delete(oldK); err != nil {
			return err
		}
	}
	if newK != nil {
		return idx.Put(newK, nil)
	}
	return nil
}

// RecordsByEmail returns the keys of the records in use whose email is address.
func (t *tx) RecordsByEmail(address string) ([]store.ID, error) {
	prefix := emailKey(address, store.ID{})
	if prefix == nil {
		return nil, nil
	}
	idx, err := t.bucket(bRecordsByEmail)
	if err != nil {
		return nil, err
	}
	var out []store.ID
	c := idx.Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		if len(k) != len(prefix)+len(store.ID{}) {
			return nil, damaged("damaged records_by_email: a key of %d bytes", len(k))
		}
		out = append(out, store.ID(k[len(prefix):]))
	}
	return out, nil
}
