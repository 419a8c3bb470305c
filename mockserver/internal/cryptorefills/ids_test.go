package cryptorefills

import (
	"regexp"
	"testing"
)

// TestFreshIDsAreRandomUUIDs: every id is a version 4 UUID of the RFC's variant in lower-case
// text, no two are the same, each of the 30 random hex digits takes many values, and any
// count of ids works (past the caller's room too).
func TestFreshIDsAreRandomUUIDs(t *testing.T) {
	v4 := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	seen := map[string]bool{}
	var digits [36]map[byte]bool
	for i := range digits {
		digits[i] = map[byte]bool{}
	}
	for n := range 40 {
		var room [12]string
		ids := freshIDs(room[:], n)
		if len(ids) != n {
			t.Fatalf("%d ids asked, %d given", n, len(ids))
		}
		for _, id := range ids {
			if !v4.MatchString(id) {
				t.Fatalf("%q is not a version 4 UUID", id)
			}
			if seen[id] {
				t.Fatalf("%q given twice", id)
			}
			seen[id] = true
			for j := range id {
				digits[j][id[j]] = true
			}
		}
	}
	for j, d := range digits {
		switch {
		case j == 8 || j == 13 || j == 18 || j == 23, j == 14: // dashes, the version
			if len(d) != 1 {
				t.Fatalf("position %d takes %d values", j, len(d))
			}
		case j == 19: // the variant: 8, 9, a or b
			if len(d) != 4 {
				t.Fatalf("the variant digit takes %d values, want 4", len(d))
			}
		case len(d) < 14: // 780 ids: each of 16 digits is missing with odds of ~1e-20
			t.Fatalf("random position %d takes only %d values", j, len(d))
		}
	}
}
