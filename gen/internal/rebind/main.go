// Command rebind rewrites an oapi-codegen std-http server so its wrappers bind parameters
// through gen/bind. The generated ServerInterfaceWrapper methods call r.URL.Query()
// (a full parse of RawQuery into a fresh map) once per query parameter, bind every value
// through reflection, and canonicalise constant header names on every request. After this
// step each method reads its query once (`query := bind.NewQuery(r.URL.RawQuery)`), binds
// with bind.QueryParameter and bind.StyledParameter, which take the common cases directly and
// hand everything else to the same runtime functions with the same values (so what is bound
// and refused does not change), and indexes headers by names canonicalised here. The strict
// handlers decode request bodies with bind.JSONBody, which uses a decoder registered for the
// body's type and encoding/json otherwise.
//
// It also removes the per-request closures oapi-codegen builds to run middleware chains: a
// wrapper asks the Gate it adds to ServerInterfaceWrapper and StdHTTPServerOptions (see gate)
// and calls its handler directly when no middleware is left, and a strict handler with no
// middleware calls its operation directly (see direct). Chains that are there run as before.
//
// It runs right after oapi-codegen, from the package's go:generate line and from `make
// generate-check`, so the committed file is exactly what generation produces:
//
//	go run ../internal/rebind cryptorefills.gen.go
package main

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/format"
	"go/parser"
	"go/token"
	"net/http"
	"os"
	"sort"
	"strconv"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: rebind FILE.gen.go (rewritten in place)")
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
		fmt.Fprintln(os.Stderr, "rebind:", err)
		os.Exit(1)
	}
}

// edit replaces src[from:to] with text.
type edit struct {
	from, to int
	text     string
}

// bindImport is the package the rewritten methods bind with.
const bindImport = `"github.com/cryptomock/cryptomock/gen/bind"`

// rewrite returns src with its wrappers binding through gen/bind and asking the Gate, and its
// strict handlers decoding through bind.JSONBody and calling operations directly (see the
// package comment). Edits are made on the text (not by printing the tree again) so the
// generated comments stay where they were.
func rewrite(src []byte) ([]byte, error) {
	fset := token.NewFileSet()
	file, err := parser.ParseFile(fset, "", src, parser.ParseComments)
	if err != nil {
		return nil, err
	}
	off := func(p token.Pos) int { return fset.Position(p).Offset }
	var edits []edit
	for _, decl := range file.Decls {
		fn, ok := decl.(*ast.FuncDecl)
		if !ok || fn.Body == nil {
			continue
		}
		if !isWrapperMethod(fn) { // the strict handlers decode request bodies
			if isMethodOf(fn, "strictHandler") {
				edits = append(edits, direct(fn, src, off)...)
			}
			ast.Inspect(fn.Body, func(n ast.Node) bool {
				if call, ok := n.(*ast.CallExpr); ok && isRuntime(call, "BindJSONBody") {
					edits = append(edits, edit{off(call.Fun.Pos()), off(call.Fun.End()), "bind.JSONBody"})
				}
				return true
			})
			continue
		}
		var calls, styled []edit
		bound := map[*ast.CallExpr]bool{}
		ast.Inspect(fn.Body, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			if isRuntime(call, "BindQueryParameterWithOptions") && len(call.Args) == 7 && isQueryCall(call.Args[4]) {
				calls = append(calls, edit{off(call.Fun.Pos()), off(call.Fun.End()), "bind.QueryParameter"},
					edit{off(call.Args[4].Pos()), off(call.Args[4].End()), "&query"})
				bound[call.Args[4].(*ast.CallExpr)] = true
				return true
			}
			if isQueryCall(call) && !bound[call] {
				calls = append(calls, edit{off(call.Pos()), off(call.End()), "query.Values()"})
			}
			if name, ok := canonicalConstant(call); ok {
				styled = append(styled, edit{off(call.Pos()), off(call.End()), strconv.Quote(name)})
				return false
			}
			if isRuntime(call, "BindStyledParameterWithOptions") {
				styled = append(styled, edit{off(call.Fun.Pos()), off(call.Fun.End()), "bind.StyledParameter"})
			}
			return true
		})
		edits = append(edits, styled...)
		edits = append(edits, gate(fn, src, off)...)
		if len(calls) == 0 {
			continue
		}
		open := off(fn.Body.Lbrace) + 1
		edits = append(edits, edit{open, open, "\n\tquery := bind.NewQuery(r.URL.RawQuery) // read once for every query parameter (gen/internal/rebind)\n"})
		edits = append(edits, calls...)
	}
	if len(edits) == 0 {
		return format.Source(src)
	}
	edits = append(edits, gateFields(file, src, off)...)
	for _, imp := range file.Imports {
		if imp.Path.Value == bindImport {
			return nil, fmt.Errorf("already imports %s, yet has calls to rewrite", bindImport)
		}
	}
	var imports *ast.GenDecl
	for _, d := range file.Decls {
		if g, ok := d.(*ast.GenDecl); ok && g.Tok == token.IMPORT && g.Lparen.IsValid() {
			imports = g
			break
		}
	}
	if imports == nil {
		return nil, fmt.Errorf("no import ( ... ) block to add %s to", bindImport)
	}
	lparen := off(imports.Lparen) + 1
	edits = append(edits, edit{lparen, lparen, "\n\t" + bindImport + "\n"})
	sort.SliceStable(edits, func(i, j int) bool { return edits[i].from > edits[j].from })
	out := bytes.Clone(src)
	for _, e := range edits {
		out = append(out[:e.from], append([]byte(e.text), out[e.to:]...)...)
	}
	return format.Source(out)
}

// canonicalConstant matches http.CanonicalHeaderKey("literal") and returns the canonical name.
func canonicalConstant(call *ast.CallExpr) (string, bool) {
	sel, ok := call.Fun.(*ast.SelectorExpr)
	if !ok || sel.Sel.Name != "CanonicalHeaderKey" || len(call.Args) != 1 {
		return "", false
	}
	if pkg, ok := sel.X.(*ast.Ident); !ok || pkg.Name != "http" {
		return "", false
	}
	lit, ok := call.Args[0].(*ast.BasicLit)
	if !ok || lit.Kind != token.STRING {
		return "", false
	}
	name, err := strconv.Unquote(lit.Value)
	return http.CanonicalHeaderKey(name), err == nil
}

// isRuntime matches a call of runtime.<name>.
func isRuntime(call *ast.CallExpr, name string) bool {
	sel, ok := call.Fun.(*ast.SelectorExpr)
	if !ok || sel.Sel.Name != name {
		return false
	}
	pkg, ok := sel.X.(*ast.Ident)
	return ok && pkg.Name == "runtime"
}

func isWrapperMethod(fn *ast.FuncDecl) bool { return isMethodOf(fn, "ServerInterfaceWrapper") }

// isMethodOf matches a method with a pointer receiver of the named type.
func isMethodOf(fn *ast.FuncDecl, typ string) bool {
	if fn.Recv == nil || len(fn.Recv.List) != 1 {
		return false
	}
	star, ok := fn.Recv.List[0].Type.(*ast.StarExpr)
	if !ok {
		return false
	}
	id, ok := star.X.(*ast.Ident)
	return ok && id.Name == typ
}

// direct gives a strict handler a way around its middleware chain when it has none (the
// mock passes none). oapi-codegen builds a closure, boxes the request object into an
// interface{} and calls the closure through the (empty) chain: two allocations and an
// indirect call on every request. The three statements that do so,
//
//	handler := func(ctx context.Context, w http.ResponseWriter, r *http.Request, request interface{}) (interface{}, error) {
//		return sh.ssi.Op(ctx, request.(OpRequestObject))
//	}
//	for _, middleware := range sh.middlewares { ... }
//	response, err := handler(r.Context(), w, r, request)
//
// move into the else branch of `if len(sh.middlewares) == 0 { response, err =
// sh.ssi.Op(r.Context(), request) }`, so a chain, when there is one, runs as before.
func direct(fn *ast.FuncDecl, src []byte, off func(token.Pos) int) []edit {
	list := fn.Body.List
	for i := 0; i+2 < len(list); i++ {
		def, ok := list[i].(*ast.AssignStmt)
		if !ok || def.Tok != token.DEFINE || len(def.Lhs) != 1 || len(def.Rhs) != 1 || !isIdent(def.Lhs[0], "handler") {
			continue
		}
		lit, ok := def.Rhs[0].(*ast.FuncLit)
		if !ok || len(lit.Body.List) != 1 {
			continue
		}
		ret, ok := lit.Body.List[0].(*ast.ReturnStmt)
		if !ok || len(ret.Results) != 1 {
			continue
		}
		op, ok := ret.Results[0].(*ast.CallExpr)
		if !ok || len(op.Args) != 2 {
			continue
		}
		if _, ok := list[i+1].(*ast.RangeStmt); !ok {
			continue
		}
		call, ok := list[i+2].(*ast.AssignStmt)
		if !ok || call.Tok != token.DEFINE || len(call.Lhs) != 2 || !isIdent(call.Lhs[0], "response") || !isIdent(call.Lhs[1], "err") {
			continue
		}
		text := func(n ast.Node) string { return string(src[off(n.Pos()):off(n.End())]) }
		chain := text(list[i]) + "\n" + text(list[i+1]) + "\n" + "response, err = " + text(call.Rhs[0])
		return []edit{{off(list[i].Pos()), off(list[i+2].End()), "var response interface{}\n\tvar err error\n" +
			"\tif len(sh.middlewares) == 0 { // no chain: the operation directly, nothing boxed (gen/internal/rebind)\n" +
			"\t\tresponse, err = " + text(op.Fun) + "(r.Context(), request)\n\t} else {\n" + chain + "\n}"}}
	}
	return nil
}

// gateField is the hook rebind adds to the generated ServerInterfaceWrapper and
// StdHTTPServerOptions (see gate).
const gateField = "Gate func(w http.ResponseWriter, r *http.Request) bool"

// gate rewrites the end of a wrapper method, where oapi-codegen applies HandlerMiddlewares on
// every request: it builds a closure over the bound parameters and wraps it in each
// middleware (a closure each), then calls the outermost. Before that, the method now asks the
// Gate (a middleware that only decides whether the request goes on, set through
// StdHTTPServerOptions.Gate) and, with no middleware left, calls the handler directly: no
// closure, parameters on the stack. With middlewares, they run as before, after the gate; the
// closure then holds copies of the bound values by value (the binding calls took their
// addresses, so naming them would move them to the heap on every request; Go captures a
// variable of up to 128 bytes by value when it is never addressed or assigned after the capture).
func gate(fn *ast.FuncDecl, src []byte, off func(token.Pos) int) []edit {
	if bytes.Contains(src[off(fn.Body.Pos()):off(fn.Body.End())], []byte("siw.Gate")) {
		return nil // rewritten already
	}
	for _, stmt := range fn.Body.List {
		def, ok := stmt.(*ast.AssignStmt)
		if !ok || def.Tok != token.DEFINE || len(def.Lhs) != 1 || !isIdent(def.Lhs[0], "handler") {
			continue
		}
		var call ast.Stmt
		var uses []edit
		var copies []string
		ast.Inspect(def.Rhs[0], func(n ast.Node) bool {
			lit, ok := n.(*ast.FuncLit)
			if !ok {
				return true
			}
			if len(lit.Body.List) != 1 {
				return false
			}
			call = lit.Body.List[0]
			if x, ok := call.(*ast.ExprStmt); ok {
				if c, ok := x.X.(*ast.CallExpr); ok {
					for _, arg := range c.Args { // the parameters the handler gets, after w and r
						if id, ok := arg.(*ast.Ident); ok && id.Name != "w" && id.Name != "r" {
							copy := id.Name + "Bound"
							if id.Name == "params" {
								copy = "bound"
							}
							uses = append(uses, edit{off(id.Pos()), off(id.End()), copy})
							copies = append(copies, copy+" := "+id.Name)
						}
					}
				}
			}
			return false
		})
		if call == nil {
			return nil
		}
		text := "if siw.Gate != nil && !siw.Gate(w, r) { // (gen/internal/rebind)\n\t\treturn\n\t}\n" +
			"\tif len(siw.HandlerMiddlewares) == 0 {\n\t\t" + string(src[off(call.Pos()):off(call.End())]) + "\n\t\treturn\n\t}\n\t"
		for _, c := range copies {
			text += c + " // held by value in the closure, not moved to the heap\n\t"
		}
		at := off(stmt.Pos())
		return append(uses, edit{at, at, text})
	}
	return nil
}

// gateFields adds the Gate field to the wrapper and to the options, and passes it from one to
// the other in HandlerWithOptions.
func gateFields(file *ast.File, src []byte, off func(token.Pos) int) []edit {
	var edits []edit
	for _, decl := range file.Decls {
		switch d := decl.(type) {
		case *ast.GenDecl:
			for _, spec := range d.Specs {
				ts, ok := spec.(*ast.TypeSpec)
				if !ok || ts.Name.Name != "ServerInterfaceWrapper" && ts.Name.Name != "StdHTTPServerOptions" {
					continue
				}
				if st, ok := ts.Type.(*ast.StructType); ok && !hasField(st, "Gate") {
					at := off(st.Fields.Closing)
					edits = append(edits, edit{at, at, "\t// Gate, when set, runs after binding and may answer the request itself (false).\n\t" + gateField + "\n"})
				}
			}
		case *ast.FuncDecl:
			if d.Name.Name != "HandlerWithOptions" || d.Body == nil {
				continue
			}
			ast.Inspect(d.Body, func(n ast.Node) bool {
				if lit, ok := n.(*ast.CompositeLit); ok && isIdent(lit.Type, "ServerInterfaceWrapper") && !bytes.Contains(src[off(lit.Pos()):off(lit.End())], []byte("Gate:")) {
					at := off(lit.Rbrace)
					edits = append(edits, edit{at, at, "\tGate: options.Gate,\n"})
				}
				return true
			})
		}
	}
	return edits
}

func hasField(st *ast.StructType, name string) bool {
	for _, f := range st.Fields.List {
		for _, n := range f.Names {
			if n.Name == name {
				return true
			}
		}
	}
	return false
}

func isIdent(e ast.Expr, name string) bool {
	id, ok := e.(*ast.Ident)
	return ok && id.Name == name
}

// isQueryCall matches r.URL.Query().
func isQueryCall(e ast.Expr) bool {
	call, ok := e.(*ast.CallExpr)
	if !ok {
		return false
	}
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
