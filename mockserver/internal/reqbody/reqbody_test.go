package reqbody

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/iotest"
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

// TestReadAllAsIoReadAll: readAll gives io.ReadAll's bytes and error whatever the declared
// length says (right, short, long, none, past maxSized) and however the reader hands out its
// bytes (at once, one at a time, with EOF on the last data, failing midway), and a body of
// the declared length gets a buffer no bigger than it needs.
func TestReadAllAsIoReadAll(t *testing.T) {
	wrap := map[string]func(io.Reader) io.Reader{
		"plain":    func(r io.Reader) io.Reader { return r },
		"one byte": iotest.OneByteReader,
		"data+EOF": iotest.DataErrReader,
		"failing":  func(r io.Reader) io.Reader { return io.MultiReader(r, iotest.ErrReader(errors.New("cut"))) },
	}
	for _, n := range []int{0, 1, 7, 290, 511, 512, 513, 4096, maxSized + 3} {
		body := strings.Repeat("x", n)
		for _, declared := range []int64{int64(n), int64(n) - 1, int64(n) + 5, -1, 0} {
			for name, w := range wrap {
				want, wantErr := io.ReadAll(w(strings.NewReader(body)))
				got, err := readAll(w(strings.NewReader(body)), declared)
				if string(got) != string(want) || (err == nil) != (wantErr == nil) {
					t.Fatalf("%d bytes declared %d, %s: %d bytes, %v; io.ReadAll %d bytes, %v", n, declared, name, len(got), err, len(want), wantErr)
				}
				if declared == int64(n) && n > 0 && n < maxSized && cap(got) > n+1 {
					t.Fatalf("%d bytes declared exactly, %s: a buffer of %d", n, name, cap(got))
				}
			}
		}
	}
}
