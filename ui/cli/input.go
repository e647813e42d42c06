package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/pacer-sales/pacer/engine/limits"
)

// errRemoteFile refuses a file argument of a command run over SSH.
func errRemoteFile(flag, name string) error {
	return fmt.Errorf("%s%s: over SSH a command reads and writes no files of the server; give - and send the file on standard input (or take the output from standard output)", flag, name)
}

// path resolves a file name given to a command: relative to the command's directory, and
// refused over SSH.
func (a *App) path(flag, name string) (string, error) {
	if a.env.Remote {
		return "", errRemoteFile(flag, name)
	}
	if a.env.Dir != "" && !filepath.IsAbs(name) {
		name = filepath.Join(a.env.Dir, name)
	}
	return name, nil
}

// readInput reads a whole input file, "-" meaning standard input, refusing one over limit
// bytes before reading more than the limit: the error names the file and the limit.
func (a *App) readInput(flag, name string, limit int) ([]byte, error) {
	label := flag + name
	if name == "-" {
		label = flag + "standard input"
		return readLimited(a.stdin, label, limit)
	}
	p, err := a.path(flag, name)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(p)
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			return nil, fmt.Errorf("%s: %v", label, pe.Err)
		}
		return nil, err
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil {
		if st.IsDir() {
			return nil, fmt.Errorf("%s: is a directory, not a file", label)
		}
		if st.Mode().IsRegular() && st.Size() > int64(limit) {
			return nil, limits.TooLarge(label, limit, "bytes")
		}
	}
	return readLimited(f, label, limit)
}

// readLimited reads r to its end, refusing it once it passes limit bytes.
func readLimited(r io.Reader, label string, limit int) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, int64(limit)+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", label, err)
	}
	if len(data) > limit {
		return nil, limits.TooLarge(label, limit, "bytes")
	}
	return data, nil
}
