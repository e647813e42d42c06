// Package mailtest runs a real SMTP server on 127.0.0.1 for tests of code that sends email:
// it records what it receives, checks credentials, and fails on demand.
//
// A message is recorded before the server replies 250 to its DATA, so once a client's send
// has returned, the message is in Messages. Code that sends from another goroutine can block
// on Wait instead of polling.
package mailtest

import (
	"bytes"
	"context"
	"encoding/base64"
	"io"
	"log"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Default credentials of a server started without options.
const (
	DefaultUser     = "pacer"
	DefaultPassword = "secret"
)

// Received is one message the server accepted.
type Received struct {
	// From is the envelope sender (MAIL FROM), To the envelope recipients (RCPT TO).
	From string
	To   []string
	// User is the name the client authenticated as, if it did.
	User string
	// Data is the message as transferred.
	Data []byte
	// Header is the parsed header; nil when Data is not a parseable message.
	Header mail.Header
	// MessageID, Subject and Date are header values, Subject decoded.
	MessageID string
	Subject   string
	Date      string
	// Text and HTML are the decoded parts of a multipart/alternative message, with line
	// ends as "\n".
	Text, HTML string
	// Body is the decoded text of a single-part message with line ends as "\n"; for a
	// multipart message, the raw body.
	Body string
}

// Option configures a Server.
type Option func(*Server)

// WithCredentials makes the server accept only user and password (the URL carries them).
func WithCredentials(user, password string) Option {
	return func(s *Server) { s.user, s.pass, s.anyPass = user, password, false }
}

// AnyPassword makes the server accept any user name and password.
func AnyPassword() Option {
	return func(s *Server) { s.anyPass = true }
}

// NoAuth makes the server offer no authentication and accept mail from anyone; its URL has
// no credentials.
func NoAuth() Option {
	return func(s *Server) { s.noAuth = true }
}

// Server is a running test SMTP server.
type Server struct {
	user, pass string
	anyPass    bool
	noAuth     bool

	addr string
	srv  *smtp.Server

	mu       sync.Mutex
	msgs     []Received
	changed  chan struct{} // closed and replaced whenever msgs grows
	failNext int
	failCode int
	failAll  int
	attempts int
	refused  map[string]bool // recipients RCPT TO refuses with 550
	onData   func(Received)  // called as each message is accepted, before the reply
	// transfers are the message transfers (DATA) under way, by number; ended is closed and
	// replaced whenever one ends.
	transfers map[uint64]bool
	started   uint64
	ended     chan struct{}
}

// OnData calls fn with each message as the server accepts it, before it answers the client:
// a test can act while the sender waits for the reply.
func (s *Server) OnData(fn func(Received)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.onData = fn
}

// Start runs a server on 127.0.0.1 with a free port until the test ends. Without options it
// requires AUTH PLAIN as DefaultUser / DefaultPassword (allowed without TLS).
func Start(t testing.TB, opts ...Option) *Server {
	t.Helper()
	s := &Server{user: DefaultUser, pass: DefaultPassword, changed: make(chan struct{}),
		transfers: map[uint64]bool{}, ended: make(chan struct{})}
	for _, o := range opts {
		o(s)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("mailtest: listen: %v", err)
	}
	s.addr = l.Addr().String()
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) {
		return &session{s: s}, nil
	}))
	srv.Domain = "localhost"
	srv.AllowInsecureAuth = true
	srv.ReadTimeout = time.Minute
	srv.WriteTimeout = time.Minute
	srv.MaxMessageBytes = 10 << 20
	srv.MaxRecipients = 100
	srv.ErrorLog = log.New(io.Discard, "", 0)
	s.srv = srv
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(l)
	}()
	t.Cleanup(func() {
		_ = srv.Close()
		_ = l.Close() // Serve may not have registered it with srv yet
		<-done
	})
	return s
}

// Addr is the server's host:port.
func (s *Server) Addr() string { return s.addr }

// URL is the smtp:// URL of the server, with its credentials unless it was started with
// NoAuth (with AnyPassword, the default credentials).
func (s *Server) URL() string {
	u := url.URL{Scheme: "smtp", Host: s.addr}
	if !s.noAuth {
		u.User = url.UserPassword(s.user, s.pass)
	}
	return u.String()
}

// URLWithPassword is the server's URL with another password, for testing refused logins.
func (s *Server) URLWithPassword(password string) string {
	u := url.URL{Scheme: "smtp", Host: s.addr, User: url.UserPassword(s.user, password)}
	return u.String()
}

// Messages returns the messages accepted so far, oldest first.
func (s *Server) Messages() []Received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Received(nil), s.msgs...)
}

// Wait blocks until at least n messages have been accepted and returns them, or returns the
// context's error with those accepted so far.
func (s *Server) Wait(ctx context.Context, n int) ([]Received, error) {
	for {
		s.mu.Lock()
		if len(s.msgs) >= n {
			out := append([]Received(nil), s.msgs...)
			s.mu.Unlock()
			return out, nil
		}
		ch := s.changed
		s.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return s.Messages(), ctx.Err()
		}
	}
}

// Settle waits until every message transfer under way when it is called has ended: one
// whose client has gone (a killed process) is then recorded, if its data all arrived, or
// refused. It returns the context's error if they don't end before it does.
func (s *Server) Settle(ctx context.Context) error {
	s.mu.Lock()
	upto := s.started
	for {
		busy := false
		for n := range s.transfers {
			busy = busy || n <= upto
		}
		if !busy {
			s.mu.Unlock()
			return nil
		}
		ch := s.ended
		s.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
		s.mu.Lock()
	}
}

// transfer notes a message transfer under way until the function it returns is called.
func (s *Server) transfer() (end func()) {
	s.mu.Lock()
	s.started++
	n := s.started
	s.transfers[n] = true
	s.mu.Unlock()
	return func() {
		s.mu.Lock()
		delete(s.transfers, n)
		close(s.ended)
		s.ended = make(chan struct{})
		s.mu.Unlock()
	}
}

// Attempts is how many messages clients have tried to transfer (DATA), failed ones included.
func (s *Server) Attempts() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.attempts
}

// FailNext makes the next n message transfers fail with the SMTP reply code (e.g. 451 for a
// temporary failure, 550 for a permanent one) after the data is read; nothing is recorded.
func (s *Server) FailNext(n, code int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failNext, s.failCode = n, code
}

// FailAll makes every message transfer fail with the SMTP reply code until FailAll(0).
func (s *Server) FailAll(code int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failAll = code
}

// RefuseRecipient makes RCPT TO refuse addr with 550 5.1.1 (no such user), as a server
// does for an address that does not exist.
func (s *Server) RefuseRecipient(addr string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.refused == nil {
		s.refused = map[string]bool{}
	}
	s.refused[strings.ToLower(addr)] = true
}

// failure returns the injected error for this transfer, if any, and counts the attempt.
func (s *Server) failure() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.attempts++
	code := 0
	switch {
	case s.failAll != 0:
		code = s.failAll
	case s.failNext > 0:
		s.failNext--
		code = s.failCode
	}
	if code == 0 {
		return nil
	}
	msg := "Requested action aborted: try again later"
	if code >= 500 {
		msg = "Message rejected"
	}
	return &smtp.SMTPError{Code: code, EnhancedCode: smtp.EnhancedCode{code / 100, 0, 0}, Message: msg}
}

func (s *Server) record(r Received) {
	s.mu.Lock()
	fn := s.onData
	s.msgs = append(s.msgs, r)
	close(s.changed)
	s.changed = make(chan struct{})
	s.mu.Unlock()
	if fn != nil {
		fn(r)
	}
}

// session is one client connection.
type session struct {
	s    *Server
	user string
	auth bool
	from string
	to   []string
}

// AuthMechanisms implements smtp.AuthSession.
func (se *session) AuthMechanisms() []string {
	if se.s.noAuth {
		return nil
	}
	return []string{sasl.Plain}
}

// Auth implements smtp.AuthSession.
func (se *session) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if !se.s.anyPass && (user != se.s.user || pass != se.s.pass) {
			return smtp.ErrAuthFailed
		}
		se.user, se.auth = user, true
		return nil
	}), nil
}

func (se *session) Mail(from string, _ *smtp.MailOptions) error {
	if !se.s.noAuth && !se.auth {
		return smtp.ErrAuthRequired
	}
	se.from = from
	return nil
}

func (se *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	se.s.mu.Lock()
	refused := se.s.refused[strings.ToLower(to)]
	se.s.mu.Unlock()
	if refused {
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user: " + to}
	}
	se.to = append(se.to, to)
	return nil
}

func (se *session) Data(r io.Reader) error {
	defer se.s.transfer()()
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if err := se.s.failure(); err != nil {
		return err
	}
	rec := parse(data)
	rec.From, rec.To, rec.User = se.from, append([]string(nil), se.to...), se.user
	se.s.record(rec)
	return nil
}

func (se *session) Reset() { se.from, se.to = "", nil }

func (se *session) Logout() error { return nil }

// parse reads the header and decoded body of data.
func parse(data []byte) Received {
	rec := Received{Data: data}
	m, err := mail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		return rec
	}
	rec.Header = m.Header
	rec.MessageID = m.Header.Get("Message-Id")
	rec.Date = m.Header.Get("Date")
	dec := new(mime.WordDecoder)
	if subj, err := dec.DecodeHeader(m.Header.Get("Subject")); err == nil {
		rec.Subject = subj
	} else {
		rec.Subject = m.Header.Get("Subject")
	}
	raw, _ := io.ReadAll(m.Body)
	body := raw
	mediaType, params, _ := mime.ParseMediaType(m.Header.Get("Content-Type"))
	if !strings.HasPrefix(mediaType, "multipart/") {
		body = decodePart(raw, m.Header.Get("Content-Transfer-Encoding"))
	} else if mediaType == "multipart/alternative" {
		mr := multipart.NewReader(bytes.NewReader(raw), params["boundary"])
		for {
			p, err := mr.NextRawPart()
			if err != nil {
				break
			}
			b, _ := io.ReadAll(p)
			b = decodePart(b, p.Header.Get("Content-Transfer-Encoding"))
			pt, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
			switch pt {
			case "text/plain":
				rec.Text = strings.ReplaceAll(string(b), "\r\n", "\n")
			case "text/html":
				rec.HTML = strings.ReplaceAll(string(b), "\r\n", "\n")
			}
		}
	}
	rec.Body = strings.ReplaceAll(string(body), "\r\n", "\n")
	return rec
}

// decodePart undoes a part's Content-Transfer-Encoding.
func decodePart(raw []byte, encoding string) []byte {
	switch strings.ToLower(strings.TrimSpace(encoding)) {
	case "quoted-printable":
		if b, err := io.ReadAll(quotedprintable.NewReader(bytes.NewReader(raw))); err == nil {
			return b
		}
	case "base64":
		clean := strings.NewReplacer("\r", "", "\n", "").Replace(string(raw))
		if b, err := base64.StdEncoding.DecodeString(clean); err == nil {
			return b
		}
	}
	return raw
}
