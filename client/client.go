// Package client is a Go client of protocol v1 (docs/protocol.md): it
// lists a node's products, reads their self-descriptions and pulls their
// rows as Arrow record batches. Composition across nodes and the CLI use it.
// Reads are idempotent, so failed attempts are retried with backoff.
package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"go.opentelemetry.io/otel/propagation"
)

// propagator writes the W3C trace context and baggage of a call's context
// on its requests.
var propagator = propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{})

// Options configure a Client.
type Options struct {
	// HTTP is the transport; http.DefaultClient's if nil.
	HTTP *http.Client
	// Timeout bounds one attempt until the answer's headers arrive
	// (default 30s); reading the body is bounded by the caller's context.
	Timeout time.Duration
	// Retries is how many times a failed attempt is retried (default 2).
	Retries int
	// Backoff is the first wait between attempts, doubled each time, with
	// jitter (default 200ms).
	Backoff time.Duration
}

// Client talks to nodes.
type Client struct {
	http    *http.Client
	timeout time.Duration
	retries int
	backoff time.Duration
}

// New returns a client.
func New(o Options) *Client {
	c := &Client{http: o.HTTP, timeout: o.Timeout, retries: o.Retries, backoff: o.Backoff}
	if c.http == nil {
		c.http = http.DefaultClient
	}
	if c.timeout <= 0 {
		c.timeout = 30 * time.Second
	}
	if o.Retries == 0 {
		c.retries = 2
	} else if o.Retries < 0 {
		c.retries = 0
	}
	if c.backoff <= 0 {
		c.backoff = 200 * time.Millisecond
	}
	return c
}

// Error is a failed call to a node.
type Error struct {
	URL    string
	Status int // 0 when no answer came
	// Problem is the node's problem document, when it sent one.
	Problem *Problem
	// Timeout is true when the node did not answer in time.
	Timeout bool
	Err     error
}

// Problem is an RFC 9457 problem document as nodes send them.
type Problem struct {
	Type      string `json:"type"`
	Title     string `json:"title"`
	Status    int    `json:"status"`
	Detail    string `json:"detail"`
	Parameter string `json:"parameter,omitempty"`
}

func (e *Error) Error() string {
	switch {
	case e.Problem != nil:
		return fmt.Sprintf("%s: %d %s: %s", e.URL, e.Status, e.Problem.Title, e.Problem.Detail)
	case e.Err != nil && !e.Timeout:
		return fmt.Sprintf("%s: %v", e.URL, e.Err)
	case e.Status != 0:
		return fmt.Sprintf("%s: %d %s", e.URL, e.Status, http.StatusText(e.Status))
	case e.Timeout:
		return fmt.Sprintf("%s: no answer in time", e.URL)
	default:
		return fmt.Sprintf("%s: %v", e.URL, e.Err)
	}
}

func (e *Error) Unwrap() error { return e.Err }

// retryable reports whether another attempt may succeed.
func (e *Error) retryable() bool {
	return e.Status == 0 || e.Status == http.StatusTooManyRequests || e.Status >= 500
}

// Summary is a product as a node lists it.
type Summary struct {
	ID          string            `json:"id"`
	Domain      string            `json:"domain"`
	Name        string            `json:"name"`
	Version     string            `json:"version"`
	Major       int               `json:"major"`
	Title       string            `json:"title"`
	Description string            `json:"description"`
	Status      Status            `json:"status"`
	Links       map[string]string `json:"links"`
}

// Status is a product's availability.
type Status struct {
	State  string `json:"state"`
	Reason string `json:"reason,omitempty"`
}

// Column is a column of a product's self-description.
type Column struct {
	Name         string `json:"name"`
	LogicalType  string `json:"logicalType"`
	Description  string `json:"description,omitempty"`
	Required     bool   `json:"required,omitempty"`
	PhysicalType string `json:"physicalType,omitempty"`
}

// Description is a product's self-description (the fields a client uses).
type Description struct {
	Summary
	PrimaryKey []string `json:"primaryKey"`
	Schema     []Column `json:"schema"`
	Versions   []struct {
		Version string `json:"version"`
		Major   int    `json:"major"`
		Status  Status `json:"status"`
	} `json:"versions"`
}

// Products lists the products of the node at base.
func (c *Client) Products(ctx context.Context, base string) ([]Summary, error) {
	var out []Summary
	return out, c.getJSON(ctx, strings.TrimRight(base, "/")+"/products", &out)
}

// Product returns a product's self-description.
func (c *Client) Product(ctx context.Context, base, name string) (*Description, error) {
	var out Description
	return &out, c.getJSON(ctx, strings.TrimRight(base, "/")+"/products/"+url.PathEscape(name), &out)
}

// Query selects what Arrow reads: columns and filters in the protocol's
// syntax (Filters["state"] = []string{"eq.CA"}).
type Query struct {
	Select  []string
	Filters url.Values
}

// DataURL is the URL of a product's rows for q, as Arrow.
func DataURL(base, name string, major int, q Query) string {
	v := url.Values{}
	for k, vs := range q.Filters {
		v[k] = append([]string(nil), vs...)
	}
	if len(q.Select) > 0 {
		v.Set("select", strings.Join(q.Select, ","))
	}
	v.Set("format", "arrow")
	return fmt.Sprintf("%s/products/%s/v%d/data?%s", strings.TrimRight(base, "/"), url.PathEscape(name), major, v.Encode())
}

// Arrow streams a product's rows as Arrow record batches to fn. The
// request is retried while no batch has reached fn; a failure after that
// is returned as it is.
func (c *Client) Arrow(ctx context.Context, base, name string, major int, q Query, fn func(array.RecordReader) error) error {
	u := DataURL(base, name, major, q)
	resp, err := c.do(ctx, u, "application/vnd.apache.arrow.stream")
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	r, err := ipc.NewReader(resp.Body)
	if err != nil {
		return &Error{URL: u, Status: resp.StatusCode, Err: fmt.Errorf("the answer is not an Arrow IPC stream: %w", err)}
	}
	defer r.Release()
	if err := fn(r); err != nil {
		return err
	}
	if err := r.Err(); err != nil && !errors.Is(err, io.EOF) {
		return &Error{URL: u, Status: resp.StatusCode, Err: fmt.Errorf("reading the Arrow stream: %w", err)}
	}
	return nil
}

func (c *Client) getJSON(ctx context.Context, u string, v any) error {
	resp, err := c.do(ctx, u, "application/json")
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(io.LimitReader(resp.Body, 64<<20)).Decode(v); err != nil {
		return &Error{URL: u, Status: resp.StatusCode, Err: fmt.Errorf("the answer is not the JSON expected: %w", err)}
	}
	return nil
}

// do GETs u until it answers 200, retrying what may pass.
func (c *Client) do(ctx context.Context, u, accept string) (*http.Response, error) {
	wait := c.backoff
	for attempt := 0; ; attempt++ {
		resp, err := c.attempt(ctx, u, accept)
		if err == nil {
			return resp, nil
		}
		var ce *Error
		if !errors.As(err, &ce) || !ce.retryable() || attempt >= c.retries || ctx.Err() != nil {
			return nil, err
		}
		jitter := time.Duration(rand.Int64N(int64(wait)/2 + 1))
		select {
		case <-ctx.Done():
			return nil, err
		case <-time.After(wait + jitter):
		}
		wait *= 2
	}
}

func (c *Client) attempt(ctx context.Context, u, accept string) (*http.Response, error) {
	actx, cancel := context.WithCancel(ctx)
	timer := time.AfterFunc(c.timeout, cancel)
	req, err := http.NewRequestWithContext(actx, http.MethodGet, u, nil)
	if err != nil {
		cancel()
		return nil, &Error{URL: u, Err: err}
	}
	req.Header.Set("Accept", accept)
	// The trace context of ctx, if any, goes along (W3C traceparent), so
	// that the node's spans join the caller's trace.
	propagator.Inject(actx, propagation.HeaderCarrier(req.Header))
	resp, err := c.http.Do(req)
	timedOut := !timer.Stop()
	if err != nil {
		cancel()
		var ne net.Error
		to := timedOut || (errors.As(err, &ne) && ne.Timeout())
		return nil, &Error{URL: u, Timeout: to && ctx.Err() == nil, Err: err}
	}
	if resp.StatusCode != http.StatusOK {
		defer cancel()
		defer resp.Body.Close()
		e := &Error{URL: u, Status: resp.StatusCode}
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		var p Problem
		if json.Unmarshal(body, &p) == nil && p.Title != "" {
			e.Problem = &p
		}
		return nil, e
	}
	resp.Body = &cancelBody{ReadCloser: resp.Body, cancel: cancel}
	return resp, nil
}

// cancelBody releases the attempt's context when the body is closed.
type cancelBody struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (b *cancelBody) Close() error {
	err := b.ReadCloser.Close()
	b.cancel()
	return err
}
