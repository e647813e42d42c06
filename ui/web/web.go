// Package web serves pacer's HTTP endpoints beside the SSH server of pacer serve: email
// events posted by other systems (POST /events), the open-tracking pixel (GET
// /t/open/ID.gif), tracked links (GET /t/click/ID/N, a 302 to link N of the stored email),
// unsubscribing (GET /t/unsub/ID asks, POST unsubscribes, RFC 8058 one-click included) and a
// health check (GET /healthz). Request bodies are bounded by limits.HTTPBody.
package web

import (
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/pacer-sales/pacer/engine"
	"github.com/pacer-sales/pacer/engine/limits"
	"github.com/pacer-sales/pacer/engine/sequence"
)

// tracker serves the tracking and event endpoints.
type tracker struct {
	eng *engine.Engine
	// as is the acting user of events posted by record.
	as string
	// token, when set, is required from every client of POST /events; when empty only
	// clients on this machine may post.
	token string
	log   *slog.Logger
}

// Options tune the endpoints.
type Options struct {
	// As is the acting user of events posted by record.
	As string
	// Token, when set, is required from every client of POST /events ("Authorization:
	// Bearer TOKEN"); when empty only clients on this machine may post.
	Token string
	// Log receives a line per event recorded and per failure; nil discards.
	Log *slog.Logger
}

// Handler serves the endpoints over eng: POST /events, GET /t/open/ID.gif, GET /healthz.
func Handler(eng *engine.Engine, opts Options) http.Handler {
	log := opts.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	t := &tracker{eng: eng, as: opts.As, token: opts.Token, log: log}
	return t.routes()
}

// NewServer is an HTTP server of Handler with the timeouts a server facing the network
// needs; its error log goes to opts.Log.
func NewServer(eng *engine.Engine, opts Options) *http.Server {
	log := opts.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &http.Server{
		Handler:           Handler(eng, opts),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    limits.HTTPBody,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
}

func (t *tracker) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", t.healthz)
	mux.HandleFunc("POST /events", t.events)
	mux.HandleFunc("GET /t/open/{file}", t.pixel)
	mux.HandleFunc("GET /t/click/{id}/{n}", t.click)
	mux.HandleFunc("GET /t/unsub/{id}", t.unsubscribePage)
	mux.HandleFunc("POST /t/unsub/{id}", t.unsubscribe)
	return mux
}

// healthz answers 200 when the database can be read.
func (t *tracker) healthz(w http.ResponseWriter, r *http.Request) {
	if _, err := t.eng.Empty(r.Context()); err != nil {
		http.Error(w, "the database does not answer: "+err.Error(), http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	// Which of the nodes sharing a database this is, and whether it leads them.
	w.Header().Set("X-Pacer-Node", t.eng.Node())
	w.Header().Set("X-Pacer-Leader", strconv.FormatBool(t.eng.Leads()))
	_, _ = io.WriteString(w, "ok\n")
}

// eventRequest is the body of POST /events.
type eventRequest struct {
	Record    string `json:"record"`
	MessageID string `json:"message_id"`
	Type      string `json:"type"`
	// Seq and Step say which email of the record is meant (by record only): the
	// sequence's name and the step id, either or both.
	Seq  string `json:"seq"`
	Step string `json:"step"`
	At   string `json:"at"`
}

// eventReply is the answer of POST /events.
type eventReply struct {
	Recorded  string `json:"recorded,omitempty"`
	Record    string `json:"record,omitempty"`
	MessageID string `json:"message_id,omitempty"`
	Error     string `json:"error,omitempty"`
	// Field names the request field that is wrong, when one is.
	Field string `json:"field,omitempty"`
	// Candidates are the emails an event by record could belong to, when it was refused
	// as ambiguous: give seq (or step) to say which.
	Candidates []engine.EventCandidate `json:"candidates,omitempty"`
}

// events records an email event by record (as the acting user, with the engine's role
// checks) or by Message-ID (as the system).
func (t *tracker) events(w http.ResponseWriter, r *http.Request) {
	if status, msg := t.allowed(r); status != 0 {
		if status == http.StatusUnauthorized {
			w.Header().Set("WWW-Authenticate", `Bearer realm="pacer events"`)
		}
		reply(w, status, eventReply{Error: msg})
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, limits.HTTPBody)
	req, field, err := readEvent(r)
	if err != nil {
		status := http.StatusBadRequest
		var tooBig *http.MaxBytesError
		switch {
		case errors.As(err, &tooBig):
			status = http.StatusRequestEntityTooLarge
		case errors.Is(err, errMediaType):
			status = http.StatusUnsupportedMediaType
		}
		reply(w, status, eventReply{Error: err.Error(), Field: field})
		return
	}
	kind, at, field, err := req.check()
	if err != nil {
		reply(w, http.StatusBadRequest, eventReply{Error: err.Error(), Field: field})
		return
	}
	if req.MessageID != "" {
		err = t.eng.RecordMessageEvent(r.Context(), req.MessageID, kind, at)
	} else {
		err = t.eng.RecordEventIn(r.Context(), t.as, req.Record, kind, engine.EventTarget{Seq: req.Seq, Step: req.Step}, at)
	}
	var ambiguous *engine.AmbiguousEventError
	if errors.As(err, &ambiguous) {
		reply(w, http.StatusConflict, eventReply{Error: ambiguous.Explain("seq", "step"), Field: "seq", Candidates: ambiguous.Candidates})
		return
	}
	if err != nil {
		status := http.StatusInternalServerError
		switch {
		case errors.Is(err, engine.ErrUnknownMessage):
			status = http.StatusNotFound
		case errors.Is(err, engine.ErrInvalid):
			status = http.StatusBadRequest
		case errors.Is(err, engine.ErrForbidden):
			status = http.StatusForbidden
		}
		if status == http.StatusInternalServerError {
			t.log.Error("http: event not recorded", "record", req.Record, "message_id", req.MessageID, "type", req.Type, "err", err)
		}
		reply(w, status, eventReply{Error: err.Error()})
		return
	}
	t.log.Info("http: event", "record", req.Record, "message_id", req.MessageID, "type", req.Type, "remote", r.RemoteAddr)
	reply(w, http.StatusOK, eventReply{Recorded: req.Type, Record: req.Record, MessageID: req.MessageID})
}

// allowed checks who may post events: with a token, whoever presents it; without one,
// clients on this machine only. It returns 0 when the request may go on.
func (t *tracker) allowed(r *http.Request) (int, string) {
	if t.token != "" {
		got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || subtle.ConstantTimeCompare([]byte(got), []byte(t.token)) != 1 {
			return http.StatusUnauthorized, "Authorization: want Bearer and the events token pacer serve was started with"
		}
		return 0, ""
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() {
		return http.StatusForbidden, "POST /events takes events from this machine only; start pacer serve with --events-token to take them from elsewhere"
	}
	return 0, ""
}

// errMediaType is returned for a body that is neither a form nor JSON.
var errMediaType = errors.New("Content-Type: want application/json or application/x-www-form-urlencoded")

// knownFields are the fields of POST /events.
const knownFields = "record, message_id, type, seq, step, at"

// readEvent reads the fields of POST /events from a JSON or form body; on error, field
// names the field at fault when there is one.
func readEvent(r *http.Request) (req eventRequest, field string, err error) {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch mt {
	case "application/json":
		dec := json.NewDecoder(r.Body)
		dec.DisallowUnknownFields()
		if err := dec.Decode(&req); err != nil {
			var typeErr *json.UnmarshalTypeError
			switch {
			case errors.As(err, &typeErr):
				return req, typeErr.Field, fmt.Errorf("%s: want a string", typeErr.Field)
			case strings.HasPrefix(err.Error(), "json: unknown field "):
				f := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
				return req, f, fmt.Errorf("%s: unknown field (known: %s)", f, knownFields)
			}
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				return req, "", err
			}
			return req, "", fmt.Errorf("the body is not a JSON object of strings: %v", err)
		}
		if dec.More() {
			return req, "", errors.New("the body holds more than one JSON value")
		}
		return req, "", nil
	case "application/x-www-form-urlencoded":
		if err := r.ParseForm(); err != nil {
			return req, "", fmt.Errorf("the form can't be read: %w", err)
		}
		known := map[string]*string{"record": &req.Record, "message_id": &req.MessageID, "type": &req.Type, "seq": &req.Seq, "step": &req.Step, "at": &req.At}
		for k, vs := range r.PostForm {
			p, ok := known[k]
			if !ok {
				return req, k, fmt.Errorf("%s: unknown field (known: %s)", k, knownFields)
			}
			if len(vs) > 1 {
				return req, k, fmt.Errorf("%s: given %d times; give it once", k, len(vs))
			}
			*p = vs[0]
		}
		return req, "", nil
	}
	return req, "", errMediaType
}

// check validates an event request; on error, field names the field at fault.
func (q *eventRequest) check() (kind sequence.Kind, at time.Time, field string, err error) {
	q.Record, q.MessageID, q.Type = strings.TrimSpace(q.Record), strings.TrimSpace(q.MessageID), strings.TrimSpace(q.Type)
	q.Seq, q.Step, q.At = strings.TrimSpace(q.Seq), strings.TrimSpace(q.Step), strings.TrimSpace(q.At)
	kinds := "email_opened, email_replied, link_clicked or attachment_downloaded"
	switch {
	case q.Type == "":
		return "", at, "type", fmt.Errorf("type: required (%s)", kinds)
	case !isEventKind(q.Type):
		return "", at, "type", fmt.Errorf("type: %q is not an email event (want %s)", q.Type, kinds)
	case q.Record == "" && q.MessageID == "":
		return "", at, "record", errors.New("record: required (entity/id, e.g. lead/L-1001), or give message_id instead")
	case q.Record != "" && q.MessageID != "":
		return "", at, "message_id", errors.New("message_id: give record or message_id, not both")
	case q.MessageID != "" && q.Step != "":
		return "", at, "step", errors.New("step: goes with record only; a message_id names its step itself")
	case q.MessageID != "" && q.Seq != "":
		return "", at, "seq", errors.New("seq: goes with record only; a message_id names its sequence itself")
	}
	if q.Record != "" {
		if _, _, err := engine.ParseRef(q.Record); err != nil {
			return "", at, "record", fmt.Errorf("record: %w", err)
		}
	}
	if q.At != "" {
		if at, err = time.Parse(time.RFC3339, q.At); err != nil {
			return "", at, "at", fmt.Errorf("at: %q is not an RFC 3339 time (e.g. 2026-03-02T09:00:00Z)", q.At)
		}
	}
	return sequence.Kind(q.Type), at, "", nil
}

func isEventKind(s string) bool {
	for _, k := range sequence.EventKinds {
		if string(k) == s {
			return true
		}
	}
	return false
}

func reply(w http.ResponseWriter, status int, body eventReply) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

// pixelGIF is a transparent 1×1 GIF.
var pixelGIF = []byte{
	0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 0x01, 0x00, 0x01, 0x00, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00,
	0xff, 0xff, 0xff, 0x21, 0xf9, 0x04, 0x01, 0x00, 0x00, 0x00, 0x00, 0x2c, 0x00, 0x00, 0x00, 0x00,
	0x01, 0x00, 0x01, 0x00, 0x00, 0x02, 0x02, 0x44, 0x01, 0x00, 0x3b,
}

// pixel records email_opened for the email whose Message-ID has the local part in the
// path and answers a transparent 1×1 GIF. It is anonymous, as a mail client loading an
// image is: the unguessable Message-ID stands in for a permission, and the event is
// recorded as the system. Loading it again records nothing more. A malformed id (not
// ID.gif with 32 hex digits) gets the pixel too and records nothing, as an unknown one does.
func (t *tracker) pixel(w http.ResponseWriter, r *http.Request) {
	file := r.PathValue("file")
	id, ok := strings.CutSuffix(file, ".gif")
	if ok = ok && isHexID(id); !ok {
		t.log.Info("http: pixel of a malformed id")
	}
	if ok && r.Method == http.MethodGet {
		err := t.eng.RecordMessageEvent(r.Context(), id, sequence.EmailOpened, time.Time{})
		switch {
		case errors.Is(err, engine.ErrUnknownMessage):
			// Unknown ids get the pixel too: a harmless answer, telling a prober nothing.
			t.log.Info("http: pixel of an unknown message", "message", id)
		case errors.Is(err, engine.ErrInvalid):
			// The open does not apply (say, to a step not reached): nothing to record, and
			// nothing the mail client could do about it.
			t.log.Info("http: pixel open not recorded", "message", id, "why", err.Error())
		case err != nil:
			t.log.Error("http: pixel open not recorded", "message", id, "err", err)
			http.Error(w, "the open could not be recorded", http.StatusInternalServerError)
			return
		default:
			t.log.Info("http: email opened", "message", id)
		}
	}
	h := w.Header()
	h.Set("Content-Type", "image/gif")
	h.Set("Cache-Control", "no-store, no-cache, must-revalidate, private")
	h.Set("Expires", "0")
	_, _ = w.Write(pixelGIF)
}

// isHexID reports 32 hexadecimal digits.
func isHexID(s string) bool {
	if len(s) != 32 {
		return false
	}
	for _, c := range s {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}

// click records link_clicked and redirects (302) to link n of the email with tracking id
// id: the link is the one its stored body holds, never anything taken from the request,
// so the endpoint can't be made an open redirect. An unknown id or link gets a plain page.
func (t *tracker) click(w http.ResponseWriter, r *http.Request) {
	id, ns := r.PathValue("id"), r.PathValue("n")
	n, err := strconv.Atoi(ns)
	if !isHexID(id) || err != nil || n < 0 || n > 10_000 {
		plainPage(w, http.StatusNotFound, "This link is not known.")
		return
	}
	target, err := t.eng.ClickTarget(r.Context(), id, n)
	switch {
	case errors.Is(err, engine.ErrUnknownMessage), err == nil && !safeLink(target):
		plainPage(w, http.StatusNotFound, "This link is not known.")
		return
	case err != nil:
		t.log.Error("http: click not recorded", "message", id, "link", n, "err", err)
		plainPage(w, http.StatusInternalServerError, "This link can't be followed right now; try again later.")
		return
	}
	t.log.Info("http: link clicked", "message", id, "link", n)
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
	http.Redirect(w, r, target, http.StatusFound)
}

// safeLink reports an absolute http(s) URL without line breaks.
func safeLink(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" && !strings.ContainsAny(s, "\r\n")
}

// unsubscribePage asks to confirm an unsubscribe with a button that POSTs: a GET changes
// nothing, since mail scanners follow links.
func (t *tracker) unsubscribePage(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	addr, err := "", errors.New("bad id")
	if isHexID(id) {
		addr, err = t.eng.UnsubscribeTarget(r.Context(), id)
	}
	if err != nil {
		plainPage(w, http.StatusNotFound, "This unsubscribe link is not known.")
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = fmt.Fprintf(w, `<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Unsubscribe</title></head><body>
<p>Stop the automated emails to %s?</p>
<form method="post" action="/t/unsub/%s"><button type="submit">Unsubscribe</button></form>
</body></html>
`, html.EscapeString(addr), html.EscapeString(id))
}

// unsubscribe unsubscribes the recipient of the email: the confirmation form's POST and
// the one-click POST of RFC 8058 (body List-Unsubscribe=One-Click) alike.
func (t *tracker) unsubscribe(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	r.Body = http.MaxBytesReader(w, r.Body, limits.HTTPBody)
	how := "unsubscribe page"
	if err := r.ParseForm(); err == nil && r.PostForm.Get("List-Unsubscribe") == "One-Click" {
		how = "one-click unsubscribe"
	}
	addr, err := "", errors.New("bad id")
	if isHexID(id) {
		addr, err = t.eng.Unsubscribe(r.Context(), id, how)
	}
	switch {
	case errors.Is(err, engine.ErrUnknownMessage), err != nil && !isHexID(id):
		plainPage(w, http.StatusNotFound, "This unsubscribe link is not known.")
		return
	case err != nil:
		t.log.Error("http: unsubscribe failed", "message", id, "err", err)
		plainPage(w, http.StatusInternalServerError, "The unsubscribe could not be recorded; try again later.")
		return
	}
	t.log.Info("http: unsubscribed", "message", id, "how", how)
	plainPage(w, http.StatusOK, "Unsubscribed: "+addr+" will get no more automated emails.")
}

// plainPage answers a short text page.
func plainPage(w http.ResponseWriter, status int, text string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, text+"\n")
}
