package main

import (
	"strings"
	"testing"
)

const wrapper = `package p

import "net/http"

type ServerInterfaceWrapper struct{}

// A operation middleware
func (siw *ServerInterfaceWrapper) A(w http.ResponseWriter, r *http.Request) {
	// ------------- Required query parameter "a" -------------
	bind("a", r.URL.Query())
	bind("b", r.URL.Query()) // trailing comment
}

// B has one parameter: nothing to share.
func (siw *ServerInterfaceWrapper) B(w http.ResponseWriter, r *http.Request) {
	bind("a", r.URL.Query())
}

type client struct{}

func (c *client) C(r *http.Request) {
	bind("a", r.URL.Query())
	bind("b", r.URL.Query())
}

func bind(string, any) {}
`

func TestRewriteSharesOneParsePerWrapperMethod(t *testing.T) {
	out, err := rewrite([]byte(wrapper))
	if err != nil {
		t.Fatal(err)
	}
	got := string(out)
	a := between(got, "func (siw *ServerInterfaceWrapper) A", "// B has")
	if strings.Count(a, "r.URL.Query()") != 1 || !strings.Contains(a, `bind("a", query)`) || !strings.Contains(a, `bind("b", query) // trailing comment`) {
		t.Errorf("A not rewritten to one parse with its comments kept:\n%s", a)
	}
	if !strings.Contains(a, `// ------------- Required query parameter "a" -------------`) {
		t.Errorf("A lost its generated comment:\n%s", a)
	}
	if b := between(got, "func (siw *ServerInterfaceWrapper) B", "type client"); strings.Contains(b, "query :=") {
		t.Errorf("B has one parameter and was rewritten anyway:\n%s", b)
	}
	if c := between(got, "func (c *client) C", "func bind"); strings.Count(c, "r.URL.Query()") != 2 {
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
