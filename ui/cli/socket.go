package cli

import (
	"bufio"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/pacer-sales/pacer/engine/limits"
)

// The local socket: a pacer process that holds a database (serve, run, the screens)
// listens on PATH.sock beside it, owner-only, and runs the commands a second process on
// the same machine sends it, with that process's arguments, environment, directory and
// standard streams. The exchange is a sequence of frames — a type byte, a 4-byte big-endian
// length and the payload:
//
//	client → holder   'R' request (JSON socketRequest) or 'Q' (who holds the database)
//	                  'I' standard input bytes, 'E' end of standard input
//	holder → client   'O' standard output bytes, 'e' standard error bytes,
//	                  'N' the command reads standard input: send it,
//	                  'X' the exit code (4 bytes, big-endian): the end; 'i' holder info (JSON)
//
// Standard input ends only with 'E': a client that goes away mid-way leaves the command's
// input unfinished, and the command fails without calling the engine.
const (
	frameRequest = 'R'
	frameQuery   = 'Q'
	frameInput   = 'I'
	frameEOF     = 'E'
	frameStdout  = 'O'
	frameStderr  = 'e'
	frameNeed    = 'N'
	frameExit    = 'X'
	frameInfo    = 'i'
)

// frameChunk is the largest payload of one data frame.
const frameChunk = 32 << 10

// SocketPath is the socket beside a database file.
func SocketPath(db string) string { return db + ".sock" }

// socketRequest is what a second process asks the holder to run.
type socketRequest struct {
	Args []string `json:"args"`
	// Env holds the variables of the client's environment a command reads (PACER_USER,
	// PACER_NOW).
	Env    map[string]string `json:"env"`
	OSUser string            `json:"os_user"`
	// Dir is the client's working directory: its relative file names are read there.
	Dir string `json:"dir"`
}

// HolderInfo says which process holds a database and how to reach its screens.
type HolderInfo struct {
	PID     int       `json:"pid"`
	Started time.Time `json:"started"`
	// What runs: "pacer serve", "pacer run" or "the screens".
	What string `json:"what"`
	// SSH is the address of its SSH server, "" when it has none.
	SSH string `json:"ssh,omitempty"`
}

// writeFrame writes one frame in a single write: a peer that answers and closes as soon as
// it has read a frame never sees half of one (nor makes its writer fail on an empty rest).
func writeFrame(w io.Writer, typ byte, p []byte) error {
	buf := make([]byte, 5+len(p))
	buf[0] = typ
	binary.BigEndian.PutUint32(buf[1:5], uint32(len(p)))
	copy(buf[5:], p)
	_, err := w.Write(buf)
	return err
}

// readFrame reads one frame whose payload is at most max bytes.
func readFrame(r io.Reader, max int) (byte, []byte, error) {
	var head [5]byte
	if _, err := io.ReadFull(r, head[:]); err != nil {
		return 0, nil, err
	}
	n := binary.BigEndian.Uint32(head[1:])
	if int64(n) > int64(max) {
		return 0, nil, limits.TooLarge(fmt.Sprintf("a socket frame (%q)", head[0]), max, "bytes")
	}
	p := make([]byte, n)
	if _, err := io.ReadFull(r, p); err != nil {
		return 0, nil, io.ErrUnexpectedEOF
	}
	return head[0], p, nil
}

// ListenSocket listens on the socket of a database this process holds: owner-only
// (0600, made so under a umask of 077, so it is never open to others). A socket file left
// by a process that was killed is detected (nothing answers it) and replaced; one that
// answers belongs to a running pacer and is an error.
func ListenSocket(path string) (*net.UnixListener, error) {
	if c, err := net.DialTimeout("unix", path, time.Second); err == nil {
		c.Close()
		return nil, fmt.Errorf("%s: another pacer answers on this socket", path)
	}
	if st, err := os.Lstat(path); err == nil {
		if st.Mode()&os.ModeSocket == 0 {
			return nil, fmt.Errorf("%s: exists and is not a socket; remove it", path)
		}
		if err := os.Remove(path); err != nil {
			return nil, fmt.Errorf("%s: a stale socket that can't be removed: %w", path, err)
		}
	}
	restore := ownerOnly()
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	restore()
	if err != nil {
		return nil, err
	}
	if err := os.Chmod(path, 0o600); err != nil {
		l.Close()
		return nil, err
	}
	l.SetUnlinkOnClose(true)
	return l, nil
}

// SocketServer runs the commands of second processes inside the holder of a database.
type SocketServer struct {
	// Backend is the holder's: its engine, already open.
	Backend Backend
	Info    HolderInfo
	Log     *slog.Logger
	// Commands are added to every command tree it builds (none of the front ends: serve,
	// run and the screens are not run through the socket).
	Commands []func(*App) *cobra.Command

	wg sync.WaitGroup
}

// Serve answers connections on l until it is closed; it then waits for the commands
// running to end.
func (s *SocketServer) Serve(ctx context.Context, l net.Listener) error {
	defer s.wg.Wait()
	for {
		c, err := l.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return nil
			}
			return err
		}
		s.wg.Go(func() { s.handle(ctx, c) })
	}
}

func (s *SocketServer) log() *slog.Logger {
	if s.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return s.Log
}

func (s *SocketServer) handle(ctx context.Context, c net.Conn) {
	defer c.Close()
	out := &frameWriter{w: c}
	defer func() {
		if r := recover(); r != nil {
			s.log().Error("socket: a command panicked", "panic", r, "stack", string(debug.Stack()))
			_ = out.frame(frameStderr, []byte("pacer: internal error (the server logged it)\n"))
			_ = out.exit(ExitInvalid)
		}
	}()
	br := bufio.NewReader(c)
	typ, p, err := readFrame(br, limits.SocketRequest)
	if err != nil {
		s.log().Warn("socket: request not read", "err", err.Error())
		_ = out.frame(frameStderr, []byte("pacer: "+err.Error()+"\n"))
		_ = out.exit(ExitInvalid)
		return
	}
	switch typ {
	case frameQuery:
		info, _ := json.Marshal(s.Info)
		_ = out.frame(frameInfo, info)
		return
	case frameRequest:
	default:
		_ = out.exit(ExitInvalid)
		return
	}
	var req socketRequest
	if err := json.Unmarshal(p, &req); err != nil {
		_ = out.frame(frameStderr, []byte("pacer: a socket request that is not JSON\n"))
		_ = out.exit(ExitInvalid)
		return
	}
	start := time.Now()
	code := Run(ctx, Env{
		Stdin:    &frameReader{r: br, w: out},
		Stdout:   &streamWriter{f: out, typ: frameStdout},
		Stderr:   &streamWriter{f: out, typ: frameStderr},
		Backend:  s.Backend,
		OSUser:   req.OSUser,
		Getenv:   func(k string) string { return req.Env[k] },
		Dir:      req.Dir,
		Commands: s.Commands,
	}, req.Args)
	s.log().Info("socket: command", "args", CommandName(req.Args), "os_user", req.OSUser, "exit", code, "took", time.Since(start).Round(time.Millisecond).String())
	_ = out.exit(code)
}

// CommandName is the first two command words of args for the log, without the global
// flags, their values, or arguments that could hold data.
func CommandName(args []string) string {
	var words []string
	for i := 0; i < len(args) && len(words) < 2; i++ {
		a := args[i]
		if strings.HasPrefix(a, "-") {
			if (a == "--db" || a == "--as" || a == "--now") && i+1 < len(args) {
				i++
			}
			continue
		}
		words = append(words, a)
	}
	return strings.Join(words, " ")
}

// frameWriter writes frames from several goroutines, one whole frame at a time.
type frameWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (f *frameWriter) frame(typ byte, p []byte) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return writeFrame(f.w, typ, p)
}

func (f *frameWriter) exit(code int) error {
	var p [4]byte
	binary.BigEndian.PutUint32(p[:], uint32(code))
	return f.frame(frameExit, p[:])
}

// streamWriter is an output stream of the command, sent as frames.
type streamWriter struct {
	f   *frameWriter
	typ byte
}

func (s *streamWriter) Write(p []byte) (int, error) {
	for off := 0; off < len(p); off += frameChunk {
		end := min(off+frameChunk, len(p))
		if err := s.f.frame(s.typ, p[off:end]); err != nil {
			return off, err
		}
	}
	return len(p), nil
}

// frameReader is the command's standard input: on the first read it asks the client for
// it, then reads 'I' frames until 'E'. A connection that ends before 'E' is an error, not
// the end of the input.
type frameReader struct {
	r       io.Reader
	w       *frameWriter
	asked   bool
	pending []byte
	eof     bool
	err     error
}

func (f *frameReader) Read(p []byte) (int, error) {
	if !f.asked {
		f.asked = true
		if err := f.w.frame(frameNeed, nil); err != nil {
			f.err = err
		}
	}
	for len(f.pending) == 0 {
		if f.err != nil {
			return 0, f.err
		}
		if f.eof {
			return 0, io.EOF
		}
		typ, data, err := readFrame(f.r, frameChunk)
		switch {
		case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
			f.err = errors.New("the client went away before the end of its standard input; nothing was done")
		case err != nil:
			f.err = err
		case typ == frameEOF:
			f.eof = true
		case typ == frameInput:
			f.pending = data
		default:
			f.err = fmt.Errorf("unexpected socket frame %q in standard input", typ)
		}
	}
	n := copy(p, f.pending)
	f.pending = f.pending[n:]
	return n, nil
}

// ErrNoHolder is returned by Forward and AskHolder when nothing answers on the socket.
var ErrNoHolder = errors.New("no pacer answers on the socket")

// dialSocket connects to a holder's socket; ErrNoHolder when there is none or a stale one.
func dialSocket(path string) (net.Conn, error) {
	c, err := net.DialTimeout("unix", path, 2*time.Second)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNoHolder, err)
	}
	return c, nil
}

// Forward runs a command line inside the process that holds the database through its
// socket: args as typed, the environment variables the commands read, the OS user and
// working directory, and the standard streams. It returns the command's exit code, or
// ErrNoHolder when nothing answers.
func Forward(ctx context.Context, path string, args []string, getenv func(string) string, osUser string, stdin io.Reader, stdout, stderr io.Writer) (int, error) {
	c, err := dialSocket(path)
	if err != nil {
		return 0, err
	}
	defer c.Close()
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()
	dir, _ := os.Getwd()
	req := socketRequest{Args: args, OSUser: osUser, Dir: dir, Env: map[string]string{}}
	for _, k := range []string{"PACER_USER", "PACER_NOW"} {
		if v := getenv(k); v != "" {
			req.Env[k] = v
		}
	}
	p, err := json.Marshal(req)
	if err != nil {
		return 0, err
	}
	if len(p) > limits.SocketRequest {
		return ExitInvalid, limits.TooLarge("the command line", limits.SocketRequest, "bytes")
	}
	out := &frameWriter{w: c}
	if err := out.frame(frameRequest, p); err != nil {
		return 0, fmt.Errorf("%w: %v", ErrNoHolder, err)
	}
	br := bufio.NewReader(c)
	for {
		typ, data, err := readFrame(br, frameChunk+8)
		if err != nil {
			return ExitNoDB, fmt.Errorf("the pacer holding the database stopped answering (%v)", err)
		}
		switch typ {
		case frameStdout:
			if _, err := stdout.Write(data); err != nil {
				return ExitInvalid, err
			}
		case frameStderr:
			_, _ = stderr.Write(data)
		case frameNeed:
			go sendInput(out, stdin)
		case frameExit:
			if len(data) != 4 {
				return ExitInvalid, errors.New("a malformed exit frame from the socket")
			}
			return int(binary.BigEndian.Uint32(data)), nil
		default:
			return ExitInvalid, fmt.Errorf("unexpected socket frame %q", typ)
		}
	}
}

// sendInput sends standard input as frames, then the end of it. A read error sends no end:
// the holder then runs nothing.
func sendInput(out *frameWriter, stdin io.Reader) {
	buf := make([]byte, frameChunk)
	for {
		n, err := stdin.Read(buf)
		if n > 0 {
			if werr := out.frame(frameInput, buf[:n]); werr != nil {
				return
			}
		}
		if errors.Is(err, io.EOF) {
			_ = out.frame(frameEOF, nil)
			return
		}
		if err != nil {
			return
		}
	}
}

// AskHolder asks the process on the socket who it is.
func AskHolder(path string) (HolderInfo, error) {
	c, err := dialSocket(path)
	if err != nil {
		return HolderInfo{}, err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	if err := writeFrame(c, frameQuery, nil); err != nil {
		return HolderInfo{}, fmt.Errorf("%w: %v", ErrNoHolder, err)
	}
	typ, data, err := readFrame(c, limits.SocketRequest)
	if err != nil || typ != frameInfo {
		return HolderInfo{}, fmt.Errorf("%w: no answer to who holds the database", ErrNoHolder)
	}
	var info HolderInfo
	return info, json.Unmarshal(data, &info)
}
