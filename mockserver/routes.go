package mockserver

import (
	"net/http"
	"path"
	"strings"
	"sync"
	"sync/atomic"
)

// routeMemo puts a memory of routes in front of a ServeMux. For a clean, unescaped path the
// mux's answer (handler, pattern, wildcard values) depends only on the method and the path;
// remembered, it spares the mux's per-request work (path cleaning, escaping, the tree walk).
//
// A route is learned from what the mux has just done: the pattern it set on the request, and
// the values it gave the pattern's wildcards. Patterns without wildcards (price, brands,
// order creation and validation) are few, and every one is kept; paths that filled a wildcard
// (a country's products, an order's id) are kept up to maxWildcardRoutes, and after that only
// answered by the mux. Escaped or unclean paths, subtrees ("/x/", "{name...}"), redirects and
// 405s always go to the mux.
type routeMemo struct {
	mux       *http.ServeMux
	mu        sync.RWMutex
	known     map[routeKey]route
	wildcards int         // entries of known that fill a wildcard
	full      atomic.Bool // wildcards has reached maxWildcardRoutes
}

// maxWildcardRoutes and maxRoutePath bound what the memory keeps of paths with wildcards.
const (
	maxWildcardRoutes = 1024
	maxRoutePath      = 256
)

type routeKey struct{ method, path string }

type route struct {
	h       http.Handler
	pattern string
	values  [][2]string // wildcard name, value
}

func newRouteMemo(mux *http.ServeMux) *routeMemo {
	return &routeMemo{mux: mux, known: map[routeKey]route{}}
}

func (m *routeMemo) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	plain := r.URL.RawPath == "" // an escaped path is matched by its escaped segments: the mux decides
	if plain {
		m.mu.RLock()
		rt, ok := m.known[routeKey{r.Method, r.URL.Path}]
		m.mu.RUnlock()
		if ok {
			r.Pattern = rt.pattern // what the mux sets, and what validation routes by
			for _, v := range rt.values {
				r.SetPathValue(v[0], v[1])
			}
			rt.h.ServeHTTP(w, r)
			return
		}
	}
	m.mux.ServeHTTP(w, r) // sets r.Pattern and the wildcards' values
	if plain {
		m.learn(r)
	}
}

// learn remembers the route the mux has just taken for r, when it may. A wildcard path the
// memory has no room for returns at once: past the bound (a load test's order ids), every such
// request would otherwise parse the pattern and ask the mux a second time for nothing.
func (m *routeMemo) learn(r *http.Request) {
	p := r.URL.Path
	if strings.IndexByte(r.Pattern, '{') >= 0 && (len(p) > maxRoutePath || m.full.Load()) {
		return
	}
	values, ok := wildcards(r.Pattern, p)
	if !ok || path.Clean(p) != p {
		return
	}
	for i, v := range values {
		values[i][1] = r.PathValue(v[0])
	}
	h, pattern := m.mux.Handler(r)
	if pattern != r.Pattern {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	key := routeKey{r.Method, p}
	if _, ok := m.known[key]; ok || len(values) > 0 && m.wildcards >= maxWildcardRoutes {
		return
	}
	if len(values) > 0 {
		m.wildcards++
		m.full.Store(m.wildcards >= maxWildcardRoutes)
	}
	key.path = strings.Clone(p) // not a piece of the request line
	m.known[key] = route{h, pattern, values}
}

// wildcards returns the names of a pattern's single-segment wildcards, and whether the
// pattern may be remembered at all: no host, not a subtree, and, without wildcards, exactly
// the path.
func wildcards(pattern, p string) ([][2]string, bool) {
	if i := strings.IndexByte(pattern, ' '); i >= 0 {
		pattern = pattern[i+1:]
	}
	if !strings.HasPrefix(pattern, "/") || strings.HasSuffix(pattern, "/") || strings.Contains(pattern, "...}") || strings.Contains(pattern, "{$}") {
		return nil, false
	}
	var names [][2]string
	for seg := range strings.SplitSeq(pattern[1:], "/") {
		if strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "}") {
			names = append(names, [2]string{seg[1 : len(seg)-1], ""})
		} else if strings.ContainsAny(seg, "{}") {
			return nil, false
		}
	}
	return names, len(names) > 0 || pattern == p
}
