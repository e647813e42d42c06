package cli

import (
	"io"
	"strings"

	"github.com/pacer-sales/pacer/ui/components/grid"
)

// textWriter passes text to a terminal without its control characters: every C0 control
// but newline and tab (ESC, BEL, CR, backspace…), DEL and the C1 controls U+0080–U+009F
// are dropped, so no value a user typed — a record name, a step name, a field — can reach
// another user's terminal as an escape sequence (OSC 52, a title change, a screen clear).
// Every text printer of the command line writes through one.
type textWriter struct {
	w io.Writer
	// lead is a 0xC2 byte held back from the end of the last write: it starts a C1 control
	// when the next byte is 0x80–0x9F.
	lead bool
	buf  []byte
}

// NewTextWriter returns a writer that drops terminal control characters from what it
// passes on to w (see textWriter).
func NewTextWriter(w io.Writer) io.Writer {
	if w == nil {
		return io.Discard
	}
	return &textWriter{w: w}
}

func (t *textWriter) Write(p []byte) (int, error) {
	t.buf = t.buf[:0]
	for _, c := range p {
		if t.lead {
			t.lead = false
			if c >= 0x80 && c <= 0x9f {
				continue // a C1 control (U+0080–U+009F): drop both bytes
			}
			t.buf = append(t.buf, 0xc2)
		}
		switch {
		case c == 0xc2:
			t.lead = true
		case c == '\n' || c == '\t':
			t.buf = append(t.buf, c)
		case c < 0x20 || c == 0x7f:
		default:
			t.buf = append(t.buf, c)
		}
	}
	if _, err := t.w.Write(t.buf); err != nil {
		return 0, err
	}
	return len(p), nil
}

// textOnly strips terminal controls from one message, as textWriter does.
func textOnly(s string) string {
	var b strings.Builder
	_, _ = NewTextWriter(&b).Write([]byte(s))
	return b.String()
}

// Cell makes a value fit one table cell: line breaks and tabs become spaces and control
// characters are dropped (grid.Clean, as the screens do).
func Cell(s string) string { return grid.Clean(s) }
