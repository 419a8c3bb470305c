// Package reqbody reads a request body once for every layer that needs all of it before the
// handler does (the UTF-8 check, the Payscrypt name mapping): the first reader buffers it and
// puts back a reader over the same bytes, and the next reader takes those bytes without
// reading or copying again. A body that failed to arrive (over the size cap, too slow) is put
// back as what arrived followed by the same error, so the layer that reports errors reports it
// in its own words.
package reqbody

import (
	"bytes"
	"io"
	"net/http"
)

// buffered is a body already read whole.
type buffered struct {
	*bytes.Reader
	b []byte
}

func (buffered) Close() error { return nil }

// Unread returns the whole body and whether none of it has been read yet (gen/bind.JSONBody
// decodes such a body from these bytes instead of through a reader).
func (b buffered) Unread() ([]byte, bool) { return b.b, b.Len() == len(b.b) }

type failing struct{ err error }

func (f failing) Read([]byte) (int, error) { return 0, f.err }

// Read returns the whole body of r (nil for none) and leaves r.Body readable from the start.
func Read(r *http.Request) ([]byte, error) {
	if r.Body == nil || r.Body == http.NoBody {
		return nil, nil
	}
	if bb, ok := r.Body.(buffered); ok && bb.Len() == len(bb.b) {
		return bb.b, nil
	}
	b, err := io.ReadAll(r.Body) // bounded and timed by the server's limits
	if err != nil {
		r.Body = io.NopCloser(io.MultiReader(bytes.NewReader(b), failing{err}))
		return b, err
	}
	Replace(r, b)
	return b, nil
}

// Replace makes b the body of r, readable by Read without a copy.
func Replace(r *http.Request, b []byte) {
	r.Body = buffered{Reader: bytes.NewReader(b), b: b}
}
