package cryptorefills

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"time"

	gen "github.com/cryptomock/cryptomock/gen/cryptorefills"
	"github.com/cryptomock/cryptomock/mockserver/internal/apierror"
	"github.com/cryptomock/cryptomock/mockserver/internal/clock"
	"github.com/cryptomock/cryptomock/mockserver/internal/events"
	"github.com/cryptomock/cryptomock/mockserver/internal/faults"
	"github.com/cryptomock/cryptomock/mockserver/internal/tenant"
)

// StreamConfig shapes the event streams.
type StreamConfig struct {
	Heartbeat     time.Duration // comment frames while idle (the partner's time)
	Retry         time.Duration // the `retry:` hint sent first
	MaxPerPartner int           // concurrent streams per partner; 0 = unlimited
}

func (c StreamConfig) withDefaults() StreamConfig {
	if c.Heartbeat <= 0 {
		c.Heartbeat = 15 * time.Second
	}
	if c.Retry <= 0 {
		c.Retry = 3 * time.Second
	}
	return c
}

// streamCounter counts open streams per partner.
type streamCounter struct {
	mu   sync.Mutex
	open map[string]int
}

func (c *streamCounter) acquire(partner string, limit int) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.open == nil {
		c.open = map[string]int{}
	}
	if limit > 0 && c.open[partner] >= limit {
		return false
	}
	c.open[partner]++
	return true
}

func (c *streamCounter) release(partner string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.open[partner]--; c.open[partner] <= 0 {
		delete(c.open, partner)
	}
}

// SubscribeOrder answers an order's event stream, or 404 (JSON) for an unknown order.
func (h *Handlers) SubscribeOrder(ctx context.Context, req gen.SubscribeOrderRequestObject) (gen.SubscribeOrderResponseObject, error) {
	partner := req.Params.XCrApplication
	if _, err := h.engine.Get(partner, req.OrderId); err != nil {
		return gen.SubscribeOrder404JSONResponse{NotFoundJSONResponse: gen.NotFoundJSONResponse(orderNotFound(req.OrderId))}, nil
	}
	var lastID uint64
	if req.Params.LastEventID != nil {
		lastID, _ = strconv.ParseUint(*req.Params.LastEventID, 10, 64) // unparsable: start afresh
	}
	fault, _ := h.faults.Match("cryptorefills", "subscribeOrder", partner, req.OrderId, faults.StreamKinds...)
	return &stream{h: h, ctx: ctx, partner: partner, orderID: req.OrderId, lastID: lastID, fault: fault}, nil
}

// stream writes Server-Sent Events. It implements gen.SubscribeOrderResponseObject, so the
// strict handler hands it the ResponseWriter and it streams until the order stops, the client
// leaves, or the server shuts down.
type stream struct {
	h       *Handlers
	ctx     context.Context
	partner string
	orderID string
	lastID  uint64
	fault   faults.Fault
	sent    int
}

func (s *stream) VisitSubscribeOrderResponse(w http.ResponseWriter) error {
	if s.fault.Kind == faults.SSEHTTPError {
		status := s.fault.Status
		if status == 0 {
			status = http.StatusServiceUnavailable
		}
		apierror.WriteJSON(w, status, apierror.NewCR(status, "STREAM_UNAVAILABLE", "injected fault: the stream could not be opened", map[string]any{"fault": s.fault.ID}))
		return nil
	}
	if !s.h.streams.acquire(s.partner, s.h.stream.MaxPerPartner) {
		apierror.WriteJSON(w, http.StatusTooManyRequests, apierror.NewCR(http.StatusTooManyRequests, apierror.TooMany,
			fmt.Sprintf("partner %s already has %d open streams", s.partner, s.h.stream.MaxPerPartner), nil))
		return nil
	}
	defer s.h.streams.release(s.partner)

	backlog, sub := s.h.broker.Subscribe(s.orderID, s.lastID)
	defer sub.Close()
	hdr := w.Header()
	hdr.Set("Content-Type", "text/event-stream")
	hdr.Set("Cache-Control", "no-cache, no-transform")
	hdr.Set("Connection", "keep-alive")
	hdr.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	if _, err := fmt.Fprintf(w, "retry: %d\n\n", s.h.stream.Retry.Milliseconds()); err != nil {
		return nil
	}
	if rc.Flush() != nil {
		return nil
	}
	if s.fault.AfterEvents == 0 && s.applyFault(w, rc, sub) {
		return nil
	}
	for _, ev := range backlog {
		if done := s.send(w, rc, ev, sub); done {
			return nil
		}
	}
	// Heartbeats follow the partner's clock: a clock task signals, and the stream arms the next
	// one after writing, so a jump of the clock sends one heartbeat, not one per interval.
	clk := s.h.clock.For(tenant.Partner(s.partner))
	beat := make(chan struct{}, 1)
	arm := func() clock.Task {
		return clk.After(s.h.stream.Heartbeat, func() {
			select {
			case beat <- struct{}{}:
			default:
			}
		})
	}
	next := arm()
	defer func() { next.Cancel() }()
	for {
		select {
		case ev, open := <-sub.C:
			if !open {
				return nil // terminal event already sent, too slow, or shutting down
			}
			if done := s.send(w, rc, ev, sub); done {
				return nil
			}
		case <-beat:
			if _, err := fmt.Fprint(w, ": heartbeat\n\n"); err != nil || rc.Flush() != nil {
				return nil
			}
			next = arm()
		case <-s.ctx.Done():
			return nil
		}
	}
}

// send writes one event; once after_events frames went out, it applies the armed fault. It
// reports whether the stream is over.
func (s *stream) send(w http.ResponseWriter, rc *http.ResponseController, ev events.Event, sub *events.Subscription) bool {
	if s.frame(w, rc, ev.ID, ev.Name, ev.Data()) {
		return true
	}
	s.sent++
	if ev.Name == "stop" {
		return true
	}
	return s.sent == s.fault.AfterEvents && s.applyFault(w, rc, sub)
}

// applyFault performs the armed stream fault once; it reports whether the stream is over.
func (s *stream) applyFault(w http.ResponseWriter, rc *http.ResponseController, sub *events.Subscription) bool {
	kind := s.fault.Kind
	s.fault.Kind = ""
	switch kind {
	case faults.SSEDrop:
		return true // end the response without `stop`: the client sees the stream break
	case faults.SSEStall:
		s.stall()
		return true
	case faults.SSEMalformed:
		return s.frame(w, rc, 0, "message", []byte(`{"order_id": "`+s.orderID+`", "order_state": `))
	case faults.SSEBadPayload:
		return s.frame(w, rc, 0, "message", []byte(`{"order_id":12345,"order_state":"Teleported","deliveries":"none"}`))
	}
	return false
}

// stall sends nothing, not even heartbeats, and never ends by itself: only the client giving
// up or the server stopping ends it (the order finishing does not).
func (s *stream) stall() {
	select {
	case <-s.ctx.Done():
	case <-s.h.broker.Done():
	}
}

// frame writes and flushes one event; it reports a write failure (client gone).
func (s *stream) frame(w http.ResponseWriter, rc *http.ResponseController, id uint64, name string, data []byte) bool {
	var err error
	if id > 0 {
		_, err = fmt.Fprintf(w, "id: %d\nevent: %s\ndata: %s\n\n", id, name, data)
	} else {
		_, err = fmt.Fprintf(w, "event: %s\ndata: %s\n\n", name, data)
	}
	return err != nil || rc.Flush() != nil
}
