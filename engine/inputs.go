package engine

import (
	"fmt"
	"slices"

	"github.com/pacer-sales/pacer/engine/limits"
	"github.com/pacer-sales/pacer/store"
)

// checkedTx is the write transaction of a façade method: the users, teams, records,
// templates and segments it is given to store are held to the sizes of package limits
// first — valid UTF-8, within their sizes, and free of terminal control characters — so no
// front end (command line, screens, SSH, CSV import) can store what would flood or drive
// another user's terminal. A refused value fails the whole transaction, so nothing is half
// applied. Sequences are held to the limits where they are saved (sequence.CheckSizes).
type checkedTx struct {
	store.Tx
}

// PutUser stores a user whose texts are within the limits.
func (tx checkedTx) PutUser(u store.User) error {
	if err := userSizes(u); err != nil {
		return err
	}
	return tx.Tx.PutUser(u)
}

// PutTeam stores a team whose texts are within the limits.
func (tx checkedTx) PutTeam(t store.Team) error {
	if err := teamSizes(t); err != nil {
		return err
	}
	return tx.Tx.PutTeam(t)
}

// PutRecord stores a record whose texts and fields are within the limits.
func (tx checkedTx) PutRecord(r store.Record) (store.Record, error) {
	if err := recordSizes(r); err != nil {
		return r, err
	}
	return tx.Tx.PutRecord(r)
}

// PutTemplate stores a template whose texts are within the limits.
func (tx checkedTx) PutTemplate(t store.Template) error {
	if err := templateSizes(t); err != nil {
		return err
	}
	return tx.Tx.PutTemplate(t)
}

// PutSegment stores a segment whose texts are within the limits.
func (tx checkedTx) PutSegment(s store.Segment) error {
	if err := segmentSizes(s); err != nil {
		return err
	}
	return tx.Tx.PutSegment(s)
}

// texts checks a list of (what, value, limit, multiline) in order and returns the first
// problem as an ErrInvalid naming whose value it is.
// The first problem is kept as it is too (problem), for a caller that names the value itself,
// such as a CSV row.
type texts struct {
	whose   string
	err     error
	problem error
}

func (c *texts) check(what, s string, max int, multiline bool) {
	if c.err != nil || s == "" {
		return
	}
	if err := limits.Text(what, s, max, multiline); err != nil {
		c.problem = err
		c.err = fmt.Errorf("%w: %s: %w", ErrInvalid, c.whose, err)
	}
}

func (c *texts) count(what string, n, max int, unit string) {
	if c.err == nil && n > max {
		c.problem = limits.TooLarge(fmt.Sprintf("%s (%d)", what, n), max, unit)
		c.err = fmt.Errorf("%w: %s: %w", ErrInvalid, c.whose, c.problem)
	}
}

// whoseName names a value in an error, cut to a size that can be shown.
func whoseName(kind, name string) string {
	return fmt.Sprintf("%s %q", kind, clip(name, limits.Name))
}

func userSizes(u store.User) error {
	c := texts{whose: whoseName("user", u.Username)}
	c.check("the username", u.Username, limits.Identifier, false)
	c.check("the name", u.Name, limits.Name, false)
	c.check("the email", u.Email, limits.FieldValue, false)
	c.check("the sender address", u.From, limits.FieldValue, false)
	c.check("the title", u.Title, limits.Name, false)
	c.check("the territory", u.Territory, limits.Name, false)
	c.check("the time zone", u.TimeZone, limits.Identifier, false)
	c.count("the list of roles", len(u.Roles), 3, "roles")
	for i, k := range u.SSHKeys {
		c.check(fmt.Sprintf("SSH key %d", i+1), k, limits.SSHKey, false)
	}
	return c.err
}

func teamSizes(t store.Team) error {
	c := texts{whose: whoseName("team", t.Name)}
	c.check("the name", t.Name, limits.Name, false)
	for _, m := range t.Members {
		c.check("the member name", m.Username, limits.Identifier, false)
		c.check("the member role of "+clip(m.Username, limits.Identifier), m.Role, limits.Name, false)
	}
	return c.err
}

func recordSizes(r store.Record) error { return recordTexts(r).err }

// recordProblem is the first value of a record over its limits, not naming the record.
func recordProblem(r store.Record) error { return recordTexts(r).problem }

func recordTexts(r store.Record) texts {
	c := texts{whose: whoseName("record", clip(r.Entity, limits.Identifier)+"/"+clip(r.ID, limits.Identifier))}
	c.check("the entity", r.Entity, limits.Identifier, false)
	c.check("the id", r.ID, limits.Identifier, false)
	c.check("the name", r.Name, limits.Name, false)
	c.check("the owner", r.Owner, len("team:")+limits.Name, false)
	c.check("the stage", r.Stage, limits.Name, false)
	c.check("the access team", r.AccessTeam, limits.Name, false)
	c.check("the email", r.Email, limits.FieldValue, false)
	c.check("the phone", r.Phone, limits.FieldValue, false)
	c.count("the number of fields", len(r.Fields), limits.Fields, "fields")
	keys := make([]string, 0, len(r.Fields))
	for k := range r.Fields {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		v := r.Fields[k]
		c.check("the field name "+fmt.Sprintf("%q", clip(k, limits.Identifier)), k, limits.Identifier, false)
		if s, ok := v.(string); ok {
			c.check("the field "+fmt.Sprintf("%q", clip(k, limits.Identifier)), s, limits.FieldValue, true)
		}
	}
	return c
}

func templateSizes(t store.Template) error {
	c := texts{whose: whoseName("template", t.Name)}
	c.check("the name", t.Name, limits.Name, false)
	c.check("the subject", t.Subject, limits.Name, false)
	c.check("the body", t.Body, limits.TemplateBody, true)
	c.check("the HTML body", t.HTML, limits.TemplateBody, true)
	return c.err
}

func segmentSizes(s store.Segment) error {
	c := texts{whose: whoseName("segment", s.Name)}
	c.check("the name", s.Name, limits.Name, false)
	c.check("the entity", s.Entity, limits.Identifier, false)
	c.check("the sequence", s.Sequence, limits.Name, false)
	c.count("the number of field tests", len(s.Where), limits.Fields, "tests")
	for _, m := range s.Where {
		c.check("the field name", m.Field, limits.Identifier, false)
		c.check("the value of "+clip(m.Field, limits.Identifier), m.Value, limits.FieldValue, false)
	}
	return c.err
}
