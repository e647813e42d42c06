package engine_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pacer-sales/pacer/engine"
	"github.com/pacer-sales/pacer/engine/mail/mailtest"
	"github.com/pacer-sales/pacer/store"
	"github.com/pacer-sales/pacer/store/postgres"
	"github.com/pacer-sales/pacer/store/postgres/pgtest"
)

// The crash test of several nodes (SPEC §14): three engine processes share one PostgreSQL
// database, each firing timers, sending email through a real SMTP server and doing the work
// of the sales team (TestCrashChild's worker), while the parent SIGKILLs one of them at a
// random moment, checks the database, and starts it again. After every kill: doctor
// (Engine.Check) is clean. At the end, with every node stopped and their leases over, one
// engine catches up everything due: nothing is left due, every connect a node reported
// exists, no step was entered and no task created twice, and an email reached the SMTP
// server more than once only if it was in flight (sent, not yet recorded) when a node died —
// a retry with the same Message-ID.

// Environment of a node process.
const (
	nodesDSNEnv  = "PACER_NODES_DSN"
	nodesNowEnv  = "PACER_NODES_NOW"
	nodesSeedEnv = "PACER_NODES_SEED"
	nodesNameEnv = "PACER_NODES_NAME"
)

// fileClock is the simulated time the nodes share: the parent writes it to a file (by
// rename), moving it on in steps; every node reads it there. Nodes whose clocks ran apart
// would write a connection's history out of time order, which doctor rightly refuses.
type fileClock struct{ path string }

func (c fileClock) Now() time.Time {
	b, err := os.ReadFile(c.path)
	if err != nil {
		panic(fmt.Sprintf("the shared clock: %v", err))
	}
	t, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(string(b)))
	if err != nil {
		panic(fmt.Sprintf("the shared clock: %v", err))
	}
	return t
}

func (c fileClock) set(t *testing.T, at time.Time) {
	t.Helper()
	tmp := c.path + ".new"
	if err := os.WriteFile(tmp, []byte(at.Format(time.RFC3339Nano)), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, c.path); err != nil {
		t.Fatal(err)
	}
}

// nodeLease is the send lease of the node processes: short, so a dead node's messages
// come back within the test.
const nodeLease = 2 * time.Second

// nodeApp is the application_name of the nodes' database sessions.
const nodeApp = "pacer-crash-node"

// TestCrashNodeChild is a node of TestCrashNodes; it does nothing in a normal run.
func TestCrashNodeChild(t *testing.T) {
	dsn := os.Getenv(nodesDSNEnv)
	if dsn == "" {
		t.Skip("a node process of TestCrashNodes")
	}
	die := func(format string, args ...any) {
		fmt.Fprintf(os.Stderr, "node: "+format+"\n", args...)
		os.Exit(3)
	}
	clock := fileClock{os.Getenv(nodesNowEnv)}
	seed, err := strconv.ParseUint(os.Getenv(nodesSeedEnv), 10, 64)
	if err != nil {
		die("%s: %v", nodesSeedEnv, err)
	}
	go func() {
		_, _ = io.Copy(io.Discard, os.Stdin)
		os.Exit(0)
	}()
	db, err := postgres.Open(context.Background(), pgtest.WithParam(dsn, "application_name", nodeApp), postgres.Options{})
	if err != nil {
		die("open: %v", err)
	}
	e := engine.New(db, clock)
	e.SetSendLease(nodeLease)
	e.SetNode(os.Getenv(nodesNameEnv))
	w := &crashWorker{ctx: context.Background(), db: db, e: e, clock: clock, rng: rand.New(rand.NewPCG(seed, 1)), shared: true}
	fmt.Println("open")
	for i := 0; ; i++ {
		rep, err := e.Tick(w.ctx)
		if err != nil || len(rep.Errors) > 0 {
			die("tick: %v %q", err, rep.Errors)
		}
		fmt.Printf("tick %d %s\n", i, clock.Now().Format(time.RFC3339Nano))
		if err := w.work(); err != nil {
			die("%v", err)
		}
	}
}

// node is a running node process and what it reported.
type node struct {
	name  string
	cmd   *exec.Cmd
	stdin io.Closer
	done  chan struct{}

	mu       sync.Mutex
	lastAt   time.Time
	ticks    int
	connects []connectAck
	stderr   strings.Builder
}

func startNode(t *testing.T, dsn, name string, clock fileClock, seed uint64) *node {
	t.Helper()
	n := &node{name: name, done: make(chan struct{})}
	n.cmd = exec.Command(os.Args[0], "-test.run=^TestCrashNodeChild$")
	n.cmd.Env = append(os.Environ(), nodesDSNEnv+"="+dsn, nodesNowEnv+"="+clock.path,
		nodesSeedEnv+"="+strconv.FormatUint(seed, 10), nodesNameEnv+"="+name)
	stdin, err := n.cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	n.stdin = stdin
	stdout, err := n.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	n.cmd.Stderr = &lockedBuilder{n: n}
	if err := n.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		defer close(n.done)
		sc := bufio.NewScanner(stdout)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			f := strings.Fields(sc.Text())
			n.mu.Lock()
			switch {
			case len(f) == 3 && f[0] == "tick":
				if at, err := time.Parse(time.RFC3339Nano, f[2]); err == nil {
					n.lastAt, n.ticks = at, n.ticks+1
				}
			case len(f) >= 4 && f[0] == "connect":
				if at, err := time.Parse(time.RFC3339Nano, f[2]); err == nil {
					n.connects = append(n.connects, connectAck{f[1], at, f[3:]})
				}
			}
			n.mu.Unlock()
		}
		_ = n.cmd.Wait()
	}()
	return n
}

type lockedBuilder struct{ n *node }

func (l *lockedBuilder) Write(p []byte) (int, error) {
	l.n.mu.Lock()
	defer l.n.mu.Unlock()
	return l.n.stderr.Write(p)
}

// kill SIGKILLs the node and waits for it to be gone; it fails the test if the node died
// on its own before.
func (n *node) kill(t *testing.T) {
	t.Helper()
	select {
	case <-n.done:
		n.mu.Lock()
		t.Fatalf("node %s exited by itself: %s", n.name, n.stderr.String())
		n.mu.Unlock()
	default:
	}
	_ = n.cmd.Process.Kill()
	<-n.done
	_ = n.stdin.Close()
}

func TestCrashNodes(t *testing.T) {
	if os.Getenv(nodesDSNEnv) != "" || os.Getenv(crashDBEnv) != "" {
		t.Skip("inside a node process")
	}
	kills := 8
	if testing.Short() {
		kills = 3
	}
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 0))
	ctx := context.Background()
	dsn := pgtest.DSN(t)
	db, err := postgres.Open(ctx, dsn, postgres.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	srv := mailtest.Start(t)
	setupCrashOrgOn(t, db, srv.URL())

	start := monday.Add(time.Hour)
	clock := fileClock{filepath.Join(t.TempDir(), "clock")}
	clock.set(t, start)
	now := start
	// The shared clock moves on in steps of 30 minutes to 4.5 hours while the nodes work.
	stopClock := make(chan struct{})
	clockDone := make(chan struct{})
	go func() {
		defer close(clockDone)
		crng := rand.New(rand.NewPCG(seed, 7))
		for {
			select {
			case <-stopClock:
				return
			case <-time.After(time.Duration(100+crng.IntN(300)) * time.Millisecond):
			}
			now = now.Add(time.Duration(30+crng.IntN(240)) * time.Minute)
			tmp := clock.path + ".new"
			if os.WriteFile(tmp, []byte(now.Format(time.RFC3339Nano)), 0o600) != nil || os.Rename(tmp, clock.path) != nil {
				return // the test is over
			}
		}
	}()
	var stopOnce sync.Once
	stop := func() { stopOnce.Do(func() { close(stopClock); <-clockDone }) }
	defer stop()
	nodes := make([]*node, 3)
	for i := range nodes {
		nodes[i] = startNode(t, dsn, fmt.Sprintf("node-%d", i), clock, seed+uint64(i))
	}
	var finished []*node // killed nodes, for their reports
	defer func() {
		for _, n := range nodes {
			_ = n.cmd.Process.Kill()
			<-n.done
		}
	}()
	inFlight := map[string]bool{} // Message-IDs delivered but not recorded when a node died
	for k := range kills {
		// A random moment: the nodes work meanwhile.
		time.Sleep(time.Duration(300+rng.IntN(1500)) * time.Millisecond)
		i := rng.IntN(len(nodes))
		victim := nodes[i]
		victim.kill(t)
		finished = append(finished, victim)
		for _, id := range deliveredButQueued(t, db, srv) {
			inFlight[id] = true
		}
		checkClean(t, db, fmt.Sprintf("after kill %d (of %s)", k+1, victim.name))
		nodes[i] = startNode(t, dsn, victim.name, clock, seed+uint64(100+k))
	}
	time.Sleep(time.Second)
	stop()
	for _, n := range nodes {
		n.kill(t)
		finished = append(finished, n)
		for _, id := range deliveredButQueued(t, db, srv) {
			inFlight[id] = true
		}
	}
	ticks := 0
	for _, n := range finished {
		ticks += n.ticks
	}
	if ticks < 3*kills {
		t.Fatalf("the nodes completed %d ticks in all; the test shows nothing", ticks)
	}

	// Every node is gone: their leases are over (as they would be after nodeLease).
	clearLeases(t, dsn)
	end := clock.Now()
	final := engine.New(db, clock)
	if rep, err := final.Tick(ctx); err != nil || len(rep.Errors) > 0 {
		t.Fatalf("the final catch-up: %v %q", err, rep.Errors)
	}
	checkClean(t, db, "at the end")
	must(t, db.View(ctx, func(tx store.Tx) error {
		if ds, err := tx.DueBefore(end, 10); err != nil || len(ds) > 0 {
			t.Errorf("after the catch-up to %s, %d timers are still due (%v)", end, len(ds), err)
		}
		if ms, err := tx.QueuedBefore(end, 10); err != nil || len(ms) > 0 {
			t.Errorf("after the catch-up to %s, %d messages are still due (%v)", end, len(ms), err)
		}
		return nil
	}))
	checkConnects(t, db, finished)
	checkNoTwice(t, db)
	repeats := 0
	counts := map[string]int{}
	for _, r := range srv.Messages() {
		counts[strings.Trim(r.MessageID, "<>")]++
	}
	for id, c := range counts {
		if c > 1 {
			repeats++
			if !inFlight[id] {
				t.Errorf("message %s reached the SMTP server %d times, yet it was in flight at no node's death", id, c)
			}
		}
	}
	t.Logf("%d kills, %d ticks over 3 nodes, %d emails delivered, %d resent with the same Message-ID after a kill", kills, ticks, len(srv.Messages()), repeats)
}

// deliveredButQueued lists the Message-IDs the SMTP server got that the database still
// holds as queued: a node's send that it may not have recorded. It first lets the server
// finish the transfers under way, so a message whose data a killed node had all sent counts.
func deliveredButQueued(t *testing.T, db store.Store, srv *mailtest.Server) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := srv.Settle(ctx); err != nil {
		t.Fatalf("the SMTP server's transfers never ended: %v", err)
	}
	got := map[string]bool{}
	for _, r := range srv.Messages() {
		got[strings.Trim(r.MessageID, "<>")] = true
	}
	var out []string
	must(t, db.View(context.Background(), func(tx store.Tx) error {
		return tx.Messages(func(m store.Message) bool {
			if id := strings.Trim(m.MessageID, "<>"); m.State == store.MsgQueued && got[id] {
				out = append(out, id)
			}
			return true
		})
	}))
	return out
}

func checkClean(t *testing.T, db store.Store, when string) {
	t.Helper()
	problems, err := engine.New(db, engine.FixedClock(monday)).Check(context.Background(), "ada")
	if err != nil {
		t.Fatalf("doctor %s: %v", when, err)
	}
	if len(problems) > 0 {
		t.Fatalf("doctor %s found %d problems:\n%s", when, len(problems), strings.Join(problems[:min(len(problems), 20)], "\n"))
	}
}

func clearLeases(t *testing.T, dsn string) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	// A killed node's server process may still hold its transaction's row locks for a
	// moment after the node is gone; end those sessions and wait for them (up to 10 s each),
	// so the catch-up's SKIP LOCKED claims see every due timer.
	if _, err := conn.Exec(ctx, `SELECT pg_terminate_backend(pid, 10000) FROM pg_stat_activity
		WHERE application_name = $1 AND pid <> pg_backend_pid()`, nodeApp); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, "UPDATE messages SET lease_until = NULL"); err != nil {
		t.Fatal(err)
	}
}

// checkConnects checks that every connect a node reported made a connection.
func checkConnects(t *testing.T, db store.Store, nodes []*node) {
	t.Helper()
	must(t, db.View(context.Background(), func(tx store.Tx) error {
		for _, n := range nodes {
			for _, c := range n.connects {
				seq, err := tx.SequenceByName(c.seq)
				if err != nil {
					return err
				}
				for _, ref := range c.refs {
					entity, id, _ := strings.Cut(ref, "/")
					r, err := tx.Record(entity, id)
					if err != nil {
						return err
					}
					cs, err := tx.ConnsByRecord(r.Key)
					if err != nil {
						return err
					}
					found := false
					for _, cn := range cs {
						found = found || cn.Sequence == seq.ID && !cn.CreatedAt.Before(c.at)
					}
					if !found {
						t.Errorf("%s reported connecting %s to %s at %s; there is no such connection", n.name, ref, c.seq, c.at)
					}
				}
			}
		}
		return nil
	}))
}

// checkNoTwice checks every history for a transition applied twice: the same step entered,
// task created or email sent twice at the same moment.
func checkNoTwice(t *testing.T, db store.Store) {
	t.Helper()
	must(t, db.View(context.Background(), func(tx store.Tx) error {
		seqs, err := tx.Sequences()
		if err != nil {
			return err
		}
		for _, s := range seqs {
			var herr error
			err := tx.ConnsBySequence(s.ID, func(c store.Connection) bool {
				h, err := tx.History(c.ID)
				if err != nil {
					herr = err
					return false
				}
				seen := map[string]bool{}
				for _, ev := range h {
					switch ev.Type {
					case store.EventStepEntered, store.EventTaskCreated, store.EventEmailSent:
						k := fmt.Sprint(ev.Type, ev.StepID, ev.At.UnixNano(), ev.Task, ev.Message)
						if seen[k] {
							t.Errorf("connection %s: %s of step %s at %s twice", c.ID, ev.Type, ev.StepID, ev.At)
						}
						seen[k] = true
					}
				}
				return true
			})
			if err != nil || herr != nil {
				return fmt.Errorf("%v %v", err, herr)
			}
		}
		return nil
	}))
}
