package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	gossh "golang.org/x/crypto/ssh"

	"github.com/pacer-sales/pacer/engine"
	"github.com/pacer-sales/pacer/ui"
	"github.com/pacer-sales/pacer/ui/cli"
	pacerssh "github.com/pacer-sales/pacer/ui/ssh"
	"github.com/pacer-sales/pacer/ui/web"
)

// The addresses pacer serve listens on by default: this machine only.
const (
	defaultSSHAddr  = "127.0.0.1:2222"
	defaultHTTPAddr = "127.0.0.1:8080"
)

// shutdownGrace is how long pacer serve waits for sessions and requests to end once asked
// to stop, before it closes what is left.
const shutdownGrace = 5 * time.Second

// serveFlags are the settings of pacer serve.
type serveFlags struct {
	sshAddr, httpAddr, hostKey, token, logFormat string
	idle, maxSession                             time.Duration
	maxUnauth                                    int
}

func (b *backend) serveCmd(a *cli.App) *cobra.Command {
	var f serveFlags
	c := &cobra.Command{
		Use:   "serve [--ssh ADDR] [--http ADDR] [--host-key FILE]",
		Short: "Run the engine, the screens and commands over SSH for the team, and the tracking and event endpoints",
		Long: `Run the engine, serve the terminal screens and the command line over SSH to every pacer
user with an SSH key, and serve the tracking and event endpoints over HTTP, until
interrupted (Ctrl-C or SIGTERM; every session is told that pacer is stopping).

SSH (--ssh, default ` + defaultSSHAddr + `): a user signs in with a public key stored with
their pacer user (pacer user key add NAME "$(cat ~/.ssh/id_ed25519.pub)"); any login name
works, the key says who it is; other keys are refused. Connect with
  ssh -p 2222 HOST                  the screens
  ssh -p 2222 HOST seq list --json  one command, as that user (stdin: - for a file)
The host key is generated on the first start and kept beside the database
(PATH.ssh_host_ed25519, or --host-key FILE).

Other pacer commands on this machine run inside this process through the socket
PATH.sock beside the database, so the team keeps working while an admin adds users,
imports records or takes a backup.

HTTP (--http, default ` + defaultHTTPAddr + `):
  POST /events           record an email event: form or JSON fields record (E/ID) or
                         message_id, type (email_opened, email_replied, link_clicked,
                         attachment_downloaded), step (optional, with record) and at
                         (optional, RFC 3339). Events by record are recorded as the acting
                         user (--as). Only clients on this machine may post unless
                         $PACER_EVENTS_TOKEN is set; then every request needs
                         "Authorization: Bearer TOKEN".
  GET /t/open/ID.gif     tracking pixel: records email_opened for the email whose
                         Message-ID has the local part ID (32 hex digits); anonymous.
  GET /healthz           200 when the database answers.

Both listen on this machine only by default; give an address such as :2222 or
0.0.0.0:8080 to serve the team's network, or "off" to leave one out.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			b.hold = true
			if f.token != "" {
				fmt.Fprintln(b.stderr, "pacer: warning: --events-token is visible to every user of this machine in ps; set $PACER_EVENTS_TOKEN instead")
			} else {
				f.token = os.Getenv("PACER_EVENTS_TOKEN")
			}
			return b.serve(cmd, a, f)
		},
	}
	fl := c.Flags()
	fl.StringVar(&f.sshAddr, "ssh", defaultSSHAddr, `address of the SSH server (":2222" for every interface, "off" for none)`)
	fl.StringVar(&f.httpAddr, "http", defaultHTTPAddr, `address of the tracking and event endpoints (":8080" for every interface, "off" for none)`)
	fl.StringVar(&f.hostKey, "host-key", "", "SSH host key file, generated when missing (default PATH.ssh_host_ed25519 beside the database)")
	fl.StringVar(&f.token, "events-token", "", "require \"Authorization: Bearer TOKEN\" on POST /events (visible in ps: prefer $PACER_EVENTS_TOKEN)")
	fl.StringVar(&f.logFormat, "log-format", "text", "log lines as text or json (log/slog)")
	fl.DurationVar(&f.idle, "ssh-idle-timeout", 30*time.Minute, "close an SSH connection after this long without traffic (0: never)")
	fl.DurationVar(&f.maxSession, "ssh-max-session", 12*time.Hour, "close an SSH connection this long after it opened (0: never)")
	fl.IntVar(&f.maxUnauth, "ssh-max-unauthenticated", pacerssh.DefaultMaxUnauthenticated, "connections that have not signed in yet, at most; more are closed at once")
	return c
}

// newLogger makes the logger of --log-format.
func newLogger(format string, w io.Writer) (*slog.Logger, error) {
	switch format {
	case "text", "":
		return slog.New(slog.NewTextHandler(w, nil)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, nil)), nil
	}
	return nil, fmt.Errorf("--log-format %q: want text or json", format)
}

// logTick logs what one run of the engine did, each error with its text.
func logTick(log *slog.Logger, rep engine.TickReport) {
	log.Info("engine", "timers", rep.Timers, "sent", rep.Sent, "retried", rep.Retried, "failed", rep.Failed, "errors", len(rep.Errors))
	for _, e := range rep.Errors {
		log.Error("engine: error", "err", e)
	}
}

// serve runs the engine and the servers until the command's context ends or a signal
// comes, then shuts them down in order: the servers and the socket, then the engine.
func (b *backend) serve(cmd *cobra.Command, a *cli.App, f serveFlags) error {
	out := &lockedWriter{w: a.Stdout()}
	log, err := newLogger(f.logFormat, out)
	if err != nil {
		return err
	}
	eng, as, err := a.Session(cmd)
	if err != nil {
		return err
	}
	if _, err := eng.Whoami(cmd.Context(), as); err != nil {
		return err
	}
	sshOn, httpOn := f.sshAddr != "off" && f.sshAddr != "", f.httpAddr != "off" && f.httpAddr != ""
	if !sshOn && !httpOn {
		return errors.New("nothing to serve: --ssh and --http are both off")
	}

	// Listen first, so a taken port is reported before anything starts.
	var sshL, httpL net.Listener
	if sshOn {
		if sshL, err = net.Listen("tcp", f.sshAddr); err != nil {
			return fmt.Errorf("--ssh %s: %w", f.sshAddr, err)
		}
		defer sshL.Close()
	}
	if httpOn {
		if httpL, err = net.Listen("tcp", f.httpAddr); err != nil {
			return fmt.Errorf("--http %s: %w", f.httpAddr, err)
		}
		defer httpL.Close()
	}

	ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	engCtx, stopEngine := context.WithCancel(cmd.Context())
	defer stopEngine()
	engineDone := make(chan error, 1)
	go func() {
		engineDone <- eng.Run(engCtx, func(rep engine.TickReport) { logTick(log, rep) })
	}()

	// Each server reports how it ended on failed; a nil error is a clean stop.
	failed := make(chan error, 2)
	var sshSrv *pacerssh.Server
	sshAt := ""
	if sshOn {
		if f.hostKey == "" {
			f.hostKey = b.path + ".ssh_host_ed25519"
		}
		sshSrv, err = pacerssh.New(eng, pacerssh.Options{
			UI:                 ui.Options{Screens: screenConstructors(), NoMouse: noMouse(cmd)},
			HostKeyPath:        f.hostKey,
			Log:                log,
			Backend:            heldBackend{b: b, info: cli.HolderInfo{What: "pacer serve", PID: os.Getpid()}},
			IdleTimeout:        f.idle,
			MaxSessionTime:     f.maxSession,
			MaxUnauthenticated: f.maxUnauth,
		})
		if err != nil {
			stopEngine()
			<-engineDone
			return err
		}
		go func() {
			err := sshSrv.Serve(sshL)
			if errors.Is(err, pacerssh.ErrServerClosed) {
				err = nil
			}
			failed <- err
		}()
		sshAt = sshL.Addr().String()
		fmt.Fprintf(out, "SSH: the screens and commands on %s (host key %s, %s); connect with: ssh -p %s HOST\n",
			sshAt, gossh.FingerprintSHA256(sshSrv.HostKey()), f.hostKey, port(sshAt))
		warnKeys(cmd.Context(), eng, as, out)
	}
	var httpSrv *http.Server
	if httpOn {
		httpSrv = web.NewServer(eng, web.Options{As: as, Token: f.token, Log: log})
		go func() {
			err := httpSrv.Serve(httpL)
			if errors.Is(err, http.ErrServerClosed) {
				err = nil
			}
			failed <- err
		}()
		fmt.Fprintf(out, "HTTP: tracking and events on http://%s (POST /events, GET /t/open/ID.gif, GET /healthz)\n", httpL.Addr())
	}
	stopSocket := b.serveSocket(ctx, "pacer serve", sshAt, log)
	log.Info("pacer serve: running", "database", b.path, "ssh", sshAt, "http", httpOn, "socket", cli.SocketPath(b.path))
	fmt.Fprintln(out, "pacer serve is running; press Ctrl-C to stop.")

	var runErr error
	select {
	case <-ctx.Done():
	case runErr = <-failed:
		if runErr == nil {
			runErr = errors.New("a server stopped unexpectedly")
		}
	case err := <-engineDone:
		engineDone <- err // read again below
		if err != nil {
			runErr = fmt.Errorf("the engine stopped: %w", err)
		}
	}
	fmt.Fprintln(out, "pacer serve: stopping")
	shutCtx, cancel := context.WithTimeout(context.WithoutCancel(cmd.Context()), shutdownGrace)
	defer cancel()
	var wg sync.WaitGroup
	if sshSrv != nil {
		wg.Go(func() {
			if err := sshSrv.Shutdown(shutCtx); err != nil {
				log.Warn("ssh: sessions closed at the deadline", "err", err)
			}
		})
	}
	if httpSrv != nil {
		wg.Go(func() {
			if err := httpSrv.Shutdown(shutCtx); err != nil {
				log.Warn("http: requests cut at the deadline", "err", err)
				_ = httpSrv.Close()
			}
		})
	}
	wg.Go(stopSocket)
	wg.Wait()
	stopEngine()
	if err := <-engineDone; runErr == nil && err != nil {
		runErr = fmt.Errorf("the engine stopped: %w", err)
	}
	return runErr
}

// warnKeys says when no user can sign in over SSH, and which stored keys are not keys.
func warnKeys(ctx context.Context, eng *engine.Engine, as string, out io.Writer) {
	users, err := eng.Users(ctx, as)
	if err != nil {
		return
	}
	n := 0
	for _, u := range users {
		for i, k := range u.SSHKeys {
			if _, _, _, _, err := gossh.ParseAuthorizedKey([]byte(k)); err != nil {
				fmt.Fprintf(out, "SSH: user %s: key %d is not an SSH public key (%v); it will never sign in\n", u.Username, i+1, err)
				continue
			}
			n++
		}
	}
	if n == 0 {
		fmt.Fprintln(out, `SSH: no pacer user has an SSH key yet, so no one can sign in; give users their keys: pacer user key add NAME "$(cat ~/.ssh/id_ed25519.pub)"`)
	}
}

// lockedWriter serializes writes from the servers' goroutines.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
