package mockserver

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestStaticRoutesRouteAsTheMux: every request reaches the handler the ServeMux would give it,
// with the pattern it would set, the second time (from memory) as the first; the memory holds
// only literal patterns, whatever paths arrive.
func TestStaticRoutesRouteAsTheMux(t *testing.T) {
	mux := http.NewServeMux()
	seen := ""
	for _, p := range []string{"GET /v4/products/price", "POST /v5/orders", "GET /v5/orders/{id}", "/__mock/", "GET /__mock/{$}", "/plain", "/"} {
		mux.HandleFunc(p, func(w http.ResponseWriter, r *http.Request) { seen = p + " | " + r.Pattern + " | " + r.PathValue("id") })
	}
	routes := newStaticRoutes(mux)
	requests := []struct{ method, target string }{
		{"GET", "/v4/products/price"}, {"HEAD", "/v4/products/price"}, {"POST", "/v4/products/price"},
		{"GET", "/v4/products/price/"}, {"GET", "/v4/products//price"}, {"GET", "/v4/products/./price"},
		{"GET", "/v4/products%2Fprice"}, {"GET", "/v4/products/pr%69ce"}, {"POST", "/v5/orders"}, {"GET", "/v5/orders"},
		{"GET", "/v5/orders/42"}, {"GET", "/__mock/"}, {"GET", "/__mock/x"}, {"DELETE", "/plain"}, {"GET", "/plain/"},
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
	for i := range 1000 {
		answer(routes, "GET", fmt.Sprintf("/v5/orders/%d", i))
		answer(routes, "GET", fmt.Sprintf("/random/%d", i))
	}
	// Literal: price (GET, HEAD), orders (POST), /plain (DELETE).
	if len(routes.known) != 4 {
		t.Errorf("%d routes remembered, want 4: %v", len(routes.known), routes.known)
	}
}
