package journal

import (
	"net/http"
	"strings"
	"testing"
)

func TestRingKeepsNewest(t *testing.T) {
	j := New(3, 0)
	for i, p := range []string{"a", "b", "a", "b", "a"} {
		j.Add(Entry{Partner: p, Path: "/v5/orders", Status: 200 + i})
	}
	all := j.Query(Filter{}, 10)
	if len(all) != 3 || all[0].Status != 202 || all[2].Status != 204 {
		t.Fatalf("got %+v", all)
	}
	if got := j.Query(Filter{Partner: "a", Prefix: "/v5"}, 10); len(got) != 2 || got[0].Seq >= got[1].Seq {
		t.Fatalf("partner a: %+v", got)
	}
	if got := j.Query(Filter{Prefix: "/v2"}, 10); len(got) != 0 {
		t.Fatal("prefix filter")
	}
	if got := j.Query(Filter{}, 1); len(got) != 1 || got[0].Status != 204 {
		t.Fatalf("limit keeps the newest: %+v", got)
	}
	status := 203
	if got := j.Query(Filter{Status: &status}, 10); len(got) != 1 || got[0].Status != 203 {
		t.Fatalf("status 203: %+v", got)
	}
	j.Add(Entry{Partner: "a", Path: "/v5/orders", Status: 422})
	j.Add(Entry{Partner: "b", Path: "/v5/orders", Status: 0}) // dropped
	j.Add(Entry{Partner: "a", Path: "/v5/orders", Status: 201})
	if got := j.Query(Filter{Refused: true}, 10); len(got) != 2 || got[0].Status != 422 || got[1].Status != 0 {
		t.Fatalf("refused: %+v", got)
	}
	j.Reset("a")
	if got := j.Query(Filter{Partner: "a"}, 10); len(got) != 0 {
		t.Fatal("reset of a partner")
	}
	if got := j.Query(Filter{Partner: "b"}, 10); len(got) != 1 {
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
	if len(got) != maxHeaders || len(got.Get("A-Long")) > maxHeaderValue+4 {
		t.Fatalf("%d headers, long value %d bytes", len(got), len(got.Get("A-Long")))
	}
	if New(0, 0).Add(Entry{}) != 0 {
		t.Fatal("a zero-capacity journal recorded")
	}
}

// TestByteBudget: 60 KB queries cannot grow the journal past its byte budget, whatever the
// entry count allows; each entry keeps only the start of its URL.
func TestByteBudget(t *testing.T) {
	j := New(1000, 64<<10)
	junk := strings.Repeat("q", 60<<10)
	for i := 0; i < 500; i++ {
		j.Add(Entry{Path: "/v3/currencies", Query: "junk=" + junk, Partner: strings.Repeat("p", 5000)})
	}
	if b := j.Bytes(); b > 64<<10 {
		t.Fatalf("journal holds %d bytes, budget %d", b, 64<<10)
	}
	all := j.Query(Filter{}, 1000)
	if len(all) < 10 || len(all) >= 500 {
		t.Fatalf("kept %d entries", len(all))
	}
	if e := all[len(all)-1]; len(e.Query) > maxURLPart+4 || len(e.Partner) > maxPartner+4 || e.Seq != 500 {
		t.Fatalf("newest entry: query %d bytes, partner %d bytes, seq %d", len(e.Query), len(e.Partner), e.Seq)
	}
}

func TestSecretsMasked(t *testing.T) {
	h := http.Header{}
	h.Set("apikey", "pk_0123456789abcdef")
	h.Set("Authorization", "Bearer s3cret-token-9f3a")
	h.Set("X-Cr-Application", "shop")
	got := Headers(h)
	if got.Get("Apikey") != "…cdef" || got.Get("Authorization") != "Bearer …9f3a" || got.Get("X-Cr-Application") != "shop" {
		t.Fatalf("headers kept: %v", got)
	}
	if Mask("short") != "…" {
		t.Fatalf("a short secret shows: %q", Mask("short"))
	}
	// Names set without canonicalisation (a map literal, as Go code may build one).
	raw := Headers(http.Header{"cookie": {"session=0123456789"}, "PROXY-AUTHORIZATION": {"Basic dXNlcjpwYXNzd29yZA=="}, "x-cookie-ish": {"plain"}})
	for _, f := range raw {
		if masked := strings.HasPrefix(f.Value, "…") || strings.Contains(f.Value, " …"); masked != (f.Name != "x-cookie-ish") {
			t.Fatalf("%s: %q", f.Name, f.Value)
		}
	}
}

// TestResetOfDisabledJournal: capacity 0 disables the journal; a partner reset must not
// divide by zero.
func TestResetOfDisabledJournal(t *testing.T) {
	j := New(0, 0)
	j.Reset("x")
	j.Reset("")
	if got := j.Query(Filter{}, 10); len(got) != 0 {
		t.Fatal(got)
	}
	full := New(2, 0)
	full.Add(Entry{Partner: "a"})
	full.Add(Entry{Partner: "b"})
	full.Reset("a")
	full.Add(Entry{Partner: "c"})
	full.Add(Entry{Partner: "d"})
	if got := full.Query(Filter{}, 10); len(got) != 2 || got[0].Partner != "c" || got[1].Partner != "d" {
		t.Fatalf("after a partner reset of a full ring: %+v", got)
	}
}

func TestAbout(t *testing.T) {
	j := New(10, 0)
	j.Add(Entry{Path: "/v5/orders", ResponseBody: `{"order_id":"abc-1","x":1}`})
	j.Add(Entry{Path: "/v5/orders/abc-1/subscribe"})
	j.Add(Entry{Path: "/v5/orders/abc-10"})
	j.Add(Entry{Path: "/apis/pg/get_public_order", RequestBody: `{"id":"1001"}`})
	j.Add(Entry{Path: "/apis/pg/create_order", RequestBody: `{"target_value":"10010"}`})
	if got := j.About("abc-1", 10); len(got) != 2 || got[0].Path != "/v5/orders" || got[1].Path != "/v5/orders/abc-1/subscribe" {
		t.Errorf("about abc-1: %+v", got)
	}
	if got := j.About("1001", 10); len(got) != 1 || got[0].Path != "/apis/pg/get_public_order" {
		t.Errorf("about 1001: %+v", got)
	}
	if got := j.About("", 10); got != nil {
		t.Errorf("about nothing: %+v", got)
	}
}

func TestPartners(t *testing.T) {
	j := New(10, 0)
	for _, e := range []Entry{{Path: "/v2/brands", Partner: "a"}, {Path: "/v5/orders", Partner: "b"}, {Path: "/v2/brands", Partner: "a"},
		{Path: "/apis/pg/create_order", Partner: "pg_wallet_id:1"}, {Path: "/v3/currencies"}} {
		j.Add(e)
	}
	if got := j.Partners("/v"); len(got) != 2 || got[0] != "a" || got[1] != "b" {
		t.Fatalf("partners: %v", got)
	}
}
