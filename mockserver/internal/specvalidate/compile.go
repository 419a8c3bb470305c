package specvalidate

import (
	"math"
	"regexp"
	"regexp/syntax"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// The fast path. kin-openapi validates a body by decoding it into a generic tree and walking
// that tree against the schema, which is most of what a validation POST costs. At start-up
// each operation's parameters and JSON body schema are compiled here into a small tree of
// checks (node), and a request is checked by one pass over its bytes (scan.go), building
// nothing. The fast path only ever accepts: whatever it does not accept, kin-openapi
// validates as before and explains. So it may be stricter than kin-openapi (a refusal costs
// only speed), never looser; a schema using any keyword the compiler does not know is not
// compiled at all, and its operation keeps the slow path. fast_test.go holds both to that.

// jsonType is a set of JSON value kinds.
type jsonType uint8

const (
	tNull jsonType = 1 << iota
	tBool
	tInteger // a number written without fraction or exponent
	tNumber
	tString
	tArray
	tObject
	tAny = tBool | tInteger | tNumber | tString | tArray | tObject
)

// node is one compiled schema.
type node struct {
	types jsonType // kinds accepted; tNull only when nullable

	// strings
	minLen, maxLen int // runes; maxLen < 0: none
	pattern        *regexp.Regexp
	class          *asciiClass         // the pattern when it is ^[ascii class]+$: a table lookup
	enum           map[string]struct{} // string enums
	format         openapi3.StringFormatValidator

	// numbers
	min, max         float64 // ±Inf: none
	exclMin, exclMax bool
	intFormat        openapi3.IntegerFormatValidator // of an integer-only node

	// arrays
	minItems, maxItems int // maxItems < 0: none
	items              *node

	// objects
	keys        map[string]key // declared properties and required names
	linear      []namedKey     // the same, when few: looked up by a scan (lookup)
	names       []string       // property names, for the case-variant keys rule
	requiredAll uint64         // the bits of every required name
	closed      bool           // additionalProperties: false
	extra       *node          // additionalProperties: a schema

	allOf []*node
	oneOf []*node // only of pairwise disjoint kinds: at most one can match
}

// key is what an object node knows of one key: its schema if declared, its bit if required.
type key struct {
	n   *node
	bit uint64
}

// namedKey is one entry of keys.
type namedKey struct {
	name string
	key
}

// maxLinearKeys is the most keys an object looks up by a scan rather than by hashing the name:
// comparing lengths first, a scan of a few is cheaper than the hash (most objects of the specs
// have fewer than ten properties).
const maxLinearKeys = 12

// lookup is n.keys[name].
func (n *node) lookup(name string) key {
	if len(n.keys) > maxLinearKeys {
		return n.keys[name]
	}
	for i := range n.linear {
		if e := &n.linear[i]; len(e.name) == len(name) && e.name == name {
			return e.key
		}
	}
	return key{}
}

// compiler turns schemas into nodes, sharing one node per schema (recursive schemas work).
type compiler struct {
	formats map[string]openapi3.StringFormatValidator
	done    map[*openapi3.Schema]*node
	added   []*openapi3.Schema // registered in done since the outermost compile began
	depth   int
}

// compile reports false for a schema it cannot check exactly as kin-openapi would.
func (c *compiler) compile(ref *openapi3.SchemaRef) (*node, bool) {
	if c.depth == 0 {
		c.added = c.added[:0]
	}
	c.depth++
	n, ok := c.schema(ref)
	c.depth--
	if c.depth == 0 && !ok {
		// A schema that failed leaves no node behind: nodes are registered before their
		// members are compiled (recursive schemas need that), so a failure midway would
		// otherwise leave a half-built node for the next schema that refers to it.
		for _, s := range c.added {
			delete(c.done, s)
		}
	}
	return n, ok
}

// schema compiles one schema (compile: the same, leaving nothing behind when it fails).
func (c *compiler) schema(ref *openapi3.SchemaRef) (*node, bool) {
	if ref == nil || ref.Value == nil {
		return nil, false
	}
	s := ref.Value
	if n, ok := c.done[s]; ok {
		return n, true
	}
	if !c.supported(s) {
		return nil, false
	}
	n := &node{types: tAny, maxLen: -1, maxItems: -1, min: math.Inf(-1), max: math.Inf(1)}
	c.done[s] = n
	c.added = append(c.added, s)
	if s.Type != nil {
		if len(*s.Type) != 1 {
			return nil, false
		}
		n.types = map[string]jsonType{
			openapi3.TypeBoolean: tBool, openapi3.TypeInteger: tInteger, openapi3.TypeNumber: tInteger | tNumber,
			openapi3.TypeString: tString, openapi3.TypeArray: tArray, openapi3.TypeObject: tObject,
		}[(*s.Type)[0]]
		if n.types == 0 {
			return nil, false
		}
	}
	if s.Nullable {
		n.types |= tNull
	}
	if !c.strings(n, s) || !numbers(n, s) {
		return nil, false
	}
	n.minItems = int(min(s.MinItems, math.MaxInt32))
	if s.MaxItems != nil {
		n.maxItems = int(min(*s.MaxItems, math.MaxInt32))
	}
	if s.Items != nil {
		var ok bool
		if n.items, ok = c.compile(s.Items); !ok {
			return nil, false
		}
	}
	if len(s.Required) > 64 {
		return nil, false // tracked in a bit set
	}
	if len(s.Properties)+len(s.Required) > 0 {
		n.keys = make(map[string]key, len(s.Properties)+len(s.Required))
	}
	for name, p := range s.Properties {
		pn, ok := c.compile(p)
		if !ok {
			return nil, false
		}
		n.keys[name] = key{n: pn}
		n.names = append(n.names, name)
	}
	for i, name := range s.Required {
		k := n.keys[name]
		k.bit = 1 << i
		n.keys[name] = k
		n.requiredAll |= k.bit
	}
	if len(n.keys) <= maxLinearKeys { // in any order: lookup compares whole names
		for name, k := range n.keys {
			n.linear = append(n.linear, namedKey{name, k})
		}
	}
	if has := s.AdditionalProperties.Has; has != nil && !*has {
		n.closed = true
	}
	if extra := s.AdditionalProperties.Schema; extra != nil {
		var ok bool
		if n.extra, ok = c.compile(extra); !ok {
			return nil, false
		}
	}
	for _, sub := range s.AllOf {
		sn, ok := c.compile(sub)
		if !ok {
			return nil, false
		}
		n.allOf = append(n.allOf, sn)
	}
	var seen jsonType
	for _, sub := range s.OneOf {
		sn, ok := c.compile(sub)
		if !ok || sub.Value.Type == nil || sn.types&^tNull&seen != 0 {
			return nil, false // kinds overlap: more than one could match
		}
		seen |= sn.types &^ tNull
		n.oneOf = append(n.oneOf, sn)
	}
	return n, true
}

// supported reports whether every keyword of s that affects validation is one the fast path
// checks: what remains after clearing those must be empty in kin-openapi's own sense, and
// carry none of the keywords its emptiness ignores (a default would be written into the body).
func (c *compiler) supported(s *openapi3.Schema) bool {
	rest := *s
	rest.Type, rest.Format, rest.Enum, rest.Nullable = nil, "", nil, false
	rest.Min, rest.Max, rest.ExclusiveMin, rest.ExclusiveMax = nil, nil, openapi3.ExclusiveBound{}, openapi3.ExclusiveBound{}
	rest.MinLength, rest.MaxLength, rest.Pattern = 0, nil, ""
	rest.MinItems, rest.MaxItems, rest.Items = 0, nil, nil
	rest.Required, rest.Properties, rest.AdditionalProperties = nil, nil, openapi3.AdditionalProperties{}
	rest.AllOf, rest.OneOf = nil, nil
	rest.Examples = nil // annotations only
	if (s.ExclusiveMin.Value != nil) || (s.ExclusiveMax.Value != nil) || (s.Pattern != "" && strings.Contains(s.Pattern, `\u`)) {
		return false // 3.1 bounds; patterns kin-openapi rewrites before compiling
	}
	return rest.IsEmpty() && rest.Default == nil && rest.Discriminator == nil && rest.Always == nil &&
		len(rest.AnyOf) == 0 && rest.Not == nil && !s.ReadOnly && !s.WriteOnly
}

func (c *compiler) strings(n *node, s *openapi3.Schema) bool {
	n.minLen = int(min(s.MinLength, math.MaxInt32))
	if s.MaxLength != nil {
		n.maxLen = int(min(*s.MaxLength, math.MaxInt32))
	}
	if s.Pattern != "" {
		re, err := regexp.Compile(s.Pattern)
		if err != nil {
			return false
		}
		n.pattern = re
		n.class = classOf(s.Pattern)
	}
	if len(s.Enum) > 0 {
		n.enum = make(map[string]struct{}, len(s.Enum))
		for _, v := range s.Enum {
			str, ok := v.(string)
			if !ok {
				return false // numbers, booleans, null: compared by kin-openapi's own rules
			}
			n.enum[str] = struct{}{}
		}
	}
	if s.Format != "" {
		if _, ok := openapi3.SchemaNumberFormats[s.Format]; ok {
			return false // a number format kin-openapi checks (unregistered ones it ignores, as here)
		}
		if f, ok := openapi3.SchemaIntegerFormats[s.Format]; ok {
			if s.Type == nil || !s.Type.Is(openapi3.TypeInteger) {
				return false
			}
			n.intFormat = f // int32, int64: ranges
		}
		if f, ok := c.formats[s.Format]; ok {
			n.format = f
		} else if f, ok := openapi3.SchemaStringFormats[s.Format]; ok {
			n.format = f
		}
	}
	return true
}

func numbers(n *node, s *openapi3.Schema) bool {
	if s.Min != nil {
		n.min, n.exclMin = *s.Min, s.ExclusiveMin.IsTrue()
	}
	if s.Max != nil {
		n.max, n.exclMax = *s.Max, s.ExclusiveMax.IsTrue()
	}
	return true
}

// asciiClass is a pattern of the form ^[class]+$ (or *) whose class holds ASCII only.
type asciiClass struct {
	in       [128]bool
	nonEmpty bool
}

func (c *asciiClass) match(v string) bool {
	if c.nonEmpty && v == "" {
		return false
	}
	for i := 0; i < len(v); i++ {
		if v[i] >= 128 || !c.in[v[i]] {
			return false
		}
	}
	return true
}

// classOf recognises ^[class]+$ and ^[class]*$ as regexp/syntax parses them; nil otherwise.
func classOf(pattern string) *asciiClass {
	re, err := syntax.Parse(pattern, syntax.Perl)
	if err != nil {
		return nil
	}
	re = re.Simplify()
	if re.Op != syntax.OpConcat || len(re.Sub) != 3 || re.Sub[0].Op != syntax.OpBeginText || re.Sub[2].Op != syntax.OpEndText {
		return nil
	}
	rep := re.Sub[1]
	if rep.Op != syntax.OpPlus && rep.Op != syntax.OpStar || len(rep.Sub) != 1 {
		return nil
	}
	cls := rep.Sub[0]
	c := &asciiClass{nonEmpty: rep.Op == syntax.OpPlus}
	switch cls.Op {
	case syntax.OpCharClass:
		for i := 0; i+1 < len(cls.Rune); i += 2 {
			lo, hi := cls.Rune[i], cls.Rune[i+1]
			if hi >= 128 {
				return nil
			}
			for r := lo; r <= hi; r++ {
				c.in[r] = true
			}
		}
	case syntax.OpLiteral:
		if len(cls.Rune) != 1 || cls.Rune[0] >= 128 || cls.Flags&syntax.FoldCase != 0 {
			return nil
		}
		c.in[cls.Rune[0]] = true
	default:
		return nil
	}
	return c
}
