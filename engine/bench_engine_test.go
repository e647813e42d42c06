package engine_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.etcd.io/bbolt"

	"github.com/pacer-sales/pacer/engine"
	"github.com/pacer-sales/pacer/engine/sequence"
	"github.com/pacer-sales/pacer/store"
	"github.com/pacer-sales/pacer/store/bolt"
)

// walkSequence is the sequence of the engine benchmark: ten steps, two conditions (an email
// window that closes with no event, then a field test that splits the records), waits and
// automated emails. With no SMTP server configured every email is kept in the local outbox
// and counts as sent at once, so the walk needs no seller and no transport.
const walkSequence = `name: Throughput walk
entity: lead
steps:
  - type: auto_email
    id: intro
    template: intro
  - type: condition
    id: opened
    if: email_opened
    within: 2d
    yes:
      - type: set_stage
        id: engaged
        stage: engaged
    no:
      - type: wait
        id: pause
        duration: 1d
      - type: auto_email
        id: nudge
        template: nudge
  - type: condition
    id: score
    if: field
    field: score
    op: ge
    value: 50
    yes:
      - type: auto_email
        id: hot
        template: hot
      - type: wait
        id: settle
        duration: 2d
      - type: set_stage
        id: qualified
        stage: qualified
    no:
      - type: update_field
        id: nurture
        field: status
        value: nurture
`

// benchRecords is the number of records the engine benchmark walks: $PACER_BENCH_RECORDS,
// else 100,000 (SPEC §9). A smaller number gives a quick run.
func benchRecords(b *testing.B) int {
	s := os.Getenv("PACER_BENCH_RECORDS")
	if s == "" {
		return 100_000
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1000 {
		b.Fatalf("PACER_BENCH_RECORDS=%q: want a whole number of at least 1000", s)
	}
	return n
}

// connectBatch is how many records one Connect call (one transaction) attaches.
const connectBatch = 1000

// BenchmarkEngineWalk walks records through walkSequence on a simulated clock, the SPEC §9
// engine row: import the records (setup), then connect them 1,000 per call, one simulated
// minute apart, and run a discrete-event loop — advance the clock to the next due time and
// Tick — until every connection has completed. Every step_entered of the histories is one
// transition; transitions/s is their number over the wall time of connecting and walking.
//
// In the same run, before and after the walk, it measures the raw bbolt rate the engine is
// compared with (the mean of the two): 500 puts of 100-byte values under 24-byte
// time-ordered keys per Update, into a fresh file opened with pacer's options, fsync on.
// Reported: transitions/s, raw-puts/s, ratio (engine / raw), tick-transitions/s (the walk
// after connecting), cpu-µs/transition (processor time of the whole process, every thread,
// over the walk), and over the walk peak-rss-MB (the process's VmHWM, reset before it) and
// peak-heap-MB (HeapInuse, sampled); the log line also gives the peaks of resident
// anonymous and file-backed (mapped database) memory.
//
// $PACER_BENCH_RECORDS sets the number of records (default 100,000). PACER_BENCH_NOSYNC=1
// opens the engine's database without fsync, to show the processor's share of the time; it
// is not how pacer runs, and the raw rate is always measured with fsync.
//
// It runs twice in one run: timing=off (send_window: any, no holidays: the walk as before
// pacer knew about people's time) and timing=on (the org's US holidays, and a send window
// that opens at 09:00, when the walk starts, and closes halfway through connecting: the
// intro emails of the later half are held — queued with a message_held entry — and go out
// the next morning, and so are the later emails that come due after the window closes).
// The walk has the same step entries either way, so transitions/s compare; the log line
// says how many emails were held.
func BenchmarkEngineWalk(b *testing.B) {
	for _, timing := range []bool{false, true} {
		b.Run(fmt.Sprintf("timing=%s", map[bool]string{false: "off", true: "on"}[timing]), func(b *testing.B) {
			benchEngineWalk(b, timing)
		})
	}
}

func benchEngineWalk(b *testing.B, timing bool) {
	n := benchRecords(b)
	ctx := context.Background()
	if os.Getenv("GOGC") == "" {
		// The engine's setting in pacer run, serve and the screens.
		defer debug.SetGCPercent(debug.SetGCPercent(engine.GCPercent))
	}
	var total walkFigures
	for b.Loop() {
		b.StopTimer()
		rawBefore := rawBatchedPutRate(b, 5*n)
		clock := engine.NewManualClock(t0)
		e, db := walkOrg(b, clock, n, timing)
		seq := mustSeqID(b, db, "Throughput walk")
		runtime.GC()
		debug.FreeOSMemory()
		resetPeakRSS()
		peaks := sampleMemory()

		b.StartTimer()
		cpu0 := cpuTime()
		start := time.Now()
		for i := 0; i < n; i += connectBatch {
			refs := make([]string, 0, connectBatch)
			for j := i; j < min(n, i+connectBatch); j++ {
				refs = append(refs, fmt.Sprintf("lead/L-%07d", j))
			}
			if _, err := e.Connect(ctx, "max", "Throughput walk", refs); err != nil {
				b.Fatal(err)
			}
			clock.Advance(time.Minute)
		}
		connected, connectedAt := time.Since(start), clock.Now()
		ticks := 0
		for {
			next, ok, err := e.NextWake(ctx)
			if err != nil {
				b.Fatal(err)
			}
			if !ok {
				break
			}
			if next.After(clock.Now()) {
				clock.Set(next)
			}
			rep, err := e.Tick(ctx)
			if err != nil {
				b.Fatal(err)
			}
			if len(rep.Errors) > 0 {
				b.Fatalf("tick at %s: %d errors, first: %s", clock.Now(), len(rep.Errors), rep.Errors[0])
			}
			ticks++
		}
		walked := time.Since(start)
		cpu := cpuTime() - cpu0
		b.StopTimer()

		mem := peaks()
		rss := peakRSS()
		// The disk's speed drifts; the raw rate is measured on either side of the walk.
		rawAfter := rawBatchedPutRate(b, 5*n)
		raw := (rawBefore + rawAfter) / 2
		got := countWalk(b, db, seq, n, connectedAt)
		if timing && n >= 2*connectBatch && got.held == 0 {
			b.Fatal("timing=on held no email for its send window")
		}
		b.Logf("%d records: %d step entries (%d while connecting), %d emails held, in %v (connect %v, %d ticks); raw bbolt %.0f puts/s (%.0f before, %.0f after); peak RSS %.0f MB (anonymous %.0f, file-backed %.0f), heap in use %.0f MB",
			n, got.entries, got.atConnect, got.held, walked.Round(time.Millisecond), connected.Round(time.Millisecond), ticks, raw, rawBefore, rawAfter, rss, mem.anon, mem.file, mem.heap)
		total.add(walkFigures{
			entries: got.entries, tickEntries: got.entries - got.atConnect, wall: walked, tickWall: walked - connected, cpu: cpu,
			raw: raw, rss: rss, heap: mem.heap,
		})
		b.StartTimer()
	}
	rate := float64(total.entries) / total.wall.Seconds()
	b.ReportMetric(rate, "transitions/s")
	b.ReportMetric(float64(total.tickEntries)/total.tickWall.Seconds(), "tick-transitions/s")
	b.ReportMetric(total.raw/float64(total.runs), "raw-puts/s")
	b.ReportMetric(rate/(total.raw/float64(total.runs)), "ratio")
	b.ReportMetric(float64(total.cpu.Microseconds())/float64(total.entries), "cpu-µs/transition")
	b.ReportMetric(total.rss, "peak-rss-MB")
	b.ReportMetric(total.heap, "peak-heap-MB")
}

// walkFigures adds up the runs of BenchmarkEngineWalk; peaks keep the highest.
type walkFigures struct {
	runs                 int
	entries, tickEntries int
	wall, tickWall, cpu  time.Duration
	raw, rss, heap       float64
}

func (w *walkFigures) add(o walkFigures) {
	w.runs++
	w.entries += o.entries
	w.tickEntries += o.tickEntries
	w.wall += o.wall
	w.tickWall += o.tickWall
	w.cpu += o.cpu
	w.raw += o.raw
	w.rss = max(w.rss, o.rss)
	w.heap = max(w.heap, o.heap)
}

// walkOrg makes an org on a fresh database in b.TempDir() (fsync on, as pacer runs, unless
// PACER_BENCH_NOSYNC is set): users, the templates, walkSequence active, and n leads owned
// by a seller, imported from a CSV.
func walkOrg(b *testing.B, clock engine.Clock, n int, timing bool) (*engine.Engine, *bolt.DB) {
	b.Helper()
	db, err := bolt.Open(filepath.Join(b.TempDir(), "pacer.db"), bolt.Options{NoSync: os.Getenv("PACER_BENCH_NOSYNC") != ""})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	return walkOrgOn(b, db, clock, n, timing), db
}

// walkOrgOn makes the org of walkOrg in an open store.
func walkOrgOn(b *testing.B, db store.Store, clock engine.Clock, n int, timing bool) *engine.Engine {
	b.Helper()
	ctx := context.Background()
	e := engine.New(db, clock)
	for _, u := range []store.User{
		{Username: "ada", Roles: []store.Role{store.RoleAdmin}, Email: "ada@example.com"},
		{Username: "max", Roles: []store.Role{store.RoleManager}, Email: "max@example.com"},
		{Username: "sam", Name: "Sam Okafor", Roles: []store.Role{store.RoleSeller}, Email: "sam@example.com"},
	} {
		if err := e.AddUser(ctx, "ada", u); err != nil {
			b.Fatal(err)
		}
	}
	for _, t := range []store.Template{
		{Name: "intro", Subject: "Hello {{first_name}}", Body: "Hi {{name}},\n\n{{owner.name}} here: may I show you what we do?\n"},
		{Name: "nudge", Subject: "Following up", Body: "Hi {{first_name}}, any thoughts on my last note?\n"},
		{Name: "hot", Subject: "Next steps", Body: "Hi {{first_name}}, shall we book a call this week? {{owner.name}}\n"},
	} {
		if err := e.AddTemplate(ctx, "ada", t); err != nil {
			b.Fatal(err)
		}
	}
	window := "any"
	if timing {
		if err := e.SetSetting(ctx, "ada", "holidays", "us"); err != nil {
			b.Fatal(err)
		}
		// The walk connects a batch a minute from 09:00 (t0): the window closes halfway.
		half := max(1, (n+connectBatch-1)/connectBatch/2)
		window = fmt.Sprintf("09:00-%02d:%02d", 9+half/60, half%60)
	}
	src := strings.Replace(walkSequence, "steps:", "options:\n  send_window: "+window+"\nsteps:", 1)
	def, err := sequence.Parse([]byte(src), "walk.yaml")
	if err != nil {
		b.Fatal(err)
	}
	if _, err := e.ImportSequence(ctx, "max", def, engine.SaveOptions{Activate: true}); err != nil {
		b.Fatal(err)
	}
	var csv bytes.Buffer
	csv.WriteString("id,name,owner,stage,email,phone,industry,score\n")
	for i := range n {
		fmt.Fprintf(&csv, "L-%07d,Lead Person %d,sam,new,lead%d@example.com,+1 555 %04d,retail,%d\n", i, i, i, i%10_000, (i*37)%100)
	}
	if _, err := e.ImportRecords(ctx, "max", "leads.csv", &csv, "lead"); err != nil {
		b.Fatal(err)
	}
	return e
}

func mustSeqID(b *testing.B, db store.Store, name string) store.ID {
	b.Helper()
	var id store.ID
	err := db.View(context.Background(), func(tx store.Tx) error {
		s, err := tx.SequenceByName(name)
		id = s.ID
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	return id
}

// walkCount is what countWalk counts of a walk: its step entries, those made while
// connecting, and its emails held (message_held entries).
type walkCount struct{ entries, atConnect, held int }

// countWalk checks that all n connections of seq completed and counts their step entries:
// in all, and those made while connecting (before connected, the clock when the last batch
// was connected: the intro email, kept and so sent at once, and the email window that
// follows it, unless the send window held the email), and the holds of their emails.
func countWalk(b *testing.B, db store.Store, seq store.ID, n int, connected time.Time) walkCount {
	b.Helper()
	conns := 0
	var got walkCount
	err := db.View(context.Background(), func(tx store.Tx) error {
		var hErr error
		err := tx.ConnsBySequence(seq, func(c store.Connection) bool {
			conns++
			if c.State != store.ConnCompleted {
				hErr = fmt.Errorf("connection %s is %s at step %q", c.ID, c.State, c.Step)
				return false
			}
			hist, err := tx.History(c.ID)
			if err != nil {
				hErr = err
				return false
			}
			for _, h := range hist {
				switch h.Type {
				case store.EventStepEntered:
					got.entries++
					if h.At.Before(connected) {
						got.atConnect++
					}
				case store.EventMessageHeld:
					got.held++
				}
			}
			return true
		})
		if err != nil {
			return err
		}
		return hErr
	})
	if err != nil {
		b.Fatal(err)
	}
	if conns != n {
		b.Fatalf("%d connections, want %d", conns, n)
	}
	return got
}

// rawBatchedPutRate measures bare bbolt on a fresh file opened with the options pacer's
// store uses (hashmap free list, written at each commit; 256 MB initial mapping; fsync on):
// puts of 100-byte values under 24-byte time-ordered keys, 500 per Update. It returns
// puts per second.
func rawBatchedPutRate(b *testing.B, puts int) float64 {
	b.Helper()
	const batch = 500
	bdb, err := bbolt.Open(filepath.Join(b.TempDir(), "raw.db"), 0o600, &bbolt.Options{
		Timeout: time.Second, FreelistType: bbolt.FreelistMapType, InitialMmapSize: 256 << 20,
	})
	if err != nil {
		b.Fatal(err)
	}
	defer bdb.Close()
	name := []byte("raw")
	if err := bdb.Update(func(btx *bbolt.Tx) error { _, err := btx.CreateBucket(name); return err }); err != nil {
		b.Fatal(err)
	}
	base := uint64(t0.UnixNano())
	start := time.Now()
	for n := 0; n < puts; {
		err := bdb.Update(func(btx *bbolt.Tx) error {
			bk := btx.Bucket(name)
			for range batch {
				k := make([]byte, 24)
				binary.BigEndian.PutUint64(k, base+uint64(n))
				binary.BigEndian.PutUint64(k[8:], uint64(n)*0x9e3779b97f4a7c15)
				binary.BigEndian.PutUint64(k[16:], uint64(n)^0xdeadbeefcafef00d)
				v := make([]byte, 100)
				copy(v, k)
				if err := bk.Put(k, v); err != nil {
					return err
				}
				n++
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	return float64(puts) / time.Since(start).Seconds()
}

// cpuTime returns the processor time the process has used (user and system, all threads).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// resetPeakRSS resets the process's peak resident size (VmHWM) where Linux allows it.
func resetPeakRSS() { _ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) }

// memPeaks are the highest memory figures seen while sampling, in MB.
type memPeaks struct {
	heap, anon, file float64
}

// sampleMemory samples the Go heap in use (HeapInuse) and the resident anonymous and
// file-backed memory (RssAnon, RssFile: the database's mapped pages) every 20 ms until the
// returned function is called; that returns the peaks.
func sampleMemory() func() memPeaks {
	var mu sync.Mutex
	var peak memPeaks
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			anon, file := rssParts()
			mu.Lock()
			peak.heap = max(peak.heap, float64(ms.HeapInuse)/(1<<20))
			peak.anon, peak.file = max(peak.anon, anon), max(peak.file, file)
			mu.Unlock()
			select {
			case <-stop:
				return
			case <-t.C:
			}
		}
	})
	return func() memPeaks {
		close(stop)
		wg.Wait()
		return peak
	}
}

// procStatus returns the values in MB of the given kB fields of /proc/self/status; zero
// where unknown.
func procStatus(keys ...string) []float64 {
	out := make([]float64, len(keys))
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return out
	}
	for line := range strings.SplitSeq(string(data), "\n") {
		for i, k := range keys {
			if rest, ok := strings.CutPrefix(line, k+":"); ok {
				kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
				out[i] = kb / 1024
			}
		}
	}
	return out
}

func rssParts() (anon, file float64) {
	v := procStatus("RssAnon", "RssFile")
	return v[0], v[1]
}

// peakRSS returns the process's peak resident size in MB (VmHWM), or 0 where unknown.
func peakRSS() float64 { return procStatus("VmHWM")[0] }
