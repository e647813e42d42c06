package bolt

import (
	"bytes"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/pacer-sales/pacer/store"
)

var (
	tRecord = store.ID{0x01, 0x8f, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}
	tSeq    = store.ID{0x01, 0x8f, 0xaa, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 0xff}
	tConn   = store.ID{0x01, 0x90, 0xbb, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 0x01}
	tTask   = store.DerivedID("conn", "step-3", "2")
	tMsg    = store.DerivedID("conn", "step-5", "1")
	t0      = time.Date(2026, time.March, 14, 9, 30, 0, 123456789, time.UTC)
)

// fullConn has every field set.
func fullConn() store.Connection {
	return store.Connection{
		ID: tConn, Record: tRecord, Sequence: tSeq, Version: 7, State: store.ConnDisconnected,
		Reason: store.ReasonReplied, Source: "segment:EMEA leads", Step: "step-4", Visit: 4_000_000_000,
		EnteredAt: t0.Add(time.Hour), WakeAt: t0.Add(72 * time.Hour), Task: tTask,
		Outcomes: map[string]string{"call-1": "left_voicemail", "call-2": "connected"},
		Sent: map[string]store.Sent{
			"mail-1": {Message: tMsg, At: t0.Add(2 * time.Hour), Events: map[string]time.Time{
				"opened": t0.Add(3 * time.Hour), "clicked": t0.Add(4 * time.Hour), "replied": t0.Add(5 * time.Hour),
			}},
			"mail-2": {Message: tTask, At: t0.Add(6 * time.Hour)},
		},
		Skipped:   []string{"task-2", "call-9"},
		CreatedAt: t0, UpdatedAt: t0.Add(7 * time.Hour),
	}
}

// fullEvent has every field set.
func fullEvent(old, new any) store.Event {
	return store.Event{
		At: t0, Type: "field_updated", StepID: "cmd-1", Outcome: "connected", Note: "Spoke to the CFO — «ja»",
		Branch: "yes", Why: "opened within 2d", Field: "budget", Old: old, New: new,
		Reason: "manual", By: "maria.l", Assignees: []string{"zoe", "adam"}, Until: t0.Add(48 * time.Hour),
		Event: "opened", Message: "<a1b2@pacer>", Sequence: "Outbound v2", Task: tTask.String(),
	}
}

func fullTask() store.Task {
	return store.Task{
		ID: tTask, Conn: tConn, Record: tRecord, Sequence: tSeq, RecordRef: "lead/L-1001",
		RecordName: "Contoso Ltd", SeqName: "Outbound v2", StepID: "call-1", Visit: 3,
		Type: "call", Name: "Call the buyer", Template: "call-script", DueAt: t0.Add(time.Hour),
		Assignees: []string{"zoe", "maria.l"}, State: store.TaskDone, Outcome: "busy",
		Note: "call back Tuesday", Error: "smtp: 550 mailbox unavailable", CreatedAt: t0,
		ClosedAt: t0.Add(90 * time.Minute), ClosedBy: "zoe",
	}
}

func fullMessage(body string) store.Message {
	return store.Message{
		ID: tMsg, Conn: tConn, Record: tRecord, Sequence: tSeq, StepID: "mail-1", Visit: 1,
		Key: tConn.String() + "/mail-1/1", MessageID: "<a1b2@pacer.example>", Channel: "email",
		From: "Zoe <zoe@example.com>", To: "buyer@contoso.example", Subject: "Hello {{name}}",
		Body: body, State: store.MsgFailed, Tries: 5, NextTry: t0.Add(time.Hour),
		LastError: "dial tcp: connection refused", CreatedAt: t0, SentAt: t0.Add(2 * time.Hour),
	}
}

func TestConnRoundTrip(t *testing.T) {
	for name, c := range map[string]store.Connection{
		"every field": fullConn(),
		"zero":        {ID: tConn},
		"pre-1970":    {ID: tConn, EnteredAt: time.Date(1969, 7, 20, 20, 17, 0, 0, time.UTC), WakeAt: time.Unix(0, 0).UTC(), CreatedAt: time.Unix(-1, 0).UTC()},
	} {
		got, err := decodeConn(c.ID, encodeConn(c))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !reflect.DeepEqual(got, c) {
			t.Errorf("%s:\n got  %+v\n want %+v", name, got, c)
		}
		h, err := decodeConnHead(encodeConn(c))
		if err != nil || h.Record != c.Record || h.Sequence != c.Sequence || h.Visit != c.Visit ||
			!h.WakeAt.Equal(c.WakeAt) || string(h.State) != string(c.State) || !h.CreatedAt.Equal(c.CreatedAt) {
			t.Errorf("%s: head %+v, %v", name, h, err)
		}
	}
	// Maps encode in key order: the same connection gives the same bytes.
	c := fullConn()
	first := encodeConn(c)
	for range 20 {
		if !bytes.Equal(encodeConn(c), first) {
			t.Fatal("a connection encodes to different bytes each time")
		}
	}
}

func TestEventRoundTrip(t *testing.T) {
	events := map[string]store.Event{
		"strings":     fullEvent("retail", "energy"),
		"numbers":     fullEvent(-12.5, math.MaxFloat64),
		"bools":       fullEvent(false, true),
		"nil old":     fullEvent(nil, ""),
		"minimal":     {At: t0, Type: "completed"},
		"zero":        {},
		"empty value": {Type: "field_updated", Old: "", New: 0.0},
	}
	for name, ev := range events {
		v, err := encodeEvent(ev)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		got, err := decodeEvent(v)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !reflect.DeepEqual(got, ev) {
			t.Errorf("%s:\n got  %+v\n want %+v", name, got, ev)
		}
	}
	if v, _ := encodeEvent(store.Event{At: t0, Type: "step_entered", StepID: "wait-1"}); len(v) > 32 {
		t.Errorf("a step_entered event takes %d bytes, want at most 32", len(v))
	}
	for _, bad := range []any{1, int64(1), []string{"a"}, map[string]any{}, time.Now()} {
		if _, err := encodeEvent(store.Event{Type: "field_updated", New: bad}); err == nil || !strings.Contains(err.Error(), "cannot be stored") {
			t.Errorf("an event with a %T value: %v, want an error", bad, err)
		}
	}
}

func TestTaskRoundTrip(t *testing.T) {
	for name, tk := range map[string]store.Task{"every field": fullTask(), "zero": {ID: tTask}} {
		got, err := decodeTask(tk.ID, encodeTask(tk))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !reflect.DeepEqual(got, tk) {
			t.Errorf("%s:\n got  %+v\n want %+v", name, got, tk)
		}
	}
}

// TestTaskWhyTail checks the optional tail of a task whose due time or assignees were moved:
// it round-trips, a task without it keeps the form it had before the tail existed, and a
// damaged tail is an error.
func TestTaskWhyTail(t *testing.T) {
	plain := fullTask()
	moved := plain
	moved.Why = "zoe is away: due at their first working hour back"
	v := encodeTask(moved)
	got, err := decodeTask(tTask, v)
	if err != nil || !reflect.DeepEqual(got, moved) {
		t.Fatalf("a task with a why:\n got  %+v, %v\n want %+v", got, err, moved)
	}
	base := encodeTask(plain)
	if !bytes.Equal(v[:len(base)], base) || len(v) != len(base)+2+len(moved.Why) {
		t.Errorf("a task with a why encodes to %x, want the form without it (%x) and a tail", v, base)
	}
	// A task stored before the tail existed (the same bytes as one without a why) reads back.
	if got, err := decodeTask(tTask, base); err != nil || got.Why != "" || !reflect.DeepEqual(got, plain) {
		t.Errorf("a task without a tail: %+v, %v", got, err)
	}
	for n := len(base) + 1; n < len(v); n++ {
		if _, err := decodeTask(tTask, v[:n]); err == nil {
			t.Errorf("a task whose why tail is cut to %d of %d bytes decoded without an error", n, len(v))
		}
	}
	unknown := bytes.Clone(v)
	unknown[len(base)] = 9
	if _, err := decodeTask(tTask, unknown); err == nil || !strings.Contains(err.Error(), "unknown task tail 9") {
		t.Errorf("a task with an unknown tail: %v, want an error naming it", err)
	}
}

func TestMessageRoundTrip(t *testing.T) {
	for name, m := range map[string]store.Message{
		"every field": fullMessage("Hi {{first_name}},\n\nshort note."),
		"no body":     fullMessage(""),
		"zero":        {ID: tMsg},
		"html":        withHTML(fullMessage("text <b>part</b>"), "<p>the <b>HTML</b> part</p>"),
		"html only":   withHTML(fullMessage(""), "<p>x</p>"),
	} {
		got, ref, _, err := decodeMessage(m.ID, encodeMessage(m, store.ID{}))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !ref.IsZero() || !reflect.DeepEqual(got, m) {
			t.Errorf("%s:\n got  %+v (ref %s)\n want %+v", name, got, ref, m)
		}
	}
	// A referenced body is not in the value.
	m := fullMessage(strings.Repeat("long body ", 100))
	v := encodeMessage(m, tConn)
	if bytes.Contains(v, []byte("long body")) {
		t.Error("a referenced body is also in the value")
	}
	got, ref, _, err := decodeMessage(m.ID, v)
	if err != nil || ref != tConn || got.Body != "" {
		t.Errorf("message with a referenced body: ref %s, body %q, %v", ref, got.Body, err)
	}
	h, err := decodeMsgHead(v)
	if err != nil || h.BodyRef != tConn || !h.NextTry.Equal(m.NextTry) || string(h.State) != string(m.State) {
		t.Errorf("message head: %+v, %v", h, err)
	}
	// A referenced body with an HTML part says so; the packed body unpacks to both parts.
	m = withHTML(m, "<p>html</p>")
	_, _, parts, err := decodeMessage(m.ID, encodeMessage(m, tConn))
	if err != nil || !parts {
		t.Fatalf("referenced parts: %v, %v", parts, err)
	}
	var back store.Message
	if err := setBody(&back, []byte(storedBody(m)), true); err != nil || back.Body != m.Body || back.HTML != m.HTML {
		t.Errorf("unpacked %q / %q, %v", back.Body, back.HTML, err)
	}
	if _, _, err := unpackParts([]byte{0xff}); err == nil {
		t.Error("a damaged packed body is read")
	}
}

func withHTML(m store.Message, html string) store.Message {
	m.HTML = html
	return m
}

// TestTimes checks the value and key forms of times: the zero time, the Unix epoch, times
// before 1970 and times beyond what Unix nanoseconds hold.
func TestTimes(t *testing.T) {
	epoch := time.Unix(0, 0).UTC()
	times := []time.Time{
		{},                                       // zero: first
		time.Date(1, 1, 1, 0, 0, 0, 1, time.UTC), // clamped to the earliest
		time.Date(1677, 9, 22, 0, 0, 0, 0, time.UTC),
		time.Date(1969, 12, 31, 23, 59, 59, 999999999, time.UTC),
		epoch,
		time.Unix(0, 1).UTC(),
		t0,
		time.Date(2262, 4, 11, 0, 0, 0, 0, time.UTC),
		time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC), // clamped to the latest
	}
	for i, tm := range times {
		var e encoder
		e.time(tm)
		d := decoder{b: e.b}
		got := d.time()
		want := tm
		if i == 1 {
			want = minTime.UTC()
		} else if i == len(times)-1 {
			want = maxTime.UTC()
		}
		if d.err != nil || !got.Equal(want) || got.IsZero() != want.IsZero() {
			t.Errorf("time %v read back as %v (%v)", tm, got, d.err)
		}
		if k := fromTimeKey(timeKey(tm)); !k.Equal(want) || k.IsZero() != want.IsZero() {
			t.Errorf("time %v from its key: %v", tm, k)
		}
		if i > 0 && timeKey(tm) <= timeKey(times[i-1]) {
			t.Errorf("key of %v does not sort after the key of %v", tm, times[i-1])
		}
	}
	if timeKey(time.Time{}) != 0 || timeKey(epoch) == 0 {
		t.Error("the zero time and the epoch must have distinct keys, the zero time's 0")
	}
	local := t0.In(time.FixedZone("X", 5*3600))
	if timeKey(local) != timeKey(t0) {
		t.Error("a time's key depends on its location")
	}
}

// TestDecodeGarbage feeds the decoders damaged values: each must fail with an error.
func TestDecodeGarbage(t *testing.T) {
	ev, _ := encodeEvent(fullEvent("a", 1.5))
	kinds := []struct {
		name   string
		v      []byte
		decode func([]byte) error
	}{
		{"connection", encodeConn(fullConn()), func(v []byte) error { _, err := decodeConn(tConn, v); return err }},
		{"event", ev, func(v []byte) error { _, err := decodeEvent(v); return err }},
		{"task", encodeTask(fullTask()), func(v []byte) error { _, err := decodeTask(tTask, v); return err }},
		{"message", encodeMessage(fullMessage("body"), store.ID{}), func(v []byte) error { _, _, _, err := decodeMessage(tMsg, v); return err }},
	}
	for _, k := range kinds {
		for n := range len(k.v) {
			if err := k.decode(k.v[:n]); err == nil {
				t.Errorf("%s cut to %d of %d bytes decoded without an error", k.name, n, len(k.v))
			}
		}
		if err := k.decode(append(bytes.Clone(k.v), 0)); err == nil {
			t.Errorf("%s with a byte too many decoded without an error", k.name)
		}
		future := bytes.Clone(k.v)
		future[0] = 2
		if err := k.decode(future); err == nil || !strings.Contains(err.Error(), "format 2") {
			t.Errorf("%s in format 2: %v", k.name, err)
		}
		huge := []byte{format1, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x7f}
		if err := k.decode(huge); err == nil {
			t.Errorf("%s starting with an overflowing varint decoded without an error", k.name)
		}
		t.Logf("%s with every field set: %d bytes", k.name, len(k.v))
	}
}

// FuzzDecode checks that the decoders of the runtime's values never panic on damaged input,
// and that whatever they accept encodes to a form they read back the same.
func FuzzDecode(f *testing.F) {
	f.Add(encodeConn(fullConn()))
	f.Add(encodeConn(store.Connection{}))
	ev, _ := encodeEvent(fullEvent("retail", 3.5))
	f.Add(ev)
	ev, _ = encodeEvent(fullEvent(true, nil))
	f.Add(ev)
	f.Add(encodeTask(fullTask()))
	f.Add(encodeTask(store.Task{ID: tTask, Why: "due at zoe's working hours"}))
	f.Add(encodeMessage(fullMessage("Hi"), store.ID{}))
	f.Add(encodeMessage(fullMessage(""), tConn))
	f.Add([]byte{format1})
	f.Add([]byte{format1, 0xff, 0xff, 0xff, 0xff, 0x0f})
	f.Fuzz(func(t *testing.T, v []byte) {
		if c, err := decodeConn(tConn, v); err == nil {
			canon := encodeConn(c)
			c2, err := decodeConn(tConn, canon)
			if err != nil || !bytes.Equal(encodeConn(c2), canon) {
				t.Fatalf("connection %+v does not read back: %v", c, err)
			}
		}
		_, _ = decodeConnHead(v)
		if e, err := decodeEvent(v); err == nil {
			canon, err := encodeEvent(e)
			if err != nil {
				t.Fatalf("event %+v decoded but does not encode: %v", e, err)
			}
			e2, err := decodeEvent(canon)
			if err != nil {
				t.Fatalf("event %+v does not read back: %v", e, err)
			}
			if again, _ := encodeEvent(e2); !bytes.Equal(again, canon) {
				t.Fatalf("event %+v reads back as %+v", e, e2)
			}
		}
		if tk, err := decodeTask(tTask, v); err == nil {
			canon := encodeTask(tk)
			tk2, err := decodeTask(tTask, canon)
			if err != nil || !bytes.Equal(encodeTask(tk2), canon) {
				t.Fatalf("task %+v does not read back: %v", tk, err)
			}
		}
		_, _ = decodeTaskHead(v)
		if m, ref, _, err := decodeMessage(tMsg, v); err == nil {
			canon := encodeMessage(m, ref)
			m2, ref2, _, err := decodeMessage(tMsg, canon)
			if err != nil || ref2 != ref || !bytes.Equal(encodeMessage(m2, ref2), canon) {
				t.Fatalf("message %+v does not read back: %v", m, err)
			}
		}
		_, _ = decodeMsgHead(v)
	})
}

// The JSON forms the runtime's values would have had in the style of the other entities;
// kept to measure the binary codec against (BenchmarkCodec).

type sentJSON struct {
	Message string           `json:"message"`
	At      int64            `json:"at"`
	Events  map[string]int64 `json:"events,omitempty"`
}

type connJSON struct {
	Record   string              `json:"record"`
	Sequence string              `json:"sequence"`
	Version  int                 `json:"version"`
	State    string              `json:"state"`
	Reason   string              `json:"reason,omitempty"`
	Source   string              `json:"source,omitempty"`
	Step     string              `json:"step,omitempty"`
	Visit    uint32              `json:"visit"`
	Entered  int64               `json:"entered"`
	Wake     int64               `json:"wake,omitempty"`
	Task     string              `json:"task,omitempty"`
	Outcomes map[string]string   `json:"outcomes,omitempty"`
	Sent     map[string]sentJSON `json:"sent,omitempty"`
	Skipped  []string            `json:"skipped,omitempty"`
	Created  int64               `json:"created"`
	Updated  int64               `json:"updated"`
}

// connHeadJSON is what a Put would read back of the stored JSON it replaces.
type connHeadJSON struct {
	Record   string `json:"record"`
	Sequence string `json:"sequence"`
	State    string `json:"state"`
	Visit    uint32 `json:"visit"`
	Wake     int64  `json:"wake,omitempty"`
	Created  int64  `json:"created"`
}

func toConnJSON(c store.Connection) connJSON {
	v := connJSON{
		Record: c.Record.String(), Sequence: c.Sequence.String(), Version: c.Version,
		State: string(c.State), Reason: c.Reason, Source: c.Source, Step: c.Step, Visit: c.Visit,
		Entered: nanos(c.EnteredAt), Wake: nanos(c.WakeAt), Outcomes: c.Outcomes, Skipped: c.Skipped,
		Created: nanos(c.CreatedAt), Updated: nanos(c.UpdatedAt),
	}
	if !c.Task.IsZero() {
		v.Task = c.Task.String()
	}
	if c.Sent != nil {
		v.Sent = make(map[string]sentJSON, len(c.Sent))
		for k, s := range c.Sent {
			sj := sentJSON{Message: s.Message.String(), At: nanos(s.At)}
			if s.Events != nil {
				sj.Events = make(map[string]int64, len(s.Events))
				for e, at := range s.Events {
					sj.Events[e] = nanos(at)
				}
			}
			v.Sent[k] = sj
		}
	}
	return v
}

func (v connJSON) conn(id store.ID) (store.Connection, error) {
	c := store.Connection{
		ID: id, Version: v.Version, State: store.ConnState(v.State), Reason: v.Reason,
		Source: v.Source, Step: v.Step, Visit: v.Visit, EnteredAt: fromNanos(v.Entered),
		WakeAt: fromNanos(v.Wake), Outcomes: v.Outcomes, Skipped: v.Skipped,
		CreatedAt: fromNanos(v.Created), UpdatedAt: fromNanos(v.Updated),
	}
	var err error
	if c.Record, err = store.ParseID(v.Record); err != nil {
		return c, err
	}
	if c.Sequence, err = store.ParseID(v.Sequence); err != nil {
		return c, err
	}
	if v.Task != "" {
		if c.Task, err = store.ParseID(v.Task); err != nil {
			return c, err
		}
	}
	if v.Sent != nil {
		c.Sent = make(map[string]store.Sent, len(v.Sent))
		for k, sj := range v.Sent {
			s := store.Sent{At: fromNanos(sj.At)}
			if s.Message, err = store.ParseID(sj.Message); err != nil {
				return c, err
			}
			if sj.Events != nil {
				s.Events = make(map[string]time.Time, len(sj.Events))
				for e, at := range sj.Events {
					s.Events[e] = fromNanos(at)
				}
			}
			c.Sent[k] = s
		}
	}
	return c, nil
}

type eventJSON struct {
	At        int64    `json:"at"`
	Type      string   `json:"type"`
	StepID    string   `json:"step,omitempty"`
	Outcome   string   `json:"outcome,omitempty"`
	Note      string   `json:"note,omitempty"`
	Branch    string   `json:"branch,omitempty"`
	Why       string   `json:"why,omitempty"`
	Field     string   `json:"field,omitempty"`
	Old       any      `json:"old,omitempty"`
	New       any      `json:"new,omitempty"`
	Reason    string   `json:"reason,omitempty"`
	By        string   `json:"by,omitempty"`
	Assignees []string `json:"assignees,omitempty"`
	Until     int64    `json:"until,omitempty"`
	Event     string   `json:"event,omitempty"`
	Message   string   `json:"message,omitempty"`
	Sequence  string   `json:"sequence,omitempty"`
	Task      string   `json:"task,omitempty"`
}

func toEventJSON(e store.Event) eventJSON {
	return eventJSON{
		At: nanos(e.At), Type: e.Type, StepID: e.StepID, Outcome: e.Outcome, Note: e.Note,
		Branch: e.Branch, Why: e.Why, Field: e.Field, Old: e.Old, New: e.New, Reason: e.Reason,
		By: e.By, Assignees: e.Assignees, Until: nanos(e.Until), Event: e.Event,
		Message: e.Message, Sequence: e.Sequence, Task: e.Task,
	}
}

// midConn is a connection halfway through a sequence: a call done, an email sent and
// opened, waiting.
func midConn() store.Connection {
	return store.Connection{
		ID: tConn, Record: tRecord, Sequence: tSeq, Version: 3, State: store.ConnActive,
		Source: "manual", Step: "wait-2", Visit: 5, EnteredAt: t0, WakeAt: t0.Add(48 * time.Hour),
		Outcomes: map[string]string{"call-1": "connected"},
		Sent: map[string]store.Sent{"mail-1": {Message: tMsg, At: t0.Add(-time.Hour),
			Events: map[string]time.Time{"opened": t0.Add(-time.Minute)}}},
		CreatedAt: t0.Add(-72 * time.Hour), UpdatedAt: t0,
	}
}

// BenchmarkCodec measures what one step transition costs in encoding: read the connection,
// read back the head of the stored value it replaces, write the connection and one history
// event. "json" is what that costs with encoding/json in the style of the other entities.
func BenchmarkCodec(b *testing.B) {
	c := midConn()
	ev := store.Event{At: t0, Type: "step_entered", StepID: "wait-2"}
	b.Run("binary", func(b *testing.B) {
		stored := encodeConn(c)
		size := 0
		for b.Loop() {
			got, err := decodeConn(c.ID, stored)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := decodeConnHead(stored); err != nil {
				b.Fatal(err)
			}
			got.Visit++
			v := encodeConn(got)
			e, err := encodeEvent(ev)
			if err != nil {
				b.Fatal(err)
			}
			size = len(v) + len(e)
		}
		b.ReportMetric(float64(size), "bytes/transition")
	})
	b.Run("json", func(b *testing.B) {
		stored, err := encodeJSON(toConnJSON(c))
		if err != nil {
			b.Fatal(err)
		}
		size := 0
		for b.Loop() {
			var cj connJSON
			if err := decodeJSON(stored, &cj, "connection"); err != nil {
				b.Fatal(err)
			}
			got, err := cj.conn(c.ID)
			if err != nil {
				b.Fatal(err)
			}
			var head connHeadJSON
			if err := decodeJSON(stored, &head, "connection"); err != nil {
				b.Fatal(err)
			}
			got.Visit++
			v, err := encodeJSON(toConnJSON(got))
			if err != nil {
				b.Fatal(err)
			}
			e, err := encodeJSON(toEventJSON(ev))
			if err != nil {
				b.Fatal(err)
			}
			size = len(v) + len(e)
		}
		b.ReportMetric(float64(size), "bytes/transition")
	})
}
