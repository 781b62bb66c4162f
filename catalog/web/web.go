// Package web is the catalog's web UI: server-rendered pages (html/template)
// over the catalog's query methods, with the templates, the style sheet and
// the lineage drawing (cytoscape + dagre, vendored under static/vendor)
// embedded in the binary. Nothing is fetched from elsewhere at run time, and
// every page but the lineage diagram reads without JavaScript.
//
// Pages:
//
//	/                          search: free text and domain: owner: tag: status:, facets, ranked results
//	/domains                   domains with product counts and owners
//	/domains/{domain}          a domain's products
//	/products/{domain}/{name}  a product: contract, versions, nodes serving it, inputs, consumers
//	/lineage/{domain}/{name}   lineage diagram, and the same as lists
//	/impact/{domain}/{name}    everything downstream, and the owners to tell
//	/static/...                the embedded style sheet and scripts
//
// The UI is the catalog's Options.UI. Since it needs the catalog server and
// the server takes it in its options, it is made first and bound after:
//
//	ui := web.New(web.Options{Logger: log})
//	srv, err := catalog.New(catalog.Options{..., UI: ui})
//	ui.Bind(srv)
package web

import (
	"bytes"
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"path"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/datamesh/datamesh/catalog"
	"github.com/datamesh/datamesh/problem"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Catalog is what the pages read: the query methods of *catalog.Server,
// the same the HTTP API answers with.
type Catalog interface {
	Search(ctx context.Context, sp catalog.SearchParams) (*catalog.SearchResult, error)
	Product(ctx context.Context, domain, name string) (*catalog.ProductDetail, error)
	Lineage(ctx context.Context, domain, name, direction string, depth int) (*catalog.LineageGraph, error)
	Impact(ctx context.Context, domain, name, version string) (*catalog.ImpactReport, error)
	Domains(ctx context.Context) ([]catalog.Domain, error)
}

var _ Catalog = (*catalog.Server)(nil)

// Options configure the UI.
type Options struct {
	// Catalog, when set, binds the UI at once (see Bind).
	Catalog Catalog
	// Title names the catalog in page headers (default "datamesh catalog").
	Title string
	// Logger logs failed pages (default: discard).
	Logger *slog.Logger
}

// UI is the web UI, an http.Handler.
type UI struct {
	opts   Options
	log    *slog.Logger
	cat    atomic.Pointer[bound]
	mux    *http.ServeMux
	pages  map[string]*template.Template
	static fs.FS
	// assets maps a static file's path to its content hash, so that page
	// links change when the file does and browsers may cache them for good.
	assets map[string]string
}

type bound struct{ c Catalog }

// New makes the UI. It panics only if the embedded templates do not parse,
// which the tests rule out.
func New(opts Options) *UI {
	if opts.Title == "" {
		opts.Title = "datamesh catalog"
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	u := &UI{opts: opts, log: opts.Logger.With("component", "catalog-ui")}
	static, err := fs.Sub(staticFS, "static")
	if err != nil {
		panic(err)
	}
	u.static = static
	u.assets = hashAssets(static)
	u.pages = parsePages(u.funcs())
	if opts.Catalog != nil {
		u.Bind(opts.Catalog)
	}
	u.routes()
	return u
}

// Bind gives the UI the catalog it shows (normally the *catalog.Server
// whose Options.UI it is). Until then pages answer 503.
func (u *UI) Bind(c Catalog) { u.cat.Store(&bound{c}) }

func (u *UI) catalog() Catalog {
	if b := u.cat.Load(); b != nil {
		return b.c
	}
	return nil
}

// ServeHTTP serves the pages.
func (u *UI) ServeHTTP(w http.ResponseWriter, r *http.Request) { u.mux.ServeHTTP(w, r) }

// pageFunc renders one page: it returns the template name and its data, or
// an error that becomes an error page.
type pageFunc func(r *http.Request, c Catalog) (status int, name string, data *page, err error)

func (u *UI) routes() {
	u.mux = http.NewServeMux()
	u.mux.Handle("GET /static/", http.StripPrefix("/static/", u.staticHandler()))
	u.mux.Handle("GET /{$}", u.handle(u.searchPage))
	u.mux.Handle("GET /domains", u.handle(u.domainsPage))
	u.mux.Handle("GET /domains/{domain}", u.handle(u.domainPage))
	u.mux.Handle("GET /products/{domain}/{name}", u.handle(u.productPage))
	u.mux.Handle("GET /lineage/{domain}/{name}", u.handle(u.lineagePage))
	u.mux.Handle("GET /impact/{domain}/{name}", u.handle(u.impactPage))
	u.mux.Handle("GET /favicon.ico", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, u.asset("favicon.svg"), http.StatusMovedPermanently)
	}))
	u.mux.Handle("/", u.handle(func(r *http.Request, _ Catalog) (int, string, *page, error) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			return 0, "", nil, problem.New(http.StatusMethodNotAllowed, problem.NotAllowed,
				"the catalog's pages are read-only: %s is not allowed on %s", r.Method, r.URL.Path)
		}
		return 0, "", nil, problem.NotFoundf("there is no page at %s", r.URL.Path)
	}))
}

// handle renders a page into a pooled buffer, then writes it whole, so
// that an error half-way turns into an error page rather than half a page.
func (u *UI) handle(f pageFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		began := time.Now()
		setHeaders(w.Header())
		c := u.catalog()
		var (
			status int
			name   string
			data   *page
			err    error
		)
		if c == nil {
			err = problem.New(http.StatusServiceUnavailable, problem.Unavailable, "the catalog is starting; try again in a moment")
		} else {
			status, name, data, err = f(r, c)
		}
		if err != nil {
			status, name, data = u.errorPage(r, err)
		}
		if status == 0 {
			status = http.StatusOK
		}
		buf := bufPool.Get().(*bytes.Buffer)
		buf.Reset()
		defer bufPool.Put(buf)
		if err := u.render(buf, name, r, data); err != nil {
			u.log.Error("page failed to render", "path", r.URL.Path, "template", name, "err", err)
			http.Error(w, "the page could not be rendered; the cause is in the catalog's log", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Content-Length", fmt.Sprint(buf.Len()))
		w.WriteHeader(status)
		if r.Method != http.MethodHead {
			_, _ = w.Write(buf.Bytes())
		}
		u.log.Debug("page", "path", r.URL.Path, "status", status, "took", time.Since(began))
	})
}

var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

func setHeaders(h http.Header) {
	// Scripts only from the catalog itself; the lineage data is JSON in a
	// non-executable script element. Cytoscape sets inline styles.
	h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("Cache-Control", "no-cache")
}

// errorPage turns an error into a status and the error template.
func (u *UI) errorPage(r *http.Request, err error) (int, string, *page) {
	var qe *catalog.QueryError
	p := &page{Title: "Error"}
	status := http.StatusInternalServerError
	msg := "The page could not be made; the cause is in the catalog's log."
	switch {
	case errors.As(err, &qe):
		status, msg = http.StatusBadRequest, qe.Error()
	case errors.Is(err, catalog.ErrNotFound):
		status, msg = http.StatusNotFound, "Not found."
	default:
		if pe := problem.As(err); pe.Status != http.StatusInternalServerError {
			status, msg = pe.Status, pe.Detail
			if msg == "" {
				msg = pe.Title
			}
		}
	}
	if status >= 500 && status != http.StatusServiceUnavailable {
		u.log.Error("page failed", "path", r.URL.Path, "err", err)
	}
	switch status {
	case http.StatusNotFound:
		p.Title = "Not found"
	case http.StatusBadRequest:
		p.Title = "Bad request"
	}
	p.Data = errorData{Status: status, StatusText: http.StatusText(status), Message: msg}
	return status, "error", p
}

type errorData struct {
	Status     int
	StatusText string
	Message    string
}

// page is what every template gets: the layout's fields and the page's
// own Data.
type page struct {
	Title string
	// Nav names the header link to mark current ("search", "domains").
	Nav string
	// Q is the search box's text.
	Q    string
	Data any
	// Set by render.
	SiteTitle string
	Path      string
}

func (u *UI) render(buf *bytes.Buffer, name string, r *http.Request, p *page) error {
	t := u.pages[name]
	if t == nil {
		return fmt.Errorf("no template %q", name)
	}
	p.SiteTitle = u.opts.Title
	p.Path = r.URL.Path
	return t.ExecuteTemplate(buf, "layout", p)
}

// parsePages parses each page template with the layout.
func parsePages(funcs template.FuncMap) map[string]*template.Template {
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		panic(err)
	}
	pages := map[string]*template.Template{}
	for _, n := range names {
		base := path.Base(n)
		if base == "layout.html" {
			continue
		}
		t := template.Must(template.New(base).Funcs(funcs).ParseFS(templateFS, "templates/layout.html", n))
		pages[strings.TrimSuffix(base, ".html")] = t
	}
	return pages
}

// staticHandler serves the embedded files. A request carrying the file's
// current hash (?v=, as pages link them) may be cached for good.
func (u *UI) staticHandler() http.Handler {
	files := http.FileServerFS(u.static)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		if v := r.URL.Query().Get("v"); v != "" && v == u.assets[r.URL.Path] {
			h.Set("Cache-Control", "public, max-age=31536000, immutable")
		} else {
			h.Set("Cache-Control", "public, max-age=300")
		}
		if strings.HasSuffix(r.URL.Path, "/") || r.URL.Path == "" {
			http.NotFound(w, r) // no directory listings
			return
		}
		files.ServeHTTP(w, r)
	})
}

func hashAssets(static fs.FS) map[string]string {
	out := map[string]string{}
	_ = fs.WalkDir(static, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(static, p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		out[p] = hex.EncodeToString(sum[:6])
		return nil
	})
	return out
}

// asset is the URL of a static file, with its hash.
func (u *UI) asset(p string) string {
	if h, ok := u.assets[p]; ok {
		return "/static/" + p + "?v=" + h
	}
	return "/static/" + p
}
