package cryptorefills

import (
	"encoding/binary"
	"encoding/json"
	"math"
	"net/http"
	"sync"
)

// responseCache keeps encoded catalogue answers. The catalogue never changes after start-up,
// so an answer is a pure function of its parameters and never goes stale; nothing kept is
// ever dropped or written again (the journal shares the bytes). It is bounded by
// entries and by bytes: once full, new keys are answered but not kept, and keys longer than
// cacheKeyMax are never kept (arbitrary query strings cannot grow it).
type responseCache struct {
	mu       sync.RWMutex
	m        map[string]any // cachedJSON, boxed once when stored (not at every answer)
	max      int
	bytes    int
	maxBytes int
}

const cacheKeyMax = 512

func newResponseCache(max, maxBytes int) *responseCache {
	return &responseCache{m: map[string]any{}, max: max, maxBytes: maxBytes}
}

// cacheKey appends a key for operation op and its parameters to dst (a caller's stack buffer:
// a lookup allocates nothing). Each part goes behind its length, so no two parameter lists
// share a key: a '|' or any other byte inside a value cannot move a boundary.
func cacheKey(dst []byte, op string, parts ...string) []byte {
	dst = append(dst, op...)
	for _, p := range parts {
		dst = binary.AppendUvarint(dst, uint64(len(p)))
		dst = append(dst, p...)
	}
	return dst
}

// cacheKeyNumber appends a number part (eight bytes, its bits) to a key.
func cacheKeyNumber(dst []byte, f float64) []byte {
	return binary.LittleEndian.AppendUint64(dst, math.Float64bits(f))
}

func (c *responseCache) lookup(key []byte) (any, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	b, ok := c.m[string(key)] // no copy: the compiler looks up the bytes as they are
	return b, ok
}

// store encodes v (as the generated encoder would: JSON and a newline) and keeps it.
func (c *responseCache) store(key []byte, v any) {
	if len(key) > cacheKeyMax {
		return
	}
	data, err := json.Marshal(v)
	if err != nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	size := len(key) + len(data) + 1
	if _, ok := c.m[string(key)]; !ok && len(c.m) < c.max && c.bytes+size <= c.maxBytes {
		c.m[string(key)] = cachedJSON(append(data, '\n'))
		c.bytes += size
	}
}

// cachedJSON is a 200 answer already encoded; it serves as the response object of every
// catalogue operation.
type cachedJSON []byte

func (b cachedJSON) write(w http.ResponseWriter) error {
	return encoded{status: http.StatusOK, body: b, shared: true}.write(w) // kept in the cache for good
}

func (b cachedJSON) VisitListAvailableCountriesResponse(w http.ResponseWriter) error {
	return b.write(w)
}
func (b cachedJSON) VisitListPaymentViasResponse(w http.ResponseWriter) error { return b.write(w) }
func (b cachedJSON) VisitListCurrenciesResponse(w http.ResponseWriter) error  { return b.write(w) }
func (b cachedJSON) VisitListBrandsResponse(w http.ResponseWriter) error      { return b.write(w) }
func (b cachedJSON) VisitGetHomepageResponse(w http.ResponseWriter) error     { return b.write(w) }
func (b cachedJSON) VisitListProductsResponse(w http.ResponseWriter) error    { return b.write(w) }
func (b cachedJSON) VisitSearchProductsResponse(w http.ResponseWriter) error  { return b.write(w) }
func (b cachedJSON) VisitGetProductPriceResponse(w http.ResponseWriter) error { return b.write(w) }
