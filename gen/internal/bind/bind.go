// Package bind is what the generated servers bind query parameters with, after
// gen/internal/queryonce rewrites them: one pass over the raw query shared by every parameter,
// and a direct assignment for the common case (a string or floating-point parameter given
// once, without escapes). Everything else, and every error, goes to oapi-codegen's own
// runtime.BindQueryParameterWithOptions with the query parsed as net/url parses it, so what is
// bound and what is refused are exactly the runtime's.
package bind

import (
	"net/url"
	"reflect"
	"strconv"
	"strings"

	"github.com/oapi-codegen/runtime"
)

// Query is a raw query string, parsed into url.Values only if a parameter needs the runtime.
type Query struct {
	raw    string
	values url.Values
	parsed bool
}

// NewQuery wraps a request's RawQuery.
func NewQuery(raw string) Query { return Query{raw: raw} }

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

// lookup finds name's values in the raw query: the first one and how many there are. ok is
// false when the query cannot be read without the full parse (escaped names, ';').
func (q *Query) lookup(name string) (string, int, bool) {
	if strings.IndexByte(q.raw, ';') >= 0 {
		return "", 0, false
	}
	var first string
	n := 0
	for rest := q.raw; rest != ""; {
		var pair string
		pair, rest, _ = strings.Cut(rest, "&")
		if pair == "" {
			continue
		}
		k, v, _ := strings.Cut(pair, "=")
		if strings.ContainsAny(k, "%+") {
			return "", 0, false
		}
		if k != name {
			continue
		}
		if n == 0 {
			if strings.ContainsAny(v, "%+") {
				u, err := url.QueryUnescape(v)
				if err != nil {
					return "", 0, false // net/url drops the pair: the runtime says what that means
				}
				v = u
			}
			first = v
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
