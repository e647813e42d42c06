// Package cli is pacer's command line (SPEC §7, §11): one cobra command tree, built over an
// engine, the acting user and the I/O streams of wherever it runs — the local binary, an SSH
// session of pacer serve, or a second local process asking the running one through its
// socket. Output, JSON and exit codes are the same in all three: 0 ok, 1 bad input or
// refused, 2 the database can't be opened.
package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/pacer-sales/pacer/engine"
)

// Exit codes of the command line.
const (
	ExitOK      = 0
	ExitInvalid = 1
	ExitNoDB    = 2
)

// Globals are the global flags of the local command line: --db, --as and --now.
type Globals struct {
	DB, As, Now string
}

// Backend gives the commands their engine.
type Backend interface {
	// Open returns the engine over the database the global flags name, opening it on the
	// first call. An error that should exit 2 is an *ExitError with that code.
	Open(ctx context.Context, g Globals) (*engine.Engine, error)
	// Scratch returns an engine over a throwaway copy of the database whose clock is a
	// manual clock at now, for simulate, and a function that removes the copy.
	Scratch(ctx context.Context, now time.Time) (*engine.Engine, func(), error)
	// Path is the live database file once open ("" when unknown), which backup refuses to
	// overwrite.
	Path() string
}

// Env is where a command line runs.
type Env struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	Backend        Backend
	// User, when set, is the signed-in acting user (SSH): the global flags --db, --as and
	// --now are then not accepted. Empty: the acting user is --as, else $PACER_USER, else
	// OSUser when it is a pacer user, else the first admin.
	User string
	// OSUser is the name of the operating-system user running the command.
	OSUser string
	// Getenv reads the environment of the command (PACER_USER, PACER_NOW); nil is os.Getenv.
	Getenv func(string) string
	// Remote refuses file arguments other than "-": the files of the machine the command
	// was typed on are not the server's.
	Remote bool
	// Dir is the directory relative file names are read and written in; empty is the
	// process's own.
	Dir string
	// Commands are added to the root: the front ends of the local binary (serve, run).
	Commands []func(*App) *cobra.Command
	// Screens runs for the root command without a subcommand; nil prints how to use the
	// command line.
	Screens func(cmd *cobra.Command, a *App) error
	// Setup, when set, adjusts the root command once it is built, e.g. to add flags of the
	// screens.
	Setup func(root *cobra.Command)
	// Usage is how the command is spelled in hints, e.g. "pacer" or "ssh -p 2222 HOST".
	Usage string
}

// ExitError carries the exit code of a failure. A nil Err exits silently (its message was
// written already).
type ExitError struct {
	Code int
	Err  error
}

// Error is the message of the failure.
func (e *ExitError) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("exit %d", e.Code)
	}
	return e.Err.Error()
}

// Unwrap returns the failure.
func (e *ExitError) Unwrap() error { return e.Err }

// Exit wraps err with an exit code.
func Exit(code int, err error) error { return &ExitError{Code: code, Err: err} }

// App is one run of the command line: the environment, the flags and the engine.
type App struct {
	env     Env
	globals Globals
	asJSON  bool

	stdin io.Reader
	// stdout takes the text output, stripped of terminal controls; raw takes JSON, files
	// and streams as they are.
	stdout io.Writer
	raw    io.Writer
	stderr io.Writer

	eng *engine.Engine
}

// Run runs the command line on args and returns the exit code, having written any error to
// the environment's stderr.
func Run(ctx context.Context, env Env, args []string) int {
	a := New(env)
	root := a.Root()
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	return a.report(err)
}

// report writes err and returns its exit code.
func (a *App) report(err error) int {
	if err == nil {
		return ExitOK
	}
	var ee *ExitError
	if errors.As(err, &ee) {
		if ee.Err != nil {
			fmt.Fprintln(a.stderr, "pacer:", textOnly(ee.Err.Error()))
		}
		return ee.Code
	}
	fmt.Fprintln(a.stderr, "pacer:", textOnly(err.Error()))
	return ExitInvalid
}

// New prepares a run of the command line in env.
func New(env Env) *App {
	if env.Getenv == nil {
		env.Getenv = os.Getenv
	}
	if env.Usage == "" {
		env.Usage = "pacer"
	}
	if env.Stdin == nil {
		env.Stdin = strings.NewReader("")
	}
	return &App{
		env:    env,
		stdin:  env.Stdin,
		stdout: NewTextWriter(env.Stdout),
		raw:    env.Stdout,
		stderr: NewTextWriter(env.Stderr),
	}
}

// Root builds the command tree.
func (a *App) Root() *cobra.Command {
	root := &cobra.Command{
		Use:           a.env.Usage,
		Short:         "Sales sequences and the seller's daily work list, in the terminal",
		SilenceUsage:  true,
		SilenceErrors: true,
		Args:          cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if a.env.Screens != nil {
				return a.env.Screens(cmd, a)
			}
			return a.Hint(cmd)
		},
		CompletionOptions: cobra.CompletionOptions{DisableDefaultCmd: true},
	}
	root.SetIn(a.stdin)
	root.SetOut(a.stdout)
	root.SetErr(a.stderr)
	if a.env.User == "" {
		pf := root.PersistentFlags()
		pf.StringVar(&a.globals.DB, "db", "", "database file (default $PACER_DB, else $XDG_DATA_HOME/pacer/pacer.db)")
		pf.StringVar(&a.globals.As, "as", "", "acting user (default $PACER_USER, else your OS user name if it is a pacer user, else the first admin)")
		pf.StringVar(&a.globals.Now, "now", "", "pin the clock to this RFC 3339 time (default $PACER_NOW)")
	}
	root.AddCommand(
		a.demoCmd(), a.userCmd(), a.teamCmd(), a.recordCmd(), a.templateCmd(), a.seqCmd(),
		a.settingsCmd(), a.backupCmd(), a.connectCmd(), a.disconnectCmd(), a.tasksCmd(), a.taskCmd(),
		a.waitCmd(), a.eventCmd(), a.segmentCmd(), a.tickCmd(), a.simulateCmd(), a.outboxCmd(),
		a.doctorCmd(),
	)
	root.AddCommand(a.timingCmds()...)
	for _, c := range a.env.Commands {
		root.AddCommand(c(a))
	}
	if a.env.Setup != nil {
		a.env.Setup(root)
	}
	return root
}

// Hint says what to run when the root command runs without the screens.
func (a *App) Hint(cmd *cobra.Command) error {
	eng, err := a.Engine(cmd.Context())
	if err != nil {
		return err
	}
	empty, err := eng.Empty(cmd.Context())
	if err != nil {
		return err
	}
	u := a.env.Usage
	fmt.Fprintln(a.stdout, "The terminal screens need a terminal; the command line works anywhere. Try:")
	if empty {
		fmt.Fprintf(a.stdout, "  %s demo        load the sample org into this empty database\n", u)
	}
	fmt.Fprintf(a.stdout, "  %s seq list    the sequences\n", u)
	fmt.Fprintf(a.stdout, "  %s --help      every command\n", u)
	return nil
}

// Globals are the global flags as parsed.
func (a *App) Globals() Globals { return a.globals }

// Stdout is the text output of the commands.
func (a *App) Stdout() io.Writer { return a.stdout }

// Getenv reads the command's environment.
func (a *App) Getenv(key string) string { return a.env.Getenv(key) }

// jsonFlag adds --json to a read command.
func (a *App) jsonFlag(c *cobra.Command) *cobra.Command {
	c.Flags().BoolVar(&a.asJSON, "json", false, "print JSON")
	return c
}

// Engine opens the database (once) and returns the engine over it.
func (a *App) Engine(ctx context.Context) (*engine.Engine, error) {
	if a.eng != nil {
		return a.eng, nil
	}
	g := a.globals
	if g.Now == "" {
		g.Now = a.env.Getenv("PACER_NOW")
	}
	eng, err := a.env.Backend.Open(ctx, g)
	if err != nil {
		return nil, err
	}
	a.eng = eng
	return eng, nil
}

// Session opens the engine and resolves the acting user.
func (a *App) Session(cmd *cobra.Command) (*engine.Engine, string, error) {
	return a.session(cmd)
}

func (a *App) session(cmd *cobra.Command) (*engine.Engine, string, error) {
	eng, err := a.Engine(cmd.Context())
	if err != nil {
		return nil, "", err
	}
	as, err := a.Actor(cmd, strings.HasSuffix(cmd.CommandPath(), " user add"))
	if err != nil {
		return nil, "", err
	}
	return eng, as, nil
}

// Actor resolves the acting user of an open engine: the signed-in user, else --as, else
// $PACER_USER, else the OS user when a pacer user, else the first admin. On a database
// without users it is empty when none is fine (the first user add, the first-run screen),
// and an error saying how to start otherwise.
func (a *App) Actor(cmd *cobra.Command, noneOK bool) (string, error) {
	if a.env.User != "" {
		return a.env.User, nil
	}
	eng, err := a.Engine(cmd.Context())
	if err != nil {
		return "", err
	}
	as := a.globals.As
	if as == "" {
		as = a.env.Getenv("PACER_USER")
	}
	if as != "" {
		return as, nil
	}
	if as, err = eng.DefaultActor(cmd.Context(), a.env.OSUser); err != nil {
		return "", err
	}
	if as == "" && !noneOK {
		if empty, err := eng.Empty(cmd.Context()); err == nil && empty {
			return "", fmt.Errorf("the database has no users yet: load the sample org with `%s demo`, or add the first admin with `%s user add NAME --role admin`", a.env.Usage, a.env.Usage)
		}
	}
	return as, nil
}

// printJSON writes v as indented JSON.
func (a *App) printJSON(v any) error {
	enc := json.NewEncoder(a.raw)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// table writes aligned columns: a header and rows, each cell on one line.
func (a *App) table(header []string, rows [][]string) error {
	tw := tabwriter.NewWriter(a.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(header, "\t"))
	for _, r := range rows {
		cells := make([]string, len(r))
		for i, c := range r {
			cells[i] = Cell(c)
		}
		fmt.Fprintln(tw, strings.Join(cells, "\t"))
	}
	return tw.Flush()
}

// orDash shows "-" for an empty cell.
func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
