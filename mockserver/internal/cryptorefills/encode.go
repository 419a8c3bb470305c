package cryptorefills

import (
	"encoding/json"
	"errors"
	"math"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"unicode/utf8"

	gen "github.com/cryptomock/cryptomock/gen/cryptorefills"
	"github.com/cryptomock/cryptomock/mockserver/internal/jsonstr"
)

// The answers written most (a validation, an order) are encoded here field by field instead of
// by encoding/json's reflection, which was a sixth of a validation POST. The bytes are
// encoding/json's own, newline included: encode_test.go fills every field of these types with
// random values and compares, so a field added to the spec and not here fails that test. A
// free-form value of a type this code does not write goes to encoding/json; a NaN or an
// infinity, which encoding/json refuses too, makes the answer an error.

// encoded is an answer already encoded, with its status (the one place that writes one; the
// catalogue's cached answers too).
type encoded struct {
	status int
	body   []byte
	buf    *[]byte // the pooled buffer body lies in, for an answer written once; nil otherwise
	shared bool    // body is never written again (a cached answer): a writer may keep it
}

// sharedWriter is a writer that may keep the bytes it is given without copying them (the
// journal's), for bytes that are never written again.
type sharedWriter interface {
	WriteShared(b []byte) (int, error)
}

func (e encoded) write(w http.ResponseWriter) error {
	w.Header()["Content-Type"] = jsonType // Set's canonical key, without its allocation
	w.WriteHeader(e.status)
	var err error
	if sw, ok := w.(sharedWriter); ok && e.shared {
		_, err = sw.WriteShared(e.body)
	} else {
		_, err = w.Write(e.body)
	}
	if e.buf != nil && cap(e.body) <= maxPooledAnswer {
		*e.buf = e.body[:0]
		answers.Put(e.buf)
	}
	return err
}

// jsonType is every JSON answer's Content-Type value: one slice shared by all answers (the
// header map's values are replaced, never appended to in place, by net/http and this mock).
var jsonType = []string{"application/json"}

// answers recycles the buffers one-off answers are encoded into. Written, an answer's bytes
// are free again: the response writer copies them out, and the journal keeps its own copy
// (mockserver's TestJournalKeepsCachedAnswers fails if it kept these bytes instead).
var answers = sync.Pool{New: func() any { b := make([]byte, 0, 2048); return &b }}

// maxPooledAnswer keeps a rare huge answer's buffer out of the pool.
const maxPooledAnswer = 64 << 10

func (e encoded) VisitValidateOrderResponse(w http.ResponseWriter) error { return e.write(w) }
func (e encoded) VisitCreateOrderResponse(w http.ResponseWriter) error   { return e.write(w) }
func (e encoded) VisitGetOrderResponse(w http.ResponseWriter) error      { return e.write(w) }

// answerBuffer is a pooled buffer to encode a one-off answer into: append to (*buf)[:0], then
// hand the result to answer. The answer's value is encoded by a direct call of its append
// function, so it stays on the caller's stack.
func answerBuffer() *[]byte { return answers.Get().(*[]byte) }

// answer is the encoded answer (JSON and a newline, as the generated encoder writes it) that
// an append function wrote into buf, or an error where it could not encode its value the way
// encoding/json does (a NaN or an infinity, which encoding/json refuses too: the check in
// encode_test.go holds both to that). The answer must be written once (write recycles buf).
func answer(status int, buf *[]byte, b []byte, ok bool) (encoded, error) {
	if !ok {
		answers.Put(buf)
		return encoded{}, errors.New("the answer has a value JSON cannot encode")
	}
	return encoded{status: status, body: append(b, '\n'), buf: buf}, nil
}

// orderAnswer is an order's answer (creation, GET). The order stays on the caller's stack.
func orderAnswer(status int, o *gen.Order) (encoded, error) {
	buf := answerBuffer()
	b, ok := appendOrder((*buf)[:0], o)
	return answer(status, buf, b, ok)
}

// object writes one JSON object's members.
type object struct {
	b     []byte
	first bool
	ok    bool
}

func open(b []byte) object { return object{b: append(b, '{'), first: true, ok: true} }

func (o *object) close() ([]byte, bool) { return append(o.b, '}'), o.ok }

// nested closes an object written inside o (opened on o.b) and takes its bytes back.
func (o *object) nested(inner object) {
	b, ok := inner.close()
	o.b, o.ok = b, o.ok && ok
}

func (o *object) key(k string) {
	if o.first {
		o.first = false
		o.b = append(o.b, '"')
	} else {
		o.b = append(o.b, ',', '"')
	}
	o.b = append(o.b, k...) // member names are plain ASCII
	o.b = append(o.b, '"', ':')
}

func (o *object) str(k, v string) {
	o.key(k)
	o.b = appendString(o.b, v)
}

// optStr writes an omitempty pointer: nothing when nil.
func (o *object) optStr(k string, v *string) {
	if v != nil {
		o.str(k, *v)
	}
}

// nullStr writes a pointer without omitempty: null when nil.
func (o *object) nullStr(k string, v *string) {
	if v == nil {
		o.key(k)
		o.b = append(o.b, "null"...)
		return
	}
	o.str(k, *v)
}

func (o *object) optFloat(k string, v *float64) {
	if v == nil {
		return
	}
	o.key(k)
	var ok bool
	if o.b, ok = appendFloat(o.b, *v); !ok {
		o.ok = false
	}
}

func (o *object) optBool(k string, v *bool) {
	if v != nil {
		o.key(k)
		o.b = strconv.AppendBool(o.b, *v)
	}
}

// raw writes a json.RawMessage as encoding/json does: compacted, null when empty.
func (o *object) raw(k string, v json.RawMessage) {
	o.key(k)
	if len(v) == 0 {
		o.b = append(o.b, "null"...)
		return
	}
	if plainNumber(v) { // the epochs this mock writes: already compact, nothing to escape
		o.b = append(o.b, v...)
		return
	}
	o.value(v) // through encoding/json, which compacts and checks it
}

// plainNumber reports whether v is -?digits(.digits)?, optionally in quotes.
func plainNumber(v []byte) bool {
	if len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' {
		v = v[1 : len(v)-1]
	}
	if len(v) > 0 && v[0] == '-' {
		v = v[1:]
	}
	digits := func() int {
		n := 0
		for n < len(v) && v[n] >= '0' && v[n] <= '9' {
			n++
		}
		return n
	}
	n := digits()
	if n == 0 || n > 1 && v[0] == '0' {
		return false
	}
	v = v[n:]
	if len(v) > 0 && v[0] == '.' {
		v = v[1:]
		if n = digits(); n == 0 {
			return false
		}
		v = v[n:]
	}
	return len(v) == 0
}

// value writes a free-form value (a map, an interface) as encoding/json would.
func (o *object) value(v any) {
	var ok bool
	if o.b, ok = appendAny(o.b, v); !ok {
		o.ok = false
	}
}

// appendAny writes the JSON values free-form fields hold (maps with sorted keys, as encoding/json
// sorts them; strings; numbers; booleans); anything else through encoding/json.
func appendAny(b []byte, v any) ([]byte, bool) {
	switch x := v.(type) {
	case nil:
		return append(b, "null"...), true
	case string:
		return appendString(b, x), true
	case int:
		return strconv.AppendInt(b, int64(x), 10), true
	case int64:
		return strconv.AppendInt(b, x, 10), true
	case float64:
		return appendFloat(b, x)
	case bool:
		return strconv.AppendBool(b, x), true
	case *map[string]any:
		if x == nil {
			return append(b, "null"...), true
		}
		return appendAny(b, *x)
	case map[string]any:
		if x == nil {
			return append(b, "null"...), true
		}
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		b = append(b, '{')
		for i, k := range keys {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, k)
			b = append(b, ':')
			var ok bool
			if b, ok = appendAny(b, x[k]); !ok {
				return b, false
			}
		}
		return append(b, '}'), true
	}
	m, err := json.Marshal(v)
	return append(b, m...), err == nil
}

func appendOrderValidation(b []byte, v *gen.OrderValidation) ([]byte, bool) {
	o := open(b)
	validationMembers(&o, v)
	return o.close()
}

// validation is a validation answer whose summary is kept in typed fields rather than in the
// generated type's map (a map and its boxed values for every answer). It encodes as the
// generated type with that map would (TestAnswersEncodeAsEncodingJSON).
type validation struct {
	gen.OrderValidation
	summary *summary
}

// summary is the members of a validation's summary.
type summary struct {
	subtotal, discount, total, fiatUSD string
	products                           int
}

// asMap is the summary as the generated type holds it.
func (s *summary) asMap() *map[string]any {
	return &map[string]any{"subtotal": s.subtotal, "discount": s.discount, "total": s.total, "fiat_value_usd": s.fiatUSD, "products": s.products}
}

// MarshalJSON serves encoding/json (answer's fallback and the tests): the generated type with
// the summary's map.
func (v *validation) MarshalJSON() ([]byte, error) {
	out := v.OrderValidation
	if v.summary != nil {
		out.Summary = v.summary.asMap()
	}
	return json.Marshal(&out)
}

func appendValidation(b []byte, v *validation) ([]byte, bool) {
	if v.summary == nil {
		return appendOrderValidation(b, &v.OrderValidation)
	}
	o := open(b)
	validationMembers(&o, &v.OrderValidation)
	o.key("summary") // last by name, and its members by name, as encoding/json sorts a map's keys
	s := open(o.b)
	s.str("discount", v.summary.discount)
	s.str("fiat_value_usd", v.summary.fiatUSD)
	s.key("products")
	s.b = strconv.AppendInt(s.b, int64(v.summary.products), 10)
	s.str("subtotal", v.summary.subtotal)
	s.str("total", v.summary.total)
	o.nested(s)
	return o.close()
}

// validationMembers writes a validation's members; summary, when the generated type has one,
// comes last.
func validationMembers(o *object, v *gen.OrderValidation) {
	o.str("coin", v.Coin)
	o.str("coin_amount", v.CoinAmount)
	o.nullStr("coupon_code", v.CouponCode)
	o.key("deliveries")
	o.deliveries(v.Deliveries)
	o.key("loyalty_summary")
	o.value(v.LoyaltySummary)
	o.optStr("original_coin_amount", v.OriginalCoinAmount)
	o.key("problems")
	var probs []gen.Problem
	if v.Problems != nil {
		probs = *v.Problems
	}
	o.array(probs == nil, len(probs), func(i int) {
		p := &probs[i]
		po := open(o.b)
		if p.MoreDetails != nil {
			po.key("moreDetails")
			po.value(p.MoreDetails)
		}
		po.str("problem", string(p.Problem))
		o.nested(po)
	})
	if v.Summary != nil {
		o.key("summary")
		o.value(v.Summary)
	}
}

func appendOrder(b []byte, v *gen.Order) ([]byte, bool) {
	o := open(b)
	o.str("coin", v.Coin)
	o.str("coin_amount", v.CoinAmount)
	o.raw("created_at", v.CreatedAt)
	o.key("deliveries")
	o.deliveries(v.Deliveries)
	o.optBool("is_payment_processor_external", v.IsPaymentProcessorExternal)
	o.optStr("network", v.Network)
	o.str("order_id", v.OrderId)
	o.str("order_state", string(v.OrderState))
	o.optStr("original_coin_amount", v.OriginalCoinAmount)
	o.optStr("original_price", v.OriginalPrice)
	o.optStr("payment_id", v.PaymentId)
	o.optStr("payment_method", v.PaymentMethod)
	o.optStr("payment_method_protocol", v.PaymentMethodProtocol)
	if v.PaymentRequestedAt != nil {
		o.raw("payment_requested_at", *v.PaymentRequestedAt)
	}
	o.str("payment_state", string(v.PaymentState))
	o.optFloat("payment_value", v.PaymentValue)
	o.optStr("payment_via", v.PaymentVia)
	o.optStr("qr_text", v.QrText)
	o.optStr("qr_url", v.QrUrl)
	o.optStr("received_amount", v.ReceivedAmount)
	o.optStr("reference_id", v.ReferenceId)
	if r := v.Refund; r != nil {
		o.key("refund")
		ro := open(o.b)
		ro.optStr("amount", r.Amount)
		ro.optStr("currency", r.Currency)
		ro.optStr("reason", r.Reason)
		o.nested(ro)
	}
	o.optStr("refund_wallet_address", v.RefundWalletAddress)
	o.optStr("sent_coin_amount", v.SentCoinAmount)
	if v.UpdatedAt != nil {
		o.raw("updated_at", *v.UpdatedAt)
	}
	if u := v.User; u != nil {
		o.key("user")
		uo := open(o.b)
		uo.optStr("email", u.Email)
		o.nested(uo)
	}
	o.str("wallet_address", v.WalletAddress)
	return o.close()
}

// array writes a JSON array of n elements, each written by elem, or null.
func (o *object) array(null bool, n int, elem func(i int)) {
	if null {
		o.b = append(o.b, "null"...)
		return
	}
	o.b = append(o.b, '[')
	for i := range n {
		if i > 0 {
			o.b = append(o.b, ',')
		}
		elem(i)
	}
	o.b = append(o.b, ']')
}

func (o *object) deliveries(ds []gen.OrderDelivery) {
	o.array(ds == nil, len(ds), func(i int) {
		d := &ds[i]
		do := open(o.b)
		do.optStr("brand_name", d.BrandName)
		do.key("deliverable")
		do.deliverable(&d.Deliverable)
		do.str("delivery_state", string(d.DeliveryState))
		do.str("id", d.Id)
		do.str("kind", string(d.Kind))
		do.optStr("product_name", d.ProductName)
		o.nested(do)
	})
}

func (o *object) deliverable(d *gen.Deliverable) {
	do := open(o.b)
	do.optStr("barcode_image_url", d.BarcodeImageUrl)
	do.optStr("beneficiary_account", d.BeneficiaryAccount)
	do.optStr("brand_name", d.BrandName)
	do.optStr("coin_amount", d.CoinAmount)
	do.optStr("country_code", d.CountryCode)
	do.optStr("currency_code", d.CurrencyCode)
	do.optStr("delivery_type", (*string)(d.DeliveryType))
	do.optStr("denomination", d.Denomination)
	do.optStr("error_description", d.ErrorDescription)
	do.optStr("failure_reason", d.FailureReason)
	do.optStr("family", d.Family)
	do.optStr("how_to_redeem", d.HowToRedeem)
	do.optStr("localized_denomination", d.LocalizedDenomination)
	do.optStr("operator_reference", d.OperatorReference)
	do.optStr("original_coin_amount", d.OriginalCoinAmount)
	do.optStr("original_price", d.OriginalPrice)
	do.optStr("pin_code", d.PinCode)
	do.optStr("pin_serial", d.PinSerial)
	do.optStr("points", d.Points)
	do.optFloat("product_value", d.ProductValue)
	do.optStr("qr_image_url", d.QrImageUrl)
	do.optStr("redeem_instructions", d.RedeemInstructions)
	do.optStr("security_code", d.SecurityCode)
	o.nested(do)
}

const hex = "0123456789abcdef"

// appendString writes s as encoding/json does by default: quoted, with <, > and & escaped for
// HTML, U+2028 and U+2029 escaped, invalid UTF-8 as U+FFFD.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	i := plainPrefix(s)
	if i == len(s) { // most are written as they are: ids, amounts, names
		b = append(b, s...)
		return append(b, '"')
	}
	start := 0
	for i < len(s) {
		if len(s)-i >= 8 {
			if i = skipPlain(s, i); i == len(s) { // whole words of bytes copied as they are, checked at once
				break
			}
		}
		c := s[i]
		if c < utf8.RuneSelf {
			if plainByte[c] {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default: // other control characters, and <, >, &
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// plainByte tells the ASCII bytes encoding/json writes as they are: not a control character,
// a quote, a backslash, or one of <, > and & (which it escapes for HTML). Bytes from 0x80 up
// (parts of longer runes) are false: the table has room for every byte.
var plainByte = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\' && c != '<' && c != '>' && c != '&'
	}
	return t
}()

// plainWord tells whether all eight bytes of x are plainByte ones, with word arithmetic. A
// byte from 0x80 up is caught by x's own high bit. Any other byte sets the high bit of its
// difference below only when it is below 0x20, or (XORed to zero) one of the escaped five:
// \ alone, < and > together (OR 0x02 makes both 0x3E), " and & together (OR 0x04 makes both
// 0x26). A difference borrows only from a byte that is itself caught, and a byte from 0x80 up
// may set its difference's high bit too: neither changes whether any byte is caught, which
// is all the answer says (TestPlainWord checks every byte in every place).
func plainWord(x uint64) bool {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	bs, angle, amp := x^(ones*'\\'), (x|ones*0x02)^(ones*'>'), (x|ones*0x04)^(ones*'&')
	return ((x-ones*0x20)|x|(bs-ones)|(angle-ones)|(amp-ones))&highs == 0
}

// plainPrefix is the length of s's longest prefix of plainByte bytes (len(s): s is written as
// it is). Whole words are checked at once; a tail too short for one, by the last eight bytes
// (overlapping) when s has them, else byte by byte.
func plainPrefix(s string) int {
	n := len(s)
	i := skipPlain(s, 0)
	if n >= 8 && i > n-8 && plainWord(jsonstr.Word(s[n-8:])) {
		return n
	}
	for i < n && plainByte[s[i]] {
		i++
	}
	return i
}

// skipPlain returns the first index from i at which an eight-byte word of s is not all plain
// bytes, or at which fewer than eight bytes are left.
func skipPlain(s string, i int) int {
	for ; i <= len(s)-8 && plainWord(jsonstr.Word(s[i:i+8])); i += 8 {
	}
	return i
}

// appendFloat writes f as encoding/json writes a float64: shortest digits, exponent form
// outside [1e-6, 1e21) with a two-digit exponent trimmed of its zero. NaN and infinities are
// refused (encoding/json refuses them too).
func appendFloat(b []byte, f float64) ([]byte, bool) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return b, false
	}
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' { // e-09 -> e-9
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b, true
}
