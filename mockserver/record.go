package mockserver

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unsafe"

	"github.com/cryptomock/cryptomock/mockserver/internal/feed"
	"github.com/cryptomock/cryptomock/mockserver/internal/journal"
)

// maxBodyKept is what the journal keeps of each request and response body.
const maxBodyKept = 4096

// record logs every request in one structured line (method, path, status, duration, tenant,
// operationId, and for a refusal the reason the mock gave), and writes upstream requests (not
// control calls) to the journal with the start of their bodies, so a failed integration can
// be read after the fact.
func (s *Server) record(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		ex := exchangeOf(r) // put there by resolve
		if ex == nil {
			ex = &exchange{} // not behind resolve (no API, no tenant): journaled all the same
		}
		req := ex.up
		control, partner := req.API != nil && req.API.Control, req.Tenant.Label
		sw := &ex.writer
		sw.ResponseWriter = w
		next.ServeHTTP(sw, r)

		status := sw.code()
		if ex.dropped {
			status = 0 // no answer at all
		}
		refusal := ""
		if status >= 400 {
			if refusal = ex.refusal; refusal == "" { // a refusal a handler wrote: read from its body
				refusal = reasonOf(sw.body.buf)
			}
		}
		took := time.Since(start)
		if s.log.Enabled(r.Context(), slog.LevelInfo) {
			attrs := []slog.Attr{slog.String("method", r.Method), slog.String("path", r.URL.Path), slog.Int("status", status),
				slog.Float64("duration_ms", float64(took.Microseconds())/1000)}
			for _, a := range []slog.Attr{slog.String("tenant", partner), slog.String("operation", ex.operation), slog.String("refusal", refusal)} {
				if a.Value.String() != "" {
					attrs = append(attrs, a)
				}
			}
			s.log.LogAttrs(r.Context(), slog.LevelInfo, "request", attrs...)
		}
		if control {
			return
		}
		seq := s.journal.Add(journal.Entry{Time: s.clock.NowOf(req.Tenant.Kind, req.Tenant.ID), Received: start, Stream: sw.stream, Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery,
			Status: status, Partner: partner, Operation: ex.operation, Duration: took, Headers: journal.Headers(r.Header),
			RequestBody: kept(ex.body), ResponseBody: sw.body.text(), Refusal: refusal})
		if s.feed.Listening() {
			s.feed.Publish(feed.Change{Kind: "request", ID: strconv.FormatInt(seq, 10), Tenant: partner, State: strconv.Itoa(status)})
		}
	})
}

// reasonOf reads the explanation out of an error body of any of the three shapes:
// Cryptorefills' moreDetails.reason (or its first problem), Payscrypt's and the control API's
// message.
func reasonOf(body []byte) string {
	var e struct {
		Detail      string `json:"detail"`
		Message     string `json:"message"`
		MoreDetails struct {
			Reason string `json:"reason"`
		} `json:"moreDetails"`
		Problems []struct {
			Problem string `json:"problem"`
		} `json:"problems"`
	}
	if json.Unmarshal(body, &e) != nil {
		return ""
	}
	switch {
	case e.MoreDetails.Reason != "":
		return e.MoreDetails.Reason
	case len(e.Problems) > 0:
		return e.Problems[0].Problem
	case e.Message != "":
		return e.Message
	}
	return e.Detail
}

// capture keeps the first maxBodyKept bytes of a body and counts the rest.
type capture struct {
	buf   []byte
	total int
	off   bool // not kept (an event stream, an image)
	what  string
}

func (c *capture) add(p []byte) {
	c.total += len(p)
	if room := maxBodyKept - len(c.buf); room > 0 && !c.off {
		c.buf = append(c.buf, p[:min(room, len(p))]...)
	}
}

// share keeps the start of p, bytes never written again (WriteShared), without a copy. The
// kept slice's capacity ends at its length, so anything added later is appended to a copy.
func (c *capture) share(p []byte) {
	if c.total != 0 || c.off {
		c.add(p)
		return
	}
	n := min(len(p), maxBodyKept)
	c.buf, c.total = p[:n:n], len(p)
}

func (c *capture) text() string {
	switch {
	case c.total == 0:
		return ""
	case c.off:
		return "(" + c.what + ")"
	case c.total > len(c.buf):
		return string(c.buf) + "…"
	}
	// The buffer is never written again once the exchange is over: the string can share it.
	return unsafe.String(unsafe.SliceData(c.buf), len(c.buf))
}

// kept is the start of a request body as the journal keeps it: a copy, so a large body's
// buffer is not held.
func kept(b []byte) string {
	if len(b) > maxBodyKept {
		return string(b[:maxBodyKept]) + "…"
	}
	return string(b)
}

// statusWriter remembers the status and the start of a JSON body. It keeps Flush (for code
// that asserts http.Flusher) and Unwrap (for http.ResponseController: Flush, Hijack,
// deadlines).
type statusWriter struct {
	http.ResponseWriter
	status int
	body   capture
	stream *journal.Stream // for an event stream: its events, counted as they are written
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
		if ct := firstOf(w.Header()["Content-Type"]); !strings.Contains(ct, "json") { // the key is canonical
			w.body.off, w.body.what = true, ct
			if strings.HasPrefix(ct, "text/event-stream") {
				w.stream = &journal.Stream{}
			}
		}
	}
	w.ResponseWriter.WriteHeader(code)
}

func firstOf(values []string) string {
	if len(values) == 0 {
		return ""
	}
	return values[0]
}

func (w *statusWriter) Write(b []byte) (int, error) { return w.write(b, (*capture).add) }

// WriteShared writes bytes that are never modified afterwards (the catalogue's cached
// answers): the journal keeps their start without copying them.
func (w *statusWriter) WriteShared(b []byte) (int, error) { return w.write(b, (*capture).share) }

func (w *statusWriter) write(b []byte, keep func(*capture, []byte)) (int, error) {
	if w.status == 0 {
		w.WriteHeader(http.StatusOK)
	}
	keep(&w.body, b)
	if w.stream != nil {
		countEvents(w.stream, b)
	}
	return w.ResponseWriter.Write(b)
}

// countEvents counts the named events in what a stream writes. The mock writes each frame in
// one Write, so a frame's "event:" line is never split across two calls.
func countEvents(st *journal.Stream, b []byte) {
	for len(b) > 0 {
		line, rest, _ := bytes.Cut(b, []byte("\n"))
		if name, ok := bytes.CutPrefix(line, []byte("event: ")); ok {
			st.Events++
			st.Stop = string(name) == "stop"
		}
		b = rest
	}
}

func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *statusWriter) code() int {
	if w.status == 0 {
		return http.StatusOK
	}
	return w.status
}
