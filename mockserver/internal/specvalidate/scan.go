package specvalidate

import (
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/cryptomock/cryptomock/mockserver/internal/jsonstr"
)

// maxDepth bounds nesting (and allOf chains) on the fast path; deeper input is left to
// kin-openapi, which refuses it in its own words.
const maxDepth = 128

// scanner checks one JSON text against a node in a single pass, building nothing: strings are
// substrings of the text (a string with escapes is decoded on its own).
type scanner struct {
	b     string
	i     int
	depth int
}

// accepts reports whether body is exactly one JSON value that n accepts.
func accepts(n *node, body string) bool {
	if !utf8.ValidString(body) {
		return false
	}
	s := scanner{b: body}
	s.ws()
	if !s.value(n) {
		return false
	}
	s.ws()
	return s.i == len(s.b)
}

func (s *scanner) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// value checks the value at s.i against n and moves past it. A nil n accepts any value (an
// undeclared property, items without a schema): only its syntax is checked.
func (s *scanner) value(n *node) bool {
	if s.depth++; s.depth > maxDepth {
		return false
	}
	defer func() { s.depth-- }()
	if n == nil || len(n.allOf) == 0 && len(n.oneOf) == 0 {
		return s.own(n)
	}
	start := s.i
	for _, sub := range n.allOf {
		s.i = start
		if !s.value(sub) {
			return false
		}
	}
	if len(n.oneOf) > 0 {
		s.i = start
		k := s.kind()
		matched := false
		for _, sub := range n.oneOf {
			if sub.types&k != 0 { // kinds are disjoint: this is the only candidate
				if !s.value(sub) {
					return false
				}
				matched = true
				break
			}
		}
		if !matched {
			return false
		}
	}
	s.i = start
	return s.own(n)
}

// kind is the JSON kind of the value at s.i (a number counts as both integer and number).
func (s *scanner) kind() jsonType {
	if s.i >= len(s.b) {
		return 0
	}
	switch s.b[s.i] {
	case '{':
		return tObject
	case '[':
		return tArray
	case '"':
		return tString
	case 't', 'f':
		return tBool
	case 'n':
		return tNull
	}
	return tInteger | tNumber
}

// own checks n's own keywords (not allOf, oneOf).
func (s *scanner) own(n *node) bool {
	switch s.kind() {
	case tObject:
		return s.object(n)
	case tArray:
		return s.array(n)
	case tString:
		v, ok := s.str()
		return ok && (n == nil || n.types&tString != 0 && n.string(v))
	case tBool:
		lit := "false"
		if s.b[s.i] == 't' {
			lit = "true"
		}
		return s.literal(lit) && (n == nil || n.types&tBool != 0 && n.enum == nil)
	case tNull:
		return s.literal("null") && (n == nil || n.types&tNull != 0)
	case tInteger | tNumber:
		return s.number(n)
	}
	return false
}

func (s *scanner) literal(lit string) bool {
	if !strings.HasPrefix(s.b[s.i:], lit) {
		return false
	}
	s.i += len(lit)
	return true
}

func (s *scanner) object(n *node) bool {
	if n != nil && (n.types&tObject == 0 || n.enum != nil) {
		return false
	}
	s.i++ // {
	var seen uint64
	s.ws()
	if s.i < len(s.b) && s.b[s.i] == '}' {
		s.i++
	} else {
		for {
			s.ws()
			if s.i >= len(s.b) || s.b[s.i] != '"' {
				return false
			}
			key, ok := s.str()
			if !ok {
				return false
			}
			s.ws()
			if s.i >= len(s.b) || s.b[s.i] != ':' {
				return false
			}
			s.i++
			s.ws()
			var sub *node
			if n != nil {
				k := n.lookup(key)
				seen |= k.bit
				switch {
				case k.n != nil:
					sub = k.n
				case n.caseVariant(key):
					return false // the case-variant keys rule: kin-openapi's path explains it
				case n.closed:
					return false
				default:
					sub = n.extra
				}
			}
			if !s.value(sub) {
				return false
			}
			if more, ok := s.next('}'); !ok {
				return false
			} else if !more {
				break
			}
		}
	}
	return n == nil || seen == n.requiredAll
}

// next reads what follows a member or an element: a comma (more follows) or the closing
// byte (consumed, the end); ok is false for anything else.
func (s *scanner) next(closing byte) (more, ok bool) {
	s.ws()
	if s.i >= len(s.b) {
		return false, false
	}
	switch s.b[s.i] {
	case ',':
		s.i++
		return true, true
	case closing:
		s.i++
		return false, true
	}
	return false, false
}

// caseVariant reports whether key differs from a declared property only in case.
func (n *node) caseVariant(key string) bool {
	for _, name := range n.names {
		if strings.EqualFold(name, key) {
			return true
		}
	}
	return false
}

func (s *scanner) array(n *node) bool {
	if n != nil && (n.types&tArray == 0 || n.enum != nil) {
		return false
	}
	s.i++ // [
	var items *node
	if n != nil {
		items = n.items
	}
	count := 0
	s.ws()
	if s.i < len(s.b) && s.b[s.i] == ']' {
		s.i++
	} else {
		for {
			s.ws()
			if !s.value(items) {
				return false
			}
			count++
			if more, ok := s.next(']'); !ok {
				return false
			} else if !more {
				break
			}
		}
	}
	return n == nil || count >= n.minItems && (n.maxItems < 0 || count <= n.maxItems)
}

// str reads the string at s.i (its opening quote).
func (s *scanner) str() (string, bool) {
	open := s.i
	start := s.i + 1
	s.i = jsonstr.Stop(s.b, start)
	if s.i < len(s.b) {
		switch s.b[s.i] {
		case '"':
			s.i++
			return s.b[start : s.i-1], true
		case '\\':
			return s.escaped(open)
		}
	}
	return "", false // a control character, or the end
}

// escaped finds the end of a string with escapes and decodes it with encoding/json, the
// decoder the handler uses.
func (s *scanner) escaped(open int) (string, bool) {
	for ; s.i < len(s.b); s.i++ {
		switch s.b[s.i] {
		case '\\':
			s.i++
		case '"':
			s.i++
			var v string
			if json.Unmarshal([]byte(s.b[open:s.i]), &v) != nil {
				return "", false
			}
			return v, true
		}
	}
	return "", false
}

// number reads a number in JSON's grammar and checks it against n.
func (s *scanner) number(n *node) bool {
	start := s.i
	if s.i < len(s.b) && s.b[s.i] == '-' {
		s.i++
	}
	switch {
	case s.i < len(s.b) && s.b[s.i] == '0':
		s.i++
	case s.i < len(s.b) && s.b[s.i] >= '1' && s.b[s.i] <= '9':
		s.digits()
	default:
		return false
	}
	integer := true
	if s.i < len(s.b) && s.b[s.i] == '.' {
		s.i++
		if !s.digits() {
			return false
		}
		integer = false
	}
	if s.i < len(s.b) && (s.b[s.i] == 'e' || s.b[s.i] == 'E') {
		s.i++
		if s.i < len(s.b) && (s.b[s.i] == '+' || s.b[s.i] == '-') {
			s.i++
		}
		if !s.digits() {
			return false
		}
		integer = false
	}
	f, err := strconv.ParseFloat(s.b[start:s.i], 64)
	if err != nil || n == nil {
		return err == nil // out of range: kin-openapi refuses it too
	}
	return n.number(f, integer)
}

func (s *scanner) digits() bool {
	start := s.i
	for s.i < len(s.b) && s.b[s.i] >= '0' && s.b[s.i] <= '9' {
		s.i++
	}
	return s.i > start
}

// string checks a string value against n's string keywords.
func (n *node) string(v string) bool {
	if n.enum != nil {
		if _, ok := n.enum[v]; !ok {
			return false
		}
	}
	if n.minLen > 0 || n.maxLen >= 0 {
		l := utf8.RuneCountInString(v)
		if l < n.minLen || n.maxLen >= 0 && l > n.maxLen {
			return false
		}
	}
	if n.class != nil {
		if !n.class.match(v) {
			return false
		}
	} else if n.pattern != nil && !n.pattern.MatchString(v) {
		return false
	}
	return n.format == nil || n.format.Validate(v) == nil
}

// number checks a number against n's kind and bounds; integer says it was written without
// fraction or exponent (a stricter reading of "integer" than kin-openapi's, which is safe).
func (n *node) number(f float64, integer bool) bool {
	if n.enum != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return false
	}
	if integer && n.types&tInteger == 0 || !integer && n.types&tNumber == 0 {
		return false
	}
	if n.intFormat != nil && (f < math.MinInt64 || f >= math.MaxInt64 || n.intFormat.Validate(int64(f)) != nil) {
		return false // 2^63 itself (kin-openapi's reading of MaxInt64) is left to it
	}
	if n.exclMin && !(f > n.min) || !(f >= n.min) {
		return false
	}
	return !(n.exclMax && !(f < n.max) || !(f <= n.max))
}
