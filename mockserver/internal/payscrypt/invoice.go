package payscrypt

import (
	"context"
	"net/http"
	"strconv"

	gen "github.com/cryptomock/cryptomock/gen/payscrypt"
	"github.com/cryptomock/cryptomock/mockserver/internal/invoices"
)

// The second API generation (/payment/v1/invoice, api-facts B3): the same invoices as
// create_order and get_public_order, under other names. Lower confidence: only the vendor's
// plugin shows these paths.

func (e grpcError) VisitCreateInvoiceResponse(w http.ResponseWriter) error { return e.write(w) }
func (e grpcError) VisitGetInvoiceResponse(w http.ResponseWriter) error    { return e.write(w) }
func (e grpcError) VisitLookupInvoiceResponse(w http.ResponseWriter) error { return e.write(w) }

// CreateInvoice (POST /payment/v1/invoice) creates an invoice for the merchant of the apikey.
func (h *Handlers) CreateInvoice(ctx context.Context, req gen.CreateInvoiceRequestObject) (gen.CreateInvoiceResponseObject, error) {
	b := req.Body
	returnURL := deref(b.RedirectUrl) // named callback_url before 2019-09-18
	if returnURL == "" {
		returnURL = deref(b.CallbackUrl)
	}
	o, errReply := h.create(ctx, b.WalletId, "wallet_id", invoices.CreateInput{MerchantOrderID: b.MerchantInvoiceId,
		Description: deref(b.Description), AssetName: b.Asset, TargetValue: b.Price, CallbackURL: returnURL})
	if errReply != nil {
		return *errReply, nil
	}
	code, msg := okHeaders()
	return gen.CreateInvoice200JSONResponse{Body: gen.InvoiceReply{Invoice: h.invoice(o)},
		Headers: gen.CreateInvoice200ResponseHeaders{GrpcCode: code, GrpcMessage: msg}}, nil
}

// GetInvoice (GET /payment/v1/invoice/{id}) answers an invoice; no apikey.
func (h *Handlers) GetInvoice(_ context.Context, req gen.GetInvoiceRequestObject) (gen.GetInvoiceResponseObject, error) {
	o, errReply := h.lookup(req.Id)
	if errReply != nil {
		return *errReply, nil
	}
	code, msg := okHeaders()
	return gen.GetInvoice200JSONResponse{Body: gen.InvoiceReply{Invoice: h.invoice(o)},
		Headers: gen.GetInvoice200ResponseHeaders{GrpcCode: code, GrpcMessage: msg}}, nil
}

// LookupInvoice (POST /payment/v1/invoice/{id} with {id}) is GetInvoice as the plugin's
// earlier revision called it; the id in the body wins when they differ.
func (h *Handlers) LookupInvoice(_ context.Context, req gen.LookupInvoiceRequestObject) (gen.LookupInvoiceResponseObject, error) {
	id := req.Id
	if req.Body != nil && req.Body.Id != "" {
		id = req.Body.Id
	}
	o, errReply := h.lookup(id)
	if errReply != nil {
		return *errReply, nil
	}
	code, msg := okHeaders()
	return gen.LookupInvoice200JSONResponse{Body: gen.InvoiceReply{Invoice: h.invoice(o)},
		Headers: gen.LookupInvoice200ResponseHeaders{GrpcCode: code, GrpcMessage: msg}}, nil
}

// invoice renders an invoice under the second generation's names.
func (h *Handlers) invoice(o invoices.Order) gen.Invoice {
	out := gen.Invoice{Id: strconv.FormatInt(o.ID, 10), Code: code(o.ID), PaymentUrl: h.redirectURL(o), Status: gen.OrderStatus(o.Status),
		MerchantInvoiceId: ptr(o.MerchantOrderID), WalletId: ptr(strconv.FormatInt(o.WalletID, 10)), Asset: ptr(o.Asset.Name),
		Price: ptr(o.Target.String()), Value: ptr(o.Value.String()), Description: ptr(o.Description),
		ExpiredAt: ptr(unix(o.ExpiredAt)), CreatedAt: ptr(unix(o.CreatedAt)), UpdatedAt: ptr(unix(o.UpdatedAt))}
	if len(o.Variants) > 0 {
		out.Address = ptr(o.Variants[0])
	}
	if o.CallbackURL != "" {
		out.RedirectUrl = ptr(o.CallbackURL)
	}
	return out
}
