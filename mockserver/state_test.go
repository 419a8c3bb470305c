package mockserver_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cryptomock/cryptomock/mockserver"
)

// TestStateSurvivesARestart: orders, merchants (a key made through the control API), invoices
// and a webhook waiting for its retry are all there after a restart with the same state file.
func TestStateSurvivesARestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.json")
	var healthy atomic.Bool
	var got atomic.Int64
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !healthy.Load() {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		got.Add(1)
	}))
	defer receiver.Close()
	withState := func(c *mockserver.Config) { c.StateFile = path }

	a := start(t, withState)
	waiting := a.create(orderBody())
	partial := a.create(orderBody())
	a.pay(partial.OrderID, "40")
	_, m := a.admin("POST", "/__mock/payscrypt/merchants", obj{"name": "kept", "webhooks": []string{receiver.URL}})
	merchant := decode[struct {
		PgWalletID int64  `json:"pg_wallet_id"`
		APIKey     string `json:"apikey"`
	}](t, m)
	body := withWallet(merchant.PgWalletID)
	_, inv, _, _ := a.createInvoice(merchant.APIKey, body)
	a.admin("POST", "/__mock/payscrypt/orders/"+inv.ID+"/cancel", nil) // webhook answered 500: a retry is pending
	waitUntil(t, "a retry pending", func() bool {
		_, b := a.admin("GET", "/__mock/payscrypt/webhooks/deliveries?order_id="+inv.ID, nil)
		return strings.Contains(string(b), `"retrying"`)
	})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := a.srv.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}

	b := start(t, withState)
	b.partner = a.partner
	if o := b.getOrder(waiting.OrderID); o.OrderState != "WaitingForPayment" || o.WalletAddress != waiting.WalletAddress {
		t.Errorf("waiting order after restart: %+v", o)
	}
	if o := b.getOrder(partial.OrderID); o.SentAmount != "40" {
		t.Errorf("partially paid order after restart: %+v", o)
	}
	if status, _, _, body := b.createInvoice(merchant.APIKey, withWallet(merchant.PgWalletID)); status != 200 {
		t.Errorf("the merchant's key after restart: %d %s", status, body)
	}
	_, pub := b.raw("POST", "/apis/pg/get_public_order", obj{"id": inv.ID}, nil)
	if !strings.Contains(string(pub), `"status":"CANCELED"`) {
		t.Errorf("invoice after restart: %s", pub)
	}
	healthy.Store(true)
	b.advance(60) // the pending retry is due
	waitUntil(t, "the pending webhook delivered after the restart", func() bool { return got.Load() == 1 })
	// Expiry still runs on restored orders.
	b.advance(31 * 60)
	if o := b.getOrder(waiting.OrderID); o.OrderState != "Expired" {
		t.Errorf("restored order did not expire: %s", o.OrderState)
	}
}

// TestStateFileIsWrittenAtomically: the file on disk is always a whole state (a crashed
// write leaves only a temporary file beside it), and a file that is not a state is refused
// with a clear error rather than overwritten.
func TestStateFileIsWrittenAtomically(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "state.json")
	a := start(t, func(c *mockserver.Config) { c.StateFile = path })
	a.create(orderBody())
	waitUntil(t, "the state saved", func() bool {
		b, err := os.ReadFile(path)
		return err == nil && strings.Contains(string(b), `"cryptorefills_orders":[{`)
	})
	// A write that crashed halfway leaves a temporary file; the state itself is untouched.
	if err := os.WriteFile(filepath.Join(dir, ".state.json.123.tmp"), []byte(`{"version":1,"cryptorefills_orders":[{"ID":`), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = a.srv.Shutdown(ctx)
	cfg := mockserver.Defaults()
	cfg.Addr, cfg.StateFile = "127.0.0.1:0", path
	if _, err := mockserver.New(cfg); err != nil {
		t.Fatalf("a whole state next to a crashed write: %v", err)
	}

	if err := os.WriteFile(path, []byte("not a state"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := mockserver.New(cfg); !errors.Is(err, mockserver.ErrConfig) || !strings.Contains(err.Error(), path) {
		t.Fatalf("a corrupt state file: %v, want ErrConfig naming the file", err)
	}
	if b, _ := os.ReadFile(path); string(b) != "not a state" {
		t.Fatal("a corrupt state file was overwritten")
	}
}

// TestStateFileWrittenOnlyWhenChanged: the saved state carries the time it was written, is
// not rewritten while nothing changes (the same bytes, saved_at included, across two more
// ticks), and is rewritten after a change.
func TestStateFileWrittenOnlyWhenChanged(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.json")
	h := start(t, func(c *mockserver.Config) { c.StateFile = path })
	before := time.Now().UTC()
	h.create(orderBody())
	var first []byte
	waitUntil(t, "the state saved", func() bool {
		first, _ = os.ReadFile(path)
		return strings.Contains(string(first), `"cryptorefills_orders":[{`)
	})
	saved := decode[struct {
		SavedAt time.Time `json:"saved_at"`
	}](t, first)
	if saved.SavedAt.Before(before.Add(-time.Second)) || saved.SavedAt.After(time.Now().Add(time.Second)) {
		t.Errorf("saved_at %v, want the time of the write (after %v)", saved.SavedAt, before)
	}
	time.Sleep(2200 * time.Millisecond) // two ticks with nothing changed
	if again, _ := os.ReadFile(path); string(again) != string(first) {
		t.Errorf("an unchanged state was written again:\n%.200s\n%.200s", first, again)
	}
	h.create(orderBody(func(b obj) { b["email"] = "other@example.com" }))
	waitUntil(t, "the change saved", func() bool {
		b, _ := os.ReadFile(path)
		return strings.Count(string(b), `"ID":`) > strings.Count(string(first), `"ID":`)
	})
}
