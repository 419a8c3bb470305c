package scenarios_test

import (
	"testing"

	"github.com/cryptomock/cryptomock/scenarios"
)

// FuzzDecode: a scenario file of any content is decoded or refused, never a panic.
func FuzzDecode(f *testing.F) {
	f.Add([]byte("- {id: a.b, summary: s, api: payscrypt, operation: x, labels: [auth], expect: {status: 1}}"))
	f.Add([]byte("- id: cr.x\n  request: {body: {a: [1, {b: c}]}}\n"))
	f.Add([]byte("[[[["))
	f.Fuzz(func(t *testing.T, b []byte) {
		list, err := scenarios.Decode(b)
		if err == nil {
			for _, s := range list {
				if s.ID == "" {
					t.Fatal("a scenario without id was accepted")
				}
			}
		}
	})
}
