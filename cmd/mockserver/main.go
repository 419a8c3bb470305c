// Command mockserver runs the Cryptorefills and Payscrypt mock upstream on embedded defaults.
//
//	go run ./cmd/mockserver                 # 127.0.0.1:8080
//	go run ./cmd/mockserver -addr :9000 -config mock.yaml -seed 7
//
// Environment: CRYPTOMOCK_ADDR, CRYPTOMOCK_CONFIG, CRYPTOMOCK_CONTROL_TOKEN,
// CRYPTOMOCK_CONTROL_TOKEN_FILE, CRYPTOMOCK_ALLOWED_HOSTS (comma-separated; flags win).
// Exit codes: 0 after a clean shutdown, 1 when serving fails, 2 for a bad flag or config.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/cryptomock/cryptomock/cmd/mockserver/internal/logbuf"
	"github.com/cryptomock/cryptomock/mockserver"
)

func main() {
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	os.Exit(run(os.Args[1:], os.Getenv, os.Stdout, os.Stderr, sig))
}

func run(args []string, getenv func(string) string, stdout, stderr io.Writer, stop <-chan os.Signal) int {
	fs := flag.NewFlagSet("mockserver", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", getenv("CRYPTOMOCK_ADDR"), "listen address `host:port` (default 127.0.0.1:8080; env CRYPTOMOCK_ADDR)")
	configPath := fs.String("config", getenv("CRYPTOMOCK_CONFIG"), "YAML configuration `file` (env CRYPTOMOCK_CONFIG; README \"Configuration\")")
	seed := fs.Int64("seed", 0, "seed of the fake catalogue (default 1, or the config's)")
	publicURL := fs.String("public-url", "", "base `URL` clients use to reach the mock, when not http://<addr>")
	stateFile := fs.String("state-file", "", "keep orders, merchants, invoices, pending webhooks and clocks in this `file` across restarts")
	allowedHosts := fs.String("allowed-hosts", getenv("CRYPTOMOCK_ALLOWED_HOSTS"), "comma-separated host `names` the mock answers to besides loopback and public_url (env CRYPTOMOCK_ALLOWED_HOSTS)")
	logLevel := fs.String("log-level", "info", "debug, info (a line per request), warn or error")
	logFormat := fs.String("log-format", "text", "text, or json for log collectors")
	probe := fs.String("probe", "", "check `URL` answers 200 and exit 0 (else 1): a health check for images without curl")
	version := fs.Bool("version", false, "print the version and exit")
	fs.Usage = func() { usage(fs) }
	for _, a := range args {
		if a == "-h" || a == "-help" || a == "--help" {
			fs.SetOutput(stdout)
			usage(fs)
			return 0
		}
	}
	if len(args) == 1 && args[0] == "version" {
		*version = true
	} else if err := fs.Parse(args); err != nil {
		return 2
	}
	if *version {
		fmt.Fprintf(stdout, "cryptomock %s\n", mockserver.Version)
		return 0
	}
	if *probe != "" {
		return probeURL(*probe, stderr)
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "mockserver: unexpected argument %q (flags only; see -h)\n", fs.Arg(0))
		return 2
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		fmt.Fprintf(stderr, "mockserver: -log-level %q: use debug, info, warn or error\n", *logLevel)
		return 2
	}
	newHandler, ok := map[string]func(io.Writer, *slog.HandlerOptions) slog.Handler{
		"text": func(w io.Writer, o *slog.HandlerOptions) slog.Handler { return slog.NewTextHandler(w, o) },
		"json": func(w io.Writer, o *slog.HandlerOptions) slog.Handler { return slog.NewJSONHandler(w, o) },
	}[*logFormat]
	if !ok {
		fmt.Fprintf(stderr, "mockserver: -log-format %q: use text or json\n", *logFormat)
		return 2
	}

	cfg := mockserver.Defaults()
	if *configPath != "" {
		var err error
		if cfg, err = mockserver.LoadFile(*configPath); err != nil {
			fmt.Fprintf(stderr, "mockserver: config %s: %v\n", *configPath, err)
			return 2
		}
	}
	if *addr != "" {
		cfg.Addr = *addr
	}
	if *seed != 0 {
		cfg.Seed = *seed
	}
	if *publicURL != "" {
		cfg.PublicURL = *publicURL
	}
	if *stateFile != "" {
		cfg.StateFile = *stateFile
	}
	if t := getenv("CRYPTOMOCK_CONTROL_TOKEN"); t != "" {
		cfg.Control.Token = t
	}
	if f := getenv("CRYPTOMOCK_CONTROL_TOKEN_FILE"); f != "" {
		cfg.Control.TokenFile = f
	}
	for _, h := range strings.Split(*allowedHosts, ",") {
		if h = strings.TrimSpace(h); h != "" {
			cfg.AllowedHosts = append(cfg.AllowedHosts, h)
		}
	}
	if err := cfg.Validate(); err != nil { // flags and environment as strictly as the file
		fmt.Fprintf(stderr, "mockserver: %v\n", err)
		return 2
	}

	mockserver.TuneRuntime(getenv) // memory limit and collector target, unless GOMEMLIMIT, GOGC say otherwise
	// Log lines are batched (64 KiB, at most 50 ms late) and flushed before anything else is
	// written to stderr and at exit.
	logs := logbuf.New(stderr, 64<<10, 50*time.Millisecond)
	defer logs.Flush()
	stderr = flushFirst{stderr, logs}
	log := slog.New(newHandler(logs, &slog.HandlerOptions{Level: level}))
	srv, err := mockserver.New(cfg, mockserver.WithLogger(log))
	if err != nil {
		fmt.Fprintf(stderr, "mockserver: %v\n", err)
		if errors.Is(err, mockserver.ErrConfig) {
			return 2
		}
		return 1
	}
	if err := srv.Open(); err != nil {
		fmt.Fprintf(stderr, "mockserver: %v\n", err)
		if errors.Is(err, mockserver.ErrConfig) {
			return 2
		}
		return 1
	}
	banner(stdout, srv)

	<-stop
	fmt.Fprintln(stdout, "shutting down: finishing requests, ending event streams")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		fmt.Fprintf(stderr, "mockserver: shutdown: %v\n", err)
		return 1
	}
	return 0
}

// flushFirst writes to stderr after the batched log lines, so messages keep their order.
type flushFirst struct {
	io.Writer
	logs *logbuf.Writer
}

func (f flushFirst) Write(p []byte) (int, error) {
	f.logs.Flush()
	return f.Writer.Write(p)
}

func banner(w io.Writer, srv *mockserver.Server) {
	u, ps := srv.URL(), srv.PayscryptURL()
	fmt.Fprintf(w, "cryptomock %s listening on %s\n", mockserver.Version, u)
	fmt.Fprintf(w, "  Cryptorefills API  %s  (/v3/payment_vias, /v2/brands, /v5/orders ...; headers X-Cr-Application, X-Cr-Version)\n", u)
	fmt.Fprintf(w, "  Payscrypt API      %s  (/apis/pg/create_order, /apis/pg/get_public_order)\n", ps)
	fmt.Fprintf(w, "  payment page       %s/pay/{id}  (the redirect_url of every invoice)\n", ps)
	if m, ok := srv.DefaultMerchant(); ok {
		fmt.Fprintf(w, "  default merchant   pg_wallet_id %d, apikey %s\n", m.WalletID, m.APIKey)
	}
	fmt.Fprintf(w, "  control API        %s/__mock/  (index of the calls; specs at /__mock/openapi/{cryptorefills,payscrypt,mockadmin}.yaml)\n", u)
	switch t := srv.ControlToken(); {
	case t == "":
		fmt.Fprintf(w, "  control API token  none needed: every listener is loopback, and browsers from other origins are refused\n")
	case srv.TokenGenerated():
		fmt.Fprintf(w, "  control API token  required beyond loopback (generated): Authorization: Bearer %s\n", t)
	default:
		fmt.Fprintf(w, "  control API token  required on every listener (the one you set, ending %s): Authorization: Bearer <token>\n", mockserver.MaskSecret(t))
	}
	fmt.Fprintf(w, "  try                curl -s %s/v3/payment_vias -H 'X-Cr-Application: me' -H 'X-Cr-Version: 1.0'\n", u)
	fmt.Fprintln(w, "Ctrl-C stops it.")
}

// usage is -h: what the command does, its flags, its environment, where to read more.
func usage(fs *flag.FlagSet) {
	w := fs.Output()
	fmt.Fprintf(w, `cryptomock %s: a mock of the Cryptorefills and Payscrypt APIs, with a control API.

Usage: mockserver [flags]        (mockserver -version, mockserver version)

Flags:
`, mockserver.Version)
	fs.PrintDefaults()
	fmt.Fprint(w, `
Environment (flags win):
  CRYPTOMOCK_ADDR                 listen address
  CRYPTOMOCK_CONFIG               YAML configuration file
  CRYPTOMOCK_CONTROL_TOKEN        the control API's token (required on every listener when set)
  CRYPTOMOCK_CONTROL_TOKEN_FILE   write the token in force to this file (mode 0600)
  CRYPTOMOCK_ALLOWED_HOSTS        comma-separated host names to answer to
  GOMEMLIMIT                      the Go runtime's soft memory limit (default here 160MiB)

Exit codes: 0 after a clean shutdown, 1 when serving fails, 2 for a bad flag, setting or address.
More: README.md (set-up, the control API, configuration, the security model).
`)
}

func probeURL(url string, stderr io.Writer) int {
	client := &http.Client{Timeout: 2 * time.Second}
	resp, err := client.Get(url)
	if err != nil {
		fmt.Fprintf(stderr, "mockserver: probe %s: %v\n", url, err)
		return 1
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		fmt.Fprintf(stderr, "mockserver: probe %s: status %d\n", url, resp.StatusCode)
		return 1
	}
	return 0
}
