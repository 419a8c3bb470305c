package mockserver

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/cryptomock/cryptomock/mockserver/internal/catalog"
	"github.com/cryptomock/cryptomock/mockserver/internal/lifecycle"
	"github.com/cryptomock/cryptomock/mockserver/internal/money"
	"github.com/cryptomock/cryptomock/mockserver/internal/webhook"
)

// ErrConfig is wrapped by every configuration error.
var ErrConfig = errors.New("invalid configuration")

// Duration is a time.Duration written as "30m", "5s" in YAML.
type Duration time.Duration

// UnmarshalYAML reads a Go duration string.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	var s string
	if err := n.Decode(&s); err != nil {
		return fmt.Errorf("line %d: a duration like \"30m\" or \"5s\" is expected", n.Line)
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("line %d: %q is not a duration (like \"30m\" or \"5s\")", n.Line, s)
	}
	*d = Duration(v)
	return nil
}

// MarshalYAML writes the duration string.
func (d Duration) MarshalYAML() (any, error) { return time.Duration(d).String(), nil }

// Config is everything configurable. Defaults() gives the embedded defaults; a YAML file
// (LoadFile) overrides any part of them.
type Config struct {
	Addr      string `yaml:"addr"`       // listen address
	PublicURL string `yaml:"public_url"` // how clients reach the mock, if not http://<addr>
	Seed      int64  `yaml:"seed"`       // seed of the fake catalogue
	// StateFile keeps orders, merchants, invoices and pending webhooks across restarts
	// ("" = nothing is kept).
	StateFile string `yaml:"state_file"`
	// AllowedHosts are host names (no port) the mock answers to besides loopback names, the
	// address a connection arrived on and the host of public_url: e.g. a compose service name.
	// Any other Host header is refused, so DNS rebinding cannot reach the mock.
	AllowedHosts []string `yaml:"allowed_hosts"`

	Control struct {
		// Token for the control API. Required on every listener when set; on a listener that
		// is not loopback one is generated and printed at start-up when none is set.
		Token string `yaml:"token"`
		// TokenFile, when set, receives the token in force (mode 0600) at start-up, for a
		// neighbour that needs it (the compose contract service).
		TokenFile string `yaml:"token_file"`
		// AllowedOrigins may drive the control API from a browser, besides the mock's own
		// origin and loopback origins ("https://dev.example:8443").
		AllowedOrigins []string `yaml:"allowed_origins"`
	} `yaml:"control"`

	Limits struct {
		MaxBodyBytes      int64    `yaml:"max_body_bytes"`
		ReadHeaderTimeout Duration `yaml:"read_header_timeout"`
		ReadBodyTimeout   Duration `yaml:"read_body_timeout"` // a request body must arrive within this
		IdleTimeout       Duration `yaml:"idle_timeout"`
		MaxHeaderBytes    int      `yaml:"max_header_bytes"`
		// Across all partners and merchants: beyond these the oldest are forgotten, as
		// cryptorefills.lifecycle.max_orders_per_partner does for one partner.
		MaxOrders   int `yaml:"max_orders"`
		MaxInvoices int `yaml:"max_invoices"`
	} `yaml:"limits"`

	Journal struct {
		Capacity int `yaml:"capacity"`
		MaxBytes int `yaml:"max_bytes"` // what all entries may hold together
	} `yaml:"journal"`

	Cryptorefills CryptorefillsConfig `yaml:"cryptorefills"`
	Payscrypt     PayscryptConfig     `yaml:"payscrypt"`
}

// PayscryptConfig configures the Payscrypt mock.
type PayscryptConfig struct {
	// Addr, when set, serves Payscrypt (and the rest) on a second listener too, since the
	// real hosts differ; redirect_url then points there.
	Addr string `yaml:"addr"`
	// OmitDefaults leaves default-valued fields out of the JSON (PENDING, NORMAL, "0", ""), as
	// grpc-gateway's default marshaler does. Off by default: clients see every field.
	OmitDefaults  bool               `yaml:"omit_defaults"`
	InvoiceWindow Duration           `yaml:"invoice_window"` // from creation to expired_at
	Merchants     []MerchantConfig   `yaml:"merchants"`
	Webhooks      WebhookDeliveryCfg `yaml:"webhooks"`
}

// MerchantConfig is a merchant present from start-up.
type MerchantConfig struct {
	WalletID int64    `yaml:"pg_wallet_id"`
	APIKey   string   `yaml:"apikey"`
	Name     string   `yaml:"name"`
	Webhooks []string `yaml:"webhooks"`
}

// WebhookDeliveryCfg is the delivery policy.
type WebhookDeliveryCfg struct {
	Schedule       []Duration `yaml:"retry_schedule"` // waits before each retry (virtual time)
	Timeout        Duration   `yaml:"timeout"`
	LogCapacity    int        `yaml:"log_capacity"`
	PerURLInFlight int        `yaml:"per_url_in_flight"`
}

// CryptorefillsConfig configures the Cryptorefills mock.
type CryptorefillsConfig struct {
	// LenientHeaders accepts requests without X-Cr-Application / X-Cr-Version, as the live
	// API does (api-facts A2); by default they are required, as the documents say.
	LenientHeaders bool `yaml:"lenient_headers"`

	SpreadPercent     string                `yaml:"spread_percent"`
	CoinRates         map[string]string     `yaml:"coin_rates"`
	FX                map[string]string     `yaml:"fx"`
	SuspendedCoins    []string              `yaml:"suspended_coins"`
	SuspendedNetworks []catalog.CoinNetwork `yaml:"suspended_networks"`

	Lifecycle struct {
		Mode            string   `yaml:"mode"` // manual or auto
		PaymentWindow   Duration `yaml:"payment_window"`
		ProcessingDelay Duration `yaml:"processing_delay"`
		DeliveryDelay   Duration `yaml:"delivery_delay"`
		AutoPayAfter    Duration `yaml:"auto_pay_after"`
		MaxOrders       int      `yaml:"max_orders_per_partner"`
	} `yaml:"lifecycle"`

	Rules struct {
		MaxProducts     int    `yaml:"max_products"`
		MaxOrderUSD     string `yaml:"max_order_usd"`
		DailyLimitUSD   string `yaml:"daily_limit_usd"`
		MonthlyLimitUSD string `yaml:"monthly_limit_usd"`
	} `yaml:"rules"`

	Stream struct {
		Heartbeat     Duration `yaml:"heartbeat"`
		Retry         Duration `yaml:"retry"`
		MaxPerPartner int      `yaml:"max_per_partner"`
		Replay        int      `yaml:"replay"`
	} `yaml:"stream"`
}

// Defaults returns the embedded defaults. Every value is documented in README.md.
func Defaults() Config {
	var c Config
	c.Addr = "127.0.0.1:8080"
	c.Seed = 1
	c.Limits.MaxBodyBytes = 1 << 20
	c.Limits.ReadHeaderTimeout = Duration(10 * time.Second)
	c.Limits.ReadBodyTimeout = Duration(30 * time.Second)
	c.Limits.IdleTimeout = Duration(120 * time.Second)
	c.Limits.MaxHeaderBytes = 64 << 10
	c.Limits.MaxOrders = 10000 // ~5 KB each: with the rest, the process stays under 256 MB
	c.Limits.MaxInvoices = 10000
	c.Journal.Capacity = 1000
	c.Journal.MaxBytes = 8 << 20

	cr := &c.Cryptorefills
	cr.SpreadPercent = "1.48" // $100 Airbnb priced 101.48 USDC, as captured live
	cr.SuspendedCoins = append([]string{}, catalog.DefaultSuspensions.Coins...)
	cr.SuspendedNetworks = append([]catalog.CoinNetwork{}, catalog.DefaultSuspensions.Networks...)
	cr.Lifecycle.Mode = lifecycle.ModeManual
	cr.Lifecycle.PaymentWindow = Duration(30 * time.Minute) // the documents
	cr.Lifecycle.ProcessingDelay = Duration(2 * time.Second)
	cr.Lifecycle.DeliveryDelay = Duration(3 * time.Second)
	cr.Lifecycle.AutoPayAfter = Duration(10 * time.Second)
	cr.Lifecycle.MaxOrders = 10000
	cr.Rules.MaxProducts = 10 // the documents: up to 10 products per order
	cr.Rules.MaxOrderUSD = "2000"
	cr.Rules.DailyLimitUSD = "5000"
	cr.Rules.MonthlyLimitUSD = "20000"
	cr.Stream.Heartbeat = Duration(15 * time.Second)
	cr.Stream.Retry = Duration(3 * time.Second)
	cr.Stream.Replay = 64

	ps := &c.Payscrypt
	ps.InvoiceWindow = Duration(30 * time.Minute) // the mock's choice: the documents give none
	ps.Merchants = []MerchantConfig{{WalletID: 1, APIKey: "test-apikey", Name: "Test merchant"}}
	for _, d := range webhook.DefaultSchedule {
		ps.Webhooks.Schedule = append(ps.Webhooks.Schedule, Duration(d))
	}
	ps.Webhooks.Timeout = Duration(5 * time.Second)
	ps.Webhooks.LogCapacity = 1000
	ps.Webhooks.PerURLInFlight = 8
	return c
}

// LoadFile reads a YAML configuration over the defaults. Unknown keys are errors.
func LoadFile(path string) (Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Config{}, fmt.Errorf("%w: %v", ErrConfig, err)
	}
	return Parse(b)
}

// Parse decodes YAML over the defaults and validates the result.
func Parse(b []byte) (Config, error) {
	c := Defaults()
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil && !errors.Is(err, io.EOF) {
		return Config{}, fmt.Errorf("%w: %v", ErrConfig, err)
	}
	if err := c.Validate(); err != nil {
		return Config{}, err
	}
	return c, nil
}

// Validate checks every value and reports all problems at once.
func (c Config) Validate() error {
	var probs []string
	bad := func(format string, args ...any) { probs = append(probs, fmt.Sprintf(format, args...)) }
	if c.Addr == "" {
		bad("addr is empty")
	}
	if c.Limits.MaxBodyBytes < 1024 {
		bad("limits.max_body_bytes must be at least 1024")
	}
	if c.Journal.Capacity < 0 || c.Journal.MaxBytes < 0 {
		bad("journal.capacity and journal.max_bytes must not be negative")
	}
	if c.Limits.ReadHeaderTimeout <= 0 || c.Limits.ReadBodyTimeout <= 0 {
		bad("limits.read_header_timeout and limits.read_body_timeout must be positive")
	}
	if c.Limits.MaxOrders < 1 || c.Limits.MaxInvoices < 1 {
		bad("limits.max_orders and limits.max_invoices must be at least 1")
	}
	for i, h := range c.AllowedHosts {
		if h == "" || strings.ContainsAny(h, ":/ ") {
			bad("allowed_hosts[%d]: %q must be a host name without scheme or port", i, h)
		}
	}
	for i, o := range c.Control.AllowedOrigins {
		if u, err := url.Parse(o); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || strings.TrimSuffix(u.Path, "/") != "" {
			bad("control.allowed_origins[%d]: %q must be an origin like https://app.example:8443", i, o)
		}
	}
	if c.PublicURL != "" {
		if u, err := url.Parse(c.PublicURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			bad("public_url: %q must be an absolute http:// or https:// URL", c.PublicURL)
		}
	}
	cr := c.Cryptorefills
	if m := cr.Lifecycle.Mode; m != lifecycle.ModeManual && m != lifecycle.ModeAuto {
		bad("cryptorefills.lifecycle.mode must be %q or %q, not %q", lifecycle.ModeManual, lifecycle.ModeAuto, m)
	}
	if cr.Lifecycle.PaymentWindow <= 0 {
		bad("cryptorefills.lifecycle.payment_window must be positive")
	}
	if cr.Lifecycle.ProcessingDelay < 0 || cr.Lifecycle.DeliveryDelay < 0 || cr.Lifecycle.AutoPayAfter < 0 {
		bad("cryptorefills.lifecycle delays must not be negative")
	}
	if cr.Rules.MaxProducts < 1 {
		bad("cryptorefills.rules.max_products must be at least 1")
	}
	for name, v := range map[string]string{"max_order_usd": cr.Rules.MaxOrderUSD, "daily_limit_usd": cr.Rules.DailyLimitUSD, "monthly_limit_usd": cr.Rules.MonthlyLimitUSD} {
		if _, err := money.Parse(v); err != nil {
			bad("cryptorefills.rules.%s: %q is not a decimal", name, v)
		}
	}
	if cr.Stream.Heartbeat <= 0 || cr.Stream.Retry <= 0 {
		bad("cryptorefills.stream.heartbeat and retry must be positive")
	}
	if cr.Stream.Replay < 1 || cr.Stream.MaxPerPartner < 0 {
		bad("cryptorefills.stream.replay must be at least 1 and max_per_partner not negative")
	}
	ps := c.Payscrypt
	if ps.InvoiceWindow <= 0 {
		bad("payscrypt.invoice_window must be positive")
	}
	wallets := map[int64]bool{}
	for i, m := range ps.Merchants {
		if m.WalletID < 1 || wallets[m.WalletID] {
			bad("payscrypt.merchants[%d].pg_wallet_id must be a positive number used once", i)
		}
		wallets[m.WalletID] = true
		if m.APIKey == "" {
			bad("payscrypt.merchants[%d].apikey is empty", i)
		}
		for _, u := range m.Webhooks {
			if err := webhook.CheckURL(u); err != nil {
				bad("payscrypt.merchants[%d].webhooks: %v", i, err)
			}
		}
	}
	for _, d := range ps.Webhooks.Schedule {
		if d < 0 {
			bad("payscrypt.webhooks.retry_schedule must not hold negative waits")
		}
	}
	if ps.Webhooks.Timeout <= 0 || ps.Webhooks.LogCapacity < 1 || ps.Webhooks.PerURLInFlight < 1 {
		bad("payscrypt.webhooks: timeout, log_capacity and per_url_in_flight must be positive")
	}
	if len(probs) > 0 {
		return fmt.Errorf("%w: %s", ErrConfig, strings.Join(probs, "; "))
	}
	return nil
}
