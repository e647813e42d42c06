package ssh

import (
	"fmt"
	"log/slog"
	"net"
	"runtime/debug"
	"sync"

	charmssh "charm.land/ssh"

	"github.com/pacer-sales/pacer/engine/limits"
)

// countedConn is a connection that has not signed in yet: it holds one of the server's
// MaxUnauthenticated places until it opens a session or closes.
type countedConn struct {
	net.Conn
	once sync.Once
	s    *Server
}

func (c *countedConn) release() { c.once.Do(func() { c.s.unauth.Add(-1) }) }

func (c *countedConn) Close() error {
	c.release()
	return c.Conn.Close()
}

type countedKey struct{}

// admit takes a new connection when fewer than MaxUnauthenticated connections are still
// signing in, and closes it at once otherwise: a flood of connections that never sign in
// costs a goroutine each for at most the handshake timeout, and no more of them than that.
func (s *Server) admit(ctx charmssh.Context, conn net.Conn) net.Conn {
	if n := s.unauth.Add(1); n > int64(s.opts.MaxUnauthenticated) {
		s.unauth.Add(-1)
		s.log.Warn("ssh: connection refused: too many connections signing in", "remote", conn.RemoteAddr().String(), "limit", s.opts.MaxUnauthenticated)
		return nil
	}
	c := &countedConn{Conn: conn, s: s}
	ctx.SetValue(countedKey{}, c)
	return c
}

// signedIn gives back the place of a connection that has opened a session.
func (s *Server) signedIn(sess charmssh.Session) {
	if c, ok := sess.Context().Value(countedKey{}).(*countedConn); ok {
		c.release()
	}
}

// isolate ends the session, and only it, when its handling panics: the panic is logged
// with its stack and the client gets a line saying so and exit status 1.
func (s *Server) isolate(next charmssh.Handler) charmssh.Handler {
	return func(sess charmssh.Session) {
		defer func() {
			if r := recover(); r != nil {
				s.log.Error("ssh: session panicked", "remote", sess.RemoteAddr().String(), "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
				_, _ = fmt.Fprintln(sess.Stderr(), "pacer: internal error; this session ended (the server logged it)")
				_ = sess.Exit(1)
				_ = sess.Close()
			}
		}()
		next(sess)
	}
}

// sizedSession is a session whose terminal size, as asked at the start and at every
// resize, is clamped to limits.TermCols × limits.TermRows: the screens allocate for the
// size they are given, so a client can't make them allocate more.
type sizedSession struct {
	charmssh.Session
	log  *slog.Logger
	once sync.Once
	wins chan charmssh.Window
}

func newSizedSession(sess charmssh.Session, log *slog.Logger) *sizedSession {
	return &sizedSession{Session: sess, log: log}
}

// clampWindow bounds a window to the terminal size limits.
func clampWindow(w charmssh.Window) charmssh.Window {
	w.Width = max(1, min(w.Width, limits.TermCols))
	w.Height = max(1, min(w.Height, limits.TermRows))
	return w
}

// Pty is the session's terminal with its size clamped; the channel carries the resizes,
// clamped.
func (s *sizedSession) Pty() (charmssh.Pty, <-chan charmssh.Window, bool) {
	pty, wins, ok := s.Session.Pty()
	pty.Window = clampWindow(pty.Window)
	s.once.Do(func() {
		s.wins = make(chan charmssh.Window)
		if wins == nil {
			return
		}
		go func() {
			done := s.Context().Done()
			for {
				select {
				case w, open := <-wins:
					if !open {
						return
					}
					c := clampWindow(w)
					s.log.Debug("ssh: resize", "asked_width", w.Width, "asked_height", w.Height, "width", c.Width, "height", c.Height)
					select {
					case s.wins <- c:
					case <-done:
						return
					}
				case <-done:
					return
				}
			}
		}()
	})
	return pty, s.wins, ok
}
