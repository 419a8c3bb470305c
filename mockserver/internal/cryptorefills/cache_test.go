package cryptorefills

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// TestCacheKeysNeverCollide: two parameter lists share a key only when they are the same list,
// whatever bytes the values hold (the separator of the old keys, length-like bytes, nothing).
func TestCacheKeysNeverCollide(t *testing.T) {
	alphabet := []string{"", "a", "b", "|", "\x01", "\x02", "ab", "a|b"}
	random := func(r *rand.Rand) []string {
		parts := make([]string, r.IntN(4))
		for i := range parts {
			for range r.IntN(3) {
				parts[i] += alphabet[r.IntN(len(alphabet))]
			}
		}
		return parts
	}
	r := rand.New(rand.NewPCG(1, 2))
	seen := map[string][]string{}
	for range 50_000 {
		parts := random(r)
		key := string(cacheKey(nil, "op", parts...))
		if prev, ok := seen[key]; ok && !slices.Equal(prev, parts) {
			t.Fatalf("%q and %q share the key %q", prev, parts, key)
		}
		seen[key] = parts
	}
	if len(seen) < 1000 {
		t.Fatalf("only %d distinct lists tried", len(seen))
	}
	// The old keys joined the parts with '|': these two met.
	if a, b := cacheKey(nil, "products", "US", "a|b", "", ""), cacheKey(nil, "products", "US", "a", "b", ""); string(a) == string(b) {
		t.Fatal("a '|' inside a value moved a boundary")
	}
	if a, b := cacheKeyNumber(cacheKey(nil, "price", "x"), 100), cacheKeyNumber(cacheKey(nil, "price", "x"), 100.5); string(a) == string(b) {
		t.Fatal("two face values share a key")
	}
}
