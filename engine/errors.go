package engine

import (
	"errors"
	"fmt"
	"strings"

	"github.com/pacer-sales/pacer/engine/sequence"
)

// ErrForbidden is wrapped by every refusal of the role rules (SPEC §6).
var ErrForbidden = errors.New("not allowed")

// ErrInvalid is wrapped by errors about bad input: a malformed value, an unknown name, a
// broken rule. The message says what and where.
var ErrInvalid = errors.New("invalid input")

func forbidden(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrForbidden, fmt.Sprintf(format, args...))
}

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, args...))
}

// ProblemsError is returned when a sequence can't be activated or saved while active because
// of validation problems; it carries every one of them.
type ProblemsError struct {
	Sequence string
	Problems []sequence.Problem
}

func (e *ProblemsError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "sequence %q has %d problem(s):", e.Sequence, len(e.Problems))
	for _, p := range e.Problems {
		b.WriteString("\n  ")
		b.WriteString(FormatProblem(p))
	}
	return b.String()
}

// Unwrap makes a ProblemsError an ErrInvalid.
func (e *ProblemsError) Unwrap() error { return ErrInvalid }

// FormatProblem renders a problem as one line: "steps[2].no[1] (wait-1): sentence [code]".
func FormatProblem(p sequence.Problem) string {
	where := p.Path
	if where == "" {
		where = "sequence"
	}
	if p.StepID != "" {
		where += " (" + p.StepID + ")"
	}
	return where + ": " + p.Message + " [" + p.Code + "]"
}

// ErrAmbiguous is wrapped by the refusal of an event named by record alone that could
// belong to the emails of several sequences; it wraps ErrInvalid.
var ErrAmbiguous = fmt.Errorf("%w: ambiguous event", ErrInvalid)
