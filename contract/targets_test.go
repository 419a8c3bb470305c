package contract_test

import (
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/cryptomock/cryptomock/contract/internal/target"
)

// TestSuiteAgainstOtherTargets runs this very suite (the test binary, as a child process)
// against a mock in other roles, as the "done when" asks:
//   - as a live target: everything that needs no mock capability runs and passes, the rest
//     is skipped with a reason;
//   - as a mock that behaves wrongly: the suite fails and shows which exchange broke and how;
//   - as a mock that is gone: the suite fails and says so.
func TestSuiteAgainstOtherTargets(t *testing.T) {
	if os.Getenv("CONTRACT_CHILD") != "" {
		t.Skip("inside a child run")
	}
	if tg := os.Getenv("CONTRACT_TARGET"); tg != "" && tg != "inproc" {
		t.Skip("checks the suite itself; runs only in the project's own in-process runs, not against " + tg)
	}
	if testing.Short() {
		t.Skip("-short: skips the child runs of the suite")
	}
	url, stop, err := target.StartInproc()
	if err != nil {
		t.Fatal(err)
	}
	defer stop()

	child := func(env map[string]string, args ...string) (string, error) {
		cmd := exec.Command(os.Args[0], append([]string{"-test.run=^TestContract$", "-ginkgo.no-color"}, args...)...)
		cmd.Env = []string{"CONTRACT_CHILD=1"}
		for _, kv := range os.Environ() { // the child's target comes from env below only
			if k, _, _ := strings.Cut(kv, "="); !strings.HasPrefix(k, "CONTRACT_") && !strings.HasPrefix(k, "CR_") &&
				!strings.HasPrefix(k, "CRYPTOREFILLS_") && !strings.HasPrefix(k, "PAYSCRYPT_") {
				cmd.Env = append(cmd.Env, kv)
			}
		}
		for k, v := range env {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
		out, err := cmd.CombinedOutput()
		return string(out), err
	}

	t.Run("live against the mock", func(t *testing.T) {
		out, err := child(map[string]string{"CONTRACT_TARGET": "live", "CRYPTOREFILLS_BASE_URL": url, "PAYSCRYPT_BASE_URL": url, "CRYPTOREFILLS_COUNTRIES_URL": url,
			"CR_PARTNER_ID": "live-check", "CR_APP_VERSION": "1.0", "PAYSCRYPT_APIKEY": "test-apikey", "PAYSCRYPT_WALLET_ID": "1"},
			"-ginkgo.v")
		if err != nil {
			t.Fatalf("live run against the mock failed: %v\n%s", err, tail(out))
		}
		m := regexp.MustCompile(`(\d+) Passed \| 0 Failed \| 0 Pending \| (\d+) Skipped`).FindStringSubmatch(out)
		if m == nil || m[1] == "0" || m[2] == "0" {
			t.Fatalf("want some specs passed and some skipped:\n%s", tail(out))
		}
		if !strings.Contains(out, "lacks (it has no control API)") || !strings.Contains(out, "CONTRACT_LIVE_WRITES=1") {
			t.Errorf("skips must give their reason:\n%s", tail(out))
		}
	})

	t.Run("a developer's running mock keeps its orders", func(t *testing.T) {
		// A developer's own order and invoice, pending, on the mock the suite then runs against:
		// every spec moves only its own tenant's clock, so neither expires.
		do := func(method, path, body string, hdr ...string) string {
			req, _ := http.NewRequest(method, url+path, strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			for i := 0; i+1 < len(hdr); i += 2 {
				req.Header.Set(hdr[i], hdr[i+1])
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var b strings.Builder
			_, _ = io.Copy(&b, resp.Body)
			return b.String()
		}
		dev := []string{"X-Cr-Application", "a-developer", "X-Cr-Version", "1.0"}
		order := regexp.MustCompile(`"order_id":"([^"]+)"`).FindStringSubmatch(do("POST", "/v5/orders",
			`{"email":"dev@example.com","payment":{"type":"via","payment_via":"USER_WALLET","coin":"USDC","network":"Solana"},"deliveries":[{"beneficiary_account":"dev@example.com","brand_name":"Airbnb","country_code":"US","denomination":"100 USD"}],"lang":"en"}`, dev...))
		invoice := regexp.MustCompile(`"id":"(\d+)"`).FindStringSubmatch(do("POST", "/apis/pg/create_order",
			`{"merchant_order_id":"dev-1","asset_name":"ETH","target_value":"1000","pg_wallet_id":1}`, "apikey", "test-apikey"))
		if order == nil || invoice == nil {
			t.Fatal("could not create the developer's order and invoice")
		}
		if out, err := child(map[string]string{"CONTRACT_TARGET": "mock", "CONTRACT_BASE_URL": url}); err != nil {
			t.Fatalf("the suite against the running mock failed: %v\n%s", err, tail(out))
		}
		if got := do("GET", "/v5/orders/"+order[1], "", dev...); !strings.Contains(got, `"order_state":"WaitingForPayment"`) {
			t.Errorf("the developer's order after the suite: %.300s", got)
		}
		if got := do("POST", "/apis/pg/get_public_order", `{"id":"`+invoice[1]+`"}`); !strings.Contains(got, "PENDING") {
			t.Errorf("the developer's invoice after the suite: %.300s", got)
		}
		if got := do("GET", "/__mock/clock", ""); !strings.Contains(got, `"offset_seconds":0`) {
			t.Errorf("the suite moved everyone's clock: %s", got)
		}
	})

	t.Run("a mock that behaves wrongly", func(t *testing.T) {
		// Make the mock answer 418 (no status the spec knows) on the payment channels.
		req, _ := http.NewRequest("POST", url+"/__mock/faults", strings.NewReader(
			`{"kind":"status","status":418,"operation":"listPaymentVias","count":0}`))
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil || resp.StatusCode != 201 {
			t.Fatalf("arm the fault: %v %v", err, resp)
		}
		resp.Body.Close()
		out, err := child(map[string]string{"CONTRACT_TARGET": "mock", "CONTRACT_BASE_URL": url}, "-ginkgo.label-filter=catalogue")
		if err == nil {
			t.Fatalf("the suite passed against a broken mock:\n%s", tail(out))
		}
		for _, want := range []string{"GET " + url + "/v3/payment_vias", "answered 418", "listPaymentVias", "transcript"} {
			if !strings.Contains(out, want) {
				t.Errorf("the failure should show %q:\n%s", want, tail(out))
			}
		}
	})

	t.Run("a mock that is gone", func(t *testing.T) {
		ln, _ := net.Listen("tcp", "127.0.0.1:0")
		gone := "http://" + ln.Addr().String()
		ln.Close()
		begin := time.Now()
		out, err := child(map[string]string{"CONTRACT_TARGET": "mock", "CONTRACT_BASE_URL": gone})
		if err == nil || !strings.Contains(out, "cannot be reached") || !strings.Contains(out, "connection refused") {
			t.Fatalf("want a failure naming the refused connection: %v\n%s", err, tail(out))
		}
		// One failure for the whole run, not one per spec; and a short output.
		if n := strings.Count(out, "cannot be reached"); n > 3 || strings.Count(out, "\n") > 60 || strings.Contains(out, "77 Failed") {
			t.Fatalf("an unreachable target should fail once, briefly (%d lines):\n%s", strings.Count(out, "\n"), tail(out))
		}
		t.Logf("unreachable target: failed in %v with %d lines of output", time.Since(begin).Round(time.Millisecond), strings.Count(out, "\n"))
	})

	t.Run("a wrong target", func(t *testing.T) {
		other := httptest.NewServer(http.NotFoundHandler()) // something that is not a mock
		defer other.Close()
		out, err := child(map[string]string{"CONTRACT_TARGET": "mock", "CONTRACT_BASE_URL": other.URL})
		if err == nil || !strings.Contains(out, "does not look like cryptomock") {
			t.Fatalf("want a failure saying the target is not a mock: %v\n%s", err, tail(out))
		}
	})

	t.Run("a passing run is quiet", func(t *testing.T) {
		// The fault specs provoke spec violations on purpose: a green run shows none of them.
		out, err := child(map[string]string{"CONTRACT_TARGET": "mock", "CONTRACT_BASE_URL": url}, "-ginkgo.label-filter=faults || sse || bad-request")
		if err != nil {
			t.Fatalf("%v\n%s", err, tail(out))
		}
		if strings.Contains(out, "SPEC VIOLATION") || strings.Contains(out, "transcript") {
			t.Fatalf("a passing run printed transcripts or violations:\n%s", tail(out))
		}
	})
}

func tail(s string) string {
	if len(s) > 4000 {
		return "…" + s[len(s)-4000:]
	}
	return s
}
