package engine

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/pacer-sales/pacer/engine/flow"
	"github.com/pacer-sales/pacer/engine/limits"
	"github.com/pacer-sales/pacer/engine/sequence"
	"github.com/pacer-sales/pacer/store"
)

// SequenceDetail is one sequence with its parsed working definition and its published versions.
type SequenceDetail struct {
	store.Sequence
	Def      *sequence.Sequence
	Versions []store.Version
}

// Sequence returns a sequence by name (ignoring case). Any user may view sequences.
func (e *Engine) Sequence(ctx context.Context, by, name string) (SequenceDetail, error) {
	var d SequenceDetail
	err := e.view(ctx, func(tx store.Tx) error {
		if _, err := actor(tx, by); err != nil {
			return err
		}
		s, err := findSequence(tx, name)
		if err != nil {
			return err
		}
		d, err = detail(tx, s)
		return err
	})
	return d, err
}

func detail(tx store.Tx, s store.Sequence) (SequenceDetail, error) {
	def, err := sequence.Parse(s.Definition, s.Name)
	if err != nil {
		return SequenceDetail{}, fmt.Errorf("sequence %q: stored definition: %w", s.Name, err)
	}
	vs, err := tx.Versions(s.ID)
	if err != nil {
		return SequenceDetail{}, err
	}
	return SequenceDetail{Sequence: s, Def: def, Versions: vs}, nil
}

func findSequence(tx store.Tx, name string) (store.Sequence, error) {
	s, err := tx.SequenceByName(strings.TrimSpace(name))
	return s, notFound(err, "there is no sequence %q", name)
}

// Export returns the sequence file of a sequence's working definition.
func (e *Engine) Export(ctx context.Context, by, name string) ([]byte, error) {
	d, err := e.Sequence(ctx, by, name)
	if err != nil {
		return nil, err
	}
	return sequence.Marshal(d.Def), nil
}

// env builds the validation environment of a sequence from the org around it. self is the
// stored sequence being checked (zero for a new one).
func env(tx store.Tx, self store.ID, activating bool) (sequence.Env, error) {
	set, err := tx.Settings()
	if err != nil {
		return sequence.Env{}, err
	}
	tmpls, err := tx.Templates()
	if err != nil {
		return sequence.Env{}, err
	}
	names := make(map[string]bool, len(tmpls))
	for _, t := range tmpls {
		names[t.Name] = true
	}
	seqs, err := tx.Sequences()
	if err != nil {
		return sequence.Env{}, err
	}
	ev := sequence.Env{
		MaxWait:      set.MaxWait,
		CallOutcomes: set.CallOutcomes,
		Templates:    func(n string) bool { return names[n] },
		Others:       []sequence.Peer{},
		Activating:   activating,
		ActiveLimit:  set.ActiveLimit,
	}
	for _, s := range seqs {
		if s.ID == self {
			continue
		}
		ev.Others = append(ev.Others, sequence.Peer{Name: s.Name, Entity: s.Entity, Active: s.State == store.Active})
		if s.State == store.Active {
			ev.ActiveCount++
		}
	}
	return ev, nil
}

// Validate checks a definition against the org as it is now (templates, other sequences,
// settings). existing names the stored sequence it would replace, if any.
func (e *Engine) Validate(ctx context.Context, by string, def *sequence.Sequence, existing string) ([]sequence.Problem, error) {
	var probs []sequence.Problem
	err := e.view(ctx, func(tx store.Tx) error {
		if _, err := actor(tx, by); err != nil {
			return err
		}
		var self store.ID
		if existing != "" {
			if s, err := tx.SequenceByName(existing); err == nil {
				self = s.ID
			}
		}
		ev, err := env(tx, self, false)
		if err != nil {
			return err
		}
		probs = sequence.Validate(def, ev)
		return nil
	})
	return probs, err
}

// SaveOptions are the choices of a save.
type SaveOptions struct {
	// Activate activates the sequence after saving it.
	Activate bool
	// Note describes the change; kept with the new version of an active sequence.
	Note string
}

// CreateSequence stores a new draft sequence owned by the acting user. Any user may create
// sequences; the name must be free.
func (e *Engine) CreateSequence(ctx context.Context, by string, def *sequence.Sequence) (store.Sequence, error) {
	var out store.Sequence
	err := e.update(ctx, func(tx store.Tx) error {
		u, err := actor(tx, by)
		if err != nil {
			return err
		}
		if _, err := tx.SequenceByName(def.Name); err == nil {
			return invalid("a sequence named %q already exists", def.Name)
		}
		out, err = e.save(tx, u, store.Sequence{Owner: u.Username, State: store.Draft}, def, SaveOptions{})
		return err
	})
	return out, err
}

// ImportSequence stores a definition read from a file: it updates the sequence of the same
// name (ignoring case) or creates a new draft owned by the acting user, then activates it when
// asked. Saving an active sequence publishes a new version.
func (e *Engine) ImportSequence(ctx context.Context, by string, def *sequence.Sequence, opt SaveOptions) (store.Sequence, error) {
	var out store.Sequence
	err := e.update(ctx, func(tx store.Tx) error {
		u, err := actor(tx, by)
		if err != nil {
			return err
		}
		cur, err := tx.SequenceByName(strings.TrimSpace(def.Name))
		switch {
		case errors.Is(err, store.ErrNotFound):
			cur = store.Sequence{Owner: u.Username, State: store.Draft}
		case err != nil:
			return err
		}
		out, err = e.save(tx, u, cur, def, opt)
		return err
	})
	return out, err
}

// SaveSequence stores a new working definition for the sequence with the given id (the
// designer's save; the definition may rename it).
func (e *Engine) SaveSequence(ctx context.Context, by string, id store.ID, def *sequence.Sequence, opt SaveOptions) (store.Sequence, error) {
	var out store.Sequence
	err := e.update(ctx, func(tx store.Tx) error {
		u, err := actor(tx, by)
		if err != nil {
			return err
		}
		cur, err := tx.Sequence(id)
		if err := notFound(err, "the sequence no longer exists"); err != nil {
			return err
		}
		out, err = e.save(tx, u, cur, def, opt)
		return err
	})
	return out, err
}

// save applies the lifecycle rules of SPEC §3 to a stored sequence receiving a definition.
func (e *Engine) save(tx store.Tx, u store.User, cur store.Sequence, def *sequence.Sequence, opt SaveOptions) (store.Sequence, error) {
	if cur.ID != (store.ID{}) {
		if err := canManageSequence(u, cur); err != nil {
			return cur, err
		}
	}
	def.Name = strings.TrimSpace(def.Name)
	if def.Name == "" {
		return cur, invalid("a sequence needs a name")
	}
	if other, err := tx.SequenceByName(def.Name); err == nil && other.ID != cur.ID {
		return cur, invalid("a sequence named %q already exists", other.Name)
	}
	def.AssignIDs()
	// The limits hold for drafts too: what is stored must be readable and shown safely.
	if probs := sequence.CheckSizes(def); len(probs) > 0 {
		return cur, &ProblemsError{Sequence: clip(def.Name, limits.Name), Problems: probs}
	}
	data := sequence.Marshal(def)
	if len(data) > limits.SequenceFile {
		return cur, fmt.Errorf("%w: sequence %q: %w", ErrInvalid, def.Name,
			limits.TooLarge(fmt.Sprintf("its file (%d bytes)", len(data)), limits.SequenceFile, "bytes"))
	}
	var latest *store.Version
	if cur.Version > 0 {
		v, err := tx.Version(cur.ID, cur.Version)
		if err != nil {
			return cur, err
		}
		latest = &v
		if cur.State == store.Active {
			old, err := sequence.Parse(v.Definition, cur.Name)
			if err != nil {
				return cur, err
			}
			if !sameAssign(old.Assign, def.Assign) {
				return cur, invalid("sequence %q: deactivate the sequence before assigning it (assignment can't change while it is active)", cur.Name)
			}
		}
	}
	now := e.clock.Now()
	renamed := cur.ID != (store.ID{}) && cur.Name != def.Name
	cur.Name, cur.Description, cur.Entity = def.Name, def.Description, def.RecordType()
	cur.Tags, cur.Steps, cur.Definition = def.Tags, def.CountSteps(), data
	cur.ModifiedAt = now
	if cur.CreatedAt.IsZero() {
		cur.CreatedAt = now
	}
	activate := opt.Activate || cur.State == store.Active
	if activate {
		ev, err := env(tx, cur.ID, cur.State != store.Active)
		if err != nil {
			return cur, err
		}
		if probs := sequence.Validate(def, ev); len(probs) > 0 {
			return cur, &ProblemsError{Sequence: def.Name, Problems: probs}
		}
	}
	saved, err := tx.PutSequence(cur)
	if err != nil {
		return cur, err
	}
	if renamed {
		if err := renameSequenceTasks(tx, saved); err != nil {
			return cur, err
		}
	}
	if activate {
		if latest == nil || !bytes.Equal(latest.Definition, data) {
			saved.Version++
			if err := tx.PutVersion(store.Version{Sequence: saved.ID, N: saved.Version, Definition: data, PublishedAt: now, By: u.Username, Note: opt.Note}); err != nil {
				return cur, err
			}
		}
		saved.State = store.Active
		return tx.PutSequence(saved)
	}
	return saved, nil
}

func sameAssign(a, b sequence.Assign) bool {
	if a.Rule() != b.Rule() || a.Field != b.Field || len(a.Members) != len(b.Members) {
		return false
	}
	for k, v := range a.Members {
		if b.Members[k] != v {
			return false
		}
	}
	return true
}

// manageable loads the acting user and a sequence they may change (SPEC §6).
func manageable(tx store.Tx, by, name string) (store.User, store.Sequence, error) {
	u, err := actor(tx, by)
	if err != nil {
		return u, store.Sequence{}, err
	}
	cur, err := findSequence(tx, name)
	if err != nil {
		return u, cur, err
	}
	return u, cur, canManageSequence(u, cur)
}

// Activate validates a sequence's working definition and makes it active, publishing it as a
// new version when it changed since the last one. Every problem is reported at once.
func (e *Engine) Activate(ctx context.Context, by, name string) (store.Sequence, error) {
	var out store.Sequence
	err := e.update(ctx, func(tx store.Tx) error {
		u, cur, err := manageable(tx, by, name)
		if err != nil {
			return err
		}
		if cur.State == store.Active {
			out = cur
			return nil
		}
		def, err := sequence.Parse(cur.Definition, cur.Name)
		if err != nil {
			return err
		}
		out, err = e.save(tx, u, cur, def, SaveOptions{Activate: true})
		return err
	})
	return out, err
}

// Deactivate stops a sequence from taking new connections; connected records run on.
func (e *Engine) Deactivate(ctx context.Context, by, name string) (store.Sequence, error) {
	var out store.Sequence
	err := e.update(ctx, func(tx store.Tx) error {
		_, cur, err := manageable(tx, by, name)
		if err != nil {
			return err
		}
		if cur.State != store.Active {
			return invalid("sequence %q is not active (it is %s)", cur.Name, cur.State)
		}
		cur.State = store.Inactive
		cur.ModifiedAt = e.clock.Now()
		out, err = tx.PutSequence(cur)
		return err
	})
	return out, err
}

// DeleteSequence removes a sequence and its versions. Its records still connected are
// disconnected (reason sequence_deleted); their histories are kept.
func (e *Engine) DeleteSequence(ctx context.Context, by, name string) error {
	return e.update(ctx, func(tx store.Tx) error {
		u, cur, err := manageable(tx, by, name)
		if err != nil {
			return err
		}
		var active []store.Connection
		if err := tx.ConnsBySequence(cur.ID, func(c store.Connection) bool {
			if c.State == store.ConnActive {
				active = append(active, c)
			}
			return true
		}); err != nil {
			return err
		}
		if len(active) > 0 {
			o, err := loadOrg(tx)
			if err != nil {
				return err
			}
			now := e.clock.Now()
			for _, c := range active {
				if _, err := e.step(tx, o, c, flow.Input{Kind: flow.Disconnect, Reason: store.ReasonSequenceDeleted, By: u.Username}, now); err != nil {
					return err
				}
			}
		}
		return tx.DeleteSequence(cur.ID)
	})
}

// CloneSequence copies a sequence's working definition into a new draft owned by the acting
// user. Any user may clone a sequence they can see.
func (e *Engine) CloneSequence(ctx context.Context, by, name, newName string) (store.Sequence, error) {
	d, err := e.Sequence(ctx, by, name)
	if err != nil {
		return store.Sequence{}, err
	}
	d.Def.Name = newName
	return e.CreateSequence(ctx, by, d.Def)
}

// NewSequence creates a draft from a built-in template (key or name) or blank when template is
// empty. entity overrides the record type when given.
func (e *Engine) NewSequence(ctx context.Context, by, name, template, entity string) (store.Sequence, error) {
	def := &sequence.Sequence{}
	if template != "" {
		t, ok := sequence.TemplateByKey(template)
		if !ok {
			keys := make([]string, 0, len(sequence.Templates()))
			for _, t := range sequence.Templates() {
				keys = append(keys, t.Key)
			}
			return store.Sequence{}, invalid("there is no template %q (known: %s)", template, strings.Join(keys, ", "))
		}
		var err error
		if def, err = t.Sequence(); err != nil {
			return store.Sequence{}, err
		}
	}
	def.Name = name
	if entity != "" {
		if !entityRE.MatchString(entity) {
			return store.Sequence{}, invalid("record type %q: use lowercase letters, digits and '_'", entity)
		}
		def.Entity = entity
	}
	return e.CreateSequence(ctx, by, def)
}

// SetTags replaces the tags of a sequence.
func (e *Engine) SetTags(ctx context.Context, by, name string, tags []string) (store.Sequence, error) {
	d, err := e.Sequence(ctx, by, name)
	if err != nil {
		return store.Sequence{}, err
	}
	clean := []string{}
	for _, t := range tags {
		if t = strings.TrimSpace(t); t != "" && !slices.Contains(clean, t) {
			clean = append(clean, t)
		}
	}
	if len(clean) == 0 {
		clean = nil
	}
	d.Def.Tags = clean
	return e.SaveSequence(ctx, by, d.ID, d.Def, SaveOptions{Note: "tags changed"})
}
