package engine_test

import (
	"context"
	"os"
	"testing"

	"github.com/pacer-sales/pacer/store"
)

// The README's tour works on the sample org as written: the sample CSV that ships with the
// project imports, and the segment example matches records of it.
func TestReadmeTourSampleFiles(t *testing.T) {
	e := newEngine(t)
	ctx := context.Background()
	if _, err := e.LoadDemo(ctx); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open("demo/sample-leads.csv")
	must(t, err)
	defer f.Close()
	res, err := e.ImportRecords(ctx, "admin", "sample-leads.csv", f, "lead")
	must(t, err)
	if res.Created != 5 {
		t.Fatalf("import: %+v", res)
	}
	must(t, e.AddSegment(ctx, "admin", store.Segment{Name: "hot", Entity: "lead",
		Where: []store.SegmentMatch{{Field: "priority", Value: "high"}}, Sequence: "High-volume outbound prospecting"}))
	n, err := e.SetSegmentActive(ctx, "admin", "hot", true)
	must(t, err)
	if n == 0 {
		t.Fatal("the README's segment example matches no record of the sample org")
	}
}
