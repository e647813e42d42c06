package cli

import (
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/pacer-sales/pacer/engine"
)

// targetFlags are the flags that pick connections of a sequence for pause and resume.
type targetFlags struct {
	where string
	all   bool
}

func (f *targetFlags) add(c *cobra.Command, verb string) {
	c.Flags().StringVar(&f.where, "where", "", verb+" the connections whose record's FIELD equals VALUE")
	c.Flags().BoolVar(&f.all, "all", false, verb+" every connection of the sequence")
}

func (f *targetFlags) targets(args []string) (engine.Targets, error) {
	t := engine.Targets{Refs: args[1:], All: f.all}
	if f.where != "" {
		field, value, ok := strings.Cut(f.where, "=")
		if !ok || strings.TrimSpace(field) == "" {
			return t, fmt.Errorf("--where %q: write FIELD=VALUE", f.where)
		}
		t.Field, t.Value = strings.TrimSpace(field), strings.TrimSpace(value)
	}
	return t, nil
}

func (a *App) pauseCmd() *cobra.Command {
	var f targetFlags
	var reason, until string
	c := &cobra.Command{
		Use:   "pause SEQ E/ID... | --where FIELD=VALUE | --all [--reason R] [--until TIME]",
		Short: "Pause connections: nothing of them runs until they are resumed (or until --until)",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			eng, as, err := a.session(cmd)
			if err != nil {
				return err
			}
			t, err := f.targets(args)
			if err != nil {
				return err
			}
			var at time.Time
			if until != "" {
				if at, err = time.Parse(time.RFC3339, until); err != nil {
					if at, err = time.Parse("2006-01-02", until); err != nil {
						return fmt.Errorf("--until %q: want an RFC 3339 time like 2026-03-03T09:00:00Z or a date", until)
					}
				}
			}
			n, err := eng.Pause(cmd.Context(), as, args[0], t, reason, at)
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "Paused %d connection(s) of %s.\n", n, args[0])
			return nil
		},
	}
	f.add(c, "pause")
	c.Flags().StringVar(&reason, "reason", "", "why (kept in the history)")
	c.Flags().StringVar(&until, "until", "", "resume by itself at this time (RFC 3339 or YYYY-MM-DD)")
	return c
}

func (a *App) resumeCmd() *cobra.Command {
	var f targetFlags
	c := &cobra.Command{
		Use:   "resume SEQ E/ID... | --where FIELD=VALUE | --all",
		Short: "Resume paused connections: a wait goes on with the time it had left, a task is due at once",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			eng, as, err := a.session(cmd)
			if err != nil {
				return err
			}
			t, err := f.targets(args)
			if err != nil {
				return err
			}
			n, err := eng.Resume(cmd.Context(), as, args[0], t)
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "Resumed %d connection(s) of %s.\n", n, args[0])
			return nil
		},
	}
	f.add(c, "resume")
	return c
}
