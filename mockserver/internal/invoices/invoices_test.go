package invoices

import (
	"errors"
	"math/big"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cryptomock/cryptomock/mockserver/internal/clock"
)

type trail struct {
	mu sync.Mutex
	s  []string
}

func (tr *trail) add(o Order, _ []string) {
	tr.mu.Lock()
	tr.s = append(tr.s, o.Status)
	tr.mu.Unlock()
}
func (tr *trail) String() string {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return strings.Join(tr.s, ">")
}

func setup(t *testing.T) (*Book, *clock.Clock, *trail, Merchant) {
	clk := clock.New()
	t.Cleanup(clk.Close)
	tr := &trail{}
	b := New(clk, 30*time.Minute, 0, Hooks{Changed: tr.add})
	m, err := b.AddMerchant(1, "shop", "test-apikey", nil)
	if err != nil {
		t.Fatal(err)
	}
	return b, clk, tr, m
}

func eth(units string) *big.Int { v, _ := new(big.Int).SetString(units, 10); return v }

var input = CreateInput{WalletID: 1, MerchantOrderID: "1234", AssetName: "ETH", TargetValue: "1500000000000000000"}

func TestInvoicePaths(t *testing.T) {
	type step func(b *Book, clk *clock.Clock, id int64)
	pay := func(v string, conf int64) step {
		return func(b *Book, _ *clock.Clock, id int64) {
			var value *big.Int
			if v != "" {
				value = eth(v)
			}
			if _, err := b.Pay(id, value, conf); err != nil {
				t.Fatal(err)
			}
		}
	}
	advance := func(d time.Duration) step { return func(_ *Book, clk *clock.Clock, _ int64) { clk.Advance(d) } }
	cases := []struct {
		name   string
		steps  []step
		trail  string
		status string
		value  string
	}{
		{"paid then confirmed", []step{pay("1500000000000000000", 1), pay("", 12)}, "CONFIRMING>SUCCESSFUL", Successful, "1500000000000000000"},
		{"paid with enough confirmations at once", []step{pay("1500000000000000000", 20)}, "CONFIRMING>SUCCESSFUL", Successful, "1500000000000000000"},
		{"partial stays pending", []step{pay("500000000000000000", 0), pay("", 30)}, "", Pending, "500000000000000000"},
		{"partial then rest", []step{pay("500000000000000000", 0), pay("1000000000000000000", 0)}, "CONFIRMING", Confirming, "1500000000000000000"},
		{"overpayment completes", []step{pay("9000000000000000000", 12)}, "CONFIRMING>SUCCESSFUL", Successful, "9000000000000000000"},
		{"expiry", []step{advance(31 * time.Minute)}, "EXPIRED", Expired, "0"},
		{"partial then expiry", []step{pay("1", 0), advance(31 * time.Minute)}, "EXPIRED", Expired, "1"},
		{"paid does not expire", []step{pay("1500000000000000000", 0), advance(time.Hour)}, "CONFIRMING", Confirming, "1500000000000000000"},
		{"late payment stays expired", []step{advance(time.Hour), pay("1500000000000000000", 12)}, "EXPIRED", Expired, "1500000000000000000"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b, clk, tr, _ := setup(t)
			o, err := b.Create("test-apikey", input)
			if err != nil {
				t.Fatal(err)
			}
			before := o.UpdatedAt
			for _, s := range tc.steps {
				s(b, clk, o.ID)
			}
			got, _ := b.Get(o.ID)
			if tr.String() != tc.trail || got.Status != tc.status || got.Value.String() != tc.value {
				t.Fatalf("trail %q status %s value %s; want %q %s %s", tr, got.Status, got.Value, tc.trail, tc.status, tc.value)
			}
			if len(tc.steps) > 0 && !got.UpdatedAt.After(before) && tc.trail != "" {
				t.Error("updated_at did not move")
			}
		})
	}
}

func TestAuthAndArguments(t *testing.T) {
	b, _, _, _ := setup(t)
	other, _ := b.AddMerchant(0, "other", "", nil)
	cases := map[string]struct {
		key  string
		in   CreateInput
		want error
	}{
		"no key":       {"", input, ErrUnauthenticated},
		"unknown key":  {"nope", input, ErrUnauthenticated},
		"other wallet": {other.APIKeys[0], input, ErrPermissionDenied},
		"bad asset":    {"test-apikey", CreateInput{WalletID: 1, AssetName: "DOGE", TargetValue: "1"}, ErrInvalid},
		"bad value":    {"test-apikey", CreateInput{WalletID: 1, AssetName: "ETH", TargetValue: "1.5"}, ErrInvalid},
		"zero value":   {"test-apikey", CreateInput{WalletID: 1, AssetName: "ETH", TargetValue: "0"}, ErrInvalid},
	}
	for name, tc := range cases {
		if _, err := b.Create(tc.key, tc.in); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", name, err, tc.want)
		}
	}
	if err := b.InvalidateKey("test-apikey"); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Create("test-apikey", input); !errors.Is(err, ErrUnauthenticated) {
		t.Errorf("invalidated key still works: %v", err)
	}
	if other.WalletID != 2 || !strings.HasPrefix(other.APIKeys[0], "pk_") {
		t.Errorf("new merchant %+v", other)
	}
}

func TestCancel(t *testing.T) {
	b, _, tr, _ := setup(t)
	o, _ := b.Create("test-apikey", input)
	if _, err := b.Cancel(o.ID); err != nil || tr.String() != "CANCELED" {
		t.Fatalf("cancel: %v %s", err, tr)
	}
	if _, err := b.Cancel(o.ID); !errors.Is(err, ErrConflict) {
		t.Fatalf("second cancel: %v", err)
	}
	if _, err := b.Get(99); !errors.Is(err, ErrNotFound) {
		t.Fatal(err)
	}
}
