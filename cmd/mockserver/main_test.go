package main

import (
	"bytes"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

func noEnv(string) string { return "" }

func TestBadInvocationsExit2(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(bad, []byte("cryptorefills:\n  lifecycle:\n    mode: turbo\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := map[string][]string{
		"unknown flag":                      {"-nope"},
		"bad seed":                          {"-seed", "abc"},
		"stray argument":                    {"serve"},
		"missing config":                    {"-config", "/does/not/exist.yaml"},
		"invalid config":                    {"-config", bad},
		"bad log level":                     {"-log-level", "loud"},
		"state file in a missing directory": {"-addr", "127.0.0.1:0", "-state-file", filepath.Join(t.TempDir(), "no", "dir", "state.json")},
		"state file is a directory":         {"-addr", "127.0.0.1:0", "-state-file", t.TempDir()},
		"public URL not absolute":           {"-public-url", "mock.example"},
		"allowed host with a port":          {"-allowed-hosts", "mock:8080"},
		"addr nonsense":                     {"-addr", "nonsense"},
		"port out of range":                 {"-addr", "127.0.0.1:99999"},
		"bad log format":                    {"-log-format", "xml"},
	}
	for name, args := range cases {
		var out, errOut syncBuffer
		if code := run(args, noEnv, &out, &errOut, make(chan os.Signal)); code != 2 {
			t.Errorf("%s: exit %d, want 2", name, code)
		}
		if errOut.String() == "" {
			t.Errorf("%s: no message on stderr", name)
		}
	}
}

// TestBannerMasksAConfiguredToken: a token the user chose is never printed in clear (it
// lands in CI logs); a generated one is printed, since nobody else knows it.
func TestBannerMasksAConfiguredToken(t *testing.T) {
	tokenFile := filepath.Join(t.TempDir(), "token")
	for name, tc := range map[string]struct {
		env        map[string]string
		show, hide string
	}{
		"configured": {env: map[string]string{"CRYPTOMOCK_CONTROL_TOKEN": "my-own-secret-token-7f3a"}, show: "ending …7f3a", hide: "my-own-secret"},
		"generated":  {env: map[string]string{"CRYPTOMOCK_ADDR": "0.0.0.0:0", "CRYPTOMOCK_CONTROL_TOKEN_FILE": tokenFile}, show: "(generated): Authorization: Bearer "},
		"loopback":   {env: map[string]string{}, show: "none needed"},
	} {
		t.Run(name, func(t *testing.T) {
			var out, errOut syncBuffer
			stop := make(chan os.Signal, 1)
			done := make(chan int, 1)
			env := func(k string) string {
				if v, ok := tc.env[k]; ok {
					return v
				}
				if k == "CRYPTOMOCK_ADDR" {
					return "127.0.0.1:0"
				}
				return ""
			}
			go func() { done <- run(nil, env, &out, &errOut, stop) }()
			for i := 0; i < 300 && !strings.Contains(out.String(), "Ctrl-C"); i++ {
				time.Sleep(10 * time.Millisecond)
			}
			stop <- syscall.SIGTERM
			<-done
			banner := out.String()
			if !strings.Contains(banner, tc.show) || (tc.hide != "" && strings.Contains(banner, tc.hide)) {
				t.Fatalf("banner:\n%s\nstderr: %s", banner, errOut.String())
			}
			if name == "generated" {
				b, err := os.ReadFile(tokenFile)
				if err != nil || len(b) < 16 || !strings.Contains(banner, string(b)) {
					t.Fatalf("token file %q (%v) does not hold the printed token", b, err)
				}
			}
		})
	}
}

func TestHelpAndVersion(t *testing.T) {
	for _, args := range [][]string{{"-h"}, {"--help"}, {"-help"}} {
		var out, errOut syncBuffer
		if code := run(args, noEnv, &out, &errOut, nil); code != 0 {
			t.Errorf("%v: exit %d", args, code)
		}
		for _, want := range []string{"-addr", "-config", "-log-format", "CRYPTOMOCK_CONTROL_TOKEN", "CRYPTOMOCK_ALLOWED_HOSTS", "README.md", "Exit codes"} {
			if !strings.Contains(out.String(), want) {
				t.Errorf("%v: help lacks %q", args, want)
			}
		}
	}
	for _, args := range [][]string{{"-version"}, {"version"}} {
		var out, errOut syncBuffer
		if code := run(args, noEnv, &out, &errOut, nil); code != 0 || !strings.HasPrefix(out.String(), "cryptomock ") {
			t.Errorf("%v: exit %d, %q", args, code, out.String())
		}
	}
}

// TestMessagesNameTheProblem: a port in use and a misspelt setting say what is wrong and what
// to do, and exit 2.
func TestMessagesNameTheProblem(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	typo := filepath.Join(t.TempDir(), "typo.yaml")
	if err := os.WriteFile(typo, []byte("cryptorefills:\n  lifecycle:\n    mod: auto\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		args []string
		want string
	}{
		"port in use": {[]string{"-addr", busy.Addr().String()}, "address already in use: another mock running? choose -addr"},
		"config typo": {[]string{"-config", typo}, "cryptorefills.lifecycle.mod (line 3): unknown key; did you mean mode?"},
		"bad address": {[]string{"-addr", "nonsense"}, `addr "nonsense" is not host:port`},
	} {
		var out, errOut syncBuffer
		if code := run(tc.args, noEnv, &out, &errOut, make(chan os.Signal)); code != 2 || !strings.Contains(errOut.String(), tc.want) {
			t.Errorf("%s: exit %d, stderr %q; want %q", name, code, errOut.String(), tc.want)
		}
		if strings.Contains(errOut.String(), "struct {") {
			t.Errorf("%s: a Go type in the message: %s", name, errOut.String())
		}
	}
}

// startRun runs the command with env until stop is sent; it returns the base URL.
func startRun(t *testing.T, env map[string]string, args ...string) (url string, out, errOut *syncBuffer, stop func()) {
	t.Helper()
	out, errOut = &syncBuffer{}, &syncBuffer{}
	sig := make(chan os.Signal, 1)
	done := make(chan int, 1)
	getenv := func(k string) string {
		if v, ok := env[k]; ok {
			return v
		}
		if k == "CRYPTOMOCK_ADDR" {
			return "127.0.0.1:0"
		}
		return ""
	}
	go func() { done <- run(args, getenv, out, errOut, sig) }()
	re := regexp.MustCompile(`listening on (http://\S+)`)
	for i := 0; i < 300 && url == ""; i++ {
		if m := re.FindStringSubmatch(out.String()); m != nil {
			url = m[1]
		}
		time.Sleep(10 * time.Millisecond)
	}
	if url == "" {
		t.Fatalf("no banner: %q %q", out.String(), errOut.String())
	}
	return url, out, errOut, func() { sig <- syscall.SIGTERM; <-done }
}

// TestRequestLogs: a line per request at the default level, with the refusal's reason, shown
// while the mock runs (the lines are batched); JSON lines with -log-format json; silence with
// -log-level warn.
func TestRequestLogs(t *testing.T) {
	get := func(url string, hdr ...string) {
		req, _ := http.NewRequest("GET", url, nil)
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	url, _, logs, stop := startRun(t, nil)
	get(url+"/v3/payment_vias", "X-Cr-Application", "shop-1", "X-Cr-Version", "1.0")
	get(url + "/v3/payment_vias") // refused: no partner headers
	// Lines are batched, but show up while the mock runs (within 50 ms), not only at exit.
	for i := 0; i < 200 && strings.Count(logs.String(), "msg=request") < 2; i++ {
		time.Sleep(10 * time.Millisecond)
	}
	if n := strings.Count(logs.String(), "msg=request"); n != 2 {
		t.Errorf("%d request lines while running, want 2:\n%s", n, logs.String())
	}
	stop()
	for _, want := range []string{"msg=request method=GET path=/v3/payment_vias status=200", "tenant=shop-1", "operation=listPaymentVias",
		"status=400", "refusal=\"header parameter X-Cr-Application is required"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, logs.String())
		}
	}

	url, _, logs, stop = startRun(t, nil, "-log-format", "json")
	get(url+"/v3/payment_vias", "X-Cr-Application", "shop-1", "X-Cr-Version", "1.0")
	stop()
	var line struct {
		Msg, Method, Path, Tenant, Operation string
		Status                               int
	}
	for _, l := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		if strings.Contains(l, `"msg":"request"`) {
			if err := json.Unmarshal([]byte(l), &line); err != nil {
				t.Fatalf("not a JSON line: %q", l)
			}
		}
	}
	if line.Path != "/v3/payment_vias" || line.Status != 200 || line.Tenant != "shop-1" || line.Operation != "listPaymentVias" {
		t.Fatalf("json request line: %+v\n%s", line, logs.String())
	}

	url, _, logs, stop = startRun(t, nil, "-log-level", "warn")
	get(url+"/v3/payment_vias", "X-Cr-Application", "shop-1", "X-Cr-Version", "1.0")
	stop()
	if strings.Contains(logs.String(), "msg=request") {
		t.Fatalf("-log-level warn still logs requests:\n%s", logs.String())
	}
}

func TestServesAndStopsOnSignal(t *testing.T) {
	var out, errOut syncBuffer
	stop := make(chan os.Signal, 1)
	done := make(chan int, 1)
	env := func(k string) string {
		if k == "CRYPTOMOCK_ADDR" {
			return "127.0.0.1:0"
		}
		return ""
	}
	go func() { done <- run(nil, env, &out, &errOut, stop) }()
	re := regexp.MustCompile(`listening on (http://\S+)`)
	var url string
	for i := 0; i < 200 && url == ""; i++ {
		if m := re.FindStringSubmatch(out.String()); m != nil {
			url = m[1]
		}
		time.Sleep(10 * time.Millisecond)
	}
	if url == "" {
		t.Fatalf("no banner: %q %q", out.String(), errOut.String())
	}
	for _, want := range []string{"control API", "/__mock/", "X-Cr-Application", "Payscrypt API", "/apis/pg/create_order", "/pay/{id}",
		"apikey test-apikey", "cryptomock 0.1.0", "token  none needed"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("banner lacks %q", want)
		}
	}
	resp, err := http.Get(url + "/__mock/health")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("health: %v %v", err, resp)
	}
	resp.Body.Close()
	if code := run([]string{"-probe", url + "/__mock/health"}, noEnv, &out, &errOut, nil); code != 0 {
		t.Errorf("probe of a healthy mock: exit %d", code)
	}
	if code := run([]string{"-probe", url + "/nothing-here"}, noEnv, &out, &errOut, nil); code != 1 {
		t.Errorf("probe of a 404: exit %d, want 1", code)
	}
	stop <- syscall.SIGTERM
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("exit %d after SIGTERM: %s", code, errOut.String())
		}
	case <-time.After(15 * time.Second):
		t.Fatal("no exit within 15s of SIGTERM")
	}
}

// TestBuiltBinary checks exit codes and messages through the binary itself, as a user meets
// them.
func TestBuiltBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: skips building the binary")
	}
	bin := filepath.Join(t.TempDir(), "mockserver")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"-h"}, 0, "CRYPTOMOCK_ADDR"},
		{[]string{"version"}, 0, "cryptomock 0.1.0"},
		{[]string{"-addr", busy.Addr().String()}, 2, "another mock running? choose -addr"},
		{[]string{"-addr", "127.0.0.1:99999"}, 2, "port must be a number from 0 to 65535"},
		{[]string{"-public-url", "mock.example"}, 2, "public_url"},
		{[]string{"-state-file", t.TempDir()}, 2, "is a directory"},
	} {
		cmd := exec.Command(bin, tc.args...)
		cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
		out, _ := cmd.CombinedOutput()
		if code := cmd.ProcessState.ExitCode(); code != tc.code || !strings.Contains(string(out), tc.want) {
			t.Errorf("%v: exit %d, want %d; output %q lacks %q", tc.args, code, tc.code, out, tc.want)
		}
	}
}
