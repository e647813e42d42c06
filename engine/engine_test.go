package engine_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/pacer-sales/pacer/engine"
	"github.com/pacer-sales/pacer/engine/sequence"
	"github.com/pacer-sales/pacer/store"
)

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// newEngine opens an engine over a real store (testStore) with a pinned clock.
func newEngine(t *testing.T) *engine.Engine {
	t.Helper()
	return engine.New(testStore(t, false), engine.FixedClock(t0))
}

// newOrg is an engine with an admin, a manager and two sellers, and one email template.
func newOrg(t *testing.T) *engine.Engine {
	t.Helper()
	e := newEngine(t)
	ctx := context.Background()
	must(t, e.AddUser(ctx, "", store.User{Username: "ada", Roles: []store.Role{store.RoleAdmin}}))
	must(t, e.AddUser(ctx, "ada", store.User{Username: "max", Roles: []store.Role{store.RoleManager}}))
	must(t, e.AddUser(ctx, "ada", store.User{Username: "sam", Roles: []store.Role{store.RoleSeller}, Email: "sam@example.com"}))
	must(t, e.AddUser(ctx, "ada", store.User{Username: "sue", Roles: []store.Role{store.RoleSeller}}))
	must(t, e.AddTemplate(ctx, "ada", store.Template{Name: "intro", Subject: "Hello {{first_name}}", Body: "Hi {{name}}"}))
	return e
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func wantErr(t *testing.T, err, kind error) {
	t.Helper()
	if !errors.Is(err, kind) {
		t.Fatalf("error = %v, want %v", err, kind)
	}
}

// simple is a small valid sequence: an automated email, a wait, a call.
func simple(name string) *sequence.Sequence {
	return &sequence.Sequence{Name: name, Description: "intro then call", Steps: []sequence.Step{
		{Type: sequence.AutoEmail, Template: "intro"},
		{Type: sequence.Wait, Duration: 48 * time.Hour},
		{Type: sequence.Call, Name: "Intro call"},
	}}
}

func TestBootstrapFirstUserMustBeAdmin(t *testing.T) {
	e := newEngine(t)
	ctx := context.Background()
	wantErr(t, e.AddUser(ctx, "", store.User{Username: "sam", Roles: []store.Role{store.RoleSeller}}), engine.ErrInvalid)
	must(t, e.AddUser(ctx, "", store.User{Username: "ada", Roles: []store.Role{store.RoleAdmin}}))
	// Once the org has a user, adding needs an acting admin.
	wantErr(t, e.AddUser(ctx, "", store.User{Username: "max", Roles: []store.Role{store.RoleManager}}), engine.ErrForbidden)
	must(t, e.AddUser(ctx, "ada", store.User{Username: "max", Roles: []store.Role{store.RoleManager}}))
	wantErr(t, e.AddUser(ctx, "ada", store.User{Username: "max", Roles: []store.Role{store.RoleManager}}), engine.ErrInvalid)
	wantErr(t, e.AddUser(ctx, "ada", store.User{Username: "Bad Name", Roles: []store.Role{store.RoleSeller}}), engine.ErrInvalid)
	wantErr(t, e.AddUser(ctx, "ada", store.User{Username: "x", Roles: []store.Role{"boss"}}), engine.ErrInvalid)
}

func TestRolesForOrgAdministration(t *testing.T) {
	e := newOrg(t)
	ctx := context.Background()
	for _, by := range []string{"max", "sam"} {
		wantErr(t, e.AddUser(ctx, by, store.User{Username: "new", Roles: []store.Role{store.RoleSeller}}), engine.ErrForbidden)
		wantErr(t, e.AddTeam(ctx, by, store.Team{Name: "west", Type: store.OwnerTeam}), engine.ErrForbidden)
		wantErr(t, e.SetSetting(ctx, by, "active_limit", "10"), engine.ErrForbidden)
		_, err := e.Backup(ctx, by, nil)
		wantErr(t, err, engine.ErrForbidden)
	}
	wantErr(t, e.AddTemplate(ctx, "sam", store.Template{Name: "x", Subject: "s", Body: "b"}), engine.ErrForbidden)
	must(t, e.AddTemplate(ctx, "max", store.Template{Name: "x", Subject: "s", Body: "b"}))
	wantErr(t, e.AddTemplate(ctx, "max", store.Template{Name: "y", Subject: "s", Body: "Hi {{nmae}}"}), engine.ErrInvalid)
	must(t, e.AddTeam(ctx, "ada", store.Team{Name: "west", Type: store.OwnerTeam, Members: []store.Member{{Username: "sam", Role: "sales rep"}}}))
	wantErr(t, e.AddTeam(ctx, "ada", store.Team{Name: "east", Type: store.OwnerTeam, Members: []store.Member{{Username: "nobody"}}}), engine.ErrInvalid)
	// Unknown acting users are refused outright.
	_, err := e.Users(ctx, "mallory")
	wantErr(t, err, engine.ErrForbidden)
}

func TestSellerManagesOnlyOwnSequences(t *testing.T) {
	e := newOrg(t)
	ctx := context.Background()
	if _, err := e.CreateSequence(ctx, "ada", simple("Org sequence")); err != nil {
		t.Fatal(err)
	}
	mine, err := e.CreateSequence(ctx, "sam", simple("Sam's sequence"))
	must(t, err)
	if mine.Owner != "sam" || mine.State != store.Draft {
		t.Fatalf("created %+v, want a draft owned by sam", mine)
	}
	// A seller sees every sequence...
	rows, err := e.ListSequences(ctx, "sam", engine.Query{})
	must(t, err)
	if len(rows) != 2 {
		t.Fatalf("seller sees %d sequences, want 2", len(rows))
	}
	// ...manages their own...
	_, err = e.Activate(ctx, "sam", "Sam's sequence")
	must(t, err)
	_, err = e.Deactivate(ctx, "sam", "sam's SEQUENCE")
	must(t, err)
	// ...and can't change the org's.
	_, err = e.Activate(ctx, "sam", "Org sequence")
	wantErr(t, err, engine.ErrForbidden)
	wantErr(t, e.DeleteSequence(ctx, "sam", "Org sequence"), engine.ErrForbidden)
	_, err = e.ImportSequence(ctx, "sam", simple("Org sequence"), engine.SaveOptions{})
	wantErr(t, err, engine.ErrForbidden)
	_, err = e.SetTags(ctx, "sam", "Org sequence", []string{"x"})
	wantErr(t, err, engine.ErrForbidden)
	// Another seller can't touch sam's; a manager can.
	_, err = e.Activate(ctx, "sue", "Sam's sequence")
	wantErr(t, err, engine.ErrForbidden)
	_, err = e.Activate(ctx, "max", "Sam's sequence")
	must(t, err)
	must(t, e.DeleteSequence(ctx, "max", "Org sequence"))
	// A seller may clone an org sequence into a draft of their own.
	c, err := e.CloneSequence(ctx, "sue", "Sam's sequence", "Sue's copy")
	must(t, err)
	if c.Owner != "sue" || c.State != store.Draft || c.Steps != 3 {
		t.Fatalf("clone = %+v", c)
	}
}

func TestVersioning(t *testing.T) {
	e := newOrg(t)
	ctx := context.Background()
	def := simple("Outreach")
	s, err := e.ImportSequence(ctx, "max", def, engine.SaveOptions{})
	must(t, err)
	if s.State != store.Draft || s.Version != 0 {
		t.Fatalf("after import: %s v%d, want draft v0", s.State, s.Version)
	}
	s, err = e.Activate(ctx, "max", "Outreach")
	must(t, err)
	if s.State != store.Active || s.Version != 1 {
		t.Fatalf("after activate: %s v%d, want active v1", s.State, s.Version)
	}
	// Saving an unchanged definition publishes nothing.
	s, err = e.ImportSequence(ctx, "max", simple("Outreach"), engine.SaveOptions{})
	must(t, err)
	if s.Version != 1 {
		t.Fatalf("unchanged save made version %d", s.Version)
	}
	// Editing the active sequence makes version 2; version 1 stays as it was.
	edited := simple("Outreach")
	edited.Steps = append(edited.Steps, sequence.Step{Type: sequence.Task, Name: "Send proposal"})
	s, err = e.ImportSequence(ctx, "max", edited, engine.SaveOptions{Note: "added a task"})
	must(t, err)
	if s.Version != 2 || s.State != store.Active || s.Steps != 4 {
		t.Fatalf("after edit: %s v%d %d steps, want active v2 with 4 steps", s.State, s.Version, s.Steps)
	}
	d, err := e.Sequence(ctx, "max", "Outreach")
	must(t, err)
	if len(d.Versions) != 2 || d.Versions[1].Note != "added a task" || d.Versions[1].By != "max" {
		t.Fatalf("versions = %+v", d.Versions)
	}
	v1, err := sequence.Parse(d.Versions[0].Definition, "v1")
	must(t, err)
	if v1.CountSteps() != 3 {
		t.Fatalf("version 1 changed: %d steps", v1.CountSteps())
	}
	// Step ids were generated once and kept across saves.
	if d.Def.Steps[0].ID != v1.Steps[0].ID || d.Def.Steps[0].ID == "" {
		t.Fatalf("step id not stable: %q vs %q", d.Def.Steps[0].ID, v1.Steps[0].ID)
	}
	// An invalid edit of an active sequence is refused whole.
	broken := simple("Outreach")
	broken.Steps = append(broken.Steps, sequence.Step{Type: sequence.Wait, Duration: time.Hour})
	_, err = e.ImportSequence(ctx, "max", broken, engine.SaveOptions{})
	var pe *engine.ProblemsError
	if !errors.As(err, &pe) || pe.Problems[0].Code != "wait_last" {
		t.Fatalf("invalid save of an active sequence: %v", err)
	}
	d, err = e.Sequence(ctx, "max", "Outreach")
	must(t, err)
	if d.Version != 2 || d.Steps != 4 {
		t.Fatalf("refused save changed the sequence: v%d, %d steps", d.Version, d.Steps)
	}
	// Assignment can't change while active.
	reassigned := simple("Outreach")
	reassigned.Steps = d.Def.Steps
	reassigned.Assign = sequence.Assign{To: sequence.AssignAccessTeam}
	_, err = e.ImportSequence(ctx, "max", reassigned, engine.SaveOptions{})
	wantErr(t, err, engine.ErrInvalid)
	// Deactivated, it can be reassigned; reactivation publishes version 3.
	_, err = e.Deactivate(ctx, "max", "Outreach")
	must(t, err)
	_, err = e.ImportSequence(ctx, "max", reassigned, engine.SaveOptions{Activate: true})
	must(t, err)
	d, err = e.Sequence(ctx, "max", "Outreach")
	must(t, err)
	if d.Version != 3 || d.State != store.Active || d.Def.Assign.To != sequence.AssignAccessTeam {
		t.Fatalf("after reassign: %s v%d %+v", d.State, d.Version, d.Def.Assign)
	}
}

func TestActivateReportsEveryProblem(t *testing.T) {
	e := newOrg(t)
	ctx := context.Background()
	bad := &sequence.Sequence{Name: "Broken", Steps: []sequence.Step{
		{Type: sequence.AutoEmail, Template: "no-such-template"},
		{Type: sequence.Wait, Duration: 90 * 24 * time.Hour},
	}}
	_, err := e.CreateSequence(ctx, "max", bad)
	must(t, err) // drafts may be saved while invalid
	_, err = e.Activate(ctx, "max", "Broken")
	var pe *engine.ProblemsError
	if !errors.As(err, &pe) {
		t.Fatalf("activate: %v, want problems", err)
	}
	codes := map[string]bool{}
	for _, p := range pe.Problems {
		codes[p.Code] = true
	}
	for _, c := range []string{"template_missing", "wait_range", "wait_last"} {
		if !codes[c] {
			t.Errorf("missing %s in %+v", c, pe.Problems)
		}
	}
	d, err := e.Sequence(ctx, "max", "Broken")
	must(t, err)
	if d.State != store.Draft || len(d.Versions) != 0 {
		t.Fatalf("failed activation left %s with %d versions", d.State, len(d.Versions))
	}
}

func TestActiveLimit(t *testing.T) {
	e := newOrg(t)
	ctx := context.Background()
	must(t, e.SetSetting(ctx, "ada", "active_limit", "2"))
	for _, n := range []string{"One", "Two", "Three"} {
		_, err := e.CreateSequence(ctx, "max", simple(n))
		must(t, err)
	}
	_, err := e.Activate(ctx, "max", "One")
	must(t, err)
	_, err = e.Activate(ctx, "max", "Two")
	must(t, err)
	_, err = e.Activate(ctx, "max", "Three")
	var pe *engine.ProblemsError
	if !errors.As(err, &pe) || len(pe.Problems) != 1 || pe.Problems[0].Code != "active_limit" {
		t.Fatalf("third activation: %v", err)
	}
	if pe.Problems[0].Message != "your organization can have up to 2 active sequences" {
		t.Errorf("message = %q", pe.Problems[0].Message)
	}
	// Editing an already active sequence is not a new activation.
	edited := simple("Two")
	edited.Description = "changed"
	_, err = e.ImportSequence(ctx, "max", edited, engine.SaveOptions{})
	must(t, err)
	// Deactivating one frees a place.
	_, err = e.Deactivate(ctx, "max", "One")
	must(t, err)
	_, err = e.Activate(ctx, "max", "Three")
	must(t, err)
}

func TestSequenceLifecycleErrors(t *testing.T) {
	e := newOrg(t)
	ctx := context.Background()
	_, err := e.CreateSequence(ctx, "max", simple("Outreach"))
	must(t, err)
	_, err = e.CreateSequence(ctx, "sam", simple("OUTREACH"))
	wantErr(t, err, engine.ErrInvalid)
	_, err = e.Deactivate(ctx, "max", "Outreach")
	wantErr(t, err, engine.ErrInvalid)
	_, err = e.Activate(ctx, "max", "Nope")
	wantErr(t, err, engine.ErrInvalid)
	_, err = e.CloneSequence(ctx, "max", "Outreach", "outreach")
	wantErr(t, err, engine.ErrInvalid)
	_, err = e.NewSequence(ctx, "max", "X", "no-such-template", "")
	wantErr(t, err, engine.ErrInvalid)
	must(t, e.DeleteSequence(ctx, "max", "Outreach"))
	_, err = e.Sequence(ctx, "max", "Outreach")
	wantErr(t, err, engine.ErrInvalid)
	// The name is free again.
	_, err = e.CreateSequence(ctx, "max", simple("Outreach"))
	must(t, err)
}

func TestNewFromEveryTemplate(t *testing.T) {
	e := newOrg(t)
	ctx := context.Background()
	for _, tm := range sequence.Templates() {
		s, err := e.NewSequence(ctx, "max", "From "+tm.Key, tm.Key, "")
		must(t, err)
		if s.Entity != tm.Entity || s.Steps == 0 || s.State != store.Draft {
			t.Errorf("%s: %+v", tm.Key, s)
		}
	}
	s, err := e.NewSequence(ctx, "max", "Blank", "", "")
	must(t, err)
	if s.Entity != "lead" || s.Steps != 0 {
		t.Errorf("blank = %+v, want a lead sequence without steps", s)
	}
	s, err = e.NewSequence(ctx, "max", "Blank account", "", "account")
	must(t, err)
	if s.Entity != "account" {
		t.Errorf("entity = %q", s.Entity)
	}
}

func TestSettings(t *testing.T) {
	e := newOrg(t)
	ctx := context.Background()
	good := map[string]string{
		"active_limit": "300", "max_wait": "45d", "workdays": "mon,tue,wed,thu", "workhours": "08:30-16:00",
		"timezone": "Europe/Paris", "call_outcomes": "connected,no_answer", "smtp_url": "smtp://u:secret@127.0.0.1:2525",
		"from": "sales@example.com", "tracking_url": "https://t.example.com",
	}
	for k, v := range good {
		must(t, e.SetSetting(ctx, "ada", k, v))
	}
	s, err := e.Settings(ctx, "ada")
	must(t, err)
	if s.ActiveLimit != 300 || s.MaxWait != 45*24*time.Hour || len(s.Workdays) != 4 || s.WorkStart != 510 || s.WorkEnd != 960 || s.TimeZone != "Europe/Paris" || len(s.CallOutcomes) != 2 {
		t.Fatalf("settings = %+v", s)
	}
	for _, kv := range engine.SettingValues(s) {
		if kv[0] == "smtp_url" && kv[1] != "smtp://u:****@127.0.0.1:2525" {
			t.Errorf("smtp_url shown as %q, want the password hidden", kv[1])
		}
	}
	bad := map[string]string{
		"active_limit": "-1", "max_wait": "soon", "workdays": "mon,funday", "workhours": "17:00-09:00",
		"timezone": "Mars/Olympus", "call_outcomes": " , ", "smtp_url": "http://x", "from": "nope", "colour": "red",
	}
	for k, v := range bad {
		wantErr(t, e.SetSetting(ctx, "ada", k, v), engine.ErrInvalid)
	}
}

func TestPrefsPerUser(t *testing.T) {
	e := newOrg(t)
	ctx := context.Background()
	must(t, e.SetPrefs(ctx, "sam", "home", []byte(`{"sort":"name"}`)))
	got, err := e.Prefs(ctx, "sam", "home")
	must(t, err)
	if string(got) != `{"sort":"name"}` {
		t.Fatalf("prefs = %q", got)
	}
	got, err = e.Prefs(ctx, "sue", "home")
	must(t, err)
	if got != nil {
		t.Fatalf("sue sees sam's prefs: %q", got)
	}
}

func TestDemo(t *testing.T) {
	e := newEngine(t)
	ctx := context.Background()
	res, err := e.LoadDemo(ctx)
	must(t, err)
	if res.Records < 150 || res.Users < 6 || res.Sequences != len(sequence.Templates()) {
		t.Fatalf("demo = %+v", res)
	}
	rows, err := e.ListSequences(ctx, "admin", engine.Query{Filters: map[string][]string{"state": {"active"}}})
	must(t, err)
	if len(rows) != res.Sequences {
		t.Fatalf("%d active sequences, want %d", len(rows), res.Sequences)
	}
	_, err = e.LoadDemo(ctx)
	wantErr(t, err, engine.ErrInvalid)
}

func TestDefaultActiveLimitIs250(t *testing.T) {
	e := newOrg(t)
	ctx := context.Background()
	for i := range 251 {
		_, err := e.CreateSequence(ctx, "max", simple(fmt.Sprintf("Sequence %03d", i)))
		must(t, err)
	}
	for i := range 250 {
		_, err := e.Activate(ctx, "max", fmt.Sprintf("Sequence %03d", i))
		must(t, err)
	}
	_, err := e.Activate(ctx, "max", "Sequence 250")
	var pe *engine.ProblemsError
	if !errors.As(err, &pe) || pe.Problems[0].Code != "active_limit" || pe.Problems[0].Message != "your organization can have up to 250 active sequences" {
		t.Fatalf("251st activation: %v", err)
	}
}

// Secrets never leave the engine in full: an admin sees the SMTP password masked (in the URL's
// user information and in query parameters), everyone else no credentials at all.
func TestSettingsSecrets(t *testing.T) {
	e := newOrg(t)
	ctx := context.Background()
	for _, c := range []struct{ url, admin, seller string }{
		{"smtp://u:secret@127.0.0.1:2525", "smtp://u:****@127.0.0.1:2525", "smtp://127.0.0.1:2525"},
		{"smtp://mail.example.com:587?username=u&password=secret&starttls=1", "smtp://mail.example.com:587?password=****&starttls=1&username=u", "smtp://mail.example.com:587"},
	} {
		must(t, e.SetSetting(ctx, "ada", "smtp_url", c.url))
		for who, want := range map[string]string{"ada": c.admin, "max": c.seller, "sam": c.seller} {
			s, err := e.Settings(ctx, who)
			must(t, err)
			if s.SMTPURL != want {
				t.Errorf("%s sees smtp_url %q, want %q", who, s.SMTPURL, want)
			}
			for _, kv := range engine.SettingValues(s) {
				if strings.Contains(kv[1], "secret") {
					t.Errorf("%s: setting %s shown as %q", who, kv[0], kv[1])
				}
			}
		}
	}
}

// A refused secret setting is named in the error without the value typed: a bare word may
// be the password alone.
func TestSettingsRefusalMasksTheSecret(t *testing.T) {
	e := newOrg(t)
	ctx := context.Background()
	for _, v := range []string{"hunter2secret", "smtp://u:hunter2secret@host:notaport", "ftp://u:hunter2secret@host"} {
		err := e.SetSetting(ctx, "ada", "smtp_url", v)
		if err == nil || strings.Contains(err.Error(), "hunter2secret") {
			t.Errorf("smtp_url %q: %v", v, err)
		}
	}
}

// Days are matched whole (three letters or the full name, or a range), never by prefix, and a
// non-ASCII value is refused with a message instead of a panic.
func TestSettingsWorkdays(t *testing.T) {
	e := newOrg(t)
	ctx := context.Background()
	for v, want := range map[string]string{
		"mon,tue,wed":         "mon,tue,wed",
		"Monday, FRIDAY":      "mon,fri",
		"mon-thu":             "mon,tue,wed,thu",
		"fri-mon":             "sun,mon,fri,sat",
		"sat,sat,sun":         "sun,sat",
		"tue-tue,thu,mon-tue": "mon,tue,thu",
	} {
		must(t, e.SetSetting(ctx, "ada", "workdays", v))
		s, err := e.Settings(ctx, "ada")
		must(t, err)
		if got := engine.FormatWeekdays(s.Workdays); got != want {
			t.Errorf("workdays %q = %q, want %q", v, got, want)
		}
	}
	for _, v := range []string{"mondo", "mo", "\u212a", "\u212aon", "mon,", "mon-", "frid"} {
		err := e.SetSetting(ctx, "ada", "workdays", v)
		wantErr(t, err, engine.ErrInvalid)
		if !strings.Contains(err.Error(), "is not a day") {
			t.Errorf("workdays %q: %v", v, err)
		}
	}
}
