package contract_test

import (
	"encoding/json"
	"fmt"
	"net/http"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	crgen "github.com/cryptomock/cryptomock/gen/cryptorefills"
	admingen "github.com/cryptomock/cryptomock/gen/mockadmin"
	"github.com/cryptomock/cryptomock/scenarios"
)

// as converts a catalogue body into a generated request type.
func as[T any](body any) T {
	var out T
	b, err := json.Marshal(body)
	Expect(err).NotTo(HaveOccurred())
	Expect(json.Unmarshal(b, &out)).To(Succeed())
	return out
}

// createOrder creates the scenario's set-up order through the generated client.
func (e *env) createOrder() string {
	resp, err := e.cr.CreateOrderWithResponse(e.ctx, &crgen.CreateOrderParams{XCrApplication: e.creds.Partner, XCrVersion: e.creds.Version},
		as[crgen.OrderRequest](e.s.Setup.CreateOrder))
	Expect(err).NotTo(HaveOccurred())
	created := resp.JSON201
	if created == nil {
		created = resp.JSON200 // the success status is undocumented: either is a creation
	}
	Expect(created).NotTo(BeNil(), "create the set-up order: %d %s", resp.StatusCode(), resp.Body)
	return created.OrderId
}

func (e *env) getOrder(id string) *crgen.Order {
	resp, err := e.cr.GetOrderWithResponse(e.ctx, id, &crgen.GetOrderParams{XCrApplication: e.creds.Partner, XCrVersion: e.creds.Version})
	Expect(err).NotTo(HaveOccurred())
	Expect(resp.JSON200).NotTo(BeNil(), "get order %s: %d %s", id, resp.StatusCode(), resp.Body)
	return resp.JSON200
}

// crSteps performs the set-up steps on a Cryptorefills order through the control API.
func (e *env) crSteps(orderID string, steps []scenarios.Step) {
	for _, st := range steps {
		switch {
		case st.Pay != nil:
			body := admingen.PaymentRequest{}
			if *st.Pay != "" {
				body.CoinAmount = st.Pay
			}
			resp, err := e.admin.PayCryptorefillsOrderWithResponse(e.ctx, orderID, body)
			Expect(err).NotTo(HaveOccurred())
			Expect(resp.StatusCode()).To(Equal(http.StatusOK), "pay: %s", resp.Body)
		case st.Advance > 0:
			e.advance(st.Advance)
		case st.Transition != "":
			resp, err := e.admin.TransitionCryptorefillsOrderWithResponse(e.ctx, orderID,
				admingen.TransitionRequest{Action: admingen.TransitionRequestAction(st.Transition)})
			Expect(err).NotTo(HaveOccurred())
			Expect(resp.StatusCode()).To(Equal(http.StatusOK), "%s: %s", st.Transition, resp.Body)
		default:
			Fail(fmt.Sprintf("step %+v does not apply to a Cryptorefills order", st))
		}
	}
}

// advance moves the clock of this spec's own tenant only (its fresh partner, or its fresh
// merchant for Payscrypt), so specs run in parallel on one mock and a developer's own orders
// on a shared mock never expire because the suite ran.
func (e *env) advance(seconds float64) {
	body := admingen.AdvanceRequest{Seconds: seconds}
	if e.s.API == "payscrypt" {
		body.PgWalletId = ptr(e.creds.WalletID)
	} else {
		body.Partner = ptr(e.creds.Partner)
	}
	resp, err := e.admin.AdvanceClockWithResponse(e.ctx, body)
	Expect(err).NotTo(HaveOccurred())
	Expect(resp.StatusCode()).To(Equal(http.StatusOK), "advance the clock: %s", resp.Body)
}

var _ = Describe("Cryptorefills orders", Label("cryptorefills", "orders"), func() {
	for _, id := range []string{"cr.orders.validate-documents", "cr.orders.create-documents", "cr.orders.unknown"} {
		run(id, func(_ SpecContext, e *env) {
			e.expect(e.send(nil))
		})
	}
	for _, id := range []string{"cr.orders.get", "cr.orders.qr"} {
		run(id, func(_ SpecContext, e *env) {
			orderID := e.createOrder()
			e.expect(e.send(scenarios.Vars{"orderId": orderID}))
		})
	}
	for _, id := range ids("orders", "lifecycle") {
		run(id, func(ctx SpecContext, e *env) {
			orderID := e.createOrder()
			e.crSteps(orderID, e.s.Setup.Steps)
			Eventually(func(g Gomega) {
				g.Expect(string(e.getOrder(orderID).OrderState)).To(Equal(e.s.Expect.Final))
			}).WithContext(ctx).Should(Succeed())
			raw, _ := json.Marshal(e.getOrder(orderID))
			var got map[string]any
			Expect(json.Unmarshal(raw, &got)).To(Succeed())
			for k, v := range e.s.Expect.Contains {
				Expect(fmt.Sprint(got[k])).To(Equal(fmt.Sprint(v)), "%s", k)
			}
		})
	}
})
