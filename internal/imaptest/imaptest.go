// Package imaptest runs a real IMAP server (go-imap's imapmemserver) on 127.0.0.1 for
// tests of code that reads a mailbox.
package imaptest

import (
	"bytes"
	"net"
	"testing"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"
)

// Server is a running test IMAP server with one user and an INBOX.
type Server struct {
	addr string
	user *imapmemserver.User
}

// The credentials of the server's user.
const (
	User     = "pacer"
	Password = "secret"
)

// Start runs a server on a free port of 127.0.0.1 until the test ends.
func Start(t testing.TB) *Server {
	t.Helper()
	mem := imapmemserver.New()
	u := imapmemserver.NewUser(User, Password)
	if err := u.Create("INBOX", nil); err != nil {
		t.Fatal(err)
	}
	mem.AddUser(u)
	srv := imapserver.New(&imapserver.Options{
		NewSession: func(*imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
			return mem.NewSession(), nil, nil
		},
		Caps:         imap.CapSet{imap.CapIMAP4rev1: {}, imap.CapIMAP4rev2: {}},
		InsecureAuth: true,
		Logger:       discard{},
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return &Server{addr: ln.Addr().String(), user: u}
}

// URL is the imap:// URL of the server's INBOX, with the user's credentials.
func (s *Server) URL() string { return "imap://" + User + ":" + Password + "@" + s.addr + "/INBOX" }

// Append delivers a message to the INBOX.
func (s *Server) Append(t testing.TB, msg []byte) {
	t.Helper()
	if _, err := s.user.Append("INBOX", literal{bytes.NewReader(msg), int64(len(msg))}, &imap.AppendOptions{}); err != nil {
		t.Fatal(err)
	}
}

// Recreate deletes the INBOX and creates it again, empty and with a new UIDVALIDITY, as a
// server does when it renumbers a mailbox; a session that has it selected should be ended
// first.
func (s *Server) Recreate(t testing.TB) {
	t.Helper()
	if err := s.user.Delete("INBOX"); err != nil {
		t.Fatal(err)
	}
	if err := s.user.Create("INBOX", nil); err != nil {
		t.Fatal(err)
	}
}

type literal struct {
	*bytes.Reader
	n int64
}

func (l literal) Size() int64 { return l.n }

type discard struct{}

func (discard) Printf(string, ...any) {}
