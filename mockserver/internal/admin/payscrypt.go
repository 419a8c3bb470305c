package admin

import (
	"context"
	"errors"
	"math/big"
	"strconv"

	gen "github.com/cryptomock/cryptomock/gen/mockadmin"
	"github.com/cryptomock/cryptomock/mockserver/internal/invoices"
	"github.com/cryptomock/cryptomock/mockserver/internal/webhook"
)

func merchant(m invoices.Merchant) gen.Merchant {
	out := gen.Merchant{PgWalletId: m.WalletID, Webhooks: append([]string{}, m.Webhooks...)}
	if len(m.APIKeys) > 0 {
		out.Apikey = m.APIKeys[0]
	}
	if m.Name != "" {
		out.Name = ptr(m.Name)
	}
	return out
}

func invoice(o invoices.Order) gen.InvoiceSummary {
	return gen.InvoiceSummary{Id: strconv.FormatInt(o.ID, 10), PgWalletId: o.WalletID, MerchantOrderId: ptr(o.MerchantOrderID),
		Status: o.Status, AssetName: o.Asset.Name, TargetValue: o.Target.String(), Value: o.Value.String(),
		Confirmations: o.Confirmations, TargetConfirmations: o.TargetConfirmations, ExpiredAt: o.ExpiredAt.Unix(),
		Address: ptr(o.Variants[0])}
}

func orderID(s string) (int64, bool) {
	id, err := strconv.ParseInt(s, 10, 64)
	return id, err == nil
}

// CreatePayscryptMerchant creates a merchant with a fresh wallet and key.
func (h *Handlers) CreatePayscryptMerchant(_ context.Context, req gen.CreatePayscryptMerchantRequestObject) (gen.CreatePayscryptMerchantResponseObject, error) {
	var name string
	var hooks []string
	if req.Body != nil {
		name, hooks = or(req.Body.Name, ""), or(req.Body.Webhooks, nil)
	}
	m, err := h.d.Invoices.AddMerchant(0, name, "", hooks)
	if err != nil {
		return gen.CreatePayscryptMerchant400JSONResponse{BadRequestJSONResponse: gen.BadRequestJSONResponse(errBody("bad_request", "%v", err))}, nil
	}
	return gen.CreatePayscryptMerchant201JSONResponse(merchant(m)), nil
}

// InvalidatePayscryptAPIKey invalidates a key at once.
func (h *Handlers) InvalidatePayscryptAPIKey(_ context.Context, req gen.InvalidatePayscryptAPIKeyRequestObject) (gen.InvalidatePayscryptAPIKeyResponseObject, error) {
	if err := h.d.Invoices.InvalidateKey(req.Apikey); err != nil {
		return gen.InvalidatePayscryptAPIKey404JSONResponse{NotFoundJSONResponse: gen.NotFoundJSONResponse(errBody("not_found", "%v", err))}, nil
	}
	return gen.InvalidatePayscryptAPIKey200JSONResponse{Invalidated: req.Apikey}, nil
}

// AddPayscryptWebhook adds a webhook URL to a merchant.
func (h *Handlers) AddPayscryptWebhook(_ context.Context, req gen.AddPayscryptWebhookRequestObject) (gen.AddPayscryptWebhookResponseObject, error) {
	if err := h.d.Invoices.AddWebhook(req.Body.PgWalletId, req.Body.Url); errors.Is(err, invoices.ErrInvalid) {
		return gen.AddPayscryptWebhook400JSONResponse{BadRequestJSONResponse: gen.BadRequestJSONResponse(errBody("bad_request", "%v", err))}, nil
	} else if err != nil {
		return gen.AddPayscryptWebhook404JSONResponse{NotFoundJSONResponse: gen.NotFoundJSONResponse(errBody("not_found", "%v", err))}, nil
	}
	m, _ := h.d.Invoices.Merchant(req.Body.PgWalletId)
	return gen.AddPayscryptWebhook201JSONResponse(merchant(m)), nil
}

// RemovePayscryptWebhook removes a webhook URL from a merchant.
func (h *Handlers) RemovePayscryptWebhook(_ context.Context, req gen.RemovePayscryptWebhookRequestObject) (gen.RemovePayscryptWebhookResponseObject, error) {
	if err := h.d.Invoices.RemoveWebhook(req.Params.PgWalletId, req.Params.Url); err != nil {
		return gen.RemovePayscryptWebhook404JSONResponse{NotFoundJSONResponse: gen.NotFoundJSONResponse(errBody("not_found", "%v", err))}, nil
	}
	m, _ := h.d.Invoices.Merchant(req.Params.PgWalletId)
	return gen.RemovePayscryptWebhook200JSONResponse(merchant(m)), nil
}

// ListPayscryptWebhookDeliveries answers the delivery log.
func (h *Handlers) ListPayscryptWebhookDeliveries(_ context.Context, req gen.ListPayscryptWebhookDeliveriesRequestObject) (gen.ListPayscryptWebhookDeliveriesResponseObject, error) {
	id, _ := orderID(or(req.Params.OrderId, "0")) // the spec limits it to digits
	return gen.ListPayscryptWebhookDeliveries200JSONResponse(h.deliveryLog(func(a webhook.Attempt) bool {
		return a.Order == "" && (id == 0 || a.OrderID == id)
	}, or(req.Params.Limit, 100))), nil
}

// deliveryLog renders the attempts that match, of the one delivery log both APIs share.
func (h *Handlers) deliveryLog(match func(webhook.Attempt) bool, limit int) gen.DeliveryLog {
	out := gen.DeliveryLog{Capacity: h.d.Webhooks.Capacity(), Attempts: []gen.DeliveryAttempt{}}
	for _, a := range h.d.Webhooks.LogWhere(match, limit) {
		out.Attempts = append(out.Attempts, attempt(a))
	}
	pending := []gen.PendingDelivery{}
	for _, p := range h.d.Webhooks.PendingDeliveries() {
		if match(webhook.Attempt{Meta: p.Meta}) {
			pending = append(pending, gen.PendingDelivery{DeliveryId: p.ID, Url: p.URL, OrderId: orderOf(p.Meta), Attempts: p.Attempts, Due: p.Due.UTC()})
		}
	}
	out.Pending = &pending
	return out
}

// ListPayscryptOrders answers invoices, newest first: those in a status, at most limit.
func (h *Handlers) ListPayscryptOrders(_ context.Context, req gen.ListPayscryptOrdersRequestObject) (gen.ListPayscryptOrdersResponseObject, error) {
	status := or(req.Params.Status, "")
	orders, total := page(h.d.Invoices.List(or(req.Params.PgWalletId, 0)), func(o invoices.Order) bool { return status == "" || o.Status == status },
		req.Params.Limit, invoice)
	return gen.ListPayscryptOrders200JSONResponse{Orders: orders, Total: total}, nil
}

// PayPayscryptOrder simulates a payment or more confirmations.
func (h *Handlers) PayPayscryptOrder(_ context.Context, req gen.PayPayscryptOrderRequestObject) (gen.PayPayscryptOrderResponseObject, error) {
	notFound := func(msg string) (gen.PayPayscryptOrderResponseObject, error) {
		return gen.PayPayscryptOrder404JSONResponse{NotFoundJSONResponse: gen.NotFoundJSONResponse(errBody("not_found", "%s", msg))}, nil
	}
	id, ok := orderID(req.OrderId)
	if !ok {
		return notFound("no order " + req.OrderId)
	}
	o, err := h.d.Invoices.Get(id)
	if err != nil {
		return notFound(err.Error())
	}
	var value *big.Int
	var confirmations int64
	if b := req.Body; b != nil && (b.Value != nil || b.Confirmations != nil) {
		if b.Value != nil {
			value, _ = new(big.Int).SetString(*b.Value, 10) // the spec limits it to digits
		}
		if b.Confirmations != nil {
			confirmations = *b.Confirmations
		}
	} else { // pay what is due, fully confirmed
		value = new(big.Int).Sub(o.Target, o.Value)
		confirmations = o.TargetConfirmations
		if value.Sign() <= 0 {
			value = nil
		}
	}
	o, err = h.d.Invoices.Pay(id, value, confirmations)
	switch {
	case errors.Is(err, invoices.ErrNotFound):
		return notFound(err.Error())
	case err != nil:
		return gen.PayPayscryptOrder400JSONResponse{BadRequestJSONResponse: gen.BadRequestJSONResponse(errBody("bad_request", "%v", err))}, nil
	}
	return gen.PayPayscryptOrder200JSONResponse(invoice(o)), nil
}

// CancelPayscryptOrder cancels an invoice.
func (h *Handlers) CancelPayscryptOrder(_ context.Context, req gen.CancelPayscryptOrderRequestObject) (gen.CancelPayscryptOrderResponseObject, error) {
	id, ok := orderID(req.OrderId)
	if !ok {
		return gen.CancelPayscryptOrder404JSONResponse{NotFoundJSONResponse: gen.NotFoundJSONResponse(errBody("not_found", "no order %s", req.OrderId))}, nil
	}
	o, err := h.d.Invoices.Cancel(id)
	switch {
	case errors.Is(err, invoices.ErrNotFound):
		return gen.CancelPayscryptOrder404JSONResponse{NotFoundJSONResponse: gen.NotFoundJSONResponse(errBody("not_found", "%v", err))}, nil
	case err != nil:
		return gen.CancelPayscryptOrder409JSONResponse{ConflictJSONResponse: gen.ConflictJSONResponse(errBody("conflict", "%v", err))}, nil
	}
	return gen.CancelPayscryptOrder200JSONResponse(invoice(o)), nil
}

// ReplayPayscryptWebhook sends webhooks on demand.
func (h *Handlers) ReplayPayscryptWebhook(_ context.Context, req gen.ReplayPayscryptWebhookRequestObject) (gen.ReplayPayscryptWebhookResponseObject, error) {
	id, ok := orderID(req.OrderId)
	if !ok {
		return gen.ReplayPayscryptWebhook404JSONResponse{NotFoundJSONResponse: gen.NotFoundJSONResponse(errBody("not_found", "no order %s", req.OrderId))}, nil
	}
	status := ""
	if req.Body.Status != nil {
		status = string(*req.Body.Status)
	}
	ids, err := h.d.Replay(id, string(req.Body.Mode), status)
	switch {
	case errors.Is(err, invoices.ErrNotFound):
		return gen.ReplayPayscryptWebhook404JSONResponse{NotFoundJSONResponse: gen.NotFoundJSONResponse(errBody("not_found", "%v", err))}, nil
	case err != nil:
		return gen.ReplayPayscryptWebhook400JSONResponse{BadRequestJSONResponse: gen.BadRequestJSONResponse(errBody("bad_request", "%v", err))}, nil
	}
	return gen.ReplayPayscryptWebhook202JSONResponse{Deliveries: ids}, nil
}
