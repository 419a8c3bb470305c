package main

import (
	"strings"
	"testing"
)

const wrapper = `package p

import (
	"context"
	"net/http"

	"github.com/oapi-codegen/runtime"
)

type ServerInterfaceWrapper struct {
	HandlerMiddlewares []func(http.Handler) http.Handler
}

type StdHTTPServerOptions struct {
	Middlewares []func(http.Handler) http.Handler
}

func HandlerWithOptions(options StdHTTPServerOptions) {
	wrapper := ServerInterfaceWrapper{
		HandlerMiddlewares: options.Middlewares,
	}
	other(wrapper)
}

// A operation middleware
func (siw *ServerInterfaceWrapper) A(w http.ResponseWriter, r *http.Request) {
	// ------------- Required query parameter "a" -------------
	_ = runtime.BindQueryParameterWithOptions("form", true, true, "a", r.URL.Query(), nil, runtime.BindQueryParameterOptions{})
	_ = runtime.BindQueryParameterWithOptions("form", true, false, "b", r.URL.Query(), nil, runtime.BindQueryParameterOptions{}) // trailing comment
	other(r.URL.Query())

	var id string
	other(&id)
	var params struct{ A string }
	other(&params.A)
	handler := http.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		siw.A(w, r, id, params)
	}))
	handler.ServeHTTP(w, r)
}

// B has no query parameter.
func (siw *ServerInterfaceWrapper) B(w http.ResponseWriter, r *http.Request) {
	_ = runtime.BindStyledParameterWithOptions("simple", "X-A", "v", nil, runtime.BindStyledParameterOptions{})
	other(r.Header[http.CanonicalHeaderKey("X-Country-ISO-Code")])
}

type strictHandler struct {
	ssi         interface{ A(context.Context, ARequestObject) (any, error) }
	middlewares []func(func(context.Context, http.ResponseWriter, *http.Request, interface{}) (interface{}, error), string) func(context.Context, http.ResponseWriter, *http.Request, interface{}) (interface{}, error)
}

type ARequestObject struct{}

func (sh *strictHandler) A(w http.ResponseWriter, r *http.Request) {
	var request ARequestObject
	var body struct{}
	_ = runtime.BindJSONBody(r, &body)

	handler := func(ctx context.Context, w http.ResponseWriter, r *http.Request, request interface{}) (interface{}, error) {
		return sh.ssi.A(ctx, request.(ARequestObject))
	}
	for _, middleware := range sh.middlewares {
		handler = middleware(handler, "A")
	}

	response, err := handler(r.Context(), w, r, request)
	other(response, err)
}

type client struct{}

func (c *client) C(r *http.Request) {
	other(r.URL.Query())
}

func other(...any) {}
`

func TestRewriteBindsThroughBind(t *testing.T) {
	out, err := rewrite([]byte(wrapper))
	if err != nil {
		t.Fatal(err)
	}
	got := string(out)
	a := between(got, "func (siw *ServerInterfaceWrapper) A", "// B has")
	for _, want := range []string{
		"query := bind.NewQuery(r.URL.RawQuery)",
		`bind.QueryParameter("form", true, true, "a", &query, nil, runtime.BindQueryParameterOptions{})`,
		`bind.QueryParameter("form", true, false, "b", &query, nil, runtime.BindQueryParameterOptions{}) // trailing comment`,
		"other(query.Values())",
		`// ------------- Required query parameter "a" -------------`,
	} {
		if !strings.Contains(a, want) {
			t.Errorf("A lacks %q:\n%s", want, a)
		}
	}
	gate := strings.Index(a, "if siw.Gate != nil && !siw.Gate(w, r) {")
	direct := strings.Index(a, "if len(siw.HandlerMiddlewares) == 0 {\n\t\tsiw.A(w, r, id, params)\n\t\treturn\n\t}")
	chain := strings.Index(a, "idBound := id")
	if gate < 0 || direct < gate || chain < direct || !strings.Contains(a, "bound := params") || !strings.Contains(a, "siw.A(w, r, idBound, bound)") {
		t.Errorf("A does not ask the gate, then call its handler directly without middlewares, then run the chain with a copy of its parameters:\n%s", a)
	}
	for _, want := range []string{"HandlerMiddlewares []func(http.Handler) http.Handler\n\t// Gate", "Middlewares []func(http.Handler) http.Handler\n\t// Gate", "Gate:               options.Gate,"} {
		if !strings.Contains(got, want) {
			t.Errorf("no %q:\n%s", want, got)
		}
	}
	if strings.Contains(a, "r.URL.Query()") {
		t.Errorf("A still parses the query itself:\n%s", a)
	}
	if !strings.Contains(got, `"github.com/cryptomock/cryptomock/gen/bind"`) {
		t.Errorf("bind not imported:\n%s", got)
	}
	if b := between(got, "func (siw *ServerInterfaceWrapper) B", "type client"); strings.Contains(b, "query :=") || !strings.Contains(b, `bind.StyledParameter("simple", "X-A"`) {
		t.Errorf("B: a header binds through bind.StyledParameter, and no query is read:\n%s", b)
	}
	if b := between(got, "func (siw *ServerInterfaceWrapper) B", "type client"); !strings.Contains(b, `r.Header["X-Country-Iso-Code"]`) {
		t.Errorf("B: the constant header name is not canonicalised at generation:\n%s", b)
	}
	sh := between(got, "func (sh *strictHandler) A", "type client")
	if !strings.Contains(sh, "bind.JSONBody(r, &body)") {
		t.Errorf("the strict handler's body is not decoded through bind.JSONBody:\n%s", sh)
	}
	direct = strings.Index(sh, "if len(sh.middlewares) == 0 {")
	chain = strings.Index(sh, "handler := func(")
	if direct < 0 || chain < direct || !strings.Contains(sh, "response, err = sh.ssi.A(r.Context(), request)") ||
		!strings.Contains(sh, "response, err = handler(r.Context(), w, r, request)") || strings.Contains(sh, "response, err :=") {
		t.Errorf("the strict handler does not call the operation directly when it has no middleware, or lost its chain:\n%s", sh)
	}
	if c := between(got, "func (c *client) C", "func other"); !strings.Contains(c, "r.URL.Query()") {
		t.Errorf("a method of another type was rewritten:\n%s", c)
	}
	again, err := rewrite(out)
	if err != nil || string(again) != got {
		t.Errorf("rewriting twice changed the output (err %v)", err)
	}
}

func TestRewriteRefusesWhatIsNotGo(t *testing.T) {
	if _, err := rewrite([]byte("package p\nfunc {")); err == nil {
		t.Fatal("no error for a file that does not parse")
	}
}

func between(s, from, to string) string {
	i := strings.Index(s, from)
	j := strings.Index(s, to)
	if i < 0 || j < i {
		return ""
	}
	return s[i:j]
}
