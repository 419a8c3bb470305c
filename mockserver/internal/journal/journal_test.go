package journal

import (
	"net/http"
	"strings"
	"testing"
)

func TestRingKeepsNewest(t *testing.T) {
	j := New(3)
	for i, p := range []string{"a", "b", "a", "b", "a"} {
		j.Add(Entry{Partner: p, Path: "/v5/orders", Status: 200 + i})
	}
	all := j.Query("", "", 10)
	if len(all) != 3 || all[0].Status != 202 || all[2].Status != 204 {
		t.Fatalf("got %+v", all)
	}
	if got := j.Query("a", "/v5", 10); len(got) != 2 || got[0].Seq >= got[1].Seq {
		t.Fatalf("partner a: %+v", got)
	}
	if got := j.Query("", "/v2", 10); len(got) != 0 {
		t.Fatal("prefix filter")
	}
	if got := j.Query("", "", 1); len(got) != 1 || got[0].Status != 204 {
		t.Fatalf("limit keeps the newest: %+v", got)
	}
	j.Reset("a")
	if got := j.Query("a", "", 10); len(got) != 0 {
		t.Fatal("reset of a partner")
	}
	if got := j.Query("b", "", 10); len(got) != 1 {
		t.Fatal("reset of a removed b's entries")
	}
}

func TestHeadersBounded(t *testing.T) {
	h := http.Header{}
	for i := 0; i < 100; i++ {
		h.Set("X-H"+strings.Repeat("x", i), "v")
	}
	h.Set("A-Long", strings.Repeat("y", 10000))
	got := Headers(h)
	if len(got) != maxHeaders || len(got["A-Long"]) > maxHeaderValue+4 {
		t.Fatalf("%d headers, long value %d bytes", len(got), len(got["A-Long"]))
	}
	if New(0).Add(Entry{}) != 0 {
		t.Fatal("a zero-capacity journal recorded")
	}
}
