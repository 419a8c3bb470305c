package contract_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	admingen "github.com/cryptomock/cryptomock/gen/mockadmin"
	psgen "github.com/cryptomock/cryptomock/gen/payscrypt"
	"github.com/cryptomock/cryptomock/scenarios"
)

// createInvoice creates the scenario's set-up invoice through the generated client.
func (e *env) createInvoice() string {
	body, err := scenarios.FillBody(e.s.Setup.CreateInvoice, e.creds, nil)
	Expect(err).NotTo(HaveOccurred())
	if e.flavour == "grpc" {
		return e.createInvoiceGRPC(body)
	}
	resp, err := e.ps.CreatePaymentOrderWithBodyWithResponse(e.ctx, "application/json", strings.NewReader(string(body)))
	Expect(err).NotTo(HaveOccurred())
	Expect(resp.JSON200).NotTo(BeNil(), "create the set-up invoice: %d %s", resp.StatusCode(), resp.Body)
	return *resp.JSON200.Order.Id
}

func (e *env) publicOrder(id string) psgen.PublicOrder {
	resp, err := e.ps.GetPublicOrderWithResponse(e.ctx, psgen.GetPublicOrderRequest{Id: id})
	Expect(err).NotTo(HaveOccurred())
	Expect(resp.JSON200).NotTo(BeNil(), "get_public_order %s: %d %s", id, resp.StatusCode(), resp.Body)
	return resp.JSON200.Order
}

// status reads a public order's status; an absent status is PENDING (proto3 default).
func status(o psgen.PublicOrder) string {
	if o.Status == nil {
		return "PENDING"
	}
	return string(*o.Status)
}

func (e *env) psSteps(id string, steps []scenarios.Step) {
	for _, st := range steps {
		switch {
		case st.Pay != nil || st.Confirmations != nil:
			body := admingen.InvoicePaymentRequest{Confirmations: st.Confirmations}
			if st.Pay != nil && *st.Pay != "" {
				body.Value = st.Pay
			}
			resp, err := e.admin.PayPayscryptOrderWithResponse(e.ctx, id, body)
			Expect(err).NotTo(HaveOccurred())
			Expect(resp.StatusCode()).To(Equal(http.StatusOK), "pay: %s", resp.Body)
		case st.Cancel:
			resp, err := e.admin.CancelPayscryptOrderWithResponse(e.ctx, id)
			Expect(err).NotTo(HaveOccurred())
			Expect(resp.StatusCode()).To(Equal(http.StatusOK), "cancel: %s", resp.Body)
		case st.Replay != "":
			body := admingen.ReplayRequest{Mode: admingen.ReplayRequestMode(st.Replay)}
			if st.ReplayStatus != "" {
				body.Status = ptr(admingen.ReplayRequestStatus(st.ReplayStatus))
			}
			resp, err := e.admin.ReplayPayscryptWebhookWithResponse(e.ctx, id, body)
			Expect(err).NotTo(HaveOccurred())
			Expect(resp.StatusCode()).To(Equal(http.StatusAccepted), "replay: %s", resp.Body)
		case st.Advance > 0:
			e.advance(st.Advance)
		default:
			Fail(fmt.Sprintf("step %+v does not apply to an invoice", st))
		}
	}
}

// receiver is the suite's webhook receiver: a real HTTP server of the suite's own, written as
// the documents demand. It never trusts a webhook: it re-checks the order with
// get_public_order and records that answer.
type receiver struct {
	e        *env // the spec it belongs to: re-checks use its client
	mu       sync.Mutex
	got      []string // statuses the webhooks claimed, in arrival order
	verified string   // what get_public_order said last
	fail     int      // answer 500 to the first fail deliveries
}

// hooks routes webhooks to receivers by path: one server per process, one path per spec.
var hooks = struct {
	once sync.Once
	mu   sync.Mutex
	by   map[string]*receiver
	url  string
}{by: map[string]*receiver{}}

func hookServer() string {
	hooks.once.Do(func() {
		listen := tgt.WebhookListen
		if listen == "" {
			listen = "127.0.0.1:0"
		} else if host, port, err := net.SplitHostPort(listen); err == nil && GinkgoParallelProcess() > 1 {
			p, _ := strconv.Atoi(port) // one port per parallel process: P, P+1, ...
			listen = net.JoinHostPort(host, strconv.Itoa(p+GinkgoParallelProcess()-1))
		}
		ln, err := net.Listen("tcp", listen)
		Expect(err).NotTo(HaveOccurred(), "webhook receiver on %s", listen)
		hooks.url = "http://" + ln.Addr().String()
		if tgt.WebhookURL != "" {
			hooks.url = strings.TrimRight(tgt.WebhookURL, "/")
			if GinkgoParallelProcess() > 1 {
				_, port, _ := net.SplitHostPort(ln.Addr().String())
				hooks.url = hooks.url[:strings.LastIndex(hooks.url, ":")+1] + port
			}
		}
		go func() { _ = http.Serve(ln, http.HandlerFunc(routeHook)) }()
	})
	return hooks.url
}

func routeHook(w http.ResponseWriter, r *http.Request) {
	hooks.mu.Lock()
	rc := hooks.by[r.URL.Path]
	hooks.mu.Unlock()
	if rc == nil {
		w.WriteHeader(http.StatusNotFound)
		return
	}
	rc.handle(w, r)
}

func (rc *receiver) handle(w http.ResponseWriter, r *http.Request) {
	var hook struct{ ID, Status string }
	body, _ := io.ReadAll(r.Body)
	if json.Unmarshal(body, &hook) != nil {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	rc.mu.Lock()
	rc.got = append(rc.got, hook.Status)
	failing := len(rc.got) <= rc.fail
	rc.mu.Unlock()
	if failing {
		w.WriteHeader(http.StatusInternalServerError)
		return
	}
	// Trust only get_public_order (the documents' warning).
	resp, err := rc.e.ps.GetPublicOrderWithResponse(rc.e.ctx, psgen.GetPublicOrderRequest{Id: hook.ID})
	if err == nil && resp.JSON200 != nil {
		rc.mu.Lock()
		rc.verified = status(resp.JSON200.Order)
		rc.mu.Unlock()
	}
	w.WriteHeader(http.StatusOK)
}

func (e *env) receive(fail int) *receiver {
	rc := &receiver{e: e, fail: fail}
	path := "/hooks/" + randomID("")
	hooks.mu.Lock()
	hooks.by[path] = rc
	hooks.mu.Unlock()
	DeferCleanup(func() { hooks.mu.Lock(); delete(hooks.by, path); hooks.mu.Unlock() })
	resp, err := e.admin.AddPayscryptWebhookWithResponse(e.ctx, admingen.WebhookRequest{PgWalletId: e.creds.WalletID, Url: hookServer() + path})
	Expect(err).NotTo(HaveOccurred())
	Expect(resp.StatusCode()).To(Equal(http.StatusCreated), "add the webhook: %s", resp.Body)
	return rc
}

func (rc *receiver) snapshot() ([]string, string) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]string(nil), rc.got...), rc.verified
}

var _ = Describe("Payscrypt", Label("payscrypt"), func() {
	for _, id := range []string{"ps.invoices.create", "ps.invoices.v2-create", "ps.invoices.unknown", "ps.auth.missing-apikey", "ps.auth.invalid-apikey"} {
		bothFlavours(id, func(_ SpecContext, e *env) {
			e.expect(e.send(nil))
		})
	}

	for _, id := range []string{"ps.invoices.get-public", "ps.invoices.v2-get", "ps.invoices.v2-lookup"} {
		bothFlavours(id, func(_ SpecContext, e *env) {
			invoice := e.createInvoice()
			e.expect(e.send(scenarios.Vars{"invoice": invoice}))
		})
	}

	bothFlavours("ps.auth.invalidated-apikey", func(ctx SpecContext, e *env) {
		Expect(e.s.Setup.InvalidateKey).To(BeTrue(), "the scenario's set-up invalidates the key")
		resp, err := e.admin.InvalidatePayscryptAPIKeyWithResponse(ctx, e.creds.APIKey)
		Expect(err).NotTo(HaveOccurred())
		Expect(resp.StatusCode()).To(Equal(http.StatusOK))
		e.expect(e.send(nil))
	})

	for _, id := range ids("payscrypt", "lifecycle") {
		bothFlavours(id, func(ctx SpecContext, e *env) {
			invoice := e.createInvoice()
			e.psSteps(invoice, e.s.Setup.Steps)
			Eventually(func() string { return e.invoiceStatus(invoice) }).WithContext(ctx).Should(Equal(e.s.Expect.Final))
		})
	}

	for _, id := range ids("payscrypt", "webhooks") {
		bothFlavours(id, func(ctx SpecContext, e *env) {
			rc := e.receive(e.s.Setup.Webhook.FailFirst)
			invoice := e.createInvoice()
			for _, st := range e.s.Setup.Steps {
				e.psSteps(invoice, []scenarios.Step{st})
				if st.Cancel { // its webhook first, so that replays arrive after it
					Eventually(func() int { got, _ := rc.snapshot(); return len(got) }).WithContext(ctx).Should(BeNumerically(">=", 1))
				}
			}
			// Retries are due only once the clock moves past their wait: keep nudging it
			// while the receiver still expects deliveries (virtual time, no sleeping).
			Eventually(func(g Gomega) {
				got, _ := rc.snapshot()
				if e.s.NeedsCap(scenarios.Clock) && len(got) < len(e.s.Expect.Webhooks) {
					e.advance(60)
				}
				g.Expect(got).To(Equal(e.s.Expect.Webhooks))
			}).WithContext(ctx).Should(Succeed())
			Eventually(func() string { _, v := rc.snapshot(); return v }).WithContext(ctx).Should(Equal(e.s.Expect.Verified),
				"the receiver's re-check with get_public_order")
		})
	}
})
