package engine_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pacer-sales/pacer/engine"
	"github.com/pacer-sales/pacer/engine/mail"
	"github.com/pacer-sales/pacer/engine/sequence"
	"github.com/pacer-sales/pacer/internal/imaptest"
	"github.com/pacer-sales/pacer/store"
	"github.com/pacer-sales/pacer/store/bolt"
)

const (
	watchDBEnv  = "PACER_WATCH_DB"
	watchURLEnv = "PACER_WATCH_URL"
)

// TestWatchChild is the watcher process of TestWatcherKilled: it watches the mailbox of
// PACER_WATCH_URL for the database PACER_WATCH_DB and prints a line per message handled,
// until it is killed.
func TestWatchChild(t *testing.T) {
	path := os.Getenv(watchDBEnv)
	if path == "" {
		t.Skip("the watcher process of TestWatcherKilled")
	}
	db, err := bolt.Open(path, bolt.Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, "watch child:", err)
		os.Exit(3)
	}
	e := engine.New(db, nil)
	_ = e.WatchMailbox(context.Background(), os.Getenv(watchURLEnv), 20*time.Millisecond, func(r engine.WatchReport) {
		fmt.Printf("uid %d %s\n", r.UID, r.Recorded)
	})
}

// The mail watcher, killed with SIGKILL at moments of its reading and started again, misses
// no reply and records none twice: its position in the mailbox commits with each message's
// event.
func TestWatcherKilled(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	const n = 24
	path := filepath.Join(t.TempDir(), "pacer.db")
	db, err := bolt.Open(path, bolt.Options{})
	must(t, err)
	ctx := context.Background()
	e := engine.New(db, nil)
	must(t, e.AddUser(ctx, "", store.User{Username: "ada", Roles: []store.Role{store.RoleAdmin}, Email: "ada@example.com"}))
	must(t, e.AddTemplate(ctx, "ada", store.Template{Name: "hi", Subject: "Hi", Body: "Hello {{name}}"}))
	var csv strings.Builder
	csv.WriteString("id,name,owner,email\n")
	var refs []string
	for i := range n {
		fmt.Fprintf(&csv, "R-%d,Rec %d,ada,r%d@example.com\n", i, i, i)
		refs = append(refs, fmt.Sprintf("lead/R-%d", i))
	}
	_, err = e.ImportRecords(ctx, "ada", "r.csv", strings.NewReader(csv.String()), "lead")
	must(t, err)
	def, err := sequence.Parse([]byte(`
name: Replies
options: {send_window: any}
steps:
  - type: auto_email
    id: hi
    template: hi
  - type: condition
    id: replied
    if: email_replied
    within: 2d
    yes: [{type: task, id: "yes"}]
    no: [{type: task, id: "no"}]
`), "t.yaml")
	must(t, err)
	_, err = e.ImportSequence(ctx, "ada", def, engine.SaveOptions{Activate: true})
	must(t, err)
	_, err = e.Connect(ctx, "ada", "Replies", refs)
	must(t, err)
	box, err := e.Outbox(ctx, "ada")
	must(t, err)
	must(t, db.Close())

	srv := imaptest.Start(t)
	appendReply := func(m engine.OutboxRow) {
		srv.Append(t, []byte(fmt.Sprintf("From: %s\r\nTo: ada@example.com\r\nSubject: Re: Hi\r\nIn-Reply-To: %s\r\n\r\nYes.\r\n", m.To, m.MessageID)))
	}
	for _, m := range box[:n/2] {
		appendReply(m)
	}
	next := n / 2
	// Runs go on until every reply is delivered; a run delivers one at its start, so it has
	// something to read even when the runs before handled (and were killed before saying)
	// all there was. What the last run leaves is read below.
	for run := 0; next < n && run < 50; run++ {
		appendReply(box[next])
		next++
		cmd := exec.Command(os.Args[0], "-test.run=^TestWatchChild$")
		cmd.Env = append(os.Environ(), watchDBEnv+"="+path, watchURLEnv+"="+srv.URL())
		out, err := cmd.StdoutPipe()
		must(t, err)
		must(t, cmd.Start())
		sc := bufio.NewScanner(out)
		// Kill after a few messages of this run (1 to 3), or at once on every fourth run.
		want := 1 + run%3
		if run%4 == 3 {
			want = 0
		}
		watchdog := time.AfterFunc(20*time.Second, func() { _ = cmd.Process.Kill() })
		for got := 0; got < want && sc.Scan(); got++ {
			if next < n { // new mail while the watcher runs: IDLE wakes it
				appendReply(box[next])
				next++
			}
		}
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		watchdog.Stop()
	}
	if next < n {
		t.Fatalf("only %d of %d replies were delivered", next, n)
	}
	// A last start reads what is left, here, then the database is checked.
	db2, err := bolt.Open(path, bolt.Options{})
	must(t, err)
	defer db2.Close()
	e = engine.New(db2, nil)
	conn, validity, err := mail.DialIMAP(ctx, srv.URL())
	must(t, err)
	_, err = e.ReadMailbox(ctx, conn, mail.MailboxName(srv.URL()), validity, nil)
	conn.Close()
	must(t, err)
	for _, ref := range refs {
		v, err := e.RecordDetail(ctx, "ada", ref)
		must(t, err)
		c := v.Connections[0]
		replies := 0
		for _, h := range c.History {
			if h.Type == store.EventEmail && h.Event == "email_replied" {
				replies++
			}
		}
		if replies != 1 || c.CurrentStep != "yes" {
			t.Errorf("%s: %d replies recorded, at %q", ref, replies, c.CurrentStep)
		}
	}
}
