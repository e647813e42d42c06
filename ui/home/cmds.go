package home

import (
	"context"
	"errors"
	"fmt"
	"strings"

	tea "charm.land/bubbletea/v2"

	"github.com/pacer-sales/pacer/engine"
	"github.com/pacer-sales/pacer/engine/sequence"
	"github.com/pacer-sales/pacer/ui/common"
	"github.com/pacer-sales/pacer/ui/components/grid"
)

// prefsScreen names the home screen's entry in a user's preferences.
const prefsScreen = "home"

// Messages the home screen's commands send back.
type (
	// loadedMsg carries a load of the sequences (and, on the first load, the user's
	// remembered grid state).
	loadedMsg struct {
		gen   int
		set   *rowSet
		prefs *grid.State
		err   error
	}
	// doneMsg is the outcome of an action on a sequence.
	doneMsg struct {
		status   string
		err      error
		problems *engine.ProblemsError
		// selectID puts the cursor on this sequence once the grid is reloaded.
		selectID string
		// open asks the root to open this sequence.
		open string
	}
	// formMsg is sent by the new-sequence form when it is submitted or cancelled.
	formMsg struct {
		form    *newForm
		aborted bool
	}
)

// loadCmd reads the sequences, and the user's grid preferences when prefs is set.
func loadCmd(c *common.Common, gen int, prefs bool) tea.Cmd {
	ctx, e, user := c.Ctx, c.Engine, c.User.Username
	return func() tea.Msg {
		rows, err := e.SequenceRows(ctx, user)
		if err != nil {
			return loadedMsg{gen: gen, err: err}
		}
		msg := loadedMsg{gen: gen, set: newRowSet(rows, c.Location())}
		if prefs {
			st, err := (&grid.Saver{Screen: prefsScreen}).Load(c)
			if err != nil {
				return loadedMsg{gen: gen, err: err}
			}
			msg.prefs = st
		}
		return msg
	}
}

// action runs fn as the acting user in a command and reports through doneMsg.
func action(c *common.Common, fn func(ctx context.Context, e *engine.Engine, user string) doneMsg) tea.Cmd {
	ctx, e, user := c.Ctx, c.Engine, c.User.Username
	return func() tea.Msg { return fn(ctx, e, user) }
}

// activateCmd activates a sequence whose newest version was prev (0: never activated) and
// says whether a new version was published or the old one made active again.
func activateCmd(c *common.Common, name string, prev int) tea.Cmd {
	return action(c, func(ctx context.Context, e *engine.Engine, user string) doneMsg {
		s, err := e.Activate(ctx, user, name)
		var pe *engine.ProblemsError
		if errors.As(err, &pe) {
			return doneMsg{problems: pe}
		}
		if err != nil {
			return doneMsg{err: err}
		}
		what := fmt.Sprintf("published as version %d", s.Version)
		if prev > 0 && s.Version == prev {
			what = fmt.Sprintf("unchanged since version %d, which is active again", prev)
		}
		return doneMsg{status: fmt.Sprintf("Activated %q (%s); records can be connected to it.", s.Name, what), selectID: s.ID.String()}
	})
}

func deactivateCmd(c *common.Common, name string) tea.Cmd {
	return action(c, func(ctx context.Context, e *engine.Engine, user string) doneMsg {
		s, err := e.Deactivate(ctx, user, name)
		if err != nil {
			return doneMsg{err: err}
		}
		return doneMsg{status: fmt.Sprintf("Deactivated %q: it takes no new records; connected records run on.", s.Name), selectID: s.ID.String()}
	})
}

func deleteCmd(c *common.Common, name string) tea.Cmd {
	return action(c, func(ctx context.Context, e *engine.Engine, user string) doneMsg {
		if err := e.DeleteSequence(ctx, user, name); err != nil {
			return doneMsg{err: err}
		}
		return doneMsg{status: fmt.Sprintf("Deleted %q.", name)}
	})
}

func cloneCmd(c *common.Common, name, newName string) tea.Cmd {
	return action(c, func(ctx context.Context, e *engine.Engine, user string) doneMsg {
		s, err := e.CloneSequence(ctx, user, name, newName)
		if err != nil {
			return doneMsg{err: err}
		}
		return doneMsg{status: fmt.Sprintf("Copied %q to the draft %q.", name, s.Name), selectID: s.ID.String()}
	})
}

func tagsCmd(c *common.Common, name string, tags []string) tea.Cmd {
	return action(c, func(ctx context.Context, e *engine.Engine, user string) doneMsg {
		s, err := e.SetTags(ctx, user, name, tags)
		if err != nil {
			return doneMsg{err: err}
		}
		text := "no tags"
		if len(s.Tags) > 0 {
			text = strings.Join(s.Tags, ", ")
		}
		return doneMsg{status: fmt.Sprintf("Tags of %q: %s.", s.Name, text), selectID: s.ID.String()}
	})
}

// newSequenceCmd creates a draft from a built-in template (or blank) with a name,
// description and record type, in one transaction, then opens it.
func newSequenceCmd(c *common.Common, template, name, desc, entity string) tea.Cmd {
	return action(c, func(ctx context.Context, e *engine.Engine, user string) doneMsg {
		var (
			s   engine.Sequence
			err error
		)
		name, desc = strings.TrimSpace(name), strings.TrimSpace(desc)
		def := &sequence.Sequence{}
		if template != "" {
			t, ok := sequence.TemplateByKey(template)
			if !ok {
				return doneMsg{err: fmt.Errorf("there is no template %q", template)}
			}
			if def, err = t.Sequence(); err != nil {
				return doneMsg{err: err}
			}
		}
		if desc == def.Description {
			// Nothing to change beyond what NewSequence sets.
			s, err = e.NewSequence(ctx, user, name, template, entity)
		} else {
			def.Name, def.Description, def.Entity = name, desc, entity
			s, err = e.CreateSequence(ctx, user, def)
		}
		if err != nil {
			return doneMsg{err: err}
		}
		return doneMsg{status: fmt.Sprintf("Created the draft %q.", s.Name), selectID: s.ID.String(), open: s.Name}
	})
}

// failText shows an error message in the footer.
func failText(text string) tea.Cmd {
	return func() tea.Msg { return common.StatusMsg{Text: text, Err: true} }
}

// openCmd asks the root to open a sequence.
func openCmd(name string) tea.Cmd {
	return func() tea.Msg { return common.OpenSequenceMsg{Name: name} }
}
