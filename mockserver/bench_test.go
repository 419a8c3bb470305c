package mockserver_test

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"testing"

	"github.com/cryptomock/cryptomock/mockserver"
)

// Benchmarks run the handler chain in-process (httptest recorder, no sockets), so they measure
// the mock's own cost: middleware, routing, request validation against the spec, handler and
// encoding. Figures and commands: BENCHMARKS.md.

func benchServer(b *testing.B) http.Handler {
	b.Helper()
	mockserver.TuneRuntime(os.Getenv) // the collector as cmd/mockserver runs it (for the bare handler too)
	cfg := mockserver.Defaults()
	cfg.AllowedHosts = []string{"example.com"} // httptest.NewRequest's Host, or every request is refused
	srv, err := mockserver.New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = srv.Shutdown(b.Context()) })
	return srv.Handler()
}

func crRequest(method, target string, body []byte) *http.Request {
	var rd io.Reader // none for a GET: the server hands handlers http.NoBody then, and so does httptest
	if body != nil {
		rd = bytes.NewReader(body)
	}
	r := httptest.NewRequest(method, target, rd)
	r.Header.Set("X-Cr-Application", "bench")
	r.Header.Set("X-Cr-Version", "1.0")
	if body != nil {
		r.Header.Set("Content-Type", "application/json")
	}
	return r
}

func serve(b *testing.B, h http.Handler, r *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

var catalogueGETs = map[string]string{
	"brands":   "/v2/brands?country_code=US",
	"products": "/v5/products/country/US?family_name=airbnb&coin=USDC&lang=en",
	"price":    "/v4/products/price?brand_name=Airbnb&country_code=US&face_value=100&coin=USDC",
}

// BenchmarkCatalogueGET compares the validated mock with a bare handler writing the very same
// bytes (target: the mock within 2x of the bare handler).
func BenchmarkCatalogueGET(b *testing.B) {
	h := benchServer(b)
	for name, target := range catalogueGETs {
		body := serve(b, h, crRequest("GET", target, nil)).Body.Bytes()
		bare := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write(body)
		})
		b.Run(name+"/mock", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if w := serve(b, h, crRequest("GET", target, nil)); w.Code != 200 {
					b.Fatal(w.Code)
				}
			}
		})
		b.Run(name+"/bare", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				serve(b, bare, crRequest("GET", target, nil))
			}
		})
	}
}

func BenchmarkValidateOrder(b *testing.B) {
	h := benchServer(b)
	body := []byte(`{"email":"jane@example.com","payment":{"type":"via","payment_via":"USER_WALLET","coin":"USDC"},"deliveries":[{"beneficiary_account":"jane@example.com","brand_name":"Airbnb","country_code":"US","denomination":"100 USD"}]}`)
	b.ReportAllocs()
	for b.Loop() {
		if w := serve(b, h, crRequest("POST", "/v5/orders/validations", body)); w.Code != 200 {
			b.Fatal(w.Code)
		}
	}
}

func BenchmarkCreateOrder(b *testing.B) {
	h := benchServer(b)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++ // one buyer per order: the same one would hit the daily spending limit
		body := fmt.Appendf(nil, `{"user":{"email":"buyer%d@example.com"},"payment":{"type":"via","payment_via":"USER_WALLET","coin":"USDC","network":"Solana"},"deliveries":[{"brand_name":"Airbnb","country_code":"US","denomination":"100"}]}`, i)
		w := serve(b, h, crRequest("POST", "/v5/orders", body))
		if w.Code != 201 {
			b.Fatal(w.Code, w.Body.String())
		}
		_, _ = io.Copy(io.Discard, w.Body)
	}
}

// BenchmarkCatalogueGETOverHTTP is the same comparison over real loopback connections
// (keep-alive, one request at a time): what a client pays per request.
func BenchmarkCatalogueGETOverHTTP(b *testing.B) {
	h := start(b)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
	get := func(b *testing.B, url string) {
		req, _ := http.NewRequest("GET", url, nil)
		req.Header.Set("X-Cr-Application", "bench")
		req.Header.Set("X-Cr-Version", "1.0")
		resp, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			b.Fatal(resp.StatusCode)
		}
	}
	for name, target := range catalogueGETs {
		_, body := h.req("GET", target, nil)
		bare := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write(body)
		}))
		b.Run(name+"/mock", func(b *testing.B) {
			for b.Loop() {
				get(b, h.url+target)
			}
		})
		b.Run(name+"/bare", func(b *testing.B) {
			for b.Loop() {
				get(b, bare.URL+target)
			}
		})
		bare.Close()
	}
}

// BenchmarkRetainedPerOrder reports the heap the server keeps per created order (the stored
// order, its event replay and the journal's share, after a GC): b.N orders are created, none
// streamed.
func BenchmarkRetainedPerOrder(b *testing.B) {
	h := benchServer(b)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	i := 0
	for b.Loop() {
		i++
		body := fmt.Appendf(nil, `{"user":{"email":"keep%d@example.com"},"payment":{"type":"via","payment_via":"USER_WALLET","coin":"USDC","network":"Solana"},"deliveries":[{"brand_name":"Airbnb","country_code":"US","denomination":"100"}]}`, i)
		if w := serve(b, h, crRequest("POST", "/v5/orders", body)); w.Code != 201 {
			b.Fatal(w.Code, w.Body.String())
		}
	}
	b.StopTimer()
	runtime.GC()
	runtime.ReadMemStats(&after)
	b.ReportMetric(float64(int64(after.HeapAlloc)-int64(before.HeapAlloc))/float64(i), "B/order")
	runtime.KeepAlive(h)
}
