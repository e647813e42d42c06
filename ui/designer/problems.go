package designer

import (
	"fmt"
	"strings"

	"github.com/pacer-sales/pacer/engine/sequence"
)

// Problems on their rows: after every edit the draft is validated against the org as
// the page loaded it (templates, call outcomes, longest wait, the other sequences), the
// checks `v` and activation make in the engine. Each affected row carries a ! next to the
// cursor column (a mark, not a colour, so NO_COLOR shows it), the title line counts them,
// and the selected row's problems are written in full above the status line.

// problemMark is the mark of a row with problems.
const problemMark = "!"

// revalidate recomputes the problems of the tree shown, by row key.
func (m *Model) revalidate() {
	m.rowProbs, m.probCount = nil, 0
	if m.def == nil || m.old != nil {
		return
	}
	probs := sequence.Validate(m.def, m.validationEnv())
	if len(probs) == 0 {
		return
	}
	byPath := map[string]string{}
	for _, r := range m.rows {
		if r.kind == rowStep {
			byPath[r.path] = r.key()
		}
	}
	m.rowProbs = map[string][]sequence.Problem{}
	for _, p := range probs {
		k := "start" // sequence-level problems go on the start line
		switch {
		case p.StepID != "":
			k = stepKey(p.StepID)
		case byPath[p.Path] != "":
			k = byPath[p.Path]
		}
		m.rowProbs[k] = append(m.rowProbs[k], p)
	}
	m.probCount = len(probs)
}

// validationEnv is the org as validation sees it, from what the page loaded.
func (m *Model) validationEnv() sequence.Env {
	names := make(map[string]bool, len(m.env.templates))
	for _, t := range m.env.templates {
		names[t.Name] = true
	}
	env := sequence.Env{
		MaxWait:      m.env.maxWait,
		CallOutcomes: m.env.outcomes,
		Templates:    func(n string) bool { return names[n] },
		Others:       []sequence.Peer{},
	}
	for _, p := range m.peers {
		if p.ID == m.seq.ID.String() {
			continue
		}
		env.Others = append(env.Others, sequence.Peer{Name: p.Name, Entity: p.Entity, Active: p.State == "active"})
	}
	return env
}

// selectedProblems are the problems of the row under the cursor.
func (m *Model) selectedProblems() []sequence.Problem {
	if m.cursor >= len(m.rows) {
		return nil
	}
	return m.rowProbs[m.rows[m.cursor].key()]
}

// problemNote is the text of the selected row's problems, for the lines above the status.
func (m *Model) problemNote() string {
	probs := m.selectedProblems()
	if len(probs) == 0 {
		return ""
	}
	parts := make([]string, len(probs))
	for i, p := range probs {
		parts[i] = "[" + p.Code + "] " + p.Message
	}
	return problemMark + " " + strings.Join(parts, "; ")
}

// problemsBadge is the title line's count of the problems of the tree shown.
func (m *Model) problemsBadge() string {
	if m.probCount == 0 {
		return ""
	}
	if m.probCount == 1 {
		return problemMark + " 1 problem"
	}
	return fmt.Sprintf("%s %d problems", problemMark, m.probCount)
}
