package engine

import (
	"bytes"
	"context"
	"errors"
	"io"
	netmail "net/mail"
	"strings"
	"time"

	gossh "golang.org/x/crypto/ssh"

	"github.com/pacer-sales/pacer/engine/mail"
	"github.com/pacer-sales/pacer/store"
)

// AddUser creates a user. Only admins may, except on a database without users, where the
// first user is allowed without an acting user and must be an admin (bootstrap).
func (e *Engine) AddUser(ctx context.Context, by string, u store.User) error {
	if err := checkUser(u); err != nil {
		return err
	}
	return e.update(ctx, func(tx store.Tx) error {
		users, err := tx.Users()
		if err != nil {
			return err
		}
		if len(users) == 0 {
			if !u.Has(store.RoleAdmin) {
				return invalid("the first user of an org must have the admin role")
			}
		} else if _, err := requireAdmin(tx, by, "add users"); err != nil {
			return err
		}
		if _, err := tx.User(u.Username); err == nil {
			return invalid("user %q already exists; change it with pacer user set %s, give it a key with pacer user key add %s KEY", u.Username, u.Username, u.Username)
		}
		if err := checkKeysFree(tx, u); err != nil {
			return err
		}
		return tx.PutUser(u)
	})
}

func checkUser(u store.User) error {
	if !usernameRE.MatchString(u.Username) {
		return invalid("username %q: use lowercase letters, digits, '.', '_' or '-'", u.Username)
	}
	if len(u.Roles) == 0 {
		return invalid("user %q needs at least one role (admin, manager, seller)", u.Username)
	}
	for _, r := range u.Roles {
		if r != store.RoleAdmin && r != store.RoleManager && r != store.RoleSeller {
			return invalid("user %q: unknown role %q (want admin, manager or seller)", u.Username, r)
		}
	}
	if u.Email != "" {
		if _, err := netmail.ParseAddress(u.Email); err != nil {
			return invalid("user %q: email %q is not an address", u.Username, u.Email)
		}
	}
	if u.TimeZone != "" {
		if _, err := time.LoadLocation(u.TimeZone); err != nil {
			return invalid("user %q: unknown time zone %q", u.Username, u.TimeZone)
		}
	}
	for i, k := range u.SSHKeys {
		if _, _, _, _, err := gossh.ParseAuthorizedKey([]byte(k)); err != nil {
			return invalid("user %q: SSH key %d is not a public key in authorized_keys form (\"ssh-ed25519 AAAA… comment\"): %v", u.Username, i+1, err)
		}
	}
	return nil
}

// UserBySSHKey returns the one user whose SSH keys include key (in SSH wire format). It acts
// on no user's behalf: it is for front ends that sign users in by their key. A key that no
// user, or several users, have is refused.
func (e *Engine) UserBySSHKey(ctx context.Context, key []byte) (store.User, error) {
	var found []store.User
	err := e.view(ctx, func(tx store.Tx) error {
		users, err := tx.Users()
		for _, u := range users {
			for _, k := range u.SSHKeys {
				pk, _, _, _, perr := gossh.ParseAuthorizedKey([]byte(k))
				if perr == nil && bytes.Equal(pk.Marshal(), key) {
					found = append(found, u)
					break
				}
			}
		}
		return err
	})
	switch {
	case err != nil:
		return store.User{}, err
	case len(found) == 1:
		return masked(found[0], found[0].Has(store.RoleAdmin)), nil
	case len(found) == 0:
		return store.User{}, forbidden("this SSH key belongs to no pacer user; an admin adds it with `pacer user add NAME --role seller --key \"$(cat KEY.pub)\"`")
	}
	names := make([]string, len(found))
	for i, u := range found {
		names[i] = u.Username
	}
	return store.User{}, forbidden("this SSH key belongs to several pacer users (%s); each user needs a key of their own", strings.Join(names, ", "))
}

// Users lists every user. Any user may; a user's own mailbox URL is masked as in Settings.
func (e *Engine) Users(ctx context.Context, by string) ([]store.User, error) {
	var users []store.User
	err := e.view(ctx, func(tx store.Tx) error {
		u, err := actor(tx, by)
		if err != nil {
			return err
		}
		if users, err = tx.Users(); err != nil {
			return err
		}
		for i := range users {
			users[i] = masked(users[i], u.Has(store.RoleAdmin))
		}
		return nil
	})
	return users, err
}

// AddTeam creates or replaces a team. Only admins may; every member must be a user.
func (e *Engine) AddTeam(ctx context.Context, by string, t store.Team) error {
	if strings.TrimSpace(t.Name) == "" {
		return invalid("a team needs a name")
	}
	if t.Type != store.OwnerTeam && t.Type != store.AccessTeam {
		return invalid("team %q: type %q must be owner or access", t.Name, t.Type)
	}
	return e.update(ctx, func(tx store.Tx) error {
		if _, err := requireAdmin(tx, by, "manage teams"); err != nil {
			return err
		}
		seen := map[string]bool{}
		for _, m := range t.Members {
			if _, err := tx.User(m.Username); err != nil {
				return notFound(err, "team %q: member %q is not a user", t.Name, m.Username)
			}
			if seen[m.Username] {
				return invalid("team %q: member %q listed twice", t.Name, m.Username)
			}
			seen[m.Username] = true
		}
		return tx.PutTeam(t)
	})
}

// Teams lists every team. Any user may.
func (e *Engine) Teams(ctx context.Context, by string) ([]store.Team, error) {
	var teams []store.Team
	err := e.view(ctx, func(tx store.Tx) (err error) {
		if _, err = actor(tx, by); err != nil {
			return err
		}
		teams, err = tx.Teams()
		return err
	})
	return teams, err
}

// AddTemplate creates or replaces an email or SMS template; an email template may have an
// HTML body of its own (HTML), else its HTML part is made from the text. Admins and managers may.
func (e *Engine) AddTemplate(ctx context.Context, by string, t store.Template) error {
	if strings.TrimSpace(t.Name) == "" {
		return invalid("a template needs a name")
	}
	if t.Kind == "" {
		t.Kind = store.EmailTemplate
	}
	if t.Kind != store.EmailTemplate && t.Kind != store.SMSTemplate {
		return invalid("template %q: kind %q must be email or sms", t.Name, t.Kind)
	}
	if t.Kind == store.EmailTemplate && strings.TrimSpace(t.Subject) == "" {
		return invalid("email template %q needs a subject", t.Name)
	}
	if strings.TrimSpace(t.Body) == "" {
		return invalid("template %q needs a body", t.Name)
	}
	if t.Kind == store.SMSTemplate && t.HTML != "" {
		return invalid("text-message template %q cannot have an HTML body", t.Name)
	}
	if strings.TrimSpace(t.HTML) == "" {
		t.HTML = ""
	}
	if err := mail.Check(t); err != nil {
		return invalid("%v", err)
	}
	t.ModifiedAt = e.clock.Now()
	return e.update(ctx, func(tx store.Tx) error {
		if _, err := requireManager(tx, by, "manage templates"); err != nil {
			return err
		}
		return tx.PutTemplate(t)
	})
}

// Templates lists every email and SMS template. Any user may.
func (e *Engine) Templates(ctx context.Context, by string) ([]store.Template, error) {
	var ts []store.Template
	err := e.view(ctx, func(tx store.Tx) (err error) {
		if _, err = actor(tx, by); err != nil {
			return err
		}
		ts, err = tx.Templates()
		return err
	})
	return ts, err
}

// Prefs returns the acting user's remembered settings for a screen (nil when none).
func (e *Engine) Prefs(ctx context.Context, by, screen string) ([]byte, error) {
	var b []byte
	err := e.view(ctx, func(tx store.Tx) error {
		if _, err := actor(tx, by); err != nil {
			return err
		}
		p, err := tx.Prefs(by)
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		b = p[screen]
		return err
	})
	return b, err
}

// SetPrefs remembers the acting user's settings for a screen.
func (e *Engine) SetPrefs(ctx context.Context, by, screen string, value []byte) error {
	return e.update(ctx, func(tx store.Tx) error {
		if _, err := actor(tx, by); err != nil {
			return err
		}
		p, err := tx.Prefs(by)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		if p == nil {
			p = store.Prefs{}
		}
		p[screen] = value
		return tx.PutPrefs(by, p)
	})
}

// Backup writes a consistent copy of the database to w. Only admins may.
func (e *Engine) Backup(ctx context.Context, by string, w io.Writer) (int64, error) {
	if err := e.view(ctx, func(tx store.Tx) error {
		_, err := requireAdmin(tx, by, "back up the database")
		return err
	}); err != nil {
		return 0, err
	}
	return e.st.Backup(ctx, w)
}
