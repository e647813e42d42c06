package engine

import (
	"fmt"
	"slices"
	"strings"

	"github.com/pacer-sales/pacer/engine/sequence"
	"github.com/pacer-sales/pacer/store"
)

// assignees resolves who works a step of a record under an assignment rule (SPEC §5). It is
// called at every step entry, so a change of owner applies to the steps that follow. note
// explains a fallback to the record owner, for the history.
func assignees(tx store.Tx, a sequence.Assign, rec store.Record) (users []string, note string, err error) {
	switch a.Rule() {
	case sequence.AssignRecordField:
		v, _ := rec.Fields[a.Field]
		name := strings.TrimSpace(fmt.Sprint(v))
		if v == nil || name == "" {
			note = fmt.Sprintf("field %s is empty; assigned to the record owner", a.Field)
			break
		}
		if u, err := userByNameOrEmail(tx, name); err != nil {
			return nil, "", err
		} else if u != "" {
			return []string{u}, "", nil
		}
		note = fmt.Sprintf("field %s names %q, who is not a user; assigned to the record owner", a.Field, name)
	case sequence.AssignOwnerTeam:
		team, ok := strings.CutPrefix(rec.Owner, "team:")
		if !ok {
			note = "the record is not owned by a team; assigned to the record owner"
			break
		}
		users, err := teamMembers(tx, team, store.OwnerTeam, a.Members)
		if err != nil || len(users) > 0 {
			return users, "", err
		}
		note = fmt.Sprintf("no member of owner team %s matches; assigned to the record owner", team)
	case sequence.AssignAccessTeam:
		if rec.AccessTeam == "" {
			note = "the record has no access team; assigned to the record owner"
			break
		}
		users, err := teamMembers(tx, rec.AccessTeam, store.AccessTeam, a.Members)
		if err != nil || len(users) > 0 {
			return users, "", err
		}
		note = fmt.Sprintf("no member of access team %s matches; assigned to the record owner", rec.AccessTeam)
	}
	users, err = ownerUsers(tx, rec)
	if err == nil && len(users) == 0 {
		note = strings.TrimPrefix(note+"; the record has no owner, so no one is assigned", "; ")
	}
	return users, note, err
}

// ownerUsers is the record owner, or every member of the owning team.
// ownerFor is the user {{owner.name}} of a record's email names: the record's owner, or for a
// team-owned record its first member — prefer instead when they are one of the members (the
// seller writing the email). The zero User when there is none.
func ownerFor(tx store.Tx, rec store.Record, prefer string) store.User {
	owners, err := ownerUsers(tx, rec)
	if err != nil || len(owners) == 0 {
		return store.User{}
	}
	name := owners[0]
	if prefer != "" && slices.Contains(owners, prefer) {
		name = prefer
	}
	u, _ := tx.User(name)
	return u
}

func ownerUsers(tx store.Tx, rec store.Record) ([]string, error) {
	if team, ok := strings.CutPrefix(rec.Owner, "team:"); ok {
		return teamMembers(tx, team, "", nil)
	}
	if rec.Owner == "" {
		return nil, nil
	}
	return []string{rec.Owner}, nil
}

// teamMembers lists the members of a team (of the given type, when set) that match the
// member conditions: role is the member role in the team, title and territory the user's.
func teamMembers(tx store.Tx, name string, typ store.TeamType, cond map[string]string) ([]string, error) {
	t, err := tx.Team(name)
	if err != nil {
		return nil, nil // an unknown team assigns no one; the caller falls back
	}
	if typ != "" && t.Type != typ {
		return nil, nil
	}
	var out []string
	for _, m := range t.Members {
		if v, ok := cond["role"]; ok && !strings.EqualFold(m.Role, v) {
			continue
		}
		if cond["title"] != "" || cond["territory"] != "" {
			u, err := tx.User(m.Username)
			if err != nil {
				continue
			}
			if v, ok := cond["title"]; ok && !strings.EqualFold(u.Title, v) {
				continue
			}
			if v, ok := cond["territory"]; ok && !strings.EqualFold(u.Territory, v) {
				continue
			}
		}
		if !slices.Contains(out, m.Username) {
			out = append(out, m.Username)
		}
	}
	return out, nil
}

// userByNameOrEmail finds a user by username or email (ignoring case); "" when none.
func userByNameOrEmail(tx store.Tx, s string) (string, error) {
	if u, err := tx.User(strings.ToLower(s)); err == nil {
		return u.Username, nil
	}
	if !strings.Contains(s, "@") {
		return "", nil
	}
	users, err := tx.Users()
	if err != nil {
		return "", err
	}
	for _, u := range users {
		if strings.EqualFold(u.Email, s) {
			return u.Username, nil
		}
	}
	return "", nil
}
