package engine

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/pacer-sales/pacer/engine/flow"
	"github.com/pacer-sales/pacer/engine/mail"
	"github.com/pacer-sales/pacer/store"
)

// batchSize is how many due timers one transaction applies (group commit).
const batchSize = 500

// TickReport counts what a tick did.
type TickReport struct {
	Timers  int `json:"timers"`
	Sent    int `json:"sent"`
	Retried int `json:"retried"`
	Failed  int `json:"failed"`
	// Errors lists transitions that failed and were put back (a minute, doubling while they
	// keep failing, at most an hour).
	Errors []string `json:"errors,omitempty"`
}

// Tick runs everything that is due up to now: timers in time order, each as of its due
// time, then queued messages through the transport, until nothing due is left.
func (e *Engine) Tick(ctx context.Context) (TickReport, error) {
	var rep TickReport
	for {
		n, err := e.fireTimers(ctx, &rep)
		if err != nil {
			return rep, err
		}
		m, err := e.dispatch(ctx, &rep)
		if err != nil {
			return rep, err
		}
		if n == 0 && m == 0 {
			break
		}
	}
	return rep, nil
}

// fireTimers applies one batch of due timers, earliest first; it returns how many it fired.
// Each timer is taken from the due index inside the transaction that fires it, so a timer
// that firing another one schedules before the rest of the batch comes in its turn, and an
// entry that a concurrent change replaced is never fired.
func (e *Engine) fireTimers(ctx context.Context, rep *TickReport) (int, error) {
	now := e.clock.Now()
	n := 0
	err := e.write(ctx, func(tx store.Tx) error {
		n = 0
		o, err := loadOrg(tx)
		if err != nil {
			return err
		}
		var last *store.Due
		for n < batchSize {
			d, found, err := e.fireNext(tx, o, now, last)
			if err != nil {
				return err
			}
			if !found {
				if n == 0 {
					return errNothingDue // nothing to commit: no write, no sync
				}
				return nil
			}
			last = &d
			n++
		}
		return nil
	})
	if errors.Is(err, errNothingDue) {
		return 0, nil
	}
	if err == nil {
		rep.Timers += n
		return n, nil
	}
	// One bad transition must not hold up the others: apply them one by one, and put the
	// failing ones back for a while with the error in their history. One that can't even be
	// put back (the store refuses every write, its connection can't be read) is held in
	// memory for that while instead, so the others still run.
	n = 0
	var last *store.Due
	for n < batchSize {
		var d store.Due
		var found bool
		ferr := e.write(ctx, func(tx store.Tx) error {
			o, err := loadOrg(tx)
			if err != nil {
				return err
			}
			d, found, err = e.fireNext(tx, o, now, last)
			return err
		})
		if !found {
			return n, ferr
		}
		n++
		if ferr == nil {
			rep.Timers++
			last = &d
			continue
		}
		last = nil
		what := fmt.Sprintf("connection %s: its timer at %s can't be applied: %v", d.Conn, d.At.UTC().Format(time.RFC3339), ferr)
		if perr := e.putBack(ctx, d, now, ferr); perr != nil {
			e.hold(d, now.Add(retryAfter), fmt.Sprintf("%v; putting it back: %v", ferr, perr))
			what += fmt.Sprintf("; nor could it be put back (%v): held until %s", perr, now.Add(retryAfter).UTC().Format(time.RFC3339))
		} else {
			e.release(d)
		}
		rep.Errors = append(rep.Errors, what)
	}
	return n, nil
}

// retryAfter is how long a timer that could not be applied waits before it is tried again
// the first time; each failure in a row doubles the wait, up to maxRetryAfter.
const (
	retryAfter    = time.Minute
	maxRetryAfter = time.Hour
)

// retryDelay is the wait before the next try of a timer that has just failed after the
// given number of failures in a row before it.
func retryDelay(failures int) time.Duration {
	d := retryAfter
	for range failures {
		if d >= maxRetryAfter {
			return maxRetryAfter
		}
		d *= 2
	}
	return min(d, maxRetryAfter)
}

// failuresInRow counts the error entries that end a history.
func failuresInRow(hist []store.Event) int {
	n := 0
	for i := len(hist) - 1; i >= 0 && hist[i].Type == store.EventError; i-- {
		n++
	}
	return n
}

// putBack moves the wake-up of a connection whose timer could not be applied a little later,
// with the error in its history, so the timers after it run and it is tried again: a minute
// after the first failure, twice as long after each further one in a row, at most an hour.
func (e *Engine) putBack(ctx context.Context, d store.Due, now time.Time, cause error) error {
	return e.write(ctx, func(tx store.Tx) error {
		c, err := tx.Conn(d.Conn)
		if err != nil {
			return err
		}
		hist, err := tx.History(c.ID)
		if err != nil {
			return err
		}
		c.WakeAt = now.Add(retryDelay(failuresInRow(hist)))
		if err := tx.PutConn(c); err != nil {
			return err
		}
		return tx.AppendHistory(c.ID, store.Event{At: now, Type: store.EventError, StepID: c.Step, Reason: clip(cause.Error(), maxErrorText)})
	})
}

// maxErrorText bounds the error text a history entry keeps.
const maxErrorText = 2000

// clip cuts s to at most n bytes, on a rune boundary, marking the cut.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + " …"
}

// heldTimer is a due entry that could not be applied nor put back, skipped until a time.
type heldTimer struct {
	due   store.Due
	until time.Time
	err   string
}

// hold skips a due entry until a time (in this process).
func (e *Engine) hold(d store.Due, until time.Time, why string) {
	e.heldMu.Lock()
	defer e.heldMu.Unlock()
	if e.held == nil {
		e.held = map[store.ID]heldTimer{}
	}
	e.held[d.Conn] = heldTimer{due: d, until: until, err: why}
}

// release forgets the hold of a connection's timer.
func (e *Engine) release(d store.Due) {
	e.heldMu.Lock()
	defer e.heldMu.Unlock()
	delete(e.held, d.Conn)
}

// holds returns the timers held at now, and the earliest time a hold ends.
func (e *Engine) holds(now time.Time) (map[store.Due]bool, time.Time) {
	e.heldMu.Lock()
	defer e.heldMu.Unlock()
	var out map[store.Due]bool
	var next time.Time
	for _, h := range e.held {
		if !now.Before(h.until) {
			continue
		}
		if out == nil {
			out = map[store.Due]bool{}
		}
		out[h.due] = true
		if next.IsZero() || h.until.Before(next) {
			next = h.until
		}
	}
	return out, next
}

// heldReport lists the timers this engine could neither apply nor put back, with why; they are
// tried again when their hold ends.
func (e *Engine) heldReport() []string {
	e.heldMu.Lock()
	defer e.heldMu.Unlock()
	var out []string
	for _, h := range e.held {
		out = append(out, fmt.Sprintf("connection %s: its timer at %s could not be applied nor put back (%s); tried again at %s",
			h.due.Conn, h.due.At.UTC().Format(time.RFC3339), h.err, h.until.UTC().Format(time.RFC3339)))
	}
	return out
}

// nextDue returns the earliest due entry not held at now.
func (e *Engine) nextDue(tx store.Tx, now time.Time) (store.Due, bool, error) {
	held, _ := e.holds(now)
	if len(held) == 0 {
		return tx.NextDue()
	}
	ds, err := tx.DueBefore(farFuture, len(held)+1)
	if err != nil {
		return store.Due{}, false, err
	}
	for _, d := range ds {
		if !held[d] {
			return d, true, nil
		}
	}
	return store.Due{}, false, nil
}

// claimDue claims the earliest timer due by now that this engine does not hold back; timers
// another node is applying are skipped (store.RuntimeTx.ClaimDue).
func (e *Engine) claimDue(tx store.Tx, now time.Time) (store.Due, bool, error) {
	held, _ := e.holds(now)
	ds, err := tx.ClaimDue(now, len(held)+1)
	if err != nil {
		return store.Due{}, false, err
	}
	for _, d := range ds {
		if !held[d] {
			return d, true, nil
		}
	}
	return store.Due{}, false, nil
}

// errNothingDue rolls back the transaction of a batch that found no timer due.
var errNothingDue = errors.New("no timer is due")

// fireNext fires the earliest timer due by now, if any; found reports whether there was
// one, and d is it (also when firing it failed). A timer that comes back unchanged right
// after last fired it is an error, not a loop.
func (e *Engine) fireNext(tx store.Tx, o *org, now time.Time, last *store.Due) (d store.Due, found bool, err error) {
	d, ok, err := e.claimDue(tx, now)
	if err != nil || !ok {
		return d, false, err
	}
	if last != nil && last.Conn == d.Conn && last.Visit == d.Visit && last.At.Equal(d.At) {
		return d, true, fmt.Errorf("its timer at %s did not move when it fired", d.At.Format(time.RFC3339))
	}
	if err := e.fire(tx, o, d); err != nil {
		return d, true, err
	}
	e.release(d) // should its transaction fail after all, it is applied alone again
	return d, true, nil
}

func (e *Engine) fire(tx store.Tx, o *org, d store.Due) error {
	c, err := tx.Conn(d.Conn)
	if err != nil {
		return err
	}
	res, err := e.step(tx, o, c, flow.Input{Kind: flow.Timer, Visit: d.Visit}, d.At)
	if err != nil {
		return err
	}
	if res.Ignored != "" && !c.WakeAt.IsZero() {
		// A wake-up that no longer applies: clear it so it does not come back.
		c.WakeAt = time.Time{}
		return tx.PutConn(c)
	}
	return nil
}

// dispatch sends queued messages whose time has come, outside any transaction, and records
// each result as an input; without a mail server it keeps them in the local outbox in the
// transaction that claims them. It returns how many it tried.
func (e *Engine) dispatch(ctx context.Context, rep *TickReport) (int, error) {
	now := e.clock.Now()
	var msgs []store.Message
	var settings store.Settings
	var dropped map[store.ID]string // messages not to send, with why
	claimed := 0                    // messages claimed, held ones included
	// The messages are claimed with a lease, so no other node sends them meanwhile; the
	// claim alone is no change to tell subscribers of. The lease is timed from before the
	// claim, so it ends no sooner than this engine thinks.
	lease, leased := e.sendLease(), e.leaseClock()
	var kept *TickReport // without a transport: what keeping the batch did
	err := e.st.Update(ctx, func(tx store.Tx) (err error) {
		dropped, kept = nil, nil
		if settings, err = tx.Settings(); err != nil {
			return err
		}
		batch := sendBatch
		if settings.SMTPURL == "" {
			batch = batchSize // kept in this transaction, as many as a batch of timers
		}
		if msgs, err = tx.ClaimQueued(now, batch, lease); err != nil {
			return err
		}
		if len(msgs) == 0 {
			return errNothingQueued // nothing to commit
		}
		claimed = len(msgs)
		o, err := loadOrg(tx)
		if err != nil {
			return err
		}
		users, err := o.allUsers(tx)
		if err != nil {
			return err
		}
		checkLimits := limited(o, users)
		if checkLimits {
			if err := lockMailboxes(tx, msgs); err != nil {
				return err
			}
		}
		wanted := msgs[:0]
		for _, m := range msgs {
			held, err := holdPaused(tx, m, now)
			if err != nil {
				return err
			}
			if held {
				continue
			}
			why, err := unwanted(tx, m)
			if err != nil {
				return err
			}
			if why == "" && checkLimits {
				if held, err = e.holdForLimits(tx, o, users, m, now); err != nil {
					return err
				} else if held {
					continue
				}
			}
			wanted = append(wanted, m)
			if why != "" {
				if dropped == nil {
					dropped = map[store.ID]string{}
				}
				dropped[m.ID] = why
			}
		}
		msgs = wanted
		if settings.SMTPURL == "" && len(msgs) > 0 {
			// No transport: nothing leaves the machine, so the batch is kept in the local
			// outbox in the transaction that claimed it.
			kept = &TickReport{}
			for _, m := range msgs {
				if why, ok := dropped[m.ID]; ok {
					err = dropMessage(tx, m, why)
				} else {
					err = e.recordSend(tx, &o, m, nil, settings, kept)
				}
				if err != nil {
					return err
				}
			}
		}
		return nil
	})
	if errors.Is(err, errNothingQueued) || err != nil {
		return 0, ignore(err, errNothingQueued)
	}
	if kept != nil {
		e.notify()
		rep.Sent, rep.Failed, rep.Retried = rep.Sent+kept.Sent, rep.Failed+kept.Failed, rep.Retried+kept.Retried
		return claimed, nil
	}
	if len(msgs) == 0 {
		// Every message claimed was held (paused, over a sending limit): others may be due.
		return claimed, nil
	}
	tr, trErr := e.transportFor(settings.SMTPURL)
	for i, m := range msgs {
		if e.leaseClock().Sub(leased) >= lease/2 {
			// A slow mail server has used half the lease: what is left might not be sent
			// and recorded before it ends, and another node would send it too. It goes
			// back to the outbox, to be claimed afresh (Tick comes back for it at once).
			if err := e.write(ctx, func(tx store.Tx) error { return unclaim(tx, msgs[i:]) }); err != nil {
				return 0, err
			}
			break
		}
		if why, ok := dropped[m.ID]; ok {
			// Its connection has left the step: the email is no longer wanted.
			if err := e.write(ctx, func(tx store.Tx) error { return dropMessage(tx, m, why) }); err != nil {
				return 0, err
			}
			continue
		}
		var sendErr error
		if trErr != nil {
			sendErr = trErr
		} else {
			em := outgoing(m, settings, e.clock.Now())
			if em.DKIM, sendErr = e.dkim(settings); sendErr == nil {
				sendErr = tr.Send(ctx, em)
			}
		}
		if ctx.Err() != nil {
			return 0, ctx.Err()
		}
		// Counted once it commits: a transaction the store runs again counts afresh.
		var done TickReport
		err := e.write(ctx, func(tx store.Tx) error {
			done = TickReport{}
			var o *org
			return e.recordSend(tx, &o, m, sendErr, settings, &done)
		})
		if err != nil {
			return 0, err
		}
		rep.Sent, rep.Failed, rep.Retried = rep.Sent+done.Sent, rep.Failed+done.Failed, rep.Retried+done.Retried
	}
	return claimed, nil
}

// unclaim ends the lease of claimed messages that are still queued.
func unclaim(tx store.Tx, msgs []store.Message) error {
	for _, m := range msgs {
		cur, err := tx.Message(m.ID)
		if err != nil {
			return err
		}
		if cur.State == store.MsgQueued {
			if err := tx.PutMessage(cur); err != nil { // storing a message ends its lease
				return err
			}
		}
	}
	return nil
}

// dropMessage fails a claimed message that is no longer wanted (its connection left the
// step), with why; one sent before and bounced stays sent.
func dropMessage(tx store.Tx, m store.Message, why string) error {
	cur, err := tx.Message(m.ID)
	if err != nil || cur.State != store.MsgQueued {
		return err
	}
	cur.State, cur.LastError = store.MsgFailed, why
	if resent(cur) {
		// Sent once and bounced: it stays sent, with why it went no more.
		cur.State, cur.LastError = store.MsgSent, strings.Replace(why, "not sent", "not sent again", 1)
	}
	return tx.PutMessage(cur)
}

// recordSend records the result of sending a claimed message (sendErr nil: sent, or kept
// without a transport) and steps its connection on; done counts it. *o is the org of the
// transaction, loaded at the first step that needs it.
func (e *Engine) recordSend(tx store.Tx, o **org, m store.Message, sendErr error, settings store.Settings, done *TickReport) error {
	cur, err := tx.Message(m.ID)
	if err != nil || cur.State != store.MsgQueued {
		return err
	}
	cur.Tries++
	now := e.clock.Now()
	again := resent(cur) // a resend after a soft bounce: its step has moved on
	var in *flow.Input
	switch {
	case sendErr == nil:
		cur.State, cur.SentAt, cur.LastError = store.MsgSent, now, ""
		if settings.SMTPURL == "" {
			cur.State = store.MsgKept
		}
		if !again {
			in = &flow.Input{Kind: flow.MessageSent, Visit: cur.Visit, Message: cur.ID, At: now}
		}
		done.Sent++
	case mail.RecipientRefused(sendErr):
		// The server refused the recipient for good: a hard bounce, not a retry.
		cur.State, cur.LastError = store.MsgFailed, sendErr.Error()
		done.Failed++
		if err := tx.PutMessage(cur); err != nil {
			return err
		}
		return e.bounce(tx, cur, Bounce{Hard: true, Diagnostic: clip(sendErr.Error(), maxErrorText), At: now})
	case cur.Tries >= mail.MaxTries && again:
		done.Failed++
		c, err := tx.Conn(cur.Conn)
		if err != nil {
			return err
		}
		return e.undelivered(tx, cur, c, fmt.Sprintf("not sent again after %d tries: %v", cur.Tries, sendErr), now)
	case cur.Tries >= mail.MaxTries:
		cur.State, cur.LastError = store.MsgFailed, sendErr.Error()
		in = &flow.Input{Kind: flow.MessageFailed, Visit: cur.Visit, Message: cur.ID, Error: fmt.Sprintf("not sent after %d tries: %v", cur.Tries, sendErr)}
		done.Failed++
	default:
		cur.LastError, cur.NextTry = sendErr.Error(), now.Add(mail.Backoff(cur.Tries))
		done.Retried++
	}
	if err := tx.PutMessage(cur); err != nil {
		return err
	}
	if in == nil {
		return nil
	}
	c, err := tx.Conn(cur.Conn)
	if err != nil {
		return err
	}
	if *o == nil {
		if *o, err = loadOrg(tx); err != nil {
			return err
		}
	}
	_, err = e.step(tx, *o, c, *in, now)
	return err
}

// sendBatch is how many queued messages one dispatch claims.
const sendBatch = 100

// DefaultSendLease is how long a node holds the messages it claimed for sending: should it
// die while sending, another node sends them (with the same Message-ID) once it ends.
const DefaultSendLease = 5 * time.Minute

func (e *Engine) sendLease() time.Duration {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.lease > 0 {
		return e.lease
	}
	return DefaultSendLease
}

// SetSendLease changes how long this engine holds the messages it claims for sending.
func (e *Engine) SetSendLease(d time.Duration) {
	e.mu.Lock()
	e.lease = d
	e.mu.Unlock()
}

// errNothingQueued rolls back the claim of a dispatch that found nothing to send.
var errNothingQueued = errors.New("nothing is queued")

// ignore returns err unless it is target.
func ignore(err, target error) error {
	if errors.Is(err, target) {
		return nil
	}
	return err
}

// outgoing is the email of an outbox message as it goes out: text and HTML parts, and
// with tracking_url set, tracked links, the open pixel and the unsubscribe line and
// headers; with bounce_domain set, the envelope sender bounce+ID@bounce_domain, and
// without tracking_url, List-Unsubscribe <mailto:unsubscribe+ID@bounce_domain> (the
// watcher unsubscribes whoever writes to it). The Date header is the engine's time, like
// every other time it records.
func outgoing(m store.Message, s store.Settings, now time.Time) mail.Email {
	tk := unsubscribing(s, m.MessageID)
	p := mail.Compose(m.Body, m.HTML, tk)
	em := mail.Email{MessageID: m.MessageID, From: m.From, To: m.To, Subject: m.Subject, Body: p.Text, HTML: p.HTML, Date: now}
	switch {
	case tk.BaseURL != "":
		em.Unsubscribe, em.OneClick = tk.UnsubscribeURL(), tk.OneClick()
	case tk.Address != "":
		em.Unsubscribe = "mailto:" + tk.Address
	}
	if s.BounceDomain != "" {
		em.EnvelopeFrom = mail.VERP(m.MessageID, s.BounceDomain)
	}
	return em
}

// unsubscribing is how the email with messageID is tracked and unsubscribed from by the
// settings: tracking_url, else the unsubscribe address at bounce_domain.
func unsubscribing(s store.Settings, messageID string) mail.Tracking {
	tk := mail.Tracking{BaseURL: strings.TrimRight(s.TrackingURL, "/"), ID: mail.TrackingID(messageID)}
	if tk.BaseURL == "" && s.BounceDomain != "" {
		tk.Address = mail.UnsubscribeAddress(messageID, s.BounceDomain)
	}
	return tk
}

// pausedRecheck is how often a queued message of a connection paused without a resume date
// is looked at again.
const pausedRecheck = 15 * time.Minute

// holdPaused keeps a queued message of a paused connection in the outbox until its resume
// date (or, without one, for pausedRecheck) and reports whether it did.
func holdPaused(tx store.Tx, m store.Message, now time.Time) (bool, error) {
	c, err := tx.Conn(m.Conn)
	if errors.Is(err, store.ErrNotFound) || (err == nil && !c.Paused()) {
		return false, nil
	} else if err != nil {
		return false, err
	}
	m.NextTry = now.Add(pausedRecheck)
	if c.Pause.Until.After(now) {
		m.NextTry = c.Pause.Until
	}
	return true, tx.PutMessage(m)
}

// unwanted says why a queued message must not be sent, or "" when it still should: its
// connection ended (disconnected, a reply with exit_on_reply, the sequence deleted) or
// otherwise left the step and visit that queued it.
func unwanted(tx store.Tx, m store.Message) (string, error) {
	c, err := tx.Conn(m.Conn)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return "not sent: its connection no longer exists", nil
	case err != nil:
		return "", err
	case c.State == store.ConnDisconnected:
		return fmt.Sprintf("not sent: the record was disconnected from the sequence (%s) before it went out", c.Reason), nil
	case resent(m):
		// Sent before and bounced softly: it goes again though the connection moved on.
	case c.State != store.ConnActive || c.Step != m.StepID || c.Visit != m.Visit:
		return "not sent: the connection left the step before it went out", nil
	}
	if m.Channel == "email" {
		why, err := suppressed(tx, m.To)
		if err != nil || why != "" {
			return map[string]string{"": "", store.ReasonBounced: "not sent: the address is undeliverable",
				store.ReasonUnsubscribed: "not sent: the address unsubscribed"}[why], err
		}
	}
	return "", nil
}

// dkim returns how to sign email by the settings (dkim_domain, dkim_selector,
// dkim_key_file), nil when they are not all set. The key is read again when its file
// changes; a key that can't be read is the error, so the email is tried again later.
func (e *Engine) dkim(s store.Settings) (*mail.DKIM, error) {
	if s.DKIMDomain == "" || s.DKIMSelector == "" || s.DKIMKeyFile == "" {
		return nil, nil
	}
	st, err := os.Stat(s.DKIMKeyFile)
	if err != nil {
		return nil, fmt.Errorf("dkim_key_file: %w", err)
	}
	stamp := fmt.Sprint(s.DKIMKeyFile, st.ModTime().UnixNano(), st.Size())
	e.mu.Lock()
	key, ok := e.dkimKey, e.dkimStamp == stamp
	e.mu.Unlock()
	if !ok {
		if key, err = mail.ReadDKIMKey(s.DKIMKeyFile); err != nil {
			return nil, fmt.Errorf("dkim_key_file: %w", err)
		}
		e.mu.Lock()
		e.dkimKey, e.dkimStamp = key, stamp
		e.mu.Unlock()
	}
	return &mail.DKIM{Domain: s.DKIMDomain, Selector: s.DKIMSelector, Signer: key}, nil
}

// transportFor returns the transport of an SMTP URL, made once per URL.
func (e *Engine) transportFor(url string) (mail.Transport, error) {
	if url == "" {
		return nil, nil
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.trURL == url && e.tr != nil {
		return e.tr, nil
	}
	tr, err := e.newTransport(url)
	if err != nil {
		return nil, err
	}
	e.tr, e.trURL = tr, url
	return tr, nil
}

// NextWake returns when something next comes due (a timer or a queued message).
func (e *Engine) NextWake(ctx context.Context) (time.Time, bool, error) {
	var at time.Time
	var ok bool
	now := e.clock.Now()
	err := e.view(ctx, func(tx store.Tx) error {
		d, dok, err := e.nextDue(tx, now)
		if err != nil {
			return err
		}
		if _, end := e.holds(now); !end.IsZero() && (!dok || end.Before(d.At)) {
			d, dok = store.Due{At: end}, true
		}
		m, mok, err := tx.NextQueued()
		if err != nil {
			return err
		}
		switch {
		case dok && mok:
			at, ok = d.At, true
			if m.Before(at) {
				at = m
			}
		case dok:
			at, ok = d.At, true
		case mok:
			at, ok = m, true
		}
		return nil
	})
	return at, ok, err
}

// Run is the engine in the foreground: it catches up everything due, then sleeps until the
// next due item, waking early when a change schedules something sooner. On a store other
// processes share (store.Watcher), their changes wake it too, and it takes its turn at
// leading (Leads). It returns when ctx ends. report, when set, gets every tick that did
// something.
//
// While it leads, it also watches the org mailbox (settings imap_url) and the users' own
// (user set --imap) for replies and bounces (WatchMailbox), following changes of them.
func (e *Engine) Run(ctx context.Context, report func(TickReport)) error {
	changes, cancel := e.Subscribe()
	defer cancel()
	wctx, stopWatch := context.WithCancel(ctx)
	watching := make(chan struct{})
	go func() { defer close(watching); e.runMailWatch(wctx, nil) }()
	defer func() { stopWatch(); <-watching }()
	var renew <-chan time.Time // the leader's term, on a shared store
	if w, ok := e.st.(store.Watcher); ok {
		wctx, stop := context.WithCancel(ctx)
		defer stop()
		go func() {
			for range w.Watch(wctx) {
				e.notify()
			}
		}()
		e.lead(ctx)
		defer e.resign(context.WithoutCancel(ctx))
		ticker := time.NewTicker(LeaderTTL / 3)
		defer ticker.Stop()
		renew = ticker.C
	} else {
		e.setLeads(true) // the only process on its store
		defer e.setLeads(false)
	}
	for {
		rep, err := e.Tick(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		did := rep.Timers+rep.Sent+rep.Retried+rep.Failed+len(rep.Errors) > 0
		if report != nil && did {
			report(rep)
		}
		next, ok, err := e.NextWake(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		var wake <-chan time.Time
		var timer *time.Timer
		if ok {
			wait := max(0, next.Sub(e.clock.Now()))
			if !did && wait == 0 {
				// Due, yet nothing could be claimed: another node is applying it. Its
				// commit wakes this one; the wait only bounds a missed notice.
				wait = busyWait
			}
			timer = time.NewTimer(wait)
			wake = timer.C
		}
		select {
		case <-ctx.Done():
			return nil
		case <-wake:
		case <-changes:
		case <-renew:
			e.lead(ctx)
		}
		if timer != nil {
			timer.Stop()
		}
	}
}

// busyWait is how long Run waits when something is due that other nodes hold.
const busyWait = 100 * time.Millisecond

// LeaderTTL is the term of a leader: a node that stops renewing it (every third of it)
// leaves the lead to another after this long.
const LeaderTTL = 15 * time.Second

// leadership is the name of the engine's leader row.
const leadership = "engine"

// SetNode names this engine's process among the nodes sharing a database (for the leader
// row and /healthz); by default it is HOST:PID.
func (e *Engine) SetNode(name string) {
	e.mu.Lock()
	e.node = name
	e.mu.Unlock()
}

// Node returns the name of this engine's process among the nodes sharing a database.
func (e *Engine) Node() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.node == "" {
		host, _ := os.Hostname()
		e.node = fmt.Sprintf("%s:%d", host, os.Getpid())
	}
	return e.node
}

// Leads reports whether this engine's process leads the nodes sharing its database: work
// that must run once runs on the leader. Only a running engine (Run) leads; on a store of
// one process (bbolt) it always does then.
func (e *Engine) Leads() bool { return e.leads.Load() }

// lead takes or renews the lead; an error counts as not leading.
func (e *Engine) lead(ctx context.Context) {
	node := e.Node()
	ok := false
	err := e.st.Update(ctx, func(tx store.Tx) (err error) {
		ok, err = tx.Lead(leadership, node, LeaderTTL)
		return err
	})
	e.setLeads(err == nil && ok)
}

// setLeads records whether this engine leads; a change is told to subscribers, so the work
// that runs only on the leader (the mail watcher) starts or stops.
func (e *Engine) setLeads(on bool) {
	if e.leads.Swap(on) != on {
		e.notify()
	}
}

// resign gives the lead up, so another node takes it at once.
func (e *Engine) resign(ctx context.Context) {
	if !e.leads.Load() {
		return
	}
	e.setLeads(false)
	node := e.Node()
	_ = e.st.Update(ctx, func(tx store.Tx) error { return tx.Resign(leadership, node) })
}

// hub fans change notifications out to subscribers (screens, the scheduler).
type hub struct {
	mu   sync.Mutex
	subs map[chan struct{}]bool
}

// Subscribe returns a channel that receives a signal after changes commit (coalesced: one
// pending signal at most) and a function that ends the subscription.
func (e *Engine) Subscribe() (<-chan struct{}, func()) {
	ch := make(chan struct{}, 1)
	e.hub.mu.Lock()
	if e.hub.subs == nil {
		e.hub.subs = map[chan struct{}]bool{}
	}
	e.hub.subs[ch] = true
	e.hub.mu.Unlock()
	return ch, func() {
		e.hub.mu.Lock()
		delete(e.hub.subs, ch)
		e.hub.mu.Unlock()
	}
}

func (e *Engine) notify() {
	e.hub.mu.Lock()
	defer e.hub.mu.Unlock()
	for ch := range e.hub.subs {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
}
