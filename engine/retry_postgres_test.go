package engine_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pacer-sales/pacer/engine"
	"github.com/pacer-sales/pacer/store"
	"github.com/pacer-sales/pacer/store/postgres"
	"github.com/pacer-sales/pacer/store/postgres/pgtest"
)

// deadlocking is a PostgreSQL store whose every Update, while armed, deadlocks once after
// its function ran: another session and the transaction lock the records lock/a and lock/b
// in opposite orders, PostgreSQL aborts the transaction, and the store runs the function
// again in a new one.
type deadlocking struct {
	*postgres.DB
	t     *testing.T
	dsn   string
	armed bool
	// runs counts the runs of Update's functions, deadlocks the deadlocks made.
	runs, deadlocks int
}

func (s *deadlocking) Update(ctx context.Context, fn func(store.Tx) error) error {
	first := true
	return s.DB.Update(ctx, func(tx store.Tx) error {
		s.runs++
		if err := fn(tx); err != nil || !first || !s.armed {
			return err
		}
		first = false
		return s.deadlock(ctx, tx)
	})
}

// deadlock makes tx the victim of a deadlock and returns the error it gets.
func (s *deadlocking) deadlock(ctx context.Context, tx store.Tx) error {
	t := s.t
	other, err := pgx.Connect(ctx, s.dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close(context.WithoutCancel(ctx))
	otx, err := other.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = otx.Rollback(context.WithoutCancel(ctx)) }()
	// The other session finds the deadlock only long after the transaction has (its
	// deadlock_timeout is that of the store's DSN, 20ms), so the transaction is the victim.
	lock := func(id string) string {
		return "SELECT 1 FROM records WHERE entity = 'lock' AND id = '" + id + "' FOR UPDATE"
	}
	var pid uint32
	if _, err := otx.Exec(ctx, "SET LOCAL deadlock_timeout = '60s'"); err != nil {
		t.Fatal(err)
	}
	if err := otx.QueryRow(ctx, "SELECT pg_backend_pid()").Scan(&pid); err != nil {
		t.Fatal(err)
	}
	if _, err := otx.Exec(ctx, lock("b")); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Record("lock", "a"); err != nil {
		t.Fatal(err)
	}
	waited := make(chan error, 1)
	go func() {
		_, err := otx.Exec(ctx, lock("a"))
		waited <- err
	}()
	// Once the other session waits for lock/a, the transaction asks for lock/b.
	watch, err := pgx.Connect(ctx, s.dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer watch.Close(context.WithoutCancel(ctx))
	for {
		var waiting bool
		if err := watch.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE pid = $1 AND NOT granted)", pid).Scan(&waiting); err != nil {
			t.Fatal(err)
		}
		if waiting {
			break
		}
	}
	_, err = tx.Record("lock", "b")
	if err == nil {
		t.Fatal("the transaction got lock/b while the other session held it")
	}
	if werr := <-waited; werr != nil {
		t.Fatalf("the other session: %v", werr)
	}
	s.deadlocks++
	return err
}

// TestRetriedTransactionsCountOnce runs an import, a connect and ticks (sends through the
// dispatcher, then timers) on PostgreSQL with every transaction deadlocking once and run
// again by the store: what they report counts each thing once.
func TestRetriedTransactionsCountOnce(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.WithParam(pgtest.DSN(t), "deadlock_timeout", "20ms")
	db, err := postgres.Open(ctx, dsn, postgres.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	st := &deadlocking{DB: db, t: t, dsn: dsn}
	clock := engine.NewManualClock(t0)
	e := engine.New(st, clock)
	must(t, e.AddUser(ctx, "", store.User{Username: "ada", Roles: []store.Role{store.RoleAdmin}}))
	must(t, e.AddUser(ctx, "ada", store.User{Username: "sam", Roles: []store.Role{store.RoleSeller}, Email: "sam@example.com"}))
	must(t, e.AddTemplate(ctx, "ada", store.Template{Name: "intro", Subject: "Hello", Body: "Hi {{name}}"}))
	// A sending limit makes the dispatcher, not the step, keep each email: Sent counts them.
	must(t, e.SetSetting(ctx, "ada", "max_per_day", "1000"))
	if _, err := e.ImportRecords(ctx, "ada", "locks.csv", strings.NewReader("id,name\na,A\nb,B\n"), "lock"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.ImportSequence(ctx, "ada", simple("Retried"), engine.SaveOptions{Activate: true}); err != nil {
		t.Fatal(err)
	}

	st.armed = true
	runs := st.runs
	res, err := e.ImportRecords(ctx, "ada", "leads.csv",
		strings.NewReader("id,name,owner,email\nL1,One,sam,one@example.com\nL2,Two,sam,two@example.com\nL3,Three,sam,three@example.com\n"), "lead")
	if err != nil {
		t.Fatal(err)
	}
	if st.runs-runs != 2 {
		t.Fatalf("the import ran %d times, want twice (deadlocked, then again)", st.runs-runs)
	}
	if res.Created != 3 || res.Updated != 0 {
		t.Errorf("import after a retry: %+v, want 3 created", res)
	}
	out, err := e.Connect(ctx, "ada", "Retried", []string{"lead/L1", "lead/L2", "lead/L3"})
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != 3 {
		t.Errorf("connect after a retry reports %d connections, want 3: %+v", len(out), out)
	}
	before := st.deadlocks
	rep, err := e.Tick(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Sent != 3 || rep.Timers != 0 || len(rep.Errors) > 0 {
		t.Errorf("tick sending after retries: %+v, want 3 sent", rep)
	}
	clock.Advance(49 * time.Hour)
	rep, err = e.Tick(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Timers != 3 || rep.Sent != 0 || len(rep.Errors) > 0 {
		t.Errorf("tick of the waits after retries: %+v, want 3 timers", rep)
	}
	if st.deadlocks-before < 2 {
		// Without a transport the three are kept in the transaction that claims them.
		t.Errorf("the ticks deadlocked %d times, want at least 2 (the claim that keeps the three, the timers)", st.deadlocks-before)
	}
	st.armed = false
	rows, err := e.Tasks(ctx, "sam", engine.TaskQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3 {
		t.Errorf("sam has %d tasks, want the 3 calls once each", len(rows))
	}
}
