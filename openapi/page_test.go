package openapi

import (
	"bytes"
	"regexp"
	"strings"
	"testing"
)

func render(t *testing.T, n Node, products []Product) string {
	t.Helper()
	var b bytes.Buffer
	if err := Page(&b, n, products); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestPageEscapes(t *testing.T) {
	p := delays()
	p.Description = `Delays <script>alert("x")</script> & more`
	p.Title = `Delays <img src=x onerror=alert(1)>`
	p.Tags = []string{"<b>bold</b>"}
	p.Columns[1].Description = `state <iframe src="//evil">`
	p.Owner.Email = `javascript:alert(1)`
	page := render(t, Node{Name: `node"><script>`, BaseURL: "http://localhost:8080"}, []Product{p})

	for _, raw := range []string{"<script", "<img", "<iframe", "<b>bold", `href="javascript:`, `"><script>`} {
		if strings.Contains(page, raw) {
			t.Errorf("the page contains unescaped %q", raw)
		}
	}
	for _, escaped := range []string{
		`Delays &lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; more`,
		`Delays &lt;img src=x onerror=alert(1)&gt;`,
		`&lt;b&gt;bold&lt;/b&gt;`,
		`state &lt;iframe src=&#34;//evil&#34;&gt;`,
	} {
		if !strings.Contains(page, escaped) {
			t.Errorf("the page lacks the escaped text %q", escaped)
		}
	}
}

func TestPageContent(t *testing.T) {
	page := render(t, testNode(), testProducts())

	for _, want := range []string{
		"<title>aviation-node (datamesh node): API</title>",
		"<dd>aviation, test</dd>",
		`<a href="http://localhost:8080/openapi.json">`,
		"<h2>Monthly flight delays by origin airport</h2>",
		"<code>aviation/delays-by-airport@1.0.0</code>",
		"Mean and 95th percentile departure delay per origin airport and month.",
		`aviation-analytics &lt;<a href="mailto:aviation@example.com">aviation@example.com</a>&gt;`,
		`<span class="tag">flights</span><span class="tag">delays</span>`,
		"<dd>airport, month</dd>",
		"<code>GET /products/delays-by-airport/v1/data</code>",
		"<code>GET /products/delays-by-airport/v1/schema</code>",
		// curl lines, quoted for a shell; html/template writes ' as &#39;.
		"curl &#39;http://localhost:8080/products/delays-by-airport/v1/data?limit=10&#39;",
		"curl &#39;http://localhost:8080/products/delays-by-airport/v1/data?airport=eq.JFK&amp;limit=10&#39;",
		"curl -H &#39;Accept: text/csv&#39; &#39;http://localhost:8080/products/delays-by-airport/v1/data&#39;",
		"curl &#39;http://localhost:8080/products/delays-by-airport/v1/schema&#39;",
		"curl &#39;http://localhost:8080/products/delays-by-airport/v1/data?select=airport,state&amp;order=airport.desc&amp;limit=10&#39;",
		"With <code>limit</code> (1 to 10000)",
		// deprecated kitchen-sink v1, with its sunset
		"1.4.2 (major v1) <span class=\"deprecated\">deprecated, sunset 2026-12-31</span>",
		// a date example from YAML (time.Time) shown as a date
		"Examples: 2024-03-01",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %q", want)
		}
	}

	// Self-contained: no script, no external style sheet, image or font.
	for _, bad := range []string{"<script", "<link", "src=", "@import", "url("} {
		if strings.Contains(page, bad) {
			t.Errorf("the page is not self-contained: it contains %q", bad)
		}
	}

	// Each product's column table lists each column, in order, with its
	// type and whether it is required.
	sections := regexp.MustCompile(`(?s)<section class="product" id="([^"]+)">(.*?)</section>`).FindAllStringSubmatch(page, -1)
	if len(sections) != 3 {
		t.Fatalf("%d product sections, want 3", len(sections))
	}
	row := regexp.MustCompile(`<tr><td><code>([^<]*)</code></td><td>([^<]*)</td><td>([^<]*)</td>`)
	for i, p := range testProducts() {
		sec := sections[i]
		if want := "product-" + p.Name + "-v" + string(rune('0'+p.Major)); sec[1] != want {
			t.Errorf("section %d id %q, want %q", i, sec[1], want)
		}
		rows := row.FindAllStringSubmatch(sec[2], -1)
		if len(rows) != len(p.Columns) {
			t.Errorf("%s v%d: %d column rows, want %d", p.Name, p.Major, len(rows), len(p.Columns))
			continue
		}
		for j, c := range p.Columns {
			if rows[j][1] != c.Name || rows[j][2] != string(c.LogicalType) {
				t.Errorf("%s row %d: %q %q, want %q %q", p.Name, j, rows[j][1], rows[j][2], c.Name, c.LogicalType)
			}
			if want := p.required(c); strings.HasPrefix(rows[j][3], "yes") != want {
				t.Errorf("%s.%s required %q, want %v", p.Name, c.Name, rows[j][3], want)
			}
		}
	}
	if !strings.Contains(sections[0][2], "<td><code>airport</code></td><td>string</td><td>yes (primary key)</td><td>IATA code of the origin airport") {
		t.Error("the airport row lacks its description")
	}
}

func TestPageWithoutBaseURL(t *testing.T) {
	page := render(t, Node{Name: "n"}, []Product{delays()})
	for _, want := range []string{
		`<a href="openapi.json">`,
		`<a href="products/delays-by-airport/v1/data?limit=10">`,
		`curl &#34;$NODE/products/delays-by-airport/v1/data?limit=10&#34;`,
		"$NODE stands for this node",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	for _, bad := range []string{`href="http`, "curl &#39;http", "curl http"} {
		if strings.Contains(page, bad) {
			t.Errorf("the page invents an absolute URL: %q", bad)
		}
	}
}

func TestPageNoProducts(t *testing.T) {
	if page := render(t, Node{Name: "empty"}, nil); !strings.Contains(page, "This node serves no products.") {
		t.Error("an empty node's page does not say so")
	}
}

func TestShellQuoting(t *testing.T) {
	for _, tc := range []struct{ base, rest, want string }{
		{"http://h", "products/x/v1/data", `'http://h/products/x/v1/data'`},
		{"http://h/it's", "a", `'http://h/it'\''s/a'`},
		{"", "products/x", `"$NODE/products/x"`},
		{"", "a$b`c\"d\\", `"$NODE/a\$b\` + "`" + `c\"d\\"`},
	} {
		if got := shellURL(tc.base, tc.rest); got != tc.want {
			t.Errorf("shellURL(%q, %q) = %s, want %s", tc.base, tc.rest, got, tc.want)
		}
	}
}
