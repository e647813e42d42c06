package engine_test

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/pacer-sales/pacer/engine"
	"github.com/pacer-sales/pacer/store"
	"github.com/pacer-sales/pacer/store/bolt"
)

// manySequences stores n draft sequences with varied names, descriptions and columns.
func manySequences(b *testing.B, e *engine.Engine, n int) {
	b.Helper()
	words := []string{"renewal", "outbound", "webinar", "demo", "event", "follow-up", "nurture", "win-back"}
	entities := []string{"lead", "contact", "opportunity", "account"}
	for i := 0; i < n; i += 500 {
		def := simple("")
		for j := i; j < min(n, i+500); j++ {
			def.Name = fmt.Sprintf("%s %s %05d", words[j%len(words)], entities[j%4], j)
			def.Description = fmt.Sprintf("%s sequence number %d for %s", words[(j/8)%len(words)], j, entities[(j/3)%4])
			def.Entity = entities[j%4]
			if _, err := e.CreateSequence(context.Background(), "max", def); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkSeqList measures `pacer seq list --sort steps:desc --search renewal` over 10,000
// sequences: reading the rows from bbolt, then the grid query.
func BenchmarkSeqList(b *testing.B) {
	e := benchOrg(b)
	manySequences(b, e, 10_000)
	q := engine.Query{Sort: "name", Desc: true, Search: "renewal"}
	b.ResetTimer()
	for b.Loop() {
		rows, err := e.ListSequences(context.Background(), "max", q)
		if err != nil || len(rows) == 0 {
			b.Fatal(err, len(rows))
		}
	}
}

// BenchmarkQueryApply measures the grid query alone over 10,000 rows: what the home grid
// does on a key press (sort, search, filter).
func BenchmarkQueryApply(b *testing.B) {
	rows := make([]engine.SeqRow, 10_000)
	for i := range rows {
		rows[i] = engine.NewSeqRow(store.Sequence{
			ID: store.NewID(t0.Add(time.Duration(i))), Name: fmt.Sprintf("Sequence %05d outbound", (i*7919)%10_000),
			Description: fmt.Sprintf("description %d renewal", i), Entity: []string{"lead", "account"}[i%2],
			State: store.Active, Owner: "max", Steps: i % 17, ModifiedAt: t0.Add(time.Duration(i) * time.Minute),
		}, i%100)
	}
	for _, q := range []engine.Query{
		{Sort: "name"},
		{Sort: "steps", Desc: true},
		{Search: "renewal"},
		{Sort: "modified", Filters: map[string][]string{"entity": {"lead"}}},
	} {
		b.Run(fmt.Sprintf("sort=%s,search=%q,filters=%d", q.Sort, q.Search, len(q.Filters)), func(b *testing.B) {
			for b.Loop() {
				q.Apply(rows)
			}
		})
	}
}

// BenchmarkImportRecords100k measures `pacer record import` of a 100,000-row CSV into a
// fresh database (target < 5 s).
func BenchmarkImportRecords100k(b *testing.B) {
	var csv bytes.Buffer
	csv.WriteString("id,name,owner,stage,email,phone,industry,employees,vip\n")
	for i := range 100_000 {
		fmt.Fprintf(&csv, "L-%06d,Lead number %d,sam,new,lead%d@example.com,+1 555 %04d,Retail,%d,%t\n", i, i, i, i%10_000, i%500, i%7 == 0)
	}
	data := csv.Bytes()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		b.StopTimer()
		e := benchOrg(b)
		b.StartTimer()
		res, err := e.ImportRecords(context.Background(), "max", "leads.csv", bytes.NewReader(data), "lead")
		if err != nil || res.Created != 100_000 {
			b.Fatal(err, res)
		}
	}
}

func benchOrg(b *testing.B) *engine.Engine {
	b.Helper()
	db, err := bolt.Open(filepath.Join(b.TempDir(), "pacer.db"), bolt.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	e := engine.New(db, engine.FixedClock(t0))
	ctx := context.Background()
	for _, u := range []store.User{
		{Username: "ada", Roles: []store.Role{store.RoleAdmin}},
		{Username: "max", Roles: []store.Role{store.RoleManager}},
		{Username: "sam", Roles: []store.Role{store.RoleSeller}},
	} {
		if err := e.AddUser(ctx, "ada", u); err != nil {
			b.Fatal(err)
		}
	}
	if err := e.AddTemplate(ctx, "ada", store.Template{Name: "intro", Subject: "Hi", Body: "Hello"}); err != nil {
		b.Fatal(err)
	}
	return e
}
