package certify

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	crgen "github.com/cryptomock/cryptomock/gen/cryptorefills"
	admingen "github.com/cryptomock/cryptomock/gen/mockadmin"
	psgen "github.com/cryptomock/cryptomock/gen/payscrypt"
)

// UserAgent marks certify's own requests to the mock, so the journal tells them apart from
// the partner's app's (the route's subscription, the partner's polling).
const UserAgent = "cryptomock-certify/1"

// mock is the running mock certify drives: its control API, and both upstream APIs as the
// partner's backend would call them.
type mock struct {
	base, psBase, token, partner string
	http                         *http.Client
	admin                        *admingen.ClientWithResponses
	cr                           *crgen.ClientWithResponses
	ps                           *psgen.ClientWithResponses
}

func newMock(base, token, partner string) (*mock, error) {
	m := &mock{base: strings.TrimRight(base, "/"), token: token, partner: partner, http: &http.Client{Timeout: 15 * time.Second}}
	var err error
	if m.admin, err = admingen.NewClientWithResponses(m.base, admingen.WithHTTPClient(m.http), admingen.WithRequestEditorFn(m.auth)); err != nil {
		return nil, err
	}
	m.cr, err = crgen.NewClientWithResponses(m.base, crgen.WithHTTPClient(m.http), crgen.WithRequestEditorFn(m.crHeaders))
	return m, err
}

func (m *mock) auth(_ context.Context, r *http.Request) error {
	if m.token != "" {
		r.Header.Set("Authorization", "Bearer "+m.token)
	}
	return nil
}

// crHeaders are the documents' required headers, as the partner's backend sends them.
func (m *mock) crHeaders(_ context.Context, r *http.Request) error {
	r.Header.Set("X-Cr-Application", m.partner)
	r.Header.Set("X-Cr-Version", UserAgent)
	r.Header.Set("X-Country-ISO-Code", "US")
	r.Header.Set("User-Agent", UserAgent)
	return nil
}

// errUnreachable is a mock that does not answer as one: certify exits 2 on it.
var errUnreachable = errors.New("mock unreachable")

// describe reads the mock's index (version, where Payscrypt is served) and the digests of the
// specs it serves. It fails fast when the mock is not there.
func (m *mock) describe(ctx context.Context) (MockInfo, error) {
	info := MockInfo{URL: m.base, Specs: map[string]string{}}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	h, err := m.admin.GetHealthWithResponse(ctx)
	if err != nil {
		return info, fmt.Errorf("%w: %s: %v", errUnreachable, m.base, err)
	}
	if h.JSON200 == nil {
		return info, fmt.Errorf("%w: %s/__mock/health answered %d: is -mock the mock's URL?", errUnreachable, m.base, h.StatusCode())
	}
	info.Version = h.JSON200.Version
	var index struct {
		APIs []struct {
			Name    string `json:"name"`
			BaseURL string `json:"base_url"`
			Spec    string `json:"spec"`
		} `json:"apis"`
		Specs []string `json:"specs"`
	}
	if err := m.getJSON(ctx, "/__mock/", &index); err != nil {
		if strings.Contains(err.Error(), ": 401 ") {
			return info, fmt.Errorf("%w: the mock's control API needs its token: give -control-token (or CRYPTOMOCK_CONTROL_TOKEN)", ErrUsage)
		}
		return info, fmt.Errorf("%w: %v", errUnreachable, err)
	}
	m.psBase = m.base
	for _, a := range index.APIs {
		if a.Name == "payscrypt" && a.BaseURL != "" {
			m.psBase = strings.TrimRight(a.BaseURL, "/")
		}
	}
	for _, spec := range index.Specs {
		b, err := m.get(ctx, spec)
		if err != nil {
			return info, err
		}
		sum := sha256.Sum256(b)
		info.Specs[spec[strings.LastIndex(spec, "/")+1:]] = hex.EncodeToString(sum[:])
	}
	m.ps, err = psgen.NewClientWithResponses(m.psBase, psgen.WithHTTPClient(m.http), psgen.WithRequestEditorFn(
		func(_ context.Context, r *http.Request) error { r.Header.Set("User-Agent", UserAgent); return nil }))
	return info, err
}

func (m *mock) get(ctx context.Context, path string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", m.base+path, nil)
	if err != nil {
		return nil, err
	}
	_ = m.auth(ctx, req)
	resp, err := m.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err == nil && resp.StatusCode != http.StatusOK {
		err = fmt.Errorf("GET %s: %d %s", path, resp.StatusCode, cut(string(b), 200))
	}
	return b, err
}

func (m *mock) getJSON(ctx context.Context, path string, v any) error {
	b, err := m.get(ctx, path)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

// expect turns a call's answer into an error unless it has the wanted status.
func expect(what string, status int, body []byte, want int) error {
	if status != want {
		return fmt.Errorf("%s: the mock answered %d %s", what, status, cut(string(body), 300))
	}
	return nil
}

// randomSuffix makes ids and emails of this run unique.
func randomSuffix() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// cart is the documents' example product, for a distinct end user per order so no spending
// limit changes the answers.
func cart() []byte {
	email := "certify-" + randomSuffix() + "@example.com"
	b, _ := json.Marshal(map[string]any{
		"email":      email,
		"payment":    map[string]any{"type": "via", "payment_via": "USER_WALLET", "coin": "USDC", "network": "Solana"},
		"deliveries": []any{map[string]any{"beneficiary_account": email, "brand_name": "Airbnb", "country_code": "US", "denomination": "100 USD"}},
		"lang":       "en",
	})
	return b
}

// createOrder validates and creates an order for the partner through the public API, as the
// partner's backend would.
func (m *mock) createOrder(ctx context.Context) (string, error) {
	body := cart()
	v, err := m.cr.ValidateOrderWithBodyWithResponse(ctx, &crgen.ValidateOrderParams{}, "application/json", bytes.NewReader(body))
	if err != nil {
		return "", fmt.Errorf("validate the order: %v", err)
	}
	if err := expect("validate the order", v.StatusCode(), v.Body, http.StatusOK); err != nil {
		return "", err
	}
	resp, err := m.cr.CreateOrderWithBodyWithResponse(ctx, &crgen.CreateOrderParams{}, "application/json", bytes.NewReader(body))
	if err != nil {
		return "", fmt.Errorf("create an order: %v", err)
	}
	o := resp.JSON201
	if o == nil {
		o = resp.JSON200
	}
	if o == nil {
		return "", fmt.Errorf("create an order for partner %q: the mock answered %d %s", m.partner, resp.StatusCode(), cut(string(resp.Body), 300))
	}
	return o.OrderId, nil
}

func (m *mock) payOrder(ctx context.Context, id, amount string) error {
	body := admingen.PaymentRequest{}
	if amount != "" {
		body.CoinAmount = &amount
	}
	resp, err := m.admin.PayCryptorefillsOrderWithResponse(ctx, id, body)
	if err != nil {
		return fmt.Errorf("pay order %s: %v", id, err)
	}
	return expect("pay order "+id, resp.StatusCode(), resp.Body, http.StatusOK)
}

func (m *mock) transition(ctx context.Context, id string, action admingen.TransitionRequestAction) error {
	resp, err := m.admin.TransitionCryptorefillsOrderWithResponse(ctx, id, admingen.TransitionRequest{Action: action})
	if err != nil {
		return fmt.Errorf("%s order %s: %v", action, id, err)
	}
	return expect(string(action)+" order "+id, resp.StatusCode(), resp.Body, http.StatusOK)
}

// armFault arms a one-shot fault on certify's own order only.
func (m *mock) armFault(ctx context.Context, f admingen.FaultRequest) error {
	one := 1
	f.Count = &one
	resp, err := m.admin.ArmFaultWithResponse(ctx, f)
	if err != nil {
		return fmt.Errorf("arm a %s fault: %v", f.Kind, err)
	}
	return expect("arm a "+string(f.Kind)+" fault", resp.StatusCode(), resp.Body, http.StatusCreated)
}

// journal returns the entries whose path starts with prefix, oldest first (at most 10,000:
// the most the control API answers).
func (m *mock) journal(ctx context.Context, prefix string) ([]admingen.JournalEntry, error) {
	limit := 10000
	params := &admingen.GetJournalParams{Limit: &limit}
	if prefix != "" {
		params.Path = &prefix
	}
	resp, err := m.admin.GetJournalWithResponse(ctx, params)
	if err != nil {
		return nil, fmt.Errorf("read the journal: %v", err)
	}
	if resp.JSON200 == nil {
		return nil, fmt.Errorf("read the journal: the mock answered %d %s", resp.StatusCode(), cut(string(resp.Body), 300))
	}
	return resp.JSON200.Entries, nil
}

// lastSeq is the newest journal entry's number (0 when empty).
func (m *mock) lastSeq(ctx context.Context) (int64, error) {
	one := 1
	resp, err := m.admin.GetJournalWithResponse(ctx, &admingen.GetJournalParams{Limit: &one})
	if err != nil || resp.JSON200 == nil {
		return 0, fmt.Errorf("read the journal: %v %s", err, bodyText(resp))
	}
	if len(resp.JSON200.Entries) == 0 {
		return 0, nil
	}
	return resp.JSON200.Entries[0].Seq, nil
}

func bodyText(resp *admingen.GetJournalResponse) string {
	if resp == nil {
		return ""
	}
	return fmt.Sprintf("%d %s", resp.StatusCode(), cut(string(resp.Body), 300))
}

// createInvoice creates a Payscrypt invoice through the REST API with the merchant's apikey.
func (m *mock) createInvoice(ctx context.Context, apikey string, wallet int64) (string, error) {
	body, _ := json.Marshal(map[string]any{
		"merchant_order_id": "certify-" + randomSuffix(), "merchant_name": "cryptomock certify",
		"description": "certification run", "asset_name": "ETH", "target_value": "1000000000000000000",
		"callback_url": "https://certify.invalid/order-received", "pg_wallet_id": strconv.FormatInt(wallet, 10),
	})
	resp, err := m.ps.CreatePaymentOrderWithBodyWithResponse(ctx, "application/json", bytes.NewReader(body),
		func(_ context.Context, r *http.Request) error { r.Header.Set("apikey", apikey); return nil })
	if err != nil {
		return "", fmt.Errorf("create an invoice: %v", err)
	}
	if resp.JSON200 == nil || resp.JSON200.Order.Id == nil {
		return "", fmt.Errorf("create an invoice for pg_wallet_id %d: the mock answered %d %s", wallet, resp.StatusCode(), cut(string(resp.Body), 300))
	}
	return *resp.JSON200.Order.Id, nil
}

func (m *mock) addWebhook(ctx context.Context, wallet int64, u string) error {
	resp, err := m.admin.AddPayscryptWebhookWithResponse(ctx, admingen.WebhookRequest{PgWalletId: wallet, Url: u})
	if err != nil {
		return fmt.Errorf("register the webhook URL: %v", err)
	}
	return expect("register the webhook URL", resp.StatusCode(), resp.Body, http.StatusCreated)
}

func (m *mock) removeWebhook(ctx context.Context, wallet int64, u string) error {
	resp, err := m.admin.RemovePayscryptWebhookWithResponse(ctx, &admingen.RemovePayscryptWebhookParams{PgWalletId: wallet, Url: u})
	if err != nil {
		return fmt.Errorf("remove the webhook URL: %v", err)
	}
	return expect("remove the webhook URL", resp.StatusCode(), resp.Body, http.StatusOK)
}

func (m *mock) payInvoice(ctx context.Context, id string) error {
	resp, err := m.admin.PayPayscryptOrderWithResponse(ctx, id, admingen.InvoicePaymentRequest{})
	if err != nil {
		return fmt.Errorf("pay invoice %s: %v", id, err)
	}
	return expect("pay invoice "+id, resp.StatusCode(), resp.Body, http.StatusOK)
}

func (m *mock) replay(ctx context.Context, id string, mode admingen.ReplayRequestMode) error {
	body := admingen.ReplayRequest{Mode: mode}
	if mode == admingen.ReplayRequestModeForged {
		s := admingen.SUCCESSFUL
		body.Status = &s
	}
	resp, err := m.admin.ReplayPayscryptWebhookWithResponse(ctx, id, body)
	if err != nil {
		return fmt.Errorf("send a %s webhook: %v", mode, err)
	}
	return expect("send a "+string(mode)+" webhook", resp.StatusCode(), resp.Body, http.StatusAccepted)
}

// deliveries lists the attempts of an invoice's webhooks to one URL.
func (m *mock) deliveries(ctx context.Context, invoice, u string) ([]admingen.DeliveryAttempt, error) {
	limit := 10000
	resp, err := m.admin.ListPayscryptWebhookDeliveriesWithResponse(ctx, &admingen.ListPayscryptWebhookDeliveriesParams{OrderId: &invoice, Limit: &limit})
	if err != nil || resp.JSON200 == nil {
		return nil, fmt.Errorf("read the delivery log: %v", err)
	}
	var out []admingen.DeliveryAttempt
	for _, a := range resp.JSON200.Attempts {
		if a.Url == u {
			out = append(out, a)
		}
	}
	return out, nil
}

// routeURL fills the partner's route template.
func routeURL(template, orderID string) string {
	return strings.ReplaceAll(template, "{orderId}", url.PathEscape(orderID))
}

// cut shortens a text for evidence.
func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
