package main

import "testing"

// TestMedian: the median round of an odd count, the lower middle of an even one, whatever the
// order the rounds came in.
func TestMedian(t *testing.T) {
	rs := func(rates ...float64) []result {
		var out []result
		for _, r := range rates {
			out = append(out, result{rps: r, statuses: "200 100%"})
		}
		return out
	}
	for _, tc := range []struct {
		rounds []result
		want   float64
	}{
		{rs(5), 5}, {rs(3, 1, 2), 2}, {rs(9, 7, 8, 1), 7}, {rs(2, 2, 1), 2},
	} {
		if got := median(tc.rounds); got.rps != tc.want {
			t.Errorf("median of %v: %v, want %v", tc.rounds, got.rps, tc.want)
		}
	}
}
