package bind

import (
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/oapi-codegen/runtime"
)

type code string

func (c code) Valid() bool { return c != "" } // methods other than Bind do not matter

type selfBound string

func (s *selfBound) Bind(v string) error { *s = selfBound("bound:" + v); return nil }

type params struct {
	S    string
	C    code
	F    float64
	B    selfBound
	OptS *string
	OptC *code
	OptF *float64
}

// TestSameAsRuntime: for every query, each parameter binds to the same value with the same
// error as oapi-codegen's runtime given r.URL.Query().
func TestSameAsRuntime(t *testing.T) {
	queries := []string{
		"", "s=a", "s=a&s=b", "s=", "s", "s=a+b", "s=a%20b", "s=%zz", "s=x;y", "%73=a", "s+=a", "c=US&f=100.00",
		"f=1e3", "f=abc", "f=NaN", "f=0x10", "f=", "b=x", "other=%zz&s=ok", "s=é", "&&s=a&&", "f=1&f=2",
		"c=" + strings.Repeat("z", 300), "s=a&other",
	}
	type spec struct {
		name, typ, format string
		required          bool
		dest              func(*params) any
	}
	specs := []spec{
		{"s", "string", "", true, func(p *params) any { return &p.S }},
		{"c", "string", "", true, func(p *params) any { return &p.C }},
		{"f", "number", "double", true, func(p *params) any { return &p.F }},
		{"b", "string", "", true, func(p *params) any { return &p.B }},
		{"s", "string", "", false, func(p *params) any { return &p.OptS }},
		{"c", "string", "", false, func(p *params) any { return &p.OptC }},
		{"f", "number", "double", false, func(p *params) any { return &p.OptF }},
		{"s", "string", "email", true, func(p *params) any { return &p.S }},
	}
	fast := 0
	for _, q := range queries {
		for _, sp := range specs {
			opts := runtime.BindQueryParameterOptions{Type: sp.typ, Format: sp.format}
			var want, got params
			values, _ := url.ParseQuery(q)
			wantErr := runtime.BindQueryParameterWithOptions("form", true, sp.required, sp.name, values, sp.dest(&want), opts)
			query := NewQuery(q)
			gotErr := QueryParameter("form", true, sp.required, sp.name, &query, sp.dest(&got), opts)
			if fmt.Sprint(gotErr) != fmt.Sprint(wantErr) || show(got) != show(want) {
				t.Errorf("query %q, %s (required %v): got %+v, %v; the runtime %+v, %v", q, sp.name, sp.required, got, gotErr, want, wantErr)
			}
			if !query.parsed {
				fast++
			}
		}
	}
	if fast < len(queries) {
		t.Errorf("only %d bindings took the direct path", fast)
	}
}

// show prints bound values, pointers followed (NaN is not DeepEqual to itself).
func show(p params) string {
	deref := func(v any) string {
		switch x := v.(type) {
		case *string:
			if x != nil {
				return "&" + *x
			}
		case *code:
			if x != nil {
				return "&" + string(*x)
			}
		case *float64:
			if x != nil {
				return fmt.Sprint("&", *x)
			}
		}
		return "nil"
	}
	return fmt.Sprintf("%q %q %v %q %s %s %s", p.S, p.C, p.F, p.B, deref(p.OptS), deref(p.OptC), deref(p.OptF))
}

type text string

func (t *text) UnmarshalText(b []byte) error { *t = text("text:" + string(b)); return nil }

// TestStyledSameAsRuntime: header and path values bind as the runtime binds them.
func TestStyledSameAsRuntime(t *testing.T) {
	type dests struct {
		S string
		C code
		B selfBound
		T text
		I int
		P *code // an optional header of a named type
	}
	deref := func(p *code) string {
		if p == nil {
			return "nil"
		}
		return "&" + string(*p)
	}
	type call func(want, got *dests, value string, opts runtime.BindStyledParameterOptions) (error, error)
	targets := []call{
		func(w, g *dests, v string, o runtime.BindStyledParameterOptions) (error, error) {
			return runtime.BindStyledParameterWithOptions("simple", "p", v, &w.S, o), StyledParameter("simple", "p", v, &g.S, o)
		},
		func(w, g *dests, v string, o runtime.BindStyledParameterOptions) (error, error) {
			return runtime.BindStyledParameterWithOptions("simple", "p", v, &w.C, o), StyledParameter("simple", "p", v, &g.C, o)
		},
		func(w, g *dests, v string, o runtime.BindStyledParameterOptions) (error, error) {
			return runtime.BindStyledParameterWithOptions("simple", "p", v, &w.B, o), StyledParameter("simple", "p", v, &g.B, o)
		},
		func(w, g *dests, v string, o runtime.BindStyledParameterOptions) (error, error) {
			return runtime.BindStyledParameterWithOptions("simple", "p", v, &w.T, o), StyledParameter("simple", "p", v, &g.T, o)
		},
		func(w, g *dests, v string, o runtime.BindStyledParameterOptions) (error, error) {
			return runtime.BindStyledParameterWithOptions("simple", "p", v, &w.I, o), StyledParameter("simple", "p", v, &g.I, o)
		},
		func(w, g *dests, v string, o runtime.BindStyledParameterOptions) (error, error) {
			return runtime.BindStyledParameterWithOptions("simple", "p", v, &w.P, o), StyledParameter("simple", "p", v, &g.P, o)
		},
	}
	fast := 0
	for _, value := range []string{"", "shop", "a,b", "a%20b", "%zz", "12", " x ", "é"} {
		for _, loc := range []runtime.ParamLocation{runtime.ParamLocationHeader, runtime.ParamLocationPath, runtime.ParamLocationQuery} {
			for _, unescaped := range []bool{false, true} {
				for _, required := range []bool{false, true} {
					for i, target := range targets {
						opts := runtime.BindStyledParameterOptions{ParamLocation: loc, ValueIsUnescaped: unescaped, Required: required, Type: "string"}
						var want, got dests
						wantErr, gotErr := target(&want, &got, value, opts)
						if fmt.Sprint(gotErr) != fmt.Sprint(wantErr) || fmt.Sprint(got.S, got.C, got.B, got.T, got.I, deref(got.P)) != fmt.Sprint(want.S, want.C, want.B, want.T, want.I, deref(want.P)) {
							t.Errorf("%q at %v (unescaped %v, required %v) into #%d: got %+v, %v; the runtime %+v, %v", value, loc, unescaped, required, i, got, gotErr, want, wantErr)
						}
						if gotErr == nil && (i == 0 || i == 1) && value != "" {
							fast++
						}
					}
				}
			}
		}
	}
	if fast == 0 {
		t.Error("nothing bound")
	}
}
