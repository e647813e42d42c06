package sequence

import (
	"fmt"
	"strings"
)

// FileError is one problem found while reading a sequence file, with its position.
type FileError struct {
	File string
	Line int
	// Column is 1-based; 0 when unknown.
	Column int
	Msg    string
}

func (e FileError) Error() string {
	file := e.File
	if file == "" {
		file = "<input>"
	}
	return fmt.Sprintf("%s:%d: %s", file, e.Line, e.Msg)
}

// FileErrors is every problem found in one sequence file; Parse returns all of them at once.
type FileErrors []FileError

func (es FileErrors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// Parse reads a sequence file (SPEC §2). file names the input in error messages. On any
// problem it returns a FileErrors listing every one, each with its line.
func Parse(data []byte, file string) (*Sequence, error) {
	panic("TODO: codec")
}

// Marshal writes a sequence in the canonical file form: fixed key order, defaults omitted,
// durations in d/h/m form. Parse(Marshal(s)) gives a sequence equal to s.
func Marshal(s *Sequence) []byte {
	panic("TODO: codec")
}
