package sqlread

import (
	"errors"
	"strings"
	"testing"

	"github.com/duckdb/duckdb-go/v2"

	"github.com/datamesh/datamesh/connector"
)

func TestParseDecimal(t *testing.T) {
	tests := []struct {
		text string
		p, s int
		want string // unscaled value
	}{
		{"12.50", 10, 2, "1250"},
		{"-12.5", 10, 2, "-1250"},
		{"0", 10, 2, "0"},
		{"7", 4, 0, "7"},
		{"1.500", 10, 1, "15"},
		{"-0.01", 3, 2, "-1"},
		{"1234567890123456789012345.12345", 30, 5, "123456789012345678901234512345"},
		{"-99999999999999999999999999999999999.999", 38, 3, "-99999999999999999999999999999999999999"},
		{"123456789012345678", 18, 0, "123456789012345678"},
	}
	for _, tt := range tests {
		v, err := ParseDecimal(tt.text, tt.p, tt.s)
		if err != nil {
			t.Errorf("%s: %v", tt.text, err)
			continue
		}
		d := v.(duckdb.Decimal)
		if d.Value.String() != tt.want || int(d.Width) != tt.p || int(d.Scale) != tt.s {
			t.Errorf("%s: got %s (%d,%d), want %s", tt.text, d.Value, d.Width, d.Scale, tt.want)
		}
	}
	for _, bad := range []string{"NaN", "Infinity", "", "1.234", "abc", "-"} {
		if _, err := ParseDecimal(bad, 10, 2); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

func TestSQL(t *testing.T) {
	dq := func(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }
	bq := func(s string) string { return "`" + strings.ReplaceAll(s, "`", "``") + "`" }
	tests := []struct {
		opts   map[string]any
		pg, my string
	}{
		{map[string]any{"table": "orders"}, `SELECT * FROM "orders"`, "SELECT * FROM `orders`"},
		{map[string]any{"table": "sales.orders"}, `SELECT * FROM "sales"."orders"`, "SELECT * FROM `sales`.`orders`"},
		{map[string]any{"schema": "Sales", "table": "we\"i`rd"}, `SELECT * FROM "Sales"."we""i` + "`" + `rd"`, "SELECT * FROM `Sales`.`we\"i``rd`"},
		{map[string]any{"table": "orders", "columns": []string{"id", "Amount"}}, `SELECT "id", "Amount" FROM "orders"`, "SELECT `id`, `Amount` FROM `orders`"},
		{map[string]any{"table": "orders", "filter": "status = 'paid'"}, "SELECT * FROM \"orders\" WHERE (\nstatus = 'paid'\n)", "SELECT * FROM `orders` WHERE (\nstatus = 'paid'\n)"},
		{map[string]any{"query": " select 1 as x;  \n"}, `select 1 as x`, `select 1 as x`},
		{map[string]any{"query": "select * from t", "columns": []string{"a"}, "filter": "a > 1"},
			"SELECT \"a\" FROM (select * from t\n) AS q WHERE (\na > 1\n)", "SELECT `a` FROM (select * from t\n) AS q WHERE (\na > 1\n)"},
	}
	for _, tt := range tests {
		s, err := Parse(tt.opts, "schema")
		if err != nil {
			t.Fatalf("%v: %v", tt.opts, err)
		}
		if got := s.SQL(dq); got != tt.pg {
			t.Errorf("%v:\ngot  %q\nwant %q", tt.opts, got, tt.pg)
		}
		if got := s.SQL(bq); got != tt.my {
			t.Errorf("%v:\ngot  %q\nwant %q", tt.opts, got, tt.my)
		}
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		opts map[string]any
		want string
	}{
		{map[string]any{}, "table: give table or query"},
		{map[string]any{"table": "t", "query": "select 1"}, "query: give table or query, not both"},
		{map[string]any{"query": "select 1", "database": "s"}, "database: applies to table only"},
		{map[string]any{"table": "t", "filter": "1=1; drop table t"}, "filter: must be one SQL predicate, without ';'"},
		{map[string]any{"table": "t", "filter": "  "}, "filter: is empty"},
		{map[string]any{"table": "t", "columns": []string{"a", "a"}}, `columns: column "a" is listed twice`},
		{map[string]any{"table": "t", "columns": []string{""}}, `columns: a column name is empty`},
	}
	for _, tt := range tests {
		_, err := Parse(tt.opts, "database")
		var oe *connector.OptionError
		if !errors.As(err, &oe) || err.Error() != tt.want {
			t.Errorf("%v: err = %v, want %q", tt.opts, err, tt.want)
		}
	}
	for name, want := range map[string]string{
		"":                      "must name the environment variable",
		"postgres://u:pw@h/db":  "not hold the connection string",
		"user=u password=x":     "not hold the connection string",
		"root:pw@tcp(h:3306)/d": "not hold the connection string",
		"1X":                    "is not an environment variable name",
	} {
		if err := CheckEnvName("dsnEnv", name); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: err = %v, want %q", name, err, want)
		}
	}
	if err := CheckEnvName("dsnEnv", "SALES_PG_DSN"); err != nil {
		t.Error(err)
	}
}
