// Package client talks to a catalog's HTTP API: nodes register and
// heartbeat with it, CI publishes descriptors to it, and composition
// resolves domain/name@range through it.
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/datamesh/datamesh/catalog"
	"github.com/datamesh/datamesh/descriptor"
)

// Client is a catalog's API client. Its zero value is not usable: use New.
type Client struct {
	// BaseURL is the catalog's URL (http://host:port).
	BaseURL string
	// HTTP does the requests (default: a client with a 30s timeout).
	HTTP *http.Client
	// NodeToken is sent with registrations and heartbeats when set.
	NodeToken string
	// UserAgent names the caller.
	UserAgent string
}

// New returns a client of the catalog at baseURL.
func New(baseURL string) *Client {
	return &Client{BaseURL: strings.TrimRight(baseURL, "/"), HTTP: &http.Client{Timeout: 30 * time.Second}, UserAgent: "datamesh"}
}

// Error is a problem the catalog answered (RFC 9457), with the problems of
// a 422 and the changes of a 409 when there are.
type Error struct {
	Status    int                 `json:"status"`
	Type      string              `json:"type"`
	Title     string              `json:"title"`
	Detail    string              `json:"detail"`
	Param     string              `json:"parameter,omitempty"`
	Problems  []catalog.ProblemAt `json:"problems,omitempty"`
	Conflicts []catalog.Changes   `json:"conflicts,omitempty"`
	Cycles    [][]string          `json:"cycles,omitempty"`
}

func (e *Error) Error() string {
	msg := fmt.Sprintf("catalog: %d %s", e.Status, e.Title)
	if e.Detail != "" {
		msg += ": " + e.Detail
	}
	return msg
}

// IsNotFound reports whether err is a 404 from the catalog.
func IsNotFound(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Status == http.StatusNotFound
}

// do sends a request and decodes a JSON answer into out.
func (c *Client) do(ctx context.Context, method, path, token, contentType string, body []byte, out any) error {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.BaseURL+path, rd)
	if err != nil {
		return err
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("Accept", "application/json")
	if c.UserAgent != "" {
		req.Header.Set("User-Agent", c.UserAgent)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return fmt.Errorf("catalog %s: %w", c.BaseURL, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return fmt.Errorf("catalog %s: %w", c.BaseURL, err)
	}
	if resp.StatusCode >= 300 {
		e := &Error{Status: resp.StatusCode, Title: http.StatusText(resp.StatusCode)}
		if json.Unmarshal(data, e) != nil || e.Title == "" {
			e.Title = http.StatusText(resp.StatusCode)
			e.Detail = strings.TrimSpace(string(data))
		}
		e.Status = resp.StatusCode
		return e
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("catalog %s: answer to %s %s is not the JSON expected: %w", c.BaseURL, method, path, err)
	}
	return nil
}

// Register records a node and the products it serves.
func (c *Client) Register(ctx context.Context, reg catalog.Registration) (*catalog.RegisterResult, error) {
	body, err := json.Marshal(reg)
	if err != nil {
		return nil, err
	}
	var res catalog.RegisterResult
	if err := c.do(ctx, http.MethodPost, "/api/nodes", c.NodeToken, "application/json", body, &res); err != nil {
		return nil, err
	}
	return &res, nil
}

// Heartbeat tells the catalog the node is alive, with optional statuses of
// its products. A 404 (IsNotFound) means the catalog forgot the node:
// register again.
func (c *Client) Heartbeat(ctx context.Context, node string, statuses ...catalog.ProductStatus) error {
	body, err := json.Marshal(catalog.Heartbeat{Products: statuses})
	if err != nil {
		return err
	}
	return c.do(ctx, http.MethodPost, "/api/nodes/"+url.PathEscape(node)+"/heartbeat", c.NodeToken, "application/json", body, nil)
}

// Publish sends descriptors (raw YAML files) with the publish token.
func (c *Client) Publish(ctx context.Context, token string, files []catalog.File) (*catalog.PublishResult, error) {
	body, err := json.Marshal(catalog.PublishRequest{Files: files})
	if err != nil {
		return nil, err
	}
	var res catalog.PublishResult
	if err := c.do(ctx, http.MethodPost, "/api/publish", token, "application/json", body, &res); err != nil {
		return nil, err
	}
	return &res, nil
}

// Resolve finds the highest available version matching ref
// (domain/name@range) and a node serving it.
func (c *Client) Resolve(ctx context.Context, ref string) (*catalog.Resolution, error) {
	var res catalog.Resolution
	if err := c.do(ctx, http.MethodGet, "/api/resolve?ref="+url.QueryEscape(ref), "", "", nil, &res); err != nil {
		return nil, err
	}
	return &res, nil
}

// Search runs GET /api/products with q in the search syntax.
func (c *Client) Search(ctx context.Context, q string, limit, offset int) (*catalog.SearchResult, error) {
	v := url.Values{}
	if q != "" {
		v.Set("q", q)
	}
	if limit > 0 {
		v.Set("limit", fmt.Sprint(limit))
	}
	if offset > 0 {
		v.Set("offset", fmt.Sprint(offset))
	}
	var res catalog.SearchResult
	if err := c.do(ctx, http.MethodGet, "/api/products?"+v.Encode(), "", "", nil, &res); err != nil {
		return nil, err
	}
	return &res, nil
}

// FilesFromDir reads the descriptors under dir as LoadDir finds them
// (skipping files and folders starting with . or _, and YAML that is not
// a descriptor), with paths relative to dir, for Publish. Local problems
// are left to the catalog, which reports them all.
func FilesFromDir(dir string) ([]catalog.File, error) {
	products, probs := descriptor.LoadDir(dir)
	var files []catalog.File
	seen := map[string]bool{}
	for _, p := range products {
		if seen[p.File] {
			continue
		}
		seen[p.File] = true
		data, err := os.ReadFile(p.File)
		if err != nil {
			return nil, err
		}
		rel, err := filepath.Rel(dir, p.File)
		if err != nil {
			rel = p.File
		}
		files = append(files, catalog.File{Path: filepath.ToSlash(rel), Content: string(data)})
	}
	// A descriptor that does not even parse is not among products: send
	// it too, so that the catalog reports it with the rest.
	for _, pr := range probs {
		f := pr.Pos.File
		if f == "" || seen[f] || !strings.HasSuffix(f, ".yaml") && !strings.HasSuffix(f, ".yml") {
			continue
		}
		if info, err := os.Stat(f); err != nil || !info.Mode().IsRegular() {
			continue
		}
		seen[f] = true
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		rel, _ := filepath.Rel(dir, f)
		files = append(files, catalog.File{Path: filepath.ToSlash(rel), Content: string(data)})
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("no data product descriptors under %s: %w", dir, fs.ErrNotExist)
	}
	return files, nil
}

// FetchRegistration builds a node's registration from its protocol v1
// answers: /.well-known/datamesh for its name, GET /products, and GET
// /products/{name} for each product's full self-description.
func FetchRegistration(ctx context.Context, hc *http.Client, nodeURL string) (catalog.Registration, error) {
	base := strings.TrimRight(nodeURL, "/")
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	get := func(path string, out any) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+path, nil)
		if err != nil {
			return err
		}
		req.Header.Set("Accept", "application/json")
		resp, err := hc.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("node %s: GET %s: %s", base, path, resp.Status)
		}
		return json.NewDecoder(resp.Body).Decode(out)
	}
	var wk struct {
		Name string `json:"name"`
	}
	if err := get("/.well-known/datamesh", &wk); err != nil {
		return catalog.Registration{}, err
	}
	var list []catalog.NodeProduct
	if err := get("/products", &list); err != nil {
		return catalog.Registration{}, err
	}
	reg := catalog.Registration{Name: wk.Name, URL: base, Products: []catalog.NodeProduct{}}
	done := map[string]bool{}
	for _, item := range list {
		if done[item.Name] {
			continue // the description of a name covers its versions
		}
		done[item.Name] = true
		var full catalog.NodeProduct
		if err := get("/products/"+url.PathEscape(item.Name), &full); err != nil {
			return catalog.Registration{}, err
		}
		reg.Products = append(reg.Products, full)
	}
	// Majors the full description does not list stay as summaries.
	for _, item := range list {
		listed := false
		for _, p := range reg.Products {
			if p.Name != item.Name {
				continue
			}
			if p.Version == item.Version {
				listed = true
			}
			for _, v := range p.Versions {
				if v.Version == item.Version {
					listed = true
				}
			}
		}
		if !listed {
			reg.Products = append(reg.Products, item)
		}
	}
	return reg, nil
}

// Keep registers reg and heartbeats every interval until ctx ends,
// registering again when the catalog forgot the node or was unreachable.
// It logs failures and keeps trying; it returns ctx's error.
func (c *Client) Keep(ctx context.Context, reg catalog.Registration, interval time.Duration, log *slog.Logger) error {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if interval <= 0 {
		interval = 10 * time.Second
	}
	registered := false
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if !registered {
			if res, err := c.Register(ctx, reg); err != nil {
				log.Warn("catalog registration failed; retrying", "catalog", c.BaseURL, "err", err)
			} else {
				registered = true
				log.Info("registered with the catalog", "catalog", c.BaseURL, "products", len(res.Products))
			}
		} else if err := c.Heartbeat(ctx, reg.Name); err != nil {
			log.Warn("catalog heartbeat failed", "catalog", c.BaseURL, "err", err)
			registered = false
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}
