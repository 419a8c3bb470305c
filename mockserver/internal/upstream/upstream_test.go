package upstream

import (
	"net/http"
	"net/http/httptest"
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
	if got := From(With(req.Context(), &res)); got.API != def || got.Tenant.Key != "shop" {
		t.Fatalf("context round trip: %+v", got)
	}
	held := &holder{up: res}
	if got := From(With(req.Context(), held)); got.Tenant.Key != "shop" || CarrierOf(With(req.Context(), held)) != Carrier(held) {
		t.Fatalf("a server's own carrier: %+v", got)
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
