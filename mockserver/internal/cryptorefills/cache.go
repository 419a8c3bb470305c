package cryptorefills

import (
	"encoding/json"
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

func (c *responseCache) lookup(key string) (any, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	b, ok := c.m[key]
	return b, ok
}

// store encodes v (as the generated encoder would: JSON and a newline) and keeps it.
func (c *responseCache) store(key string, v any) {
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
	if _, ok := c.m[key]; !ok && len(c.m) < c.max && c.bytes+size <= c.maxBytes {
		c.m[key] = cachedJSON(append(data, '\n'))
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
