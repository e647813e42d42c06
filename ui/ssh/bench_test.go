package ssh_test

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	uv "github.com/charmbracelet/ultraviolet"
	"github.com/charmbracelet/x/vt"
	gossh "golang.org/x/crypto/ssh"

	"github.com/pacer-sales/pacer/engine"
)

// BenchmarkKeystrokeToFrame is SPEC §9's SSH figure: N concurrent sessions
// ($PACER_BENCH_SSH_SESSIONS, 50 by default), each a different seller on the sample org's
// home grid, press j and k in turn; a keystroke's latency runs from writing the key to the
// arrival of the output that shows the cursor on the row it moved to (the row's style, read
// through a terminal emulator). b.N keystrokes are spread over the sessions, each session
// typing its next key as soon as the previous one shows. It reports p50, p99 and max
// against the target (p99 < 100 ms); the clients run in this process, on the same cores as
// the server.
//
//	go test ./ui/ssh -run '^$' -bench KeystrokeToFrame -benchtime 2000x
func BenchmarkKeystrokeToFrame(b *testing.B) {
	n := 50
	if v := os.Getenv("PACER_BENCH_SSH_SESSIONS"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 1 {
			b.Fatalf("PACER_BENCH_SSH_SESSIONS=%q: want a whole number of at least 1", v)
		}
	}
	o := newOrg(b)
	ctx := context.Background()
	keys := make([]gossh.Signer, n)
	for i := range keys {
		keys[i] = newKey(b)
		name := fmt.Sprintf("bench-%02d", i)
		must(b, o.eng.AddUser(ctx, "admin", engine.User{Username: name, Roles: []engine.Role{engine.RoleSeller}, SSHKeys: []string{authorizedKey(keys[i], name)}}))
	}
	// Sign everyone in, and find the grid's first two rows and the cursor's style.
	terms := make([]*term, n)
	rows := make([][2]int, n)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var setupErr error
	for i := range terms {
		wg.Add(1)
		go func() {
			defer wg.Done()
			terms[i] = openTerm(b, o.addr, o.srv.HostKey(), 100, 30, map[string]string{"NO_COLOR": "1"}, keys[i])
			scr, err := terms[i].waitUntil("the home grid", contains(fmt.Sprintf("bench-%02d (seller)", i), "High-volume outbound", "Missed meeting follow-up", "1–6 of 6"), wait)
			if err == nil {
				rows[i], err = gridRows(scr)
			}
			if err != nil {
				mu.Lock()
				setupErr = err
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if setupErr != nil {
		b.Fatal(setupErr)
	}
	if got := o.srv.Sessions(); got != n {
		b.Fatalf("%d sessions run, want %d", got, n)
	}

	per := (b.N + n - 1) / n
	lat := make([][]time.Duration, n)
	errs := make(chan error, n)
	b.ResetTimer()
	for i := range terms {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tm, r := terms[i], rows[i]
			at := 0 // the cursor's row: 0 or 1
			for range per {
				key, to := "j", 1
				if at == 1 {
					key, to = "k", 0
				}
				sent := time.Now()
				tm.Send(key)
				shown, err := tm.frameWhen(fmt.Sprintf("the cursor on row %d after %s", to, key), selectedRow(r, to), wait)
				if err != nil {
					errs <- err
					return
				}
				lat[i] = append(lat[i], shown.Sub(sent))
				at = to
			}
		}()
	}
	wg.Wait()
	b.StopTimer()
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
	all := slices.Concat(lat...)
	slices.Sort(all)
	q := func(p float64) time.Duration { return all[min(len(all)-1, int(p*float64(len(all))))] }
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	b.ReportMetric(ms(q(0.50)), "p50-ms")
	b.ReportMetric(ms(q(0.99)), "p99-ms")
	b.ReportMetric(ms(all[len(all)-1]), "max-ms")
	b.ReportMetric(0, "ns/op")
	verdict := "meets"
	if q(0.99) >= 100*time.Millisecond {
		verdict = "MISSES"
	}
	b.Logf("%d sessions, %d keystrokes, %d CPUs (GOMAXPROCS %d): keystroke to frame p50 %.1f ms, p99 %.1f ms, max %.1f ms; %s the target p99 < 100 ms",
		n, len(all), runtime.NumCPU(), runtime.GOMAXPROCS(0), ms(q(0.5)), ms(q(0.99)), ms(all[len(all)-1]), verdict)
}

// gridRows finds the screen lines of the home grid's first two rows (sorted by name).
func gridRows(scr string) ([2]int, error) {
	var r [2]int
	found := 0
	for y, line := range strings.Split(scr, "\n") {
		switch {
		case strings.HasPrefix(line, "High-volume outbound"):
			r[0] = y
			found++
		case strings.HasPrefix(line, "Missed meeting follow-up"):
			r[1] = y
			found++
		}
	}
	if found != 2 {
		return r, fmt.Errorf("the grid's first rows are not on screen:\n%s", scr)
	}
	return r, nil
}

// selectedRow holds when row `to` of the two shows the cursor's style (reverse video
// without colours) and the other does not.
func selectedRow(rows [2]int, to int) func(e *vt.Emulator, _ string) bool {
	return func(e *vt.Emulator, _ string) bool {
		return reversed(e, rows[to]) && !reversed(e, rows[1-to])
	}
}

// reversed reports whether the first cell of line y is in reverse video.
func reversed(e *vt.Emulator, y int) bool {
	c := e.CellAt(0, y)
	return c != nil && c.Style.Attrs&uv.AttrReverse != 0
}
