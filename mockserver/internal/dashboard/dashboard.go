// Package dashboard serves the mock's web dashboard: GET / for a browser (other clients get
// the JSON index), a page per order (/ui/cryptorefills/orders/{id}) and per invoice
// (/ui/payscrypt/invoices/{id}), the journal, webhooks, catalogue and specs views, and a
// readable rendering of each spec. Pages are one server-rendered shell plus a small script and
// stylesheet embedded in the binary: nothing is loaded from anywhere but the mock. All data
// comes from the control API (the page asks for its token when one is needed and keeps it in
// the tab's session storage) and from the public APIs, like any client.
package dashboard

import (
	"embed"
	"html/template"
	"net/http"
	"path"
	"strings"
	"sync"

	"github.com/cryptomock/cryptomock/mockserver/internal/apierror"
	"github.com/cryptomock/cryptomock/mockserver/internal/guard"
	"github.com/cryptomock/cryptomock/mockserver/internal/upstream"
	"github.com/cryptomock/cryptomock/openapi"
)

//go:embed assets
var assets embed.FS

// Deps is what the dashboard needs from the server.
type Deps struct {
	Version string
	// Index answers the JSON index of what the mock serves (GET / for non-browsers).
	Index http.HandlerFunc
}

// Dashboard serves the pages.
type Dashboard struct {
	d     Deps
	specs sync.Map // name -> *specPage, parsed on first view
}

// New returns the dashboard.
func New(d Deps) *Dashboard { return &Dashboard{d: d} }

// API is the dashboard's definition for the registry: "/" and /ui/*. It counts as the mock's
// own (not journaled, guarded from foreign origins, but a link from another site may open a
// page); its pages hold no data, so they need no token: the control calls they make do.
func (s *Dashboard) API() *upstream.API {
	return &upstream.API{
		Name: "dashboard", Prefixes: []string{"/ui/"}, Paths: []string{"/"}, Control: true, Pages: true, Error: apierror.WriteAdmin,
		Mount: func(o upstream.MountOptions) {
			o.Mux.HandleFunc("GET /{$}", s.root)
			o.Mux.HandleFunc("GET /ui/{$}", s.shell)
			for _, p := range []string{"/ui/journal", "/ui/webhooks", "/ui/catalogue", "/ui/specs", "/ui/cryptorefills/orders/{id}", "/ui/payscrypt/invoices/{id}"} {
				o.Mux.HandleFunc("GET "+p, s.shell)
			}
			o.Mux.HandleFunc("GET /ui/specs/{name}", s.spec)
			o.Mux.HandleFunc("GET /ui/assets/{name}", s.asset)
		},
	}
}

// root: the dashboard for a browser, the JSON index for everyone else.
func (s *Dashboard) root(w http.ResponseWriter, r *http.Request) {
	if strings.Contains(r.Header.Get("Accept"), "text/html") {
		s.shell(w, r)
		return
	}
	s.d.Index(w, r)
}

var shellPage = template.Must(template.New("shell").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>cryptomock dashboard</title><link rel="icon" href="data:,">
<link rel="stylesheet" href="/ui/assets/app.css" nonce="{{.Nonce}}"></head>
<body data-version="{{.Version}}">
<a class="skip" href="#main">Skip to content</a>
<header><nav aria-label="Dashboard"><a class="brand" href="/">cryptomock {{.Version}}</a>
<a href="/">Overview</a><a href="/ui/journal">Journal</a><a href="/ui/webhooks">Webhooks</a>
<a href="/ui/catalogue">Catalogue</a><a href="/ui/specs">Specs</a>
<span id="live" class="live" role="status" aria-live="polite">connecting…</span></nav></header>
<main id="main" tabindex="-1"><p>Loading…</p><noscript>The dashboard needs JavaScript; the control API is at <a href="/__mock/">/__mock/</a>.</noscript></main>
<dialog id="token-dialog" aria-labelledby="token-title"><form id="token-form">
<h2 id="token-title">Control token</h2>
<p>This mock's control API needs its token (<code>control.token</code>, <code>CRYPTOMOCK_CONTROL_TOKEN</code>, or the banner of the mock's log). It stays in this tab only.</p>
<label for="token-input">Token</label> <input id="token-input" type="password" autocomplete="off" required>
<button type="submit">Use it</button></form></dialog>
<script src="/ui/assets/app.js" nonce="{{.Nonce}}"></script>
</body></html>`))

// shell is every page: the script renders the view the path names.
func (s *Dashboard) shell(w http.ResponseWriter, _ *http.Request) {
	nonce := guard.SecureHTML(w)
	_ = shellPage.Execute(w, map[string]string{"Nonce": nonce, "Version": s.d.Version})
}

var assetTypes = map[string]string{".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}

func (s *Dashboard) asset(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	b, err := assets.ReadFile("assets/" + name)
	ct, known := assetTypes[path.Ext(name)]
	if err != nil || !known || strings.Contains(name, "/") {
		apierror.WriteAdmin(w, http.StatusNotFound, "no asset "+name)
		return
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Cache-Control", "no-cache")
	_, _ = w.Write(b)
}

// spec renders a served spec readably: every operation with its parameters, body and answers.
func (s *Dashboard) spec(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	known := false
	for _, n := range openapi.Names {
		known = known || n == name
	}
	if !known {
		apierror.WriteAdmin(w, http.StatusNotFound, "no spec "+name+"; the specs are "+strings.Join(openapi.Names, ", "))
		return
	}
	page, err := s.specPage(name)
	if err != nil {
		apierror.WriteAdmin(w, http.StatusInternalServerError, err.Error())
		return
	}
	nonce := guard.SecureHTML(w)
	_ = specTemplate.Execute(w, map[string]any{"Nonce": nonce, "Version": s.d.Version, "Page": page})
}

func (s *Dashboard) specPage(name string) (*specPage, error) {
	if p, ok := s.specs.Load(name); ok {
		return p.(*specPage), nil
	}
	doc, err := openapi.Load(name) // a copy of its own: the validator's is rewritten for speed
	if err != nil {
		return nil, err
	}
	p := renderSpec(name, doc)
	s.specs.Store(name, p)
	return p, nil
}
