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

// buffered is a body already read whole (one allocation with its reader).
type buffered struct {
	bytes.Reader
	b []byte
}

func (*buffered) Close() error { return nil }

// Unread returns the whole body and whether none of it has been read yet (gen/bind.JSONBody
// decodes such a body from these bytes instead of through a reader).
func (b *buffered) Unread() ([]byte, bool) { return b.b, b.Len() == len(b.b) }

type failing struct{ err error }

func (f failing) Read([]byte) (int, error) { return 0, f.err }

// Read returns the whole body of r (nil for none) and leaves r.Body readable from the start.
func Read(r *http.Request) ([]byte, error) {
	if r.Body == nil || r.Body == http.NoBody {
		return nil, nil
	}
	if bb, ok := r.Body.(*buffered); ok && bb.Len() == len(bb.b) {
		return bb.b, nil
	}
	b, err := readAll(r.Body, r.ContentLength) // bounded and timed by the server's limits
	if err != nil {
		r.Body = io.NopCloser(io.MultiReader(bytes.NewReader(b), failing{err}))
		return b, err
	}
	Replace(r, b)
	return b, nil
}

// Replace makes b the body of r, readable by Read without a copy.
func Replace(r *http.Request, b []byte) {
	bb := &buffered{b: b}
	bb.Reset(b)
	r.Body = bb
}

// maxSized is the largest declared length read into a buffer of that size at once; a longer
// (or undeclared) body grows its buffer as io.ReadAll does.
const maxSized = 64 << 10

// readAll is io.ReadAll, starting from a buffer the size of the declared length and one byte
// more (room to read the end without growing): no bigger buffer than the body, and no copy.
func readAll(body io.Reader, declared int64) ([]byte, error) {
	size := 512
	if declared > 0 && declared < maxSized {
		size = int(declared) + 1
	}
	b := make([]byte, 0, size)
	for {
		n, err := body.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err != nil {
			if err == io.EOF {
				err = nil
			}
			return b, err
		}
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)] // more than declared, or undeclared: grow
		}
	}
}
