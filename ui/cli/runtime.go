package cli

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/pacer-sales/pacer/engine"
	"github.com/pacer-sales/pacer/engine/sequence"
)

func (a *App) connectCmd() *cobra.Command {
	var where string
	c := a.jsonFlag(&cobra.Command{
		Use:   "connect SEQ E/ID... | --where FIELD=VALUE",
		Short: "Connect records to an active sequence (all or nothing)",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			eng, as, err := a.session(cmd)
			if err != nil {
				return err
			}
			var res []engine.ConnectResult
			switch {
			case where != "" && len(args) > 1:
				return fmt.Errorf("give records or --where, not both")
			case where != "":
				field, value, ok := strings.Cut(where, "=")
				if !ok || strings.TrimSpace(field) == "" {
					return fmt.Errorf("--where %q: write FIELD=VALUE", where)
				}
				res, err = eng.ConnectWhere(cmd.Context(), as, args[0], strings.TrimSpace(field), strings.TrimSpace(value))
			case len(args) == 1:
				return fmt.Errorf("name the records to connect (E/ID...) or use --where FIELD=VALUE")
			default:
				res, err = eng.Connect(cmd.Context(), as, args[0], args[1:])
			}
			if err != nil {
				return err
			}
			if a.asJSON {
				if res == nil {
					res = []engine.ConnectResult{}
				}
				return a.printJSON(res)
			}
			for _, r := range res {
				fmt.Fprintf(a.stdout, "Connected %s: at %s (%s).\n", r.Record, orDash(r.Step), r.State)
			}
			if len(res) == 0 {
				fmt.Fprintln(a.stdout, "No records to connect.")
			}
			return nil
		},
	})
	c.Flags().StringVar(&where, "where", "", "connect every record of the sequence's type whose FIELD equals VALUE")
	return c
}

func (a *App) disconnectCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "disconnect SEQ E/ID...",
		Short: "Disconnect records from a sequence (reason manual; open tasks are cancelled)",
		Args:  cobra.MinimumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			eng, as, err := a.session(cmd)
			if err != nil {
				return err
			}
			if err := eng.Disconnect(cmd.Context(), as, args[0], args[1:]); err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "Disconnected %d record(s) from %q.\n", len(args)-1, args[0])
			return nil
		},
	}
}

func (a *App) tasksCmd() *cobra.Command {
	var q engine.TaskQuery
	var due string
	c := a.jsonFlag(&cobra.Command{
		Use:   "tasks",
		Short: "The work list: open tasks, earliest due first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			eng, as, err := a.session(cmd)
			if err != nil {
				return err
			}
			q.Due = engine.Due(due)
			rows, err := eng.Tasks(cmd.Context(), as, q)
			if err != nil {
				return err
			}
			if a.asJSON {
				return a.printJSON(rows)
			}
			head := []string{"TASK", "DUE", "RECORD", "NAME", "TYPE", "STEP", "SEQUENCE", "ASSIGNEES"}
			// A WHY column when the engine moved a task: a holiday, time off, working hours.
			moved := slices.ContainsFunc(rows, func(t engine.TaskRow) bool { return t.Why != "" })
			if moved {
				head = append(head, "WHY")
			}
			cells := make([][]string, len(rows))
			for i, t := range rows {
				name := t.Name
				if t.Error != "" {
					name += " (" + clip(t.Error, 40) + ")"
				}
				cells[i] = []string{t.ID[:12], t.DueAt.Format("2006-01-02 15:04"), t.Record, clip(t.RecordName, 24), t.Type, clip(name, 40), clip(t.Sequence, 30), strings.Join(t.Assignees, ",")}
				if moved {
					cells[i] = append(cells[i], orDash(clip(t.Why, 80)))
				}
			}
			return a.table(head, cells)
		},
	})
	c.Flags().StringVar(&q.User, "user", "", "whose work list (managers and admins)")
	c.Flags().BoolVar(&q.All, "all", false, "every open task (managers and admins)")
	c.Flags().StringVar(&due, "due", "all", "overdue, today, upcoming or all")
	return c
}

func (a *App) taskCmd() *cobra.Command {
	c := &cobra.Command{Use: "task", Short: "Work a task: done, skip, snooze, assign (ID or its first 6+ characters)"}
	act := func(use, short string, nargs int, build func(args []string) (engine.TaskAction, error)) *cobra.Command {
		return &cobra.Command{
			Use:   use,
			Short: short,
			Args:  cobra.ExactArgs(nargs),
			RunE: func(cmd *cobra.Command, args []string) error {
				eng, as, err := a.session(cmd)
				if err != nil {
					return err
				}
				action, err := build(args)
				if err != nil {
					return err
				}
				row, err := eng.ActOnTask(cmd.Context(), as, args[0], action)
				if err != nil {
					return err
				}
				fmt.Fprintf(a.stdout, "Task %q for %s: %s.\n", row.Name, row.Record, describeAction(action, row))
				return nil
			},
		}
	}
	var outcome, note, until, to string
	done := act("done ID", "Mark a task done (a call may need --outcome)", 1, func([]string) (engine.TaskAction, error) {
		return engine.TaskAction{Kind: engine.ActDone, Outcome: outcome, Note: note}, nil
	})
	done.Flags().StringVar(&outcome, "outcome", "", "call outcome, from the org's list")
	done.Flags().StringVar(&note, "note", "", "a note kept in the history")
	skip := act("skip ID", "Skip a task (a condition after it takes No)", 1, func([]string) (engine.TaskAction, error) {
		return engine.TaskAction{Kind: engine.ActSkip}, nil
	})
	snooze := act("snooze ID --until TIME", "Move a task's due time", 1, func([]string) (engine.TaskAction, error) {
		t, err := time.Parse(time.RFC3339, until)
		if err != nil {
			return engine.TaskAction{}, fmt.Errorf("--until %q: want an RFC 3339 time like 2026-03-03T09:00:00Z", until)
		}
		return engine.TaskAction{Kind: engine.ActSnooze, Until: t}, nil
	})
	snooze.Flags().StringVar(&until, "until", "", "new due time (RFC 3339)")
	_ = snooze.MarkFlagRequired("until")
	assign := act("assign ID --to USER", "Hand a task to another user", 1, func([]string) (engine.TaskAction, error) {
		return engine.TaskAction{Kind: engine.ActAssign, To: to}, nil
	})
	assign.Flags().StringVar(&to, "to", "", "username")
	_ = assign.MarkFlagRequired("to")
	c.AddCommand(done, skip, snooze, assign)
	return c
}

func describeAction(a engine.TaskAction, row engine.TaskRow) string {
	switch a.Kind {
	case engine.ActSnooze:
		return "due " + row.DueAt.Format("2006-01-02 15:04")
	case engine.ActAssign:
		return "assigned to " + strings.Join(row.Assignees, ", ")
	case engine.ActDone:
		if a.Outcome != "" {
			return "done (" + a.Outcome + ")"
		}
	}
	return row.State
}

func (a *App) waitCmd() *cobra.Command {
	c := &cobra.Command{Use: "wait", Short: "Waits"}
	c.AddCommand(&cobra.Command{
		Use:   "skip SEQ E/ID",
		Short: "End the wait a record is at now",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			eng, as, err := a.session(cmd)
			if err != nil {
				return err
			}
			if err := eng.SkipWait(cmd.Context(), as, args[0], args[1]); err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "Skipped the wait of %s in %q.\n", args[1], args[0])
			return nil
		},
	})
	return c
}

func (a *App) eventCmd() *cobra.Command {
	var step, seq, at string
	c := &cobra.Command{
		Use:   "event E/ID TYPE [--seq SEQ] [--step STEP_ID]",
		Short: "Record an email event (email_opened, email_replied, link_clicked, attachment_downloaded)",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			eng, as, err := a.session(cmd)
			if err != nil {
				return err
			}
			var when time.Time
			if at != "" {
				if when, err = time.Parse(time.RFC3339, at); err != nil {
					return fmt.Errorf("--at %q: want an RFC 3339 time", at)
				}
			}
			if err := eng.RecordEventIn(cmd.Context(), as, args[0], sequence.Kind(args[1]), engine.EventTarget{Seq: seq, Step: step}, when); err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "Recorded %s for %s.\n", args[1], args[0])
			return nil
		},
	}
	c.Flags().StringVar(&step, "step", "", "the step whose message it belongs to")
	c.Flags().StringVar(&seq, "seq", "", "the sequence whose message it belongs to (needed when emails of several sequences could be meant)")
	c.Flags().StringVar(&at, "at", "", "when it happened (RFC 3339; default now)")
	return c
}

func (a *App) segmentCmd() *cobra.Command {
	c := &cobra.Command{Use: "segment", Short: "Segments: records matching a filter join a sequence automatically"}
	var s engine.Segment
	var where []string
	add := &cobra.Command{
		Use:   "add NAME --entity E --where FIELD=VALUE... --seq SEQ",
		Short: "Save a segment (inactive until activated)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			eng, as, err := a.session(cmd)
			if err != nil {
				return err
			}
			s.Name = args[0]
			for _, w := range where {
				f, v, ok := strings.Cut(w, "=")
				if !ok {
					return fmt.Errorf("--where %q: write FIELD=VALUE", w)
				}
				s.Where = append(s.Where, engine.SegmentMatch{Field: strings.TrimSpace(f), Value: strings.TrimSpace(v)})
			}
			if err := eng.AddSegment(cmd.Context(), as, s); err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "Saved segment %s (inactive; pacer segment activate %s).\n", s.Name, s.Name)
			return nil
		},
	}
	add.Flags().StringVar(&s.Entity, "entity", "", "record type")
	add.Flags().StringArrayVar(&where, "where", nil, "FIELD=VALUE (repeat: all must hold)")
	add.Flags().StringVar(&s.Sequence, "seq", "", "sequence to connect matching records to")
	for _, f := range []string{"entity", "where", "seq"} {
		_ = add.MarkFlagRequired(f)
	}
	list := a.jsonFlag(&cobra.Command{
		Use:   "list",
		Short: "List segments",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			eng, as, err := a.session(cmd)
			if err != nil {
				return err
			}
			segs, err := eng.Segments(cmd.Context(), as)
			if err != nil {
				return err
			}
			if a.asJSON {
				if segs == nil {
					segs = []engine.Segment{}
				}
				return a.printJSON(segs)
			}
			rows := make([][]string, len(segs))
			for i, s := range segs {
				var ws []string
				for _, w := range s.Where {
					ws = append(ws, w.Field+"="+w.Value)
				}
				state := "inactive"
				if s.Active {
					state = "active"
				}
				rows[i] = []string{s.Name, s.Entity, strings.Join(ws, " "), s.Sequence, state}
			}
			return a.table([]string{"SEGMENT", "ENTITY", "WHERE", "SEQUENCE", "STATE"}, rows)
		},
	})
	toggle := func(verb string, on bool) *cobra.Command {
		return &cobra.Command{
			Use:   verb + " NAME",
			Short: strings.ToUpper(verb[:1]) + verb[1:] + " a segment",
			Args:  cobra.ExactArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				eng, as, err := a.session(cmd)
				if err != nil {
					return err
				}
				n, err := eng.SetSegmentActive(cmd.Context(), as, args[0], on)
				if err != nil {
					return err
				}
				if on {
					fmt.Fprintf(a.stdout, "Segment %s is active; %d matching record(s) connected.\n", args[0], n)
				} else {
					fmt.Fprintf(a.stdout, "Segment %s is inactive.\n", args[0])
				}
				return nil
			},
		}
	}
	c.AddCommand(add, list, toggle("activate", true), toggle("deactivate", false), a.segmentRemoveCmd())
	return c
}

func (a *App) tickCmd() *cobra.Command {
	return a.jsonFlag(&cobra.Command{
		Use:   "tick",
		Short: "Run everything due up to now (timers, queued messages), print what was done, exit",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			eng, err := a.Engine(cmd.Context())
			if err != nil {
				return err
			}
			rep, err := eng.Tick(cmd.Context())
			if err != nil {
				return err
			}
			if a.asJSON {
				return a.printJSON(rep)
			}
			PrintTick(a.stdout, rep)
			return nil
		},
	})
}

// PrintTick writes what one run of the engine did.
func PrintTick(w io.Writer, rep engine.TickReport) {
	fmt.Fprintf(w, "%d timer(s) fired, %d message(s) sent, %d to retry, %d failed for good.\n", rep.Timers, rep.Sent, rep.Retried, rep.Failed)
	for _, e := range rep.Errors {
		fmt.Fprintln(w, "  error:", e)
	}
}

func (a *App) simulateCmd() *cobra.Command {
	var opt engine.SimOptions
	var events, outcomes, pauses []string
	c := a.jsonFlag(&cobra.Command{
		Use:   "simulate SEQ [--record E/ID] [--event TYPE@DURATION]... [--outcome STEP=OUTCOME]... [--pause AFTER+FOR[=REASON]]...",
		Short: "Print the timeline a record would follow through a sequence, changing nothing",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			eng, as, err := a.session(cmd)
			if err != nil {
				return err
			}
			opt.Sequence = args[0]
			for _, ev := range events {
				kind, dur, ok := strings.Cut(ev, "@")
				d, derr := sequence.ParseDuration(dur)
				if !ok || derr != nil {
					return fmt.Errorf("--event %q: write TYPE@DURATION, e.g. email_opened@2h", ev)
				}
				opt.Events = append(opt.Events, engine.SimEvent{Kind: sequence.Kind(kind), After: d})
			}
			for _, p := range pauses {
				sp, err := parseSimPause(p)
				if err != nil {
					return err
				}
				opt.Pauses = append(opt.Pauses, sp)
			}
			for _, o := range outcomes {
				step, out, ok := strings.Cut(o, "=")
				if !ok {
					return fmt.Errorf("--outcome %q: write STEP=OUTCOME (or STEP=skip)", o)
				}
				if opt.Outcomes == nil {
					opt.Outcomes = map[string]string{}
				}
				opt.Outcomes[step] = out
			}
			lines, err := a.simulate(cmd.Context(), eng, as, opt)
			if err != nil {
				return err
			}
			if a.asJSON {
				return a.printJSON(lines)
			}
			cells := make([][]string, len(lines))
			for i, l := range lines {
				step := l.StepName
				if l.StepID != "" {
					step += " [" + l.StepID + "]"
				}
				what := l.What
				if l.Branch != "" {
					what += " → " + strings.ToUpper(l.Branch)
				}
				if l.Why != "" {
					what += ": " + l.Why
				}
				cells[i] = []string{l.At.Format("2006-01-02 15:04"), orDash(step), what}
			}
			return a.table([]string{"TIME", "STEP", "WHAT HAPPENED"}, cells)
		},
	})
	c.Flags().StringVar(&opt.Record, "record", "", "a real record (default: a made-up one)")
	c.Flags().StringArrayVar(&events, "event", nil, "TYPE@DURATION after the start, e.g. email_opened@2h (repeatable)")
	c.Flags().StringArrayVar(&outcomes, "outcome", nil, "STEP=OUTCOME for a call, or STEP=skip (repeatable)")
	c.Flags().StringArrayVar(&pauses, "pause", nil, "AFTER+FOR[=REASON]: pause AFTER the start, resuming FOR later, e.g. 1d+3d=trade show (repeatable)")
	return c
}

// parseSimPause reads simulate's --pause AFTER+FOR[=REASON].
func parseSimPause(v string) (engine.SimPause, error) {
	spec, reason, _ := strings.Cut(v, "=")
	after, dur, ok := strings.Cut(spec, "+")
	a, aerr := sequence.ParseDuration(strings.TrimSpace(after))
	d, derr := sequence.ParseDuration(strings.TrimSpace(dur))
	if !ok || aerr != nil || derr != nil || d <= 0 {
		return engine.SimPause{}, fmt.Errorf("--pause %q: write AFTER+FOR[=REASON], e.g. 1d+3d=trade show", v)
	}
	return engine.SimPause{After: a, For: d, Reason: strings.TrimSpace(reason)}, nil
}

// simulate runs the simulation on a throwaway copy of the database.
func (a *App) simulate(ctx context.Context, eng *engine.Engine, as string, opt engine.SimOptions) ([]engine.SimLine, error) {
	sim, done, err := a.env.Backend.Scratch(ctx, eng.Clock().Now())
	if err != nil {
		return nil, err
	}
	defer done()
	return sim.Simulate(ctx, as, opt)
}

func (a *App) outboxCmd() *cobra.Command {
	return a.jsonFlag(&cobra.Command{
		Use:   "outbox",
		Short: "Messages pacer queued, sent or kept (with no transport configured)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			eng, as, err := a.session(cmd)
			if err != nil {
				return err
			}
			rows, err := eng.Outbox(cmd.Context(), as)
			if err != nil {
				return err
			}
			if a.asJSON {
				return a.printJSON(rows)
			}
			cells := make([][]string, len(rows))
			for i, m := range rows {
				state := m.State
				switch {
				case m.Held != "":
					state += " until " + m.NextTry.UTC().Format("2006-01-02 15:04") + " (" + clip(m.Held, 60) + ")"
				case m.LastError != "":
					state += " (" + clip(m.LastError, 30) + ")"
				}
				cells[i] = []string{m.CreatedAt.Format("2006-01-02 15:04"), m.Record, m.To, clip(m.Subject, 40), clip(m.Sequence, 28), state}
			}
			return a.table([]string{"QUEUED", "RECORD", "TO", "SUBJECT", "SEQUENCE", "STATE"}, cells)
		},
	})
}

// unsubscribesCmd is `unsubscribes list|remove`: the addresses that get no automated email.
func (a *App) unsubscribesCmd() *cobra.Command {
	c := &cobra.Command{Use: "unsubscribes", Short: "Addresses that unsubscribed or bounced: they get no automated email"}
	var kind string
	list := a.jsonFlag(&cobra.Command{
		Use:   "list [--kind unsubscribed|bounced]",
		Short: "List unsubscribed and undeliverable addresses (managers and admins)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			eng, as, err := a.session(cmd)
			if err != nil {
				return err
			}
			ss, err := eng.Suppressions(cmd.Context(), as, kind)
			if err != nil {
				return err
			}
			if a.asJSON {
				return a.printJSON(ss)
			}
			rows := make([][]string, len(ss))
			for i, s := range ss {
				rows[i] = []string{Cell(s.Address), s.Kind, s.At.UTC().Format(time.RFC3339), Cell(s.Reason)}
			}
			return a.table([]string{"ADDRESS", "KIND", "AT", "REASON"}, rows)
		},
	})
	list.Flags().StringVar(&kind, "kind", "", "unsubscribed or bounced (default both)")
	var rmKind string
	remove := &cobra.Command{
		Use:   "remove ADDRESS [--kind unsubscribed|bounced]",
		Short: "Let pacer send automated email to an address again (admins)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			eng, as, err := a.session(cmd)
			if err != nil {
				return err
			}
			if err := eng.RemoveSuppression(cmd.Context(), as, rmKind, args[0]); err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "%s is no longer %s.\n", Cell(args[0]), rmKind)
			return nil
		},
	}
	remove.Flags().StringVar(&rmKind, "kind", "unsubscribed", "unsubscribed or bounced")
	c.AddCommand(list, remove)
	return c
}
