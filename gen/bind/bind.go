// Package bind is what the generated servers bind parameters with, after
// gen/internal/rebind rewrites them: one pass over the raw query shared by every parameter,
// and a direct assignment for the common cases (a string or floating-point query parameter
// given once without escapes; a string header or path value). Everything else, and every
// error, goes to oapi-codegen's own runtime functions (with the query parsed as net/url parses
// it), so what is bound and what is refused are exactly the runtime's.
package bind

import (
	"encoding"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"sync"

	"github.com/oapi-codegen/runtime"
)

// maxPairs is how many key=value pairs a Query splits by itself; a longer query is parsed by
// net/url.
const maxPairs = 16

// Query is a raw query string, split once into its pairs, and parsed into url.Values only if
// a parameter needs the runtime.
type Query struct {
	raw    string
	pairs  [maxPairs][2]string // raw key, raw value
	n      int
	split  bool // pairs hold the whole query, every key free of escapes
	values url.Values
	parsed bool
}

// NewQuery wraps a request's RawQuery.
func NewQuery(raw string) Query {
	q := Query{raw: raw, split: true}
	for rest := raw; rest != "" && q.split; {
		var pair string
		pair, rest, _ = strings.Cut(rest, "&")
		if pair == "" {
			continue
		}
		k, v, _ := strings.Cut(pair, "=")
		if q.n == maxPairs || escaped(k) || strings.IndexByte(v, ';') >= 0 {
			q.split = false // net/url decides: escaped names, ';' (a dropped pair), many pairs
			break
		}
		q.pairs[q.n] = [2]string{k, v}
		q.n++
	}
	return q
}

// escaped reports whether a query component needs unescaping (or is refused by net/url).
func escaped(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c == '%' || c == '+' || c == ';' {
			return true
		}
	}
	return false
}

// Values is the query as r.URL.Query() returns it (parsed once).
func (q *Query) Values() url.Values {
	if !q.parsed {
		q.values, _ = url.ParseQuery(q.raw) // as URL.Query: malformed pairs are dropped
		q.parsed = true
	}
	return q.values
}

// QueryParameter binds like runtime.BindQueryParameterWithOptions(style, explode, required,
// name, r.URL.Query(), dest, opts).
func QueryParameter(style string, explode, required bool, name string, q *Query, dest any, opts runtime.BindQueryParameterOptions) error {
	if style == "form" && explode && !q.parsed {
		if v, n, ok := q.lookup(name); ok {
			if target, kind, ok := primitive(dest, required); ok {
				switch {
				case n == 0: // the runtime's answer for an absent primitive
					if required {
						return &runtime.RequiredParameterError{ParamName: name}
					}
					return nil
				case n == 1 && set(target, kind, v, opts):
					return nil
				}
			}
		}
	}
	return runtime.BindQueryParameterWithOptions(style, explode, required, name, q.Values(), dest, opts)
}

// lookup finds name's values: the first one and how many there are. ok is false when the
// query was not split (see NewQuery).
func (q *Query) lookup(name string) (string, int, bool) {
	if !q.split {
		return "", 0, false
	}
	var first string
	n := 0
	for _, p := range q.pairs[:q.n] {
		if p[0] != name {
			continue
		}
		if n == 0 {
			first = p[1]
			if escaped(first) {
				u, err := url.QueryUnescape(first)
				if err != nil {
					return "", 0, false // net/url drops the pair: the runtime says what that means
				}
				first = u
			}
		}
		n++
	}
	return first, n, true
}

// binder is the one interface the runtime consults before setting a string or float.
var binder = reflect.TypeFor[runtime.Binder]()

// primitive returns the value to set for dest (the pointer's element, or a new value behind
// an optional parameter's pointer) when it is a string or float kind that is not a
// runtime.Binder (which binds itself).
func primitive(dest any, required bool) (reflect.Value, reflect.Kind, bool) {
	pv := reflect.ValueOf(dest)
	if pv.Kind() != reflect.Pointer || pv.IsNil() {
		return reflect.Value{}, 0, false
	}
	v := pv.Elem()
	t := v.Type()
	if !required && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	k := t.Kind()
	if k != reflect.String && k != reflect.Float64 || reflect.PointerTo(t).Implements(binder) {
		return reflect.Value{}, 0, false
	}
	return v, k, true
}

// set assigns one value found in the query; false leaves it to the runtime (and its errors).
func set(target reflect.Value, kind reflect.Kind, v string, opts runtime.BindQueryParameterOptions) bool {
	if v == "" || opts.Format != "" && !(kind == reflect.Float64 && opts.Format == "double") {
		return false
	}
	elem := target
	if target.Kind() == reflect.Pointer {
		elem = reflect.New(target.Type().Elem()).Elem()
	}
	switch kind {
	case reflect.String:
		elem.SetString(v)
	case reflect.Float64:
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return false
		}
		elem.SetFloat(f)
	}
	if target.Kind() == reflect.Pointer {
		target.Set(elem.Addr())
	}
	return true
}

// StyledParameter binds like runtime.BindStyledParameterWithOptions. A header or path value
// bound to a string kind (not a TextUnmarshaler, not a Binder) that the runtime would take as
// it is, is set directly; everything else goes to the runtime, through a copy of *dest so that
// the caller's variable stays on its stack (the generated headers are plain string aliases).
func StyledParameter[T any](style, name, value string, dest *T, opts runtime.BindStyledParameterOptions) error {
	asIs := opts.ParamLocation == runtime.ParamLocationHeader ||
		opts.ParamLocation == runtime.ParamLocationPath && (opts.ValueIsUnescaped || strings.IndexByte(value, '%') < 0)
	direct := style == "simple" && value != "" && asIs && opts.Format == ""
	if p, ok := any(dest).(*string); ok && direct {
		*p = value
		return nil
	}
	tmp := new(T)
	*tmp = *dest
	err := styled(style, name, value, tmp, direct, opts)
	*dest = *tmp
	return err
}

func styled(style, name, value string, dest any, direct bool, opts runtime.BindStyledParameterOptions) error {
	if direct {
		if _, ok := dest.(encoding.TextUnmarshaler); !ok {
			if target, kind, ok := primitive(dest, true); ok && kind == reflect.String {
				target.SetString(value)
				return nil
			}
		}
	}
	return runtime.BindStyledParameterWithOptions(style, name, value, dest, opts)
}

// decoders holds the request-body decoders registered with RegisterJSONBody, by type.
var decoders sync.Map // reflect.Type -> func([]byte, *T) bool

// RegisterJSONBody gives JSONBody a decoder for bodies of type T. It must decode exactly as
// encoding/json would, or report false (then encoding/json decodes); its package holds it to
// that with a differential test.
func RegisterJSONBody[T any](decode func(body []byte, dest *T) bool) {
	decoders.Store(reflect.TypeFor[T](), decode)
}

// JSONBody binds like runtime.BindJSONBody. A body already read whole (a body that says so
// through Unread, as the mock's reqbody does) of a type with a registered decoder is decoded
// by it; anything else, and whatever it declines, by the runtime.
func JSONBody[T any](r *http.Request, dest *T) error {
	if f, ok := decoders.Load(reflect.TypeFor[T]()); ok {
		if u, ok := r.Body.(interface{ Unread() ([]byte, bool) }); ok {
			if b, whole := u.Unread(); whole && f.(func([]byte, *T) bool)(b, dest) {
				return nil
			}
			var zero T
			*dest = zero // what the decoder may have set is not kept
		}
	}
	return runtime.BindJSONBody(r, dest)
}
