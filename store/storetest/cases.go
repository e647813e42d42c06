package storetest

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pacer-sales/pacer/store"
)

func testSettings(t *testing.T, s store.Store) {
	got := get(t, s, store.Tx.Settings)
	wantEqual(t, "settings of a new store", got, store.DefaultSettings())

	custom := store.Settings{
		ActiveLimit:  12,
		MaxWait:      72 * time.Hour,
		Workdays:     []time.Weekday{time.Sunday, time.Monday, time.Tuesday, time.Wednesday, time.Thursday},
		WorkStart:    8*60 + 30,
		WorkEnd:      18 * 60,
		TimeZone:     "Asia/Dubai",
		CallOutcomes: []string{"connected", "busy", "callback_requested"},
		SMTPURL:      "smtp://mail.example.com:587",
		FromAddress:  "sales@example.com",
		TrackingURL:  "https://t.example.com",
		Holidays:     "de-by",
		OrgHolidays:  []store.Holiday{{Date: "2026-12-24", Name: "Christmas Eve"}, {Date: "2026-12-31", Name: "Year end"}},
		MaxPerHour:   40,
		MaxPerDay:    300,
		MinSpacing:   90 * time.Second,
	}
	in := custom
	in.Workdays, in.CallOutcomes = slices.Clone(custom.Workdays), slices.Clone(custom.CallOutcomes)
	in.OrgHolidays = slices.Clone(custom.OrgHolidays)
	update(t, s, func(tx store.Tx) error {
		if err := tx.PutSettings(in); err != nil {
			return err
		}
		in.CallOutcomes[0] = "changed after put" // the store must have taken a copy
		return nil
	})
	got = get(t, s, store.Tx.Settings)
	wantEqual(t, "settings after put", got, custom)

	got.Workdays[0], got.CallOutcomes[0] = time.Saturday, "mutated"
	got.OrgHolidays[0].Name = "mutated"
	wantEqual(t, "settings after mutating a returned copy", get(t, s, store.Tx.Settings), custom)
}

func sampleUsers() []store.User {
	return []store.User{
		{
			Username: "zoe", Name: "Zoe Quinn", Email: "zoe@example.com",
			Roles: []store.Role{store.RoleSeller}, Title: "Account executive", Territory: "EMEA",
			TimeZone: "Europe/Berlin", SSHKeys: []string{"ssh-ed25519 AAAAC3Nza zoe@laptop"},
			From:  "Zoe Quinn <zoe@example.com>",
			Hours: store.WorkHours{Days: []time.Weekday{time.Monday, time.Thursday}, Start: 8 * 60, End: 16 * 60},
			Away: []store.TimeOff{
				{From: at(60 * 24), To: at(60 * 24 * 8), Cover: "adam"},
				{From: at(60 * 24 * 30), To: at(60 * 24 * 31)},
			},
			MaxPerHour: 20, MaxPerDay: 150, IMAPURL: "imaps://zoe:secret@imap.example.com/INBOX",
		},
		{
			Username: "adam", Name: "Adam Ode", Email: "adam@example.com",
			Roles: []store.Role{store.RoleAdmin, store.RoleManager}, Title: "Head of sales",
			Territory: "NA", TimeZone: "America/New_York",
			SSHKeys: []string{"ssh-ed25519 AAAAC3Nzb adam@a", "ssh-rsa AAAAB3Nzc adam@b"},
			From:    "adam@example.com",
		},
		{
			Username: "maria.l", Name: "María López", Email: "maria@example.com",
			Roles: []store.Role{store.RoleSeller}, Title: "SDR", Territory: "LATAM",
			TimeZone: "America/Bogota", SSHKeys: []string{"ssh-ed25519 AAAAC3Nzd maria"},
		},
	}
}

func testUsers(t *testing.T, s store.Store) {
	users := sampleUsers()
	update(t, s, func(tx store.Tx) error {
		for _, u := range users {
			in := u
			in.Roles, in.SSHKeys = slices.Clone(u.Roles), slices.Clone(u.SSHKeys)
			if err := tx.PutUser(in); err != nil {
				return err
			}
			in.Roles[0], in.SSHKeys[0] = "mutated", "mutated" // after put: must not reach the store
		}
		return tx.PutPrefs("zoe", store.Prefs{"home": []byte("x")})
	})

	for _, u := range users {
		got := get(t, s, func(tx store.Tx) (store.User, error) { return tx.User(u.Username) })
		wantEqual(t, "user "+u.Username, got, u)
	}
	list := get(t, s, store.Tx.Users)
	wantOrder(t, "Users", names(list, func(u store.User) string { return u.Username }), []string{"adam", "maria.l", "zoe"})
	wantEqual(t, "Users()[0]", list[0], users[1])

	// Returned values are copies.
	list[0].Roles[0], list[0].SSHKeys[0] = "mutated", "mutated"
	got := get(t, s, func(tx store.Tx) (store.User, error) { return tx.User("adam") })
	wantEqual(t, "user adam after mutating a returned copy", got, users[1])
	got.Roles[0] = "mutated"
	wantEqual(t, "user adam after mutating a returned copy", get(t, s, func(tx store.Tx) (store.User, error) { return tx.User("adam") }), users[1])

	// Put replaces.
	changed := users[2]
	changed.Roles = []store.Role{store.RoleSeller, store.RoleManager}
	changed.Title, changed.SSHKeys = "Team lead", nil
	update(t, s, func(tx store.Tx) error { return tx.PutUser(changed) })
	wantEqual(t, "user after update", get(t, s, func(tx store.Tx) (store.User, error) { return tx.User("maria.l") }), changed)

	// Delete, and not found.
	update(t, s, func(tx store.Tx) error { return tx.DeleteUser("zoe") })
	view(t, s, func(tx store.Tx) error {
		_, err := tx.User("zoe")
		wantErr(t, "User of a deleted user", err, store.ErrNotFound)
		_, err = tx.User("nobody")
		wantErr(t, "User of a missing user", err, store.ErrNotFound)
		if p, err := tx.Prefs("zoe"); err != nil || len(p) != 0 {
			t.Errorf("Prefs of a deleted user: %v, %v; want none", p, err)
		}
		list, err := tx.Users()
		wantOrder(t, "Users after delete", names(list, func(u store.User) string { return u.Username }), []string{"adam", "maria.l"})
		return err
	})
	err := s.Update(t.Context(), func(tx store.Tx) error { return tx.DeleteUser("nobody") })
	wantErr(t, "DeleteUser of a missing user", err, store.ErrNotFound)
}

func testTeams(t *testing.T, s store.Store) {
	teams := []store.Team{
		{Name: "West coast", Type: store.OwnerTeam, Members: []store.Member{
			{Username: "zoe", Role: "sales rep"}, {Username: "adam", Role: "account manager"}, {Username: "maria.l"},
		}},
		{Name: "Acme deal room", Type: store.AccessTeam, Members: []store.Member{{Username: "maria.l", Role: "sales rep"}}},
		{Name: "Inside sales", Type: store.OwnerTeam, Members: []store.Member{{Username: "adam"}}},
	}
	update(t, s, func(tx store.Tx) error {
		for _, tm := range teams {
			in := tm
			in.Members = slices.Clone(tm.Members)
			if err := tx.PutTeam(in); err != nil {
				return err
			}
			in.Members[0].Role = "mutated after put"
		}
		return nil
	})
	for _, tm := range teams {
		wantEqual(t, "team "+tm.Name, get(t, s, func(tx store.Tx) (store.Team, error) { return tx.Team(tm.Name) }), tm)
	}
	list := get(t, s, store.Tx.Teams)
	wantOrder(t, "Teams", names(list, func(tm store.Team) string { return tm.Name }), []string{"Acme deal room", "Inside sales", "West coast"})
	list[2].Members[0].Role = "mutated"
	wantEqual(t, "team after mutating a returned copy", get(t, s, func(tx store.Tx) (store.Team, error) { return tx.Team("West coast") }), teams[0])

	changed := teams[0]
	changed.Members = []store.Member{{Username: "zoe", Role: "lead"}}
	update(t, s, func(tx store.Tx) error { return tx.PutTeam(changed) })
	wantEqual(t, "team after update", get(t, s, func(tx store.Tx) (store.Team, error) { return tx.Team("West coast") }), changed)

	update(t, s, func(tx store.Tx) error { return tx.DeleteTeam("Inside sales") })
	view(t, s, func(tx store.Tx) error {
		_, err := tx.Team("Inside sales")
		wantErr(t, "Team of a deleted team", err, store.ErrNotFound)
		_, err = tx.Team("west coast") // names are exact
		wantErr(t, "Team with another case", err, store.ErrNotFound)
		return nil
	})
	err := s.Update(t.Context(), func(tx store.Tx) error { return tx.DeleteTeam("nope") })
	wantErr(t, "DeleteTeam of a missing team", err, store.ErrNotFound)
}

func sampleRecord() store.Record {
	return store.Record{
		Entity: "lead", ID: "L-1001", Name: "Contoso Ltd", Owner: "team:West coast", Stage: "qualify",
		AccessTeam: "Acme deal room", Email: "buyer@contoso.example", Phone: "+1 555 0100",
		Fields: map[string]any{
			"industry": "retail", "employees": 250.0, "score": -1.5, "vip": true, "churned": false, "note": "",
		},
		CreatedAt: at(1), ModifiedAt: at(1),
	}
}

func putRecord(t *testing.T, s store.Store, r store.Record) store.Record {
	t.Helper()
	var out store.Record
	update(t, s, func(tx store.Tx) error {
		var err error
		out, err = tx.PutRecord(r)
		return err
	})
	return out
}

func testRecords(t *testing.T, s store.Store) {
	want := sampleRecord()
	in := want
	in.Fields = maps.Clone(want.Fields)
	got := putRecord(t, s, in)
	if got.Key.IsZero() {
		t.Fatal("PutRecord returned a zero key")
	}
	want.Key = got.Key
	wantEqual(t, "PutRecord result", got, want)
	in.Fields["industry"] = "mutated after put" // must not reach the store

	byRef := get(t, s, func(tx store.Tx) (store.Record, error) { return tx.Record("lead", "L-1001") })
	wantEqual(t, "Record", byRef, want)
	byKey := get(t, s, func(tx store.Tx) (store.Record, error) { return tx.RecordByKey(want.Key) })
	wantEqual(t, "RecordByKey", byKey, want)
	for k, v := range byRef.Fields {
		if fmt.Sprintf("%T", v) != fmt.Sprintf("%T", want.Fields[k]) {
			t.Errorf("field %s: got a %T, want a %T", k, v, want.Fields[k])
		}
	}

	byRef.Fields["industry"], byRef.Fields["new"] = "mutated", "mutated"
	wantEqual(t, "record after mutating a returned copy",
		get(t, s, func(tx store.Tx) (store.Record, error) { return tx.Record("lead", "L-1001") }), want)

	// A zero ModifiedAt is set; a new record's CreatedAt follows it.
	fresh := putRecord(t, s, store.Record{Entity: "contact", ID: "C-1", Name: "Pat"})
	if fresh.ModifiedAt.IsZero() || !fresh.CreatedAt.Equal(fresh.ModifiedAt) {
		t.Errorf("new record with zero times: CreatedAt %v, ModifiedAt %v; want both set and equal", fresh.CreatedAt, fresh.ModifiedAt)
	}
	if fresh.Key == want.Key {
		t.Error("two records got the same key")
	}

	view(t, s, func(tx store.Tx) error {
		_, err := tx.Record("lead", "L-404")
		wantErr(t, "Record of a missing record", err, store.ErrNotFound)
		_, err = tx.Record("contact", "L-1001")
		wantErr(t, "Record of an id under another entity", err, store.ErrNotFound)
		_, err = tx.RecordByKey(store.NewID(at(2)))
		wantErr(t, "RecordByKey of a missing key", err, store.ErrNotFound)
		return nil
	})
}

func testRecordsRemove(t *testing.T, s store.Store) {
	kept := putRecord(t, s, store.Record{Entity: "lead", ID: "L-1", Name: "Kept"})
	gone := putRecord(t, s, store.Record{Entity: "lead", ID: "L-2", Name: "Gone"})
	var removed store.Record
	update(t, s, func(tx store.Tx) (err error) {
		removed, err = tx.RemoveRecord("lead", "L-2")
		return err
	})
	wantEqual(t, "RemoveRecord result", removed, gone)
	view(t, s, func(tx store.Tx) error {
		_, err := tx.Record("lead", "L-2")
		wantErr(t, "Record of a removed record", err, store.ErrNotFound)
		byKey, err := tx.RecordByKey(gone.Key)
		if err != nil {
			t.Errorf("RecordByKey of a removed record: %v", err)
		}
		wantEqual(t, "RecordByKey of a removed record", byKey, gone)
		var listed, dropped []string
		if err := tx.Records("", func(r store.Record) bool { listed = append(listed, r.Ref()); return true }); err != nil {
			t.Error(err)
		}
		if err := tx.RemovedRecords(func(r store.Record) bool { dropped = append(dropped, r.Ref()); return true }); err != nil {
			t.Error(err)
		}
		wantOrder(t, "Records after RemoveRecord", listed, []string{kept.Ref()})
		wantOrder(t, "RemovedRecords", dropped, []string{gone.Ref()})
		_, err = tx.RemoveRecord("lead", "L-404")
		wantErr(t, "RemoveRecord of a missing record", err, store.ErrNotFound)
		return nil
	})
	// The same entity and id again is a new record; the removed one stays removed.
	again := putRecord(t, s, store.Record{Entity: "lead", ID: "L-2", Name: "Back"})
	if again.Key == gone.Key {
		t.Error("a record put after its removal reuses the removed record's key")
	}
	var dropped []string
	view(t, s, func(tx store.Tx) error {
		return tx.RemovedRecords(func(r store.Record) bool { dropped = append(dropped, r.Name); return true })
	})
	wantOrder(t, "RemovedRecords after a new record of the same id", dropped, []string{"Gone"})
}

func testRecordsUpsert(t *testing.T, s store.Store) {
	first := putRecord(t, s, sampleRecord())

	next := sampleRecord()
	next.Key = store.NewID(at(7)) // ignored
	next.Name, next.Stage, next.Email = "Contoso Group", "develop", ""
	next.Fields = map[string]any{"industry": "energy", "budget": 12000.5}
	next.CreatedAt, next.ModifiedAt = at(9), at(5) // CreatedAt is kept from the stored record
	got := putRecord(t, s, next)

	want := next
	want.Key, want.CreatedAt = first.Key, first.CreatedAt
	wantEqual(t, "PutRecord result of an update", got, want)
	wantEqual(t, "record after update", get(t, s, func(tx store.Tx) (store.Record, error) { return tx.Record("lead", "L-1001") }), want)
	n := 0
	view(t, s, func(tx store.Tx) error { return tx.Records("", func(store.Record) bool { n++; return true }) })
	if n != 1 {
		t.Errorf("after an upsert there are %d records, want 1", n)
	}
}

func testRecordsOrder(t *testing.T, s store.Store) {
	refs := [][2]string{
		{"opportunity", "O-1"}, {"lead", "L-2"}, {"lead2", "X-1"}, {"lead", "L-10"},
		{"account", "A-1"}, {"lead", "L-1"}, {"lead_x", "Y-1"},
	}
	update(t, s, func(tx store.Tx) error {
		for i, ref := range refs {
			if _, err := tx.PutRecord(store.Record{Entity: ref[0], ID: ref[1], Name: ref[1], ModifiedAt: at(i)}); err != nil {
				return err
			}
		}
		return nil
	})
	walk := func(entity string, limit int) []string {
		var got []string
		view(t, s, func(tx store.Tx) error {
			return tx.Records(entity, func(r store.Record) bool {
				got = append(got, r.Ref())
				return limit == 0 || len(got) < limit
			})
		})
		return got
	}
	wantOrder(t, `Records("")`, walk("", 0), []string{
		"account/A-1", "lead/L-1", "lead/L-10", "lead/L-2", "lead2/X-1", "lead_x/Y-1", "opportunity/O-1",
	})
	wantOrder(t, `Records("lead")`, walk("lead", 0), []string{"lead/L-1", "lead/L-10", "lead/L-2"})
	wantOrder(t, `Records("lead") stopping after 2`, walk("lead", 2), []string{"lead/L-1", "lead/L-10"})
	wantOrder(t, `Records("") stopping after 1`, walk("", 1), []string{"account/A-1"})
	wantOrder(t, `Records("contact")`, walk("contact", 0), nil)

	after := func(entity, from string, limit int) []string {
		var got []string
		view(t, s, func(tx store.Tx) error {
			return tx.RecordsAfter(entity, from, func(r store.Record) bool {
				got = append(got, r.Ref())
				return limit == 0 || len(got) < limit
			})
		})
		return got
	}
	wantOrder(t, `RecordsAfter("lead", "")`, after("lead", "", 0), []string{"lead/L-1", "lead/L-10", "lead/L-2"})
	wantOrder(t, `RecordsAfter("lead", "L-1")`, after("lead", "L-1", 0), []string{"lead/L-10", "lead/L-2"})
	wantOrder(t, `RecordsAfter("lead", "L-10") stopping after 1`, after("lead", "L-10", 1), []string{"lead/L-2"})
	wantOrder(t, `RecordsAfter("lead", "L-15")`, after("lead", "L-15", 0), []string{"lead/L-2"})
	wantOrder(t, `RecordsAfter("lead", "L-2")`, after("lead", "L-2", 0), nil)
	wantOrder(t, `RecordsAfter("account", "")`, after("account", "", 0), []string{"account/A-1"})
	view(t, s, func(tx store.Tx) error {
		if err := tx.RecordsAfter("", "L-1", func(store.Record) bool { return true }); err == nil {
			t.Error("RecordsAfter without an entity: no error")
		}
		return nil
	})
}

// testRecordsWalkAndWrite walks more records than a backend is likely to read at once while
// updating each of them.
func testRecordsWalkAndWrite(t *testing.T, s store.Store) {
	const n = 1100
	update(t, s, func(tx store.Tx) error {
		for i := range n {
			if _, err := tx.PutRecord(store.Record{Entity: "lead", ID: fmt.Sprintf("L-%05d", i), ModifiedAt: at(i)}); err != nil {
				return err
			}
		}
		_, err := tx.PutRecord(store.Record{Entity: "account", ID: "A-1", ModifiedAt: at(0)})
		return err
	})
	seen := 0
	update(t, s, func(tx store.Tx) error {
		var werr error
		err := tx.Records("lead", func(r store.Record) bool {
			if want := fmt.Sprintf("L-%05d", seen); r.ID != want {
				werr = fmt.Errorf("record %d of the walk is %s, want lead/%s", seen, r.Ref(), want)
				return false
			}
			seen++
			r.Fields = map[string]any{"seen": true}
			_, werr = tx.PutRecord(r)
			return werr == nil
		})
		return errors.Join(err, werr)
	})
	if seen != n {
		t.Fatalf("walked %d records, want %d", seen, n)
	}
	view(t, s, func(tx store.Tx) error {
		count := 0
		err := tx.Records("lead", func(r store.Record) bool {
			if r.Fields["seen"] != true {
				t.Errorf("record %s was not updated during the walk", r.Ref())
				return false
			}
			count++
			return true
		})
		if count != n {
			t.Errorf("after the walk there are %d leads, want %d", count, n)
		}
		return err
	})
}

func testRecordsInvalid(t *testing.T, s store.Store) {
	bad := []store.Record{
		{Entity: "", ID: "L-1"},
		{Entity: "lead", ID: ""},
		{Entity: "lead", ID: "L-1", Fields: map[string]any{"employees": 250}}, // int, not float64
		{Entity: "lead", ID: "L-1", Fields: map[string]any{"tags": []string{"a"}}},
	}
	for _, r := range bad {
		err := s.Update(t.Context(), func(tx store.Tx) error {
			_, err := tx.PutRecord(r)
			return err
		})
		if err == nil {
			t.Errorf("PutRecord(%+v) succeeded, want an error", r)
		}
	}
}

func testTemplates(t *testing.T, s store.Store) {
	long := strings.Repeat("Hello {{first_name}}, we help teams like {{field:company}} sell more.\n", 1000)
	templates := []store.Template{
		{Name: "welcome", Kind: store.EmailTemplate, Subject: "Hi {{first_name}}", Body: "Hello {{name}},\n\n— {{owner.name}}\n", ModifiedAt: at(1)},
		{Name: "sms-hello", Kind: store.SMSTemplate, Body: "Hi {{first_name}}, it's {{owner.name}}.", ModifiedAt: at(2)},
		{Name: "followup", Kind: store.EmailTemplate, Subject: "Following up", Body: long, ModifiedAt: at(3)},
		{Name: "styled", Kind: store.EmailTemplate, Subject: "News", Body: "Hi {{name}}", HTML: "<p>Hi <b>{{name}}</b></p>" + long, ModifiedAt: at(4)},
	}
	update(t, s, func(tx store.Tx) error {
		for _, tp := range templates {
			if err := tx.PutTemplate(tp); err != nil {
				return err
			}
		}
		return nil
	})
	for _, tp := range templates {
		wantEqual(t, "template "+tp.Name, get(t, s, func(tx store.Tx) (store.Template, error) { return tx.Template(tp.Name) }), tp)
	}
	list := get(t, s, store.Tx.Templates)
	wantOrder(t, "Templates", names(list, func(tp store.Template) string { return tp.Name }), []string{"followup", "sms-hello", "styled", "welcome"})
	wantEqual(t, "Templates()[0]", list[0], templates[2])

	changed := templates[0]
	changed.Subject, changed.Body, changed.ModifiedAt = "Hello again", "Short body", at(10)
	update(t, s, func(tx store.Tx) error { return tx.PutTemplate(changed) })
	wantEqual(t, "template after update", get(t, s, func(tx store.Tx) (store.Template, error) { return tx.Template("welcome") }), changed)

	// The HTML body changes and goes with the template like the text.
	styled := templates[3]
	styled.HTML = "<p>short</p>"
	update(t, s, func(tx store.Tx) error { return tx.PutTemplate(styled) })
	wantEqual(t, "template with a changed HTML body", get(t, s, func(tx store.Tx) (store.Template, error) { return tx.Template("styled") }), styled)
	styled.HTML = ""
	update(t, s, func(tx store.Tx) error { return tx.PutTemplate(styled) })
	wantEqual(t, "template with its HTML body dropped", get(t, s, func(tx store.Tx) (store.Template, error) { return tx.Template("styled") }), styled)
	update(t, s, func(tx store.Tx) error { return tx.DeleteTemplate("styled") })

	update(t, s, func(tx store.Tx) error {
		return tx.PutTemplate(store.Template{Name: "undated", Kind: store.EmailTemplate, Body: "x"})
	})
	if got := get(t, s, func(tx store.Tx) (store.Template, error) { return tx.Template("undated") }); got.ModifiedAt.IsZero() {
		t.Error("a template put with a zero ModifiedAt still has a zero ModifiedAt")
	}
	err := s.View(t.Context(), func(tx store.Tx) error { _, err := tx.Template("missing"); return err })
	wantErr(t, "Template of a missing template", err, store.ErrNotFound)

	update(t, s, func(tx store.Tx) error { return tx.DeleteTemplate("followup") })
	err = s.View(t.Context(), func(tx store.Tx) error { _, err := tx.Template("followup"); return err })
	wantErr(t, "Template after DeleteTemplate", err, store.ErrNotFound)
	wantOrder(t, "Templates after DeleteTemplate", names(get(t, s, store.Tx.Templates), func(tp store.Template) string { return tp.Name }), []string{"sms-hello", "undated", "welcome"})
	err = s.Update(t.Context(), func(tx store.Tx) error { return tx.DeleteTemplate("followup") })
	wantErr(t, "DeleteTemplate of a missing template", err, store.ErrNotFound)
}

func sampleSequence(name string, n int) store.Sequence {
	return store.Sequence{
		Name: name, Description: "Cold outreach for " + name, Entity: "lead", Owner: "adam",
		State: store.Draft, Version: 0, Tags: []string{"outbound", "q2"}, Steps: 3,
		Definition: []byte("name: " + name + "\nsteps:\n  - type: call\n  - type: wait\n    duration: 2d\n  - type: task\n"),
		CreatedAt:  at(n), ModifiedAt: at(n),
	}
}

func putSequence(t *testing.T, s store.Store, seq store.Sequence) store.Sequence {
	t.Helper()
	var out store.Sequence
	update(t, s, func(tx store.Tx) error {
		var err error
		out, err = tx.PutSequence(seq)
		return err
	})
	return out
}

func summary(seq store.Sequence) store.Sequence {
	seq.Definition = nil
	return seq
}

func testSequences(t *testing.T, s store.Store) {
	zeta := putSequence(t, s, sampleSequence("Zeta", 1))
	alpha := putSequence(t, s, sampleSequence("alpha", 2))
	mid := putSequence(t, s, sampleSequence("Mid", 3))
	if zeta.ID.IsZero() || zeta.ID == alpha.ID || alpha.ID == mid.ID {
		t.Fatalf("PutSequence gave IDs %s %s %s; want distinct, non-zero", zeta.ID, alpha.ID, mid.ID)
	}
	want := sampleSequence("alpha", 2)
	want.ID = alpha.ID
	wantEqual(t, "PutSequence result", alpha, want)
	wantEqual(t, "Sequence", get(t, s, func(tx store.Tx) (store.Sequence, error) { return tx.Sequence(alpha.ID) }), want)
	wantEqual(t, "SequenceByName ignoring case", get(t, s, func(tx store.Tx) (store.Sequence, error) { return tx.SequenceByName("ALPHA") }), want)

	list := get(t, s, store.Tx.Sequences)
	wantOrder(t, "Sequences", names(list, func(q store.Sequence) string { return q.Name }), []string{"Zeta", "alpha", "Mid"})
	wantEqual(t, "Sequences()[1] (a summary: no definition)", list[1], summary(want))

	// Returned values are copies.
	got := get(t, s, func(tx store.Tx) (store.Sequence, error) { return tx.Sequence(alpha.ID) })
	got.Tags[0], got.Definition[0] = "mutated", 'X'
	list[1].Tags[1] = "mutated"
	wantEqual(t, "sequence after mutating returned copies", get(t, s, func(tx store.Tx) (store.Sequence, error) { return tx.Sequence(alpha.ID) }), want)

	// Update: CreatedAt is kept, everything else replaced.
	changed := want
	changed.Description, changed.State, changed.Version, changed.Steps = "Changed", store.Active, 2, 5
	changed.Tags, changed.Definition = []string{"inbound"}, []byte("name: alpha\nsteps: []\n")
	changed.CreatedAt, changed.ModifiedAt = at(40), at(50)
	got = putSequence(t, s, changed)
	changed.CreatedAt = want.CreatedAt
	wantEqual(t, "PutSequence result of an update", got, changed)
	wantEqual(t, "sequence after update", get(t, s, func(tx store.Tx) (store.Sequence, error) { return tx.Sequence(alpha.ID) }), changed)
	wantOrder(t, "Sequences after an update", names(get(t, s, store.Tx.Sequences), func(q store.Sequence) string { return q.Name }),
		[]string{"Zeta", "alpha", "Mid"})

	// An empty definition round-trips as empty.
	changed.Definition = nil
	putSequence(t, s, changed)
	if got := get(t, s, func(tx store.Tx) (store.Sequence, error) { return tx.Sequence(alpha.ID) }); len(got.Definition) != 0 {
		t.Errorf("definition after storing none: %q", got.Definition)
	}

	view(t, s, func(tx store.Tx) error {
		_, err := tx.Sequence(store.NewID(at(0)))
		wantErr(t, "Sequence of a missing id", err, store.ErrNotFound)
		_, err = tx.SequenceByName("nope")
		wantErr(t, "SequenceByName of a missing name", err, store.ErrNotFound)
		_, err = tx.SequenceByName("alpha ")
		wantErr(t, "SequenceByName with a trailing space", err, store.ErrNotFound)
		return nil
	})
}

func testSequenceNames(t *testing.T, s store.Store) {
	outbound := putSequence(t, s, sampleSequence("Outbound", 1))
	other := putSequence(t, s, sampleSequence("Other", 2))

	for _, name := range []string{"Outbound", "OUTBOUND", "outbound"} {
		err := s.Update(t.Context(), func(tx store.Tx) error { _, err := tx.PutSequence(sampleSequence(name, 3)); return err })
		wantErr(t, "a new sequence named "+name, err, store.ErrConflict)
		renamed := other
		renamed.Name = name
		err = s.Update(t.Context(), func(tx store.Tx) error { _, err := tx.PutSequence(renamed); return err })
		wantErr(t, "renaming another sequence to "+name, err, store.ErrConflict)
	}
	if n := len(get(t, s, store.Tx.Sequences)); n != 2 {
		t.Fatalf("after refused puts there are %d sequences, want 2", n)
	}
	wantEqual(t, "sequence after a refused rename", get(t, s, func(tx store.Tx) (store.Sequence, error) { return tx.Sequence(other.ID) }), other)

	// A sequence may change the case of its own name.
	outbound.Name = "OutBound"
	putSequence(t, s, outbound)
	if got := get(t, s, func(tx store.Tx) (store.Sequence, error) { return tx.SequenceByName("outbound") }); got.ID != outbound.ID || got.Name != "OutBound" {
		t.Errorf("after changing the case of its name: found %s %q", got.ID, got.Name)
	}

	// Renaming frees the old name.
	outbound.Name = "Outbound v2"
	putSequence(t, s, outbound)
	err := s.View(t.Context(), func(tx store.Tx) error { _, err := tx.SequenceByName("OutBound"); return err })
	wantErr(t, "SequenceByName of a released name", err, store.ErrNotFound)
	taken := putSequence(t, s, sampleSequence("OUTBOUND", 4))
	if got := get(t, s, func(tx store.Tx) (store.Sequence, error) { return tx.SequenceByName("outbound") }); got.ID != taken.ID {
		t.Error("the released name does not find the sequence that took it")
	}
	if got := get(t, s, func(tx store.Tx) (store.Sequence, error) { return tx.SequenceByName("outbound V2") }); got.ID != outbound.ID {
		t.Error("the new name does not find the renamed sequence")
	}

	// Unfinished drafts without a name do not conflict.
	putSequence(t, s, sampleSequence("", 5))
	putSequence(t, s, sampleSequence("", 6))
	if n := len(get(t, s, store.Tx.Sequences)); n != 5 {
		t.Errorf("with two unnamed drafts there are %d sequences, want 5", n)
	}
}

// testSequenceCreationOrder checks that creation order holds even when the clock does not
// move (a pinned clock) or goes back.
func testSequenceCreationOrder(t *testing.T, s store.Store) {
	var want []string
	for i := range 5 {
		name := fmt.Sprintf("same instant %d", i)
		putSequence(t, s, sampleSequence(name, 10))
		want = append(want, name)
	}
	putSequence(t, s, sampleSequence("earlier clock", 0))
	want = append(want, "earlier clock")
	update(t, s, func(tx store.Tx) error {
		for i := range 3 {
			name := fmt.Sprintf("one transaction %d", i)
			if _, err := tx.PutSequence(sampleSequence(name, 10)); err != nil {
				return err
			}
			want = append(want, name)
		}
		return nil
	})
	wantOrder(t, "Sequences", names(get(t, s, store.Tx.Sequences), func(q store.Sequence) string { return q.Name }), want)
}

func putVersion(t *testing.T, s store.Store, v store.Version) {
	t.Helper()
	update(t, s, func(tx store.Tx) error { return tx.PutVersion(v) })
}

func sampleVersion(seq store.ID, n int) store.Version {
	return store.Version{
		Sequence: seq, N: n, Definition: []byte(fmt.Sprintf("name: x\nversion: %d\n", n)),
		PublishedAt: at(100 + n), By: "adam", Note: fmt.Sprintf("publish %d", n),
	}
}

func testDeleteSequence(t *testing.T, s store.Store) {
	doomed := putSequence(t, s, sampleSequence("Doomed", 1))
	kept := putSequence(t, s, sampleSequence("Kept", 2))
	for n := 1; n <= 3; n++ {
		putVersion(t, s, sampleVersion(doomed.ID, n))
	}
	putVersion(t, s, sampleVersion(kept.ID, 1))

	update(t, s, func(tx store.Tx) error { return tx.DeleteSequence(doomed.ID) })
	view(t, s, func(tx store.Tx) error {
		_, err := tx.Sequence(doomed.ID)
		wantErr(t, "Sequence of a deleted sequence", err, store.ErrNotFound)
		_, err = tx.SequenceByName("doomed")
		wantErr(t, "SequenceByName of a deleted sequence", err, store.ErrNotFound)
		_, err = tx.Version(doomed.ID, 2)
		wantErr(t, "Version of a deleted sequence", err, store.ErrNotFound)
		vs, err := tx.Versions(doomed.ID)
		if err != nil || len(vs) != 0 {
			t.Errorf("Versions of a deleted sequence: %d versions, %v; want none", len(vs), err)
		}
		list, err := tx.Sequences()
		wantOrder(t, "Sequences after delete", names(list, func(q store.Sequence) string { return q.Name }), []string{"Kept"})
		if vs, _ := tx.Versions(kept.ID); len(vs) != 1 {
			t.Errorf("the other sequence has %d versions after a delete, want 1", len(vs))
		}
		return err
	})

	// The name is free again, and a new sequence of that name starts with no versions.
	again := putSequence(t, s, sampleSequence("DOOMED", 3))
	if vs := get(t, s, func(tx store.Tx) ([]store.Version, error) { return tx.Versions(again.ID) }); len(vs) != 0 {
		t.Errorf("a new sequence has %d versions", len(vs))
	}
	err := s.Update(t.Context(), func(tx store.Tx) error { return tx.DeleteSequence(doomed.ID) })
	wantErr(t, "DeleteSequence of a deleted sequence", err, store.ErrNotFound)
}

func testVersions(t *testing.T, s store.Store) {
	seq := putSequence(t, s, sampleSequence("Versioned", 1))
	other := putSequence(t, s, sampleSequence("Other", 2))
	for _, n := range []int{2, 1, 3} {
		putVersion(t, s, sampleVersion(seq.ID, n))
	}
	putVersion(t, s, sampleVersion(other.ID, 1))

	list := get(t, s, func(tx store.Tx) ([]store.Version, error) { return tx.Versions(seq.ID) })
	wantEqual(t, "Versions (oldest first)", list, []store.Version{sampleVersion(seq.ID, 1), sampleVersion(seq.ID, 2), sampleVersion(seq.ID, 3)})
	got := get(t, s, func(tx store.Tx) (store.Version, error) { return tx.Version(seq.ID, 2) })
	wantEqual(t, "Version", got, sampleVersion(seq.ID, 2))

	got.Definition[0] = 'X'
	list[0].Definition[0] = 'X'
	wantEqual(t, "version after mutating returned copies", get(t, s, func(tx store.Tx) (store.Version, error) { return tx.Version(seq.ID, 2) }), sampleVersion(seq.ID, 2))

	// Versions are immutable.
	rewrite := sampleVersion(seq.ID, 2)
	rewrite.Definition, rewrite.Note = []byte("name: changed\n"), "rewrite"
	err := s.Update(t.Context(), func(tx store.Tx) error { return tx.PutVersion(rewrite) })
	wantErr(t, "PutVersion of an existing number", err, store.ErrConflict)
	wantEqual(t, "version after a refused rewrite", get(t, s, func(tx store.Tx) (store.Version, error) { return tx.Version(seq.ID, 2) }), sampleVersion(seq.ID, 2))

	view(t, s, func(tx store.Tx) error {
		_, err := tx.Version(seq.ID, 4)
		wantErr(t, "Version of a missing number", err, store.ErrNotFound)
		_, err = tx.Version(store.NewID(at(0)), 1)
		wantErr(t, "Version of a missing sequence", err, store.ErrNotFound)
		return nil
	})
	err = s.Update(t.Context(), func(tx store.Tx) error { return tx.PutVersion(sampleVersion(store.NewID(at(0)), 1)) })
	wantErr(t, "PutVersion of a missing sequence", err, store.ErrNotFound)
	if err := s.Update(t.Context(), func(tx store.Tx) error { return tx.PutVersion(sampleVersion(seq.ID, 0)) }); err == nil {
		t.Error("PutVersion of version 0 succeeded, want an error")
	}
}

func testPrefs(t *testing.T, s store.Store) {
	ana := store.Prefs{"home": []byte(`{"sort":"name","columns":[0,2,1]}`), "console": []byte{0, 1, 2, 255}}
	update(t, s, func(tx store.Tx) error {
		in := store.Prefs{"home": bytes.Clone(ana["home"]), "console": bytes.Clone(ana["console"])}
		if err := tx.PutPrefs("ana", in); err != nil {
			return err
		}
		in["home"][0] = 'X' // after put: must not reach the store
		if err := tx.PutPrefs("ana.b", store.Prefs{"home": []byte("other user")}); err != nil {
			return err
		}
		return tx.PutPrefs("an", store.Prefs{"home": []byte("a third user")})
	})
	got := get(t, s, func(tx store.Tx) (store.Prefs, error) { return tx.Prefs("ana") })
	wantEqual(t, "Prefs", got, ana)
	got["home"][0] = 'X'
	got["extra"] = []byte("x")
	wantEqual(t, "prefs after mutating a returned copy", get(t, s, func(tx store.Tx) (store.Prefs, error) { return tx.Prefs("ana") }), ana)

	none := get(t, s, func(tx store.Tx) (store.Prefs, error) { return tx.Prefs("nobody") })
	if len(none) != 0 {
		t.Errorf("Prefs of a user without any: %v", none)
	}

	// PutPrefs replaces every screen of the user, and only that user's.
	update(t, s, func(tx store.Tx) error { return tx.PutPrefs("ana", store.Prefs{"home": []byte("v2")}) })
	wantEqual(t, "prefs after replacing", get(t, s, func(tx store.Tx) (store.Prefs, error) { return tx.Prefs("ana") }), store.Prefs{"home": []byte("v2")})
	wantEqual(t, "another user's prefs", get(t, s, func(tx store.Tx) (store.Prefs, error) { return tx.Prefs("ana.b") }), store.Prefs{"home": []byte("other user")})
	wantEqual(t, "another user's prefs", get(t, s, func(tx store.Tx) (store.Prefs, error) { return tx.Prefs("an") }), store.Prefs{"home": []byte("a third user")})
}

// snapshot is everything a store holds, for checking that a failed Update changed nothing.
type snapshot struct {
	Settings  store.Settings
	Users     []store.User
	Teams     []store.Team
	Records   []store.Record
	Templates []store.Template
	Sequences []store.Sequence
	Versions  [][]store.Version
	Prefs     store.Prefs
}

func takeSnapshot(t *testing.T, s store.Store) snapshot {
	t.Helper()
	var sn snapshot
	view(t, s, func(tx store.Tx) error {
		var err error
		if sn.Settings, err = tx.Settings(); err != nil {
			return err
		}
		if sn.Users, err = tx.Users(); err != nil {
			return err
		}
		if sn.Teams, err = tx.Teams(); err != nil {
			return err
		}
		if err = tx.Records("", func(r store.Record) bool { sn.Records = append(sn.Records, r); return true }); err != nil {
			return err
		}
		if sn.Templates, err = tx.Templates(); err != nil {
			return err
		}
		if sn.Sequences, err = tx.Sequences(); err != nil {
			return err
		}
		for _, q := range sn.Sequences {
			vs, err := tx.Versions(q.ID)
			if err != nil {
				return err
			}
			sn.Versions = append(sn.Versions, vs)
		}
		sn.Prefs, err = tx.Prefs("adam")
		return err
	})
	return sn
}

func testRollback(t *testing.T, s store.Store) {
	users := sampleUsers()
	var seq store.Sequence
	update(t, s, func(tx store.Tx) error {
		var err error
		for _, u := range users {
			if err = tx.PutUser(u); err != nil {
				return err
			}
		}
		if _, err = tx.PutRecord(sampleRecord()); err != nil {
			return err
		}
		if seq, err = tx.PutSequence(sampleSequence("Existing", 1)); err != nil {
			return err
		}
		if err = tx.PutVersion(sampleVersion(seq.ID, 1)); err != nil {
			return err
		}
		return tx.PutPrefs("adam", store.Prefs{"home": []byte("before")})
	})
	before := takeSnapshot(t, s)

	boom := errors.New("boom")
	err := s.Update(t.Context(), func(tx store.Tx) error {
		settings := store.DefaultSettings()
		settings.ActiveLimit = 1
		steps := []error{
			tx.PutSettings(settings),
			tx.PutUser(store.User{Username: "new", Roles: []store.Role{store.RoleSeller}}),
			tx.DeleteUser("zoe"),
			tx.PutTeam(store.Team{Name: "New team", Type: store.OwnerTeam}),
			tx.PutTemplate(store.Template{Name: "new", Kind: store.EmailTemplate, Body: "x", ModifiedAt: at(1)}),
			tx.PutVersion(sampleVersion(seq.ID, 2)),
			tx.PutPrefs("adam", store.Prefs{"home": []byte("after")}),
		}
		r := sampleRecord()
		r.Name, r.ModifiedAt = "Changed", at(2)
		_, err := tx.PutRecord(r)
		steps = append(steps, err)
		_, err = tx.PutRecord(store.Record{Entity: "lead", ID: "L-new", ModifiedAt: at(2)})
		steps = append(steps, err)
		changed := seq
		changed.Name, changed.Definition = "Renamed", []byte("changed")
		_, err = tx.PutSequence(changed)
		steps = append(steps, err)
		_, err = tx.PutSequence(sampleSequence("New", 3))
		steps = append(steps, err)
		if err := errors.Join(steps...); err != nil {
			return fmt.Errorf("writes before the failure: %w", err)
		}
		// The transaction sees its own writes.
		if _, err := tx.User("new"); err != nil {
			return fmt.Errorf("reading a write of the same transaction: %w", err)
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Update returned %v, want the error of fn", err)
	}
	wantEqual(t, "store after a failed Update", takeSnapshot(t, s), before)

	// A conflict returned from fn rolls back the writes before it too.
	err = s.Update(t.Context(), func(tx store.Tx) error {
		if err := tx.PutUser(store.User{Username: "another", Roles: []store.Role{store.RoleSeller}}); err != nil {
			return err
		}
		_, err := tx.PutSequence(sampleSequence("existing", 4))
		return err
	})
	wantErr(t, "Update with a name conflict", err, store.ErrConflict)
	wantEqual(t, "store after a conflicting Update", takeSnapshot(t, s), before)
}

func testViewIsReadOnly(t *testing.T, s store.Store) {
	err := s.View(t.Context(), func(tx store.Tx) error {
		return tx.PutUser(store.User{Username: "sneaky", Roles: []store.Role{store.RoleAdmin}})
	})
	if err == nil {
		t.Error("PutUser in a View succeeded, want an error")
	}
	err = s.View(t.Context(), func(tx store.Tx) error { _, err := tx.User("sneaky"); return err })
	wantErr(t, "User written in a View", err, store.ErrNotFound)
}

func testBackup(t *testing.T, s store.Store) {
	putRecord(t, s, sampleRecord())
	var buf bytes.Buffer
	n, err := s.Backup(t.Context(), &buf)
	if err != nil {
		t.Fatalf("Backup: %v", err)
	}
	if n <= 0 || int64(buf.Len()) != n {
		t.Errorf("Backup reported %d bytes and wrote %d; want the same, more than 0", n, buf.Len())
	}
}
