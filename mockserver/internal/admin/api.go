package admin

import (
	gen "github.com/cryptomock/cryptomock/gen/mockadmin"
	"github.com/cryptomock/cryptomock/mockserver/internal/apierror"
	"github.com/cryptomock/cryptomock/mockserver/internal/upstream"
	"github.com/cryptomock/cryptomock/openapi"
)

// API is the control API's definition for the registry: /__mock/*, the mock's own.
func (h *Handlers) API() *upstream.API {
	return &upstream.API{
		Name: "admin", Spec: openapi.MockAdmin, Prefixes: []string{"/__mock/"}, Control: true,
		Error: apierror.WriteAdmin,
		Mount: func(o upstream.MountOptions) {
			gen.HandlerWithOptions(
				gen.NewStrictHandlerWithOptions(h, nil, gen.StrictHTTPServerOptions{
					RequestErrorHandlerFunc: o.BadRequest, ResponseErrorHandlerFunc: o.InternalError}),
				gen.StdHTTPServerOptions{BaseRouter: o.Mux, ErrorHandlerFunc: o.BadRequest,
					Gate: o.Gate})
		},
	}
}
