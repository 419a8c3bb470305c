package certify

import (
	"testing"
	"time"

	admingen "github.com/cryptomock/cryptomock/gen/mockadmin"
)

// TestReconnectionGaps: CR-API-6 measures a reconnection from when the mock saw the previous
// stream end. One the mock saw arrive just before that (the client let go first, the mock
// learnt of it a moment later) is a reconnection at once; streams overlapping longer are
// parallel subscriptions; one second or more after the end is backing off.
func TestReconnectionGaps(t *testing.T) {
	t0 := time.Date(2026, 11, 22, 3, 0, 0, 0, time.UTC)
	sub := func(seq int64, at time.Duration, lasts time.Duration) admingen.JournalEntry {
		return admingen.JournalEntry{Seq: seq, Method: "GET", Path: "/v5/orders/o-1/subscribe", Status: 200,
			ReceivedAt: t0.Add(at), DurationMs: float64(lasts) / float64(time.Millisecond), Stream: &admingen.StreamSummary{Events: 1}}
	}
	for _, c := range []struct {
		name   string
		second time.Duration // when the second subscription arrives; the first runs from 0 to 5 s
		want   Status
	}{
		{"arrived 20 ms before the mock saw the first end", 5*time.Second - 20*time.Millisecond, Failed},
		{"arrived 5 ms after the first end", 5*time.Second + 5*time.Millisecond, Failed},
		{"arrived 1.6 s after the first end", 6600 * time.Millisecond, Passed},
		{"a parallel subscription, 4 s before the first ended", time.Second, Passed},
	} {
		r := &run{report: newReport(t0)}
		r.subscriptionRule([]admingen.JournalEntry{sub(1, 0, 5*time.Second), sub(2, c.second, time.Second)}, "in the window")
		if got := r.report.result("CR-API-6"); got.Status != c.want {
			t.Errorf("%s: %s %v, want %s", c.name, got.Status, got.Evidence, c.want)
		}
	}
}
