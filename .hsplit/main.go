// Temporary refactoring tool (not committed): moves models' declarations into domain packages.
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"go/ast"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"unicode"
)

var (
	fileHome = map[string]string{} // file -> pkg
	declHome = map[string]string{} // decl key -> pkg
	declFile = map[string]string{} // decl key -> target file
	renames  = map[string]string{} // decl key -> new name
	storeField = map[string]string{"directory": "dir", "roster": "roster", "incident": "incidents", "alert": "alerts", "escalation": "esc"}
)

func exported(n string) string {
	r := []rune(n)
	r[0] = unicode.ToUpper(r[0])
	return string(r)
}

func readAssign(path string) {
	f, _ := os.Open(path)
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fs := strings.Fields(sc.Text())
		if len(fs) == 0 || strings.HasPrefix(fs[0], "#") {
			continue
		}
		switch {
		case fs[0] == "rename":
			renames[fs[1]] = fs[2]
		case strings.HasPrefix(fs[0], "@"):
			k := fs[0][1:]
			declHome[k] = fs[1]
			if len(fs) > 2 {
				declFile[k] = fs[2]
			}
		default:
			fileHome[fs[0]] = fs[1]
		}
	}
}

type edit struct {
	pos, end int
	text     string
}

func main() {
	dir, out := os.Args[1], os.Args[2]
	readAssign(os.Args[3])
	fset := token.NewFileSet()
	pkgs, err := parser.ParseDir(fset, dir, func(fi os.FileInfo) bool { return !strings.HasSuffix(fi.Name(), "_test.go") }, parser.ParseComments)
	if err != nil {
		panic(err)
	}
	var files []*ast.File
	for _, p := range pkgs {
		for _, f := range p.Files {
			files = append(files, f)
		}
	}
	info := &types.Info{Uses: map[*ast.Ident]types.Object{}, Defs: map[*ast.Ident]types.Object{}, Selections: map[*ast.SelectorExpr]*types.Selection{}}
	conf := types.Config{Importer: importer.ForCompiler(fset, "source", nil)}
	pkg, err := conf.Check(os.Getenv("PKGPATH"), fset, files, info)
	if err != nil {
		panic(err)
	}
	base := func(p token.Pos) string { return filepath.Base(fset.Position(p).Filename) }
	// key of an object
	keyOf := func(o types.Object) string {
		if f, ok := o.(*types.Func); ok {
			if r := f.Type().(*types.Signature).Recv(); r != nil {
				t := r.Type()
				if p, ok := t.(*types.Pointer); ok {
					t = p.Elem()
				}
				if n, ok := t.(*types.Named); ok {
					return n.Obj().Name() + "." + f.Name()
				}
			}
		}
		if v, ok := o.(*types.Var); ok && v.IsField() {
			return "field." + v.Name()
		}
		return o.Name()
	}
	recvName := func(o types.Object) string {
		k := keyOf(o)
		if i := strings.Index(k, "."); i > 0 && !strings.HasPrefix(k, "field.") {
			return k[:i]
		}
		return ""
	}
	var homeOf func(o types.Object) string
	_ = func(o types.Object) string {
		k := keyOf(o)
		if h, ok := declHome[k]; ok {
			return h
		}
		if r := recvName(o); r != "" && r != "Store" {
			if h, ok := declHome[r]; ok {
				return h
			}
		}
		return fileHome[base(o.Pos())]
	}
	isTop := func(o types.Object) bool {
		if o.Pkg() != pkg {
			return false
		}
		if o.Parent() == pkg.Scope() {
			return true
		}
		if f, ok := o.(*types.Func); ok && f.Type().(*types.Signature).Recv() != nil {
			return true
		}
		return false
	}
	// 1. which objects must be exported: referenced from another package than home
	needExport := map[types.Object]bool{}
	declPkgAt := func(f *ast.File, pos token.Pos) string { return "" }
	_ = declPkgAt
	// home of a declaration node
	declKey := func(d ast.Decl) []string {
		switch d := d.(type) {
		case *ast.FuncDecl:
			if d.Recv != nil {
				t := d.Recv.List[0].Type
				if s, ok := t.(*ast.StarExpr); ok {
					t = s.X
				}
				if ix, ok := t.(*ast.IndexExpr); ok {
					t = ix.X
				}
				return []string{t.(*ast.Ident).Name + "." + d.Name.Name}
			}
			return []string{d.Name.Name}
		case *ast.GenDecl:
			var ks []string
			for _, s := range d.Specs {
				switch s := s.(type) {
				case *ast.TypeSpec:
					ks = append(ks, s.Name.Name)
				case *ast.ValueSpec:
					ks = append(ks, s.Names[0].Name)
				}
			}
			return ks
		}
		return nil
	}
	declPkg := func(file string, d ast.Decl) string {
		ks := declKey(d)
		if len(ks) == 0 {
			return ""
		}
		for _, k := range ks {
			if h, ok := declHome[k]; ok {
				return h
			}
			if i := strings.Index(k, "."); i > 0 && k[:i] != "Store" {
				if h, ok := declHome[k[:i]]; ok {
					return h
				}
			}
		}
		return fileHome[file]
	}
	objHome := map[types.Object]string{}
	for _, f := range files {
		file := base(f.Pos())
		for _, d := range f.Decls {
			p := declPkg(file, d)
			if p == "" {
				continue
			}
			ast.Inspect(d, func(n ast.Node) bool {
				switch n := n.(type) {
				case *ast.FuncLit, *ast.BlockStmt:
					return false
				case *ast.Ident:
					if o := info.Defs[n]; o != nil {
						objHome[o] = p
					}
				}
				return true
			})
		}
	}
	homeOf = func(o types.Object) string {
		if h, ok := objHome[o]; ok {
			return h
		}
		return fileHome[base(o.Pos())]
	}
	type usage struct {
		id   *ast.Ident
		obj  types.Object
		from string
	}
	var uses []usage
	for _, f := range files {
		file := base(f.Pos())
		for _, d := range f.Decls {
			from := declPkg(file, d)
			if from == "" {
				continue
			}
			ast.Inspect(d, func(n ast.Node) bool {
				id, ok := n.(*ast.Ident)
				if !ok {
					return true
				}
				o := info.Uses[id]
				if o == nil || o.Pkg() != pkg {
					return true
				}
				uses = append(uses, usage{id, o, from})
				if isTop(o) && homeOf(o) != from && !o.Exported() {
					needExport[o] = true
				}
				if v, ok := o.(*types.Var); ok && v.IsField() && !v.Exported() {
					// fields: export when used from another package than the struct's file home
					if homeOf(v) != from {
						needExport[o] = true
					}
				}
				return true
			})
		}
	}
	newName := func(o types.Object) string {
		if r, ok := renames[keyOf(o)]; ok {
			return r
		}
		if needExport[o] {
			return exported(o.Name())
		}
		return o.Name()
	}
	if os.Getenv("DUMP") != "" {
		type entry struct{ Home, Name string }
		m := map[string]entry{}
		for o, h := range objHome {
			if !isTop(o) {
				continue
			}
			m[keyOf(o)] = entry{h, newName(o)}
		}
		b, _ := json.MarshalIndent(m, "", " ")
		os.WriteFile(os.Getenv("DUMP"), b, 0o644)
		return
	}
	// 2. edits per file
	editsByFile := map[string][]edit{}
	srcs := map[string][]byte{}
	for _, f := range files {
		fn := fset.Position(f.Pos()).Filename
		srcs[fn], _ = os.ReadFile(fn)
	}
	off := func(p token.Pos) int { return fset.Position(p).Offset }
	imports := map[string]map[string]bool{} // target file -> pkgs
	// selector parents: map Sel ident -> selector expr
	selOf := map[*ast.Ident]*ast.SelectorExpr{}
	for _, f := range files {
		ast.Inspect(f, func(n ast.Node) bool {
			if s, ok := n.(*ast.SelectorExpr); ok {
				selOf[s.Sel] = s
			}
			return true
		})
	}
	var report []string
	targetOfDecl := map[ast.Decl]string{}
	for _, f := range files {
		file := base(f.Pos())
		for _, d := range f.Decls {
			p := declPkg(file, d)
			tf := file
			for _, k := range declKey(d) {
				if x, ok := declFile[k]; ok {
					tf = x
				}
			}
			targetOfDecl[d] = p + "/" + tf
		}
	}
	_ = targetOfDecl
	for _, u := range uses {
		fn := fset.Position(u.id.Pos()).Filename
		o := u.obj
		nn := newName(o)
		if !isTop(o) {
			if nn != o.Name() {
				editsByFile[fn] = append(editsByFile[fn], edit{off(u.id.Pos()), off(u.id.End()), nn})
			}
			continue
		}
		h := homeOf(o)
		r := recvName(o)
		switch {
		case r == "Store":
			if h == u.from || h == "store" || h == "models" {
				if nn != o.Name() {
					editsByFile[fn] = append(editsByFile[fn], edit{off(u.id.Pos()), off(u.id.End()), nn})
				}
			} else {
				fld := ""
				if fld == "" {
					report = append(report, fmt.Sprintf("%s: call of %s (home %s) from %s", fset.Position(u.id.Pos()), keyOf(o), h, u.from))
					fld = "TODO_" + h
				}
				editsByFile[fn] = append(editsByFile[fn], edit{off(u.id.Pos()), off(u.id.End()), fld + "." + nn})
			}
		case r != "":
			if nn != o.Name() {
				editsByFile[fn] = append(editsByFile[fn], edit{off(u.id.Pos()), off(u.id.End()), nn})
			}
		default:
			if h == u.from || o.Name() == "Store" {
				if nn != o.Name() {
					editsByFile[fn] = append(editsByFile[fn], edit{off(u.id.Pos()), off(u.id.End()), nn})
				}
			} else {
				editsByFile[fn] = append(editsByFile[fn], edit{off(u.id.Pos()), off(u.id.End()), h + "." + nn})
			}
		}
	}
	// definitions renamed
	for id, o := range info.Defs {
		if o == nil || o.Pkg() != pkg {
			continue
		}
		if nn := newName(o); nn != o.Name() {
			fn := fset.Position(id.Pos()).Filename
			editsByFile[fn] = append(editsByFile[fn], edit{off(id.Pos()), off(id.End()), nn})
		}
	}
	// apply edits to sources
	newSrc := map[string][]byte{}
	for fn, src := range srcs {
		es := editsByFile[fn]
		sort.Slice(es, func(i, j int) bool { return es[i].pos > es[j].pos })
		b := append([]byte(nil), src...)
		last := -1
		for _, e := range es {
			if e.pos == last {
				continue
			}
			last = e.pos
			b = append(b[:e.pos], append([]byte(e.text), b[e.end:]...)...)
		}
		newSrc[fn] = b
	}
	// 3. cut declarations (with doc) out by their ORIGINAL offsets — map via shift
	// Simpler: recompute offsets by re-parsing the edited sources.
	fset2 := token.NewFileSet()
	outFiles := map[string]*bytes.Buffer{}
	outImports := map[string]string{}
	for fn, src := range newSrc {
		f, err := parser.ParseFile(fset2, fn, src, parser.ParseComments)
		if err != nil {
			panic(fmt.Sprintf("%s: %v", fn, err))
		}
		file := filepath.Base(fn)
		var imp bytes.Buffer
		for _, is := range f.Imports {
			imp.WriteString(string(src[fset2.Position(is.Pos()).Offset:fset2.Position(is.End()).Offset]) + "\n")
		}
		for _, d := range f.Decls {
			if g, ok := d.(*ast.GenDecl); ok && g.Tok == token.IMPORT {
				continue
			}
			p := declPkg(file, d)
			tf := file
			for _, k := range declKey(d) {
				// keys are by new names after rename: try both
				if x, ok := declFile[k]; ok {
					tf = x
				}
			}
			start := d.Pos()
			var doc *ast.CommentGroup
			switch d := d.(type) {
			case *ast.FuncDecl:
				doc = d.Doc
			case *ast.GenDecl:
				doc = d.Doc
			}
			if doc != nil {
				start = doc.Pos()
			}
			target := filepath.Join(out, p, tf)
			if p == os.Getenv("ROOT") {
				target = filepath.Join(out, tf)
			}
			if outFiles[target] == nil {
				outFiles[target] = &bytes.Buffer{}
			}
			outImports[target] += imp.String()
			outFiles[target].Write(src[fset2.Position(start).Offset:fset2.Position(d.End()).Offset])
			outFiles[target].WriteString("\n\n")
		}
		_ = imports
	}
	for target, body := range outFiles {
		pk := filepath.Base(filepath.Dir(target))
		var b bytes.Buffer
		fmt.Fprintf(&b, "package %s\n\nimport (\n%s\n%s\n)\n\n", pk, dedupe(outImports[target]), os.Getenv("IMPORTS"))
		b.Write(body.Bytes())
		os.MkdirAll(filepath.Dir(target), 0o755)
		os.WriteFile(target, b.Bytes(), 0o644)
	}
	for _, r := range report {
		fmt.Println(r)
	}
	for o := range needExport {
		fmt.Fprintln(os.Stderr, "export:", homeOf(o), keyOf(o), "->", newName(o))
	}
}

func dedupe(s string) string {
	seen := map[string]bool{}
	var out []string
	for _, l := range strings.Split(s, "\n") {
		l = strings.TrimSpace(l)
		if l == "" || seen[l] {
			continue
		}
		seen[l] = true
		out = append(out, l)
	}
	return strings.Join(out, "\n")
}
