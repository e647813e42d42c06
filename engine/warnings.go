package engine

import (
	"context"
	"fmt"

	"github.com/pacer-sales/pacer/engine/sequence"
	"github.com/pacer-sales/pacer/store"
)

// Warning codes.
const (
	// WarnMergeUnfilled: a placeholder without a fallback that records of the entity lack.
	WarnMergeUnfilled = "merge_unfilled"
	// WarnNoUnsubscribe: automated emails would go out without List-Unsubscribe, the org
	// having neither tracking_url nor bounce_domain.
	WarnNoUnsubscribe = "no_unsubscribe"
)

// Warning is something about a sequence that does not stop it from being activated but
// that its author should know (seq validate, seq activate): a path and step id as a
// problem has (empty for the sequence as a whole), a code and a plain sentence.
type Warning struct {
	Path    string `json:"path,omitempty"`
	StepID  string `json:"step_id,omitempty"`
	Code    string `json:"code"`
	Message string `json:"message"`
	// Merge details a merge_unfilled warning.
	Merge *MergeWarning `json:"merge,omitempty"`
}

// FormatWarning renders a warning as one line: "steps[2] (hello): warning: sentence [code]".
func FormatWarning(w Warning) string {
	return FormatProblem(sequence.Problem{Path: w.Path, StepID: w.StepID, Message: "warning: " + w.Message, Code: w.Code})
}

// SequenceWarnings lists the warnings of def against the org as it is (SPEC §12): its
// MergeWarnings, and, when it has automated email steps and the settings give neither
// tracking_url nor bounce_domain, that its emails would carry no List-Unsubscribe. Any
// user may.
func (e *Engine) SequenceWarnings(ctx context.Context, by string, def *sequence.Sequence) ([]Warning, error) {
	merges, err := e.MergeWarnings(ctx, by, def)
	if err != nil {
		return nil, err
	}
	out := []Warning{}
	err = e.view(ctx, func(tx store.Tx) error {
		s, err := tx.Settings()
		if err != nil {
			return err
		}
		if s.TrackingURL != "" || s.BounceDomain != "" {
			return nil
		}
		def.Walk(func(path string, st *sequence.Step) bool {
			if st.Type != sequence.AutoEmail {
				return true
			}
			out = append(out, Warning{Path: path, StepID: st.ID, Code: WarnNoUnsubscribe,
				Message: "automated emails go out without List-Unsubscribe: set tracking_url (an unsubscribe link) or bounce_domain (an unsubscribe address)"})
			return false
		})
		return nil
	})
	if err != nil {
		return nil, err
	}
	entity := def.Entity
	if entity == "" {
		entity = "lead"
	}
	for i := range merges {
		m := merges[i]
		out = append(out, Warning{Path: m.Path, StepID: m.StepID, Code: WarnMergeUnfilled, Merge: &m,
			Message: fmt.Sprintf("%s of template %q has no fallback and %d of %d %s records have no value; their emails would be held as manual tasks",
				m.Placeholder, m.Template, m.Lacking, m.Records, entity)})
	}
	return out, nil
}
