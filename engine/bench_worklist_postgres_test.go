package engine_test

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/pacer-sales/pacer/engine"
	"github.com/pacer-sales/pacer/store"
	"github.com/pacer-sales/pacer/store/bolt"
	"github.com/pacer-sales/pacer/store/postgres"
	"github.com/pacer-sales/pacer/store/postgres/pgtest"
)

// BenchmarkWorkListPostgres is BenchmarkWorkList's command on PostgreSQL: the work-list
// database of SPEC §9 (worklistDB: one seller with 10,000 open tasks among 1,000,000
// connections) moved into PostgreSQL with store.Copy — the path of `pacer copy` — then
// `pacer --db postgres://… --as sam tasks --json` timed wall-clock (median of the runs), and
// the engine's own Tasks call in this process.
func BenchmarkWorkListPostgres(b *testing.B) {
	path := worklistDB(b)
	ctx := context.Background()
	dsn := pgtest.DSN(b)
	src, err := bolt.Open(path, bolt.Options{})
	if err != nil {
		b.Fatal(err)
	}
	dst, err := postgres.Open(ctx, dsn, postgres.Options{})
	if err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	n, err := store.Copy(ctx, dst, src)
	src.Close()
	if err != nil {
		b.Fatal(err)
	}
	copied := time.Since(start)
	b.Logf("copied into PostgreSQL in %v: %+v", copied.Round(time.Second), n)
	defer dst.Close()

	e := engine.New(dst, engine.FixedClock(t0))
	var engineWall []time.Duration
	for range 5 {
		s := time.Now()
		rows, err := e.Tasks(ctx, "sam", engine.TaskQuery{})
		if err != nil {
			b.Fatal(err)
		}
		if len(rows) != wlMine {
			b.Fatalf("%d tasks, want %d", len(rows), wlMine)
		}
		engineWall = append(engineWall, time.Since(s))
	}

	bin := filepath.Join(b.TempDir(), "pacer")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/pacer-sales/pacer/cmd/pacer").CombinedOutput(); err != nil {
		b.Fatalf("go build: %v\n%s", err, out)
	}
	run := func() []byte {
		cmd := exec.Command(bin, "--db", dsn, "--as", "sam", "tasks", "--json")
		cmd.Env = append(os.Environ(), "PACER_NOW="+t0.Format(time.RFC3339))
		out, err := cmd.Output()
		if err != nil {
			b.Fatalf("pacer tasks: %v", err)
		}
		return out
	}
	var rows []engine.TaskRow
	if err := json.Unmarshal(run(), &rows); err != nil {
		b.Fatal(err)
	}
	if len(rows) != wlMine {
		b.Fatalf("pacer tasks --json: %d rows, want %d", len(rows), wlMine)
	}
	var walls []time.Duration
	for b.Loop() {
		s := time.Now()
		run()
		walls = append(walls, time.Since(s))
	}
	slices.Sort(walls)
	slices.Sort(engineWall)
	b.ReportMetric(float64(walls[len(walls)/2].Microseconds())/1000, "median-ms/command")
	b.ReportMetric(float64(engineWall[len(engineWall)/2].Microseconds())/1000, "median-ms/engine-list")
	b.ReportMetric(copied.Seconds(), "copy-s")
}
