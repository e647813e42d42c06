package mail_test

import (
	"context"
	"io"
	"slices"
	"strings"
	"testing"

	gomessage "github.com/emersion/go-message"
	_ "github.com/emersion/go-message/charset"

	"github.com/pacer-sales/pacer/engine/mail"
	"github.com/pacer-sales/pacer/engine/mail/mailtest"
	"github.com/pacer-sales/pacer/store"
)

func TestComposeWithoutTracking(t *testing.T) {
	text := "Hi <b>Jane</b> & co,\n\nSee https://example.com/a?x=1&y=2.\nThanks\n\n\nAda"
	p := mail.Compose(text, "", mail.Tracking{})
	if p.Text != text {
		t.Errorf("text part = %q, want the body unchanged", p.Text)
	}
	for _, want := range []string{
		"<p>Hi &lt;b&gt;Jane&lt;/b&gt; &amp; co,</p>",
		`<p>See <a href="https://example.com/a?x=1&amp;y=2">https://example.com/a?x=1&amp;y=2</a>.<br>` + "\nThanks</p>",
		"<p>Ada</p>",
	} {
		if !strings.Contains(p.HTML, want) {
			t.Errorf("HTML part lacks %q:\n%s", want, p.HTML)
		}
	}
	if strings.Contains(p.HTML, "<b>") || strings.Contains(p.HTML, "<img") || strings.Contains(p.HTML, "unsubscribe") {
		t.Errorf("HTML part has markup from the text, a pixel or an unsubscribe line:\n%s", p.HTML)
	}
}

func TestComposeTracked(t *testing.T) {
	text := "Read https://a.example/x, then https://b.example/y and again https://a.example/x."
	tr := mail.Tracking{BaseURL: "https://t.example", ID: "abc123"}
	p := mail.Compose(text, "", tr)
	links := mail.Links(text, "")
	if len(links) != 2 || links[0] != "https://a.example/x" || links[1] != "https://b.example/y" {
		t.Fatalf("Links = %q", links)
	}
	for i, l := range links {
		if got, ok := mail.LinkAt(text, "", i); !ok || got != l {
			t.Errorf("LinkAt(%d) = %q, %v", i, got, ok)
		}
	}
	if _, ok := mail.LinkAt(text, "", 2); ok {
		t.Error("LinkAt past the end found a link")
	}
	if strings.Contains(p.Text, "https://a.example/x") || strings.Count(p.Text, "https://t.example/t/click/abc123/0") != 2 ||
		!strings.Contains(p.Text, "https://t.example/t/click/abc123/1") {
		t.Errorf("text part links not rewritten: %q", p.Text)
	}
	if !strings.Contains(p.Text, "unsubscribe: https://t.example/t/unsub/abc123") {
		t.Errorf("text part has no unsubscribe line: %q", p.Text)
	}
	for _, want := range []string{
		`<a href="https://t.example/t/click/abc123/0">https://a.example/x</a>`,
		`<a href="https://t.example/t/click/abc123/1">https://b.example/y</a>`,
		`<img src="https://t.example/t/open/abc123.gif" width="1" height="1" alt="">`,
		`<a href="https://t.example/t/unsub/abc123">unsubscribe</a>`,
	} {
		if !strings.Contains(p.HTML, want) {
			t.Errorf("HTML part lacks %q:\n%s", want, p.HTML)
		}
	}
	if !tr.OneClick() || (mail.Tracking{BaseURL: "http://t.example"}).OneClick() {
		t.Error("OneClick should hold for https only")
	}
}

func TestTrackingID(t *testing.T) {
	for in, want := range map[string]string{"<ABC@x.y>": "abc", "abc@x": "abc", "abc": "abc", " <a@b> ": "a"} {
		if got := mail.TrackingID(in); got != want {
			t.Errorf("TrackingID(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestFallbacksAndMissing(t *testing.T) {
	tp := store.Template{Name: "t", Subject: "A quicker way for {{field:company|your team}}",
		Body: "Hi {{first_name|there}}, {{field:city}} {{field:city}} {{ field : zip }}"}
	c, err := mail.Compile(tp)
	if err != nil {
		t.Fatal(err)
	}
	r := c.Fill(store.Record{Fields: map[string]any{"company": "  "}}, store.User{Username: "ada"})
	if r.Subject != "A quicker way for your team" || r.Body != "Hi there,   " {
		t.Errorf("Fill = %q / %q", r.Subject, r.Body)
	}
	if strings.Join(r.Missing, ",") != "{{field:city}},{{field:zip}}" {
		t.Errorf("Missing = %q", r.Missing)
	}
	r = c.Fill(store.Record{Name: "Jane Doe", Fields: map[string]any{"company": "Acme", "city": "Oslo", "zip": 1.0}}, store.User{})
	if r.Subject != "A quicker way for Acme" || r.Body != "Hi Jane, Oslo Oslo 1" || r.Missing != nil {
		t.Errorf("Fill with values = %q / %q / %q", r.Subject, r.Body, r.Missing)
	}
	if got := mail.Unfallbacked(tp); strings.Join(got, ",") != "{{field:city}},{{field:zip}}" {
		t.Errorf("Unfallbacked = %q", got)
	}
	if err := mail.Check(store.Template{Body: "{{name|a{b}}"}); err == nil {
		t.Error("a fallback with a brace was accepted")
	}
}

func TestSendMultipartWithUnsubscribe(t *testing.T) {
	srv := mailtest.Start(t)
	tr := newSMTP(t, srv.URL())
	tk := mail.Tracking{BaseURL: "https://t.example", ID: "0123abcd"}
	p := mail.Compose("Hi Jane,\n\nhttps://example.com/pricing\n", "", tk)
	err := tr.Send(context.Background(), mail.Email{
		MessageID: "<0123abcd@pacer.local>", From: "ada@example.com", To: "jane@example.org", Subject: "Hello",
		Body: p.Text, HTML: p.HTML, Unsubscribe: tk.UnsubscribeURL(), OneClick: tk.OneClick(),
		EnvelopeFrom: "bounce+0123abcd@bounces.example.com",
	})
	if err != nil {
		t.Fatal(err)
	}
	got := srv.Messages()
	if len(got) != 1 {
		t.Fatalf("%d messages", len(got))
	}
	r := got[0]
	if r.From != "bounce+0123abcd@bounces.example.com" {
		t.Errorf("envelope sender %q", r.From)
	}
	if h := r.Header.Get("List-Unsubscribe"); h != "<https://t.example/t/unsub/0123abcd>" {
		t.Errorf("List-Unsubscribe %q", h)
	}
	if h := r.Header.Get("List-Unsubscribe-Post"); h != "List-Unsubscribe=One-Click" {
		t.Errorf("List-Unsubscribe-Post %q", h)
	}
	ent, err := gomessage.Read(strings.NewReader(string(r.Data)))
	if err != nil {
		t.Fatal(err)
	}
	mr := ent.MultipartReader()
	if mr == nil {
		t.Fatalf("not multipart: %s", ent.Header.Get("Content-Type"))
	}
	parts := map[string]string{}
	for {
		pt, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		ct, _, _ := pt.Header.ContentType()
		b, _ := io.ReadAll(pt.Body)
		parts[ct] = strings.ReplaceAll(string(b), "\r\n", "\n")
	}
	if strings.TrimRight(parts["text/plain"], "\n") != strings.TrimRight(p.Text, "\n") {
		t.Errorf("text part %q, want %q", parts["text/plain"], p.Text)
	}
	if strings.TrimRight(parts["text/html"], "\n") != strings.TrimRight(p.HTML, "\n") {
		t.Errorf("html part %q, want %q", parts["text/html"], p.HTML)
	}
	if ct, _, _ := ent.Header.ContentType(); ct != "multipart/alternative" {
		t.Errorf("Content-Type %q", ct)
	}
}

// A template's own HTML body is the HTML part: merged values escaped, links of both parts
// numbered in one list and rewritten, the unsubscribe line and pixel before </body>.
func TestComposeOwnHTML(t *testing.T) {
	tp := store.Template{
		Name: "styled", Subject: "Hi", Body: "Hi {{first_name}}, see https://example.com/a",
		HTML: `<html><body><p>Hi <b>{{first_name}}</b>, from {{field:company|us}}</p>` +
			`<a href="https://example.com/a">a</a> <a class=x href='https://example.com/b?x=1&amp;y=2'>b</a> ` +
			`<a href="mailto:ada@example.com">mail</a></body></html>`,
	}
	c, err := mail.Compile(tp)
	if err != nil {
		t.Fatal(err)
	}
	rec := store.Record{Name: `<script>x</script> Lee`, Fields: map[string]any{"company": `"Acme" & Co`}}
	r := c.Fill(rec, store.User{})
	if strings.Contains(r.HTML, "<script>") || !strings.Contains(r.HTML, "<b>&lt;script&gt;x&lt;/script&gt;</b>") ||
		!strings.Contains(r.HTML, "&#34;Acme&#34; &amp; Co") {
		t.Errorf("merged values not escaped in the HTML body: %s", r.HTML)
	}
	if !strings.HasPrefix(r.Body, "Hi <script>x</script>,") {
		t.Errorf("the text body is escaped: %q", r.Body)
	}
	want := []string{"https://example.com/a", "https://example.com/b?x=1&y=2"}
	if got := mail.Links(r.Body, r.HTML); !slices.Equal(got, want) {
		t.Errorf("Links = %q, want %q", got, want)
	}
	tk := mail.Tracking{BaseURL: "https://t.example", ID: "abc"}
	p := mail.Compose(r.Body, r.HTML, tk)
	for _, s := range []string{`href="https://t.example/t/click/abc/0"`, `class=x href="https://t.example/t/click/abc/1"`,
		`href="mailto:ada@example.com"`, `src="https://t.example/t/open/abc.gif"`, `https://t.example/t/unsub/abc`} {
		if !strings.Contains(p.HTML, s) {
			t.Errorf("HTML part lacks %s:\n%s", s, p.HTML)
		}
	}
	if strings.Contains(p.HTML, "example.com/b") || strings.Contains(p.HTML, `"https://example.com/a"`) {
		t.Errorf("a link was not rewritten:\n%s", p.HTML)
	}
	if i, j := strings.Index(p.HTML, "/t/open/"), strings.Index(p.HTML, "</body>"); i < 0 || j < i {
		t.Errorf("the pixel is not before </body>:\n%s", p.HTML)
	}
	if !strings.Contains(p.Text, "https://t.example/t/click/abc/0") || !strings.Contains(p.Text, "unsubscribe: https://t.example/t/unsub/abc") {
		t.Errorf("text part: %q", p.Text)
	}
	// Without tracking the HTML is the template's as rendered; without </body> the trailer
	// is appended.
	if got := mail.Compose(r.Body, r.HTML, mail.Tracking{}).HTML; got != r.HTML {
		t.Errorf("untracked HTML part changed: %s", got)
	}
	if got := mail.Compose("x", "<p>bare</p>", tk).HTML; !strings.HasPrefix(got, "<p>bare</p>\n") || !strings.Contains(got, "/t/open/abc.gif") {
		t.Errorf("HTML without a body element: %s", got)
	}
	if l, ok := mail.LinkAt(r.Body, r.HTML, 1); !ok || l != want[1] {
		t.Errorf("LinkAt(1) = %q, %v", l, ok)
	}
	// A placeholder problem of the HTML body names it; its missing fields count.
	err = mail.Check(store.Template{Body: "x", HTML: "<p>\n{{nope}}</p>"})
	if err == nil || !strings.Contains(err.Error(), "HTML body line 2") {
		t.Errorf("Check of a bad HTML placeholder: %v", err)
	}
	c, _ = mail.Compile(store.Template{Body: "x", HTML: "<p>{{field:city}}</p>"})
	if got := c.Fill(store.Record{}, store.User{}).Missing; !slices.Equal(got, []string{"{{field:city}}"}) {
		t.Errorf("Missing of the HTML body = %q", got)
	}
}

// Without tracking but with an unsubscribe address, both parts end with an unsubscribe
// line naming it (a mailto in the HTML part); links stay as they are and there is no pixel,
// in an HTML part made from the text and in one of the template's own.
func TestComposeUnsubscribeAddress(t *testing.T) {
	addr := mail.UnsubscribeAddress("<ABC123@pacer.example>", "bounces.example.com")
	if addr != "unsubscribe+abc123@bounces.example.com" {
		t.Fatalf("UnsubscribeAddress = %q", addr)
	}
	if id, ok := mail.FromUnsubscribeAddress("Unsubscribe+ABC123@bounces.example.com"); !ok || id != "abc123" {
		t.Errorf("FromUnsubscribeAddress = %q, %v", id, ok)
	}
	for _, a := range []string{"bounce+abc123@bounces.example.com", "unsubscribe+@x", "unsubscribe+abc"} {
		if _, ok := mail.FromUnsubscribeAddress(a); ok {
			t.Errorf("FromUnsubscribeAddress(%q) took it", a)
		}
	}
	tk := mail.Tracking{ID: "abc123", Address: addr}
	p := mail.Compose("See https://example.com/a.", "", tk)
	if want := "See https://example.com/a.\n\n--\nTo stop receiving these emails, write to " + addr + "\n"; p.Text != want {
		t.Errorf("text part %q, want %q", p.Text, want)
	}
	own := mail.Compose("x", `<html><body><a href="https://example.com/b">b</a></body></html>`, tk)
	for _, h := range []string{p.HTML, own.HTML} {
		if !strings.Contains(h, `<a href="mailto:`+addr+`">unsubscribe</a>`) || strings.Contains(h, "<img") || strings.Contains(h, "/t/click/") {
			t.Errorf("HTML part:\n%s", h)
		}
	}
	if !strings.Contains(own.HTML, `<a href="https://example.com/b">b</a>`) || !strings.HasSuffix(strings.TrimSpace(own.HTML), "</body></html>") {
		t.Errorf("own HTML part:\n%s", own.HTML)
	}
}
