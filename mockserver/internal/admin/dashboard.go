package admin

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	gen "github.com/cryptomock/cryptomock/gen/mockadmin"
	"github.com/cryptomock/cryptomock/mockserver/internal/feed"
	"github.com/cryptomock/cryptomock/mockserver/internal/journal"
	"github.com/cryptomock/cryptomock/mockserver/internal/tenant"
	"github.com/cryptomock/cryptomock/mockserver/internal/webhook"
)

// What the dashboard reads: tenants, timelines of orders and invoices, and the stream of the
// mock's own changes.

// timelineRequests bounds the journal entries a timeline carries.
const timelineRequests = 200

func journalEntry(e journal.Entry) gen.JournalEntry {
	je := gen.JournalEntry{Seq: e.Seq, Time: e.Time.UTC(), ReceivedAt: e.Received.UTC(), Method: e.Method, Path: e.Path, Status: e.Status,
		Partner: e.Partner, Headers: e.Headers.Map(), DurationMs: float64(e.Duration.Microseconds()) / 1000}
	je.Query, je.Operation = optional(e.Query), optional(e.Operation)
	je.RequestBody, je.ResponseBody, je.Refusal = optional(e.RequestBody), optional(e.ResponseBody), optional(e.Refusal)
	if e.Stream != nil {
		je.Stream = &gen.StreamSummary{Events: e.Stream.Events, Stop: e.Stream.Stop}
	}
	return je
}

// orderOf names the order a delivery is about: a Cryptorefills order id, or an invoice's.
func orderOf(m webhook.Meta) string {
	if m.Order != "" {
		return m.Order
	}
	return strconv.FormatInt(m.OrderID, 10)
}

func attempt(a webhook.Attempt) gen.DeliveryAttempt {
	order := orderOf(a.Meta)
	da := gen.DeliveryAttempt{Seq: a.Seq, DeliveryId: a.DeliveryID, Url: a.URL, Attempt: a.Attempt, Status: a.Status,
		LatencyMs: float64(a.Latency.Microseconds()) / 1000, Outcome: gen.DeliveryAttemptOutcome(a.Outcome), Time: a.At.UTC(),
		OrderId: order, OrderStatus: a.OrderStatus, Kind: gen.DeliveryAttemptKind(a.Kind), Error: optional(a.Error)}
	if !a.SentAt.IsZero() {
		da.SentAt = ptr(a.SentAt.UTC())
	}
	return da
}

func requestsAbout(j *journal.Journal, id string) []gen.JournalEntry {
	out := []gen.JournalEntry{}
	for _, e := range j.About(id, timelineRequests) {
		out = append(out, journalEntry(e))
	}
	return out
}

// retries lists the webhook retries scheduled for an order.
func (h *Handlers) retries(match func(webhook.Meta) bool) []gen.Scheduled {
	var out []gen.Scheduled
	for _, p := range h.d.Webhooks.PendingDeliveries() {
		if match(p.Meta) {
			out = append(out, gen.Scheduled{At: p.Due.UTC(), What: fmt.Sprintf("webhook %s retry %d to %s", p.ID, p.Attempts+1, p.URL)})
		}
	}
	return out
}

// GetCryptorefillsOrderTimeline answers an order with what happened to it.
func (h *Handlers) GetCryptorefillsOrderTimeline(_ context.Context, req gen.GetCryptorefillsOrderTimelineRequestObject) (gen.GetCryptorefillsOrderTimelineResponseObject, error) {
	o, err := h.d.Orders.Lookup(req.OrderId)
	if err != nil {
		return gen.GetCryptorefillsOrderTimeline404JSONResponse{NotFoundJSONResponse: gen.NotFoundJSONResponse(errBody("not_found", "%v", err))}, nil
	}
	out := gen.OrderTimeline{Order: h.d.RenderOrder(o), Summary: ptr(summary(o)), TenantTime: h.d.Orders.Now(o.Partner).UTC(),
		Frames: []gen.FrameRecord{}, Requests: requestsAbout(h.d.Journal, o.ID), Webhooks: []gen.DeliveryAttempt{}, Next: []gen.Scheduled{}}
	for _, ev := range h.d.Frames(o.ID) {
		out.Frames = append(out.Frames, gen.FrameRecord{Id: int64(ev.ID), Event: ev.Name, Data: string(ev.Data()), SentAt: ev.At.UTC(), Subscribers: ev.Subscribers})
	}
	for _, a := range h.d.Webhooks.LogWhere(func(a webhook.Attempt) bool { return a.Order == o.ID }, 100) {
		out.Webhooks = append(out.Webhooks, attempt(a))
	}
	for _, d := range h.d.Orders.Next(o.ID) {
		out.Next = append(out.Next, gen.Scheduled{At: d.At.UTC(), What: d.What})
	}
	out.Next = append(out.Next, h.retries(func(m webhook.Meta) bool { return m.Order == o.ID })...)
	return gen.GetCryptorefillsOrderTimeline200JSONResponse(out), nil
}

// GetPayscryptOrderTimeline answers an invoice with what happened to it.
func (h *Handlers) GetPayscryptOrderTimeline(_ context.Context, req gen.GetPayscryptOrderTimelineRequestObject) (gen.GetPayscryptOrderTimelineResponseObject, error) {
	id, ok := orderID(req.OrderId)
	if !ok {
		return gen.GetPayscryptOrderTimeline400JSONResponse{BadRequestJSONResponse: gen.BadRequestJSONResponse(errBody("bad_request", "an invoice id is a number, not %q", req.OrderId))}, nil
	}
	o, err := h.d.Invoices.Get(id)
	if err != nil {
		return gen.GetPayscryptOrderTimeline404JSONResponse{NotFoundJSONResponse: gen.NotFoundJSONResponse(errBody("not_found", "%v", err))}, nil
	}
	out := gen.InvoiceTimeline{Invoice: invoice(o), TenantTime: h.d.Invoices.Now(o.WalletID).UTC(), Requests: requestsAbout(h.d.Journal, req.OrderId),
		Webhooks: []gen.DeliveryAttempt{}, Next: []gen.Scheduled{}}
	for _, a := range h.d.Webhooks.LogWhere(func(a webhook.Attempt) bool { return a.Order == "" && a.OrderID == id }, 200) {
		out.Webhooks = append(out.Webhooks, attempt(a))
	}
	if o.Status == "PENDING" {
		out.Next = append(out.Next, gen.Scheduled{At: o.ExpiredAt.UTC(), What: "expires (EXPIRED) unless paid"})
	}
	out.Next = append(out.Next, h.retries(func(m webhook.Meta) bool { return m.Order == "" && m.OrderID == id })...)
	return gen.GetPayscryptOrderTimeline200JSONResponse(out), nil
}

// ListTenants answers every partner and merchant the mock knows: configured, seen in the
// journal, holding orders, owning a clock, or with problems or faults armed.
func (h *Handlers) ListTenants(context.Context, gen.ListTenantsRequestObject) (gen.ListTenantsResponseObject, error) {
	partners := map[string]*gen.Tenant{}
	partner := func(id string) *gen.Tenant {
		t, ok := partners[id]
		if !ok {
			name := tenant.Partner(id)
			t = &gen.Tenant{Tenant: name, Kind: gen.TenantKindPartner, Id: id, Clock: h.clock(name), Problems: []string{}, ByState: &map[string]int{}}
			partners[id] = t
		}
		return t
	}
	for p, by := range h.d.Orders.Counts() {
		t := partner(p)
		for state, n := range by {
			t.Orders += n
			(*t.ByState)[state] = n
		}
	}
	for _, p := range h.d.Journal.Partners("/v") {
		partner(p)
	}
	_, offsets := h.d.Clock.Offsets()
	for name := range offsets {
		if id, ok := strings.CutPrefix(name, tenant.Partner("")); ok {
			partner(id)
		}
	}
	for p, codes := range h.d.Faults.ArmedProblems() {
		partner(p).Problems = codes
	}
	faultsByKey := map[string]int{} // a merchant's faults name it by an api key
	for _, f := range h.d.Faults.List() {
		if f.Partner != "" {
			partner(f.Partner).Faults++
			faultsByKey[f.Partner]++
		}
	}
	out := gen.ListTenants200JSONResponse{Tenants: []gen.Tenant{}}
	for _, t := range partners {
		out.Tenants = append(out.Tenants, *t)
	}
	merchants, counts := h.d.Invoices.Merchants(), h.d.Invoices.Counts()
	for _, m := range merchants {
		name := tenant.Merchant(m.WalletID)
		by := counts[m.WalletID]
		if by == nil {
			by = map[string]int{}
		}
		n := 0
		for _, c := range by {
			n += c
		}
		t := gen.Tenant{Tenant: name, Kind: gen.TenantKindMerchant, Id: strconv.FormatInt(m.WalletID, 10),
			Name: optional(m.Name), Clock: h.clock(name), Orders: n, ByState: &by, Problems: []string{}, Webhooks: ptr(append([]string{}, m.Webhooks...))}
		for _, k := range m.APIKeys {
			t.Faults += faultsByKey[k]
		}
		if len(m.APIKeys) > 0 {
			t.Apikey = ptr(m.APIKeys[0])
		}
		out.Tenants = append(out.Tenants, t)
	}
	sort.Slice(out.Tenants, func(i, j int) bool { return out.Tenants[i].Tenant < out.Tenants[j].Tenant })
	return out, nil
}

// changeHeartbeat keeps the change stream open through proxies.
const changeHeartbeat = 15 * time.Second

// maxBatch bounds the changes written together.
const maxBatch = 256

// StreamChanges answers the change stream.
func (h *Handlers) StreamChanges(ctx context.Context, _ gen.StreamChangesRequestObject) (gen.StreamChangesResponseObject, error) {
	r, ok := h.d.Feed.Subscribe()
	if !ok {
		return gen.StreamChanges503JSONResponse(errBody("unavailable", "%d readers are following the changes already, the most the mock serves", feed.MaxReaders)), nil
	}
	return changeStream{r: r, ctx: ctx}, nil
}

type changeStream struct {
	r   *feed.Reader
	ctx context.Context
}

func (s changeStream) VisitStreamChangesResponse(w http.ResponseWriter) error {
	defer s.r.Close()
	rc := http.NewResponseController(w)
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache, no-transform")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	if _, err := fmt.Fprint(w, "retry: 2000\n\n"); err != nil || rc.Flush() != nil {
		return nil
	}
	beat := time.NewTicker(changeHeartbeat)
	defer beat.Stop()
	for {
		select {
		case b, ok := <-s.r.C:
			if !ok {
				return nil // the mock is stopping
			}
			// What has queued up goes out in one write; then resync if changes were dropped
			// (the reader's buffer was full): the page refetches, the stream stays open.
			var out []byte
			for n, more := 0, true; more; n++ {
				out = fmt.Appendf(out, "event: change\ndata: %s\n\n", b)
				more = false
				if n < maxBatch {
					select {
					case b, more = <-s.r.C:
					default:
					}
				}
			}
			if s.r.Lagged() {
				out = append(out, "event: resync\ndata: {}\n\n"...)
			}
			if _, err := w.Write(out); err != nil || rc.Flush() != nil {
				return nil
			}
		case <-beat.C:
			if _, err := fmt.Fprint(w, ": heartbeat\n\n"); err != nil || rc.Flush() != nil {
				return nil
			}
		case <-s.ctx.Done():
			return nil
		}
	}
}
