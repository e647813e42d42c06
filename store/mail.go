package store

import "time"

// The kinds of suppression: why pacer sends an address no automated email.
const (
	// SuppressUnsubscribed: the recipient unsubscribed.
	SuppressUnsubscribed = "unsubscribed"
	// SuppressBounced: email to the address bounced for good (undeliverable).
	SuppressBounced = "bounced"
)

// Suppression is an address pacer sends no automated email to, and why. An address may
// have one suppression of each kind.
type Suppression struct {
	// Address is the email address, in lower case.
	Address string `json:"address"`
	// Kind is SuppressUnsubscribed or SuppressBounced.
	Kind string    `json:"kind"`
	At   time.Time `json:"at"`
	// Reason says how it came about (a bounce's diagnostic, "one-click unsubscribe").
	Reason string `json:"reason,omitempty"`
	// MessageID is the Message-ID of the email it came from, if any.
	MessageID string `json:"message_id,omitempty"`
}

// MailboxPos is how far pacer has read a watched IMAP mailbox: the mailbox's UIDVALIDITY
// and the highest UID handled. When the server's UIDVALIDITY changes, the UIDs start over.
type MailboxPos struct {
	// Name identifies the mailbox (its URL without credentials).
	Name        string `json:"name"`
	UIDValidity uint32 `json:"uid_validity"`
	LastUID     uint32 `json:"last_uid"`
}

// MailTx is the part of a transaction that closes the loop of email: outbox messages
// found by their tracking id or recipient, suppressed addresses and the positions of the
// watched mailboxes. Every backend keeps the message indexes in PutMessage, in the same
// transaction as the message.
type MailTx interface {
	// MessageByTrackingID returns the outbox message whose Message-ID has local part id
	// (ignoring case; no angle brackets, no domain).
	MessageByTrackingID(id string) (Message, error)
	// MessagesTo returns up to limit outbox emails to address (ignoring case), newest
	// first.
	MessagesTo(address string, limit int) ([]Message, error)

	// Suppressions returns the suppressions of an address (ignoring case), by kind.
	Suppressions(address string) ([]Suppression, error)
	// AllSuppressions calls fn for every suppression of kind (every kind when empty),
	// ordered by kind then address, until fn returns false.
	AllSuppressions(kind string, fn func(Suppression) bool) error
	// PutSuppression inserts or replaces the suppression of (Kind, Address); the address is
	// stored in lower case.
	PutSuppression(Suppression) error
	// DeleteSuppression removes the suppression of (kind, address); ErrNotFound when none.
	DeleteSuppression(kind, address string) error

	// RecordsByEmail returns the keys of the records (not removed) whose email is address,
	// ignoring case, found by an index kept with the records.
	RecordsByEmail(address string) ([]ID, error)

	// MailboxPos returns the position of a watched mailbox; ErrNotFound when none is kept.
	MailboxPos(name string) (MailboxPos, error)
	// PutMailboxPos keeps the position of a watched mailbox.
	PutMailboxPos(MailboxPos) error
}
