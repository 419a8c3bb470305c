package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cryptomock/cryptomock/cmd/certify/internal/certify"
	"github.com/cryptomock/cryptomock/mockserver"
	"github.com/cryptomock/cryptomock/mockserver/mocktest"
)

// Every test here runs certify's command line (run) against a real mock on loopback and a real
// partner app: the reference Node app of testdata/partner (correct, or broken one requirement
// at a time) and the scripted shop after "--".

func needNode(t *testing.T) string {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		if os.Getenv("CRYPTOMOCK_REQUIRE_CLIENTS") != "" {
			t.Fatal("node is required here (CRYPTOMOCK_REQUIRE_CLIENTS is set) but not on PATH")
		}
		t.Skip("node is not installed: the reference partner apps are Node programs")
	}
	return node
}

// startMock starts a mock of the test's own, so parallel certifications never see each
// other's traffic.
func startMock(t *testing.T, mutate ...func(*mockserver.Config)) string {
	t.Helper()
	srv := mocktest.Start(t, mutate...)
	return srv.URL()
}

// startApp starts the reference partner app, broken as asked, and returns its base URL.
func startApp(t *testing.T, node, mock, partner, broken string) string {
	t.Helper()
	cmd := exec.Command(node, "testdata/partner/app.js")
	cmd.Env = append(os.Environ(), "MOCK_URL="+mock, "PARTNER="+partner, "BROKEN="+broken, "PORT=0")
	stdin, _ := cmd.StdinPipe() // the app exits when it closes
	out, _ := cmd.StdoutPipe()
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stdin.Close(); _ = cmd.Process.Kill(); _ = cmd.Wait() })
	port := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if p, ok := strings.CutPrefix(sc.Text(), "listening "); ok {
				port <- p
			}
		}
	}()
	select {
	case p := <-port:
		return "http://127.0.0.1:" + p
	case <-time.After(20 * time.Second):
		t.Fatal("the reference app did not start")
	}
	return ""
}

// merchant creates a Payscrypt merchant of the test's own.
func merchant(t *testing.T, mock string) (int64, string) {
	t.Helper()
	resp, err := http.Post(mock+"/__mock/payscrypt/merchants", "application/json", strings.NewReader(`{"name":"certify test"}`))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m struct {
		PgWalletID int64  `json:"pg_wallet_id"`
		APIKey     string `json:"apikey"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&m); err != nil || resp.StatusCode != 201 {
		t.Fatalf("create a merchant: %d %v", resp.StatusCode, err)
	}
	return m.PgWalletID, m.APIKey
}

type report struct {
	Outcome string `json:"outcome"`
	Command *struct {
		ExitCode int `json:"exit_code"`
	} `json:"command"`
	Requirements []struct {
		ID       string   `json:"id"`
		Status   string   `json:"status"`
		Evidence []string `json:"evidence"`
		Enable   string   `json:"enable"`
	} `json:"requirements"`
}

func (r report) status() map[string]string {
	out := map[string]string{}
	for _, q := range r.Requirements {
		out[q.ID] = q.Status
	}
	return out
}

// certifyRun runs certify's command line and reads its JSON report.
func certifyRun(t *testing.T, args ...string) (int, report, string) {
	t.Helper()
	dir := t.TempDir()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), append([]string{"-report-dir", dir}, args...), &stdout, &stderr)
	var r report
	if b, err := os.ReadFile(filepath.Join(dir, "certification.json")); err == nil {
		if err := json.Unmarshal(b, &r); err != nil {
			t.Fatalf("certification.json: %v", err)
		}
	}
	return code, r, stderr.String()
}

var (
	active  = []string{"CR-SSE-1", "CR-SSE-2", "CR-SSE-3", "CR-SSE-4", "CR-SSE-5", "CR-SSE-6", "CR-SSE-7", "PS-WH-1", "PS-WH-2", "PS-WH-3", "PS-WH-4", "PS-WH-5"}
	passive = []string{"CR-API-1", "CR-API-2", "CR-API-3", "CR-API-4", "CR-API-5", "CR-API-6", "PS-API-1"}
)

// The correct reference app passes every requirement, active and passive, and the three
// reports say so.
func TestCertifiesTheCorrectApp(t *testing.T) {
	node := needNode(t)
	t.Parallel()
	mock := startMock(t)
	wallet, key := merchant(t, mock)
	app := startApp(t, node, mock, "reference-shop", "")
	dir := t.TempDir()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"-report-dir", dir, "-mock", mock, "-partner", "reference-shop",
		"-sse-route", app + "/api/orders/{orderId}/subscribe", "-webhook-url", app + "/webhooks/payscrypt",
		"-pg-wallet-id", fmt.Sprint(wallet), "-apikey", key, "--", node, "testdata/partner/shop.js", "good"}, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr.String())
	}
	b, _ := os.ReadFile(filepath.Join(dir, "certification.json"))
	var r report
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	for _, q := range r.Requirements {
		if q.Status != "passed" || len(q.Evidence) == 0 {
			t.Errorf("%s: %s %v", q.ID, q.Status, q.Evidence)
		}
	}
	if len(r.Requirements) != len(active)+len(passive) || r.Command == nil || r.Command.ExitCode != 0 || r.Outcome != "passed" {
		t.Errorf("report: %s", b)
	}
	var junit struct {
		Tests    int `xml:"tests,attr"`
		Failures int `xml:"failures,attr"`
		Cases    []struct {
			Name string `xml:"name,attr"`
		} `xml:"testcase"`
	}
	jb, _ := os.ReadFile(filepath.Join(dir, "certification-junit.xml"))
	if err := xml.Unmarshal(jb, &junit); err != nil || junit.Tests != len(r.Requirements) || junit.Failures != 0 || junit.Cases[0].Name != "CR-SSE-1" {
		t.Errorf("junit: %v %s", err, jb)
	}
	md, _ := os.ReadFile(filepath.Join(dir, "certification.md"))
	for _, want := range []string{"**PASSED**", "| CR-SSE-3 |", "section 9a", "sha256"} {
		if !bytes.Contains(md, []byte(want)) {
			t.Errorf("certification.md lacks %q:\n%s", want, md)
		}
	}
	// Progress names the requirement it works on.
	if !strings.Contains(stderr.String(), "CR-SSE-7") || !strings.Contains(stderr.String(), "waiting") {
		t.Errorf("no progress printed:\n%s", stderr.String())
	}
}

// together runs a subtest in its own goroutine, not bounded by -parallel (these mostly wait on
// wall-clock windows: 2 cores would run them two at a time). The parent waits for all of them.
func together(t *testing.T, wg *sync.WaitGroup, name string, f func(*testing.T)) {
	wg.Add(1)
	go func() {
		defer wg.Done()
		t.Run(name, f)
	}()
}

// Each broken variant of the reference app fails the requirement it breaks, with evidence;
// the groups not given are reported as not run.
func TestEachBrokenAppFailsItsRequirement(t *testing.T) {
	node := needNode(t)
	t.Parallel()
	var wg sync.WaitGroup
	defer wg.Wait()
	for _, tc := range []struct {
		broken, group string
		fails         []string
	}{
		{"bad-headers", "sse", []string{"CR-SSE-1"}},
		{"no-headers", "sse", []string{"CR-SSE-2"}},
		{"buffer", "sse", []string{"CR-SSE-3"}},
		{"drop-stop", "sse", []string{"CR-SSE-4"}},
		{"500-on-down", "sse", []string{"CR-SSE-5"}},
		{"flatten", "sse", []string{"CR-SSE-6"}},
		{"never-close", "sse", []string{"CR-SSE-7"}},
		{"webhook-500", "webhook", []string{"PS-WH-1"}},
		{"slow", "webhook", []string{"PS-WH-1"}},
		{"no-recheck", "webhook", []string{"PS-WH-2", "PS-WH-3", "PS-WH-4"}},
		{"forged-500", "webhook", []string{"PS-WH-3"}},
		{"unknown-500", "webhook", []string{"PS-WH-5"}},
	} {
		together(t, &wg, tc.broken, func(t *testing.T) {
			mock := startMock(t)
			partner := "shop-" + tc.broken
			app := startApp(t, node, mock, partner, tc.broken)
			args := []string{"-mock", mock, "-partner", partner}
			if tc.group == "sse" {
				args = append(args, "-sse-route", app+"/api/orders/{orderId}/subscribe")
			} else {
				wallet, key := merchant(t, mock)
				args = append(args, "-webhook-url", app+"/webhooks/payscrypt", "-pg-wallet-id", fmt.Sprint(wallet), "-apikey", key)
			}
			code, r, stderr := certifyRun(t, args...)
			if code != 1 {
				t.Fatalf("exit %d, want 1\n%s", code, stderr)
			}
			st := r.status()
			for _, id := range tc.fails {
				if st[id] != "failed" {
					t.Errorf("%s: %s, want failed", id, st[id])
				}
			}
			for _, q := range r.Requirements {
				if q.Status == "failed" && len(q.Evidence) == 0 {
					t.Errorf("%s failed without evidence", q.ID)
				}
				if slices.Contains(passive, q.ID) && (q.Status != "not_run" || q.Enable == "") {
					t.Errorf("%s: %s (enable %q), want not_run with the flags that enable it", q.ID, q.Status, q.Enable)
				}
			}
			// Only the broken requirement (and what follows from it) fails: the rest of the
			// group passes, so a check that fails everything cannot pass this test.
			for _, q := range r.Requirements {
				if q.Status == "failed" && !slices.Contains(tc.fails, q.ID) && !consequence(tc.broken, q.ID) {
					t.Errorf("%s failed too: %v", q.ID, q.Evidence)
				}
			}
		})
	}
}

// consequence lists failures that follow from a break: a route that drops the partner headers
// is refused by the strict mock, so nothing streams; a receiver that answers 500 or too late
// answers every kind of webhook that way.
func consequence(broken, id string) bool {
	return slices.Contains(map[string][]string{
		"no-headers":  {"CR-SSE-1", "CR-SSE-3", "CR-SSE-4", "CR-SSE-5", "CR-SSE-6", "CR-SSE-7"},
		"webhook-500": {"PS-WH-3", "PS-WH-4", "PS-WH-5"},
		"slow":        {"PS-WH-3", "PS-WH-4", "PS-WH-5"},
	}[broken], id)
}

// The passive checks judge the scripted shop's own traffic while it runs after "--".
func TestPassiveChecksJudgeThePartnersTraffic(t *testing.T) {
	node := needNode(t)
	t.Parallel()
	var wg sync.WaitGroup
	defer wg.Wait()
	for _, tc := range []struct {
		mode  string
		fails []string
	}{
		{"no-version", []string{"CR-API-1"}},
		{"skip-validation", []string{"CR-API-2"}},
		{"ignore-problems", []string{"CR-API-3"}},
		{"fast-poll", []string{"CR-API-4"}},
		{"placeholders", []string{"CR-API-5"}},
		{"fast-reconnect", []string{"CR-API-6"}},
		{"bad-invoice", []string{"PS-API-1"}},
		{"quiet", nil},
	} {
		together(t, &wg, tc.mode, func(t *testing.T) {
			mock := startMock(t)
			wallet, key := merchant(t, mock)
			code, r, stderr := certifyRun(t, "-mock", mock, "-partner", "shop-"+tc.mode, "-pg-wallet-id", fmt.Sprint(wallet), "-apikey", key,
				"--", node, "testdata/partner/shop.js", tc.mode)
			st := r.status()
			want := 1
			if len(tc.fails) == 0 {
				want = 0
			}
			if code != want {
				t.Fatalf("exit %d, want %d\n%s", code, want, stderr)
			}
			for _, id := range tc.fails {
				if st[id] != "failed" {
					t.Errorf("%s: %s, want failed", id, st[id])
				}
			}
			for _, id := range passive {
				if tc.mode == "quiet" && st[id] != "not_exercised" {
					t.Errorf("%s: %s, want not_exercised: the shop sent nothing", id, st[id])
				}
			}
			for _, id := range active {
				if st[id] != "not_run" {
					t.Errorf("%s: %s, want not_run", id, st[id])
				}
			}
			if r.Command == nil || r.Command.ExitCode != 0 {
				t.Errorf("the shop's command: %+v\n%s", r.Command, stderr)
			}
		})
	}
}

// Usage errors and an unreachable mock exit 2 with one clear line; -h exits 0.
func TestUsageAndUnreachableMock(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "nothing to certify"},
		{[]string{"-sse-route", "http://127.0.0.1:1/{orderId}"}, "needs -partner"},
		{[]string{"-partner", "p", "-sse-route", "http://127.0.0.1:1/no-placeholder"}, "{orderId}"},
		{[]string{"-webhook-url", "/relative"}, "absolute"},
		{[]string{"-observe", "1s", "node", "x.js"}, "put your command after --"},
		{[]string{"-mock", "http://127.0.0.1:1", "-observe", "1s"}, "mock unreachable"},
		{[]string{"-no-such-flag"}, "flag provided but not defined"},
	} {
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), append([]string{"-report-dir", t.TempDir()}, tc.args...), &stdout, &stderr)
		if code != 2 || !strings.Contains(stderr.String(), tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", tc.args, code, stderr.String(), tc.want)
		}
	}
	var stdout bytes.Buffer
	if code := run(context.Background(), []string{"-h"}, &stdout, io.Discard); code != 0 || !strings.Contains(stdout.String(), "-sse-route") {
		t.Errorf("-h: exit %d\n%s", code, stdout.String())
	}
	if len(certify.Requirements) != len(active)+len(passive) {
		t.Errorf("the tests know %d requirements, certify has %d", len(active)+len(passive), len(certify.Requirements))
	}
}

// A mock whose control API needs a token: without -control-token certify says so (exit 2);
// with it, it works.
func TestControlToken(t *testing.T) {
	t.Parallel()
	mock := startMock(t, func(c *mockserver.Config) { c.Control.Token = "certify-test-token" })
	code, _, stderr := certifyRun(t, "-mock", mock, "-observe", "50ms")
	if code != 2 || !strings.Contains(stderr, "-control-token") {
		t.Errorf("without the token: exit %d, %q", code, stderr)
	}
	code, r, stderr := certifyRun(t, "-mock", mock, "-control-token", "certify-test-token", "-partner", "p", "-observe", "50ms")
	if code != 0 || r.status()["CR-API-1"] != "not_exercised" {
		t.Errorf("with the token: exit %d %v\n%s", code, r.status(), stderr)
	}
}

// README's requirements table is the one in the code: every requirement, with its title.
func TestReadmeListsEveryRequirement(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range certify.Requirements {
		row := fmt.Sprintf("| `%s` | %s |", r.ID, strings.ReplaceAll(r.Title, "|", `\|`))
		if !bytes.Contains(b, []byte(row)) {
			t.Errorf("README lacks the row %q", row)
		}
	}
}
