package web

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// With -update-screenshots (or UPDATE_SCREENSHOTS=1), the browser test
// writes docs/screenshots/{search,product,lineage}.png.
var updateScreenshots = flag.Bool("update-screenshots", false, "write the screenshots of docs/screenshots")

const screenshotDir = "../../docs/screenshots"

// chromium finds Debian's chromium. Without one, the browser tests skip,
// except in CI, where they fail.
func chromium(t *testing.T) string {
	t.Helper()
	if _, err := os.Stat("/usr/bin/chromium"); err == nil {
		return "/usr/bin/chromium"
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("no chromium found: install it (apt-get install -y chromium); CI runs the browser tests")
	}
	t.Skip("no chromium found (apt-get install -y chromium): skipping the browser tests")
	return ""
}

// browser starts a headless chromium with a tab, and collects the page's
// JavaScript exceptions and console errors.
type browser struct {
	ctx    context.Context
	mu     sync.Mutex
	errors []string
}

func newBrowser(t *testing.T) *browser {
	t.Helper()
	path := chromium(t)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 860),
	)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	actx, acancel := chromedp.NewExecAllocator(ctx, opts...)
	t.Cleanup(acancel)
	bctx, bcancel := chromedp.NewContext(actx, chromedp.WithLogf(t.Logf))
	t.Cleanup(bcancel)
	b := &browser{ctx: bctx}
	err := chromedp.Listen(bctx, func(ev any) {
		var msg string
		switch ev := ev.(type) {
		case *runtime.EventExceptionThrown:
			d := ev.ExceptionDetails
			msg = fmt.Sprintf("exception: %s at %s:%d", d.Text, d.URL, d.LineNumber)
			if d.Exception != nil && d.Exception.Description != "" {
				msg += ": " + d.Exception.Description
			}
		case *runtime.EventConsoleAPICalled:
			if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeWarning {
				var args []string
				for _, a := range ev.Args {
					args = append(args, string(a.Value)+a.Description)
				}
				msg = fmt.Sprintf("console.%s: %s", ev.Type, strings.Join(args, " "))
			}
		case *cdplog.EventEntryAdded:
			if ev.Entry.Level == cdplog.EntryLevelError || ev.Entry.Level == cdplog.EntryLevelWarning {
				msg = fmt.Sprintf("%s %s: %s (%s)", ev.Entry.Source, ev.Entry.Level, ev.Entry.Text, ev.Entry.URL)
			}
		}
		if msg != "" {
			b.mu.Lock()
			b.errors = append(b.errors, msg)
			b.mu.Unlock()
		}
	})
	if err != nil {
		t.Fatalf("starting chromium (%s): %v", path, err)
	}
	if _, err := chromedp.Call(bctx, cdplog.Enable, cdp.Empty{}); err != nil {
		t.Fatalf("chromium: %v", err)
	}
	return b
}

// takeErrors returns the errors seen so far and forgets them.
func (b *browser) takeErrors() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	errs := b.errors
	b.errors = nil
	return errs
}

func (b *browser) do(t *testing.T, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(b.ctx, steps...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// follow runs steps that lead to another page and waits for it.
func (b *browser) follow(t *testing.T, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	resp, err := chromedp.RunResponse(b.ctx, steps...)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	if resp == nil || resp.Status != 200 {
		t.Fatalf("%s: answer %+v", what, resp)
	}
}

func run[T any](t *testing.T, b *browser, what string, a chromedp.Action[T]) T {
	t.Helper()
	v, err := chromedp.Run(b.ctx, a)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return v
}

func (b *browser) location(t *testing.T) string {
	t.Helper()
	return run(t, b, "location", chromedp.Location())
}

func (b *browser) count(t *testing.T, css string) int {
	t.Helper()
	return run(t, b, "count "+css, chromedp.Evaluate[int](fmt.Sprintf("document.querySelectorAll(%q).length", css)))
}

func (b *browser) text(t *testing.T, css string) string {
	t.Helper()
	return run(t, b, "text of "+css, chromedp.Text(chromedp.CSS(css)))
}

func (b *browser) screenshot(t *testing.T, name string, full bool) {
	t.Helper()
	if !*updateScreenshots && os.Getenv("UPDATE_SCREENSHOTS") != "1" {
		return
	}
	var shot chromedp.Action[[]byte] = chromedp.CaptureScreenshot()
	if full {
		shot = chromedp.FullScreenshot(100) // 100: PNG
	}
	png := run(t, b, "screenshot", shot)
	if err := os.MkdirAll(screenshotDir, 0o755); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(screenshotDir, name+".png")
	if err := os.WriteFile(p, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s (%d bytes)", p, len(png))
}

// TestBrowser walks the pages as a person would: search, open a product,
// read its schema, open its lineage and see the diagram, then the impact.
func TestBrowser(t *testing.T) {
	b := newBrowser(t)
	tc := startCatalog(t)
	tc.seed(t)

	// The search page lists everything, with facets.
	b.follow(t, "open the search page", chromedp.Navigate(tc.url+"/"))
	b.do(t, "search page", chromedp.WaitVisible(chromedp.ID("q")))
	if got := b.text(t, "#result-count"); !strings.Contains(got, "of 6 products") {
		t.Errorf("search page: %q", got)
	}
	if n := b.count(t, ".facet li"); n < 10 {
		t.Errorf("%d facet values", n)
	}

	// Search.
	b.follow(t, "search", chromedp.SendKeys(chromedp.ID("q"), "delays airport\n"))
	if loc := b.location(t); !strings.HasSuffix(loc, "/?q=delays+airport") {
		t.Errorf("location after the search: %s", loc)
	}
	if got := b.text(t, "#result-count"); !strings.Contains(got, "of 4 products") {
		t.Errorf("search for delays airport: %q", got)
	}
	if got := b.text(t, ".result-title"); got != "Monthly flight delays by origin airport" {
		t.Errorf("first result %q", got)
	}
	// A facet narrows the search.
	b.follow(t, "facet", chromedp.Click(chromedp.CSS(`#facet-domain a`)))
	if got := b.text(t, "#result-count"); !strings.Contains(got, "1 product") {
		t.Errorf("after a facet: %q", got)
	}
	b.follow(t, "back to the search", chromedp.Navigate(tc.url+"/?q=airport"))
	if got := b.text(t, "#result-count"); !strings.Contains(got, "of 5 products") {
		t.Errorf("search for airport: %q", got)
	}
	b.screenshot(t, "search", false)

	// Open a product and read its schema.
	b.follow(t, "open the product", chromedp.Click(chromedp.CSS(`a.result-title[href="/products/aviation/delays-by-airport"]`)))
	b.do(t, "product page", chromedp.WaitVisible(chromedp.ID("schema")))
	if got := b.text(t, "#product-id"); got != "aviation/delays-by-airport@1.0.0" {
		t.Errorf("product id %q", got)
	}
	if n := b.count(t, "#schema tbody tr"); n != 6 {
		t.Errorf("schema has %d rows, want 6", n)
	}
	if got := b.text(t, "#schema tbody tr:first-child"); !strings.Contains(got, "airport") || !strings.Contains(got, "IATA code of the origin airport") || !strings.Contains(got, "required") {
		t.Errorf("first schema row %q", got)
	}
	if got := b.text(t, "#nodes tbody"); !strings.Contains(got, "aviation-node") || !strings.Contains(got, "passed 4") {
		t.Errorf("serving nodes %q", got)
	}
	if n := b.count(t, `#nodes a.sample[href$="/v1/data?limit=10"]`); n != 1 {
		t.Errorf("%d sample-data links", n)
	}
	b.screenshot(t, "product", true)

	// Open its lineage: the diagram draws every node of the API's graph.
	b.follow(t, "open the lineage", chromedp.Click(chromedp.ID("lineage-link")))
	b.do(t, "lineage diagram", chromedp.WaitVisible(chromedp.CSS(`#lineage-graph[data-rendered="true"]`)))
	g, err := tc.srv.Lineage(context.Background(), "aviation", "delays-by-airport", "both", 0)
	if err != nil {
		t.Fatal(err)
	}
	nodes := run(t, b, "cytoscape nodes", chromedp.Evaluate[int](`window.lineageGraph.nodes().length`))
	edges := run(t, b, "cytoscape edges", chromedp.Evaluate[int](`window.lineageGraph.edges().length`))
	if nodes != len(g.Nodes) || edges != len(g.Edges) || nodes != 7 {
		t.Errorf("diagram has %d nodes and %d edges; the lineage %d and %d", nodes, edges, len(g.Nodes), len(g.Edges))
	}
	// dagre lays data flowing left to right, inside the box.
	xs := run(t, b, "positions", chromedp.Evaluate[[]float64](`(() => {
		const cy = window.lineageGraph, x = id => cy.getElementById(id).renderedPosition('x');
		return [x('geo:file:data/airports.csv'), x('geo/airports'), x('aviation/delays-by-airport'), x('finance/delay-costs'), x('marketing/route-campaigns')];
	})()`))
	for i := 1; i < len(xs); i++ {
		if !(xs[i-1] < xs[i]) {
			t.Errorf("nodes not laid out left to right along the flow: %v", xs)
			break
		}
	}
	inside := run(t, b, "nodes inside the box", chromedp.Evaluate[bool](`(() => {
		const cy = window.lineageGraph, w = cy.width(), h = cy.height();
		return w > 0 && h > 0 && cy.nodes().every(n => { const bb = n.renderedBoundingBox(); return bb.w > 10 && bb.x1 >= -1 && bb.x2 <= w + 1 && bb.y1 >= -1 && bb.y2 <= h + 1; });
	})()`))
	if !inside {
		t.Error("some lineage nodes are empty or outside the diagram")
	}
	if n := b.count(t, "#lineage-graph canvas"); n == 0 {
		t.Error("cytoscape drew no canvas")
	}
	if n := b.count(t, "#lineage-edges tbody tr"); n != len(g.Edges) {
		t.Errorf("the edge list has %d rows, want %d", n, len(g.Edges))
	}
	b.screenshot(t, "lineage", false)

	// A product node leads to that product's lineage.
	b.follow(t, "tap a node", chromedp.Evaluate[chromedp.Void](`void window.lineageGraph.getElementById('geo/airports').emit('tap')`))
	if loc := b.location(t); !strings.HasSuffix(loc, "/lineage/geo/airports") {
		t.Errorf("after tapping geo/airports: %s", loc)
	}
	b.do(t, "airports lineage", chromedp.WaitVisible(chromedp.CSS(`#lineage-graph[data-rendered="true"]`)))

	// The impact page lists everything downstream and the owners.
	b.follow(t, "open the impact", chromedp.Navigate(tc.url+"/products/aviation/delays-by-airport"))
	b.follow(t, "open the impact", chromedp.Click(chromedp.ID("impact-link")))
	b.do(t, "impact page", chromedp.WaitVisible(chromedp.ID("impacted")))
	if n := b.count(t, "#impacted tbody tr"); n != 3 {
		t.Errorf("impact lists %d products, want 3", n)
	}
	if got := b.text(t, "#owners tbody"); !strings.Contains(got, "finance-insights") || !strings.Contains(got, "growth") || !strings.Contains(got, "aviation-ops") {
		t.Errorf("owners to notify: %q", got)
	}
	if got := b.text(t, "#impact-summary"); got != "3 products downstream (2 direct), owned by 3 teams." {
		t.Errorf("impact summary %q", got)
	}

	// Domains.
	b.follow(t, "domains", chromedp.Click(chromedp.CSS(`.top nav a[href="/domains"]`)))
	if n := b.count(t, "#domains tbody tr"); n != 5 {
		t.Errorf("%d domains", n)
	}
	b.follow(t, "a domain", chromedp.Click(chromedp.CSS(`#domains a[href="/domains/aviation"]`)))
	if n := b.count(t, "#domain-products tbody tr"); n != 2 {
		t.Errorf("aviation has %d products", n)
	}

	// The title with markup in it stays text.
	b.follow(t, "escaped product", chromedp.Navigate(tc.url+"/products/marketing/route-campaigns"))
	if got := b.text(t, "#product-title"); got != `<script>alert("pwned")</script> Route campaigns` {
		t.Errorf("title %q", got)
	}

	if errs := b.takeErrors(); len(errs) > 0 {
		t.Errorf("the pages logged errors:\n%s", strings.Join(errs, "\n"))
	}

	// Without JavaScript, the lineage reads as lists.
	if _, err := chromedp.Call(b.ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true}); err != nil {
		t.Fatal(err)
	}
	b.follow(t, "lineage without JavaScript", chromedp.Navigate(tc.url+"/lineage/aviation/delays-by-airport"))
	if n := b.count(t, `#lineage-graph[data-rendered]`); n != 0 {
		t.Error("the diagram rendered with scripts disabled?")
	}
	if got := b.text(t, "#lineage-edges"); !strings.Contains(got, "geo/airports") || !strings.Contains(got, "finance/delay-costs") {
		t.Errorf("edge list without JavaScript: %q", got)
	}
	if _, err := chromedp.Call(b.ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: false}); err != nil {
		t.Fatal(err)
	}

	// An unknown product is a 404 page.
	resp, err := chromedp.RunResponse(b.ctx, chromedp.Navigate(tc.url+"/products/aviation/nothing-here"))
	if err != nil {
		t.Fatal(err)
	}
	if resp.Status != 404 {
		t.Errorf("unknown product: status %d", resp.Status)
	}
	if got := b.text(t, "h1"); got != "Not Found" {
		t.Errorf("404 page heading %q", got)
	}
}
