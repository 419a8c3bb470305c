// The contract suite: the scenarios of scenarios/ run against a target (see
// contract/internal/target and README, "Run the contract suite against your sandbox"), every
// exchange validated against the specs.
package contract_test

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"sort"
	"sync"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/cryptomock/cryptomock/contract/internal/target"
	"github.com/cryptomock/cryptomock/openapi"
	"github.com/cryptomock/cryptomock/openapi/conformance"
	"github.com/cryptomock/cryptomock/scenarios"
)

var (
	tgt     target.Target
	checker *conformance.Checker
	// The catalogue is loaded before the spec tree is built, since it shapes the tree.
	catalogue = mustLoad()

	coveredMu sync.Mutex
	covered   = map[string]bool{}
)

func mustLoad() map[string]scenarios.Scenario {
	list, err := scenarios.Load()
	if err != nil {
		panic(err)
	}
	m := map[string]scenarios.Scenario{}
	for _, s := range list {
		m[s.ID] = s
	}
	return m
}

// TestMain makes -h list the suite's environment variables before the flags.
func TestMain(m *testing.M) {
	flag.CommandLine.Usage = func() {
		w := flag.CommandLine.Output()
		fmt.Fprintf(w, "The contract suite: the scenarios of scenarios/ against a target, every exchange checked against the specs.\n\nEnvironment:\n")
		for _, v := range target.Variables {
			fmt.Fprintf(w, "  %-45s %s\n", v[0], v[1])
		}
		fmt.Fprintf(w, "\nMore: README.md, \"Run the contract suite against your sandbox\". Flags:\n")
		flag.PrintDefaults()
	}
	os.Exit(m.Run())
}

func TestContract(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "Contract suite")
	// Every scenario of the catalogue must be run by at least one spec (whatever this run's
	// label filter or target skipped: the tree holds every spec).
	var missing []string
	for id := range catalogue {
		if !covered[id] {
			missing = append(missing, id)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("scenarios run by no spec: %v", missing)
	}
}

var stopInproc func()

var _ = SynchronizedBeforeSuite(func() []byte {
	// Process 1 starts the in-process mock (when that is the target) for every process.
	t, err := target.FromEnv(os.Getenv, func() (string, error) {
		url, stop, err := target.StartInproc()
		stopInproc = stop
		return url, err
	})
	Expect(err).NotTo(HaveOccurred())
	if err := t.Reachable(context.Background()); err != nil {
		AbortSuite(err.Error()) // one line, at once, instead of a failure per spec
	}
	b, err := json.Marshal(t)
	Expect(err).NotTo(HaveOccurred())
	return b
}, func(b []byte) {
	Expect(json.Unmarshal(b, &tgt)).To(Succeed())
	var err error
	checker, err = conformance.New(openapi.Cryptorefills, openapi.Payscrypt, openapi.MockAdmin)
	Expect(err).NotTo(HaveOccurred())
	By("target " + tgt.Name + " at " + tgt.CryptorefillsURL)
	SetDefaultEventuallyTimeout(15 * time.Second)
	SetDefaultEventuallyPollingInterval(20 * time.Millisecond)
})

var _ = SynchronizedAfterSuite(func() {}, func() {
	if stopInproc != nil {
		stopInproc()
	}
})

// scenario returns a scenario of the catalogue and records that a spec runs it. An unknown id
// fails the building of the spec tree.
func scenario(id string) scenarios.Scenario {
	s, ok := catalogue[id]
	if !ok {
		panic("no scenario " + id + " in the catalogue")
	}
	coveredMu.Lock()
	covered[id] = true
	coveredMu.Unlock()
	return s
}

// ids returns the ids of the scenarios whose label set includes every label given, sorted.
func ids(labels ...string) []string {
	var out []string
	for id, s := range catalogue {
		has := 0
		for _, want := range labels {
			for _, l := range s.Labels {
				if l == want {
					has++
					break
				}
			}
		}
		if has == len(labels) {
			out = append(out, id)
		}
	}
	sort.Strings(out)
	return out
}

// run declares the spec of one scenario: labelled with the scenario's labels and needs,
// skipped (with the reason in the report) when the target cannot run it.
func run(id string, body func(ctx SpecContext, e *env)) { runAs(id, "", body) }

// runGRPC declares the same scenario over the gRPC flavour of its API.
func runGRPC(id string, body func(ctx SpecContext, e *env)) { runAs(id, "grpc", body) }

func runAs(id, flavour string, body func(ctx SpecContext, e *env)) {
	s := scenario(id)
	labels := append([]string{}, s.Labels...)
	text := s.ID + ": " + s.Summary
	if flavour != "" {
		labels = append(labels, flavour)
		text = s.ID + " [" + flavour + "]: " + s.Summary
	}
	for _, n := range s.Needs {
		labels = append(labels, "needs-"+string(n))
	}
	if s.Writes {
		labels = append(labels, "writes")
	}
	// No spec is Serial: a spec that jumps the clock moves only its own tenant's time.
	decorators := []any{Label(labels...), SpecTimeout(60 * time.Second)}
	It(text, append([]any{func(ctx SpecContext) {
		if why := tgt.Why(s); why != "" {
			Skip(why)
		}
		if flavour == "grpc" && tgt.GRPCAddr == "" {
			Skip("no gRPC address: set PAYSCRYPT_GRPC_ADDR (host:port of the gRPC endpoint) for a live run")
		}
		e := newEnv(ctx, s)
		e.flavour = flavour
		body(ctx, e)
	}}, decorators...)...)
}
