package engine

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/pacer-sales/pacer/engine/flow"
	"github.com/pacer-sales/pacer/engine/limits"
	"github.com/pacer-sales/pacer/engine/mail"
	"github.com/pacer-sales/pacer/engine/sequence"
	"github.com/pacer-sales/pacer/store"
)

// WatchReport says what the mail watcher did with one message of the mailbox.
type WatchReport struct {
	UID uint32 `json:"uid"`
	// Recorded is the event recorded (email_replied, auto_reply, email_bounced), "" when the
	// message belongs to no email of pacer's.
	Recorded  string `json:"recorded,omitempty"`
	MessageID string `json:"message_id,omitempty"`
	Note      string `json:"note,omitempty"`
}

// DefaultPoll is how often the mail watcher looks at a mailbox whose server does not
// announce new mail (no IDLE), and at most how long it trusts IDLE alone.
const DefaultPoll = time.Minute

// replyWindow is how far back a sender's latest email is matched to a reply that names no
// Message-ID of pacer's.
const replyWindow = 60 * 24 * time.Hour

// WatchMailbox watches an IMAP mailbox (SPEC §12) until ctx ends: every new message is
// matched to the email of pacer's it answers (In-Reply-To/References, else the sender's
// latest email of an active connection) and recorded as email_replied, as auto_reply for
// automatic replies, or, for a delivery-status notification, as email_bounced. The
// mailbox's UIDVALIDITY and the last UID handled are kept in the database in the same
// transaction as the message's event, so a watcher killed at any moment and started again
// misses nothing and records nothing twice. It waits with IDLE, polling every poll behind
// it, and reconnects after a failure. report, when set, gets each message handled.
func (e *Engine) WatchMailbox(ctx context.Context, rawURL string, poll time.Duration, report func(WatchReport)) error {
	if poll <= 0 {
		poll = DefaultPoll
	}
	name := mail.MailboxName(rawURL)
	for ctx.Err() == nil {
		err := e.watchOnce(ctx, rawURL, name, poll, report)
		if ctx.Err() != nil {
			return nil
		}
		if report != nil && err != nil {
			report(WatchReport{Note: "mailbox " + name + ": " + err.Error()})
		}
		select {
		case <-ctx.Done():
		case <-time.After(poll):
		}
	}
	return nil
}

// watchOnce runs one connection to the mailbox until it fails or ctx ends.
func (e *Engine) watchOnce(ctx context.Context, rawURL, name string, poll time.Duration, report func(WatchReport)) error {
	conn, validity, err := mail.DialIMAP(ctx, rawURL)
	if err != nil {
		return err
	}
	defer conn.Close()
	for {
		n, err := e.ReadMailbox(ctx, conn, name, validity, report)
		if err != nil {
			return err
		}
		if n > 0 {
			continue // there may be more
		}
		if err := conn.Wait(ctx, poll); err != nil || ctx.Err() != nil {
			return err
		}
	}
}

// fetchBatch is how many messages one read of the mailbox handles.
const fetchBatch = 50

// ReadMailbox handles the messages of a selected mailbox after the position kept for it,
// one transaction per message, and returns how many it handled.
func (e *Engine) ReadMailbox(ctx context.Context, conn *mail.IMAPConn, name string, validity uint32, report func(WatchReport)) (int, error) {
	var pos store.MailboxPos
	if err := e.view(ctx, func(tx store.Tx) (err error) {
		pos, err = tx.MailboxPos(name)
		if errors.Is(err, store.ErrNotFound) {
			pos, err = store.MailboxPos{Name: name}, nil
		}
		return err
	}); err != nil {
		return 0, err
	}
	if pos.UIDValidity != validity {
		// A new mailbox, or the server renumbered it: read it all again; events already
		// recorded are not recorded twice.
		pos = store.MailboxPos{Name: name, UIDValidity: validity}
	}
	msgs, err := conn.FetchAfter(ctx, pos.LastUID, fetchBatch, limits.InboundMail)
	if err != nil {
		return 0, err
	}
	for _, m := range msgs {
		pos.LastUID = m.UID
		var rep WatchReport
		err := e.update(ctx, func(tx store.Tx) error {
			// Another node may have handled it meanwhile (while the lead moved): the
			// position, read again here (locked on a shared database), says so.
			if cur, err := tx.MailboxPos(name); err == nil && cur.UIDValidity == validity && cur.LastUID >= m.UID {
				rep = WatchReport{Note: "handled already"}
				return nil
			} else if err != nil && !errors.Is(err, store.ErrNotFound) {
				return err
			}
			var err error
			rep, err = e.inbound(tx, m.Data)
			if err != nil {
				return err
			}
			return tx.PutMailboxPos(pos)
		})
		if err != nil {
			return 0, fmt.Errorf("message UID %d: %w", m.UID, err)
		}
		rep.UID = m.UID
		if report != nil {
			report(rep)
		}
	}
	return len(msgs), nil
}

// inbound records what one message of a watched mailbox says, in tx.
func (e *Engine) inbound(tx store.Tx, data []byte) (WatchReport, error) {
	in, err := mail.ReadInbound(bytes.NewReader(data))
	if err != nil {
		return WatchReport{Note: err.Error()}, nil // not mail: skipped, never retried
	}
	now := e.clock.Now()
	if in.Report != nil {
		return e.inboundReport(tx, in, now)
	}
	if rep, ok, err := e.inboundUnsubscribe(tx, in); ok || err != nil {
		return rep, err
	}
	m, ok, err := e.repliedTo(tx, in, now)
	if err != nil || !ok {
		return WatchReport{Note: "no email of pacer's matches"}, err
	}
	kind := sequence.EmailReplied
	note := ""
	if in.Auto {
		kind, note = flow.AutoReply, "automatic reply ("+in.Why+")"
	}
	if err := e.messageEvent(tx, m, kind, note, now); err != nil && !errors.Is(err, ErrInvalid) {
		return WatchReport{}, err
	}
	if in.Auto {
		paused, err := e.pauseUntilBack(tx, m, in, now)
		if err != nil {
			return WatchReport{}, err
		}
		if paused != "" {
			note += "; " + paused
		}
	}
	return WatchReport{Recorded: string(kind), MessageID: m.MessageID, Note: note}, nil
}

// pauseUntilBack pauses the active connection of an email an automatic reply answers until
// the date the reply says its sender is back (mail.ReturnDate), the reply's words in the
// history. It says what it did, "" when the reply names no date or the connection is not
// running.
func (e *Engine) pauseUntilBack(tx store.Tx, m store.Message, in mail.Inbound, now time.Time) (string, error) {
	c, err := tx.Conn(m.Conn)
	if err != nil || c.State != store.ConnActive || c.Paused() {
		return "", nil
	}
	o, err := loadOrg(tx)
	if err != nil {
		return "", err
	}
	loc, err := time.LoadLocation(o.settings.TimeZone)
	if err != nil {
		loc = time.UTC
	}
	back, phrase, ok := mail.ReturnDate(in.Subject+"\n"+in.Text, now, loc)
	if !ok {
		return "", nil
	}
	why := fmt.Sprintf("automatic reply: back on %s (%q)", back.Format(time.DateOnly), clip(phrase, 80))
	if _, err := e.step(tx, o, c, flow.Input{Kind: flow.Pause, Reason: why, At: back}, now); err != nil {
		return "", err
	}
	return "paused until " + back.Format(time.DateOnly), nil
}

// repliedTo finds the email of pacer's a message answers.
func (e *Engine) repliedTo(tx store.Tx, in mail.Inbound, now time.Time) (store.Message, bool, error) {
	for _, ref := range in.Refs {
		m, err := findMessage(tx, ref)
		if err == nil {
			return m, true, nil
		}
		if !errors.Is(err, ErrInvalid) {
			return store.Message{}, false, err
		}
	}
	if in.From == "" {
		return store.Message{}, false, nil
	}
	msgs, err := tx.MessagesTo(in.From, 10)
	if err != nil {
		return store.Message{}, false, err
	}
	for _, m := range msgs {
		if m.Channel != "email" || (m.State != store.MsgSent && m.State != store.MsgKept) || now.Sub(m.SentAt) > replyWindow {
			continue
		}
		c, err := tx.Conn(m.Conn)
		if err != nil {
			continue
		}
		if c.State == store.ConnActive {
			return m, true, nil
		}
	}
	return store.Message{}, false, nil
}

// inboundUnsubscribe unsubscribes the recipient of the email whose unsubscribe address
// (List-Unsubscribe mailto, mail.UnsubscribeAddress) the message was sent to, like the
// one-click POST does. It reports whether the message was such a request.
func (e *Engine) inboundUnsubscribe(tx store.Tx, in mail.Inbound) (WatchReport, bool, error) {
	for _, to := range in.To {
		id, ok := mail.FromUnsubscribeAddress(to)
		if !ok {
			continue
		}
		m, err := findMessage(tx, id)
		if errors.Is(err, ErrInvalid) {
			continue // not one of pacer's emails (or not an id at all)
		}
		if err != nil {
			return WatchReport{}, true, err
		}
		if err := e.unsubscribe(tx, m, "unsubscribe email"); err != nil {
			return WatchReport{}, true, err
		}
		return WatchReport{Recorded: string(flow.Unsubscribed), MessageID: m.MessageID, Note: "unsubscribe email"}, true, nil
	}
	return WatchReport{}, false, nil
}

// inboundReport records the bounces of a delivery-status notification.
func (e *Engine) inboundReport(tx store.Tx, in mail.Inbound, now time.Time) (WatchReport, error) {
	id := in.Report.OriginalMessageID
	for _, to := range in.To {
		if v, ok := mail.FromVERP(to); ok {
			id = v
		}
	}
	rep := WatchReport{Note: "a delivery report about no email of pacer's"}
	for _, r := range in.Report.Recipients {
		if !r.Failed() {
			continue
		}
		b := Bounce{MessageID: id, Recipient: r.Recipient, Hard: r.Hard(), Delayed: r.Action == "delayed", Status: r.Status, Diagnostic: r.Diagnostic, At: now}
		m, err := bouncedMessage(tx, b)
		if errors.Is(err, ErrUnknownMessage) {
			continue
		}
		if err != nil {
			return rep, err
		}
		if err := e.bounce(tx, m, b); err != nil {
			return rep, err
		}
		rep = WatchReport{Recorded: string(flow.EmailBounced), MessageID: m.MessageID, Note: r.Status + " " + r.Diagnostic}
	}
	return rep, nil
}

// watchedMailboxes returns the URLs of the mailboxes to watch, by mailbox name: the org's
// (settings imap_url) and every user's own (user set --imap). Two URLs of one mailbox are
// watched once.
func watchedMailboxes(tx store.Tx) (map[string]string, error) {
	s, err := tx.Settings()
	if err != nil {
		return nil, err
	}
	users, err := tx.Users()
	if err != nil {
		return nil, err
	}
	urls := []string{s.IMAPURL}
	for _, u := range users {
		urls = append(urls, u.IMAPURL)
	}
	out := map[string]string{}
	for _, u := range urls {
		if name := mail.MailboxName(u); u != "" && out[name] == "" {
			out[name] = u
		}
	}
	return out, nil
}

// Watching names the mailboxes this engine watches now (their URLs without passwords),
// sorted: none unless it runs (Run) and leads. A change of it is told to subscribers.
func (e *Engine) Watching() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.Clone(e.watching)
}

// runMailWatch watches the org mailbox and the users' own while ctx lasts and this engine
// leads (on a database several nodes share, only the leader watches; when the lead moves,
// the new leader picks up each mailbox where its position says), following changes of the
// settings and users. Each mailbox has its own position.
func (e *Engine) runMailWatch(ctx context.Context, report func(WatchReport)) {
	changes, cancel := e.Subscribe()
	defer cancel()
	type watch struct {
		url  string
		stop func()
	}
	watching := map[string]watch{}
	defer func() {
		for _, w := range watching {
			w.stop()
		}
		e.mu.Lock()
		e.watching = nil
		e.mu.Unlock()
	}()
	for {
		want := map[string]string{}
		ok := true
		if e.Leads() {
			ok = e.view(ctx, func(tx store.Tx) (err error) { want, err = watchedMailboxes(tx); return err }) == nil
		}
		for name, w := range watching {
			if ok && want[name] != w.url {
				w.stop()
				delete(watching, name)
			}
		}
		for name, url := range want {
			if _, on := watching[name]; on {
				continue
			}
			wctx, wcancel := context.WithCancel(ctx)
			done := make(chan struct{})
			go func() {
				defer close(done)
				_ = e.WatchMailbox(wctx, url, DefaultPoll, report)
			}()
			watching[name] = watch{url: url, stop: func() { wcancel(); <-done }}
		}
		names := slices.Sorted(maps.Keys(watching))
		e.mu.Lock()
		changed := !slices.Equal(names, e.watching)
		e.watching = names
		e.mu.Unlock()
		if changed {
			e.notify()
		}
		select {
		case <-ctx.Done():
			return
		case <-changes:
		}
	}
}
