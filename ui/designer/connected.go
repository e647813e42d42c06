package designer

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/pacer-sales/pacer/engine"
	"github.com/pacer-sales/pacer/engine/sequence"
	"github.com/pacer-sales/pacer/ui/common"
	"github.com/pacer-sales/pacer/ui/components/dialog"
	"github.com/pacer-sales/pacer/ui/components/grid"
	"github.com/pacer-sales/pacer/ui/components/recordpicker"
)

// connTab holds the Connected records and Stats tabs: the sequence's connections and the
// counts drawn from them.
type connTab struct {
	rows   []engine.ConnRow
	stats  engine.SeqStats
	done   bool
	err    error
	cursor int
	offset int
	// statsOffset scrolls the per-step table.
	statsOffset int
	// held are the emails held per step (see heldByStep), as last read.
	held map[string]engine.StepHolds
}

func (t *connTab) loaded(msg activityMsg) {
	t.done, t.err = true, msg.err
	if msg.err != nil {
		return
	}
	t.rows, t.stats = msg.rows, msg.stats
	if msg.withHeld {
		t.held = msg.held
	}
	t.cursor = max(0, min(t.cursor, len(t.rows)-1))
}

// connectedKey handles the Connected records tab's keys.
func (m *Model) connectedKey(msg tea.KeyPressMsg) tea.Cmd {
	k, t := m.keys, &m.conn
	h := m.bodyHeight() - 1
	switch {
	case key.Matches(msg, k.Up):
		t.cursor = max(0, t.cursor-1)
	case key.Matches(msg, k.Down):
		t.cursor = max(0, min(len(t.rows)-1, t.cursor+1))
	case key.Matches(msg, k.Top):
		t.cursor = 0
	case key.Matches(msg, k.Bottom):
		t.cursor = max(0, len(t.rows)-1)
	case key.Matches(msg, k.Reload):
		return m.activityCmd()
	case key.Matches(msg, k.Connect):
		if !m.isLoaded() {
			return nil
		}
		m.records = recordpicker.New(m.c, m.seq.Entity, "Connect records to "+m.seq.Name)
		m.mode = modeRecords
		return m.records.Init()
	case key.Matches(msg, k.Disconnect):
		if len(t.rows) == 0 {
			m.setStatus("No record is connected")
			return nil
		}
		r := t.rows[t.cursor]
		if r.State != "active" {
			m.setStatus(fmt.Sprintf("%s is %s; only active connections can be disconnected", r.Record, r.State))
			return nil
		}
		ref := r.Record
		m.ask(fmt.Sprintf("Disconnect %s (%s) from %s?", ref, r.RecordName, m.seq.Name),
			choice{[]string{"y"}, "disconnect", func(m *Model) tea.Cmd { return m.disconnectCmd(ref) }},
			choice{[]string{"n", "esc"}, "keep", nil})
		return nil
	}
	if t.cursor < t.offset {
		t.offset = t.cursor
	}
	if h > 0 && t.cursor >= t.offset+h {
		t.offset = t.cursor - h + 1
	}
	return nil
}

// recordsKey gives a key to the record picker; its choice is connected (a refusal keeps
// the picker open, see connectedMsg).
func (m *Model) recordsKey(msg tea.KeyPressMsg) tea.Cmd {
	r, cmd := m.records.Update(msg)
	switch r {
	case dialog.Cancelled:
		m.records, m.mode = nil, modeNormal
		return nil
	case dialog.Accepted:
		return m.connectCmd(m.records.Chosen())
	}
	return cmd
}

func (m *Model) connectCmd(refs []string) tea.Cmd {
	eng, ctx, by, name := m.c.Engine, m.c.Ctx, m.c.User.Username, m.seq.Name
	return m.own(func() tea.Msg {
		res, err := eng.Connect(ctx, by, name, refs)
		return connectedMsg{n: len(res), err: err}
	})
}

func (m *Model) disconnectCmd(ref string) tea.Cmd {
	eng, ctx, by, name := m.c.Engine, m.c.Ctx, m.c.User.Username, m.seq.Name
	return m.own(func() tea.Msg {
		return disconnectedMsg{ref: ref, err: eng.Disconnect(ctx, by, name, []string{ref})}
	})
}

// statsKey scrolls the Stats tab.
func (t *connTab) statsKey(msg tea.KeyPressMsg, k keyMap, rows int) {
	n := rows
	switch {
	case key.Matches(msg, k.Up):
		t.statsOffset = max(0, t.statsOffset-1)
	case key.Matches(msg, k.Down):
		t.statsOffset = max(0, min(n-1, t.statsOffset+1))
	case key.Matches(msg, k.Top):
		t.statsOffset = 0
	}
}

// column is one column of a plain table.
type column struct {
	title string
	width int
	right bool
}

func cell(s string, c column) string {
	s = ansi.Truncate(s, c.width, "…")
	pad := strings.Repeat(" ", max(0, c.width-lipgloss.Width(s)))
	if c.right {
		return pad + s
	}
	return s + pad
}

func tableLine(cols []column, vals []string) string {
	parts := make([]string, len(cols))
	for i, c := range cols {
		parts[i] = cell(vals[i], c)
	}
	return strings.TrimRight(strings.Join(parts, "  "), " ")
}

// connectedView draws the Connected records tab.
func (m *Model) connectedView(st *common.Styles, width, height int) string {
	t := &m.conn
	switch {
	case t.err != nil:
		return st.Danger.Render(errText(t.err))
	case !t.done:
		return st.Muted.Render("Loading…")
	case len(t.rows) == 0:
		msg := "No record is connected to this sequence yet. c connects records."
		if m.seq.State != engine.StateActive {
			msg = "No record is connected. Only active sequences take new connections (A activates)."
		}
		return st.Muted.Render(msg)
	}
	const stateW = 24
	rest := max(10, width-2-(14+4+6+stateW)-2*5)
	nameW := rest * 2 / 5
	stepW := rest - nameW
	cols := []column{{"Record", 14, false}, {"Name", nameW, false}, {"Ver", 4, true}, {"Current step", stepW, false}, {"State", stateW, false}, {"Days", 6, true}}
	titles := make([]string, len(cols))
	for i, c := range cols {
		titles[i] = c.title
	}
	lines := []string{"  " + st.Header.Render(tableLine(cols, titles))}
	h := max(1, height-1)
	for i := t.offset; i < len(t.rows) && i < t.offset+h; i++ {
		r := t.rows[i]
		step := r.StepName
		if step == "" {
			step = r.CurrentStep
		}
		state := r.State
		if r.State != "active" {
			// An ended connection is at no step; why it ended goes with its state.
			step = "—"
			if r.Reason != "" {
				state += ": " + r.Reason
			}
		}
		days := ""
		if r.State == "active" {
			days = strconv.FormatFloat(math.Floor(r.DaysInStep*10)/10, 'f', 1, 64)
		}
		line := tableLine(cols, []string{grid.Clean(r.Record), grid.Clean(r.RecordName), strconv.Itoa(r.Version), grid.Clean(step), state, days})
		if i == t.cursor {
			lines = append(lines, "› "+st.Selected.Render(line))
		} else {
			lines = append(lines, "  "+st.Text.Render(line))
		}
	}
	return strings.Join(lines, "\n")
}

// statsView draws the Stats tab: connections per state, the success rate and per-step counts.
func (m *Model) statsView(st *common.Styles, width, height int) string {
	t := &m.conn
	switch {
	case t.err != nil:
		return st.Danger.Render(errText(t.err))
	case !t.done:
		return st.Muted.Render("Loading…")
	}
	s := t.stats
	states := []string{"active", "completed", "disconnected"}
	for k := range s.States {
		if !slices.Contains(states, k) {
			states = append(states, k)
		}
	}
	var parts []string
	total := 0
	for _, k := range states {
		parts = append(parts, fmt.Sprintf("%s %d", k, s.States[k]))
		total += s.States[k]
	}
	ended := s.States["completed"] + s.States["disconnected"]
	rate := "— (no connection has ended yet)"
	if ended > 0 {
		rate = fmt.Sprintf("%.0f%% (%d of %d ended connections completed)", s.SuccessRate*100, s.States["completed"], ended)
	}
	lines := []string{
		st.Title.Render("Connections") + "  " + fmt.Sprintf("%d in all: %s", total, strings.Join(parts, " · ")),
		st.Title.Render("Success rate") + "  " + rate,
		"",
	}
	if len(s.Steps) == 0 {
		lines = append(lines, st.Muted.Render("No step has been entered yet."))
		return strings.Join(lines, "\n")
	}
	return strings.Join(append(lines, m.funnelLines(st, s, width, max(1, height-len(lines)))...), "\n")
}

// barWidth is the width of the funnel's bars.
const barWidth = 12

// funnelLines draws the designer's tree with each step's counts and a bar of its entries
// against the busiest step's: a funnel. Emails add the engagement the engine recorded,
// conditions their Yes and No counts.
func (m *Model) funnelLines(st *common.Styles, s engine.SeqStats, width, height int) []string {
	byID := map[string]engine.StepStat{}
	most := 1
	for _, x := range s.Steps {
		byID[x.ID] = x
		most = max(most, x.Entered)
	}
	nameW := max(16, min(44, width-2-barWidth-2-38))
	head := fmt.Sprintf("%-*s  %-*s  %s", nameW, "Step", barWidth+5, "Entered", "done · skipped · waiting now")
	out := []string{"  " + st.Header.Render(head)}
	t := &m.conn
	for i := t.statsOffset; i < len(m.rows) && len(out) < height; i++ {
		r := m.rows[i]
		label := r.prefix
		switch r.kind {
		case rowStart:
			label += "● Sequence starts here"
		case rowStep:
			label += icon(r.step.Type) + " " + r.step.DisplayName()
		case rowBranch:
			label += map[string]string{branchYes: "Yes", branchNo: "No"}[r.branch]
		case rowEmpty:
			label += "(empty)"
		}
		line := cell(grid.Clean(label), column{width: nameW})
		if x, ok := byID[r.id]; ok && r.kind == rowStep {
			fill := x.Entered * barWidth / most
			if x.Entered > 0 {
				fill = max(fill, 1)
			}
			bar := strings.Repeat("█", fill) + strings.Repeat("░", barWidth-fill)
			line += "  " + st.Accent.Render(bar) + fmt.Sprintf(" %4d  %d · %d · %d", x.Entered, x.Done, x.Skipped, x.Waiting)
			switch {
			case r.step.Type == sequence.Condition:
				line += fmt.Sprintf("  yes %d · no %d", x.Yes, x.No)
			case x.Sent > 0 || x.Opened > 0 || x.Replied > 0:
				line += fmt.Sprintf("  sent %d · opened* %d · clicked %d · replied %d", x.Sent, x.Opened, x.Clicked, x.Replied)
				if x.Bounced+x.Unsubscribed > 0 {
					line += fmt.Sprintf(" · bounced %d · unsubscribed %d", x.Bounced, x.Unsubscribed)
				}
				if x.Sent > 0 {
					line += fmt.Sprintf(" (%.0f%% replied)", 100*x.Rates.Replied)
				}
			}
		}
		out = append(out, "  "+line)
		if ht := m.heldText(t.held[r.id]); ht != "" && r.kind == rowStep && len(out) < height {
			out = append(out, "  "+cell("", column{width: nameW})+"  "+st.Warning.Render(ht))
		}
	}
	for _, x := range s.Steps {
		if x.Sent > 0 && len(out) < height {
			out = append(out, "  "+st.Muted.Render("* "+s.OpensNote))
			break
		}
	}
	return out
}
