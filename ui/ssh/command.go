package ssh

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"runtime/debug"
	"time"

	charmssh "charm.land/ssh"
	"charm.land/wish/v2"

	"github.com/pacer-sales/pacer/engine"
	"github.com/pacer-sales/pacer/ui/cli"
)

// command runs a session's command with pacer's command line, as the signed-in user, and
// sends its exit status. The command runs to its end even when the client goes away (the
// engine's calls are transactions: each is applied whole or not at all), and a standard
// input cut short by a client that went away is an error, not its end, so nothing is
// applied from half a file.
func (s *Server) command(sess charmssh.Session, u engine.User, pty bool) {
	if s.opts.Backend == nil {
		wish.Fatalln(sess, "pacer: this server runs the screens only; it takes no command")
		return
	}
	live := &session{user: u, ctx: s.ctx}
	if !s.track(sess, live) {
		wish.Fatalln(sess, "pacer: "+stoppingNotice)
		return
	}
	var stdout, stderr io.Writer = sess, sess.Stderr()
	if pty {
		// With a terminal the client's side is raw: lines need their carriage return.
		stdout, stderr = crlfWriter{sess}, crlfWriter{sess.Stderr()}
	}
	args := sess.Command()
	start := time.Now()
	code := 1
	defer func() {
		if r := recover(); r != nil {
			s.log.Error("ssh: session panicked", "user", u.Username, "remote", sess.RemoteAddr().String(), "command", cli.CommandName(args), "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
			_, _ = fmt.Fprintln(sess.Stderr(), "pacer: internal error; this command ended (the server logged it)")
			code = 1
		}
		s.untrack(sess, code)
	}()
	code = cli.Run(s.ctx, cli.Env{
		Stdin:    &sessionInput{sess: sess},
		Stdout:   stdout,
		Stderr:   stderr,
		Backend:  s.opts.Backend,
		User:     u.Username,
		Remote:   true,
		Usage:    s.usage(sess),
		Commands: s.opts.Commands,
	}, args)
	s.log.Info("ssh: command", "user", u.Username, "remote", sess.RemoteAddr().String(), "command", cli.CommandName(args), "exit", code, "took", time.Since(start).Round(time.Millisecond).String())
}

// errClientGone is the standard input of a client that went away before sending all of it.
var errClientGone = errors.New("standard input: the SSH client went away before sending all of it; nothing was done")

// sessionInput is a session's standard input. The channel reads as ended both when the
// client sends its end of input and when the connection drops; at the end it asks the
// client for a reply, which only a client still there gives.
type sessionInput struct {
	sess charmssh.Session
	err  error
}

func (in *sessionInput) Read(p []byte) (int, error) {
	if in.err != nil {
		return 0, in.err
	}
	n, err := in.sess.Read(p)
	if errors.Is(err, io.EOF) {
		if _, perr := in.sess.SendRequest("keepalive@pacer", true, nil); perr != nil {
			err = errClientGone
		}
	}
	if err != nil {
		in.err = err
	}
	return n, err
}

// crlfWriter writes \r\n for each \n, for a client whose terminal is in raw mode.
type crlfWriter struct{ w io.Writer }

func (c crlfWriter) Write(p []byte) (int, error) {
	if _, err := c.w.Write(bytes.ReplaceAll(p, []byte("\n"), []byte("\r\n"))); err != nil {
		return 0, err
	}
	return len(p), nil
}
