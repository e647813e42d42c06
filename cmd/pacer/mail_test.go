package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pacer-sales/pacer/engine"
)

// template show --record previews both parts of the email and names missing fields;
// event by record alone refuses when two sequences' emails could be meant, and --seq says
// which; unsubscribes list and remove.
func TestMailCommands(t *testing.T) {
	db := orgDB(t)
	dir := t.TempDir()
	body := filepath.Join(dir, "offer.txt")
	os.WriteFile(body, []byte("Hi {{first_name|there}} at {{field:company}}: https://example.com/a?b=1&c=2"), 0o644)
	ok(t, pacer(t, db, "template", "add", "offer", "--subject", "For {{field:company|your team}}", "--body-file", body))
	r := ok(t, pacer(t, db, "template", "show", "offer", "--record", "lead/L-1"))
	for _, want := range []string{"Subject: For your team", "Held: no value and no fallback for {{field:company}}",
		"--- text ---\nHi Ana at : https://example.com/a?b=1&c=2", `<a href="https://example.com/a?b=1&amp;c=2">`} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("template show --record lacks %q:\n%s", want, r.stdout)
		}
	}
	if r := pacer(t, db, "template", "show", "offer", "--record", "lead/NOPE"); r.code != 1 {
		t.Errorf("preview for an unknown record: %+v", r)
	}

	// An HTML body of the template's own: set from a file, previewed as the HTML part with
	// merged values escaped, over the size limit refused, dropped with an empty name.
	html := filepath.Join(dir, "offer.html")
	os.WriteFile(html, []byte(`<p>Dear <i>{{name}}</i></p><a href="https://example.com/x">x</a>`), 0o644)
	ok(t, pacer(t, db, "template", "set", "offer", "--html-file", html))
	r = ok(t, pacer(t, db, "template", "show", "offer", "--record", "lead/L-1"))
	if !strings.Contains(r.stdout, "--- html ---\n<p>Dear <i>Ana Lima</i></p>") || !strings.Contains(r.stdout, "--- text ---\nHi Ana") {
		t.Errorf("preview with an HTML body:\n%s", r.stdout)
	}
	if r := ok(t, pacer(t, db, "template", "show", "offer")); !strings.Contains(r.stdout, "--- html ---\n<p>Dear <i>{{name}}</i></p>") {
		t.Errorf("template show with an HTML body:\n%s", r.stdout)
	}
	big := filepath.Join(dir, "big.html")
	os.WriteFile(big, []byte(strings.Repeat("<p>x</p>", 40<<10)), 0o644)
	if r := pacer(t, db, "template", "set", "offer", "--html-file", big); r.code != 1 || !strings.Contains(r.stderr, "--html-file") {
		t.Errorf("an HTML body over the limit: %+v", r)
	}
	ok(t, pacer(t, db, "template", "set", "offer", "--html-file", ""))
	if r := ok(t, pacer(t, db, "template", "show", "offer")); strings.Contains(r.stdout, "--- html ---") {
		t.Errorf("the HTML body was not dropped:\n%s", r.stdout)
	}

	check := filepath.Join(dir, "check.yaml")
	os.WriteFile(check, []byte("name: Check\noptions: {send_window: any}\nsteps:\n  - type: auto_email\n    id: o\n    template: offer\n"), 0o644)
	r = ok(t, pacer(t, db, "seq", "validate", check))
	if !strings.Contains(r.stdout, "warning: {{field:company}} of template \"offer\" has no fallback and 2 of 2 lead records have no value") ||
		strings.Contains(r.stdout, "first_name") {
		t.Errorf("seq validate warnings:\n%s", r.stdout)
	}

	seq := filepath.Join(dir, "second.yaml")
	os.WriteFile(seq, []byte("name: Second\noptions: {send_window: any}\nsteps:\n  - type: auto_email\n    id: again\n    template: intro\n  - type: task\n    id: t\n"), 0o644)
	ok(t, pacer(t, db, "seq", "import", seq, "--activate"))
	ok(t, pacer(t, db, "--now", "2026-03-02T09:00:00Z", "connect", "Outreach", "lead/L-1"))
	ok(t, pacer(t, db, "--now", "2026-03-02T09:00:00Z", "connect", "Second", "lead/L-1"))
	r = pacer(t, db, "--now", "2026-03-02T09:01:00Z", "event", "lead/L-1", "email_opened")
	if r.code != 1 || !strings.Contains(r.stderr, `--seq "Outreach"`) || !strings.Contains(r.stderr, `--seq "Second"`) {
		t.Fatalf("an ambiguous event: %+v", r)
	}
	ok(t, pacer(t, db, "--now", "2026-03-02T09:01:00Z", "event", "lead/L-1", "email_opened", "--seq", "Second"))

	r = ok(t, pacer(t, db, "unsubscribes", "list", "--json"))
	if strings.TrimSpace(r.stdout) != "[]" {
		t.Errorf("unsubscribes list of a new org: %s", r.stdout)
	}
	if r := pacer(t, db, "unsubscribes", "remove", "ana@example.com"); r.code != 1 || !strings.Contains(r.stderr, "not unsubscribed") {
		t.Errorf("remove of an address not unsubscribed: %+v", r)
	}
	if r := pacer(t, db, "--as", "sam", "unsubscribes", "list"); r.code != 1 {
		t.Errorf("a seller listing unsubscribes: %+v", r)
	}

	// A user's own mailbox: its password never shown, only scheme and host to non-admins.
	ok(t, pacer(t, db, "user", "set", "sam", "--imap", "imaps://sam:hunter22@imap.example.com/INBOX"))
	if r := ok(t, pacer(t, db, "user", "list", "--json")); !strings.Contains(r.stdout, `"imap_url": "imaps://sam:****@imap.example.com/INBOX"`) || strings.Contains(r.stdout, "hunter22") {
		t.Errorf("user list for an admin:\n%s", r.stdout)
	}
	if r := ok(t, pacer(t, db, "--as", "sam", "user", "list", "--json")); !strings.Contains(r.stdout, `"imap_url": "imaps://imap.example.com"`) || strings.Contains(r.stdout, "hunter22") {
		t.Errorf("user list for a seller:\n%s", r.stdout)
	}
	if r := pacer(t, db, "user", "set", "sam", "--imap", "ftp://x"); r.code != 1 || !strings.Contains(r.stderr, "--imap") {
		t.Errorf("a bad --imap: %+v", r)
	}
}

// Warnings stop nothing but are told: seq validate --json lists them beside the problems
// (placeholders without fallback that records lack, automated emails without an address to
// unsubscribe at), and seq activate and seq import --activate print them after activating.
func TestSeqWarnings(t *testing.T) {
	db := orgDB(t)
	dir := t.TempDir()
	body := filepath.Join(dir, "offer.txt")
	os.WriteFile(body, []byte("Hi {{first_name|there}} at {{field:company}}."), 0o644)
	ok(t, pacer(t, db, "template", "add", "offer", "--subject", "For you", "--body-file", body))
	check := filepath.Join(dir, "check.yaml")
	os.WriteFile(check, []byte("name: Check\noptions: {send_window: any}\nsteps:\n  - type: call\n    id: c\n  - type: auto_email\n    id: o\n    template: offer\n"), 0o644)

	var v struct {
		Problems []json.RawMessage `json:"problems"`
		Warnings []engine.Warning  `json:"warnings"`
	}
	r := ok(t, pacer(t, db, "seq", "validate", "--json", check))
	must(t, json.Unmarshal([]byte(r.stdout), &v))
	if v.Problems == nil || len(v.Problems) != 0 || len(v.Warnings) != 2 {
		t.Fatalf("validate --json:\n%s", r.stdout)
	}
	byCode := map[string]engine.Warning{}
	for _, w := range v.Warnings {
		byCode[w.Code] = w
	}
	if w := byCode["no_unsubscribe"]; w.Path != "steps[1]" || w.StepID != "o" || !strings.Contains(w.Message, "without List-Unsubscribe") {
		t.Errorf("no_unsubscribe warning %+v", w)
	}
	if w := byCode["merge_unfilled"]; w.Merge == nil || w.Merge.Placeholder != "{{field:company}}" || w.Merge.Lacking != 2 || w.Merge.Records != 2 ||
		w.Path != "steps[1]" || !strings.Contains(w.Message, "has no fallback") {
		t.Errorf("merge_unfilled warning %+v", w)
	}

	// Activating succeeds and tells the same.
	r = ok(t, pacer(t, db, "seq", "import", check))
	if strings.Contains(r.stdout, "warning") {
		t.Errorf("import of a draft warns:\n%s", r.stdout)
	}
	r = ok(t, pacer(t, db, "seq", "activate", "Check"))
	for _, want := range []string{`Sequence "Check" is active`, "steps[1] (o): warning: {{field:company}} of template \"offer\" has no fallback and 2 of 2 lead records have no value",
		"steps[1] (o): warning: automated emails go out without List-Unsubscribe", "[no_unsubscribe]", "[merge_unfilled]"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("seq activate lacks %q:\n%s", want, r.stdout)
		}
	}

	// With an address to unsubscribe at, only the merge warning is left.
	ok(t, pacer(t, db, "settings", "bounce_domain", "bounces.example.com"))
	r = ok(t, pacer(t, db, "seq", "import", check, "--activate"))
	if !strings.Contains(r.stdout, "[merge_unfilled]") || strings.Contains(r.stdout, "no_unsubscribe") {
		t.Errorf("seq import --activate with bounce_domain:\n%s", r.stdout)
	}
	r = ok(t, pacer(t, db, "seq", "validate", check))
	if !strings.Contains(r.stdout, "[merge_unfilled]") || strings.Contains(r.stdout, "no_unsubscribe") || !strings.Contains(r.stdout, "no problems") {
		t.Errorf("seq validate with bounce_domain:\n%s", r.stdout)
	}
}
