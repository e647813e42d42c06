package storetest

import (
	"errors"
	"sync"
	"testing"

	"github.com/pacer-sales/pacer/store"
)

// testMailboxUse checks the use kept per sender mailbox: nothing kept reads as the zero use,
// a put replaces, mailboxes are apart, a rolled-back put is gone, and updates of one
// mailbox from several goroutines at once each count (none is lost to another's write).
func testMailboxUse(t *testing.T, s store.Store) {
	const box = "zoe@example.com"
	got := get(t, s, func(tx store.Tx) (store.MailboxUse, error) { return tx.MailboxUse(box) })
	wantEqual(t, "MailboxUse of a mailbox that sent nothing", got, store.MailboxUse{Mailbox: box})

	u := store.MailboxUse{Mailbox: box, Hour: at(0), InHour: 2, Day: at(-570), InDay: 7, Last: at(5)}
	update(t, s, func(tx store.Tx) error { return tx.PutMailboxUse(u) })
	wantEqual(t, "MailboxUse", get(t, s, func(tx store.Tx) (store.MailboxUse, error) { return tx.MailboxUse(box) }), u)
	// An Update reads what it finds too (and on a shared backend locks it).
	update(t, s, func(tx store.Tx) error {
		got, err := tx.MailboxUse(box)
		wantEqual(t, "MailboxUse in an Update", got, u)
		return err
	})

	u2 := store.MailboxUse{Mailbox: box, Hour: at(60), InHour: 1, Day: at(-570), InDay: 8, Last: at(61)}
	update(t, s, func(tx store.Tx) error { return tx.PutMailboxUse(u2) })
	wantEqual(t, "MailboxUse after a put", get(t, s, func(tx store.Tx) (store.MailboxUse, error) { return tx.MailboxUse(box) }), u2)
	other := get(t, s, func(tx store.Tx) (store.MailboxUse, error) { return tx.MailboxUse("ann@example.com") })
	wantEqual(t, "MailboxUse of another mailbox", other, store.MailboxUse{Mailbox: "ann@example.com"})

	errBack := errors.New("roll back")
	err := s.Update(t.Context(), func(tx store.Tx) error {
		if err := tx.PutMailboxUse(store.MailboxUse{Mailbox: box, Hour: at(120), InHour: 9}); err != nil {
			return err
		}
		return errBack
	})
	wantErr(t, "a rolled-back Update", err, errBack)
	wantEqual(t, "MailboxUse after a rollback", get(t, s, func(tx store.Tx) (store.MailboxUse, error) { return tx.MailboxUse(box) }), u2)
	if err := s.Update(t.Context(), func(tx store.Tx) error { return tx.PutMailboxUse(store.MailboxUse{}) }); err == nil {
		t.Error("PutMailboxUse without a mailbox: no error")
	}

	// Counting at once: each Update reads the use and puts it back one higher.
	const workers, each = 4, 10
	fresh := "count@example.com"
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for range workers {
		wg.Go(func() {
			for range each {
				err := s.Update(t.Context(), func(tx store.Tx) error {
					u, err := tx.MailboxUse(fresh)
					if err != nil {
						return err
					}
					u.InHour++
					u.InDay++
					return tx.PutMailboxUse(u)
				})
				if err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("counting at once: %v", err)
	}
	n := get(t, s, func(tx store.Tx) (store.MailboxUse, error) { return tx.MailboxUse(fresh) })
	if n.InHour != workers*each || n.InDay != workers*each {
		t.Errorf("after %d counts from %d goroutines at once: in hour %d, in day %d", workers*each, workers, n.InHour, n.InDay)
	}
}
