package mail_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pacer-sales/pacer/engine/mail"
)

const pacerID = "<0123456789abcdef0123456789abcdef@pacer.local>"

func readFixture(t testing.TB, name string) mail.Inbound {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	in, err := mail.ReadInbound(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return in
}

func TestReadInboundReply(t *testing.T) {
	in := readFixture(t, "reply.eml")
	if in.From != "jane@example.org" || in.Subject != "Re: Hello" || in.Auto || in.Report != nil {
		t.Fatalf("reply read as %+v", in)
	}
	if strings.Join(in.Refs, " ") != pacerID+" <older@example.org>" {
		t.Errorf("Refs = %q", in.Refs)
	}
}

// Automatic replies are told by their headers (Auto-Submitted other than no, X-Autoreply,
// X-Autorespond) or an out-of-office subject; Auto-Submitted: no is a person's reply.
func TestReadInboundAutoReplies(t *testing.T) {
	for _, c := range []struct {
		file string
		auto bool
		why  string
	}{
		{"ooo.eml", true, "subject"},
		{"autosubmitted.eml", true, "Auto-Submitted: auto-replied"},
		{"x-autoreply.eml", true, "X-Autoreply"},
		{"x-autorespond.eml", true, "X-Autorespond"},
		{"autosubmitted-no.eml", false, ""},
	} {
		in := readFixture(t, c.file)
		if in.Auto != c.auto || in.Why != c.why || in.Report != nil {
			t.Errorf("%s: Auto %v (%q), report %v; want Auto %v (%q)", c.file, in.Auto, in.Why, in.Report, c.auto, c.why)
		}
		if len(in.Refs) != 1 || in.Refs[0] != pacerID {
			t.Errorf("%s: Refs %q", c.file, in.Refs)
		}
		if !c.auto && in.Text != "" {
			t.Errorf("%s: a real reply's text was read for a return date: %q", c.file, in.Text)
		}
	}
}

func TestReadInboundDSN(t *testing.T) {
	hard := readFixture(t, "dsn-hard.eml")
	if hard.Report == nil {
		t.Fatal("no report in dsn-hard.eml")
	}
	if hard.Report.OriginalMessageID != pacerID || len(hard.Report.Recipients) != 1 {
		t.Fatalf("report %+v", hard.Report)
	}
	r := hard.Report.Recipients[0]
	if r.Recipient != "jane@example.org" || r.Action != "failed" || r.Status != "5.1.1" || !r.Hard() ||
		r.Diagnostic != "550 5.1.1 <jane@example.org>: Recipient address rejected: User unknown" {
		t.Errorf("recipient %+v", r)
	}
	soft := readFixture(t, "dsn-soft.eml").Report
	if soft == nil || len(soft.Recipients) != 1 || soft.Recipients[0].Hard() || !soft.Recipients[0].Failed() || soft.Recipients[0].Status != "4.2.2" {
		t.Errorf("soft report %+v", soft)
	}
}

// TestParseDSNDropsControls: a remote server's words come without escape sequences.
func TestParseDSNDropsControls(t *testing.T) {
	d, err := mail.ParseDSN([]byte("Reporting-MTA: dns; x\n\nFinal-Recipient: rfc822; a@example.org\nAction: failed\n" +
		"Status: 5.1.1\x1b[2J\nDiagnostic-Code: smtp; 550 gone\x1b]0;owned\x07 away\u009b31m\xff\n"))
	if err != nil || len(d.Recipients) != 1 {
		t.Fatalf("ParseDSN: %+v, %v", d, err)
	}
	r := d.Recipients[0]
	if strings.ContainsFunc(r.Status+r.Diagnostic, func(c rune) bool { return c < 0x20 || (c >= 0x7f && c < 0xa0) }) {
		t.Fatalf("controls kept: status %q, diagnostic %q", r.Status, r.Diagnostic)
	}
	if r.Diagnostic != "550 gone ]0;owned  away 31m\uFFFD" || !r.Hard() {
		t.Errorf("diagnostic %q, hard %v", r.Diagnostic, r.Hard())
	}
}

func TestParseDSNRefusesNoRecipient(t *testing.T) {
	for _, body := range []string{"", "Reporting-MTA: dns; x\n", "Reporting-MTA: dns; x\n\nFinal-Recipient: rfc822; a@b\n", "Action: failed\n"} {
		if _, err := mail.ParseDSN([]byte(body)); err == nil {
			t.Errorf("ParseDSN(%q) read a recipient", body)
		}
	}
}

func TestReferences(t *testing.T) {
	got := mail.References("<a@x> junk", "<b@x> <A@x>\n\t<c@x> <not an id> <@> <d@>")
	if strings.Join(got, " ") != "<a@x> <c@x> <b@x>" {
		t.Errorf("References = %q", got)
	}
	if got := mail.References("", strings.Repeat("<a@b> <c@d> ", 1000)); len(got) != 2 {
		t.Errorf("References of repeats = %d ids", len(got))
	}
}

// fixtures are the seeds of the fuzz targets.
func fixtures(f *testing.F) [][]byte {
	names, err := filepath.Glob(filepath.Join("testdata", "*.eml"))
	if err != nil || len(names) == 0 {
		f.Fatalf("no fixtures: %v", err)
	}
	var out [][]byte
	for _, n := range names {
		b, err := os.ReadFile(n)
		if err != nil {
			f.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}

// FuzzParseDSN: any delivery-status text is read without panicking, and what is read holds
// the invariants of a recipient.
func FuzzParseDSN(f *testing.F) {
	for _, b := range fixtures(f) {
		if i := bytes.Index(b, []byte("Reporting-MTA")); i >= 0 {
			f.Add(b[i:])
		}
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		dsn, err := mail.ParseDSN(body)
		if err != nil {
			return
		}
		if len(dsn.Recipients) == 0 || len(dsn.Recipients) > 100 {
			t.Fatalf("%d recipients", len(dsn.Recipients))
		}
		for _, r := range dsn.Recipients {
			if r.Recipient == "" || r.Action == "" || len(r.Diagnostic) > 1000 || !strings.Contains(r.Recipient, "@") {
				t.Fatalf("recipient %+v", r)
			}
		}
	})
}

// FuzzReadInbound: any message, a reply's headers included, is read without panicking;
// its references are msg-ids, each once.
func FuzzReadInbound(f *testing.F) {
	for _, b := range fixtures(f) {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, msg []byte) {
		in, err := mail.ReadInbound(bytes.NewReader(msg))
		if err != nil {
			return
		}
		seen := map[string]bool{}
		for _, id := range in.Refs {
			if !strings.HasPrefix(id, "<") || !strings.HasSuffix(id, ">") || !strings.Contains(id, "@") || seen[strings.ToLower(id)] {
				t.Fatalf("Refs %q", in.Refs)
			}
			seen[strings.ToLower(id)] = true
		}
		if len(in.Refs) > 100 {
			t.Fatalf("%d refs", len(in.Refs))
		}
	})
}
