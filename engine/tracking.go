package engine

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/pacer-sales/pacer/engine/flow"
	"github.com/pacer-sales/pacer/engine/limits"
	"github.com/pacer-sales/pacer/engine/sequence"
	"github.com/pacer-sales/pacer/store"
)

// ErrUnknownMessage is wrapped by RecordMessageEvent's error when no email in the outbox
// has the Message-ID given.
var ErrUnknownMessage = errors.New("no such message")

// RecordMessageEvent records an email event (email_opened, email_replied, link_clicked,
// attachment_downloaded) against the outbox email with the given Message-ID (SPEC §4.5):
// the connection and step that sent it take the event, so a condition waiting on it can
// take its Yes path. at zero means now.
//
// It acts as the system, not as a user: no role is checked. Its callers are the tracking
// front ends, whose events are anonymous by nature (a tracking pixel loaded by a mail
// client, a link redirect, a reply seen by a mail relay); what stands in for a permission
// is the Message-ID itself, which derives from a hash of the message's idempotency key and
// can't be guessed. Front ends must not hand it a Message-ID taken from an untrusted user
// as a way around the role rules; a user's own event goes through RecordEvent.
//
// messageID may be given as the header value ("<hex@domain>"), without the angle brackets,
// or as its local part alone (the 32 hex digits a tracking URL carries). An event already
// recorded for the message is not recorded again and is no error: pixels load many times.
// An event for a connection that has ended is kept in its history only.
//
// Finding the message scans the outbox (O(messages), in a read transaction of its own so
// the write lock is held only for the step itself); a store index by Message-ID would make
// it a single lookup.
func (e *Engine) RecordMessageEvent(ctx context.Context, messageID string, kind sequence.Kind, at time.Time) error {
	if !slices.Contains(sequence.EventKinds, kind) {
		return invalid("event %q: want one of email_opened, email_replied, link_clicked, attachment_downloaded", kind)
	}
	want, byLocal, err := normalizeMessageID(messageID)
	if err != nil {
		return err
	}
	var found store.ID
	if err := e.view(ctx, func(tx store.Tx) error {
		return tx.Messages(func(m store.Message) bool {
			if messageIDMatches(m.MessageID, want, byLocal) {
				found = m.ID
				return false
			}
			return true
		})
	}); err != nil {
		return err
	}
	if found.IsZero() {
		return fmt.Errorf("%w: %w: no email has the Message-ID %q", ErrInvalid, ErrUnknownMessage, messageID)
	}
	return e.update(ctx, func(tx store.Tx) error {
		m, err := tx.Message(found)
		if err != nil {
			return notFound(err, "message %q is gone from the outbox", messageID)
		}
		if m.Channel != "" && m.Channel != "email" {
			return invalid("message %q is a text message; email events belong to emails", messageID)
		}
		c, err := tx.Conn(m.Conn)
		if err != nil {
			return notFound(err, "the connection of message %q is gone", messageID)
		}
		now := e.clock.Now()
		if at.IsZero() {
			at = now
		}
		if err := limits.Time("the time of the event", at); err != nil {
			return fmt.Errorf("%w: message %q: %w", ErrInvalid, messageID, err)
		}
		if c.State != store.ConnActive {
			since := m.SentAt
			if since.IsZero() {
				since = m.CreatedAt
			}
			if why := flow.EventTimeProblem(at, since, now); why != "" {
				return invalid("message %q: %s not recorded: %s", messageID, kind, why)
			}
			// The connection has ended; the event is still part of its history, once.
			hist, err := tx.History(c.ID)
			if err != nil {
				return err
			}
			for _, ev := range hist {
				if ev.Type == store.EventEmail && ev.StepID == m.StepID && ev.Event == string(kind) {
					return nil
				}
			}
			return tx.AppendHistory(c.ID, store.Event{At: at, Type: store.EventEmail, StepID: m.StepID, Event: string(kind)})
		}
		o, err := loadOrg(tx)
		if err != nil {
			return err
		}
		res, err := e.step(tx, o, c, flow.Input{Kind: flow.EmailEvent, StepID: m.StepID, Event: kind, At: at}, now)
		if err != nil {
			return err
		}
		if res.Ignored != "" && !strings.Contains(res.Ignored, "already recorded") {
			return invalid("message %q: %s not recorded: %s", messageID, kind, res.Ignored)
		}
		return nil
	})
}

// normalizeMessageID turns a Message-ID as a caller may give it into the form to compare:
// the whole ID without angle brackets, or (byLocal) its local part alone.
func normalizeMessageID(id string) (want string, byLocal bool, err error) {
	id = strings.TrimSpace(id)
	id = strings.TrimSuffix(strings.TrimPrefix(id, "<"), ">")
	if id == "" {
		return "", false, invalid("message id: empty")
	}
	if strings.ContainsAny(id, "<> \t\r\n") {
		return "", false, invalid("message id %q: want <local@domain>, local@domain or the local part", id)
	}
	return strings.ToLower(id), !strings.Contains(id, "@"), nil
}

// messageIDMatches compares a stored Message-ID ("<local@domain>") with a normalized one.
func messageIDMatches(stored, want string, byLocal bool) bool {
	stored = strings.ToLower(strings.TrimSuffix(strings.TrimPrefix(stored, "<"), ">"))
	if byLocal {
		local, _, _ := strings.Cut(stored, "@")
		return local == want
	}
	return stored == want
}
