package engine_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/pacer-sales/pacer/store"
	"github.com/pacer-sales/pacer/store/bolt"
	"github.com/pacer-sales/pacer/store/postgres"
	"github.com/pacer-sales/pacer/store/postgres/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// storeEnv selects the backend of the engine's scenario and façade tests: unset, a bbolt
// file in t.TempDir(); "postgres", a schema of its own on pgtest's PostgreSQL (.ci/run runs
// the suite both ways).
const storeEnv = "PACER_TEST_STORE"

// testStore opens an empty store for t on the backend storeEnv names; noSync is bbolt's.
func testStore(t *testing.T, noSync bool) store.Store {
	t.Helper()
	var st store.Store
	switch b := os.Getenv(storeEnv); b {
	case "", "bolt":
		db, err := bolt.Open(filepath.Join(t.TempDir(), "pacer.db"), bolt.Options{NoSync: noSync})
		if err != nil {
			t.Fatal(err)
		}
		st = db
	case "postgres":
		db, err := postgres.Open(t.Context(), pgtest.DSN(t), postgres.Options{})
		if err != nil {
			t.Fatal(err)
		}
		st = db
	default:
		t.Fatalf("%s=%q: want bolt or postgres", storeEnv, b)
	}
	t.Cleanup(func() { _ = st.Close() })
	return st
}
