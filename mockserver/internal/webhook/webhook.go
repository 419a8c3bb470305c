// Package webhook delivers webhooks: POSTs of JSON bodies to receivers, retried on a backoff
// schedule driven by the virtual clock until a 2xx answer, every attempt logged in a bounded
// log. The same bytes go out on every attempt. A slow or dead receiver holds only its own
// slots: each URL has its own cap of attempts in flight, and the API never waits on any.
package webhook

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/cryptomock/cryptomock/mockserver/internal/clock"
)

// Config shapes delivery.
type Config struct {
	Schedule       []time.Duration // waits before the 2nd, 3rd, ... attempt (virtual time)
	Timeout        time.Duration   // per attempt (real time)
	LogCapacity    int             // attempts kept in the log
	PerURLInFlight int             // concurrent attempts per receiver URL
	// MaxPerURL and MaxTotal bound the deliveries not yet over (waiting for a slot, in
	// flight, or waiting for a retry), for one URL and for all: beyond them a new delivery
	// is logged as given up at once, so a slow or dead receiver costs bounded memory.
	MaxPerURL, MaxTotal int
	// OnAttempt, when set, hears of every attempt once it is logged (the mock logs them). It
	// runs on the delivering goroutine and must not block.
	OnAttempt func(Attempt)
}

// DefaultSchedule retries after 10 s, 30 s, 1, 5, 15 and 60 minutes (the mock's choice: the
// documents give no policy).
var DefaultSchedule = []time.Duration{10 * time.Second, 30 * time.Second, time.Minute, 5 * time.Minute, 15 * time.Minute, time.Hour}

// DeliveryHeader is set on every delivery (its value is the delivery id). The mock refuses
// control calls that carry it: a webhook pointed back at the mock must not drive it.
const DeliveryHeader = "X-Cryptomock-Delivery"

// ErrBadURL is wrapped by CheckURL's refusals.
var ErrBadURL = errors.New("not a usable webhook URL")

// MaxURLBytes bounds a webhook URL.
const MaxURLBytes = 2048

// CheckURL accepts an absolute http or https URL with a host that does not point into the
// mock's control API (/__mock/), whoever registers it.
func CheckURL(raw string) error {
	if len(raw) > MaxURLBytes {
		return fmt.Errorf("%w: longer than %d bytes", ErrBadURL, MaxURLBytes)
	}
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("%w: %q does not parse", ErrBadURL, raw)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Opaque != "" {
		return fmt.Errorf("%w: %q must be an absolute http:// or https:// URL", ErrBadURL, raw)
	}
	if intoControlAPI(u) {
		return fmt.Errorf("%w: %q points into the mock's control API (/__mock/), which webhooks must never reach", ErrBadURL, raw)
	}
	return nil
}

func intoControlAPI(u *url.URL) bool {
	p := path.Clean("/" + u.Path)
	return p == "/__mock" || strings.HasPrefix(p, "/__mock/")
}

// Meta describes what a delivery carries, for the log.
type Meta struct {
	Tenant      string // whose clock retries follow
	Order       string // a Cryptorefills order id (Payscrypt invoices use OrderID)
	OrderID     int64
	WalletID    int64
	OrderStatus string
	Kind        string // status_change, resend, duplicate, out_of_order, forged
}

// Attempt is one entry of the delivery log.
type Attempt struct {
	Seq        int64
	DeliveryID string
	URL        string
	Attempt    int
	Status     int // HTTP status; 0 when no answer came
	Latency    time.Duration
	Error      string
	At         time.Time // virtual time
	SentAt     time.Time // wall time the attempt was sent (zero when it was not)
	Outcome    string    // delivered, retrying, gave_up, stopped
	Meta
}

// Bounds of the deliveries not yet over (the mock's choice).
const (
	DefaultMaxPerURL = 1000
	DefaultMaxTotal  = 10000
)

// Dispatcher is safe for concurrent use.
type Dispatcher struct {
	clk    *clock.Clock
	cfg    Config
	client *http.Client
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu     sync.Mutex
	log    []Attempt // ring
	next   int
	full   bool
	seq    int64
	nextID int64
	slots  map[string]chan struct{}
	closed bool
	// open counts the deliveries not yet over, by URL and in all (Config.MaxPerURL, MaxTotal).
	open      map[string]int
	openTotal int
	// pending are deliveries waiting for a retry, for the state file.
	pending map[string]Pending
}

// Pending is a delivery waiting for its next attempt.
type Pending struct {
	ID       string    `json:"id"`
	URL      string    `json:"url"`
	Body     []byte    `json:"body"`
	Meta     Meta      `json:"meta"`
	Attempts int       `json:"attempts"` // made so far
	Due      time.Time `json:"due"`      // virtual time of the next attempt
}

// New returns a dispatcher.
func New(clk *clock.Clock, cfg Config) *Dispatcher {
	if cfg.Timeout <= 0 {
		cfg.Timeout = 5 * time.Second
	}
	if cfg.LogCapacity <= 0 {
		cfg.LogCapacity = 1000
	}
	if cfg.PerURLInFlight <= 0 {
		cfg.PerURLInFlight = 8
	}
	if cfg.MaxPerURL <= 0 {
		cfg.MaxPerURL = DefaultMaxPerURL
	}
	if cfg.MaxTotal <= 0 {
		cfg.MaxTotal = DefaultMaxTotal
	}
	ctx, cancel := context.WithCancel(context.Background())
	client := &http.Client{Timeout: cfg.Timeout, CheckRedirect: func(req *http.Request, via []*http.Request) error {
		if intoControlAPI(req.URL) {
			return fmt.Errorf("refused to follow a redirect into the mock's control API (%s)", req.URL.Path)
		}
		if len(via) >= 5 {
			return errors.New("stopped after 5 redirects")
		}
		req.Header.Del("Authorization") // never carry a credential along a redirect
		return nil
	}}
	return &Dispatcher{clk: clk, cfg: cfg, client: client, ctx: ctx, cancel: cancel,
		log: make([]Attempt, cfg.LogCapacity), slots: map[string]chan struct{}{}, pending: map[string]Pending{}, open: map[string]int{}}
}

type delivery struct {
	id   string
	url  string
	body []byte
	meta Meta
	n    int
	open bool // counted in the dispatcher's open deliveries until its last attempt is logged
}

// openLocked counts del among the deliveries not yet over, unless that would pass a bound.
func (d *Dispatcher) openLocked(del *delivery) bool {
	if d.open[del.url] >= d.cfg.MaxPerURL || d.openTotal >= d.cfg.MaxTotal {
		return false
	}
	d.countLocked(del)
	return true
}

func (d *Dispatcher) countLocked(del *delivery) {
	d.open[del.url]++
	d.openTotal++
	del.open = true
}

// closeLocked stops counting del (its last attempt is logged).
func (d *Dispatcher) closeLocked(del *delivery) {
	if !del.open {
		return
	}
	del.open = false
	d.openTotal--
	if d.open[del.url]--; d.open[del.url] <= 0 {
		delete(d.open, del.url)
	}
}

// Send queues a delivery of body to url and returns its id at once.
func (d *Dispatcher) Send(url string, body []byte, meta Meta) string {
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		return ""
	}
	d.nextID++
	del := &delivery{id: "d" + strconv.FormatInt(d.nextID, 10), url: url, body: body, meta: meta}
	if !d.openLocked(del) {
		why := fmt.Sprintf("not attempted: %d deliveries to this URL and %d in all are not over yet (at most %d and %d): the receiver is too slow or down",
			d.open[url], d.openTotal, d.cfg.MaxPerURL, d.cfg.MaxTotal)
		d.mu.Unlock()
		d.record(del, 0, 0, why, "gave_up")
		return del.id
	}
	d.wg.Add(1)
	d.mu.Unlock()
	go d.attempt(del)
	return del.id
}

func (d *Dispatcher) slot(url string) chan struct{} {
	d.mu.Lock()
	defer d.mu.Unlock()
	s, ok := d.slots[url]
	if !ok {
		s = make(chan struct{}, d.cfg.PerURLInFlight)
		d.slots[url] = s
	}
	return s
}

// attempt runs one attempt; it owns one count of the wait group.
func (d *Dispatcher) attempt(del *delivery) {
	defer d.wg.Done()
	slot := d.slot(del.url)
	select {
	case slot <- struct{}{}:
	case <-d.ctx.Done():
		d.record(del, 0, 0, "not attempted: shutting down", "stopped")
		return
	}
	del.n++
	status, latency, errText := d.post(del)
	<-slot
	if status >= 200 && status < 300 {
		d.record(del, status, latency, "", "delivered")
		return
	}
	if del.n > len(d.cfg.Schedule) {
		d.record(del, status, latency, errText, "gave_up")
		return
	}
	// Schedule before logging: whoever sees "retrying" in the log may advance the clock
	// at once, and the retry must already be due by then.
	defer d.record(del, status, latency, errText, "retrying")
	d.retryAt(del, d.clk.For(del.meta.Tenant).Now().Add(d.cfg.Schedule[del.n-1]))
}

// retryAt schedules the next attempt of del at virtual time at.
func (d *Dispatcher) retryAt(del *delivery, at time.Time) {
	d.mu.Lock()
	d.pending[del.id] = Pending{ID: del.id, URL: del.url, Body: del.body, Meta: del.meta, Attempts: del.n, Due: at}
	d.mu.Unlock()
	d.clk.For(del.meta.Tenant).At(at, func() {
		d.mu.Lock()
		delete(d.pending, del.id)
		if d.closed {
			d.mu.Unlock()
			d.record(del, 0, 0, "not attempted: shutting down", "stopped")
			return
		}
		d.wg.Add(1) // only attempts that run are counted, so Close never waits on a retry
		d.mu.Unlock()
		go d.attempt(del)
	})
}

func (d *Dispatcher) post(del *delivery) (int, time.Duration, string) {
	req, err := http.NewRequestWithContext(d.ctx, http.MethodPost, del.url, bytes.NewReader(del.body))
	if err != nil {
		return 0, 0, err.Error()
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "cryptomock-webhook")
	req.Header.Set(DeliveryHeader, del.id)
	req.Header.Set("X-Cryptomock-Attempt", strconv.Itoa(del.n))
	start := time.Now()
	resp, err := d.client.Do(req)
	latency := time.Since(start)
	if err != nil {
		return 0, latency, err.Error()
	}
	resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return resp.StatusCode, latency, fmt.Sprintf("answered %d", resp.StatusCode)
	}
	return resp.StatusCode, latency, ""
}

func (d *Dispatcher) record(del *delivery, status int, latency time.Duration, errText, outcome string) {
	at := d.clk.For(del.meta.Tenant).Now()
	var sent time.Time
	if outcome != "stopped" {
		sent = time.Now().Add(-latency)
	}
	d.mu.Lock()
	if outcome != "retrying" {
		d.closeLocked(del)
	}
	d.seq++
	a := Attempt{Seq: d.seq, DeliveryID: del.id, URL: del.url, Attempt: del.n, Status: status, Latency: latency,
		Error: errText, At: at, SentAt: sent, Outcome: outcome, Meta: del.meta}
	d.log[d.next] = a
	d.next = (d.next + 1) % len(d.log)
	if d.next == 0 {
		d.full = true
	}
	d.mu.Unlock()
	if d.cfg.OnAttempt != nil {
		d.cfg.OnAttempt(a)
	}
}

// Log returns the newest limit attempts (of one order when orderID > 0), oldest first.
func (d *Dispatcher) Log(orderID int64, limit int) []Attempt {
	return d.LogWhere(func(a Attempt) bool { return orderID == 0 || a.OrderID == orderID }, limit)
}

// LogWhere returns the newest limit attempts that match, oldest first.
func (d *Dispatcher) LogWhere(match func(Attempt) bool, limit int) []Attempt {
	d.mu.Lock()
	defer d.mu.Unlock()
	all := d.log[:d.next]
	if d.full {
		all = append(append([]Attempt(nil), d.log[d.next:]...), d.log[:d.next]...)
	}
	var out []Attempt
	for i := len(all) - 1; i >= 0 && len(out) < limit; i-- {
		if match(all[i]) {
			out = append(out, all[i])
		}
	}
	for a, b := 0, len(out)-1; a < b; a, b = a+1, b-1 {
		out[a], out[b] = out[b], out[a]
	}
	return out
}

// PendingDeliveries returns the deliveries waiting for a retry (for the state file).
func (d *Dispatcher) PendingDeliveries() []Pending {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make([]Pending, 0, len(d.pending))
	for _, p := range d.pending {
		out = append(out, p)
	}
	return out
}

// Restore schedules saved pending deliveries again, at their due time.
func (d *Dispatcher) Restore(list []Pending) {
	for _, p := range list {
		del := &delivery{id: p.ID, url: p.URL, body: p.Body, meta: p.Meta, n: p.Attempts}
		d.mu.Lock()
		if n, err := strconv.ParseInt(strings.TrimPrefix(p.ID, "d"), 10, 64); err == nil && n > d.nextID {
			d.nextID = n
		}
		d.countLocked(del) // whatever the bounds: they were kept when saved
		d.mu.Unlock()
		d.retryAt(del, p.Due)
	}
}

// Capacity is the size of the log.
func (d *Dispatcher) Capacity() int { return len(d.log) }

// Close stops new deliveries and retries, gives attempts in flight until ctx ends, then
// cancels them.
func (d *Dispatcher) Close(ctx context.Context) {
	d.mu.Lock()
	d.closed = true
	d.mu.Unlock()
	done := make(chan struct{})
	go func() { d.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		d.cancel()
		<-done
	}
	d.cancel()
}
