package upstream

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestRegistry(t *testing.T) {
	def := &API{Name: "default", Tenant: func(r *http.Request) Tenant { return Tenant{Key: r.Header.Get("X-Who")} }}
	ps := &API{Name: "ps", Prefixes: []string{"/apis/pg/", "/pay/"}}
	ctl := &API{Name: "ctl", Prefixes: []string{"/__mock/"}, Control: true}
	r := New(ctl, ps, def)
	for path, want := range map[string]string{"/apis/pg/create_order": "ps", "/pay/1001": "ps", "/__mock/reset": "ctl",
		"/v5/orders": "default", "/": "default", "/__mockery": "default"} {
		if got := r.ForPath(path).Name; got != want {
			t.Errorf("%s: %s, want %s", path, got, want)
		}
	}
	req := httptest.NewRequest("GET", "/v5/orders", nil)
	req.Header.Set("X-Who", "shop")
	res := r.Resolve(req)
	if res.API != def || res.Tenant.Key != "shop" {
		t.Fatalf("resolve: %+v", res)
	}
	held := &holder{up: res}
	if got := From(carry(req.Context(), held)); got.API != def || got.Tenant.Key != "shop" || CarrierOf(carry(req.Context(), held)) != Carrier(held) {
		t.Fatalf("context round trip: %+v", got)
	}
	if got := From(req.Context()); got.API != nil {
		t.Fatalf("an unresolved request: %+v", got)
	}
	if r.Resolve(httptest.NewRequest("GET", "/apis/pg/x", nil)).Tenant != (Tenant{}) {
		t.Fatal("an API without a tenant reader gave a tenant")
	}
	def.Before = func(r *http.Request) {
		if r.Header.Get("X-Who") == "" {
			r.Header.Set("X-Who", "anonymous")
		}
	}
	if got := r.Resolve(httptest.NewRequest("GET", "/v5/orders", nil)).Tenant.Key; got != "anonymous" {
		t.Fatalf("the tenant was read before Before adjusted the request: %q", got)
	}
}

// holder is a server's record of a request that carries the resolved request.
type holder struct{ up Request }

func (h *holder) Upstream() *Request { return &h.up }

// carry puts c into a context as the server does.
func carry(parent context.Context, c Carrier) context.Context {
	var x Context
	x.Carry(parent, c)
	return &x
}

// TestContextCarries: a Context answers for its carrier, passes every other key to its parent,
// and is cancelled with it.
func TestContextCarries(t *testing.T) {
	type key struct{}
	parent, cancel := context.WithCancel(context.WithValue(context.Background(), key{}, "parent's"))
	c := &holder{up: Request{Tenant: Tenant{Label: "p1"}}}
	var x Context
	x.Carry(parent, c)
	if got := CarrierOf(&x); got != Carrier(c) || From(&x).Tenant.Label != "p1" {
		t.Fatalf("carrier %v, tenant %q", got, From(&x).Tenant.Label)
	}
	if got := (&x).Value(key{}); got != "parent's" {
		t.Fatalf("the parent's value reads %v", got)
	}
	if CarrierOf(parent) != nil || From(context.Background()).API != nil {
		t.Fatal("a context without a carrier has one")
	}
	child, stop := context.WithCancel(&x) // what net/http and handlers derive from it
	defer stop()
	cancel()
	<-child.Done()
	if x.Err() != context.Canceled || CarrierOf(child) != Carrier(c) {
		t.Fatalf("after the parent's cancel: %v, carrier %v", x.Err(), CarrierOf(child))
	}
}

// TestForPathShortcut: the registry answers every path as a plain walk over the APIs' paths and
// prefixes does, whatever byte follows the leading '/' (including APIs claiming "/" itself).
func TestForPathShortcut(t *testing.T) {
	walk := func(apis []*API, def *API, path string) *API {
		for _, a := range apis {
			for _, p := range a.Paths {
				if path == p {
					return a
				}
			}
		}
		for _, a := range apis {
			for _, p := range a.Prefixes {
				if strings.HasPrefix(path, p) {
					return a
				}
			}
		}
		return def
	}
	def := &API{Name: "default"}
	sets := [][]*API{
		{def, {Name: "ps", Prefixes: []string{"/apis/pg/", "/pay/"}}, {Name: "ui", Prefixes: []string{"/ui/"}, Paths: []string{"/", "/index.html"}}},
		{def, {Name: "all", Prefixes: []string{"/"}}},
	}
	paths := []string{"", "/", "/v5/orders", "/pay/x", "/pa", "/apis/pg/v1", "/ui/", "/ui", "/index.html", "/i", "x", "//", "/__mock/"}
	for i, apis := range sets {
		r := New(apis...)
		for _, p := range paths {
			if got, want := r.ForPath(p), walk(apis, def, p); got != want {
				t.Errorf("set %d, %q: %s, want %s", i, p, got.Name, want.Name)
			}
		}
	}
}
