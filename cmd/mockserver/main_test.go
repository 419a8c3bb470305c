package main

import (
	"bytes"
	"net/http"
	"os"
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
	for _, want := range []string{"control API", "/__mock/", "X-Cr-Application"} {
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
