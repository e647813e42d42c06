package mail

import (
	"html"
	"regexp"
	"strconv"
	"strings"
)

// linkRE finds the web links of a text body: http or https URLs up to a space or a
// character that ends a sentence or closes a bracket around the link.
var linkRE = regexp.MustCompile(`https?://[^\s<>"'()\[\]{}]+`)

// trailing are characters that end a sentence after a link rather than belong to it.
const trailing = ".,;:!?"

// linkSpans returns the [start, end) byte offsets of the links of text, in order.
func linkSpans(text string) [][2]int {
	var out [][2]int
	for _, m := range linkRE.FindAllStringIndex(text, -1) {
		end := m[1]
		for end > m[0] && strings.ContainsRune(trailing, rune(text[end-1])) {
			end--
		}
		if end-m[0] > len("https://") {
			out = append(out, [2]int{m[0], end})
		}
	}
	return out
}

// Links returns the distinct web links of an email in order of first use: those of its
// text body, then those of its own HTML body ("" when it has none) that the text lacks. A
// tracked email numbers its links by this list: link i of a message is Links(body, html)[i],
// so the click redirect of a message goes only to a link its stored bodies hold.
func Links(text, html string) []string {
	var out []string
	seen := map[string]bool{}
	add := func(l string) {
		if !seen[l] {
			seen[l] = true
			out = append(out, l)
		}
	}
	for _, sp := range linkSpans(text) {
		add(text[sp[0]:sp[1]])
	}
	for _, h := range hrefs(html) {
		if h.link != "" {
			add(h.link)
		}
	}
	return out
}

// LinkAt returns link i of an email (see Links), or false.
func LinkAt(text, html string, i int) (string, bool) {
	links := Links(text, html)
	if i < 0 || i >= len(links) {
		return "", false
	}
	return links[i], true
}

// Tracking says how to make an email's links, open pixel and unsubscribe line.
type Tracking struct {
	// BaseURL is the org's tracking_url without a trailing slash; "" for no tracking.
	BaseURL string
	// ID is the message's tracking id (the local part of its Message-ID).
	ID string
	// Address, used without BaseURL, is the address that unsubscribes the recipient
	// (UnsubscribeAddress): the unsubscribe line names it. "" for none.
	Address string
}

// unsubscribeLink is the link of the unsubscribe line: the unsubscribe URL when tracked,
// else a mailto of Address, else "" (no line).
func (t Tracking) unsubscribeLink(track bool) string {
	switch {
	case track:
		return t.UnsubscribeURL()
	case t.Address != "":
		return "mailto:" + t.Address
	}
	return ""
}

// ClickURL is the tracked URL of link i of the message.
func (t Tracking) ClickURL(i int) string {
	return t.BaseURL + "/t/click/" + t.ID + "/" + strconv.Itoa(i)
}

// PixelURL is the URL of the message's open pixel.
func (t Tracking) PixelURL() string { return t.BaseURL + "/t/open/" + t.ID + ".gif" }

// UnsubscribeURL is the URL that unsubscribes the message's recipient.
func (t Tracking) UnsubscribeURL() string { return t.BaseURL + "/t/unsub/" + t.ID }

// OneClick reports whether the unsubscribe URL may be used for RFC 8058 one-click
// unsubscribing (List-Unsubscribe-Post), which needs https.
func (t Tracking) OneClick() bool { return strings.HasPrefix(strings.ToLower(t.BaseURL), "https://") }

// Parts are the two bodies of a multipart/alternative email.
type Parts struct {
	Text, HTML string
}

// Compose makes the text and HTML parts of an automated email from its rendered bodies:
// text, and own, the HTML rendered from the template's own HTML body ("" when it has
// none, merged values already escaped). Without own the HTML part is made from the text:
// paragraphs at blank lines, line breaks kept, links made clickable, and everything else
// escaped (merged values included), so nothing a record holds becomes markup. With tracking
// (t.BaseURL set) every link of both parts is rewritten to its tracked URL, the HTML part
// gets the open pixel, and both end with an unsubscribe line; without tracking but with
// t.Address, both end with an unsubscribe line naming the address.
func Compose(text, own string, t Tracking) Parts {
	track := t.BaseURL != "" && t.ID != ""
	index := map[string]int{}
	for i, l := range Links(text, own) {
		index[l] = i
	}
	spans := linkSpans(text)
	var tb, hb strings.Builder
	hb.WriteString("<!DOCTYPE html>\n<html><body>\n")
	last := 0
	paraOpen := false
	openPara := func() {
		if !paraOpen {
			hb.WriteString("<p>")
			paraOpen = true
		}
	}
	// plain writes literal text to both parts, turning blank lines into paragraphs.
	plain := func(s string) {
		tb.WriteString(s)
		for len(s) > 0 {
			i := strings.IndexByte(s, '\n')
			if i < 0 {
				openPara()
				hb.WriteString(html.EscapeString(s))
				return
			}
			if i > 0 {
				openPara()
				hb.WriteString(html.EscapeString(strings.TrimRight(s[:i], "\r")))
			}
			s = s[i+1:]
			// A blank line (or several) ends the paragraph; a single line break is a <br>.
			blank := false
			for {
				t := strings.TrimLeft(s, " \t\r")
				if strings.HasPrefix(t, "\n") {
					blank, s = true, t[1:]
					continue
				}
				break
			}
			switch {
			case blank && paraOpen:
				hb.WriteString("</p>\n")
				paraOpen = false
			case !blank && paraOpen && len(s) > 0:
				hb.WriteString("<br>\n")
			}
		}
	}
	for _, sp := range spans {
		plain(text[last:sp[0]])
		link := text[sp[0]:sp[1]]
		href := link
		if track {
			href = t.ClickURL(index[link])
		}
		tb.WriteString(href)
		openPara()
		hb.WriteString(`<a href="` + html.EscapeString(href) + `">` + html.EscapeString(link) + `</a>`)
		last = sp[1]
	}
	plain(text[last:])
	if paraOpen {
		hb.WriteString("</p>\n")
	}
	if u := t.unsubscribeLink(track); u != "" {
		if !strings.HasSuffix(tb.String(), "\n") {
			tb.WriteString("\n")
		}
		if track {
			tb.WriteString("\n--\nTo stop receiving these emails, unsubscribe: " + u + "\n")
		} else {
			tb.WriteString("\n--\nTo stop receiving these emails, write to " + t.Address + "\n")
		}
	}
	if own != "" {
		return Parts{Text: tb.String(), HTML: ownHTML(own, t, track, index)}
	}
	hb.WriteString(trailer(t, track))
	hb.WriteString("</body></html>\n")
	return Parts{Text: tb.String(), HTML: hb.String()}
}

// trailer is what an HTML part ends with: the unsubscribe line (when there is one to
// give) and, tracked, the open pixel.
func trailer(t Tracking, track bool) string {
	u := t.unsubscribeLink(track)
	if u == "" {
		return ""
	}
	out := `<p style="font-size:small;color:#666">To stop receiving these emails, <a href="` +
		html.EscapeString(u) + `">unsubscribe</a>.</p>` + "\n"
	if track {
		out += `<img src="` + html.EscapeString(t.PixelURL()) + `" width="1" height="1" alt="">` + "\n"
	}
	return out
}

// hrefRE finds the href attribute of an a or area element: the part before the value, and
// the value in double or single quotes.
var hrefRE = regexp.MustCompile(`(?is)(<(?:a|area)\b[^>]*?\bhref\s*=\s*)(?:"([^"]*)"|'([^']*)')`)

// href is the link of one href attribute in an HTML body: the [start, end) byte offsets of
// its quoted value, and the URL it holds ("" when it is no web link: mailto:, #…).
type href struct {
	start, end int
	link       string
}

// hrefs lists the href attributes of an HTML body in order.
func hrefs(body string) []href {
	var out []href
	for _, m := range hrefRE.FindAllStringSubmatchIndex(body, -1) {
		vs, ve := m[4], m[5]
		if vs < 0 {
			vs, ve = m[6], m[7]
		}
		h := href{start: vs - 1, end: ve + 1}
		l := strings.TrimSpace(html.UnescapeString(body[vs:ve]))
		if low := strings.ToLower(l); (strings.HasPrefix(low, "http://") || strings.HasPrefix(low, "https://")) && len(l) > len("https://") {
			h.link = l
		}
		out = append(out, h)
	}
	return out
}

// ownHTML is the HTML part of an email whose template has an HTML body of its own: the
// rendered HTML with, when tracked, its web links rewritten to their tracked URLs (index
// numbers them) and the unsubscribe line and open pixel before </body> (at the end when
// it has none).
func ownHTML(body string, t Tracking, track bool, index map[string]int) string {
	if t.unsubscribeLink(track) == "" {
		return body
	}
	var b strings.Builder
	last := 0
	for _, h := range hrefs(body) {
		if h.link == "" || !track {
			continue
		}
		b.WriteString(body[last:h.start])
		b.WriteString(`"` + html.EscapeString(t.ClickURL(index[h.link])) + `"`)
		last = h.end
	}
	rest := body[last:]
	if i := strings.LastIndex(strings.ToLower(rest), "</body>"); i >= 0 {
		b.WriteString(rest[:i])
		b.WriteString(trailer(t, track))
		b.WriteString(rest[i:])
	} else {
		b.WriteString(rest)
		if !strings.HasSuffix(rest, "\n") {
			b.WriteString("\n")
		}
		b.WriteString(trailer(t, track))
	}
	return b.String()
}

// TrackingID is the tracking id of a Message-ID: its local part, lower case, without the
// angle brackets.
func TrackingID(messageID string) string {
	id := strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(messageID), "<"), ">")
	local, _, _ := strings.Cut(id, "@")
	return strings.ToLower(local)
}

// VERP is the envelope sender of the email with Message-ID messageID when bounces go to
// domain: bounce+ID@domain, ID its tracking id, so a bounce names the email it is about.
func VERP(messageID, domain string) string { return tagged("bounce", messageID, domain) }

// FromVERP returns the tracking id of a VERP address made by VERP, or false.
func FromVERP(addr string) (string, bool) { return fromTagged("bounce", addr) }

// UnsubscribeAddress is the address that unsubscribes the recipient of the email with
// Message-ID messageID when there is no tracking URL to unsubscribe at: unsubscribe+ID@domain
// (domain the bounce_domain, whose mail comes to a watched mailbox), for a List-Unsubscribe
// mailto.
func UnsubscribeAddress(messageID, domain string) string {
	return tagged("unsubscribe", messageID, domain)
}

// FromUnsubscribeAddress returns the tracking id of an address made by
// UnsubscribeAddress, or false.
func FromUnsubscribeAddress(addr string) (string, bool) { return fromTagged("unsubscribe", addr) }

// tagged is the address tag+ID@domain of the email with Message-ID messageID.
func tagged(tag, messageID, domain string) string {
	return tag + "+" + TrackingID(messageID) + "@" + domain
}

// fromTagged returns the ID of an address tag+ID@domain, or false.
func fromTagged(tag, addr string) (string, bool) {
	addr = strings.ToLower(strings.TrimSpace(addr))
	local, _, ok := strings.Cut(addr, "@")
	if !ok {
		return "", false
	}
	id, ok := strings.CutPrefix(local, tag+"+")
	return id, ok && id != ""
}
