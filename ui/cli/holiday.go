package cli

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
)

// timingCmds are the commands of time that respects people: holidays, time off, pause and
// resume.
func (a *App) timingCmds() []*cobra.Command {
	return []*cobra.Command{a.holidayCmd()}
}

func (a *App) holidayCmd() *cobra.Command {
	c := &cobra.Command{Use: "holiday", Short: "The org's own days off (public holidays: settings holidays CC[-REGION])"}
	add := &cobra.Command{
		Use:   "add DATE NAME",
		Short: "Add a day off of the org (DATE is YYYY-MM-DD in the org's time zone)",
		Args:  cobra.MinimumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			eng, as, err := a.session(cmd)
			if err != nil {
				return err
			}
			name := strings.Join(args[1:], " ")
			if err := eng.AddHoliday(cmd.Context(), as, args[0], name); err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "Added the holiday %s %s.\n", args[0], name)
			return nil
		},
	}
	remove := &cobra.Command{
		Use:   "remove DATE",
		Short: "Remove a day off of the org",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			eng, as, err := a.session(cmd)
			if err != nil {
				return err
			}
			if err := eng.RemoveHoliday(cmd.Context(), as, args[0]); err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "Removed the holiday of %s.\n", args[0])
			return nil
		},
	}
	var year string
	list := a.jsonFlag(&cobra.Command{
		Use:   "list [--year YYYY]",
		Short: "List the days off of a year: public holidays and the org's own",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			eng, as, err := a.session(cmd)
			if err != nil {
				return err
			}
			y := eng.Year(nil)
			if year != "" {
				if y, err = strconv.Atoi(year); err != nil {
					return fmt.Errorf("--year %q: want a year such as 2026", year)
				}
			}
			days, err := eng.Holidays(cmd.Context(), as, y)
			if err != nil {
				return err
			}
			if a.asJSON {
				return a.printJSON(days)
			}
			rows := make([][]string, len(days))
			for i, d := range days {
				kind := "public"
				if d.Own {
					kind = "org"
				}
				rows[i] = []string{d.Date, d.Name, kind}
			}
			return a.table([]string{"DATE", "NAME", "KIND"}, rows)
		},
	})
	list.Flags().StringVar(&year, "year", "", "the year (default this year)")
	c.AddCommand(add, remove, list)
	return c
}
