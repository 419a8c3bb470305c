package cryptorefills

import (
	"encoding/json"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/cryptomock/cryptomock/gen/bind"
	gen "github.com/cryptomock/cryptomock/gen/cryptorefills"
	"github.com/cryptomock/cryptomock/mockserver/internal/jsonstr"
)

// The body of a validation and of a creation is decoded here field by field instead of by
// encoding/json's reflection (a sixth of a validation POST). It decodes what encoding/json
// would, or declines (false) and encoding/json decodes: on anything off the common path (a
// repeated key, a key that differs from a field only in case, null where encoding/json has
// special rules, a number that is not a plain integer, trailing data). decode_test.go holds it
// to encoding/json over random bodies.

func init() { bind.RegisterJSONBody(decodeOrderRequest) }

// The members each type decodes; decode_test.go checks them against the generated types'
// fields, so a field the spec adds cannot be skipped here unnoticed.
var (
	orderRequestFields = []string{"acquisition", "deliveries", "email", "lang", "payment", "promo_code", "refund_wallet_address", "user"}
	paymentFields      = []string{"coin", "network", "payment_via", "type"}
	userFields         = []string{"email", "has_accepted_newsletter"}
	deliveryFields     = []string{"beneficiary_account", "brand_name", "country_code", "deliverable", "denomination", "kind",
		"localized_denomination", "product_value", "quantity"}
	deliverableFields = []string{"beneficiary_account", "brand_name", "country_code", "denomination", "localized_denomination", "product_value"}
)

// reader walks a JSON text.
type reader struct {
	b    []byte
	s    string // b as one string: plain strings are slices of it (one allocation per body, not one per string)
	i    int
	room []string // homes for optional strings' pointers, eight to an allocation
}

// keep gives s a home to point at.
func (r *reader) keep(s string) *string {
	if len(r.room) == cap(r.room) {
		r.room = make([]string, 0, 8)
	}
	r.room = append(r.room, s)
	return &r.room[len(r.room)-1]
}

func (r *reader) ws() {
	for r.i < len(r.b) && (r.b[r.i] == ' ' || r.b[r.i] == '\t' || r.b[r.i] == '\n' || r.b[r.i] == '\r') {
		r.i++
	}
}

func (r *reader) peek() byte {
	r.ws()
	if r.i < len(r.b) {
		return r.b[r.i]
	}
	return 0
}

// null consumes a null.
func (r *reader) null() bool {
	if r.peek() == 'n' && strings.HasPrefix(string(r.b[r.i:min(len(r.b), r.i+4)]), "null") {
		r.i += 4
		return true
	}
	return false
}

// object calls member for each key, with the reader at the key's value; member consumes the
// value and reports false to give up. Repeated keys give up (encoding/json merges them).
func (r *reader) object(member func(key string) bool) bool {
	if r.peek() != '{' {
		return false
	}
	r.i++
	var room [16]string
	seen := room[:0]
	if r.peek() == '}' {
		r.i++
		return true
	}
	for {
		if r.peek() != '"' {
			return false
		}
		key, ok := r.str()
		if !ok || r.peek() != ':' {
			return false
		}
		r.i++
		for _, k := range seen {
			if k == key {
				return false
			}
		}
		seen = append(seen, key)
		if !member(key) {
			return false
		}
		switch r.peek() {
		case ',':
			r.i++
		case '}':
			r.i++
			return true
		default:
			return false
		}
	}
}

// array calls elem for each element, with the reader at it; elem consumes it.
func (r *reader) array(elem func() bool) bool {
	if r.peek() != '[' {
		return false
	}
	r.i++
	if r.peek() == ']' {
		r.i++
		return true
	}
	for {
		if !elem() {
			return false
		}
		switch r.peek() {
		case ',':
			r.i++
		case ']':
			r.i++
			return true
		default:
			return false
		}
	}
}

// str reads a string; one with escapes is decoded by encoding/json (the body is valid UTF-8).
func (r *reader) str() (string, bool) {
	if r.peek() != '"' {
		return "", false
	}
	start := r.i + 1
	if j := jsonstr.Stop(r.s, start); j < len(r.b) {
		switch r.b[j] {
		case '"':
			r.i = j + 1
			return r.s[start:j], true // valid UTF-8: the whole body is (decodeOrderRequest)
		case '\\':
			end := r.skipString(j)
			if end < 0 {
				return "", false
			}
			var v string
			if json.Unmarshal(r.b[start-1:end], &v) != nil {
				return "", false
			}
			r.i = end
			return v, true
		}
	}
	return "", false // a control character, or the end
}

// skipString returns the offset after the string containing j, or -1.
func (r *reader) skipString(j int) int {
	for ; j < len(r.b); j++ {
		switch r.b[j] {
		case '\\':
			j++
		case '"':
			return j + 1
		}
	}
	return -1
}

// value returns the next value's bytes, exactly as they appear, checking their syntax.
func (r *reader) value() ([]byte, bool) {
	r.ws()
	start := r.i
	if !r.skip(0) {
		return nil, false
	}
	return r.b[start:r.i], true
}

func (r *reader) skip(depth int) bool {
	if depth > 64 {
		return false
	}
	switch c := r.peek(); {
	case c == '{':
		return r.object(func(string) bool { return r.skip(depth + 1) })
	case c == '[':
		return r.array(func() bool { return r.skip(depth + 1) })
	case c == '"':
		_, ok := r.str()
		return ok
	case c == 't' || c == 'f' || c == 'n':
		for _, lit := range []string{"true", "false", "null"} {
			if strings.HasPrefix(string(r.b[r.i:min(len(r.b), r.i+len(lit))]), lit) {
				r.i += len(lit)
				return true
			}
		}
		return false
	default:
		_, ok := r.number()
		return ok
	}
}

// number reads a number in JSON's grammar and returns its text.
func (r *reader) number() (string, bool) {
	start := r.i
	if r.i < len(r.b) && r.b[r.i] == '-' {
		r.i++
	}
	digits := func() int {
		n := 0
		for r.i < len(r.b) && r.b[r.i] >= '0' && r.b[r.i] <= '9' {
			r.i++
			n++
		}
		return n
	}
	first := r.i
	if n := digits(); n == 0 || n > 1 && r.b[first] == '0' {
		return "", false
	}
	if r.i < len(r.b) && r.b[r.i] == '.' {
		r.i++
		if digits() == 0 {
			return "", false
		}
	}
	if r.i < len(r.b) && (r.b[r.i] == 'e' || r.b[r.i] == 'E') {
		r.i++
		if r.i < len(r.b) && (r.b[r.i] == '+' || r.b[r.i] == '-') {
			r.i++
		}
		if digits() == 0 {
			return "", false
		}
	}
	return string(r.b[start:r.i]), true
}

// optString decodes into a *string-like field: null is nil.
func optString[T ~string](r *reader, dst **T) bool {
	if r.null() {
		*dst = nil
		return true
	}
	s, ok := r.str()
	if !ok {
		return false
	}
	if p, plain := any(dst).(**string); plain {
		*p = r.keep(s)
	} else {
		v := T(s)
		*dst = &v
	}
	return true
}

// plainString decodes into a string field: null leaves it as it is, as encoding/json does.
func plainString[T ~string](r *reader, dst *T) bool {
	if r.null() {
		return true
	}
	s, ok := r.str()
	*dst = T(s)
	return ok
}

// unknown skips the value of a key no field has; a key that differs from a field only in case
// gives up (encoding/json would fill that field).
func unknown(r *reader, key string, fields ...string) bool {
	for _, f := range fields {
		if strings.EqualFold(f, key) {
			return false
		}
	}
	return r.skip(0)
}

func decodeOrderRequest(b []byte, v *gen.OrderRequest) bool {
	if !utf8.Valid(b) {
		return false // encoding/json replaces what is not UTF-8: its rules (the mock refuses such bodies before)
	}
	r := &reader{b: b, s: string(b)}
	if r.peek() != '{' {
		return false // null or anything else: encoding/json's rules
	}
	ok := r.object(func(key string) bool {
		switch key {
		case "acquisition":
			return decodeAcquisition(r, &v.Acquisition)
		case "deliveries":
			return decodeDeliveries(r, &v.Deliveries)
		case "email":
			return optString(r, &v.Email)
		case "lang":
			return optString(r, &v.Lang)
		case "payment":
			return decodePayment(r, &v.Payment)
		case "promo_code":
			return optString(r, &v.PromoCode)
		case "refund_wallet_address":
			return optString(r, &v.RefundWalletAddress)
		case "user":
			return decodeUser(r, &v.User)
		}
		return unknown(r, key, orderRequestFields...)
	})
	if r.ws(); r.i != len(r.b) {
		return false // trailing data: encoding/json's decoder decides
	}
	return ok
}

func decodeAcquisition(r *reader, dst **map[string]string) bool {
	if r.null() {
		*dst = nil
		return true
	}
	m := map[string]string{}
	ok := r.object(func(key string) bool {
		if r.peek() != '"' {
			return false // null and other kinds: encoding/json's rules
		}
		s, ok := r.str()
		m[key] = s
		return ok
	})
	*dst = &m
	return ok
}

func decodePayment(r *reader, p *gen.PaymentSelection) bool {
	if r.null() {
		return true
	}
	return r.object(func(key string) bool {
		switch key {
		case "coin":
			return plainString(r, &p.Coin)
		case "network":
			return optString(r, &p.Network)
		case "payment_via":
			return plainString(r, &p.PaymentVia)
		case "type":
			return plainString(r, &p.Type)
		}
		return unknown(r, key, paymentFields...)
	})
}

// optObject decodes an optional object: null is nil, anything else a new T whose members
// member decodes.
func optObject[T any](r *reader, dst **T, member func(v *T, key string) bool) bool {
	if r.null() {
		*dst = nil
		return true
	}
	v := new(T)
	*dst = v
	return r.object(func(key string) bool { return member(v, key) })
}

func decodeUser(r *reader, dst **gen.UserRequest) bool {
	return optObject(r, dst, func(u *gen.UserRequest, key string) bool {
		switch key {
		case "email":
			return optString(r, &u.Email)
		case "has_accepted_newsletter":
			if r.null() {
				u.HasAcceptedNewsletter = nil
				return true
			}
			var v bool
			switch {
			case r.i+4 <= len(r.b) && string(r.b[r.i:r.i+4]) == "true":
				v, r.i = true, r.i+4
			case r.i+5 <= len(r.b) && string(r.b[r.i:r.i+5]) == "false":
				r.i += 5
			default:
				return false
			}
			u.HasAcceptedNewsletter = &v
			return true
		}
		return unknown(r, key, userFields...)
	})
}

func decodeDeliveries(r *reader, dst *[]gen.DeliveryRequest) bool {
	if r.null() {
		*dst = nil
		return true
	}
	out := make([]gen.DeliveryRequest, 0, 1)
	ok := r.array(func() bool {
		var d gen.DeliveryRequest
		if !decodeDelivery(r, &d) {
			return false
		}
		out = append(out, d)
		return true
	})
	if ok {
		*dst = out
	}
	return ok
}

func decodeDelivery(r *reader, d *gen.DeliveryRequest) bool {
	if r.peek() != '{' {
		return false // null elements and other kinds: encoding/json's rules
	}
	return r.object(func(key string) bool {
		switch key {
		case "beneficiary_account":
			return optString(r, &d.BeneficiaryAccount)
		case "brand_name":
			return optString(r, &d.BrandName)
		case "country_code":
			return optString(r, &d.CountryCode)
		case "deliverable":
			return decodeDeliverable(r, &d.Deliverable)
		case "denomination":
			return optString(r, &d.Denomination)
		case "kind":
			return optString(r, &d.Kind)
		case "localized_denomination":
			return optString(r, &d.LocalizedDenomination)
		case "product_value":
			return decodeProductValue(r, &d.ProductValue)
		case "quantity":
			if r.null() {
				d.Quantity = nil
				return true
			}
			text, ok := r.number()
			if !ok {
				return false
			}
			n, err := strconv.ParseInt(text, 10, 64) // as encoding/json reads an int: a fraction or exponent is an error there
			if err != nil {
				return false
			}
			q := int(n)
			d.Quantity = &q
			return true
		}
		return unknown(r, key, deliveryFields...)
	})
}

func decodeDeliverable(r *reader, dst **gen.DeliverableRequest) bool {
	return optObject(r, dst, func(d *gen.DeliverableRequest, key string) bool {
		switch key {
		case "beneficiary_account":
			return optString(r, &d.BeneficiaryAccount)
		case "brand_name":
			return plainString(r, &d.BrandName)
		case "country_code":
			return plainString(r, &d.CountryCode)
		case "denomination":
			return plainString(r, &d.Denomination)
		case "localized_denomination":
			return optString(r, &d.LocalizedDenomination)
		case "product_value":
			return decodeProductValue(r, &d.ProductValue)
		}
		return unknown(r, key, deliverableFields...)
	})
}

// decodeProductValue hands the value's own bytes to the union's UnmarshalJSON, as
// encoding/json does; null is nil.
func decodeProductValue(r *reader, dst **gen.ProductValue) bool {
	if r.null() {
		*dst = nil
		return true
	}
	raw, ok := r.value()
	if !ok {
		return false
	}
	pv := &gen.ProductValue{}
	if pv.UnmarshalJSON(raw) != nil {
		return false
	}
	*dst = pv
	return true
}
