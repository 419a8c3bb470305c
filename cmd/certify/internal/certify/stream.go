package certify

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"sync"
	"time"

	admingen "github.com/cryptomock/cryptomock/gen/mockadmin"
	"github.com/cryptomock/cryptomock/openapi/conformance"
)

// BrowserAgent is the User-Agent certify sends to the partner's route, as a browser would.
const BrowserAgent = "Mozilla/5.0 (cryptomock-certify browser)"

// Timings of the active stream checks.
const (
	stepGap     = 1500 * time.Millisecond // wall time between the order's changes (CR-SSE-3)
	relayWithin = time.Second             // CR-SSE-3
	endWithin   = 5 * time.Second         // CR-SSE-4 and CR-SSE-7
	routeWait   = 10 * time.Second        // how long a route may take to answer at all
)

// stamped is a frame and when it arrived.
type stamped struct {
	conformance.Frame
	At time.Time
}

// tap reads an event stream in the background, stamping every named event.
type tap struct {
	resp  *http.Response
	mu    sync.Mutex
	ev    []stamped
	ended time.Time // when the body ended (EOF or error), zero while open
	err   error
	more  chan struct{} // a signal per event or end
	done  chan struct{}
}

// openTap opens a stream: answer is the response (its body is read by the tap when it is a
// stream); err a failure to get any answer.
func openTap(ctx context.Context, client *http.Client, url string, header http.Header) (*tap, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", url, nil)
	if err != nil {
		return nil, err
	}
	req.Header = header
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	t := &tap{resp: resp, more: make(chan struct{}, 1), done: make(chan struct{})}
	go t.read()
	return t, nil
}

func (t *tap) read() {
	defer close(t.done)
	defer t.resp.Body.Close()
	r := conformance.NewSSEReader(io.LimitReader(t.resp.Body, 8<<20))
	for {
		f, err := r.Next()
		now := time.Now()
		t.mu.Lock()
		if err != nil {
			t.ended, t.err = now, err
			t.mu.Unlock()
			t.signal()
			return
		}
		named := !f.Comment && (f.Data != "" || f.ID != "")
		if named {
			t.ev = append(t.ev, stamped{Frame: f, At: now})
		}
		t.mu.Unlock()
		if named {
			t.signal()
		}
	}
}

func (t *tap) signal() {
	select {
	case t.more <- struct{}{}:
	default:
	}
}

// snapshot copies what arrived so far, and when the stream ended (zero while open).
func (t *tap) snapshot() ([]stamped, time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]stamped(nil), t.ev...), t.ended
}

// waitFor waits until cond holds on what arrived, or d passes.
func (t *tap) waitFor(ctx context.Context, d time.Duration, cond func([]stamped, time.Time) bool) bool {
	deadline := time.After(d)
	for {
		if ev, end := t.snapshot(); cond(ev, end) {
			return true
		}
		select {
		case <-t.more:
		case <-deadline:
			return false
		case <-ctx.Done():
			return false
		}
	}
}

func hasEvent(name string) func([]stamped, time.Time) bool {
	return func(ev []stamped, _ time.Time) bool {
		for _, e := range ev {
			if e.Event == name {
				return true
			}
		}
		return false
	}
}

func ended(_ []stamped, end time.Time) bool { return !end.IsZero() }

func messages(ev []stamped) []stamped {
	var out []stamped
	for _, e := range ev {
		if e.Event == "message" {
			out = append(out, e)
		}
	}
	return out
}

// streamChecks runs CR-SSE-1 to CR-SSE-7 against the partner's route.
func (c *run) streamChecks(ctx context.Context) error {
	defer c.cancelOpenOrders(ctx)
	if err := c.lifecycle(ctx); err != nil {
		return err
	}
	if err := c.upstreamDown(ctx); err != nil {
		return err
	}
	if err := c.upstreamErrors(ctx); err != nil {
		return err
	}
	return c.browserLeaves(ctx)
}

func browserHeader() http.Header {
	return http.Header{"Accept": {"text/event-stream"}, "User-Agent": {BrowserAgent}}
}

// lifecycle follows one order through its whole life twice at once, through the route as the
// browser and straight from the mock, spacing its changes out in wall time: CR-SSE-1 to 4.
func (c *run) lifecycle(ctx context.Context) error {
	id, err := c.mock.createOrder(ctx)
	if err != nil {
		return err
	}
	c.progress("CR-SSE-1..4", "following order %s through %s and straight from the mock", id, routeURL(c.cfg.SSERoute, id))
	sctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	direct, err := openTap(sctx, c.stream, c.mock.base+"/v5/orders/"+id+"/subscribe", c.directHeader())
	if err != nil {
		return fmt.Errorf("subscribe to order %s at the mock: %v", id, err)
	}
	route, err := openTap(sctx, c.stream, routeURL(c.cfg.SSERoute, id), browserHeader())
	if err != nil {
		for _, r := range []string{"CR-SSE-1", "CR-SSE-3", "CR-SSE-4"} {
			c.report.set(r, Failed, fmt.Sprintf("GET %s: %v", routeURL(c.cfg.SSERoute, id), err))
		}
		c.journalHeaders(ctx, id)
		return nil
	}
	streaming := c.checkRouteHeaders(route.resp, id)
	direct.waitFor(sctx, 3*time.Second, hasEvent("message"))
	if streaming {
		c.progress("CR-SSE-3", "waiting for the route to relay the order as it is on connect")
		route.waitFor(sctx, 3*time.Second, hasEvent("message"))
	}
	steps := []struct {
		what string
		do   func() error
	}{
		{"pays part", func() error { return c.mock.payOrder(sctx, id, "10") }},
		{"pays the rest", func() error { return c.mock.payOrder(sctx, id, "") }},
		{"delivers", func() error { return c.mock.transition(sctx, id, admingen.Deliver) }},
	}
	for _, st := range steps {
		time.Sleep(stepGap)
		c.progress("CR-SSE-3", "the mock %s (order %s)", st.what, id)
		if err := st.do(); err != nil {
			return err
		}
	}
	if !direct.waitFor(sctx, endWithin, hasEvent("stop")) {
		return fmt.Errorf("the mock's own stream of order %s sent no stop within %s: is it the mock?", id, endWithin)
	}
	c.progress("CR-SSE-4", "waiting up to %s for the route to relay stop and end", endWithin)
	route.waitFor(sctx, endWithin+relayWithin, ended)
	cancel()
	<-route.done
	<-direct.done
	want, _ := direct.snapshot()
	got, routeEnd := route.snapshot()
	if streaming {
		c.judgeRelay(messages(want), messages(got))
		c.judgeStop(want, got, routeEnd)
	} else {
		why := fmt.Sprintf("the route answered %d %s, not a stream", route.resp.StatusCode, route.resp.Header.Get("Content-Type"))
		c.report.set("CR-SSE-3", Failed, why)
		c.report.set("CR-SSE-4", Failed, why)
	}
	c.journalHeaders(ctx, id)
	return nil
}

// directHeader is certify's own subscription: the required headers and its own User-Agent, so
// the journal tells it from the route's.
func (c *run) directHeader() http.Header {
	return http.Header{"Accept": {"text/event-stream"}, "User-Agent": {UserAgent}, "X-Cr-Application": {c.cfg.Partner},
		"X-Cr-Version": {UserAgent}, "X-Country-Iso-Code": {"US"}}
}

// checkRouteHeaders judges CR-SSE-1 and reports whether the answer is a stream at all.
func (c *run) checkRouteHeaders(resp *http.Response, id string) bool {
	ct, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	var wrong []string
	if resp.StatusCode != http.StatusOK {
		wrong = append(wrong, fmt.Sprintf("status %d, want 200", resp.StatusCode))
	}
	if ct != "text/event-stream" {
		wrong = append(wrong, fmt.Sprintf("Content-Type %q, want text/event-stream", resp.Header.Get("Content-Type")))
	}
	cc := strings.ToLower(resp.Header.Get("Cache-Control"))
	if !strings.Contains(cc, "no-cache") || !strings.Contains(cc, "no-transform") {
		wrong = append(wrong, fmt.Sprintf("Cache-Control %q, want no-cache, no-transform", resp.Header.Get("Cache-Control")))
	}
	if xab := resp.Header.Get("X-Accel-Buffering"); xab != "no" {
		wrong = append(wrong, fmt.Sprintf("X-Accel-Buffering %q, want no", xab))
	}
	where := fmt.Sprintf("GET %s (order %s)", routeURL(c.cfg.SSERoute, id), id)
	if len(wrong) > 0 {
		c.report.set("CR-SSE-1", Failed, append([]string{where + " answered:"}, wrong...)...)
	} else {
		c.report.set("CR-SSE-1", Passed, where+" answered 200 text/event-stream, Cache-Control: "+resp.Header.Get("Cache-Control")+", X-Accel-Buffering: no")
	}
	return resp.StatusCode == http.StatusOK && ct == "text/event-stream"
}

// judgeRelay is CR-SSE-3: the route's messages are the mock's, in order, each within 1 s.
func (c *run) judgeRelay(want, got []stamped) {
	var bad []string
	worst := time.Duration(0)
	for i, w := range want {
		if i >= len(got) {
			bad = append(bad, fmt.Sprintf("message %d (id %s, sent by the mock at %s) never reached the browser", i+1, w.ID, clock(w.At)))
			continue
		}
		g := got[i]
		if g.ID != w.ID || g.Data != w.Data {
			bad = append(bad, fmt.Sprintf("message %d changed on the way: the mock sent id %q data %s; the browser got id %q data %s", i+1, w.ID, cut(w.Data, 160), g.ID, cut(g.Data, 160)))
			continue
		}
		late := g.At.Sub(w.At)
		worst = max(worst, late)
		if late > relayWithin {
			bad = append(bad, fmt.Sprintf("message %d (id %s) reached the browser %s after the mock sent it (at %s; allowed %s)", i+1, w.ID, late.Round(time.Millisecond), clock(w.At), relayWithin))
		}
	}
	for i := len(want); i < len(got); i++ {
		bad = append(bad, fmt.Sprintf("the browser got a message %d the mock never sent: id %q data %s", i+1, got[i].ID, cut(got[i].Data, 160)))
	}
	if len(bad) > 0 {
		c.report.set("CR-SSE-3", Failed, bad...)
		return
	}
	c.report.set("CR-SSE-3", Passed, fmt.Sprintf("%d messages, sent %s apart, relayed unchanged and in order; the slowest took %s", len(want), stepGap, worst.Round(time.Millisecond)))
}

// judgeStop is CR-SSE-4: stop reaches the browser and the response ends after it.
func (c *run) judgeStop(want, got []stamped, routeEnd time.Time) {
	var sent, relayed *stamped
	for i := range want {
		if want[i].Event == "stop" {
			sent = &want[i]
		}
	}
	for i := range got {
		if got[i].Event == "stop" {
			relayed = &got[i]
		}
	}
	switch {
	case relayed == nil:
		c.report.set("CR-SSE-4", Failed, fmt.Sprintf("the mock sent stop at %s; the browser never got it (the response %s)", clock(sent.At), endedWhen(routeEnd)))
	case routeEnd.IsZero() || routeEnd.Sub(relayed.At) > endWithin:
		c.report.set("CR-SSE-4", Failed, fmt.Sprintf("stop reached the browser at %s but the response %s; it should end within %s", clock(relayed.At), endedWhen(routeEnd), endWithin))
	default:
		c.report.set("CR-SSE-4", Passed, fmt.Sprintf("stop relayed %s after the mock sent it; the response ended %s later",
			relayed.At.Sub(sent.At).Round(time.Millisecond), routeEnd.Sub(relayed.At).Round(time.Millisecond)))
	}
}

func endedWhen(end time.Time) string {
	if end.IsZero() {
		return "was still open when certify gave up"
	}
	return "ended at " + clock(end)
}

func clock(t time.Time) string { return t.Format("15:04:05.000") }

// journalHeaders is CR-SSE-2: what the route sent upstream, from the mock's journal.
func (c *run) journalHeaders(ctx context.Context, id string) {
	path := "/v5/orders/" + id + "/subscribe"
	seen, err := c.theirSubscription(ctx, path, 3*time.Second)
	if err != nil {
		c.report.set("CR-SSE-2", Failed, err.Error())
		return
	}
	if len(seen) == 0 {
		c.report.set("CR-SSE-2", Failed, fmt.Sprintf("the mock saw no subscription to %s from the route (only certify's own)", path))
		return
	}
	e := seen[0]
	h := e.Headers
	var wrong []string
	if got := h["X-Cr-Application"]; got != c.cfg.Partner {
		wrong = append(wrong, fmt.Sprintf("X-Cr-Application %q, want %q", got, c.cfg.Partner))
	}
	if h["X-Cr-Version"] == "" {
		wrong = append(wrong, "no X-Cr-Version")
	}
	if !strings.Contains(h["Accept"], "text/event-stream") {
		wrong = append(wrong, fmt.Sprintf("Accept %q, want text/event-stream", h["Accept"]))
	}
	if h["User-Agent"] == "" {
		wrong = append(wrong, "no User-Agent")
	}
	what := fmt.Sprintf("GET %s at %s, answered %d", path, clock(e.ReceivedAt), e.Status)
	if len(wrong) > 0 {
		if e.Refusal != nil {
			what += " (" + *e.Refusal + ")"
		}
		c.report.set("CR-SSE-2", Failed, append([]string{what + ", carried:"}, wrong...)...)
		return
	}
	c.report.set("CR-SSE-2", Passed, fmt.Sprintf("%s with X-Cr-Application %q, X-Cr-Version %q, Accept %q, User-Agent %q", what, h["X-Cr-Application"], h["X-Cr-Version"], h["Accept"], h["User-Agent"]))
}

// theirs drops certify's own requests.
func theirs(entries []admingen.JournalEntry) []admingen.JournalEntry {
	var out []admingen.JournalEntry
	for _, e := range entries {
		if e.Headers["User-Agent"] != UserAgent {
			out = append(out, e)
		}
	}
	return out
}

// routeAnswer opens the route for an order and returns its status and the start of its body.
func (c *run) routeAnswer(ctx context.Context, id string) (int, string, string, error) {
	ctx, cancel := context.WithTimeout(ctx, routeWait)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", routeURL(c.cfg.SSERoute, id), nil)
	req.Header = browserHeader()
	resp, err := c.stream.Do(req)
	if err != nil {
		return 0, "", "", err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	return resp.StatusCode, resp.Header.Get("Content-Type"), string(b), nil
}

// upstreamDown is CR-SSE-5: the mock drops the route's connection.
func (c *run) upstreamDown(ctx context.Context) error {
	id, err := c.openOrder(ctx)
	if err != nil {
		return err
	}
	op := "subscribeOrder"
	if err := c.mock.armFault(ctx, admingen.FaultRequest{Kind: admingen.Drop, Operation: &op, OrderId: &id}); err != nil {
		return err
	}
	c.progress("CR-SSE-5", "the mock will drop the route's upstream connection for order %s", id)
	status, ct, body, err := c.routeAnswer(ctx, id)
	where := "GET " + routeURL(c.cfg.SSERoute, id)
	switch {
	case err != nil:
		c.report.set("CR-SSE-5", Failed, fmt.Sprintf("%s with the upstream unreachable: no answer (waited up to %s): %v", where, routeWait, err))
	case status != http.StatusBadGateway || !json.Valid([]byte(body)):
		c.report.set("CR-SSE-5", Failed, fmt.Sprintf("%s with the upstream unreachable answered %d %s %s; want 502 with a JSON body", where, status, ct, cut(body, 200)))
	default:
		c.report.set("CR-SSE-5", Passed, fmt.Sprintf("%s with the upstream unreachable answered 502 %s", where, cut(body, 200)))
	}
	return nil
}

// upstreamErrors is CR-SSE-6: an unknown order (404) and an upstream answering 503.
func (c *run) upstreamErrors(ctx context.Context) error {
	unknown := "ord_certify_" + randomSuffix()
	id, err := c.openOrder(ctx)
	if err != nil {
		return err
	}
	op, unavailable := "subscribeOrder", http.StatusServiceUnavailable
	if err := c.mock.armFault(ctx, admingen.FaultRequest{Kind: admingen.SseHttpError, Status: &unavailable, Operation: &op, OrderId: &id}); err != nil {
		return err
	}
	c.progress("CR-SSE-6", "opening the route for an unknown order, and for order %s while the upstream answers 503", id)
	var evidence []string
	failed := false
	for _, tc := range []struct {
		id, what string
		want     int
	}{{unknown, "an unknown order", http.StatusNotFound}, {id, "an upstream answering 503", unavailable}} {
		status, ct, body, err := c.routeAnswer(ctx, tc.id)
		where := "GET " + routeURL(c.cfg.SSERoute, tc.id) + " for " + tc.what
		switch {
		case err != nil:
			failed = true
			evidence = append(evidence, fmt.Sprintf("%s: no answer (waited up to %s): %v", where, routeWait, err))
		case status != tc.want:
			failed = true
			evidence = append(evidence, fmt.Sprintf("%s answered %d %s %s; want %d, the upstream's status", where, status, ct, cut(body, 160), tc.want))
		default:
			evidence = append(evidence, fmt.Sprintf("%s answered %d", where, status))
		}
	}
	c.report.set("CR-SSE-6", map[bool]Status{true: Failed, false: Passed}[failed], evidence...)
	return nil
}

// browserLeaves is CR-SSE-7: the browser closes its stream of an order that stays open; the
// mock must see the route's upstream subscription end within 5 s.
func (c *run) browserLeaves(ctx context.Context) error {
	id, err := c.openOrder(ctx)
	if err != nil {
		return err
	}
	c.progress("CR-SSE-7", "opening the route for order %s (it stays open), then leaving", id)
	sctx, cancel := context.WithCancel(ctx)
	route, err := openTap(sctx, c.stream, routeURL(c.cfg.SSERoute, id), browserHeader())
	if err != nil {
		cancel()
		c.report.set("CR-SSE-7", Failed, fmt.Sprintf("GET %s: %v", routeURL(c.cfg.SSERoute, id), err))
		return nil
	}
	if route.resp.StatusCode != http.StatusOK {
		cancel()
		c.report.set("CR-SSE-7", Failed, fmt.Sprintf("the route answered %d, not a stream to leave", route.resp.StatusCode))
		return nil
	}
	route.waitFor(sctx, 3*time.Second, hasEvent("message"))
	left := time.Now()
	cancel()
	<-route.done
	c.progress("CR-SSE-7", "left at %s; waiting up to %s for the mock to see the upstream subscription end", clock(left), endWithin)
	// The mock journals a stream when it ends, so the entry's appearance (on certify's clock:
	// the mock may run on another machine) is when the route let go of the upstream.
	seen, err := c.theirSubscription(ctx, "/v5/orders/"+id+"/subscribe", endWithin+500*time.Millisecond)
	if err != nil {
		return err
	}
	if took := time.Since(left); len(seen) > 0 && took <= endWithin+100*time.Millisecond {
		c.report.set("CR-SSE-7", Passed, fmt.Sprintf("the mock saw the route's upstream subscription end within %s of the browser leaving", took.Round(100*time.Millisecond)))
		return nil
	}
	c.report.set("CR-SSE-7", Failed, fmt.Sprintf("the browser left the route for order %s at %s; %s later the mock still served the route's upstream subscription", id, clock(left), endWithin))
	return nil
}

// theirSubscription polls the journal for up to within until it holds a subscription at path
// that is not certify's own (the mock journals a stream when it ends).
func (c *run) theirSubscription(ctx context.Context, path string, within time.Duration) ([]admingen.JournalEntry, error) {
	deadline := time.Now().Add(within)
	for {
		entries, err := c.mock.journal(ctx, path)
		if err != nil {
			return nil, err
		}
		if seen := theirs(entries); len(seen) > 0 || time.Now().After(deadline) {
			return seen, nil
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// openOrder creates an order that the checks leave open; the run cancels it at the end, which
// also ends any upstream stream a route left behind.
func (c *run) openOrder(ctx context.Context) (string, error) {
	id, err := c.mock.createOrder(ctx)
	if err == nil {
		c.open = append(c.open, id)
	}
	return id, err
}

func (c *run) cancelOpenOrders(ctx context.Context) {
	for _, id := range c.open {
		_ = c.mock.transition(context.WithoutCancel(ctx), id, admingen.Cancel)
	}
}
