package admin

import (
	"context"
	"errors"
	"math"
	"strconv"
	"time"

	gen "github.com/cryptomock/cryptomock/gen/mockadmin"
	"github.com/cryptomock/cryptomock/mockserver/internal/clock"
	"github.com/cryptomock/cryptomock/mockserver/internal/feed"
	"github.com/cryptomock/cryptomock/mockserver/internal/tenant"
)

var (
	errTenantChoice = errors.New("name at most one of partner, pg_wallet_id and order_id")
	errNoOwner      = errors.New("no Cryptorefills order or Payscrypt invoice has this id")
	errNoMerchant   = errors.New("no Payscrypt merchant has this pg_wallet_id")
)

// tenantOf resolves the tenant a clock call names ("" for everyone).
func (h *Handlers) tenantOf(partner *string, wallet *int64, orderID *string) (string, error) {
	n := 0
	for _, set := range []bool{partner != nil, wallet != nil, orderID != nil} {
		if set {
			n++
		}
	}
	switch {
	case n > 1:
		return "", errTenantChoice
	case partner != nil:
		return tenant.Partner(*partner), nil
	case wallet != nil:
		if _, err := h.d.Invoices.Merchant(*wallet); err != nil {
			return "", errNoMerchant
		}
		return tenant.Merchant(*wallet), nil
	case orderID != nil:
		if o, err := h.d.Orders.Lookup(*orderID); err == nil {
			return tenant.Partner(o.Partner), nil
		}
		if id, err := strconv.ParseInt(*orderID, 10, 64); err == nil {
			if o, err := h.d.Invoices.Get(id); err == nil {
				return tenant.Merchant(o.WalletID), nil
			}
		}
		return "", errNoOwner
	}
	return clock.Global, nil
}

func (h *Handlers) clock(name string) gen.Clock {
	now := h.d.Clock.For(name).Now()
	out := gen.Clock{Now: now.Unix(), Time: now.UTC(), OffsetSeconds: h.d.Clock.OffsetOf(name).Seconds()}
	if name != clock.Global {
		out.Tenant = ptr(name)
	}
	return out
}

// GetClock answers the virtual time of everyone or of one tenant.
func (h *Handlers) GetClock(_ context.Context, req gen.GetClockRequestObject) (gen.GetClockResponseObject, error) {
	p := req.Params
	name, err := h.tenantOf(p.Partner, p.PgWalletId, p.OrderId)
	switch {
	case errors.Is(err, errTenantChoice):
		return gen.GetClock400JSONResponse{BadRequestJSONResponse: gen.BadRequestJSONResponse(errBody("bad_request", "%v", err))}, nil
	case err != nil:
		return gen.GetClock404JSONResponse{NotFoundJSONResponse: gen.NotFoundJSONResponse(errBody("not_found", "%v", err))}, nil
	}
	return gen.GetClock200JSONResponse(h.clock(name)), nil
}

// AdvanceClock jumps everyone's clock or one tenant's; due transitions fire before the answer.
func (h *Handlers) AdvanceClock(_ context.Context, req gen.AdvanceClockRequestObject) (gen.AdvanceClockResponseObject, error) {
	b := req.Body
	bad := func(format string, args ...any) (gen.AdvanceClockResponseObject, error) {
		return gen.AdvanceClock400JSONResponse{BadRequestJSONResponse: gen.BadRequestJSONResponse(errBody("bad_request", format, args...))}, nil
	}
	if math.IsNaN(b.Seconds) || b.Seconds < 0 {
		return bad("seconds must be a non-negative number")
	}
	name, err := h.tenantOf(b.Partner, b.PgWalletId, b.OrderId)
	switch {
	case errors.Is(err, errTenantChoice):
		return bad("%v", err)
	case err != nil:
		return gen.AdvanceClock404JSONResponse{NotFoundJSONResponse: gen.NotFoundJSONResponse(errBody("not_found", "%v", err))}, nil
	}
	if _, err := h.d.Clock.AdvanceTenant(name, time.Duration(b.Seconds*float64(time.Second))); err != nil {
		return bad("%v: it is already %.0f s ahead; reset the mock (POST /__mock/reset) to start again", err, h.d.Clock.OffsetOf(name).Seconds())
	}
	h.d.Feed.Publish(feed.Change{Kind: "clock", Tenant: name})
	return gen.AdvanceClock200JSONResponse(h.clock(name)), nil
}
