package engine

import (
	"fmt"
	"slices"
	"strings"

	"github.com/pacer-sales/pacer/engine/limits"
	"github.com/pacer-sales/pacer/store"
)

// recordProblems lists what is wrong with a record's values against the limits of
// engine/limits: sizes, UTF-8 and control characters (only free field values may span lines).
func recordProblems(r store.Record) []string {
	var out []string
	add := func(err error) {
		if err != nil {
			out = append(out, err.Error())
		}
	}
	add(limits.Text("id", r.ID, limits.Identifier, false))
	add(limits.Text("name", r.Name, limits.Name, false))
	for _, f := range []struct {
		key string
		v   string
		max int
	}{
		{"owner", r.Owner, limits.Identifier + len("team:")},
		{"stage", r.Stage, limits.Name},
		{"access_team", r.AccessTeam, limits.Name},
		{"email", r.Email, limits.FieldValue},
		{"phone", r.Phone, limits.FieldValue},
	} {
		add(limits.Text(f.key, f.v, f.max, false))
	}
	if len(r.Fields) > limits.Fields {
		out = append(out, fmt.Sprintf("too many fields (%d): the limit is %d", len(r.Fields), limits.Fields))
	}
	keys := make([]string, 0, len(r.Fields))
	for k := range r.Fields {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if err := limits.Text("field name", k, limits.Identifier, false); err != nil {
			out = append(out, fmt.Sprintf("%s %q", err, clipValue(k)))
			continue
		}
		if s, ok := r.Fields[k].(string); ok {
			add(limits.Text("field "+k, s, limits.FieldValue, true))
		}
	}
	return out
}

// clipValue shortens a value for an error message.
func clipValue(s string) string { return clip(s, 40) }

// renameTasks copies a record's new name into the open tasks of its connections, so every
// work list shows the record as it is called now.
func renameTasks(tx store.Tx, rec store.Record) error {
	conns, err := tx.ConnsByRecord(rec.Key)
	if err != nil {
		return err
	}
	for _, c := range conns {
		if c.State != store.ConnActive || c.Task.IsZero() {
			continue
		}
		t, err := tx.Task(c.Task)
		if err != nil {
			return fmt.Errorf("task of %s: %w", rec.Ref(), err)
		}
		if t.State != store.TaskOpen || t.RecordName == rec.Name {
			continue
		}
		t.RecordName = rec.Name
		if err := tx.PutTask(t); err != nil {
			return err
		}
	}
	return nil
}

// joinProblems writes a record's problems as one reason.
func joinProblems(p []string) string { return strings.Join(p, "; ") }
