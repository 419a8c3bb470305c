package bind

import (
	"fmt"
	"math/rand/v2"
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
	OptB *selfBound
}

// TestSameAsRuntime: for every query, each parameter binds to the same value with the same
// error as oapi-codegen's runtime given r.URL.Query().
func TestSameAsRuntime(t *testing.T) {
	queries := []string{
		"", "s=a", "s=a&s=b", "s=", "s", "s=a+b", "s=a%20b", "s=%zz", "s=x;y", "%73=a", "s+=a", "c=US&f=100.00",
		"f=1e3", "f=abc", "f=NaN", "f=0x10", "f=", "b=x", "other=%zz&s=ok", "s=é", "&&s=a&&", "f=1&f=2",
		"c=" + strings.Repeat("z", 300), "s=a&other", "=x&s=a", "s=a=b", "s==a", "s=%2B&f=2", "s=;", ";s=a", "==&s=a",
		"b=x&b=y", "s=a&" + strings.Repeat("x=1&", 20) + "s=b",
		strings.Repeat("x=1&", maxPairs-1) + "s=a", strings.Repeat("x=1&", maxPairs) + "s=a", // all split, one too many
		strings.Repeat("x=1&", maxPairs) + "f=%zz",
	}
	type spec struct {
		name, typ, format string
		required          bool
		to                binding
	}
	specs := []spec{
		{"s", "string", "", true, bindTo(func(p *params) *string { return &p.S })},
		{"c", "string", "", true, bindTo(func(p *params) *code { return &p.C })},
		{"f", "number", "double", true, bindTo(func(p *params) *float64 { return &p.F })},
		{"b", "string", "", true, bindTo(func(p *params) *selfBound { return &p.B })},
		{"s", "string", "", false, bindTo(func(p *params) **string { return &p.OptS })},
		{"c", "string", "", false, bindTo(func(p *params) **code { return &p.OptC })},
		{"f", "number", "double", false, bindTo(func(p *params) **float64 { return &p.OptF })},
		{"b", "string", "", false, bindTo(func(p *params) **selfBound { return &p.OptB })},
		{"s", "string", "email", true, bindTo(func(p *params) *string { return &p.S })},
	}
	fast := 0
	for _, q := range queries {
		for _, sp := range specs {
			opts := runtime.BindQueryParameterOptions{Type: sp.typ, Format: sp.format}
			var want, got params
			values, _ := url.ParseQuery(q)
			wantErr := runtime.BindQueryParameterWithOptions("form", true, sp.required, sp.name, values, sp.to.dest(&want), opts)
			query := NewQuery(q)
			gotErr := sp.to.bind(&got, &query, sp.name, sp.required, opts)
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

// binding reaches one field of params: as the runtime takes it (any) and through
// QueryParameter (typed).
type binding struct {
	dest func(*params) any
	bind func(p *params, q *Query, name string, required bool, opts runtime.BindQueryParameterOptions) error
}

func bindTo[T any](field func(*params) *T) binding {
	return binding{
		dest: func(p *params) any { return field(p) },
		bind: func(p *params, q *Query, name string, required bool, opts runtime.BindQueryParameterOptions) error {
			return QueryParameter("form", true, required, name, q, field(p), opts)
		},
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
		case *selfBound:
			if x != nil {
				return "&" + string(*x)
			}
		}
		return "nil"
	}
	return fmt.Sprintf("%q %q %v %q %s %s %s %s", p.S, p.C, p.F, p.B, deref(p.OptS), deref(p.OptC), deref(p.OptF), deref(p.OptB))
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

// TestPairsSplitAsCut: Pairs splits as strings.Cut on '&' then '=' does, and marks exactly
// the pairs whose key or value holds '%' or '+', or which hold ';', wherever they fall.
func TestPairsSplitAsCut(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for range 200_000 {
		b := make([]byte, r.IntN(40))
		for i := range b {
			b[i] = "abcdefgh=&%+;\xc3"[r.IntN(14)]
		}
		if r.IntN(2) == 0 { // mostly plain: the case Pairs only cuts
			for i := range b {
				if b[i] == '%' || b[i] == '+' || b[i] == ';' {
					b[i] = 'x'
				}
			}
		}
		raw, rest := string(b), string(b)
		for got := range Pairs(raw) {
			var pair string
			pair, rest, _ = strings.Cut(rest, "&")
			k, v, _ := strings.Cut(pair, "=")
			want := Pair{Key: k, Value: v, KeyEscaped: strings.ContainsAny(k, "%+"), ValueEscaped: strings.ContainsAny(v, "%+"), Semicolon: strings.Contains(pair, ";")}
			if got != want {
				t.Fatalf("%q: pair %q read as %+v, want %+v", raw, pair, got, want)
			}
		}
		if rest != "" {
			t.Fatalf("%q: %q left unread", raw, rest)
		}
	}
}
