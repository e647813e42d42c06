package designer

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/pacer-sales/pacer/engine"
	"github.com/pacer-sales/pacer/engine/sequence"
	"github.com/pacer-sales/pacer/ui/common"
	"github.com/pacer-sales/pacer/ui/components/dialog"
	"github.com/pacer-sales/pacer/ui/components/grid"
)

// Version history: H lists the sequence's published versions (number, who, when, note);
// choosing one shows it in the tree, read only, until esc returns to the draft as it was
// left (unsaved edits included). A step of an old version can be copied (c) and pasted into
// the draft.

// versionInfo is one published version of the sequence.
type versionInfo struct {
	n    int
	by   string
	at   time.Time
	note string
	def  []byte
}

// versionsOf takes the versions of a loaded sequence, newest first.
func versionsOf(d engine.SequenceDetail) []versionInfo {
	out := make([]versionInfo, 0, len(d.Versions))
	for _, v := range d.Versions {
		out = append(out, versionInfo{n: v.N, by: v.By, at: v.PublishedAt, note: v.Note, def: v.Definition})
	}
	slices.SortFunc(out, func(a, b versionInfo) int { return b.n - a.n })
	return out
}

// oldVersion is an old version shown in the tree, with the draft's view to return to.
type oldVersion struct {
	info versionInfo
	// The draft's tree and cursor, restored on esc.
	def            *sequence.Sequence
	rows           []row
	cursor, offset int
}

// when writes a time in the user's zone, labelled.
func (m *Model) when(t time.Time) string {
	loc := m.c.Location()
	return t.In(loc).Format("2006-01-02 15:04") + " " + common.ZoneLabel(loc, t)
}

// openVersions lists the versions (H).
func (m *Model) openVersions() {
	if !m.isLoaded() {
		return
	}
	if len(m.versions) == 0 {
		m.setStatus(m.seq.Name + " has no published version yet: activating it publishes version 1")
		return
	}
	items := make([]dialog.Item, len(m.versions))
	for i, v := range m.versions {
		hint := "by " + grid.Clean(v.by) + " · " + m.when(v.at)
		if v.note != "" {
			hint += " · " + grid.Clean(v.note)
		}
		label := "Version " + strconv.Itoa(v.n)
		if v.n == m.seq.Version {
			label += " (live)"
		}
		current := v.n == m.seq.Version
		if m.old != nil {
			current = v.n == m.old.info.n
		}
		items[i] = dialog.Item{Label: label, Hint: hint, Value: strconv.Itoa(i), Current: current}
	}
	m.picker = dialog.NewPicker(fmt.Sprintf("Versions of %s (%d): enter shows one, read only", m.seq.Name, len(m.versions)), items)
	m.mode = modeVersions
}

// versionsKey handles the version list's keys.
func (m *Model) versionsKey(msg tea.KeyPressMsg) tea.Cmd {
	switch m.picker.Update(msg) {
	case dialog.Cancelled:
		m.mode = modeNormal
	case dialog.Accepted:
		m.mode = modeNormal
		it, _ := m.picker.Selected()
		i, _ := strconv.Atoi(it.Value)
		m.showVersion(m.versions[i])
	}
	return nil
}

// showVersion puts an old version in the tree, read only.
func (m *Model) showVersion(v versionInfo) {
	def, err := sequence.Parse(v.def, fmt.Sprintf("version %d", v.n))
	if err != nil {
		m.fail(fmt.Errorf("version %d can't be shown: %w", v.n, err))
		return
	}
	def.AssignIDs()
	if m.old == nil {
		m.old = &oldVersion{def: m.def, rows: m.rows, cursor: m.cursor, offset: m.offset}
	}
	m.old.info = v
	m.def, m.rows, m.cursor, m.offset = def, buildRows(def), 0, 0
	m.revalidate()
	m.tab = tabDesigner
	what := fmt.Sprintf("Version %d by %s, %s", v.n, grid.Clean(v.by), m.when(v.at))
	if v.note != "" {
		what += ": " + grid.Clean(v.note)
	}
	m.setStatus(what)
}

// closeVersion returns from an old version to the draft as it was left.
func (m *Model) closeVersion() tea.Cmd {
	o := m.old
	m.old = nil
	m.def, m.rows, m.cursor, m.offset = o.def, o.rows, o.cursor, o.offset
	m.rebuild()
	m.setStatus("Back to the draft")
	if !m.Dirty() {
		return m.loadCmd() // what changed while the old version was shown
	}
	return nil
}

// versionTitle says who published the old version shown, when, and its note.
func (m *Model) versionTitle() string {
	v := m.old.info
	parts := []string{"by " + grid.Clean(v.by), m.when(v.at)}
	if v.note != "" {
		parts = append(parts, "“"+grid.Clean(v.note)+"”")
	}
	return strings.Join(parts, " · ")
}
