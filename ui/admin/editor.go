package admin

import (
	"strings"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textarea"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"github.com/pacer-sales/pacer/engine"
	"github.com/pacer-sales/pacer/engine/limits"
	"github.com/pacer-sales/pacer/engine/mail"
	"github.com/pacer-sales/pacer/engine/sequence"
	"github.com/pacer-sales/pacer/ui/common"
	"github.com/pacer-sales/pacer/ui/components/dialog"
	"github.com/pacer-sales/pacer/ui/components/grid"
	"github.com/pacer-sales/pacer/ui/components/input"
	"github.com/pacer-sales/pacer/ui/components/recordpicker"
)

// The fields of the template editor, in the order the switch key moves through them.
const (
	onSubject = iota
	onBody
	onHTML
)

// editor edits one template: its subject on one line, its body and (for an email) its own
// HTML body in text areas, the placeholders it may use listed, and a preview filled from a
// chosen record.
type editor struct {
	orig    engine.Template
	subject textinput.Model
	body    textarea.Model
	// html is the email's own HTML body; empty, the HTML part is made from the body.
	html textarea.Model
	// field is the field that has the keys (onSubject, onBody, onHTML).
	field int
	// picker asks about unsaved changes on closing; nil when closed.
	picker *dialog.Picker
	// records chooses the preview's record (the shared record picker, searched as you
	// type); nil when closed.
	records *recordpicker.Model
	// preview is the last preview, previewRef its record and previewType its record type.
	preview, previewRef, previewType string
	err                              string
	// saving is set while a save runs.
	saving bool
	// readOnly marks a manager's editor: it shows and previews, never saves.
	readOnly      bool
	width, height int
}

// openEditor opens the template editor on a loaded template.
func (m *Model) openEditor(name string) tea.Cmd {
	var t engine.Template
	found := false
	for _, x := range m.data.templates {
		if x.Name == name {
			t, found = x, true
		}
	}
	if !found {
		return nil
	}
	st := m.c.Styles
	e := &editor{orig: t, readOnly: !m.admin}
	e.subject = input.New(st)
	e.subject.Prompt = "Subject: "
	e.subject.CharLimit = limits.Name
	e.subject.SetValue(t.Subject)
	e.subject.Focus()
	e.body = newArea(st, t.Body, "")
	e.html = newArea(st, t.HTML, "HTML body of its own (empty: the HTML part is made from the text)")
	e.setSize(m.width, m.height)
	m.edit = e
	return nil
}

// newArea is a text area for a template body holding text.
func newArea(st *common.Styles, text, placeholder string) textarea.Model {
	a := textarea.New()
	a.ShowLineNumbers = false
	a.CharLimit = limits.TemplateBody
	a.MaxHeight = 0
	a.Placeholder = placeholder
	a.SetStyles(areaStyles(st))
	a.SetValue(text)
	a.Blur()
	return a
}

// hasHTML reports whether the template may have an HTML body (email templates).
func (e *editor) hasHTML() bool { return e.orig.Kind != engine.SMSTemplate }

// areaStyles are the body editor's styles from the shared ones.
func areaStyles(s *common.Styles) textarea.Styles {
	st := textarea.DefaultDarkStyles()
	st.Focused.Text, st.Blurred.Text = s.Text, s.Muted
	st.Focused.Placeholder, st.Blurred.Placeholder = s.Muted, s.Muted
	st.Focused.CursorLine = s.Text
	st.Focused.Prompt, st.Blurred.Prompt = s.Muted, s.Muted
	st.Focused.EndOfBuffer, st.Blurred.EndOfBuffer = s.Muted, s.Muted
	st.Cursor.Blink = false
	return st
}

func (e *editor) setSize(w, h int) {
	e.width, e.height = w, h
	e.subject.SetWidth(max(w-12, 10))
	e.body.SetWidth(max(w-2, 10))
	e.html.SetWidth(max(w-2, 10))
	rows := max(h-14, 3)
	if e.hasHTML() {
		e.body.SetHeight(max(rows-rows/2, 3))
		e.html.SetHeight(max(rows/2, 3))
		return
	}
	e.body.SetHeight(rows)
}

// edited is the template as edited.
func (e *editor) edited() engine.Template {
	t := e.orig
	t.Subject, t.Body = e.subject.Value(), e.body.Value()
	if e.hasHTML() {
		t.HTML = e.html.Value()
	}
	return t
}

func (e *editor) dirty() bool {
	t := e.edited()
	return t.Subject != e.orig.Subject || t.Body != e.orig.Body || t.HTML != e.orig.HTML
}

// update hands a message to the focused field.
func (e *editor) update(msg tea.Msg) tea.Cmd {
	var cmd tea.Cmd
	switch e.field {
	case onBody:
		e.body, cmd = e.body.Update(msg)
	case onHTML:
		e.html, cmd = e.html.Update(msg)
	default:
		e.subject, cmd = e.subject.Update(msg)
	}
	return cmd
}

// nextField gives the keys to the next field.
func (e *editor) nextField() tea.Cmd {
	e.subject.Blur()
	e.body.Blur()
	e.html.Blur()
	e.field++
	if e.field > onHTML || (e.field == onHTML && !e.hasHTML()) {
		e.field = onSubject
	}
	switch e.field {
	case onBody:
		return e.body.Focus()
	case onHTML:
		return e.html.Focus()
	}
	return e.subject.Focus()
}

// editorKey handles a key in the template editor.
func (m *Model) editorKey(msg tea.KeyPressMsg) tea.Cmd {
	e, k := m.edit, m.keys
	if e.records != nil {
		r, cmd := e.records.Update(msg)
		switch r {
		case dialog.Accepted:
			ref := e.records.Chosen()[0]
			e.previewType, e.records = e.records.Entity(), nil
			return previewCmd(m.c, e.edited(), ref)
		case dialog.Cancelled:
			e.records = nil
		}
		return cmd
	}
	if e.picker != nil {
		switch e.picker.Update(msg) {
		case dialog.Accepted:
			it, ok := e.picker.Selected()
			e.picker = nil
			if ok && it.Value == "discard" {
				m.edit = nil
			}
		case dialog.Cancelled:
			e.picker = nil
		}
		return nil
	}
	switch {
	case key.Matches(msg, k.Close):
		if e.dirty() {
			return m.confirmClose()
		}
		m.edit = nil
		return nil
	case key.Matches(msg, k.Save):
		if e.readOnly {
			return m.readOnly()
		}
		e.err, e.saving = "", true
		ctx, eng, by, t := m.c.Ctx, m.c.Engine, m.c.User.Username, e.edited()
		return call(func() (string, error) {
			subj, body, html := t.Subject, t.Body, t.HTML
			ch := engine.TemplateChange{Subject: &subj, Body: &body}
			if t.Kind != engine.SMSTemplate {
				ch.HTML = &html
			}
			_, err := eng.SetTemplate(ctx, by, t.Name, ch)
			return "saved template " + t.Name, err
		})
	case key.Matches(msg, k.Preview):
		return e.openRecords(m.c)
	case key.Matches(msg, k.SwitchField):
		return e.nextField()
	}
	e.err = ""
	if e.readOnly {
		// A manager reads: the fields scroll and move their cursor but take no text.
		if msg.Text != "" || msg.Code == tea.KeyBackspace || msg.Code == tea.KeyDelete || msg.Code == tea.KeyEnter {
			return m.readOnly()
		}
	}
	return e.update(msg)
}

// confirmClose asks before dropping an unsaved template edit; the editor keeps the keys
// until answered, through a confirm of its own.
func (m *Model) confirmClose() tea.Cmd {
	e := m.edit
	items := []dialog.Item{
		{Label: "Keep editing", Value: "keep"},
		{Label: "Discard the changes", Value: "discard"},
	}
	e.picker = dialog.NewPicker("Template "+e.orig.Name+" has unsaved changes", items)
	return nil
}

// openRecords opens the record picker of the preview on the record type last previewed
// (leads at first); ctrl+t shows the other types.
func (e *editor) openRecords(c *common.Common) tea.Cmd {
	entity := e.previewType
	if entity == "" {
		entity = sequence.BuiltinEntities[0]
	}
	e.records = recordpicker.New(c, entity, "Preview "+e.orig.Name+" for which record?")
	e.records.Single = true
	e.records.SetTypes(sequence.BuiltinEntities)
	return e.records.Init()
}

// editorResult handles a page of the preview's record picker and a preview.
func (m *Model) editorResult(msg tea.Msg) tea.Cmd {
	e := m.edit
	switch msg := msg.(type) {
	case recordpicker.LoadedMsg:
		if e.records != nil {
			_, cmd := e.records.Update(msg)
			return cmd
		}
	case previewMsg:
		if msg.err != nil {
			e.err, e.preview = msg.err.Error(), ""
			return nil
		}
		e.previewRef = msg.ref
		p := msg.preview
		e.preview = clipLines("Subject: "+p.Subject+"\n\n"+p.Text, previewLines)
		if e.edited().HTML != "" {
			e.preview += "\n--- html ---\n" + clipLines(p.HTML, previewLines)
		}
	}
	return nil
}

// previewLines is how many lines of each part of an email the preview shows.
const previewLines = 8

// clipLines keeps the first n lines of s, marking a cut with "…".
func clipLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = append(lines[:n], "…")
	}
	return strings.Join(lines, "\n")
}

// previewCmd fills the edited template for ref.
func previewCmd(c *common.Common, t engine.Template, ref string) tea.Cmd {
	ctx, eng, by := c.Ctx, c.Engine, c.User.Username
	return func() tea.Msg {
		p, err := eng.PreviewTemplate(ctx, by, t, ref)
		return previewMsg{ref: ref, preview: p, err: err}
	}
}

// view draws the editor: the picker when open, else subject, body, placeholders, preview.
func (e *editor) view(st *common.Styles) string {
	if e.records != nil {
		return "\n" + e.records.View(st, min(e.width, 100), max(e.height-2, 3))
	}
	if e.picker != nil {
		return "\n" + e.picker.View(st, min(e.width, 100), max(e.height-2, 3))
	}
	var b strings.Builder
	title := "Template " + e.orig.Name + " (" + string(e.orig.Kind) + ")"
	if e.dirty() {
		title += " — unsaved"
	}
	if e.readOnly {
		title += " — read-only"
	}
	b.WriteString(st.Title.Render(grid.Clean(title)) + "\n")
	b.WriteString(e.subject.View() + "\n")
	b.WriteString(e.body.View() + "\n")
	if e.hasHTML() {
		b.WriteString(e.html.View() + "\n")
	}
	var phs []string
	for _, p := range mail.Known {
		phs = append(phs, p[0]+" "+p[1])
	}
	for _, l := range dialog.Wrap("Placeholders: "+strings.Join(phs, "; ")+"; a fallback: {{first_name|there}}", max(e.width, 20)) {
		b.WriteString(st.Muted.Render(l) + "\n")
	}
	if e.err != "" {
		for _, l := range dialog.Wrap("✗ "+grid.Clean(e.err), max(e.width, 20)) {
			b.WriteString(st.Danger.Render(l) + "\n")
		}
	}
	if e.preview != "" {
		b.WriteString(st.Accent.Render("Preview for "+e.previewRef) + "\n")
		for _, l := range strings.Split(e.preview, "\n") {
			b.WriteString(dialog.Fit(grid.Clean(l), e.width) + "\n")
		}
	}
	return b.String()
}
