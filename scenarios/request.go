package scenarios

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/cryptomock/cryptomock/openapi"
)

// Credentials are what a target gives a scenario: a partner for Cryptorefills, a merchant for
// Payscrypt.
type Credentials struct {
	Partner  string // X-Cr-Application
	Version  string // X-Cr-Version
	APIKey   string // Payscrypt apikey
	WalletID int64  // Payscrypt pg_wallet_id
}

// Vars fill the scenario's placeholders: "orderId" (a path parameter the scenario leaves
// open), "invoice" (the id of the invoice the set-up created, for body id "0").
type Vars map[string]string

var (
	specsOnce sync.Once
	specs     map[string]*openapi3.T
	specsErr  error
)

func spec(api string) (*openapi3.T, error) {
	specsOnce.Do(func() {
		specs = map[string]*openapi3.T{}
		for api, name := range map[string]string{"cryptorefills": openapi.Cryptorefills, "payscrypt": openapi.Payscrypt} {
			doc, err := openapi.Load(name)
			if err != nil {
				specsErr = err
				return
			}
			specs[api] = doc
		}
	})
	return specs[api], specsErr
}

// Route returns the method and path template of the scenario's operation.
func (s Scenario) Route() (string, string, error) {
	doc, err := spec(s.API)
	if err != nil {
		return "", "", err
	}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			if op.OperationID == s.Operation {
				return method, path, nil
			}
		}
	}
	return "", "", fmt.Errorf("scenario %s: operation %q is not in the %s spec", s.ID, s.Operation, s.API)
}

// Body returns the request body with placeholders filled (nil when there is none).
func (s Scenario) Body(creds Credentials, vars Vars) ([]byte, error) {
	if s.Request.RawBody != "" {
		return []byte(s.Request.RawBody), nil
	}
	return FillBody(s.Request.Body, creds, vars)
}

// FillBody encodes a body of the catalogue (a request or a set-up body), putting the
// target's wallet where it says pg_wallet_id (or wallet_id) 0 and the created invoice where it
// says id "0".
func FillBody(body any, creds Credentials, vars Vars) ([]byte, error) {
	if body == nil {
		return nil, nil
	}
	b, err := json.Marshal(body)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if json.Unmarshal(b, &m) != nil {
		return b, nil // not an object: send as is
	}
	for _, k := range []string{"pg_wallet_id", "wallet_id"} { // the second generation's name too
		if v, ok := m[k]; ok && v == float64(0) {
			m[k] = creds.WalletID
		}
	}
	if v, ok := m["id"]; ok && v == "0" && vars["invoice"] != "" {
		m["id"] = vars["invoice"]
	}
	return json.Marshal(m)
}

// NewRequest builds the scenario's request against base (the API's base URL).
func (s Scenario) NewRequest(ctx context.Context, base string, creds Credentials, vars Vars) (*http.Request, error) {
	method, path, err := s.Route()
	if err != nil {
		return nil, err
	}
	for name, value := range s.Request.Path {
		if name == "id" && value == "0" && vars["invoice"] != "" {
			value = vars["invoice"] // the invoice the set-up created
		}
		path = strings.ReplaceAll(path, "{"+name+"}", url.PathEscape(value))
	}
	if id, ok := vars["orderId"]; ok {
		path = strings.ReplaceAll(path, "{orderId}", url.PathEscape(id))
	}
	q := url.Values{}
	for k, v := range s.Request.Query {
		q.Set(k, v)
	}
	target := strings.TrimRight(base, "/") + path
	if len(q) > 0 {
		target += "?" + q.Encode()
	}
	body, err := s.Body(creds, vars)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, method, target, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if s.API == "cryptorefills" {
		req.Header.Set("X-Cr-Application", creds.Partner)
		req.Header.Set("X-Cr-Version", creds.Version)
	} else if creds.APIKey != "" && (s.Operation == "createPaymentOrder" || s.Operation == "createInvoice") {
		req.Header.Set("apikey", creds.APIKey)
	}
	for k, v := range s.Request.Headers {
		req.Header.Set(k, v)
	}
	for _, h := range s.Request.OmitHeaders {
		req.Header.Del(h)
	}
	return req, nil
}
