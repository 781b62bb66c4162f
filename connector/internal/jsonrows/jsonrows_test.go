package jsonrows

import (
	"fmt"
	"strings"
	"testing"

	"github.com/datamesh/datamesh/connector"
)

func table(t *testing.T, docs ...string) *Table {
	t.Helper()
	tb := New(connector.Column{Name: "key", Type: "VARCHAR"})
	for i, d := range docs {
		o, err := Decode([]byte(d))
		if err != nil {
			t.Fatalf("%s: %v", d, err)
		}
		tb.Add([]any{fmt.Sprint(i)}, o)
	}
	return tb
}

func cols(tb *Table) string {
	var s []string
	for _, c := range tb.Columns() {
		s = append(s, c.Name+":"+c.Type)
	}
	return strings.Join(s, " ")
}

func TestInference(t *testing.T) {
	tests := []struct {
		docs []string
		want string
	}{
		{[]string{`{"a": 1}`, `{"a": 2}`}, "key:VARCHAR a:BIGINT"},
		{[]string{`{"a": 1}`, `{"a": 2.5}`}, "key:VARCHAR a:DOUBLE"},
		{[]string{`{"a": 1e2}`}, "key:VARCHAR a:DOUBLE"},
		{[]string{`{"a": 18446744073709551616}`}, "key:VARCHAR a:DOUBLE"}, // beyond int64
		{[]string{`{"a": true}`, `{"a": null}`, `{}`}, "key:VARCHAR a:BOOLEAN"},
		{[]string{`{"a": true}`, `{"a": 1}`}, "key:VARCHAR a:VARCHAR"},
		{[]string{`{"a": "x"}`, `{"a": 1}`}, "key:VARCHAR a:VARCHAR"},
		{[]string{`{"a": {"b": 1}}`, `{"a": [1]}`}, "key:VARCHAR a:VARCHAR"},
		{[]string{`{"a": null}`}, "key:VARCHAR a:VARCHAR"},
		{[]string{`{"b": 1, "a": 1, "B": 2}`}, "key:VARCHAR B:BIGINT a:BIGINT b_:BIGINT"},
		{[]string{`{"key": 1, "Key_": 2, "": 3}`}, "key:VARCHAR _:BIGINT Key_:BIGINT key__:BIGINT"},
	}
	for _, tt := range tests {
		if got := cols(table(t, tt.docs...)); got != tt.want {
			t.Errorf("%v:\ngot  %s\nwant %s", tt.docs, got, tt.want)
		}
	}
}

func TestRows(t *testing.T) {
	tb := table(t,
		`{"n": 1, "f": 1, "b": true, "s": "é\n", "o": {"z": 1, "a": [1, 2]}, "m": 1}`,
		`{"n": null, "f": 2.5, "b": false, "s": "", "o": [ ], "m": {"x": "y"}}`,
		`{}`)
	if got, want := cols(tb), "key:VARCHAR b:BOOLEAN f:DOUBLE m:VARCHAR n:BIGINT o:VARCHAR s:VARCHAR"; got != want {
		t.Fatalf("got %s, want %s", got, want)
	}
	r := tb.Rows()
	var got []string
	for r.Next() {
		v, err := r.Values()
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, fmt.Sprintf("%#v", v))
	}
	want := []string{
		`[]interface {}{"0", true, 1, "1", 1, "{\"z\":1,\"a\":[1,2]}", "é\n"}`,
		`[]interface {}{"1", false, 2.5, "{\"x\":\"y\"}", interface {}(nil), "[]", ""}`,
		`[]interface {}{"2", interface {}(nil), interface {}(nil), interface {}(nil), interface {}(nil), interface {}(nil), interface {}(nil)}`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestDecodeErrors(t *testing.T) {
	for in, want := range map[string]string{
		"":          "empty, not a JSON object",
		"[1]":       "is JSON but not an object",
		"42":        "is JSON but not an object",
		"hello":     "is not JSON",
		`{"a": 1,}`: "is not valid JSON",
	} {
		if _, err := Decode([]byte(in)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: err = %v, want %q", in, err, want)
		}
	}
}
