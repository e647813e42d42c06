package mail

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/textproto"
	"regexp"
	"strings"

	gomessage "github.com/emersion/go-message"
	_ "github.com/emersion/go-message/charset" // decode the charsets replies come in
	gomail "github.com/emersion/go-message/mail"
)

// envelopeTo are the headers in which delivering servers record the envelope recipient.
var envelopeTo = []string{"Delivered-To", "X-Original-To", "Envelope-To"}

// Inbound is what pacer reads of a message in a watched mailbox.
type Inbound struct {
	MessageID string
	// From is the sender's address, in lower case.
	From string
	// To are the recipients' addresses (To, and the envelope's from Delivered-To,
	// X-Original-To and Envelope-To), in lower case: a bounce to a VERP address, or a
	// message to an unsubscribe address, names its email.
	To      []string
	Subject string
	// Refs are the Message-IDs of In-Reply-To then References, each "<…>" once, in order.
	Refs []string
	// Auto reports an automatic reply (out of office, autoresponder): Why says what marked it.
	Auto bool
	Why  string
	// Text is the start of an automatic reply's text (its first text part, HTML tags taken
	// out), where ReturnDate looks for the date its sender is back; "" for other messages.
	Text string
	// Report is set when the message is a delivery-status notification.
	Report *DSN
}

// DSN is a delivery-status notification (RFC 3464, in a multipart/report of RFC 6522).
type DSN struct {
	// OriginalMessageID is the Message-ID of the email it reports on (from
	// Original-Envelope-Id, or the returned message or headers), "" when not given.
	OriginalMessageID string
	Recipients        []DSNRecipient
}

// DSNRecipient is the per-recipient part of a DSN.
type DSNRecipient struct {
	// Recipient is the address (Original-Recipient, else Final-Recipient), in lower case.
	Recipient string
	// Action is failed, delayed, delivered, relayed or expanded.
	Action string
	// Status is the status code, "5.1.1"; Diagnostic the remote server's words.
	Status     string
	Diagnostic string
}

// Hard reports a permanent failure: the action failed with a 5.x.x status.
func (r DSNRecipient) Hard() bool {
	return r.Action == "failed" && (strings.HasPrefix(r.Status, "5") || r.Status == "")
}

// Failed reports a failure, permanent or not (failed or delayed).
func (r DSNRecipient) Failed() bool { return r.Action == "failed" || r.Action == "delayed" }

// ErrNotMail is wrapped by ReadInbound's error for data that is not a readable message.
var ErrNotMail = errors.New("not a readable email")

// oooSubject matches the subjects of common out-of-office and automatic replies.
var oooSubject = regexp.MustCompile(`(?i)^\s*(auto(matic)?[ -]?(reply|response|antwort)|out of (the )?office|abwesenheit|absence|r[ée]ponse automatique|respuesta autom[áa]tica|on vacation|away from (the )?office)\b`)

// ReadInbound reads a message of a watched mailbox: its sender, subject, the Message-IDs it
// refers to, whether it is an automatic reply, and the delivery-status report it carries.
// The caller bounds what it reads (limits.InboundMail); a truncated body still gives the
// header.
func ReadInbound(r io.Reader) (Inbound, error) {
	ent, err := gomessage.Read(r)
	if err != nil && !gomessage.IsUnknownCharset(err) && !gomessage.IsUnknownEncoding(err) {
		return Inbound{}, fmt.Errorf("%w: %v", ErrNotMail, err)
	}
	h := gomail.Header{Header: ent.Header}
	var in Inbound
	in.MessageID = strings.TrimSpace(h.Get("Message-Id"))
	if from, err := h.AddressList("From"); err == nil && len(from) > 0 {
		in.From = strings.ToLower(from[0].Address)
	} else {
		in.From = strings.ToLower(strings.Trim(strings.TrimSpace(h.Get("From")), "<>"))
	}
	if to, err := h.AddressList("To"); err == nil {
		for _, a := range to {
			in.To = append(in.To, strings.ToLower(a.Address))
		}
	}
	// The envelope recipient, as the delivering server recorded it.
	for _, k := range envelopeTo {
		for _, v := range h.Values(k) {
			if d := strings.Trim(strings.TrimSpace(v), "<>"); d != "" {
				in.To = append(in.To, strings.ToLower(d))
			}
		}
	}
	if s, err := h.Text("Subject"); err == nil {
		in.Subject = s
	} else {
		in.Subject = h.Get("Subject")
	}
	in.Refs = References(h.Get("In-Reply-To"), h.Get("References"))
	in.Auto, in.Why = autoReply(ent.Header, in.Subject)

	mt, params, _ := ent.Header.ContentType()
	if strings.EqualFold(mt, "multipart/report") && strings.EqualFold(params["report-type"], "delivery-status") {
		if dsn, err := readReport(ent); err == nil {
			in.Report = dsn
		}
	} else if in.Auto {
		in.Text = bodyText(ent, 0)
	}
	return in, nil
}

// tagRE finds HTML tags, which bodyText takes out of an HTML-only reply.
var tagRE = regexp.MustCompile(`<[^<>]*>`)

// maxDepth bounds how deep bodyText looks into nested multiparts.
const maxDepth = 5

// bodyText returns up to maxReturnText bytes of the first text part of ent (text/plain
// preferred to text/html, whose tags are taken out), "" when it has none.
func bodyText(ent *gomessage.Entity, depth int) string {
	mt, _, _ := ent.Header.ContentType()
	mt = strings.ToLower(mt)
	switch {
	case strings.HasPrefix(mt, "multipart/") && depth < maxDepth:
		mr := ent.MultipartReader()
		var html string
		for i := 0; i < 20; i++ {
			part, err := mr.NextPart()
			if err != nil {
				break
			}
			pt, _, _ := part.Header.ContentType()
			t := bodyText(part, depth+1)
			if t != "" && !strings.EqualFold(pt, "text/html") {
				return t
			}
			if html == "" {
				html = t
			}
		}
		return html
	case mt == "" || mt == "text/plain" || mt == "text/html":
		b, _ := io.ReadAll(io.LimitReader(ent.Body, maxReturnText))
		if mt == "text/html" {
			return tagRE.ReplaceAllString(string(b), " ")
		}
		return string(b)
	}
	return ""
}

// autoReply says whether a header marks an automatic reply, and what marked it.
func autoReply(h gomessage.Header, subject string) (bool, string) {
	if v := strings.ToLower(strings.TrimSpace(h.Get("Auto-Submitted"))); v != "" && v != "no" {
		return true, "Auto-Submitted: " + v
	}
	for _, k := range []string{"X-Autoreply", "X-Autorespond", "X-Autoresponse"} {
		if h.Has(k) {
			return true, k
		}
	}
	if v := strings.ToLower(h.Get("Precedence")); v == "auto_reply" {
		return true, "Precedence: " + v
	}
	if oooSubject.MatchString(subject) {
		return true, "subject"
	}
	return false, ""
}

// msgIDRE finds msg-ids in a header.
var msgIDRE = regexp.MustCompile(`<[^<>\s]{1,250}@[^<>\s]{1,250}>`)

// maxRefs bounds how many Message-IDs References gives.
const maxRefs = 100

// References returns the Message-IDs of In-Reply-To and References header values, each
// once, in order: In-Reply-To's first, then References' from the newest (last) back.
func References(inReplyTo, references string) []string {
	var out []string
	seen := map[string]bool{}
	add := func(id string) {
		if len(out) < maxRefs && !seen[strings.ToLower(id)] {
			seen[strings.ToLower(id)] = true
			out = append(out, id)
		}
	}
	for _, id := range msgIDRE.FindAllString(inReplyTo, maxRefs) {
		add(id)
	}
	refs := msgIDRE.FindAllString(references, -1)
	for i := len(refs) - 1; i >= 0; i-- {
		add(refs[i])
	}
	return out
}

// readReport reads the parts of a multipart/report.
func readReport(ent *gomessage.Entity) (*DSN, error) {
	mr := ent.MultipartReader()
	if mr == nil {
		return nil, errors.New("not multipart")
	}
	var dsn *DSN
	var original string
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			if dsn != nil {
				break
			}
			return nil, err
		}
		mt, _, _ := p.Header.ContentType()
		switch strings.ToLower(mt) {
		case "message/delivery-status", "message/global-delivery-status":
			body, _ := io.ReadAll(io.LimitReader(p.Body, 64<<10))
			d, err := ParseDSN(body)
			if err != nil {
				return nil, err
			}
			dsn = d
		case "message/rfc822", "text/rfc822-headers", "message/global", "message/global-headers":
			tp := textproto.NewReader(bufio.NewReader(io.LimitReader(p.Body, 64<<10)))
			if hdr, err := tp.ReadMIMEHeader(); err == nil || len(hdr) > 0 {
				if ids := msgIDRE.FindAllString(hdr.Get("Message-Id"), 1); len(ids) == 1 {
					original = ids[0]
				}
			}
		}
	}
	if dsn == nil {
		return nil, errors.New("no delivery-status part")
	}
	if dsn.OriginalMessageID == "" {
		dsn.OriginalMessageID = original
	}
	return dsn, nil
}

// maxDSNRecipients bounds the recipients ParseDSN reads.
const maxDSNRecipients = 100

// ParseDSN reads the body of a message/delivery-status part (RFC 3464 §2.1): a block of
// per-message fields, then a block per recipient, blocks separated by blank lines, fields
// "Name: value" with folded continuation lines. Unknown fields are ignored; a recipient
// block without Final-Recipient or Action is skipped. It fails only when no recipient can
// be read.
func ParseDSN(body []byte) (*DSN, error) {
	body = bytes.ReplaceAll(body, []byte("\r\n"), []byte("\n"))
	var blocks [][]field
	var cur []field
	for _, line := range strings.Split(string(body), "\n") {
		switch {
		case strings.TrimSpace(line) == "":
			if len(cur) > 0 {
				blocks = append(blocks, cur)
				cur = nil
			}
		case (line[0] == ' ' || line[0] == '\t') && len(cur) > 0:
			cur[len(cur)-1].value += " " + strings.TrimSpace(line)
		default:
			name, value, ok := strings.Cut(line, ":")
			if !ok {
				continue
			}
			cur = append(cur, field{strings.ToLower(strings.TrimSpace(name)), strings.TrimSpace(value)})
		}
		if len(blocks) > maxDSNRecipients+1 {
			break
		}
	}
	if len(cur) > 0 {
		blocks = append(blocks, cur)
	}
	dsn := &DSN{}
	for i, b := range blocks {
		var r DSNRecipient
		var original, final string
		for _, f := range b {
			switch f.name {
			case "original-envelope-id":
				if ids := msgIDRE.FindAllString(f.value, 1); len(ids) == 1 && i == 0 {
					dsn.OriginalMessageID = ids[0]
				}
			case "original-recipient":
				original = typedAddress(f.value)
			case "final-recipient":
				final = typedAddress(f.value)
			case "action":
				r.Action = strings.ToLower(firstWord(f.value))
			case "status":
				r.Status = printable(firstWord(f.value))
			case "diagnostic-code":
				_, d, ok := strings.Cut(f.value, ";")
				if !ok {
					d = f.value
				}
				r.Diagnostic = clipText(strings.TrimSpace(d), 1000)
			}
		}
		r.Recipient = final
		if original != "" {
			r.Recipient = original
		}
		if r.Recipient != "" && r.Action != "" && len(dsn.Recipients) < maxDSNRecipients {
			dsn.Recipients = append(dsn.Recipients, r)
		}
	}
	if len(dsn.Recipients) == 0 {
		return nil, errors.New("delivery status: no recipient with Final-Recipient and Action")
	}
	return dsn, nil
}

type field struct{ name, value string }

// typedAddress reads "rfc822; addr" (or a bare address) as a lower-case address.
func typedAddress(v string) string {
	if _, a, ok := strings.Cut(v, ";"); ok {
		v = a
	}
	v = strings.Trim(strings.TrimSpace(v), "<>")
	if !strings.Contains(v, "@") || strings.ContainsAny(v, " \t") {
		return ""
	}
	return strings.ToLower(v)
}

func firstWord(v string) string {
	if f := strings.Fields(v); len(f) > 0 {
		return f[0]
	}
	return ""
}

// clipText cuts s to at most n bytes.
func clipText(s string, n int) string {
	if len(s) > n {
		s = strings.ToValidUTF8(s[:n], "")
	}
	return printable(s)
}

// printable is s with its control characters (escape sequences among them: the words of a
// remote server end up on sellers' screens) made spaces.
func printable(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || (r >= 0x7f && r < 0xa0) {
			return ' '
		}
		return r
	}, s)
}
