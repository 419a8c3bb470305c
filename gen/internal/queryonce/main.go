// Command queryonce rewrites an oapi-codegen std-http server so each operation parses its query
// string once. The generated ServerInterfaceWrapper methods call r.URL.Query() — a full parse of
// RawQuery into a fresh map — once per query parameter; this step binds `query :=
// r.URL.Query()` at the top of each such method and uses it for every parameter. The URL is
// not modified in between, so the values bound are the same; only the repeated parsing goes.
//
// It runs right after oapi-codegen, from the package's go:generate line and from `make
// generate-check`, so the committed file is exactly what generation produces:
//
//	go run ../internal/queryonce cryptorefills.gen.go
package main

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/format"
	"go/parser"
	"go/token"
	"os"
	"sort"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: queryonce FILE.gen.go (rewritten in place)")
		os.Exit(2)
	}
	path := os.Args[1]
	src, err := os.ReadFile(path)
	if err == nil {
		var out []byte
		if out, err = rewrite(src); err == nil {
			err = os.WriteFile(path, out, 0o644)
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "queryonce:", err)
		os.Exit(1)
	}
}

// edit replaces src[from:to] with text.
type edit struct {
	from, to int
	text     string
}

// rewrite returns src with every ServerInterfaceWrapper method's r.URL.Query() calls replaced
// by one shared variable. Edits are made on the text (not by printing the tree again) so the
// generated comments stay where they were.
func rewrite(src []byte) ([]byte, error) {
	fset := token.NewFileSet()
	file, err := parser.ParseFile(fset, "", src, parser.ParseComments)
	if err != nil {
		return nil, err
	}
	var edits []edit
	for _, decl := range file.Decls {
		fn, ok := decl.(*ast.FuncDecl)
		if !ok || fn.Body == nil || !isWrapperMethod(fn) {
			continue
		}
		var calls []edit
		ast.Inspect(fn.Body, func(n ast.Node) bool {
			if call, ok := n.(*ast.CallExpr); ok && isQueryCall(call) {
				calls = append(calls, edit{fset.Position(call.Pos()).Offset, fset.Position(call.End()).Offset, "query"})
				return false
			}
			return true
		})
		if len(calls) < 2 {
			continue // nothing to share
		}
		open := fset.Position(fn.Body.Lbrace).Offset + 1
		edits = append(edits, edit{open, open, "\n\tquery := r.URL.Query() // parsed once for every query parameter (gen/internal/queryonce)\n"})
		edits = append(edits, calls...)
	}
	sort.Slice(edits, func(i, j int) bool { return edits[i].from > edits[j].from })
	out := bytes.Clone(src)
	for _, e := range edits {
		out = append(out[:e.from], append([]byte(e.text), out[e.to:]...)...)
	}
	return format.Source(out)
}

func isWrapperMethod(fn *ast.FuncDecl) bool {
	if fn.Recv == nil || len(fn.Recv.List) != 1 {
		return false
	}
	star, ok := fn.Recv.List[0].Type.(*ast.StarExpr)
	if !ok {
		return false
	}
	id, ok := star.X.(*ast.Ident)
	return ok && id.Name == "ServerInterfaceWrapper"
}

// isQueryCall matches r.URL.Query().
func isQueryCall(call *ast.CallExpr) bool {
	sel, ok := call.Fun.(*ast.SelectorExpr)
	if !ok || sel.Sel.Name != "Query" || len(call.Args) != 0 {
		return false
	}
	url, ok := sel.X.(*ast.SelectorExpr)
	if !ok || url.Sel.Name != "URL" {
		return false
	}
	r, ok := url.X.(*ast.Ident)
	return ok && r.Name == "r"
}
