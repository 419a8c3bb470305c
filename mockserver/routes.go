package mockserver

import (
	"net/http"
	"strings"
	"sync"
)

// staticRoutes puts a memory of literal routes in front of a ServeMux. Most calls go to paths
// without wildcards (/v4/products/price, /v5/orders, /v5/orders/validations), and for those
// the mux's answer (handler and pattern) depends only on the method and the path; remembered,
// it spares the mux's per-request work (path cleaning, escaping, the tree walk). A route is
// remembered only when the mux matched it by a pattern without wildcards that is exactly the
// request's path (unescaped as it arrived), so the memory holds at most the mux's literal
// patterns, once per method. Everything else goes to the mux as before.
type staticRoutes struct {
	mux   *http.ServeMux
	mu    sync.RWMutex
	known map[routeKey]staticRoute
}

type routeKey struct{ method, path string }

type staticRoute struct {
	h       http.Handler
	pattern string
}

func newStaticRoutes(mux *http.ServeMux) *staticRoutes {
	return &staticRoutes{mux: mux, known: map[routeKey]staticRoute{}}
}

func (s *staticRoutes) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	plain := r.URL.RawPath == "" // an escaped path is matched by its escaped segments: the mux decides
	if plain {
		s.mu.RLock()
		rt, ok := s.known[routeKey{r.Method, r.URL.Path}]
		s.mu.RUnlock()
		if ok {
			r.Pattern = rt.pattern // what the mux sets, and what validation routes by
			rt.h.ServeHTTP(w, r)
			return
		}
	}
	s.mux.ServeHTTP(w, r) // sets r.Pattern to the pattern it matched
	if plain && literal(r.Pattern, r.URL.Path) {
		if h, pattern := s.mux.Handler(r); pattern == r.Pattern { // once per literal route
			s.mu.Lock()
			s.known[routeKey{r.Method, r.URL.Path}] = staticRoute{h, pattern}
			s.mu.Unlock()
		}
	}
}

// literal reports whether a pattern the mux matched is a plain path (no host, no wildcard, not
// a subtree) equal to path.
func literal(pattern, path string) bool {
	if i := strings.IndexByte(pattern, ' '); i >= 0 {
		pattern = pattern[i+1:]
	}
	return pattern == path && strings.HasPrefix(path, "/") && !strings.HasSuffix(path, "/") && !strings.Contains(path, "{")
}
