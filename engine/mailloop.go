package engine

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/pacer-sales/pacer/engine/flow"
	"github.com/pacer-sales/pacer/engine/mail"
	"github.com/pacer-sales/pacer/engine/sequence"
	"github.com/pacer-sales/pacer/store"
)

// ClickTarget records link_clicked for link n of the email with tracking id id (the local
// part of its Message-ID) and returns the link to redirect to: always one the stored bodies
// of that email hold (mail.LinkAt), never anything taken from the request. An unknown id
// or link number is an error wrapping ErrUnknownMessage. Like RecordMessageEvent it acts as
// the system; an event that no longer applies (a step not reached) is not an error.
func (e *Engine) ClickTarget(ctx context.Context, id string, n int) (string, error) {
	var target string
	err := e.update(ctx, func(tx store.Tx) error {
		m, err := findMessage(tx, id)
		if err != nil {
			return err
		}
		link, ok := mail.LinkAt(m.Body, m.HTML, n)
		if !ok {
			return fmt.Errorf("%w: %w: the email has no link %d", ErrInvalid, ErrUnknownMessage, n)
		}
		target = link
		if err := e.messageEvent(tx, m, sequence.LinkClicked, "", time.Time{}); err != nil && !errors.Is(err, ErrInvalid) {
			return err
		}
		return nil
	})
	return target, err
}

// UnsubscribeTarget returns the recipient of the email with tracking id id, with most of
// its local part hidden ("j…e@example.com"), for a page that asks to confirm.
func (e *Engine) UnsubscribeTarget(ctx context.Context, id string) (string, error) {
	var addr string
	err := e.view(ctx, func(tx store.Tx) error {
		m, err := findMessage(tx, id)
		if err != nil {
			return err
		}
		addr = maskAddress(m.To)
		return nil
	})
	return addr, err
}

// maskAddress hides most of an address's local part.
func maskAddress(addr string) string {
	addr = bareAddress(addr)
	local, domain, ok := strings.Cut(addr, "@")
	if !ok || len(local) < 3 {
		return "…@" + domain
	}
	return local[:1] + "…" + local[len(local)-1:] + "@" + domain
}

// bareAddress is the address of "Name <addr>" or addr, in lower case.
func bareAddress(addr string) string {
	addr = strings.TrimSpace(addr)
	if i := strings.LastIndex(addr, "<"); i >= 0 {
		addr = strings.TrimSuffix(addr[i+1:], ">")
	}
	return strings.ToLower(strings.TrimSpace(addr))
}

// Unsubscribe unsubscribes the recipient of the email with tracking id id (SPEC §12): the
// address gets no automated email again from any sequence, and the active connections of
// every record with the address end at once with reason unsubscribed. It acts as the
// system: the tracking id is the permission. Unsubscribing twice is no error. It returns the address, masked.
func (e *Engine) Unsubscribe(ctx context.Context, id, how string) (string, error) {
	var addr string
	err := e.update(ctx, func(tx store.Tx) error {
		m, err := findMessage(tx, id)
		if err != nil {
			return err
		}
		addr = maskAddress(m.To)
		return e.unsubscribe(tx, m, how)
	})
	return addr, err
}

// unsubscribe unsubscribes the recipient of email m in tx, how saying by what means.
func (e *Engine) unsubscribe(tx store.Tx, m store.Message, how string) error {
	now := e.clock.Now()
	if err := tx.PutSuppression(store.Suppression{Address: bareAddress(m.To), Kind: store.SuppressUnsubscribed,
		At: now, Reason: how, MessageID: m.MessageID}); err != nil {
		return err
	}
	if err := e.messageEvent(tx, m, flow.Unsubscribed, how, now); err != nil && !errors.Is(err, ErrInvalid) {
		return err
	}
	return e.suppress(tx, m.Record, bareAddress(m.To), store.ReasonUnsubscribed)
}

// Bounce is a delivery failure of one of pacer's emails: found by its Message-ID (or
// tracking id), else by its recipient's latest email.
type Bounce struct {
	MessageID string
	Recipient string
	// Hard is a permanent failure (5.x.x): the address is undeliverable. Delayed is a
	// report that the remote server still tries (recorded only); any other failure is soft
	// and the email is sent again.
	Hard, Delayed bool
	// Status and Diagnostic are the delivery status code (5.1.1) and the server's words.
	Status, Diagnostic string
	At                 time.Time
}

// RecordBounce records email_bounced against the email a bounce is about. A hard bounce
// marks the address undeliverable (no more automated email to it) and ends the active
// connections of every record with the address with reason bounced; a soft one is retried
// like a temporary SMTP failure. It acts as the system. An unknown email is an error wrapping ErrUnknownMessage.
func (e *Engine) RecordBounce(ctx context.Context, b Bounce) error {
	return e.update(ctx, func(tx store.Tx) error {
		m, err := bouncedMessage(tx, b)
		if err != nil {
			return err
		}
		return e.bounce(tx, m, b)
	})
}

// bouncedMessage finds the email of a bounce.
func bouncedMessage(tx store.Tx, b Bounce) (store.Message, error) {
	if b.MessageID != "" {
		m, err := findMessage(tx, b.MessageID)
		if err == nil || !errors.Is(err, ErrUnknownMessage) || b.Recipient == "" {
			return m, err
		}
	}
	if b.Recipient != "" {
		msgs, err := tx.MessagesTo(bareAddress(b.Recipient), 1)
		if err != nil {
			return store.Message{}, err
		}
		if len(msgs) == 1 {
			return msgs[0], nil
		}
	}
	return store.Message{}, fmt.Errorf("%w: %w: no email of pacer's matches the bounce (Message-ID %q, recipient %q)",
		ErrInvalid, ErrUnknownMessage, b.MessageID, b.Recipient)
}

// bounce applies a bounce of message m in tx.
func (e *Engine) bounce(tx store.Tx, m store.Message, b Bounce) error {
	at := b.At
	if at.IsZero() {
		at = e.clock.Now()
	}
	note := strings.TrimSpace(strings.Join([]string{b.Status, b.Diagnostic}, " "))
	if !b.Hard {
		note = "soft: " + note
	}
	note = clip(note, maxErrorText)
	if err := e.messageEvent(tx, m, flow.EmailBounced, note, at); err != nil && !errors.Is(err, ErrInvalid) {
		return err
	}
	switch {
	case b.Delayed:
		return nil
	case !b.Hard:
		return e.retryBounced(tx, m.ID, note, at)
	}
	addr := bareAddress(m.To)
	if b.Recipient != "" {
		addr = bareAddress(b.Recipient)
	}
	if err := tx.PutSuppression(store.Suppression{Address: addr, Kind: store.SuppressBounced, At: at,
		Reason: note, MessageID: m.MessageID}); err != nil {
		return err
	}
	return e.suppress(tx, m.Record, addr, store.ReasonBounced)
}

// suppress ends, with reason, the active connections of every record whose email is addr
// (found by the records' email index) and of the email's record, which may have another
// address by now.
func (e *Engine) suppress(tx store.Tx, record store.ID, addr, reason string) error {
	keys, err := tx.RecordsByEmail(addr)
	if err != nil {
		return err
	}
	if !slices.Contains(keys, record) {
		keys = append(keys, record)
	}
	for _, k := range keys {
		if err := e.endConnections(tx, k, reason); err != nil {
			return err
		}
	}
	return nil
}

// endConnections disconnects every active connection of a record with reason.
func (e *Engine) endConnections(tx store.Tx, record store.ID, reason string) error {
	conns, err := tx.ConnsByRecord(record)
	if err != nil {
		return err
	}
	var o *org
	for _, c := range conns {
		if c.State != store.ConnActive {
			continue
		}
		if o == nil {
			if o, err = loadOrg(tx); err != nil {
				return err
			}
		}
		if _, err := e.step(tx, o, c, flow.Input{Kind: flow.Disconnect, Reason: reason}, e.clock.Now()); err != nil {
			return err
		}
	}
	return nil
}

// suppressed returns why pacer sends addr no automated email (the disconnect reason:
// bounced or unsubscribed), or "".
func suppressed(tx store.Tx, addr string) (string, error) {
	addr = bareAddress(addr)
	if addr == "" {
		return "", nil
	}
	ss, err := tx.Suppressions(addr)
	if err != nil || len(ss) == 0 {
		return "", err
	}
	for _, s := range ss {
		if s.Kind == store.SuppressBounced {
			return store.ReasonBounced, nil
		}
	}
	return store.ReasonUnsubscribed, nil
}

// Suppressions lists the addresses pacer sends no automated email to, of one kind
// (store.SuppressUnsubscribed, store.SuppressBounced) or every kind when empty. Admins and
// managers may.
func (e *Engine) Suppressions(ctx context.Context, by, kind string) ([]store.Suppression, error) {
	if kind != "" && kind != store.SuppressBounced && kind != store.SuppressUnsubscribed {
		return nil, invalid("kind %q: want unsubscribed or bounced", kind)
	}
	out := []store.Suppression{}
	err := e.view(ctx, func(tx store.Tx) error {
		if _, err := requireManager(tx, by, "list unsubscribed and undeliverable addresses"); err != nil {
			return err
		}
		return tx.AllSuppressions(kind, func(s store.Suppression) bool { out = append(out, s); return true })
	})
	return out, err
}

// RemoveSuppression lets pacer send automated email to an address again (an unsubscribe
// undone, or an address that works again). Admins only.
func (e *Engine) RemoveSuppression(ctx context.Context, by, kind, address string) error {
	if kind != store.SuppressBounced && kind != store.SuppressUnsubscribed {
		return invalid("kind %q: want unsubscribed or bounced", kind)
	}
	return e.update(ctx, func(tx store.Tx) error {
		if _, err := requireAdmin(tx, by, "remove an unsubscribe"); err != nil {
			return err
		}
		return notFound(tx.DeleteSuppression(kind, bareAddress(address)), "%s is not %s", bareAddress(address), kind)
	})
}

// retryBounced queues again, with the same Message-ID, a sent email that a soft bounce says
// was not delivered, after the back-off of a temporary SMTP failure (SPEC §4 rule 4); once
// its tries have run out it fails into a manual email task for the record's owner. An email
// already queued again, or whose connection was disconnected, is left alone.
func (e *Engine) retryBounced(tx store.Tx, id store.ID, note string, at time.Time) error {
	m, err := tx.Message(id)
	if err != nil || m.Channel != "email" || m.State != store.MsgSent {
		return err
	}
	c, err := tx.Conn(m.Conn)
	if errors.Is(err, store.ErrNotFound) || (err == nil && c.State == store.ConnDisconnected) {
		return nil
	} else if err != nil {
		return err
	}
	why := "soft bounce: " + note
	if m.Tries >= mail.MaxTries {
		return e.undelivered(tx, m, c, fmt.Sprintf("not delivered after %d tries: %s", m.Tries, why), at)
	}
	m.State, m.NextTry, m.LastError = store.MsgQueued, at.Add(mail.Backoff(m.Tries)), why
	return tx.PutMessage(m)
}

// undelivered gives up on an email sent before (a resend after soft bounces): it fails, and
// the record's owner gets a manual email task for its step, carrying why, to send it by hand.
func (e *Engine) undelivered(tx store.Tx, m store.Message, c store.Connection, why string, now time.Time) error {
	m.State, m.LastError = store.MsgFailed, clip(why, maxErrorText)
	if err := tx.PutMessage(m); err != nil {
		return err
	}
	rec, err := tx.RecordByKey(m.Record)
	if err != nil {
		return err
	}
	o, err := loadOrg(tx)
	if err != nil {
		return err
	}
	t := store.Task{StepID: m.StepID, Visit: m.Visit, Type: string(sequence.Email), Name: "Send by hand: " + m.Subject, Error: m.LastError}
	if pl, err := e.plans.get(tx, c.Sequence, c.Version); err == nil {
		if st := pl.Step(m.StepID); st != nil {
			t.Template = st.Template
		}
	}
	return e.putNotice(tx, o, c, rec, t, now)
}

// resent reports whether a message went out before: queued again after a soft bounce.
func resent(m store.Message) bool { return !m.SentAt.IsZero() }
