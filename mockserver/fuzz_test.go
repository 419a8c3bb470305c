package mockserver_test

import (
	"bytes"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/cryptomock/cryptomock/mockserver"
	"github.com/cryptomock/cryptomock/scenarios"
)

// Fuzz targets for every decoder of outside input: request bodies, query strings and path
// parameters of both APIs (through the whole handler chain, in-process), and the config file.
// Each runs its seed corpus (f.Add and testdata/fuzz/) in every `go test`; `go test -fuzz=Name`
// explores further. The property: the mock never answers 5xx and never panics.

var (
	fuzzOnce    sync.Once
	fuzzHandler http.Handler
)

func fuzzServer(f *testing.F) http.Handler {
	fuzzOnce.Do(func() {
		cfg := mockserver.Defaults()
		cfg.Cryptorefills.Lifecycle.MaxOrders = 200 // bounded state however long it runs
		cfg.AllowedHosts = []string{"example.com"}  // httptest.NewRequest's Host, or every request is refused
		srv, err := mockserver.New(cfg)
		if err != nil {
			f.Fatal(err)
		}
		fuzzHandler = srv.Handler()
	})
	return fuzzHandler
}

func serveFuzz(t *testing.T, h http.Handler, r *http.Request) {
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code >= 500 {
		t.Fatalf("%s %s answered %d: %s", r.Method, r.URL, w.Code, w.Body.String())
	}
}

func seedBodies(f *testing.F, api string) {
	all, err := scenarios.Load()
	if err != nil {
		f.Fatal(err)
	}
	creds := scenarios.Credentials{Partner: "fuzz", Version: "1", APIKey: "test-apikey", WalletID: 1}
	for _, s := range all {
		if s.API != api {
			continue
		}
		if b, _ := s.Body(creds, scenarios.Vars{"invoice": "1001"}); b != nil {
			f.Add(s.Operation, b)
		}
	}
}

// fuzzBody posts fuzzed bodies to one of two operations of an API (seeded with the
// catalogue's bodies of that API), with the credentials the API wants.
func fuzzBody(f *testing.F, api, createPath, otherPath string, headers map[string]string) {
	seedBodies(f, api)
	h := fuzzServer(f)
	f.Fuzz(func(t *testing.T, op string, body []byte) {
		path := otherPath
		if op == "createOrder" || op == "createPaymentOrder" { // the creation operation of either API
			path = createPath
		}
		r := httptest.NewRequest("POST", path, bytes.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		for k, v := range headers {
			r.Header.Set(k, v)
		}
		serveFuzz(t, h, r)
	})
}

func FuzzCryptorefillsBody(f *testing.F) {
	fuzzBody(f, "cryptorefills", "/v5/orders", "/v5/orders/validations", map[string]string{"X-Cr-Application": "fuzz", "X-Cr-Version": "1"})
}

func FuzzPayscryptBody(f *testing.F) {
	fuzzBody(f, "payscrypt", "/apis/pg/create_order", "/apis/pg/get_public_order", map[string]string{"apikey": "test-apikey"})
}

func FuzzQuery(f *testing.F) {
	for _, q := range []string{"family_name=airbnb&coin=USDC&lang=en", "brand_name=Airbnb&country_code=US&face_value=100&coin=USDC",
		"country_code=US", "q=steam", "face_value=1e309&coin=BTC", "family_name=%ff", "lang=xx&coin=&family_name="} {
		f.Add(q)
	}
	h := fuzzServer(f)
	f.Fuzz(func(t *testing.T, rawQuery string) {
		for _, path := range []string{"/v5/products/country/US", "/v4/products/price", "/v2/brands", "/v2/search/FR", "/v2/homepage"} {
			r := httptest.NewRequest("GET", path, nil)
			r.URL.RawQuery = rawQuery
			r.Header.Set("X-Cr-Application", "fuzz")
			r.Header.Set("X-Cr-Version", "1")
			serveFuzz(t, h, r)
		}
	})
}

func FuzzPathParameter(f *testing.F) {
	for _, p := range []string{"ord_abc123xyz", "f9d624ad-dc5e-4efd-9ecf-f8fb08a22677", "..", "%00", "a/b", "1001"} {
		f.Add(p)
	}
	h := fuzzServer(f)
	f.Fuzz(func(t *testing.T, param string) {
		for _, prefix := range []string{"/v5/orders/", "/v3/qrs/", "/v5/products/country/", "/v2/search/"} {
			r := httptest.NewRequest("GET", "/", nil)
			r.URL = &url.URL{Path: prefix + param, RawQuery: "family_name=x&q=x"}
			r.Header.Set("X-Cr-Application", "fuzz")
			r.Header.Set("X-Cr-Version", "1")
			serveFuzz(t, h, r)
		}
	})
}

func FuzzConfig(f *testing.F) {
	f.Add([]byte("seed: 7\ncryptorefills:\n  lifecycle:\n    payment_window: 15m\n"))
	f.Add([]byte("payscrypt:\n  merchants: [{pg_wallet_id: 1, apikey: k, webhooks: ['http://x']}]\n"))
	f.Add([]byte("limits: {max_body_bytes: 1}\n"))
	f.Add([]byte("{{{"))
	f.Fuzz(func(t *testing.T, b []byte) {
		cfg, err := mockserver.Parse(b)
		if err != nil {
			if !errors.Is(err, mockserver.ErrConfig) {
				t.Fatalf("error not wrapping ErrConfig: %v", err)
			}
			return
		}
		if _, err := mockserver.New(cfg); err != nil && !errors.Is(err, mockserver.ErrConfig) {
			t.Fatalf("New: error not wrapping ErrConfig: %v", err)
		}
	})
}

// FuzzBrowserMarkers sends control calls and upstream calls with fuzzed Host, Origin and
// Sec-Fetch-Site headers: nothing answers 5xx, a control call from an origin that is neither
// loopback nor the request's own host never succeeds, and a Host that names neither loopback
// nor anything configured is always refused.
func FuzzBrowserMarkers(f *testing.F) {
	for _, s := range [][3]string{
		{"127.0.0.1:8080", "http://localhost:3000", ""}, {"evil.example", "http://evil.example", "cross-site"},
		{"localhost", "null", ""}, {"[::1]:80", "", "cross-site"}, {"localhost:8080", "http://localhost.evil.example", "same-site"},
		{"LOCALHOST.", "HTTP://LOCALHOST", ""}, {"127.0.0.1", "http://127.0.0.1:1@evil.example", ""},
	} {
		f.Add(s[0], s[1], s[2])
	}
	h := fuzzServer(f)
	f.Fuzz(func(t *testing.T, host, origin, fetchSite string) {
		for _, path := range []string{"/__mock/clock/advance", "/v3/payment_vias"} {
			r := httptest.NewRequest("POST", "/", strings.NewReader(`{"seconds": 0}`))
			if path == "/v3/payment_vias" {
				r = httptest.NewRequest("GET", "/", nil)
				r.Header.Set("X-Cr-Application", "fuzz")
				r.Header.Set("X-Cr-Version", "1")
			}
			r.URL.Path, r.Host = path, host
			for k, v := range map[string]string{"Origin": origin, "Sec-Fetch-Site": fetchSite} {
				if v != "" {
					r.Header[k] = []string{v}
				}
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code >= 500 {
				t.Fatalf("%s Host %q Origin %q: %d %s", path, host, origin, w.Code, w.Body)
			}
			hostName := strings.ToLower(strings.Trim(hostOnly(host), "[]."))
			loopHost := host == "" || hostName == "localhost" || strings.HasSuffix(hostName, ".localhost") || isLoopbackIP(hostName)
			if !loopHost && w.Code < 300 {
				t.Fatalf("%s with Host %q answered %d", path, host, w.Code)
			}
			if u, err := url.Parse(origin); strings.HasPrefix(path, "/__mock/") && origin != "" && w.Code < 300 {
				oh := ""
				if err == nil {
					oh = strings.ToLower(strings.Trim(u.Hostname(), "."))
				}
				if oh != "localhost" && !strings.HasSuffix(oh, ".localhost") && !isLoopbackIP(oh) && !strings.EqualFold(u.Host, host) {
					t.Fatalf("control call from Origin %q (Host %q) answered %d", origin, host, w.Code)
				}
			}
		}
	})
}

func hostOnly(hostport string) string {
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		return h
	}
	return hostport
}

func isLoopbackIP(s string) bool {
	ip := net.ParseIP(s)
	return ip != nil && ip.IsLoopback()
}
