package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/pacer-sales/pacer/store"
	"github.com/pacer-sales/pacer/ui/cli"
)

// copyCmd is `pacer copy --from A --to B`: a whole org moved between databases of any
// backends (a bbolt file, a postgres:// URL), through the store port (store.Copy). The
// destination must be new or empty; the source is only read.
func (b *backend) copyCmd(a *cli.App) *cobra.Command {
	var from, to string
	cmd := &cobra.Command{
		Use:   "copy --from FILE_OR_URL --to FILE_OR_URL",
		Short: "Copy a whole org to another database (bbolt file or PostgreSQL URL)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if from == "" || to == "" {
				return errors.New("copy needs --from and --to")
			}
			if from == to {
				return fmt.Errorf("--from and --to both name %s", from)
			}
			ctx := cmd.Context()
			src, err := openStore(ctx, from)
			if err != nil {
				return cli.Exit(cli.ExitNoDB, fmt.Errorf("--from: %w", err))
			}
			defer src.Close()
			dst, err := openStore(ctx, to)
			if err != nil {
				return cli.Exit(cli.ExitNoDB, fmt.Errorf("--to: %w", err))
			}
			defer dst.Close()
			n, err := store.Copy(ctx, dst, src)
			if err != nil {
				return fmt.Errorf("copy %s to %s: %w", from, to, err)
			}
			fmt.Fprintf(a.Stdout(), "copied %d users, %d teams, %d records (%d removed), %d templates, %d sequences (%d versions), %d segments, %d connections (%d history events), %d tasks, %d messages\n",
				n.Users, n.Teams, n.Records, n.Removed, n.Templates, n.Sequences, n.Versions, n.Segments, n.Conns, n.Events, n.Tasks, n.Messages)
			return nil
		},
	}
	cmd.Flags().StringVar(&from, "from", "", "the database to copy (a file or a postgres:// URL)")
	cmd.Flags().StringVar(&to, "to", "", "the new database (a file or a postgres:// URL)")
	return cmd
}
