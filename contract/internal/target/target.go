// Package target describes what the contract suite runs against, chosen by CONTRACT_TARGET:
// `inproc` (default: the mock inside the test process), `mock` (a mock running elsewhere, at
// CONTRACT_BASE_URL, driven through its control API) or `live` (the real upstream or a
// sandbox: CRYPTOREFILLS_BASE_URL, PAYSCRYPT_BASE_URL and credentials CR_PARTNER_ID,
// CR_APP_VERSION, PAYSCRYPT_APIKEY, PAYSCRYPT_WALLET_ID from the environment only).
package target

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/cryptomock/cryptomock/scenarios"
)

// Target is a place to run scenarios.
type Target struct {
	Name             string `json:"name"`
	CryptorefillsURL string `json:"cryptorefills_url"`
	PayscryptURL     string `json:"payscrypt_url"`
	ControlURL       string `json:"control_url"` // "" on live: no control API
	ControlToken     string `json:"control_token"`
	AllowWrites      bool   `json:"allow_writes"` // live only: run scenarios that create orders
	// Live credentials (mock targets make fresh ones per spec).
	Partner  string `json:"partner"`
	Version  string `json:"version"`
	APIKey   string `json:"apikey"`
	WalletID int64  `json:"wallet_id"`
	// How the target reaches the suite's webhook receiver, when not at its own address.
	WebhookURL    string `json:"webhook_url"`
	WebhookListen string `json:"webhook_listen"`
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
	default:
		return t, fmt.Errorf("%w: CONTRACT_TARGET %q: use inproc, mock or live", ErrConfig, t.Name)
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
	if s.API == "payscrypt" && t.ControlURL == "" && (t.APIKey == "" || t.WalletID == 0) && (s.Writes || s.Operation == "createOrder") {
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
