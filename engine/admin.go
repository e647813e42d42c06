package engine

import (
	"context"
	"fmt"
	netmail "net/mail"
	"strings"

	"github.com/pacer-sales/pacer/engine/mail"
	"github.com/pacer-sales/pacer/store"
)

// SendTestEmail sends a short email through the org's SMTP server (settings smtp_url) to
// to, from the acting user's sender address, so an admin can tell the settings work. Only
// admins may. Without smtp_url it is refused; a failing server's reply is the error.
func (e *Engine) SendTestEmail(ctx context.Context, by, to string) error {
	to = strings.TrimSpace(to)
	if _, err := netmail.ParseAddress(to); err != nil {
		return invalid("test email: %q is not an email address", clip(to, 80))
	}
	var s store.Settings
	var from string
	err := e.view(ctx, func(tx store.Tx) error {
		u, err := requireAdmin(tx, by, "send a test email")
		if err != nil {
			return err
		}
		if s, err = tx.Settings(); err != nil {
			return err
		}
		from = senderOf(u, s)
		return nil
	})
	if err != nil {
		return err
	}
	if s.SMTPURL == "" {
		return invalid("test email: no SMTP server is set (set smtp_url first)")
	}
	if from == "" {
		return invalid("test email: no sender address (set your email, your sender address or the org's from)")
	}
	tr, err := e.transportFor(s.SMTPURL)
	if err != nil {
		return fmt.Errorf("test email: %w", err)
	}
	sig, err := e.dkim(s)
	if err != nil {
		return fmt.Errorf("test email: %w", err)
	}
	now := e.clock.Now()
	err = tr.Send(ctx, mail.Email{
		MessageID: mail.MessageID("test/"+by+"/"+now.Format("20060102T150405.000000000"), ""),
		From:      from, To: to, Date: now, DKIM: sig,
		Subject: "pacer test email",
		Body:    "This is a test email from pacer, sent by " + by + " to check the SMTP settings.\n",
	})
	if err != nil {
		return fmt.Errorf("test email to %s: %w", to, err)
	}
	return nil
}
