package dashboard

import (
	"fmt"
	"html/template"
	"sort"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// A spec rendered for reading: what a developer looks up while integrating.
type specPage struct {
	Name, Title, Version, Description string
	Operations                        []Operation
}

// Operation is one operation of a spec, as the reference page shows it.
type Operation struct {
	ID, Method, Path, Summary, Description, Source string
	Params                                         []param
	Body                                           string // the request body's schema, summarised
	Responses                                      []response
}

type param struct{ Name, In, Type, Description string }
type response struct{ Status, Description, Schema string }

func renderSpec(name string, doc *openapi3.T) *specPage {
	p := &specPage{Name: name}
	if doc.Info != nil {
		p.Title, p.Version, p.Description = doc.Info.Title, doc.Info.Version, doc.Info.Description
	}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			o := Operation{ID: op.OperationID, Method: method, Path: path, Summary: op.Summary, Description: op.Description}
			if src, ok := op.Extensions["x-source"].(string); ok {
				o.Source = src
			}
			for _, pr := range append(append(openapi3.Parameters{}, item.Parameters...), op.Parameters...) {
				if pr.Value == nil {
					continue
				}
				o.Params = append(o.Params, param{Name: pr.Value.Name, In: pr.Value.In, Type: schemaText(pr.Value.Schema), Description: pr.Value.Description})
			}
			if op.RequestBody != nil && op.RequestBody.Value != nil {
				for ct, mt := range op.RequestBody.Value.Content {
					o.Body = ct + ": " + schemaText(mt.Schema)
				}
			}
			for status, resp := range op.Responses.Map() {
				if resp.Value == nil {
					continue
				}
				r := response{Status: status, Description: deref(resp.Value.Description)}
				for ct, mt := range resp.Value.Content {
					r.Schema = ct + ": " + schemaText(mt.Schema)
				}
				o.Responses = append(o.Responses, r)
			}
			sort.Slice(o.Responses, func(i, j int) bool { return o.Responses[i].Status < o.Responses[j].Status })
			p.Operations = append(p.Operations, o)
		}
	}
	sort.Slice(p.Operations, func(i, j int) bool {
		if p.Operations[i].Path == p.Operations[j].Path {
			return p.Operations[i].Method < p.Operations[j].Method
		}
		return p.Operations[i].Path < p.Operations[j].Path
	})
	return p
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// schemaText names a schema: its component name, or its type with the properties of an object.
func schemaText(ref *openapi3.SchemaRef) string {
	if ref == nil {
		return ""
	}
	if ref.Ref != "" {
		return ref.Ref[strings.LastIndex(ref.Ref, "/")+1:]
	}
	s := ref.Value
	if s == nil {
		return ""
	}
	switch {
	case s.Type.Is("array"):
		return "array of " + schemaText(s.Items)
	case s.Type.Is("object") && len(s.Properties) > 0:
		names := make([]string, 0, len(s.Properties))
		for n := range s.Properties {
			names = append(names, n)
		}
		sort.Strings(names)
		return "{" + strings.Join(names, ", ") + "}"
	case len(s.OneOf) > 0:
		var alts []string
		for _, a := range s.OneOf {
			alts = append(alts, schemaText(a))
		}
		return "one of " + strings.Join(alts, " | ")
	}
	t := strings.Join(s.Type.Slice(), "|")
	if s.Format != "" {
		t += fmt.Sprintf(" (%s)", s.Format)
	}
	if len(s.Enum) > 0 && len(s.Enum) <= 12 {
		t += fmt.Sprintf(" %v", s.Enum)
	}
	return t
}

var specTemplate = template.Must(template.New("spec").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Page.Title}} - cryptomock</title><link rel="icon" href="data:,">
<link rel="stylesheet" href="/ui/assets/app.css" nonce="{{.Nonce}}"></head>
<body><a class="skip" href="#main">Skip to content</a>
<header><nav aria-label="Dashboard"><a class="brand" href="/">cryptomock {{.Version}}</a><a href="/">Overview</a><a href="/ui/journal">Journal</a>
<a href="/ui/webhooks">Webhooks</a><a href="/ui/catalogue">Catalogue</a><a href="/ui/specs">Specs</a></nav></header>
<main id="main" class="spec"><h1>{{.Page.Title}} <small>{{.Page.Version}}</small></h1>
<p><a href="/__mock/openapi/{{.Page.Name}}" download>Download {{.Page.Name}}</a></p>
<pre class="prose">{{.Page.Description}}</pre>
<nav aria-label="Operations"><ul class="ops">{{range .Page.Operations}}<li><a href="#op-{{.ID}}"><code>{{.Method}} {{.Path}}</code></a> {{.Summary}}</li>{{end}}</ul></nav>
{{range .Page.Operations}}<section id="op-{{.ID}}" class="card"><h2><code>{{.Method}} {{.Path}}</code></h2>
<p><strong>{{.Summary}}</strong> <span class="muted">operationId {{.ID}}</span></p>
{{if .Source}}<p class="muted">Source: {{.Source}}</p>{{end}}
{{if .Description}}<pre class="prose">{{.Description}}</pre>{{end}}
{{if .Params}}<table><caption>Parameters</caption><thead><tr><th scope="col">name</th><th scope="col">in</th><th scope="col">type</th><th scope="col">meaning</th></tr></thead><tbody>
{{range .Params}}<tr><td><code>{{.Name}}</code></td><td>{{.In}}</td><td>{{.Type}}</td><td>{{.Description}}</td></tr>{{end}}</tbody></table>{{end}}
{{if .Body}}<p>Request body: <code>{{.Body}}</code></p>{{end}}
<table><caption>Answers</caption><thead><tr><th scope="col">status</th><th scope="col">meaning</th><th scope="col">body</th></tr></thead><tbody>
{{range .Responses}}<tr><td>{{.Status}}</td><td>{{.Description}}</td><td><code>{{.Schema}}</code></td></tr>{{end}}</tbody></table></section>
{{end}}</main></body></html>`))
