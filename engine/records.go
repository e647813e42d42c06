package engine

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/pacer-sales/pacer/engine/flow"
	"github.com/pacer-sales/pacer/engine/limits"
	"github.com/pacer-sales/pacer/store"
)

var entityRE = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

// RowError is one bad row of a CSV import.
type RowError struct {
	File   string
	Line   int
	Reason string
}

func (e RowError) Error() string { return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Reason) }

// ImportError lists every bad row of a refused import; nothing was imported.
type ImportError struct {
	Rows []RowError
}

func (e *ImportError) Error() string {
	lines := make([]string, 0, len(e.Rows)+1)
	lines = append(lines, fmt.Sprintf("nothing imported: %d bad row(s)", len(e.Rows)))
	for _, r := range e.Rows {
		lines = append(lines, r.Error())
	}
	return strings.Join(lines, "\n")
}

// Unwrap makes an ImportError an ErrInvalid.
func (e *ImportError) Unwrap() error { return ErrInvalid }

// ImportResult counts what an import did.
type ImportResult struct {
	Created int `json:"created"`
	Updated int `json:"updated"`
}

type csvRow struct {
	line int
	rec  store.Record
}

// ImportRecords reads a CSV file of records of one entity (header row first; columns id, name,
// owner, stage, access_team, email, phone, any others become free fields) and upserts them by
// id — all or nothing: when any row is bad, every bad row is reported as FILE:LINE: reason and
// nothing is written. Admins and managers may.
func (e *Engine) ImportRecords(ctx context.Context, by, file string, r io.Reader, entity string) (ImportResult, error) {
	var res ImportResult
	if !entityRE.MatchString(entity) {
		return res, invalid("entity %q: use lowercase letters, digits and '_', starting with a letter", entity)
	}
	rows, bad, err := readCSV(file, r, entity)
	if err != nil {
		return res, err
	}
	if len(bad) == 0 && len(rows) == 0 {
		return res, invalid("%s: no records (the first line must be a header with an id column)", file)
	}
	err = e.update(ctx, func(tx store.Tx) error {
		res = ImportResult{} // a transaction the store runs again starts over
		if _, err := requireManager(tx, by, "import records"); err != nil {
			return err
		}
		owners := ownerChecker(tx)
		for _, row := range rows {
			if reason := owners.check(row.rec); reason != "" {
				bad = append(bad, RowError{file, row.line, reason})
			}
		}
		if len(bad) > 0 {
			slices.SortStableFunc(bad, func(a, b RowError) int { return a.Line - b.Line })
			return &ImportError{Rows: bad}
		}
		segs, o, err := e.activeSegments(tx, entity)
		if err != nil {
			return err
		}
		now := e.clock.Now()
		for _, row := range rows {
			rec := row.rec
			old, err := tx.Record(rec.Entity, rec.ID)
			switch {
			case err == nil:
				rec.Key, rec.CreatedAt = old.Key, old.CreatedAt
				res.Updated++
			case errors.Is(err, store.ErrNotFound):
				rec.CreatedAt = now
				res.Created++
			default:
				return err
			}
			rec.ModifiedAt = now
			saved, err := tx.PutRecord(rec)
			if err != nil {
				return err
			}
			if old.Name != "" && old.Name != saved.Name {
				if err := renameTasks(tx, saved); err != nil {
					return err
				}
			}
			if err := e.applySegments(tx, o, segs, saved); err != nil {
				return fmt.Errorf("%s:%d: %w", file, row.line, err)
			}
		}
		return nil
	})
	if err != nil {
		return ImportResult{}, err
	}
	return res, nil
}

// errCSVTooLarge ends the reading of a CSV file over limits.CSVFile.
var errCSVTooLarge = errors.New("csv too large")

// limitedReader reads at most n bytes, then fails with errCSVTooLarge.
type limitedReader struct {
	r io.Reader
	n int64
}

func (l *limitedReader) Read(p []byte) (int, error) {
	if l.n <= 0 {
		return 0, errCSVTooLarge
	}
	if int64(len(p)) > l.n {
		p = p[:l.n]
	}
	n, err := l.r.Read(p)
	l.n -= int64(n)
	return n, err
}

// readCSV parses the file into records, collecting every row problem it can see without the
// store (shape, duplicates, email, sizes, encoding). It fails as a whole when the file is over
// limits.CSVFile or can't be read.
func readCSV(file string, r io.Reader, entity string) ([]csvRow, []RowError, error) {
	cr := csv.NewReader(&limitedReader{r, limits.CSVFile})
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	fatal := func(err error) error {
		if errors.Is(err, errCSVTooLarge) {
			return invalid("%s", limits.TooLarge(file, limits.CSVFile, "bytes"))
		}
		return fmt.Errorf("%s: %w", file, err)
	}
	header, err := cr.Read()
	if err == io.EOF {
		return nil, nil, nil
	}
	if err != nil {
		var pe *csv.ParseError
		if !errors.As(err, &pe) {
			return nil, nil, fatal(err)
		}
		return nil, []RowError{{file, 1, "header: " + csvReason(err)}}, nil
	}
	cols := make([]string, len(header))
	idCol := -1
	var bad []RowError
	for i, h := range header {
		h = strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))
		cols[i] = h
		switch {
		case !utf8.ValidString(h):
			return nil, []RowError{{file, 1, "header: not valid UTF-8 text (save the file as UTF-8)"}}, nil
		case len(cols) > limits.Fields+7:
			return nil, []RowError{{file, 1, fmt.Sprintf("header: %d columns, the limit is %d", len(cols), limits.Fields+7)}}, nil
		case h == "":
			bad = append(bad, RowError{file, 1, fmt.Sprintf("header: column %d has no name", i+1)})
		case slices.Contains(cols[:i], h):
			bad = append(bad, RowError{file, 1, fmt.Sprintf("header: column %q appears twice", h)})
		case h == "id":
			idCol = i
		}
	}
	if idCol < 0 {
		bad = append(bad, RowError{file, 1, "header: there is no id column"})
	}
	if len(bad) > 0 {
		return nil, bad, nil
	}
	var rows []csvRow
	seen := map[string]int{}
	for {
		fields, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if !errors.As(err, &pe) {
				return nil, nil, fatal(err)
			}
			bad = append(bad, RowError{file, pe.StartLine, csvReason(err)})
			continue
		}
		line, _ := cr.FieldPos(0)
		if len(fields) == 1 && strings.TrimSpace(fields[0]) == "" {
			continue // blank line
		}
		if len(rows)+len(bad) >= limits.CSVRows {
			return nil, nil, invalid("%s has more than %d rows, the limit of one import: split it", file, limits.CSVRows)
		}
		if col := invalidUTF8(fields); col >= 0 {
			bad = append(bad, RowError{file, line, fmt.Sprintf("column %q is not valid UTF-8 text (save the file as UTF-8)", cols[min(col, len(cols)-1)])})
			continue
		}
		if len(fields) != len(cols) {
			bad = append(bad, RowError{file, line, fmt.Sprintf("has %d values, the header has %d columns", len(fields), len(cols))})
			continue
		}
		rec := store.Record{Entity: entity}
		var reasons []string
		for i, v := range fields {
			v = strings.TrimSpace(v)
			switch own := flow.OwnText(&rec, cols[i]); {
			case cols[i] == "id":
				rec.ID = v
			case own != nil:
				*own = v
				if cols[i] == "email" && v != "" && !strings.Contains(v, "@") {
					reasons = append(reasons, fmt.Sprintf("email %q is not an address", v))
				}
			case v != "":
				if rec.Fields == nil {
					rec.Fields = map[string]any{}
				}
				rec.Fields[cols[i]] = FieldValue(v)
			}
		}
		switch {
		case rec.ID == "":
			reasons = append([]string{"id is empty"}, reasons...)
		case strings.ContainsAny(rec.ID, "/ \t"):
			reasons = append([]string{fmt.Sprintf("id %q must not contain '/' or spaces", rec.ID)}, reasons...)
		}
		if rec.Name == "" {
			reasons = append(reasons, "name is empty")
		}
		if err := recordProblem(rec); err != nil {
			reasons = append(reasons, err.Error())
		}
		if prev, dup := seen[rec.ID]; dup && rec.ID != "" {
			reasons = append(reasons, fmt.Sprintf("id %q already appears on line %d", rec.ID, prev))
		} else if rec.ID != "" {
			seen[rec.ID] = line
		}
		if len(reasons) > 0 {
			bad = append(bad, RowError{file, line, strings.Join(reasons, "; ")})
			continue
		}
		rows = append(rows, csvRow{line, rec})
	}
	return rows, bad, nil
}

// invalidUTF8 returns the index of the first field that is not valid UTF-8, or -1.
func invalidUTF8(fields []string) int {
	for i, f := range fields {
		if !utf8.ValidString(f) {
			return i
		}
	}
	return -1
}

func csvReason(err error) string {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// FieldValue turns the text form of a free field into its value: true/false become bools,
// numbers become float64, anything else stays a string.
func FieldValue(s string) any {
	switch s {
	case "true":
		return true
	case "false":
		return false
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil && !strings.ContainsAny(s, "xXpP_") && s != "NaN" && !strings.Contains(strings.ToLower(s), "inf") {
		return f
	}
	return s
}

// ownerCheck validates record owners and access teams against users and teams, caching
// lookups so a large import stays fast.
type ownerCheck struct {
	tx    store.Tx
	users map[string]bool
	teams map[string]store.TeamType
}

func ownerChecker(tx store.Tx) *ownerCheck {
	return &ownerCheck{tx: tx, users: map[string]bool{}, teams: map[string]store.TeamType{}}
}

func (c *ownerCheck) user(name string) bool {
	ok, seen := c.users[name]
	if !seen {
		_, err := c.tx.User(name)
		ok = err == nil
		c.users[name] = ok
	}
	return ok
}

func (c *ownerCheck) team(name string) store.TeamType {
	t, seen := c.teams[name]
	if !seen {
		if team, err := c.tx.Team(name); err == nil {
			t = team.Type
		}
		c.teams[name] = t
	}
	return t
}

// check returns why the record's owner or access team is unacceptable, or "".
func (c *ownerCheck) check(r store.Record) string {
	var reasons []string
	switch {
	case r.Owner == "":
	case strings.HasPrefix(r.Owner, "team:"):
		name := strings.TrimPrefix(r.Owner, "team:")
		if t := c.team(name); t != store.OwnerTeam {
			if t == store.AccessTeam {
				reasons = append(reasons, fmt.Sprintf("owner %q is an access team; records are owned by users or owner teams", r.Owner))
			} else {
				reasons = append(reasons, fmt.Sprintf("owner %q: there is no team %q", r.Owner, name))
			}
		}
	case !c.user(r.Owner):
		reasons = append(reasons, fmt.Sprintf("owner %q is not a user (use a username or team:NAME)", r.Owner))
	}
	if r.AccessTeam != "" && c.team(r.AccessTeam) != store.AccessTeam {
		reasons = append(reasons, fmt.Sprintf("access_team %q is not an access team", r.AccessTeam))
	}
	return strings.Join(reasons, "; ")
}

// ParseRef splits "entity/id".
func ParseRef(ref string) (entity, id string, err error) {
	entity, id, ok := strings.Cut(ref, "/")
	if !ok || !entityRE.MatchString(entity) || id == "" {
		return "", "", invalid("record %q: write it as entity/id, e.g. lead/L-1001", ref)
	}
	return entity, id, nil
}

// Records lists the records of an entity (all when empty). Any user may.
func (e *Engine) Records(ctx context.Context, by, entity string) ([]store.Record, error) {
	var recs []store.Record
	err := e.view(ctx, func(tx store.Tx) error {
		if _, err := actor(tx, by); err != nil {
			return err
		}
		return tx.Records(entity, func(r store.Record) bool {
			recs = append(recs, r)
			return true
		})
	})
	return recs, err
}

// Record returns one record by its "entity/id" reference. Any user may.
func (e *Engine) Record(ctx context.Context, by, ref string) (store.Record, error) {
	entity, id, err := ParseRef(ref)
	if err != nil {
		return store.Record{}, err
	}
	var rec store.Record
	err = e.view(ctx, func(tx store.Tx) error {
		if _, err := actor(tx, by); err != nil {
			return err
		}
		rec, err = tx.Record(entity, id)
		return notFound(err, "there is no record %s", ref)
	})
	return rec, err
}

// SetRecord changes fields of a record from KEY=VALUE text: name, owner, stage, access_team,
// email and phone set the record's own fields, other keys free fields (an empty value removes
// a free field). Admins and managers may change any record, sellers the records they own.
func (e *Engine) SetRecord(ctx context.Context, by, ref string, values map[string]string) (store.Record, error) {
	entity, id, err := ParseRef(ref)
	if err != nil {
		return store.Record{}, err
	}
	var rec store.Record
	err = e.update(ctx, func(tx store.Tx) error {
		u, err := actor(tx, by)
		if err != nil {
			return err
		}
		rec, err = tx.Record(entity, id)
		if err := notFound(err, "there is no record %s", ref); err != nil {
			return err
		}
		oldName := rec.Name
		if !isManager(u) && rec.Owner != u.Username {
			return forbidden("%s can only change records they own; %s belongs to %s", u.Username, ref, rec.Owner)
		}
		keys := make([]string, 0, len(values))
		for k := range values {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			v := strings.TrimSpace(values[k])
			switch own := flow.OwnText(&rec, k); {
			case k == "id":
				return invalid("%s: the id of a record can't be changed", ref)
			case k == "name" && v == "":
				return invalid("%s: name can't be empty", ref)
			case k == "owner" && !isManager(u):
				return forbidden("only managers and admins can change a record's owner")
			case own != nil:
				*own = v
			default:
				if !entityRE.MatchString(k) {
					return invalid("%s: field name %q: use lowercase letters, digits and '_'", ref, k)
				}
				if rec.Fields == nil {
					rec.Fields = map[string]any{}
				}
				if v == "" {
					delete(rec.Fields, k)
				} else {
					rec.Fields[k] = FieldValue(v)
				}
			}
		}
		if reason := ownerChecker(tx).check(rec); reason != "" {
			return invalid("%s: %s", ref, reason)
		}
		rec.ModifiedAt = e.clock.Now()
		if rec, err = tx.PutRecord(rec); err != nil {
			return err
		}
		if rec.Name != oldName {
			if err := renameTasks(tx, rec); err != nil {
				return err
			}
		}
		segs, o, err := e.activeSegments(tx, rec.Entity)
		if err != nil {
			return err
		}
		return e.applySegments(tx, o, segs, rec)
	})
	return rec, err
}

// renameSequenceTasks copies a sequence's new name into the open tasks of its connections.
func renameSequenceTasks(tx store.Tx, seq store.Sequence) error {
	var tasks []store.ID
	err := tx.ConnsBySequence(seq.ID, func(c store.Connection) bool {
		if c.State == store.ConnActive && !c.Task.IsZero() {
			tasks = append(tasks, c.Task)
		}
		return true
	})
	if err != nil {
		return err
	}
	for _, id := range tasks {
		t, err := tx.Task(id)
		if err != nil {
			return fmt.Errorf("task of sequence %q: %w", seq.Name, err)
		}
		if t.State != store.TaskOpen || t.SeqName == seq.Name {
			continue
		}
		t.SeqName = seq.Name
		if err := tx.PutTask(t); err != nil {
			return err
		}
	}
	return nil
}

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
