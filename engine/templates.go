package engine

import (
	"context"
	"sort"
	"strings"

	"github.com/pacer-sales/pacer/engine/mail"
	"github.com/pacer-sales/pacer/engine/sequence"
	"github.com/pacer-sales/pacer/store"
)

// Template returns one template. Any user may.
func (e *Engine) Template(ctx context.Context, by, name string) (Template, error) {
	var t Template
	err := e.view(ctx, func(tx store.Tx) (err error) {
		if _, err = actor(tx, by); err != nil {
			return err
		}
		t, err = tx.Template(name)
		return notFound(err, "there is no template %q", name)
	})
	return t, err
}

// TemplateChange is a change to an existing template: the fields that are set change. An
// empty HTML drops the template's own HTML body.
type TemplateChange struct {
	Subject, Body, HTML *string
}

// SetTemplate changes an existing template's subject, body or HTML body. Admins and
// managers may.
func (e *Engine) SetTemplate(ctx context.Context, by, name string, ch TemplateChange) (Template, error) {
	t, err := e.Template(ctx, by, name)
	if err != nil {
		return Template{}, err
	}
	if ch.Subject != nil {
		t.Subject = *ch.Subject
	}
	if ch.Body != nil {
		t.Body = *ch.Body
	}
	if ch.HTML != nil {
		t.HTML = *ch.HTML
	}
	return t, e.AddTemplate(ctx, by, t)
}

// RemoveTemplate removes a template. Admins and managers may; a template that an active
// sequence's steps use is refused, naming the sequences.
func (e *Engine) RemoveTemplate(ctx context.Context, by, name string) error {
	return e.update(ctx, func(tx store.Tx) error {
		if _, err := requireManager(tx, by, "manage templates"); err != nil {
			return err
		}
		if _, err := tx.Template(name); err != nil {
			return notFound(err, "there is no template %q", name)
		}
		users, err := templateUsers(tx, name)
		if err != nil {
			return err
		}
		if len(users) > 0 {
			return invalid("template %q is used by the active sequence(s) %s; deactivate them or change their steps first", name, strings.Join(users, ", "))
		}
		return tx.DeleteTemplate(name)
	})
}

// templateUsers names the active sequences whose published version or working definition
// has a step using the template.
func templateUsers(tx store.Tx, name string) ([]string, error) {
	seqs, err := tx.Sequences()
	if err != nil {
		return nil, err
	}
	var out []string
	for _, s := range seqs {
		if s.State != store.Active {
			continue
		}
		full, err := tx.Sequence(s.ID)
		if err != nil {
			return nil, err
		}
		defs := [][]byte{full.Definition}
		if s.Version > 0 {
			v, err := tx.Version(s.ID, s.Version)
			if err != nil {
				return nil, err
			}
			defs = append(defs, v.Definition)
		}
		if usesTemplate(defs, name) {
			out = append(out, "\""+s.Name+"\"")
		}
	}
	sort.Strings(out)
	return out, nil
}

// usesTemplate reports whether a step of any definition names the template.
func usesTemplate(defs [][]byte, name string) bool {
	for _, d := range defs {
		def, err := sequence.Parse(d, "")
		if err != nil {
			continue
		}
		used := false
		def.Walk(func(_ string, st *sequence.Step) bool {
			if st.Template == name {
				used = true
			}
			return !used
		})
		if used {
			return true
		}
	}
	return false
}

// RemoveSegment removes a segment. Managers and admins may.
func (e *Engine) RemoveSegment(ctx context.Context, by, name string) error {
	return e.update(ctx, func(tx store.Tx) error {
		if _, err := requireManager(tx, by, "manage segments"); err != nil {
			return err
		}
		if _, err := tx.Segment(name); err != nil {
			return notFound(err, "there is no segment %q", name)
		}
		return tx.DeleteSegment(name)
	})
}

// Preview is a template filled in for one record as an automated email would go out.
type Preview struct {
	Template string `json:"template"`
	Record   string `json:"record"`
	To       string `json:"to"`
	Subject  string `json:"subject"`
	Text     string `json:"text"`
	HTML     string `json:"html"`
	// Missing lists the placeholders the record has no value for and the template no
	// fallback: an automated email with any is held, not sent.
	Missing []string `json:"missing,omitempty"`
	// Suppressed says why the record's address gets no automated email, if it does not.
	Suppressed string `json:"suppressed,omitempty"`
}

// PreviewTemplate fills a template in for the record ref, as its automated email would go
// out now: both parts (the HTML from the template's own HTML body when it has one), with the
// org's tracking when tracking_url is set (the links of a preview point at no message). t
// is the template as edited, saved or not; a t with a name and no body is the stored
// template of that name. Anyone who may act on the record may; a placeholder problem is the
// error, naming the part and line.
func (e *Engine) PreviewTemplate(ctx context.Context, by string, t store.Template, ref string) (Preview, error) {
	var p Preview
	err := e.view(ctx, func(tx store.Tx) error {
		_, rec, err := e.ownedRecord(tx, by, ref, "preview emails to")
		if err != nil {
			return err
		}
		if name := t.Name; t.Body == "" && t.HTML == "" {
			if t, err = tx.Template(name); err != nil {
				return notFound(err, "there is no template %q", name)
			}
		}
		c, err := mail.Compile(t)
		if err != nil {
			return invalid("%v", err)
		}
		s, err := tx.Settings()
		if err != nil {
			return err
		}
		r := c.Fill(rec, ownerFor(tx, rec, ""))
		parts := mail.Compose(r.Body, r.HTML, unsubscribing(s, "<preview@pacer>"))
		p = Preview{Template: t.Name, Record: rec.Ref(), To: rec.Email, Subject: r.Subject, Text: parts.Text, HTML: parts.HTML, Missing: r.Missing}
		p.Suppressed, err = suppressed(tx, rec.Email)
		return err
	})
	return p, err
}

// MergeWarning is a placeholder of an automated email step that has no fallback and that
// some records of the sequence's entity have no value for: their emails would be held.
type MergeWarning struct {
	Path        string `json:"path"`
	StepID      string `json:"step_id"`
	Template    string `json:"template"`
	Placeholder string `json:"placeholder"`
	// Lacking counts the records of the entity without a value, of Records.
	Lacking int `json:"lacking"`
	Records int `json:"records"`
}

// MergeWarnings lists, for each automated email step of def, the placeholders of its
// template without a fallback that records of def's entity lack (SPEC §12): those records'
// emails would become manual tasks. It reads every record of the entity once. Any user may.
func (e *Engine) MergeWarnings(ctx context.Context, by string, def *sequence.Sequence) ([]MergeWarning, error) {
	out := []MergeWarning{}
	err := e.view(ctx, func(tx store.Tx) error {
		if _, err := actor(tx, by); err != nil {
			return err
		}
		type check struct {
			w MergeWarning
			c *mail.Compiled
		}
		var checks []*check
		def.Walk(func(path string, s *sequence.Step) bool {
			if s.Type != sequence.AutoEmail || s.Template == "" {
				return true
			}
			t, err := tx.Template(s.Template)
			if err != nil {
				return true // template_missing says so
			}
			for _, ph := range mail.Unfallbacked(t) {
				c, err := mail.Compile(store.Template{Name: t.Name, Body: ph})
				if err != nil {
					continue
				}
				checks = append(checks, &check{w: MergeWarning{Path: path, StepID: s.ID, Template: t.Name, Placeholder: ph}, c: c})
			}
			return true
		})
		if len(checks) == 0 {
			return nil
		}
		entity := def.Entity
		if entity == "" {
			entity = "lead"
		}
		if err := tx.Records(entity, func(r store.Record) bool {
			var owner store.User
			if owners, err := ownerUsers(tx, r); err == nil && len(owners) > 0 {
				owner, _ = tx.User(owners[0])
			}
			for _, ch := range checks {
				ch.w.Records++
				if len(ch.c.Fill(r, owner).Missing) > 0 {
					ch.w.Lacking++
				}
			}
			return true
		}); err != nil {
			return err
		}
		for _, ch := range checks {
			if ch.w.Lacking > 0 {
				out = append(out, ch.w)
			}
		}
		return nil
	})
	return out, err
}
