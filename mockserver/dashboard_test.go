package mockserver_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cryptomock/cryptomock/mockserver"
)

// GET / is the dashboard for a browser and the JSON index for everyone else; its pages carry
// the payment page's security headers, need no token (their data calls do), and load nothing
// from elsewhere.
func TestDashboardPagesAndIndex(t *testing.T) {
	h := start(t, func(c *mockserver.Config) { c.Control.Token = "dash-secret-token" })
	status, hdr, body := call{method: "GET", url: h.url + "/", headers: map[string]string{"Accept": "text/html,application/xhtml+xml"}}.do(t)
	if status != 200 || !strings.Contains(body, `src="/ui/assets/app.js"`) || !strings.Contains(hdr.Get("Content-Security-Policy"), "default-src 'none'") ||
		hdr.Get("X-Frame-Options") != "DENY" || hdr.Get("X-Content-Type-Options") != "nosniff" {
		t.Fatalf("GET / as a browser: %d %v\n%s", status, hdr, body)
	}
	for _, forbidden := range []string{"http://", "https://"} {
		if strings.Contains(strings.ReplaceAll(body, "http://www.w3.org", ""), forbidden) {
			t.Errorf("the page names an outside address (%s): it must work offline", forbidden)
		}
	}
	status, _, body = call{method: "GET", url: h.url + "/"}.do(t)
	var index struct {
		APIs  []struct{ Name string } `json:"apis"`
		Specs []string                `json:"specs"`
	}
	if status != 200 || json.Unmarshal([]byte(body), &index) != nil || len(index.APIs) != 2 || len(index.Specs) != 3 {
		t.Fatalf("GET / as a tool: %d %s", status, body)
	}
	for _, page := range []string{"/ui/", "/ui/journal", "/ui/webhooks", "/ui/catalogue", "/ui/specs", "/ui/cryptorefills/orders/x", "/ui/payscrypt/invoices/1"} {
		if status, hdr, _ := (call{method: "GET", url: h.url + page}).do(t); status != 200 || !strings.HasPrefix(hdr.Get("Content-Type"), "text/html") {
			t.Errorf("%s: %d %s", page, status, hdr.Get("Content-Type"))
		}
	}
	for asset, ct := range map[string]string{"app.js": "text/javascript", "app.css": "text/css"} {
		status, hdr, body := call{method: "GET", url: h.url + "/ui/assets/" + asset}.do(t)
		if status != 200 || !strings.HasPrefix(hdr.Get("Content-Type"), ct) || len(body) < 1000 || strings.Contains(body, "https://") {
			t.Errorf("asset %s: %d %s (%d bytes)", asset, status, hdr.Get("Content-Type"), len(body))
		}
	}
	if status, _, _ := (call{method: "GET", url: h.url + "/ui/assets/nope.js"}).do(t); status != 404 {
		t.Errorf("unknown asset: %d", status)
	}
	status, _, body = call{method: "GET", url: h.url + "/ui/specs/cryptorefills.yaml"}.do(t)
	if status != 200 || !strings.Contains(body, `id="op-validateOrder"`) || !strings.Contains(body, "/v5/orders/validations") {
		t.Errorf("the rendered spec: %d", status)
	}
	if status, _, _ := (call{method: "GET", url: h.url + "/ui/specs/secrets.yaml"}).do(t); status != 404 {
		t.Errorf("unknown spec: %d", status)
	}
	// The pages need no token; the data does.
	if status, _, _ := (call{method: "GET", url: h.url + "/__mock/tenants"}).do(t); status != 401 {
		t.Errorf("tenants without the token: %d", status)
	}
	// A link from another site opens the dashboard (a navigation reads nothing); a script of
	// that site cannot fetch it, nor its data.
	nav := map[string]string{"Accept": "text/html", "Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "document"}
	if status, _, _ := (call{method: "GET", url: h.url + "/", headers: nav}).do(t); status != 200 {
		t.Errorf("a link from another site to the dashboard: %d", status)
	}
	if status, hdr, _ := (call{method: "GET", url: h.url + "/", headers: map[string]string{"Origin": "http://evil.test", "Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "cors"}}).do(t); status != 403 || hdr.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("a cross-site fetch of the index: %d %v", status, hdr)
	}
	// Foreign origins reach the dashboard's data no more than the rest of the control API.
	if status, _, _ := (call{method: "GET", url: h.url + "/__mock/events", headers: map[string]string{
		"Authorization": "Bearer dash-secret-token", "Origin": "http://evil.test", "Sec-Fetch-Site": "cross-site"}}).do(t); status != 403 {
		t.Errorf("a cross-site read of the change stream: %d", status)
	}
}

// The change stream tells the dashboard of requests, orders, invoices and clock moves.
func TestChangeStream(t *testing.T) {
	h := start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", h.url+"/__mock/events", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("events: %v %v", err, resp)
	}
	defer resp.Body.Close()
	kinds := make(chan string, 64)
	go func() {
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			if data, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
				var c struct{ Kind, ID, State string }
				if json.Unmarshal([]byte(data), &c) == nil {
					kinds <- c.Kind + ":" + c.State
				}
			}
		}
		close(kinds)
	}()
	o := h.create(orderBody())
	h.pay(o.OrderID, "")
	h.advance(5)
	want := map[string]bool{"request:201": false, "order:WaitingForPayment": false, "order:PaymentReceived": false, "clock:": false}
	for missing := len(want); missing > 0; {
		select {
		case k, ok := <-kinds:
			if !ok {
				t.Fatalf("the stream ended; still missing %v", want)
			}
			if seen, tracked := want[k]; tracked && !seen {
				want[k] = true
				missing--
			}
		case <-ctx.Done():
			t.Fatalf("changes not seen: %v", want)
		}
	}
}

// Tenants and timelines: what the overview and the order and invoice pages show.
func TestTenantsAndTimelines(t *testing.T) {
	h := start(t)
	o := h.create(orderBody())
	h.create(orderBody())
	h.pay(h.create(orderBody()).OrderID, "") // two orders waiting, one paid
	h.createInvoice("test-apikey", hoodie)
	h.admin("POST", "/__mock/cryptorefills/problems", obj{"partner": h.partner, "problems": []string{"OUT_OF_STOCK"}})
	h.admin("POST", "/__mock/faults", obj{"kind": "status", "status": 503, "partner": "test-apikey", "operation": "createPaymentOrder"})
	_, b := h.admin("GET", "/__mock/tenants", nil)
	var tenants struct {
		Tenants []struct {
			Tenant, Apikey string
			Orders, Faults int
			Problems       []string
			ByState        map[string]int `json:"by_state"`
		}
	}
	_ = json.Unmarshal(b, &tenants)
	partnerOK, merchantOK := false, false
	for _, tn := range tenants.Tenants {
		switch tn.Tenant {
		case "cryptorefills:" + h.partner:
			partnerOK = tn.Orders == 3 && tn.ByState["WaitingForPayment"] == 2 && tn.ByState["PaymentReceived"] == 1 && len(tn.Problems) == 1
		case "payscrypt:1":
			merchantOK = tn.Apikey == "test-apikey" && tn.Faults == 1 && tn.Orders == 1 && tn.ByState["PENDING"] == 1
		}
	}
	if !partnerOK || !merchantOK {
		t.Fatalf("tenants (partner %v, merchant %v): %s", partnerOK, merchantOK, b)
	}
	h.admin("DELETE", "/__mock/faults", nil)
	h.pay(o.OrderID, "")
	status, b := h.admin("GET", "/__mock/cryptorefills/orders/"+o.OrderID, nil)
	var tl struct {
		Order struct {
			OrderState string `json:"order_state"`
		}
		Frames []struct {
			Event string
			Data  string
		}
		Requests []struct{ Method, Path string }
		Next     []struct{ What string }
	}
	if status != 200 || json.Unmarshal(b, &tl) != nil || tl.Order.OrderState != "PaymentReceived" || len(tl.Frames) < 2 ||
		len(tl.Requests) != 1 || tl.Requests[0].Method != "POST" {
		t.Fatalf("order timeline: %d %s", status, b)
	}
	if status, _ := h.admin("GET", "/__mock/cryptorefills/orders/nope", nil); status != 404 {
		t.Errorf("unknown order: %d", status)
	}
	_, inv, _, _ := h.createInvoice("test-apikey", hoodie)
	status, b = h.admin("GET", "/__mock/payscrypt/orders/"+inv.ID, nil)
	if status != 200 || !strings.Contains(string(b), "expires (EXPIRED) unless paid") || !strings.Contains(string(b), "/apis/pg/create_order") {
		t.Fatalf("invoice timeline: %d %s", status, b)
	}
	if status, _ := h.admin("GET", "/__mock/payscrypt/orders/abc", nil); status != 400 {
		t.Errorf("a non-numeric invoice id: %d", status)
	}
}

// TestDashboardInChromium drives the dashboard in a real browser: an order created through the
// public API appears on / without a reload; its page shows the timeline; Pay and the clock
// move it to Done with every state and frame shown; a refused request shows its reason; an
// invoice's webhook attempts appear with the receiver's status, and a duplicate sent from its
// page; Pay part and Pay late on a second order; a problem armed from a tenant's panel; the
// catalogue's triggers marked and its logos never loaded. Screenshots of the main views
// go to reports/dashboard/ (not committed).
func TestDashboardInChromium(t *testing.T) {
	node := needClients(t, true)
	h := start(t)
	shots, _ := filepath.Abs(filepath.Join("..", "reports", "dashboard"))
	c := runClient(t, node, "dashboard.mjs", h.url, shots, "flow")
	m := c.waitFor(t, "done")
	c.wait(t)
	t.Logf("screenshots in %s; the order appeared %v ms after its creation", shots, m["appearMs"])
	if m["reloaded"] != false || m["orderTimelineHasCreation"] != true || m["curlShown"] != true {
		t.Errorf("dashboard: %v", m)
	}
	if ms, _ := m["appearMs"].(float64); ms > 1000 {
		t.Errorf("the order took %v ms to appear on /; the issue asks for a second", ms)
	}
	want := "message:WaitingForPayment message:PaymentReceived message:WaitingForDelivery message:Done stop:Done"
	if got := strings.Join(strs(m["liveFrames"]), " "); got != want {
		t.Errorf("frames shown: %s\nwant %s", got, want)
	}
	if got := strings.Join(strs(m["states"]), " "); !strings.HasSuffix(got, "Done") {
		t.Errorf("states shown: %s", got)
	}
	if !strings.Contains(strings.Join(strs(m["timelineFrames"]), " "), want) {
		t.Errorf("timeline frames: %v", m["timelineFrames"])
	}
	if !strings.Contains(str(m["refusal"]), "deliveries") || !strings.Contains(str(m["refusalLink"]), "#op-validateOrder") {
		t.Errorf("refused request shown as %q (%v)", m["refusal"], m["refusalLink"])
	}
	if got := strs(m["webhooks"]); len(got) < 2 || got[0] != "202:delivered" || m["invoiceStatus"] != "SUCCESSFUL" {
		t.Errorf("webhook attempts shown: %v, invoice %v", got, m["invoiceStatus"])
	}
	if m["duplicates"] != true || m["partState"] != "WaitingForPayment" || m["latePayment"] != "ExpiredAfterPaymentDetection" {
		t.Errorf("invoice replay, pay part, pay late: %v %v %v", m["duplicates"], m["partState"], m["latePayment"])
	}
	if m["armed"] != true || m["trigger"] != "OUT_OF_STOCK" || m["logoImages"] != float64(0) {
		t.Errorf("arming from the tenant's panel, the catalogue's triggers: %v %v, %v images", m["armed"], m["trigger"], m["logoImages"])
	}
	if m["pageErrors"] != nil || m["consoleErrors"] != nil {
		t.Errorf("the page logged errors: %v %v", m["pageErrors"], m["consoleErrors"])
	}
	for _, view := range []string{"overview", "order", "journal", "invoice"} {
		if _, err := os.Stat(filepath.Join(shots, view+".png")); err != nil {
			t.Errorf("no screenshot of %s: %v", view, err)
		}
	}
}

// TestDashboardUnderSteadyTraffic: with a request every 50 ms (each a change on the
// dashboard's feed) an order created meanwhile still appears on / while the traffic runs,
// without a reload: live updates are spaced out, never put off for as long as changes keep
// coming. With
// more orders stored than the overview lists, it shows the newest 200 and says of how many,
// and of more tenants the first 100; the tenant filter then lists that partner's one order
// and its row alone.
func TestDashboardUnderSteadyTraffic(t *testing.T) {
	node := needClients(t, true)
	h := start(t)
	for i := range 230 {
		h.create(orderBody(func(b obj) { b["email"] = fmt.Sprintf("many%d@example.com", i) }))
	}
	for i := range 120 { // more partners than the overview lists
		if status, b := h.req("POST", "/v5/orders/validations", orderBody(), "X-Cr-Application", fmt.Sprintf("ci-run-%03d", i)); status != 200 {
			t.Fatalf("validation for partner %d: %d %s", i, status, b)
		}
	}
	c := runClient(t, node, "dashboard.mjs", h.url, t.TempDir(), "steady")
	m := c.waitFor(t, "done")
	c.wait(t)
	ms, _ := m["appearMs"].(float64)
	if sent, _ := m["trafficRequests"].(float64); sent < 10 {
		t.Fatalf("only %v requests of traffic: not the steady load this test is about", sent)
	}
	// The traffic runs until the order appears: seen at all means the view updated while
	// changes kept coming (before, it waited for a pause and never did). How soon is a speed,
	// left to the machine (logged).
	t.Logf("under steady traffic the order appeared after %v ms", m["appearMs"])
	if ms < 0 || m["pageErrors"] != nil {
		t.Errorf("under steady traffic the order had not appeared after 5 s (%v), errors %v", m["appearMs"], m["pageErrors"])
	}
	if caption := str(m["ordersCaption"]); caption != "the newest 200 of 231 orders" || m["orderRows"] != float64(200) {
		t.Errorf("orders table: %q with %v rows, want the newest 200 of 231", caption, m["orderRows"])
	}
	if caption := str(m["tenantsCaption"]); !strings.HasPrefix(caption, "100 of 12") || m["tenantRows"] != float64(100) || m["filteredTenantRows"] != float64(1) {
		t.Errorf("tenants table: %q with %v rows (%v when filtered), want 100 of the 120-odd, then the one", caption, m["tenantRows"], m["filteredTenantRows"])
	}
	if m["filteredRows"] != float64(1) || m["filteredInvoices"] != float64(0) {
		t.Errorf("filtered by the steady partner: %v orders, %v invoices; want its 1 order, no invoices", m["filteredRows"], m["filteredInvoices"])
	}
}

// With a token required, the dashboard asks for it once, keeps it in the tab's session
// storage (no URL, no cookie) and works after.
func TestDashboardAsksForTheToken(t *testing.T) {
	node := needClients(t, true)
	h := start(t, func(c *mockserver.Config) { c.Control.Token = "dash-secret-token" })
	c := runClient(t, node, "dashboard.mjs", h.url, t.TempDir(), "token", "dash-secret-token")
	m := c.waitFor(t, "done")
	c.wait(t)
	if m["asked"] != true || m["stored"] != true || m["worksAfter"] != true || m["pageErrors"] != nil {
		t.Fatalf("token: %v", m)
	}
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

func strs(v any) []string {
	list, _ := v.([]any)
	out := make([]string, len(list))
	for i, x := range list {
		out[i] = str(x)
	}
	return out
}
