package engine

import (
	"errors"
	"fmt"
	"strings"
	"time"

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

// AmbiguousEventError is the refusal of an event named by record that could belong to
// the emails of several connections; it wraps ErrAmbiguous. Its Error speaks in the
// terms of the command line (--seq, --step); Explain words it for other front ends.
type AmbiguousEventError struct {
	// Ref is the record, Kind the event, Step the step id the event was narrowed to (if any).
	Ref  string
	Kind sequence.Kind
	Step string
	// Candidates are the emails it could belong to, one per connection, by sequence.
	Candidates []EventCandidate
}

// EventCandidate is one email an ambiguous event could belong to: the latest one of a
// connection that matches.
type EventCandidate struct {
	Seq    string    `json:"seq"`
	Step   string    `json:"step"`
	SentAt time.Time `json:"sent_at"`
	// State is the connection's state (active, completed, …).
	State string `json:"state"`
}

// Error words the refusal for the command line.
func (e *AmbiguousEventError) Error() string { return e.Explain("--seq", "--step") }

// Explain words the refusal with seqField and stepField as the names of the two ways to
// say which email is meant (flags, request fields).
func (e *AmbiguousEventError) Explain(seqField, stepField string) string {
	what := "emails of several sequences"
	if e.Step != "" {
		what = fmt.Sprintf("emails of step %q in several sequences", e.Step)
	}
	list := make([]string, len(e.Candidates))
	for i, c := range e.Candidates {
		list[i] = fmt.Sprintf("%s %q (%s %s, sent %s, %s)", seqField, c.Seq, strings.TrimLeft(stepField, "-"), c.Step, c.SentAt.UTC().Format(time.RFC3339), c.State)
	}
	return fmt.Sprintf("%v: %s: %s could belong to %s; say which with %s or %s: %s",
		ErrAmbiguous, e.Ref, e.Kind, what, seqField, stepField, strings.Join(list, "; "))
}

// Unwrap makes an AmbiguousEventError an ErrAmbiguous (and so an ErrInvalid).
func (e *AmbiguousEventError) Unwrap() error { return ErrAmbiguous }
