package engine_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/pacer-sales/pacer/engine"
	"github.com/pacer-sales/pacer/engine/limits"
	"github.com/pacer-sales/pacer/engine/sequence"
	"github.com/pacer-sales/pacer/store"
)

func recordCount(t *testing.T, e *engine.Engine) int {
	t.Helper()
	recs, err := e.Records(context.Background(), "ada", "")
	must(t, err)
	return len(recs)
}

func TestImportRecords(t *testing.T) {
	e := newOrg(t)
	ctx := context.Background()
	must(t, e.AddTeam(ctx, "ada", store.Team{Name: "west", Type: store.OwnerTeam, Members: []store.Member{{Username: "sam"}}}))
	must(t, e.AddTeam(ctx, "ada", store.Team{Name: "deal", Type: store.AccessTeam, Members: []store.Member{{Username: "sue", Role: "account manager"}}}))
	csv := "id,name,owner,stage,access_team,email,phone,industry,employees,vip\n" +
		"L-1,Ana Lima,sam,new,deal,ana@example.com,+1 555 0100,Retail,120,true\n" +
		"L-2,\"Bo, Inc\",team:west,,,bo@example.com,,,,\n"
	res, err := e.ImportRecords(ctx, "max", "leads.csv", strings.NewReader(csv), "lead")
	must(t, err)
	if res != (engine.ImportResult{Created: 2}) {
		t.Fatalf("result = %+v", res)
	}
	r, err := e.Record(ctx, "sam", "lead/L-1")
	must(t, err)
	if r.Name != "Ana Lima" || r.Owner != "sam" || r.Stage != "new" || r.AccessTeam != "deal" || r.Phone != "+1 555 0100" {
		t.Fatalf("record = %+v", r)
	}
	if r.Fields["industry"] != "Retail" || r.Fields["employees"] != 120.0 || r.Fields["vip"] != true {
		t.Fatalf("fields = %#v", r.Fields)
	}
	if b, _ := e.Record(ctx, "sam", "lead/L-2"); b.Name != "Bo, Inc" || len(b.Fields) != 0 {
		t.Fatalf("L-2 = %+v", b)
	}
	// Upsert by id.
	res, err = e.ImportRecords(ctx, "max", "more.csv", strings.NewReader("id,name,owner\nL-1,Ana Lima-Souza,sue\nL-3,Cy,sam\n"), "lead")
	must(t, err)
	if res != (engine.ImportResult{Created: 1, Updated: 1}) {
		t.Fatalf("result = %+v", res)
	}
	r2, _ := e.Record(ctx, "sam", "lead/L-1")
	if r2.Name != "Ana Lima-Souza" || r2.Owner != "sue" || r2.Key != r.Key {
		t.Fatalf("upserted = %+v (key %v, was %v)", r2, r2.Key, r.Key)
	}
	// Sellers can't import.
	_, err = e.ImportRecords(ctx, "sam", "x.csv", strings.NewReader("id,name\nL-9,Z\n"), "lead")
	wantErr(t, err, engine.ErrForbidden)
}

func TestImportRecordsAllOrNothing(t *testing.T) {
	e := newOrg(t)
	ctx := context.Background()
	must(t, e.AddTeam(ctx, "ada", store.Team{Name: "deal", Type: store.AccessTeam}))
	csv := strings.Join([]string{
		"id,name,owner,access_team,email",
		"L-1,Good One,sam,,",
		"L-2,Unknown owner,nobody,,",
		",No id,sam,,",
		"L-4,,sam,,",
		"L-1,Duplicate,sam,,",
		"L-6,Too,many,values,here,extra",
		"L-7,Access team as owner,team:deal,,",
		"L-8,Bad access team,sam,west,",
		"L-9,Bad email,sam,,not-an-email",
		"L-10,Good Two,sue,deal,ten@example.com",
	}, "\n") + "\n"
	_, err := e.ImportRecords(ctx, "max", "leads.csv", strings.NewReader(csv), "lead")
	var ie *engine.ImportError
	if !errors.As(err, &ie) {
		t.Fatalf("err = %v, want an ImportError", err)
	}
	want := []string{
		`leads.csv:3: owner "nobody" is not a user (use a username or team:NAME)`,
		`leads.csv:4: id is empty`,
		`leads.csv:5: name is empty`,
		`leads.csv:6: id "L-1" already appears on line 2`,
		`leads.csv:7: has 6 values, the header has 5 columns`,
		`leads.csv:8: owner "team:deal" is an access team; records are owned by users or owner teams`,
		`leads.csv:9: access_team "west" is not an access team`,
		`leads.csv:10: email "not-an-email" is not an address`,
	}
	if len(ie.Rows) != len(want) {
		t.Fatalf("got %d bad rows:\n%v", len(ie.Rows), err)
	}
	for i, w := range want {
		if got := ie.Rows[i].Error(); got != w {
			t.Errorf("row %d:\n got %s\nwant %s", i, got, w)
		}
	}
	if n := recordCount(t, e); n != 0 {
		t.Fatalf("%d records imported from a bad file, want none", n)
	}
}

func TestImportRecordsBadFiles(t *testing.T) {
	e := newOrg(t)
	ctx := context.Background()
	for name, csv := range map[string]string{
		"empty":        "",
		"no id column": "name,owner\nA,sam\n",
		"dup header":   "id,name,name\n1,a,b\n",
		"bad quote":    "id,name\n1,\"open\n",
	} {
		_, err := e.ImportRecords(ctx, "max", "f.csv", strings.NewReader(csv), "lead")
		if !errors.Is(err, engine.ErrInvalid) || !strings.Contains(err.Error(), "f.csv") {
			t.Errorf("%s: err = %v, want an input error naming the file", name, err)
		}
	}
	_, err := e.ImportRecords(ctx, "max", "f.csv", strings.NewReader("id,name\n1,a\n"), "Bad Entity")
	wantErr(t, err, engine.ErrInvalid)
	if n := recordCount(t, e); n != 0 {
		t.Fatalf("%d records imported", n)
	}
}

func TestSetRecord(t *testing.T) {
	e := newOrg(t)
	ctx := context.Background()
	_, err := e.ImportRecords(ctx, "max", "l.csv", strings.NewReader("id,name,owner,priority\nL-1,Ana,sam,low\nL-2,Bo,sue,\n"), "lead")
	must(t, err)
	r, err := e.SetRecord(ctx, "sam", "lead/L-1", map[string]string{"priority": "high", "budget": "2500.5", "stage": "qualified"})
	must(t, err)
	if r.Fields["priority"] != "high" || r.Fields["budget"] != 2500.5 || r.Stage != "qualified" {
		t.Fatalf("record = %+v", r)
	}
	r, err = e.SetRecord(ctx, "sam", "lead/L-1", map[string]string{"priority": ""})
	must(t, err)
	if _, ok := r.Fields["priority"]; ok {
		t.Fatal("empty value did not remove the field")
	}
	_, err = e.SetRecord(ctx, "sam", "lead/L-2", map[string]string{"priority": "high"})
	wantErr(t, err, engine.ErrForbidden)
	_, err = e.SetRecord(ctx, "sam", "lead/L-1", map[string]string{"owner": "sue"})
	wantErr(t, err, engine.ErrForbidden)
	_, err = e.SetRecord(ctx, "max", "lead/L-1", map[string]string{"owner": "ghost"})
	wantErr(t, err, engine.ErrInvalid)
	_, err = e.SetRecord(ctx, "max", "lead/L-404", map[string]string{"x": "1"})
	wantErr(t, err, engine.ErrInvalid)
	_, err = e.SetRecord(ctx, "max", "L-1", map[string]string{"x": "1"})
	wantErr(t, err, engine.ErrInvalid)
}

func TestFieldValue(t *testing.T) {
	for in, want := range map[string]any{"true": true, "false": false, "12": 12.0, "-3.5": -3.5, "12abc": "12abc", "0x10": "0x10", "Inf": "Inf", "NaN": "NaN", "1_000": "1_000", "True": "True"} {
		if got := engine.FieldValue(in); got != want {
			t.Errorf("FieldValue(%q) = %#v, want %#v", in, got, want)
		}
	}
}

// A record renamed after its task was made shows its new name in every work list, whether it
// was renamed by record set or by an import.
func TestRenamedRecordRenamesItsTasks(t *testing.T) {
	e := newOrg(t)
	ctx := context.Background()
	_, err := e.ImportRecords(ctx, "max", "leads.csv", strings.NewReader("id,name,owner\nL-1,Ana Lima,sam\n"), "lead")
	must(t, err)
	def := &sequence.Sequence{Name: "Calls", Steps: []sequence.Step{{Type: sequence.Call}}}
	_, err = e.ImportSequence(ctx, "max", def, engine.SaveOptions{Activate: true})
	must(t, err)
	_, err = e.Connect(ctx, "max", "Calls", []string{"lead/L-1"})
	must(t, err)
	names := func() string {
		rows, err := e.Tasks(ctx, "sam", engine.TaskQuery{})
		must(t, err)
		if len(rows) != 1 {
			t.Fatalf("tasks = %+v, want one", rows)
		}
		return rows[0].RecordName
	}
	if got := names(); got != "Ana Lima" {
		t.Fatalf("record_name = %q", got)
	}
	_, err = e.SetRecord(ctx, "sam", "lead/L-1", map[string]string{"name": "Ana Lima-Souza"})
	must(t, err)
	if got := names(); got != "Ana Lima-Souza" {
		t.Fatalf("after record set: record_name = %q", got)
	}
	_, err = e.ImportRecords(ctx, "max", "again.csv", strings.NewReader("id,name,owner\nL-1,Ana Souza,sam\n"), "lead")
	must(t, err)
	if got := names(); got != "Ana Souza" {
		t.Fatalf("after import: record_name = %q", got)
	}
}

// A CSV that is not UTF-8 (Latin-1 here) is refused naming the line and column, not imported
// with U+FFFD in place of its letters.
func TestImportRefusesInvalidUTF8(t *testing.T) {
	e := newOrg(t)
	ctx := context.Background()
	csv := "id,name,owner\nL-1,Ana,sam\nL-2,Jos\xe9 Ram\xedrez,sam\n"
	_, err := e.ImportRecords(ctx, "max", "latin1.csv", strings.NewReader(csv), "lead")
	wantErr(t, err, engine.ErrInvalid)
	if !strings.Contains(err.Error(), `latin1.csv:3: column "name" is not valid UTF-8 text`) {
		t.Fatalf("err = %v", err)
	}
	if n := recordCount(t, e); n != 0 {
		t.Fatalf("%d records imported, want none", n)
	}
}

// An endless input is refused at the CSV limit instead of being read until memory runs out.
func TestImportStopsAtTheSizeLimit(t *testing.T) {
	e := newOrg(t)
	_, err := e.ImportRecords(context.Background(), "max", "/dev/zero", endless{new(int), "x"}, "lead")
	wantErr(t, err, engine.ErrInvalid)
	if !strings.Contains(err.Error(), "/dev/zero is too large: the limit is 128 MiB") {
		t.Fatalf("err = %v", err)
	}
	_, err = e.ImportRecords(context.Background(), "max", "rows.csv", endless{new(int), "a,b\n"}, "lead")
	wantErr(t, err, engine.ErrInvalid)
	if !strings.Contains(err.Error(), "rows.csv has more than 1000000 rows, the limit of one import") {
		t.Fatalf("err = %v", err)
	}
}

// endless reads as "id,name\n" then row forever: a valid CSV that never ends.
type endless struct {
	n   *int
	row string
}

func (r endless) Read(p []byte) (int, error) {
	const head = "id,name\n"
	for i := range p {
		if *r.n < len(head) {
			p[i] = head[*r.n]
		} else {
			p[i] = r.row[(*r.n-len(head))%len(r.row)]
		}
		*r.n++
	}
	return len(p), nil
}

// Record values are bounded and free of terminal control characters, on import and on set.
func TestRecordValuesAreBounded(t *testing.T) {
	e := newOrg(t)
	ctx := context.Background()
	long := strings.Repeat("n", limits.Name+1)
	csv := "id,name,owner,notes\nL-1," + long + ",sam,\nL-2,\"x\x1b]52;c;aGk=\a\",sam,\nL-3,Ok,sam,\"two\nlines\"\n"
	_, err := e.ImportRecords(ctx, "max", "leads.csv", strings.NewReader(csv), "lead")
	var ie *engine.ImportError
	if !errors.As(err, &ie) || len(ie.Rows) != 2 {
		t.Fatalf("err = %v, want two bad rows", err)
	}
	if ie.Rows[0].Line != 2 || !strings.Contains(ie.Rows[0].Reason, "name is too large: the limit is 200 bytes") {
		t.Errorf("row 0 = %+v", ie.Rows[0])
	}
	if ie.Rows[1].Line != 3 || !strings.Contains(ie.Rows[1].Reason, "name contains the control character U+001B") {
		t.Errorf("row 1 = %+v", ie.Rows[1])
	}
	_, err = e.ImportRecords(ctx, "max", "ok.csv", strings.NewReader("id,name,owner,notes\nL-3,Ok,sam,\"two\nlines\"\n"), "lead")
	must(t, err)
	_, err = e.SetRecord(ctx, "sam", "lead/L-3", map[string]string{"name": "x\x1b[2J"})
	wantErr(t, err, engine.ErrInvalid)
	_, err = e.SetRecord(ctx, "sam", "lead/L-3", map[string]string{"notes": strings.Repeat("v", limits.FieldValue+1)})
	wantErr(t, err, engine.ErrInvalid)
	if !strings.Contains(err.Error(), `the field "notes" is too large: the limit is 16 KiB`) {
		t.Fatalf("err = %v", err)
	}
	r, err := e.Record(ctx, "sam", "lead/L-3")
	must(t, err)
	if r.Name != "Ok" || r.Fields["notes"] != "two\nlines" {
		t.Fatalf("record changed by a refused set: %+v", r)
	}
}

// A row with a quote that never ends is reported with its line, not a crash.
func TestImportUnterminatedQuote(t *testing.T) {
	e := newOrg(t)
	_, err := e.ImportRecords(context.Background(), "max", "q.csv", strings.NewReader("id,name\n\"unterminated\n"), "lead")
	var ie *engine.ImportError
	if !errors.As(err, &ie) || len(ie.Rows) != 1 || ie.Rows[0].Line != 2 {
		t.Fatalf("err = %v, want one bad row at line 2", err)
	}
}

// A renamed sequence's open tasks carry its new name.
func TestRenamedSequenceRenamesItsTasks(t *testing.T) {
	e := newOrg(t)
	ctx := context.Background()
	_, err := e.ImportRecords(ctx, "max", "leads.csv", strings.NewReader("id,name,owner\nL-1,Ana Lima,sam\n"), "lead")
	must(t, err)
	def := &sequence.Sequence{Name: "Calls", Steps: []sequence.Step{{Type: sequence.Call}}}
	_, err = e.ImportSequence(ctx, "max", def, engine.SaveOptions{Activate: true})
	must(t, err)
	_, err = e.Connect(ctx, "max", "Calls", []string{"lead/L-1"})
	must(t, err)
	d, err := e.Sequence(ctx, "max", "Calls")
	must(t, err)
	renamed := &sequence.Sequence{Name: "Spring calls", Steps: []sequence.Step{{Type: sequence.Call}}}
	_, err = e.SaveSequence(ctx, "max", d.ID, renamed, engine.SaveOptions{Note: "renamed"})
	must(t, err)
	rows, err := e.Tasks(ctx, "sam", engine.TaskQuery{})
	must(t, err)
	if len(rows) != 1 || rows[0].Sequence != "Spring calls" {
		t.Fatalf("tasks = %+v, want one of Spring calls", rows)
	}
}
