// Command pacer is the sales-sequence designer and seller console: the terminal screens, the
// engine and the command line of SPEC §7. It parses the global flags, opens the database
// (or finds the running pacer that holds it) and chooses the front end: the command line
// (ui/cli), the screens (ui), or pacer serve (ui/ssh and ui/web).
package main

import (
	"context"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/pacer-sales/pacer/ui/cli"
)

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// run executes the command line and returns the exit code: 0 ok, 1 bad input or refused,
// 2 the database can't be opened.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	b := &backend{args: args, stdin: stdin, stdout: stdout, stderr: stderr}
	defer b.close()
	return cli.Run(ctx, cli.Env{
		Stdin:    stdin,
		Stdout:   stdout,
		Stderr:   stderr,
		Backend:  b,
		OSUser:   osUser(),
		Setup:    addScreenFlags,
		Commands: []func(*cli.App) *cobra.Command{b.serveCmd, b.runCmd},
		Screens:  b.screens,
	}, args)
}
