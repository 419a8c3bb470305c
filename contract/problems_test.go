package contract_test

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	admingen "github.com/cryptomock/cryptomock/gen/mockadmin"
)

var _ = Describe("Cryptorefills problems", Label("cryptorefills", "problems"), func() {
	for _, id := range ids("problems") {
		if s := catalogue[id]; s.Operation != "validateOrder" || len(s.Setup.ArmProblems) > 0 {
			continue // the 404s live with their areas; the armed codes below
		}
		run(id, func(_ SpecContext, e *env) {
			e.expect(e.send(nil))
		})
	}

	run("cr.problems.armed", func(ctx SpecContext, e *env) {
		// One code at a time: each is reported alone by validation, then by creation (422).
		for _, code := range e.s.Setup.ArmProblems {
			resp, err := e.admin.ArmProblemsWithResponse(ctx, admingen.ArmProblemsRequest{Partner: e.creds.Partner, Problems: []string{code}, Count: ptr(2)})
			Expect(err).NotTo(HaveOccurred())
			Expect(resp.StatusCode()).To(Equal(201), "arm %s: %s", code, resp.Body)
			a := e.send(nil)
			Expect(a.status).To(Equal(200))
			Expect(a.json["problems"]).To(ConsistOf(HaveKeyWithValue("problem", code)), "validation with %s armed", code)
			created := e.sendAs("createOrder", e.s.Request.Body)
			Expect(created.status).To(Equal(422), "creation with %s armed: %s", code, created.body)
			Expect(created.json["problems"]).To(ContainElement(HaveKeyWithValue("problem", code)))
		}
	})
})

var _ = Describe("Bad requests", Label("bad-request"), func() {
	for _, id := range ids("bad-request") {
		run(id, func(_ SpecContext, e *env) {
			e.tolerate = true // these requests break the spec on purpose; the answers must not
			a := e.send(nil)
			e.expect(a)
			if e.s.API == "cryptorefills" {
				Expect(a.json).To(HaveKeyWithValue("moreDetails", HaveKey("reason")), "a reason a developer can act on")
			}
		})
	}
})
