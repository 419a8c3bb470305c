// Package mockserver is the composition root of the mock upstream: it builds the catalogue,
// clock, broker, order engine and handlers from a Config, mounts both upstream APIs and the
// control API on one HTTP server, and owns its start and graceful stop.
//
//	s, err := mockserver.New(mockserver.Defaults())
//	err = s.Open()        // listens at once: a busy port fails here
//	fmt.Println(s.URL())  // with Addr "127.0.0.1:0" in tests
//	defer s.Shutdown(ctx) // ends streams, finishes requests
package mockserver

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/cryptomock/cryptomock/mockserver/internal/admin"
	"github.com/cryptomock/cryptomock/mockserver/internal/catalog"
	"github.com/cryptomock/cryptomock/mockserver/internal/clock"
	"github.com/cryptomock/cryptomock/mockserver/internal/cryptorefills"
	"github.com/cryptomock/cryptomock/mockserver/internal/dashboard"
	"github.com/cryptomock/cryptomock/mockserver/internal/events"
	"github.com/cryptomock/cryptomock/mockserver/internal/faults"
	"github.com/cryptomock/cryptomock/mockserver/internal/feed"
	"github.com/cryptomock/cryptomock/mockserver/internal/guard"
	"github.com/cryptomock/cryptomock/mockserver/internal/invoices"
	"github.com/cryptomock/cryptomock/mockserver/internal/journal"
	"github.com/cryptomock/cryptomock/mockserver/internal/lifecycle"
	"github.com/cryptomock/cryptomock/mockserver/internal/money"
	"github.com/cryptomock/cryptomock/mockserver/internal/payscrypt"
	"github.com/cryptomock/cryptomock/mockserver/internal/specvalidate"
	"github.com/cryptomock/cryptomock/mockserver/internal/tenant"
	"github.com/cryptomock/cryptomock/mockserver/internal/upstream"
	"github.com/cryptomock/cryptomock/mockserver/internal/webhook"
	"github.com/cryptomock/cryptomock/openapi"
)

// Version of the mock.
const Version = "0.1.0"

// Server is the mock upstream.
type Server struct {
	cfg     Config
	log     *slog.Logger
	clock   *clock.Clock
	broker  *events.Broker
	faults  *faults.Registry
	journal *journal.Journal
	feed    *feed.Feed    // the dashboard's stream of changes
	calls   []controlCall // the control API's index
	cr      *cryptorefills.Handlers
	book    *invoices.Book
	ps      *payscrypt.Handlers
	hooks   *webhook.Dispatcher
	handler http.Handler
	policy  guard.Policy
	apis    *upstream.Registry

	mu        sync.Mutex
	ln        net.Listener
	srv       *http.Server
	extra     *http.Server // payscrypt.addr
	psURL     string
	publicURL string
	stopSave  context.CancelFunc
	saved     chan struct{}
	token     string
	generated bool // the token was generated for a listener beyond loopback
	served    chan struct{}
}

// Option adjusts a server being built.
type Option func(*Server)

// WithLogger sets the structured logger (default: discard).
func WithLogger(l *slog.Logger) Option { return func(s *Server) { s.log = l } }

// New builds a server from cfg. Nothing listens until Open.
func New(cfg Config, opts ...Option) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, log: slog.New(slog.DiscardHandler), clock: clock.New(), faults: faults.New(),
		journal: journal.New(cfg.Journal.Capacity, cfg.Journal.MaxBytes), feed: feed.New(), token: cfg.Control.Token}
	s.policy = guard.Policy{AllowedHosts: cfg.AllowedHosts, AllowedOrigins: cfg.Control.AllowedOrigins,
		PublicURL: s.URL, Token: s.ControlToken, Configured: cfg.Control.Token != ""}.Remembering()
	for _, o := range opts {
		o(s)
	}
	// Each spec is parsed once (~18 ms for Cryptorefills'): the country list is read from it
	// here, and the validator built in the mount loop takes it over.
	docs := map[string]*openapi3.T{}
	crDoc, err := openapi.Load(openapi.Cryptorefills)
	if err != nil {
		return nil, err
	}
	docs[openapi.Cryptorefills] = crDoc
	countries, err := openapi.Countries(crDoc)
	if err != nil {
		return nil, err
	}
	cc := cfg.Cryptorefills
	cat, err := catalog.New(catalog.Options{
		Seed: cfg.Seed, Countries: toCatalogCountries(countries), SpreadPercent: cc.SpreadPercent,
		CoinRates: cc.CoinRates, FX: cc.FX,
		Suspensions: catalog.Suspensions{Coins: cc.SuspendedCoins, Networks: cc.SuspendedNetworks},
	})
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrConfig, err)
	}
	pc := cfg.Payscrypt
	var schedule []time.Duration
	for _, d := range pc.Webhooks.Schedule {
		schedule = append(schedule, time.Duration(d))
	}
	s.hooks = webhook.New(s.clock, webhook.Config{Schedule: schedule, Timeout: time.Duration(pc.Webhooks.Timeout),
		LogCapacity: pc.Webhooks.LogCapacity, PerURLInFlight: pc.Webhooks.PerURLInFlight, OnAttempt: s.logAttempt})
	s.broker = events.New(cc.Stream.Replay, 16)
	s.cr = cryptorefills.New(cryptorefills.Deps{
		Catalog: cat, Clock: s.clock, Broker: s.broker, Faults: s.faults, PublicURL: s.URL,
		Rules: cryptorefills.Rules{MaxProducts: cc.Rules.MaxProducts, MaxOrderUSD: money.MustParse(cc.Rules.MaxOrderUSD),
			DailyLimitUSD: money.MustParse(cc.Rules.DailyLimitUSD), MonthlyLimitUSD: money.MustParse(cc.Rules.MonthlyLimitUSD)},
		Lifecycle: lifecycle.Config{Mode: cc.Lifecycle.Mode, PaymentWindow: time.Duration(cc.Lifecycle.PaymentWindow),
			ProcessingDelay: time.Duration(cc.Lifecycle.ProcessingDelay), DeliveryDelay: time.Duration(cc.Lifecycle.DeliveryDelay),
			AutoPayAfter: time.Duration(cc.Lifecycle.AutoPayAfter), MaxOrders: cc.Lifecycle.MaxOrders,
			MaxTotal: cfg.Limits.MaxOrders},
		Stream: cryptorefills.StreamConfig{Heartbeat: time.Duration(cc.Stream.Heartbeat), Retry: time.Duration(cc.Stream.Retry),
			MaxPerPartner: cc.Stream.MaxPerPartner},
		Variants: cryptorefills.Variants{Epoch: cc.Variants.Epoch, RangeBounds: cc.Variants.RangeBounds}, Seed: cfg.Seed,
		OrderWebhooks: cc.OrderWebhooks, Webhooks: s.hooks,
		Changed: func(o lifecycle.Order) {
			if s.feed.Listening() { // the one check on the engine's path when no dashboard is open
				s.feed.Publish(feed.Change{Kind: "order", ID: o.ID, Tenant: tenant.Partner(o.Partner), State: o.State})
			}
		},
	})
	s.book = invoices.New(s.clock, time.Duration(pc.InvoiceWindow), cfg.Limits.MaxInvoices, invoices.Hooks{
		Changed: func(o invoices.Order, urls []string) {
			s.ps.Changed(o, urls)
			if s.feed.Listening() {
				s.feed.Publish(feed.Change{Kind: "invoice", ID: strconv.FormatInt(o.ID, 10), Tenant: tenant.Merchant(o.WalletID), State: o.Status})
			}
		}})
	s.ps = payscrypt.New(s.book, s.hooks, pc.OmitDefaults, s.PayscryptURL)
	if err := s.addMerchants(); err != nil {
		return nil, err
	}
	if cfg.StateFile != "" {
		if err := s.loadState(cfg.StateFile); err != nil {
			return nil, err
		}
	}
	adminHandlers := admin.New(admin.Deps{Version: Version, Clock: s.clock, Orders: s.cr.Engine(), Faults: s.faults,
		Journal: s.journal, Reset: s.Reset, Invoices: s.book, Webhooks: s.hooks, Replay: s.ps.Replay,
		OrderWebhooks: s.cr.AddOrderWebhook, Feed: s.feed, Frames: s.broker.Recent, RenderOrder: s.cr.Render})

	dash := dashboard.New(dashboard.Deps{Version: Version, Index: s.writeIndex})
	s.apis = upstream.New(adminHandlers.API(), s.ps.API(s.policy.TokenRequired), s.ps.GRPCAPI(), s.cr.API(cfg.Cryptorefills.LenientHeaders), dash.API())
	mux := http.NewServeMux()
	for _, a := range s.apis.All() {
		if a.Spec == "" { // no OpenAPI document (the gRPC flavour, the dashboard): it mounts itself
			a.Mount(upstream.MountOptions{Mux: mux, BadRequest: s.badRequest, InternalError: s.internalError})
			continue
		}
		doc := docs[a.Spec]
		if doc == nil {
			if doc, err = openapi.Load(a.Spec); err != nil {
				return nil, err
			}
		}
		if a.Control {
			s.calls = controlIndex(doc)
			mux.HandleFunc("GET /__mock/{$}", s.serveControlIndex)
			mux.HandleFunc("GET /__mock/openapi/{name}", serveSpec)
		} else {
			s.faults.Operations(a.Name, openapi.OperationIDs(doc)) // faults may name only these
		}
		// Last: the validator makes doc its own (specvalidate.New).
		gate := s.operation(a, specvalidate.New(doc))
		a.Mount(upstream.MountOptions{Mux: mux, Gate: gate,
			BadRequest: s.badRequest, InternalError: s.internalError})
	}
	mux.HandleFunc("/", s.notFound)
	s.handler = s.recoverer(s.resolve(s.record(s.limits(s.hosts(s.browsers(s.cors(s.controlToken(newRouteMemo(mux)))))))))
	return s, nil
}

// logAttempt logs a webhook attempt: delivered at info, anything else at warn.
func (s *Server) logAttempt(a webhook.Attempt) {
	s.feed.Publish(feed.Change{Kind: "webhook", ID: a.DeliveryID, Tenant: a.Tenant, State: a.Outcome})
	level := slog.LevelInfo
	if a.Outcome != "delivered" {
		level = slog.LevelWarn
	}
	s.log.LogAttrs(context.Background(), level, "webhook", slog.String("delivery", a.DeliveryID), slog.String("url", a.URL),
		slog.Int("attempt", a.Attempt), slog.Int("status", a.Status), slog.String("outcome", a.Outcome),
		slog.Float64("latency_ms", float64(a.Latency.Microseconds())/1000), slog.Int64("order_id", a.OrderID),
		slog.String("order_status", a.OrderStatus), slog.String("tenant", a.Tenant), slog.String("error", a.Error))
}

func toCatalogCountries(list []openapi.Country) []catalog.Country {
	out := make([]catalog.Country, len(list))
	for i, c := range list {
		out[i] = catalog.Country{Code: c.Code, Name: c.Name}
	}
	return out
}

// Handler is the whole mock as an http.Handler (for tests that bring their own server).
func (s *Server) Handler() http.Handler { return s.handler }

// Open listens on the configured address and serves in the background. A busy port fails
// here, at once.
func (s *Server) Open() error {
	ln, err := listen(s.cfg.Addr, "-addr")
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.ln = ln
	s.publicURL = s.cfg.PublicURL
	if s.publicURL == "" {
		s.publicURL = "http://" + ln.Addr().String()
	}
	s.srv = s.httpServer(ln)
	s.srv.RegisterOnShutdown(s.broker.Close) // end event streams, or Shutdown would wait on them
	s.srv.RegisterOnShutdown(s.feed.Close)   // and the dashboard's change streams
	s.served = make(chan struct{})
	srv, served := s.srv, s.served
	s.psURL = s.publicURL
	var extraLn net.Listener
	if a := s.cfg.Payscrypt.Addr; a != "" {
		if extraLn, err = listen(a, "payscrypt.addr"); err != nil {
			s.mu.Unlock()
			_ = ln.Close()
			return err
		}
		s.psURL = "http://" + extraLn.Addr().String()
		s.extra = s.httpServer(extraLn)
	}
	// Every listener beyond loopback needs the token: generate one when none is set.
	if s.token == "" && (!guard.IsLoopbackAddr(ln.Addr()) || (extraLn != nil && !guard.IsLoopbackAddr(extraLn.Addr()))) {
		b := make([]byte, 16)
		_, _ = rand.Read(b)
		s.token, s.generated = hex.EncodeToString(b), true
	}
	if f := s.cfg.Control.TokenFile; f != "" {
		if err := os.WriteFile(f, []byte(s.token), 0o600); err != nil {
			s.mu.Unlock()
			_ = ln.Close()
			if extraLn != nil {
				_ = extraLn.Close()
			}
			return fmt.Errorf("%w: control.token_file %s: %v", ErrConfig, f, err)
		}
	}
	if extraLn != nil {
		go func() { _ = s.extra.Serve(extraLn) }()
	}
	if s.cfg.StateFile != "" {
		ctx, cancel := context.WithCancel(context.Background())
		s.stopSave, s.saved = cancel, make(chan struct{})
		go s.persist(ctx, s.cfg.StateFile, time.Second, s.saved)
	}
	s.mu.Unlock()
	go func() {
		defer close(served)
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("serve", "err", err)
		}
	}()
	return nil
}

// listen opens a listener; its failures are configuration errors, with a hint.
func listen(addr, setting string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	switch {
	case errors.Is(err, syscall.EADDRINUSE):
		return nil, fmt.Errorf("%w: %s: address already in use: another mock running? choose %s", ErrConfig, addr, setting)
	case err != nil:
		return nil, fmt.Errorf("%w: cannot listen on %s (%s): %v", ErrConfig, addr, setting, err)
	}
	return ln, nil
}

// cleartextHTTP2 serves HTTP/1.1 and, on the same port, HTTP/2 without TLS.
func cleartextHTTP2() *http.Protocols {
	p := new(http.Protocols)
	p.SetHTTP1(true)
	p.SetUnencryptedHTTP2(true)
	return p
}

// DefaultMerchant is the first configured Payscrypt merchant, for the banner.
func (s *Server) DefaultMerchant() (MerchantConfig, bool) {
	if len(s.cfg.Payscrypt.Merchants) == 0 {
		return MerchantConfig{}, false
	}
	return s.cfg.Payscrypt.Merchants[0], true
}

// httpServer serves the whole mock on ln, its connections marked with whether ln is loopback
// (the control token rule reads it).
func (s *Server) httpServer(ln net.Listener) *http.Server {
	return &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: time.Duration(s.cfg.Limits.ReadHeaderTimeout),
		IdleTimeout:       time.Duration(s.cfg.Limits.IdleTimeout),
		MaxHeaderBytes:    s.cfg.Limits.MaxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
		BaseContext:       guard.WithListener(ln),
		Protocols:         cleartextHTTP2(), // the gRPC flavour: HTTP/2 with prior knowledge, as grpcurl -plaintext speaks
	}
}

// Start builds a mock from cfg and opens it, for tests and tools that run it in their own
// process (with Addr "127.0.0.1:0" for a free port); stop shuts it down, giving requests and
// webhook deliveries five seconds.
func Start(cfg Config, opts ...Option) (srv *Server, stop func() error, err error) {
	if srv, err = New(cfg, opts...); err != nil {
		return nil, nil, err
	}
	if err := srv.Open(); err != nil {
		return nil, nil, err
	}
	return srv, func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return srv.Shutdown(ctx)
	}, nil
}

// URL is the base URL of the running mock ("" before Open).
func (s *Server) URL() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.publicURL
}

// PayscryptURL is the base URL of the Payscrypt API (the second listener when configured).
func (s *Server) PayscryptURL() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.psURL
}

// ControlToken is the token the control API requires ("" when none is required).
func (s *Server) ControlToken() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.token
}

// MaskSecret shows a secret as the journal does: by its last four characters only.
func MaskSecret(secret string) string { return journal.Mask(secret) }

// TokenGenerated tells whether the control token was generated at start-up (then only
// listeners beyond loopback require it, and it is printed) rather than configured (then every
// listener requires it, and it is never printed in clear).
func (s *Server) TokenGenerated() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.generated
}

// Shutdown stops accepting requests, ends event streams, and waits for requests in flight
// until ctx ends.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	srv, served, extra, stopSave, saved := s.srv, s.served, s.extra, s.stopSave, s.saved
	s.mu.Unlock()
	defer s.clock.Close()
	if stopSave != nil { // the last save, once deliveries have stopped
		defer func() { stopSave(); <-saved }()
	}
	defer s.hooks.Close(ctx) // pending webhook deliveries get until ctx ends
	if srv == nil {
		s.broker.Close()
		s.feed.Close()
		return nil
	}
	if extra != nil {
		_ = extra.Shutdown(ctx)
	}
	err := srv.Shutdown(ctx)
	if err != nil {
		_ = srv.Close()
	}
	<-served
	return err
}

// Reset forgets the state of a Cryptorefills partner (its orders, armed problems and faults,
// journal entries, and its own clock offset), or everything with "" (Payscrypt merchants and
// invoices too, back to the configured merchants, and every clock). No step can fail, so a
// reset is never left half done.
func (s *Server) Reset(partner string) {
	s.cr.Engine().Reset(partner)
	s.faults.Clear(partner)
	s.journal.Reset(partner)
	s.cr.ForgetOrderWebhooks(partner)
	if partner != "" {
		s.clock.ResetTenant(tenant.Partner(partner))
	}
	if partner == "" {
		s.book.Reset()
		_ = s.addMerchants() // validated at start-up
		s.clock.Reset()
	}
}

func (s *Server) addMerchants() error {
	for _, m := range s.cfg.Payscrypt.Merchants {
		if _, err := s.book.AddMerchant(m.WalletID, m.Name, m.APIKey, m.Webhooks); err != nil {
			return fmt.Errorf("%w: payscrypt merchant %d: %v", ErrConfig, m.WalletID, err)
		}
	}
	return nil
}
