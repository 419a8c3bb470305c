package payscrypt

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	gen "github.com/cryptomock/cryptomock/gen/payscrypt"
	"github.com/cryptomock/cryptomock/mockserver/internal/apierror"
	"github.com/cryptomock/cryptomock/mockserver/internal/journal"
	"github.com/cryptomock/cryptomock/mockserver/internal/reqbody"
	"github.com/cryptomock/cryptomock/mockserver/internal/tenant"
	"github.com/cryptomock/cryptomock/mockserver/internal/upstream"
	"github.com/cryptomock/cryptomock/openapi"
)

// API is the Payscrypt REST API's definition for the registry: /apis/pg/*, the second
// generation's /payment/v1/*, and the payment page behind redirect_url. Its tenant is the merchant owning the apikey (named by its
// wallet, never by the key). locked tells the payment page whether the control API needs a
// token for the request's listener.
func (h *Handlers) API(locked func(*http.Request) bool) *upstream.API {
	return &upstream.API{
		Name: "payscrypt", Spec: openapi.Payscrypt, Prefixes: []string{"/apis/pg/", "/payment/v1/", "/pay/"},
		Tenant: func(r *http.Request) upstream.Tenant {
			key := r.Header.Get("apikey")
			if w, ok := h.book.WalletOf(key); ok {
				id := strconv.FormatInt(w, 10)
				return upstream.Tenant{Kind: tenant.MerchantKind, ID: id, Label: "pg_wallet_id:" + id, Key: key}
			}
			return upstream.Tenant{Label: journal.Mask(key), Key: key}
		},
		Error: apierror.WriteGRPCStatus,
		Mount: func(o upstream.MountOptions) {
			gen.HandlerWithOptions(
				gen.NewStrictHandlerWithOptions(h, []gen.StrictMiddlewareFunc{WithAPIKey}, gen.StrictHTTPServerOptions{
					RequestErrorHandlerFunc: o.BadRequest, ResponseErrorHandlerFunc: o.InternalError}),
				gen.StdHTTPServerOptions{BaseRouter: o.Mux, ErrorHandlerFunc: o.BadRequest,
					// The last runs first: names are mapped before the spec sees the body.
					Middlewares: []gen.MiddlewareFunc{o.GateMiddleware, protoJSONNames}})
			o.Mux.HandleFunc("GET /pay/{id}", h.PageHandler(locked))
		},
	}
}

// protoJSONNames lets a request body name its fields in lowerCamelCase (merchantOrderId,
// pgWalletId, withPayments...), as grpc-gateway's proto3 JSON mapping accepts besides the
// original names: they are rewritten to the original snake_case before the body is
// validated. When a body gives both forms of one field, the original name wins. A body that is
// not a JSON object is left as it is, for validation to refuse in its own words.
func protoJSONNames(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if b, err := reqbody.Read(r); err == nil && len(b) > 0 {
			if out := snakeKeys(b); &out[0] != &b[0] {
				reqbody.Replace(r, out)
			}
		}
		next.ServeHTTP(w, r)
	})
}

// camelKeyIn reports whether a body may name a key in lowerCamelCase: a quoted word that
// starts lower case, has an upper-case letter and is followed by a colon. It may say yes for
// a string value such as "aB" : inside a longer string (snakeKeys then decodes and finds
// nothing); it never says no for a body with such a key.
func camelKeyIn(b []byte) bool {
	for i := 0; i < len(b); i++ {
		if b[i] != '"' || i+1 >= len(b) || b[i+1] < 'a' || b[i+1] > 'z' {
			continue
		}
		j, upper := i+1, false
		for ; j < len(b) && (isLower(b[j]) || isUpper(b[j]) || (b[j] >= '0' && b[j] <= '9')); j++ {
			upper = upper || isUpper(b[j])
		}
		if !upper || j >= len(b) || b[j] != '"' {
			continue
		}
		for j++; j < len(b) && (b[j] == ' ' || b[j] == '\t' || b[j] == '\n' || b[j] == '\r'); j++ {
		}
		if j < len(b) && b[j] == ':' {
			return true
		}
	}
	return false
}

func isLower(c byte) bool { return c >= 'a' && c <= 'z' }
func isUpper(c byte) bool { return c >= 'A' && c <= 'Z' }

var (
	camelKey = regexp.MustCompile(`^[a-z][a-z0-9]*([A-Z][a-z0-9]*)+$`)
	upper    = regexp.MustCompile(`([A-Z])`)
)

// snakeKeys rewrites the top-level lowerCamelCase keys of a JSON object (Payscrypt's request
// messages have scalar fields only).
func snakeKeys(b []byte) []byte {
	if !camelKeyIn(b) { // nearly every body: no decoding on the way to validation
		return b
	}
	var obj map[string]json.RawMessage
	if json.Unmarshal(b, &obj) != nil {
		return b
	}
	changed := false
	for k, v := range obj {
		if !camelKey.MatchString(k) {
			continue
		}
		snake := strings.ToLower(upper.ReplaceAllString(k, "_$1"))
		if _, taken := obj[snake]; !taken {
			obj[snake] = v
		}
		delete(obj, k)
		changed = true
	}
	if !changed {
		return b
	}
	out, err := json.Marshal(obj)
	if err != nil {
		return b
	}
	return out
}
