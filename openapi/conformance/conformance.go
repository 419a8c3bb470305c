// Package conformance checks HTTP exchanges and Server-Sent Events frames against the specs in
// openapi/, whatever host served them (the mock on loopback or a live upstream). It is what the
// mock's own tests and the contract suite use to prove that every answer matches the spec.
package conformance

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"

	"github.com/cryptomock/cryptomock/openapi"
)

// ErrNoOperation is wrapped when a request matches no operation of the specs.
var ErrNoOperation = errors.New("no operation of the specs")

// ErrOpenEnum is wrapped when the only fault of an answer is a value missing from an enum
// the spec marks open (`x-open-enum: true`, e.g. order_state): the upstream may add values,
// and a client should tolerate them. A caller checking a live upstream reports it rather
// than failing; one checking the mock fails, since the mock sends only listed values.
var ErrOpenEnum = errors.New("a value outside an open enum")

// onlyOpenEnums tells whether every fault in err is a value outside an open enum.
func onlyOpenEnums(err error) bool {
	var me openapi3.MultiError
	if errors.As(err, &me) {
		if len(me) == 0 {
			return false
		}
		for _, e := range me {
			if !onlyOpenEnums(e) {
				return false
			}
		}
		return true
	}
	var re *openapi3filter.ResponseError
	if errors.As(err, &re) && re.Err != nil && !errors.Is(re.Err, err) {
		return onlyOpenEnums(re.Err)
	}
	var se *openapi3.SchemaError
	if errors.As(err, &se) {
		if se.Origin != nil {
			return onlyOpenEnums(se.Origin)
		}
		open, _ := se.Schema.Extensions["x-open-enum"].(bool)
		return se.SchemaField == "enum" && open
	}
	return false
}

func openEnum(err error) error {
	if onlyOpenEnums(err) {
		return fmt.Errorf("%w: %w", ErrOpenEnum, err)
	}
	return err
}

// Checker validates exchanges against one or more specs.
type Checker struct {
	specs []spec
}

type spec struct {
	doc    *openapi3.T
	router routers.Router
}

// New loads the named specs (openapi.Cryptorefills, ...). Servers are ignored: requests are
// matched by method and path only, so any host can be checked.
func New(names ...string) (*Checker, error) {
	c := &Checker{}
	for _, name := range names {
		doc, err := openapi.Load(name)
		if err != nil {
			return nil, err
		}
		doc.Servers = nil
		for _, item := range doc.Paths.Map() {
			item.Servers = nil
		}
		r, err := legacy.NewRouter(doc)
		if err != nil {
			return nil, fmt.Errorf("router for %s: %w", name, err)
		}
		c.specs = append(c.specs, spec{doc: doc, router: r})
	}
	return c, nil
}

// Route finds the operation of a request.
func (c *Checker) Route(req *http.Request) (*routers.Route, map[string]string, error) {
	var firstErr error
	for _, s := range c.specs {
		rt, params, err := s.router.FindRoute(req)
		if err == nil {
			return rt, params, nil
		}
		if firstErr == nil {
			firstErr = err
		}
	}
	return nil, nil, fmt.Errorf("%s %s: %w (%v)", req.Method, req.URL.Path, ErrNoOperation, firstErr)
}

// CheckResponse validates a response (status, headers, body) against the operation of req.
// Event-stream bodies are not read here: check their frames with CheckEvent.
func (c *Checker) CheckResponse(req *http.Request, resp *http.Response, body []byte) error {
	rt, params, err := c.Route(req)
	if err != nil {
		return err
	}
	stream := strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream")
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: rt},
		Status:                 resp.StatusCode,
		Header:                 resp.Header,
		Body:                   io.NopCloser(bytes.NewReader(body)),
		Options:                &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true, ExcludeResponseBody: stream},
	}
	if err := openapi3filter.ValidateResponse(context.Background(), in); err != nil {
		return fmt.Errorf("%s %s answered %d, which breaks %s: %w", req.Method, req.URL.Path, resp.StatusCode, rt.Operation.OperationID, openEnum(err))
	}
	return nil
}

// CheckRequest validates a request against its operation (the body is restored).
func (c *Checker) CheckRequest(req *http.Request) error {
	rt, params, err := c.Route(req)
	if err != nil {
		return err
	}
	return openapi3filter.ValidateRequest(context.Background(), &openapi3filter.RequestValidationInput{
		Request: req, PathParams: params, Route: rt,
		Options: &openapi3filter.Options{MultiError: true, AuthenticationFunc: openapi3filter.NoopAuthenticationFunc},
	})
}

// CheckEvent validates the data of one SSE frame of operationID against the schema its
// x-sse-events names. An event name the spec does not list is an error.
func (c *Checker) CheckEvent(operationID, event string, data []byte) error {
	for _, s := range c.specs {
		for _, item := range s.doc.Paths.Map() {
			for _, op := range item.Operations() {
				if op.OperationID != operationID {
					continue
				}
				schema, err := eventSchema(s.doc, op, event)
				if err != nil {
					return err
				}
				var v any
				if err := json.Unmarshal(data, &v); err != nil {
					return fmt.Errorf("%s event %q: data is not JSON: %w", operationID, event, err)
				}
				if err := schema.VisitJSON(v, openapi3.MultiErrors()); err != nil {
					return fmt.Errorf("%s event %q: data breaks its schema: %w", operationID, event, openEnum(err))
				}
				return nil
			}
		}
	}
	return fmt.Errorf("no operation %q in the specs", operationID)
}

var (
	eventsMu    sync.Mutex
	eventsCache = map[*openapi3.Operation]map[string]*openapi3.Schema{}
)

func eventSchema(doc *openapi3.T, op *openapi3.Operation, event string) (*openapi3.Schema, error) {
	eventsMu.Lock()
	defer eventsMu.Unlock()
	byName, ok := eventsCache[op]
	if !ok {
		raw, err := json.Marshal(op.Extensions["x-sse-events"])
		if err != nil {
			return nil, err
		}
		var list []struct{ Event, Schema string }
		if err := json.Unmarshal(raw, &list); err != nil || len(list) == 0 {
			return nil, fmt.Errorf("%s declares no x-sse-events", op.OperationID)
		}
		byName = map[string]*openapi3.Schema{}
		for _, e := range list {
			ref := doc.Components.Schemas[strings.TrimPrefix(e.Schema, "#/components/schemas/")]
			if ref == nil {
				return nil, fmt.Errorf("%s: event %s names unknown schema %s", op.OperationID, e.Event, e.Schema)
			}
			byName[e.Event] = ref.Value
		}
		eventsCache[op] = byName
	}
	s, ok := byName[event]
	if !ok {
		return nil, fmt.Errorf("%s: event %q is not one the spec declares", op.OperationID, event)
	}
	return s, nil
}

// Transport is an http.RoundTripper that validates every exchange it carries. Violations are
// handed to Report (and the response is still returned, so callers see what came back).
type Transport struct {
	Base    http.RoundTripper
	Checker *Checker
	Report  func(error)
}

// RoundTrip sends the request, then validates request and response.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	base := t.Base
	if base == nil {
		base = http.DefaultTransport
	}
	var reqBody []byte
	if req.Body != nil {
		var err error
		if reqBody, err = io.ReadAll(req.Body); err != nil {
			return nil, err
		}
		req.Body = io.NopCloser(bytes.NewReader(reqBody))
	}
	resp, err := base.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	check := req.Clone(req.Context())
	check.Body = io.NopCloser(bytes.NewReader(reqBody))
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		if err := t.Checker.CheckResponse(check, resp, nil); err != nil {
			t.report(err)
		}
		return resp, nil
	}
	body, err := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	if err := t.Checker.CheckResponse(check, resp, body); err != nil {
		t.report(err)
	}
	return resp, nil
}

func (t *Transport) report(err error) {
	if t.Report != nil {
		t.Report(err)
	}
}
