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

// Links returns the distinct web links of a text body in order of first use. A tracked
// email numbers its links by this list: link i of a message is Links(body)[i], so the
// click redirect of a message goes only to a link its stored body holds.
func Links(text string) []string {
	var out []string
	seen := map[string]bool{}
	for _, sp := range linkSpans(text) {
		l := text[sp[0]:sp[1]]
		if !seen[l] {
			seen[l] = true
			out = append(out, l)
		}
	}
	return out
}

// LinkAt returns link i of a text body (see Links), or false.
func LinkAt(text string, i int) (string, bool) {
	links := Links(text)
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
}

// ClickURL is the tracked URL of link i of the message.
func (t Tracking) ClickURL(i int) string {
	return t.BaseURL + "/c/" + t.ID + "/" + strconv.Itoa(i)
}

// PixelURL is the URL of the message's open pixel.
func (t Tracking) PixelURL() string { return t.BaseURL + "/o/" + t.ID + ".gif" }

// UnsubscribeURL is the URL that unsubscribes the message's recipient.
func (t Tracking) UnsubscribeURL() string { return t.BaseURL + "/u/" + t.ID }

// OneClick reports whether the unsubscribe URL may be used for RFC 8058 one-click
// unsubscribing (List-Unsubscribe-Post), which needs https.
func (t Tracking) OneClick() bool { return strings.HasPrefix(strings.ToLower(t.BaseURL), "https://") }

// Parts are the two bodies of a multipart/alternative email.
type Parts struct {
	Text, HTML string
}

// Compose makes the text and HTML parts of an automated email from its rendered text body.
// The HTML part is made from the text: paragraphs at blank lines, line breaks kept, links
// made clickable, and everything else escaped (merged values included), so nothing a
// record holds becomes markup. With tracking (t.BaseURL set) every link of both parts is
// rewritten to its tracked URL, the HTML part gets the open pixel, and both end with an
// unsubscribe line.
func Compose(text string, t Tracking) Parts {
	track := t.BaseURL != "" && t.ID != ""
	index := map[string]int{}
	for i, l := range Links(text) {
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
	if track {
		u := t.UnsubscribeURL()
		if !strings.HasSuffix(tb.String(), "\n") {
			tb.WriteString("\n")
		}
		tb.WriteString("\n--\nTo stop receiving these emails, unsubscribe: " + u + "\n")
		hb.WriteString(`<p style="font-size:small;color:#666">To stop receiving these emails, <a href="` +
			html.EscapeString(u) + `">unsubscribe</a>.</p>` + "\n")
		hb.WriteString(`<img src="` + html.EscapeString(t.PixelURL()) + `" width="1" height="1" alt="">` + "\n")
	}
	hb.WriteString("</body></html>\n")
	return Parts{Text: tb.String(), HTML: hb.String()}
}

// TrackingID is the tracking id of a Message-ID: its local part, lower case, without the
// angle brackets.
func TrackingID(messageID string) string {
	id := strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(messageID), "<"), ">")
	local, _, _ := strings.Cut(id, "@")
	return strings.ToLower(local)
}
