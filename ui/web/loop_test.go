package web

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pacer-sales/pacer/engine"
	"github.com/pacer-sales/pacer/engine/mail"
	"github.com/pacer-sales/pacer/engine/mail/mailtest"
	"github.com/pacer-sales/pacer/engine/sequence"
	"github.com/pacer-sales/pacer/internal/imaptest"
	"github.com/pacer-sales/pacer/store/bolt"
)

const loopSeq = `
name: Loop
options: {send_window: any}
steps:
  - type: auto_email
    id: hello
    template: intro
  - type: condition
    id: clicked
    if: link_clicked
    within: 2d
    yes:
      - type: auto_email
        id: second
        template: intro
      - type: condition
        id: replied
        if: email_replied
        within: 2d
        yes: [{type: task, id: yes-replied}]
        no: [{type: task, id: no-reply}]
    no: [{type: task, id: not-clicked}]
`

const exitSeq = `
name: Exit
options: {exit_on_reply: true, send_window: any}
steps:
  - type: auto_email
    id: note
    template: intro
  - type: task
    id: follow-up
`

// loopOrg is an org sending through a real SMTP server, watching a real IMAP mailbox, with
// the HTTP endpoints on an https server on 127.0.0.1.
type loopOrg struct {
	eng  *engine.Engine
	smtp *mailtest.Server
	imap *imaptest.Server
	web  *httptest.Server
}

func newLoopOrg(t *testing.T) *loopOrg {
	t.Helper()
	ctx := context.Background()
	db, err := bolt.Open(filepath.Join(t.TempDir(), "pacer.db"), bolt.Options{NoSync: true})
	must(t, err)
	t.Cleanup(func() { db.Close() })
	o := &loopOrg{eng: engine.New(db, nil), smtp: mailtest.Start(t), imap: imaptest.Start(t)}
	o.web = httptest.NewTLSServer(Handler(o.eng, Options{As: "ada"}))
	t.Cleanup(o.web.Close)
	e := o.eng
	must(t, e.AddUser(ctx, "", engine.User{Username: "ada", Roles: []engine.Role{engine.RoleAdmin}, Email: "ada@example.com"}))
	must(t, e.AddTemplate(ctx, "ada", engine.Template{Name: "intro", Subject: "Hello {{first_name}}",
		Body: "Hi {{first_name}},\n\nour prices: https://example.com/pricing?a=1&b=2\n\nAda"}))
	_, err = e.ImportRecords(ctx, "ada", "leads.csv", strings.NewReader("id,name,owner,email\n"+
		"L-1,Ana Lima,ada,ana@example.com\nL-2,Bo Chen,ada,bo@example.com\nL-3,Cy Diaz,ada,cy@example.com\nL-4,Dee Eng,ada,dee@example.com\n"), "lead")
	must(t, err)
	for _, src := range []string{loopSeq, exitSeq} {
		def, err := sequence.Parse([]byte(src), "test.yaml")
		must(t, err)
		_, err = e.ImportSequence(ctx, "ada", def, engine.SaveOptions{Activate: true})
		must(t, err)
	}
	for k, v := range map[string]string{"smtp_url": o.smtp.URL(), "tracking_url": o.web.URL, "bounce_domain": "bounces.example.com"} {
		must(t, e.SetSetting(ctx, "ada", k, v))
	}
	return o
}

func (o *loopOrg) tick(t *testing.T) {
	t.Helper()
	_, err := o.eng.Tick(context.Background())
	must(t, err)
}

// conn returns a record's connection to a sequence: current step, state, reason, history.
func (o *loopOrg) conn(t *testing.T, ref, seq string) engine.ConnView {
	t.Helper()
	v, err := o.eng.RecordDetail(context.Background(), "ada", ref)
	must(t, err)
	for i := len(v.Connections) - 1; i >= 0; i-- {
		if v.Connections[i].Sequence == seq {
			return v.Connections[i]
		}
	}
	t.Fatalf("%s has no connection to %s", ref, seq)
	return engine.ConnView{}
}

// sentTo returns the messages the SMTP server got for an address.
func (o *loopOrg) sentTo(addr string) []mailtest.Received {
	var out []mailtest.Received
	for _, r := range o.smtp.Messages() {
		if len(r.To) == 1 && r.To[0] == addr {
			out = append(out, r)
		}
	}
	return out
}

// readMailbox handles what is new in the IMAP mailbox.
func (o *loopOrg) readMailbox(t *testing.T) []engine.WatchReport {
	t.Helper()
	ctx := context.Background()
	conn, validity, err := mail.DialIMAP(ctx, o.imap.URL())
	must(t, err)
	defer conn.Close()
	var reps []engine.WatchReport
	_, err = o.eng.ReadMailbox(ctx, conn, mail.MailboxName(o.imap.URL()), validity, func(r engine.WatchReport) { reps = append(reps, r) })
	must(t, err)
	return reps
}

func (o *loopOrg) fetch(t *testing.T, method, url, body string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	must(t, err)
	if body != "" {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	client := o.web.Client()
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	res, err := client.Do(req)
	must(t, err)
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, string(b)
}

func replyMail(from, inReplyTo, subject, extra string) []byte {
	return []byte(fmt.Sprintf("From: %s\r\nTo: ada@example.com\r\nSubject: %s\r\nMessage-ID: <r%d@example.org>\r\nIn-Reply-To: %s\r\n%s\r\nThanks!\r\n",
		from, subject, time.Now().UnixNano(), inReplyTo, extra))
}

var hrefRE = regexp.MustCompile(`href="([^"]+)"`)

// The loop end to end: an automated email goes out multipart with the pixel, tracked links
// and both unsubscribe headers; the pixel and a click record their events and move the
// record down Yes; a reply found in the mailbox takes email_replied to Yes, and with
// exit_on_reply disconnects; an out-of-office reply does neither; a bounce notification
// disconnects with bounced and blocks later sends; a one-click unsubscribe stops every
// later automated email to the address.
func TestLoopEndToEnd(t *testing.T) {
	o := newLoopOrg(t)
	ctx := context.Background()
	_, err := o.eng.Connect(ctx, "ada", "Loop", []string{"lead/L-1", "lead/L-3", "lead/L-4"})
	must(t, err)
	_, err = o.eng.Connect(ctx, "ada", "Exit", []string{"lead/L-2"})
	must(t, err)
	o.tick(t)

	got := o.sentTo("ana@example.com")
	if len(got) != 1 {
		t.Fatalf("ana got %d emails", len(got))
	}
	r := got[0]
	id := mail.TrackingID(r.MessageID)
	if r.From != "bounce+"+id+"@bounces.example.com" {
		t.Errorf("envelope sender %q, want the VERP address", r.From)
	}
	if h := r.Header.Get("List-Unsubscribe"); h != "<"+o.web.URL+"/t/unsub/"+id+">" {
		t.Errorf("List-Unsubscribe %q", h)
	}
	if h := r.Header.Get("List-Unsubscribe-Post"); h != "List-Unsubscribe=One-Click" {
		t.Errorf("List-Unsubscribe-Post %q", h)
	}
	if !strings.Contains(r.HTML, `<img src="`+o.web.URL+`/t/open/`+id+`.gif"`) {
		t.Errorf("no pixel in the HTML part:\n%s", r.HTML)
	}
	if strings.Contains(r.HTML, `href="https://example.com`) || strings.Contains(r.Text, "https://example.com/pricing") {
		t.Errorf("a link is not rewritten:\n%s\n%s", r.Text, r.HTML)
	}
	if !strings.Contains(r.HTML, ">https://example.com/pricing?a=1&amp;b=2</a>") {
		t.Errorf("the link text is not escaped in the HTML part:\n%s", r.HTML)
	}

	// The pixel, then the click: the record moves down Yes to the second email.
	res, body := o.fetch(t, "GET", o.web.URL+"/t/open/"+id+".gif", "")
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "image/gif" || len(body) == 0 {
		t.Fatalf("pixel: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	links := hrefRE.FindAllStringSubmatch(r.HTML, -1)
	if len(links) < 1 || !strings.Contains(links[0][1], "/t/click/"+id+"/0") {
		t.Fatalf("links %q", links)
	}
	res, _ = o.fetch(t, "GET", strings.ReplaceAll(links[0][1], "&amp;", "&"), "")
	if res.StatusCode != http.StatusFound || res.Header.Get("Location") != "https://example.com/pricing?a=1&b=2" {
		t.Fatalf("click: %d to %q", res.StatusCode, res.Header.Get("Location"))
	}
	c := o.conn(t, "lead/L-1", "Loop")
	if c.CurrentStep != "second" {
		t.Fatalf("after the click lead/L-1 is at %q: %+v", c.CurrentStep, c.History)
	}
	o.tick(t)
	second := o.sentTo("ana@example.com")
	if len(second) != 2 {
		t.Fatalf("ana got %d emails, want the second", len(second))
	}

	// An out-of-office reply to the second email does nothing; a real one takes Yes.
	o.imap.Append(t, replyMail("Ana Lima <ana@example.com>", second[1].MessageID, "Out of Office: Hello Ana", ""))
	reps := o.readMailbox(t)
	if len(reps) != 1 || reps[0].Recorded != "auto_reply" {
		t.Fatalf("out-of-office read as %+v", reps)
	}
	if c := o.conn(t, "lead/L-1", "Loop"); c.CurrentStep != "replied" || c.State != "active" {
		t.Fatalf("after the out-of-office lead/L-1 is at %q (%s)", c.CurrentStep, c.State)
	}
	o.imap.Append(t, replyMail("ana@example.com", second[1].MessageID, "Re: Hello Ana", ""))
	// Bo's reply names no Message-ID: it is matched by its sender.
	o.imap.Append(t, []byte("From: bo@example.com\r\nTo: ada@example.com\r\nSubject: Re: Hello Bo\r\n\r\nYes please.\r\n"))
	// Cy's address bounces: a delivery-status notification to the VERP address.
	cyID := mail.TrackingID(o.sentTo("cy@example.com")[0].MessageID)
	o.imap.Append(t, []byte("From: MAILER-DAEMON@mx.example.org\r\nTo: bounce+"+cyID+"@bounces.example.com\r\nSubject: Undelivered\r\n"+
		"Content-Type: multipart/report; report-type=delivery-status; boundary=B\r\n\r\n--B\r\nContent-Type: text/plain\r\n\r\nFailed.\r\n"+
		"--B\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.org\r\n\r\nFinal-Recipient: rfc822; cy@example.com\r\n"+
		"Action: failed\r\nStatus: 5.1.1\r\nDiagnostic-Code: smtp; 550 5.1.1 no such user\r\n\r\n--B--\r\n"))
	reps = o.readMailbox(t)
	if len(reps) != 3 || reps[0].Recorded != "email_replied" || reps[1].Recorded != "email_replied" || reps[2].Recorded != "email_bounced" {
		t.Fatalf("mailbox read as %+v", reps)
	}
	if c := o.conn(t, "lead/L-1", "Loop"); c.CurrentStep != "yes-replied" {
		t.Errorf("after the reply lead/L-1 is at %q", c.CurrentStep)
	}
	if c := o.conn(t, "lead/L-2", "Exit"); c.State != "disconnected" || c.Reason != "replied" {
		t.Errorf("lead/L-2 after its reply: %s (%s)", c.State, c.Reason)
	}
	if c := o.conn(t, "lead/L-3", "Loop"); c.State != "disconnected" || c.Reason != "bounced" {
		t.Errorf("lead/L-3 after the bounce: %s (%s)", c.State, c.Reason)
	}
	if v, err := o.eng.RecordDetail(ctx, "ada", "lead/L-3"); err != nil || v.EmailStatus != "undeliverable" {
		t.Errorf("lead/L-3 email status %q (%v)", v.EmailStatus, err)
	}
	// Read again: nothing new, nothing recorded twice.
	if reps := o.readMailbox(t); len(reps) != 0 {
		t.Errorf("a second read handled %+v", reps)
	}

	// Dee unsubscribes with one click.
	deeID := mail.TrackingID(o.sentTo("dee@example.com")[0].MessageID)
	res, page := o.fetch(t, "GET", o.web.URL+"/t/unsub/"+deeID, "")
	if res.StatusCode != 200 || !strings.Contains(page, `method="post"`) {
		t.Fatalf("unsubscribe page: %d %s", res.StatusCode, page)
	}
	if c := o.conn(t, "lead/L-4", "Loop"); c.State != "active" {
		t.Fatalf("the GET unsubscribed: %s", c.State)
	}
	res, _ = o.fetch(t, "POST", o.web.URL+"/t/unsub/"+deeID, "List-Unsubscribe=One-Click")
	if res.StatusCode != 200 {
		t.Fatalf("one-click POST: %d", res.StatusCode)
	}
	if c := o.conn(t, "lead/L-4", "Loop"); c.State != "disconnected" || c.Reason != "unsubscribed" {
		t.Errorf("lead/L-4 after unsubscribing: %s (%s)", c.State, c.Reason)
	}
	if v, err := o.eng.RecordDetail(ctx, "ada", "lead/L-4"); err != nil || v.EmailStatus != "unsubscribed" {
		t.Errorf("lead/L-4 email status %q (%v)", v.EmailStatus, err)
	}

	// No sequence sends to Cy or Dee again.
	_, err = o.eng.Connect(ctx, "ada", "Exit", []string{"lead/L-3", "lead/L-4"})
	must(t, err)
	o.tick(t)
	if n, m := len(o.sentTo("cy@example.com")), len(o.sentTo("dee@example.com")); n != 1 || m != 1 {
		t.Errorf("after connecting them again cy got %d emails and dee %d, want 1 each", n, m)
	}
	if c := o.conn(t, "lead/L-3", "Exit"); c.Reason != "bounced" {
		t.Errorf("lead/L-3 in Exit: %s (%s)", c.State, c.Reason)
	}
	if c := o.conn(t, "lead/L-4", "Exit"); c.Reason != "unsubscribed" {
		t.Errorf("lead/L-4 in Exit: %s (%s)", c.State, c.Reason)
	}

	// The engagement numbers per email step.
	_, stats, err := o.eng.SequenceActivity(ctx, "ada", "Loop")
	must(t, err)
	steps := map[string]engine.StepStat{}
	for _, s := range stats.Steps {
		steps[s.ID] = s
	}
	hello, two := steps["hello"], steps["second"]
	if hello.Sent != 3 || hello.Opened != 1 || hello.Clicked != 1 || hello.Bounced != 1 || hello.Unsubscribed != 1 || hello.Sent == 0 ||
		hello.Rates.Clicked != 1.0/3 || hello.Rates.Bounced != 1.0/3 {
		t.Errorf("hello stats %+v rates %+v", hello, hello.Rates)
	}
	if two.Sent != 1 || two.Replied != 1 || two.AutoReplied != 1 || two.Sent == 0 || two.Rates.Replied != 1 {
		t.Errorf("second stats %+v", two)
	}
	if !strings.Contains(stats.OpensNote, "soft signal") {
		t.Errorf("opens note %q", stats.OpensNote)
	}
}

// A click redirect goes only to a link the stored email holds: crafted ids, link numbers
// and query strings get a plain page, never a redirect elsewhere.
func TestClickNoOpenRedirect(t *testing.T) {
	o := newLoopOrg(t)
	_, err := o.eng.Connect(context.Background(), "ada", "Loop", []string{"lead/L-1"})
	must(t, err)
	o.tick(t)
	id := mail.TrackingID(o.sentTo("ana@example.com")[0].MessageID)
	for _, path := range []string{
		"/t/click/" + id + "/1",
		"/t/click/" + id + "/-1",
		"/t/click/" + id + "/99999999999999999999",
		"/t/click/" + strings.Repeat("0", 32) + "/0",
		"/t/click/" + id[:31] + "/0",
		"/t/click/" + id + "x/0",
		"/t/click/evil.example.com/0",
		"/t/click/" + id + "/0/../../https:%2F%2Fevil.example.com",
	} {
		res, _ := o.fetch(t, "GET", o.web.URL+path, "")
		if loc := res.Header.Get("Location"); res.StatusCode == http.StatusFound || (loc != "" && !strings.HasPrefix(loc, "/")) {
			t.Errorf("%s: %d to %q", path, res.StatusCode, loc)
		}
	}
	res, _ := o.fetch(t, "GET", o.web.URL+"/t/click/"+id+"/0?url=https://evil.example.com&next=//evil.example.com", "")
	if res.StatusCode != http.StatusFound || res.Header.Get("Location") != "https://example.com/pricing?a=1&b=2" {
		t.Errorf("a query string changed the redirect: %d to %q", res.StatusCode, res.Header.Get("Location"))
	}
}
