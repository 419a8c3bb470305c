package guard

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestHostRule(t *testing.T) {
	p := Policy{AllowedHosts: []string{"mock"}, PublicURL: func() string { return "https://mock.team.example:8443" }}
	local := &net.TCPAddr{IP: net.ParseIP("10.1.2.3"), Port: 8080}
	for host, want := range map[string]bool{
		"localhost:8080": true, "127.0.0.1": true, "[::1]:8080": true, "app.localhost": true, "LOCALHOST.": true,
		"mock:8080": true, "mock.team.example": true, "10.1.2.3:8080": true, "": true,
		"evil.example": false, "localhost.evil.example": false, "10.1.2.4:8080": false, "mock.evil": false, "127.0.0.1.nip.io": false,
	} {
		r := httptest.NewRequest("GET", "/v3/payment_vias", nil)
		r.Host = host
		r = r.WithContext(context.WithValue(r.Context(), http.LocalAddrContextKey, net.Addr(local)))
		if got := p.HostAllowed(r); got != want {
			t.Errorf("Host %q: allowed=%v, want %v", host, got, want)
		}
	}
}

func TestOriginRule(t *testing.T) {
	p := Policy{AllowedOrigins: []string{"https://dev.example:8443/"}, PublicURL: func() string { return "https://mock.team.example" }}
	for origin, want := range map[string]bool{
		"http://localhost:3000": true, "http://127.0.0.1:5173": true, "http://[::1]": true, "https://dev.example:8443": true,
		"https://mock.team.example": true, "http://mock:8080": true, // the request's own host
		"null": false, "http://evil.example": false, "https://dev.example": false, "file://": false,
		"chrome-extension://abc": false, "http://localhost.evil.example": false, "http://user@localhost": false,
	} {
		if got := p.OriginAllowed(origin, "mock:8080"); got != want {
			t.Errorf("Origin %q: allowed=%v, want %v", origin, got, want)
		}
	}
}

func TestTokenRule(t *testing.T) {
	tok := func() string { return "t0k3n-value" }
	onListener := func(loop bool) context.Context { return context.WithValue(context.Background(), listenerKey{}, loop) }
	r := httptest.NewRequest("GET", "/__mock/journal", nil)
	generated := Policy{Token: tok}
	if generated.TokenRequired(r.WithContext(onListener(true))) || !generated.TokenRequired(r.WithContext(onListener(false))) {
		t.Error("a generated token is required beyond loopback only")
	}
	configured := Policy{Token: tok, Configured: true}
	if !configured.TokenRequired(r.WithContext(onListener(true))) {
		t.Error("a configured token is required on loopback too")
	}
	if (Policy{Token: func() string { return "" }}).TokenRequired(r.WithContext(onListener(false))) {
		t.Error("no token, nothing required")
	}
	r.Header.Set("Authorization", "Bearer t0k3n-value")
	if !configured.TokenValid(r) {
		t.Error("the right token refused")
	}
	r.Header.Set("Authorization", "t0k3n-value")
	if configured.TokenValid(r) {
		t.Error("a token without the Bearer scheme accepted")
	}
}
