package engine

import (
	"context"
	"sort"
	"strings"

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

// TemplateChange is a change to an existing template: the fields that are set change.
type TemplateChange struct {
	Subject, Body *string
}

// SetTemplate changes an existing template's subject or body. Admins and managers may.
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
