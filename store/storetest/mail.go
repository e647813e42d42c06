package storetest

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/pacer-sales/pacer/store"
)

// The mail part of the suite (store.MailTx): messages by tracking id and recipient,
// suppressions and mailbox positions.

func testMessageIndexes(t *testing.T, s store.Store) {
	a := queued(1, 1, 1)
	a.MessageID, a.To = "<AbC123@pacer.example>", "Buyer@Example.com"
	b := queued(2, 2, 2)
	b.MessageID, b.To = "<def456@pacer.example>", "buyer@example.com"
	c := queued(3, 3, 3)
	c.MessageID, c.To = "<aaa999@pacer.example>", "other@example.com"
	putMessages(t, s, a, b, c)

	for _, tc := range []struct {
		id   string
		want store.ID
	}{{"abc123", a.ID}, {"ABC123", a.ID}, {"def456", b.ID}, {"aaa999", c.ID}} {
		got := get(t, s, func(tx store.Tx) (store.Message, error) { return tx.MessageByTrackingID(tc.id) })
		if got.ID != tc.want {
			t.Errorf("MessageByTrackingID(%q) = %s, want %s", tc.id, got.ID, tc.want)
		}
	}
	view(t, s, func(tx store.Tx) error {
		for _, bad := range []string{"", "abc12", "abc123@pacer.example", "zzz", "<abc123>"} {
			_, err := tx.MessageByTrackingID(bad)
			wantErr(t, fmt.Sprintf("MessageByTrackingID(%q)", bad), err, store.ErrNotFound)
		}
		return nil
	})
	to := func(addr string, limit int) []string {
		msgs := get(t, s, func(tx store.Tx) ([]store.Message, error) { return tx.MessagesTo(addr, limit) })
		var out []string
		for _, m := range msgs {
			out = append(out, m.ID.String())
		}
		return out
	}
	wantEqual(t, "MessagesTo newest first, ignoring case", to("BUYER@example.com", 10), idStrings(b.ID, a.ID))
	wantEqual(t, "MessagesTo with a limit", to("buyer@example.com", 1), idStrings(b.ID))
	if got := to("buyer@example.co", 10); len(got) != 0 {
		t.Errorf("MessagesTo of a prefix of an address = %v", got)
	}
	if got := to("nobody@example.com", 10); len(got) != 0 {
		t.Errorf("MessagesTo of an unknown address = %v", got)
	}

	// An update that changes the recipient and Message-ID moves the index entries.
	a.To, a.MessageID, a.Tries = "new@example.com", "<moved1@pacer.example>", 1
	putMessages(t, s, a)
	wantEqual(t, "MessagesTo the old address after the update", to("buyer@example.com", 10), idStrings(b.ID))
	wantEqual(t, "MessagesTo the new address", to("new@example.com", 10), idStrings(a.ID))
	view(t, s, func(tx store.Tx) error {
		_, err := tx.MessageByTrackingID("abc123")
		wantErr(t, "MessageByTrackingID of the old id", err, store.ErrNotFound)
		m, err := tx.MessageByTrackingID("moved1")
		if err != nil || m.ID != a.ID || m.Tries != 1 {
			t.Errorf("MessageByTrackingID of the new id = %s, %v", m.ID, err)
		}
		return nil
	})

	// A rolled-back message leaves no index entry.
	d := queued(4, 4, 4)
	d.MessageID, d.To = "<rolled@pacer.example>", "rolled@example.com"
	boom := errors.New("boom")
	if err := s.Update(t.Context(), func(tx store.Tx) error {
		if err := tx.PutMessage(d); err != nil {
			return err
		}
		return boom
	}); !errors.Is(err, boom) {
		t.Fatalf("Update = %v", err)
	}
	view(t, s, func(tx store.Tx) error {
		_, err := tx.MessageByTrackingID("rolled")
		wantErr(t, "MessageByTrackingID after a rollback", err, store.ErrNotFound)
		return nil
	})
	if got := to("rolled@example.com", 10); len(got) != 0 {
		t.Errorf("MessagesTo after a rollback = %v", got)
	}
}

func testSuppressions(t *testing.T, s store.Store) {
	all := func(kind string) []store.Suppression {
		var out []store.Suppression
		view(t, s, func(tx store.Tx) error {
			return tx.AllSuppressions(kind, func(x store.Suppression) bool { out = append(out, x); return true })
		})
		return out
	}
	if got := all(""); len(got) != 0 {
		t.Fatalf("a new store has suppressions: %v", got)
	}
	u1 := store.Suppression{Address: "Pat@Example.com", Kind: store.SuppressUnsubscribed, At: at(1), Reason: "one-click", MessageID: "<a@b>"}
	u2 := store.Suppression{Address: "ann@example.com", Kind: store.SuppressUnsubscribed, At: at(2)}
	b1 := store.Suppression{Address: "pat@example.com", Kind: store.SuppressBounced, At: at(3), Reason: "550 5.1.1 no such user"}
	update(t, s, func(tx store.Tx) error {
		for _, x := range []store.Suppression{u1, u2, b1} {
			if err := tx.PutSuppression(x); err != nil {
				return err
			}
		}
		return nil
	})
	u1.Address = "pat@example.com"
	got := get(t, s, func(tx store.Tx) ([]store.Suppression, error) { return tx.Suppressions("PAT@example.com") })
	wantEqual(t, "Suppressions of an address with both kinds", got, []store.Suppression{b1, u1})
	wantEqual(t, "AllSuppressions of every kind", all(""), []store.Suppression{b1, u2, u1})
	wantEqual(t, "AllSuppressions(unsubscribed)", all(store.SuppressUnsubscribed), []store.Suppression{u2, u1})
	if got := get(t, s, func(tx store.Tx) ([]store.Suppression, error) { return tx.Suppressions("nobody@example.com") }); len(got) != 0 {
		t.Errorf("Suppressions of an unknown address = %v", got)
	}
	// Stopping early.
	n := 0
	view(t, s, func(tx store.Tx) error {
		return tx.AllSuppressions("", func(store.Suppression) bool { n++; return false })
	})
	if n != 1 {
		t.Errorf("AllSuppressions went on after fn returned false: %d calls", n)
	}
	// Replacing and deleting.
	u1.Reason = "again"
	update(t, s, func(tx store.Tx) error { return tx.PutSuppression(u1) })
	update(t, s, func(tx store.Tx) error { return tx.DeleteSuppression(store.SuppressBounced, "PAT@example.com") })
	got = get(t, s, func(tx store.Tx) ([]store.Suppression, error) { return tx.Suppressions("pat@example.com") })
	wantEqual(t, "Suppressions after replace and delete", got, []store.Suppression{u1})
	err := s.Update(t.Context(), func(tx store.Tx) error { return tx.DeleteSuppression(store.SuppressBounced, "pat@example.com") })
	wantErr(t, "DeleteSuppression of a missing one", err, store.ErrNotFound)
	if err := s.Update(t.Context(), func(tx store.Tx) error {
		return tx.PutSuppression(store.Suppression{Address: "x@example.com", Kind: "spam"})
	}); err == nil {
		t.Error("PutSuppression of an unknown kind succeeded")
	}
}

func testMailboxPos(t *testing.T, s store.Store) {
	view(t, s, func(tx store.Tx) error {
		_, err := tx.MailboxPos("imap://mail.example/INBOX")
		wantErr(t, "MailboxPos of an unknown mailbox", err, store.ErrNotFound)
		return nil
	})
	p := store.MailboxPos{Name: "imap://mail.example/INBOX", UIDValidity: 4_000_000_000, LastUID: 17}
	update(t, s, func(tx store.Tx) error { return tx.PutMailboxPos(p) })
	wantEqual(t, "MailboxPos", get(t, s, func(tx store.Tx) (store.MailboxPos, error) { return tx.MailboxPos(p.Name) }), p)
	p.LastUID = 4_294_967_295
	update(t, s, func(tx store.Tx) error { return tx.PutMailboxPos(p) })
	wantEqual(t, "MailboxPos after an update", get(t, s, func(tx store.Tx) (store.MailboxPos, error) { return tx.MailboxPos(p.Name) }), p)
}

// An email's own HTML body is kept with it, short or long, and dropped again.
func testMessageHTML(t *testing.T, s store.Store) {
	short := queued(1, 1, 1)
	short.HTML = "<p>Hello <b>there</b></p>"
	long := queued(2, 2, 2)
	long.Body, long.HTML = strings.Repeat("text ", 200), strings.Repeat("<p>html</p>", 200)
	putMessages(t, s, short, long)
	for _, m := range []store.Message{short, long} {
		got := get(t, s, func(tx store.Tx) (store.Message, error) { return tx.Message(m.ID) })
		if got.Body != m.Body || got.HTML != m.HTML {
			t.Errorf("message %d: body %q, html %q", m.Visit, clipped(got.Body), clipped(got.HTML))
		}
	}
	long.HTML = ""
	putMessages(t, s, long)
	if got := get(t, s, func(tx store.Tx) (store.Message, error) { return tx.Message(long.ID) }); got.Body != long.Body || got.HTML != "" {
		t.Errorf("HTML dropped: body %q, html %q", clipped(got.Body), clipped(got.HTML))
	}
}

func clipped(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}

// RecordsByEmail finds the records in use of an address, ignoring case, and follows changes
// of a record's email and its removal.
func testRecordsByEmail(t *testing.T, s store.Store) {
	a := putRecord(t, s, store.Record{Entity: "lead", ID: "A", Name: "A", Email: "Buyer@Example.com"})
	b := putRecord(t, s, store.Record{Entity: "contact", ID: "B", Name: "B", Email: "buyer@example.com"})
	c := putRecord(t, s, store.Record{Entity: "lead", ID: "C", Name: "C", Email: "other@example.com"})
	putRecord(t, s, store.Record{Entity: "lead", ID: "D", Name: "D"})
	by := func(addr string) []string {
		keys := get(t, s, func(tx store.Tx) ([]store.ID, error) { return tx.RecordsByEmail(addr) })
		out := []string{}
		for _, k := range keys {
			out = append(out, k.String())
		}
		slices.Sort(out)
		return out
	}
	sorted := func(ids ...store.ID) []string {
		out := idStrings(ids...)
		slices.Sort(out)
		return out
	}
	wantEqual(t, "RecordsByEmail ignoring case", by("BUYER@example.com"), sorted(a.Key, b.Key))
	wantEqual(t, "RecordsByEmail of a prefix", by("buyer@example.co"), []string{})
	wantEqual(t, "RecordsByEmail of no address", by(""), []string{})
	c.Email = "buyer@example.com"
	putRecord(t, s, c)
	wantEqual(t, "RecordsByEmail after a record's email changed to it", by("buyer@example.com"), sorted(a.Key, b.Key, c.Key))
	wantEqual(t, "RecordsByEmail of the old email", by("other@example.com"), []string{})
	update(t, s, func(tx store.Tx) error { _, err := tx.RemoveRecord("contact", "B"); return err })
	wantEqual(t, "RecordsByEmail after a removal", by("buyer@example.com"), sorted(a.Key, c.Key))
	a.Email = ""
	putRecord(t, s, a)
	wantEqual(t, "RecordsByEmail after an email was cleared", by("buyer@example.com"), sorted(c.Key))
}
