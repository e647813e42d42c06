package designer

import (
	"bytes"

	tea "charm.land/bubbletea/v2"

	"github.com/pacer-sales/pacer/engine/limits"
	"github.com/pacer-sales/pacer/engine/sequence"
)

// The draft: every edit is kept in the user's preferences as it is made, so a killed
// terminal or a dropped SSH session loses nothing; reopening the sequence offers to restore
// it. Saving or discarding clears it.

// draftKey is the preferences key of the draft of a sequence.
func draftKey(seqID string) string { return "designer-draft:" + seqID }

// draftSavedMsg reports the draft of edit number edit written (err when it could not be).
type draftSavedMsg struct {
	edit int
	err  error
}

// keepDraft writes the definition being edited as the user's draft (nothing when it is the
// stored one, which clears the draft).
func (m *Model) keepDraft() tea.Cmd {
	if m.def == nil {
		return nil
	}
	var data []byte
	if m.Dirty() {
		data = sequence.Marshal(m.def)
		if len(data) > limits.SequenceFile {
			return nil // the save will refuse it too; keep nothing rather than a cut draft
		}
	}
	eng, ctx, by, key, edit := m.c.Engine, m.c.Ctx, m.c.User.Username, draftKey(m.seq.ID.String()), m.edits
	return m.own(func() tea.Msg { return draftSavedMsg{edit: edit, err: eng.SetPrefs(ctx, by, key, data)} })
}

// offerDraft asks, on opening, whether to restore a draft left unsaved.
func (m *Model) offerDraft(data []byte) {
	if len(data) == 0 || !m.canEdit {
		return
	}
	def, err := sequence.Parse(data, "draft")
	if err != nil || bytes.Equal(sequence.Marshal(def), sequence.Marshal(m.def)) {
		return
	}
	def.AssignIDs()
	m.ask("Restore the unsaved changes to "+m.def.Name+" (kept when the page closed without saving)?",
		choice{[]string{"r", "y"}, "restore them", func(m *Model) tea.Cmd {
			m.def = def
			m.edited()
			m.setStatus("Unsaved changes restored; ctrl+s saves them")
			return nil
		}},
		choice{[]string{"d", "n", "esc"}, "discard them", func(m *Model) tea.Cmd {
			m.setStatus("Unsaved changes discarded")
			return m.keepDraft()
		}})
}
