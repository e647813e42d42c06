// Package layout_test holds the import rules of DESIGN.md's Layout to the code: cmd → ui,
// engine, store; ui → engine; engine → store; store → nothing above it; nothing imports cmd.
package layout_test

import (
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/pacer-sales/pacer/"

// allowed lists, for each top-level part, the parts of this module its packages (not their
// tests) may import.
var allowed = map[string][]string{
	"cmd":      {"ui", "engine", "store", "internal"},
	"ui":       {"ui", "engine"},
	"engine":   {"engine", "store"},
	"store":    {"store"},
	"internal": {"internal"},
}

func TestImportsPointOneWay(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}}{{range .Imports}} {{.}}{{end}}`, module+"...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	seen := 0
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		pkg := strings.TrimPrefix(fields[0], module)
		top, _, _ := strings.Cut(pkg, "/")
		ok, known := allowed[top]
		if !known {
			t.Errorf("package %s is outside the layout's top level (cmd, ui, engine, store, internal)", pkg)
			continue
		}
		seen++
		for _, imp := range fields[1:] {
			rel, ours := strings.CutPrefix(imp, module)
			if !ours {
				continue
			}
			impTop, _, _ := strings.Cut(rel, "/")
			if !contains(ok, impTop) {
				t.Errorf("%s imports %s: %s may import only %v", pkg, rel, top, ok)
			}
		}
	}
	if seen < 10 {
		t.Fatalf("go list found %d packages", seen)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
