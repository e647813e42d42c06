package records_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/pacer-sales/pacer/engine"
	"github.com/pacer-sales/pacer/store"
	"github.com/pacer-sales/pacer/store/bolt"
	"github.com/pacer-sales/pacer/ui/common"
	"github.com/pacer-sales/pacer/ui/records"
	"github.com/pacer-sales/pacer/ui/uitest"
)

// TestRecordsScreenFigures measures the Records screen on a database of
// PACER_BENCH_RECORDS leads (skipped unless set; 1000000 for the figures of the note): the
// first frame (New, the first page, View) and a key press (the key, the page it loads, the
// frame) for scroll, next page and search, with the heap in use after each.
func TestRecordsScreenFigures(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("PACER_BENCH_RECORDS"))
	if n == 0 {
		t.Skip("set PACER_BENCH_RECORDS to the number of records")
	}
	path := filepath.Join(t.TempDir(), "pacer.db")
	db, err := bolt.Open(path, bolt.Options{NoSync: true})
	must(t, err)
	e := engine.New(db, engine.FixedClock(monday))
	ctx := context.Background()
	must(t, e.AddUser(ctx, "", store.User{Username: "ada", Roles: []store.Role{store.RoleAdmin}}))
	start := time.Now()
	const batch = 200000
	for lo := 0; lo < n; lo += batch {
		var b strings.Builder
		b.WriteString("id,name,owner,email\n")
		for i := lo; i < min(lo+batch, n); i++ {
			fmt.Fprintf(&b, "L-%07d,Person %d,ada,p%d@example.com\n", i, i, i)
		}
		_, err := e.ImportRecords(ctx, "ada", "big.csv", strings.NewReader(b.String()), "lead")
		must(t, err)
	}
	t.Logf("built %d records in %v", n, time.Since(start).Round(time.Second))
	db.Close()
	runtime.GC()

	db, err = bolt.Open(path, bolt.Options{})
	must(t, err)
	defer db.Close()
	e = engine.New(db, engine.FixedClock(monday))
	u, err := e.Whoami(ctx, "ada")
	must(t, err)
	heap := func() string {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return fmt.Sprintf("%.1f MB", float64(ms.HeapInuse)/(1<<20))
	}
	t0 := time.Now()
	c := &common.Common{Ctx: ctx, Engine: e, User: u, Styles: common.NewStyles(common.DefaultTheme(true), true), Width: 120, Height: 40}
	s := &screen{t: t, s: records.New(c)}
	s.s.SetSize(120, 40)
	s.run(s.s.Init())
	_ = s.s.View()
	t.Logf("first frame: %v (heap %s)", time.Since(t0).Round(time.Microsecond), heap())

	press := func(name string, keys []string, reps int) {
		var ds []time.Duration
		for range reps {
			for _, k := range keys {
				t1 := time.Now()
				s.send(keyMsg(k))
				_ = s.s.View()
				ds = append(ds, time.Since(t1))
			}
		}
		sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
		t.Logf("%-28s p50 %v  p99 %v  (heap %s)", name, ds[len(ds)/2].Round(time.Microsecond), ds[len(ds)*99/100].Round(time.Microsecond), heap())
	}
	press("scroll (down/up in a page)", []string{"down", "down", "up", "up"}, 50)
	press("next page (pgdn)", []string{"pgdown"}, 100)
	press("previous page (pgup)", []string{"pgup"}, 100)
	s.keys("g")
	s.keys("/")
	press("search, typing (matches)", []string{"P", "e", "r", "backspace", "backspace", "backspace"}, 10)
	press("search, a rare match", []string{"9", "9", "9", "9", "9", "backspace", "backspace", "backspace", "backspace", "backspace"}, 2)
}

// keyMsg is a key press by name, a letter typed as text.
func keyMsg(k string) tea.Msg { return uitest.Key(k) }
