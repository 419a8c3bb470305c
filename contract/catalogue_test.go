package contract_test

import (
	. "github.com/onsi/ginkgo/v2"
)

var _ = Describe("Cryptorefills catalogue", Label("cryptorefills", "catalogue"), func() {
	for _, id := range ids("catalogue") {
		run(id, func(_ SpecContext, e *env) {
			e.expect(e.send(nil))
		})
	}
})
