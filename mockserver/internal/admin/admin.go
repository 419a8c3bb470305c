// Package admin serves the mock's control API (openapi/mockadmin.yaml): health, reset, the
// virtual clock, the journal, faults, armed problems, and forcing Cryptorefills orders through
// their lifecycle. Handlers are thin: every rule lives in the package that owns the state.
package admin

import (
	"context"
	"errors"
	"fmt"
	"math/big"

	crgen "github.com/cryptomock/cryptomock/gen/cryptorefills"
	gen "github.com/cryptomock/cryptomock/gen/mockadmin"
	"github.com/cryptomock/cryptomock/mockserver/internal/clock"
	"github.com/cryptomock/cryptomock/mockserver/internal/events"
	"github.com/cryptomock/cryptomock/mockserver/internal/faults"
	"github.com/cryptomock/cryptomock/mockserver/internal/feed"
	"github.com/cryptomock/cryptomock/mockserver/internal/invoices"
	"github.com/cryptomock/cryptomock/mockserver/internal/journal"
	"github.com/cryptomock/cryptomock/mockserver/internal/lifecycle"
	"github.com/cryptomock/cryptomock/mockserver/internal/money"
	"github.com/cryptomock/cryptomock/mockserver/internal/webhook"
)

var _ gen.StrictServerInterface = (*Handlers)(nil)

// Deps are the parts of the mock the control API drives.
type Deps struct {
	Version string
	Clock   *clock.Clock
	Orders  *lifecycle.Engine
	Faults  *faults.Registry
	Journal *journal.Journal
	Reset   func(partner string) // forgets a partner's state, or everything with ""

	Invoices *invoices.Book
	Webhooks *webhook.Dispatcher
	// OrderWebhooks registers a Cryptorefills partner's webhook URL (behind a switch).
	OrderWebhooks func(partner, url string) ([]string, error)
	Replay        func(orderID int64, mode, status string) ([]string, error)

	// For the dashboard: the change feed, an order's stream frames, and an order as the public
	// API renders it.
	Feed        *feed.Feed
	Frames      func(orderID string) []events.Event
	RenderOrder func(lifecycle.Order) any
}

// Handlers implements the control API.
type Handlers struct{ d Deps }

// New returns the control API handlers.
func New(d Deps) *Handlers { return &Handlers{d: d} }

func ptr[T any](v T) *T { return &v }

// optional leaves an empty string out.
func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// or returns *p, or def when p is nil (an optional field left out).
func or[T any](p *T, def T) T {
	if p == nil {
		return def
	}
	return *p
}

func errBody(code, format string, args ...any) gen.Error {
	return gen.Error{Error: code, Message: fmt.Sprintf(format, args...)}
}

// GetHealth reports readiness.
func (h *Handlers) GetHealth(context.Context, gen.GetHealthRequestObject) (gen.GetHealthResponseObject, error) {
	return gen.GetHealth200JSONResponse{Status: gen.Ok, Version: h.d.Version, Now: h.d.Clock.Now().Unix()}, nil
}

// Reset forgets state.
func (h *Handlers) Reset(_ context.Context, req gen.ResetRequestObject) (gen.ResetResponseObject, error) {
	partner := ""
	if req.Body != nil {
		partner = or(req.Body.Partner, "")
	}
	h.d.Reset(partner)
	h.d.Feed.Publish(feed.Change{Kind: "reset", Tenant: partner})
	scope := "all"
	if partner != "" {
		scope = "partner " + partner
	}
	return gen.Reset200JSONResponse{Scope: scope}, nil
}

// GetJournal answers recent requests.
func (h *Handlers) GetJournal(_ context.Context, req gen.GetJournalRequestObject) (gen.GetJournalResponseObject, error) {
	f := journal.Filter{Partner: or(req.Params.Partner, ""), Prefix: or(req.Params.Path, ""), Status: req.Params.Status, Refused: or(req.Params.Refused, false)}
	out := gen.Journal{Capacity: h.d.Journal.Capacity(), Entries: []gen.JournalEntry{}}
	for _, e := range h.d.Journal.Query(f, or(req.Params.Limit, 100)) {
		out.Entries = append(out.Entries, journalEntry(e))
	}
	return gen.GetJournal200JSONResponse(out), nil
}

// ArmFault arms a fault.
func (h *Handlers) ArmFault(_ context.Context, req gen.ArmFaultRequestObject) (gen.ArmFaultResponseObject, error) {
	b := req.Body
	f := faults.Fault{Kind: string(b.Kind), Count: or(b.Count, 1), Partner: or(b.Partner, ""), OrderID: or(b.OrderId, ""),
		Operation: or(b.Operation, ""), LatencyMS: or(b.LatencyMs, 0), Status: or(b.Status, 0), AfterEvents: or(b.AfterEvents, 0)}
	if f.Kind == faults.Status && f.Status == 0 {
		return gen.ArmFault400JSONResponse{BadRequestJSONResponse: gen.BadRequestJSONResponse(errBody("bad_request", "a status fault needs status (400-599)"))}, nil
	}
	if f.Kind == faults.Latency && f.LatencyMS == 0 {
		return gen.ArmFault400JSONResponse{BadRequestJSONResponse: gen.BadRequestJSONResponse(errBody("bad_request", "a latency fault needs latency_ms"))}, nil
	}
	armed, err := h.d.Faults.Arm(f)
	if err != nil {
		return gen.ArmFault400JSONResponse{BadRequestJSONResponse: gen.BadRequestJSONResponse(errBody("bad_request", "%v", err))}, nil
	}
	return gen.ArmFault201JSONResponse(fault(armed)), nil
}

func fault(f faults.Fault) gen.Fault {
	out := gen.Fault{Id: f.ID, Kind: gen.FaultKind(f.Kind), Remaining: f.Remaining, Count: ptr(f.Count)}
	out.Partner, out.OrderId, out.Operation = optional(f.Partner), optional(f.OrderID), optional(f.Operation)
	if f.LatencyMS > 0 {
		out.LatencyMs = ptr(f.LatencyMS)
	}
	if f.Status > 0 {
		out.Status = ptr(f.Status)
	}
	if f.AfterEvents > 0 {
		out.AfterEvents = ptr(f.AfterEvents)
	}
	return out
}

// ListFaults answers the armed faults.
func (h *Handlers) ListFaults(context.Context, gen.ListFaultsRequestObject) (gen.ListFaultsResponseObject, error) {
	out := gen.ListFaults200JSONResponse{Faults: []gen.Fault{}}
	for _, f := range h.d.Faults.List() {
		out.Faults = append(out.Faults, fault(f))
	}
	return out, nil
}

// ClearFaults disarms faults.
func (h *Handlers) ClearFaults(_ context.Context, req gen.ClearFaultsRequestObject) (gen.ClearFaultsResponseObject, error) {
	return gen.ClearFaults200JSONResponse{Cleared: h.d.Faults.Clear(or(req.Params.Partner, ""))}, nil
}

// ArmProblems makes a partner's next validations and creations report problems.
func (h *Handlers) ArmProblems(_ context.Context, req gen.ArmProblemsRequestObject) (gen.ArmProblemsResponseObject, error) {
	b := *req.Body
	for _, code := range b.Problems {
		if !crgen.ProblemCode(code).Valid() {
			return gen.ArmProblems400JSONResponse{BadRequestJSONResponse: gen.BadRequestJSONResponse(
				errBody("bad_request", "%s is not a problem code of openapi/cryptorefills.yaml (ProblemCode)", code))}, nil
		}
	}
	count := or(b.Count, 1)
	b.Count = ptr(count)
	h.d.Faults.ArmProblems(b.Partner, b.Problems, count)
	return gen.ArmProblems201JSONResponse(b), nil
}

func summary(o lifecycle.Order) gen.OrderSummary {
	return gen.OrderSummary{OrderId: o.ID, Partner: o.Partner, OrderState: o.State, PaymentState: o.PaymentState,
		Coin: o.Coin, Network: ptr(o.Network), CoinAmount: money.Format(o.CoinAmount, o.CoinDecimals),
		SentCoinAmount: money.Trim(o.Sent, o.CoinDecimals), WalletAddress: ptr(o.WalletAddress),
		CreatedAt: o.CreatedAt.Unix(), ExpiresAt: o.ExpiresAt.Unix()}
}

// ListCryptorefillsOrders answers orders, newest first: those in a state, at most limit.
func (h *Handlers) ListCryptorefillsOrders(_ context.Context, req gen.ListCryptorefillsOrdersRequestObject) (gen.ListCryptorefillsOrdersResponseObject, error) {
	state := or(req.Params.State, "")
	orders, total := page(h.d.Orders.List(or(req.Params.Partner, "")), func(o lifecycle.Order) bool { return state == "" || o.State == state },
		req.Params.Limit, summary)
	return gen.ListCryptorefillsOrders200JSONResponse{Orders: orders, Total: total}, nil
}

// page shows the items that match, at most limit of them (nil: all), and counts every match.
func page[T, S any](items []T, match func(T) bool, limit *int, show func(T) S) ([]S, int) {
	out, total := []S{}, 0
	for _, it := range items {
		if !match(it) {
			continue
		}
		total++
		if limit == nil || len(out) < *limit {
			out = append(out, show(it))
		}
	}
	return out, total
}

// AddCryptorefillsWebhook registers a URL for a partner's order changes.
func (h *Handlers) AddCryptorefillsWebhook(_ context.Context, req gen.AddCryptorefillsWebhookRequestObject) (gen.AddCryptorefillsWebhookResponseObject, error) {
	urls, err := h.d.OrderWebhooks(req.Body.Partner, req.Body.Url)
	if err != nil {
		return gen.AddCryptorefillsWebhook400JSONResponse{BadRequestJSONResponse: gen.BadRequestJSONResponse(errBody("bad_request", "%v", err))}, nil
	}
	return gen.AddCryptorefillsWebhook201JSONResponse{Partner: req.Body.Partner, Webhooks: urls}, nil
}

// ListCryptorefillsWebhookDeliveries answers the order webhook attempts.
func (h *Handlers) ListCryptorefillsWebhookDeliveries(_ context.Context, req gen.ListCryptorefillsWebhookDeliveriesRequestObject) (gen.ListCryptorefillsWebhookDeliveriesResponseObject, error) {
	id := or(req.Params.OrderId, "")
	return gen.ListCryptorefillsWebhookDeliveries200JSONResponse(h.deliveryLog(func(a webhook.Attempt) bool {
		return a.Order != "" && (id == "" || a.Order == id)
	}, or(req.Params.Limit, 100))), nil
}

// PayCryptorefillsOrder simulates a payment.
func (h *Handlers) PayCryptorefillsOrder(_ context.Context, req gen.PayCryptorefillsOrderRequestObject) (gen.PayCryptorefillsOrderResponseObject, error) {
	var amount *big.Rat
	if req.Body != nil && req.Body.CoinAmount != nil {
		a, err := money.Parse(*req.Body.CoinAmount)
		if err != nil {
			return gen.PayCryptorefillsOrder400JSONResponse{BadRequestJSONResponse: gen.BadRequestJSONResponse(errBody("bad_request", "coin_amount: %v", err))}, nil
		}
		amount = a
	}
	o, err := h.d.Orders.Pay(req.OrderId, amount)
	switch {
	case errors.Is(err, lifecycle.ErrNotFound):
		return gen.PayCryptorefillsOrder404JSONResponse{NotFoundJSONResponse: gen.NotFoundJSONResponse(errBody("not_found", "no order %s", req.OrderId))}, nil
	case errors.Is(err, lifecycle.ErrInvalid):
		return gen.PayCryptorefillsOrder400JSONResponse{BadRequestJSONResponse: gen.BadRequestJSONResponse(errBody("bad_request", "%v", err))}, nil
	case err != nil:
		return gen.PayCryptorefillsOrder409JSONResponse{ConflictJSONResponse: gen.ConflictJSONResponse(errBody("conflict", "%v", err))}, nil
	}
	return gen.PayCryptorefillsOrder200JSONResponse(summary(o)), nil
}

// TransitionCryptorefillsOrder forces a transition.
func (h *Handlers) TransitionCryptorefillsOrder(_ context.Context, req gen.TransitionCryptorefillsOrderRequestObject) (gen.TransitionCryptorefillsOrderResponseObject, error) {
	o, err := h.d.Orders.Apply(req.OrderId, string(req.Body.Action), or(req.Body.Reason, ""))
	switch {
	case errors.Is(err, lifecycle.ErrNotFound):
		return gen.TransitionCryptorefillsOrder404JSONResponse{NotFoundJSONResponse: gen.NotFoundJSONResponse(errBody("not_found", "no order %s", req.OrderId))}, nil
	case errors.Is(err, lifecycle.ErrConflict):
		return gen.TransitionCryptorefillsOrder409JSONResponse{ConflictJSONResponse: gen.ConflictJSONResponse(errBody("conflict", "%v", err))}, nil
	case err != nil:
		return gen.TransitionCryptorefillsOrder400JSONResponse{BadRequestJSONResponse: gen.BadRequestJSONResponse(errBody("bad_request", "%v", err))}, nil
	}
	return gen.TransitionCryptorefillsOrder200JSONResponse(summary(o)), nil
}
