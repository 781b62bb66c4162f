package format

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/datamesh/datamesh/problem"
)

func TestNegotiate(t *testing.T) {
	for _, tc := range []struct {
		accept, param string
		want          Format
		status        int // 0: no error
	}{
		// No preference: JSON.
		{"", "", JSON, 0},
		{"   ", "", JSON, 0},
		{"*/*", "", JSON, 0},
		{"*", "", JSON, 0},
		{"garbage", "", JSON, 0}, // nothing readable: as if absent
		{"application/*", "", JSON, 0},
		{"text/*", "", CSV, 0},
		// Exact types and aliases.
		{"application/json", "", JSON, 0},
		{"application/x-ndjson", "", NDJSON, 0},
		{"application/ndjson", "", NDJSON, 0},
		{"text/csv", "", CSV, 0},
		{"TEXT/CSV; charset=utf-8", "", CSV, 0},
		{"application/vnd.apache.arrow.stream", "", Arrow, 0},
		{"application/vnd.apache.parquet", "", Parquet, 0},
		{"application/x-parquet", "", Parquet, 0},
		// q-values.
		{"application/json;q=0.5, text/csv", "", CSV, 0},
		{"application/json;q=0.5, text/csv;q=0.4", "", JSON, 0},
		{"text/csv;q=0.9, application/json;q=0.9", "", CSV, 0}, // tie: first listed
		{"application/json; q=1.0, text/csv", "", JSON, 0},
		{"application/json;q=0.001", "", JSON, 0},
		{"application/json;Q=0.2, text/csv;q=0.3", "", CSV, 0},
		{"application/json;q=0, */*", "", NDJSON, 0}, // excluded by name
		{"application/json;q=0, application/x-ndjson;q=0, */*;q=0.1", "", CSV, 0},
		{"*/*;q=0.1, text/csv", "", CSV, 0},
		{"text/csv, */*", "", CSV, 0}, // named beats wildcard at the same q
		{"*/*, text/csv", "", CSV, 0}, // whatever the order
		{"text/*;q=0.5, */*;q=0.6", "", JSON, 0},
		{"text/*;q=0.7, */*;q=0.6", "", CSV, 0},
		{"application/json;q=2, text/csv", "", CSV, 0},      // bad q: element skipped
		{"application/json;q=0.1234, text/csv", "", CSV, 0}, // 4 decimals: skipped
		{"application/json;q=abc", "", JSON, 0},             // skipped, then nothing: absent
		{"text/csv;q=0.5;foo=bar", "", CSV, 0},
		{`text/csv;foo="a,b", application/json;q=0.1`, "", CSV, 0},
		// Browsers.
		{"text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8", "", JSON, 0},
		{"text/html, image/gif, image/jpeg, *; q=.2, */*; q=.2", "", JSON, 0},
		// Nothing acceptable.
		{"text/html", "", Format{}, http.StatusNotAcceptable},
		{"application/xml, text/plain;q=0.5", "", Format{}, http.StatusNotAcceptable},
		{"application/json;q=0", "", Format{}, http.StatusNotAcceptable},
		{"*/*;q=0", "", Format{}, http.StatusNotAcceptable},
		{"image/*", "", Format{}, http.StatusNotAcceptable},
		// format= wins over Accept, whatever it says.
		{"text/html", "csv", CSV, 0},
		{"application/json", "arrow", Arrow, 0},
		{"", "json", JSON, 0},
		{"", "NDJSON", NDJSON, 0},
		{"", "parquet", Parquet, 0},
		{"", "text/csv", CSV, 0},
		{"", "application/vnd.apache.arrow.stream", Arrow, 0},
		{"", "text/csv; charset=utf-8", CSV, 0},
		// Bad format=.
		{"", "xml", Format{}, http.StatusBadRequest},
		{"application/json", "text/html", Format{}, http.StatusBadRequest},
		{"", "*/*", Format{}, http.StatusBadRequest},
		{"", " ", Format{}, http.StatusBadRequest},
	} {
		got, err := Negotiate(tc.accept, tc.param)
		if tc.status == 0 {
			if err != nil || got != tc.want {
				t.Errorf("Negotiate(%q, %q) = %v, %v; want %v", tc.accept, tc.param, got, err, tc.want)
			}
			continue
		}
		var p *problem.Error
		if !errors.As(err, &p) || p.Status != tc.status {
			t.Errorf("Negotiate(%q, %q) = %v, %v; want a %d problem", tc.accept, tc.param, got, err, tc.status)
			continue
		}
		switch tc.status {
		case http.StatusNotAcceptable:
			if p.Type != problem.NotAcceptable {
				t.Errorf("%q: type %q", tc.accept, p.Type)
			}
			for _, f := range Formats {
				if !strings.Contains(p.Detail, f.MediaType) || !strings.Contains(p.Allowed, f.MediaType) {
					t.Errorf("%q: the problem does not list %s: %+v", tc.accept, f.MediaType, p)
				}
			}
		case http.StatusBadRequest:
			if p.Type != problem.BadParameter || p.Param != "format" || !strings.Contains(p.Allowed, "ndjson") {
				t.Errorf("%q: %+v", tc.param, p)
			}
		}
	}
}

func TestByName(t *testing.T) {
	for _, f := range Formats {
		for _, v := range []string{f.Name, strings.ToUpper(f.Name), f.MediaType, f.ContentType} {
			if g, ok := ByName(v); !ok || g != f {
				t.Errorf("ByName(%q) = %v, %v", v, g, ok)
			}
		}
		if f.ContentType == "" || !strings.HasPrefix(f.Ext, ".") {
			t.Errorf("%s: incomplete %+v", f, f)
		}
	}
}

func TestParseQ(t *testing.T) {
	for s, want := range map[string]int{"0": 0, "1": 1000, "0.5": 500, "0.05": 50, "0.123": 123, "1.000": 1000, "1.": 1000, "0.": 0, ".5": 500} {
		if got, ok := parseQ(s); !ok || got != want {
			t.Errorf("parseQ(%q) = %d, %v; want %d", s, got, ok, want)
		}
	}
	for _, s := range []string{"", "2", "1.001", "0.1234", "-0", ".5.", "0,5", "0.x", "1e0"} {
		if got, ok := parseQ(s); ok {
			t.Errorf("parseQ(%q) = %d, accepted", s, got)
		}
	}
}

// FuzzNegotiate: any input gives a served format or a 4xx problem, never a
// panic; format= alone decides when it is given.
func FuzzNegotiate(f *testing.F) {
	for _, s := range []string{"", "*/*", "text/csv;q=0.5, application/json", `a/b;x="q,\"", */*;q=0`, "*;q=.2", ";;,,", "text/*;q=1.000"} {
		f.Add(s, "")
		f.Add(s, "csv")
	}
	f.Add("", "application/json;q=0")
	f.Fuzz(func(t *testing.T, accept, param string) {
		got, err := Negotiate(accept, param)
		if err != nil {
			var p *problem.Error
			if !errors.As(err, &p) || p.Status < 400 || p.Status > 499 || p.Type == "" || p.Title == "" {
				t.Fatalf("Negotiate(%q, %q): %#v", accept, param, err)
			}
			if param == "" && p.Status != http.StatusNotAcceptable || param != "" && p.Status != http.StatusBadRequest {
				t.Fatalf("Negotiate(%q, %q): status %d", accept, param, p.Status)
			}
			return
		}
		if _, ok := ByName(got.Name); !ok {
			t.Fatalf("Negotiate(%q, %q) = %+v, not a served format", accept, param, got)
		}
		if param != "" {
			if g2, err2 := Negotiate("text/html", param); err2 != nil || g2 != got {
				t.Fatalf("format=%q depends on Accept", param)
			}
		}
	})
}
