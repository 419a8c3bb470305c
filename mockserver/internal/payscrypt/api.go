package payscrypt

import (
	"net/http"
	"strconv"

	gen "github.com/cryptomock/cryptomock/gen/payscrypt"
	"github.com/cryptomock/cryptomock/mockserver/internal/apierror"
	"github.com/cryptomock/cryptomock/mockserver/internal/journal"
	"github.com/cryptomock/cryptomock/mockserver/internal/tenant"
	"github.com/cryptomock/cryptomock/mockserver/internal/upstream"
	"github.com/cryptomock/cryptomock/openapi"
)

// API is the Payscrypt REST API's definition for the registry: /apis/pg/* and the payment
// page behind redirect_url. Its tenant is the merchant owning the apikey (named by its
// wallet, never by the key). locked tells the payment page whether the control API needs a
// token for the request's listener.
func (h *Handlers) API(locked func(*http.Request) bool) *upstream.API {
	return &upstream.API{
		Name: "payscrypt", Spec: openapi.Payscrypt, Prefixes: []string{"/apis/pg/", "/pay/"},
		Tenant: func(r *http.Request) upstream.Tenant {
			key := r.Header.Get("apikey")
			if w, ok := h.book.WalletOf(key); ok {
				return upstream.Tenant{Clock: tenant.Merchant(w), Label: "pg_wallet_id:" + strconv.FormatInt(w, 10), Key: key}
			}
			return upstream.Tenant{Label: journal.Mask(key), Key: key}
		},
		Error: apierror.WriteGRPCStatus,
		Mount: func(o upstream.MountOptions) {
			gen.HandlerWithOptions(
				gen.NewStrictHandlerWithOptions(h, []gen.StrictMiddlewareFunc{WithAPIKey}, gen.StrictHTTPServerOptions{
					RequestErrorHandlerFunc: o.BadRequest, ResponseErrorHandlerFunc: o.InternalError}),
				gen.StdHTTPServerOptions{BaseRouter: o.Mux, ErrorHandlerFunc: o.BadRequest,
					Middlewares: []gen.MiddlewareFunc{gen.MiddlewareFunc(o.Operation)}})
			o.Mux.HandleFunc("GET /pay/{id}", h.PageHandler(locked))
		},
	}
}
