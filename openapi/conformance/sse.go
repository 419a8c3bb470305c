package conformance

import (
	"bufio"
	"io"
	"strconv"
	"strings"
)

// Frame is one dispatched Server-Sent Event, or a comment or retry hint.
type Frame struct {
	ID      string
	Event   string // "message" when the frame names none, as EventSource does
	Data    string
	Retry   int  // milliseconds, when the frame set one
	Comment bool // a ":" line (heartbeat)
}

// SSEReader parses an event stream as the HTML Living Standard describes it.
type SSEReader struct {
	r *bufio.Reader
}

// NewSSEReader reads frames from r.
func NewSSEReader(r io.Reader) *SSEReader { return &SSEReader{r: bufio.NewReader(r)} }

// Next returns the next event, comment or retry hint. io.EOF means the stream ended.
func (s *SSEReader) Next() (Frame, error) {
	var f Frame
	var data []string
	seen := false
	for {
		line, err := s.r.ReadString('\n')
		if err != nil {
			if err == io.EOF && seen {
				return Frame{}, io.ErrUnexpectedEOF // a frame cut off before its blank line
			}
			return Frame{}, err
		}
		line = strings.TrimRight(line, "\r\n")
		if line == "" {
			if !seen {
				continue
			}
			f.Data = strings.Join(data, "\n")
			if f.Event == "" && (len(data) > 0 || f.ID != "") {
				f.Event = "message"
			}
			return f, nil
		}
		seen = true
		if strings.HasPrefix(line, ":") {
			f.Comment = true
			continue
		}
		field, value, _ := strings.Cut(line, ":")
		value = strings.TrimPrefix(value, " ")
		switch field {
		case "id":
			f.ID = value
		case "event":
			f.Event = value
		case "data":
			data = append(data, value)
		case "retry":
			f.Retry, _ = strconv.Atoi(value)
		}
	}
}
