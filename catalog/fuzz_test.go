package catalog_test

import (
	"net/http"
	"net/url"
	"testing"
)

// FuzzSearchAPI: whatever q and filters a client sends, the search answers
// 200 with results or 400 with a problem, never 500 (no user text ever
// reaches the full-text engine as syntax).
func FuzzSearchAPI(f *testing.F) {
	for _, s := range []string{"", "delays", `"flight delays"`, "domain:aviation tag:delays", `NEAR("x" y) OR * ^`, `a:b`,
		`owner:"x`, "\xff", "status:gone", `'; DROP TABLE versions; --`, `col:"a" AND -b`, "日本語 été"} {
		f.Add(s, "aviation", "delays")
	}
	e := newEnv(f)
	seedSearch(e)
	f.Fuzz(func(t *testing.T, q, domain, tag string) {
		v := url.Values{"q": {q}}
		if domain != "" {
			v.Set("domain", domain)
		}
		if tag != "" {
			v.Set("tag", tag)
		}
		e.t = t
		w := e.do("GET", "/api/products?"+v.Encode(), nil)
		switch w.Code {
		case http.StatusOK:
		case http.StatusBadRequest:
			problemOf(t, w, http.StatusBadRequest)
		default:
			t.Fatalf("q=%q domain=%q tag=%q: %d %s", q, domain, tag, w.Code, w.Body)
		}
	})
}
