package postgres

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pacer-sales/pacer/store"
)

// schema3 adds what closes the loop of email: indexes of the outbox by tracking id (the
// lower-case local part of the Message-ID) and by recipient, the suppressed addresses and
// the positions of the watched mailboxes.
const schema3 = `
CREATE INDEX messages_tracking ON messages ((` + trackingExpr + `));
CREATE INDEX messages_to ON messages (lower(to_addr), id);
CREATE TABLE suppressions (
	kind       text COLLATE "C" NOT NULL,
	address    text COLLATE "C" NOT NULL,
	at         int8,
	reason     text NOT NULL,
	message_id text NOT NULL,
	PRIMARY KEY (kind, address)
);
CREATE TABLE mailboxes (
	name         text COLLATE "C" PRIMARY KEY,
	uid_validity int8 NOT NULL,
	last_uid     int8 NOT NULL
);
`

// schema7 adds an email template's own HTML body and the HTML an email rendered from it
// (empty when the HTML part is made from the text), a user's own mailbox, and the index of
// records by email an unsubscribe or bounce finds the records of an address with.
const schema7 = `
ALTER TABLE templates ADD COLUMN html text NOT NULL DEFAULT '';
ALTER TABLE messages ADD COLUMN html text NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN imap_url text NOT NULL DEFAULT '';
CREATE INDEX records_email ON records (lower(email), key) WHERE email <> '' AND NOT removed;
`

// RecordsByEmail returns the keys of the records in use whose email is address.
func (t *tx) RecordsByEmail(address string) ([]store.ID, error) {
	address = strings.ToLower(strings.TrimSpace(address))
	if address == "" {
		return nil, nil
	}
	var out []store.ID
	err := t.query("SELECT key FROM records WHERE lower(email) = $1 AND email <> '' AND NOT removed ORDER BY key",
		[]any{address}, func(r pgx.Rows) error {
			var k store.ID
			err := r.Scan(idp(&k))
			out = append(out, k)
			return err
		})
	return out, err
}

// trackingExpr is a message's tracking id in SQL, as messages_tracking indexes it.
const trackingExpr = `lower(split_part(btrim(message_id, '<> '), '@', 1))`

// MessageByTrackingID looks a message up by the local part of its Message-ID.
func (t *tx) MessageByTrackingID(id string) (store.Message, error) {
	want := strings.ToLower(strings.TrimSpace(id))
	if want == "" || strings.ContainsAny(want, "@<> ") {
		return store.Message{}, notFound("message with tracking id %q", id)
	}
	var m store.Message
	found, err := t.queryOne("SELECT "+msgCols+" FROM messages WHERE "+trackingExpr+" = $1 ORDER BY id LIMIT 1"+t.lock(),
		[]any{want}, func(r pgx.Rows) (err error) {
			m, err = scanMessage(r)
			return err
		})
	if err == nil && !found {
		err = notFound("message with tracking id %q", id)
	}
	return m, err
}

// MessagesTo returns up to limit messages to address, newest first.
func (t *tx) MessagesTo(address string, limit int) ([]store.Message, error) {
	list := []store.Message{}
	address = strings.TrimSpace(address)
	if limit <= 0 || address == "" {
		return list, nil
	}
	err := t.query("SELECT "+msgCols+" FROM messages WHERE lower(to_addr) = lower($1) ORDER BY id DESC LIMIT $2",
		[]any{address, limit}, func(r pgx.Rows) error {
			m, err := scanMessage(r)
			list = append(list, m)
			return err
		})
	return list, err
}

const suppressionCols = "kind, address, at, reason, message_id"

func scanSuppression(r pgx.Rows) (store.Suppression, error) {
	var s store.Suppression
	err := r.Scan(&s.Kind, &s.Address, tm(&s.At), &s.Reason, &s.MessageID)
	return s, err
}

// Suppressions returns the suppressions of an address, by kind.
func (t *tx) Suppressions(address string) ([]store.Suppression, error) {
	if list, ok := t.keep.supps[suppressionKey(address)]; ok {
		return slices.Clone(list), nil
	}
	list := []store.Suppression{}
	err := t.queryOrg("SELECT "+suppressionCols+" FROM suppressions WHERE address = $1 ORDER BY kind",
		[]any{strings.ToLower(strings.TrimSpace(address))}, func(r pgx.Rows) error {
			s, err := scanSuppression(r)
			list = append(list, s)
			return err
		})
	return list, err
}

// AllSuppressions walks the suppressions of kind (all when empty) by kind and address.
func (t *tx) AllSuppressions(kind string, fn func(store.Suppression) bool) error {
	var list []store.Suppression
	err := t.query("SELECT "+suppressionCols+" FROM suppressions WHERE $1 = '' OR kind = $1 ORDER BY kind, address",
		[]any{kind}, func(r pgx.Rows) error {
			s, err := scanSuppression(r)
			list = append(list, s)
			return err
		})
	if err != nil {
		return err
	}
	for _, s := range list {
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
	if s.At.IsZero() {
		s.At = time.Now().UTC()
	}
	delete(t.keep.supps, addr)
	return t.write("store suppression "+addr, `INSERT INTO suppressions (`+suppressionCols+`) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (kind, address) DO UPDATE SET at = excluded.at, reason = excluded.reason, message_id = excluded.message_id`,
		s.Kind, addr, nanos(s.At), s.Reason, s.MessageID)
}

// DeleteSuppression removes one suppression.
func (t *tx) DeleteSuppression(kind, address string) error {
	addr := suppressionKey(address)
	delete(t.keep.supps, addr)
	n, err := t.exec("delete suppression "+addr, "DELETE FROM suppressions WHERE kind = $1 AND address = $2", kind, addr)
	if err == nil && n == 0 {
		err = notFound("%s address %q", kind, address)
	}
	return err
}

// MailboxPos returns a watched mailbox's position.
func (t *tx) MailboxPos(name string) (store.MailboxPos, error) {
	p := store.MailboxPos{Name: name}
	found, err := t.queryOne("SELECT uid_validity, last_uid FROM mailboxes WHERE name = $1"+t.lock(), []any{name},
		func(r pgx.Rows) error {
			var v, u int64
			err := r.Scan(&v, &u)
			p.UIDValidity, p.LastUID = uint32(v), uint32(u)
			return err
		})
	if err == nil && !found {
		err = notFound("mailbox %q", name)
	}
	return p, err
}

// PutMailboxPos keeps a watched mailbox's position.
func (t *tx) PutMailboxPos(p store.MailboxPos) error {
	if p.Name == "" {
		return fmt.Errorf("mailbox position: no mailbox name")
	}
	return t.write("store mailbox position "+p.Name, `INSERT INTO mailboxes (name, uid_validity, last_uid) VALUES ($1, $2, $3)
		ON CONFLICT (name) DO UPDATE SET uid_validity = excluded.uid_validity, last_uid = excluded.last_uid`,
		p.Name, int64(p.UIDValidity), int64(p.LastUID))
}
