// Command benchcompare measures the mock against its peers with one load tool and one set of
// settings: the mock (request validation on), Prism serving openapi/cryptorefills.yaml, and a
// bare net/http handler answering the mock's own response bytes. It also measures start-up
// (exec to the first 200 from /__mock/health) and, with -soak, the mock's memory over a long
// run. It prints Markdown for BENCHMARKS.md. `make bench-compare` installs wrk and Prism first.
//
//	go run ./cmd/benchcompare -mock bin/mockserver -prism .cache/prism/node_modules/.bin/prism
package main

import (
	"bufio"
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// endpoint is one request under load. A body naming EMAIL gets a distinct end-user email per
// request (so no spending limit changes the answer of an order creation).
type endpoint struct {
	name, method, path, body string
}

type result struct {
	rps      float64
	p50, p99 string
	statuses string // the status mix of the run, e.g. "201 100%"
}

// answer is what the bare handler serves for an endpoint: the mock's own status and bytes.
type answer struct {
	status int
	body   []byte
}

func main() {
	mockBin := flag.String("mock", "bin/mockserver", "the mock binary")
	prism := flag.String("prism", "", "the prism binary (empty: skip Prism)")
	spec := flag.String("spec", "openapi/cryptorefills.yaml", "the spec Prism serves")
	wrkBin := flag.String("wrk", "wrk", "the wrk binary")
	duration := flag.Duration("duration", 10*time.Second, "load per endpoint and target")
	threads := flag.Int("threads", 2, "wrk threads")
	conns := flag.Int("connections", 32, "wrk connections")
	rounds := flag.Int("rounds", 3, "runs of each endpoint on each target, the targets' order turned each round; the median is reported")
	soak := flag.Duration("soak", 0, "also run a soak of this length against the mock, sampling its memory")
	hostile := flag.Duration("hostile-soak", 0, "then a soak of hostile traffic of this length (junk parameters, random partners, creations past every cap)")
	busy := flag.String("busy", "", "comma-separated durations, e.g. 10us,20us: also a bare handler that first works busily that long per request, to show what a given cost per request does to the ratio on this machine")
	flag.Parse()
	if *rounds < 1 {
		fmt.Fprintln(os.Stderr, "benchcompare: -rounds must be at least 1")
		os.Exit(2)
	}
	busies, err := parseBusy(*busy)
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchcompare: -busy:", err)
		os.Exit(2)
	}
	if err := run(*mockBin, *prism, *spec, *wrkBin, *duration, *threads, *conns, *rounds, busies, *soak, *hostile); err != nil {
		fmt.Fprintln(os.Stderr, "benchcompare:", err)
		os.Exit(1)
	}
}

// bareHandler answers the mock's very status and bytes, by method and path, after busy
// (when not zero) of work on the CPU: a stand-in for a server whose own work per request
// costs that much, which shows how steeply a cost per request lowers the ratio to the bare
// handler on the machine at hand (the kernel's share of each answer grows too, as the
// client, waiting longer, must be woken more often).
func bareHandler(answers map[string]answer, busy time.Duration) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for start := time.Now(); time.Since(start) < busy; {
		}
		a, ok := answers[r.Method+" "+r.URL.Path]
		if !ok {
			a.status = http.StatusOK // waitUp's probe
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(a.status)
		_, _ = w.Write(a.body)
	})
}

// serveBare starts a bare handler on a free loopback port and returns its URL once it answers.
func serveBare(answers map[string]answer, busy time.Duration) (string, func(), error) {
	addr := freeAddr()
	srv := &http.Server{Addr: addr, Handler: bareHandler(answers, busy)}
	go func() { _ = srv.ListenAndServe() }()
	url := "http://" + addr
	if _, err := waitUp(url+"/", 5*time.Second); err != nil {
		_ = srv.Close()
		return "", nil, err
	}
	return url, func() { _ = srv.Close() }, nil
}

// parseBusy reads -busy: durations between 0 (exclusive) and one second.
func parseBusy(list string) ([]time.Duration, error) {
	var out []time.Duration
	for _, f := range strings.Split(list, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		d, err := time.ParseDuration(f)
		if err != nil || d <= 0 || d > time.Second {
			return nil, fmt.Errorf("%q is not a duration between 0 and 1s", f)
		}
		out = append(out, d)
	}
	return out, nil
}

func freeAddr() string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func waitUp(url string, limit time.Duration) (time.Duration, error) {
	start := time.Now()
	for time.Since(start) < limit {
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode < 500 {
				return time.Since(start), nil
			}
		}
		time.Sleep(2 * time.Millisecond)
	}
	return 0, fmt.Errorf("%s not up within %v", url, limit)
}

func headers() map[string]string {
	return map[string]string{"X-Cr-Application": "bench", "X-Cr-Version": "1.0", "Content-Type": "application/json"}
}

func fetch(base string, e endpoint) ([]byte, string, error) {
	b, _, ct, err := fetchStatus(base, e)
	return b, ct, err
}

func fetchStatus(base string, e endpoint) ([]byte, int, string, error) {
	body := strings.ReplaceAll(e.body, "EMAIL", fmt.Sprintf("sample-%d@example.com", time.Now().UnixNano()))
	req, _ := http.NewRequest(e.method, base+e.path, strings.NewReader(body))
	for k, v := range headers() {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if resp.StatusCode/100 != 2 {
		return nil, 0, "", fmt.Errorf("%s %s: %d %s", e.method, e.path, resp.StatusCode, b)
	}
	return b, resp.StatusCode, resp.Header.Get("Content-Type"), err
}

func run(mockBin, prism, spec, wrkBin string, duration time.Duration, threads, conns, rounds int, busies []time.Duration, soak, hostile time.Duration) error {
	// Start-up: exec to the first 200 from health, five times.
	var startups []time.Duration
	for i := 0; i < 5; i++ {
		addr := freeAddr()
		cmd := exec.Command(mockBin, "-addr", addr, "-log-level", "error")
		start := time.Now()
		if err := cmd.Start(); err != nil {
			return err
		}
		if _, err := waitUp("http://"+addr+"/__mock/health", 5*time.Second); err != nil {
			_ = cmd.Process.Kill()
			return err
		}
		startups = append(startups, time.Since(start))
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	}

	mockAddr := freeAddr()
	mock := exec.Command(mockBin, "-addr", mockAddr, "-log-level", "error")
	if err := mock.Start(); err != nil {
		return err
	}
	defer func() { _ = mock.Process.Kill(); _ = mock.Wait() }()
	mockURL := "http://" + mockAddr
	if _, err := waitUp(mockURL+"/__mock/health", 5*time.Second); err != nil {
		return err
	}
	order, _, err := fetch(mockURL, endpoint{method: "POST", path: "/v5/orders",
		body: `{"user":{"email":"bench@example.com"},"payment":{"type":"via","payment_via":"USER_WALLET","coin":"USDC","network":"Solana"},"deliveries":[{"brand_name":"Airbnb","country_code":"US","denomination":"100"}]}`})
	if err != nil {
		return err
	}
	var created struct {
		OrderID string `json:"order_id"`
	}
	_ = json.Unmarshal(order, &created)
	endpoints := []endpoint{
		{"catalogue GET (`/v2/brands`)", "GET", "/v2/brands?country_code=US", ""},
		{"price GET (`/v4/products/price`)", "GET", "/v4/products/price?brand_name=Airbnb&country_code=US&face_value=100&coin=USDC", ""},
		{"validation POST (`/v5/orders/validations`)", "POST", "/v5/orders/validations",
			`{"email":"jane@example.com","payment":{"type":"via","payment_via":"USER_WALLET","coin":"USDC"},"deliveries":[{"beneficiary_account":"jane@example.com","brand_name":"Airbnb","country_code":"US","denomination":"100 USD","localized_denomination":"$100"}],"lang":"en"}`},
		{"order GET (`/v5/orders/{id}`)", "GET", "/v5/orders/" + created.OrderID, ""},
		// The documents' creation body, a distinct end user per request.
		{"order creation POST (`/v5/orders`)", "POST", "/v5/orders",
			`{"email":"EMAIL","payment":{"type":"via","payment_via":"USER_WALLET","coin":"USDC","network":"Solana"},"deliveries":[{"beneficiary_account":"EMAIL","brand_name":"Airbnb","country_code":"US","denomination":"100 USD","localized_denomination":"$100"}],"lang":"en"}`},
	}

	// The bare handler: the mock's very status and bytes, by method and path.
	answers := map[string]answer{}
	for _, e := range endpoints {
		b, status, _, err := fetchStatus(mockURL, e)
		if err != nil {
			return err
		}
		answers[e.method+" "+strings.SplitN(e.path, "?", 2)[0]] = answer{status, b}
	}
	bareURL, stop, err := serveBare(answers, 0)
	if err != nil {
		return err
	}
	defer stop()

	targets := []struct{ name, url string }{{"cryptomock", mockURL}, {"bare handler", bareURL}}
	for _, d := range busies {
		u, stop, err := serveBare(answers, d)
		if err != nil {
			return err
		}
		defer stop()
		targets = append(targets, struct{ name, url string }{fmt.Sprintf("bare handler + %s busy", d), u})
	}
	if prism != "" {
		prismAddr := freeAddr()
		host, port, _ := net.SplitHostPort(prismAddr)
		p := exec.Command(prism, "mock", spec, "-h", host, "-p", port)
		p.Stdout, p.Stderr = io.Discard, io.Discard
		if err := p.Start(); err != nil {
			return err
		}
		defer func() { _ = p.Process.Kill(); _ = p.Wait() }()
		if _, err := waitUp("http://"+prismAddr+"/v3/payment_vias", 60*time.Second); err != nil {
			return fmt.Errorf("prism: %w", err)
		}
		targets = append(targets, struct{ name, url string }{"Prism", "http://" + prismAddr})
	}

	dir, err := os.MkdirTemp("", "benchcompare")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	// Each endpoint runs rounds times on every target, the targets' order turned by one each
	// round, so a machine that slows down or speeds up during the run weighs on every target
	// alike; each target's median round is reported, with every round's rate and status mix.
	runs := map[string]map[string][]result{}
	for _, e := range endpoints {
		runs[e.name] = map[string][]result{}
		for round := range rounds {
			for i := range targets {
				t := targets[(i+round)%len(targets)]
				r, err := wrk(wrkBin, dir, t.url, e, duration, threads, conns)
				if err != nil {
					return fmt.Errorf("%s on %s: %w", e.name, t.name, err)
				}
				runs[e.name][t.name] = append(runs[e.name][t.name], r)
			}
		}
	}

	fmt.Printf("Measured %s with `wrk -t%d -c%d -d%s --latency`, the same requests and headers for every target; "+
		"%d rounds, the targets' order turned each round, the median round reported (every round's requests/s and statuses listed).\n\n",
		time.Now().UTC().Format("2006-01-02"), threads, conns, duration, rounds)
	fmt.Println("| endpoint | target | requests/s | p50 | p99 | statuses | vs bare handler | vs Prism | rounds |")
	fmt.Println("|---|---|---|---|---|---|---|---|---|")
	for _, e := range endpoints {
		med := map[string]result{}
		for _, t := range targets {
			med[t.name] = median(runs[e.name][t.name])
		}
		for _, t := range targets {
			x := med[t.name]
			vsBare := fmt.Sprintf("%.2fx", x.rps/med["bare handler"].rps)
			vsPrism := "—"
			if p, ok := med["Prism"]; ok && p.rps > 0 {
				vsPrism = fmt.Sprintf("%.1fx", x.rps/p.rps)
			}
			var each []string
			for _, r := range runs[e.name][t.name] {
				each = append(each, fmt.Sprintf("%.0f (%s)", r.rps, r.statuses))
			}
			fmt.Printf("| %s | %s | %.0f | %s | %s | %s | %s | %s | %s |\n", e.name, t.name, x.rps, x.p50, x.p99, x.statuses, vsBare, vsPrism,
				strings.Join(each, ", "))
		}
	}
	fmt.Printf("\nStart-up, exec to the first 200 from /__mock/health (5 runs): %v\n", startups)

	if soak > 0 {
		if err := soakRun(wrkBin, dir, mockURL, mock.Process.Pid, endpoints, soak, threads, conns); err != nil {
			return err
		}
	}
	if hostile > 0 {
		return hostileSoak(wrkBin, dir, mockURL, mock.Process.Pid, hostile, threads, conns)
	}
	return nil
}

// hostileLua makes every request different, as an attacker or a buggy client would: junk
// query parameters of 4 to 60 KB, a random partner on each request, order creations with a
// fresh email each (so every one is stored, past the global cap), Payscrypt invoices with the
// default key, and validations of random partners.
const hostileLua = `
local n = 0
local junk = string.rep("j", 61440)
local order = '{"email":"u%d@example.com","payment":{"type":"via","payment_via":"USER_WALLET","coin":"USDC","network":"Solana"},"deliveries":[{"beneficiary_account":"u%d@example.com","brand_name":"Airbnb","country_code":"US","denomination":"100 USD"}],"lang":"en"}'
local invoice = '{"merchant_order_id":"m%d","asset_name":"ETH","target_value":"1500000000000000000","pg_wallet_id":1,"description":"%s"}'
request = function()
  n = n + 1
  local partner = "p" .. math.random(1, 1000000000)
  local h = {["X-Cr-Application"] = partner, ["X-Cr-Version"] = "1.0", ["Content-Type"] = "application/json"}
  local k = n % 4
  if k == 0 then
    return wrk.format("GET", "/v3/currencies?junk" .. n .. "=" .. string.sub(junk, 1, math.random(4096, 61440)), h)
  elseif k == 1 then
    return wrk.format("POST", "/v5/orders", h, string.format(order, n, n))
  elseif k == 2 then
    h["apikey"] = "test-apikey"
    return wrk.format("POST", "/apis/pg/create_order", h, string.format(invoice, n, string.rep("d", math.random(1, 1000))))
  end
  return wrk.format("POST", "/v5/orders/validations", h, string.format(order, n, n))
end
`

// hostileSoak runs hostileLua against the mock in slices, sampling its resident memory: it
// must stay flat, under the documented 256 MB, whatever the traffic.
func hostileSoak(bin, dir, base string, pid int, total time.Duration, threads, conns int) error {
	script := filepath.Join(dir, "hostile.lua")
	if err := os.WriteFile(script, []byte(hostileLua), 0o600); err != nil {
		return err
	}
	fmt.Printf("\nHostile soak: %v of junk 4-60 KB query parameters, random partners, creations past every cap; resident memory every slice:\n\n", total)
	fmt.Println("| minute | VmRSS | requests/s in the slice | answers not 2xx |")
	fmt.Println("|---|---|---|---|")
	non2xx := regexp.MustCompile(`Non-2xx or 3xx responses: (\d+)`)
	return inSlices(total, func(_ int, slice time.Duration, minute float64) error {
		out, err := exec.Command(bin, fmt.Sprintf("-t%d", threads), fmt.Sprintf("-c%d", conns), fmt.Sprintf("-d%s", slice),
			"-s", script, base).CombinedOutput()
		if err != nil {
			return fmt.Errorf("wrk: %v: %s", err, out)
		}
		m := rpsRE.FindSubmatch(out)
		if m == nil {
			return errors.New("cannot read wrk's output:\n" + string(out))
		}
		bad := "0"
		if b := non2xx.FindSubmatch(out); b != nil {
			bad = string(b[1])
		}
		fmt.Printf("| %.1f | %s | %s | %s |\n", minute, rss(pid), m[1], bad)
		return nil
	})
}

// inSlices runs a soak of total length as 30-second slices (one, when shorter), handing each its
// number, its length and the minute it ends at.
func inSlices(total time.Duration, each func(i int, slice time.Duration, minute float64) error) error {
	slice := min(30*time.Second, total)
	for elapsed, i := time.Duration(0), 0; elapsed < total; elapsed, i = elapsed+slice, i+1 {
		if err := each(i, slice, (elapsed + slice).Minutes()); err != nil {
			return err
		}
	}
	return nil
}

var (
	rpsRE = regexp.MustCompile(`Requests/sec:\s+([0-9.]+)`)
	p50RE = regexp.MustCompile(`\n\s+50%\s+(\S+)`)
	p99RE = regexp.MustCompile(`\n\s+99%\s+(\S+)`)
)

// statusLua counts the answers' statuses in every wrk thread and prints the mix at the end,
// so a run that answered errors cannot pass for a fast one. A body naming EMAIL gets a
// distinct email per request.
const statusLua = `
local threads = {}
function setup(thread)
  table.insert(threads, thread)
  thread:set("tid", #threads)
end
function init(args)
  statuses, n = {}, 0
end
function request()
  if not string.find(wrk.body or "", "EMAIL", 1, true) then
    return wrk.format()
  end
  n = n + 1
  return wrk.format(nil, nil, nil, string.gsub(wrk.body, "EMAIL", "bench-" .. tid .. "-" .. n .. "@example.com"))
end
function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end
function done(summary, latency, requests)
  local total = {}
  for _, t in ipairs(threads) do
    for k, v in pairs(t:get("statuses")) do total[k] = (total[k] or 0) + v end
  end
  for k, v in pairs(total) do io.write(string.format("status %d %d\n", k, v)) end
end
`

func wrk(bin, dir, base string, e endpoint, d time.Duration, threads, conns int) (result, error) {
	var lua bytes.Buffer
	fmt.Fprintf(&lua, "wrk.method = %q\n", e.method)
	if e.body != "" {
		fmt.Fprintf(&lua, "wrk.body = %q\n", e.body)
	}
	for k, v := range headers() {
		fmt.Fprintf(&lua, "wrk.headers[%q] = %q\n", k, v)
	}
	lua.WriteString(statusLua)
	script := filepath.Join(dir, "req.lua")
	if err := os.WriteFile(script, lua.Bytes(), 0o600); err != nil {
		return result{}, err
	}
	out, err := exec.Command(bin, fmt.Sprintf("-t%d", threads), fmt.Sprintf("-c%d", conns), fmt.Sprintf("-d%s", d), "--latency",
		"-s", script, base+e.path).CombinedOutput()
	if err != nil {
		return result{}, fmt.Errorf("wrk: %v: %s", err, out)
	}
	if bytes.Contains(out, []byte("Non-2xx or 3xx responses")) {
		return result{}, fmt.Errorf("non-2xx answers under load:\n%s", out)
	}
	m, p50, p99 := rpsRE.FindSubmatch(out), p50RE.FindSubmatch(out), p99RE.FindSubmatch(out)
	if m == nil || p50 == nil || p99 == nil {
		return result{}, errors.New("cannot read wrk's output:\n" + string(out))
	}
	rps, _ := strconv.ParseFloat(string(m[1]), 64)
	return result{rps: rps, p50: string(p50[1]), p99: string(p99[1]), statuses: statusMix(out)}, nil
}

// median is the round with the median rate (the lower middle of an even count).
func median(rs []result) result {
	sorted := slices.SortedFunc(slices.Values(rs), func(a, b result) int { return cmp.Compare(a.rps, b.rps) })
	return sorted[(len(sorted)-1)/2]
}

var statusRE = regexp.MustCompile(`(?m)^status (\d+) (\d+)$`)

// statusMix reads the lines statusLua printed: "201 100%", or "200 97.1%, 429 2.9%".
func statusMix(out []byte) string {
	counts, total := map[string]float64{}, 0.0
	var codes []string
	for _, m := range statusRE.FindAllSubmatch(out, -1) {
		n, _ := strconv.ParseFloat(string(m[2]), 64)
		if _, seen := counts[string(m[1])]; !seen {
			codes = append(codes, string(m[1]))
		}
		counts[string(m[1])] += n
		total += n
	}
	sort.Strings(codes)
	var parts []string
	for _, c := range codes {
		parts = append(parts, fmt.Sprintf("%s %.4g%%", c, 100*counts[c]/total))
	}
	if len(parts) == 0 {
		return "?"
	}
	return strings.Join(parts, ", ")
}

// soakRun loads the mock with every endpoint in turn for the soak's length, sampling the
// process's resident memory (VmRSS) and the journal's size.
func soakRun(bin, dir, base string, pid int, endpoints []endpoint, total time.Duration, threads, conns int) error {
	fmt.Printf("\nSoak: %v of load (endpoints in turn, journal on), resident memory of the mock every slice:\n\n", total)
	fmt.Println("| minute | VmRSS | requests/s in the slice |")
	fmt.Println("|---|---|---|")
	return inSlices(total, func(i int, slice time.Duration, minute float64) error {
		r, err := wrk(bin, dir, base, endpoints[i%len(endpoints)], slice, threads, conns)
		if err != nil {
			return err
		}
		fmt.Printf("| %.1f | %s | %.0f |\n", minute, rss(pid), r.rps)
		return nil
	})
}

func rss(pid int) string {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return "?"
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), "VmRSS:") {
			return strings.Join(strings.Fields(strings.TrimPrefix(sc.Text(), "VmRSS:")), " ")
		}
	}
	return "?"
}
