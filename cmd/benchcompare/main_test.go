package main

import (
	"io"
	"net/http"
	"testing"
	"time"
)

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

// TestBareHandler: over loopback, the bare handler answers the mock's status and bytes for a
// known request, 200 for any other (waitUp's probe), and a busy one takes at least its busy
// time per request before answering the same.
func TestBareHandler(t *testing.T) {
	answers := map[string]answer{"POST /v5/orders": {status: 201, body: []byte(`{"order_id":"x"}`)}}
	for _, busy := range []time.Duration{0, 3 * time.Millisecond} {
		url, stop, err := serveBare(answers, busy)
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		resp, err := http.Post(url+"/v5/orders", "application/json", nil)
		if err != nil {
			stop()
			t.Fatal(err)
		}
		took := time.Since(start)
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 201 || string(body) != `{"order_id":"x"}` || resp.Header.Get("Content-Type") != "application/json" {
			t.Errorf("busy %v: %d %q %q", busy, resp.StatusCode, resp.Header.Get("Content-Type"), body)
		}
		if took < busy {
			t.Errorf("busy %v answered after %v", busy, took)
		}
		resp, err = http.Get(url + "/elsewhere")
		if err != nil || resp.StatusCode != 200 {
			t.Errorf("busy %v: a request it has no answer for: %v %v", busy, resp, err)
		}
		if resp != nil {
			resp.Body.Close()
		}
		stop()
	}
}

func TestParseBusy(t *testing.T) {
	got, err := parseBusy(" 10us, 20us,,")
	if err != nil || len(got) != 2 || got[0] != 10*time.Microsecond || got[1] != 20*time.Microsecond {
		t.Errorf("10us,20us: %v %v", got, err)
	}
	if got, err := parseBusy(""); err != nil || len(got) != 0 {
		t.Errorf("empty: %v %v", got, err)
	}
	for _, bad := range []string{"10", "-1us", "0s", "2s", "fast"} {
		if _, err := parseBusy(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
