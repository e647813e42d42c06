package main

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/pacer-sales/pacer/engine"
	"github.com/pacer-sales/pacer/engine/mail"
	"github.com/pacer-sales/pacer/engine/mail/mailtest"
	"github.com/pacer-sales/pacer/store/bolt"
)

// seq show prints, per email step, sent, opened, clicked, replied, bounced and
// unsubscribed with their rates, counted from what really happened: emails through a real
// SMTP server (one recipient refused: a hard bounce), events recorded by pacer event, and
// an unsubscribe of one recipient.
func TestSeqShowEngagement(t *testing.T) {
	db := orgDB(t)
	dir := t.TempDir()
	srv := mailtest.Start(t)
	srv.RefuseRecipient("di@example.com")
	leads := filepath.Join(dir, "more.csv")
	os.WriteFile(leads, []byte("id,name,owner,email\nL-3,Cy Park,sam,cy@example.com\nL-4,Di Roy,sam,di@example.com\n"), 0o644)
	ok(t, pacer(t, db, "record", "import", leads, "--entity", "lead"))
	seq := filepath.Join(dir, "mailer.yaml")
	os.WriteFile(seq, []byte("name: Mailer\noptions: {send_window: any}\nsteps:\n  - type: auto_email\n    id: hi\n    name: Hello\n    template: intro\n  - type: task\n    id: follow\n"), 0o644)
	ok(t, pacer(t, db, "seq", "import", seq, "--activate"))
	ok(t, pacer(t, db, "settings", "smtp_url", srv.URL()))
	now := "--now=2026-03-02T09:00:00Z"
	ok(t, pacer(t, db, now, "connect", "Mailer", "lead/L-1", "lead/L-2", "lead/L-3", "lead/L-4"))
	ok(t, pacer(t, db, "--now=2026-03-02T09:01:00Z", "tick"))
	if n := len(srv.Messages()); n != 3 {
		t.Fatalf("the server took %d emails, want 3", n)
	}
	later := "--now=2026-03-02T10:00:00Z"
	ok(t, pacer(t, db, later, "event", "lead/L-1", "email_opened"))
	ok(t, pacer(t, db, later, "event", "lead/L-1", "link_clicked"))
	ok(t, pacer(t, db, later, "event", "lead/L-2", "email_opened"))
	ok(t, pacer(t, db, later, "event", "lead/L-2", "email_replied"))

	// L-3 unsubscribes, as its email's unsubscribe link or address would.
	var toCy string
	for _, m := range srv.Messages() {
		if m.To[0] == "cy@example.com" {
			toCy = m.MessageID
		}
	}
	store, err := bolt.Open(db, bolt.Options{})
	must(t, err)
	_, err = engine.New(store, nil).Unsubscribe(context.Background(), mail.TrackingID(toCy), "test")
	must(t, err)
	must(t, store.Close())

	// The histories behind the numbers are consistent.
	ok(t, pacer(t, db, later, "doctor"))
	r := ok(t, pacer(t, db, later, "seq", "show", "Mailer"))
	i := strings.Index(r.stdout, "Email engagement (opens are a soft signal")
	if i < 0 {
		t.Fatalf("seq show has no engagement:\n%s", r.stdout)
	}
	// Four sent (the refused one too: it was tried), of which 2 opened, 1 clicked, 1
	// replied, 1 bounced and 1 unsubscribed.
	row := regexp.MustCompile(`(?m)^\s+Hello \[hi\]\s+4\s+2 \(50%\)\s+1 \(25%\)\s+1 \(25%\)\s+1 \(25%\)\s+1 \(25%\)\s*$`)
	if !row.MatchString(r.stdout[i:]) {
		t.Errorf("the engagement of step hi is not sent 4, opened 2, clicked 1, replied 1, bounced 1, unsubscribed 1:\n%s", r.stdout[i:])
	}
	for _, col := range []string{"SENT", "OPENED", "CLICKED", "REPLIED", "BOUNCED", "UNSUBSCRIBED"} {
		if !strings.Contains(r.stdout[i:], col) {
			t.Errorf("no column %s:\n%s", col, r.stdout[i:])
		}
	}
}
