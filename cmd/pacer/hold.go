package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strings"
	"time"

	"github.com/pacer-sales/pacer/engine"
	"github.com/pacer-sales/pacer/ui/cli"
)

// heldBackend is the backend of the commands a second process runs through the socket of
// the database this process holds: the engine already open.
type heldBackend struct {
	b    *backend
	info cli.HolderInfo
}

// Open returns the engine this process holds. --now (or $PACER_NOW) is refused unless it
// is the time this process's clock is pinned to: its clock rules its commands.
func (h heldBackend) Open(_ context.Context, g cli.Globals) (*engine.Engine, error) {
	if g.Now != "" {
		want, err := clock(g.Now)
		if err != nil {
			return nil, err
		}
		if fixed, ok := h.b.eng.Clock().(engine.FixedClock); ok && want.Now().Equal(fixed.Now()) {
			return h.b.eng, nil
		}
		return nil, fmt.Errorf("--now/PACER_NOW %s: the database is held by %s (pid %d), whose clock its commands run by; stop it to pin the clock", g.Now, h.info.What, h.info.PID)
	}
	return h.b.eng, nil
}

// Scratch copies the held database for simulate.
func (h heldBackend) Scratch(ctx context.Context, now time.Time) (*engine.Engine, func(), error) {
	return h.b.Scratch(ctx, now)
}

// Path is the held database file.
func (h heldBackend) Path() string { return h.b.path }

// serveSocket answers on the socket beside the open database: the commands of second
// processes run in this one. It returns a function that closes the socket (removing its
// file) and waits for the commands running. A socket that can't be made is logged and
// left out: the database is then held as before, and other commands exit 2.
func (b *backend) serveSocket(ctx context.Context, what, sshAddr string, log *slog.Logger) func() {
	path := cli.SocketPath(b.path)
	info := cli.HolderInfo{PID: os.Getpid(), Started: time.Now().UTC(), What: what, SSH: sshAddr}
	l, err := cli.ListenSocket(path)
	if err != nil {
		log.Warn("socket: other commands on this database can't run inside this process", "path", path, "err", err.Error())
		return func() {}
	}
	srv := &cli.SocketServer{Backend: heldBackend{b: b, info: info}, Info: info, Log: log}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := srv.Serve(ctx, l); err != nil {
			log.Error("socket: stopped", "err", err.Error())
		}
	}()
	return func() {
		l.Close()
		<-done
	}
}

// port is the port of an address such as 127.0.0.1:2222.
func port(addr string) string {
	if _, p, err := net.SplitHostPort(addr); err == nil {
		return p
	}
	return addr
}

// sshHost is how to name the host of an SSH address from this machine.
func sshHost(addr string) string {
	h, _, err := net.SplitHostPort(addr)
	if err != nil || h == "" || h == "0.0.0.0" || h == "::" || strings.HasPrefix(h, "127.") || h == "::1" {
		return "localhost"
	}
	return h
}
