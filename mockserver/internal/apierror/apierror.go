// Package apierror renders every error the mock answers, in the shape of each API:
// Cryptorefills' `{status, detail, moreDetails}`, Payscrypt's grpc-gateway error with
// `grpc-code` / `grpc-message` headers, or the control API's `{error, message}`. Which API a
// request is for is the registry's business (package upstream). No handler writes an error
// body by itself.
package apierror

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
)

// Codes for HTTP-level Cryptorefills errors that are the mock's own.
const (
	BadRequest       = "BAD_REQUEST"
	NotFound         = "NOT_FOUND"
	MethodNotAllowed = "METHOD_NOT_ALLOWED"
	TooLarge         = "PAYLOAD_TOO_LARGE"
	TooMany          = "TOO_MANY_REQUESTS"
	Unavailable      = "SERVICE_UNAVAILABLE"
	Internal         = "INTERNAL_ERROR"
)

// CRError is Cryptorefills' HTTP-level error.
type CRError struct {
	Status      int            `json:"status"`
	Detail      string         `json:"detail"`
	MoreDetails map[string]any `json:"moreDetails,omitempty"`
}

// NewCR builds a Cryptorefills error; reason is the human explanation.
func NewCR(status int, detail, reason string, extra map[string]any) CRError {
	more := map[string]any{"reason": reason}
	for k, v := range extra {
		more[k] = v
	}
	return CRError{Status: status, Detail: detail, MoreDetails: more}
}

// WriteJSON writes v with status.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// gRPC codes used by the mock.
const (
	GRPCOK                = 0
	GRPCInvalidArgument   = 3
	GRPCDeadlineExceeded  = 4
	GRPCNotFound          = 5
	GRPCPermissionDenied  = 7
	GRPCResourceExhausted = 8
	GRPCInternal          = 13
	GRPCUnavailable       = 14
	GRPCUnauthenticated   = 16
	GRPCUnimplemented     = 12
)

// HTTPStatusFromGRPC maps a gRPC code to an HTTP status as grpc-gateway does.
func HTTPStatusFromGRPC(code int) int {
	switch code {
	case GRPCOK:
		return http.StatusOK
	case GRPCInvalidArgument:
		return http.StatusBadRequest
	case GRPCDeadlineExceeded:
		return http.StatusGatewayTimeout
	case GRPCNotFound:
		return http.StatusNotFound
	case GRPCPermissionDenied:
		return http.StatusForbidden
	case GRPCResourceExhausted:
		return http.StatusTooManyRequests
	case GRPCUnimplemented:
		return http.StatusNotImplemented
	case GRPCUnavailable:
		return http.StatusServiceUnavailable
	case GRPCUnauthenticated:
		return http.StatusUnauthorized
	}
	return http.StatusInternalServerError
}

// GRPCFromHTTPStatus is the reverse mapping, for faults and generic errors given as statuses.
func GRPCFromHTTPStatus(status int) int {
	switch status {
	case http.StatusBadRequest, http.StatusRequestEntityTooLarge, http.StatusUnsupportedMediaType:
		return GRPCInvalidArgument
	case http.StatusUnauthorized:
		return GRPCUnauthenticated
	case http.StatusForbidden:
		return GRPCPermissionDenied
	case http.StatusNotFound, http.StatusMethodNotAllowed:
		return GRPCNotFound
	case http.StatusTooManyRequests:
		return GRPCResourceExhausted
	case http.StatusNotImplemented:
		return GRPCUnimplemented
	case http.StatusServiceUnavailable, http.StatusBadGateway:
		return GRPCUnavailable
	case http.StatusGatewayTimeout:
		return GRPCDeadlineExceeded
	}
	return GRPCInternal
}

// GRPCError is grpc-gateway's error body.
type GRPCError struct {
	Error   string           `json:"error"`
	Code    int              `json:"code"`
	Message string           `json:"message"`
	Details []map[string]any `json:"details"`
}

// SetGRPCHeaders sets the documented result headers.
func SetGRPCHeaders(h http.Header, code int, message string) {
	h.Set("grpc-code", strconv.Itoa(code))
	h.Set("grpc-message", message)
}

// WriteGRPC writes a Payscrypt error: headers, mapped status and body.
func WriteGRPC(w http.ResponseWriter, code int, message string) {
	SetGRPCHeaders(w.Header(), code, message)
	WriteJSON(w, HTTPStatusFromGRPC(code), GRPCError{Error: message, Code: code, Message: message, Details: []map[string]any{}})
}

// AdminError is the control API's error.
type AdminError struct {
	Error   string `json:"error"`
	Message string `json:"message"`
}

// WriteCR answers a generic Cryptorefills error: {status, detail, moreDetails: {reason}}.
func WriteCR(w http.ResponseWriter, status int, reason string) {
	WriteJSON(w, status, NewCR(status, crDetail(status), reason, nil))
}

// WriteGRPCStatus answers a generic Payscrypt error for an HTTP status, through the gRPC code
// grpc-gateway maps to it.
func WriteGRPCStatus(w http.ResponseWriter, status int, reason string) {
	WriteGRPC(w, GRPCFromHTTPStatus(status), reason)
}

// WriteAdmin answers a control API error: {error, message}.
func WriteAdmin(w http.ResponseWriter, status int, reason string) {
	WriteJSON(w, status, AdminError{Error: adminCode(status), Message: reason})
}

func crDetail(status int) string {
	switch status {
	case http.StatusNotFound:
		return NotFound
	case http.StatusMethodNotAllowed:
		return MethodNotAllowed
	case http.StatusRequestEntityTooLarge:
		return TooLarge
	case http.StatusTooManyRequests:
		return TooMany
	case http.StatusServiceUnavailable:
		return Unavailable
	}
	if status >= 500 {
		return Internal
	}
	return BadRequest
}

func adminCode(status int) string {
	return strings.ToLower(strings.ReplaceAll(http.StatusText(status), " ", "_"))
}
