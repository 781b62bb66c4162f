//go:build duckdb_arrow

package httpapi_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/datamesh/datamesh/connector"
	"github.com/datamesh/datamesh/connector/connectortest"
	"github.com/datamesh/datamesh/connector/httpapi"
	"github.com/datamesh/datamesh/engine"
)

const tokenEnv = "DATAMESH_TEST_HTTP_TOKEN"

func bind(t testing.TB, opts map[string]any) (*engine.Engine, error) {
	t.Helper()
	return connectortest.Bind(t, httpapi.New, opts)
}

func columns(t testing.TB, e *engine.Engine) string { return connectortest.Columns(t, e) }

func query(t testing.TB, e *engine.Engine, q string) string { return connectortest.Query(t, e, q) }

// records are the 7 records the paginated servers serve.
func records(from, to int) []map[string]any {
	var out []map[string]any
	for i := from; i < min(to, 7); i++ {
		out = append(out, map[string]any{"id": i + 1, "name": fmt.Sprintf("n%d", i+1), "score": float64(i) + 0.5})
	}
	return out
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

func TestArray(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet || r.Header.Get("Accept") != "application/json" {
			http.Error(w, "bad request", 400)
			return
		}
		fmt.Fprint(w, `[{"id": 1, "amount": 2, "ok": true, "tags": ["a"], "who": {"n": "ann"}},
			{"id": 2, "amount": 2.5, "ok": null, "tags": null, "who": "bob", "extra": "x"}]`)
	}))
	defer srv.Close()
	e, err := bind(t, map[string]any{"url": srv.URL + "/orders?status=open"})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := columns(t, e), "amount:DOUBLE, extra:VARCHAR, id:BIGINT, ok:BOOLEAN, tags:VARCHAR, who:VARCHAR"; got != want {
		t.Errorf("columns\ngot  %s\nwant %s", got, want)
	}
	got := query(t, e, `SELECT string_agg(concat_ws('|', id, amount, extra, ok, tags, who), ';' ORDER BY id) FROM s.input`)
	if want := `1|2.0|true|["a"]|{"n":"ann"};2|2.5|x|bob`; got != want {
		t.Errorf("rows\ngot  %s\nwant %s", got, want)
	}
}

func TestRecordsPathAndToken(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer t0ps3cret" {
			http.Error(w, "unauthorized", 401)
			return
		}
		fmt.Fprint(w, `{"data": {"items": [{"id": 1}, {"id": 2}]}, "meta": {}}`)
	}))
	defer srv.Close()
	t.Setenv(tokenEnv, "t0ps3cret")
	e, err := bind(t, map[string]any{"url": srv.URL, "records": "data.items", "tokenEnv": tokenEnv})
	if err != nil {
		t.Fatal(err)
	}
	if got := query(t, e, `SELECT sum(id)::varchar FROM s.input`); got != "3" {
		t.Errorf("got %s", got)
	}
}

func TestPagination(t *testing.T) {
	var tokens atomic.Int32
	mux := http.NewServeMux()
	auth := func(r *http.Request) {
		if r.Header.Get("Authorization") == "Bearer t0ps3cret" {
			tokens.Add(1)
		}
	}
	// Link: pages of 3, next link relative.
	mux.HandleFunc("/link", func(w http.ResponseWriter, r *http.Request) {
		auth(r)
		from, _ := strconv.Atoi(r.URL.Query().Get("from"))
		if from+3 < 7 {
			w.Header().Add("Link", fmt.Sprintf(`</link?from=%d>; rel="next", </link?from=0>; rel="first"`, from+3))
		}
		writeJSON(w, records(from, from+3))
	})
	// Page numbers from 1, size in per_page; no size: an empty page ends.
	mux.HandleFunc("/page", func(w http.ResponseWriter, r *http.Request) {
		auth(r)
		page, _ := strconv.Atoi(r.URL.Query().Get("p"))
		size := 2
		if s := r.URL.Query().Get("per_page"); s != "" {
			size, _ = strconv.Atoi(s)
		}
		writeJSON(w, map[string]any{"items": records((page-1)*size, page*size)})
	})
	// Cursor in meta.next, sent back as "after".
	mux.HandleFunc("/cursor", func(w http.ResponseWriter, r *http.Request) {
		auth(r)
		from, _ := strconv.Atoi(r.URL.Query().Get("after"))
		var next any
		if from+4 < 7 {
			next = strconv.Itoa(from + 4)
		}
		writeJSON(w, map[string]any{"data": records(from, from+4), "meta": map[string]any{"next": next}})
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	t.Setenv(tokenEnv, "t0ps3cret")
	tests := []struct {
		name     string
		opts     map[string]any
		requests int32
	}{
		{"link", map[string]any{"url": srv.URL + "/link", "pagination": map[string]any{"type": "link"}}, 3},
		{"page until empty", map[string]any{"url": srv.URL + "/page", "records": "items",
			"pagination": map[string]any{"type": "page", "param": "p"}}, 5},
		{"page until short", map[string]any{"url": srv.URL + "/page", "records": "items",
			"pagination": map[string]any{"type": "page", "param": "p", "sizeParam": "per_page", "size": 3}}, 3},
		{"cursor", map[string]any{"url": srv.URL + "/cursor", "records": "data",
			"pagination": map[string]any{"type": "cursor", "param": "after", "cursorPath": "meta.next"}}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tokens.Store(0)
			tt.opts["tokenEnv"] = tokenEnv
			e, err := bind(t, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			if got := query(t, e, `SELECT string_agg(id::varchar, ',' ORDER BY id) || '|' || sum(score) FROM s.input`); got != "1,2,3,4,5,6,7|24.5" {
				t.Errorf("got %s", got)
			}
			if n := tokens.Load(); n != tt.requests {
				t.Errorf("%d requests with the token, want %d", n, tt.requests)
			}
		})
	}
	t.Run("maxPages", func(t *testing.T) {
		_, err := bind(t, map[string]any{"url": srv.URL + "/link", "pagination": map[string]any{"type": "link", "maxPages": 2}})
		if err == nil || !strings.Contains(err.Error(), "more than maxPages (2) pages") {
			t.Errorf("err = %v", err)
		}
	})
}

func TestErrors(t *testing.T) {
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "" {
			t.Error("the token was sent to another origin")
		}
		fmt.Fprint(w, `[{"id": 1}]`)
	}))
	defer other.Close()
	mux := http.NewServeMux()
	mux.HandleFunc("/500", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "database exploded", http.StatusInternalServerError)
	})
	mux.HandleFunc("/401", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "bad credentials: "+r.Header.Get("Authorization"), http.StatusUnauthorized)
	})
	mux.HandleFunc("/html", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, "<html><body>Maintenance</body></html>")
	})
	mux.HandleFunc("/truncated", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, `[{"id": 1}, {"id":`) })
	mux.HandleFunc("/object", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, `{"results": [], "count": 0}`) })
	mux.HandleFunc("/scalars", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, `[{"id": 1}, 2]`) })
	mux.HandleFunc("/empty", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, `[]`) })
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(2 * time.Second):
		case <-r.Context().Done():
		}
		fmt.Fprint(w, `[]`)
	})
	mux.HandleFunc("/away", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Link", "<"+other.URL+">; rel=next")
		fmt.Fprint(w, `[{"id": 1}]`)
	})
	mux.HandleFunc("/redirect", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, other.URL, http.StatusFound) })
	mux.HandleFunc("/same-cursor", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"data": [{"id": 1}], "next": "abc"}`)
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	t.Setenv(tokenEnv, "t0ps3cret")
	tests := []struct {
		name        string
		opts        map[string]any
		want        []string
		unavailable bool
	}{
		{"500", map[string]any{"url": srv.URL + "/500?q=1", "tokenEnv": tokenEnv},
			[]string{`http input "input": GET ` + srv.URL + `/500?q=1: 500 Internal Server Error: "database exploded"`}, true},
		{"401 echoing the token", map[string]any{"url": srv.URL + "/401", "tokenEnv": tokenEnv},
			[]string{`GET ` + srv.URL + `/401: 401 Unauthorized: "bad credentials: Bearer xxxxx"`}, false},
		{"html", map[string]any{"url": srv.URL + "/html"},
			[]string{`GET ` + srv.URL + `/html: the answer (text/html) is not JSON: "<html><body>Maintenance</body></html>"`}, false},
		{"truncated", map[string]any{"url": srv.URL + "/truncated"},
			[]string{`GET ` + srv.URL + `/truncated: the answer`, "is not JSON"}, false},
		{"object without records", map[string]any{"url": srv.URL + "/object"},
			[]string{"the answer is an object, not an array of records: set records to the path of the array (fields: count, results)"}, false},
		{"wrong records path", map[string]any{"url": srv.URL + "/object", "records": "data.items"},
			[]string{`records path data.items: the answer has no field "data" (fields: count, results)`}, false},
		{"not an object", map[string]any{"url": srv.URL + "/scalars"},
			[]string{"record 2 is JSON but not an object"}, false},
		{"no records", map[string]any{"url": srv.URL + "/empty"},
			[]string{srv.URL + "/empty answered no records, so there are no columns to infer"}, true},
		{"timeout", map[string]any{"url": srv.URL + "/slow", "timeout": "100ms"},
			[]string{`GET ` + srv.URL + `/slow:`, "Client.Timeout exceeded"}, true},
		{"unreachable", map[string]any{"url": "http://127.0.0.1:1/x"},
			[]string{`GET http://127.0.0.1:1/x:`, "connection refused"}, true},
		{"next link to another origin", map[string]any{"url": srv.URL + "/away", "tokenEnv": tokenEnv, "pagination": map[string]any{"type": "link"}},
			[]string{"the next link " + other.URL + " leaves the API's origin; it is not followed"}, false},
		{"redirect to another origin", map[string]any{"url": srv.URL + "/redirect", "tokenEnv": tokenEnv},
			[]string{"redirected to another origin"}, false},
		{"same cursor twice", map[string]any{"url": srv.URL + "/same-cursor", "records": "data", "pagination": map[string]any{"type": "cursor", "cursorPath": "next"}},
			[]string{`the API answered the same cursor "abc" twice`}, false},
		{"missing token env", map[string]any{"url": srv.URL + "/empty", "tokenEnv": "DATAMESH_TEST_HTTP_UNSET"},
			[]string{"environment variable DATAMESH_TEST_HTTP_UNSET is not set"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := bind(t, tt.opts)
			if err == nil {
				t.Fatal("no error")
			}
			t.Log(err)
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("err = %v\nwant it to contain %q", err, w)
				}
			}
			if strings.Contains(err.Error(), "t0ps3cret") {
				t.Errorf("the token leaked: %v", err)
			}
			if got := errors.Is(err, connector.ErrUnavailable); got != tt.unavailable {
				t.Errorf("ErrUnavailable = %v, want %v", got, tt.unavailable)
			}
		})
	}
}

func TestOptionErrors(t *testing.T) {
	for _, tt := range []struct {
		opts map[string]any
		want string
	}{
		{map[string]any{"url": "ftp://x"}, "url: must be an http:// or https:// URL"},
		{map[string]any{"url": "https://u:pw@x"}, "url: must not hold credentials"},
		{map[string]any{"url": "https://x", "tokenEnv": "Bearer abc"}, `tokenEnv: "Bearer abc" is not an environment variable name`},
		{map[string]any{"url": "https://x", "records": "a..b"}, `records: "a..b" is not a dot path`},
		{map[string]any{"url": "https://x", "timeout": "soon"}, `timeout: "soon" is not a duration`},
		{map[string]any{"url": "https://x", "pagination": map[string]any{"type": "offset"}}, "pagination.type: must be link, page or cursor"},
		{map[string]any{"url": "https://x", "pagination": map[string]any{"type": "page", "pages": 3}}, "pagination.pages: unknown key"},
		{map[string]any{"url": "https://x", "pagination": map[string]any{"type": "cursor"}}, "pagination.cursorPath: is required by cursor pagination"},
		{map[string]any{"url": "https://x", "pagination": map[string]any{"type": "page", "size": 10}}, "pagination.size: give sizeParam and size together"},
		{map[string]any{"url": "https://x", "pagination": map[string]any{"type": "page", "maxPages": 0}}, "pagination.maxPages: must be an integer, 1 or more"},
		{map[string]any{"url": "https://x", "pagination": map[string]any{"type": "link", "param": "p"}}, "pagination.param: does not apply to link pagination"},
	} {
		_, err := httpapi.New(connector.Config{Input: "i", Options: tt.opts})
		var oe *connector.OptionError
		if !errors.As(err, &oe) || !strings.HasPrefix(err.Error(), tt.want) {
			t.Errorf("%v: err = %v, want %q", tt.opts, err, tt.want)
		}
	}
}
