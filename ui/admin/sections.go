package admin

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/pacer-sales/pacer/engine"
	"github.com/pacer-sales/pacer/engine/mail"
	"github.com/pacer-sales/pacer/ui/components/grid"
)

// columns are each section's grid columns.
var columns = [secCount][]grid.Column{
	secUsers: {
		{Key: "username", Title: "Username", Width: 14},
		{Key: "name", Title: "Name", Width: 16, Flex: true},
		{Key: "email", Title: "Email", Width: 18, Flex: true},
		{Key: "roles", Title: "Roles", Width: 14, Multi: true},
		{Key: "keys", Title: "SSH keys", Width: 20, Flex: true},
	},
	secTeams: {
		{Key: "name", Title: "Team", Width: 16},
		{Key: "type", Title: "Type", Width: 8},
		{Key: "members", Title: "Members (role)", Width: 30, Flex: true},
	},
	secTemplates: {
		{Key: "name", Title: "Template", Width: 16},
		{Key: "kind", Title: "Kind", Width: 6},
		{Key: "subject", Title: "Subject", Width: 20, Flex: true},
		{Key: "placeholders", Title: "Placeholders", Width: 20, Flex: true},
	},
	secSettings: {
		{Key: "key", Title: "Setting", Width: 14},
		{Key: "value", Title: "Value", Width: 30, Flex: true},
	},
}

// notSet is the Value of a setting that has none.
const notSet = "— not set"

// fill builds every section's rows from the data loaded.
func (m *Model) fill() {
	d := m.data
	var ids []string
	var cells [][]string

	ids, cells = nil, make([][]string, 5)
	for _, u := range d.users {
		ids = append(ids, u.Username)
		roles := make([]string, len(u.Roles))
		for i, r := range u.Roles {
			roles[i] = string(r)
		}
		var fps []string
		for _, ki := range engine.UserKeyInfos(u) {
			fps = append(fps, ki.Fingerprint)
		}
		keys := "none"
		if len(fps) > 0 {
			keys = strings.Join(fps, ", ")
		}
		for i, v := range []string{u.Username, u.Name, u.Email, strings.Join(roles, ","), keys} {
			cells[i] = append(cells[i], v)
		}
	}
	m.grids[secUsers].SetRows(rowsOf(ids, cells, 3))

	ids, cells = nil, make([][]string, 3)
	for _, t := range d.teams {
		ids = append(ids, t.Name)
		var ms []string
		for _, mb := range t.Members {
			if mb.Role != "" {
				ms = append(ms, mb.Username+" ("+mb.Role+")")
			} else {
				ms = append(ms, mb.Username)
			}
		}
		for i, v := range []string{t.Name, string(t.Type), strings.Join(ms, ", ")} {
			cells[i] = append(cells[i], v)
		}
	}
	m.grids[secTeams].SetRows(rowsOf(ids, cells, -1))

	ids, cells = nil, make([][]string, 4)
	for _, t := range d.templates {
		ids = append(ids, t.Name)
		for i, v := range []string{t.Name, string(t.Kind), t.Subject, placeholderList(t)} {
			cells[i] = append(cells[i], v)
		}
	}
	m.grids[secTemplates].SetRows(rowsOf(ids, cells, -1))

	ids, cells = nil, make([][]string, 2)
	for _, kv := range d.settings {
		ids = append(ids, kv[0])
		cells[0] = append(cells[0], kv[0])
		v := kv[1]
		if v == "" {
			v = notSet
		}
		cells[1] = append(cells[1], v)
	}
	rows := rowsOf(ids, cells, -1)
	// Settings keep the engine's order (SettingKeys) on the key column.
	n := len(ids)
	asc := make([]int32, n)
	desc := make([]int32, n)
	for i := range n {
		asc[i], desc[i] = int32(i), int32(n-1-i)
	}
	rows.Orders[0] = [2][]int32{asc, desc}
	m.grids[secSettings].SetRows(rows)
}

// placeholderList names the placeholders a template uses.
func placeholderList(t engine.Template) string {
	seen := map[string]bool{}
	var out []string
	for _, text := range []string{t.Subject, t.Body} {
		phs, _ := mail.Placeholders(text)
		for _, p := range phs {
			if !seen[p] {
				seen[p] = true
				out = append(out, p)
			}
		}
	}
	if len(out) == 0 {
		return "none"
	}
	return strings.Join(out, " ")
}

// rowsOf builds grid rows from cells (Cells[col][row]); multi, when not -1, is a column of
// comma-separated values. Every column is searched.
func rowsOf(ids []string, cells [][]string, multi int) *grid.Rows {
	n := len(ids)
	r := &grid.Rows{IDs: ids, Cells: make([][]string, len(cells)), Orders: make([][2][]int32, len(cells))}
	for c, col := range cells {
		clean := make([]string, n)
		for i := range n {
			if i < len(col) {
				clean[i] = grid.Clean(col[i])
			}
		}
		r.Cells[c] = clean
		search := make([]string, n)
		for i, v := range clean {
			search[i] = strings.ToLower(v)
		}
		r.Search = append(r.Search, search)
		asc, desc := grid.Orders(n, func(a, b int) int { return cmp.Compare(search[a], search[b]) }, func(a, b int) int { return cmp.Compare(a, b) })
		r.Orders[c] = [2][]int32{asc, desc}
	}
	if multi >= 0 {
		r.Parts = make([][][]string, len(cells))
		parts := make([][]string, n)
		for i, v := range r.Cells[multi] {
			parts[i] = strings.Split(v, ",")
		}
		r.Parts[multi] = parts
	}
	return r
}

// userByName finds a loaded user.
func (m *Model) userByName(name string) (engine.User, bool) {
	i := slices.IndexFunc(m.data.users, func(u engine.User) bool { return u.Username == name })
	if i < 0 {
		return engine.User{}, false
	}
	return m.data.users[i], true
}

// teamByName finds a loaded team.
func (m *Model) teamByName(name string) (engine.Team, bool) {
	i := slices.IndexFunc(m.data.teams, func(t engine.Team) bool { return t.Name == name })
	if i < 0 {
		return engine.Team{}, false
	}
	return m.data.teams[i], true
}

// settingValue is the loaded (masked) text form of a setting.
func (m *Model) settingValue(k string) string {
	for _, kv := range m.data.settings {
		if kv[0] == k {
			return kv[1]
		}
	}
	return ""
}

// plural says n things.
func plural(n int, one string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %ss", n, one)
}
