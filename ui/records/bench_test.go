package records_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/pacer-sales/pacer/engine"
	"github.com/pacer-sales/pacer/engine/sequence"
	"github.com/pacer-sales/pacer/store"
	"github.com/pacer-sales/pacer/store/bolt"
	"github.com/pacer-sales/pacer/ui/common"
	"github.com/pacer-sales/pacer/ui/records"
	"github.com/pacer-sales/pacer/ui/uitest"
)

// TestRecordsScreenFigures measures the Records screen on a database of
// PACER_BENCH_RECORDS leads (skipped unless set; 1000000 for the figures of the note), 100
// of them waiting in a sequence: the first frame (New, the layout, the first page, View),
// and per key press the time until its results show (the key, the page it loads, the
// frame) for scroll, page, sort, filter and search. A search or filter that reads many
// records runs in the background in the program (a key press never waits for it), so for
// those the frame right after the key ("searching…") is measured apart from the time the
// results take to fill in. The heap in use after each, and the process's peak RSS.
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
	must(t, e.AddUser(ctx, "ada", store.User{Username: "sam", Roles: []store.Role{store.RoleSeller}}))
	start := time.Now()
	const batch = 200000
	for lo := 0; lo < n; lo += batch {
		var b strings.Builder
		b.WriteString("id,name,owner,email\n")
		for i := lo; i < min(lo+batch, n); i++ {
			owner := "ada"
			if i%10 == 0 {
				owner = "sam"
			}
			// Names out of id order, so a sort by name is not the id order.
			fmt.Fprintf(&b, "L-%07d,Person %07d,%s,p%d@example.com\n", i, (i*7919)%n, owner, i)
		}
		_, err := e.ImportRecords(ctx, "ada", "big.csv", strings.NewReader(b.String()), "lead")
		must(t, err)
	}
	def, err := sequence.Parse([]byte("name: Nurture\nsteps:\n  - type: wait\n    id: pause\n    duration: 3d\n  - type: task\n    id: wrap\n"), "t.yaml")
	must(t, err)
	_, err = e.ImportSequence(ctx, "ada", def, engine.SaveOptions{Activate: true})
	must(t, err)
	var refs []string
	for i := range 100 {
		refs = append(refs, fmt.Sprintf("lead/L-%07d", i*(n/100)))
	}
	_, err = e.Connect(ctx, "ada", "Nurture", refs)
	must(t, err)
	t.Logf("built %d records in %v (peak RSS %s)", n, time.Since(start).Round(time.Second), peakRSS())
	db.Close()
	// The screen's peak is measured from here: the memory of the build goes back to the
	// system and the kernel's peak is reset (Linux).
	debug.FreeOSMemory()
	_ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)

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
	c := &common.Common{Ctx: ctx, Engine: e, User: u, Styles: common.NewStyles(common.DefaultTheme(true), true), Width: 160, Height: 40}
	s := &screen{t: t, s: records.New(c)}
	s.s.SetSize(160, 40)
	s.run(s.s.Init())
	_ = s.s.View()
	t.Logf("%-34s %v (heap %s)", "first frame", time.Since(t0).Round(time.Microsecond), heap())

	stats := func(ds []time.Duration) string {
		sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
		return fmt.Sprintf("p50 %8v  p99 %8v", ds[len(ds)/2].Round(time.Microsecond), ds[len(ds)*99/100].Round(time.Microsecond))
	}
	// press: each key until its results show: the key, the page it loads, the frame. The
	// layout a key changes is remembered by a command of its own, which the program runs
	// beside the page's; its time is measured apart.
	press := func(name string, keys []string, reps int) {
		var ds, saves []time.Duration
		for range reps {
			for _, k := range keys {
				t1 := time.Now()
				var cmd tea.Cmd
				s.s, cmd = s.s.Update(uitest.Key(k))
				beside := s.runPage(cmd)
				_ = s.s.View()
				ds = append(ds, time.Since(t1)-beside)
				if beside > 0 {
					saves = append(saves, beside)
				}
			}
		}
		line := fmt.Sprintf("%-34s %s", name, stats(ds))
		if len(saves) > 0 {
			line += "  · layout remembered beside it " + stats(saves)
		}
		t.Logf("%s  (heap %s)", line, heap())
	}
	// background: each key's frame, then the time its load takes to fill the results in.
	background := func(name string, keys []string, reps int) {
		var frame, fill []time.Duration
		for range reps {
			for _, k := range keys {
				t1 := time.Now()
				var cmd tea.Cmd
				s.s, cmd = s.s.Update(uitest.Key(k))
				_ = s.s.View()
				frame = append(frame, time.Since(t1))
				t2 := time.Now()
				s.run(cmd)
				_ = s.s.View()
				fill = append(fill, time.Since(t2))
			}
		}
		t.Logf("%-34s key → frame %s · results filled in %s  (heap %s)", name, stats(frame), stats(fill), heap())
	}
	press("scroll (down/up in a page)", []string{"down", "down", "up", "up"}, 50)
	press("next page (pgdn)", []string{"pgdown"}, 100)
	press("previous page (pgup)", []string{"pgup"}, 100)
	s.keys("g")
	press("sort by id (s: reverse)", []string{"s"}, 20)
	s.keys("l")
	press("sort by name (s, s)", []string{"s"}, 20)
	press("next page sorted by name", []string{"pgdown"}, 50)
	s.keys("l")
	press("sort by owner", []string{"s"}, 20)
	s.keys("l", "l")
	press("sort by modified", []string{"s"}, 20)
	s.keys("h", "h", "h", "h", "s")

	// Filters: "not connected" passes nearly all; "waiting" 100 of n.
	s.keys("l", "l", "l")
	background("filter: not connected (common)", []string{"f", "down", "down", "down", "space", "enter", "F"}, 5)
	background("filter: waiting (rare)", []string{"f", "down", "space", "enter", "F"}, 3)
	s.keys("/")
	background("search, typing (matches)", []string{"P", "e", "r", "backspace", "backspace", "backspace"}, 10)
	background("search, a rare match", []string{"9", "9", "9", "9", "9", "backspace", "backspace", "backspace", "backspace", "backspace"}, 2)
	// Typing on while a rare search runs: each key gives the one under way up.
	var hold tea.Cmd
	t1 := time.Now()
	for _, k := range []string{"x", "y", "z"} {
		var cmd tea.Cmd
		s.s, cmd = s.s.Update(uitest.Key(k))
		_ = s.s.View()
		hold = cmd
	}
	t.Logf("%-34s %v for 3 keys while searches run", "typing during a rare search", time.Since(t1).Round(time.Microsecond))
	s.run(hold)
	t.Logf("peak RSS of the screen's part %s (the mapped database file's pages read count in it)", peakRSS())
}

// peakRSS is the process's peak resident memory (Linux), or "n/a".
func peakRSS() string {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return "n/a"
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmHWM:"); ok {
			return strings.TrimSpace(v)
		}
	}
	return "n/a"
}

// runPage runs cmd's commands and handles their messages, and returns the time taken by
// the commands that answer nothing (remembering the layout), which the program runs
// beside the page's load.
func (s *screen) runPage(cmd tea.Cmd) (beside time.Duration) {
	queue := []tea.Cmd{cmd}
	for len(queue) > 0 {
		c := queue[0]
		queue = queue[1:]
		if c == nil {
			continue
		}
		t0 := time.Now()
		msg := c()
		switch msg := msg.(type) {
		case nil:
			beside += time.Since(t0)
		case tea.BatchMsg:
			queue = append(queue, msg...)
		default:
			var next tea.Cmd
			s.s, next = s.s.Update(msg)
			queue = append(queue, next)
		}
	}
	return beside
}
