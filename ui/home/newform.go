package home

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	tea "charm.land/bubbletea/v2"
	"charm.land/huh/v2"

	"github.com/pacer-sales/pacer/engine/sequence"
	"github.com/pacer-sales/pacer/ui/common"
	"github.com/pacer-sales/pacer/ui/components/form"
)

// builtinEntities are the record types offered first when creating a sequence.
var builtinEntities = []string{"lead", "opportunity", "account", "contact"}

// newForm is the new-sequence dialog: first where to start from (a built-in template or
// blank), then the name, description and record type.
type newForm struct {
	stage int // 1: template, 2: details
	form  *huh.Form
	width int
	st    *common.Styles

	template           string
	name, desc, entity string

	// taken holds the existing names, folded, so the name is checked as it is typed.
	taken    map[string]bool
	entities []string
}

// openForm starts the new-sequence dialog.
func (m *Model) openForm() tea.Cmd {
	nf := &newForm{stage: 1, width: m.panelWidth() - 4, st: m.st, taken: map[string]bool{}, entities: slices.Clone(builtinEntities)}
	if m.set != nil {
		for i := range m.set.rows {
			r := &m.set.rows[i]
			nf.taken[strings.ToLower(strings.TrimSpace(r.Name))] = true
			if !slices.Contains(nf.entities, r.Entity) && r.Entity != "" {
				nf.entities = append(nf.entities, r.Entity)
			}
		}
	}
	nf.build()
	m.form = nf
	m.mode = modeForm
	return nf.form.Init()
}

// build makes the huh form of the current stage.
func (nf *newForm) build() {
	var group *huh.Group
	if nf.stage == 1 {
		opts := []huh.Option[string]{huh.NewOption("Blank sequence (lead)", "")}
		for _, t := range sequence.Templates() {
			opts = append(opts, huh.NewOption(fmt.Sprintf("%s (%s)", t.Name, t.Entity), t.Key))
		}
		group = huh.NewGroup(huh.NewSelect[string]().
			Title("Start from a built-in template, or blank").
			DescriptionFunc(nf.templateDescription, &nf.template).
			Options(opts...).
			Value(&nf.template).
			Height(len(opts) + 4))
	} else {
		opts := make([]huh.Option[string], len(nf.entities))
		for i, e := range nf.entities {
			label := e
			if slices.Contains(builtinEntities, e) {
				label = strings.ToUpper(e[:1]) + e[1:]
			}
			opts[i] = huh.NewOption(label, e)
		}
		placeholder := "e.g. Spring webinar follow-up"
		if t, ok := sequence.TemplateByKey(nf.template); ok {
			placeholder = "e.g. " + t.Name
		}
		group = huh.NewGroup(
			huh.NewInput().Title("Name").Placeholder(placeholder).Value(&nf.name).Validate(nf.checkName),
			huh.NewInput().Title("Description").Value(&nf.desc),
			huh.NewSelect[string]().Title("Record type").Options(opts...).Value(&nf.entity).Height(len(opts)+2),
		)
	}
	f := huh.NewForm(group).WithKeyMap(form.Keys()).WithTheme(form.Theme(nf.st)).WithShowHelp(true).WithWidth(nf.width)
	f.SubmitCmd = func() tea.Msg { return formMsg{form: nf} }
	f.CancelCmd = func() tea.Msg { return formMsg{form: nf, aborted: true} }
	nf.form = f
}

// templateDescription describes the highlighted choice of the first stage.
func (nf *newForm) templateDescription() string {
	if t, ok := sequence.TemplateByKey(nf.template); ok && nf.template != "" {
		return t.Description
	}
	return "No steps yet: add them in the designer."
}

func (nf *newForm) checkName(s string) error {
	s = strings.TrimSpace(s)
	if s == "" {
		return errors.New("a sequence needs a name")
	}
	if nf.taken[strings.ToLower(s)] {
		return fmt.Errorf("a sequence named %q already exists", s)
	}
	return nil
}

func (nf *newForm) setWidth(w int) {
	nf.width = max(w-4, 20)
	nf.form = nf.form.WithWidth(nf.width)
}

func (nf *newForm) update(msg tea.Msg) tea.Cmd {
	f, cmd := nf.form.Update(msg)
	if f, ok := f.(*huh.Form); ok {
		nf.form = f
	}
	return cmd
}

func (nf *newForm) view() string { return nf.form.View() }

// formDone moves the dialog on when a stage is submitted, or closes it.
func (m *Model) formDone(msg formMsg) tea.Cmd {
	nf := m.form
	if nf == nil || msg.form != nf {
		return nil
	}
	if msg.aborted {
		m.form, m.mode = nil, modeGrid
		return nil
	}
	if nf.stage == 1 {
		nf.stage = 2
		nf.entity = "lead"
		if t, ok := sequence.TemplateByKey(nf.template); ok && nf.template != "" {
			nf.desc, nf.entity = t.Description, t.Entity
		}
		if !slices.Contains(nf.entities, nf.entity) {
			nf.entities = append(nf.entities, nf.entity)
		}
		nf.build()
		return nf.form.Init()
	}
	m.form, m.mode = nil, modeGrid
	return newSequenceCmd(m.c, nf.template, nf.name, nf.desc, nf.entity)
}
