package main

import (
	"context"
	"encoding/json"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/pacer-sales/pacer/engine/mail/mailtest"
	"github.com/pacer-sales/pacer/internal/ptytest"
)

// TestE2EConsole: a seller of the sample org, with the clock pinned, works three tasks in
// the work list: skips an email that a reply condition follows (the No branch: a check-in
// call), completes that call with the outcome "connected" and a note (the Yes branch), and
// writes and sends an email through a real SMTP server. `pacer record show` then shows the
// histories.
func TestE2EConsole(t *testing.T) {
	bin := pacerBin(t)
	db := demoDBFile(t, bin)
	srv := mailtest.Start(t)
	pacer := func(args ...string) []byte {
		t.Helper()
		out, err := exec.Command(bin, append([]string{"--db", db, "--now", e2eNow, "--as", "admin"}, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("pacer %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return out
	}
	pacer("settings", "smtp_url", srv.URL())

	term := ptytest.Start(t, bin, []string{"--db", db, "--now", e2eNow, "--as", "priya.raman"}, ptytest.Options{Width: 100, Height: 30})
	term.WaitFor("[1 Sequences]", e2eWait)
	term.Send("2")
	term.WaitFor("My work list", e2eWait)
	scr := term.WaitFor("Today (", e2eWait) // the list is loaded
	// 09:00 UTC is 04:00 in New York, Priya's time zone: everything is due today.
	for _, want := range []string{"Today (", "Freya Nakamura", "Liam Santos", "Up next"} {
		if !strings.Contains(scr, want) {
			t.Fatalf("work list lacks %q:\n%s", want, scr)
		}
	}

	// 1. Skip Freya's "sorry we missed you" note: the reply condition takes No.
	term.Send("/")
	term.Send("Freya")
	term.WaitFor("Freya", e2eWait)
	term.Send(ptytest.Enter)
	term.WaitFor("search: Freya", e2eWait)
	term.WaitFor("Up next · Freya Nakamura", e2eWait)
	term.Send("x")
	term.WaitFor("Skipped: Freya Nakamura", e2eWait)
	// 2. Her check-in call comes next: done, connected, with a note; the Yes branch.
	term.WaitFor("Check-in call", e2eWait)
	term.Send("d")
	term.WaitFor("Outcome of the call with Freya", e2eWait)
	term.Send(ptytest.Enter) // connected, the first of the org's outcomes
	term.WaitFor("Note (optional):", e2eWait)
	term.Send("Rebooked for Thursday", ptytest.Enter)
	term.WaitFor("Done: Freya Nakamura (connected)", e2eWait)
	term.WaitFor("Book the new meeting", e2eWait)

	// 3. Liam's note: written from the template and sent.
	term.Send("/")
	term.WaitFor("/ Freya", e2eWait)
	term.Send(strings.Repeat(ptytest.Backspace, len("Freya")), "Liam Santos", ptytest.Enter)
	term.WaitFor("search: Liam Santos", e2eWait)
	term.Send("e")
	scr = term.WaitFor("Email · Liam Santos", e2eWait)
	if !strings.Contains(scr, "ctrl+s send now") || !strings.Contains(scr, "From:    priya.raman@example.com") {
		t.Fatalf("email editor:\n%s", scr)
	}
	term.Send(ptytest.CtrlS)
	term.WaitFor("Sent to", e2eWait)
	term.Send("q")
	if code := term.Wait(e2eWait); code != 0 {
		t.Fatalf("exit %d; screen:\n%s", code, term.Screen())
	}

	msgs, err := srv.Wait(context.Background(), 1)
	if err != nil {
		t.Fatal(err)
	}

	show := func(ref string) recordShow {
		t.Helper()
		var r recordShow
		if err := json.Unmarshal(pacer("record", "show", ref, "--json"), &r); err != nil {
			t.Fatal(err)
		}
		// The connection to the sequence worked here.
		for i, c := range r.Connections {
			if c.Sequence == "Missed meeting follow-up" {
				r.Connections = r.Connections[i : i+1]
				return r
			}
		}
		t.Fatalf("%s is not in Missed meeting follow-up", ref)
		return r
	}
	kinds := func(r recordShow) []string {
		var out []string
		for _, h := range r.Connections[0].History {
			k := h.Type
			if h.Branch != "" {
				k += ":" + h.Branch
			}
			if h.Outcome != "" {
				k += ":" + h.Outcome
			}
			out = append(out, k+"@"+h.StepID)
		}
		return out
	}

	freya := show("contact/C-2001")
	want := []string{
		"connected@", "step_entered@missed-note", "task_created@missed-note", "task_skipped@missed-note",
		"step_entered@missed-note-replied", "condition:no@missed-note-replied",
		"step_entered@check-in-call", "task_created@check-in-call", "task_done:connected@check-in-call",
		"step_entered@check-in-connected", "condition:yes@check-in-connected",
		"step_entered@book-new-time", "task_created@book-new-time",
	}
	if got := kinds(freya); !slices.Equal(got, want) {
		t.Fatalf("Freya's history:\n got %q\nwant %q", got, want)
	}
	for _, h := range freya.Connections[0].History {
		if h.Type == "task_done" && (h.Note != "Rebooked for Thursday" || h.By != "priya.raman") {
			t.Fatalf("the call's done entry: %+v", h)
		}
	}

	liam := show("contact/C-2002")
	want = []string{
		"connected@", "step_entered@missed-note", "task_created@missed-note", "email_sent@missed-note",
		"task_done@missed-note", "step_entered@missed-note-replied",
	}
	if got := kinds(liam); !slices.Equal(got, want) {
		t.Fatalf("Liam's history:\n got %q\nwant %q", got, want)
	}
	if m := msgs[0]; !slices.Equal(m.To, []string{liam.Email}) || m.From != "priya.raman@example.com" || m.Subject == "" || !strings.Contains(m.Body, "Liam") {
		t.Fatalf("the server received %+v (Liam's address %s)", m, liam.Email)
	}
	if out := string(pacer("outbox")); !strings.Contains(out, "sent") || !strings.Contains(out, liam.Email) {
		t.Fatalf("outbox:\n%s", out)
	}
}
