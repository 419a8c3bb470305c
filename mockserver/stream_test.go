package mockserver_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/cryptomock/cryptomock/mockserver"
	"github.com/cryptomock/cryptomock/openapi/conformance"
)

// sseClient is a real SSE client over HTTP whose every frame is validated against the spec.
type sseClient struct {
	t      testing.TB
	h      *harness
	resp   *http.Response
	reader *conformance.SSEReader
	frames chan frameOrErr
	cancel context.CancelFunc
}

type frameOrErr struct {
	f   conformance.Frame
	err error
}

func (h *harness) subscribe(orderID, lastEventID string) *sseClient {
	h.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", h.url+"/v5/orders/"+orderID+"/subscribe", nil)
	req.Header.Set("X-Cr-Application", h.partner)
	req.Header.Set("X-Cr-Version", "1.0")
	req.Header.Set("Accept", "text/event-stream")
	if lastEventID != "" {
		req.Header.Set("Last-Event-ID", lastEventID)
	}
	client := &http.Client{Transport: h.client.Transport} // no timeout: streams are long
	resp, err := client.Do(req)
	if err != nil {
		cancel()
		h.t.Fatal(err)
	}
	c := &sseClient{t: h.t, h: h, resp: resp, reader: conformance.NewSSEReader(resp.Body), frames: make(chan frameOrErr, 64), cancel: cancel}
	h.t.Cleanup(c.close)
	if resp.StatusCode == http.StatusOK {
		go func() {
			for {
				f, err := c.reader.Next()
				c.frames <- frameOrErr{f, err}
				if err != nil {
					return
				}
			}
		}()
	}
	return c
}

func (c *sseClient) close() {
	c.cancel()
	_ = c.resp.Body.Close()
}

// next returns the next event (skipping comments and the retry hint unless wanted).
func (c *sseClient) next(wantComments bool) (conformance.Frame, error) {
	c.t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case fe := <-c.frames:
			if fe.err != nil {
				return conformance.Frame{}, fe.err
			}
			if fe.f.Comment && !wantComments {
				continue
			}
			if fe.f.Event == "" && fe.f.Retry > 0 && !wantComments {
				continue
			}
			if fe.f.Event != "" {
				if err := c.h.check.CheckEvent("subscribeOrder", fe.f.Event, []byte(fe.f.Data)); err != nil {
					return fe.f, err
				}
			}
			return fe.f, nil
		case <-deadline:
			c.t.Fatal("no event within 10s")
		}
	}
}

// states reads events until the stream ends and returns "state" of each message and "stop".
func (c *sseClient) states() ([]string, error) {
	c.t.Helper()
	var out []string
	for {
		f, err := c.next(false)
		if err != nil {
			if errors.Is(err, io.EOF) {
				return out, nil
			}
			return out, err
		}
		if f.Event == "stop" {
			out = append(out, "stop")
			continue
		}
		out = append(out, decode[order](c.t, []byte(f.Data)).OrderState)
	}
}

func TestStreamFollowsTheWholeLifecycle(t *testing.T) {
	h := start(t)
	o := h.create(orderBody())
	s := h.subscribe(o.OrderID, "")
	if s.resp.StatusCode != 200 || s.resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("subscribe: %d %s", s.resp.StatusCode, s.resp.Header.Get("Content-Type"))
	}
	first, err := s.next(true)
	if err != nil || first.Retry != 3000 {
		t.Fatalf("first frame %+v %v, want the retry hint", first, err)
	}
	f, err := s.next(false)
	if err != nil || f.ID != "1" || decode[order](t, []byte(f.Data)).OrderState != "WaitingForPayment" {
		t.Fatalf("on connect: %+v %v", f, err)
	}
	h.pay(o.OrderID, "50")
	h.pay(o.OrderID, "")
	h.advance(10)
	got, err := s.states()
	if err != nil {
		t.Fatal(err)
	}
	want := "WaitingForPayment PaymentReceived WaitingForDelivery Done stop" // after the first, read above
	if strings.Join(got, " ") != want {
		t.Fatalf("stream: %v\nwant %s", got, want)
	}
	// A client that connects after the end gets the final order and stop, then the end.
	late, err := h.subscribe(o.OrderID, "").states()
	if err != nil || strings.Join(late, " ") != "Done stop" {
		t.Fatalf("late subscriber: %v %v", late, err)
	}
}

func TestStreamEventsArriveOneByOne(t *testing.T) {
	// Each change must reach the client while the stream is open, not when it ends: nothing
	// between the handler and the socket may buffer frames.
	h := start(t)
	o := h.create(orderBody())
	s := h.subscribe(o.OrderID, "")
	if f, _ := s.next(false); f.ID != "1" {
		t.Fatalf("first event %+v", f)
	}
	h.pay(o.OrderID, "1")
	f, err := s.next(false)
	if err != nil || decode[order](t, []byte(f.Data)).SentAmount != "1" {
		t.Fatalf("partial payment not streamed before the order ended: %+v %v", f, err)
	}
}

func TestStreamResumesWithLastEventID(t *testing.T) {
	h := start(t)
	o := h.create(orderBody())
	h.pay(o.OrderID, "10") // id 2
	h.pay(o.OrderID, "10") // id 3
	s := h.subscribe(o.OrderID, "1")
	var ids []string
	for i := 0; i < 2; i++ {
		f, err := s.next(false)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, f.ID)
	}
	if strings.Join(ids, ",") != "2,3" {
		t.Fatalf("resumed after 1: got ids %v, want 2,3", ids)
	}
}

func TestStreamHeartbeats(t *testing.T) {
	h := start(t, func(c *mockserver.Config) {
		c.Cryptorefills.Stream.Heartbeat = mockserver.Duration(50 * time.Millisecond)
	})
	o := h.create(orderBody())
	s := h.subscribe(o.OrderID, "")
	s.next(false)
	f, err := s.next(true)
	if err != nil || !f.Comment {
		t.Fatalf("want a heartbeat comment, got %+v %v", f, err)
	}
}

func TestStreamUnknownOrderIs404JSON(t *testing.T) {
	h := start(t)
	s := h.subscribe("no-such-order", "")
	if s.resp.StatusCode != 404 || !strings.HasPrefix(s.resp.Header.Get("Content-Type"), "application/json") {
		t.Fatalf("unknown order: %d %s", s.resp.StatusCode, s.resp.Header.Get("Content-Type"))
	}
	// Another partner's order is unknown too.
	o := h.create(orderBody())
	other := *h
	other.partner = "someone-else"
	if s := other.subscribe(o.OrderID, ""); s.resp.StatusCode != 404 {
		t.Fatalf("another partner's order: %d", s.resp.StatusCode)
	}
}

func TestStreamFaults(t *testing.T) {
	cases := []struct {
		name  string
		fault obj
		check func(t *testing.T, h *harness, s *sseClient, orderID string)
	}{
		{"drop after one event", obj{"kind": "sse_drop", "after_events": 1}, func(t *testing.T, h *harness, s *sseClient, _ string) {
			if _, err := s.next(false); err != nil {
				t.Fatal(err)
			}
			if _, err := s.next(false); !errors.Is(err, io.EOF) {
				t.Fatalf("want the stream to end without stop, got %v", err)
			}
		}},
		{"malformed frame", obj{"kind": "sse_malformed", "after_events": 1}, func(t *testing.T, h *harness, s *sseClient, _ string) {
			s.next(false)
			if _, err := s.next(false); err == nil || !strings.Contains(err.Error(), "not JSON") {
				t.Fatalf("want a frame that is not JSON, got %v", err)
			}
		}},
		{"payload breaking the schema", obj{"kind": "sse_bad_payload"}, func(t *testing.T, h *harness, s *sseClient, _ string) {
			if _, err := s.next(false); err == nil || !strings.Contains(err.Error(), "breaks its schema") {
				t.Fatalf("want a frame that breaks the schema, got %v", err)
			}
			if f, err := s.next(false); err != nil || f.ID != "1" {
				t.Fatalf("the real frame should follow: %+v %v", f, err)
			}
		}},
		{"stall", obj{"kind": "sse_stall", "after_events": 1}, func(t *testing.T, h *harness, s *sseClient, id string) {
			s.next(false)
			h.pay(id, "1") // a change the stalled stream must not deliver
			select {
			case fe := <-s.frames:
				t.Fatalf("stalled stream sent %+v", fe)
			case <-time.After(300 * time.Millisecond): // several heartbeat intervals
			}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := start(t, func(c *mockserver.Config) {
				c.Cryptorefills.Stream.Heartbeat = mockserver.Duration(50 * time.Millisecond)
			})
			o := h.create(orderBody())
			tc.fault["order_id"] = o.OrderID
			if status, b := h.admin("POST", "/__mock/faults", tc.fault); status != 201 {
				t.Fatalf("arm: %d %s", status, b)
			}
			s := h.subscribe(o.OrderID, "")
			tc.check(t, h, s, o.OrderID)
		})
	}
	t.Run("HTTP error instead of a stream", func(t *testing.T) {
		h := start(t)
		o := h.create(orderBody())
		h.admin("POST", "/__mock/faults", obj{"kind": "sse_http_error", "status": 502, "partner": h.partner})
		if s := h.subscribe(o.OrderID, ""); s.resp.StatusCode != 502 {
			t.Fatalf("status %d", s.resp.StatusCode)
		}
		if s := h.subscribe(o.OrderID, ""); s.resp.StatusCode != 200 {
			t.Fatalf("the fault (count 1) fired twice: %d", s.resp.StatusCode)
		}
	})
}

func TestStreamCapPerPartner(t *testing.T) {
	h := start(t, func(c *mockserver.Config) { c.Cryptorefills.Stream.MaxPerPartner = 1 })
	o := h.create(orderBody())
	first := h.subscribe(o.OrderID, "")
	first.next(false)
	if s := h.subscribe(o.OrderID, ""); s.resp.StatusCode != 429 {
		t.Fatalf("second stream: %d, want 429", s.resp.StatusCode)
	}
	// A client that leaves frees what it held: its slot is free again.
	first.close()
	deadline := time.Now().Add(5 * time.Second)
	for {
		s := h.subscribe(o.OrderID, "")
		if s.resp.StatusCode == 200 {
			break
		}
		s.close()
		if time.Now().After(deadline) {
			t.Fatal("the slot of a closed stream was never released")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestShutdownEndsStreams(t *testing.T) {
	h := start(t)
	o := h.create(orderBody())
	s := h.subscribe(o.OrderID, "")
	s.next(false)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := h.srv.Shutdown(ctx); err != nil {
		t.Fatalf("shutdown with an open stream: %v", err)
	}
	if _, err := s.next(false); !errors.Is(err, io.EOF) {
		t.Fatalf("stream after shutdown: %v", err)
	}
}

// The journal entry of a stream says what it sent and when it arrived (wall time), so certify
// can tell a stream that ended with stop from one the client left.
func TestJournalRecordsStreams(t *testing.T) {
	h := start(t)
	before := time.Now()
	done := h.create(orderBody())
	h.pay(done.OrderID, "")
	h.advance(10)
	if got, err := h.subscribe(done.OrderID, "").states(); err != nil || strings.Join(got, " ") != "Done stop" {
		t.Fatalf("stream: %v %v", got, err)
	}
	open := h.create(orderBody())
	s := h.subscribe(open.OrderID, "")
	if _, err := s.next(false); err != nil {
		t.Fatal(err)
	}
	s.close()
	type entry struct {
		ReceivedAt time.Time `json:"received_at"`
		Stream     *struct {
			Events int
			Stop   bool
		}
	}
	read := func(id string) []entry {
		_, b := h.admin("GET", "/__mock/journal?path=/v5/orders/"+id+"/subscribe", nil)
		return decode[struct{ Entries []entry }](t, b).Entries
	}
	waitUntil(t, "the left stream journaled", func() bool { return len(read(open.OrderID)) == 1 })
	if e := read(done.OrderID); len(e) != 1 || e[0].Stream == nil || !e[0].Stream.Stop || e[0].Stream.Events != 2 || e[0].ReceivedAt.Before(before) {
		t.Errorf("finished stream: %+v", e)
	}
	if e := read(open.OrderID); e[0].Stream == nil || e[0].Stream.Stop || e[0].Stream.Events != 1 {
		t.Errorf("stream the client left: %+v", e[0].Stream)
	}
}
