package mockserver

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/cryptomock/cryptomock/mockserver/internal/catalog"
	"github.com/cryptomock/cryptomock/mockserver/internal/cryptorefills"
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
	// OrderWebhooks lets partners register URLs (control API) that receive {order_id, status}
	// on every order change. Off by default: only third-party evidence shows them (api-facts A10).
	OrderWebhooks bool `yaml:"order_webhooks"`

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

	// Variants chooses the shape of each seam where production answers in more than one
	// (openapi/README.md, "Seams where production varies"): string, number or mixed epochs;
	// string, object or mixed range bounds.
	Variants struct {
		Epoch       string `yaml:"epoch"`
		RangeBounds string `yaml:"range_bounds"`
	} `yaml:"variants"`

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
	cr.Variants.Epoch, cr.Variants.RangeBounds = cryptorefills.DefaultVariants.Epoch, cryptorefills.DefaultVariants.RangeBounds
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

// Parse decodes YAML over the defaults and validates the result. An unknown key is named by
// its path, with the nearest known key suggested.
func Parse(b []byte) (Config, error) {
	c := Defaults()
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return Config{}, fmt.Errorf("%w: not YAML: %v", ErrConfig, strings.TrimPrefix(err.Error(), "yaml: "))
	}
	if len(doc.Content) > 0 {
		var unknown []string
		unknownKeys(doc.Content[0], reflect.TypeOf(c), "", &unknown)
		if len(unknown) > 0 {
			return Config{}, fmt.Errorf("%w: %s", ErrConfig, strings.Join(unknown, "; "))
		}
	}
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

// unknownKeys walks a YAML node along the Go type it decodes into and reports every mapping
// key the type does not have, as "path: line N: unknown key; did you mean x?".
func unknownKeys(n *yaml.Node, t reflect.Type, path string, out *[]string) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Implements(reflect.TypeOf((*yaml.Unmarshaler)(nil)).Elem()) || reflect.PointerTo(t).Implements(reflect.TypeOf((*yaml.Unmarshaler)(nil)).Elem()) {
		return // decodes itself (durations)
	}
	switch {
	case t.Kind() == reflect.Struct && n.Kind == yaml.MappingNode:
		fields := map[string]reflect.Type{}
		for i := 0; i < t.NumField(); i++ {
			if name, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ","); name != "" && name != "-" {
				fields[name] = t.Field(i).Type
			}
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			key := n.Content[i].Value
			at := key
			if path != "" {
				at = path + "." + key
			}
			ft, ok := fields[key]
			if !ok {
				msg := fmt.Sprintf("%s (line %d): unknown key", at, n.Content[i].Line)
				if near := nearest(key, fields); near != "" {
					msg += "; did you mean " + near + "?"
				}
				*out = append(*out, msg)
				continue
			}
			unknownKeys(n.Content[i+1], ft, at, out)
		}
	case t.Kind() == reflect.Slice && n.Kind == yaml.SequenceNode:
		for i, item := range n.Content {
			unknownKeys(item, t.Elem(), fmt.Sprintf("%s[%d]", path, i), out)
		}
	}
}

// nearest is the known key closest to key in edit distance, if it is close enough to be a typo.
func nearest(key string, known map[string]reflect.Type) string {
	best, bestDist := "", len(key)/2+2
	for k := range known {
		if d := editDistance(strings.ToLower(key), k); d < bestDist || (d == bestDist && k < best) {
			best, bestDist = k, d
		}
	}
	return best
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}

// Validate checks every value and reports all problems at once.
func (c Config) Validate() error {
	var probs []string
	bad := func(format string, args ...any) { probs = append(probs, fmt.Sprintf(format, args...)) }
	for setting, addr := range map[string]string{"addr": c.Addr, "payscrypt.addr": c.Payscrypt.Addr} {
		if addr == "" && setting == "payscrypt.addr" {
			continue
		}
		if _, port, err := net.SplitHostPort(addr); err != nil {
			bad("%s %q is not host:port (like 127.0.0.1:8080)", setting, addr)
		} else if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
			bad("%s %q: the port must be a number from 0 to 65535", setting, addr)
		}
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
	for seam, got := range map[string]string{"epoch": cr.Variants.Epoch, "range_bounds": cr.Variants.RangeBounds} {
		if !slices.Contains(cryptorefills.VariantShapes[seam], got) {
			bad("cryptorefills.variants.%s must be one of %s, not %q", seam, strings.Join(cryptorefills.VariantShapes[seam], ", "), got)
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
