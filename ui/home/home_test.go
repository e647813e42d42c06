package home

import (
	"context"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/pacer-sales/pacer/engine"
	"github.com/pacer-sales/pacer/ui/common"
	"github.com/pacer-sales/pacer/ui/components/grid"
)

var demoNames = []string{
	"High-volume outbound prospecting",
	"Missed meeting follow-up",
	"Product demo request",
	"Upcoming account renewal",
	"Upcoming event invitation",
	"Webinar follow-up",
}

// queryNames is what `pacer seq list` shows for a query.
func queryNames(t *testing.T, e *engine.Engine, q engine.Query) []string {
	t.Helper()
	rows, err := e.ListSequences(context.Background(), admin, q)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range rows {
		out = append(out, r.Name)
	}
	return out
}

func lines(s string) []string { return strings.Split(s, "\n") }

func TestGridView(t *testing.T) {
	e := demoEngine(t)
	synctest.Test(t, func(t *testing.T) {
		h := screenFor(t, e, admin)
		if got := h.names(); !slices.Equal(got, demoNames) {
			t.Fatalf("rows = %v, want %v", got, demoNames)
		}
		v := h.View()
		ls := lines(v)
		if len(ls) != 30 {
			t.Fatalf("view has %d lines, want 30:\n%s", len(ls), v)
		}
		if !strings.HasPrefix(ls[0], "Sequences  ·  sorted by Name, ascending") {
			t.Errorf("title = %q", ls[0])
		}
		for _, title := range []string{"Name ▲", "Description", "Record type", "Status", "Owner", "Steps", "Connected", "Modified", "Tags"} {
			if !strings.Contains(ls[1], title) {
				t.Errorf("header %q lacks %q", ls[1], title)
			}
		}
		// State is written out, not only coloured.
		if !strings.Contains(ls[2], "High-volume outbound") || !strings.Contains(ls[2], "active") || !strings.Contains(ls[2], "2026-03-02 09:00") {
			t.Errorf("first row = %q", ls[2])
		}
		if !strings.HasPrefix(ls[29], "1–6 of 6") {
			t.Errorf("position = %q", ls[29])
		}
		for i, l := range ls {
			if len([]rune(l)) > 120 {
				t.Errorf("line %d is wider than 120: %q", i, l)
			}
		}
		if h.S.CapturesInput() {
			t.Error("the grid alone should not capture input")
		}
	})
}

func TestRowsAndColumnsKeys(t *testing.T) {
	e := demoEngine(t)
	synctest.Test(t, func(t *testing.T) {
		h := screenFor(t, e, admin)
		h.Press("j", "down")
		if h.cursorName() != demoNames[2] {
			t.Fatalf("cursor on %q", h.cursorName())
		}
		h.Press("k", "up", "up")
		if h.cursorName() != demoNames[0] {
			t.Fatalf("cursor on %q", h.cursorName())
		}
		h.Press("l", "right")
		if got := h.m().grid.SelectedColumn().Title; got != "Record type" {
			t.Fatalf("selected column %q", got)
		}
		h.Press("h", "left", "left")
		if got := h.m().grid.SelectedColumn().Title; got != "Name" {
			t.Fatalf("selected column %q", got)
		}
	})
}

func TestSortAndReverse(t *testing.T) {
	e := demoEngine(t)
	synctest.Test(t, func(t *testing.T) {
		h := screenFor(t, e, admin)
		h.selectColumn("Record type")
		h.Press("s")
		want := queryNames(t, e, engine.Query{Sort: "entity"})
		if got := h.names(); !slices.Equal(got, want) {
			t.Fatalf("sorted by record type: %v, want %v", got, want)
		}
		if v := h.View(); !strings.Contains(lines(v)[1], "Record type ▲") || !strings.Contains(lines(v)[0], "sorted by Record type, ascending") {
			t.Fatalf("view:\n%s", v)
		}
		// The first row's record type is account.
		if !strings.Contains(lines(h.View())[2], "account") {
			t.Errorf("first row %q", lines(h.View())[2])
		}
		h.Press("s")
		want = queryNames(t, e, engine.Query{Sort: "entity", Desc: true})
		if got := h.names(); !slices.Equal(got, want) {
			t.Fatalf("reversed: %v, want %v", got, want)
		}
		if v := h.View(); !strings.Contains(lines(v)[1], "Record type ▼") || !strings.Contains(lines(v)[2], "opportunity") {
			t.Fatalf("view:\n%s", v)
		}
		// Sorting by steps matches the command line too.
		h.selectColumn("Steps")
		h.Press("s")
		if got, want := h.names(), queryNames(t, e, engine.Query{Sort: "steps"}); !slices.Equal(got, want) {
			t.Fatalf("by steps: %v, want %v", got, want)
		}
	})
}

func TestFilterPickAndClear(t *testing.T) {
	e := demoEngine(t)
	synctest.Test(t, func(t *testing.T) {
		h := screenFor(t, e, admin)
		h.selectColumn("Record type")
		h.Press("f")
		if !h.S.CapturesInput() {
			t.Fatal("the filter picker should capture input")
		}
		v := h.View()
		for _, want := range []string{"Filter by Record type", "[ ] account", "[ ] contact", "[ ] lead", "[ ] opportunity", "enter apply"} {
			if !strings.Contains(v, want) {
				t.Fatalf("picker lacks %q:\n%s", want, v)
			}
		}
		// account, contact, lead: check lead and opportunity.
		h.Press("down", "down", "space", "down", "space")
		if v := h.View(); !strings.Contains(v, "[x] lead") || !strings.Contains(v, "[x] opportunity") || !strings.Contains(v, "[ ] account") {
			t.Fatalf("picker after checking:\n%s", v)
		}
		h.Press("enter")
		want := queryNames(t, e, engine.Query{Filters: map[string][]string{"entity": {"lead", "opportunity"}}})
		if got := h.names(); !slices.Equal(got, want) || len(got) != 3 {
			t.Fatalf("filtered: %v, want %v", got, want)
		}
		v = h.View()
		if !strings.Contains(lines(v)[0], "filters: Record type = lead or opportunity") || !strings.Contains(lines(v)[1], "Record type*") {
			t.Fatalf("view:\n%s", v)
		}
		if !strings.Contains(v, "1–3 of 3 (6 in all)") {
			t.Fatalf("position:\n%s", v)
		}
		// Re-opening shows the current choice; esc leaves it as it was.
		h.Press("f")
		if v := h.View(); !strings.Contains(v, "[x] lead") {
			t.Fatalf("picker:\n%s", v)
		}
		h.Press("esc")
		if len(h.names()) != 3 {
			t.Fatal("esc should keep the filter")
		}
		// Tags match any of the picked values.
		h.selectColumn("Tags")
		h.Press("f")
		v = h.View()
		if !strings.Contains(v, "[ ] outbound") || !strings.Contains(v, "[ ] webinar") {
			t.Fatalf("tags picker:\n%s", v)
		}
		// Check "a" toggles every value, twice clears them again.
		h.Press("a")
		if strings.Contains(h.View(), "[ ]") {
			t.Fatal("a should check every value")
		}
		h.Press("a")
		h.Press("g")
		for _, it := range h.m().picker.p.Items() {
			if it.Value == "outbound" || it.Value == "meetings" {
				h.Press("space")
			}
			h.Press("down")
		}
		h.Press("enter")
		want = queryNames(t, e, engine.Query{Filters: map[string][]string{"entity": {"lead", "opportunity"}, "tags": {"outbound", "meetings"}}})
		if got := h.names(); !slices.Equal(got, want) || len(got) != 2 {
			t.Fatalf("tags filter: %v, want %v", got, want)
		}
		h.Press("F")
		if got := h.names(); !slices.Equal(got, demoNames) {
			t.Fatalf("after F: %v", got)
		}
		if h.LastStatus().Text != "Filters cleared." {
			t.Errorf("status %+v", h.LastStatus())
		}
		if v := h.View(); strings.Contains(lines(v)[0], "filters") || strings.Contains(lines(v)[1], "*") {
			t.Fatalf("view after F:\n%s", v)
		}
	})
}

func TestReorderColumns(t *testing.T) {
	e := demoEngine(t)
	synctest.Test(t, func(t *testing.T) {
		h := screenFor(t, e, admin)
		h.selectColumn("Status")
		h.Press(">")
		cols := h.m().grid.State().Columns
		if want := []string{"name", "description", "entity", "owner", "state", "steps", "connected", "modified", "tags"}; !slices.Equal(cols, want) {
			t.Fatalf("columns = %v", cols)
		}
		header := lines(h.View())[1]
		if strings.Index(header, "Owner") > strings.Index(header, "Status") {
			t.Fatalf("Status should come after Owner: %q", header)
		}
		h.Press("<", "<", "<", "<")
		cols = h.m().grid.State().Columns
		if cols[0] != "state" {
			t.Fatalf("columns = %v", cols)
		}
		if header := lines(h.View())[1]; !strings.HasPrefix(header, "Status") {
			t.Fatalf("header = %q", header)
		}
		// The rows follow the columns: the first cell is now the state.
		if row := lines(h.View())[2]; !strings.HasPrefix(row, "active") {
			t.Fatalf("row = %q", row)
		}
	})
}

func TestSearchNameAndDescriptionOnly(t *testing.T) {
	e := demoEngine(t)
	synctest.Test(t, func(t *testing.T) {
		h := screenFor(t, e, admin)
		h.Press("/")
		if !h.S.CapturesInput() {
			t.Fatal("search should capture input")
		}
		h.Type("webinar")
		if got := h.names(); !slices.Equal(got, []string{"Webinar follow-up"}) {
			t.Fatalf("search webinar: %v", got)
		}
		if v := h.View(); !strings.HasPrefix(lines(v)[0], "Search: webinar") {
			t.Fatalf("title = %q", lines(v)[0])
		}
		// A word of a description only.
		h.Press("esc")
		if h.S.CapturesInput() || len(h.names()) != 6 {
			t.Fatal("esc should clear the search and leave the box")
		}
		h.Press("/")
		h.Type("DECISION MAKER")
		if got, want := h.names(), queryNames(t, e, engine.Query{Search: "decision maker"}); !slices.Equal(got, want) || len(got) != 1 {
			t.Fatalf("description search: %v, want %v", got, want)
		}
		// enter keeps the search and gives the keys back to the grid.
		h.Press("enter")
		if h.S.CapturesInput() || len(h.names()) != 1 {
			t.Fatal("enter should keep the search")
		}
		if v := h.View(); !strings.Contains(lines(v)[0], `search "DECISION MAKER"`) {
			t.Fatalf("title = %q", lines(v)[0])
		}
		// The owner and the tags are not searched.
		h.Press("/")
		h.Press("ctrl+u")
		h.Type("admin")
		if got := h.names(); len(got) != 0 {
			t.Fatalf("owner should not be searched: %v", got)
		}
		if v := h.View(); !strings.Contains(v, "No sequences match") {
			t.Fatalf("empty view:\n%s", v)
		}
		for range 5 {
			h.Press("backspace")
		}
		h.Type("nurture")
		if got := h.names(); len(got) != 0 {
			t.Fatalf("tags should not be searched: %v", got)
		}
		h.Press("esc")
		// esc on the grid clears a kept search too.
		h.Press("/")
		h.Type("renewal")
		h.Press("enter")
		if len(h.names()) != 1 {
			t.Fatalf("renewal: %v", h.names())
		}
		h.Press("esc")
		if len(h.names()) != 6 {
			t.Fatalf("esc on the grid should clear the search: %v", h.names())
		}
	})
}

func TestNewFromTemplate(t *testing.T) {
	e := demoEngine(t)
	synctest.Test(t, func(t *testing.T) {
		h := screenFor(t, e, admin)
		h.Press("n")
		if !h.S.CapturesInput() {
			t.Fatal("the form should capture input")
		}
		v := h.View()
		if !strings.Contains(v, "Start from") || !strings.Contains(v, "Blank sequence") || !strings.Contains(v, "High-volume outbound prospecting (lead)") {
			t.Fatalf("form:\n%s", v)
		}
		// Second option: the first built-in template (outbound prospecting).
		h.Press("down", "enter")
		v = h.View()
		if !strings.Contains(v, "Name") || !strings.Contains(v, "Record type") || !strings.Contains(v, "Cold outreach") {
			t.Fatalf("details form:\n%s", v)
		}
		// A taken name is refused as it is submitted.
		h.Type("webinar FOLLOW-UP")
		h.Press("enter")
		if v := h.View(); !strings.Contains(v, "already exists") {
			t.Fatalf("taken name accepted:\n%s", v)
		}
		h.Press("ctrl+u")
		h.Type("Spring outbound")
		h.Press("enter", "enter", "enter")
		if h.S.CapturesInput() {
			t.Fatalf("form still open:\n%s", h.View())
		}
		if !slices.Equal(h.opened(), []string{"Spring outbound"}) {
			t.Fatalf("opened %v; statuses %+v", h.opened(), h.Sent)
		}
		r, ok := h.row("Spring outbound")
		if !ok {
			t.Fatalf("new sequence not in the grid: %v", h.names())
		}
		if r.Entity != "lead" || r.State != "draft" || r.Steps == 0 || r.Owner != admin || !strings.HasPrefix(r.Description, "Cold outreach") {
			t.Fatalf("new row = %+v", r)
		}
		if h.cursorName() != "Spring outbound" {
			t.Fatalf("cursor on %q", h.cursorName())
		}
		if !strings.Contains(h.LastStatus().Text, "Created the draft") {
			t.Fatalf("statuses %+v", h.Sent)
		}
		// A template of another record type starts with its own record type.
		h.Press("n", "down", "down", "down", "enter")
		h.Type("Invite again")
		h.Press("enter", "enter", "enter")
		if r, _ := h.row("Invite again"); r.Entity != "contact" {
			t.Fatalf("row = %+v", r)
		}
	})
}

func TestNewBlankDefaultsToLead(t *testing.T) {
	e := demoEngine(t)
	synctest.Test(t, func(t *testing.T) {
		h := screenFor(t, e, admin)
		h.Press("n", "enter")
		h.Type("From scratch")
		h.Press("enter")
		h.Type("Handmade steps")
		h.Press("enter")
		if v := h.View(); !strings.Contains(v, "Lead") {
			t.Fatalf("record type:\n%s", v)
		}
		h.Press("enter")
		r, ok := h.row("From scratch")
		if !ok {
			t.Fatalf("not created: %+v", h.Sent)
		}
		if r.Entity != "lead" || r.Description != "Handmade steps" || r.Steps != 0 || r.State != "draft" {
			t.Fatalf("row = %+v", r)
		}
		if !slices.Equal(h.opened(), []string{"From scratch"}) {
			t.Fatalf("opened %v", h.opened())
		}
		// esc cancels without creating anything.
		h.Press("n", "esc")
		if h.S.CapturesInput() || len(h.names()) != 7 {
			t.Fatalf("cancel: %v", h.names())
		}
		// A blank sequence of another record type.
		h.Press("n", "enter")
		h.Type("Accounts blank")
		h.Press("enter", "enter", "down", "down", "enter")
		if r, _ := h.row("Accounts blank"); r.Entity != "account" {
			t.Fatalf("row = %+v", r)
		}
	})
}

func TestOpen(t *testing.T) {
	e := demoEngine(t)
	synctest.Test(t, func(t *testing.T) {
		h := screenFor(t, e, admin)
		h.Press("j", "enter")
		if !slices.Equal(h.opened(), []string{demoNames[1]}) {
			t.Fatalf("opened %v", h.opened())
		}
	})
}

func TestActivate(t *testing.T) {
	e := demoEngine(t)
	ctx := context.Background()
	if _, err := e.NewSequence(ctx, admin, "Empty draft", "", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Deactivate(ctx, admin, "Webinar follow-up"); err != nil {
		t.Fatal(err)
	}
	synctest.Test(t, func(t *testing.T) {
		h := screenFor(t, e, admin)
		// A draft without steps: every problem is listed.
		h.selectName("Empty draft")
		h.Press("A")
		v := h.View()
		if !strings.Contains(v, `Activate "Empty draft"?`) || !strings.Contains(v, "y/enter yes") {
			t.Fatalf("confirmation:\n%s", v)
		}
		h.Press("n")
		if r, _ := h.row("Empty draft"); r.State != "draft" || h.S.CapturesInput() {
			t.Fatal("n should cancel")
		}
		h.Press("A", "y")
		v = h.View()
		if !strings.Contains(v, `"Empty draft" can't be activated: 1 problem(s)`) || !strings.Contains(v, "[no_steps]") || !strings.Contains(v, "sequence") {
			t.Fatalf("problems panel:\n%s", v)
		}
		st := h.LastStatus()
		if !st.Err || !strings.Contains(st.Text, "can't be activated") {
			t.Fatalf("status %+v", st)
		}
		h.Press("esc")
		if h.S.CapturesInput() {
			t.Fatal("esc should close the panel")
		}
		// enter in the panel opens the sequence to fix it.
		h.Press("A", "y", "enter")
		if !slices.Equal(h.opened(), []string{"Empty draft"}) {
			t.Fatalf("opened %v", h.opened())
		}
		// A valid inactive sequence activates.
		h.selectName("Webinar follow-up")
		h.Press("A", "enter")
		if r, _ := h.row("Webinar follow-up"); r.State != "active" {
			t.Fatalf("row = %+v; statuses %+v", r, h.Sent)
		}
		if st := h.LastStatus(); st.Err || !strings.Contains(st.Text, `Activated "Webinar follow-up"`) {
			t.Fatalf("status %+v", st)
		}
		if h.cursorName() != "Webinar follow-up" {
			t.Fatalf("cursor on %q", h.cursorName())
		}
		// Already active: nothing to confirm.
		h.Press("A")
		if h.S.CapturesInput() || !strings.Contains(h.LastStatus().Text, "already active") {
			t.Fatalf("status %+v", h.LastStatus())
		}
	})
}

func TestActivateListsEveryProblem(t *testing.T) {
	e := demoEngine(t)
	ctx := context.Background()
	d, err := e.Sequence(ctx, admin, "Webinar follow-up")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Deactivate(ctx, admin, d.Name); err != nil {
		t.Fatal(err)
	}
	// Break it twice: a missing email template and a wait at the end.
	def := d.Def
	for i := range def.Steps {
		if def.Steps[i].Template != "" {
			def.Steps[i].Template = "no-such-template"
		}
	}
	def.Steps = append(def.Steps, def.Steps[0])
	def.Steps[len(def.Steps)-1].ID = ""
	if _, err := e.SaveSequence(ctx, admin, d.ID, def, engine.SaveOptions{}); err != nil {
		t.Fatal(err)
	}
	probs, err := e.Validate(ctx, admin, def, d.Name)
	if err != nil || len(probs) < 2 {
		t.Fatalf("want several problems, got %v %v", probs, err)
	}
	synctest.Test(t, func(t *testing.T) {
		h := screenFor(t, e, admin)
		h.selectName("Webinar follow-up")
		h.Press("A", "y")
		v := h.View()
		for _, p := range probs {
			if !strings.Contains(v, p.Path) || !strings.Contains(v, "step "+p.StepID) || !strings.Contains(v, "["+p.Code+"]") {
				t.Errorf("panel lacks %+v:\n%s", p, v)
			}
		}
	})
}

func TestDeactivate(t *testing.T) {
	e := demoEngine(t)
	synctest.Test(t, func(t *testing.T) {
		h := screenFor(t, e, admin)
		h.selectName("Product demo request")
		// D asks first, as A and x do; n keeps it active.
		h.Press("D")
		if !h.S.CapturesInput() || !strings.Contains(h.View(), `Deactivate "Product demo request"?`) {
			t.Fatalf("D did not ask:\n%s", h.View())
		}
		h.Press("n")
		if r, _ := h.row("Product demo request"); r.State != "active" {
			t.Fatalf("n deactivated it: %+v", r)
		}
		h.Press("D", "y")
		if r, _ := h.row("Product demo request"); r.State != "inactive" {
			t.Fatalf("row = %+v; statuses %+v", r, h.Sent)
		}
		if !strings.Contains(h.LastStatus().Text, "Deactivated") || !strings.Contains(h.View(), "inactive") {
			t.Fatalf("status %+v", h.LastStatus())
		}
		h.Press("D")
		if st := h.LastStatus(); !st.Err || !strings.Contains(st.Text, "not active") {
			t.Fatalf("status %+v", st)
		}
		// Activating it again without a change keeps its version and says so.
		h.Press("A")
		if v := h.View(); !strings.Contains(v, "otherwise version 1 is active again") {
			t.Fatalf("activate question:\n%s", v)
		}
		h.Press("y")
		r, _ := h.row("Product demo request")
		if st := h.LastStatus(); r.State != "active" || r.Version != 1 || !strings.Contains(st.Text, "unchanged since version 1") || strings.Contains(st.Text, "published") {
			t.Fatalf("reactivated: row %+v status %+v", r, st)
		}
	})
}

func TestCopy(t *testing.T) {
	e := demoEngine(t)
	synctest.Test(t, func(t *testing.T) {
		h := screenFor(t, e, admin)
		h.selectName("Product demo request")
		h.Press("c")
		if v := h.View(); !strings.Contains(v, `Copy "Product demo request" as a new draft named:`) || !strings.Contains(v, "Copy of Product demo request") {
			t.Fatalf("prompt:\n%s", v)
		}
		h.Press("enter")
		r, ok := h.row("Copy of Product demo request")
		if !ok || r.State != "draft" || r.Entity != "opportunity" {
			t.Fatalf("copy = %+v %v; statuses %+v", r, ok, h.Sent)
		}
		if h.cursorName() != "Copy of Product demo request" {
			t.Fatalf("cursor on %q", h.cursorName())
		}
		// Copying again proposes a free name; it can be typed over.
		h.selectName("Product demo request")
		h.Press("c")
		if v := h.View(); !strings.Contains(v, "Copy of Product demo request (2)") {
			t.Fatalf("prompt:\n%s", v)
		}
		h.Press("ctrl+u")
		h.Type("Demo v2")
		h.Press("enter")
		if _, ok := h.row("Demo v2"); !ok {
			t.Fatalf("no Demo v2: %v", h.names())
		}
		// esc cancels.
		h.Press("c", "esc")
		if len(h.names()) != 8 {
			t.Fatalf("names %v", h.names())
		}
	})
}

func TestDelete(t *testing.T) {
	e := demoEngine(t)
	synctest.Test(t, func(t *testing.T) {
		h := screenFor(t, e, admin)
		h.selectName("Missed meeting follow-up")
		r, _ := h.row("Missed meeting follow-up")
		h.Press("x")
		v := h.View()
		for _, want := range []string{`Delete "Missed meeting follow-up"?`, "An active sequence is deactivated", "connected records are disconnected", "This one is active with", "can't be undone"} {
			if !strings.Contains(v, want) {
				t.Fatalf("confirmation lacks %q:\n%s", want, v)
			}
		}
		if r.Connected == 0 {
			t.Fatal("the sample sequence should have connected records")
		}
		h.Press("esc")
		if _, ok := h.row("Missed meeting follow-up"); !ok {
			t.Fatal("esc should keep it")
		}
		h.Press("x", "y")
		if _, ok := h.row("Missed meeting follow-up"); ok {
			t.Fatalf("still there; statuses %+v", h.Sent)
		}
		if len(h.names()) != 5 || !strings.Contains(h.LastStatus().Text, "Deleted") {
			t.Fatalf("names %v status %+v", h.names(), h.LastStatus())
		}
		// The cursor stays at the same place in the list.
		if h.cursorName() != "Product demo request" {
			t.Fatalf("cursor on %q", h.cursorName())
		}
	})
}

func TestTags(t *testing.T) {
	e := demoEngine(t)
	synctest.Test(t, func(t *testing.T) {
		h := screenFor(t, e, admin)
		h.selectName("Webinar follow-up")
		h.Press("t")
		if v := h.View(); !strings.Contains(v, `Tags of "Webinar follow-up" (comma-separated):`) || !strings.Contains(v, "webinar, nurture") {
			t.Fatalf("prompt:\n%s", v)
		}
		h.Press("ctrl+u")
		h.Type("alpha, beta ,alpha,, gamma")
		h.Press("enter")
		r, _ := h.row("Webinar follow-up")
		if !slices.Equal(r.Tags, []string{"alpha", "beta", "gamma"}) {
			t.Fatalf("tags = %v; statuses %+v", r.Tags, h.Sent)
		}
		if !strings.Contains(h.View(), "alpha, be…") {
			t.Fatalf("view:\n%s", h.View())
		}
		if !strings.Contains(h.LastStatus().Text, "alpha, beta, gamma") {
			t.Fatalf("status %+v", h.LastStatus())
		}
	})
}

func TestPrefsRememberedPerUser(t *testing.T) {
	e := demoEngine(t)
	synctest.Test(t, func(t *testing.T) {
		h := screenFor(t, e, admin)
		h.selectColumn("Owner")
		h.Press("<", "<")
		h.selectColumn("Steps")
		h.Press("s", "s")
		h.selectColumn("Record type")
		h.Press("f", "space", "enter") // account
		want := h.m().grid.State()
		if want.Sort != "steps" || !want.Desc || want.Columns[2] != "owner" || !slices.Equal(want.Filters["entity"], []string{"account"}) {
			t.Fatalf("state = %+v", want)
		}
		// A new screen for the same user comes back as it was left.
		again := screenFor(t, e, admin)
		if got := again.m().grid.State(); !equalState(got, want) {
			t.Fatalf("remembered %+v, want %+v", got, want)
		}
		if got := again.names(); !slices.Equal(got, h.names()) {
			t.Fatalf("rows %v, want %v", got, h.names())
		}
		// Another user has their own.
		other := screenFor(t, e, manager)
		if got := other.m().grid.State(); got.Sort != "name" || got.Desc || len(got.Filters) != 0 || got.Columns[2] != "entity" {
			t.Fatalf("manager state = %+v", got)
		}
		// Clearing filters is remembered too.
		h.Press("F")
		if got := screenFor(t, e, admin).m().grid.State(); len(got.Filters) != 0 || got.Sort != "steps" {
			t.Fatalf("after F: %+v", got)
		}
	})
}

func equalState(a, b grid.State) bool {
	if !slices.Equal(a.Columns, b.Columns) || a.Sort != b.Sort || a.Desc != b.Desc || len(a.Filters) != len(b.Filters) {
		return false
	}
	for k, v := range a.Filters {
		if !slices.Equal(v, b.Filters[k]) {
			return false
		}
	}
	return true
}

func TestSellerReadOnly(t *testing.T) {
	e := demoEngine(t)
	synctest.Test(t, func(t *testing.T) {
		h := screenFor(t, e, seller)
		if v := h.View(); !strings.Contains(lines(v)[0], "others' sequences are read-only") {
			t.Fatalf("title = %q", lines(v)[0])
		}
		h.selectName("Webinar follow-up")
		for _, k := range []string{"A", "D", "x", "t"} {
			n := len(h.Sent)
			h.Press(k)
			if h.S.CapturesInput() {
				t.Fatalf("%s opened a dialog for a seller on an org sequence", k)
			}
			if len(h.Sent) != n+1 {
				t.Fatalf("%s: no status", k)
			}
			st := h.LastStatus()
			if !st.Err || !strings.Contains(st.Text, "You can't") || !strings.Contains(st.Text, "belongs to admin") {
				t.Fatalf("%s: status %+v", k, st)
			}
		}
		if r, _ := h.row("Webinar follow-up"); r.State != "active" {
			t.Fatalf("row changed: %+v", r)
		}
		// Copying and creating are theirs to do.
		h.Press("c", "enter")
		r, ok := h.row("Copy of Webinar follow-up")
		if !ok || r.Owner != seller {
			t.Fatalf("copy = %+v %v; statuses %+v", r, ok, h.Sent)
		}
		h.Press("n", "enter")
		h.Type("Sam's own")
		h.Press("enter", "enter", "enter")
		if r, ok := h.row("Sam's own"); !ok || r.Owner != seller {
			t.Fatalf("new = %+v %v; statuses %+v", r, ok, h.Sent)
		}
		// And they manage their own.
		h.selectName("Sam's own")
		h.Press("t")
		h.Type("mine")
		h.Press("enter")
		if r, _ := h.row("Sam's own"); !slices.Equal(r.Tags, []string{"mine"}) {
			t.Fatalf("tags %v; statuses %+v", r.Tags, h.Sent)
		}
		h.Press("x", "y")
		if _, ok := h.row("Sam's own"); ok {
			t.Fatalf("own sequence not deleted; statuses %+v", h.Sent)
		}
	})
}

func TestLiveReloadKeepsTheCursor(t *testing.T) {
	e := demoEngine(t)
	ctx := context.Background()
	synctest.Test(t, func(t *testing.T) {
		h := screenFor(t, e, admin)
		h.selectName("Product demo request")
		id, _ := h.m().grid.SelectedID()
		// Someone else adds sequences that sort before it and changes another one.
		for _, n := range []string{"Aardvark", "Apple", "Lemon"} {
			if _, err := e.NewSequence(ctx, manager, n, "", ""); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := e.Deactivate(ctx, manager, "Webinar follow-up"); err != nil {
			t.Fatal(err)
		}
		h.Send(changed())
		if len(h.names()) != 9 {
			t.Fatalf("names %v", h.names())
		}
		if got, _ := h.m().grid.SelectedID(); got != id || h.cursorName() != "Product demo request" {
			t.Fatalf("cursor moved to %q", h.cursorName())
		}
		if r, _ := h.row("Webinar follow-up"); r.State != "inactive" {
			t.Fatalf("not reloaded: %+v", r)
		}
		// The sequence under the cursor is deleted elsewhere: the cursor stays in place.
		if err := e.DeleteSequence(ctx, manager, "Product demo request"); err != nil {
			t.Fatal(err)
		}
		h.Send(changed())
		if h.cursorName() == "" || len(h.names()) != 8 {
			t.Fatalf("cursor on %q among %v", h.cursorName(), h.names())
		}
	})
}

func TestMouse(t *testing.T) {
	e := demoEngine(t)
	synctest.Test(t, func(t *testing.T) {
		h := screenFor(t, e, admin)
		// Screen line 0 is the title, 1 the header, rows from 2.
		h.Send(tea.MouseClickMsg{Button: tea.MouseLeft, X: 3, Y: 4})
		if h.cursorName() != demoNames[2] {
			t.Fatalf("click selected %q", h.cursorName())
		}
		h.Send(tea.MouseClickMsg{Button: tea.MouseLeft, X: 3, Y: 1})
		if h.m().grid.SelectedColumn().Key != "name" {
			t.Fatal("header click")
		}
		h.Send(tea.MouseWheelMsg{Button: tea.MouseWheelDown})
		if h.m().grid.Offset() != 0 {
			t.Fatal("six rows fit: nothing to scroll")
		}
	})
}

// TestStylesChangedRestylesTheGrid: after the root rebuilds the shared styles (here with
// colour off), the grid draws its cursor row with the new ones: reverse video.
func TestStylesChangedRestylesTheGrid(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := screenFor(t, demoEngine(t), admin)
		if strings.Contains(h.S.View(), "7m") {
			t.Fatal("reverse video before colour was turned off")
		}
		*h.m().c.Styles = *common.NewStyles(common.DefaultTheme(true), true)
		h.Send(common.StylesChangedMsg{})
		if !strings.Contains(h.S.View(), "7m") {
			t.Fatalf("the cursor row is not in reverse video:\n%q", h.S.View())
		}
	})
}

// The Modified column is in the user's zone, named in its header, like the header's clock
// (it was in UTC while the clock was local).
func TestModifiedInTheUsersZone(t *testing.T) {
	e := demoEngine(t)
	synctest.Test(t, func(t *testing.T) {
		h := screenFor(t, e, "dana.whitfield") // America/Chicago
		rows, err := e.SequenceRows(context.Background(), "dana.whitfield")
		if err != nil || len(rows) == 0 {
			t.Fatalf("rows %v %v", rows, err)
		}
		chicago, _ := time.LoadLocation("America/Chicago")
		v := h.View()
		if !strings.Contains(v, "times in CST") {
			t.Fatalf("the Modified header does not name the zone:\n%s", v)
		}
		local := rows[0].ModifiedAt.In(chicago).Format("2006-01-02 15:04")
		utc := rows[0].ModifiedAt.UTC().Format("2006-01-02 15:04")
		if local == utc || !strings.Contains(v, local) {
			t.Fatalf("Modified %q (local) not shown (UTC %q):\n%s", local, utc, v)
		}
	})
}

// A double click on a row opens its sequence; a click on a header sorts by it.
func TestMouseOpensAndSorts(t *testing.T) {
	e := demoEngine(t)
	synctest.Test(t, func(t *testing.T) {
		h := screenFor(t, e, admin)
		click := func(x, y int) { h.Send(tea.MouseClickMsg{X: x, Y: y, Button: tea.MouseLeft}) }
		click(2, 4) // the third row: Product demo request
		if len(h.opened()) != 0 {
			t.Fatalf("a single click opened %v", h.opened())
		}
		click(2, 4)
		if !slices.Equal(h.opened(), []string{"Product demo request"}) {
			t.Fatalf("double click opened %v", h.opened())
		}
		head := strings.Split(h.View(), "\n")[1]
		click(strings.Index(head, "Steps"), 1)
		if !strings.Contains(h.View(), "sorted by Steps, ascending") {
			t.Fatalf("header click did not sort:\n%s", h.View())
		}
	})
}
