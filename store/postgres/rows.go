package postgres

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
)

// The runtime's writes (connections, history, tasks, messages) are many small rows: a
// transaction collects them per table and sends each table's as one statement over arrays
// (INSERT … SELECT FROM unnest), in the round trip of the next read or of the commit. A row
// stored twice in one transaction is sent once, as it was stored last.

// colKind is how a column's values travel in their array.
type colKind uint8

const (
	colBytes colKind = iota // bytea
	colText                 // text
	colInt8                 // int8, nil for NULL
	colJSON                 // json, as text; nil for NULL
	colList                 // text[], as a JSON list; nil for NULL
)

var kindSQL = [...]string{colBytes: "bytea", colText: "text", colInt8: "int8", colJSON: "text", colList: "text"}

// table is a table written by rows: its columns and the statement that stores them.
type table struct {
	name  string
	kinds []colKind
	sql   string
}

// newTable makes the statement inserting rows of cols (with their kinds) into name, then
// tail (the ON CONFLICT clause, or ""). ordered keeps the rows' order (history).
func newTable(name, cols string, kinds []colKind, tail string, ordered bool) *table {
	names := strings.Split(cols, ", ")
	if len(names) != len(kinds) {
		panic(fmt.Sprintf("table %s: %d columns, %d kinds", name, len(names), len(kinds)))
	}
	params := make([]string, len(names))
	exprs := make([]string, len(names))
	for i, k := range kinds {
		params[i] = fmt.Sprintf("$%d::%s[]", i+1, kindSQL[k])
		c := "u." + names[i]
		switch k {
		case colJSON:
			c += "::json"
		case colList:
			c = "CASE WHEN " + c + " IS NULL THEN NULL ELSE ARRAY(SELECT json_array_elements_text(" + c + "::json)) END"
		}
		exprs[i] = c
	}
	from := "unnest(" + strings.Join(params, ", ") + ")"
	as := " AS u(" + cols + ")"
	order := ""
	if ordered {
		from += " WITH ORDINALITY"
		as = " AS u(" + cols + ", ord)"
		order = " ORDER BY u.ord"
	}
	return &table{name: name, kinds: kinds, sql: "INSERT INTO " + name + " (" + cols + ") SELECT " +
		strings.Join(exprs, ", ") + " FROM " + from + as + order + " " + tail}
}

// rowBuf collects the rows of one table; rows with a key replace the earlier row of that key.
type rowBuf struct {
	tb   *table
	rows [][]any
	at   map[string]int
}

func (b *rowBuf) put(key string, row []any) {
	if key != "" {
		if i, ok := b.at[key]; ok {
			b.rows[i] = row
			return
		}
		if b.at == nil {
			b.at = map[string]int{}
		}
		b.at[key] = len(b.rows)
	}
	b.rows = append(b.rows, row)
}

func (b *rowBuf) empty() bool { return len(b.rows) == 0 }

// args returns the rows as one array per column.
func (b *rowBuf) args() ([]any, error) {
	out := make([]any, len(b.tb.kinds))
	for c, k := range b.tb.kinds {
		switch k {
		case colBytes:
			a := make([][]byte, len(b.rows))
			for i, r := range b.rows {
				a[i] = r[c].([]byte)
			}
			out[c] = a
		case colText:
			a := make([]string, len(b.rows))
			for i, r := range b.rows {
				a[i] = r[c].(string)
			}
			out[c] = a
		case colInt8:
			a := make([]*int64, len(b.rows))
			for i, r := range b.rows {
				switch v := r[c].(type) {
				case nil:
				case int64:
					a[i] = &v
				case int:
					n := int64(v)
					a[i] = &n
				default:
					return nil, fmt.Errorf("%s: column %d holds a %T, want an integer", b.tb.name, c+1, v)
				}
			}
			out[c] = a
		case colJSON:
			a := make([]*string, len(b.rows))
			for i, r := range b.rows {
				if v, ok := r[c].(string); ok {
					a[i] = &v
				}
			}
			out[c] = a
		case colList:
			a := make([]*string, len(b.rows))
			for i, r := range b.rows {
				if v, ok := r[c].([]string); ok && v != nil {
					j, err := json.Marshal(v)
					if err != nil {
						return nil, err
					}
					s := string(j)
					a[i] = &s
				}
			}
			out[c] = a
		}
	}
	return out, nil
}

// queue adds the buffer's statement to batch, naming it what, and empties the buffer.
func (b *rowBuf) queue(batch *pgx.Batch, names *[]string, what string) error {
	if b.empty() {
		return nil
	}
	args, err := b.args()
	if err != nil {
		return err
	}
	batch.Queue(b.tb.sql, args...)
	*names = append(*names, fmt.Sprintf("%s (%d rows)", what, len(b.rows)))
	b.rows, b.at = nil, nil
	return nil
}

var (
	connsTable = newTable("conns", connCols, []colKind{colBytes, colBytes, colBytes, colInt8, colText, colText, colText, colText,
		colInt8, colInt8, colInt8, colBytes, colJSON, colJSON, colList, colInt8, colInt8, colJSON},
		`ON CONFLICT (id) DO UPDATE SET record = excluded.record, seq = excluded.seq, version = excluded.version,
			state = excluded.state, reason = excluded.reason, source = excluded.source, step = excluded.step,
			visit = excluded.visit, entered_at = excluded.entered_at, wake_at = excluded.wake_at,
			task = excluded.task, outcomes = excluded.outcomes, sent = excluded.sent, skipped = excluded.skipped,
			updated_at = excluded.updated_at, pause = excluded.pause`, false)
	historyTable = newTable("history", "conn, events", []colKind{colBytes, colJSON}, "", true)
	tasksTable   = newTable("tasks", taskCols+", due_key", []colKind{colBytes, colBytes, colBytes, colBytes, colText, colText,
		colText, colText, colInt8, colText, colText, colText, colInt8, colList, colText, colText, colText, colText, colInt8,
		colInt8, colText, colText, colInt8},
		`ON CONFLICT (id) DO UPDATE SET conn = excluded.conn, record = excluded.record, seq = excluded.seq,
			record_ref = excluded.record_ref, record_name = excluded.record_name, seq_name = excluded.seq_name,
			step_id = excluded.step_id, visit = excluded.visit, type = excluded.type, name = excluded.name,
			template = excluded.template, due_at = excluded.due_at, due_key = excluded.due_key,
			assignees = excluded.assignees, state = excluded.state, outcome = excluded.outcome, note = excluded.note,
			error = excluded.error, closed_at = excluded.closed_at, closed_by = excluded.closed_by,
			why = excluded.why`, false)
	messagesTable = newTable("messages", msgCols, []colKind{colBytes, colBytes, colBytes, colBytes, colText, colInt8, colText,
		colText, colText, colText, colText, colText, colText, colText, colInt8, colInt8, colText, colInt8, colInt8, colText},
		`ON CONFLICT (id) DO UPDATE SET conn = excluded.conn, record = excluded.record, seq = excluded.seq,
			step_id = excluded.step_id, visit = excluded.visit, key = excluded.key, message_id = excluded.message_id,
			channel = excluded.channel, from_addr = excluded.from_addr, to_addr = excluded.to_addr,
			subject = excluded.subject, body = excluded.body, state = excluded.state, tries = excluded.tries,
			next_try = excluded.next_try, last_error = excluded.last_error, sent_at = excluded.sent_at,
			html = excluded.html, lease_until = NULL`, false)
)

// recordsTable updates kept records (their key, CreatedAt and removal are known and stay).
var recordsTable = &table{name: "records",
	kinds: []colKind{colBytes, colText, colText, colText, colText, colText, colText, colJSON, colInt8},
	sql: `UPDATE records r SET name = u.name, owner = u.owner, stage = u.stage, access_team = u.access_team,
		email = u.email, phone = u.phone, fields = u.fields::json, modified_at = u.modified_at
		FROM unnest($1::bytea[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::int8[])
			AS u(key, name, owner, stage, access_team, email, phone, fields, modified_at)
		WHERE r.key = u.key`}

// Where a task row holds what its assignees' rows need.
const (
	taskColID        = 0
	taskColAssignees = 13
	taskColState     = 14
	taskColDueKey    = 22
)

// writeBufs are a transaction's rows not sent yet.
type writeBufs struct {
	conns, history, tasks, messages rowBuf
}

func (w *writeBufs) any() bool {
	return !w.conns.empty() || !w.history.empty() || !w.tasks.empty() || !w.messages.empty()
}

// queue adds the buffered rows to batch, tables in an order their references allow.
func (w *writeBufs) queue(batch *pgx.Batch, names *[]string) error {
	w.conns.tb, w.history.tb, w.tasks.tb, w.messages.tb = connsTable, historyTable, tasksTable, messagesTable
	if err := w.conns.queue(batch, names, "store connections"); err != nil {
		return err
	}
	if err := w.history.queue(batch, names, "append to histories"); err != nil {
		return err
	}
	if !w.tasks.empty() {
		// Each open task is listed for each of its distinct assignees, as it was stored last.
		var ids, who [][]byte
		var users []string
		var keys []int64
		for _, r := range w.tasks.rows {
			id := r[taskColID].([]byte)
			ids = append(ids, id)
			if r[taskColState].(string) != "open" {
				continue
			}
			for _, u := range r[taskColAssignees].([]string) {
				who, users, keys = append(who, id), append(users, u), append(keys, r[taskColDueKey].(int64))
			}
		}
		if err := w.tasks.queue(batch, names, "store tasks"); err != nil {
			return err
		}
		batch.Queue("DELETE FROM task_assignees WHERE task = ANY($1::bytea[])", ids)
		*names = append(*names, "store tasks: assignees")
		if len(users) > 0 {
			batch.Queue(`INSERT INTO task_assignees (username, task, due_key)
				SELECT DISTINCT u, t, k FROM unnest($1::text[], $2::bytea[], $3::int8[]) AS x(u, t, k)`, users, who, keys)
			*names = append(*names, "store tasks: assignees")
		}
	}
	return w.messages.queue(batch, names, "store messages")
}
