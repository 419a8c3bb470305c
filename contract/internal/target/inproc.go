package target

import (
	"time"

	"github.com/cryptomock/cryptomock/mockserver"
)

// StartInproc starts the mock inside the test process (the only place the suite imports the
// mock) on a loopback port, with short stream heartbeats so stalled streams show quickly.
func StartInproc() (url string, stop func(), err error) {
	cfg := mockserver.Defaults()
	cfg.Addr = "127.0.0.1:0"
	cfg.Cryptorefills.Stream.Heartbeat = mockserver.Duration(500 * time.Millisecond)
	srv, stopSrv, err := mockserver.Start(cfg)
	if err != nil {
		return "", nil, err
	}
	return srv.URL(), func() { _ = stopSrv() }, nil
}
