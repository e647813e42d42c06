package postgres

import (
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/pacer-sales/pacer/store"
)

// schema8 adds what each sender mailbox has let out, for the sending limits (one row per
// mailbox, times as int8 Unix nanoseconds). It creates only what is missing.
const schema8 = `
CREATE TABLE IF NOT EXISTS mailbox_use (
	mailbox    text COLLATE "C" PRIMARY KEY,
	hour_start int8,
	in_hour    int8 NOT NULL DEFAULT 0,
	day_start  int8,
	in_day     int8 NOT NULL DEFAULT 0,
	last_at    int8
);
`

// MailboxUse returns what a sender mailbox has let out. In an Update it makes the
// mailbox's row when there is none and locks it for the transaction, so another node's
// MailboxUse waits until this transaction ends.
func (t *tx) MailboxUse(mailbox string) (store.MailboxUse, error) {
	u := store.MailboxUse{Mailbox: mailbox}
	if mailbox == "" {
		return u, nil
	}
	const cols = "hour_start, in_hour, day_start, in_day, last_at"
	sql := "SELECT " + cols + " FROM mailbox_use WHERE mailbox = $1"
	if t.writable {
		// The upsert locks the row it makes or finds, also when two nodes make it at once.
		sql = `INSERT INTO mailbox_use (mailbox) VALUES ($1)
			ON CONFLICT (mailbox) DO UPDATE SET mailbox = excluded.mailbox RETURNING ` + cols
	}
	_, err := t.queryOne(sql, []any{mailbox}, func(r pgx.Rows) error {
		var inHour, inDay int64
		err := r.Scan(tm(&u.Hour), &inHour, tm(&u.Day), &inDay, tm(&u.Last))
		u.InHour, u.InDay = int(inHour), int(inDay)
		return err
	})
	return u, err
}

// PutMailboxUse keeps the use of u.Mailbox.
func (t *tx) PutMailboxUse(u store.MailboxUse) error {
	if u.Mailbox == "" {
		return fmt.Errorf("mailbox use: no mailbox")
	}
	if u.InHour < 0 || u.InDay < 0 {
		return fmt.Errorf("mailbox use of %s: negative counts %d, %d", u.Mailbox, u.InHour, u.InDay)
	}
	return t.write("store the use of mailbox "+u.Mailbox, `INSERT INTO mailbox_use (mailbox, hour_start, in_hour, day_start, in_day, last_at)
		VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (mailbox) DO UPDATE SET hour_start = excluded.hour_start, in_hour = excluded.in_hour,
			day_start = excluded.day_start, in_day = excluded.in_day, last_at = excluded.last_at`,
		u.Mailbox, nanos(u.Hour), int64(u.InHour), nanos(u.Day), int64(u.InDay), nanos(u.Last))
}
