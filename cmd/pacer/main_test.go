package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pacer-sales/pacer/engine/sequence"
	"github.com/pacer-sales/pacer/store/bolt"
	"github.com/pacer-sales/pacer/store/postgres/pgtest"
)

// TestMain lets the test binary stand in for the pacer binary in child processes:
// PACER_TEST_AS_PACER=1 runs the command line, PACER_TEST_HOLD=PATH opens a database and
// holds it until standard input closes.
func TestMain(m *testing.M) {
	if os.Getenv("PACER_TEST_AS_PACER") == "1" {
		os.Exit(run(context.Background(), os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
	}
	if path := os.Getenv("PACER_TEST_HOLD"); path != "" {
		db, err := bolt.Open(path, bolt.Options{})
		if err != nil {
			fmt.Println("error:", err)
			os.Exit(1)
		}
		fmt.Println("ready")
		_, _ = io.Copy(io.Discard, os.Stdin)
		db.Close()
		os.Exit(0)
	}
	pgtest.Main(m)
}

type result struct {
	code           int
	stdout, stderr string
}

// pacer runs the command line in-process on the given database.
func pacer(t *testing.T, db string, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), append([]string{"--db", db}, args...), strings.NewReader(""), &out, &errb)
	return result{code, out.String(), errb.String()}
}

func ok(t *testing.T, r result) result {
	t.Helper()
	if r.code != 0 {
		t.Fatalf("exit %d\nstdout: %s\nstderr: %s", r.code, r.stdout, r.stderr)
	}
	return r
}

// recordShow is the part of `pacer record show --json` the tests read.
type recordShow struct {
	Email       string `json:"email"`
	Connections []struct {
		Sequence    string `json:"sequence"`
		Version     int    `json:"version"`
		State       string `json:"state"`
		CurrentStep string `json:"current_step"`
		History     []struct {
			Type    string `json:"type"`
			StepID  string `json:"step_id"`
			Outcome string `json:"outcome"`
			Note    string `json:"note"`
			Branch  string `json:"branch"`
			By      string `json:"by"`
		} `json:"history"`
	} `json:"connections"`
}

func demoDB(t *testing.T) string {
	t.Helper()
	db := filepath.Join(t.TempDir(), "pacer.db")
	ok(t, pacer(t, db, "demo"))
	return db
}

func TestDemoThenSeqList(t *testing.T) {
	db := demoDB(t)
	r := ok(t, pacer(t, db, "seq", "list"))
	for _, tm := range sequence.Templates() {
		if !strings.Contains(r.stdout, tm.Name) {
			t.Errorf("seq list lacks %q:\n%s", tm.Name, r.stdout)
		}
	}
	r = ok(t, pacer(t, db, "seq", "list", "--json"))
	var rows []map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &rows); err != nil {
		t.Fatal(err)
	}
	if len(rows) != len(sequence.Templates()) {
		t.Fatalf("%d rows", len(rows))
	}
	for _, k := range []string{"id", "name", "description", "entity", "state", "version", "owner", "tags", "steps", "connected", "modified_at"} {
		if _, has := rows[0][k]; !has {
			t.Errorf("seq list --json lacks %q", k)
		}
	}
	if rows[0]["state"] != "active" || rows[0]["version"] != 1.0 {
		t.Errorf("demo sequence = %v", rows[0])
	}
}

func TestSeqListQueryFlags(t *testing.T) {
	db := demoDB(t)
	list := func(args ...string) []string {
		r := ok(t, pacer(t, db, append([]string{"seq", "list", "--json"}, args...)...))
		var rows []struct {
			Name   string `json:"name"`
			Entity string `json:"entity"`
			Steps  int    `json:"steps"`
		}
		if err := json.Unmarshal([]byte(r.stdout), &rows); err != nil {
			t.Fatal(err)
		}
		var names []string
		for i, row := range rows {
			if i > 0 && strings.Contains(strings.Join(args, " "), "steps:desc") && row.Steps > rows[i-1].Steps {
				t.Errorf("not sorted by steps descending: %v", rows)
			}
			names = append(names, row.Name+"|"+row.Entity)
		}
		return names
	}
	all := list("--sort", "steps:desc")
	if len(all) != 6 {
		t.Fatalf("rows = %v", all)
	}
	for _, n := range list("--filter", "entity=lead", "--filter", "entity=contact") {
		if !strings.HasSuffix(n, "|lead") && !strings.HasSuffix(n, "|contact") {
			t.Errorf("filter let %s through", n)
		}
	}
	if got := list("--search", "no such words anywhere"); len(got) != 0 {
		t.Errorf("search found %v", got)
	}
	if got := list("--search", "admin"); len(got) != 0 {
		t.Errorf("search matched the owner column: %v", got)
	}
	r := pacer(t, db, "seq", "list", "--sort", "colour")
	if r.code != 1 || !strings.Contains(r.stderr, `unknown column`) {
		t.Errorf("bad --sort: %+v", r)
	}
	r = pacer(t, db, "seq", "list", "--filter", "nothing")
	if r.code != 1 {
		t.Errorf("bad --filter: %+v", r)
	}
}

func TestExportImportRoundTrip(t *testing.T) {
	db := demoDB(t)
	dir := t.TempDir()
	for _, tm := range sequence.Templates() {
		file := filepath.Join(dir, tm.Key+".yaml")
		ok(t, pacer(t, db, "seq", "export", tm.Name, "-o", file))
		before, _ := os.ReadFile(file)
		r := ok(t, pacer(t, db, "seq", "import", file))
		if !strings.Contains(r.stdout, "version 1") {
			t.Errorf("re-importing an unchanged export published a new version: %s", r.stdout)
		}
		again := ok(t, pacer(t, db, "seq", "export", tm.Name))
		if again.stdout != string(before) {
			t.Errorf("%s: export after import differs:\n%s\n---\n%s", tm.Key, before, again.stdout)
		}
	}
}

func TestSeqImportEditMakesNewVersion(t *testing.T) {
	db := demoDB(t)
	name := sequence.Templates()[0].Name
	r := ok(t, pacer(t, db, "seq", "export", name))
	def, err := sequence.Parse([]byte(r.stdout), "export")
	if err != nil {
		t.Fatal(err)
	}
	def.Description = "Edited. " + def.Description
	file := filepath.Join(t.TempDir(), "edited.yaml")
	os.WriteFile(file, sequence.Marshal(def), 0o644)
	r = ok(t, pacer(t, db, "seq", "import", file, "--note", "new wording"))
	if !strings.Contains(r.stdout, "active, version 2") {
		t.Fatalf("import of an edit: %s", r.stdout)
	}
	r = ok(t, pacer(t, db, "seq", "show", name))
	if !strings.Contains(r.stdout, "v2") || !strings.Contains(r.stdout, "new wording") {
		t.Errorf("seq show lacks version 2:\n%s", r.stdout)
	}
}

func TestSeqValidate(t *testing.T) {
	db := demoDB(t)
	dir := t.TempDir()
	good := filepath.Join(dir, "good.yaml")
	os.WriteFile(good, []byte("name: Good\nsteps:\n  - type: call\n"), 0o644)
	r := ok(t, pacer(t, db, "seq", "validate", good))
	if !strings.Contains(r.stdout, "no problems") {
		t.Errorf("stdout = %s", r.stdout)
	}
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("name: Bad\nsteps:\n  - type: call\n  - type: wait\n    duration: 3d\n  - type: auto_email\n    template: nope\n  - type: wait\n    duration: 1d\n"), 0o644)
	r = pacer(t, db, "seq", "validate", bad)
	if r.code != 1 || !strings.Contains(r.stdout, "[template_missing]") || !strings.Contains(r.stdout, "[wait_last]") || !strings.Contains(r.stdout, "steps[3]") {
		t.Errorf("validate bad: %+v", r)
	}
	r = pacer(t, db, "seq", "validate", "--json", bad)
	var v struct {
		Problems []sequence.Problem `json:"problems"`
		Warnings []json.RawMessage  `json:"warnings"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &v); err != nil || len(v.Problems) != 2 || v.Warnings == nil || r.code != 1 {
		t.Errorf("validate --json: %v %+v", err, r)
	}
	broken := filepath.Join(dir, "broken.yaml")
	os.WriteFile(broken, []byte("name: Broken\nsteps:\n  - type: wait\n    duraton: 3d\n"), 0o644)
	r = pacer(t, db, "seq", "validate", broken)
	if r.code != 1 || !strings.Contains(r.stderr, broken+":4:") {
		t.Errorf("parse error should name file and line 4: %+v", r)
	}
}

func TestRecordImportReportsEveryBadRow(t *testing.T) {
	db := demoDB(t)
	file := filepath.Join(t.TempDir(), "leads.csv")
	os.WriteFile(file, []byte("id,name,owner\nN-1,New lead,admin\nN-2,,admin\nN-3,Who,ghost\n"), 0o644)
	r := pacer(t, db, "record", "import", file, "--entity", "lead")
	if r.code != 1 || !strings.Contains(r.stderr, file+":3: name is empty") || !strings.Contains(r.stderr, file+`:4: owner "ghost"`) {
		t.Fatalf("import: %+v", r)
	}
	if r := pacer(t, db, "record", "show", "lead/N-1"); r.code != 1 {
		t.Fatalf("a row of a refused file was imported: %+v", r)
	}
	os.WriteFile(file, []byte("id,name,owner,score\nN-1,New lead,admin,42\n"), 0o644)
	ok(t, pacer(t, db, "record", "import", file, "--entity", "lead"))
	r = ok(t, pacer(t, db, "record", "show", "lead/N-1", "--json"))
	var rec struct {
		Entity, ID, Name, Owner string
		Fields                  map[string]any
		Connections             []any
	}
	if err := json.Unmarshal([]byte(r.stdout), &rec); err != nil {
		t.Fatal(err)
	}
	if rec.Entity != "lead" || rec.ID != "N-1" || rec.Owner != "admin" || rec.Fields["score"] != 42.0 || rec.Connections == nil {
		t.Errorf("record show --json = %s", r.stdout)
	}
}

func TestBootstrapAndRoles(t *testing.T) {
	db := filepath.Join(t.TempDir(), "pacer.db")
	r := pacer(t, db, "user", "add", "sam", "--role", "seller")
	if r.code != 1 || !strings.Contains(r.stderr, "admin") {
		t.Fatalf("first user as seller: %+v", r)
	}
	ok(t, pacer(t, db, "user", "add", "ada", "--role", "admin", "--email", "ada@example.com"))
	ok(t, pacer(t, db, "user", "add", "sam", "--role", "seller", "--name", "Sam Lee"))
	r = pacer(t, db, "--as", "sam", "user", "add", "eve", "--role", "admin")
	if r.code != 1 || !strings.Contains(r.stderr, "not allowed") {
		t.Fatalf("seller adding a user: %+v", r)
	}
	r = ok(t, pacer(t, db, "user", "list", "--json"))
	var users []struct {
		Username string   `json:"username"`
		Roles    []string `json:"roles"`
	}
	json.Unmarshal([]byte(r.stdout), &users)
	if len(users) != 2 || users[0].Username != "ada" || users[1].Roles[0] != "seller" {
		t.Fatalf("users = %+v", users)
	}
	ok(t, pacer(t, db, "team", "add", "west", "--type", "owner", "--member", "sam:sales rep"))
	r = ok(t, pacer(t, db, "team", "list", "--json"))
	if !strings.Contains(r.stdout, `"role": "sales rep"`) {
		t.Errorf("team list = %s", r.stdout)
	}
	r = pacer(t, db, "--as", "sam", "settings", "active_limit", "5")
	if r.code != 1 {
		t.Errorf("seller changed settings: %+v", r)
	}
	r = ok(t, pacer(t, db, "--as", "sam", "settings", "active_limit"))
	if !strings.Contains(r.stdout, "250") {
		t.Errorf("settings = %s", r.stdout)
	}
}

func TestSeqLifecycleCommands(t *testing.T) {
	db := demoDB(t)
	ok(t, pacer(t, db, "seq", "new", "Spring outreach", "--template", "outbound-prospecting"))
	r := ok(t, pacer(t, db, "seq", "activate", "Spring outreach"))
	if !strings.Contains(r.stdout, "active (version 1)") {
		t.Errorf("activate: %s", r.stdout)
	}
	ok(t, pacer(t, db, "seq", "clone", "Spring outreach", "Autumn outreach"))
	ok(t, pacer(t, db, "seq", "deactivate", "Spring outreach"))
	ok(t, pacer(t, db, "seq", "tags", "Autumn outreach", "q3", "outbound"))
	r = ok(t, pacer(t, db, "seq", "list", "--filter", "tags=q3", "--json"))
	if !strings.Contains(r.stdout, "Autumn outreach") || strings.Contains(r.stdout, "Spring outreach") {
		t.Errorf("tag filter: %s", r.stdout)
	}
	ok(t, pacer(t, db, "seq", "delete", "Spring outreach"))
	if r := pacer(t, db, "seq", "show", "Spring outreach"); r.code != 1 {
		t.Errorf("deleted sequence still shows: %+v", r)
	}
	ok(t, pacer(t, db, "seq", "new", "Blank", "--entity", "account"))
	r = pacer(t, db, "seq", "activate", "Blank")
	if r.code != 1 || !strings.Contains(r.stdout, "[no_steps]") {
		t.Errorf("activate blank: %+v", r)
	}
	r = ok(t, pacer(t, db, "seq", "templates", "--json"))
	var tms []map[string]any
	json.Unmarshal([]byte(r.stdout), &tms)
	if len(tms) != 6 || tms[0]["steps"] == 0.0 {
		t.Errorf("templates = %s", r.stdout)
	}
}

func TestBackup(t *testing.T) {
	db := demoDB(t)
	copyPath := filepath.Join(t.TempDir(), "copy.db")
	ok(t, pacer(t, db, "backup", copyPath))
	a := ok(t, pacer(t, db, "seq", "list"))
	b := ok(t, pacer(t, copyPath, "seq", "list"))
	if a.stdout != b.stdout {
		t.Errorf("backup differs:\n%s\n---\n%s", a.stdout, b.stdout)
	}
}

func TestRootWithoutTUISaysWhatToRun(t *testing.T) {
	db := filepath.Join(t.TempDir(), "pacer.db")
	r := ok(t, pacer(t, db))
	if !strings.Contains(r.stdout, "pacer demo") {
		t.Errorf("stdout = %s", r.stdout)
	}
}

func TestBadClockAndDatabase(t *testing.T) {
	db := filepath.Join(t.TempDir(), "pacer.db")
	r := pacer(t, db, "--now", "tuesday", "seq", "list")
	if r.code != 1 || !strings.Contains(r.stderr, "RFC 3339") {
		t.Errorf("bad --now: %+v", r)
	}
	junk := filepath.Join(t.TempDir(), "notes.txt")
	os.WriteFile(junk, bytes.Repeat([]byte("not a database\n"), 500), 0o644)
	r = pacer(t, junk, "seq", "list")
	if r.code != 2 || !strings.Contains(r.stderr, "not a pacer database") {
		t.Errorf("junk file: %+v", r)
	}
}

// TestHeldDatabase opens the database in one child process and runs pacer in another: the
// second must exit 2 within 3 s naming the holder's pid.
func TestHeldDatabase(t *testing.T) {
	db := filepath.Join(t.TempDir(), "pacer.db")
	holder := exec.Command(os.Args[0], "-test.run=^$")
	holder.Env = append(os.Environ(), "PACER_TEST_HOLD="+db)
	stdin, _ := holder.StdinPipe()
	stdout, _ := holder.StdoutPipe()
	if err := holder.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { stdin.Close(); holder.Wait() }()
	line, _ := bufio.NewReader(stdout).ReadString('\n')
	if strings.TrimSpace(line) != "ready" {
		t.Fatalf("holder: %q", line)
	}
	second := exec.Command(os.Args[0], "--db", db, "seq", "list")
	second.Env = append(os.Environ(), "PACER_TEST_AS_PACER=1")
	var errb bytes.Buffer
	second.Stderr = &errb
	start := time.Now()
	err := second.Run()
	took := time.Since(start)
	if second.ProcessState.ExitCode() != 2 {
		t.Fatalf("exit = %v, stderr: %s", err, errb.String())
	}
	if !strings.Contains(errb.String(), "pid "+strconv.Itoa(holder.Process.Pid)) || !strings.Contains(errb.String(), "already running") {
		t.Errorf("stderr does not name the holder (pid %d): %s", holder.Process.Pid, errb.String())
	}
	if took > 3*time.Second {
		t.Errorf("took %v to give up; the limit is 3 s", took)
	}
}
