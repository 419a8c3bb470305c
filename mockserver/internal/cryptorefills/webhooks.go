package cryptorefills

import (
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	"github.com/cryptomock/cryptomock/mockserver/internal/lifecycle"
	"github.com/cryptomock/cryptomock/mockserver/internal/tenant"
	"github.com/cryptomock/cryptomock/mockserver/internal/webhook"
)

// Order webhooks: third-party evidence only (api-facts A10, [3P] N6: a shop parses
// `{order_id, status}` POSTs; the event list is managed per partner account, not through the
// API). Behind cryptorefills.order_webhooks, off by default, the mock POSTs every order change
// to the URLs a partner registered through the control API, through the same dispatcher as
// Payscrypt's webhooks: retries on the partner's clock, the same bounded delivery log.

// ErrOrderWebhooksOff is returned when order webhooks are not switched on.
var ErrOrderWebhooksOff = errors.New("order webhooks are off: set cryptorefills.order_webhooks: true (they rest on third-party evidence only)")

// Bounds of the registry of URLs.
const (
	maxHookPartners    = 10000
	maxHooksPerPartner = 16
)

type orderHooks struct {
	enabled bool
	send    *webhook.Dispatcher
	mu      sync.Mutex
	urls    map[string][]string // partner -> URLs
}

// OrderWebhook is the body of an order webhook (api-facts A10).
type OrderWebhook struct {
	OrderID string `json:"order_id"`
	Status  string `json:"status"`
}

// AddOrderWebhook registers a URL that receives a partner's order changes.
func (h *Handlers) AddOrderWebhook(partner, url string) ([]string, error) {
	hooks := &h.hooks
	if !hooks.enabled {
		return nil, ErrOrderWebhooksOff
	}
	if err := webhook.CheckURL(url); err != nil {
		return nil, err
	}
	hooks.mu.Lock()
	defer hooks.mu.Unlock()
	list := hooks.urls[partner]
	for _, u := range list {
		if u == url {
			return append([]string(nil), list...), nil
		}
	}
	if len(list) >= maxHooksPerPartner || (list == nil && len(hooks.urls) >= maxHookPartners) {
		return nil, fmt.Errorf("%w: at most %d URLs per partner and %d partners", webhook.ErrBadURL, maxHooksPerPartner, maxHookPartners)
	}
	hooks.urls[partner] = append(list, url)
	return append([]string(nil), hooks.urls[partner]...), nil
}

// notifyHooks sends an order's change to its partner's URLs. It runs with the engine's lock
// held and does not block: deliveries run on their own.
func (h *Handlers) notifyHooks(o *lifecycle.Order) {
	hooks := &h.hooks
	if !hooks.enabled {
		return
	}
	hooks.mu.Lock()
	urls := append([]string(nil), hooks.urls[o.Partner]...)
	hooks.mu.Unlock()
	if len(urls) == 0 {
		return
	}
	body, _ := json.Marshal(OrderWebhook{OrderID: o.ID, Status: o.State})
	for _, u := range urls {
		hooks.send.Send(u, body, webhook.Meta{Tenant: tenant.Partner(o.Partner), Order: o.ID, OrderStatus: o.State, Kind: "status_change"})
	}
}

// ForgetOrderWebhooks drops a partner's URLs (a reset), or every partner's with "".
func (h *Handlers) ForgetOrderWebhooks(partner string) {
	h.hooks.mu.Lock()
	defer h.hooks.mu.Unlock()
	if partner == "" {
		clear(h.hooks.urls)
		return
	}
	delete(h.hooks.urls, partner)
}
