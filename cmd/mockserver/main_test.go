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
		"unknown flag":   {"-nope"},
		"bad seed":       {"-seed", "abc"},
		"stray argument": {"serve"},
		"missing config": {"-config", "/does/not/exist.yaml"},
		"invalid config": {"-config", bad},
		"bad log level":  {"-log-level", "loud"},
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
