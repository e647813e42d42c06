package demo

import (
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/pacer-sales/pacer/engine/sequence"
	"github.com/pacer-sales/pacer/store"
)

func TestOrgCounts(t *testing.T) {
	d := Org()
	roles := map[store.Role]int{}
	for _, u := range d.Users {
		for _, r := range u.Roles {
			roles[r]++
		}
	}
	if roles[store.RoleAdmin] != 1 || roles[store.RoleManager] != 1 || roles[store.RoleSeller] != 4 {
		t.Errorf("roles = %v, want 1 admin, 1 manager, 4 sellers", roles)
	}
	if len(d.Teams) != 2 {
		t.Errorf("%d teams, want 2", len(d.Teams))
	}
	perEntity := map[string]int{}
	for _, r := range d.Records {
		perEntity[r.Entity]++
	}
	want := map[string]int{"lead": NumLeads, "contact": NumContacts, "opportunity": NumOpportunities, "account": NumAccounts}
	if !reflect.DeepEqual(perEntity, want) {
		t.Errorf("records per entity = %v, want %v", perEntity, want)
	}
	if len(d.Records) < 180 || len(d.Records) > 220 {
		t.Errorf("%d records, want about 200", len(d.Records))
	}
	if len(d.Sequences) != len(sequence.Templates()) {
		t.Errorf("%d sequences, want one per built-in template", len(d.Sequences))
	}
}

func TestOrgUsers(t *testing.T) {
	d := Org()
	name := regexp.MustCompile(`^[a-z0-9._-]+$`)
	seen := map[string]bool{}
	var admin bool
	for _, u := range d.Users {
		if !name.MatchString(u.Username) {
			t.Errorf("bad username %q", u.Username)
		}
		if seen[u.Username] {
			t.Errorf("user %q listed twice", u.Username)
		}
		seen[u.Username] = true
		if u.Name == "" || !strings.HasSuffix(u.Email, "@"+Domain) || u.Title == "" || u.TimeZone == "" {
			t.Errorf("user %q lacks a name, email, title or time zone: %+v", u.Username, u)
		}
		if u.Has(store.RoleSeller) && u.Territory == "" {
			t.Errorf("seller %q has no territory", u.Username)
		}
		if u.Username == AdminUser && u.Has(store.RoleAdmin) {
			admin = true
		}
	}
	if !admin {
		t.Errorf("no admin user named %q", AdminUser)
	}
}

func TestOrgTeams(t *testing.T) {
	d := Org()
	users := map[string]bool{}
	for _, u := range d.Users {
		users[u.Username] = true
	}
	types := map[store.TeamType]int{}
	roles := map[string]bool{}
	for _, tm := range d.Teams {
		types[tm.Type]++
		if len(tm.Members) == 0 {
			t.Errorf("team %q has no members", tm.Name)
		}
		for _, m := range tm.Members {
			if !users[m.Username] {
				t.Errorf("team %q: member %q is not a user", tm.Name, m.Username)
			}
			roles[m.Role] = true
		}
	}
	if types[store.OwnerTeam] != 1 || types[store.AccessTeam] != 1 {
		t.Errorf("team types = %v, want one owner and one access team", types)
	}
	for _, r := range []string{"account manager", "sales rep", "technical specialist"} {
		if !roles[r] {
			t.Errorf("no team member has the role %q", r)
		}
	}
}

func TestOrgRecords(t *testing.T) {
	d := Org()
	users := map[string]bool{}
	sellerSet := map[string]bool{}
	for _, u := range d.Users {
		users[u.Username] = true
		if u.Has(store.RoleSeller) {
			sellerSet[u.Username] = true
		}
	}
	teams := map[string]store.TeamType{}
	for _, tm := range d.Teams {
		teams[tm.Name] = tm.Type
	}
	ids := map[string]bool{}
	owners := map[string]int{}
	var teamOwned, withAccessTeam, withManager, staged int
	for _, r := range d.Records {
		ref := r.Ref()
		if ids[ref] {
			t.Errorf("%s listed twice", ref)
		}
		ids[ref] = true
		if r.Name == "" || r.Email == "" || r.Phone == "" {
			t.Errorf("%s lacks a name, email or phone", ref)
		}
		switch {
		case strings.HasPrefix(r.Owner, "team:"):
			if teams[strings.TrimPrefix(r.Owner, "team:")] != store.OwnerTeam {
				t.Errorf("%s: owner %q is not an owner team", ref, r.Owner)
			}
			teamOwned++
		case users[r.Owner]:
			owners[r.Owner]++
		default:
			t.Errorf("%s: owner %q is not a user", ref, r.Owner)
		}
		if r.AccessTeam != "" {
			if teams[r.AccessTeam] != store.AccessTeam {
				t.Errorf("%s: access team %q is not an access team", ref, r.AccessTeam)
			}
			if r.Entity != "account" && r.Entity != "opportunity" {
				t.Errorf("%s: access team on a %s", ref, r.Entity)
			}
			withAccessTeam++
		}
		if r.Entity == "opportunity" {
			if !contains(opportunityStages, r.Stage) {
				t.Errorf("%s: stage %q", ref, r.Stage)
			}
			staged++
		}
		for k, v := range r.Fields {
			switch v.(type) {
			case string, float64, bool:
			default:
				t.Errorf("%s: field %s has a %T value", ref, k, v)
			}
		}
		if am, ok := r.Fields["account_manager"]; ok {
			if s, _ := am.(string); !sellerSet[s] {
				t.Errorf("%s: account_manager %v is not a seller", ref, am)
			}
			withManager++
		}
		if r.Entity == "lead" {
			for _, f := range []string{"company", "industry", "city", "employees", "budget", "priority", "do_not_call"} {
				if _, ok := r.Fields[f]; !ok {
					t.Errorf("%s: no field %s", ref, f)
				}
			}
		}
	}
	for s := range sellerSet {
		if owners[s] < 20 {
			t.Errorf("seller %s owns only %d records", s, owners[s])
		}
	}
	if teamOwned == 0 || teamOwned > len(d.Records)/4 {
		t.Errorf("%d records owned by the owner team, want a few", teamOwned)
	}
	if withAccessTeam == 0 || withManager == 0 || staged == 0 {
		t.Errorf("access teams on %d, account managers on %d, stages on %d records: want some of each", withAccessTeam, withManager, staged)
	}
}

func TestOrgTemplates(t *testing.T) {
	d := Org()
	have := map[string]store.Template{}
	for _, tm := range d.Templates {
		if _, dup := have[tm.Name]; dup {
			t.Errorf("template %q listed twice", tm.Name)
		}
		have[tm.Name] = tm
		if tm.Kind != store.EmailTemplate || tm.Subject == "" || tm.Body == "" {
			t.Errorf("template %q is incomplete: %+v", tm.Name, tm)
		}
		for _, ph := range regexp.MustCompile(`\{\{[^}]*\}\}`).FindAllString(tm.Subject+tm.Body, -1) {
			if !regexp.MustCompile(`^\{\{(name|first_name|owner\.name|field:[a-z_]+)\}\}$`).MatchString(ph) {
				t.Errorf("template %q: unknown placeholder %s", tm.Name, ph)
			}
		}
	}
	for _, n := range sequence.EmailTemplateNames() {
		if _, ok := have[n]; !ok {
			t.Errorf("no template %q, which the built-in sequences use", n)
		}
	}
}

// TestOrgSequences parses the built-in sequences the demo activates and checks that each
// email template they name is part of the demo org and that they validate against it.
func TestOrgSequences(t *testing.T) {
	d := Org()
	have := map[string]bool{}
	for _, tm := range d.Templates {
		have[tm.Name] = true
	}
	for _, key := range d.Sequences {
		tpl, ok := sequence.TemplateByKey(key)
		if !ok {
			t.Errorf("no built-in template %q", key)
			continue
		}
		seq, err := tpl.Sequence()
		if err != nil {
			t.Errorf("%s: %v", key, err)
			continue
		}
		seq.Walk(func(path string, st *sequence.Step) bool {
			if st.Template != "" && !have[st.Template] {
				t.Errorf("%s %s: template %q is not in the demo org", key, path, st.Template)
			}
			return true
		})
		env := sequence.Env{Templates: func(n string) bool { return have[n] }}
		for _, p := range sequence.Validate(seq, env) {
			t.Errorf("%s %s: %s (%s)", key, p.Path, p.Message, p.Code)
		}
	}
}

func TestOrgDeterministic(t *testing.T) {
	a, b := Org(), Org()
	if !reflect.DeepEqual(a, b) {
		t.Fatal("two calls of Org returned different data")
	}
	// Changing one result must not leak into the next.
	a.Records[0].Fields["city"] = "Nowhere"
	a.Users[0].Name = "changed"
	if c := Org(); !reflect.DeepEqual(b, c) {
		t.Fatal("changing a result of Org changed the next one")
	}
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}
