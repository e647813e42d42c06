package main

import (
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/charmbracelet/x/vt"
	gossh "golang.org/x/crypto/ssh"

	"github.com/pacer-sales/pacer/internal/ptytest"
)

// TestE2EAdminAddUserThenSSH: as the admin, the Admin tab adds a user and pastes their
// public key; then, with pacer serve in a child process, that user signs in over SSH with
// the key and the screens greet them by name.
func TestE2EAdminAddUserThenSSH(t *testing.T) {
	bin := pacerBin(t)
	db := demoDBFile(t, bin)
	jane := newSSHUser(t, "jane@laptop")

	term := ptytest.Start(t, bin, []string{"--db", db, "--now", e2eNow}, ptytest.Options{Width: 120, Height: 30})
	term.WaitFor("[1 Sequences]", e2eWait)
	term.Send("4")
	term.WaitFor("[Users]", e2eWait)
	term.Send("a")
	term.WaitFor("Add a user: username", e2eWait)
	term.Send("jane.doe", ptytest.Enter)
	term.WaitFor("Roles of jane.doe", e2eWait)
	term.Send(ptytest.Enter)
	term.WaitFor("added user jane.doe", e2eWait)
	term.Send("p")
	term.WaitFor("Paste an SSH public key for jane.doe", e2eWait)
	// A bracketed paste, as a terminal sends one.
	term.Send("\x1b[200~"+jane.line+"\x1b[201~", ptytest.Enter)
	term.WaitFor("added SSH key SHA256:", e2eWait)
	fp := gossh.FingerprintSHA256(jane.signer.PublicKey())
	term.WaitFor(fp[:24], e2eWait)
	term.Send("q")
	if code := term.Wait(e2eWait); code != 0 {
		t.Fatalf("exit %d:\n%s", code, term.Screen())
	}

	srv := startServer(t, db)
	client, err := gossh.Dial("tcp", srv.sshAddr, &gossh.ClientConfig{
		User: "anyone", Auth: []gossh.AuthMethod{gossh.PublicKeys(jane.signer)},
		HostKeyCallback: gossh.InsecureIgnoreHostKey(), Timeout: teamWait,
	})
	must(t, err)
	defer client.Close()
	sess, err := client.NewSession()
	must(t, err)
	defer sess.Close()
	must(t, sess.RequestPty("xterm-256color", 30, 100, gossh.TerminalModes{}))
	stdin, err := sess.StdinPipe()
	must(t, err)
	out, err := sess.StdoutPipe()
	must(t, err)
	must(t, sess.Shell())

	emu := vt.NewEmulator(100, 30)
	t.Cleanup(func() {
		_ = client.Close()
		if c, ok := emu.InputPipe().(io.Closer); ok {
			_ = c.Close()
		}
	})
	var mu sync.Mutex
	changed := make(chan struct{}, 1)
	go func() {
		buf := make([]byte, 32<<10)
		for {
			n, err := out.Read(buf)
			if n > 0 {
				mu.Lock()
				_, _ = emu.Write(buf[:n])
				mu.Unlock()
				select {
				case changed <- struct{}{}:
				default:
				}
			}
			if err != nil {
				return
			}
		}
	}()
	go func() { _, _ = io.Copy(stdin, emu) }()
	deadline := time.After(teamWait)
	for {
		mu.Lock()
		scr := emu.String()
		mu.Unlock()
		if strings.Contains(scr, "jane.doe (seller)") {
			if strings.Contains(scr, "4 Admin") {
				t.Fatalf("a seller sees the Admin tab:\n%s", scr)
			}
			break
		}
		select {
		case <-changed:
		case <-deadline:
			t.Fatalf("jane.doe not signed in over SSH; screen:\n%s\nserver:\n%s", scr, srv.out.String())
		}
	}
	_, _ = io.WriteString(stdin, "q")
}
