package mockserver_test

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cryptomock/cryptomock/mockserver"
	"github.com/cryptomock/cryptomock/openapi"
)

// TestControlIndexAndSpecs: GET /__mock/ lists every control call (JSON for tools, HTML for
// browsers) and the specs are downloadable byte for byte.
func TestControlIndexAndSpecs(t *testing.T) {
	h := start(t)
	status, hdr, b := call{method: "GET", url: h.url + "/__mock/"}.do(t)
	var idx struct {
		Version string
		APIs    []struct{ Name, BaseURL, Spec string } `json:"apis"`
		Control []struct{ Method, Path, Summary string }
		Specs   []string
	}
	if err := json.Unmarshal([]byte(b), &idx); status != 200 || err != nil || !strings.Contains(hdr.Get("Content-Type"), "json") {
		t.Fatalf("index: %d %v %s", status, err, b)
	}
	adminDoc, _ := openapi.Load(openapi.MockAdmin)
	ops := 0
	for _, item := range adminDoc.Paths.Map() {
		ops += len(item.Operations())
	}
	if len(idx.Control) != ops || len(idx.APIs) != 2 || len(idx.Specs) != 3 || idx.Version != mockserver.Version {
		t.Fatalf("index lists %d calls of %d, %d APIs, %d specs: %s", len(idx.Control), ops, len(idx.APIs), len(idx.Specs), b)
	}
	status, hdr, page := call{method: "GET", url: h.url + "/__mock/", headers: map[string]string{"Accept": "text/html"}}.do(t)
	if status != 200 || !strings.Contains(page, "<table>") || !strings.Contains(page, "POST /__mock/clock/advance") ||
		hdr.Get("X-Content-Type-Options") != "nosniff" {
		t.Fatalf("HTML index: %d %v %.300s", status, hdr, page)
	}
	for _, name := range idx.Specs {
		status, _, got := call{method: "GET", url: h.url + name}.do(t)
		want, _ := openapi.Raw(strings.TrimPrefix(name, "/__mock/openapi/"))
		if status != 200 || !bytes.Equal([]byte(got), want) {
			t.Errorf("%s: %d, %d bytes, want the embedded %d", name, status, len(got), len(want))
		}
	}
	if status, _, _ := (call{method: "GET", url: h.url + "/__mock/openapi/secrets.yaml"}).do(t); status != 404 {
		t.Errorf("an unknown spec: %d", status)
	}
	if status, _, _ := (call{method: "GET", url: h.url + "/__mock/nothing"}).do(t); status != 404 {
		t.Errorf("an unknown control path must not answer the index: %d", status)
	}
}

// TestFaultNamesAreChecked: a fault naming no operation of either API is refused with the
// valid names, never armed to never fire.
func TestFaultNamesAreChecked(t *testing.T) {
	h := start(t)
	status, _, b := call{method: "POST", url: h.url + "/__mock/faults", body: `{"kind":"status","status":503,"operation":"listPaymentViaz"}`}.do(t)
	if status != 400 || !strings.Contains(b, "listPaymentViaz") || !strings.Contains(b, "listPaymentVias") {
		t.Fatalf("misspelt operation: %d %s", status, b)
	}
	for _, op := range []string{"listPaymentVias", "cryptorefills.getOrder", "payscrypt.getPublicOrder"} {
		if status, _, b := (call{method: "POST", url: h.url + "/__mock/faults", body: `{"kind":"latency","latency_ms":1,"operation":"` + op + `"}`}).do(t); status != 201 {
			t.Errorf("%s: %d %s", op, status, b)
		}
	}
}

// TestJournalKeepsBodiesAndRefusals: a refused validation can be read afterwards: what was
// sent, what was answered, and why.
func TestJournalKeepsBodiesAndRefusals(t *testing.T) {
	h := start(t)
	h.req("POST", "/v5/orders/validations", obj{"email": "x@example.com", "payment": obj{"type": "via"}})
	_, b := h.admin("GET", "/__mock/journal?partner="+h.partner, nil)
	var wrap struct{ Entries []map[string]any }
	_ = json.Unmarshal(b, &wrap)
	entries := wrap.Entries
	if len(entries) != 1 {
		t.Fatalf("journal: %s", b)
	}
	e := entries[0]
	if !strings.Contains(e["request_body"].(string), "x@example.com") || !strings.Contains(e["response_body"].(string), `"status":400`) ||
		!strings.Contains(e["refusal"].(string), `"payment_via" is missing`) {
		t.Fatalf("journal entry: %v", e)
	}
}

// TestWebhookAttemptsLogged: each attempt is a log line, failures at warn.
func TestWebhookAttemptsLogged(t *testing.T) {
	var mu sync.Mutex
	var buf bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&lockedWriter{mu: &mu, w: &buf}, nil))
	cfg := mockserver.Defaults()
	cfg.Addr = "127.0.0.1:0"
	srv, err := mockserver.New(cfg, mockserver.WithLogger(logger))
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Open(); err != nil {
		t.Fatal(err)
	}
	defer srv.Shutdown(t.Context())
	h := &harness{t: t, srv: srv, url: srv.URL(), client: &http.Client{Timeout: 30 * time.Second}}
	s := newShop(t, h)
	s.fail = 1
	h.admin("POST", "/__mock/payscrypt/webhooks", obj{"pg_wallet_id": 1, "url": s.URL})
	_, o, _, _ := h.createInvoice("test-apikey", hoodie)
	h.admin("POST", "/__mock/payscrypt/orders/"+o.ID+"/cancel", nil)
	waitUntil(t, "the failed attempt in the log", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return strings.Contains(buf.String(), "level=WARN msg=webhook") && strings.Contains(buf.String(), "outcome=retrying")
	})
}

type lockedWriter struct {
	mu *sync.Mutex
	w  *bytes.Buffer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// TestJournalKeepsCachedAnswers: a catalogue answer comes from the cache, and the journal
// keeps its start without a copy; each entry still holds exactly what its client got (at most
// the first 4,096 bytes, then "…"), whichever answers came after it, cached or written once
// from a recycled buffer.
func TestJournalKeepsCachedAnswers(t *testing.T) {
	h := start(t)
	gets := []string{"/v4/products/price?brand_name=Airbnb&country_code=US&face_value=100&coin=USDC",
		"/v2/brands?country_code=US", "/v4/products/price?brand_name=Airbnb&country_code=US&face_value=50&coin=USDC"}
	var got []string
	for round := range 2 { // each GET answered twice: computed, then from the cache
		for i, p := range gets {
			for _, status := range []int{0, 1} {
				var code int
				var b []byte
				if status == 0 {
					code, b = h.req("GET", p, nil)
				} else {
					code, b = h.req("POST", "/v5/orders/validations", orderBody(withField("email", "j"+strconv.Itoa(round*10+i)+"@example.com")))
				}
				if code != 200 {
					t.Fatalf("%s: %d %s", p, code, b)
				}
				if len(b) > 4096 {
					b = append(b[:4096:4096], "…"...)
				}
				got = append(got, string(b))
			}
		}
	}
	_, b := h.admin("GET", "/__mock/journal?partner="+h.partner, nil)
	var wrap struct{ Entries []map[string]any }
	if err := json.Unmarshal(b, &wrap); err != nil || len(wrap.Entries) != len(got) {
		t.Fatalf("journal: %v %s", err, b)
	}
	for i, e := range wrap.Entries { // oldest first
		if want := got[i]; e["response_body"] != want {
			t.Fatalf("entry %d (%s) keeps %.80q..., the client got %.80q...", i, e["path"], e["response_body"], want)
		}
	}
}
