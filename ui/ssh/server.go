// Package ssh serves pacer over SSH, for a whole team from one process: a session with a
// terminal and no command runs its own program of the screens, and a session with a command
// (ssh -p 2222 HOST seq list --json) runs pacer's command line (ui/cli), each as the pacer
// user whose public key it signed in with, with the exit status of the command.
//
// Only public keys are accepted, and only keys that belong to a pacer user (the user's SSH
// keys, as `pacer user add --key` stores them); the login name is ignored. The session
// finds its user again from the key the connection was authenticated with, read from the
// session itself, and the engine checks that user's roles on every action, as it does for
// the command line.
package ssh

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	tea "charm.land/bubbletea/v2"
	charmssh "charm.land/ssh"
	"charm.land/wish/v2"
	"charm.land/wish/v2/bubbletea"
	"github.com/spf13/cobra"
	gossh "golang.org/x/crypto/ssh"

	"github.com/pacer-sales/pacer/engine"
	"github.com/pacer-sales/pacer/ui"
	"github.com/pacer-sales/pacer/ui/cli"
)

// ErrServerClosed is returned by Serve after Shutdown or Close.
var ErrServerClosed = charmssh.ErrServerClosed

// Options tune the server.
type Options struct {
	// UI are the options of every session's program: its screens, the mouse. The terminal
	// (input, output, environment, size) is the session's; Input, Output and Environ are
	// ignored.
	UI ui.Options
	// HostKeyPath is the file of the server's private host key. When it does not exist an
	// ed25519 key is generated and written there (mode 0600, with its public half in
	// HostKeyPath.pub), so clients see the same host key on every start. Empty: a key is
	// generated for this process only.
	HostKeyPath string
	// Log receives a line per refused key, session start and session end; nil discards.
	Log *slog.Logger
	// IdleTimeout closes a connection after this long without traffic; zero never does.
	IdleTimeout time.Duration
	// MaxSessionTime closes a connection this long after it opened; zero never does.
	MaxSessionTime time.Duration
	// MaxUnauthenticated bounds the connections that have not yet signed in (opened a
	// session); more are closed at once. Zero is DefaultMaxUnauthenticated.
	MaxUnauthenticated int
	// Backend gives the commands of SSH sessions their engine (the server's) and the
	// scratch copies simulate needs. Nil: sessions with a command are refused.
	Backend cli.Backend
	// Commands are added to the command tree of every command session.
	Commands []func(*cli.App) *cobra.Command
}

// DefaultMaxUnauthenticated is the default cap on connections that have not signed in.
const DefaultMaxUnauthenticated = 64

// handshakeTimeout bounds how long a connection may take to sign in.
const handshakeTimeout = 20 * time.Second

// Server is an SSH server of the terminal screens over one engine.
type Server struct {
	eng     *engine.Engine
	opts    Options
	log     *slog.Logger
	srv     *charmssh.Server
	hostKey gossh.PublicKey

	// ctx ends when the server is closed: the programs of every session stop with it.
	ctx    context.Context
	cancel context.CancelFunc

	// unauth counts the connections that have not signed in yet.
	unauth atomic.Int64

	mu      sync.Mutex
	closing bool
	// drained is closed when the server is closing and no session is left.
	drained  chan struct{}
	sessions map[charmssh.Session]*session
}

// session is one signed-in terminal session.
type session struct {
	user engine.User
	root *ui.Root
	ctx  context.Context
	prog *tea.Program
}

// New builds a server of eng's screens; Serve starts it on a listener.
func New(eng *engine.Engine, opts Options) (*Server, error) {
	signer, err := hostSigner(opts.HostKeyPath)
	if err != nil {
		return nil, err
	}
	s := &Server{
		eng:      eng,
		opts:     opts,
		log:      opts.Log,
		hostKey:  signer.PublicKey(),
		sessions: map[charmssh.Session]*session{},
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.opts.MaxUnauthenticated <= 0 {
		s.opts.MaxUnauthenticated = DefaultMaxUnauthenticated
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.srv, err = wish.NewServer(
		func(srv *charmssh.Server) error {
			srv.AddHostKey(signer)
			srv.IdleTimeout = opts.IdleTimeout
			srv.MaxTimeout = opts.MaxSessionTime
			srv.HandshakeTimeout = handshakeTimeout
			srv.Version = "pacer"
			srv.ConnCallback = s.admit
			return nil
		},
		// Public keys only: no password or keyboard-interactive handler is set.
		charmssh.PublicKeyAuth(s.authorize),
		// wish runs the last middleware first: the guard that finds the user and builds
		// the screens, then the program.
		wish.WithMiddleware(
			bubbletea.MiddlewareWithProgramHandler(s.program),
			s.guard,
			s.isolate,
		),
	)
	if err != nil {
		s.cancel()
		return nil, fmt.Errorf("ssh server: %w", err)
	}
	return s, nil
}

// HostKey is the server's public host key, e.g. for its fingerprint
// (golang.org/x/crypto/ssh.FingerprintSHA256).
func (s *Server) HostKey() gossh.PublicKey { return s.hostKey }

// Serve accepts connections on l until Shutdown or Close, when it returns ErrServerClosed.
func (s *Server) Serve(l net.Listener) error { return s.srv.Serve(l) }

// Shutdown stops accepting connections, ends every session's program (as if its user had
// quit, without asking about unsaved changes), waits for the sessions to end, and closes
// the connections. When ctx ends first the remaining sessions are cut and ctx's error is
// returned.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.closing = true
	if s.drained == nil {
		s.drained = make(chan struct{})
		if len(s.sessions) == 0 {
			close(s.drained)
		}
	}
	drained := s.drained
	for _, live := range s.sessions {
		if live.prog != nil {
			live.prog.Quit()
		}
	}
	s.mu.Unlock()
	// A context that has ended already: close the listeners, wait for nothing.
	done, cancel := context.WithCancel(context.Background())
	cancel()
	_ = s.srv.Shutdown(done)
	var err error
	select {
	case <-drained:
	case <-ctx.Done():
		err = ctx.Err()
	}
	s.cancel()
	if cerr := s.srv.Close(); err == nil && cerr != nil && !errors.Is(cerr, net.ErrClosed) {
		err = cerr
	}
	return err
}

// Close closes the listeners and every connection at once.
func (s *Server) Close() error {
	s.mu.Lock()
	s.closing = true
	s.mu.Unlock()
	s.cancel()
	return s.srv.Close()
}

// Sessions is the number of sessions running now: screens or a command.
func (s *Server) Sessions() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.sessions)
}

// authorize accepts a key that belongs to exactly one pacer user. It keeps nothing: the
// session finds its user again from the key it was authenticated with.
func (s *Server) authorize(ctx charmssh.Context, key charmssh.PublicKey) bool {
	if _, err := s.userByKey(ctx, key); err != nil {
		s.log.Info("ssh: key refused", "remote", ctx.RemoteAddr().String(), "login", ctx.User(), "key", gossh.FingerprintSHA256(key), "why", err.Error())
		return false
	}
	return true
}

// errUnknownKey refuses a session that offered no key.
var errUnknownKey = errors.New("this SSH key belongs to no pacer user; an admin gives it to one with `pacer user key add NAME \"$(cat KEY.pub)\"`")

// userByKey finds the one pacer user with the public key.
func (s *Server) userByKey(ctx context.Context, key gossh.PublicKey) (engine.User, error) {
	if key == nil {
		return engine.User{}, errUnknownKey
	}
	return s.eng.UserBySSHKey(ctx, key.Marshal())
}

// guard finds the session's user by the key it signed in with, runs a session with a
// command as that command, and lets through to the program only sessions with a terminal,
// building the user's screens for it and closing them when the session ends.
func (s *Server) guard(next charmssh.Handler) charmssh.Handler {
	return func(sess charmssh.Session) {
		s.signedIn(sess)
		// The user is the owner of the key this connection was authenticated with, read
		// from the session, not anything the auth callback saw.
		u, err := s.userByKey(sess.Context(), sess.PublicKey())
		if err != nil {
			wish.Fatalln(sess, "pacer: "+err.Error())
			return
		}
		pty, _, hasPty := sess.Pty()
		if len(sess.Command()) > 0 {
			s.command(sess, u, hasPty)
			return
		}
		if !hasPty {
			wish.Fatalln(sess, fmt.Sprintf("pacer: no command and no terminal. Run a command, e.g. %s seq list, or connect with a terminal for the screens: %s",
				s.usage(sess), strings.Replace(s.usage(sess), "ssh ", "ssh -t ", 1)))
			return
		}
		ctx, cancel := context.WithCancel(sess.Context())
		defer cancel()
		defer context.AfterFunc(s.ctx, cancel)()

		sized := newSizedSession(sess, s.log)
		pty, _, _ = sized.Pty()
		opts := s.opts.UI
		opts.Input, opts.Output = nil, nil
		opts.Environ = append(sess.Environ(), "TERM="+pty.Term)
		root, err := ui.New(ctx, s.eng, u.Username, opts)
		if err != nil {
			wish.Fatalln(sess, "pacer: "+err.Error())
			return
		}
		defer root.Close()

		live := &session{user: u, root: root, ctx: ctx}
		if !s.track(sized, live) {
			wish.Fatalln(sess, stoppingNotice)
			return
		}
		start := time.Now()
		remote := sess.RemoteAddr().String()
		s.log.Info("ssh: session", "user", u.Username, "remote", remote, "term", pty.Term, "width", pty.Window.Width, "height", pty.Window.Height)
		defer func() {
			if s.isClosing() {
				// The program has given the terminal back: say why the session ends.
				_, _ = fmt.Fprint(sess, "\r\n"+stoppingNotice+"\r\n")
			}
			s.untrack(sized, 0)
			s.log.Info("ssh: session ended", "user", u.Username, "remote", remote, "after", time.Since(start).Round(time.Millisecond).String())
		}()
		next(sized)
	}
}

// stoppingNotice tells a client that pacer serve is shutting down.
const stoppingNotice = "pacer is stopping: the server was asked to shut down. Connect again once it is back."

// track lists a session so Shutdown waits for it; false when the server is closing.
func (s *Server) track(sess charmssh.Session, live *session) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing {
		return false
	}
	s.sessions[sess] = live
	return true
}

// untrack ends a session with its exit status: its end is sent before the server, if it is closing, may close
// the connection for want of sessions.
func (s *Server) untrack(sess charmssh.Session, code int) {
	_ = sess.Exit(code)
	s.mu.Lock()
	delete(s.sessions, sess)
	if s.closing && len(s.sessions) == 0 && s.drained != nil {
		select {
		case <-s.drained:
		default:
			close(s.drained)
		}
	}
	s.mu.Unlock()
}

func (s *Server) isClosing() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closing
}

// usage is how this server is reached, as the client connected: "ssh -p PORT HOST".
func (s *Server) usage(sess charmssh.Session) string {
	host, port, err := net.SplitHostPort(sess.LocalAddr().String())
	if err != nil {
		return "ssh " + sess.LocalAddr().String()
	}
	return fmt.Sprintf("ssh -p %s %s", port, host)
}

// program makes the tea.Program of a session the guard let through: the user's screens on
// the session's terminal (its input and output, size, TERM and NO_COLOR), stopped with the
// session or the server, and without a signal handler of its own.
func (s *Server) program(sess charmssh.Session) *tea.Program {
	s.mu.Lock()
	defer s.mu.Unlock()
	live := s.sessions[sess]
	if live == nil || s.closing {
		return nil
	}
	// A session that ends (its user quits, the client goes away) or a server that shuts
	// down quits the program; only Close kills it, through the server's context.
	opts := []tea.ProgramOption{tea.WithContext(s.ctx), tea.WithoutSignalHandler()}
	opts = append(opts, s.opts.UI.ProgramOptions...)
	opts = append(opts, bubbletea.MakeOptions(sess)...)
	live.prog = tea.NewProgram(live.root, opts...)
	return live.prog
}
