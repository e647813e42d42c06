// Package recordpicker is the one picker of records every screen uses (the sequence page's
// Connect, the Records screen's bulk connect): a search as you type over name, email and
// id, a page of matches from the engine (never the whole list), marks with tab, and enter to
// accept the marked records (or the one under the cursor). A refused choice stays in the
// picker with its reason, so nothing chosen or typed is lost. A picker of one record
// (Single) has no marks; one offered several record types (SetTypes) changes type with
// ctrl+t.
package recordpicker

import (
	"fmt"
	"slices"
	"strings"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"github.com/pacer-sales/pacer/engine"
	"github.com/pacer-sales/pacer/engine/limits"
	"github.com/pacer-sales/pacer/ui/common"
	"github.com/pacer-sales/pacer/ui/components/dialog"
	"github.com/pacer-sales/pacer/ui/components/grid"
	"github.com/pacer-sales/pacer/ui/components/input"
)

// pageRows is how many matches a search reads.
const pageRows = 50

// LoadedMsg carries a page of matches back to the picker that asked (by its Gen).
type LoadedMsg struct {
	Picker *Model
	Gen    int
	Rows   []engine.RecordRow
	Err    error
}

// Model is the record picker. Use it through a pointer.
type Model struct {
	c      *common.Common
	entity string
	// Title heads the picker; Err is why the last choice was refused (shown until a key).
	Title, Err string
	// Single makes it choose one record: no marks, enter takes the one under the cursor.
	Single bool
	// types are the record types ctrl+t cycles through (entity is one of them).
	types []string

	input  textinput.Model
	rows   []engine.RecordRow
	cursor int
	marked []string
	gen    int
	nav    common.NavKeys
	mark   key.Binding
	kind   key.Binding
}

// New returns a picker of entity records titled title.
func New(c *common.Common, entity, title string) *Model {
	in := input.New(c.Styles)
	in.Prompt = "search: "
	in.Placeholder = "name, email or id"
	in.CharLimit = limits.Name
	in.Focus()
	return &Model{c: c, entity: entity, Title: title, input: in, nav: common.TypingNavKeys(),
		mark: key.NewBinding(key.WithKeys("tab"), key.WithHelp("tab", "mark")),
		kind: key.NewBinding(key.WithKeys("ctrl+t"), key.WithHelp("ctrl+t", "another record type"))}
}

// SetTypes offers the record types ctrl+t cycles through, starting at the picker's own
// (added first when it is not among them).
func (p *Model) SetTypes(types []string) {
	p.types = slices.Clone(types)
	if !slices.Contains(p.types, p.entity) {
		p.types = append([]string{p.entity}, p.types...)
	}
}

// Entity is the record type the picker shows.
func (p *Model) Entity() string { return p.entity }

// Init reads the first page of matches.
func (p *Model) Init() tea.Cmd { return p.load() }

// load reads the matches of the search.
func (p *Model) load() tea.Cmd {
	p.gen++
	gen, e, ctx, by, entity, q := p.gen, p.c.Engine, p.c.Ctx, p.c.User.Username, p.entity, p.input.Value()
	return func() tea.Msg {
		rows, _, err := e.RecordPage(ctx, by, entity, "", q, pageRows)
		return LoadedMsg{Picker: p, Gen: gen, Rows: rows, Err: err}
	}
}

// Chosen are the records chosen: the marked ones, else the one under the cursor.
func (p *Model) Chosen() []string {
	if len(p.marked) > 0 && !p.Single {
		return slices.Clone(p.marked)
	}
	if p.cursor < len(p.rows) {
		return []string{p.rows[p.cursor].Ref()}
	}
	return nil
}

// Update handles a key press or a page of matches; Accepted means Chosen is ready (the
// picker stays as it is until its owner closes it or sets Err).
func (p *Model) Update(msg tea.Msg) (dialog.Result, tea.Cmd) {
	switch msg := msg.(type) {
	case LoadedMsg:
		if msg.Picker == p && msg.Gen == p.gen {
			p.rows, p.cursor = msg.Rows, 0
			if msg.Err != nil {
				p.Err = msg.Err.Error()
			}
		}
		return dialog.Open, nil
	case tea.KeyPressMsg:
		switch {
		case msg.String() == "esc":
			return dialog.Cancelled, nil
		case msg.String() == "enter":
			if len(p.Chosen()) == 0 {
				p.Err = "no record matches: change the search"
				return dialog.Open, nil
			}
			return dialog.Accepted, nil
		case key.Matches(msg, p.kind) && len(p.types) > 1:
			p.entity = p.types[(slices.Index(p.types, p.entity)+1)%len(p.types)]
			p.rows, p.cursor, p.Err = nil, 0, ""
			return dialog.Open, p.load()
		case key.Matches(msg, p.mark) && !p.Single:
			if p.cursor < len(p.rows) {
				ref := p.rows[p.cursor].Ref()
				if i := slices.Index(p.marked, ref); i >= 0 {
					p.marked = slices.Delete(p.marked, i, i+1)
				} else {
					p.marked = append(p.marked, ref)
				}
				p.cursor = min(p.cursor+1, max(len(p.rows)-1, 0))
			}
			return dialog.Open, nil
		}
		if c, ok := p.nav.Move(msg, p.cursor, len(p.rows), 10); ok {
			p.cursor = c
			return dialog.Open, nil
		}
		p.Err = ""
		before := p.input.Value()
		var cmd tea.Cmd
		p.input, cmd = p.input.Update(msg)
		if p.input.Value() != before {
			return dialog.Open, tea.Batch(cmd, p.load())
		}
		return dialog.Open, cmd
	}
	var cmd tea.Cmd
	p.input, cmd = p.input.Update(msg)
	return dialog.Open, cmd
}

// Help lists the picker's keys.
func (p *Model) Help() []key.Binding {
	bs := []key.Binding{p.nav.Up, p.nav.Down}
	if !p.Single {
		bs = append(bs, p.mark)
	}
	if len(p.types) > 1 {
		bs = append(bs, p.kind)
	}
	return append(bs, key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "choose")),
		key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "cancel")))
}

// View draws the picker in a box w×h.
func (p *Model) View(st *common.Styles, w, h int) string {
	p.input.SetWidth(max(w-16, 10))
	lines := []string{p.input.View(), ""}
	if len(p.types) > 1 {
		lines = []string{p.input.View(), st.Muted.Render("record type: ") + st.Accent.Render(p.entity) + st.Muted.Render("  (ctrl+t another)"), ""}
	}
	rows := max(h-9, 1)
	first := max(0, p.cursor-rows+1)
	for i := first; i < len(p.rows) && i < first+rows; i++ {
		r := p.rows[i]
		box := "[ ] "
		switch {
		case p.Single:
			box = ""
		case slices.Contains(p.marked, r.Ref()):
			box = "[x] "
		}
		text := box + grid.Clean(r.Ref()+"  "+r.Name)
		if r.Email != "" {
			text += "  " + grid.Clean(r.Email)
		}
		if i == p.cursor {
			lines = append(lines, st.Selected.Render("› "+text))
		} else {
			lines = append(lines, "  "+st.Text.Render(text))
		}
	}
	if len(p.rows) == 0 {
		lines = append(lines, st.Muted.Render("No record matches."))
	}
	if len(p.marked) > 0 && !p.Single {
		lines = append(lines, "", st.Warning.Render(fmt.Sprintf("%d marked: %s", len(p.marked), strings.Join(p.marked, " "))))
	}
	if p.Err != "" {
		lines = append(lines, "")
		for _, l := range dialog.Wrap("✗ "+p.Err, max(w-4, 1)) {
			lines = append(lines, st.Danger.Render(l))
		}
	}
	footer := "type to search · ↑↓ move · tab mark · enter choose (the marked, else the one under ›) · esc cancel"
	if p.Single {
		footer = "type to search · ↑↓ move · enter choose · esc cancel"
	}
	if len(p.types) > 1 {
		footer = "ctrl+t record type · " + footer
	}
	return dialog.Panel(st, p.Title, strings.Join(lines, "\n"), footer, w, h)
}
