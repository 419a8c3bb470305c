package cryptorefills

import (
	"net/http"

	gen "github.com/cryptomock/cryptomock/gen/cryptorefills"
	"github.com/cryptomock/cryptomock/mockserver/internal/apierror"
	"github.com/cryptomock/cryptomock/mockserver/internal/tenant"
	"github.com/cryptomock/cryptomock/mockserver/internal/upstream"
	"github.com/cryptomock/cryptomock/openapi"
)

// API is the Cryptorefills partner API's definition for the registry: it owns every path no
// other API claims, its tenant is the partner (X-Cr-Application). With lenient set, requests
// without the partner headers are accepted, as the live API does (api-facts A2).
func (h *Handlers) API(lenient bool) *upstream.API {
	a := &upstream.API{
		Name: "cryptorefills", Spec: openapi.Cryptorefills,
		Tenant: func(r *http.Request) upstream.Tenant {
			var p string
			if v := r.Header["X-Cr-Application"]; len(v) > 0 { // the name is canonical
				p = v[0]
			}
			return upstream.Tenant{Kind: tenant.PartnerKind, ID: p, Label: p, Key: p}
		},
		Error: apierror.WriteCR,
		Invalid: func(w http.ResponseWriter, reason, in, field string) {
			extra := map[string]any{}
			if in != "" {
				extra["in"] = in
			}
			if field != "" {
				extra["field"] = field
			}
			apierror.WriteJSON(w, http.StatusBadRequest, apierror.NewCR(http.StatusBadRequest, apierror.BadRequest, reason, extra))
		},
		Mount: func(o upstream.MountOptions) {
			gen.HandlerWithOptions(
				gen.NewStrictHandlerWithOptions(h, nil, gen.StrictHTTPServerOptions{
					RequestErrorHandlerFunc: o.BadRequest, ResponseErrorHandlerFunc: o.InternalError}),
				gen.StdHTTPServerOptions{BaseRouter: o.Mux, ErrorHandlerFunc: o.BadRequest,
					Gate: o.Gate})
			// Validation takes POST only; without this, GET would ask for an order named
			// "validations" and answer a puzzling 404.
			o.Mux.HandleFunc("GET /v5/orders/validations", func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Allow", http.MethodPost)
				apierror.WriteCR(w, http.StatusMethodNotAllowed, "validations take POST with the order as the body (POST /v5/orders/validations)")
			})
		},
	}
	if lenient {
		a.Before = func(r *http.Request) {
			if r.Header.Get("X-Cr-Application") == "" {
				r.Header.Set("X-Cr-Application", "anonymous")
			}
			if r.Header.Get("X-Cr-Version") == "" {
				r.Header.Set("X-Cr-Version", "unknown")
			}
		}
	}
	return a
}
