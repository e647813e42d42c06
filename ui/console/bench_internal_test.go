package console

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/pacer-sales/pacer/engine"
	"github.com/pacer-sales/pacer/ui/common"
)

// BenchmarkApplyList measures the screen's own share of a refresh of a 10,000-task list:
// taking the loaded rows (grouping, the cursor kept on its task) and drawing the frame,
// without the query (see BenchmarkWorkList for the whole).
func BenchmarkApplyList(b *testing.B) {
	now := time.Date(2026, 3, 2, 17, 0, 0, 0, time.UTC)
	rng := rand.New(rand.NewPCG(3, 4))
	rows := make([]engine.TaskRow, 10_000)
	for i := range rows {
		rows[i] = engine.TaskRow{
			ID: fmt.Sprintf("%032x", i), Record: fmt.Sprintf("lead/B-%05d", i), RecordName: fmt.Sprintf("Buyer %05d", i),
			Sequence: "Calls", StepID: "first-call", Type: "call", Name: "Intro call",
			DueAt: now.Add(time.Duration(rng.IntN(6*24*60)-3*24*60) * time.Minute), Assignees: []string{"sam"}, State: "open",
		}
	}
	// The engine lists them earliest due first.
	for i := 1; i < len(rows); i++ {
		for j := i; j > 0 && rows[j].DueAt.Before(rows[j-1].DueAt); j-- {
			rows[j], rows[j-1] = rows[j-1], rows[j]
		}
	}
	c := &common.Common{Ctx: context.Background(), Engine: engine.New(nil, engine.FixedClock(now)),
		User: engine.User{Username: "sam", TimeZone: "America/Los_Angeles"}, Styles: common.NewStyles(common.DefaultTheme(true), false)}
	m := New(c).(*Model)
	m.SetSize(120, 40)
	m.onTasks(tasksMsg{gen: m.gen, rows: rows})
	m.setCursor(5000)
	for b.Loop() {
		m.onTasks(tasksMsg{gen: m.gen, rows: rows})
		_ = m.View()
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/op")
}
