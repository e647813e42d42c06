package cli

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"
)

// parseWhen reads a time of a flag: RFC 3339, or a date (its midnight, UTC).
func parseWhen(flag, v string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t, nil
	}
	if t, err := time.Parse("2006-01-02", v); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("--%s %q: want an RFC 3339 time like 2026-03-03T09:00:00Z or a date YYYY-MM-DD", flag, v)
}

func (a *App) awayCmd() *cobra.Command {
	c := &cobra.Command{Use: "away", Short: "Users' time off: tasks go to the cover, else wait for the return"}
	var from, to, cover string
	add := &cobra.Command{
		Use:   "add USER --from TIME --to TIME [--cover USER]",
		Short: "Record time off of a user, [from, to)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			eng, as, err := a.session(cmd)
			if err != nil {
				return err
			}
			f, err := parseWhen("from", from)
			if err != nil {
				return err
			}
			t, err := parseWhen("to", to)
			if err != nil {
				return err
			}
			if err := eng.AddAway(cmd.Context(), as, args[0], f, t, cover); err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "%s is away from %s to %s.\n", args[0], f.UTC().Format(time.RFC3339), t.UTC().Format(time.RFC3339))
			return nil
		},
	}
	add.Flags().StringVar(&from, "from", "", "start of the time off")
	add.Flags().StringVar(&to, "to", "", "end of the time off (the return)")
	add.Flags().StringVar(&cover, "cover", "", "the user who gets the tasks meanwhile")
	_ = add.MarkFlagRequired("from")
	_ = add.MarkFlagRequired("to")
	var rmFrom string
	remove := &cobra.Command{
		Use:   "remove USER --from TIME",
		Short: "Remove the time off of a user that starts at TIME",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			eng, as, err := a.session(cmd)
			if err != nil {
				return err
			}
			f, err := parseWhen("from", rmFrom)
			if err != nil {
				return err
			}
			if err := eng.RemoveAway(cmd.Context(), as, args[0], f); err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "Removed the time off of %s from %s.\n", args[0], f.UTC().Format(time.RFC3339))
			return nil
		},
	}
	remove.Flags().StringVar(&rmFrom, "from", "", "start of the time off")
	_ = remove.MarkFlagRequired("from")
	c.AddCommand(add, remove)
	return c
}
