package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"os/user"
	"syscall"

	"github.com/charmbracelet/x/term"
	"github.com/spf13/cobra"

	"github.com/pacer-sales/pacer/engine"
	"github.com/pacer-sales/pacer/ui"
	"github.com/pacer-sales/pacer/ui/admin"
	"github.com/pacer-sales/pacer/ui/cli"
	"github.com/pacer-sales/pacer/ui/console"
	"github.com/pacer-sales/pacer/ui/designer"
	"github.com/pacer-sales/pacer/ui/home"
	"github.com/pacer-sales/pacer/ui/records"
)

// screenConstructors are the constructors of the terminal screens.
func screenConstructors() ui.Screens {
	return ui.Screens{Home: home.New, Sequence: designer.New, WorkList: console.New, Records: records.New, Admin: admin.New}
}

// noMouse reports --no-mouse or $PACER_NO_MOUSE.
func noMouse(cmd *cobra.Command) bool {
	on, _ := cmd.Root().Flags().GetBool("no-mouse")
	return on || os.Getenv("PACER_NO_MOUSE") != ""
}

// addScreenFlags adds the flags of the screens to the root command.
func addScreenFlags(root *cobra.Command) {
	root.Flags().Bool("no-mouse", false, "leave the mouse to the terminal, e.g. to select text (also $PACER_NO_MOUSE)")
}

// screens starts the terminal screens when standard input and output are a terminal, and
// otherwise lets the command line say what to run instead.
func (b *backend) screens(cmd *cobra.Command, a *cli.App) error {
	in, inOK := b.stdin.(*os.File)
	out, outOK := b.stdout.(*os.File)
	if !inOK || !outOK || !term.IsTerminal(in.Fd()) || !term.IsTerminal(out.Fd()) {
		return a.Hint(cmd)
	}
	b.hold = true
	eng, err := a.Engine(cmd.Context())
	if err != nil {
		return err
	}
	as, err := a.Actor(cmd, true)
	if err != nil {
		return err
	}
	// The screens hold the database, so the engine runs beside them: waits end and
	// automated emails go out while a seller works. Commands of other processes on this
	// database run here too, through the socket; nothing is logged over the screens. On a
	// PostgreSQL database other nodes share, this process is one more node: it watches
	// the mailboxes only while it leads, so one process watches them however many run.
	ctx, stop := context.WithCancel(cmd.Context())
	defer stop()
	defer b.serveSocket(ctx, "the screens", "", slog.New(slog.DiscardHandler))()
	engineDone := make(chan error, 1)
	go func() { engineDone <- eng.Run(ctx, nil) }()
	err = ui.Run(ctx, eng, as, ui.Options{
		Screens: screenConstructors(),
		NoMouse: noMouse(cmd),
		Input:   in,
		Output:  out,
		OSUser:  osUser(),
	})
	stop()
	if runErr := <-engineDone; err == nil && runErr != nil {
		err = fmt.Errorf("the engine stopped: %w", runErr)
	}
	return err
}

// runCmd is `pacer run`: the engine alone, in the foreground.
func (b *backend) runCmd(a *cli.App) *cobra.Command {
	return &cobra.Command{
		Use:   "run",
		Short: "Run the engine in the foreground until interrupted",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			b.hold = true
			eng, err := a.Engine(cmd.Context())
			if err != nil {
				return err
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			out := a.Stdout()
			defer b.serveSocket(ctx, "pacer run", "", slog.New(slog.NewTextHandler(b.stderr, nil)))()
			fmt.Fprintln(out, "pacer engine running; press Ctrl-C to stop.")
			return eng.Run(ctx, func(rep engine.TickReport) {
				fmt.Fprint(out, eng.Clock().Now().Format("15:04:05"), " ")
				cli.PrintTick(out, rep)
			})
		},
	}
}

// osUser is the name of the operating-system user, or "".
func osUser() string {
	if u, err := user.Current(); err == nil {
		return u.Username
	}
	return ""
}
