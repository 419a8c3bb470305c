package contract_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	crgen "github.com/cryptomock/cryptomock/gen/cryptorefills"
	admingen "github.com/cryptomock/cryptomock/gen/mockadmin"
	psgen "github.com/cryptomock/cryptomock/gen/payscrypt"
	"github.com/cryptomock/cryptomock/openapi/conformance"
	"github.com/cryptomock/cryptomock/scenarios"
)

// env is what one spec works with: its own credentials (a fresh partner id and Payscrypt
// merchant on mock targets), generated clients whose exchanges are validated against the
// specs and recorded, and the scenario.
type env struct {
	ctx   context.Context
	s     scenarios.Scenario
	creds scenarios.Credentials
	http  *http.Client
	cr    *crgen.ClientWithResponses
	ps    *psgen.ClientWithResponses
	admin *admingen.ClientWithResponses

	mu         sync.Mutex
	transcript []string
	violations []string
	// tolerate marks specs whose target breaks the spec on purpose (a fault): violations are
	// recorded in the transcript but do not fail the spec.
	tolerate bool
	// flavour is "grpc" for a spec running its scenario over the gRPC flavour, "" for REST.
	flavour string
	grpc    *grpcSide
}

func randomID(prefix string) string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

func newEnv(ctx context.Context, s scenarios.Scenario) *env {
	e := &env{ctx: ctx, s: s, creds: scenarios.Credentials{Partner: tgt.Partner, Version: tgt.Version, APIKey: tgt.APIKey, WalletID: tgt.WalletID}}
	if tgt.ControlURL != "" {
		e.creds.Partner, e.creds.Version = randomID("contract-"), "1.0"
	}
	e.http = &http.Client{Transport: &recorder{e: e, next: &conformance.Transport{Checker: checker, Report: e.violation}}}
	var err error
	e.cr, err = crgen.NewClientWithResponses(tgt.CryptorefillsURL, crgen.WithHTTPClient(e.http))
	Expect(err).NotTo(HaveOccurred())
	e.ps, err = psgen.NewClientWithResponses(tgt.PayscryptURL, psgen.WithHTTPClient(e.http),
		psgen.WithRequestEditorFn(func(_ context.Context, r *http.Request) error {
			if r.URL.Path == "/apis/pg/create_order" && e.creds.APIKey != "" {
				r.Header.Set("apikey", e.creds.APIKey)
			}
			return nil
		}))
	Expect(err).NotTo(HaveOccurred())
	if tgt.ControlURL != "" {
		e.admin, err = admingen.NewClientWithResponses(tgt.ControlURL, admingen.WithHTTPClient(e.http),
			admingen.WithRequestEditorFn(func(_ context.Context, r *http.Request) error {
				if tgt.ControlToken != "" {
					r.Header.Set("Authorization", "Bearer "+tgt.ControlToken)
				}
				return nil
			}))
		Expect(err).NotTo(HaveOccurred())
		if s.API == "payscrypt" {
			resp, err := e.admin.CreatePayscryptMerchantWithResponse(ctx, admingen.MerchantRequest{Name: ptr(e.creds.Partner)})
			Expect(err).NotTo(HaveOccurred())
			Expect(resp.JSON201).NotTo(BeNil(), "create a merchant: %s", resp.Body)
			e.creds.APIKey, e.creds.WalletID = resp.JSON201.Apikey, resp.JSON201.PgWalletId
		}
	}
	DeferCleanup(func() {
		e.mu.Lock()
		defer e.mu.Unlock()
		// A passing run is quiet: the transcript is shown for failures only (violations a fault
		// provoked on purpose are tolerated, recorded, and not shown).
		if CurrentSpecReport().Failed() || (len(e.violations) > 0 && !e.tolerate) {
			AddReportEntry("transcript", strings.Join(e.transcript, "\n"))
		}
		if !e.tolerate {
			Expect(e.violations).To(BeEmpty(), "exchanges broke the specs (see the transcript)")
		}
	})
	return e
}

func ptr[T any](v T) *T { return &v }

func (e *env) violation(err error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if tgt.Name == "live" && errors.Is(err, conformance.ErrOpenEnum) {
		// The upstream may add states (x-open-enum): a client tolerates them, and so does a
		// live run, which reports the value instead of failing.
		e.transcript = append(e.transcript, "  TOLERATED (open enum): "+err.Error())
		AddReportEntry("a value the spec does not list yet (open enum), tolerated", err.Error())
		return
	}
	e.violations = append(e.violations, err.Error())
	e.transcript = append(e.transcript, "  SPEC VIOLATION: "+err.Error())
}

// crHeaders sets the partner headers every Cryptorefills call carries.
func (e *env) crHeaders(r *http.Request) {
	r.Header.Set("X-Cr-Application", e.creds.Partner)
	r.Header.Set("X-Cr-Version", e.creds.Version)
}

// recorder keeps a transcript of every exchange (bodies cut at 2 KB; streams not read).
type recorder struct {
	e    *env
	next http.RoundTripper
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	var reqBody []byte
	if req.Body != nil {
		reqBody, _ = io.ReadAll(req.Body)
		req.Body = io.NopCloser(bytes.NewReader(reqBody))
	}
	resp, err := r.next.RoundTrip(req)
	line := fmt.Sprintf("> %s %s %s", req.Method, req.URL, cut(reqBody))
	if err != nil {
		r.e.note(line + "\n< error: " + err.Error())
		return nil, err
	}
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		r.e.note(fmt.Sprintf("%s\n< %d (event stream)", line, resp.StatusCode))
		return resp, nil
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body = io.NopCloser(bytes.NewReader(body))
	r.e.note(fmt.Sprintf("%s\n< %d grpc-code=%q %s", line, resp.StatusCode, resp.Header.Get("grpc-code"), cut(body)))
	if !strings.HasPrefix(req.URL.Path, "/__mock/") && !strings.HasPrefix(req.URL.Path, "/apis/pg/") {
		r.e.seams(body) // Cryptorefills answers only
	}
	return resp, nil
}

// seams records, in the report, which shape the target sent where production varies
// (openapi/README.md, "Seams where production varies"): epoch fields as strings or numbers,
// range bounds as objects or strings. Run live, that tells which one the upstream uses now.
func (e *env) seams(body []byte) {
	var v any
	if json.Unmarshal(body, &v) != nil {
		return
	}
	seen := map[string]string{}
	var walk func(path string, v any)
	walk = func(path string, v any) {
		field := path[strings.LastIndex(path, ".")+1:]
		seam := ""
		switch {
		case field == "created_at" || field == "updated_at" || field == "payment_requested_at":
			seam = "epoch " + field
		case strings.HasSuffix(path, "face_value.amount.min") || strings.HasSuffix(path, "face_value.amount.max"):
			seam = "range bound " + field
		}
		switch x := v.(type) {
		case map[string]any:
			if seam != "" {
				seen[seam] = "object"
			}
			for k, c := range x {
				walk(path+"."+k, c)
			}
		case []any:
			for _, c := range x {
				walk(path, c)
			}
		case string:
			if seam != "" {
				seen[seam] = "string"
			}
		case float64:
			if seam != "" {
				seen[seam] = "number"
			}
		}
	}
	walk("", v)
	for field, shape := range seen {
		AddReportEntry("seam: "+field+" sent as "+shape, ReportEntryVisibilityNever)
	}
}

func (e *env) note(s string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.transcript = append(e.transcript, s)
}

func cut(b []byte) string {
	if len(b) > 2048 {
		return string(b[:2048]) + "…"
	}
	return string(b)
}

// answer is a response read whole.
type answer struct {
	status int
	header http.Header
	body   []byte
	json   map[string]any
}

// send runs the scenario's own request.
func (e *env) send(vars scenarios.Vars) answer {
	if e.flavour == "grpc" {
		return e.sendGRPC(vars)
	}
	req, err := e.s.NewRequest(e.ctx, tgt.BaseFor(e.s), e.creds, vars)
	Expect(err).NotTo(HaveOccurred())
	return e.do(req)
}

func (e *env) do(req *http.Request) answer {
	resp, err := e.http.Do(req)
	Expect(err).NotTo(HaveOccurred(), "%s %s: no answer", req.Method, req.URL)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	Expect(err).NotTo(HaveOccurred())
	a := answer{status: resp.StatusCode, header: resp.Header, body: body}
	_ = json.Unmarshal(body, &a.json)
	return a
}

// expect checks an answer against the scenario's expectations.
func (e *env) expect(a answer) {
	x := e.s.Expect
	switch {
	case x.Status == http.StatusCreated && e.s.Operation == "createOrder" && e.s.API == "cryptorefills":
		// The success status of creation is undocumented: 200 and 201 are both a creation.
		Expect(a.status).To(BeElementOf(http.StatusOK, http.StatusCreated), "status; body %s", cut(a.body))
	case x.Status != 0:
		Expect(a.status).To(Equal(x.Status), "status; body %s", cut(a.body))
	}
	for k, v := range x.Contains {
		Expect(a.json).To(HaveKey(k), "answer lacks %q: %s", k, cut(a.body))
		Expect(fmt.Sprint(a.json[k])).To(Equal(fmt.Sprint(v)), "%s", k)
	}
	if len(x.Problems) > 0 || x.NoProblems {
		var got []string
		if list, ok := a.json["problems"].([]any); ok {
			for _, p := range list {
				got = append(got, fmt.Sprint(p.(map[string]any)["problem"]))
			}
		}
		if x.NoProblems {
			Expect(a.json["problems"]).To(BeNil(), "problems must be null for a valid order")
		}
		for _, p := range x.Problems {
			Expect(got).To(ContainElement(p))
		}
	}
	if x.Detail != "" {
		Expect(a.json["detail"]).To(Equal(x.Detail))
	}
	if x.GRPCCode != "" {
		Expect(a.header.Get("grpc-code")).To(Equal(x.GRPCCode), "grpc-code header")
		if x.GRPCCode != "0" {
			Expect(a.header.Get("grpc-message")).NotTo(BeEmpty(), "grpc-message header")
		}
	}
	// Errors come in the API's own shape, never as a 5xx.
	Expect(a.status).To(BeNumerically("<", 500), "a 5xx: %s", cut(a.body))
	if a.status >= 400 && e.s.API == "cryptorefills" {
		Expect(a.json).To(HaveKeyWithValue("status", BeNumerically("==", a.status)), "HttpError.status")
		Expect(a.json).To(HaveKey("detail"))
	}
	if a.status >= 400 && e.s.API == "payscrypt" {
		Expect(a.header.Get("grpc-code")).NotTo(BeEmpty(), "Payscrypt errors carry grpc-code")
	}
}

// sendAs sends body to another operation of the scenario's API (the same credentials).
func (e *env) sendAs(operation string, body any) answer {
	s := scenarios.Scenario{ID: e.s.ID, API: e.s.API, Operation: operation, Request: scenarios.Request{Body: body}}
	req, err := s.NewRequest(e.ctx, tgt.Base(e.s.API), e.creds, nil)
	Expect(err).NotTo(HaveOccurred())
	return e.do(req)
}
