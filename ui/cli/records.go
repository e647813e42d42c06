package cli

import (
	"bytes"
	"fmt"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/pacer-sales/pacer/engine"
	"github.com/pacer-sales/pacer/engine/flow"
	"github.com/pacer-sales/pacer/engine/limits"
)

func (a *App) recordCmd() *cobra.Command {
	c := &cobra.Command{Use: "record", Short: "Leads, opportunities, accounts, contacts and custom records"}
	var entity string
	imp := a.jsonFlag(&cobra.Command{
		Use:   "import FILE.csv|- --entity E",
		Short: "Import records from CSV (upsert by id; all or nothing)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			eng, as, err := a.session(cmd)
			if err != nil {
				return err
			}
			// The whole file is read first, within its limit, so the engine imports all
			// of it or nothing even when a client goes away mid-way.
			data, err := a.readInput("", args[0], limits.CSVFile)
			if err != nil {
				return err
			}
			res, err := eng.ImportRecords(cmd.Context(), as, args[0], bytes.NewReader(data), entity)
			if err != nil {
				return err
			}
			if a.asJSON {
				return a.printJSON(res)
			}
			fmt.Fprintf(a.stdout, "Imported %d %s records: %d new, %d updated.\n", res.Created+res.Updated, entity, res.Created, res.Updated)
			return nil
		},
	})
	imp.Flags().StringVar(&entity, "entity", "", "record type: lead, opportunity, account, contact or a custom one")
	_ = imp.MarkFlagRequired("entity")

	var listEntity string
	list := a.jsonFlag(&cobra.Command{
		Use:   "list",
		Short: "List records",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			eng, as, err := a.session(cmd)
			if err != nil {
				return err
			}
			recs, err := eng.Records(cmd.Context(), as, listEntity)
			if err != nil {
				return err
			}
			if a.asJSON {
				type row struct {
					Entity string `json:"entity"`
					ID     string `json:"id"`
					Name   string `json:"name"`
					Owner  string `json:"owner"`
					Stage  string `json:"stage"`
					Email  string `json:"email"`
				}
				out := make([]row, len(recs))
				for i, r := range recs {
					out[i] = row{r.Entity, r.ID, r.Name, r.Owner, r.Stage, r.Email}
				}
				return a.printJSON(out)
			}
			rows := make([][]string, len(recs))
			for i, r := range recs {
				rows[i] = []string{r.Ref(), r.Name, orDash(r.Owner), orDash(r.Stage), orDash(r.Email)}
			}
			return a.table([]string{"RECORD", "NAME", "OWNER", "STAGE", "EMAIL"}, rows)
		},
	})
	list.Flags().StringVar(&listEntity, "entity", "", "only this record type")

	show := a.jsonFlag(&cobra.Command{
		Use:   "show E/ID",
		Short: "Show a record, its fields and its connections",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			eng, as, err := a.session(cmd)
			if err != nil {
				return err
			}
			v, err := eng.RecordDetail(cmd.Context(), as, args[0])
			if err != nil {
				return err
			}
			return a.printRecord(v)
		},
	})

	set := a.jsonFlag(&cobra.Command{
		Use:   "set E/ID KEY=VALUE...",
		Short: "Change fields of a record (an empty VALUE removes a free field)",
		Args:  cobra.MinimumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			eng, as, err := a.session(cmd)
			if err != nil {
				return err
			}
			values := map[string]string{}
			for _, kv := range args[1:] {
				k, v, ok := strings.Cut(kv, "=")
				if !ok || strings.TrimSpace(k) == "" {
					return fmt.Errorf("%q: write changes as KEY=VALUE", kv)
				}
				values[strings.TrimSpace(k)] = v
			}
			r, err := eng.SetRecord(cmd.Context(), as, args[0], values)
			if err != nil {
				return err
			}
			v, err := eng.RecordDetail(cmd.Context(), as, r.Ref())
			if err != nil {
				return err
			}
			return a.printRecord(v)
		},
	})
	c.AddCommand(imp, list, show, set, a.recordRemoveCmd())
	return c
}

// recordJSON is the `record show` shape of SPEC §7.
type recordJSON struct {
	Entity      string            `json:"entity"`
	ID          string            `json:"id"`
	Name        string            `json:"name"`
	Owner       string            `json:"owner"`
	Stage       string            `json:"stage"`
	AccessTeam  string            `json:"access_team,omitempty"`
	Email       string            `json:"email,omitempty"`
	Phone       string            `json:"phone,omitempty"`
	EmailStatus string            `json:"email_status,omitempty"`
	Fields      map[string]any    `json:"fields"`
	Connections []engine.ConnView `json:"connections"`
}

func (a *App) printRecord(v engine.RecordView) error {
	r := v.Record
	if a.asJSON {
		fields := r.Fields
		if fields == nil {
			fields = map[string]any{}
		}
		return a.printJSON(recordJSON{r.Entity, r.ID, r.Name, r.Owner, r.Stage, r.AccessTeam, r.Email, r.Phone, v.EmailStatus, fields, v.Connections})
	}
	rows := [][]string{
		{"record", r.Ref()}, {"name", r.Name}, {"owner", orDash(r.Owner)}, {"stage", orDash(r.Stage)},
		{"access_team", orDash(r.AccessTeam)}, {"email", orDash(r.Email)}, {"phone", orDash(r.Phone)},
	}
	if v.EmailStatus != "" {
		rows = append(rows, []string{"email_status", v.EmailStatus + ": no automated email is sent to this address"})
	}
	keys := make([]string, 0, len(r.Fields))
	for k := range r.Fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		rows = append(rows, []string{k, flow.Text(r.Fields[k])})
	}
	if err := a.table([]string{"FIELD", "VALUE"}, rows); err != nil {
		return err
	}
	if len(v.Connections) == 0 {
		fmt.Fprintln(a.stdout, "\nConnections: none")
		return nil
	}
	for _, c := range v.Connections {
		at := c.StepName
		if c.CurrentStep != "" {
			at = fmt.Sprintf("at %s [%s]", c.StepName, c.CurrentStep)
		}
		reason := ""
		if c.Reason != "" {
			reason = " (" + c.Reason + ")"
		}
		fmt.Fprintf(a.stdout, "\n%s v%d: %s%s %s\n", c.Sequence, c.Version, c.State, reason, at)
		cells := make([][]string, len(c.History))
		for i, h := range c.History {
			cells[i] = []string{"  " + h.At.Format("2006-01-02 15:04"), orDash(h.StepID), describeEvent(h)}
		}
		if err := a.table([]string{"  TIME", "STEP", "EVENT"}, cells); err != nil {
			return err
		}
	}
	return nil
}

// describeEvent renders one history entry.
func describeEvent(h engine.Event) string {
	s := h.Type
	add := func(k, v string) {
		if v != "" {
			s += " " + k + v
		}
	}
	add("outcome=", h.Outcome)
	add("", h.Event)
	add("branch=", h.Branch)
	if h.Why != "" {
		s += " (" + h.Why + ")"
	}
	if h.Field != "" || h.Type == engine.EventStageSet {
		s += fmt.Sprintf(" %s %q → %q", h.Field, flow.Text(h.Old), flow.Text(h.New))
	}
	add("to ", h.Sequence)
	add("reason=", h.Reason)
	add("by ", h.By)
	if len(h.Assignees) > 0 {
		s += " for " + strings.Join(h.Assignees, ",")
	}
	if !h.Until.IsZero() {
		s += " until " + h.Until.Format("2006-01-02 15:04")
	}
	add("— ", h.Note)
	return s
}
