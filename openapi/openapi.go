// Package openapi owns the reconstructed OpenAPI 3.0 documents of both upstreams and of the
// mock's control API, embedded so that servers and tests read the very bytes that were
// committed. It loads specs; it knows nothing of HTTP serving.
package openapi

import (
	"embed"
	"encoding/json"
	"fmt"
	"net/url"
	"sort"

	"github.com/getkin/kin-openapi/openapi3"
	"gopkg.in/yaml.v3"
)

// Names of the embedded specs.
const (
	Cryptorefills = "cryptorefills.yaml"
	Payscrypt     = "payscrypt.yaml"
	MockAdmin     = "mockadmin.yaml"
)

// CountriesServer is where the Cryptorefills country list lives (GET /api/available-countries):
// the website host, not the API host. Generated clients ignore the path-level server, so a
// client for that call is made with this URL (README, "The country list's host").
const CountriesServer = "https://cryptorefills.com"

// Names lists every embedded spec.
var Names = []string{Cryptorefills, Payscrypt, MockAdmin}

//go:embed cryptorefills.yaml payscrypt.yaml mockadmin.yaml
var specs embed.FS

//go:embed sources/*.txt
var sources embed.FS

// Raw returns the bytes of an embedded spec.
func Raw(name string) ([]byte, error) {
	b, err := specs.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("spec %q: %w", name, err)
	}
	return b, nil
}

// Load parses an embedded spec and resolves its references. It does not run the (slow)
// document validation: the tests do that once, so servers start fast.
func Load(name string) (*openapi3.T, error) {
	b, err := Raw(name)
	if err != nil {
		return nil, err
	}
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromDataWithPath(b, &url.URL{Path: name})
	if err != nil {
		return nil, fmt.Errorf("load spec %q: %w", name, err)
	}
	return doc, nil
}

// Source returns one of the source documents the specs were reconstructed from
// (`sources/cryptorefills-it.txt`, ...): copies of the project's shared documents, kept so
// that the provenance tests run on any clone.
func Source(name string) ([]byte, error) {
	b, err := sources.ReadFile("sources/" + name)
	if err != nil {
		return nil, fmt.Errorf("source %q: %w", name, err)
	}
	return b, nil
}

// SourceNames lists the embedded source documents.
func SourceNames() []string {
	entries, _ := sources.ReadDir("sources")
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// Country is a supported country as the country list gives it.
type Country struct {
	Code string `json:"code"`
	Name string `json:"name"`
}

// Countries returns the supported countries, in the documents' order, from the example of the
// country-list operation of cryptorefills.yaml (which the tests tie to the documents).
func Countries(doc *openapi3.T) ([]Country, error) {
	item := doc.Paths.Find("/api/available-countries")
	if item == nil || item.Get == nil {
		return nil, fmt.Errorf("spec has no country list")
	}
	resp := item.Get.Responses.Status(200)
	if resp == nil || resp.Value.Content.Get("application/json") == nil {
		return nil, fmt.Errorf("country list has no 200 JSON response")
	}
	raw, err := json.Marshal(resp.Value.Content.Get("application/json").Example)
	if err != nil {
		return nil, err
	}
	var out []Country
	if err := json.Unmarshal(raw, &out); err != nil {
		return nil, fmt.Errorf("country list example: %w", err)
	}
	return out, nil
}

// OperationIDs lists the operationIds of a document, sorted.
func OperationIDs(doc *openapi3.T) []string {
	var out []string
	for _, item := range doc.Paths.Map() {
		for _, op := range item.Operations() {
			if op.OperationID != "" {
				out = append(out, op.OperationID)
			}
		}
	}
	sort.Strings(out)
	return out
}

//go:embed field-sources.yaml
var fieldSources []byte

// FieldSources maps every field the mock sends ("Schema.field") to where it comes from: a
// reference section and tag (api-facts), the documents, or "mock:" and why the mock sends it.
func FieldSources() (map[string]string, error) {
	out := map[string]string{}
	if err := yaml.Unmarshal(fieldSources, &out); err != nil {
		return nil, fmt.Errorf("field-sources.yaml: %w", err)
	}
	return out, nil
}
