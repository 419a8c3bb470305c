package reqbody

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestReadOnceThenShare(t *testing.T) {
	r := httptest.NewRequest("POST", "/", strings.NewReader(`{"a":1}`))
	b1, err := Read(r)
	if err != nil || string(b1) != `{"a":1}` {
		t.Fatalf("first read: %q %v", b1, err)
	}
	b2, _ := Read(r)
	if &b1[0] != &b2[0] {
		t.Error("the second read copied the body again")
	}
	if rest, _ := io.ReadAll(r.Body); string(rest) != `{"a":1}` {
		t.Errorf("the handler reads %q", rest)
	}
	Replace(r, []byte(`{"b":2}`))
	if b3, _ := Read(r); string(b3) != `{"b":2}` {
		t.Errorf("after Replace: %q", b3)
	}
}

func TestFailedBodyKeepsItsError(t *testing.T) {
	r := httptest.NewRequest("POST", "/", nil)
	r.Body = http.MaxBytesReader(httptest.NewRecorder(), io.NopCloser(strings.NewReader("0123456789")), 4)
	if _, err := Read(r); err == nil {
		t.Fatal("no error for a body over the cap")
	}
	got, err := io.ReadAll(r.Body)
	var tooLarge *http.MaxBytesError
	if string(got) != "0123" || !errors.As(err, &tooLarge) {
		t.Fatalf("put back %q, %v", got, err)
	}
}
