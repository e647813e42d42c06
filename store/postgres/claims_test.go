package postgres_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/pacer-sales/pacer/store"
	"github.com/pacer-sales/pacer/store/postgres"
	"github.com/pacer-sales/pacer/store/postgres/pgtest"
)

var base = time.Date(2026, time.March, 14, 9, 0, 0, 0, time.UTC)

func conn(n int) store.Connection {
	id := store.DerivedID("conn", fmt.Sprint(n))
	return store.Connection{
		ID: id, Record: store.DerivedID("rec", fmt.Sprint(n)), Sequence: store.DerivedID("seq"), Version: 1,
		State: store.ConnActive, Step: "wait-1", Visit: 1, WakeAt: base.Add(time.Duration(n) * time.Minute),
	}
}

// nodes opens two stores on one schema, as two pacer processes would.
func nodes(t *testing.T, opts postgres.Options) (*postgres.DB, *postgres.DB) {
	t.Helper()
	dsn := pgtest.DSN(t)
	a, err := postgres.Open(t.Context(), dsn, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = a.Close() })
	b, err := postgres.Open(t.Context(), dsn, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Close() })
	return a, b
}

func dueConns(ds []store.Due) []store.ID {
	var out []store.ID
	for _, d := range ds {
		out = append(out, d.Conn)
	}
	return out
}

// TestClaimDueSkipsClaimed checks that a node claiming due timers skips those another
// node's open transaction has claimed, and gets them once that transaction ends.
func TestClaimDueSkipsClaimed(t *testing.T) {
	a, b := nodes(t, postgres.Options{ClaimAhead: 1})
	ctx := t.Context()
	if err := a.Update(ctx, func(tx store.Tx) error {
		for i := 1; i <= 4; i++ {
			if err := tx.PutConn(conn(i)); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	claimed := make(chan []store.Due)
	release := make(chan struct{})
	done := make(chan error)
	go func() {
		done <- a.Update(ctx, func(tx store.Tx) error {
			ds, err := tx.ClaimDue(base.Add(time.Hour), 2)
			claimed <- ds
			<-release
			return err
		})
	}()
	first := <-claimed
	if want := []store.ID{conn(1).ID, conn(2).ID}; fmt.Sprint(dueConns(first)) != fmt.Sprint(want) {
		t.Errorf("first claim got %v, want the two earliest %v", dueConns(first), want)
	}
	var second []store.Due
	if err := b.Update(ctx, func(tx store.Tx) (err error) {
		second, err = tx.ClaimDue(base.Add(time.Hour), 10)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if want := []store.ID{conn(3).ID, conn(4).ID}; fmt.Sprint(dueConns(second)) != fmt.Sprint(want) {
		t.Errorf("claim while the first is held got %v, want the other two %v", dueConns(second), want)
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	var third []store.Due
	if err := b.Update(ctx, func(tx store.Tx) (err error) {
		third, err = tx.ClaimDue(base.Add(2*time.Minute), 10)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if want := []store.ID{conn(1).ID, conn(2).ID}; fmt.Sprint(dueConns(third)) != fmt.Sprint(want) {
		t.Errorf("claim after the first transaction ended got %v, want %v (until minute 2)", dueConns(third), want)
	}
}

// TestClaimDueAhead checks the batch a claim takes ahead: another node skips all of it
// while the transaction runs, and the transaction's later claims hand it out in due order,
// following the transaction's own changes (a connection moved later, one moved out of the
// window, a new one due) and reading the claimed connections without asking again.
func TestClaimDueAhead(t *testing.T) {
	a, b := nodes(t, postgres.Options{ClaimAhead: 3})
	ctx := t.Context()
	if err := a.Update(ctx, func(tx store.Tx) error {
		for i := 1; i <= 5; i++ {
			if err := tx.PutConn(conn(i)); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	until := base.Add(time.Hour)
	claimed := make(chan []store.Due)
	release := make(chan struct{})
	done := make(chan error)
	go func() {
		done <- a.Update(ctx, func(tx store.Tx) error {
			ds, err := tx.ClaimDue(until, 1)
			if err != nil {
				return err
			}
			claimed <- ds
			<-release
			// conn 1 moves after conn 3, conn 2 out of the window, and a new conn 0 is due first.
			c1, err := tx.Conn(conn(1).ID)
			if err != nil {
				return err
			}
			c1.WakeAt = conn(3).WakeAt.Add(time.Second)
			c2, err := tx.Conn(conn(2).ID)
			if err != nil {
				return err
			}
			c2.WakeAt = until.Add(time.Minute)
			c0 := conn(0)
			for _, c := range []store.Connection{c1, c2, c0} {
				if err := tx.PutConn(c); err != nil {
					return err
				}
			}
			ds, err = tx.ClaimDue(until, 10)
			claimed <- ds
			return err
		})
	}()
	if got, want := dueConns(<-claimed), []store.ID{conn(1).ID}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("first claim got %v, want %v", got, want)
	}
	var other []store.Due
	if err := b.Update(ctx, func(tx store.Tx) (err error) {
		other, err = tx.ClaimDue(until, 10)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if got, want := dueConns(other), []store.ID{conn(4).ID, conn(5).ID}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("another node's claim got %v, want the two past the batch %v", got, want)
	}
	close(release)
	got := dueConns(<-claimed)
	if want := []store.ID{conn(0).ID, conn(3).ID, conn(1).ID, conn(4).ID, conn(5).ID}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("claim after the changes got %v, want %v", got, want)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	// A connection read from the batch is the caller's copy: changing it changes nothing kept.
	if err := a.Update(ctx, func(tx store.Tx) error {
		if _, err := tx.ClaimDue(until, 1); err != nil {
			return err
		}
		c, err := tx.Conn(conn(3).ID)
		if err != nil {
			return err
		}
		c.Outcomes = map[string]string{"x": "y"}
		c.Skipped = append(c.Skipped, "x")
		again, err := tx.Conn(conn(3).ID)
		if err == nil && (again.Outcomes != nil || again.Skipped != nil) {
			t.Errorf("a change to a returned connection reached the transaction's next read: %+v", again)
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
}

// TestClaimQueuedLease checks that a leased message is not claimed again until its lease
// ends or it is stored, and that NextQueued waits for the lease.
func TestClaimQueuedLease(t *testing.T) {
	a, b := nodes(t, postgres.Options{})
	ctx := t.Context()
	m := store.Message{ID: store.DerivedID("m1"), Conn: conn(1).ID, Record: conn(1).Record, Sequence: conn(1).Sequence,
		StepID: "mail-1", Visit: 1, Key: "k1", MessageID: "<k1@pacer>", Channel: "email", To: "a@example.com",
		State: store.MsgQueued, NextTry: base, CreatedAt: base}
	if err := a.Update(ctx, func(tx store.Tx) error { return tx.PutMessage(m) }); err != nil {
		t.Fatal(err)
	}
	claim := func(db *postgres.DB, lease time.Duration) []store.Message {
		t.Helper()
		var got []store.Message
		if err := db.Update(ctx, func(tx store.Tx) (err error) {
			got, err = tx.ClaimQueued(base.Add(time.Minute), 10, lease)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return got
	}
	if got := claim(a, time.Hour); len(got) != 1 || got[0].ID != m.ID {
		t.Fatalf("first claim got %d messages, want the queued one", len(got))
	}
	if got := claim(b, time.Hour); len(got) != 0 {
		t.Errorf("a claim during the lease got %d messages, want none", len(got))
	}
	var next time.Time
	if err := b.View(ctx, func(tx store.Tx) (err error) {
		next, _, err = tx.NextQueued()
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if time.Until(next) < 50*time.Minute {
		t.Errorf("NextQueued during an hour's lease is %v, want about an hour from now", next)
	}

	// Storing the message (the send's result) ends the lease.
	if err := a.Update(ctx, func(tx store.Tx) error { return tx.PutMessage(m) }); err != nil {
		t.Fatal(err)
	}
	if got := claim(b, 0); len(got) != 1 {
		t.Errorf("a claim after the message was stored got %d messages, want 1", len(got))
	}
	// A lease of 0 has ended by the next claim: a node that died leaves it to the others.
	if got := claim(a, time.Hour); len(got) != 1 {
		t.Errorf("a claim after the lease ended got %d messages, want 1", len(got))
	}
}

// TestLead checks the leader row: one node leads at a time, renews its term, and another
// takes over when it resigns or its term ends.
func TestLead(t *testing.T) {
	a, b := nodes(t, postgres.Options{})
	ctx := t.Context()
	lead := func(db *postgres.DB, node string, ttl time.Duration) bool {
		t.Helper()
		var ok bool
		if err := db.Update(ctx, func(tx store.Tx) (err error) {
			ok, err = tx.Lead("engine", node, ttl)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return ok
	}
	if !lead(a, "node-a", time.Minute) {
		t.Fatal("the first node to ask does not lead")
	}
	if lead(b, "node-b", time.Minute) {
		t.Error("a second node leads while the first one's term runs")
	}
	if !lead(a, "node-a", time.Minute) {
		t.Error("the leader cannot renew its term")
	}
	if err := a.Update(ctx, func(tx store.Tx) error { return tx.Resign("engine", "node-a") }); err != nil {
		t.Fatal(err)
	}
	if !lead(b, "node-b", 0) {
		t.Error("after the leader resigned another node does not lead")
	}
	// node-b's term of 0 has ended: node-a takes over, as after node-b died.
	if !lead(a, "node-a", time.Minute) {
		t.Error("after the leader's term ended another node does not lead")
	}
	if err := a.View(ctx, func(tx store.Tx) error { _, err := tx.Lead("engine", "x", time.Minute); return err }); err == nil {
		t.Error("Lead in a View succeeded, want an error")
	}
}

// TestWatch checks that a change committed by one node reaches another node's Watch, also
// after the watcher has been idle for several poll intervals.
func TestWatch(t *testing.T) {
	a, b := nodes(t, postgres.Options{PollInterval: 50 * time.Millisecond})
	ctx, cancel := context.WithCancel(t.Context())
	ch := b.Watch(ctx)
	<-ch // the signal of listening
	change := func(n int) {
		t.Helper()
		if err := a.Update(ctx, func(tx store.Tx) error { return tx.PutConn(conn(n)) }); err != nil {
			t.Fatal(err)
		}
		select {
		case <-ch:
		case <-time.After(10 * time.Second):
			t.Fatalf("change %d made by one node did not reach the other's Watch in 10 s", n)
		}
	}
	change(1)
	time.Sleep(200 * time.Millisecond) // idle through several poll intervals (connection checks)
	for len(ch) > 0 {
		<-ch
	}
	change(2)
	cancel()
	for range ch {
	}
}

// TestPrefetchRecords checks that records read ahead answer as the database would: the
// record locked (another node's read of it waits), its connections with the transaction's
// own new one in order, and an id of no record skipped.
func TestPrefetchRecords(t *testing.T) {
	a, b := nodes(t, postgres.Options{})
	ctx := t.Context()
	var rec store.Record
	if err := a.Update(ctx, func(tx store.Tx) (err error) {
		if rec, err = tx.PutRecord(store.Record{Entity: "lead", ID: "p1", Name: "P", Email: "p@example.com"}); err != nil {
			return err
		}
		c := conn(2)
		c.Record = rec.Key
		return tx.PutConn(c)
	}); err != nil {
		t.Fatal(err)
	}
	read := make(chan error)
	prefetched := make(chan struct{})
	done := make(chan error)
	go func() {
		done <- a.Update(ctx, func(tx store.Tx) error {
			if err := tx.(store.Prefetcher).PrefetchRecords("lead", []string{"p1", "nobody"}); err != nil {
				return err
			}
			close(prefetched)
			c := conn(1) // a new connection of the record, listed in ID order
			c.Record = rec.Key
			if err := tx.PutConn(c); err != nil {
				return err
			}
			got, err := tx.ConnsByRecord(rec.Key)
			if err != nil {
				return err
			}
			want := []store.ID{conn(1).ID, conn(2).ID}
			if string(want[1][:]) < string(want[0][:]) {
				want[0], want[1] = want[1], want[0]
			}
			if len(got) != 2 || got[0].ID != want[0] || got[1].ID != want[1] {
				t.Errorf("connections of the prefetched record %v, want %v", got, want)
			}
			if _, err := tx.Record("lead", "nobody"); err == nil {
				t.Error("a record that does not exist was found after a prefetch")
			}
			select {
			case err := <-read:
				t.Errorf("another node read the prefetched record while it was locked (%v)", err)
			default:
			}
			return nil
		})
	}()
	<-prefetched
	go func() {
		read <- b.Update(ctx, func(tx store.Tx) error { _, err := tx.Record("lead", "p1"); return err })
	}()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if err := <-read; err != nil {
		t.Fatal(err)
	}
}
