package contract_test

import (
	"context"
	"encoding/json"
	"net/http"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	admingen "github.com/cryptomock/cryptomock/gen/mockadmin"
	"github.com/cryptomock/cryptomock/openapi/conformance"
)

// follower follows an order's stream the way the documents' client hook does: a fresh
// connection each time, payloads checked before use (a frame that is not JSON or breaks the
// schema is skipped), `stop` ends it for good, any error or end of stream reconnects after a
// backoff. It also gives up on a stream silent for longer than idle (a stalled stream).
type follower struct {
	mu         sync.Mutex
	states     []string
	ids        []string
	skipped    int
	reconnects int
	stopped    chan struct{}
	first      chan struct{}
	firstOnce  sync.Once
}

const (
	backoff = 200 * time.Millisecond // the documents start at 1 s; shorter keeps the suite quick
	idle    = 2 * time.Second
)

func (e *env) follow(orderID, lastEventID string) *follower {
	f := &follower{stopped: make(chan struct{}), first: make(chan struct{})}
	ctx, cancel := context.WithCancel(e.ctx)
	DeferCleanup(cancel)
	go func() {
		defer GinkgoRecover()
		for attempt := 0; ctx.Err() == nil; attempt++ {
			if attempt > 0 {
				f.mu.Lock()
				f.reconnects++
				f.mu.Unlock()
				select {
				case <-time.After(backoff):
				case <-ctx.Done():
					return
				}
			}
			req, _ := http.NewRequestWithContext(ctx, "GET", tgt.CryptorefillsURL+"/v5/orders/"+orderID+"/subscribe", nil)
			e.crHeaders(req)
			req.Header.Set("Accept", "text/event-stream")
			if lastEventID != "" && attempt == 0 {
				req.Header.Set("Last-Event-ID", lastEventID)
			}
			resp, err := e.http.Do(req)
			if err != nil {
				continue
			}
			if resp.StatusCode != http.StatusOK {
				resp.Body.Close()
				continue
			}
			if f.read(ctx, e, resp) {
				close(f.stopped)
				return
			}
		}
	}()
	return f
}

// read consumes one connection; it reports whether `stop` arrived.
func (f *follower) read(ctx context.Context, e *env, resp *http.Response) bool {
	defer resp.Body.Close()
	frames := make(chan conformance.Frame)
	errs := make(chan error, 1)
	go func() {
		r := conformance.NewSSEReader(resp.Body)
		for {
			fr, err := r.Next()
			if err != nil {
				errs <- err
				return
			}
			select {
			case frames <- fr:
			case <-ctx.Done():
				return
			}
		}
	}()
	for {
		select {
		case fr := <-frames:
			if fr.Event == "" {
				continue // heartbeat or retry hint
			}
			if err := checker.CheckEvent("subscribeOrder", fr.Event, []byte(fr.Data)); err != nil {
				e.violation(err)
				f.mu.Lock()
				f.skipped++
				f.mu.Unlock()
				continue
			}
			if fr.Event == "stop" {
				return true
			}
			var o struct {
				OrderState string `json:"order_state"`
			}
			_ = json.Unmarshal([]byte(fr.Data), &o)
			f.mu.Lock()
			f.states = append(f.states, o.OrderState)
			f.ids = append(f.ids, fr.ID)
			f.mu.Unlock()
			f.firstOnce.Do(func() { close(f.first) })
		case <-errs:
			return false // ended without stop, or broke: reconnect either way
		case <-time.After(idle):
			return false // stalled: not even a heartbeat
		case <-ctx.Done():
			return false
		}
	}
}

func (f *follower) snapshot() ([]string, []string, int, int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.states...), append([]string(nil), f.ids...), f.skipped, f.reconnects
}

func waitClosed(ctx SpecContext, c chan struct{}, what string) {
	Eventually(c).WithContext(ctx).Should(BeClosed(), what)
}

var _ = Describe("Cryptorefills order stream", Label("cryptorefills", "sse"), func() {
	run("cr.sse.lifecycle", func(ctx SpecContext, e *env) {
		orderID := e.createOrder()
		f := e.follow(orderID, "")
		waitClosed(ctx, f.first, "the order on connect")
		e.crSteps(orderID, e.s.Setup.Steps)
		waitClosed(ctx, f.stopped, "stop")
		states, _, _, reconnects := f.snapshot()
		Expect(states).To(Equal(e.s.Expect.States), "message events in order")
		Expect(reconnects).To(BeZero(), "a healthy stream needs no reconnection")
	})

	run("cr.sse.resume", func(ctx SpecContext, e *env) {
		orderID := e.createOrder()
		e.crSteps(orderID, e.s.Setup.Steps)
		f := e.follow(orderID, e.s.Setup.LastEventID)
		Eventually(func() int { s, _, _, _ := f.snapshot(); return len(s) }).WithContext(ctx).Should(BeNumerically(">=", len(e.s.Expect.States)))
		states, ids, _, _ := f.snapshot()
		Expect(ids[0]).To(Equal(e.s.Expect.FirstID), "the first event after Last-Event-ID")
		Expect(states[:len(e.s.Expect.States)]).To(Equal(e.s.Expect.States))
	})

	run("cr.sse.unknown-order", func(_ SpecContext, e *env) {
		a := e.send(nil)
		e.expect(a)
		Expect(a.header.Get("Content-Type")).To(HavePrefix("application/json"), "a JSON error, not a stream")
	})

	for _, id := range ids("sse", "faults") {
		run(id, func(ctx SpecContext, e *env) {
			e.tolerate = true // the fault breaks the stream on purpose
			orderID := e.createOrder()
			fault := as[admingen.FaultRequest](e.s.Setup.Fault)
			fault.OrderId, fault.Partner = ptr(orderID), ptr(e.creds.Partner)
			resp, err := e.admin.ArmFaultWithResponse(ctx, fault)
			Expect(err).NotTo(HaveOccurred())
			Expect(resp.StatusCode()).To(Equal(201), "arm the fault: %s", resp.Body)
			f := e.follow(orderID, "")
			waitClosed(ctx, f.first, "the order, on the first or a later connection")
			e.crSteps(orderID, e.s.Setup.Steps)
			waitClosed(ctx, f.stopped, "stop, despite the fault")
			_, _, skipped, reconnects := f.snapshot()
			if e.s.Expect.Reconnects {
				Expect(reconnects).To(BeNumerically(">", 0), "a correct client had to reconnect")
			}
			if fault.Kind == admingen.SseMalformed || fault.Kind == admingen.SseBadPayload {
				Expect(skipped).To(Equal(1), "the broken frame is skipped, as the documents' safeParse does")
			}
			Expect(string(e.getOrder(orderID).OrderState)).To(Equal(e.s.Expect.Final))
		})
	}
})
