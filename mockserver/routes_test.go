package mockserver

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestRouteMemoRoutesAsTheMux: every request reaches the handler the ServeMux would give it,
// with the pattern and wildcard values it would set, the second time (from memory) as the
// first; the memory keeps every literal route and a bounded number of wildcard paths.
func TestRouteMemoRoutesAsTheMux(t *testing.T) {
	mux := http.NewServeMux()
	seen := ""
	for _, p := range []string{"GET /v4/products/price", "POST /v5/orders", "GET /v5/orders/{id}", "/__mock/", "GET /__mock/{$}", "/plain", "/"} {
		mux.HandleFunc(p, func(w http.ResponseWriter, r *http.Request) { seen = p + " | " + r.Pattern + " | " + r.PathValue("id") })
	}
	routes := newRouteMemo(mux)
	requests := []struct{ method, target string }{
		{"GET", "/v4/products/price"}, {"HEAD", "/v4/products/price"}, {"POST", "/v4/products/price"},
		{"GET", "/v4/products/price/"}, {"GET", "/v4/products//price"}, {"GET", "/v4/products/./price"},
		{"GET", "/v4/products%2Fprice"}, {"GET", "/v4/products/pr%69ce"}, {"POST", "/v5/orders"}, {"GET", "/v5/orders"},
		{"GET", "/v5/orders/42"}, {"GET", "/v5/orders/43"}, {"GET", "/v5/orders/4%32"}, {"GET", "/v5/orders/42/"}, {"GET", "/v5/orders//42?x=1"}, {"GET", "/v5/orders//42?x=2"}, {"GET", "/v4/products//price?a=1"}, {"GET", "/v4/products//price?a=2"}, {"GET", "/__mock/"}, {"GET", "/__mock/x"}, {"DELETE", "/plain"}, {"GET", "/plain/"},
		{"GET", "/"}, {"GET", "/nowhere"},
	}
	answer := func(h http.Handler, method, target string) string {
		seen = ""
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(method, target, nil))
		return fmt.Sprintf("%d %s %s", w.Code, w.Header().Get("Location"), seen)
	}
	for round := range 2 {
		for _, rq := range requests {
			if got, want := answer(routes, rq.method, rq.target), answer(mux, rq.method, rq.target); got != want {
				t.Errorf("round %d, %s %s: %q, the mux %q", round, rq.method, rq.target, got, want)
			}
		}
	}
	for i := range 2 * maxWildcardRoutes {
		id := fmt.Sprint(i)
		if got := answer(routes, "GET", "/v5/orders/"+id); got != "200  GET /v5/orders/{id} | GET /v5/orders/{id} | "+id {
			t.Fatalf("order %s: %q", id, got)
		}
		answer(routes, "GET", "/random/"+id)
	}
	// Literal: price (GET, HEAD), orders (POST), /plain (DELETE); and as many orders as allowed.
	if len(routes.known) != 4+maxWildcardRoutes || routes.wildcards != maxWildcardRoutes || !routes.full.Load() {
		t.Errorf("%d routes remembered (%d with wildcards), want %d", len(routes.known), routes.wildcards, 4+maxWildcardRoutes)
	}
}
