package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/user"
	"path/filepath"
	"runtime/debug"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/charmbracelet/x/term"
	"github.com/spf13/cobra"

	"github.com/pacer-sales/pacer/engine"
	"github.com/pacer-sales/pacer/store/bolt"
	"github.com/pacer-sales/pacer/ui"
)

// app holds what every command shares: the global flags, the open database and the engine.
type app struct {
	stdin          io.Reader
	stdout, stderr io.Writer

	dbPath string
	as     string
	now    string
	asJSON bool
	// noMouse leaves the mouse to the terminal in the screens.
	noMouse bool

	db  *bolt.DB
	eng *engine.Engine
}

func (a *app) rootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:           "pacer",
		Short:         "Sales sequences and the seller's daily work list, in the terminal",
		SilenceUsage:  true,
		SilenceErrors: true,
		Args:          cobra.NoArgs,
		RunE:          a.runTUI,
	}
	pf := root.PersistentFlags()
	pf.StringVar(&a.dbPath, "db", "", "database file (default $PACER_DB, else $XDG_DATA_HOME/pacer/pacer.db)")
	pf.StringVar(&a.as, "as", "", "acting user (default $PACER_USER, else your OS user name if it is a pacer user, else the first admin)")
	pf.StringVar(&a.now, "now", "", "pin the clock to this RFC 3339 time (default $PACER_NOW)")
	root.Flags().BoolVar(&a.noMouse, "no-mouse", false, "leave the mouse to the terminal, e.g. to select text (also $PACER_NO_MOUSE)")
	root.AddCommand(
		a.demoCmd(), a.userCmd(), a.teamCmd(), a.recordCmd(), a.templateCmd(), a.seqCmd(),
		a.settingsCmd(), a.backupCmd(), a.connectCmd(), a.disconnectCmd(), a.tasksCmd(), a.taskCmd(),
		a.waitCmd(), a.eventCmd(), a.segmentCmd(), a.tickCmd(), a.runCmd(), a.simulateCmd(), a.outboxCmd(),
		a.doctorCmd(), a.serveCmd(),
	)
	return root
}

// jsonFlag adds --json to a read command.
func (a *app) jsonFlag(c *cobra.Command) *cobra.Command {
	c.Flags().BoolVar(&a.asJSON, "json", false, "print JSON")
	return c
}

// runTUI starts the terminal screens when standard input and output are a terminal, and
// otherwise says what to run instead.
func (a *app) runTUI(cmd *cobra.Command, _ []string) error {
	eng, err := a.engine(cmd.Context())
	if err != nil {
		return err
	}
	in, inOK := a.stdin.(*os.File)
	out, outOK := a.stdout.(*os.File)
	if inOK && outOK && term.IsTerminal(in.Fd()) && term.IsTerminal(out.Fd()) {
		return a.startTUI(cmd, eng, in, out)
	}
	empty, err := eng.Empty(cmd.Context())
	if err != nil {
		return err
	}
	fmt.Fprintln(a.stdout, "The terminal screens need a terminal; the command line works anywhere. Try:")
	if empty {
		fmt.Fprintln(a.stdout, "  pacer demo        load the sample org into this empty database")
	}
	fmt.Fprintln(a.stdout, "  pacer seq list    the sequences")
	fmt.Fprintln(a.stdout, "  pacer --help      every command")
	return nil
}

// startTUI runs the terminal screens as the acting user (none on an empty database, where
// the first-run screen asks).
func (a *app) startTUI(cmd *cobra.Command, eng *engine.Engine, in, out *os.File) error {
	osName := ""
	if u, err := user.Current(); err == nil {
		osName = u.Username
	}
	as := a.as
	if as == "" {
		as = os.Getenv("PACER_USER")
	}
	if as == "" {
		var err error
		if as, err = eng.DefaultActor(cmd.Context(), osName); err != nil {
			return err
		}
	}
	noMouse := a.noMouse || os.Getenv("PACER_NO_MOUSE") != ""
	// The screens hold the database, so the engine runs beside them: waits end and
	// automated emails go out while a seller works.
	ctx, stop := context.WithCancel(cmd.Context())
	defer stop()
	engineDone := make(chan error, 1)
	go func() { engineDone <- eng.Run(ctx, nil) }()
	err := ui.Run(ctx, eng, as, ui.Options{
		Screens: screens(),
		NoMouse: noMouse,
		Input:   in,
		Output:  out,
		OSUser:  osName,
	})
	stop()
	if runErr := <-engineDone; err == nil && runErr != nil {
		err = fmt.Errorf("the engine stopped: %w", runErr)
	}
	return err
}

// defaultDBPath is $PACER_DB, else $XDG_DATA_HOME/pacer/pacer.db, else
// ~/.local/share/pacer/pacer.db.
func defaultDBPath() (string, error) {
	if p := os.Getenv("PACER_DB"); p != "" {
		return p, nil
	}
	dir := os.Getenv("XDG_DATA_HOME")
	if dir == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", fmt.Errorf("can't find the home directory for the database: %w (pass --db)", err)
		}
		dir = filepath.Join(home, ".local", "share")
	}
	return filepath.Join(dir, "pacer", "pacer.db"), nil
}

func (a *app) clock() (engine.Clock, error) {
	now := a.now
	if now == "" {
		now = os.Getenv("PACER_NOW")
	}
	if now == "" {
		return engine.SystemClock{}, nil
	}
	t, err := time.Parse(time.RFC3339, now)
	if err != nil {
		return nil, fmt.Errorf("--now/PACER_NOW %q: want an RFC 3339 time like 2026-03-02T09:00:00Z", now)
	}
	return engine.FixedClock(t), nil
}

// engine opens the database (once) and returns the engine over it.
func (a *app) engine(ctx context.Context) (*engine.Engine, error) {
	if a.eng != nil {
		return a.eng, nil
	}
	clock, err := a.clock()
	if err != nil {
		return nil, err
	}
	if a.dbPath == "" {
		if a.dbPath, err = defaultDBPath(); err != nil {
			return nil, &exitError{2, err}
		}
	}
	path := a.dbPath
	db, err := bolt.Open(path, bolt.Options{})
	if err != nil {
		return nil, &exitError{2, err}
	}
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(engine.GCPercent)
	}
	a.db = db
	a.eng = engine.New(db, clock)
	return a.eng, nil
}

// session opens the engine and resolves the acting user.
func (a *app) session(cmd *cobra.Command) (*engine.Engine, string, error) {
	eng, err := a.engine(cmd.Context())
	if err != nil {
		return nil, "", err
	}
	as := a.as
	if as == "" {
		as = os.Getenv("PACER_USER")
	}
	if as == "" {
		osName := ""
		if u, err := user.Current(); err == nil {
			osName = u.Username
		}
		if as, err = eng.DefaultActor(cmd.Context(), osName); err != nil {
			return nil, "", err
		}
		if as == "" && cmd.CommandPath() != "pacer user add" {
			if empty, err := eng.Empty(cmd.Context()); err == nil && empty {
				return nil, "", fmt.Errorf("the database %s has no users yet: load the sample org with `pacer demo`, or add the first admin with `pacer user add NAME --role admin`", a.dbPath)
			}
		}
	}
	return eng, as, nil
}

func (a *app) close() {
	if a.db != nil {
		_ = a.db.Close()
		a.db = nil
	}
}

// printJSON writes v as indented JSON.
func (a *app) printJSON(v any) error {
	enc := json.NewEncoder(a.stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// table writes aligned columns: a header and rows.
func (a *app) table(header []string, rows [][]string) error {
	tw := tabwriter.NewWriter(a.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(header, "\t"))
	for _, r := range rows {
		fmt.Fprintln(tw, strings.Join(r, "\t"))
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
