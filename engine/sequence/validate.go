package sequence

import "time"

// Problem is one validation finding (SPEC §3).
type Problem struct {
	// Path locates the step, e.g. "steps[2].no[1]"; empty for sequence-level problems.
	Path string `json:"path,omitempty"`
	// StepID is the id of the step, when the problem is about one.
	StepID string `json:"step_id,omitempty"`
	// Message is a plain sentence for the user.
	Message string `json:"message"`
	// Code is the stable rule code, e.g. "wait_last".
	Code string `json:"code"`
}

// Peer is another sequence of the org, as validation needs to see it.
type Peer struct {
	Name   string
	Entity string
	Active bool
}

// Env is what validation needs to know about the org around a sequence.
type Env struct {
	// MaxWait bounds waits and condition windows; zero means the default 30 days.
	MaxWait time.Duration
	// CallOutcomes is the org's list; nil means the default list.
	CallOutcomes []string
	// Templates reports whether a template of that name exists; nil skips the check.
	Templates func(name string) bool
	// Others are the org's other sequences (not this one); nil skips name_taken and
	// advance_target checks that need them.
	Others []Peer
	// Activating adds the active_limit check: ActiveCount other sequences are active and the
	// org allows ActiveLimit.
	Activating  bool
	ActiveCount int
	ActiveLimit int
}

// Validate checks a sequence against every rule of SPEC §3 and returns all problems, in
// document order, sequence-level ones first. An empty result means the sequence may be
// activated.
func Validate(s *Sequence, env Env) []Problem {
	panic("TODO: validate")
}
