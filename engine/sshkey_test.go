package engine_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"strings"
	"testing"

	gossh "golang.org/x/crypto/ssh"

	"github.com/pacer-sales/pacer/engine"
	"github.com/pacer-sales/pacer/store"
)

func newKey(t *testing.T) gossh.PublicKey {
	t.Helper()
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	must(t, err)
	k, err := gossh.NewPublicKey(pub)
	must(t, err)
	return k
}

func TestUserBySSHKey(t *testing.T) {
	e := newOrg(t)
	ctx := context.Background()
	mine, shared, stranger := newKey(t), newKey(t), newKey(t)
	line := func(k gossh.PublicKey) string {
		return strings.TrimSpace(string(gossh.MarshalAuthorizedKey(k))) + " laptop"
	}
	must(t, e.AddUser(ctx, "ada", store.User{Username: "kim", Roles: []store.Role{store.RoleSeller}, SSHKeys: []string{line(mine), line(shared)}}))
	// A key belongs to one user: giving it to a second is refused, naming the first.
	err := e.AddUser(ctx, "ada", store.User{Username: "lee", Roles: []store.Role{store.RoleSeller}, SSHKeys: []string{line(shared)}})
	if !errors.Is(err, engine.ErrInvalid) || !strings.Contains(err.Error(), "already belongs to user kim") {
		t.Fatalf("a second user with kim's key: %v", err)
	}

	u, err := e.UserBySSHKey(ctx, mine.Marshal())
	if err != nil || u.Username != "kim" {
		t.Fatalf("own key: %v %v", u.Username, err)
	}
	_, err = e.UserBySSHKey(ctx, stranger.Marshal())
	wantErr(t, err, engine.ErrForbidden)
	err = e.AddUser(ctx, "ada", store.User{Username: "max2", Roles: []store.Role{store.RoleSeller}, SSHKeys: []string{"ssh-ed25519 not-a-key"}})
	if !strings.Contains(err.Error(), "SSH key 1") {
		t.Fatalf("a bad key was accepted: %v", err)
	}
}
