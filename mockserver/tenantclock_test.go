package mockserver_test

import (
	"context"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cryptomock/cryptomock/mockserver"
)

type clockReply struct {
	Now           int64   `json:"now"`
	OffsetSeconds float64 `json:"offset_seconds"`
	Tenant        string  `json:"tenant"`
}

func (h *harness) clockOf(query string) clockReply {
	h.t.Helper()
	status, b := h.admin("GET", "/__mock/clock"+query, nil)
	if status != http.StatusOK {
		h.t.Fatalf("clock%s: %d %s", query, status, b)
	}
	return decode[clockReply](h.t, b)
}

// TestTenantClocks: each partner and merchant has its own time. Advancing one expires only its
// orders or invoices; advancing without a tenant moves everyone, as before.
func TestTenantClocks(t *testing.T) {
	h := start(t)
	mine, theirs := h.partner, h.partner+"-other"
	a := h.create(orderBody())
	h.partner = theirs
	b := h.create(orderBody())
	h.partner = mine
	_, inv, _, _ := h.createInvoice("test-apikey", hoodie)

	// One partner's half hour passes: only its order expires.
	if status, body := h.admin("POST", "/__mock/clock/advance", obj{"seconds": 1801, "partner": mine}); status != 200 ||
		!strings.Contains(string(body), `"tenant":"cryptorefills:`+mine+`"`) {
		t.Fatalf("advance a partner: %d %s", status, body)
	}
	if got := h.getOrder(a.OrderID).OrderState; got != "Expired" {
		t.Fatalf("the advanced partner's order is %s", got)
	}
	h.partner = theirs
	if got := h.getOrder(b.OrderID).OrderState; got != "WaitingForPayment" {
		t.Fatalf("another partner's order is %s after someone else's clock moved", got)
	}
	h.partner = mine
	if c := h.clockOf("?partner=" + mine); c.OffsetSeconds < 1800 {
		t.Fatalf("the partner's clock: %+v", c)
	}
	if c := h.clockOf(""); c.OffsetSeconds != 0 || c.Tenant != "" {
		t.Fatalf("the global clock moved: %+v", c)
	}
	if status, body := h.admin("POST", "/apis/pg/get_public_order", obj{"id": inv.ID}); status != 200 || !strings.Contains(string(body), "PENDING") {
		t.Fatalf("the invoice: %d %s", status, body)
	}

	// The merchant's clock, named by its invoice.
	if status, body := h.admin("POST", "/__mock/clock/advance", obj{"seconds": 1801, "order_id": inv.ID}); status != 200 ||
		!strings.Contains(string(body), `"tenant":"payscrypt:1"`) {
		t.Fatalf("advance by invoice id: %d %s", status, body)
	}
	status, body := h.raw("POST", "/apis/pg/get_public_order", obj{"id": inv.ID}, nil)
	if status != 200 || !strings.Contains(string(body), "EXPIRED") {
		t.Fatalf("the merchant's invoice after its half hour: %d %s", status, body)
	}
	if c := h.clockOf("?pg_wallet_id=1"); c.OffsetSeconds < 1800 || c.Tenant != "payscrypt:1" {
		t.Fatalf("the merchant's clock: %+v", c)
	}

	// Everyone's time: the other partner's order expires now.
	h.advance(1801)
	h.partner = theirs
	if got := h.getOrder(b.OrderID).OrderState; got != "Expired" {
		t.Fatalf("a global advance left the order %s", got)
	}

	// Refusals: two tenants at once, an order nobody has, a merchant that does not exist.
	for body, want := range map[string]int{
		`{"seconds": 1, "partner": "x", "pg_wallet_id": 1}`: 400,
		`{"seconds": 1, "order_id": "no-such-order"}`:       404,
		`{"seconds": 1, "pg_wallet_id": 999}`:               404,
	} {
		if status, _, b := (call{method: "POST", url: h.url + "/__mock/clock/advance", body: body}).do(t); status != want {
			t.Errorf("%s: %d %s, want %d", body, status, b, want)
		}
	}
	// A partner reset puts its own clock back.
	h.admin("POST", "/__mock/reset", obj{"partner": mine})
	if c := h.clockOf("?partner=" + mine); c.OffsetSeconds != h.clockOf("").OffsetSeconds {
		t.Fatalf("after its reset the partner still runs %v s ahead", c.OffsetSeconds-h.clockOf("").OffsetSeconds)
	}
}

// TestWebhookRetriesFollowTheMerchantsClock: a retry is due on the merchant's time; moving
// another tenant does not bring it, moving the merchant does.
func TestWebhookRetriesFollowTheMerchantsClock(t *testing.T) {
	h := start(t)
	_, _, attempts := failingWebhook(t, h, 1)
	h.admin("POST", "/__mock/clock/advance", obj{"seconds": 60, "partner": "someone-else"})
	time.Sleep(100 * time.Millisecond) // a wrongly fired retry would show by now
	if n := attempts(); n != 1 {
		t.Fatalf("another tenant's clock brought the retry: %d attempts", n)
	}
	h.admin("POST", "/__mock/clock/advance", obj{"seconds": 10, "pg_wallet_id": 1})
	waitUntil(t, "the retry on the merchant's clock", func() bool { return attempts() == 2 })
}

// TestStateFileKeepsTenantClocks: every tenant's offset survives a restart.
func TestStateFileKeepsTenantClocks(t *testing.T) {
	state := filepath.Join(t.TempDir(), "state.json")
	h := start(t, func(c *mockserver.Config) { c.StateFile = state })
	h.admin("POST", "/__mock/clock/advance", obj{"seconds": 3600, "partner": "ahead"})
	if err := h.srv.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	h2 := start(t, func(c *mockserver.Config) { c.StateFile = state })
	if c := h2.clockOf("?partner=ahead"); c.OffsetSeconds < 3599 {
		t.Fatalf("after a restart the partner's clock is %+v", c)
	}
	if c := h2.clockOf(""); c.OffsetSeconds != 0 {
		t.Fatalf("after a restart the global clock is %+v", c)
	}
}

// TestHeartbeatsFollowThePartnersClock: with ten minutes between heartbeats, moving another
// partner's clock sends none; moving this partner's by ten minutes (the order stays open)
// sends one at once.
func TestHeartbeatsFollowThePartnersClock(t *testing.T) {
	h := start(t, func(c *mockserver.Config) { c.Cryptorefills.Stream.Heartbeat = mockserver.Duration(10 * time.Minute) })
	o := h.create(orderBody())
	s := h.subscribe(o.OrderID, "")
	if f, err := s.next(false); err != nil || f.Event != "message" {
		t.Fatalf("first frame: %+v %v", f, err)
	}
	h.admin("POST", "/__mock/clock/advance", obj{"seconds": 7200, "partner": h.partner + "-someone-else"})
	select {
	case fe := <-s.frames:
		t.Fatalf("a frame after another partner's clock moved: %+v", fe)
	case <-time.After(200 * time.Millisecond):
	}
	h.admin("POST", "/__mock/clock/advance", obj{"seconds": 601, "partner": h.partner})
	if f, err := s.next(true); err != nil || !f.Comment {
		t.Fatalf("want a heartbeat after the partner's ten minutes, got %+v %v", f, err)
	}
}
