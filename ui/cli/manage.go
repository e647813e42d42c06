package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/pacer-sales/pacer/engine"
	"github.com/pacer-sales/pacer/engine/limits"
)

// splitRoles reads --role values, repeated or comma-separated.
func splitRoles(vals []string) []engine.Role {
	var roles []engine.Role
	for _, r := range vals {
		for _, part := range strings.Split(r, ",") {
			if p := strings.TrimSpace(part); p != "" {
				roles = append(roles, engine.Role(p))
			}
		}
	}
	return roles
}

// userSetCmd is `user set NAME`: only the flags given change.
func (a *App) userSetCmd() *cobra.Command {
	var name, email, title, territory, tz, from, workhours, workdays, imapURL string
	var perHour, perDay int
	var roles []string
	c := &cobra.Command{
		Use:   "set NAME [--name N] [--email E] [--role R]... [--title T] [--territory T] [--tz TZ] [--from ADDR] [--workhours HH:MM-HH:MM] [--workdays DAYS] [--max-per-hour N] [--max-per-day N] [--imap URL]",
		Short: "Change a user (admins); only the flags given change, --role replaces the roles",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			eng, as, err := a.session(cmd)
			if err != nil {
				return err
			}
			var ch engine.UserChange
			f := cmd.Flags()
			for _, s := range []struct {
				flag string
				val  *string
				dst  **string
			}{{"name", &name, &ch.Name}, {"email", &email, &ch.Email}, {"title", &title, &ch.Title}, {"territory", &territory, &ch.Territory}, {"tz", &tz, &ch.TimeZone}, {"from", &from, &ch.From},
				{"workhours", &workhours, &ch.WorkHours}, {"workdays", &workdays, &ch.WorkDays}, {"imap", &imapURL, &ch.IMAPURL}} {
				if f.Changed(s.flag) {
					*s.dst = s.val
				}
			}
			if f.Changed("max-per-hour") {
				ch.MaxPerHour = &perHour
			}
			if f.Changed("max-per-day") {
				ch.MaxPerDay = &perDay
			}
			if f.Changed("role") {
				ch.Roles = splitRoles(roles)
				if len(ch.Roles) == 0 {
					return fmt.Errorf("--role: give at least one of admin, manager, seller")
				}
			}
			u, err := eng.SetUser(cmd.Context(), as, args[0], ch)
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "Changed user %s (%s).\n", u.Username, joinRoles(u.Roles))
			return nil
		},
	}
	f := c.Flags()
	f.StringVar(&name, "name", "", "display name")
	f.StringVar(&email, "email", "", "email address")
	f.StringSliceVar(&roles, "role", nil, "roles, replacing the user's: admin, manager, seller (repeat or comma-separate)")
	f.StringVar(&title, "title", "", "job title")
	f.StringVar(&territory, "territory", "", "sales territory")
	f.StringVar(&tz, "tz", "", "time zone, e.g. Europe/Paris")
	f.StringVar(&from, "from", "", "sender address of the user's automated emails")
	f.StringVar(&workhours, "workhours", "", "the user's own working hours, e.g. 08:00-16:00 (org: the org's)")
	f.StringVar(&workdays, "workdays", "", "the user's own working days, e.g. mon-thu (org: the org's)")
	f.IntVar(&perHour, "max-per-hour", 0, "sending limit of the user's mailbox per hour (0: the org's)")
	f.IntVar(&perDay, "max-per-day", 0, "sending limit of the user's mailbox per day (0: the org's)")
	f.StringVar(&imapURL, "imap", "", `the user's own mailbox watched for replies and bounces, imap[s]://user:pass@host/MAILBOX ("" stops)`)
	return c
}

func joinRoles(roles []engine.Role) string {
	s := make([]string, len(roles))
	for i, r := range roles {
		s[i] = string(r)
	}
	return strings.Join(s, ",")
}

// userKeyCmd is `user key add|remove|list`.
func (a *App) userKeyCmd() *cobra.Command {
	c := &cobra.Command{Use: "key", Short: "SSH public keys a user signs in to pacer serve with (one key, one user)"}
	add := &cobra.Command{
		Use:   `add NAME "PUBKEY"|-`,
		Short: "Give a user an SSH public key (authorized_keys form; - reads it from standard input)",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			eng, as, err := a.session(cmd)
			if err != nil {
				return err
			}
			key := args[1]
			if key == "-" {
				data, err := a.readInput("", "-", limits.SSHKey)
				if err != nil {
					return err
				}
				key = string(data)
			}
			info, err := eng.AddUserKey(cmd.Context(), as, args[0], key)
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "Added SSH key %s (%s %s) to user %s.\n", info.Fingerprint, info.Type, orDash(info.Comment), args[0])
			return nil
		},
	}
	remove := &cobra.Command{
		Use:   "remove NAME FINGERPRINT|N|PUBKEY",
		Short: "Take an SSH key from a user, by fingerprint (SHA256:…), number in user key list, or the key",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			eng, as, err := a.session(cmd)
			if err != nil {
				return err
			}
			info, err := eng.RemoveUserKey(cmd.Context(), as, args[0], args[1])
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "Removed SSH key %s (%s) from user %s.\n", info.Fingerprint, orDash(info.Comment), args[0])
			return nil
		},
	}
	list := a.jsonFlag(&cobra.Command{
		Use:   "list NAME",
		Short: "List a user's SSH keys with their fingerprints",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			eng, as, err := a.session(cmd)
			if err != nil {
				return err
			}
			keys, err := eng.UserKeys(cmd.Context(), as, args[0])
			if err != nil {
				return err
			}
			if a.asJSON {
				return a.printJSON(keys)
			}
			rows := make([][]string, len(keys))
			for i, k := range keys {
				rows[i] = []string{fmt.Sprint(i + 1), k.Fingerprint, k.Type, orDash(k.Comment)}
			}
			return a.table([]string{"N", "FINGERPRINT", "TYPE", "COMMENT"}, rows)
		},
	})
	c.AddCommand(add, remove, list)
	return c
}

// userRemoveCmd is `user remove NAME [--reassign-to USER]`.
func (a *App) userRemoveCmd() *cobra.Command {
	var to string
	c := &cobra.Command{
		Use:   "remove NAME [--reassign-to USER]",
		Short: "Remove a user (admins); their open tasks, records and sequences go to --reassign-to",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			eng, as, err := a.session(cmd)
			if err != nil {
				return err
			}
			res, err := eng.RemoveUser(cmd.Context(), as, args[0], to)
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "Removed user %s", args[0])
			if to != "" {
				fmt.Fprintf(a.stdout, "; %s took over %d open task(s), %d record(s) and %d sequence(s)", to, res.Tasks, res.Records, res.Sequences)
			}
			fmt.Fprintln(a.stdout, ".")
			return nil
		},
	}
	c.Flags().StringVar(&to, "reassign-to", "", "user who takes over the open tasks, records and sequences")
	return c
}

// parseMembers reads USER[:ROLE] values.
func parseMembers(vals []string) []engine.Member {
	ms := make([]engine.Member, 0, len(vals))
	for _, m := range vals {
		name, role, _ := strings.Cut(m, ":")
		ms = append(ms, engine.Member{Username: strings.TrimSpace(name), Role: strings.TrimSpace(role)})
	}
	return ms
}

// teamManageCmds are `team set`, `team member add|remove` and `team remove`.
func (a *App) teamManageCmds() []*cobra.Command {
	var typ string
	var members []string
	set := &cobra.Command{
		Use:   "set NAME [--type owner|access] [--member USER[:ROLE]]...",
		Short: "Change a team (admins); --member replaces the members",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			eng, as, err := a.session(cmd)
			if err != nil {
				return err
			}
			ch := engine.TeamChange{Type: engine.TeamType(typ)}
			if cmd.Flags().Changed("member") {
				ch.Members = parseMembers(members)
			}
			t, err := eng.SetTeam(cmd.Context(), as, args[0], ch)
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "Saved team %s (%s, %d members).\n", t.Name, t.Type, len(t.Members))
			return nil
		},
	}
	set.Flags().StringVar(&typ, "type", "", "owner or access")
	set.Flags().StringArrayVar(&members, "member", nil, "member as USER or USER:ROLE (repeatable; replaces the members)")

	member := &cobra.Command{Use: "member", Short: "Add a user to a team or take one out"}
	member.AddCommand(&cobra.Command{
		Use:   "add TEAM USER[:ROLE]",
		Short: "Add a user to a team (or change their member role)",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			eng, as, err := a.session(cmd)
			if err != nil {
				return err
			}
			m := parseMembers(args[1:])[0]
			t, err := eng.AddTeamMember(cmd.Context(), as, args[0], m)
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "Team %s: %s is a member (%d members).\n", t.Name, m.Username, len(t.Members))
			return nil
		},
	}, &cobra.Command{
		Use:   "remove TEAM USER",
		Short: "Take a user out of a team",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			eng, as, err := a.session(cmd)
			if err != nil {
				return err
			}
			t, err := eng.RemoveTeamMember(cmd.Context(), as, args[0], args[1])
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "Team %s: %s is no longer a member (%d members).\n", t.Name, args[1], len(t.Members))
			return nil
		},
	})
	remove := &cobra.Command{
		Use:   "remove NAME",
		Short: "Remove a team (admins); refused while it owns records or is their access team",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			eng, as, err := a.session(cmd)
			if err != nil {
				return err
			}
			if err := eng.RemoveTeam(cmd.Context(), as, args[0]); err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "Removed team %s.\n", args[0])
			return nil
		},
	}
	return []*cobra.Command{set, member, remove}
}

// templateManageCmds are `template show|set|remove`.
func (a *App) templateManageCmds() []*cobra.Command {
	var previewFor string
	show := a.jsonFlag(&cobra.Command{
		Use:   "show NAME [--record E/ID]",
		Short: "Show a template's subject and body, or with --record both parts of the email it makes for that record",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			eng, as, err := a.session(cmd)
			if err != nil {
				return err
			}
			if previewFor != "" {
				return a.previewTemplate(cmd, eng, as, args[0], previewFor)
			}
			t, err := eng.Template(cmd.Context(), as, args[0])
			if err != nil {
				return err
			}
			if a.asJSON {
				return a.printJSON(t)
			}
			fmt.Fprintf(a.stdout, "Template %s (%s)\n", t.Name, t.Kind)
			if t.Subject != "" {
				fmt.Fprintf(a.stdout, "Subject: %s\n", Cell(t.Subject))
			}
			fmt.Fprintf(a.stdout, "\n%s\n", strings.TrimRight(t.Body, "\n"))
			if t.HTML != "" {
				fmt.Fprintf(a.stdout, "\n--- html ---\n%s\n", strings.TrimRight(t.HTML, "\n"))
			}
			return nil
		},
	})
	show.Flags().StringVar(&previewFor, "record", "", "preview the email for this record (entity/id): subject, text and HTML parts, missing fields")
	var subject, bodyFile, htmlFile string
	set := &cobra.Command{
		Use:   "set NAME [--subject S] [--body-file F|-] [--html-file F|-|\"\"]",
		Short: "Change a template's subject, body or HTML body (managers and admins)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			eng, as, err := a.session(cmd)
			if err != nil {
				return err
			}
			var ch engine.TemplateChange
			if cmd.Flags().Changed("subject") {
				ch.Subject = &subject
			}
			if bodyFile != "" {
				body, err := a.readInput("--body-file ", bodyFile, limits.TemplateBody)
				if err != nil {
					return err
				}
				s := string(body)
				ch.Body = &s
			}
			if cmd.Flags().Changed("html-file") {
				s := ""
				if htmlFile != "" {
					html, err := a.readInput("--html-file ", htmlFile, limits.TemplateBody)
					if err != nil {
						return err
					}
					s = string(html)
				}
				ch.HTML = &s
			}
			if ch.Subject == nil && ch.Body == nil && ch.HTML == nil {
				return fmt.Errorf("nothing to change: give --subject, --body-file or --html-file")
			}
			t, err := eng.SetTemplate(cmd.Context(), as, args[0], ch)
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "Saved %s template %s.\n", t.Kind, t.Name)
			return nil
		},
	}
	set.Flags().StringVar(&subject, "subject", "", "subject line")
	set.Flags().StringVar(&bodyFile, "body-file", "", "file holding the body (- for standard input)")
	set.Flags().StringVar(&htmlFile, "html-file", "", "file holding the HTML body (- for standard input; \"\" drops it)")
	remove := &cobra.Command{
		Use:   "remove NAME",
		Short: "Remove a template (refused while an active sequence uses it)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			eng, as, err := a.session(cmd)
			if err != nil {
				return err
			}
			if err := eng.RemoveTemplate(cmd.Context(), as, args[0]); err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "Removed template %s.\n", args[0])
			return nil
		},
	}
	return []*cobra.Command{show, set, remove}
}

// recordRemoveCmd is `record remove E/ID`.
func (a *App) recordRemoveCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "remove E/ID",
		Short: "Remove a record; its active connections end (reason record_removed)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			eng, as, err := a.session(cmd)
			if err != nil {
				return err
			}
			n, err := eng.RemoveRecord(cmd.Context(), as, args[0])
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "Removed %s; %d connection(s) disconnected.\n", args[0], n)
			return nil
		},
	}
}

// segmentRemoveCmd is `segment remove NAME`.
func (a *App) segmentRemoveCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "remove NAME",
		Short: "Remove a segment",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			eng, as, err := a.session(cmd)
			if err != nil {
				return err
			}
			if err := eng.RemoveSegment(cmd.Context(), as, args[0]); err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "Removed segment %s.\n", args[0])
			return nil
		},
	}
}

// previewTemplate prints the email a template makes for a record.
func (a *App) previewTemplate(cmd *cobra.Command, eng *engine.Engine, as, name, ref string) error {
	p, err := eng.PreviewTemplate(cmd.Context(), as, engine.Template{Name: name}, ref)
	if err != nil {
		return err
	}
	if a.asJSON {
		return a.printJSON(p)
	}
	fmt.Fprintf(a.stdout, "Template %s for %s <%s>\n", p.Template, p.Record, Cell(p.To))
	fmt.Fprintf(a.stdout, "Subject: %s\n", Cell(p.Subject))
	if len(p.Missing) > 0 {
		fmt.Fprintf(a.stdout, "Held: no value and no fallback for %s; the automated email becomes a manual task\n", strings.Join(p.Missing, ", "))
	}
	if p.Suppressed != "" {
		fmt.Fprintf(a.stdout, "Not sent: the address is %s\n", p.Suppressed)
	}
	fmt.Fprintf(a.stdout, "\n--- text ---\n%s\n--- html ---\n%s\n", strings.TrimRight(p.Text, "\n"), strings.TrimRight(p.HTML, "\n"))
	return nil
}
