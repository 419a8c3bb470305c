package guard

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestHostRule(t *testing.T) {
	plain := Policy{AllowedHosts: []string{"mock"}, PublicURL: func() string { return "https://mock.team.example:8443" }}
	local := &net.TCPAddr{IP: net.ParseIP("10.1.2.3"), Port: 8080}
	for _, p := range []Policy{plain, plain.Remembering()} {
		for range 2 { // the second time, with every admitted name remembered
			for host, want := range map[string]bool{
				"localhost:8080": true, "127.0.0.1": true, "[::1]:8080": true, "app.localhost": true, "LOCALHOST.": true,
				"mock:8080": true, "mock.team.example": true, "10.1.2.3:8080": true, "": true,
				"evil.example": false, "localhost.evil.example": false, "10.1.2.4:8080": false, "mock.evil": false, "127.0.0.1.nip.io": false,
			} {
				if got := p.HostAllowed(hostRequest(host, local)); got != want {
					t.Errorf("Host %q (remembering %v): allowed=%v, want %v", host, p.admitted != nil, got, want)
				}
			}
		}
	}
}

// TestRememberedHostsAreNameOnly: the memory of admitted hosts keeps only what the name
// alone admits. A Host admitted because it is the address the connection arrived on is judged
// again on the next connection, which may have arrived elsewhere.
func TestRememberedHostsAreNameOnly(t *testing.T) {
	p := Policy{}.Remembering()
	if !p.HostAllowed(hostRequest("10.1.2.3:8080", &net.TCPAddr{IP: net.ParseIP("10.1.2.3"), Port: 8080})) {
		t.Fatal("the connection's own address was refused")
	}
	if p.HostAllowed(hostRequest("10.1.2.3:8080", &net.TCPAddr{IP: net.ParseIP("127.0.0.1"), Port: 8080})) {
		t.Fatal("a Host admitted for one connection's address was admitted on another")
	}
	if !p.HostAllowed(hostRequest("localhost:8080", nil)) || *p.admitted.host.Load() != "localhost:8080" {
		t.Fatal("a loopback name was not remembered")
	}
	if p.HostAllowed(hostRequest("evil.example", nil)) {
		t.Fatal("a foreign name passed after a remembered one")
	}
}

func hostRequest(host string, local net.Addr) *http.Request {
	r := httptest.NewRequest("GET", "/v3/payment_vias", nil)
	r.Host = host
	if local != nil {
		r = r.WithContext(context.WithValue(r.Context(), http.LocalAddrContextKey, local))
	}
	return r
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
