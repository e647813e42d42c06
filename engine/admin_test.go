package engine_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/pacer-sales/pacer/engine"
	"github.com/pacer-sales/pacer/engine/mail/mailtest"
	"github.com/pacer-sales/pacer/store"
)

func TestPreviewDraftTemplate(t *testing.T) {
	w := newWorld(t)
	tmpl := store.Template{Name: "draft", Kind: store.EmailTemplate, Subject: "Hi {{first_name}}", Body: "{{name}}, {{owner.name}} here."}
	subj, body, err := w.e.PreviewDraftTemplate(w.ctx, "sam", tmpl, "lead/L-1")
	must(t, err)
	if subj != "Hi Ana" || body != "Ana Lima, Sam Okafor here." {
		t.Fatalf("preview = %q / %q", subj, body)
	}
	tmpl.Body = "{{nope}}"
	_, _, err = w.e.PreviewDraftTemplate(w.ctx, "sam", tmpl, "lead/L-1")
	wantMsg(t, err, engine.ErrInvalid, "{{nope}}")
	_, _, err = w.e.PreviewDraftTemplate(w.ctx, "sam", tmpl, "lead/NOPE")
	wantMsg(t, err, engine.ErrInvalid, "no record lead/NOPE")
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
