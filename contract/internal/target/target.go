// Package target describes what the contract suite runs against, chosen by CONTRACT_TARGET:
// `inproc` (default: the mock inside the test process), `mock` (a mock running elsewhere, at
// CONTRACT_BASE_URL, driven through its control API) or `live` (the real upstream or a
// sandbox: CRYPTOREFILLS_BASE_URL, PAYSCRYPT_BASE_URL and credentials CR_PARTNER_ID,
// CR_APP_VERSION, PAYSCRYPT_APIKEY, PAYSCRYPT_WALLET_ID from the environment only).
package target

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/cryptomock/cryptomock/openapi"
	"github.com/cryptomock/cryptomock/scenarios"
)

// Target is a place to run scenarios.
type Target struct {
	Name             string `json:"name"`
	CryptorefillsURL string `json:"cryptorefills_url"`
	PayscryptURL     string `json:"payscrypt_url"`
	// CountriesURL serves the country list, which lives on another host than the API
	// (openapi.CountriesServer live; the mock serves it at its base URL).
	CountriesURL string `json:"countries_url"`
	// GRPCAddr is where the Payscrypt gRPC flavour listens (host:port): the Payscrypt URL's
	// host on mocks, PAYSCRYPT_GRPC_ADDR live ("" skips the gRPC specs).
	GRPCAddr     string `json:"grpc_addr"`
	ControlURL   string `json:"control_url"` // "" on live: no control API
	ControlToken string `json:"control_token"`
	AllowWrites  bool   `json:"allow_writes"` // live only: run scenarios that create orders
	// Live credentials (mock targets make fresh ones per spec).
	Partner  string `json:"partner"`
	Version  string `json:"version"`
	APIKey   string `json:"apikey"`
	WalletID int64  `json:"wallet_id"`
	// How the target reaches the suite's webhook receiver, when not at its own address.
	WebhookURL    string `json:"webhook_url"`
	WebhookListen string `json:"webhook_listen"`
}

// Variables are the environment variables the suite reads, with what each means (for -h and
// the README).
var Variables = [][2]string{
	{"CONTRACT_TARGET", "inproc (default: a mock in the process), mock or live"},
	{"CONTRACT_BASE_URL", "mock: the running mock (both APIs and its control API), e.g. http://127.0.0.1:8080"},
	{"CONTRACT_CONTROL_TOKEN", "mock: the control token, when the mock requires one"},
	{"CONTRACT_CONTROL_TOKEN_FILE", "mock: a file holding the control token (control.token_file of the mock)"},
	{"CONTRACT_PAYSCRYPT_URL", "mock: the Payscrypt listener, when it has its own (payscrypt.addr)"},
	{"CRYPTOREFILLS_BASE_URL, PAYSCRYPT_BASE_URL", "live: where the APIs are"},
	{"CR_PARTNER_ID, CR_APP_VERSION", "live: your partner headers"},
	{"CRYPTOREFILLS_COUNTRIES_URL", "live: where the country list is (default " + openapi.CountriesServer + ")"},
	{"PAYSCRYPT_APIKEY, PAYSCRYPT_WALLET_ID", "live: your merchant"},
	{"PAYSCRYPT_GRPC_ADDR", "live: host:port of the Payscrypt gRPC endpoint (unset: the gRPC specs are skipped)"},
	{"CONTRACT_LIVE_WRITES=1", "live: also run scenarios that create orders or invoices"},
	{"CONTRACT_WEBHOOK_LISTEN, CONTRACT_WEBHOOK_URL", "where the suite's webhook receiver listens, and how the target reaches it"},
}

// Reachable checks, quickly, that every base URL of the target answers at all, and that a
// mock target is a cryptomock (its health answers 200), so that a wrong or stopped target
// fails in one line instead of once per spec.
func (t Target) Reachable(ctx context.Context) error {
	client := &http.Client{Timeout: 3 * time.Second}
	if t.Name == "mock" {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, t.ControlURL+"/__mock/health", nil)
		resp, err := client.Do(req)
		if err != nil {
			return fmt.Errorf("the mock at %s cannot be reached: %v (is it running? CONTRACT_BASE_URL)", t.ControlURL, err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("%s does not look like cryptomock: GET /__mock/health answered %d (CONTRACT_BASE_URL)", t.ControlURL, resp.StatusCode)
		}
	}
	for _, base := range []string{t.CryptorefillsURL, t.PayscryptURL} {
		if base == "" {
			continue
		}
		u, err := url.Parse(base)
		if err != nil || u.Host == "" {
			return fmt.Errorf("%q is not a base URL", base)
		}
		host := u.Host
		if u.Port() == "" {
			host = net.JoinHostPort(u.Hostname(), map[string]string{"https": "443"}[u.Scheme]+map[string]string{"http": "80"}[u.Scheme])
		}
		conn, err := (&net.Dialer{Timeout: 3 * time.Second}).DialContext(ctx, "tcp", host)
		if err != nil {
			return fmt.Errorf("the target %s cannot be reached: %v", base, err)
		}
		conn.Close()
	}
	return nil
}

// ErrConfig is wrapped by every error about the suite's variables.
var ErrConfig = errors.New("contract suite configuration")

// Getenv reads a variable; tests replace it.
type Getenv func(string) string

// FromEnv reads the target. inprocURL is the base URL of the in-process mock, used only for
// CONTRACT_TARGET=inproc (or unset).
func FromEnv(getenv Getenv, inprocURL func() (string, error)) (Target, error) {
	t := Target{Name: getenv("CONTRACT_TARGET"), WebhookURL: getenv("CONTRACT_WEBHOOK_URL"),
		WebhookListen: getenv("CONTRACT_WEBHOOK_LISTEN"), ControlToken: getenv("CONTRACT_CONTROL_TOKEN")}
	if t.Name == "" {
		t.Name = "inproc"
	}
	if f := getenv("CONTRACT_CONTROL_TOKEN_FILE"); t.ControlToken == "" && f != "" {
		b, err := os.ReadFile(f)
		if err != nil {
			return t, fmt.Errorf("%w: CONTRACT_CONTROL_TOKEN_FILE: %v", ErrConfig, err)
		}
		t.ControlToken = strings.TrimSpace(string(b))
	}
	switch t.Name {
	case "inproc":
		url, err := inprocURL()
		if err != nil {
			return t, err
		}
		t.CryptorefillsURL, t.PayscryptURL, t.ControlURL = url, url, url
	case "mock":
		url := strings.TrimRight(getenv("CONTRACT_BASE_URL"), "/")
		if url == "" {
			return t, fmt.Errorf("%w: CONTRACT_TARGET=mock needs CONTRACT_BASE_URL (the running mock, e.g. http://127.0.0.1:8080)", ErrConfig)
		}
		t.CryptorefillsURL, t.PayscryptURL, t.ControlURL = url, url, url
		if ps := getenv("CONTRACT_PAYSCRYPT_URL"); ps != "" {
			t.PayscryptURL = strings.TrimRight(ps, "/")
		}
	case "live":
		t.CryptorefillsURL = strings.TrimRight(getenv("CRYPTOREFILLS_BASE_URL"), "/")
		t.PayscryptURL = strings.TrimRight(getenv("PAYSCRYPT_BASE_URL"), "/")
		t.Partner, t.Version = getenv("CR_PARTNER_ID"), getenv("CR_APP_VERSION")
		t.APIKey = getenv("PAYSCRYPT_APIKEY")
		if w := getenv("PAYSCRYPT_WALLET_ID"); w != "" {
			id, err := strconv.ParseInt(w, 10, 64)
			if err != nil {
				return t, fmt.Errorf("%w: PAYSCRYPT_WALLET_ID %q is not a number", ErrConfig, w)
			}
			t.WalletID = id
		}
		if t.CryptorefillsURL == "" && t.PayscryptURL == "" {
			return t, fmt.Errorf("%w: CONTRACT_TARGET=live needs CRYPTOREFILLS_BASE_URL and/or PAYSCRYPT_BASE_URL", ErrConfig)
		}
		if t.CryptorefillsURL != "" && (t.Partner == "" || t.Version == "") {
			return t, fmt.Errorf("%w: a live Cryptorefills run needs CR_PARTNER_ID and CR_APP_VERSION", ErrConfig)
		}
		t.AllowWrites = getenv("CONTRACT_LIVE_WRITES") == "1"
		t.CountriesURL = strings.TrimRight(getenv("CRYPTOREFILLS_COUNTRIES_URL"), "/")
		if t.CountriesURL == "" && t.CryptorefillsURL != "" {
			t.CountriesURL = openapi.CountriesServer
		}
	default:
		return t, fmt.Errorf("%w: CONTRACT_TARGET %q: use inproc, mock or live", ErrConfig, t.Name)
	}
	if t.Name == "live" {
		t.GRPCAddr = getenv("PAYSCRYPT_GRPC_ADDR")
	} else if u, err := url.Parse(t.PayscryptURL); err == nil {
		t.GRPCAddr = u.Host
	}
	return t, nil
}

// Has reports whether the target offers a capability: mocks offer all, live none.
func (t Target) Has(scenarios.Capability) bool { return t.ControlURL != "" }

// Why returns why a scenario cannot run here ("" when it can).
func (t Target) Why(s scenarios.Scenario) string {
	for _, n := range s.Needs {
		if !t.Has(n) {
			return fmt.Sprintf("needs the %q capability, which the %s target lacks (it has no control API)", n, t.Name)
		}
	}
	if t.Name == "live" && s.Writes && !t.AllowWrites {
		return "creates orders or invoices upstream; set CONTRACT_LIVE_WRITES=1 to allow it on a live target"
	}
	if s.API == "cryptorefills" && t.CryptorefillsURL == "" {
		return "no CRYPTOREFILLS_BASE_URL"
	}
	if s.API == "payscrypt" && t.PayscryptURL == "" {
		return "no PAYSCRYPT_BASE_URL"
	}
	if s.API == "payscrypt" && t.ControlURL == "" && (t.APIKey == "" || t.WalletID == 0) && (s.Writes || s.Operation == "createPaymentOrder") {
		return "needs PAYSCRYPT_APIKEY and PAYSCRYPT_WALLET_ID"
	}
	return ""
}

// Base returns the base URL of an API.
func (t Target) Base(api string) string {
	if api == "payscrypt" {
		return t.PayscryptURL
	}
	return t.CryptorefillsURL
}

// BaseFor is where a scenario's request goes: its API's base URL, or the country list's own
// host for that operation.
func (t Target) BaseFor(s scenarios.Scenario) string {
	if s.Operation == "listAvailableCountries" && t.CountriesURL != "" {
		return t.CountriesURL
	}
	return t.Base(s.API)
}
