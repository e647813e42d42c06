package web

import (
	"bytes"
	"context"
	"encoding/json"
	"image/gif"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pacer-sales/pacer/engine"
	"github.com/pacer-sales/pacer/engine/sequence"
	"github.com/pacer-sales/pacer/store/bolt"
)

// trackingSeq sends an email and waits two days for it to be opened.
const trackingSeq = `
name: Opened or not
options:
  send_window: any # the tests run on the wall clock
steps:
  - type: auto_email
    id: hello
    template: intro
  - type: condition
    id: opened
    if: email_opened
    within: 2d
    yes:
      - type: call
        id: hot-call
    no:
      - type: task
        id: later
`

// trackingOrg is an engine with an admin, a seller, two leads connected to trackingSeq
// (their emails kept in the outbox) and the endpoints over it on an httptest server.
type trackingOrg struct {
	eng *engine.Engine
	srv *httptest.Server
}

func newTrackingOrg(t *testing.T, token string) *trackingOrg {
	t.Helper()
	ctx := context.Background()
	db, err := bolt.Open(filepath.Join(t.TempDir(), "pacer.db"), bolt.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	eng := engine.New(db, nil)
	must(t, eng.AddUser(ctx, "", engine.User{Username: "ada", Roles: []engine.Role{engine.RoleAdmin}}))
	must(t, eng.AddUser(ctx, "ada", engine.User{Username: "sam", Name: "Sam", Roles: []engine.Role{engine.RoleSeller}}))
	must(t, eng.AddTemplate(ctx, "ada", engine.Template{Name: "intro", Subject: "Hello {{first_name}}", Body: "Hi {{name}}."}))
	_, err = eng.ImportRecords(ctx, "ada", "leads.csv", strings.NewReader("id,name,owner,email\nL-1,Ana Lima,sam,ana@example.com\nL-2,Bo Chen,sam,bo@example.com\n"), "lead")
	must(t, err)
	def, err := sequence.Parse([]byte(trackingSeq), "test.yaml")
	must(t, err)
	_, err = eng.ImportSequence(ctx, "ada", def, engine.SaveOptions{Activate: true})
	must(t, err)
	_, err = eng.Connect(ctx, "ada", def.Name, []string{"lead/L-1", "lead/L-2"})
	must(t, err)
	srv := httptest.NewServer(Handler(eng, Options{As: "ada", Token: token}))
	t.Cleanup(srv.Close)
	return &trackingOrg{eng: eng, srv: srv}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// at is the record's connection: its current step and history as "type:branch".
func (o *trackingOrg) at(t *testing.T, ref string) (string, []string) {
	t.Helper()
	v, err := o.eng.RecordDetail(context.Background(), "ada", ref)
	must(t, err)
	c := v.Connections[0]
	var hist []string
	for _, h := range c.History {
		k := h.Type
		if h.Branch != "" {
			k += ":" + h.Branch
		}
		if h.Event != "" {
			k += ":" + h.Event
		}
		hist = append(hist, k)
	}
	return c.CurrentStep, hist
}

// localID is the local part of the record's email's Message-ID, as a tracking URL has it.
func (o *trackingOrg) localID(t *testing.T, ref string) string {
	t.Helper()
	box, err := o.eng.Outbox(context.Background(), "ada")
	must(t, err)
	for _, m := range box {
		if m.Record == ref {
			id, _, _ := strings.Cut(strings.Trim(m.MessageID, "<>"), "@")
			return id
		}
	}
	t.Fatalf("no email to %s in %+v", ref, box)
	return ""
}

type response struct {
	status int
	header http.Header
	body   []byte
	reply  eventReply
}

func do(t *testing.T, req *http.Request) response {
	t.Helper()
	res, err := http.DefaultClient.Do(req)
	must(t, err)
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	must(t, err)
	r := response{status: res.StatusCode, header: res.Header, body: body}
	if strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") {
		must(t, json.Unmarshal(body, &r.reply))
	}
	return r
}

func (o *trackingOrg) postForm(t *testing.T, form url.Values, header ...string) response {
	t.Helper()
	req, err := http.NewRequest("POST", o.srv.URL+"/events", strings.NewReader(form.Encode()))
	must(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return do(t, req)
}

func (o *trackingOrg) post(t *testing.T, contentType, body string) response {
	t.Helper()
	req, err := http.NewRequest("POST", o.srv.URL+"/events", strings.NewReader(body))
	must(t, err)
	req.Header.Set("Content-Type", contentType)
	return do(t, req)
}

func (o *trackingOrg) get(t *testing.T, path string) response {
	t.Helper()
	req, err := http.NewRequest("GET", o.srv.URL+path, nil)
	must(t, err)
	return do(t, req)
}

// POST /events by record takes the email condition's Yes branch.
func TestEventsTakeYesBranch(t *testing.T) {
	o := newTrackingOrg(t, "")
	if step, _ := o.at(t, "lead/L-1"); step != "opened" {
		t.Fatalf("lead/L-1 at %q before the event, want the condition", step)
	}
	r := o.postForm(t, url.Values{"record": {"lead/L-1"}, "type": {"email_opened"}})
	if r.status != http.StatusOK || r.reply.Recorded != "email_opened" || r.reply.Record != "lead/L-1" {
		t.Fatalf("POST /events: %d %s", r.status, r.body)
	}
	step, hist := o.at(t, "lead/L-1")
	if step != "hot-call" || !strings.Contains(strings.Join(hist, " "), "event:email_opened condition:yes") {
		t.Fatalf("lead/L-1 at %q with history %q, want the Yes branch", step, hist)
	}
	// JSON works the same, by Message-ID, with a time (after the email went out: an event
	// before its message is refused).
	at := time.Now().UTC().Format(time.RFC3339Nano)
	r = o.post(t, "application/json", `{"message_id": "`+o.localID(t, "lead/L-2")+`", "type": "email_opened", "at": "`+at+`"}`)
	if r.status != http.StatusOK {
		t.Fatalf("POST /events JSON: %d %s", r.status, r.body)
	}
	if step, _ := o.at(t, "lead/L-2"); step != "hot-call" {
		t.Fatalf("lead/L-2 at %q, want the Yes branch", step)
	}
}

// The tracking pixel records email_opened for its message, anonymously, and answers a 1×1
// GIF every time.
func TestPixelRecordsOpen(t *testing.T) {
	o := newTrackingOrg(t, "secret") // the pixel needs no token
	id := o.localID(t, "lead/L-2")
	for i := range 2 {
		r := o.get(t, "/t/open/"+id+".gif")
		if r.status != http.StatusOK || r.header.Get("Content-Type") != "image/gif" || !strings.Contains(r.header.Get("Cache-Control"), "no-store") {
			t.Fatalf("load %d: %d %v %q", i+1, r.status, r.header, r.body)
		}
		img, err := gif.Decode(bytes.NewReader(r.body))
		must(t, err)
		if b := img.Bounds(); b.Dx() != 1 || b.Dy() != 1 {
			t.Fatalf("pixel is %v", b)
		}
	}
	step, hist := o.at(t, "lead/L-2")
	if step != "hot-call" || strings.Count(strings.Join(hist, " "), "event:email_opened") != 1 {
		t.Fatalf("lead/L-2 at %q with history %q, want one open and the Yes branch", step, hist)
	}
	if step, _ := o.at(t, "lead/L-1"); step != "opened" {
		t.Errorf("lead/L-1 moved to %q on another message's pixel", step)
	}
	// Unknown and malformed ids get the pixel too, a harmless answer, and record nothing.
	idL1 := o.localID(t, "lead/L-1")
	for _, path := range []string{
		"/t/open/" + strings.Repeat("0", 32) + ".gif",
		"/t/open/" + idL1 + ".png",
		"/t/open/" + idL1,
		"/t/open/" + idL1 + "0.gif",
		"/t/open/xyz.gif",
		"/t/open/%3Cscript%3E.gif",
	} {
		r := o.get(t, path)
		if r.status != http.StatusOK || r.header.Get("Content-Type") != "image/gif" || !bytes.Equal(r.body, pixelGIF) {
			t.Errorf("GET %s: %d %q %q, want the GIF", path, r.status, r.header.Get("Content-Type"), r.body)
		}
	}
	if step, _ := o.at(t, "lead/L-1"); step != "opened" {
		t.Errorf("lead/L-1 moved to %q on a malformed pixel id", step)
	}
	if r := o.get(t, "/healthz"); r.status != http.StatusOK || string(r.body) != "ok\n" {
		t.Errorf("GET /healthz: %d %q", r.status, r.body)
	}
}

// Bad input is answered 400 (or 415) with a message naming the field, and changes nothing.
func TestEventsBadInput(t *testing.T) {
	o := newTrackingOrg(t, "")
	form := func(kv ...string) string {
		v := url.Values{}
		for i := 0; i+1 < len(kv); i += 2 {
			v.Add(kv[i], kv[i+1])
		}
		return v.Encode()
	}
	const formType, jsonType = "application/x-www-form-urlencoded", "application/json"
	for _, c := range []struct {
		name, contentType, body string
		status                  int
		field, says             string
	}{
		{"no type", formType, form("record", "lead/L-1"), 400, "type", "type: required"},
		{"unknown type", formType, form("record", "lead/L-1", "type", "email_bounced"), 400, "type", `"email_bounced" is not an email event`},
		{"no record", formType, form("type", "email_opened"), 400, "record", "record: required"},
		{"bad record", formType, form("record", "L-1", "type", "email_opened"), 400, "record", "record:"},
		{"bad time", formType, form("record", "lead/L-1", "type", "email_opened", "at", "yesterday"), 400, "at", "not an RFC 3339 time"},
		{"unknown form field", formType, form("record", "lead/L-1", "type", "email_opened", "when", "now"), 400, "when", "when: unknown field"},
		{"field twice", formType, form("record", "lead/L-1", "type", "email_opened", "type", "link_clicked"), 400, "type", "given 2 times"},
		{"record and message", formType, form("record", "lead/L-1", "message_id", "abc", "type", "email_opened"), 400, "message_id", "not both"},
		{"step with message", formType, form("message_id", "abc", "step", "hello", "type", "email_opened"), 400, "step", "goes with record"},
		{"unknown JSON field", jsonType, `{"record":"lead/L-1","type":"email_opened","kind":"x"}`, 400, "kind", "kind: unknown field"},
		{"JSON number", jsonType, `{"record":"lead/L-1","type":1}`, 400, "type", "type: want a string"},
		{"not JSON", jsonType, `record=lead/L-1`, 400, "", "not a JSON object"},
		{"plain text", "text/plain", "record lead/L-1", 415, "", "Content-Type"},
		{"unknown record", formType, form("record", "lead/L-9", "type", "email_opened"), 400, "", "there is no record lead/L-9"},
		{"unknown step", formType, form("record", "lead/L-1", "type", "email_opened", "step", "nope"), 400, "", `step "nope"`},
		{"unknown message", formType, form("message_id", strings.Repeat("a", 32), "type", "email_opened"), 404, "", "no email has the Message-ID"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := o.post(t, c.contentType, c.body)
			if r.status != c.status || r.reply.Field != c.field || !strings.Contains(r.reply.Error, c.says) {
				t.Errorf("%d %s, want %d with field %q and %q", r.status, r.body, c.status, c.field, c.says)
			}
		})
	}
	if step, _ := o.at(t, "lead/L-1"); step != "opened" {
		t.Errorf("lead/L-1 moved to %q on bad input", step)
	}
}

// Without a token only clients on this machine may post events; with one, every client
// must present it.
func TestEventsWhoMayPost(t *testing.T) {
	o := newTrackingOrg(t, "")
	h := Handler(o.eng, Options{As: "ada"})
	req := httptest.NewRequest("POST", "/events", strings.NewReader("record=lead/L-1&type=email_opened"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.RemoteAddr = "203.0.113.7:40000"
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusForbidden || !strings.Contains(rec.Body.String(), "--events-token") {
		t.Errorf("remote client without a token: %d %s", rec.Code, rec.Body)
	}

	o = newTrackingOrg(t, "s3cret")
	ev := url.Values{"record": {"lead/L-1"}, "type": {"email_opened"}}
	for _, auth := range []string{"", "Bearer nope", "s3cret"} {
		if r := o.postForm(t, ev, "Authorization", auth); r.status != http.StatusUnauthorized || r.header.Get("WWW-Authenticate") == "" {
			t.Errorf("Authorization %q: %d %s, want 401", auth, r.status, r.body)
		}
	}
	if r := o.postForm(t, ev, "Authorization", "Bearer s3cret"); r.status != http.StatusOK {
		t.Errorf("with the token: %d %s", r.status, r.body)
	}
}

// An event by record that could belong to the emails of two sequences is refused (409)
// in the terms of the request, naming both; seq says which, and the event lands on that
// sequence's email only.
func TestEventsAmbiguousBySeq(t *testing.T) {
	o := newTrackingOrg(t, "")
	ctx := context.Background()
	def, err := sequence.Parse([]byte(`
name: Second
options:
  send_window: any
steps:
  - type: auto_email
    id: again
    template: intro
  - type: condition
    id: replied
    if: email_replied
    within: 2d
    yes: [{type: task, id: answer}]
    no: [{type: task, id: nudge}]
`), "second.yaml")
	must(t, err)
	_, err = o.eng.ImportSequence(ctx, "ada", def, engine.SaveOptions{Activate: true})
	must(t, err)
	_, err = o.eng.Connect(ctx, "ada", "Second", []string{"lead/L-1"})
	must(t, err)

	r := o.postForm(t, url.Values{"record": {"lead/L-1"}, "type": {"email_replied"}})
	if r.status != http.StatusConflict || r.reply.Field != "seq" {
		t.Fatalf("ambiguous event: %d %s, want 409 with field seq", r.status, r.body)
	}
	for _, want := range []string{`seq "Opened or not" (step hello`, `seq "Second" (step again`, "say which with seq or step"} {
		if !strings.Contains(r.reply.Error, want) {
			t.Errorf("error %q does not say %s", r.reply.Error, want)
		}
	}
	if strings.Contains(r.reply.Error, "--") {
		t.Errorf("error %q speaks of flags", r.reply.Error)
	}
	var seqs []string
	for _, c := range r.reply.Candidates {
		seqs = append(seqs, c.Seq+"/"+c.Step)
	}
	if strings.Join(seqs, " ") != "Opened or not/hello Second/again" {
		t.Errorf("candidates %q", seqs)
	}
	if conn := o.conn(t, "lead/L-1", "Second"); conn.CurrentStep != "replied" {
		t.Fatalf("Second moved to %q on a refused event", conn.CurrentStep)
	}

	r = o.post(t, "application/json", `{"record": "lead/L-1", "type": "email_replied", "seq": "second"}`)
	if r.status != http.StatusOK {
		t.Fatalf("with seq: %d %s", r.status, r.body)
	}
	if conn := o.conn(t, "lead/L-1", "Second"); conn.CurrentStep != "answer" {
		t.Errorf("Second at %q after the reply, want its Yes branch", conn.CurrentStep)
	}
	if conn := o.conn(t, "lead/L-1", "Opened or not"); conn.CurrentStep != "opened" {
		t.Errorf("Opened or not moved to %q on Second's reply", conn.CurrentStep)
	}

	for _, c := range []struct {
		form        url.Values
		status      int
		field, says string
	}{
		{url.Values{"message_id": {strings.Repeat("a", 32)}, "seq": {"Second"}, "type": {"email_opened"}}, 400, "seq", "goes with record only"},
		{url.Values{"record": {"lead/L-1"}, "seq": {"Nope"}, "type": {"email_opened"}}, 400, "", `sequence "Nope"`},
	} {
		if r := o.postForm(t, c.form); r.status != c.status || r.reply.Field != c.field || !strings.Contains(r.reply.Error, c.says) {
			t.Errorf("%v: %d %s, want %d with field %q and %q", c.form, r.status, r.body, c.status, c.field, c.says)
		}
	}
}

// conn is the record's latest connection to the sequence.
func (o *trackingOrg) conn(t *testing.T, ref, seq string) engine.ConnView {
	t.Helper()
	v, err := o.eng.RecordDetail(context.Background(), "ada", ref)
	must(t, err)
	for i := len(v.Connections) - 1; i >= 0; i-- {
		if v.Connections[i].Sequence == seq {
			return v.Connections[i]
		}
	}
	t.Fatalf("%s has no connection to %s", ref, seq)
	return engine.ConnView{}
}
