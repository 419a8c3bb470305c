// Package bind is what the generated servers bind parameters with, after
// gen/internal/rebind rewrites them: one pass over the raw query shared by every parameter,
// and a direct assignment for the common cases (a string or floating-point query parameter
// given once without escapes; a string header or path value). Everything else, and every
// error, goes to oapi-codegen's own runtime functions (with the query parsed as net/url parses
// it), so what is bound and what is refused are exactly the runtime's.
package bind

import (
	"encoding"
	"iter"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"unsafe"

	"github.com/oapi-codegen/runtime"
)

// maxPairs is how many key=value pairs a Query splits by itself; a longer query is parsed by
// net/url. The specs' operations take at most six query parameters; a Query is copied and
// zeroed on every request, so it stays small.
const maxPairs = 8

// Pair is one key=value of a raw query as it stands, escapes not decoded.
type Pair struct {
	Key, Value string
	// KeyEscaped and ValueEscaped: the key or the value holds '%' or '+', which unescaping
	// changes (or refuses). Semicolon: the pair holds ';', and net/url drops such pairs.
	KeyEscaped, ValueEscaped, Semicolon bool
}

// Pairs yields the pairs of a raw query in order: each split where strings.Cut would split
// it (at '&', then at the first '='), marked as it stands. The whole query is looked at once
// for the bytes that mark a pair; most queries have none, and their pairs are then only cut.
// The validator and the binders read queries with it.
func Pairs(raw string) iter.Seq[Pair] {
	return func(yield func(Pair) bool) {
		plain := marks(raw) == 0
		for raw != "" {
			var p Pair
			pair := raw
			if end := strings.IndexByte(raw, '&'); end >= 0 {
				pair, raw = raw[:end], raw[end+1:]
			} else {
				raw = ""
			}
			p.Key = pair
			if eq := strings.IndexByte(pair, '='); eq >= 0 {
				p.Key, p.Value = pair[:eq], pair[eq+1:]
			}
			if !plain {
				k, v := marks(p.Key), marks(p.Value)
				p.KeyEscaped, p.ValueEscaped, p.Semicolon = k&escapes != 0, v&escapes != 0, (k|v)&semicolon != 0
			}
			if !yield(p) {
				return
			}
		}
	}
}

// What marks finds in a query component.
const (
	escapes   = 1 // '%' or '+': unescaping changes (or refuses) the component
	semicolon = 2 // net/url drops a pair holding ';'
)

// marks tells which of the bytes that mark a pair s holds: three vectorised scans, cheaper
// than one pass looking at every byte for three values.
func marks(s string) uint8 {
	var m uint8
	if strings.IndexByte(s, '%') >= 0 || strings.IndexByte(s, '+') >= 0 {
		m |= escapes
	}
	if strings.IndexByte(s, ';') >= 0 {
		m |= semicolon
	}
	return m
}

// Query is a raw query string, split once into its pairs, and parsed into url.Values only if
// a parameter needs the runtime.
type Query struct {
	raw     string
	pairs   [maxPairs][2]string // key, value as they stand
	escaped uint8               // bit i: pair i's value needs unescaping
	n       int
	split   bool // pairs hold the whole query, every key free of escapes
	values  url.Values
	parsed  bool
}

// NewQuery wraps a request's RawQuery.
func NewQuery(raw string) Query {
	q := Query{raw: raw, split: true}
	for p := range Pairs(raw) {
		if q.n == maxPairs || p.KeyEscaped || p.Semicolon {
			q.split = false // net/url decides: escaped names, ';' (a dropped pair), many pairs
			break
		}
		if p.Key != "" { // no parameter has an empty name
			q.pairs[q.n] = [2]string{p.Key, p.Value}
			if p.ValueEscaped {
				q.escaped |= 1 << q.n
			}
			q.n++
		}
	}
	return q
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
func QueryParameter[T any](style string, explode, required bool, name string, q *Query, dest *T, opts runtime.BindQueryParameterOptions) error {
	if style == "form" && explode && !q.parsed {
		if v, n, ok := q.lookup(name); ok {
			if kind, pointer, ok := direct(dest, required); ok {
				switch {
				case n == 0: // the runtime's answer for an absent primitive
					if required {
						return &runtime.RequiredParameterError{ParamName: name}
					}
					return nil
				case n == 1 && set(dest, kind, pointer, v, opts):
					return nil
				}
			}
		}
	}
	tmp := new(T) // the runtime gets a copy: the caller's parameters stay on its stack
	*tmp = *dest
	err := runtime.BindQueryParameterWithOptions(style, explode, required, name, q.Values(), tmp, opts)
	*dest = *tmp
	return err
}

// lookup finds name's values: the first one and how many there are. ok is false when the
// query was not split (see NewQuery).
func (q *Query) lookup(name string) (string, int, bool) {
	if !q.split {
		return "", 0, false
	}
	var first string
	n := 0
	for i := range q.pairs[:q.n] {
		p := &q.pairs[i]
		if p[0] != name {
			continue
		}
		if n == 0 {
			first = p[1]
			if q.escaped&(1<<i) != 0 {
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

// direct reports whether a destination of type T is set here, and how: T (or, for an optional
// parameter, what T points to) is of string or float64 kind and does not bind itself (the
// runtime consults runtime.Binder before anything else).
func direct[T any](dest *T, required bool) (k reflect.Kind, pointer, ok bool) {
	t := reflect.TypeFor[T]()
	var self any = dest
	if pointer = !required && t.Kind() == reflect.Pointer; pointer {
		t = t.Elem()
		var zero T
		self = zero // a nil *E: the method set of *E
	}
	if k = t.Kind(); k != reflect.String && k != reflect.Float64 {
		return 0, false, false
	}
	if _, binds := self.(runtime.Binder); binds {
		return 0, false, false
	}
	return k, pointer, true
}

// set assigns one value found in the query; false leaves it to the runtime (and its errors).
// direct has checked T's kind: its memory is a string's or a float64's (or a pointer to one),
// so it is written as one.
func set[T any](dest *T, kind reflect.Kind, pointer bool, v string, opts runtime.BindQueryParameterOptions) bool {
	if v == "" || opts.Format != "" && !(kind == reflect.Float64 && opts.Format == "double") {
		return false
	}
	switch kind {
	case reflect.String:
		if pointer {
			*(**string)(unsafe.Pointer(dest)) = new(v) // only here does the value move to the heap
		} else {
			*(*string)(unsafe.Pointer(dest)) = v
		}
	case reflect.Float64:
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return false
		}
		if pointer {
			*(**float64)(unsafe.Pointer(dest)) = new(f)
		} else {
			*(*float64)(unsafe.Pointer(dest)) = f
		}
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
	if style == "simple" && value != "" && asIs && opts.Format == "" {
		if _, text := any(dest).(encoding.TextUnmarshaler); !text {
			if kind, _, ok := direct(dest, true); ok && kind == reflect.String {
				*(*string)(unsafe.Pointer(dest)) = value
				return nil
			}
		}
	}
	tmp := new(T)
	*tmp = *dest
	err := runtime.BindStyledParameterWithOptions(style, name, value, tmp, opts)
	*dest = *tmp
	return err
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
