package console

import (
	"fmt"
	"slices"
	"strings"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/pacer-sales/pacer/engine"
	"github.com/pacer-sales/pacer/engine/mail"
)

// upNext is the Up next of the selected record.
type upNext struct {
	seq  int
	want string // the record being loaded
	ref  string // the record shown
	ups  []engine.UpNext
	rec  *engine.Record
	err  error
}

// forTask orders the record's sequences for the selected task: the sequence whose step
// holds the task first, the others in their order.
func (u *upNext) forTask(taskID string) []engine.UpNext {
	out := make([]engine.UpNext, 0, len(u.ups))
	for _, x := range u.ups {
		if x.Current.TaskID == taskID {
			out = append(out, x)
		}
	}
	for _, x := range u.ups {
		if x.Current.TaskID != taskID {
			out = append(out, x)
		}
	}
	return out
}

// of is the connection whose current step holds the task, if Up next has it.
func (u *upNext) of(taskID string) (engine.UpNext, bool) {
	for _, x := range u.ups {
		if x.Current.TaskID == taskID {
			return x, true
		}
	}
	return engine.UpNext{}, false
}

// record is the record Up next shows.
func (u *upNext) record() *engine.Record {
	if len(u.ups) > 0 {
		return &u.ups[0].Record
	}
	return u.rec
}

// pline is one line of Up next before wrapping: its indent, style and plain text.
type pline struct {
	ind   int
	style lipgloss.Style
	text  string
}

// panelLines renders the right-hand panel: a picker when one is open, else Up next.
func (m *Model) panelLines(w, h int) []string {
	var lines []string
	switch {
	case m.mode == modePicker && m.picker != nil:
		lines = m.pickerLines(w, h)
	case m.mode == modeInput && m.inputOf == "snooze":
		lines = wrapLines(m.snoozeHelp(), w, h+1)
	default:
		lines = wrapLines(m.upNextLines(), w, h+1)
	}
	if len(lines) > h {
		lines = lines[:h]
		if h > 0 {
			lines[h-1] = m.c.Styles.Muted.Render(cell("…", w))
		}
	}
	for i := range lines {
		lines[i] = cell(lines[i], w)
	}
	for len(lines) < h {
		lines = append(lines, strings.Repeat(" ", w))
	}
	return lines
}

// wrapLines renders lines at width w, wrapping long ones under their indent (two more
// for the continuation); it stops after max lines.
func wrapLines(pls []pline, w, max int) []string {
	var out []string
	for _, p := range pls {
		if len(out) >= max {
			break
		}
		ind := min(p.ind, w/3)
		room := w - ind
		if ansi.StringWidth(p.text) <= room || room < 12 {
			out = append(out, p.style.Render(cell(strings.Repeat(" ", ind)+p.text, w)))
			continue
		}
		for i, l := range wrapText(p.text, room-2) {
			pad := ind
			if i > 0 {
				pad += 2
			}
			out = append(out, p.style.Render(cell(strings.Repeat(" ", pad)+l, w)))
		}
	}
	return out
}

// wrapText breaks text into lines of at most w cells, between its " · " parts where it
// can, else between words.
func wrapText(text string, w int) []string {
	var out []string
	cur := ""
	for _, part := range strings.Split(text, " · ") {
		switch {
		case cur == "":
			cur = part
		case ansi.StringWidth(cur)+3+ansi.StringWidth(part) <= w:
			cur += " · " + part
		default:
			out = append(out, cur)
			cur = part
		}
		if ansi.StringWidth(cur) > w {
			ls := strings.Split(ansi.Wrap(cur, w, " "), "\n")
			out = append(out, ls[:len(ls)-1]...)
			cur = ls[len(ls)-1]
		}
	}
	return append(out, cur)
}

// upNextLines is the selected record's Up next: for each sequence it is in, the current
// step with its keys, the steps ahead, the steps done; then the record's fields.
func (m *Model) upNextLines() []pline {
	st := m.c.Styles
	sel, ok := m.selected()
	if !ok {
		return []pline{{0, st.Title, "Up next"}, {0, st.Muted, "Select a task to see its record."}}
	}
	out := []pline{{0, st.Title, "Up next · " + sel.RecordName}}
	u := &m.up
	if u.ref != sel.Record {
		return append(out, pline{0, st.Muted, "Loading…"})
	}
	if u.err != nil {
		return append(out, pline{0, st.Danger, u.err.Error()})
	}
	rec := u.record()
	if rec != nil {
		info := rec.Ref()
		if rec.Owner != "" {
			info += " · owner " + rec.Owner
		}
		if rec.Stage != "" {
			info += " · " + rec.Stage
		}
		out = append(out, pline{0, st.Muted, info})
	}
	if len(u.ups) == 0 {
		out = append(out, pline{}, pline{0, st.Muted, "Not active in any sequence."})
		if sel.Error != "" {
			out = append(out, pline{0, st.Warning, sel.Name + ": " + sel.Error})
		}
	}
	for _, x := range u.forTask(sel.ID) {
		out = append(out, pline{}, pline{0, st.Accent, fmt.Sprintf("◆ %s (v%d)", x.Sequence, x.Version)})
		out = append(out, m.currentLines(x, sel)...)
		if len(x.Ahead) > 0 {
			out = append(out, pline{2, st.Muted, "Then"})
			for _, s := range x.Ahead {
				out = append(out, pline{4, st.Text, stepText(s)})
			}
		}
		if len(x.Past) > 0 {
			out = append(out, pline{2, st.Muted, "Done"})
			// The newest first: what just happened matters most.
			for i := len(x.Past) - 1; i >= 0; i-- {
				out = append(out, pline{4, st.Text, m.pastText(x.Past[i])})
			}
		}
	}
	if rec != nil {
		out = append(out, pline{}, pline{0, st.Muted, "Fields"})
		for _, f := range fieldLines(*rec) {
			out = append(out, pline{2, st.Text, f})
		}
	}
	return out
}

// currentLines are the step a connection is at and what can be done with it.
func (m *Model) currentLines(x engine.UpNext, sel row) []pline {
	st := m.c.Styles
	c := x.Current
	line := "▶ " + stepText(c.UpStep)
	var keys string
	switch {
	case c.TaskID != "":
		line += " · due " + m.when(c.DueAt)
		if c.TaskID == sel.ID {
			keys = "d done · x skip · z snooze · a assign"
			if c.Type == "email" {
				keys = "e email · " + keys
			}
		} else if slices.Contains(c.Assignees, m.c.User.Username) {
			keys = "also in your work list"
		} else {
			keys = "task of " + strings.Join(c.Assignees, ", ")
		}
	case c.Waiting:
		line += " · until " + m.when(c.WakeAt)
		keys = "w skip wait"
	case !c.WakeAt.IsZero():
		line += " · decided by " + m.when(c.WakeAt)
	}
	out := []pline{{2, st.Text, line}}
	if c.TaskID == sel.ID && sel.Why != "" {
		// The engine moved the task: a holiday, time off and its cover, working hours.
		out = append(out, pline{4, st.Warning, "moved: " + sel.Why})
	}
	if len(c.Assignees) > 1 {
		out = append(out, pline{4, st.Muted, "team task: " + strings.Join(c.Assignees, ", ")})
	}
	if keys != "" {
		out = append(out, pline{4, st.Muted, keys})
	}
	return out
}

// snoozeHelp says what the snooze prompt accepts, in the user's time zone.
func (m *Model) snoozeHelp() []pline {
	st := m.c.Styles
	name := ""
	if m.pend != nil {
		name = " " + m.pend.record
	}
	out := []pline{
		{0, st.Title, "Snooze" + name},
		{0, st.Muted, "Times are in " + m.loc.String() + ";"},
		{0, st.Muted, "it is now " + m.c.Engine.Clock().Now().In(m.loc).Format("Mon Jan 2 15:04") + "."},
		{},
		{0, st.Muted, "Type one of:"},
	}
	for _, ex := range [][2]string{
		{"+2h, +90m, +3d, +1w", "from now"},
		{"today 16:00", "later today"},
		{"tomorrow 9:00", "tomorrow (9:00 alone)"},
		{"fri 14:30", "next Friday (9:00 alone)"},
		{"2026-03-04 10:00", "a date (9:00 alone)"},
		{"16:00, 4pm, 4:30pm", "today, or tomorrow once passed"},
	} {
		out = append(out, pline{2, st.Text, ex[0]}, pline{4, st.Muted, ex[1]})
	}
	return append(out, pline{}, pline{0, st.Muted, "enter snoozes · esc cancels"})
}

// stepText is a step with its icon and detail.
func stepText(s engine.UpStep) string {
	t := icon(s.Type) + " " + s.Name
	if s.Detail != "" {
		t += " (" + s.Detail + ")"
	}
	return t
}

// pastText is one completed or skipped step.
func (m *Model) pastText(p engine.PastStep) string {
	when := m.when(p.At)
	switch p.What {
	case "yes", "no":
		return fmt.Sprintf("◆ %s → %s · %s", p.Name, p.What, when)
	case "skipped":
		return fmt.Sprintf("✗ %s %s · skipped · %s", icon(p.Type), p.Name, when)
	}
	what := strings.ReplaceAll(p.What, "_", " ")
	if p.What == "done" && p.Outcome != "" {
		what = strings.ReplaceAll(p.Outcome, "_", " ")
	}
	if p.What == engine.EventFieldUpdated || p.What == engine.EventStageSet {
		what = "ran"
	}
	t := fmt.Sprintf("✓ %s %s · %s · %s", icon(p.Type), p.Name, what, when)
	if p.Note != "" && p.Note != "sent" && p.Note != "marked as sent" {
		t += fmt.Sprintf(" · “%s”", p.Note)
	}
	return t
}

// fieldLines lists a record's contact columns and free fields, names aligned.
func fieldLines(r engine.Record) []string {
	var keys, vals []string
	add := func(k, v string) {
		if v != "" {
			keys, vals = append(keys, k), append(vals, v)
		}
	}
	add("email", r.Email)
	add("phone", r.Phone)
	add("access team", r.AccessTeam)
	names := make([]string, 0, len(r.Fields))
	for k := range r.Fields {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, k := range names {
		add(k, mail.FormatValue(r.Fields[k]))
	}
	if len(keys) == 0 {
		return []string{"(none)"}
	}
	w := 0
	for _, k := range keys {
		w = max(w, min(12, ansi.StringWidth(k)))
	}
	out := make([]string, len(keys))
	for i := range keys {
		out[i] = fmt.Sprintf("%-*s %s", w, keys[i], vals[i])
	}
	return out
}
