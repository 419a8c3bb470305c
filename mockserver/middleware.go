package mockserver

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/cryptomock/cryptomock/mockserver/internal/faults"
	"github.com/cryptomock/cryptomock/mockserver/internal/reqbody"
	"github.com/cryptomock/cryptomock/mockserver/internal/specvalidate"
	"github.com/cryptomock/cryptomock/mockserver/internal/upstream"
	"github.com/cryptomock/cryptomock/mockserver/internal/webhook"
)

// The request pipeline, outermost first:
//
//	recoverer > resolve (API and tenant, from the registry) > record (journal, log) > limits
//	  > hosts > browsers > cors > controlToken > ServeMux (routes remembered: routes.go)
//	  > generated parameter binding > operation (faults, spec validation: the wrappers' Gate) > strict handler
//
// Every wrapper of the ResponseWriter keeps Flush and Unwrap, so event streams are flushed
// frame by frame through all of them.

// exchange carries the request's API and tenant, and what inner layers learn about the
// request, to the journal.
type exchange struct {
	ctx       upstream.Context // the request's context, carrying this exchange
	up        upstream.Request
	operation string
	dropped   bool         // the connection was closed without an answer (drop fault)
	body      []byte       // the request body as the operation read it (not for control calls)
	refusal   string       // the reason of a refusal the mock wrote itself (fail, renderBadRequest)
	writer    statusWriter // record's wrapper of the ResponseWriter (one allocation for both)
}

func (ex *exchange) Upstream() *upstream.Request { return &ex.up }

// exchangeOf is the exchange resolve put in a request's context, or nil.
func exchangeOf(r *http.Request) *exchange {
	ex, _ := upstream.CarrierOf(r.Context()).(*exchange)
	return ex
}

// resolve puts the request's API and tenant into its context, once, for every layer after it,
// and lets the API adjust the request before it is routed (upstream.Registry.Resolve). The
// same context value is the exchange the journal reads (one value, one request copy).
func (s *Server) resolve(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ex := &exchange{up: s.apis.Resolve(r)}
		ex.ctx.Carry(r.Context(), ex)
		next.ServeHTTP(w, r.WithContext(&ex.ctx))
	})
}

// fail answers a generic error in the shape of the API the path belongs to.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, status int, reason string) {
	noteRefusal(r, reason)
	s.apis.ForPath(r.URL.Path).Error(w, status, reason)
}

// noteRefusal keeps the reason of a refusal the mock writes itself for record, which would
// otherwise read it back out of the body it was written into.
func noteRefusal(r *http.Request, reason string) {
	if ex := exchangeOf(r); ex != nil {
		ex.refusal = reason
	}
}

// operation runs for a routed operation of API a: it arms faults (not on the control API) and
// validates the request against the spec. false: it has answered the request itself.
func (s *Server) operation(a *upstream.API, v *specvalidate.Validator) func(http.ResponseWriter, *http.Request) bool {
	return func(w http.ResponseWriter, r *http.Request) bool {
		route := v.Route(r)
		op := route.ID()
		if ex := exchangeOf(r); ex != nil {
			ex.operation = op
			if !a.Control { // control calls are logged, not journaled
				ex.body, _ = reqbody.Read(r) // read once; validation and the handler share it
			}
		}
		if a.Control {
			assumeJSON(r)
		} else if s.injectFault(w, r, a.Name, op, upstream.From(r.Context()).Tenant.Key) {
			return false
		}
		if reason := badEncoding(r); reason != "" {
			s.renderBadRequest(w, r, reason, "", "")
			return false
		}
		if err := v.Validate(r.Context(), route, r); err != nil {
			var tooLarge *http.MaxBytesError
			if errors.As(err, &tooLarge) {
				s.fail(w, r, http.StatusRequestEntityTooLarge, fmt.Sprintf("request body is larger than %d bytes", tooLarge.Limit))
				return false
			}
			if errors.Is(err, os.ErrDeadlineExceeded) {
				w.Header().Set("Connection", "close")
				s.fail(w, r, http.StatusRequestTimeout, fmt.Sprintf("the request body did not arrive within %s (limits.read_body_timeout)", time.Duration(s.cfg.Limits.ReadBodyTimeout)))
				return false
			}
			p := specvalidate.Explain(err)
			s.renderBadRequest(w, r, p.Reason, p.In, p.Field)
			return false
		}
		return true
	}
}

// badEncoding refuses a query or JSON body that is not UTF-8 (RFC 8259): Go's decoder would
// otherwise replace the bad bytes silently and the request would pass as something else. A
// compressed body (Content-Encoding) and one that starts with a byte order mark are refused
// as invalid UTF-8 or JSON were before, but saying what they are (RFC 8259 section 8.1: a
// networked JSON text must not carry a BOM; Windows tools often add it). The mock's choice:
// the documents say nothing of either. A body that failed to arrive is left for validation to
// report (413, 408) in its own words.
func badEncoding(r *http.Request) string {
	q := r.URL.RawQuery
	if strings.IndexByte(q, '%') >= 0 { // without escapes, unescaping changes only '+' to ' '
		var err error
		if q, err = url.QueryUnescape(q); err != nil {
			q = "" // malformed escapes: validation says so in its own words
		}
	}
	if !utf8.ValidString(q) {
		return "the query string is not valid UTF-8"
	}
	if ce := r.Header.Get("Content-Encoding"); ce != "" && !strings.EqualFold(ce, "identity") && r.ContentLength != 0 {
		return fmt.Sprintf("request body has Content-Encoding %.40q, which the mock does not decode: send the JSON uncompressed", ce)
	}
	b, err := reqbody.Read(r)
	switch {
	case err != nil:
	case bytes.HasPrefix(b, byteOrderMark):
		return "request body starts with a byte order mark (EF BB BF), which JSON sent over a network must not have (RFC 8259, section 8.1): send the text without it"
	case !utf8.Valid(b):
		return "request body is not valid UTF-8"
	}
	return ""
}

var byteOrderMark = []byte("\xef\xbb\xbf")

// assumeJSON lets control calls made with a bare `curl -d '{...}'` through: the control API
// is the mock's own and only speaks JSON, so a missing or form content type means JSON.
func assumeJSON(r *http.Request) {
	ct := r.Header.Get("Content-Type")
	if r.ContentLength != 0 && (ct == "" || strings.HasPrefix(ct, "application/x-www-form-urlencoded")) {
		r.Header.Set("Content-Type", "application/json")
	}
}

// injectFault applies armed request faults; it reports whether the request was answered.
func (s *Server) injectFault(w http.ResponseWriter, r *http.Request, api, op, partner string) bool {
	orderID := r.PathValue("orderId")
	if f, ok := s.faults.Match(api, op, partner, orderID, faults.Latency); ok {
		select {
		case <-time.After(time.Duration(f.LatencyMS) * time.Millisecond):
		case <-r.Context().Done():
			return true
		}
	}
	f, ok := s.faults.Match(api, op, partner, orderID, faults.Status, faults.Drop)
	if !ok {
		return false
	}
	if f.Kind == faults.Drop {
		if ex := exchangeOf(r); ex != nil {
			ex.dropped = true
		}
		if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
			_ = conn.Close()
			return true
		}
		panic(http.ErrAbortHandler) // cannot hijack (HTTP/2): abort the stream instead
	}
	if f.Status == http.StatusTooManyRequests {
		w.Header().Set("Retry-After", "1") // the spec declares it and clients honour it (api-facts A9); 1 s is the mock's choice
	}
	s.fail(w, r, f.Status, fmt.Sprintf("injected fault %s: %s answers %d", f.ID, op, f.Status))
	return true
}

func (s *Server) renderBadRequest(w http.ResponseWriter, r *http.Request, reason, in, field string) {
	noteRefusal(r, reason)
	s.apis.ForPath(r.URL.Path).Refuse(w, reason, in, field)
}

// badRequest renders errors of the generated parameter binding and body decoding.
func (s *Server) badRequest(w http.ResponseWriter, r *http.Request, err error) {
	reason := err.Error()
	if len(reason) > 0 {
		reason = strings.ToLower(reason[:1]) + reason[1:]
	}
	if strings.Contains(reason, "X-Cr-Application") {
		reason += " (your partner ID, from the account page of your Cryptorefills account)"
	}
	s.renderBadRequest(w, r, reason, "", "")
}

func (s *Server) internalError(w http.ResponseWriter, r *http.Request, err error) {
	s.log.Error("handler failed", "path", r.URL.Path, "err", err)
	s.fail(w, r, http.StatusInternalServerError, "the mock failed to answer: "+err.Error())
}

func (s *Server) notFound(w http.ResponseWriter, r *http.Request) {
	s.fail(w, r, http.StatusNotFound, fmt.Sprintf("no operation %s %s in this API", r.Method, r.URL.Path))
}

// recoverer is the last resort: a panic answers 500 in the API's shape and is logged.
func (s *Server) recoverer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.log.Error("panic", "path", r.URL.Path, "panic", fmt.Sprint(v))
				s.fail(w, r, http.StatusInternalServerError, "internal error in the mock; please report it")
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// limits caps request bodies in size and in time. A body announced larger than the cap is
// refused before it is read, so `Expect: 100-continue` gets 413 and never 100 Continue.
func (s *Server) limits(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > s.cfg.Limits.MaxBodyBytes {
			w.Header().Set("Connection", "close")
			s.fail(w, r, http.StatusRequestEntityTooLarge, fmt.Sprintf("request body is larger than %d bytes", s.cfg.Limits.MaxBodyBytes))
			return
		}
		if r.Body != nil && r.Body != http.NoBody {
			// A trickling body is cut off: the read deadline covers the body only (headers
			// have their own timeout, and a stream's answer is written, not read).
			_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(time.Duration(s.cfg.Limits.ReadBodyTimeout)))
			r.Body = http.MaxBytesReader(w, r.Body, s.cfg.Limits.MaxBodyBytes)
		}
		next.ServeHTTP(w, r)
	})
}

// hosts refuses, on every route, a Host the mock does not answer to, so a DNS-rebinding page
// reaches nothing (guard.Policy.HostAllowed).
func (s *Server) hosts(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !s.policy.HostAllowed(r) {
			host := r.Host
			if len(host) > 100 {
				host = host[:100] + "…"
			}
			s.fail(w, r, http.StatusBadRequest, fmt.Sprintf(
				"this mock does not answer to host %q: use 127.0.0.1 or localhost, set public_url, or add the name to allowed_hosts", host))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// browsers keeps web pages and the mock's own webhooks away from the control API: a control
// call from a foreign browser origin, or carrying the webhook delivery header, is refused
// (403, no CORS), preflights included.
func (s *Server) browsers(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a := upstream.From(r.Context()).API
		if !a.Control || (a.Pages && r.Method == http.MethodGet && r.Header.Get("Sec-Fetch-Mode") == "navigate") {
			next.ServeHTTP(w, r)
			return
		}
		if r.Header.Get(webhook.DeliveryHeader) != "" {
			s.fail(w, r, http.StatusForbidden, "a webhook delivery of this mock cannot use its control API")
			return
		}
		if ok, reason := s.policy.BrowserAllowed(r); !ok {
			s.fail(w, r, http.StatusForbidden, reason)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// cors lets browser apps on other origins call the upstream APIs; the control API reaches it
// only from origins browsers() allowed.
func (s *Server) cors(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origin := firstOf(r.Header["Origin"]) // the name is canonical
		if origin == "" {
			next.ServeHTTP(w, r)
			return
		}
		h := w.Header()
		h.Set("Access-Control-Allow-Origin", origin)
		h.Add("Vary", "Origin")
		h.Set("Access-Control-Expose-Headers", "grpc-code, grpc-message, Retry-After")
		if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
			h.Set("Access-Control-Allow-Methods", "GET, POST, DELETE, OPTIONS")
			if req := r.Header.Get("Access-Control-Request-Headers"); req != "" {
				h.Set("Access-Control-Allow-Headers", req)
			}
			h.Set("Access-Control-Max-Age", "600")
			w.WriteHeader(http.StatusNoContent)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// controlToken guards the control API where the token is required (guard.Policy.TokenRequired:
// every listener beyond loopback, every listener when configured). Health stays open for probes.
func (s *Server) controlToken(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Pages without data (the dashboard's) ask for the token themselves.
		a := upstream.From(r.Context()).API
		if a.Control && !a.Pages && r.URL.Path != "/__mock/health" && s.policy.TokenRequired(r) {
			if !s.policy.TokenValid(r) {
				s.fail(w, r, http.StatusUnauthorized, "the control API needs Authorization: Bearer <token> (control.token or CRYPTOMOCK_CONTROL_TOKEN)")
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}
