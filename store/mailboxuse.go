package store

import "time"

// MailboxUse is what one sender mailbox has let out, for the sending limits: how many
// automated emails in the clock hour that began at Hour and in the day that began at Day
// (the engine chooses the zone), and when the last one went out. It is kept in the
// transaction that lets an email out, so a restart, or another process sharing the
// database, goes on from it.
type MailboxUse struct {
	// Mailbox is the sender's address, in lower case.
	Mailbox string    `json:"mailbox"`
	Hour    time.Time `json:"hour"`
	InHour  int       `json:"in_hour"`
	Day     time.Time `json:"day"`
	InDay   int       `json:"in_day"`
	Last    time.Time `json:"last"`
}

// MailboxUseTx keeps the use of sender mailboxes.
type MailboxUseTx interface {
	// MailboxUse returns what a sender mailbox has let out: the zero use with the Mailbox
	// set when nothing is kept. In an Update, a backend that several processes share holds
	// the mailbox's use for the transaction until it ends (another's MailboxUse in an Update
	// waits), so two of them can't both take the last slot of a limit.
	MailboxUse(mailbox string) (MailboxUse, error)
	// PutMailboxUse keeps the use of u.Mailbox, replacing what was kept.
	PutMailboxUse(u MailboxUse) error
}
