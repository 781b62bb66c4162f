package catalog

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestParseQuery(t *testing.T) {
	cases := []struct {
		q    string
		want string // fmt of the query, or "error: <substring>"
	}{
		{"", "terms=[] domain=[] owner=[] tag=[] status=[]"},
		{"flight delays", "terms=[flight|delays] domain=[] owner=[] tag=[] status=[]"},
		{`"flight delays" airport`, `terms=[flight delays|airport] domain=[] owner=[] tag=[] status=[]`},
		{"domain:aviation tag:delays owner:team", "terms=[] domain=[aviation] owner=[team] tag=[delays] status=[]"},
		{"Domain:Aviation TAG:Delays", "terms=[] domain=[aviation] owner=[] tag=[delays] status=[]"},
		{`owner:"aviation analytics" delays`, "terms=[delays] domain=[] owner=[aviation analytics] tag=[] status=[]"},
		{"tag:a tag:b tag:a", "terms=[] domain=[] owner=[] tag=[a b] status=[]"},
		{"status:available status:published", "terms=[] domain=[] owner=[] tag=[] status=[available published]"},
		{`"domain:aviation"`, "terms=[domain:aviation] domain=[] owner=[] tag=[] status=[]"},
		{"12:30 a:b:c", "error: unknown field \"a\""},
		{"12:30", "terms=[12:30] domain=[] owner=[] tag=[] status=[]"},
		{"delays-by-airport", "terms=[delays-by-airport] domain=[] owner=[] tag=[] status=[]"},
		{`* ( ) " -- ;`, "terms=[] domain=[] owner=[] tag=[] status=[]"},
		{`"unterminated phrase`, "terms=[unterminated phrase] domain=[] owner=[] tag=[] status=[]"},
		{`owner:"unterminated`, "terms=[] domain=[] owner=[unterminated] tag=[] status=[]"},
		{"  spaced\tout\n ", "terms=[spaced|out] domain=[] owner=[] tag=[] status=[]"},
		{"colour:red", `error: unknown field "colour"`},
		{"domain:", "error: domain: needs a value"},
		{`owner:""`, "error: owner: needs a value"},
		{"status:gone", `error: status "gone" is not one of available, unavailable, published`},
		{strings.Repeat("a ", 33), "error: more than 32 terms"},
		{strings.Repeat("a", MaxQueryLen+1), "error: bytes long"},
		{"bad \xff utf8", "error: not valid UTF-8"},
		{"nul\x00", "error: NUL"},
	}
	for _, c := range cases {
		q, err := ParseQuery(c.q)
		var got string
		if err != nil {
			got = "error: " + err.Error()
			var qe *QueryError
			if !errors.As(err, &qe) || qe.Param != "q" {
				t.Errorf("%q: error %T %v is not a QueryError on q", c.q, err, err)
			}
		} else {
			got = fmt.Sprintf("terms=[%s] domain=%v owner=%v tag=%v status=%v", strings.Join(q.Terms, "|"), q.Domains, q.Owners, q.Tags, q.Statuses)
		}
		if strings.HasPrefix(c.want, "error: ") {
			if !strings.HasPrefix(got, "error: ") || !strings.Contains(got, strings.TrimPrefix(c.want, "error: ")) {
				t.Errorf("%q: %s, want %s", c.q, got, c.want)
			}
			continue
		}
		if got != c.want {
			t.Errorf("%q:\n got %s\nwant %s", c.q, got, c.want)
		}
	}
}

func TestWords(t *testing.T) {
	cases := map[string]string{
		"Delays-by-Airport":    "delays by airport",
		"aviation@example.com": "aviation example com",
		`"NEAR(a b)" OR *`:     "near a b or",
		"été 日本語 p95":          "été 日本語 p95",
		"":                     "",
		"--":                   "",
	}
	for in, want := range cases {
		if got := strings.Join(Words(in), " "); got != want {
			t.Errorf("Words(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzParseQuery: the parser never panics; what it returns is either a
// QueryError or a query that every store can take (valid UTF-8, no NUL,
// terms with words, known statuses, bounded sizes).
func FuzzParseQuery(f *testing.F) {
	for _, s := range []string{"", "flight delays", `"a b" domain:x tag:"y z" owner:o status:available`, `a:b`, `"`, `x:"`,
		"status:", "\xff", "domain:\x00", `NEAR("x" y) OR * ^ '' ; --`, "12:30", strings.Repeat("a ", 40), "ünïcödé:värde"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		q, err := ParseQuery(s)
		if err != nil {
			var qe *QueryError
			if !errors.As(err, &qe) || qe.Msg == "" {
				t.Fatalf("%q: error %v is not a QueryError", s, err)
			}
			return
		}
		all := append(append(append(append(append([]string{}, q.Terms...), q.Domains...), q.Owners...), q.Tags...), q.Statuses...)
		if len(all) > MaxQueryTerms {
			t.Fatalf("%q: %d terms and filters", s, len(all))
		}
		for _, v := range all {
			if !utf8.ValidString(v) || strings.ContainsRune(v, 0) || v == "" {
				t.Fatalf("%q: bad value %q", s, v)
			}
		}
		for _, term := range q.Terms {
			if len(Words(term)) == 0 {
				t.Fatalf("%q: term %q has no words", s, term)
			}
		}
		for _, st := range q.Statuses {
			if st != StatusAvailable && st != StatusUnavailable && st != StatusPublished {
				t.Fatalf("%q: status %q", s, st)
			}
		}
	})
}
