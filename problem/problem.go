// Package problem is the one place where an error becomes an HTTP answer:
// application/problem+json as in RFC 9457. Handlers return errors; Write
// turns them into a status and a body. Only internal errors are logged, and
// their details never reach the client.
package problem

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
)

// ContentType is the media type of a problem document.
const ContentType = "application/problem+json"

// TypeBase prefixes every problem type URI; docs/protocol.md lists them.
const TypeBase = "https://datamesh.dev/problems/"

// Error is a problem a client can act on.
type Error struct {
	Status int    `json:"status"`
	Type   string `json:"type"`
	Title  string `json:"title"`
	Detail string `json:"detail,omitempty"`
	// Param names the request parameter at fault, and Allowed says what it
	// accepts.
	Param   string `json:"parameter,omitempty"`
	Allowed string `json:"allowed,omitempty"`
	// Instance is the request path; Write fills it in.
	Instance string `json:"instance,omitempty"`
	// RetryAfter, in seconds, is sent as a Retry-After header when set.
	RetryAfter int `json:"-"`
	// Err is the cause, kept for logs and errors.Is; never sent.
	Err error `json:"-"`
}

func (e *Error) Error() string {
	msg := e.Title
	if e.Detail != "" {
		msg += ": " + e.Detail
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

func (e *Error) Unwrap() error { return e.Err }

// The problem types this project answers with; each is documented in
// docs/protocol.md.
const (
	BadParameter   = "bad-parameter"
	NotFound       = "not-found"
	NotAcceptable  = "not-acceptable"
	NotAllowed     = "method-not-allowed"
	Unavailable    = "unavailable"
	Internal       = "internal"
	TooLarge       = "too-large"
	Unauthorized   = "unauthorized"
	Conflict       = "conflict"
	Invalid        = "invalid"
	UpstreamFailed = "upstream-failed"
	Timeout        = "timeout"
	TooMany        = "too-many-requests"
)

var titles = map[string]string{
	BadParameter:   "Bad request parameter",
	NotFound:       "Not found",
	NotAcceptable:  "Format not served",
	NotAllowed:     "Method not allowed",
	Unavailable:    "Service unavailable",
	Internal:       "Internal error",
	TooLarge:       "Request too large",
	Unauthorized:   "Unauthorized",
	Conflict:       "Conflict",
	Invalid:        "Invalid content",
	UpstreamFailed: "Upstream failed",
	Timeout:        "Upstream timed out",
	TooMany:        "Too many requests",
}

// New returns a problem of a known type with a formatted detail.
func New(status int, typ, format string, args ...any) *Error {
	return &Error{Status: status, Type: typ, Title: titles[typ], Detail: fmt.Sprintf(format, args...)}
}

// Param returns a 400 problem blaming one request parameter.
func Param(param, allowed, format string, args ...any) *Error {
	e := New(http.StatusBadRequest, BadParameter, format, args...)
	e.Param, e.Allowed = param, allowed
	return e
}

// NotFoundf returns a 404 problem.
func NotFoundf(format string, args ...any) *Error {
	return New(http.StatusNotFound, NotFound, format, args...)
}

// As returns the problem in err's chain, or an internal problem wrapping it.
func As(err error) *Error {
	var p *Error
	if errors.As(err, &p) {
		return p
	}
	return &Error{Status: http.StatusInternalServerError, Type: Internal, Title: titles[Internal], Err: err}
}

// Write answers err as a problem document. Internal errors are logged with
// the request's logger and answered without their cause.
func Write(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	p := *As(err)
	if p.Type != "" && !isURI(p.Type) {
		p.Type = TypeBase + p.Type
	}
	if r != nil {
		p.Instance = r.URL.Path
	}
	if p.Status >= 500 && log != nil {
		log.Error("request failed", "status", p.Status, "err", err)
	}
	if p.Status == http.StatusInternalServerError {
		p.Detail = "the server could not answer; the cause is in its log"
	}
	h := w.Header()
	h.Set("Content-Type", ContentType)
	h.Set("Cache-Control", "no-store")
	h.Del("Content-Length")
	h.Del("Link")
	if p.RetryAfter > 0 {
		h.Set("Retry-After", fmt.Sprint(p.RetryAfter))
	}
	w.WriteHeader(p.Status)
	_ = json.NewEncoder(w).Encode(p)
}

func isURI(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == ':' {
			return i > 0
		}
		if s[i] == '/' {
			return false
		}
	}
	return false
}
