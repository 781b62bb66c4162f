//go:build duckdb_arrow

package node

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/datamesh/datamesh/descriptor"
	"github.com/datamesh/datamesh/engine"
	"github.com/datamesh/datamesh/format"
	"github.com/datamesh/datamesh/problem"
	"github.com/datamesh/datamesh/query"
)

// serveByMode answers a data request of a materialized product from its
// snapshot, and of an async product with a job. It reports false for a
// live product.
func (n *Node) serveByMode(w http.ResponseWriter, r *http.Request, p *engine.Product, req *query.Request, f format.Format) (bool, error) {
	if m := n.materializedOf(p); m != nil {
		return true, n.serveSnapshot(w, r, p, m, req, f)
	}
	if p.Desc.Serving.Mode == descriptor.ModeAsync && n.serving != nil {
		return true, n.submitJob(w, r, p, r.URL.Query(), f.Name)
	}
	return false, nil
}

// serveSnapshot answers from the current snapshot, which the request holds
// until it is done: a refresh meanwhile swaps in a new one for the
// requests that come after. Answers carry Last-Modified, ETag, Age and
// Cache-Control; a matching If-None-Match (or If-Modified-Since) is
// answered 304.
func (n *Node) serveSnapshot(w http.ResponseWriter, r *http.Request, p *engine.Product, m *materialized,
	req *query.Request, f format.Format) error {
	s := m.current()
	if s == nil {
		pe := problem.New(http.StatusServiceUnavailable, problem.Unavailable,
			"product %s has no snapshot yet: %s", p.Desc.ID(), m.state().Reason)
		pe.RetryAfter = 5
		return pe
	}
	defer s.release()
	if n.cacheHeaders(w, r, m, s, f) {
		w.WriteHeader(http.StatusNotModified)
		return nil
	}
	if ok, err := n.answerFromMemory(w, r, p, s, req, f); ok {
		return err
	}
	return n.answer(w, r, p, req, f, p.SnapshotRelation(s.table))
}

// cacheHeaders sets the caching headers of an answer from snapshot s and
// reports whether the client's copy is current. The ETag names the
// snapshot and the format (answers to one URL differ by Accept).
// Cache-Control's max-age is the time from one scheduled refresh to the
// next; Age is the snapshot's age, so a cache keeps an answer until the
// next refresh is due.
func (n *Node) cacheHeaders(w http.ResponseWriter, r *http.Request, m *materialized, s *snapshot, f format.Format) bool {
	now := n.now()
	etag := `"` + s.ID + "-" + f.Name + `"`
	h := w.Header()
	h.Set("ETag", etag)
	h.Set("Last-Modified", s.BuiltAt.UTC().Format(http.TimeFormat))
	age := max(now.Sub(s.BuiltAt), 0)
	h.Set("Age", strconv.FormatInt(int64(age/time.Second), 10))
	if next := m.sched.Next(s.BuiltAt); !next.IsZero() {
		h.Set("Cache-Control", "max-age="+strconv.FormatInt(int64(next.Sub(s.BuiltAt)/time.Second), 10))
	} else {
		h.Set("Cache-Control", "no-cache")
	}
	h.Set("Vary", "Accept")
	if inm := r.Header.Get("If-None-Match"); inm != "" {
		return etagMatches(inm, etag)
	}
	if ims := r.Header.Get("If-Modified-Since"); ims != "" {
		if t, err := http.ParseTime(ims); err == nil {
			return !s.BuiltAt.Truncate(time.Second).After(t)
		}
	}
	return false
}

// etagMatches compares an If-None-Match list with etag, weakly (RFC 9110
// §13.1.2).
func etagMatches(list, etag string) bool {
	for _, t := range strings.Split(list, ",") {
		t = strings.TrimSpace(t)
		if t == "*" || strings.TrimPrefix(t, "W/") == etag {
			return true
		}
	}
	return false
}

// postRefresh answers POST /products/{name}/v{major}/refresh: it asks for
// a refresh of a materialized product and answers 202 at once; the
// self-description shows the run. (No authorisation yet: see
// docs/protocol.md.)
func (n *Node) postRefresh(w http.ResponseWriter, r *http.Request) error {
	p, err := n.lookup(r)
	if err != nil {
		return err
	}
	m := n.materializedOf(p)
	if m == nil {
		mode := p.Desc.Serving.Mode
		if mode == "" {
			mode = descriptor.ModeLive
		}
		return problem.New(http.StatusConflict, problem.Conflict,
			"product %s is %s: only materialized products are refreshed", p.Desc.ID(), mode)
	}
	running := m.request()
	self := fmt.Sprintf("%s/products/%s", n.opts.BaseURL, p.Desc.Name)
	w.Header().Set("Location", fmt.Sprintf("/products/%s", p.Desc.Name))
	state := "queued"
	detail := "the refresh starts now; the product's self-description shows its run"
	if running {
		detail = "a refresh is running; another one follows it"
	}
	return writeJSON(w, http.StatusAccepted, map[string]any{
		"product": p.Desc.ID(),
		"refresh": map[string]string{"state": state, "detail": detail},
		"links":   map[string]string{"status": self},
	})
}
