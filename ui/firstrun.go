package ui

import (
	"context"
	"fmt"
	"net/mail"
	"regexp"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/huh/v2"
	"charm.land/lipgloss/v2"

	"github.com/pacer-sales/pacer/engine"
	"github.com/pacer-sales/pacer/ui/common"
	"github.com/pacer-sales/pacer/ui/components/form"
)

// demoAdmin is the sample org's admin, who acts after the sample org is loaded.
const demoAdmin = "admin"

// The choices of the first-run screen.
const (
	choiceDemo = iota
	choiceBlank
)

var choices = []struct{ title, desc string }{
	{"Load the sample org", "sample users, records, templates and sequences; you act as its admin"},
	{"Start blank", "create the first admin (you) and build from nothing"},
}

// The steps of the first run.
type firstStep int

const (
	stepChoose firstStep = iota
	stepWorking
	stepForm
)

// Messages of the first-run screen.
type (
	// adminFormDoneMsg: the first admin's form was submitted.
	adminFormDoneMsg struct{}
	// adminFormCancelledMsg: the form was left; back to the choice.
	adminFormCancelledMsg struct{}
	// firstRunFailedMsg: loading the sample org or adding the admin failed.
	firstRunFailedMsg struct{ err error }
)

// firstRunKeys are the keys of the first-run screen.
type firstRunKeys struct {
	common.NavKeys
	Choose, Back key.Binding
}

// firstRun greets an org without users: load the sample org, or create the first admin.
type firstRun struct {
	c    *common.Common
	keys firstRunKeys

	step   firstStep
	cursor int
	form   *huh.Form
	// bg is the terminal's background, replayed to a new form.
	bg *tea.BackgroundColorMsg

	// The first admin, bound to the form's fields.
	username, name, email string

	width int
}

// newFirstRun returns the first-run screen; username is suggested for the first admin.
func newFirstRun(c *common.Common, username string) *firstRun {
	return &firstRun{
		c:        c,
		username: username,
		keys: firstRunKeys{
			NavKeys: common.DefaultNavKeys(),
			Choose:  key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "choose")),
			Back:    key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "back")),
		},
	}
}

// Init does nothing; the screen waits for a choice.
func (f *firstRun) Init() tea.Cmd { return nil }

// Update handles the choice, the form and the results of the engine calls.
func (f *firstRun) Update(msg tea.Msg) (common.Screen, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.BackgroundColorMsg:
		f.bg = &msg
	case firstRunFailedMsg:
		if f.step == stepWorking && f.cursor == choiceBlank {
			return f, tea.Batch(f.openForm(), common.Fail(msg.err))
		}
		f.step = stepChoose
		return f, common.Fail(msg.err)
	case adminFormCancelledMsg:
		f.step, f.form = stepChoose, nil
		return f, nil
	case adminFormDoneMsg:
		f.step, f.form = stepWorking, nil
		return f, addAdmin(f.c.Ctx, f.c.Engine, engine.User{
			Username: strings.TrimSpace(f.username),
			Name:     strings.TrimSpace(f.name),
			Email:    strings.TrimSpace(f.email),
			Roles:    []engine.Role{engine.RoleAdmin},
		})
	case tea.KeyPressMsg:
		switch f.step {
		case stepChoose:
			if c, ok := f.keys.Move(msg, f.cursor, len(choices), 1); ok {
				f.cursor = c
				return f, nil
			}
			switch {
			case key.Matches(msg, f.keys.Choose):
				if f.cursor == choiceDemo {
					f.step = stepWorking
					return f, loadDemo(f.c.Ctx, f.c.Engine)
				}
				return f, f.openForm()
			}
			return f, nil
		case stepForm:
			if key.Matches(msg, f.keys.Back) {
				f.step, f.form = stepChoose, nil
				return f, nil
			}
		default:
			return f, nil
		}
	}
	if f.step == stepForm && f.form != nil {
		m, cmd := f.form.Update(msg)
		if form, ok := m.(*huh.Form); ok {
			f.form = form
		}
		return f, cmd
	}
	return f, nil
}

// openForm shows the form for the first admin, keeping what was typed before.
func (f *firstRun) openForm() tea.Cmd {
	f.step = stepForm
	f.form = huh.NewForm(huh.NewGroup(
		huh.NewInput().Key("username").Title("Username").
			Description("lowercase letters, digits, '.', '_' or '-'").
			Value(&f.username).Validate(checkUsername),
		huh.NewInput().Key("name").Title("Display name").Value(&f.name),
		huh.NewInput().Key("email").Title("Email").Value(&f.email).Validate(checkEmail),
	).Title("The first admin").Description("You act as this user; add the others later.")).
		WithKeyMap(form.Keys()).WithTheme(form.Theme(f.c.Styles)).
		WithShowHelp(false).WithWidth(min(max(f.width-4, 20), 72))
	f.form.SubmitCmd = func() tea.Msg { return adminFormDoneMsg{} }
	f.form.CancelCmd = func() tea.Msg { return adminFormCancelledMsg{} }
	cmd := f.form.Init()
	if f.bg != nil {
		f.form.Update(*f.bg)
	}
	return cmd
}

// usernameRE is what a pacer username may hold.
var usernameRE = regexp.MustCompile(`^[a-z0-9._-]+$`)

// checkUsername validates the first admin's username.
func checkUsername(s string) error {
	if !usernameRE.MatchString(strings.TrimSpace(s)) {
		return fmt.Errorf("use lowercase letters, digits, '.', '_' or '-'")
	}
	return nil
}

// checkEmail validates the first admin's email address, which may be left empty.
func checkEmail(s string) error {
	if s = strings.TrimSpace(s); s == "" {
		return nil
	}
	if _, err := mail.ParseAddress(s); err != nil {
		return fmt.Errorf("%q is not an email address", s)
	}
	return nil
}

// loadDemo loads the sample org and signs in as its admin.
func loadDemo(ctx context.Context, eng *engine.Engine) tea.Cmd {
	return func() tea.Msg {
		res, err := eng.LoadDemo(ctx)
		if err != nil {
			return firstRunFailedMsg{err}
		}
		u, err := eng.Whoami(ctx, demoAdmin)
		if err != nil {
			return firstRunFailedMsg{err}
		}
		return signedInMsg{user: u, loc: common.UserLocation(u), note: fmt.Sprintf(
			"Loaded the sample org: %d users, %d records, %d sequences. You are %s.",
			res.Users, res.Records, res.Sequences, u.Username)}
	}
}

// addAdmin creates the org's first user, an admin, and signs in as them.
func addAdmin(ctx context.Context, eng *engine.Engine, u engine.User) tea.Cmd {
	return func() tea.Msg {
		if err := eng.AddUser(ctx, "", u); err != nil {
			return firstRunFailedMsg{err}
		}
		u, err := eng.Whoami(ctx, u.Username)
		if err != nil {
			return firstRunFailedMsg{err}
		}
		return signedInMsg{user: u, loc: common.UserLocation(u), note: "Welcome, " + u.Username + ": you are the admin of this org."}
	}
}

// View draws the greeting and the choice, the form, or the work in progress.
func (f *firstRun) View() string {
	st := f.c.Styles
	var b strings.Builder
	b.WriteString(st.Title.Render("Welcome to pacer"))
	b.WriteString("\n\n")
	b.WriteString(st.Text.Render("This database has no users yet."))
	b.WriteString("\n\n")
	switch f.step {
	case stepWorking:
		if f.cursor == choiceDemo {
			b.WriteString(st.Muted.Render("Loading the sample org…"))
		} else {
			b.WriteString(st.Muted.Render("Creating the first admin…"))
		}
	case stepForm:
		b.WriteString(f.form.View())
	default:
		for i, ch := range choices {
			mark, title := "  ", st.Text.Render(ch.title)
			if i == f.cursor {
				mark, title = "> ", st.Selected.Render(" "+ch.title+" ")
			} else {
				title = " " + title + " "
			}
			b.WriteString(mark + title + "\n")
			b.WriteString("    " + st.Muted.Render(ch.desc) + "\n\n")
		}
	}
	return lipgloss.NewStyle().Padding(1, 2).Render(b.String())
}

// SetSize remembers the width and fits the form to it.
func (f *firstRun) SetSize(w, _ int) {
	f.width = w
	if f.form != nil {
		f.form.WithWidth(min(max(w-4, 20), 72))
	}
}

// ShortHelp is the footer's help.
func (f *firstRun) ShortHelp() []key.Binding {
	switch f.step {
	case stepForm:
		return append(f.form.KeyBinds(), f.keys.Back)
	case stepChoose:
		return []key.Binding{f.keys.Up, f.keys.Down, f.keys.Choose}
	}
	return nil
}

// FullHelp is the help shown with ?.
func (f *firstRun) FullHelp() [][]key.Binding { return [][]key.Binding{f.ShortHelp()} }

// CapturesInput is true while the form takes text.
func (f *firstRun) CapturesInput() bool { return f.step == stepForm }

// Dirty is false: nothing is lost by quitting before the first user exists.
func (f *firstRun) Dirty() bool { return false }
