//go:build duckdb_arrow

package node

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sort"
	"strings"
	"time"

	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/datamesh/datamesh/engine"
	"github.com/datamesh/datamesh/problem"
)

type ctxKey int

const (
	loggerKey ctxKey = iota
	infoKey
)

// requestInfo is what a handler tells the access log, the metrics and the
// SLA meters about a request: the product it read, in which format, how
// many rows.
type requestInfo struct {
	product *engine.Product
	format  string
	rows    int64
}

var noInfo requestInfo

// infoOf returns the request's info, which observe put in its context.
func infoOf(r *http.Request) *requestInfo {
	if i, ok := r.Context().Value(infoKey).(*requestInfo); ok {
		return i
	}
	return &noInfo
}

// logger returns the request's logger, which carries its request id.
func (n *Node) logger(r *http.Request) *slog.Logger {
	if l, ok := r.Context().Value(loggerKey).(*slog.Logger); ok {
		return l
	}
	return n.log
}

// handlerFunc is a handler that returns its error; fail turns it into a
// problem document.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// get adapts a handlerFunc to GET and HEAD only.
func (n *Node) get(h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			n.fail(w, r, problem.New(http.StatusMethodNotAllowed, problem.NotAllowed,
				"%s is not allowed here; this node is read-only (allowed: GET, HEAD)", r.Method))
			return
		}
		if err := h(w, r); err != nil {
			n.fail(w, r, err)
		}
	})
}

// methods adapts handlers to their methods; GET brings HEAD. Other methods
// are answered 405 with Allow.
func (n *Node) methods(hs map[string]handlerFunc) http.Handler {
	var allowed []string
	for m := range hs {
		allowed = append(allowed, m)
		if m == http.MethodGet {
			allowed = append(allowed, http.MethodHead)
		}
	}
	sort.Strings(allowed)
	allow := strings.Join(allowed, ", ")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		method := r.Method
		if method == http.MethodHead {
			method = http.MethodGet
		}
		h, ok := hs[method]
		if !ok {
			w.Header().Set("Allow", allow)
			n.fail(w, r, problem.New(http.StatusMethodNotAllowed, problem.NotAllowed,
				"%s is not allowed here (allowed: %s)", r.Method, allow))
			return
		}
		if err := h(w, r); err != nil {
			n.fail(w, r, err)
		}
	})
}

func (n *Node) fail(w http.ResponseWriter, r *http.Request, err error) {
	trace.SpanFromContext(r.Context()).RecordError(err)
	problem.Write(w, r, n.logger(r), err)
}

// statusWriter records the status and size of an answer for the access log.
type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (s *statusWriter) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusWriter) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	n, err := s.ResponseWriter.Write(b)
	s.bytes += int64(n)
	return n, err
}

func (s *statusWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// Flush lets streaming handlers push what they wrote.
func (s *statusWriter) Flush() {
	if f, ok := s.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// observe gives every request an id (X-Request-Id, taken from the client
// when it sends a sane one), a logger carrying it, an access log line, and
// turns a panic into a 500 problem instead of a dropped connection.
func (n *Node) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := r.Header.Get("X-Request-Id")
		if !saneID(id) {
			var b [8]byte
			rand.Read(b[:])
			id = hex.EncodeToString(b[:])
		}
		w.Header().Set("X-Request-Id", id)
		log := n.log.With("request_id", id)
		info := &requestInfo{}
		ctx, span := n.startServerSpan(r)
		ctx = context.WithValue(context.WithValue(ctx, loggerKey, log), infoKey, info)
		r = r.WithContext(ctx)
		sw := &statusWriter{ResponseWriter: w}
		defer func() {
			aborted := false
			// The metrics and SLA meters count every answer, aborted ones
			// too; r.Pattern is the route the mux matched (it sets it on r).
			defer func() {
				n.record(r, sw.status, sw.bytes, aborted, time.Since(start), info)
				endServerSpan(span, r, sw.status, info)
			}()
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					aborted = true
					span.SetStatus(codes.Error, "answer aborted")
					log.Warn("answer aborted", "method", r.Method, "path", r.URL.Path)
					panic(v)
				}
				log.Error("panic", "panic", v, "method", r.Method, "path", r.URL.Path)
				span.RecordError(fmt.Errorf("panic: %v", v))
				if sw.status == 0 {
					n.fail(sw, r, errors.New("panic while answering"))
				}
			}
			log.Info("request", "method", r.Method, "path", r.URL.Path, "query", r.URL.RawQuery,
				"status", sw.status, "bytes", sw.bytes, "duration", time.Since(start))
		}()
		next.ServeHTTP(sw, r)
	})
}

func saneID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for _, c := range id {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}
