package bolt

import (
	"fmt"

	"go.etcd.io/bbolt"

	"github.com/pacer-sales/pacer/store"
)

// The bucket schema 9 adds: what each sender mailbox has let out, for the sending limits.
// mailbox_use: mailbox address → format byte | hour | in hour | day | in day | last (times
// as the binary codec writes them, counts as varints).
var bMailboxUse = bucketDef{name: "mailbox_use"}

// mailboxUse creates the bucket of schema 9.
func mailboxUse(btx *bbolt.Tx) error {
	return createBuckets(btx, []bucketDef{bMailboxUse})
}

// MailboxUse returns what a sender mailbox has let out. One process holds the file, so
// the transaction alone keeps two sends from taking one slot.
func (t *tx) MailboxUse(mailbox string) (store.MailboxUse, error) {
	u := store.MailboxUse{Mailbox: mailbox}
	b, err := t.bucket(bMailboxUse)
	if err != nil || mailbox == "" {
		return u, err
	}
	v := b.Get([]byte(mailbox))
	if v == nil {
		return u, nil
	}
	d := decoder{b: v}
	if err := d.start("mailbox use"); err != nil {
		return u, err
	}
	u.Hour, u.InHour = d.time(), d.int()
	u.Day, u.InDay = d.time(), d.int()
	u.Last = d.time()
	return u, d.finish("mailbox use")
}

// PutMailboxUse keeps the use of u.Mailbox.
func (t *tx) PutMailboxUse(u store.MailboxUse) error {
	if u.Mailbox == "" {
		return fmt.Errorf("mailbox use: no mailbox")
	}
	if u.InHour < 0 || u.InDay < 0 {
		return fmt.Errorf("mailbox use of %s: negative counts %d, %d", u.Mailbox, u.InHour, u.InDay)
	}
	b, err := t.bucket(bMailboxUse)
	if err != nil {
		return err
	}
	e := encoder{b: make([]byte, 0, 40)}
	e.byte(format1)
	e.time(u.Hour)
	e.varint(int64(u.InHour))
	e.time(u.Day)
	e.varint(int64(u.InDay))
	e.time(u.Last)
	return b.Put([]byte(u.Mailbox), e.b)
}
