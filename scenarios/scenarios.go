// Package scenarios is the catalogue of situations the contract suites run against any target
// (the mock in-process or elsewhere, or a live upstream): one YAML file per area under data/,
// each a list of scenarios, embedded and decoded strictly. A scenario says what it sends, what
// it needs from a target (capabilities), how to set it up, and what must come back.
package scenarios

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"regexp"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// Capability is something a target must offer to run a scenario. A live upstream offers none.
type Capability string

// The capabilities.
const (
	Seeding  Capability = "seeding"   // the mock's deterministic catalogue (Mock Out Of Stock, ...)
	Clock    Capability = "clock"     // the virtual clock (/__mock/clock/advance)
	Payments Capability = "payments"  // simulated payments and forced transitions
	Faults   Capability = "faults"    // fault injection
	Problems Capability = "problems"  // arming problem codes
	Webhooks Capability = "webhooks"  // sending webhooks to the suite's receiver
	Merchant Capability = "merchants" // creating Payscrypt merchants and invalidating keys
)

// Capabilities lists them all.
var Capabilities = []Capability{Seeding, Clock, Payments, Faults, Problems, Webhooks, Merchant}

// Labels are the labels a scenario may carry (README: "what each label means").
var Labels = map[string]string{
	"cryptorefills":     "the Cryptorefills partner API",
	"payscrypt":         "the Payscrypt invoice API",
	"happy-path":        "an endpoint doing what the documents show",
	"documents":         "sends the documents' own example",
	"catalogue":         "brands, products, prices, countries, coins",
	"orders":            "validation, creation, tracking of orders",
	"problems":          "validation problem codes and HTTP-level errors",
	"lifecycle":         "an order or invoice moving through its states",
	"sse":               "the Server-Sent Events stream",
	"faults":            "a failure injected by the mock, and what a correct client does",
	"webhooks":          "Payscrypt webhooks to the suite's receiver",
	"auth":              "api keys and partner headers",
	"bad-request":       "malformed input that must be refused in the API's error shape",
	"second-generation": "Payscrypt's second-generation paths (/payment/v1/invoice), lower confidence",
}

// Scenario is one situation.
type Scenario struct {
	ID        string       `yaml:"id"`
	Summary   string       `yaml:"summary"`
	API       string       `yaml:"api"`       // cryptorefills or payscrypt
	Operation string       `yaml:"operation"` // the operationId the scenario exercises
	Labels    []string     `yaml:"labels"`
	Needs     []Capability `yaml:"needs"`
	// Writes marks scenarios that create state upstream (orders, invoices). On a live target
	// they run only when the run allows writes.
	Writes  bool    `yaml:"writes"`
	Request Request `yaml:"request"`
	Setup   Setup   `yaml:"setup"`
	Expect  Expect  `yaml:"expect"`
	File    string  `yaml:"-"`
}

// Request is what the scenario sends to its operation.
type Request struct {
	Path        map[string]string `yaml:"path"`
	Query       map[string]string `yaml:"query"`
	Headers     map[string]string `yaml:"headers"`      // set in addition to the target's credentials
	OmitHeaders []string          `yaml:"omit_headers"` // credentials deliberately left out
	Body        any               `yaml:"body"`         // a JSON body
	RawBody     string            `yaml:"raw_body"`     // sent as is (malformed input)
	// Invalid marks a request that breaks the spec on purpose (bad-request scenarios): the
	// catalogue test checks that it does fail validation.
	Invalid bool `yaml:"invalid"`
}

// Setup is what happens before or during the scenario; each field is optional.
type Setup struct {
	CreateOrder   any      `yaml:"create_order"`   // a Cryptorefills order body to create first
	CreateInvoice any      `yaml:"create_invoice"` // a Payscrypt create_order body
	ArmProblems   []string `yaml:"arm_problems"`
	Fault         any      `yaml:"fault"`         // a control-API fault (partner and order filled in)
	Steps         []Step   `yaml:"steps"`         // payments, clock jumps, transitions, in order
	LastEventID   string   `yaml:"last_event_id"` // resume the stream after this id
	Webhook       *Webhook `yaml:"webhook"`
	InvalidateKey bool     `yaml:"invalidate_key"`
}

// Step is one thing done to an order or invoice during a scenario.
type Step struct {
	Pay           *string `yaml:"pay"`           // coin amount (Cryptorefills) or value (Payscrypt); "" = what is due
	Confirmations *int64  `yaml:"confirmations"` // Payscrypt
	Advance       float64 `yaml:"advance"`       // seconds of virtual time
	Transition    string  `yaml:"transition"`    // a control-API action
	Cancel        bool    `yaml:"cancel"`        // Payscrypt
	Replay        string  `yaml:"replay"`        // Payscrypt webhook replay mode
	ReplayStatus  string  `yaml:"replay_status"`
}

// Webhook sets up the suite's receiver.
type Webhook struct {
	FailFirst int `yaml:"fail_first"` // answer 500 to this many deliveries first
}

// Expect is what must come back.
type Expect struct {
	Status     int            `yaml:"status"`
	Contains   map[string]any `yaml:"contains"` // top-level JSON fields and their values
	Problems   []string       `yaml:"problems"` // problem codes (each must be present)
	NoProblems bool           `yaml:"no_problems"`
	Detail     string         `yaml:"detail"`     // HttpError detail
	GRPCCode   string         `yaml:"grpc_code"`  // Payscrypt grpc-code header
	States     []string       `yaml:"states"`     // order states / invoice statuses seen, in order
	Final      string         `yaml:"final"`      // the state at the end
	Stop       bool           `yaml:"stop"`       // the stream ends with `stop`
	FirstID    string         `yaml:"first_id"`   // id of the first event received
	Reconnects bool           `yaml:"reconnects"` // a correct client must reconnect at least once
	Webhooks   []string       `yaml:"webhooks"`   // statuses the receiver gets, in order
	Verified   string         `yaml:"verified"`   // what get_public_order says after the webhooks
}

//go:embed data/*.yaml
var data embed.FS

var idRE = regexp.MustCompile(`^[a-z0-9]+(\.[a-z0-9-]+)+$`)

// Load decodes every embedded scenario file strictly (unknown keys are errors) and checks the
// catalogue's own rules (ids, labels, capabilities). It does not check operations and bodies
// against the specs: the package's test does.
func Load() ([]Scenario, error) {
	files, err := fs.Glob(data, "data/*.yaml")
	if err != nil {
		return nil, err
	}
	var all []Scenario
	seen := map[string]string{}
	for _, f := range files {
		b, err := data.ReadFile(f)
		if err != nil {
			return nil, err
		}
		list, err := Decode(b)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f, err)
		}
		for _, s := range list {
			s.File = f
			if prev, dup := seen[s.ID]; dup {
				return nil, fmt.Errorf("%s: scenario id %q already used in %s", f, s.ID, prev)
			}
			seen[s.ID] = f
			all = append(all, s)
		}
	}
	sort.Slice(all, func(i, j int) bool { return all[i].ID < all[j].ID })
	return all, nil
}

// Decode reads one scenario file strictly and checks each scenario.
func Decode(b []byte) ([]Scenario, error) {
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	var list []Scenario
	if err := dec.Decode(&list); err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	for _, s := range list {
		if err := s.check(); err != nil {
			return nil, err
		}
	}
	return list, nil
}

func (s Scenario) check() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("scenario %q: %s", s.ID, fmt.Sprintf(format, args...))
	}
	if !idRE.MatchString(s.ID) {
		return bad("id must be dotted lower-case words (e.g. cr.orders.create)")
	}
	if strings.TrimSpace(s.Summary) == "" {
		return bad("no summary")
	}
	if s.API != "cryptorefills" && s.API != "payscrypt" {
		return bad("api must be cryptorefills or payscrypt")
	}
	if s.Operation == "" {
		return bad("no operation")
	}
	if len(s.Labels) == 0 {
		return bad("no labels")
	}
	for _, l := range s.Labels {
		if _, ok := Labels[l]; !ok {
			return bad("unknown label %q", l)
		}
	}
	for _, n := range s.Needs {
		if !validCapability(n) {
			return bad("unknown capability %q", n)
		}
	}
	if s.Expect.Status == 0 && len(s.Expect.States) == 0 && s.Expect.Final == "" && len(s.Expect.Webhooks) == 0 {
		return bad("expects nothing")
	}
	return nil
}

func validCapability(c Capability) bool {
	for _, k := range Capabilities {
		if k == c {
			return true
		}
	}
	return false
}

// NeedsCap reports whether the scenario needs capability c.
func (s Scenario) NeedsCap(c Capability) bool {
	for _, n := range s.Needs {
		if n == c {
			return true
		}
	}
	return false
}
