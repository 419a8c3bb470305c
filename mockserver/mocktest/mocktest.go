// Package mocktest starts a mock for a test: on a free loopback port, with the test's changes
// to the default configuration, shut down (and the shutdown checked) when the test ends.
package mocktest

import (
	"testing"

	"github.com/cryptomock/cryptomock/mockserver"
)

// Start starts a mock on 127.0.0.1 with Defaults changed by mutate.
func Start(t testing.TB, mutate ...func(*mockserver.Config)) *mockserver.Server {
	t.Helper()
	cfg := mockserver.Defaults()
	cfg.Addr = "127.0.0.1:0"
	for _, m := range mutate {
		m(&cfg)
	}
	srv, stop, err := mockserver.Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := stop(); err != nil {
			t.Errorf("shutdown: %v", err)
		}
	})
	return srv
}
