package target

import (
	"context"
	"time"

	"github.com/cryptomock/cryptomock/mockserver"
)

// StartInproc starts the mock inside the test process (the only place the suite imports the
// mock) on a loopback port, with short stream heartbeats so stalled streams show quickly.
func StartInproc() (url string, stop func(), err error) {
	cfg := mockserver.Defaults()
	cfg.Addr = "127.0.0.1:0"
	cfg.Cryptorefills.Stream.Heartbeat = mockserver.Duration(500 * time.Millisecond)
	srv, err := mockserver.New(cfg)
	if err != nil {
		return "", nil, err
	}
	if err := srv.Open(); err != nil {
		return "", nil, err
	}
	return srv.URL(), func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	}, nil
}
