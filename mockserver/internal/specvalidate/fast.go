package specvalidate

import (
	"net/http"
	"net/url"
	"unsafe"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/routers"

	"github.com/cryptomock/cryptomock/gen/bind"
	"github.com/cryptomock/cryptomock/mockserver/internal/reqbody"
)

// fastOp is an operation compiled for the fast path (compile.go says what that is).
type fastOp struct {
	query, header, path []param
	body                *node // nil: the operation takes no body
	bodyRequired        bool
}

// param is one compiled parameter.
type param struct {
	name     string // canonical for a header
	required bool
	n        *node
}

// maxQueryParams bounds an operation's query parameters on the fast path (found in one pass,
// kept on the stack).
const maxQueryParams = 16

// compileOp compiles rt's parameters and JSON body, or reports false.
func (c *compiler) compileOp(rt *routers.Route) (*fastOp, bool) {
	op := &fastOp{}
	params := map[string]*openapi3.Parameter{} // the operation's own override the path item's
	for _, list := range []openapi3.Parameters{rt.PathItem.Parameters, rt.Operation.Parameters} {
		for _, p := range list {
			if p.Value == nil {
				return nil, false
			}
			params[p.Value.In+" "+p.Value.Name] = p.Value
		}
	}
	for _, p := range params {
		if p.Schema == nil || len(p.Content) > 0 || p.AllowEmptyValue || p.Style != "" || p.Explode != nil {
			return nil, false
		}
		n, ok := c.compile(p.Schema)
		if !ok || n.types&^tNull == 0 || n.types&(tArray|tObject|tNull) != 0 || n.types == tAny || len(n.allOf)+len(n.oneOf) > 0 {
			return nil, false // primitives of one declared kind only
		}
		fp := param{name: p.Name, required: p.Required, n: n}
		switch p.In {
		case openapi3.ParameterInQuery:
			op.query = append(op.query, fp)
		case openapi3.ParameterInHeader:
			fp.name = http.CanonicalHeaderKey(p.Name)
			op.header = append(op.header, fp)
		case openapi3.ParameterInPath:
			op.path = append(op.path, fp)
		default:
			return nil, false
		}
	}
	if len(op.query) > maxQueryParams {
		return nil, false
	}
	if rb := rt.Operation.RequestBody; rb != nil {
		if rb.Value == nil || len(rb.Value.Content) != 1 {
			return nil, false
		}
		mt := rb.Value.Content.Get("application/json")
		if mt == nil || mt.Schema == nil {
			return nil, false
		}
		n, ok := c.compile(mt.Schema)
		if !ok {
			return nil, false
		}
		op.body, op.bodyRequired = n, rb.Value.Required
	}
	return op, true
}

// accepts reports whether r is valid for the operation; false means "let kin-openapi decide".
func (op *fastOp) accepts(r *http.Request) bool {
	for _, p := range op.path {
		if !p.accepts(r.PathValue(p.name), true) {
			return false
		}
	}
	for _, p := range op.header {
		v := r.Header[p.name]
		if len(v) > 1 || !p.accepts(first(v), len(v) == 1) {
			return false
		}
	}
	if !op.queryAccepts(r.URL.RawQuery) {
		return false
	}
	if op.body == nil {
		return true
	}
	if ct := r.Header["Content-Type"]; len(ct) != 1 || ct[0] != "application/json" {
		return false // kin-openapi's media type matching covers the rest
	}
	body, err := reqbody.Read(r)
	if err != nil || len(body) == 0 {
		return false
	}
	// The body is only read here, and reqbody never changes the bytes it has handed out.
	return accepts(op.body, unsafe.String(unsafe.SliceData(body), len(body)))
}

func first(v []string) string {
	if len(v) == 0 {
		return ""
	}
	return v[0]
}

// accepts checks one parameter value; an empty one is left to kin-openapi (allowEmptyValue).
func (p param) accepts(v string, found bool) bool {
	if !found {
		return !p.required
	}
	if v == "" {
		return false
	}
	switch n := p.n; {
	case n.types&tString != 0:
		return n.string(v)
	case n.types&tBool != 0:
		return (v == "true" || v == "false") && n.enum == nil
	default: // integer or number: JSON's grammar (no leading zeros, which kin-openapi would read as octal)
		s := scanner{b: v}
		return s.number(n) && s.i == len(v)
	}
}

// queryAccepts finds the operation's query parameters in one pass over the raw query.
func (op *fastOp) queryAccepts(raw string) bool {
	if len(op.query) == 0 {
		return true
	}
	var vals [maxQueryParams]string
	var seen [maxQueryParams]uint8
	for p := range bind.Pairs(raw) {
		if p.Semicolon {
			return false // net/url drops such pairs
		}
		k, v, ok := p.Key, p.Value, true
		if p.KeyEscaped {
			if k, ok = unescape(k); !ok {
				return false
			}
		}
		for i, q := range op.query {
			if q.name == k {
				if p.ValueEscaped {
					if v, ok = unescape(v); !ok {
						return false
					}
				}
				if seen[i] > 0 {
					return false // a repeated parameter: kin-openapi reads the first
				}
				vals[i], seen[i] = v, 1
				break
			}
		}
	}
	for i, p := range op.query {
		if !p.accepts(vals[i], seen[i] > 0) {
			return false
		}
	}
	return true
}

// unescape decodes a query component bind.Pairs marked as escaped.
func unescape(s string) (string, bool) {
	u, err := url.QueryUnescape(s)
	return u, err == nil
}
