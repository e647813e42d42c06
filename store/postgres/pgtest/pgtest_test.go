package pgtest

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"
)

func TestMain(m *testing.M) { Main(m) }

// TestSchemasAreSeparate checks that two DSNs name two empty schemas of one server.
func TestSchemasAreSeparate(t *testing.T) {
	ctx := context.Background()
	var got []string
	for range 2 {
		conn, err := pgx.Connect(ctx, DSN(t))
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "CREATE TABLE probe (x int)"); err != nil {
			t.Fatalf("create a table in a fresh schema: %v", err)
		}
		var schema string
		if err := conn.QueryRow(ctx, "SELECT current_schema()").Scan(&schema); err != nil {
			t.Fatal(err)
		}
		got = append(got, schema)
	}
	if got[0] == got[1] || got[0] == "public" {
		t.Errorf("two DSNs use schemas %q and %q; want two distinct test schemas", got[0], got[1])
	}
}
