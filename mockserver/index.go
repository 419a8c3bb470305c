package mockserver

import (
	"html/template"
	"net/http"
	"sort"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/cryptomock/cryptomock/mockserver/internal/apierror"
	"github.com/cryptomock/cryptomock/mockserver/internal/guard"
	"github.com/cryptomock/cryptomock/openapi"
)

// controlCall is one entry of the control API's index.
type controlCall struct {
	Method  string `json:"method"`
	Path    string `json:"path"`
	Summary string `json:"summary"`
}

// controlIndex lists, from the control API's own spec, every call it offers, and where the
// specs of all three APIs can be downloaded.
func controlIndex(doc *openapi3.T) []controlCall {
	var out []controlCall
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			out = append(out, controlCall{Method: method, Path: path, Summary: op.Summary})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Path == out[j].Path {
			return out[i].Method < out[j].Method
		}
		return out[i].Path < out[j].Path
	})
	return out
}

var indexPage = template.Must(template.New("index").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>cryptomock control API</title>
<style nonce="{{.Nonce}}">body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#1b1f24}
code{background:#f3f4f6;padding:.1rem .3rem;border-radius:.2rem}td{padding:.2rem .6rem;vertical-align:top}</style></head><body>
<h1>cryptomock {{.Version}}: control API</h1>
<p>Specs: {{range .Specs}}<a href="{{.}}">{{.}}</a> {{end}}</p>
<table><caption>Every call of the control API (openapi/mockadmin.yaml)</caption>
<thead><tr><th scope="col">call</th><th scope="col">what</th></tr></thead><tbody>
{{range .Calls}}<tr><td><code>{{.Method}} {{.Path}}</code></td><td>{{.Summary}}</td></tr>
{{end}}</tbody></table></body></html>`))

// serveControlIndex answers GET /__mock/: JSON for tools, HTML for browsers.
func (s *Server) serveControlIndex(w http.ResponseWriter, r *http.Request) {
	if strings.Contains(r.Header.Get("Accept"), "text/html") {
		nonce := guard.SecureHTML(w)
		_ = indexPage.Execute(w, map[string]any{"Nonce": nonce, "Version": Version, "Calls": s.calls, "Specs": specList()})
		return
	}
	s.writeIndex(w, r)
}

// writeIndex answers the JSON index of what the mock serves: both APIs, the control API's
// calls, the specs (GET /__mock/ and GET / for clients that are not browsers).
func (s *Server) writeIndex(w http.ResponseWriter, _ *http.Request) {
	apierror.WriteJSON(w, http.StatusOK, map[string]any{
		"name": "cryptomock", "version": Version,
		"apis": []map[string]string{
			{"name": "cryptorefills", "base_url": s.URL(), "spec": "/__mock/openapi/" + openapi.Cryptorefills},
			{"name": "payscrypt", "base_url": s.PayscryptURL(), "spec": "/__mock/openapi/" + openapi.Payscrypt},
		},
		"control": s.calls, "specs": specList(), "dashboard": "/",
	})
}

func specList() []string {
	specs := []string{}
	for _, name := range openapi.Names {
		specs = append(specs, "/__mock/openapi/"+name)
	}
	return specs
}

// serveSpec answers GET /__mock/openapi/{name}: the embedded spec, byte for byte.
func serveSpec(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	for _, n := range openapi.Names {
		if n == name {
			b, err := openapi.Raw(n)
			if err != nil {
				break
			}
			w.Header().Set("Content-Type", "application/yaml")
			_, _ = w.Write(b)
			return
		}
	}
	apierror.WriteAdmin(w, http.StatusNotFound, "no spec "+name+"; the specs are "+strings.Join(openapi.Names, ", "))
}
