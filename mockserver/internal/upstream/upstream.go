// Package upstream is the registry of the APIs the mock serves: each has one definition (its
// name, spec, base paths, how a request's tenant is read, how its errors look, how it mounts),
// and the server is built by looping over them. Adding an API or a flavour of one is one
// definition in the package that owns it and one line where the registry is built.
package upstream

import (
	"context"
	"net/http"
	"strings"
)

// Tenant is who a request belongs to.
type Tenant struct {
	// Kind and ID name the tenant's clock (package tenant): Kind+ID, joined only where the
	// clock is read; both "" for the global clock.
	Kind, ID string
	Label    string // how the journal and the log name it: never a secret
	Key      string // what faults and armed problems match on (the partner id; Payscrypt's apikey)
}

// MountOptions is what every generated router takes.
type MountOptions struct {
	Mux *http.ServeMux
	// Gate runs for every routed operation, after its parameters are bound: faults, then
	// validation against the spec; false when it has answered the request itself.
	Gate          func(http.ResponseWriter, *http.Request) bool
	BadRequest    func(http.ResponseWriter, *http.Request, error) // binding and decoding errors
	InternalError func(http.ResponseWriter, *http.Request, error) // a handler's own failure
}

// GateMiddleware is the Gate as a middleware, for an API whose own middlewares must run after
// it: next runs when the gate lets the request on.
func (o MountOptions) GateMiddleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if o.Gate(w, r) {
			next.ServeHTTP(w, r)
		}
	})
}

// API is one API the mock serves.
type API struct {
	Name     string
	Spec     string   // the embedded spec (openapi.Cryptorefills, ...)
	Prefixes []string // path prefixes it owns; the API with none owns every other path
	Paths    []string // exact paths it owns besides
	Control  bool     // the mock's own control API: not journaled, guarded from browsers
	// Pages: it serves pages without data (the dashboard's shell): a browser may navigate to
	// them from any site, which lets it read nothing (framing is refused by the pages' headers).
	Pages bool
	// Tenant reads who a request belongs to; nil: nobody in particular.
	Tenant func(*http.Request) Tenant
	// Error answers a generic error (a status and a reason) in the API's own shape.
	Error func(w http.ResponseWriter, status int, reason string)
	// Invalid answers a request that breaks the spec (400), naming where ("body", "query" ...)
	// and which field when known; nil: Error with 400.
	Invalid func(w http.ResponseWriter, reason, in, field string)
	// Before, when set, adjusts a request before it is routed (e.g. default headers).
	Before func(*http.Request)
	Mount  func(MountOptions)
}

// Refuse answers a request that breaks the spec in the API's shape.
func (a *API) Refuse(w http.ResponseWriter, reason, in, field string) {
	if a.Invalid != nil {
		a.Invalid(w, reason, in, field)
		return
	}
	a.Error(w, http.StatusBadRequest, reason)
}

// Registry is every API the mock serves.
type Registry struct {
	apis []*API
	def  *API
	// claimed[c]: some API's path or prefix has c right after its leading '/'. Any other path
	// (every Cryptorefills path starts "/v") belongs to the default API without a comparison.
	claimed [256]bool
}

// New builds a registry; exactly one API should own no prefix (the default).
func New(apis ...*API) *Registry {
	r := &Registry{apis: apis}
	for _, a := range apis {
		if len(a.Prefixes) == 0 {
			r.def = a
		}
		for _, p := range a.Paths {
			if len(p) > 1 {
				r.claimed[p[1]] = true
			}
		}
		for _, p := range a.Prefixes {
			if len(p) > 1 {
				r.claimed[p[1]] = true
			} else { // "/" (or ""): every path
				for c := range r.claimed {
					r.claimed[c] = true
				}
			}
		}
	}
	return r
}

// All lists the APIs in the order given.
func (r *Registry) All() []*API { return r.apis }

// ForPath returns the API a path belongs to.
func (r *Registry) ForPath(path string) *API {
	if len(path) > 1 && path[0] == '/' && !r.claimed[path[1]] {
		return r.def
	}
	for _, a := range r.apis {
		for _, p := range a.Paths {
			if path == p {
				return a
			}
		}
	}
	for _, a := range r.apis {
		for _, p := range a.Prefixes {
			if strings.HasPrefix(path, p) {
				return a
			}
		}
	}
	return r.def
}

// Request is what the registry knows of a request, put into its context once.
type Request struct {
	API    *API
	Tenant Tenant
}

type ctxKey struct{}

// Resolve finds a request's API, lets it adjust the request (Before), then reads its tenant.
func (r *Registry) Resolve(req *http.Request) Request {
	a := r.ForPath(req.URL.Path)
	if a.Before != nil {
		a.Before(req)
	}
	out := Request{API: a}
	if a.Tenant != nil {
		out.Tenant = a.Tenant(req)
	}
	return out
}

// Context is a context carrying a Carrier, for a carrier to embed: With's value and the
// carrier are then one allocation, not two (the server makes one for every request).
type Context struct {
	context.Context
	c Carrier
}

// Carry makes x the context parent with c put in it (as context.WithValue would, under this
// package's key).
func (x *Context) Carry(parent context.Context, c Carrier) { x.Context, x.c = parent, c }

// Value answers for the carrier, and asks the parent for anything else.
func (x *Context) Value(key any) any {
	if key == any(ctxKey{}) {
		return x.c
	}
	return x.Context.Value(key)
}

// Carrier holds a resolved request, and whatever else its server keeps for the request (one
// context value for all: the server's record of the exchange, say).
type Carrier interface{ Upstream() *Request }

// From reads the resolved request from a context (the zero Request when none was put there).
func From(ctx context.Context) Request {
	if c := CarrierOf(ctx); c != nil {
		return *c.Upstream()
	}
	return Request{}
}

// CarrierOf returns the carrier a Context holds, or nil.
func CarrierOf(ctx context.Context) Carrier {
	c, _ := ctx.Value(ctxKey{}).(Carrier)
	return c
}
