package mail_test

import (
	"context"
	"io"
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
	p := mail.Compose(text, mail.Tracking{})
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
	p := mail.Compose(text, tr)
	links := mail.Links(text)
	if len(links) != 2 || links[0] != "https://a.example/x" || links[1] != "https://b.example/y" {
		t.Fatalf("Links = %q", links)
	}
	for i, l := range links {
		if got, ok := mail.LinkAt(text, i); !ok || got != l {
			t.Errorf("LinkAt(%d) = %q, %v", i, got, ok)
		}
	}
	if _, ok := mail.LinkAt(text, 2); ok {
		t.Error("LinkAt past the end found a link")
	}
	if strings.Contains(p.Text, "https://a.example/x") || strings.Count(p.Text, "https://t.example/c/abc123/0") != 2 ||
		!strings.Contains(p.Text, "https://t.example/c/abc123/1") {
		t.Errorf("text part links not rewritten: %q", p.Text)
	}
	if !strings.Contains(p.Text, "unsubscribe: https://t.example/u/abc123") {
		t.Errorf("text part has no unsubscribe line: %q", p.Text)
	}
	for _, want := range []string{
		`<a href="https://t.example/c/abc123/0">https://a.example/x</a>`,
		`<a href="https://t.example/c/abc123/1">https://b.example/y</a>`,
		`<img src="https://t.example/o/abc123.gif" width="1" height="1" alt="">`,
		`<a href="https://t.example/u/abc123">unsubscribe</a>`,
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
	p := mail.Compose("Hi Jane,\n\nhttps://example.com/pricing\n", tk)
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
	if h := r.Header.Get("List-Unsubscribe"); h != "<https://t.example/u/0123abcd>" {
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
