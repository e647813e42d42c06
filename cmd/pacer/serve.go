package main

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	gossh "golang.org/x/crypto/ssh"

	"github.com/pacer-sales/pacer/engine"
	"github.com/pacer-sales/pacer/engine/sequence"
	"github.com/pacer-sales/pacer/store/postgres"
	"github.com/pacer-sales/pacer/ui"
	"github.com/pacer-sales/pacer/ui/cli"
	pacerssh "github.com/pacer-sales/pacer/ui/ssh"
)

// The addresses pacer serve listens on by default: this machine only.
const (
	defaultSSHAddr  = "127.0.0.1:2222"
	defaultHTTPAddr = "127.0.0.1:8080"
)

// shutdownGrace is how long pacer serve waits for sessions and requests to end once asked
// to stop, before it closes what is left.
const shutdownGrace = 5 * time.Second

func (b *backend) serveCmd(a *cli.App) *cobra.Command {
	var sshAddr, httpAddr, hostKey, token string
	c := &cobra.Command{
		Use:   "serve [--ssh ADDR] [--http ADDR] [--host-key FILE]",
		Short: "Run the engine, the screens over SSH for the team, and the tracking and event endpoints",
		Long: `Run the engine, serve the terminal screens over SSH to every pacer user with an SSH key,
and serve the tracking and event endpoints over HTTP, until interrupted (Ctrl-C or SIGTERM).

SSH (--ssh, default ` + defaultSSHAddr + `): a user signs in with a public key stored with
their pacer user (pacer user add NAME --role seller --key "$(cat ~/.ssh/id_ed25519.pub)");
any login name works, the key says who it is; other keys are refused. Connect with
  ssh -p 2222 HOST
The host key is generated on the first start and kept beside the database
(PATH.ssh_host_ed25519, or --host-key FILE).

HTTP (--http, default ` + defaultHTTPAddr + `):
  POST /events           record an email event: form or JSON fields record (E/ID) or
                         message_id, type (email_opened, email_replied, link_clicked,
                         attachment_downloaded), step (optional, with record) and at
                         (optional, RFC 3339). Events by record are recorded as the acting
                         user (--as). Only clients on this machine may post unless
                         --events-token is set; then every request needs
                         "Authorization: Bearer TOKEN".
  GET /t/open/ID.gif     tracking pixel: records email_opened for the email whose
                         Message-ID has the local part ID (32 hex digits); anonymous.
  GET /healthz           200 when the database answers.

Both listen on this machine only by default; give an address such as :2222 or
0.0.0.0:8080 to serve the team's network, or "off" to leave one out.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if token == "" {
				token = os.Getenv("PACER_EVENTS_TOKEN")
			}
			return b.serve(cmd, a, sshAddr, httpAddr, hostKey, token)
		},
	}
	f := c.Flags()
	f.StringVar(&sshAddr, "ssh", defaultSSHAddr, `address of the SSH server of the screens (":2222" for every interface, "off" for none)`)
	f.StringVar(&httpAddr, "http", defaultHTTPAddr, `address of the tracking and event endpoints (":8080" for every interface, "off" for none)`)
	f.StringVar(&hostKey, "host-key", "", "SSH host key file, generated when missing (default PATH.ssh_host_ed25519 beside the database)")
	f.StringVar(&token, "events-token", "", "require \"Authorization: Bearer TOKEN\" on POST /events, from any client (default $PACER_EVENTS_TOKEN)")
	return c
}

// serve runs the engine and the servers until the command's context ends or a signal
// comes, then shuts them down in order: the servers, then the engine.
func (b *backend) serve(cmd *cobra.Command, a *cli.App, sshAddr, httpAddr, hostKey, token string) error {
	eng, as, err := a.Session(cmd)
	if err != nil {
		return err
	}
	if _, err := eng.Whoami(cmd.Context(), as); err != nil {
		return err
	}
	sshOn, httpOn := sshAddr != "off" && sshAddr != "", httpAddr != "off" && httpAddr != ""
	if !sshOn && !httpOn {
		return errors.New("nothing to serve: --ssh and --http are both off")
	}
	out := &lockedWriter{w: a.Stdout()}
	log := slog.New(slog.NewTextHandler(out, nil))

	// Listen first, so a taken port is reported before anything starts.
	var sshL, httpL net.Listener
	if sshOn {
		if sshL, err = net.Listen("tcp", sshAddr); err != nil {
			return fmt.Errorf("--ssh %s: %w", sshAddr, err)
		}
		defer sshL.Close()
	}
	if httpOn {
		if httpL, err = net.Listen("tcp", httpAddr); err != nil {
			return fmt.Errorf("--http %s: %w", httpAddr, err)
		}
		defer httpL.Close()
	}

	ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	engCtx, stopEngine := context.WithCancel(cmd.Context())
	defer stopEngine()
	engineDone := make(chan error, 1)
	go func() {
		engineDone <- eng.Run(engCtx, func(rep engine.TickReport) {
			log.Info("engine", "timers", rep.Timers, "sent", rep.Sent, "retried", rep.Retried, "failed", rep.Failed, "errors", len(rep.Errors))
		})
	}()

	// Each server reports how it ended on failed; a nil error is a clean stop.
	failed := make(chan error, 2)
	var sshSrv *pacerssh.Server
	if sshOn {
		if hostKey == "" && postgres.IsURL(b.path) {
			stopEngine()
			<-engineDone
			return errors.New("on PostgreSQL, pass --host-key FILE: the nodes sharing the database share one SSH host key")
		}
		if hostKey == "" {
			hostKey = b.path + ".ssh_host_ed25519"
		}
		sshSrv, err = pacerssh.New(eng, pacerssh.Options{
			UI:          ui.Options{Screens: screenConstructors(), NoMouse: noMouse(cmd)},
			HostKeyPath: hostKey,
			Log:         log,
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
		port := sshL.Addr().(*net.TCPAddr).Port
		fmt.Fprintf(out, "SSH: the screens on %s (host key %s, %s); connect with: ssh -p %d HOST\n",
			sshL.Addr(), gossh.FingerprintSHA256(sshSrv.HostKey()), hostKey, port)
		warnKeys(cmd.Context(), eng, as, out)
	}
	var httpSrv *http.Server
	if httpOn {
		httpSrv = &http.Server{
			Handler:           newTracker(eng, as, token, log).routes(),
			ReadHeaderTimeout: 10 * time.Second,
			ReadTimeout:       30 * time.Second,
			WriteTimeout:      30 * time.Second,
			IdleTimeout:       2 * time.Minute,
			ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		}
		go func() {
			err := httpSrv.Serve(httpL)
			if errors.Is(err, http.ErrServerClosed) {
				err = nil
			}
			failed <- err
		}()
		fmt.Fprintf(out, "HTTP: tracking and events on http://%s (POST /events, GET /t/open/ID.gif, GET /healthz)\n", httpL.Addr())
	}
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
		fmt.Fprintln(out, `SSH: no pacer user has an SSH key yet, so no one can sign in; add users with their keys: pacer user add NAME --role seller --key "$(cat ~/.ssh/id_ed25519.pub)"`)
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

// tracker serves the tracking and event endpoints.
type tracker struct {
	eng *engine.Engine
	// as is the acting user of events posted by record.
	as string
	// token, when set, is required from every client of POST /events; when empty only
	// clients on this machine may post.
	token string
	log   *slog.Logger
}

func newTracker(eng *engine.Engine, as, token string, log *slog.Logger) *tracker {
	return &tracker{eng: eng, as: as, token: token, log: log}
}

// maxEventBody bounds the body of POST /events.
const maxEventBody = 64 << 10

func (t *tracker) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", t.healthz)
	mux.HandleFunc("POST /events", t.events)
	mux.HandleFunc("GET /t/open/{file}", t.pixel)
	return mux
}

// healthz answers 200 when the database can be read.
func (t *tracker) healthz(w http.ResponseWriter, r *http.Request) {
	if _, err := t.eng.Empty(r.Context()); err != nil {
		http.Error(w, "the database does not answer: "+err.Error(), http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	// Which of the nodes sharing a database this is, and whether it leads them.
	w.Header().Set("X-Pacer-Node", t.eng.Node())
	w.Header().Set("X-Pacer-Leader", strconv.FormatBool(t.eng.Leads()))
	_, _ = io.WriteString(w, "ok\n")
}

// eventRequest is the body of POST /events.
type eventRequest struct {
	Record    string `json:"record"`
	MessageID string `json:"message_id"`
	Type      string `json:"type"`
	Step      string `json:"step"`
	At        string `json:"at"`
}

// eventReply is the answer of POST /events.
type eventReply struct {
	Recorded  string `json:"recorded,omitempty"`
	Record    string `json:"record,omitempty"`
	MessageID string `json:"message_id,omitempty"`
	Error     string `json:"error,omitempty"`
	// Field names the request field that is wrong, when one is.
	Field string `json:"field,omitempty"`
}

// events records an email event by record (as the acting user, with the engine's role
// checks) or by Message-ID (as the system).
func (t *tracker) events(w http.ResponseWriter, r *http.Request) {
	if status, msg := t.allowed(r); status != 0 {
		if status == http.StatusUnauthorized {
			w.Header().Set("WWW-Authenticate", `Bearer realm="pacer events"`)
		}
		reply(w, status, eventReply{Error: msg})
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxEventBody)
	req, field, err := readEvent(r)
	if err != nil {
		status := http.StatusBadRequest
		var tooBig *http.MaxBytesError
		switch {
		case errors.As(err, &tooBig):
			status = http.StatusRequestEntityTooLarge
		case errors.Is(err, errMediaType):
			status = http.StatusUnsupportedMediaType
		}
		reply(w, status, eventReply{Error: err.Error(), Field: field})
		return
	}
	kind, at, field, err := req.check()
	if err != nil {
		reply(w, http.StatusBadRequest, eventReply{Error: err.Error(), Field: field})
		return
	}
	if req.MessageID != "" {
		err = t.eng.RecordMessageEvent(r.Context(), req.MessageID, kind, at)
	} else {
		err = t.eng.RecordEvent(r.Context(), t.as, req.Record, kind, req.Step, at)
	}
	if err != nil {
		status := http.StatusInternalServerError
		switch {
		case errors.Is(err, engine.ErrUnknownMessage):
			status = http.StatusNotFound
		case errors.Is(err, engine.ErrInvalid):
			status = http.StatusBadRequest
		case errors.Is(err, engine.ErrForbidden):
			status = http.StatusForbidden
		}
		if status == http.StatusInternalServerError {
			t.log.Error("http: event not recorded", "record", req.Record, "message_id", req.MessageID, "type", req.Type, "err", err)
		}
		reply(w, status, eventReply{Error: err.Error()})
		return
	}
	t.log.Info("http: event", "record", req.Record, "message_id", req.MessageID, "type", req.Type, "remote", r.RemoteAddr)
	reply(w, http.StatusOK, eventReply{Recorded: req.Type, Record: req.Record, MessageID: req.MessageID})
}

// allowed checks who may post events: with a token, whoever presents it; without one,
// clients on this machine only. It returns 0 when the request may go on.
func (t *tracker) allowed(r *http.Request) (int, string) {
	if t.token != "" {
		got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || subtle.ConstantTimeCompare([]byte(got), []byte(t.token)) != 1 {
			return http.StatusUnauthorized, "Authorization: want Bearer and the events token pacer serve was started with"
		}
		return 0, ""
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() {
		return http.StatusForbidden, "POST /events takes events from this machine only; start pacer serve with --events-token to take them from elsewhere"
	}
	return 0, ""
}

// errMediaType is returned for a body that is neither a form nor JSON.
var errMediaType = errors.New("Content-Type: want application/json or application/x-www-form-urlencoded")

// readEvent reads the fields of POST /events from a JSON or form body; on error, field
// names the field at fault when there is one.
func readEvent(r *http.Request) (req eventRequest, field string, err error) {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch mt {
	case "application/json":
		dec := json.NewDecoder(r.Body)
		dec.DisallowUnknownFields()
		if err := dec.Decode(&req); err != nil {
			var typeErr *json.UnmarshalTypeError
			switch {
			case errors.As(err, &typeErr):
				return req, typeErr.Field, fmt.Errorf("%s: want a string", typeErr.Field)
			case strings.HasPrefix(err.Error(), "json: unknown field "):
				f := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
				return req, f, fmt.Errorf("%s: unknown field (known: record, message_id, type, step, at)", f)
			}
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				return req, "", err
			}
			return req, "", fmt.Errorf("the body is not a JSON object of strings: %v", err)
		}
		if dec.More() {
			return req, "", errors.New("the body holds more than one JSON value")
		}
		return req, "", nil
	case "application/x-www-form-urlencoded":
		if err := r.ParseForm(); err != nil {
			return req, "", fmt.Errorf("the form can't be read: %w", err)
		}
		known := map[string]*string{"record": &req.Record, "message_id": &req.MessageID, "type": &req.Type, "step": &req.Step, "at": &req.At}
		for k, vs := range r.PostForm {
			p, ok := known[k]
			if !ok {
				return req, k, fmt.Errorf("%s: unknown field (known: record, message_id, type, step, at)", k)
			}
			if len(vs) > 1 {
				return req, k, fmt.Errorf("%s: given %d times; give it once", k, len(vs))
			}
			*p = vs[0]
		}
		return req, "", nil
	}
	return req, "", errMediaType
}

// check validates an event request; on error, field names the field at fault.
func (q *eventRequest) check() (kind sequence.Kind, at time.Time, field string, err error) {
	q.Record, q.MessageID, q.Type = strings.TrimSpace(q.Record), strings.TrimSpace(q.MessageID), strings.TrimSpace(q.Type)
	q.Step, q.At = strings.TrimSpace(q.Step), strings.TrimSpace(q.At)
	kinds := "email_opened, email_replied, link_clicked or attachment_downloaded"
	switch {
	case q.Type == "":
		return "", at, "type", fmt.Errorf("type: required (%s)", kinds)
	case !isEventKind(q.Type):
		return "", at, "type", fmt.Errorf("type: %q is not an email event (want %s)", q.Type, kinds)
	case q.Record == "" && q.MessageID == "":
		return "", at, "record", errors.New("record: required (entity/id, e.g. lead/L-1001), or give message_id instead")
	case q.Record != "" && q.MessageID != "":
		return "", at, "message_id", errors.New("message_id: give record or message_id, not both")
	case q.MessageID != "" && q.Step != "":
		return "", at, "step", errors.New("step: goes with record only; a message_id names its step itself")
	}
	if q.Record != "" {
		if _, _, err := engine.ParseRef(q.Record); err != nil {
			return "", at, "record", fmt.Errorf("record: %w", err)
		}
	}
	if q.At != "" {
		if at, err = time.Parse(time.RFC3339, q.At); err != nil {
			return "", at, "at", fmt.Errorf("at: %q is not an RFC 3339 time (e.g. 2026-03-02T09:00:00Z)", q.At)
		}
	}
	return sequence.Kind(q.Type), at, "", nil
}

func isEventKind(s string) bool {
	for _, k := range sequence.EventKinds {
		if string(k) == s {
			return true
		}
	}
	return false
}

func reply(w http.ResponseWriter, status int, body eventReply) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

// pixelGIF is a transparent 1×1 GIF.
var pixelGIF = []byte{
	0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 0x01, 0x00, 0x01, 0x00, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00,
	0xff, 0xff, 0xff, 0x21, 0xf9, 0x04, 0x01, 0x00, 0x00, 0x00, 0x00, 0x2c, 0x00, 0x00, 0x00, 0x00,
	0x01, 0x00, 0x01, 0x00, 0x00, 0x02, 0x02, 0x44, 0x01, 0x00, 0x3b,
}

// pixel records email_opened for the email whose Message-ID has the local part in the
// path and answers a transparent 1×1 GIF. It is anonymous, as a mail client loading an
// image is: the unguessable Message-ID stands in for a permission, and the event is
// recorded as the system. Loading it again records nothing more.
func (t *tracker) pixel(w http.ResponseWriter, r *http.Request) {
	file := r.PathValue("file")
	id, ok := strings.CutSuffix(file, ".gif")
	if !ok || !isHexID(id) {
		http.Error(w, "message id: want /t/open/ID.gif with ID the 32 hex digits of a Message-ID's local part", http.StatusBadRequest)
		return
	}
	if r.Method == http.MethodGet {
		err := t.eng.RecordMessageEvent(r.Context(), id, sequence.EmailOpened, time.Time{})
		switch {
		case errors.Is(err, engine.ErrUnknownMessage):
			http.Error(w, "no email has this message id", http.StatusNotFound)
			return
		case errors.Is(err, engine.ErrInvalid):
			// The open does not apply (say, to a step not reached): nothing to record, and
			// nothing the mail client could do about it.
			t.log.Info("http: pixel open not recorded", "message", id, "why", err.Error())
		case err != nil:
			t.log.Error("http: pixel open not recorded", "message", id, "err", err)
			http.Error(w, "the open could not be recorded", http.StatusInternalServerError)
			return
		default:
			t.log.Info("http: email opened", "message", id)
		}
	}
	h := w.Header()
	h.Set("Content-Type", "image/gif")
	h.Set("Cache-Control", "no-store, no-cache, must-revalidate, private")
	h.Set("Expires", "0")
	_, _ = w.Write(pixelGIF)
}

// isHexID reports 32 hexadecimal digits.
func isHexID(s string) bool {
	if len(s) != 32 {
		return false
	}
	for _, c := range s {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}
