package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/charmbracelet/x/vt"
	gossh "golang.org/x/crypto/ssh"

	"github.com/pacer-sales/pacer/internal/ptytest"
)

// TestE2EAdminFilterConnectAddUserSSH: as the admin, in one run of the screens, the Records
// tab filters the leads by owner (the 50 leads of a new seller among the sample org's),
// marks all that pass and connects those 50 to a sequence after the preview; then the Admin
// tab adds a user and pastes their public key; then, with pacer serve in a child process,
// that user signs in over SSH with the key and the screens greet them by name.
func TestE2EAdminFilterConnectAddUserSSH(t *testing.T) {
	bin := pacerBin(t)
	db := demoDBFile(t, bin)
	pacer := adminCLI(t, bin, db)
	// aaron.ash sorts first among the owners the filter offers.
	pacer("user", "add", "aaron.ash", "--role", "seller", "--email", "aaron@example.com")
	var csv strings.Builder
	csv.WriteString("id,name,owner,email\n")
	for i := 1; i <= 50; i++ {
		fmt.Fprintf(&csv, "W-%02d,Webinar Guest %02d,aaron.ash,guest%02d@example.com\n", i, i, i)
	}
	file := filepath.Join(t.TempDir(), "webinar.csv")
	must(t, os.WriteFile(file, []byte(csv.String()), 0o600))
	pacer("record", "import", file, "--entity", "lead")
	const seq = "High-volume outbound prospecting"
	if n := strings.Count(pacer("seq", "show", seq), "lead/W-"); n != 0 {
		t.Fatalf("%d webinar leads in the sequence before the bulk connect", n)
	}
	jane := newSSHUser(t, "jane@laptop")

	term := ptytest.Start(t, bin, []string{"--db", db, "--now", e2eNow}, ptytest.Options{Width: 120, Height: 30})
	term.WaitFor("[1 Sequences]", e2eWait)
	term.Send("3")
	term.WaitFor("sorted by Id, ascending", e2eWait)
	term.Send("l", "l", "f") // Id, Name, Owner
	term.WaitFor("Show the records owned by any checked", e2eWait)
	term.WaitFor("aaron.ash", e2eWait)
	term.Send("j", " ", ptytest.Enter)
	scr := term.WaitFor("filters: Owner = aaron.ash", e2eWait)
	if strings.Contains(scr, "L-10") {
		t.Fatalf("the filter shows a sample lead:\n%s", scr)
	}
	term.Send("*")
	term.WaitFor("50 marked", e2eWait)
	term.Send("C")
	term.WaitFor("Connect 50 marked record(s) to", e2eWait)
	term.WaitFor(seq, e2eWait)
	term.Send(ptytest.Enter)
	scr = term.WaitFor("Connect 50 record(s) to "+seq+"?", e2eWait)
	if strings.Contains(scr, "left out") {
		t.Fatalf("the preview leaves out records none of which is connected:\n%s", scr)
	}
	term.Send("y")
	term.WaitFor("✓ Connected", e2eWait)

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
	if n := strings.Count(pacer("seq", "show", seq), "lead/W-"); n != 50 {
		t.Fatalf("%d webinar leads in the sequence after the bulk connect, want 50", n)
	}

	srv := startServer(t, db)
	scr = sshScreen(t, srv, jane.signer, "jane.doe (seller)")
	if strings.Contains(scr, "4 Admin") {
		t.Fatalf("a seller sees the Admin tab:\n%s", scr)
	}
}

// sshScreen signs in to srv over SSH with signer in a 100×30 terminal and returns the
// screen once it shows want; it fails the test if it never does.
func sshScreen(t *testing.T, srv *server, signer gossh.Signer, want string) string {
	t.Helper()
	client, err := gossh.Dial("tcp", srv.sshAddr, &gossh.ClientConfig{
		User: "anyone", Auth: []gossh.AuthMethod{gossh.PublicKeys(signer)},
		HostKeyCallback: gossh.InsecureIgnoreHostKey(), Timeout: teamWait,
	})
	must(t, err)
	sess, err := client.NewSession()
	must(t, err)
	must(t, sess.RequestPty("xterm-256color", 30, 100, gossh.TerminalModes{}))
	stdin, err := sess.StdinPipe()
	must(t, err)
	out, err := sess.StdoutPipe()
	must(t, err)
	must(t, sess.Shell())

	emu := vt.NewEmulator(100, 30)
	t.Cleanup(func() {
		_, _ = io.WriteString(stdin, "q")
		_ = sess.Close()
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
		if strings.Contains(scr, want) {
			return scr
		}
		select {
		case <-changed:
		case <-deadline:
			t.Fatalf("%q never shown over SSH; screen:\n%s\nserver:\n%s", want, scr, srv.out.String())
		}
	}
}
