package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/pacer-sales/pacer/engine"
	"github.com/pacer-sales/pacer/engine/limits"
)

func (a *App) demoCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "demo",
		Short: "Load the sample org into an empty database",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			eng, err := a.Engine(cmd.Context())
			if err != nil {
				return err
			}
			res, err := eng.LoadDemo(cmd.Context())
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "Loaded the sample org: %d users, %d teams, %d records, %d email templates, %d active sequences, %d records connected.\n",
				res.Users, res.Teams, res.Records, res.Templates, res.Sequences, res.Connections)
			fmt.Fprintln(a.stdout, "Try: pacer seq list")
			return nil
		},
	}
}

func (a *App) userCmd() *cobra.Command {
	c := &cobra.Command{Use: "user", Short: "Users of the org"}
	var u engine.User
	var roles []string
	add := &cobra.Command{
		Use:   "add NAME --role R",
		Short: "Add a user (the first user of an org must be an admin)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			eng, as, err := a.session(cmd)
			if err != nil {
				return err
			}
			u.Username = args[0]
			for _, r := range roles {
				for _, part := range strings.Split(r, ",") {
					u.Roles = append(u.Roles, engine.Role(strings.TrimSpace(part)))
				}
			}
			if err := eng.AddUser(cmd.Context(), as, u); err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "Added user %s.\n", u.Username)
			return nil
		},
	}
	f := add.Flags()
	f.StringSliceVar(&roles, "role", nil, "role: admin, manager or seller (repeat or comma-separate)")
	f.StringVar(&u.Name, "name", "", "display name")
	f.StringVar(&u.Email, "email", "", "email address")
	f.StringVar(&u.Title, "title", "", "job title")
	f.StringVar(&u.Territory, "territory", "", "sales territory")
	f.StringVar(&u.TimeZone, "tz", "", "time zone, e.g. Europe/Paris")
	f.StringArrayVar(&u.SSHKeys, "key", nil, "SSH public key (repeatable)")
	_ = add.MarkFlagRequired("role")

	list := a.jsonFlag(&cobra.Command{
		Use:   "list",
		Short: "List users",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			eng, as, err := a.session(cmd)
			if err != nil {
				return err
			}
			users, err := eng.Users(cmd.Context(), as)
			if err != nil {
				return err
			}
			if a.asJSON {
				type row struct {
					Username  string           `json:"username"`
					Name      string           `json:"name"`
					Email     string           `json:"email"`
					Roles     []engine.Role    `json:"roles"`
					Title     string           `json:"title,omitempty"`
					Territory string           `json:"territory,omitempty"`
					TimeZone  string           `json:"timezone,omitempty"`
					From      string           `json:"from,omitempty"`
					IMAPURL   string           `json:"imap_url,omitempty"`
					Keys      []engine.KeyInfo `json:"keys"`
				}
				out := make([]row, len(users))
				for i, u := range users {
					out[i] = row{u.Username, u.Name, u.Email, u.Roles, u.Title, u.Territory, u.TimeZone, u.From, u.IMAPURL, engine.UserKeyInfos(u)}
				}
				return a.printJSON(out)
			}
			rows := make([][]string, len(users))
			for i, u := range users {
				roles := make([]string, len(u.Roles))
				for j, r := range u.Roles {
					roles[j] = string(r)
				}
				rows[i] = []string{u.Username, orDash(u.Name), orDash(u.Email), strings.Join(roles, ","), orDash(u.Title), orDash(u.Territory), fmt.Sprint(len(u.SSHKeys))}
			}
			return a.table([]string{"USERNAME", "NAME", "EMAIL", "ROLES", "TITLE", "TERRITORY", "KEYS"}, rows)
		},
	})
	c.AddCommand(add, list, a.userSetCmd(), a.userKeyCmd(), a.userRemoveCmd())
	return c
}

func (a *App) teamCmd() *cobra.Command {
	c := &cobra.Command{Use: "team", Short: "Owner and access teams"}
	var typ string
	var members []string
	add := &cobra.Command{
		Use:   "add NAME --type owner|access --member USER[:ROLE]...",
		Short: "Add or replace a team",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			eng, as, err := a.session(cmd)
			if err != nil {
				return err
			}
			t := engine.Team{Name: args[0], Type: engine.TeamType(typ)}
			for _, m := range members {
				name, role, _ := strings.Cut(m, ":")
				t.Members = append(t.Members, engine.Member{Username: strings.TrimSpace(name), Role: strings.TrimSpace(role)})
			}
			if err := eng.AddTeam(cmd.Context(), as, t); err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "Saved team %s (%s, %d members).\n", t.Name, t.Type, len(t.Members))
			return nil
		},
	}
	add.Flags().StringVar(&typ, "type", "", "owner or access")
	add.Flags().StringArrayVar(&members, "member", nil, "member as USER or USER:ROLE (repeatable)")
	_ = add.MarkFlagRequired("type")
	list := a.jsonFlag(&cobra.Command{
		Use:   "list",
		Short: "List teams",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			eng, as, err := a.session(cmd)
			if err != nil {
				return err
			}
			teams, err := eng.Teams(cmd.Context(), as)
			if err != nil {
				return err
			}
			if a.asJSON {
				for i := range teams {
					if teams[i].Members == nil {
						teams[i].Members = []engine.Member{}
					}
				}
				return a.printJSON(teams)
			}
			rows := make([][]string, len(teams))
			for i, t := range teams {
				ms := make([]string, len(t.Members))
				for j, m := range t.Members {
					ms[j] = m.Username
					if m.Role != "" {
						ms[j] += " (" + m.Role + ")"
					}
				}
				rows[i] = []string{t.Name, string(t.Type), orDash(strings.Join(ms, ", "))}
			}
			return a.table([]string{"TEAM", "TYPE", "MEMBERS"}, rows)
		},
	})
	c.AddCommand(add, list)
	c.AddCommand(a.teamManageCmds()...)
	return c
}

func (a *App) templateCmd() *cobra.Command {
	c := &cobra.Command{Use: "template", Short: "Email and text-message templates"}
	var t engine.Template
	var bodyFile, htmlFile string
	var sms bool
	add := &cobra.Command{
		Use:   "add NAME --subject S --body-file F [--html-file F]",
		Short: "Add or replace a template; placeholders {{name}} {{first_name}} {{field:NAME}} {{owner.name}}",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			eng, as, err := a.session(cmd)
			if err != nil {
				return err
			}
			body, err := a.readInput("--body-file ", bodyFile, limits.TemplateBody)
			if err != nil {
				return err
			}
			t.HTML = ""
			if htmlFile != "" {
				html, err := a.readInput("--html-file ", htmlFile, limits.TemplateBody)
				if err != nil {
					return err
				}
				t.HTML = string(html)
			}
			t.Name, t.Body, t.Kind = args[0], string(body), engine.EmailTemplate
			if sms {
				t.Kind = engine.SMSTemplate
			}
			if err := eng.AddTemplate(cmd.Context(), as, t); err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "Saved %s template %s.\n", t.Kind, t.Name)
			return nil
		},
	}
	add.Flags().StringVar(&t.Subject, "subject", "", "subject line (email)")
	add.Flags().StringVar(&bodyFile, "body-file", "", "file holding the body")
	add.Flags().StringVar(&htmlFile, "html-file", "", "file holding an HTML body of the email's own (else the HTML part is made from the body)")
	add.Flags().BoolVar(&sms, "sms", false, "a text-message template (no subject)")
	_ = add.MarkFlagRequired("body-file")
	list := a.jsonFlag(&cobra.Command{
		Use:   "list",
		Short: "List templates",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			eng, as, err := a.session(cmd)
			if err != nil {
				return err
			}
			ts, err := eng.Templates(cmd.Context(), as)
			if err != nil {
				return err
			}
			if a.asJSON {
				return a.printJSON(ts)
			}
			rows := make([][]string, len(ts))
			for i, t := range ts {
				rows[i] = []string{t.Name, string(t.Kind), orDash(t.Subject)}
			}
			return a.table([]string{"TEMPLATE", "KIND", "SUBJECT"}, rows)
		},
	})
	c.AddCommand(add, list)
	c.AddCommand(a.templateManageCmds()...)
	return c
}

func (a *App) settingsCmd() *cobra.Command {
	return a.jsonFlag(&cobra.Command{
		Use:   "settings [KEY [VALUE]]",
		Short: "Show or change org settings (" + strings.Join(engine.SettingKeys, ", ") + ")",
		Args:  cobra.MaximumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			eng, as, err := a.session(cmd)
			if err != nil {
				return err
			}
			if len(args) == 2 {
				if err := eng.SetSetting(cmd.Context(), as, args[0], args[1]); err != nil {
					return err
				}
			}
			s, err := eng.Settings(cmd.Context(), as)
			if err != nil {
				return err
			}
			values := engine.SettingValues(s)
			if len(args) >= 1 {
				found := false
				for _, kv := range values {
					if kv[0] == args[0] {
						values, found = [][2]string{kv}, true
						break
					}
				}
				if !found {
					return fmt.Errorf("unknown setting %q (known: %s)", args[0], strings.Join(engine.SettingKeys, ", "))
				}
			}
			if a.asJSON {
				m := map[string]string{}
				for _, kv := range values {
					m[kv[0]] = kv[1]
				}
				return a.printJSON(m)
			}
			rows := make([][]string, len(values))
			for i, kv := range values {
				rows[i] = []string{kv[0], orDash(kv[1])}
			}
			return a.table([]string{"SETTING", "VALUE"}, rows)
		},
	})
}

func (a *App) backupCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "backup FILE|-",
		Short: "Write a consistent copy of the database while it stays in use (- : to standard output)",
		Long: `Write a consistent copy of the database while it stays in use (admins). The copy is
written owner-only (mode 0600, whatever the umask): it holds every record and the org's
secrets. FILE may not be the live database itself; - writes the copy to standard output,
e.g. over SSH: ssh -p 2222 HOST backup - > org.db`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			eng, as, err := a.session(cmd)
			if err != nil {
				return err
			}
			if args[0] == "-" {
				_, err := eng.Backup(cmd.Context(), as, a.raw)
				return err
			}
			path, err := a.path("", args[0])
			if err != nil {
				return err
			}
			n, err := a.backupTo(cmd.Context(), eng, as, path)
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "Wrote %s (%d bytes).\n", args[0], n)
			return nil
		},
	}
}

// backupTo writes a copy of the database to path, owner-only, through a temporary file
// renamed into place; it refuses the live database's own file.
func (a *App) backupTo(ctx context.Context, eng *engine.Engine, as, path string) (int64, error) {
	if live := a.env.Backend.Path(); live != "" {
		if sameFile(live, path) {
			return 0, fmt.Errorf("backup %s: that is the live database itself; write the copy to another file", path)
		}
	}
	tmp := path + ".partial"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return 0, fmt.Errorf("backup: %w", err)
	}
	// The mode is 0600 whatever the umask (and whatever an old .partial had).
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		os.Remove(tmp)
		return 0, fmt.Errorf("backup: %w", err)
	}
	n, err := eng.Backup(ctx, as, f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(tmp)
		return 0, err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return 0, fmt.Errorf("backup: %w", err)
	}
	return n, nil
}

// sameFile reports whether two names are one file: the same name once cleaned and made
// absolute, or the same file on disk (links included).
func sameFile(a, b string) bool {
	absA, errA := filepath.Abs(a)
	absB, errB := filepath.Abs(b)
	if errA == nil && errB == nil && absA == absB {
		return true
	}
	sa, errA := os.Stat(a)
	sb, errB := os.Stat(b)
	return errA == nil && errB == nil && os.SameFile(sa, sb)
}

func (a *App) doctorCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "doctor",
		Short: "Check the database for inconsistencies (admins); exit 1 when there are any",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			eng, as, err := a.session(cmd)
			if err != nil {
				return err
			}
			problems, err := eng.Check(cmd.Context(), as)
			if err != nil {
				return err
			}
			for _, p := range problems {
				fmt.Fprintln(a.stdout, p)
			}
			if len(problems) > 0 {
				return fmt.Errorf("%d problem(s) found", len(problems))
			}
			fmt.Fprintln(a.stdout, "No problems found.")
			return nil
		},
	}
}
