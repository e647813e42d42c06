package engine

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/pacer-sales/pacer/engine/limits"
)

// FuzzReadCSV feeds the CSV reader of record import arbitrary files: it never panics, every
// bad row it reports has a line within the file, and every row it accepts is within the
// limits and free of control characters in its own fields.
func FuzzReadCSV(f *testing.F) {
	for _, seed := range []string{
		"id,name,owner\nL-1,Ana,sam\n",
		"id,name,email,notes\nL-1,\"Bo, Inc\",bo@example.com,\"two\nlines\"\n",
		"\ufeffid,name\nL-1,Caf\xe9\n",
		"id,name\nL-1,x\x1b]52;c;aGk=\a\n",
		"id,id\n1,2\n",
		"name\nno id\n",
		"id,name\n\"unterminated\n",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, file string) {
		rows, bad, err := readCSV("f.csv", strings.NewReader(file), "lead")
		if err != nil {
			return
		}
		lines := strings.Count(file, "\n") + 1
		for _, b := range bad {
			if b.Line < 1 || b.Line > lines {
				t.Fatalf("bad row at line %d of a %d-line file: %v", b.Line, lines, b)
			}
		}
		for _, r := range rows {
			if p := recordProblem(r.rec); p != nil {
				t.Fatalf("accepted row %d with problems: %v", r.line, p)
			}
			if r.rec.ID == "" || r.rec.Name == "" || !utf8.ValidString(r.rec.Name) || len(r.rec.Name) > limits.Name {
				t.Fatalf("accepted row %d: %+v", r.line, r.rec)
			}
		}
	})
}
