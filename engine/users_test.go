package engine_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	gossh "golang.org/x/crypto/ssh"

	"github.com/pacer-sales/pacer/engine"
	"github.com/pacer-sales/pacer/engine/sequence"
	"github.com/pacer-sales/pacer/store"
	"github.com/pacer-sales/pacer/store/bolt"
)

func authorized(k gossh.PublicKey, comment string) string {
	return strings.TrimSpace(string(gossh.MarshalAuthorizedKey(k))) + " " + comment
}

func wantMsg(t *testing.T, err, kind error, part string) {
	t.Helper()
	if !errors.Is(err, kind) || !strings.Contains(err.Error(), part) {
		t.Fatalf("error = %v, want %v containing %q", err, kind, part)
	}
}

func TestSetUserAndLastAdmin(t *testing.T) {
	e := newOrg(t)
	ctx := context.Background()
	name, tz := "Sam Okafor", "Europe/Paris"
	u, err := e.SetUser(ctx, "ada", "sam", engine.UserChange{Name: &name, TimeZone: &tz, Roles: []engine.Role{engine.RoleSeller, engine.RoleManager}})
	must(t, err)
	if u.Name != name || u.TimeZone != tz || !u.Has(engine.RoleManager) || u.Email != "sam@example.com" {
		t.Fatalf("after user set: %+v", u)
	}
	bad := "Mars/Olympus"
	_, err = e.SetUser(ctx, "ada", "sam", engine.UserChange{TimeZone: &bad})
	wantMsg(t, err, engine.ErrInvalid, "unknown time zone")
	_, err = e.SetUser(ctx, "sam", "sue", engine.UserChange{Name: &name})
	wantErr(t, err, engine.ErrForbidden)

	// ada is the only admin: she can't be demoted or removed until another admin exists.
	_, err = e.SetUser(ctx, "ada", "ada", engine.UserChange{Roles: []engine.Role{engine.RoleManager}})
	wantMsg(t, err, engine.ErrInvalid, "last admin")
	_, err = e.RemoveUser(ctx, "ada", "ada", "")
	wantMsg(t, err, engine.ErrInvalid, "last admin")
	_, err = e.SetUser(ctx, "ada", "max", engine.UserChange{Roles: []engine.Role{engine.RoleAdmin}})
	must(t, err)
	_, err = e.SetUser(ctx, "ada", "ada", engine.UserChange{Roles: []engine.Role{engine.RoleManager}})
	must(t, err)
	_, err = e.RemoveUser(ctx, "max", "max", "")
	wantMsg(t, err, engine.ErrInvalid, "last admin")
}

func TestUserKeys(t *testing.T) {
	e := newOrg(t)
	ctx := context.Background()
	k1, k2 := newKey(t), newKey(t)
	info, err := e.AddUserKey(ctx, "ada", "sam", authorized(k1, "sam@laptop"))
	must(t, err)
	if info.Fingerprint != gossh.FingerprintSHA256(k1) || info.Comment != "sam@laptop" {
		t.Fatalf("key info = %+v", info)
	}
	// One public key, one user: the refusal names the owner.
	_, err = e.AddUserKey(ctx, "ada", "sue", authorized(k1, "copied"))
	wantMsg(t, err, engine.ErrInvalid, "already belongs to user sam")
	err = e.AddUser(ctx, "ada", store.User{Username: "zed", Roles: []store.Role{store.RoleSeller}, SSHKeys: []string{authorized(k1, "x")}})
	wantMsg(t, err, engine.ErrInvalid, "already belongs to user sam")
	_, err = e.AddUserKey(ctx, "ada", "sam", authorized(k1, "again"))
	wantMsg(t, err, engine.ErrInvalid, "already has")
	_, err = e.AddUserKey(ctx, "ada", "sam", "ssh-ed25519 nonsense")
	wantErr(t, err, engine.ErrInvalid)
	_, err = e.AddUserKey(ctx, "sam", "sam", authorized(k2, "self"))
	wantErr(t, err, engine.ErrForbidden)
	_, err = e.AddUserKey(ctx, "ada", "sam", authorized(k2, "desktop"))
	must(t, err)

	u, err := e.UserBySSHKey(ctx, k2.Marshal())
	must(t, err)
	if u.Username != "sam" {
		t.Fatalf("the added key signs in %s", u.Username)
	}
	keys, err := e.UserKeys(ctx, "sam", "sam")
	must(t, err)
	if len(keys) != 2 || keys[1].Comment != "desktop" {
		t.Fatalf("keys = %+v", keys)
	}
	_, err = e.UserKeys(ctx, "sue", "sam")
	wantErr(t, err, engine.ErrForbidden)
	removed, err := e.RemoveUserKey(ctx, "ada", "sam", gossh.FingerprintSHA256(k1))
	must(t, err)
	if removed.Comment != "sam@laptop" {
		t.Fatalf("removed %+v", removed)
	}
	_, err = e.UserBySSHKey(ctx, k1.Marshal())
	wantErr(t, err, engine.ErrForbidden)
	_, err = e.RemoveUserKey(ctx, "ada", "sam", "SHA256:nope")
	wantErr(t, err, engine.ErrInvalid)
	// The key is free again: another user may have it now.
	_, err = e.AddUserKey(ctx, "ada", "sue", authorized(k1, "now sue's"))
	must(t, err)
}

// connectedLead makes an active sequence whose first step is a call, and a lead owned by
// owner connected to it: the owner has one open task.
func connectedLead(t *testing.T, e *engine.Engine, owner, ref string) {
	t.Helper()
	ctx := context.Background()
	def := &sequence.Sequence{Name: "Calls of " + ref, Steps: []sequence.Step{{Type: sequence.Call, Name: "Intro call"}, {Type: sequence.Task}}}
	_, err := e.ImportSequence(ctx, "ada", def, engine.SaveOptions{Activate: true})
	must(t, err)
	_, id, _ := strings.Cut(ref, "/")
	_, err = e.ImportRecords(ctx, "ada", "leads.csv", strings.NewReader("id,name,owner\n"+id+",Lead "+id+","+owner+"\n"), "lead")
	must(t, err)
	_, err = e.Connect(ctx, "ada", def.Name, []string{ref})
	must(t, err)
}

func TestRemoveUserReassigns(t *testing.T) {
	e := newOrg(t)
	ctx := context.Background()
	connectedLead(t, e, "sam", "lead/L-1")
	_, err := e.RemoveUser(ctx, "ada", "sam", "")
	wantMsg(t, err, engine.ErrInvalid, "1 open task(s)")
	if _, err := e.Whoami(ctx, "sam"); err != nil {
		t.Fatalf("a refused remove removed the user: %v", err)
	}
	_, err = e.RemoveUser(ctx, "ada", "sam", "nobody")
	wantErr(t, err, engine.ErrInvalid)
	_, err = e.RemoveUser(ctx, "max", "sam", "sue")
	wantErr(t, err, engine.ErrForbidden)

	res, err := e.RemoveUser(ctx, "ada", "sam", "sue")
	must(t, err)
	if res.Tasks != 1 || res.Records != 1 {
		t.Fatalf("result = %+v", res)
	}
	if _, err := e.Whoami(ctx, "sam"); err == nil {
		t.Fatal("sam is still a user")
	}
	tasks, err := e.Tasks(ctx, "sue", engine.TaskQuery{})
	must(t, err)
	if len(tasks) != 1 || tasks[0].Record != "lead/L-1" || strings.Join(tasks[0].Assignees, ",") != "sue" {
		t.Fatalf("sue's work list = %+v", tasks)
	}
	rec, err := e.Record(ctx, "ada", "lead/L-1")
	must(t, err)
	if rec.Owner != "sue" {
		t.Fatalf("the record's owner is %q", rec.Owner)
	}
	problems, err := e.Check(ctx, "ada")
	must(t, err)
	if len(problems) > 0 {
		t.Fatalf("doctor after user remove: %v", problems)
	}
}

func TestTeamManagement(t *testing.T) {
	e := newOrg(t)
	ctx := context.Background()
	must(t, e.AddTeam(ctx, "ada", store.Team{Name: "east", Type: store.OwnerTeam, Members: []store.Member{{Username: "sam"}}}))
	tm, err := e.AddTeamMember(ctx, "ada", "east", store.Member{Username: "sue", Role: "account manager"})
	must(t, err)
	if len(tm.Members) != 2 {
		t.Fatalf("members = %+v", tm.Members)
	}
	_, err = e.AddTeamMember(ctx, "ada", "east", store.Member{Username: "ghost"})
	wantErr(t, err, engine.ErrInvalid)
	tm, err = e.RemoveTeamMember(ctx, "ada", "east", "sam")
	must(t, err)
	if len(tm.Members) != 1 || tm.Members[0].Username != "sue" {
		t.Fatalf("members = %+v", tm.Members)
	}
	tm, err = e.SetTeam(ctx, "ada", "east", engine.TeamChange{Type: store.AccessTeam})
	must(t, err)
	if tm.Type != store.AccessTeam || len(tm.Members) != 1 {
		t.Fatalf("team set: %+v", tm)
	}
	_, err = e.SetTeam(ctx, "ada", "west", engine.TeamChange{Type: store.AccessTeam})
	wantErr(t, err, engine.ErrInvalid)
	_, err = e.ImportRecords(ctx, "ada", "a.csv", strings.NewReader("id,name,owner,access_team\nA-1,Acme,sam,east\n"), "account")
	must(t, err)
	wantMsg(t, e.RemoveTeam(ctx, "ada", "east"), engine.ErrInvalid, "access team of 1")
	_, err = e.SetRecord(ctx, "ada", "account/A-1", map[string]string{"access_team": ""})
	must(t, err)
	wantErr(t, e.RemoveTeam(ctx, "sam", "east"), engine.ErrForbidden)
	must(t, e.RemoveTeam(ctx, "ada", "east"))
	teams, err := e.Teams(ctx, "ada")
	must(t, err)
	if len(teams) != 0 {
		t.Fatalf("teams = %+v", teams)
	}
}

func TestTemplateInUseProtected(t *testing.T) {
	e := newOrg(t)
	ctx := context.Background()
	_, err := e.ImportSequence(ctx, "max", simple("Outreach"), engine.SaveOptions{Activate: true})
	must(t, err)
	wantMsg(t, e.RemoveTemplate(ctx, "max", "intro"), engine.ErrInvalid, `"Outreach"`)
	subject := "New subject"
	tp, err := e.SetTemplate(ctx, "max", "intro", engine.TemplateChange{Subject: &subject})
	must(t, err)
	if tp.Subject != subject || tp.Body != "Hi {{name}}" {
		t.Fatalf("template set: %+v", tp)
	}
	_, err = e.Deactivate(ctx, "max", "Outreach")
	must(t, err)
	wantErr(t, e.RemoveTemplate(ctx, "sam", "intro"), engine.ErrForbidden)
	must(t, e.RemoveTemplate(ctx, "max", "intro"))
	_, err = e.Template(ctx, "max", "intro")
	wantErr(t, err, engine.ErrInvalid)
}

func TestRemoveRecordDisconnects(t *testing.T) {
	db, err := bolt.Open(filepath.Join(t.TempDir(), "pacer.db"), bolt.Options{})
	must(t, err)
	t.Cleanup(func() { db.Close() })
	e := engine.New(db, engine.FixedClock(t0))
	ctx := context.Background()
	must(t, e.AddUser(ctx, "", store.User{Username: "ada", Roles: []store.Role{store.RoleAdmin}}))
	must(t, e.AddUser(ctx, "ada", store.User{Username: "sam", Roles: []store.Role{store.RoleSeller}}))
	must(t, e.AddUser(ctx, "ada", store.User{Username: "sue", Roles: []store.Role{store.RoleSeller}}))
	connectedLead(t, e, "sam", "lead/L-7")
	before, err := e.Record(ctx, "ada", "lead/L-7")
	must(t, err)
	_, err = e.RemoveRecord(ctx, "sue", "lead/L-7")
	wantErr(t, err, engine.ErrForbidden)
	n, err := e.RemoveRecord(ctx, "sam", "lead/L-7")
	must(t, err)
	if n != 1 {
		t.Fatalf("%d connections ended", n)
	}
	_, err = e.Record(ctx, "ada", "lead/L-7")
	wantErr(t, err, engine.ErrInvalid)
	tasks, err := e.Tasks(ctx, "sam", engine.TaskQuery{})
	must(t, err)
	if len(tasks) != 0 {
		t.Fatalf("the removed record's task is still open: %+v", tasks)
	}
	conns, _, err := e.SequenceActivity(ctx, "ada", "Calls of lead/L-7")
	must(t, err)
	if len(conns) != 1 || conns[0].State != "disconnected" || conns[0].Reason != store.ReasonRecordRemoved || conns[0].Record != "lead/L-7" {
		t.Fatalf("connections after record remove: %+v", conns)
	}
	// The history stays with the connection of the removed record.
	var hist []store.Event
	must(t, db.View(ctx, func(tx store.Tx) error {
		cs, err := tx.ConnsByRecord(before.Key)
		if err != nil || len(cs) != 1 {
			return fmt.Errorf("connections of the removed record: %v %v", cs, err)
		}
		hist, err = tx.History(cs[0].ID)
		return err
	}))
	last := hist[len(hist)-1]
	if last.Type != "disconnected" || last.Reason != store.ReasonRecordRemoved || last.By != "sam" {
		t.Fatalf("history ends with %+v, want disconnected record_removed by sam", last)
	}
	problems, err := e.Check(ctx, "ada")
	must(t, err)
	if len(problems) > 0 {
		t.Fatalf("doctor after record remove: %v", problems)
	}
	// The same id imported again is a new record, free to connect.
	_, err = e.ImportRecords(ctx, "ada", "again.csv", strings.NewReader("id,name,owner\nL-7,Again,sam\n"), "lead")
	must(t, err)
	_, err = e.Connect(ctx, "ada", "Calls of lead/L-7", []string{"lead/L-7"})
	must(t, err)
}
