// Package payscrypt serves the Payscrypt REST API (grpc-gateway flavour) over the invoices
// book: create_order (apikey required) and get_public_order (public), errors as gRPC codes in
// `grpc-code` / `grpc-message` headers with grpc-gateway's body, JSON in the proto3 mapping.
// It also turns every status change into webhooks, and serves the payment page.
package payscrypt

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	gen "github.com/cryptomock/cryptomock/gen/payscrypt"
	"github.com/cryptomock/cryptomock/mockserver/internal/apierror"
	"github.com/cryptomock/cryptomock/mockserver/internal/invoices"
	"github.com/cryptomock/cryptomock/mockserver/internal/tenant"
	"github.com/cryptomock/cryptomock/mockserver/internal/webhook"
)

var _ gen.StrictServerInterface = (*Handlers)(nil)

// Handlers implements the Payscrypt API.
type Handlers struct {
	book         *invoices.Book
	hooks        *webhook.Dispatcher
	omitDefaults bool
	publicURL    func() string
}

// New returns the handlers. omitDefaults reproduces grpc-gateway's default marshaler, which
// leaves out fields holding their default value (PENDING, NORMAL, "0", "").
func New(book *invoices.Book, hooks *webhook.Dispatcher, omitDefaults bool, publicURL func() string) *Handlers {
	return &Handlers{book: book, hooks: hooks, omitDefaults: omitDefaults, publicURL: publicURL}
}

type apikeyKey struct{}

// WithAPIKey is a strict middleware that hands the `apikey` header to the handlers (it is a
// security scheme, so the generated request objects do not carry it).
func WithAPIKey(f gen.StrictHandlerFunc, _ string) gen.StrictHandlerFunc {
	return func(ctx context.Context, w http.ResponseWriter, r *http.Request, req any) (any, error) {
		return f(context.WithValue(ctx, apikeyKey{}, r.Header.Get("apikey")), w, r, req)
	}
}

// grpcError answers an error of either operation in Payscrypt's shape.
type grpcError struct {
	code int
	msg  string
}

func (e grpcError) write(w http.ResponseWriter) error {
	apierror.WriteGRPC(w, e.code, e.msg)
	return nil
}

func (e grpcError) VisitCreatePaymentOrderResponse(w http.ResponseWriter) error { return e.write(w) }
func (e grpcError) VisitGetPublicOrderResponse(w http.ResponseWriter) error     { return e.write(w) }

func toGRPC(err error) grpcError {
	msg := err.Error()
	switch {
	case errors.Is(err, invoices.ErrUnauthenticated):
		return grpcError{apierror.GRPCUnauthenticated, msg}
	case errors.Is(err, invoices.ErrPermissionDenied):
		return grpcError{apierror.GRPCPermissionDenied, msg}
	case errors.Is(err, invoices.ErrNotFound):
		return grpcError{apierror.GRPCNotFound, msg}
	case errors.Is(err, invoices.ErrInvalid):
		return grpcError{apierror.GRPCInvalidArgument, msg}
	}
	return grpcError{apierror.GRPCInternal, msg}
}

func okHeaders() (*string, *string) { code, msg := "0", ""; return &code, &msg }

// CreatePaymentOrder (create_order) creates an invoice for the merchant of the apikey.
func (h *Handlers) CreatePaymentOrder(ctx context.Context, req gen.CreatePaymentOrderRequestObject) (gen.CreatePaymentOrderResponseObject, error) {
	b := req.Body
	o, errReply := h.create(ctx, b.PgWalletId, "pg_wallet_id", invoices.CreateInput{MerchantOrderID: b.MerchantOrderId,
		MerchantName: deref(b.MerchantName), Description: deref(b.Description), AssetName: b.AssetName,
		TargetValue: b.TargetValue, CallbackURL: deref(b.CallbackUrl)})
	if errReply != nil {
		return *errReply, nil
	}
	code, msg := okHeaders()
	return gen.CreatePaymentOrder200JSONResponse{Body: gen.CreateOrderReply{Order: h.order(o)},
		Headers: gen.CreatePaymentOrder200ResponseHeaders{GrpcCode: code, GrpcMessage: msg}}, nil
}

// GetPublicOrder answers the public view of an invoice.
func (h *Handlers) GetPublicOrder(_ context.Context, req gen.GetPublicOrderRequestObject) (gen.GetPublicOrderResponseObject, error) {
	o, errReply := h.lookup(req.Body.Id)
	if errReply != nil {
		return *errReply, nil
	}
	code, msg := okHeaders()
	return gen.GetPublicOrder200JSONResponse{Body: gen.GetPublicOrderReply{Order: h.publicOrder(o, req.Body.WithPayments != nil && *req.Body.WithPayments)},
		Headers: gen.GetPublicOrder200ResponseHeaders{GrpcCode: code, GrpcMessage: msg}}, nil
}

// create makes an invoice for the merchant of the request's apikey (both API generations);
// walletField names the wallet as the request did.
func (h *Handlers) create(ctx context.Context, wallet gen.Int64Input, walletField string, in invoices.CreateInput) (invoices.Order, *grpcError) {
	w, err := int64Input(wallet)
	if err != nil {
		return invoices.Order{}, &grpcError{apierror.GRPCInvalidArgument, walletField + " must be an int64 (a number or a decimal string)"}
	}
	in.WalletID = w
	key, _ := ctx.Value(apikeyKey{}).(string)
	return h.createFor(key, in)
}

// createFor makes an invoice for the merchant owning apikey (every flavour).
func (h *Handlers) createFor(apikey string, in invoices.CreateInput) (invoices.Order, *grpcError) {
	o, err := h.book.Create(apikey, in)
	if err != nil {
		e := toGRPC(err)
		return invoices.Order{}, &e
	}
	return o, nil
}

// lookup finds an invoice by the id a request gave (both API generations).
func (h *Handlers) lookup(raw string) (invoices.Order, *grpcError) {
	id, err := strconv.ParseInt(raw, 10, 64)
	if err != nil {
		return invoices.Order{}, &grpcError{apierror.GRPCInvalidArgument, "id must be an order id (digits)"}
	}
	o, err := h.book.Get(id)
	if err != nil {
		e := toGRPC(err)
		return invoices.Order{}, &e
	}
	return o, nil
}

func int64Input(v gen.Int64Input) (int64, error) {
	if n, err := v.AsInt64Input0(); err == nil {
		return n, nil
	}
	s, err := v.AsInt64String()
	if err != nil {
		return 0, err
	}
	return strconv.ParseInt(s, 10, 64)
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// Changed turns a status change into webhooks to every URL of the merchant.
func (h *Handlers) Changed(o invoices.Order, webhooks []string) {
	h.notify(o, webhooks, o.Status, "status_change", 1)
}

func (h *Handlers) notify(o invoices.Order, webhooks []string, status, kind string, copies int) []string {
	body, _ := json.Marshal(gen.WebhookOrder{Id: strconv.FormatInt(o.ID, 10), PgWalletId: strconv.FormatInt(o.WalletID, 10),
		MerchantOrderId: &o.MerchantOrderID, Status: gen.OrderStatus(status)})
	ids := []string{}
	for _, url := range webhooks {
		for i := 0; i < copies; i++ {
			ids = append(ids, h.hooks.Send(url, body, webhook.Meta{Tenant: tenant.Merchant(o.WalletID), OrderID: o.ID, WalletID: o.WalletID, OrderStatus: status, Kind: kind}))
		}
	}
	return ids
}

// Replay sends webhooks on demand: resend (the current status once more), duplicate (twice),
// out_of_order (an earlier status after the current one), forged (a status the order does not
// have). It returns the delivery ids.
func (h *Handlers) Replay(id int64, mode, forgedStatus string) ([]string, error) {
	o, err := h.book.Get(id)
	if err != nil {
		return nil, err
	}
	m, err := h.book.Merchant(o.WalletID)
	if err != nil {
		return nil, err
	}
	urls := m.Webhooks
	switch mode {
	case "resend":
		return h.notify(o, urls, o.Status, mode, 1), nil
	case "duplicate":
		return h.notify(o, urls, o.Status, mode, 2), nil
	case "out_of_order":
		earlier := invoices.Pending
		if o.Status == invoices.Successful {
			earlier = invoices.Confirming
		}
		return h.notify(o, urls, earlier, mode, 1), nil
	case "forged":
		if forgedStatus == "" {
			forgedStatus = invoices.Successful
			if o.Status == invoices.Successful {
				forgedStatus = invoices.Canceled
			}
		}
		forgedStatus = strings.ToUpper(forgedStatus)
		if forgedStatus == o.Status || !gen.OrderStatus(forgedStatus).Valid() {
			return nil, fmt.Errorf("%w: a forged webhook needs a valid status the order does not have", invoices.ErrInvalid)
		}
		return h.notify(o, urls, forgedStatus, mode, 1), nil
	}
	return nil, fmt.Errorf("%w: mode must be resend, duplicate, out_of_order or forged", invoices.ErrInvalid)
}
