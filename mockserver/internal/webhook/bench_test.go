package webhook

import (
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cryptomock/cryptomock/mockserver/internal/clock"
)

// BenchmarkDeliveries measures sustained deliveries per second to one local receiver, alone
// and while another receiver answers slowly (500 ms per request) with deliveries queued for
// it. Figures: BENCHMARKS.md.
func BenchmarkDeliveries(b *testing.B) {
	for _, withSlow := range []bool{false, true} {
		name := "alone"
		if withSlow {
			name = "beside-a-slow-receiver"
		}
		b.Run(name, func(b *testing.B) {
			clk := clock.New()
			defer clk.Close()
			// Every delivery is queued at once here: the bounds on open deliveries are lifted.
			d := New(clk, Config{Timeout: 5 * time.Second, PerURLInFlight: 32, MaxPerURL: 1 << 30, MaxTotal: 1 << 30})
			var got atomic.Int64
			fast := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { got.Add(1) }))
			defer fast.Close()
			if withSlow {
				slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { time.Sleep(500 * time.Millisecond) }))
				defer slow.Close()
				for i := 0; i < 200; i++ {
					d.Send(slow.URL, []byte(`{"id":"1","status":"SUCCESSFUL"}`), Meta{OrderID: 1})
				}
			}
			body := []byte(`{"id":"2","pg_wallet_id":"1","merchant_order_id":"1234","status":"SUCCESSFUL"}`)
			start := time.Now()
			for b.Loop() {
				d.Send(fast.URL, body, Meta{OrderID: 2})
			}
			for got.Load() < int64(b.N) {
				time.Sleep(time.Millisecond)
			}
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "deliveries/s")
			d.Close(b.Context())
		})
	}
}
