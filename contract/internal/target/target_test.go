package target

import (
	"errors"
	"testing"

	"github.com/cryptomock/cryptomock/scenarios"
)

func env(m map[string]string) Getenv { return func(k string) string { return m[k] } }

func TestFromEnv(t *testing.T) {
	inproc := func() (string, error) { return "http://127.0.0.1:1234", nil }
	got, err := FromEnv(env(nil), inproc)
	if err != nil || got.Name != "inproc" || got.ControlURL != "http://127.0.0.1:1234" {
		t.Fatalf("default: %+v %v", got, err)
	}
	got, err = FromEnv(env(map[string]string{"CONTRACT_TARGET": "mock", "CONTRACT_BASE_URL": "http://m:8080/"}), inproc)
	if err != nil || got.CryptorefillsURL != "http://m:8080" || !got.Has(scenarios.Clock) || got.GRPCAddr != "m:8080" {
		t.Fatalf("mock: %+v %v", got, err)
	}
	live := map[string]string{"CONTRACT_TARGET": "live", "CRYPTOREFILLS_BASE_URL": "https://api.example", "CR_PARTNER_ID": "p", "CR_APP_VERSION": "1"}
	got, err = FromEnv(env(live), inproc)
	if err != nil || got.Has(scenarios.Clock) || got.ControlURL != "" {
		t.Fatalf("live: %+v %v", got, err)
	}
	if got.GRPCAddr != "" {
		t.Errorf("live without PAYSCRYPT_GRPC_ADDR has a gRPC address %q", got.GRPCAddr)
	}
	countries := scenarios.Scenario{API: "cryptorefills", Operation: "listAvailableCountries"}
	if got.BaseFor(countries) != "https://cryptorefills.com" || got.BaseFor(scenarios.Scenario{API: "cryptorefills"}) != "https://api.example" {
		t.Errorf("live: the country list goes to %s, other calls to %s", got.BaseFor(countries), got.BaseFor(scenarios.Scenario{API: "cryptorefills"}))
	}
	write := scenarios.Scenario{API: "cryptorefills", Writes: true}
	if got.Why(write) == "" || got.Why(scenarios.Scenario{API: "cryptorefills", Needs: []scenarios.Capability{scenarios.Clock}}) == "" {
		t.Error("live runs a writing or capability-needing scenario")
	}
	if got.Why(scenarios.Scenario{API: "cryptorefills"}) != "" {
		t.Error("live skips a read-only scenario")
	}
	if why := got.Why(scenarios.Scenario{API: "payscrypt"}); why == "" {
		t.Error("live without PAYSCRYPT_BASE_URL runs a Payscrypt scenario")
	}
	for name, m := range map[string]map[string]string{
		"unknown target":   {"CONTRACT_TARGET": "prod"},
		"mock without url": {"CONTRACT_TARGET": "mock"},
		"live without url": {"CONTRACT_TARGET": "live"},
		"live no partner":  {"CONTRACT_TARGET": "live", "CRYPTOREFILLS_BASE_URL": "https://x"},
		"bad wallet":       {"CONTRACT_TARGET": "live", "PAYSCRYPT_BASE_URL": "https://x", "PAYSCRYPT_WALLET_ID": "one"},
	} {
		if _, err := FromEnv(env(m), inproc); !errors.Is(err, ErrConfig) {
			t.Errorf("%s: %v", name, err)
		}
	}
}
