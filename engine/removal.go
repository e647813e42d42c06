package engine

import (
	"context"

	"github.com/pacer-sales/pacer/engine/flow"
	"github.com/pacer-sales/pacer/store"
)

// RemoveRecord removes a record: its active connections are disconnected (reason
// record_removed, their open tasks cancelled and their queued messages dropped unsent),
// then the record leaves every list. Its connections keep their history. Managers and
// admins may, and sellers their own records. It returns how many connections it ended.
func (e *Engine) RemoveRecord(ctx context.Context, by, ref string) (int, error) {
	n := 0
	err := e.update(ctx, func(tx store.Tx) error {
		n = 0 // a transaction the store runs again starts over
		u, rec, err := e.ownedRecord(tx, by, ref, "remove")
		if err != nil {
			return err
		}
		conns, err := tx.ConnsByRecord(rec.Key)
		if err != nil {
			return err
		}
		o, err := loadOrg(tx)
		if err != nil {
			return err
		}
		now := e.clock.Now()
		for _, c := range conns {
			if c.State != store.ConnActive {
				continue
			}
			if _, err := e.step(tx, o, c, flow.Input{Kind: flow.Disconnect, Reason: store.ReasonRecordRemoved, By: u.Username}, now); err != nil {
				return err
			}
			n++
		}
		_, err = tx.RemoveRecord(rec.Entity, rec.ID)
		return err
	})
	return n, err
}
