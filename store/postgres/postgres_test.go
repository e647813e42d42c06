package postgres_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/pacer-sales/pacer/store"
	"github.com/pacer-sales/pacer/store/postgres"
	"github.com/pacer-sales/pacer/store/postgres/pgtest"
	"github.com/pacer-sales/pacer/store/storetest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// open returns a new store in a schema of its own.
func open(t *testing.T) *postgres.DB {
	t.Helper()
	db, err := postgres.Open(t.Context(), pgtest.DSN(t), postgres.Options{})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return open(t) })
}

// TestReopen checks that opening an existing database keeps its data and its schema
// version, and that two stores opened together on one schema both work.
func TestReopen(t *testing.T) {
	dsn := pgtest.DSN(t)
	ctx := t.Context()
	a, err := postgres.Open(ctx, dsn, postgres.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if err := a.Update(ctx, func(tx store.Tx) error {
		return tx.PutUser(store.User{Username: "ana", Roles: []store.Role{store.RoleAdmin}})
	}); err != nil {
		t.Fatal(err)
	}
	b, err := postgres.Open(ctx, dsn, postgres.Options{})
	if err != nil {
		t.Fatalf("second Open of a current database: %v", err)
	}
	defer b.Close()
	if err := b.View(ctx, func(tx store.Tx) error { _, err := tx.User("ana"); return err }); err != nil {
		t.Errorf("the second store does not see the first one's user: %v", err)
	}
}

// TestNotPacer checks that a schema holding someone else's tables is refused untouched, and
// that a database of a newer schema version is refused.
func TestNotPacer(t *testing.T) {
	ctx := t.Context()
	dsn := pgtest.DSN(t)
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE TABLE invoices (n int)"); err != nil {
		t.Fatal(err)
	}
	if _, err := postgres.Open(ctx, dsn, postgres.Options{}); err == nil || !strings.Contains(err.Error(), "not a pacer database") {
		t.Errorf("Open of a schema with another program's table: %v; want a not-a-pacer-database error", err)
	}
	var n int
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema()").Scan(&n); err != nil || n != 1 {
		t.Errorf("after the refused Open the schema has %d tables (%v), want the 1 it had", n, err)
	}

	newer := pgtest.DSN(t)
	db, err := postgres.Open(ctx, newer, postgres.Options{})
	if err != nil {
		t.Fatal(err)
	}
	_ = db.Close()
	c2, err := pgx.Connect(ctx, newer)
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close(ctx)
	if _, err := c2.Exec(ctx, "UPDATE meta SET value = '999' WHERE key = 'schema'"); err != nil {
		t.Fatal(err)
	}
	if _, err := postgres.Open(ctx, newer, postgres.Options{}); !errors.Is(err, postgres.ErrNewerSchema) {
		t.Errorf("Open of a newer schema: %v; want ErrNewerSchema", err)
	}
}
