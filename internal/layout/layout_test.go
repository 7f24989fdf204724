// Package layout_test keeps DutyDesk's import arrows pointing down the layout table (README,
// "Layout"): the compiler refuses cycles, but only this test refuses an arrow that points the wrong
// way without closing one, such as models/store importing a domain package. It checks the production
// imports of every package of the module; test imports are free. A package the table does not name
// fails the test, so that adding one is a decision, not an accident.
package layout_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// module is the module path of go.mod; rules name packages relative to it.
const module = "dutydesk"

// A rule says which of the module's packages a package may import. Patterns are relative to the
// module; "x/..." covers x and every package below it, and "..." alone covers every package.
type rule struct {
	pkg    string   // the package (or pattern of packages) the rule is for
	may    []string // what it may import; empty: no package of the module
	mayNot []string // exceptions to may
	why    string   // the reason, quoted when the rule is broken
}

// rules is the layout table. The first rule whose pkg matches a package is its rule.
var rules = []rule{
	{pkg: "config", why: "settings are the bottom of the tree"},
	{pkg: "web", why: "embedded templates and assets only"},
	{pkg: "migrations", why: "embedded SQL only"},
	{pkg: "notify/...", may: []string{"config", "notify/..."},
		why: "notify renders and sends and knows nothing of the database"},
	{pkg: "models", may: []string{"config"},
		why: "models holds the words every domain shares, and nothing else"},
	{pkg: "models/store", may: []string{"models", "config", "notify", "migrations"},
		why: "the database sits below every domain; a domain builds on it, never the other way"},
	{pkg: "models/directory", may: []string{"models", "models/store", "config", "notify"},
		why: "the directory is the domain the others build on"},
	{pkg: "models/roster", may: []string{"models", "models/store", "models/directory", "config", "notify"},
		why: "a domain reaches the others only through interfaces it declares"},
	{pkg: "models/incident", may: []string{"models", "models/store", "models/directory", "config", "notify"},
		why: "a domain reaches the others only through interfaces it declares"},
	{pkg: "models/alert", may: []string{"models", "models/store", "models/directory", "config", "notify"},
		why: "a domain reaches the others only through interfaces it declares"},
	{pkg: "models/escalation", may: []string{"models", "models/store", "config", "notify"},
		why: "escalation reaches subjects and who is on duty only through its interfaces Directory, Duty, Subjects and Brief"},
	{pkg: "models/stats", may: []string{"models", "models/store", "models/directory", "models/roster",
		"models/incident", "models/alert", "models/escalation", "config", "notify"},
		why: "figures read the domain packages; models/app wires them, not the other way"},
	{pkg: "models/demo", may: []string{"models", "models/store", "models/directory", "models/roster",
		"models/incident", "models/alert", "models/escalation", "config", "notify"},
		why: "the demo city seeds through the domain packages; models/app wires them, not the other way"},
	{pkg: "models/app", may: []string{"models/...", "config", "notify"},
		why: "app wires the domain stores into one set"},
	{pkg: "scheduler", may: []string{"models/...", "notify/...", "config"},
		why: "cron jobs call the domain packages"},
	{pkg: "handlers/api", may: []string{"models/...", "notify/...", "config", "web"},
		why: "handlers bind, authorise, call the domain packages and render"},
	{pkg: "handlers/console", may: []string{"models/...", "notify/...", "config", "web", "handlers/api"},
		why: "handlers bind, authorise, call the domain packages and render"},
	{pkg: "handlers", may: []string{"handlers/api", "handlers/console", "models/...", "notify/...", "config", "web"},
		why: "the router mounts the API and the console"},
	{pkg: "cmd/...", may: []string{"..."}, why: "the binaries wire everything"},
	{pkg: "internal/...", may: []string{"..."}, mayNot: []string{"cmd/..."},
		why: "test helpers may build on any package but a binary"},
	{pkg: "faults", why: "the fault tests are test files only (they drive the built binary)"},
}

// guarded lists what nothing but cmd/... may import, whatever a package's rule allows; a rule
// lifts it only by naming the import itself (handlers mounts handlers/api and handlers/console).
var guarded = []string{"handlers", "handlers/...", "scheduler", "cmd/..."}

const guardedRule = "nothing but cmd/... may import handlers, handlers/..., scheduler or cmd/..."

// match reports whether the package path (relative to the module) matches the pattern.
func match(pattern, pkg string) bool {
	if pattern == "..." {
		return true
	}
	if base, ok := strings.CutSuffix(pattern, "/..."); ok {
		return pkg == base || strings.HasPrefix(pkg, base+"/")
	}
	return pkg == pattern
}

func matchAny(patterns []string, pkg string) bool {
	return slices.ContainsFunc(patterns, func(p string) bool { return match(p, pkg) })
}

// ruleFor returns the rule of a package (relative to the module), or false when the table has none.
func ruleFor(pkg string) (rule, bool) {
	for _, r := range rules {
		if match(r.pkg, pkg) {
			return r, true
		}
	}
	return rule{}, false
}

// violation returns why the package pkg may not import imp (both relative to the module), or "".
func violation(r rule, pkg, imp string) string {
	if matchAny(guarded, imp) && !match("cmd/...", pkg) && !slices.Contains(r.may, imp) {
		return fmt.Sprintf("%s/%s imports %s/%s, which breaks the rule %q", module, pkg, module, imp, guardedRule)
	}
	if matchAny(r.may, imp) && !matchAny(r.mayNot, imp) {
		return ""
	}
	allowed := "no package of the module"
	if len(r.may) > 0 {
		allowed = strings.Join(r.may, ", ")
		if len(r.mayNot) > 0 {
			allowed += " except " + strings.Join(r.mayNot, ", ")
		}
	}
	return fmt.Sprintf("%s/%s imports %s/%s, which breaks the rule of %s: it may import %s (%s)",
		module, pkg, module, imp, r.pkg, allowed, r.why)
}

// listedPackage is the part of `go list -json` this test reads.
type listedPackage struct {
	ImportPath     string
	Name           string
	Dir            string
	Imports        []string
	IgnoredGoFiles []string
	Error          *struct{ Err string }
}

// TestImportArrows checks every production import of every package of the module against rules.
func TestImportArrows(t *testing.T) {
	pkgs := listPackages(t)
	checked := 0
	for _, p := range pkgs {
		rel, ok := strings.CutPrefix(p.ImportPath, module+"/")
		if !ok {
			t.Errorf("%s: not below the module %s", p.ImportPath, module)
			continue
		}
		if p.Error != nil {
			t.Errorf("go list %s: %s", p.ImportPath, p.Error.Err)
		}
		r, ok := ruleFor(rel)
		if !ok {
			t.Errorf("%s is not in the layout table: add a rule for it to rules in internal/layout/layout_test.go, "+
				"naming the packages of the module it may import, and a line to README's Layout section", p.ImportPath)
			r = rule{pkg: rel, may: []string{"..."}} // until then, only the guarded packages are checked
		}
		for _, imp := range productionImports(t, p) {
			impRel, ok := strings.CutPrefix(imp, module+"/")
			if !ok {
				continue // standard library and other modules are not the table's business
			}
			checked++
			if msg := violation(r, rel, impRel); msg != "" {
				t.Error(msg)
			}
		}
	}
	t.Logf("%d packages, %d imports of the module's own packages checked", len(pkgs), checked)
}

// listPackages runs go list over the whole module from its root.
func listPackages(t *testing.T) []listedPackage {
	t.Helper()
	root := moduleRoot(t)
	cmd := exec.Command("go", "list", "-e", "-json=ImportPath,Name,Dir,Imports,IgnoredGoFiles,Error", module+"/...")
	cmd.Dir = root
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list in %s: %v\n%s", root, err, stderr.String())
	}
	var pkgs []listedPackage
	for dec := json.NewDecoder(bytes.NewReader(out)); dec.More(); {
		var p listedPackage
		if err := dec.Decode(&p); err != nil {
			t.Fatalf("go list output: %v", err)
		}
		pkgs = append(pkgs, p)
	}
	// Listing the wrong module would check nothing and pass.
	if !slices.ContainsFunc(pkgs, func(p listedPackage) bool { return p.ImportPath == module+"/internal/layout" }) {
		t.Fatalf("go list %s/... in %s did not list this package (%d packages)", module, root, len(pkgs))
	}
	return pkgs
}

// moduleRoot returns the directory of the go.mod that holds this package.
func moduleRoot(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		t.Fatalf("go env GOMOD: %v", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		t.Fatalf("go env GOMOD is %q: not inside the module", gomod)
	}
	return filepath.Dir(gomod)
}

// productionImports returns the imports of a package's non-test files: those go list built for this
// platform, and those of files that build constraints leave out here (a Windows-only file must not
// hide a wrong arrow), when they belong to the same package.
func productionImports(t *testing.T, p listedPackage) []string {
	t.Helper()
	imports := slices.Clone(p.Imports)
	fset := token.NewFileSet()
	for _, name := range p.IgnoredGoFiles {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, filepath.Join(p.Dir, name), nil, parser.ImportsOnly)
		if err != nil {
			t.Errorf("%s: %v", p.ImportPath, err)
			continue
		}
		if f.Name.Name != p.Name {
			continue // a `//go:build ignore` program kept beside the package
		}
		for _, spec := range f.Imports {
			imports = append(imports, strings.Trim(spec.Path.Value, "`\""))
		}
	}
	slices.Sort(imports)
	return slices.Compact(imports)
}

// TestRules proves the table refuses the arrows it is meant to refuse, so a rule that is too loose
// shows here rather than never.
func TestRules(t *testing.T) {
	tests := []struct {
		pkg, imp string
		ok       bool
	}{
		{"models/store", "models", true},
		{"models/store", "migrations", true},
		{"models/store", "models/directory", false},
		{"models/store", "models/app", false},
		{"models", "models/store", false},
		{"models/directory", "models/roster", false},
		{"models/roster", "models/directory", true},
		{"models/roster", "models/incident", false},
		{"models/escalation", "models/roster", false},
		{"models/stats", "models/incident", true},
		{"models/stats", "models/app", false},
		{"models/demo", "models/stats", false},
		{"models/app", "models/demo", true},
		{"notify/smtp", "notify", true},
		{"notify", "models", false},
		{"config", "models", false},
		{"web", "config", false},
		{"scheduler", "models/app", true},
		{"scheduler", "handlers", false},
		{"handlers", "handlers/api", true},
		{"handlers", "scheduler", false},
		{"handlers/console", "handlers/api", true},
		{"handlers/api", "handlers/console", false},
		{"handlers/api", "handlers", false},
		{"models/app", "handlers/api", false},
		{"internal/testenv", "models/app", true},
		{"internal/testenv", "handlers", false},
		{"internal/testenv", "scheduler", false},
		{"internal/testenv", "cmd/dutydesk", false},
		{"cmd/dutybench", "handlers", true},
		{"cmd/dutydesk", "scheduler", true},
		{"faults", "cmd/dutydesk", false},
	}
	for _, tt := range tests {
		t.Run(tt.pkg+"→"+tt.imp, func(t *testing.T) {
			r, found := ruleFor(tt.pkg)
			if !found {
				t.Fatalf("no rule for %s", tt.pkg)
			}
			msg := violation(r, tt.pkg, tt.imp)
			if tt.ok && msg != "" {
				t.Fatalf("refused: %s", msg)
			}
			if !tt.ok {
				if msg == "" {
					t.Fatal("allowed")
				}
				if !strings.Contains(msg, module+"/"+tt.pkg+" imports "+module+"/"+tt.imp+",") {
					t.Fatalf("message does not name the package and the import: %s", msg)
				}
			}
		})
	}
	for _, pkg := range []string{"models/foo", "handlers/api/v2", "bench", "util"} {
		if r, found := ruleFor(pkg); found {
			t.Errorf("%s has the rule of %s; a new package must be added to the table", pkg, r.pkg)
		}
	}
}
