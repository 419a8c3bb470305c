package specvalidate

import (
	"fmt"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// enumSetMin is the size from which a string enum is checked by a set lookup rather than by
// kin-openapi's scan, which compares the value with every allowed one in turn (233 country
// codes in a delivery: a third of a validation POST's body validation, measured in
// BENCHMARKS.md).
const enumSetMin = 16

// enumSets moves every long string-only enum of doc into a string format of the mock's own
// (x-cryptomock-enum-N) whose validator is a set lookup, and returns those validators for
// the schema validation options. The document is the validator's own copy (openapi.Load
// reads it afresh); what it accepts and refuses is unchanged, and a refusal reads as kin's
// own does for long enums (see enumMiss). The one difference: for a value that is not a
// string at all, the type is reported rather than the enum.
func enumSets(doc *openapi3.T) map[string]openapi3.StringFormatValidator {
	out := map[string]openapi3.StringFormatValidator{}
	seen := map[*openapi3.Schema]bool{}
	var walk func(*openapi3.SchemaRef)
	walk = func(ref *openapi3.SchemaRef) {
		if ref == nil || ref.Value == nil || seen[ref.Value] {
			return
		}
		s := ref.Value
		seen[s] = true
		if set, ok := stringSet(s); ok {
			name := fmt.Sprintf("x-cryptomock-enum-%d", len(out)+1)
			out[name] = set
			s.Enum, s.Format = nil, name
		}
		for _, p := range s.Properties {
			walk(p)
		}
		for _, list := range []openapi3.SchemaRefs{s.AllOf, s.AnyOf, s.OneOf} {
			for _, sub := range list {
				walk(sub)
			}
		}
		walk(s.Items)
		walk(s.Not)
		walk(s.AdditionalProperties.Schema)
	}
	walkParams := func(ps openapi3.Parameters) {
		for _, p := range ps {
			if p.Value != nil {
				walk(p.Value.Schema)
			}
		}
	}
	for _, item := range doc.Paths.Map() {
		walkParams(item.Parameters)
		for _, op := range item.Operations() {
			walkParams(op.Parameters)
			if op.RequestBody != nil && op.RequestBody.Value != nil {
				for _, mt := range op.RequestBody.Value.Content {
					walk(mt.Schema)
				}
			}
		}
	}
	return out
}

// stringSet is the set of a schema's enum when it is long, of strings only, on a string
// schema with no format of its own.
func stringSet(s *openapi3.Schema) (enumSet, bool) {
	if len(s.Enum) < enumSetMin || s.Format != "" || s.Type == nil || !s.Type.Is(openapi3.TypeString) {
		return enumSet{}, false
	}
	set := enumSet{values: make(map[string]struct{}, len(s.Enum)), n: len(s.Enum)}
	for _, v := range s.Enum {
		str, ok := v.(string)
		if !ok {
			return enumSet{}, false
		}
		set.values[str] = struct{}{}
	}
	return set, true
}

type enumSet struct {
	values map[string]struct{}
	n      int
}

func (e enumSet) Validate(v string) error {
	if _, ok := e.values[v]; ok {
		return nil
	}
	miss := &enumMiss{value: v, n: e.n}
	for allowed := range e.values { // a refusal only: a scan, rather than a second index
		if strings.EqualFold(allowed, v) {
			miss.near = allowed
			break
		}
	}
	return miss
}

// enumMiss is a value outside a long enum, worded as schemaReason words kin's own.
type enumMiss struct {
	value string
	n     int
	near  string // the allowed value it differs from in case only ("us": "US"), if any
}

func (e *enumMiss) Error() string {
	msg := fmt.Sprintf("value %v is not one of the %d allowed values", e.value, e.n)
	if e.near != "" {
		msg += fmt.Sprintf(" (%s is: they are case-sensitive)", e.near)
	}
	return msg
}
