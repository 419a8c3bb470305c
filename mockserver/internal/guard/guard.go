// Package guard decides who may reach the mock at all, and who may reach its control API. It
// owns three rules, each a pure function of the request and the configuration:
//
//   - Host: every route refuses a Host header that is not a loopback name or address, the
//     address the connection arrived on, the host of public_url, or one of allowed_hosts, so
//     a DNS-rebinding page (evil.example resolving to 127.0.0.1) reaches nothing.
//   - Browser: a control call that carries browser markers (Origin, Sec-Fetch-Site) is refused
//     unless it comes from the mock's own origin, a loopback origin or one of
//     control.allowed_origins. Calls without such markers (curl, scripts, test suites) pass:
//     only browsers send them, and browsers are the way a foreign page reaches loopback.
//   - Token: the control token is required on a listener that is not loopback, and on every
//     listener when the user configured one.
//
// The package knows nothing of HTTP routing or error shapes: the middleware that calls it
// answers in the API's own shape.
package guard

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"sync/atomic"
)

// Policy is the configuration the rules read.
type Policy struct {
	AllowedHosts   []string // host names (no port), compared case-insensitively
	AllowedOrigins []string // scheme://host[:port]
	// PublicURL is how clients reach the mock when it is not http://<addr> ("" when unset).
	PublicURL func() string
	// Token is the control token in force ("" when none); Configured tells whether the user
	// set it (then it is required on every listener) or it was generated for a listener that
	// is not loopback (then only that listener requires it).
	Token      func() string
	Configured bool

	admitted *lastHost // see Remembering
}

// lastHost is the last Host header the rules that read nothing but the name (loopback,
// allowed_hosts) admitted.
type lastHost struct{ host atomic.Pointer[string] }

// Remembering returns the policy with a memory of the last Host the name-only rules admitted,
// so that a client sending the same Host on every request has it judged once. Those rules
// are pure functions of the name and the configuration, which a Policy never changes.
func (p Policy) Remembering() Policy {
	p.admitted = new(lastHost)
	return p
}

type listenerKey struct{}

// WithListener marks the contexts of a listener's connections with whether it is loopback;
// use it as http.Server.BaseContext.
func WithListener(ln net.Listener) func(net.Listener) context.Context {
	loop := IsLoopbackAddr(ln.Addr())
	return func(net.Listener) context.Context {
		return context.WithValue(context.Background(), listenerKey{}, loop)
	}
}

// IsLoopbackAddr reports whether a listener address is a loopback one.
func IsLoopbackAddr(a net.Addr) bool {
	tcp, ok := a.(*net.TCPAddr)
	return ok && tcp.IP.IsLoopback()
}

// onLoopbackListener tells whether r arrived on a loopback listener. A request served by a
// server that did not mark its listener (a test's own httptest server) is judged by the
// address its connection arrived at.
func onLoopbackListener(r *http.Request) bool {
	if loop, ok := r.Context().Value(listenerKey{}).(bool); ok {
		return loop
	}
	if a, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr); ok {
		return IsLoopbackAddr(a)
	}
	return false
}

// IsLoopbackHost reports whether a host name (no port) names this machine: localhost, a name
// under .localhost (RFC 6761), or a loopback IP.
func IsLoopbackHost(host string) bool {
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	host = strings.Trim(host, "[]")
	if host == "" || !strings.Contains(host, ":") && (host[0] < '0' || host[0] > '9') {
		return false // a name, not an IP literal (spares ParseAddr's error)
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.IsLoopback()
}

func hostname(hostport string) string {
	if !strings.Contains(hostport, ":") {
		return hostport // no port (spares SplitHostPort's error)
	}
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		return strings.Trim(h, "[]")
	}
	return strings.Trim(hostport, "[]")
}

// nameAdmitted applies the parts of the Host rule that read nothing but the name (lower case,
// no port).
func (p Policy) nameAdmitted(host string) bool {
	if IsLoopbackHost(host) {
		return true
	}
	for _, h := range p.AllowedHosts { // before the rules that parse
		if strings.EqualFold(strings.TrimSpace(h), host) {
			return true
		}
	}
	return false
}

// HostAllowed applies the Host rule.
func (p Policy) HostAllowed(r *http.Request) bool {
	if r.Host == "" { // HTTP/1.0 without Host: no name to rebind
		return true
	}
	if p.admitted != nil {
		if last := p.admitted.host.Load(); last != nil && *last == r.Host {
			return true
		}
	}
	host := strings.ToLower(hostname(r.Host))
	if p.nameAdmitted(host) {
		if p.admitted != nil {
			h := strings.Clone(r.Host) // not a pointer into the request
			p.admitted.host.Store(&h)
		}
		return true
	}
	if a, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr); ok {
		if tcp, ok := a.(*net.TCPAddr); ok {
			if ip := net.ParseIP(host); ip != nil && ip.Equal(tcp.IP) {
				return true
			}
		}
	}
	if p.PublicURL != nil {
		if u, err := url.Parse(p.PublicURL()); err == nil && u.Host != "" && strings.EqualFold(u.Hostname(), host) {
			return true
		}
	}
	return false
}

// BrowserAllowed applies the browser rule to a control call; the reason says why it was
// refused.
func (p Policy) BrowserAllowed(r *http.Request) (bool, string) {
	origin := r.Header.Get("Origin")
	if origin == "" {
		if r.Header.Get("Sec-Fetch-Site") == "cross-site" {
			return false, "a cross-site browser request cannot use the control API"
		}
		return true, ""
	}
	if p.OriginAllowed(origin, r.Host) {
		return true, ""
	}
	return false, "the control API does not accept browser requests from origin " + quoteOrigin(origin) +
		"; only the mock's own origin, loopback origins and control.allowed_origins may use it"
}

func quoteOrigin(o string) string {
	if len(o) > 200 {
		o = o[:200] + "…"
	}
	return `"` + o + `"`
}

// OriginAllowed tells whether a browser origin may use the control API of a mock reached at
// host (the request's Host, already checked by HostAllowed).
func (p Policy) OriginAllowed(origin, host string) bool {
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") || u.Path != "" || u.User != nil {
		return false // "null", file:, chrome-extension:, garbage
	}
	if IsLoopbackHost(u.Hostname()) || (host != "" && strings.EqualFold(u.Host, host)) {
		return true
	}
	if p.PublicURL != nil {
		if pu, err := url.Parse(p.PublicURL()); err == nil && pu.Host != "" && strings.EqualFold(pu.Scheme+"://"+pu.Host, origin) {
			return true
		}
	}
	for _, o := range p.AllowedOrigins {
		if strings.EqualFold(strings.TrimSuffix(strings.TrimSpace(o), "/"), origin) {
			return true
		}
	}
	return false
}

// TokenRequired tells whether a control call on r must carry the token.
func (p Policy) TokenRequired(r *http.Request) bool {
	if p.Token == nil || p.Token() == "" {
		return false
	}
	return p.Configured || !onLoopbackListener(r)
}

// TokenValid tells whether r carries the control token as a bearer credential.
func (p Policy) TokenValid(r *http.Request) bool {
	got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	return ok && subtle.ConstantTimeCompare([]byte(got), []byte(p.Token())) == 1
}

// SecureHTML sets the headers every HTML page of the mock carries and returns the nonce its
// inline <script> and <style> elements must bear: no sniffing, no framing, nothing loaded
// from anywhere but the mock itself (images may be data: URLs), no forms posted elsewhere.
func SecureHTML(w http.ResponseWriter) string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	nonce := hex.EncodeToString(b)
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Security-Policy", "default-src 'none'; script-src 'nonce-"+nonce+"'; style-src 'nonce-"+nonce+
		"'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
	return nonce
}
