// Package httpapi reads the records of an HTTP JSON API (connector kind
// "http"): GET requests, one row per record, one column per field of the
// records, following the API's pagination. Only GET requests are sent.
package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/datamesh/datamesh/connector"
	"github.com/datamesh/datamesh/connector/internal/jsonrows"
)

// Defaults and limits.
const (
	DefaultTimeout  = 30 * time.Second
	DefaultMaxPages = 1000
	MaxBody         = 256 << 20 // bytes of one answer
)

// Pagination types.
var PaginationTypes = []string{"link", "page", "cursor"}

func init() {
	connector.Register(connector.Spec{
		Kind:      "http",
		Summary:   "the records of an HTTP JSON API, following its pagination",
		Shorthand: "url",
		Options: []connector.Option{
			{Name: "url", Type: connector.TypeString, Required: true,
				Description: "the http:// or https:// URL answering JSON; query parameters allowed",
				Example:     "https://api.example.com/v1/customers?status=active"},
			{Name: "tokenEnv", Type: connector.TypeString,
				Description: "name of the environment variable holding a bearer token, sent as `Authorization: Bearer <token>`, and only to the URL's own scheme, host and port",
				Example:     "CRM_API_TOKEN"},
			{Name: "records", Type: connector.TypeString,
				Description: "dot path to the array of records in the answer (`data.items`); default: the answer is the array",
				Example:     "data"},
			{Name: "pagination", Type: connector.TypeMap,
				Description: "how to get the next pages: `type: link` follows the `Link: <...>; rel=\"next\"` header; `type: page` counts pages in the query parameter `param` (default page, from `start`, default 1) until a page has no records, or fewer than `size` when `sizeParam` and `size` are given; `type: cursor` sends the value found at the dot path `cursorPath` of each answer in the query parameter `param` (default cursor) until it is missing, null or empty. `maxPages` (default 1000) caps the pages: an API with more fails rather than being read in part",
				Example:     "{type: cursor, cursorPath: meta.next, param: after}"},
			{Name: "timeout", Type: connector.TypeString,
				Description: "time allowed for each request, as a Go duration (default 30s)",
				Example:     "10s"},
		},
		New: New,
	})
}

// Pagination says how to get the next pages.
type Pagination struct {
	Type       string // link, page, cursor; empty: one request
	Param      string // page number or cursor query parameter
	Start      int    // first page number
	SizeParam  string // page size query parameter
	Size       int    // page size
	CursorPath []string
	MaxPages   int
}

// HTTP is an input read from an HTTP JSON API.
type HTTP struct {
	Input      string
	URL        *url.URL
	TokenEnv   string
	Records    []string // path to the records array
	Pagination Pagination
	Timeout    time.Duration
}

var _ connector.Connector = (*HTTP)(nil)

var envName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// New checks the options; it neither reads the environment nor connects.
func New(c connector.Config) (connector.Connector, error) {
	h := &HTTP{Input: c.Input, Timeout: DefaultTimeout, Pagination: Pagination{MaxPages: DefaultMaxPages}}
	raw, _ := c.Options["url"].(string)
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, &connector.OptionError{Option: "url", Msg: "must be an http:// or https:// URL"}
	}
	if u.User != nil {
		return nil, &connector.OptionError{Option: "url", Msg: "must not hold credentials: secrets never stand in a descriptor; use tokenEnv"}
	}
	h.URL = u
	h.TokenEnv, _ = c.Options["tokenEnv"].(string)
	if h.TokenEnv != "" && !envName.MatchString(h.TokenEnv) {
		return nil, &connector.OptionError{Option: "tokenEnv", Msg: fmt.Sprintf("%q is not an environment variable name; it names the variable holding the token, never the token itself", h.TokenEnv)}
	}
	if r, _ := c.Options["records"].(string); r != "" {
		if h.Records, err = splitPath(r); err != nil {
			return nil, &connector.OptionError{Option: "records", Msg: err.Error()}
		}
	}
	if s, ok := c.Options["timeout"].(string); ok && s != "" {
		d, err := time.ParseDuration(s)
		if err != nil || d <= 0 {
			return nil, &connector.OptionError{Option: "timeout", Msg: fmt.Sprintf("%q is not a duration such as 10s or 2m", s)}
		}
		h.Timeout = d
	}
	if m, ok := c.Options["pagination"].(map[string]any); ok {
		if h.Pagination, err = parsePagination(m); err != nil {
			return nil, err
		}
	}
	return h, nil
}

func splitPath(p string) ([]string, error) {
	parts := strings.Split(p, ".")
	if slices.Contains(parts, "") {
		return nil, fmt.Errorf("%q is not a dot path such as data.items", p)
	}
	return parts, nil
}

func parsePagination(m map[string]any) (Pagination, error) {
	pg := Pagination{MaxPages: DefaultMaxPages, Start: 1}
	bad := func(key, msg string) error {
		return &connector.OptionError{Option: "pagination." + key, Msg: msg}
	}
	str := func(key string) (string, error) {
		v, ok := m[key]
		if !ok {
			return "", nil
		}
		s, ok := v.(string)
		if !ok || s == "" {
			return "", bad(key, "must be a non-empty string")
		}
		return s, nil
	}
	num := func(key string, least int) (int, bool, error) {
		v, ok := m[key]
		if !ok {
			return 0, false, nil
		}
		n, ok := v.(int)
		if !ok || n < least {
			return 0, false, bad(key, fmt.Sprintf("must be an integer, %d or more", least))
		}
		return n, true, nil
	}
	keys := []string{"type", "param", "start", "sizeParam", "size", "cursorPath", "maxPages"}
	for k := range m {
		if !slices.Contains(keys, k) {
			return pg, bad(k, fmt.Sprintf("unknown key (known: %s)", strings.Join(keys, ", ")))
		}
	}
	var err error
	if pg.Type, err = str("type"); err != nil {
		return pg, err
	}
	if !slices.Contains(PaginationTypes, pg.Type) {
		return pg, bad("type", "must be link, page or cursor")
	}
	if pg.Param, err = str("param"); err != nil {
		return pg, err
	}
	if pg.SizeParam, err = str("sizeParam"); err != nil {
		return pg, err
	}
	var hasStart, hasSize, hasMax bool
	if pg.Start, hasStart, err = num("start", 0); err != nil {
		return pg, err
	}
	if !hasStart {
		pg.Start = 1
	}
	if pg.Size, hasSize, err = num("size", 1); err != nil {
		return pg, err
	}
	var maxPages int
	if maxPages, hasMax, err = num("maxPages", 1); err != nil {
		return pg, err
	}
	if hasMax {
		pg.MaxPages = maxPages
	}
	cp, err := str("cursorPath")
	if err != nil {
		return pg, err
	}
	if hasSize != (pg.SizeParam != "") {
		return pg, bad("size", "give sizeParam and size together")
	}
	switch pg.Type {
	case "link":
		for _, k := range []string{"param", "start", "cursorPath"} {
			if _, ok := m[k]; ok {
				return pg, bad(k, "does not apply to link pagination")
			}
		}
	case "page":
		if pg.Param == "" {
			pg.Param = "page"
		}
		if cp != "" {
			return pg, bad("cursorPath", "applies to cursor pagination only")
		}
	case "cursor":
		if pg.Param == "" {
			pg.Param = "cursor"
		}
		if cp == "" {
			return pg, bad("cursorPath", "is required by cursor pagination: the dot path of the next cursor in each answer")
		}
		if hasStart {
			return pg, bad("start", "applies to page pagination only")
		}
		if pg.CursorPath, err = splitPath(cp); err != nil {
			return pg, bad("cursorPath", err.Error())
		}
	}
	return pg, nil
}

// Bind requests every page and loads the records as the table rel.
func (h *HTTP) Bind(ctx context.Context, e connector.Engine, rel connector.Relation) error {
	var token string
	if h.TokenEnv != "" {
		if token = os.Getenv(h.TokenEnv); token == "" {
			return fmt.Errorf("http input %q: environment variable %s is not set (tokenEnv names the variable holding the token)", h.Input, h.TokenEnv)
		}
	}
	client := &http.Client{
		Timeout: h.Timeout,
		// Redirects stay on the URL's origin, so that the token goes
		// nowhere else.
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= 10 {
				return errors.New("stopped after 10 redirects")
			}
			if !sameOrigin(req.URL, h.URL) {
				return fmt.Errorf("redirected to another origin (%s)", req.URL.Redacted())
			}
			return nil
		},
	}
	t := jsonrows.New()
	next := h.URL
	var lastCursor string
	for page := 1; next != nil; page++ {
		if page > h.Pagination.MaxPages {
			return fmt.Errorf("http input %q: %s: more than maxPages (%d) pages; raise pagination.maxPages to read them all",
				h.Input, h.URL.Redacted(), h.Pagination.MaxPages)
		}
		u := h.pageURL(next, page, lastCursor)
		body, header, err := h.get(ctx, client, u, token)
		if err != nil {
			return err
		}
		fail := func(format string, args ...any) error {
			return fmt.Errorf("http input %q: GET %s: %s", h.Input, u.Redacted(), fmt.Sprintf(format, args...))
		}
		recs, err := h.records(body)
		if err != nil {
			return fail("%v", err)
		}
		for i, raw := range recs {
			obj, err := jsonrows.Decode(raw)
			if err != nil {
				return fail("record %d %v", i+1, err)
			}
			t.Add(nil, obj)
		}
		next = nil
		switch h.Pagination.Type {
		case "link":
			if l := nextLink(header.Values("Link")); l != "" {
				lu, err := u.Parse(l)
				if err != nil {
					return fail("the next link %q is not a URL", l)
				}
				if !sameOrigin(lu, h.URL) {
					return fail("the next link %s leaves the API's origin; it is not followed", lu.Redacted())
				}
				next = lu
			}
		case "page":
			if len(recs) > 0 && (h.Pagination.Size == 0 || len(recs) >= h.Pagination.Size) {
				next = h.URL
			}
		case "cursor":
			c, err := cursor(body, h.Pagination.CursorPath)
			if err != nil {
				return fail("%v", err)
			}
			if c != "" {
				if c == lastCursor {
					return fail("the API answered the same cursor %q twice", c)
				}
				lastCursor = c
				next = h.URL
			}
		}
	}
	if t.Len() == 0 {
		return fmt.Errorf("%w: http input %q: %s answered no records, so there are no columns to infer",
			connector.ErrUnavailable, h.Input, h.URL.Redacted())
	}
	cols := t.Columns()
	if len(cols) == 0 {
		return fmt.Errorf("http input %q: %s: the records have no fields", h.Input, h.URL.Redacted())
	}
	return e.Load(ctx, rel, cols, t.Rows())
}

// pageURL is the URL of page n (counted from 1): next, with the page
// number or the cursor, and the size, set.
func (h *HTTP) pageURL(next *url.URL, n int, cursor string) *url.URL {
	pg := h.Pagination
	if pg.Type == "link" && n > 1 {
		return next // the server's link, as given
	}
	u := *next
	q := u.Query()
	switch pg.Type {
	case "page":
		q.Set(pg.Param, strconv.Itoa(pg.Start+n-1))
	case "cursor":
		if cursor != "" {
			q.Set(pg.Param, cursor)
		}
	}
	if pg.SizeParam != "" {
		q.Set(pg.SizeParam, strconv.Itoa(pg.Size))
	}
	if pg.Type != "" {
		u.RawQuery = q.Encode()
	}
	return &u
}

// get sends one GET and returns the body of a 2xx answer.
func (h *HTTP) get(ctx context.Context, client *http.Client, u *url.URL, token string) ([]byte, http.Header, error) {
	fail := func(err error, unavailable bool) error {
		msg := strings.ReplaceAll(err.Error(), u.String(), u.Redacted())
		if token != "" {
			msg = strings.ReplaceAll(msg, token, "xxxxx")
		}
		msg = fmt.Sprintf("http input %q: GET %s: %s", h.Input, u.Redacted(), msg)
		if unavailable {
			return fmt.Errorf("%w: %s", connector.ErrUnavailable, msg)
		}
		return errors.New(msg)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, nil, fail(err, false)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "datamesh")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // the URL is named already; a url.Error is a net.Error whatever its cause
		}
		var ne net.Error
		unavailable := errors.As(err, &ne) || errors.Is(err, context.DeadlineExceeded)
		return nil, nil, fail(err, unavailable)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxBody+1))
	if err != nil {
		return nil, nil, fail(fmt.Errorf("reading the answer: %w", err), true)
	}
	if len(body) > MaxBody {
		return nil, nil, fail(fmt.Errorf("the answer is larger than %d MiB", MaxBody>>20), false)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		// 5xx, 429 and 408: the API is down or busy now.
		unavailable := resp.StatusCode >= 500 || resp.StatusCode == 429 || resp.StatusCode == 408
		return nil, nil, fail(fmt.Errorf("%s%s", resp.Status, excerpt(body)), unavailable)
	}
	if !json.Valid(body) {
		ct := resp.Header.Get("Content-Type")
		return nil, nil, fail(fmt.Errorf("the answer (%s) is not JSON%s", ct, excerpt(body)), false)
	}
	return body, resp.Header, nil
}

// excerpt quotes the start of a body for an error message.
func excerpt(b []byte) string {
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return ""
	}
	const n = 120
	if len(b) > n {
		return fmt.Sprintf(": %q...", b[:n])
	}
	return fmt.Sprintf(": %q", b)
}

// records finds the array of records in an answer.
func (h *HTTP) records(body []byte) ([]json.RawMessage, error) {
	v := json.RawMessage(body)
	for i, k := range h.Records {
		var m map[string]json.RawMessage
		if err := json.Unmarshal(v, &m); err != nil {
			return nil, fmt.Errorf("records path %s: %s is not an object", strings.Join(h.Records, "."), describePath(h.Records[:i]))
		}
		var ok bool
		if v, ok = m[k]; !ok {
			return nil, fmt.Errorf("records path %s: %s has no field %q (fields: %s)", strings.Join(h.Records, "."), describePath(h.Records[:i]), k, fieldNames(m))
		}
	}
	v = bytes.TrimSpace(v)
	if bytes.Equal(v, []byte("null")) {
		return nil, nil
	}
	var recs []json.RawMessage
	if err := json.Unmarshal(v, &recs); err != nil {
		if len(h.Records) == 0 {
			var m map[string]json.RawMessage
			if json.Unmarshal(v, &m) == nil {
				return nil, fmt.Errorf("the answer is an object, not an array of records: set records to the path of the array (fields: %s)", fieldNames(m))
			}
			return nil, errors.New("the answer is not an array of records")
		}
		return nil, fmt.Errorf("records path %s is not an array", strings.Join(h.Records, "."))
	}
	return recs, nil
}

func describePath(p []string) string {
	if len(p) == 0 {
		return "the answer"
	}
	return strings.Join(p, ".")
}

func fieldNames(m map[string]json.RawMessage) string {
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	slices.Sort(names)
	return strings.Join(names, ", ")
}

// cursor finds the next cursor in an answer: "" when it is missing, null or
// empty.
func cursor(body []byte, path []string) (string, error) {
	v := json.RawMessage(body)
	for _, k := range path {
		var m map[string]json.RawMessage
		if json.Unmarshal(v, &m) != nil {
			return "", nil
		}
		var ok bool
		if v, ok = m[k]; !ok {
			return "", nil
		}
	}
	v = bytes.TrimSpace(v)
	switch {
	case len(v) == 0, bytes.Equal(v, []byte("null")):
		return "", nil
	case v[0] == '"':
		var s string
		if err := json.Unmarshal(v, &s); err != nil {
			return "", err
		}
		return s, nil
	case v[0] == '{', v[0] == '[':
		return "", fmt.Errorf("cursor %s is not a string or a number", strings.Join(path, "."))
	}
	return string(v), nil // a number
}

// nextLink finds the rel="next" target in Link headers (RFC 8288).
func nextLink(headers []string) string {
	for _, h := range headers {
		for _, link := range splitLinks(h) {
			link = strings.TrimSpace(link)
			end := strings.Index(link, ">")
			if !strings.HasPrefix(link, "<") || end < 0 {
				continue
			}
			target := link[1:end]
			for _, param := range strings.Split(link[end+1:], ";") {
				k, v, ok := strings.Cut(strings.TrimSpace(param), "=")
				if !ok || !strings.EqualFold(strings.TrimSpace(k), "rel") {
					continue
				}
				for _, rel := range strings.Fields(strings.Trim(strings.TrimSpace(v), `"`)) {
					if strings.EqualFold(rel, "next") {
						return target
					}
				}
			}
		}
	}
	return ""
}

// splitLinks splits a Link header at the commas between links (not those
// inside <...> or quotes).
func splitLinks(h string) []string {
	var out []string
	depth, quoted, start := 0, false, 0
	for i, c := range h {
		switch {
		case c == '"':
			quoted = !quoted
		case c == '<' && !quoted:
			depth++
		case c == '>' && !quoted:
			depth--
		case c == ',' && depth == 0 && !quoted:
			out = append(out, h[start:i])
			start = i + 1
		}
	}
	return append(out, h[start:])
}

func sameOrigin(a, b *url.URL) bool {
	return strings.EqualFold(a.Scheme, b.Scheme) && strings.EqualFold(a.Host, b.Host)
}
