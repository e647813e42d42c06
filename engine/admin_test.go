package engine_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/pacer-sales/pacer/engine"
	"github.com/pacer-sales/pacer/engine/mail/mailtest"
	"github.com/pacer-sales/pacer/store"
)

// One preview serves the saved template (by name) and a draft as edited: both parts, the
// HTML from the template's own HTML body with merged values escaped.
func TestPreviewTemplate(t *testing.T) {
	w := newWorld(t)
	tmpl := store.Template{Name: "draft", Kind: store.EmailTemplate, Subject: "Hi {{first_name}}", Body: "{{name}}, {{owner.name}} here."}
	p, err := w.e.PreviewTemplate(w.ctx, "sam", tmpl, "lead/L-1")
	must(t, err)
	if p.Subject != "Hi Ana" || p.Text != "Ana Lima, Sam Okafor here." || !strings.Contains(p.HTML, "<p>Ana Lima, Sam Okafor here.</p>") {
		t.Fatalf("preview of a draft = %+v", p)
	}
	tmpl.HTML = "<p>Dear <b>{{field:title|friend}}</b></p>"
	must(t, w.e.AddTemplate(w.ctx, "ada", tmpl))
	_, err = w.e.SetRecord(w.ctx, "ada", "lead/L-1", map[string]string{"title": "<Dr.>"})
	must(t, err)
	p, err = w.e.PreviewTemplate(w.ctx, "sam", engine.Template{Name: "draft"}, "lead/L-1")
	must(t, err)
	if p.HTML != "<p>Dear <b>&lt;Dr.&gt;</b></p>" || p.Text != "Ana Lima, Sam Okafor here." {
		t.Fatalf("preview of the saved template = %+v", p)
	}
	tmpl.Body = "{{nope}}"
	_, err = w.e.PreviewTemplate(w.ctx, "sam", tmpl, "lead/L-1")
	wantMsg(t, err, engine.ErrInvalid, "{{nope}}")
	_, err = w.e.PreviewTemplate(w.ctx, "sam", tmpl, "lead/NOPE")
	wantMsg(t, err, engine.ErrInvalid, "lead/NOPE")
	_, err = w.e.PreviewTemplate(w.ctx, "sam", engine.Template{Name: "gone"}, "lead/L-1")
	wantMsg(t, err, engine.ErrInvalid, `no template "gone"`)
}

func TestSendTestEmail(t *testing.T) {
	w := newWorld(t)
	err := w.e.SendTestEmail(w.ctx, "ada", "ops@example.com")
	wantMsg(t, err, engine.ErrInvalid, "smtp_url")
	srv := mailtest.Start(t)
	must(t, w.e.SetSetting(w.ctx, "ada", "smtp_url", srv.URL()))
	wantErr(t, w.e.SendTestEmail(w.ctx, "sam", "ops@example.com"), engine.ErrForbidden)
	wantMsg(t, w.e.SendTestEmail(w.ctx, "ada", "not an address"), engine.ErrInvalid, "not an email address")

	srv.FailNext(1, 550)
	if err := w.e.SendTestEmail(w.ctx, "ada", "ops@example.com"); err == nil || !strings.Contains(err.Error(), "550") {
		t.Fatalf("refused send: %v", err)
	}
	must(t, w.e.SendTestEmail(w.ctx, "ada", "ops@example.com"))
	msgs := srv.Messages()
	if len(msgs) != 1 || !slices.Equal(msgs[0].To, []string{"ops@example.com"}) || msgs[0].Subject != "pacer test email" {
		t.Fatalf("server got %+v", msgs)
	}
}
