package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/pacer-sales/pacer/engine"
	"github.com/pacer-sales/pacer/engine/limits"
	"github.com/pacer-sales/pacer/engine/sequence"
)

func (a *App) seqCmd() *cobra.Command {
	c := &cobra.Command{Use: "seq", Short: "Design and manage sequences"}
	c.AddCommand(a.seqImportCmd(), a.seqExportCmd(), a.seqValidateCmd(), a.seqListCmd(), a.seqShowCmd(),
		a.seqLifecycleCmd("activate", "Validate and activate a sequence"),
		a.seqLifecycleCmd("deactivate", "Stop a sequence taking new connections (connected records run on)"),
		a.seqLifecycleCmd("delete", "Delete a sequence (an active one is deactivated first)"),
		a.seqCloneCmd(), a.seqNewCmd(), a.seqTemplatesCmd(), a.seqTagsCmd())
	return c
}

// readSequenceFile reads and parses a sequence file, "-" meaning standard input.
func (a *App) readSequenceFile(path string) (*sequence.Sequence, error) {
	data, err := a.readInput("", path, limits.SequenceFile)
	if err != nil {
		return nil, err
	}
	return sequence.Parse(data, path)
}

func (a *App) seqImportCmd() *cobra.Command {
	var opt engine.SaveOptions
	c := &cobra.Command{
		Use:   "import FILE.yaml",
		Short: "Import a sequence file (updates the sequence of the same name)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			eng, as, err := a.session(cmd)
			if err != nil {
				return err
			}
			def, err := a.readSequenceFile(args[0])
			if err != nil {
				return err
			}
			s, err := eng.ImportSequence(cmd.Context(), as, def, opt)
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "Saved sequence %q: %s, version %d, %d steps.\n", s.Name, s.State, s.Version, s.Steps)
			if opt.Activate {
				return a.warnActivated(cmd, eng, as, s.Name)
			}
			return nil
		},
	}
	c.Flags().BoolVar(&opt.Activate, "activate", false, "activate it after saving")
	c.Flags().StringVar(&opt.Note, "note", "", "change note kept with the new version")
	return c
}

func (a *App) seqExportCmd() *cobra.Command {
	var out string
	c := &cobra.Command{
		Use:   "export NAME",
		Short: "Write a sequence as a sequence file",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			eng, as, err := a.session(cmd)
			if err != nil {
				return err
			}
			data, err := eng.Export(cmd.Context(), as, args[0])
			if err != nil {
				return err
			}
			if out == "" || out == "-" {
				_, err = a.raw.Write(data)
				return err
			}
			p, err := a.path("--output ", out)
			if err != nil {
				return err
			}
			return os.WriteFile(p, data, 0o644)
		},
	}
	c.Flags().StringVarP(&out, "output", "o", "", "file to write (default standard output)")
	return c
}

func (a *App) seqValidateCmd() *cobra.Command {
	return a.jsonFlag(&cobra.Command{
		Use:   "validate FILE.yaml",
		Short: "Report every problem that would stop a sequence file from being activated",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			eng, as, err := a.session(cmd)
			if err != nil {
				return err
			}
			def, err := a.readSequenceFile(args[0])
			if err != nil {
				return err
			}
			probs, err := eng.Validate(cmd.Context(), as, def, def.Name)
			if err != nil {
				return err
			}
			warns, err := eng.SequenceWarnings(cmd.Context(), as, def)
			if err != nil {
				return err
			}
			if a.asJSON {
				if probs == nil {
					probs = []sequence.Problem{}
				}
				if err := a.printJSON(validation{Problems: probs, Warnings: warns}); err != nil {
					return err
				}
			} else {
				for _, p := range probs {
					fmt.Fprintf(a.stdout, "%s: %s\n", args[0], engine.FormatProblem(p))
				}
				a.printWarnings(args[0]+": ", warns)
			}
			if len(probs) > 0 {
				return fmt.Errorf("%s: %d problem(s)", args[0], len(probs))
			}
			if !a.asJSON {
				fmt.Fprintf(a.stdout, "%s: no problems\n", args[0])
			}
			return nil
		},
	})
}

// validation is the JSON of seq validate: what stops activation, and what only warns.
type validation struct {
	Problems []sequence.Problem `json:"problems"`
	Warnings []engine.Warning   `json:"warnings"`
}

// printWarnings prints a sequence's warnings, a line each after prefix.
func (a *App) printWarnings(prefix string, warns []engine.Warning) {
	for _, w := range warns {
		fmt.Fprintf(a.stdout, "%s%s\n", prefix, Cell(engine.FormatWarning(w)))
	}
}

// warnActivated prints the warnings of the sequence just activated: they stop nothing, but
// its author should know.
func (a *App) warnActivated(cmd *cobra.Command, eng *engine.Engine, as, name string) error {
	d, err := eng.Sequence(cmd.Context(), as, name)
	if err != nil {
		return err
	}
	warns, err := eng.SequenceWarnings(cmd.Context(), as, d.Def)
	if err != nil {
		return err
	}
	a.printWarnings("  ", warns)
	return nil
}

func (a *App) seqListCmd() *cobra.Command {
	var sortBy, search string
	var filters []string
	c := a.jsonFlag(&cobra.Command{
		Use:   "list",
		Short: "The sequences grid: --sort COL[:desc], --search TEXT (name and description), --filter COL=VALUE",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			eng, as, err := a.session(cmd)
			if err != nil {
				return err
			}
			q := engine.Query{Search: search}
			if sortBy != "" {
				col, dir, _ := strings.Cut(sortBy, ":")
				if _, ok := engine.ColumnByKey(col); !ok {
					return fmt.Errorf("--sort %q: unknown column (%s)", col, columnKeys())
				}
				if dir != "" && dir != "asc" && dir != "desc" {
					return fmt.Errorf("--sort %q: the direction is asc or desc", sortBy)
				}
				q.Sort, q.Desc = col, dir == "desc"
			}
			for _, f := range filters {
				col, val, ok := strings.Cut(f, "=")
				c, known := engine.ColumnByKey(col)
				if !ok || !known {
					return fmt.Errorf("--filter %q: write COL=VALUE with a column of %s", f, columnKeys())
				}
				if q.Filters == nil {
					q.Filters = map[string][]string{}
				}
				q.Filters[c.Key] = append(q.Filters[c.Key], val)
			}
			rows, err := eng.ListSequences(cmd.Context(), as, q)
			if err != nil {
				return err
			}
			if a.asJSON {
				if rows == nil {
					rows = []engine.SeqRow{}
				}
				return a.printJSON(rows)
			}
			header := make([]string, len(engine.Columns))
			for i, col := range engine.Columns {
				header[i] = strings.ToUpper(col.Title)
			}
			cells := make([][]string, len(rows))
			for i := range rows {
				cells[i] = make([]string, len(engine.Columns))
				for j, col := range engine.Columns {
					cells[i][j] = orDash(clip(col.Value(&rows[i]), 40))
				}
			}
			return a.table(header, cells)
		},
	})
	c.Flags().StringVar(&sortBy, "sort", "", "column to sort by, COL or COL:desc")
	c.Flags().StringVar(&search, "search", "", "text to find in name or description")
	c.Flags().StringArrayVar(&filters, "filter", nil, "COL=VALUE (repeat; values of one column are alternatives)")
	return c
}

func columnKeys() string {
	keys := make([]string, len(engine.Columns))
	for i, c := range engine.Columns {
		keys[i] = c.Key
	}
	return strings.Join(keys, ", ")
}

// clip shortens s to n runes with an ellipsis.
func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

func (a *App) seqShowCmd() *cobra.Command {
	return a.jsonFlag(&cobra.Command{
		Use:   "show NAME",
		Short: "Details, versions and steps of a sequence",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			eng, as, err := a.session(cmd)
			if err != nil {
				return err
			}
			d, err := eng.Sequence(cmd.Context(), as, args[0])
			if err != nil {
				return err
			}
			if a.asJSON {
				type version struct {
					N           int    `json:"n"`
					PublishedAt string `json:"published_at"`
					By          string `json:"by"`
					Note        string `json:"note,omitempty"`
				}
				type step struct {
					Path string `json:"path"`
					ID   string `json:"id"`
					Type string `json:"type"`
					Name string `json:"name"`
				}
				conns, stats, err := eng.SequenceActivity(cmd.Context(), as, args[0])
				if err != nil {
					return err
				}
				out := struct {
					engine.SeqRow
					Versions  []version        `json:"versions"`
					StepList  []step           `json:"step_list"`
					Connected []engine.ConnRow `json:"connected_records"`
					Stats     engine.SeqStats  `json:"stats"`
				}{SeqRow: engine.NewSeqRow(d.Sequence, stats.States["active"]), Versions: []version{}, StepList: []step{}, Connected: conns, Stats: stats}
				for _, v := range d.Versions {
					out.Versions = append(out.Versions, version{v.N, v.PublishedAt.Format("2006-01-02T15:04:05Z07:00"), v.By, v.Note})
				}
				d.Def.Walk(func(p string, s *sequence.Step) bool {
					out.StepList = append(out.StepList, step{p, s.ID, string(s.Type), s.DisplayName()})
					return true
				})
				return a.printJSON(out)
			}
			w := a.stdout
			fmt.Fprintf(w, "%s  (%s, version %d, record type %s, owner %s)\n", d.Name, d.State, d.Version, d.Entity, d.Owner)
			if d.Description != "" {
				fmt.Fprintf(w, "%s\n", d.Description)
			}
			if len(d.Tags) > 0 {
				fmt.Fprintf(w, "Tags: %s\n", strings.Join(d.Tags, ", "))
			}
			fmt.Fprintf(w, "Assigned to: %s\n", describeAssign(d.Def.Assign))
			fmt.Fprintln(w, "\nSteps:")
			fmt.Fprintln(w, "  Sequence starts here")
			printSteps(w, d.Def.Steps, "  ")
			fmt.Fprintln(w, "\nVersions:")
			if len(d.Versions) == 0 {
				fmt.Fprintln(w, "  none published yet (draft)")
			}
			for _, v := range d.Versions {
				note := ""
				if v.Note != "" {
					note = " — " + v.Note
				}
				fmt.Fprintf(w, "  v%d  %s  by %s%s\n", v.N, v.PublishedAt.Format("2006-01-02 15:04"), v.By, note)
			}
			conns, stats, err := eng.SequenceActivity(cmd.Context(), as, args[0])
			if err != nil {
				return err
			}
			fmt.Fprintln(w)
			printActivity(w, conns, stats)
			return nil
		},
	})
}

func describeAssign(as sequence.Assign) string {
	s := string(as.Rule())
	if as.Field != "" {
		s += " (field " + as.Field + ")"
	}
	for _, k := range sequence.MemberKeys {
		if v, ok := as.Members[k]; ok {
			s += fmt.Sprintf(", %s = %s", k, v)
		}
	}
	return s
}

// printSteps draws the step tree with Yes/No branches.
func printSteps(w io.Writer, steps []sequence.Step, indent string) {
	for i := range steps {
		s := &steps[i]
		detail := stepDetail(s)
		fmt.Fprintf(w, "%s↓ %s [%s] %s%s\n", indent, s.DisplayName(), s.ID, s.Type, detail)
		if s.Type == sequence.Condition {
			fmt.Fprintf(w, "%s  Yes:\n", indent)
			printSteps(w, s.Yes, indent+"    ")
			fmt.Fprintf(w, "%s  No:\n", indent)
			printSteps(w, s.No, indent+"    ")
		}
	}
}

func stepDetail(s *sequence.Step) string {
	switch s.Type {
	case sequence.Wait:
		return " " + sequence.FormatDuration(s.Duration)
	case sequence.Email, sequence.AutoEmail, sequence.SMS, sequence.AutoSMS:
		if s.Template != "" {
			return " template " + s.Template
		}
	case sequence.Condition:
		d := " if " + string(s.If)
		if s.Within > 0 {
			d += " within " + sequence.FormatDuration(s.Within)
		}
		if len(s.Outcomes) > 0 {
			d += " " + strings.Join(s.Outcomes, "/")
		}
		if len(s.Stages) > 0 {
			d += " " + strings.Join(s.Stages, "/")
		}
		return d
	case sequence.UpdateField:
		return fmt.Sprintf(" %s = %v", s.Field, s.Value)
	case sequence.SetStage:
		return " → " + s.Stage
	case sequence.AdvanceTo:
		return " → " + s.Sequence
	}
	return ""
}

func (a *App) seqLifecycleCmd(verb, short string) *cobra.Command {
	return &cobra.Command{
		Use:   verb + " NAME",
		Short: short,
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			eng, as, err := a.session(cmd)
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			var s engine.Sequence
			switch verb {
			case "activate":
				s, err = eng.Activate(ctx, as, args[0])
			case "deactivate":
				s, err = eng.Deactivate(ctx, as, args[0])
			case "delete":
				if err = eng.DeleteSequence(ctx, as, args[0]); err == nil {
					fmt.Fprintf(a.stdout, "Deleted sequence %q.\n", args[0])
				}
				return err
			}
			var pe *engine.ProblemsError
			if errors.As(err, &pe) {
				fmt.Fprintf(a.stdout, "%s can't be activated:\n", pe.Sequence)
				for _, p := range pe.Problems {
					fmt.Fprintf(a.stdout, "  %s\n", engine.FormatProblem(p))
				}
				return fmt.Errorf("%d problem(s)", len(pe.Problems))
			}
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "Sequence %q is %s (version %d).\n", s.Name, s.State, s.Version)
			if verb == "activate" {
				return a.warnActivated(cmd, eng, as, s.Name)
			}
			return nil
		},
	}
}

func (a *App) seqCloneCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "clone NAME NEW",
		Short: "Copy a sequence into a new draft",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			eng, as, err := a.session(cmd)
			if err != nil {
				return err
			}
			s, err := eng.CloneSequence(cmd.Context(), as, args[0], args[1])
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "Created draft %q from %q.\n", s.Name, args[0])
			return nil
		},
	}
}

func (a *App) seqNewCmd() *cobra.Command {
	var tmpl, entity string
	c := &cobra.Command{
		Use:   "new NAME",
		Short: "Create a draft sequence, blank or from a built-in template (pacer seq templates)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			eng, as, err := a.session(cmd)
			if err != nil {
				return err
			}
			s, err := eng.NewSequence(cmd.Context(), as, args[0], tmpl, entity)
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "Created draft %q (%s, %d steps).\n", s.Name, s.Entity, s.Steps)
			return nil
		},
	}
	c.Flags().StringVar(&tmpl, "template", "", "built-in template key or name")
	c.Flags().StringVar(&entity, "entity", "", "record type (default: the template's, else lead)")
	return c
}

func (a *App) seqTemplatesCmd() *cobra.Command {
	return a.jsonFlag(&cobra.Command{
		Use:   "templates",
		Short: "List the built-in sequence templates",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			type row struct {
				Key         string `json:"key"`
				Name        string `json:"name"`
				Entity      string `json:"entity"`
				Description string `json:"description"`
				Steps       int    `json:"steps"`
			}
			var out []row
			for _, t := range sequence.Templates() {
				def, err := t.Sequence()
				if err != nil {
					return err
				}
				out = append(out, row{t.Key, t.Name, t.Entity, t.Description, def.CountSteps()})
			}
			if a.asJSON {
				return a.printJSON(out)
			}
			cells := make([][]string, len(out))
			for i, r := range out {
				cells[i] = []string{r.Key, r.Name, r.Entity, strconv.Itoa(r.Steps), clip(r.Description, 60)}
			}
			return a.table([]string{"KEY", "NAME", "RECORD TYPE", "STEPS", "DESCRIPTION"}, cells)
		},
	})
}

func (a *App) seqTagsCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "tags NAME [TAG...]",
		Short: "Replace the tags of a sequence (none clears them)",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			eng, as, err := a.session(cmd)
			if err != nil {
				return err
			}
			s, err := eng.SetTags(cmd.Context(), as, args[0], args[1:])
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "Sequence %q tags: %s\n", s.Name, orDash(strings.Join(s.Tags, ", ")))
			return nil
		},
	}
}

// printActivity writes the connected records and the per-step stats of a sequence.
func printActivity(w io.Writer, conns []engine.ConnRow, st engine.SeqStats) {
	fmt.Fprintf(w, "Connected records: %d active, %d completed, %d disconnected", st.States["active"], st.States["completed"], st.States["disconnected"])
	if ended := st.States["completed"] + st.States["disconnected"]; ended > 0 {
		fmt.Fprintf(w, "; success rate %.0f%%", 100*st.SuccessRate)
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, c := range conns {
		step := c.StepName
		if c.Reason != "" {
			step = c.Reason
		}
		fmt.Fprintf(tw, "  %s\t%s\tv%d\t%s\t%s\t%.1f days\n", c.Record, clip(c.RecordName, 28), c.Version, c.State, orDash(step), c.DaysInStep)
	}
	tw.Flush()
	if len(st.Steps) == 0 {
		return
	}
	fmt.Fprintln(w, "\nPer step:")
	fmt.Fprintf(tw, "  STEP\tENTERED\tDONE\tSKIPPED\tWAITING\tYES/NO\n")
	for _, s := range st.Steps {
		yn := "-"
		if s.Type == string(sequence.Condition) {
			yn = fmt.Sprintf("%d/%d", s.Yes, s.No)
		}
		fmt.Fprintf(tw, "  %s [%s]\t%d\t%d\t%d\t%d\t%s\n", s.Name, s.ID, s.Entered, s.Done, s.Skipped, s.Waiting, yn)
	}
	tw.Flush()
	first := true
	for _, s := range st.Steps {
		if s.Sent == 0 {
			continue
		}
		if first {
			fmt.Fprintln(w, "\nEmail engagement (opens are a soft signal: image prefetching inflates them):")
			fmt.Fprintf(tw, "  STEP\tSENT\tOPENED\tCLICKED\tREPLIED\tBOUNCED\tUNSUBSCRIBED\n")
			first = false
		}
		r := s.Rates
		fmt.Fprintf(tw, "  %s [%s]\t%d\t%d (%.0f%%)\t%d (%.0f%%)\t%d (%.0f%%)\t%d (%.0f%%)\t%d (%.0f%%)\n", s.Name, s.ID, s.Sent,
			s.Opened, 100*r.Opened, s.Clicked, 100*r.Clicked, s.Replied, 100*r.Replied, s.Bounced, 100*r.Bounced, s.Unsubscribed, 100*r.Unsubscribed)
	}
	tw.Flush()
}
