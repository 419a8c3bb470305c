// Package specvalidate validates incoming requests against an OpenAPI document with
// kin-openapi's openapi3filter, and explains each failure in words a developer can act on.
// Routing is done once, by net/http's ServeMux: the matched pattern (Request.Pattern) names
// the operation, so no second router runs.
package specvalidate

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
)

// Validator knows the operations of one document.
type Validator struct {
	routes  map[string]*Op // "GET /v5/orders/{orderId}"
	headers map[*routers.Route][]string
	options *openapi3filter.Options

	// memo remembers body-less requests that validated, keyed on everything validation reads
	// for them (path, query, the operation's header parameters): the same input validates the
	// same way, so it need not be checked twice. Bounded: keys longer than memoKeyMax are
	// never kept, and past memoMax entries or memoMaxBytes bytes nothing more is kept.
	memo      sync.Map
	memoSize  atomic.Int64
	memoBytes atomic.Int64
}

const (
	memoMax      = 8192
	memoKeyMax   = 512
	memoMaxBytes = 2 << 20
)

// New indexes the operations of doc by method and path. doc becomes the validator's own: its
// long string enums are rewritten into set lookups (enumset.go), so pass a copy nothing else
// reads.
func New(doc *openapi3.T) *Validator {
	formats := enumSets(doc)
	c := &compiler{formats: formats, done: map[*openapi3.Schema]*node{}}
	v := &Validator{
		routes:  map[string]*Op{},
		headers: map[*routers.Route][]string{},
		options: &openapi3filter.Options{
			AuthenticationFunc:      openapi3filter.NoopAuthenticationFunc, // credentials are the handlers' business
			KeepValidatedValue:      true,                                  // the decoded body, for checkKeyCase
			SchemaValidationOptions: []openapi3.SchemaValidationOption{openapi3.WithStringFormatValidators(formats)},
		},
	}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			rt := &routers.Route{Spec: doc, Path: path, PathItem: item, Method: method, Operation: op}
			o := &Op{id: op.OperationID, route: rt}
			if f, ok := c.compileOp(rt); ok {
				o.fast = f // compiled for the fast path (compile.go)
			}
			v.routes[method+" "+path] = o
			for _, p := range append(append(openapi3.Parameters{}, item.Parameters...), op.Parameters...) {
				if p.Value.In == openapi3.ParameterInHeader {
					v.headers[rt] = append(v.headers[rt], http.CanonicalHeaderKey(p.Value.Name)) // once, not per request
				}
			}
		}
	}
	return v
}

// Op is an operation of the document, as Route finds it for a request.
type Op struct {
	id    string // the operationId
	route *routers.Route
	fast  *fastOp // nil: kin-openapi validates every request
}

// ID is the operation's operationId ("" for no operation).
func (o *Op) ID() string {
	if o == nil {
		return ""
	}
	return o.id
}

// Route returns the operation a request was routed to (nil when none), from its pattern.
func (v *Validator) Route(r *http.Request) *Op {
	if o, ok := v.routes[r.Pattern]; ok {
		return o
	}
	// Patterns registered for GET also serve HEAD.
	method, path, _ := strings.Cut(r.Pattern, " ")
	if method == http.MethodHead {
		return v.routes[http.MethodGet+" "+path]
	}
	return nil
}

// Validate checks a request against the operation Route found for it. The body, if read, is
// restored. The fast path accepts what it can (compile.go); kin-openapi validates and
// explains the rest.
func (v *Validator) Validate(ctx context.Context, o *Op, r *http.Request) error {
	if o == nil {
		return fmt.Errorf("no operation for %q", r.Pattern)
	}
	if o.fast != nil && o.fast.accepts(r) {
		return nil
	}
	return v.slow(ctx, o.route, r)
}

// slow validates with kin-openapi (and the case-variant keys rule).
func (v *Validator) slow(ctx context.Context, rt *routers.Route, r *http.Request) error {
	var key string
	if r.ContentLength == 0 && (r.Method == http.MethodGet || r.Method == http.MethodHead) {
		if key = v.memoKey(rt, r); len(key) > memoKeyMax {
			key = "" // never kept, so never looked up
		} else if _, ok := v.memo.Load(key); ok {
			return nil
		}
	}
	params := map[string]string{}
	for _, p := range rt.Operation.Parameters {
		if p.Value.In == openapi3.ParameterInPath {
			params[p.Value.Name] = r.PathValue(p.Value.Name)
		}
	}
	for _, p := range rt.PathItem.Parameters {
		if p.Value.In == openapi3.ParameterInPath {
			params[p.Value.Name] = r.PathValue(p.Value.Name)
		}
	}
	err := openapi3filter.ValidateRequest(ctx, &openapi3filter.RequestValidationInput{
		Request: r, PathParams: params, Route: rt, Options: v.options,
	})
	if err == nil {
		err = checkKeyCase(rt, r)
	}
	if err == nil && key != "" && v.memoSize.Load() < memoMax && v.memoBytes.Load() < memoMaxBytes {
		if _, loaded := v.memo.LoadOrStore(key, struct{}{}); !loaded {
			v.memoSize.Add(1)
			v.memoBytes.Add(int64(len(key)) + 64)
		}
	}
	return err
}

// ErrKeyCase is returned for a body key that matches a declared property only when case is
// ignored. The schema lets unknown keys through, but Go's decoder would match such a key to
// the property anyway, so the handler would act on a value validation never saw.
var ErrKeyCase = errors.New("body key differs from a declared property only in case")

// keyCaseError names the key and the property it resembles.
type keyCaseError struct{ ptr, key, want string }

func (e *keyCaseError) Error() string {
	return fmt.Sprintf("request body %s: unknown field %q; did you mean %q? (field names are case-sensitive)", e.ptr, e.key, e.want)
}

func (e *keyCaseError) Unwrap() error { return ErrKeyCase }

// checkKeyCase walks the body that validation decoded (KeepValidatedValue) along its schema.
func checkKeyCase(rt *routers.Route, r *http.Request) error {
	body, ok := r.Body.(interface{ ValidatedValue() any })
	if !ok || rt.Operation.RequestBody == nil {
		return nil
	}
	mt := rt.Operation.RequestBody.Value.Content.Get("application/json")
	if mt == nil || mt.Schema == nil {
		return nil
	}
	return keyCase(mt.Schema.Value, body.ValidatedValue(), "")
}

func keyCase(schema *openapi3.Schema, v any, ptr string) error {
	if schema == nil {
		return nil
	}
	switch x := v.(type) {
	case map[string]any:
		for k, val := range x {
			if p, ok := schema.Properties[k]; ok {
				if err := keyCase(p.Value, val, ptr+"/"+k); err != nil {
					return err
				}
				continue
			}
			for name := range schema.Properties {
				if strings.EqualFold(name, k) {
					return &keyCaseError{ptr: ptr + "/" + k, key: k, want: name}
				}
			}
		}
	case []any:
		if schema.Items != nil {
			for i, item := range x {
				if err := keyCase(schema.Items.Value, item, fmt.Sprintf("%s/%d", ptr, i)); err != nil {
					return err
				}
			}
		}
	}
	for _, sub := range schema.AllOf {
		if err := keyCase(sub.Value, v, ptr); err != nil {
			return err
		}
	}
	return nil
}

func (v *Validator) memoKey(rt *routers.Route, r *http.Request) string {
	var b strings.Builder
	b.WriteString(r.Method)
	b.WriteByte(0)
	b.WriteString(r.URL.Path)
	b.WriteByte(0)
	b.WriteString(r.URL.RawQuery)
	for _, h := range v.headers[rt] { // canonical names: index the header map directly
		b.WriteByte(0)
		vals := r.Header[h]
		for i, val := range vals {
			if i > 0 {
				b.WriteByte(1)
			}
			b.WriteString(val)
		}
		if len(vals) == 0 {
			b.WriteByte(2) // absent differs from empty
		}
	}
	return b.String()
}

// Problem is a validation failure explained.
type Problem struct {
	Reason string // a sentence for a developer
	In     string // "header", "query", "path", "body"
	Field  string // parameter name, or JSON pointer into the body
}

// Explain turns a validation error into a Problem.
func Explain(err error) Problem {
	var kc *keyCaseError
	if errors.As(err, &kc) {
		return Problem{In: "body", Field: kc.ptr, Reason: kc.Error()}
	}
	var re *openapi3filter.RequestError
	if !errors.As(err, &re) {
		return Problem{Reason: err.Error()}
	}
	if p := re.Parameter; p != nil {
		where := p.In + " parameter " + p.Name
		if p.In == openapi3.ParameterInHeader {
			where = "header " + p.Name
		}
		prob := Problem{In: p.In, Field: p.Name}
		switch {
		case errors.Is(re.Err, openapi3filter.ErrInvalidRequired):
			prob.Reason = where + " is required"
			if p.Description != "" {
				prob.Reason += " (" + firstSentence(p.Description) + ")"
			}
		case errors.Is(re.Err, openapi3filter.ErrInvalidEmptyValue):
			prob.Reason = where + " must not be empty"
		default:
			prob.Reason = where + ": " + cause(re.Err)
		}
		return prob
	}
	if re.RequestBody != nil || re.Err != nil {
		var se *openapi3.SchemaError
		if errors.As(re.Err, &se) {
			ptr := "/" + strings.Join(se.JSONPointer(), "/")
			return Problem{In: "body", Field: ptr, Reason: "request body " + ptr + ": " + schemaReason(se)}
		}
		if errors.Is(re.Err, openapi3filter.ErrInvalidRequired) {
			return Problem{In: "body", Reason: "a JSON request body is required"}
		}
		var pe *openapi3filter.ParseError
		if errors.As(re.Err, &pe) {
			return Problem{In: "body", Reason: "request body is not valid JSON: " + cause(pe)}
		}
		reason := re.Reason
		if re.Err != nil {
			reason = cause(re.Err)
		}
		return Problem{In: "body", Reason: "request body: " + reason}
	}
	return Problem{Reason: re.Error()}
}

func schemaReason(se *openapi3.SchemaError) string {
	var miss *enumMiss
	if se.SchemaField == "format" && errors.As(se.Origin, &miss) {
		return miss.Error()
	}
	if se.SchemaField == "enum" && se.Schema != nil && len(se.Schema.Enum) > 12 {
		return fmt.Sprintf("value %v is not one of the %d allowed values", se.Value, len(se.Schema.Enum))
	}
	return se.Reason
}

func cause(err error) string {
	var se *openapi3.SchemaError
	if errors.As(err, &se) {
		return schemaReason(se)
	}
	var pe *openapi3filter.ParseError
	if errors.As(err, &pe) {
		msg := pe.Reason
		if pe.Cause != nil {
			if msg != "" {
				msg += ": "
			}
			msg += pe.Cause.Error()
		}
		if msg == "" {
			msg = pe.Error()
		}
		return msg
	}
	return err.Error()
}

func firstSentence(s string) string {
	s = strings.TrimSpace(strings.SplitN(s, "\n", 2)[0])
	if i := strings.Index(s, ". "); i > 0 {
		s = s[:i]
	}
	return strings.TrimSuffix(s, ".")
}

// MemoBytes is roughly what the memo holds.
func (v *Validator) MemoBytes() int64 { return v.memoBytes.Load() }
