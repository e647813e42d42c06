package grid

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
)

// testRows builds n rows with columns name (unique-ish), kind (few values), size (numbers)
// and tags (Multi).
func testRows(n int, seed uint64) *Rows {
	rng := rand.New(rand.NewPCG(seed, 1))
	kinds := []string{"alpha", "Beta", "gamma"}
	tagset := []string{"red", "green", "blue"}
	names := make([]string, n)
	kind := make([]string, n)
	size := make([]int, n)
	tags := make([][]string, n)
	r := &Rows{IDs: make([]string, n), Cells: make([][]string, 4), Parts: make([][][]string, 4), Search: [][]string{make([]string, n)}}
	for c := range r.Cells {
		r.Cells[c] = make([]string, n)
	}
	r.Parts[3] = make([][]string, n)
	for i := range n {
		names[i] = fmt.Sprintf("Row %d", rng.IntN(n))
		kind[i] = kinds[rng.IntN(len(kinds))]
		size[i] = rng.IntN(5)
		for _, t := range tagset {
			if rng.IntN(2) == 0 {
				tags[i] = append(tags[i], t)
			}
		}
		r.IDs[i] = fmt.Sprintf("id%05d", i)
		r.Cells[0][i], r.Cells[1][i], r.Cells[2][i] = names[i], kind[i], strconv.Itoa(size[i])
		r.Cells[3][i] = strings.Join(tags[i], ", ")
		r.Parts[3][i] = tags[i]
		r.Search[0][i] = strings.ToLower(names[i])
	}
	tie := func(a, b int) int {
		if c := strings.Compare(strings.ToLower(names[a]), strings.ToLower(names[b])); c != 0 {
			return c
		}
		return strings.Compare(r.IDs[a], r.IDs[b])
	}
	cmps := []func(a, b int) int{
		func(a, b int) int { return strings.Compare(strings.ToLower(names[a]), strings.ToLower(names[b])) },
		func(a, b int) int { return strings.Compare(kind[a], kind[b]) },
		func(a, b int) int { return cmp.Compare(size[a], size[b]) },
		func(a, b int) int { return slices.Compare(tags[a], tags[b]) },
	}
	for _, c := range cmps {
		asc, desc := Orders(n, c, tie)
		r.Orders = append(r.Orders, [2][]int32{asc, desc})
	}
	return r
}

func testGrid(r *Rows, w, h int) *Model {
	g := New([]Column{
		{Key: "name", Title: "Name", Width: 10},
		{Key: "kind", Title: "Kind", Width: 6, Flex: true},
		{Key: "size", Title: "Size", Width: 4, Right: true},
		{Key: "tags", Title: "Tags", Width: 16, Multi: true},
	}, Styles{})
	g.SetSize(w, h)
	g.SetRows(r)
	return g
}

func TestOrdersDescendingKeepsTieOrder(t *testing.T) {
	keys := []int{2, 1, 2, 1, 3}
	names := []string{"b", "d", "a", "c", "e"}
	asc, desc := Orders(len(keys),
		func(a, b int) int { return cmp.Compare(keys[a], keys[b]) },
		func(a, b int) int { return strings.Compare(names[a], names[b]) })
	if want := []int32{3, 1, 2, 0, 4}; !slices.Equal(asc, want) {
		t.Errorf("asc = %v, want %v", asc, want)
	}
	// Descending by key, but names still ascending among equal keys.
	if want := []int32{4, 2, 0, 3, 1}; !slices.Equal(desc, want) {
		t.Errorf("desc = %v, want %v", desc, want)
	}
}

// naive is the reference: filter, search and a full sort for every query.
func naive(r *Rows, sortCol int, desc bool, filters map[int][]string, needle string) []string {
	var keep []int32
	for i := range r.IDs {
		ok := needle == "" || strings.Contains(r.Search[0][i], needle)
		for c, vals := range filters {
			match := false
			cells := []string{r.Cells[c][i]}
			if c == 3 {
				cells = r.Parts[3][i]
			}
			for _, cell := range cells {
				for _, v := range vals {
					match = match || strings.EqualFold(cell, v)
				}
			}
			ok = ok && match
		}
		if ok {
			keep = append(keep, int32(i))
		}
	}
	pos := map[int32]int{}
	order := r.Orders[sortCol][0]
	if desc {
		order = r.Orders[sortCol][1]
	}
	for i, x := range order {
		pos[x] = i
	}
	slices.SortFunc(keep, func(a, b int32) int { return cmp.Compare(pos[a], pos[b]) })
	var ids []string
	for _, x := range keep {
		ids = append(ids, r.IDs[x])
	}
	return ids
}

func TestWalkMatchesReference(t *testing.T) {
	r := testRows(500, 7)
	g := testGrid(r, 80, 20)
	rng := rand.New(rand.NewPCG(3, 4))
	for range 200 {
		sortCol, desc := rng.IntN(4), rng.IntN(2) == 0
		filters := map[int][]string{}
		if rng.IntN(2) == 0 {
			filters[1] = []string{[]string{"ALPHA", "beta", "gamma"}[rng.IntN(3)]}
		}
		if rng.IntN(2) == 0 {
			filters[3] = []string{[]string{"Red", "green", "blue"}[rng.IntN(3)], "blue"}
		}
		needle := []string{"", "1", "row 4", "9"}[rng.IntN(4)]
		st := State{Sort: []string{"name", "kind", "size", "tags"}[sortCol], Desc: desc, Filters: map[string][]string{}}
		for c, v := range filters {
			st.Filters[[]string{"name", "kind", "size", "tags"}[c]] = v
		}
		g.SetState(st)
		g.SetSearch(needle)
		var got []string
		for _, x := range g.Visible() {
			got = append(got, r.IDs[x])
		}
		if want := naive(r, sortCol, desc, filters, needle); !slices.Equal(got, want) {
			t.Fatalf("sort %d desc %v filters %v search %q:\n got %v\nwant %v", sortCol, desc, filters, needle, got, want)
		}
	}
}

func TestSortKeepsCursorOnItsRow(t *testing.T) {
	g := testGrid(testRows(100, 1), 80, 12)
	g.MoveCursor(37)
	id, _ := g.SelectedID()
	g.SelectColumn(2)
	g.SortBySelected()
	if got, _ := g.SelectedID(); got != id {
		t.Fatalf("cursor moved from %s to %s", id, got)
	}
	if k, desc := g.Sort(); k != "size" || desc {
		t.Fatalf("sort = %s %v", k, desc)
	}
	g.SortBySelected()
	if _, desc := g.Sort(); !desc {
		t.Fatal("second s should reverse")
	}
	if got, _ := g.SelectedID(); got != id {
		t.Fatalf("cursor moved from %s to %s", id, got)
	}
}

func TestMoveColumnAndState(t *testing.T) {
	g := testGrid(testRows(10, 1), 80, 12)
	v := g.Version()
	g.SelectColumn(1)
	g.MoveColumn(1)
	if g.Version() == v {
		t.Fatal("moving a column should change the state")
	}
	st := g.State()
	if want := []string{"name", "size", "kind", "tags"}; !slices.Equal(st.Columns, want) {
		t.Fatalf("columns = %v, want %v", st.Columns, want)
	}
	if g.SelectedColumn().Key != "kind" {
		t.Fatalf("moved column should stay selected, got %s", g.SelectedColumn().Key)
	}
	g.MoveColumn(-5)
	if got := g.State().Columns; got[0] != "kind" {
		t.Fatalf("columns = %v", got)
	}
	h := testGrid(testRows(10, 1), 80, 12)
	h.SetState(State{Columns: []string{"tags", "bogus", "name"}, Sort: "size", Desc: true, Filters: map[string][]string{"kind": {"alpha"}}})
	got := h.State()
	if want := []string{"tags", "name", "kind", "size"}; !slices.Equal(got.Columns, want) {
		t.Fatalf("restored columns = %v, want %v", got.Columns, want)
	}
	if got.Sort != "size" || !got.Desc || !slices.Equal(got.Filters["kind"], []string{"alpha"}) {
		t.Fatalf("restored state = %+v", got)
	}
}

func TestViewRendersOnlyTheWindow(t *testing.T) {
	g := testGrid(testRows(10000, 2), 60, 15)
	out := ansi.Strip(g.View())
	lines := strings.Split(out, "\n")
	if len(lines) != 15 {
		t.Fatalf("view has %d lines, want 15:\n%s", len(lines), out)
	}
	if !strings.HasPrefix(lines[0], "Name ▲") {
		t.Errorf("header = %q", lines[0])
	}
	if !strings.HasPrefix(lines[14], "1–13 of 10,000") {
		t.Errorf("position = %q", lines[14])
	}
	for _, l := range lines {
		if w := ansi.StringWidth(l); w > 60 {
			t.Errorf("line wider than the grid (%d): %q", w, l)
		}
	}
	g.MoveCursor(100)
	lines = strings.Split(ansi.Strip(g.View()), "\n")
	if !strings.HasPrefix(lines[14], "89–101 of 10,000") {
		t.Errorf("position after moving = %q", lines[14])
	}
	g.SetFilter("kind", []string{"gamma"})
	lines = strings.Split(ansi.Strip(g.View()), "\n")
	if !strings.Contains(lines[14], "in all)") || !strings.Contains(lines[0], "Kind*") {
		t.Errorf("filtered view:\n%s", strings.Join(lines, "\n"))
	}
}

func TestNarrowGridScrollsToTheSelectedColumn(t *testing.T) {
	g := testGrid(testRows(5, 2), 24, 6)
	if l := strings.Split(ansi.Strip(g.View()), "\n")[0]; !strings.HasPrefix(l, "Name") {
		t.Fatalf("header = %q", l)
	}
	g.SelectColumn(3)
	lines := strings.Split(ansi.Strip(g.View()), "\n")
	if !strings.Contains(lines[0], "Tags") || strings.Contains(lines[0], "Name") {
		t.Fatalf("header = %q", lines[0])
	}
	if !strings.Contains(lines[5], "columns 3") {
		t.Fatalf("position = %q", lines[5])
	}
}

func TestEmptyAndMouse(t *testing.T) {
	g := testGrid(testRows(50, 3), 80, 10)
	g.SetSearch("no such row")
	out := ansi.Strip(g.View())
	if !strings.Contains(out, "Nothing to show.") || !strings.Contains(out, "0 of 50") {
		t.Fatalf("empty view:\n%s", out)
	}
	g.SetSearch("")
	// Row 3 of the window is at y = 3 (the header is y = 0).
	if !g.HandleMouse(tea.MouseClickMsg{Button: tea.MouseLeft, X: 2, Y: 3}, 2, 3) || g.Cursor() != 2 {
		t.Fatalf("click: cursor = %d", g.Cursor())
	}
	g.HandleMouse(tea.MouseWheelMsg{Button: tea.MouseWheelDown}, 0, 5)
	if g.Offset() != 3 || g.Cursor() != 3 {
		t.Fatalf("wheel: offset %d cursor %d", g.Offset(), g.Cursor())
	}
	g.HandleMouse(tea.MouseClickMsg{Button: tea.MouseLeft, X: 12, Y: 0}, 12, 0)
	if g.SelectedColumn().Key != "kind" {
		t.Fatalf("header click selected %s", g.SelectedColumn().Key)
	}
	if g.HandleMouse(tea.MouseClickMsg{Button: tea.MouseLeft, X: 1, Y: 40}, 1, 40) {
		t.Fatal("a click below the rows should do nothing")
	}
}

func TestKeys(t *testing.T) {
	g := testGrid(testRows(100, 3), 80, 12)
	press := func(s string) {
		var k tea.KeyPressMsg
		switch s {
		case "down":
			k = tea.KeyPressMsg{Code: tea.KeyDown}
		case "end":
			k = tea.KeyPressMsg{Code: tea.KeyEnd}
		default:
			k = tea.KeyPressMsg{Code: rune(s[0]), Text: s}
		}
		if !g.HandleKey(k) {
			t.Fatalf("key %q not handled", s)
		}
	}
	press("j")
	press("down")
	if g.Cursor() != 2 {
		t.Fatalf("cursor = %d", g.Cursor())
	}
	press("end")
	if g.Cursor() != 99 {
		t.Fatalf("cursor = %d", g.Cursor())
	}
	press("g")
	press("l")
	press("s")
	press(">")
	if k, _ := g.Sort(); k != "kind" || g.State().Columns[2] != "kind" {
		t.Fatalf("state = %+v", g.State())
	}
	if g.HandleKey(tea.KeyPressMsg{Code: 'z', Text: "z"}) {
		t.Fatal("z is not a grid key")
	}
}

func TestCleanAndThousands(t *testing.T) {
	if got := Clean("a\nb\tc\x1b[31md"); got != "a b c[31md" {
		t.Errorf("Clean = %q", got)
	}
	for n, want := range map[int]string{0: "0", 999: "999", 1000: "1,000", 10000: "10,000", 1234567: "1,234,567", -1234: "-1,234"} {
		if got := Thousands(n); got != want {
			t.Errorf("Thousands(%d) = %q, want %q", n, got, want)
		}
	}
	if got := fit("héllo wörld", 6, false); got != "héllo…" {
		t.Errorf("fit = %q", got)
	}
	if got := fit("42", 5, true); got != "   42" {
		t.Errorf("fit right = %q", got)
	}
}

// A sorted column keeps its whole title: the sort arrow has its own room (it used to cut
// the title: "St… ▼").
func TestSortArrowKeepsTheTitle(t *testing.T) {
	g := testGrid(testRows(5, 1), 80, 6)
	// Size, sorted, then reversed.
	for _, k := range []tea.KeyPressMsg{{Code: tea.KeyRight}, {Code: tea.KeyRight}, {Code: 's', Text: "s"}, {Code: 's', Text: "s"}} {
		g.HandleKey(k)
	}
	head := ansi.Strip(strings.Split(g.View(), "\n")[0])
	if !strings.Contains(head, "Size ▼") {
		t.Fatalf("header %q lacks the whole sorted title", head)
	}
}

// A click on a header sorts by that column (again: reverse); a second click on the row a
// click selected opens it (Opened), a single click does not.
func TestMouseSortsAndOpens(t *testing.T) {
	g := testGrid(testRows(20, 3), 80, 10)
	click := func(x, y int) { g.HandleMouse(tea.MouseClickMsg{X: x, Y: y, Button: tea.MouseLeft}, x, y) }
	click(12, 0) // the Kind header
	if k, desc := g.Sort(); k != "kind" || desc {
		t.Fatalf("header click: sort %q desc %v", k, desc)
	}
	click(12, 0)
	if k, desc := g.Sort(); k != "kind" || !desc {
		t.Fatalf("second header click: sort %q desc %v", k, desc)
	}
	click(1, 3)
	if g.Opened() {
		t.Fatal("a single click opened the row")
	}
	click(1, 3)
	if !g.Opened() {
		t.Fatal("a double click did not open the row")
	}
	if g.Opened() {
		t.Fatal("Opened reported twice")
	}
	click(1, 3)
	click(1, 4)
	if g.Opened() {
		t.Fatal("clicks on two rows opened one")
	}
}

// A remote grid shows the rows as given, whatever its sort and filters, and still keeps,
// draws and remembers them.
func TestRemoteShowsRowsAsGiven(t *testing.T) {
	r := testRows(20, 7)
	g := testGrid(r, 80, 30)
	g.SetRemote(true)
	g.SetFilter("kind", []string{"alpha"})
	g.SelectColumn(2)
	g.SortBySelected()
	g.SortBySelected()
	vis := g.Visible()
	if len(vis) != 20 {
		t.Fatalf("remote grid shows %d of 20 rows", len(vis))
	}
	for i, row := range vis {
		if int(row) != i {
			t.Fatalf("remote grid reorders: %v", vis)
		}
	}
	st := g.State()
	if st.Sort != "size" || !st.Desc || len(st.Filters["kind"]) != 1 {
		t.Errorf("remote grid state %+v", st)
	}
	head := ansi.Strip(strings.SplitN(g.View(), "\n", 2)[0])
	if !strings.Contains(head, "Kind*") || !strings.Contains(head, "Size ▼") {
		t.Errorf("header lacks the marks of the filter and the sort: %q", head)
	}
	g.Position = "page 2"
	if v := ansi.Strip(g.View()); !strings.Contains(v, "page 2") || strings.Contains(v, "of 20") {
		t.Errorf("position line is not the owner's:\n%s", v)
	}
}

// Hidden columns leave the header, come back last, survive State and SetState, and the last
// shown column can't be hidden.
func TestHiddenColumns(t *testing.T) {
	g := testGrid(testRows(5, 3), 80, 10)
	g.SetShown([]string{"name", "tags"})
	if head := ansi.Strip(strings.SplitN(g.View(), "\n", 2)[0]); strings.Contains(head, "Kind") || !strings.Contains(head, "Tags") {
		t.Fatalf("header after hiding kind and size: %q", head)
	}
	st := g.State()
	if fmt.Sprint(st.Columns) != "[name tags]" || fmt.Sprint(st.Hidden) != "[kind size]" {
		t.Fatalf("state %+v", st)
	}
	g.SetShown([]string{"name", "tags", "size"})
	if got := fmt.Sprint(g.State().Columns); got != "[name tags size]" {
		t.Errorf("a column shown again goes last: %s", got)
	}
	h := testGrid(testRows(5, 3), 80, 10)
	h.SetState(st)
	if h.Shown("kind") || !h.Shown("tags") || len(h.Columns()) != 2 {
		t.Errorf("SetState did not hide: %+v", h.State())
	}
	h.SetShown(nil)
	if len(h.Columns()) != 2 {
		t.Error("SetShown of nothing hid every column")
	}
	h.SetState(State{Hidden: []string{"name", "kind", "size", "tags"}})
	if len(h.Columns()) != 1 {
		t.Errorf("every column hidden by a state: %d shown", len(h.Columns()))
	}
}
