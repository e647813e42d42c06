package engine

import (
	"context"
	"slices"
	"strings"

	"github.com/pacer-sales/pacer/store"
)

// TeamChange is a change to an existing team: a set Type changes it; Members, when not
// nil, replace the members.
type TeamChange struct {
	Type    TeamType
	Members []Member
}

// SetTeam changes an existing team's type or members. Only admins may.
func (e *Engine) SetTeam(ctx context.Context, by, name string, ch TeamChange) (Team, error) {
	var out Team
	err := e.view(ctx, func(tx store.Tx) error {
		t, err := tx.Team(name)
		if err != nil {
			return notFound(err, "there is no team %q (add it with pacer team add)", name)
		}
		if ch.Type != "" {
			t.Type = ch.Type
		}
		if ch.Members != nil {
			t.Members = ch.Members
		}
		out = t
		return nil
	})
	if err != nil {
		return Team{}, err
	}
	return out, e.AddTeam(ctx, by, out)
}

// AddTeamMember adds a user to a team, or changes the member role of a member. Only admins
// may.
func (e *Engine) AddTeamMember(ctx context.Context, by, team string, m Member) (Team, error) {
	var out Team
	err := e.update(ctx, func(tx store.Tx) error {
		if _, err := requireAdmin(tx, by, "manage teams"); err != nil {
			return err
		}
		t, err := tx.Team(team)
		if err != nil {
			return notFound(err, "there is no team %q", team)
		}
		if _, err := tx.User(m.Username); err != nil {
			return notFound(err, "team %q: %q is not a user", team, m.Username)
		}
		i := slices.IndexFunc(t.Members, func(x Member) bool { return x.Username == m.Username })
		if i >= 0 {
			t.Members[i].Role = m.Role
		} else {
			t.Members = append(t.Members, m)
		}
		out = t
		return tx.PutTeam(t)
	})
	return out, err
}

// RemoveTeamMember takes a user out of a team. Only admins may.
func (e *Engine) RemoveTeamMember(ctx context.Context, by, team, username string) (Team, error) {
	var out Team
	err := e.update(ctx, func(tx store.Tx) error {
		if _, err := requireAdmin(tx, by, "manage teams"); err != nil {
			return err
		}
		t, err := tx.Team(team)
		if err != nil {
			return notFound(err, "there is no team %q", team)
		}
		i := slices.IndexFunc(t.Members, func(x Member) bool { return x.Username == username })
		if i < 0 {
			return invalid("%s is not a member of team %q", username, team)
		}
		t.Members = slices.Delete(t.Members, i, i+1)
		out = t
		return tx.PutTeam(t)
	})
	return out, err
}

// RemoveTeam removes a team. Only admins may; a team that still owns records or is their
// access team is refused, naming how many.
func (e *Engine) RemoveTeam(ctx context.Context, by, name string) error {
	return e.update(ctx, func(tx store.Tx) error {
		if _, err := requireAdmin(tx, by, "manage teams"); err != nil {
			return err
		}
		if _, err := tx.Team(name); err != nil {
			return notFound(err, "there is no team %q", name)
		}
		owned, access := 0, 0
		if err := tx.Records("", func(r store.Record) bool {
			if strings.EqualFold(r.Owner, "team:"+name) {
				owned++
			}
			if r.AccessTeam == name {
				access++
			}
			return true
		}); err != nil {
			return err
		}
		if owned+access > 0 {
			return invalid("team %q owns %d record(s) and is the access team of %d; give them another owner or access team first (pacer record set E/ID owner=USER)", name, owned, access)
		}
		return tx.DeleteTeam(name)
	})
}
