package engine

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"

	gossh "golang.org/x/crypto/ssh"

	"github.com/pacer-sales/pacer/engine/limits"
	"github.com/pacer-sales/pacer/store"
)

// UserChange is a change to an existing user: the fields that are set change, the others
// stay. Roles, when set, replace the user's roles.
type UserChange struct {
	Name, Email, Title, Territory, TimeZone, From *string
	Roles                                         []Role
	// WorkHours ("HH:MM-HH:MM") and WorkDays ("mon-thu") set the user's own working time;
	// "org" goes back to the org's. MaxPerHour and MaxPerDay override the org's sending
	// limits for the user's mailbox (0: the org's).
	WorkHours, WorkDays   *string
	MaxPerHour, MaxPerDay *int
	// IMAPURL is the user's own mailbox pacer watches for replies and bounces
	// (imap://user:pass@host/MAILBOX or imaps://…); "" stops watching it.
	IMAPURL *string
}

// applyTiming applies the working time and sending limits of ch to u.
func applyTiming(u *store.User, ch UserChange) error {
	if ch.WorkHours != nil {
		v := strings.TrimSpace(*ch.WorkHours)
		if v == "org" || v == "" {
			u.Hours.Start, u.Hours.End = 0, 0
		} else {
			var s store.Settings
			if err := parseWorkhours(&s, v); err != nil {
				return invalid("user %s: --workhours %q: want HH:MM-HH:MM with the start before the end, or org", u.Username, v)
			}
			u.Hours.Start, u.Hours.End = s.WorkStart, s.WorkEnd
		}
	}
	if ch.WorkDays != nil {
		v := strings.TrimSpace(*ch.WorkDays)
		if v == "org" || v == "" {
			u.Hours.Days = nil
		} else {
			days, err := ParseWeekdays(v)
			if err != nil {
				return invalid("user %s: --workdays: %s", u.Username, err)
			}
			u.Hours.Days = days
		}
	}
	for _, l := range []struct {
		name string
		src  *int
		dst  *int
	}{{"--max-per-hour", ch.MaxPerHour, &u.MaxPerHour}, {"--max-per-day", ch.MaxPerDay, &u.MaxPerDay}} {
		if l.src == nil {
			continue
		}
		if *l.src < 0 || *l.src > maxSendLimit {
			return invalid("user %s: %s %d: want a whole number from 0 (the org's limit) to %d", u.Username, l.name, *l.src, maxSendLimit)
		}
		*l.dst = *l.src
	}
	return nil
}

// SetUser changes an existing user. Only admins may. The last admin keeps the admin role.
func (e *Engine) SetUser(ctx context.Context, by, username string, ch UserChange) (User, error) {
	var out User
	err := e.update(ctx, func(tx store.Tx) error {
		if _, err := requireAdmin(tx, by, "change users"); err != nil {
			return err
		}
		u, err := tx.User(username)
		if err != nil {
			return notFound(err, "there is no user %q", username)
		}
		for _, f := range []struct {
			dst *string
			src *string
		}{{&u.Name, ch.Name}, {&u.Email, ch.Email}, {&u.Title, ch.Title}, {&u.Territory, ch.Territory}, {&u.TimeZone, ch.TimeZone}, {&u.From, ch.From}} {
			if f.src != nil {
				*f.dst = strings.TrimSpace(*f.src)
			}
		}
		if ch.Roles != nil {
			u.Roles = slices.Compact(slices.Clone(ch.Roles))
		}
		if err := applyTiming(&u, ch); err != nil {
			return err
		}
		if ch.IMAPURL != nil {
			v := strings.TrimSpace(*ch.IMAPURL)
			if err := limits.Text("--imap", v, limits.FieldValue, false); err != nil {
				return invalid("user %s: %s", u.Username, err)
			}
			if err := checkIMAPURL("user "+u.Username+": --imap", v); err != nil {
				return err
			}
			u.IMAPURL = v
		}
		if u.From != "" {
			if err := checkAddress(u.Username, "sender address", u.From); err != nil {
				return err
			}
		}
		if err := checkUser(u); err != nil {
			return err
		}
		if !u.Has(store.RoleAdmin) {
			if err := keepAnAdmin(tx, u.Username, "take the admin role from"); err != nil {
				return err
			}
		}
		out = masked(u, true)
		return tx.PutUser(u)
	})
	return out, err
}

// masked is u as a viewer sees it: the password of the user's own mailbox URL masked for
// admins, only its scheme and host for everyone else.
func masked(u store.User, admin bool) store.User {
	if admin {
		u.IMAPURL = MaskURL(u.IMAPURL)
	} else {
		u.IMAPURL = stripCredentials(u.IMAPURL)
	}
	return u
}

// keepAnAdmin refuses a change that would leave the org without an admin: username loses
// the admin role or goes.
func keepAnAdmin(tx store.Tx, username, what string) error {
	users, err := tx.Users()
	if err != nil {
		return err
	}
	wasAdmin, others := false, 0
	for _, u := range users {
		if !u.Has(store.RoleAdmin) {
			continue
		}
		if u.Username == username {
			wasAdmin = true
		} else {
			others++
		}
	}
	if wasAdmin && others == 0 {
		return invalid("can't %s %s: they are the org's last admin; make another user an admin first (pacer user set NAME --role admin)", what, username)
	}
	return nil
}

// checkAddress checks an email address of a user.
func checkAddress(username, what, addr string) error {
	if len(addr) > limits.FieldValue {
		return invalid("user %q: %s is too large: the limit is %s", username, what, limits.Format(limits.FieldValue, "bytes"))
	}
	if !strings.Contains(addr, "@") || strings.ContainsAny(addr, " \t\r\n<>") {
		return invalid("user %q: %s %q is not an address", username, what, addr)
	}
	return nil
}

// KeyInfo describes one SSH public key of a user.
type KeyInfo struct {
	// Fingerprint is the key's SHA256 fingerprint, as ssh-keygen -l shows it.
	Fingerprint string `json:"fingerprint"`
	Type        string `json:"type"`
	Comment     string `json:"comment,omitempty"`
}

// DescribeKey returns the fingerprint, type and comment of a key in authorized_keys form;
// ok is false when it does not parse.
func DescribeKey(line string) (KeyInfo, bool) {
	pk, comment, _, _, err := gossh.ParseAuthorizedKey([]byte(line))
	if err != nil {
		return KeyInfo{}, false
	}
	return KeyInfo{Fingerprint: gossh.FingerprintSHA256(pk), Type: pk.Type(), Comment: comment}, true
}

// parseKey parses one public key in authorized_keys form, within its size limit.
func parseKey(username, line string) (gossh.PublicKey, error) {
	line = strings.TrimSpace(line)
	if len(line) > limits.SSHKey {
		return nil, invalid("user %q: the SSH key is too large: the limit is %s", username, limits.Format(limits.SSHKey, "bytes"))
	}
	pk, _, _, _, err := gossh.ParseAuthorizedKey([]byte(line))
	if err != nil {
		return nil, invalid("user %q: not an SSH public key in authorized_keys form (\"ssh-ed25519 AAAA… comment\"): %v", username, err)
	}
	return pk, nil
}

// keyOwner returns the user other than except who has key, "" when none does.
func keyOwner(tx store.Tx, key gossh.PublicKey, except string) (string, error) {
	users, err := tx.Users()
	if err != nil {
		return "", err
	}
	want := key.Marshal()
	for _, u := range users {
		if u.Username == except {
			continue
		}
		for _, k := range u.SSHKeys {
			pk, _, _, _, perr := gossh.ParseAuthorizedKey([]byte(k))
			if perr == nil && bytes.Equal(pk.Marshal(), want) {
				return u.Username, nil
			}
		}
	}
	return "", nil
}

// checkKeysFree refuses keys of a user that another user has already: a key signs in one
// user only.
func checkKeysFree(tx store.Tx, u store.User) error {
	for _, k := range u.SSHKeys {
		pk, err := parseKey(u.Username, k)
		if err != nil {
			return err
		}
		owner, err := keyOwner(tx, pk, u.Username)
		if err != nil {
			return err
		}
		if owner != "" {
			return invalid("the SSH key %s already belongs to user %s; a key signs in one user only", gossh.FingerprintSHA256(pk), owner)
		}
	}
	return nil
}

// AddUserKey adds an SSH public key to a user. Only admins may; a key another user has is
// refused, naming that user.
func (e *Engine) AddUserKey(ctx context.Context, by, username, key string) (KeyInfo, error) {
	var info KeyInfo
	err := e.update(ctx, func(tx store.Tx) error {
		if _, err := requireAdmin(tx, by, "manage SSH keys"); err != nil {
			return err
		}
		u, err := tx.User(username)
		if err != nil {
			return notFound(err, "there is no user %q", username)
		}
		pk, err := parseKey(username, key)
		if err != nil {
			return err
		}
		owner, err := keyOwner(tx, pk, "")
		if err != nil {
			return err
		}
		fp := gossh.FingerprintSHA256(pk)
		switch {
		case owner == username:
			return invalid("user %s already has the SSH key %s", username, fp)
		case owner != "":
			return invalid("the SSH key %s already belongs to user %s; a key signs in one user only", fp, owner)
		}
		u.SSHKeys = append(u.SSHKeys, strings.TrimSpace(key))
		info, _ = DescribeKey(strings.TrimSpace(key))
		return tx.PutUser(u)
	})
	return info, err
}

// RemoveUserKey removes a user's SSH key, named by its fingerprint (SHA256:…), its position
// in user key list (1, 2, …) or the key itself. Only admins may.
func (e *Engine) RemoveUserKey(ctx context.Context, by, username, which string) (KeyInfo, error) {
	var info KeyInfo
	err := e.update(ctx, func(tx store.Tx) error {
		if _, err := requireAdmin(tx, by, "manage SSH keys"); err != nil {
			return err
		}
		u, err := tx.User(username)
		if err != nil {
			return notFound(err, "there is no user %q", username)
		}
		which = strings.TrimSpace(which)
		var wantKey []byte
		if pk, _, _, _, err := gossh.ParseAuthorizedKey([]byte(which)); err == nil {
			wantKey = pk.Marshal()
		}
		for i, k := range u.SSHKeys {
			ki, _ := DescribeKey(k)
			match := which == ki.Fingerprint || which == fmt.Sprint(i+1)
			if pk, _, _, _, err := gossh.ParseAuthorizedKey([]byte(k)); err == nil && wantKey != nil {
				match = match || bytes.Equal(pk.Marshal(), wantKey)
			}
			if match {
				info = ki
				u.SSHKeys = slices.Delete(u.SSHKeys, i, i+1)
				return tx.PutUser(u)
			}
		}
		return invalid("user %s has no SSH key %q (give a fingerprint from pacer user key list %s, or its number)", username, which, username)
	})
	return info, err
}

// UserKeys lists a user's SSH keys. Admins may list anyone's, others their own.
func (e *Engine) UserKeys(ctx context.Context, by, username string) ([]KeyInfo, error) {
	var out []KeyInfo
	err := e.view(ctx, func(tx store.Tx) error {
		me, err := actor(tx, by)
		if err != nil {
			return err
		}
		if me.Username != username && !me.Has(store.RoleAdmin) {
			return forbidden("only admins can list other users' SSH keys")
		}
		u, err := tx.User(username)
		if err != nil {
			return notFound(err, "there is no user %q", username)
		}
		out = keyInfos(u)
		return nil
	})
	return out, err
}

// keyInfos describes a user's keys; one that does not parse shows as "invalid".
func keyInfos(u store.User) []KeyInfo {
	out := make([]KeyInfo, 0, len(u.SSHKeys))
	for _, k := range u.SSHKeys {
		ki, ok := DescribeKey(k)
		if !ok {
			ki = KeyInfo{Fingerprint: "invalid", Type: "invalid"}
		}
		out = append(out, ki)
	}
	return out
}

// UserKeyInfos describes the SSH keys of a user from Users.
func UserKeyInfos(u User) []KeyInfo { return keyInfos(u) }

// RemoveUser removes a user. Only admins may; the last admin can't be removed. A user with
// open tasks or records is refused unless reassignTo names the user who takes them over:
// open tasks, owned records and owned sequences move to that user. The user leaves every
// team.
func (e *Engine) RemoveUser(ctx context.Context, by, username, reassignTo string) (RemoveUserResult, error) {
	var res RemoveUserResult
	err := e.update(ctx, func(tx store.Tx) error {
		res = RemoveUserResult{} // a transaction the store runs again starts over
		me, err := requireAdmin(tx, by, "remove users")
		if err != nil {
			return err
		}
		if _, err := tx.User(username); err != nil {
			return notFound(err, "there is no user %q", username)
		}
		if err := keepAnAdmin(tx, username, "remove"); err != nil {
			return err
		}
		if reassignTo == username {
			return invalid("--reassign-to %s: that is the user being removed", reassignTo)
		}
		if reassignTo != "" {
			if _, err := tx.User(reassignTo); err != nil {
				return notFound(err, "--reassign-to: there is no user %q", reassignTo)
			}
		}
		var tasks []store.Task
		if err := tx.TasksFor(username, func(t store.Task) bool {
			tasks = append(tasks, t)
			return true
		}); err != nil {
			return err
		}
		var recs []store.Record
		if err := tx.Records("", func(r store.Record) bool {
			if r.Owner == username {
				recs = append(recs, r)
			}
			return true
		}); err != nil {
			return err
		}
		if reassignTo == "" && (len(tasks) > 0 || len(recs) > 0) {
			return invalid("user %s has %d open task(s) and owns %d record(s); give --reassign-to USER to hand them over", username, len(tasks), len(recs))
		}
		now := e.clock.Now()
		for _, t := range tasks {
			t.Assignees = slices.Compact(slices.Sorted(slices.Values(replaceName(t.Assignees, username, reassignTo))))
			if err := tx.PutTask(t); err != nil {
				return err
			}
			if err := tx.AppendHistory(t.Conn, store.Event{At: now, Type: "task_assigned", StepID: t.StepID, By: me.Username, Assignees: t.Assignees, Task: t.ID.String(), Note: "user " + username + " removed"}); err != nil {
				return err
			}
		}
		for _, r := range recs {
			r.Owner, r.ModifiedAt = reassignTo, now
			if _, err := tx.PutRecord(r); err != nil {
				return err
			}
		}
		seqs, err := tx.Sequences()
		if err != nil {
			return err
		}
		for _, s := range seqs {
			if s.Owner != username || reassignTo == "" {
				continue
			}
			full, err := tx.Sequence(s.ID)
			if err != nil {
				return err
			}
			full.Owner = reassignTo
			if _, err := tx.PutSequence(full); err != nil {
				return err
			}
			res.Sequences++
		}
		teams, err := tx.Teams()
		if err != nil {
			return err
		}
		for _, t := range teams {
			kept := slices.DeleteFunc(slices.Clone(t.Members), func(m store.Member) bool { return m.Username == username })
			if len(kept) != len(t.Members) {
				t.Members = kept
				if err := tx.PutTeam(t); err != nil {
					return err
				}
				res.Teams++
			}
		}
		res.Tasks, res.Records = len(tasks), len(recs)
		return tx.DeleteUser(username)
	})
	return res, err
}

// RemoveUserResult counts what a removed user's successor took over.
type RemoveUserResult struct {
	Tasks     int `json:"tasks"`
	Records   int `json:"records"`
	Sequences int `json:"sequences"`
	// Teams counts the teams the user left.
	Teams int `json:"teams"`
}

// replaceName replaces old with new in names.
func replaceName(names []string, old, new string) []string {
	out := make([]string, 0, len(names))
	for _, n := range names {
		if n == old {
			n = new
		}
		out = append(out, n)
	}
	return out
}
