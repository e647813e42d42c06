package admin

import (
	"context"
	"fmt"
	"html"
	"regexp"
	"slices"
	"strings"
	"testing"
	"testing/synctest"

	tea "charm.land/bubbletea/v2"
	gossh "golang.org/x/crypto/ssh"

	"crypto/ed25519"
	"crypto/rand"

	"github.com/pacer-sales/pacer/engine"
	"github.com/pacer-sales/pacer/engine/mail/mailtest"
	"github.com/pacer-sales/pacer/ui/common"
	"github.com/pacer-sales/pacer/ui/uitest"
)

var ctx = context.Background()

// newPublicKey makes an ed25519 public key in authorized_keys form.
func newPublicKey(t *testing.T, comment string) string {
	t.Helper()
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	pk, err := gossh.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(gossh.MarshalAuthorizedKey(pk))) + " " + comment
}

func TestUsersAddKeyEditRemove(t *testing.T) {
	e := demoEngine(t)
	pub := newPublicKey(t, "jane@laptop")
	synctest.Test(t, func(t *testing.T) {
		h := screenFor(t, e, admin)
		if v := h.View(); !strings.Contains(v, "[Users]") || !strings.Contains(v, seller) {
			t.Fatalf("users section:\n%s", v)
		}

		// Add: username, then roles (seller checked to start; manager checked too).
		h.Press("a")
		h.Type("jane.doe")
		h.Press("enter")
		p := h.picker()
		p.Update(tea.KeyPressMsg{Code: tea.KeyDown})
		h.Press("space", "enter")
		h.wantStatus("added user jane.doe")
		if id, _ := h.m().grids[secUsers].SelectedID(); id != "jane.doe" {
			t.Fatalf("cursor on %q after adding jane.doe", id)
		}
		u, err := e.Whoami(ctx, "jane.doe")
		if err != nil || !u.Has(engine.RoleManager) || !u.Has(engine.RoleSeller) || u.Has(engine.RoleAdmin) {
			t.Fatalf("jane.doe = %+v, %v", u, err)
		}

		// A username taken is refused in the prompt, keeping what was typed.
		h.Press("a")
		h.Type(seller)
		h.Press("enter")
		if m := h.m(); m.dlg == nil || m.dlg.prompt == nil || !strings.Contains(m.dlg.prompt.Err, "already exists") || m.dlg.prompt.Value() != seller {
			t.Fatalf("taken username: %+v", m.dlg)
		}
		h.Press("esc")

		// Paste a key: a bad one is refused in place, a good one lands and shows.
		h.selectRow("jane.doe")
		h.Press("p")
		h.Send(tea.PasteMsg{Content: "ssh-ed25519 nonsense"})
		h.Press("enter")
		if m := h.m(); m.dlg == nil || m.dlg.prompt == nil || m.dlg.prompt.Err == "" {
			t.Fatalf("bad key accepted: %+v", m.dlg)
		}
		h.m().dlg.prompt.Input.SetValue("")
		h.Send(tea.PasteMsg{Content: pub})
		h.Press("enter")
		h.wantStatus("added SSH key SHA256:")
		keys, err := e.UserKeys(ctx, admin, "jane.doe")
		if err != nil || len(keys) != 1 || keys[0].Comment != "jane@laptop" {
			t.Fatalf("keys = %+v, %v", keys, err)
		}
		if v := h.View(); !strings.Contains(v, keys[0].Fingerprint[:20]) {
			t.Fatalf("fingerprint not listed:\n%s", v)
		}

		// Edit the email, then the time zone with a bad value (refused in place).
		h.selectRow("jane.doe")
		h.Press("e")
		h.choose("Email")
		h.Type("jane@example.com")
		h.Press("enter")
		h.wantStatus("changed email of jane.doe")
		h.selectRow("jane.doe")
		h.Press("e")
		h.choose("Time zone")
		h.Type("Mars/Base")
		h.Press("enter")
		if m := h.m(); m.dlg == nil || !strings.Contains(m.dlg.prompt.Err, "unknown time zone") {
			t.Fatalf("bad zone: %+v", m.dlg)
		}
		h.Press("esc")
		if u, _ := e.Whoami(ctx, "jane.doe"); u.Email != "jane@example.com" || u.TimeZone != "" {
			t.Fatalf("after edits: %+v", u)
		}

		// Remove the key.
		h.selectRow("jane.doe")
		h.Press("d")
		h.choose(keys[0].Fingerprint)
		h.Press("y")
		h.wantStatus("removed SSH key")
		if ks, _ := e.UserKeys(ctx, admin, "jane.doe"); len(ks) != 0 {
			t.Fatalf("key still there: %+v", ks)
		}

		// Remove a seller with open tasks: refused without a taker, done with one.
		before, err := e.Tasks(ctx, admin, engine.TaskQuery{User: seller})
		if err != nil || len(before) == 0 {
			t.Fatalf("demo seller has no open tasks: %v", err)
		}
		h.selectRow(seller)
		h.Press("x")
		h.choose("(nobody)")
		h.Press("y")
		if st := h.LastStatus(); !st.Err || !strings.Contains(st.Text, "reassign") {
			t.Fatalf("status = %+v", st)
		}
		h.selectRow(seller)
		h.Press("x")
		h.choose("jane.doe")
		h.Press("y")
		h.wantStatus("went to jane.doe")
		if _, err := e.Whoami(ctx, seller); err == nil {
			t.Fatal("seller still there")
		}
		after, err := e.Tasks(ctx, admin, engine.TaskQuery{User: "jane.doe"})
		if err != nil || len(after) != len(before) {
			t.Fatalf("jane.doe has %d tasks, want %d (%v)", len(after), len(before), err)
		}
		if strings.Contains(h.View(), seller+" ") {
			t.Fatalf("removed user still listed:\n%s", h.View())
		}
	})
}

// An existing user's roles are edited in the roles picker, which starts on the roles they
// hold; the engine's rules hold (the last admin keeps the admin role, refused with why).
func TestEditUserRoles(t *testing.T) {
	e := demoEngine(t)
	synctest.Test(t, func(t *testing.T) {
		h := screenFor(t, e, admin)
		h.selectRow(seller)
		h.Press("e")
		h.choose("Roles")
		p := h.picker()
		var checked []string
		for _, it := range p.Checked() {
			checked = append(checked, it.Value)
		}
		if strings.Join(checked, ",") != "seller" {
			t.Fatalf("roles picker starts with %q checked, want seller", checked)
		}
		h.Press("down", "space", "enter") // manager on, seller kept
		h.wantStatus("changed the roles of " + seller)
		u, err := e.Whoami(ctx, seller)
		if err != nil || !u.Has(engine.RoleManager) || !u.Has(engine.RoleSeller) || u.Has(engine.RoleAdmin) {
			t.Fatalf("%s = %+v, %v", seller, u, err)
		}
		if v := h.View(); !strings.Contains(v, "manager") {
			t.Fatalf("new roles not listed:\n%s", v)
		}
		// Seller off: a manager only.
		h.selectRow(seller)
		h.Press("e")
		h.choose("Roles")
		h.Press("down", "down", "space", "enter")
		h.wantStatus("changed the roles of " + seller)
		if u, _ := e.Whoami(ctx, seller); u.Has(engine.RoleSeller) || !u.Has(engine.RoleManager) {
			t.Fatalf("after unchecking seller: %+v", u)
		}
		// No role at all is refused, saying so (it would change nothing).
		h.selectRow(admin)
		h.Press("e")
		h.choose("Roles")
		h.Press("space", "enter") // admin off, nothing on
		if st := h.LastStatus(); !st.Err || !strings.Contains(st.Text, "needs a role") {
			t.Fatalf("status = %+v", st)
		}
		// The only admin can't give up the admin role.
		h.selectRow(admin)
		h.Press("e")
		h.choose("Roles")
		h.Press("space", "down", "down", "space", "enter") // admin off, seller on
		if st := h.LastStatus(); !st.Err || !strings.Contains(st.Text, "last admin") {
			t.Fatalf("status = %+v", st)
		}
		if u, _ := e.Whoami(ctx, admin); !u.Has(engine.RoleAdmin) {
			t.Fatalf("last admin lost the role: %+v", u)
		}
	})
}

func TestTeamsAndMembers(t *testing.T) {
	e := demoEngine(t)
	synctest.Test(t, func(t *testing.T) {
		h := screenFor(t, e, admin)
		h.section(secTeams)
		h.Press("a")
		h.Type("north")
		h.Press("enter")
		h.choose("owner")
		h.wantStatus("added team north")
		if id, _ := h.m().grids[secTeams].SelectedID(); id != "north" {
			t.Fatalf("cursor on %q after adding north", id)
		}

		h.selectRow("north")
		h.Press("m")
		h.choose(seller)
		h.Type("closer")
		h.Press("enter")
		h.wantStatus(seller + " is a member of north")
		teamOf := func() engine.Team {
			ts, err := e.Teams(ctx, admin)
			if err != nil {
				t.Fatal(err)
			}
			i := slices.IndexFunc(ts, func(x engine.Team) bool { return x.Name == "north" })
			if i < 0 {
				t.Fatal("no team north")
			}
			return ts[i]
		}
		if tm := teamOf(); tm.Type != engine.OwnerTeam || len(tm.Members) != 1 || tm.Members[0] != (engine.Member{Username: seller, Role: "closer"}) {
			t.Fatalf("team = %+v", tm)
		}
		if !strings.Contains(h.View(), seller+" (closer)") {
			t.Fatalf("member role not shown:\n%s", h.View())
		}

		// Change the member role.
		h.selectRow("north")
		h.Press("m")
		h.choose(seller)
		h.m().dlg.prompt.Input.SetValue("")
		h.Type("opener")
		h.Press("enter")
		if tm := teamOf(); tm.Members[0].Role != "opener" {
			t.Fatalf("role = %+v", tm.Members)
		}

		h.selectRow("north")
		h.Press("d")
		h.choose(seller)
		h.wantStatus("took " + seller + " out of north")
		if tm := teamOf(); len(tm.Members) != 0 {
			t.Fatalf("members = %+v", tm.Members)
		}
		h.selectRow("north")
		h.Press("x", "y")
		h.wantStatus("removed team north")
		ts, _ := e.Teams(ctx, admin)
		if slices.ContainsFunc(ts, func(x engine.Team) bool { return x.Name == "north" }) {
			t.Fatal("team still there")
		}
	})
}

func TestTemplateEditPreviewSave(t *testing.T) {
	e := demoEngine(t)
	ts, err := e.Templates(ctx, admin)
	if err != nil || len(ts) == 0 {
		t.Fatalf("templates: %v", err)
	}
	name := ts[0].Name
	recs, err := e.Records(ctx, admin, "")
	if err != nil || len(recs) == 0 {
		t.Fatal(err)
	}
	rec := recs[0]
	synctest.Test(t, func(t *testing.T) {
		h := screenFor(t, e, admin)
		h.section(secTemplates)
		h.selectRow(name)
		h.Press("enter")
		if h.m().edit == nil || !h.S.CapturesInput() {
			t.Fatal("editor not open")
		}
		v := h.View()
		for _, want := range []string{"{{first_name}}", "{{field:NAME}}", "{{owner.name}}", ts[0].Subject} {
			if !strings.Contains(v, want) {
				t.Fatalf("editor lacks %q:\n%s", want, v)
			}
		}
		h.m().edit.subject.SetValue("")
		h.Type("Hello {{first_name}}")
		h.Press("tab")
		h.m().edit.body.SetValue("")
		h.Type("Dear {{name}}")
		// The next field is the email's own HTML body.
		h.Press("tab")
		h.Type("<p>{{name}}</p>")
		if !h.S.Dirty() {
			t.Fatal("edit not dirty")
		}
		// Preview the unsaved edit for a record found in the shared record picker: its
		// type picked with ctrl+t, then searched by name.
		h.Press("ctrl+p")
		rp := h.m().edit.records
		if rp == nil || !rp.Single {
			t.Fatalf("no single-record picker open:\n%s", h.View())
		}
		for rp.Entity() != rec.Entity {
			h.Press("ctrl+t")
		}
		h.Type(rec.Name)
		if v := h.View(); !strings.Contains(v, rec.Entity+"/"+rec.ID) || !strings.Contains(v, "record type: "+rec.Entity) {
			t.Fatalf("record picker after a search for %q:\n%s", rec.Name, v)
		}
		h.Press("enter")
		first, _, _ := strings.Cut(rec.Name, " ")
		if v := h.View(); !strings.Contains(v, "Subject: Hello "+first) || !strings.Contains(v, "Dear "+rec.Name) ||
			!strings.Contains(v, "--- html ---") || !strings.Contains(v, "<p>"+html.EscapeString(rec.Name)+"</p>") {
			t.Fatalf("preview:\n%s", v)
		}
		h.Press("tab")
		h.Press("tab") // back on the body
		// A bad placeholder is refused on save, naming it; the edit stays.
		h.Type(" {{bogus}}")
		h.Press("ctrl+s")
		if ed := h.m().edit; ed == nil || !strings.Contains(ed.err, "{{bogus}}") {
			t.Fatalf("bad save: %+v", ed)
		}
		for range len(" {{bogus}}") {
			h.Press("backspace")
		}
		h.Press("ctrl+s")
		h.wantStatus("saved template " + name)
		if h.m().edit != nil {
			t.Fatal("editor still open after save")
		}
		got, err := e.Template(ctx, admin, name)
		if err != nil || got.Subject != "Hello {{first_name}}" || got.Body != "Dear {{name}}" || got.HTML != "<p>{{name}}</p>" {
			t.Fatalf("saved = %+v, %v", got, err)
		}

		// esc on an unsaved edit asks; keeping returns to the editor, discarding closes it.
		h.Press("enter")
		h.Type("x")
		h.Press("esc")
		h.choose("Keep editing")
		if h.m().edit == nil {
			t.Fatal("keep closed the editor")
		}
		h.Press("esc")
		h.choose("Discard the changes")
		if h.m().edit != nil {
			t.Fatal("discard kept the editor")
		}
		if got, _ := e.Template(ctx, admin, name); got.Subject != "Hello {{first_name}}" {
			t.Fatalf("discarded edit saved: %+v", got)
		}
	})
}

// The preview's record picker searches every record of the org, a page at a time: a lead
// far past the first few hundred is found by name and fills the preview.
func TestTemplatePreviewSearchesAllRecords(t *testing.T) {
	e := demoEngine(t)
	var csv strings.Builder
	csv.WriteString("id,name,owner\n")
	for i := range 700 {
		fmt.Fprintf(&csv, "ZZ-%03d,Bulk Person %03d,%s\n", i, i, seller)
	}
	if _, err := e.ImportRecords(ctx, admin, "many.csv", strings.NewReader(csv.String()), "lead"); err != nil {
		t.Fatal(err)
	}
	ts, err := e.Templates(ctx, admin)
	if err != nil || len(ts) == 0 {
		t.Fatalf("templates: %v", err)
	}
	synctest.Test(t, func(t *testing.T) {
		h := screenFor(t, e, admin)
		h.section(secTemplates)
		h.selectRow(ts[0].Name)
		h.Press("enter")
		h.m().edit.body.SetValue("Dear {{name}}")
		h.Press("ctrl+p")
		if v := h.View(); !strings.Contains(v, "record type: lead") || strings.Contains(v, "[ ]") {
			t.Fatalf("preview picker:\n%s", v)
		}
		h.Type("person 699")
		if v := h.View(); !strings.Contains(v, "lead/ZZ-699") || strings.Contains(v, "lead/ZZ-698") {
			t.Fatalf("search for the 700th lead:\n%s", v)
		}
		h.Press("enter")
		if v := h.View(); !strings.Contains(v, "Preview for lead/ZZ-699") || !strings.Contains(v, "Dear Bulk Person 699") {
			t.Fatalf("preview:\n%s", v)
		}
		// The next preview opens on the record type last used; esc leaves the edit as it was.
		h.Press("ctrl+p")
		if h.m().edit.records == nil || h.m().edit.records.Entity() != "lead" {
			t.Fatal("picker not reopened on leads")
		}
		h.Press("esc")
		if h.m().edit == nil || h.m().edit.records != nil || h.m().edit.body.Value() != "Dear {{name}}" {
			t.Fatalf("esc from the picker: %+v", h.m().edit)
		}
	})
}

func TestSettingsAndTestEmail(t *testing.T) {
	e := demoEngine(t)
	srv := mailtest.Start(t)
	const secret = "s3cr3t-pa55"
	must(t, e.SetSetting(ctx, admin, "smtp_url", srv.URLWithPassword(secret)))
	synctest.Test(t, func(t *testing.T) {
		h := screenFor(t, e, admin)
		h.section(secSettings)
		v := h.View()
		for _, k := range engine.SettingKeys {
			if !strings.Contains(v, k) {
				t.Fatalf("setting %s not listed:\n%s", k, v)
			}
		}
		if strings.Contains(v, secret) || !strings.Contains(v, "****") {
			t.Fatalf("secret shown:\n%s", v)
		}
		// A setting without a value says so, and its prompt opens empty.
		if !regexp.MustCompile(`bounce_domain +— not set`).MatchString(v) {
			t.Fatalf("bounce_domain's empty value not named:\n%s", v)
		}
		h.selectRow("bounce_domain")
		h.Press("enter")
		if got := h.m().dlg.prompt.Value(); got != "" {
			t.Fatalf("bounce_domain's prompt holds %q", got)
		}
		h.Press("esc")

		h.selectRow("active_limit")
		h.Press("enter")
		h.m().dlg.prompt.Input.SetValue("")
		h.Type("many")
		h.Press("enter")
		if m := h.m(); m.dlg == nil || !strings.Contains(m.dlg.prompt.Err, "active_limit") {
			t.Fatalf("bad value: %+v", m.dlg)
		}
		h.m().dlg.prompt.Input.SetValue("")
		h.Type("7")
		h.Press("enter")
		h.wantStatus("changed setting active_limit")
		if s, _ := e.Settings(ctx, admin); s.ActiveLimit != 7 {
			t.Fatalf("active_limit = %d", s.ActiveLimit)
		}

		// smtp_url opens empty: the whole new value is asked for, the old never shown.
		h.selectRow("smtp_url")
		h.Press("enter")
		if m := h.m(); m.dlg.prompt.Value() != "" || strings.Contains(h.View(), secret) {
			t.Fatalf("smtp_url pre-filled: %q", m.dlg.prompt.Value())
		}
		h.Press("esc")

	})
}

// A secret setting is echoed as dots while typed: the view never holds the secret, not
// while typing, not when a bad value is refused; the value typed is what is saved.
func TestSecretSettingsEchoAsDots(t *testing.T) {
	e := demoEngine(t)
	const secret = "hunter2-Pa55"
	synctest.Test(t, func(t *testing.T) {
		h := screenFor(t, e, admin)
		h.section(secSettings)
		for _, k := range []string{"smtp_url", "imap_url"} {
			h.selectRow(k)
			h.Press("enter")
			h.Type(secret) // the password alone: refused
			if v := h.View(); strings.Contains(v, secret) || !strings.Contains(v, "••••") {
				t.Fatalf("%s while typing:\n%s", k, v)
			}
			h.Press("enter")
			if m := h.m(); m.dlg == nil || m.dlg.prompt.Err == "" || strings.Contains(h.View(), secret) {
				t.Fatalf("%s refused value: err %q\n%s", k, m.dlg.prompt.Err, h.View())
			}
			h.m().dlg.prompt.Input.SetValue("")
			url := strings.TrimSuffix(k, "_url") + "://u:" + secret + "@127.0.0.1:2525"
			if k == "imap_url" {
				url += "/INBOX"
			}
			h.Type(url)
			if v := h.View(); strings.Contains(v, secret) || strings.Contains(v, "127.0.0.1") {
				t.Fatalf("%s while typing a URL:\n%s", k, v)
			}
			h.Press("enter")
			h.wantStatus("changed setting " + k)
			if v := h.View(); strings.Contains(v, secret) {
				t.Fatalf("%s listed in clear:\n%s", k, v)
			}
		}
		// A plain setting still shows what is typed.
		h.selectRow("tracking_url")
		h.Press("enter")
		h.Type("https://t.example.com")
		if !strings.Contains(h.View(), "https://t.example.com") {
			t.Fatalf("a plain setting is masked:\n%s", h.View())
		}
		h.Press("esc")
	})
	s, err := e.Settings(ctx, admin)
	must(t, err)
	if !strings.Contains(s.SMTPURL, "127.0.0.1:2525") || !strings.Contains(s.IMAPURL, "127.0.0.1:2525") {
		t.Fatalf("not saved: %+v", s)
	}
}

// TestTestEmail sends the test email through a real SMTP server on 127.0.0.1. It runs
// outside a synctest bubble (the network and its deadlines need the real clock): the
// commands run one by one here.
func TestTestEmail(t *testing.T) {
	e := demoEngine(t)
	srv := mailtest.Start(t)
	must(t, e.SetSetting(ctx, admin, "smtp_url", srv.URL()))
	u, err := e.Whoami(ctx, admin)
	must(t, err)
	c := &common.Common{Ctx: ctx, Engine: e, User: u, Styles: common.NewStyles(common.DefaultTheme(true), false)}
	s := New(c)
	s.SetSize(120, 30)
	s, _ = s.Update(s.Init()())
	m := s.(*Model)
	m.sec = secSettings
	s.Update(uitest.Key("t"))
	if m.dlg == nil || m.dlg.prompt == nil || m.dlg.prompt.Value() != u.Email {
		t.Fatalf("test email prompt: %+v", m.dlg)
	}
	m.dlg.prompt.Input.SetValue("ops@example.com")
	_, cmd := s.Update(uitest.Key("enter"))
	done, ok := cmd().(doneMsg)
	if !ok || done.err != nil || done.note != "test email sent to ops@example.com" {
		t.Fatalf("result = %+v", done)
	}
	if msgs := srv.Messages(); len(msgs) != 1 || !slices.Equal(msgs[0].To, []string{"ops@example.com"}) {
		t.Fatalf("server got %+v", msgs)
	}
	s.Update(done)
	if m.dlg != nil {
		t.Fatal("prompt still open after the send")
	}

	// A refusal keeps the prompt open with the server's reply under it.
	srv.FailNext(1, 554)
	s.Update(uitest.Key("t"))
	_, cmd = s.Update(uitest.Key("enter"))
	s.Update(cmd())
	if m.dlg == nil || !strings.Contains(m.dlg.prompt.Err, "554") {
		t.Fatalf("refused send: %+v", m.dlg)
	}
}

func TestManagerReadOnly(t *testing.T) {
	e := demoEngine(t)
	must(t, e.SetSetting(ctx, admin, "smtp_url", "smtp://ops:s3cr3t@127.0.0.1:2525"))
	synctest.Test(t, func(t *testing.T) {
		h := screenFor(t, e, manager)
		v := h.View()
		if !strings.Contains(v, "read-only") || !strings.Contains(v, seller) {
			t.Fatalf("manager view:\n%s", v)
		}
		for _, b := range h.S.ShortHelp() {
			if b.Help().Desc == "add user" {
				t.Fatal("manager's footer offers add user")
			}
		}
		users, _ := e.Users(ctx, admin)
		for _, s := range []section{secUsers, secTeams, secTemplates, secSettings} {
			h.section(s)
			for _, k := range []string{"a", "e", "p", "d", "x", "m", "t", "enter"} {
				if s == secTemplates && (k == "e" || k == "enter") {
					continue
				}
				h.Sent = nil
				h.Press(k)
				if h.m().dlg != nil || h.m().edit != nil {
					t.Fatalf("%s: %q opened a dialog for a manager", sectionNames[s], k)
				}
				if st := h.LastStatus(); k != "enter" && st.Text != "" && !strings.Contains(st.Text, "read-only") {
					t.Fatalf("%s %q: status %+v", sectionNames[s], k, st)
				}
			}
		}
		if after, _ := e.Users(ctx, admin); len(after) != len(users) {
			t.Fatal("users changed")
		}
		// A template opens read-only: it shows and previews, typing and saving are refused.
		ts, _ := e.Templates(ctx, admin)
		h.section(secTemplates)
		h.selectRow(ts[0].Name)
		h.Press("enter")
		if h.m().edit == nil || !strings.Contains(h.View(), "read-only") || !strings.Contains(h.View(), ts[0].Subject) {
			t.Fatalf("manager's template view:\n%s", h.View())
		}
		h.Type("zz")
		h.Press("ctrl+s")
		if h.S.Dirty() || !strings.Contains(h.LastStatus().Text, "read-only") {
			t.Fatalf("manager edited: dirty=%v status=%+v", h.S.Dirty(), h.LastStatus())
		}
		h.Press("ctrl+p")
		h.Press("enter")
		if !strings.Contains(h.View(), "Preview for ") {
			t.Fatalf("manager's preview:\n%s", h.View())
		}
		h.Press("esc")
		if h.m().edit != nil {
			t.Fatal("esc left the editor open")
		}
		if got, _ := e.Template(ctx, admin, ts[0].Name); got != ts[0] {
			t.Fatalf("template changed: %+v", got)
		}

		// Secrets reach a manager stripped of credentials.
		h.section(secSettings)
		if v := h.View(); strings.Contains(v, "s3cr3t") || strings.Contains(v, "ops:") || !strings.Contains(v, "smtp://127.0.0.1:2525") {
			t.Fatalf("manager's smtp_url:\n%s", v)
		}
	})
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
