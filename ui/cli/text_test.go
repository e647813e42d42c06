package cli

import (
	"bytes"
	"strings"
	"testing"
)

// The text writer drops C0 controls but newline and tab, DEL and C1 controls, also when a
// C1 control's two bytes arrive in two writes; other text, UTF-8 included, passes.
func TestTextWriterDropsControls(t *testing.T) {
	var b bytes.Buffer
	w := NewTextWriter(&b)
	for _, part := range []string{"Acme\x1b]52;c;eA==\x07 ", "\xc2", "\x9b31m é ", "\xc2", "\xa0ok\r\n\tend\x7f"} {
		if n, err := w.Write([]byte(part)); err != nil || n != len(part) {
			t.Fatalf("Write(%q) = %d, %v", part, n, err)
		}
	}
	if got, want := b.String(), "Acme]52;c;eA== 31m é \u00a0ok\n\tend"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if got := Cell("two\nlines\there\x1b[2J"); got != "two lines here[2J" {
		t.Errorf("Cell = %q", got)
	}
}

// A socket frame over its limit is refused before its payload is read.
func TestSocketFrameLimit(t *testing.T) {
	var b bytes.Buffer
	if err := writeFrame(&b, frameRequest, bytes.Repeat([]byte("x"), 100)); err != nil {
		t.Fatal(err)
	}
	_, _, err := readFrame(&b, 99)
	if err == nil || !strings.Contains(err.Error(), "too large: the limit is 99 bytes") {
		t.Fatalf("readFrame over the limit: %v", err)
	}
	b.Reset()
	_ = writeFrame(&b, frameStdout, []byte("hello"))
	typ, p, err := readFrame(&b, 99)
	if err != nil || typ != frameStdout || string(p) != "hello" {
		t.Fatalf("readFrame = %q %q %v", typ, p, err)
	}
}

// The log names a forwarded command by its words, never its values.
func TestCommandName(t *testing.T) {
	if got := CommandName([]string{"--db", "x.db", "--as", "ada", "record", "import", "secret.csv", "--entity", "lead"}); got != "record import" {
		t.Errorf("CommandName = %q", got)
	}
}
