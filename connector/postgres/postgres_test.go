//go:build duckdb_arrow

package postgres_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/datamesh/datamesh/connector"
	"github.com/datamesh/datamesh/connector/connectortest"
	"github.com/datamesh/datamesh/connector/postgres"
	"github.com/datamesh/datamesh/engine"
)

const dsnEnv = "DATAMESH_TEST_PG_INPUT_DSN"

// testDSN is the server the integration tests use. Unreachable: skip, or
// fail when CI is set.
func testDSN(t testing.TB) string {
	t.Helper()
	dsn := os.Getenv("DATAMESH_TEST_POSTGRES")
	if dsn == "" {
		dsn = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, dsn)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("PostgreSQL unreachable (DATAMESH_TEST_POSTGRES): %v", err)
		}
		t.Skipf("PostgreSQL unreachable (set DATAMESH_TEST_POSTGRES): %v", err)
	}
	c.Close(ctx)
	return dsn
}

// admin opens a connection for setting up fixtures.
func admin(t testing.TB, dsn string) *pgx.Conn {
	t.Helper()
	c, err := pgx.Connect(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(context.Background()) })
	return c
}

func randomName(prefix string) string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

// newSchema creates a schema of a unique name, dropped when the test ends.
func newSchema(t testing.TB, c *pgx.Conn, stmts ...string) string {
	t.Helper()
	s := randomName("dmtest_")
	ctx := context.Background()
	if _, err := c.Exec(ctx, "create schema "+s); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if _, err := c.Exec(context.Background(), "drop schema "+s+" cascade"); err != nil {
			t.Errorf("drop schema %s: %v", s, err)
		}
	})
	for _, st := range stmts {
		if _, err := c.Exec(ctx, strings.ReplaceAll(st, "$S", s)); err != nil {
			t.Fatalf("%s: %v", st, err)
		}
	}
	return s
}

// bind builds the connector from opts and binds it as s.input in a fresh
// engine.
func bind(t testing.TB, opts map[string]any) (*engine.Engine, error) {
	t.Helper()
	return connectortest.Bind(t, postgres.New, opts)
}

// columns lists the engine table's columns as name:TYPE.
func columns(t testing.TB, e *engine.Engine) string { return connectortest.Columns(t, e) }

func query(t testing.TB, e *engine.Engine, q string) string { return connectortest.Query(t, e, q) }

const allTypes = `create table $S.all_types (
	id int4 primary key, i2 int2, i8 int8, f4 float4, f8 float8,
	n numeric(10,2), nbig numeric(30,5), nwide numeric(50,2), nfree numeric,
	b bool, t text, vc varchar(10), ch char(3), d date, ts timestamp, tstz timestamptz, tm time,
	u uuid, j json, jb jsonb, bt bytea, ai int4[], ta text[], a2 int4[][], ad date[],
	iv interval, ip inet, o oid)`

const allValues = `insert into $S.all_types values
	(1, -32768, 9223372036854775807, 1.5, 2.25,
	 -12345678.91, 1234567890123456789012345.12345, 12.5, 3.14159,
	 true, 'hé "x"', 'short', 'ab', '2024-02-29', '2024-05-01 12:34:56.789', '2024-05-01 12:34:56.789+02', '13:45:01.5',
	 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '{"a": [1, 2]}', '{"b": true, "a": 1}', '\x00ff', '{1,NULL,3}', '{"x y",z}', '{{1,2},{3,4}}', '{2024-01-02}',
	 '1 day 02:00:00', '10.0.0.1/32', 42),
	(2, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null,
	 null, null, null, null, null, null, null, null, null, null, null),
	(3, 0, 0, 0, 0, 0, 0, 0, 'NaN', false, '', '', '', 'infinity', '-infinity', 'infinity', '00:00',
	 '00000000-0000-0000-0000-000000000000', 'null', '[]', '', '{}', '{}', '{}', '{}', '0', '::1', 0)`

func TestTypes(t *testing.T) {
	dsn := testDSN(t)
	s := newSchema(t, admin(t, dsn), allTypes, allValues)
	t.Setenv(dsnEnv, dsn)
	t.Setenv("TZ", "UTC")
	e, err := bind(t, map[string]any{"dsnEnv": dsnEnv, "schema": s, "table": "all_types"})
	if err != nil {
		t.Fatal(err)
	}
	wantCols := "id:INTEGER, i2:SMALLINT, i8:BIGINT, f4:FLOAT, f8:DOUBLE, n:DECIMAL(10,2), nbig:DECIMAL(30,5), nwide:DOUBLE, nfree:DOUBLE, " +
		"b:BOOLEAN, t:VARCHAR, vc:VARCHAR, ch:VARCHAR, d:DATE, ts:TIMESTAMP, tstz:TIMESTAMP WITH TIME ZONE, tm:TIME, " +
		"u:VARCHAR, j:VARCHAR, jb:VARCHAR, bt:BLOB, ai:VARCHAR, ta:VARCHAR, a2:VARCHAR, ad:VARCHAR, iv:VARCHAR, ip:VARCHAR, o:BIGINT"
	if got := columns(t, e); got != wantCols {
		t.Fatalf("columns\ngot  %s\nwant %s", got, wantCols)
	}
	row := func(id int) string {
		return query(t, e, `SELECT concat_ws('|', i2, i8, f4, f8, n, nbig, nwide, nfree, b, t, vc, ch, d, ts,
			strftime(tstz AT TIME ZONE 'UTC', '%Y-%m-%d %H:%M:%S.%g'), tm, u, j, jb, hex(bt), ai, ta, a2, ad, iv, ip, o)
			FROM s.input WHERE id = `+string(rune('0'+id)))
	}
	want1 := `-32768|9223372036854775807|1.5|2.25|-12345678.91|1234567890123456789012345.12345|12.5|3.14159|true|hé "x"|short|ab |2024-02-29|2024-05-01 12:34:56.789|2024-05-01 10:34:56.789|13:45:01.5|` +
		`a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11|{"a": [1, 2]}|{"a": 1, "b": true}|00FF|[1,null,3]|["x y","z"]|[[1,2],[3,4]]|["2024-01-02"]|1 day 02:00:00|10.0.0.1|42`
	if got := row(1); got != want1 {
		t.Errorf("row 1\ngot  %s\nwant %s", got, want1)
	}
	// A row of NULLs: every column but id is NULL.
	// (COLUMNS in WHERE expands to one condition per column, joined by AND.)
	if got := query(t, e, `SELECT count(*)::varchar FROM s.input WHERE id = 2 AND COLUMNS(* EXCLUDE (id)) IS NULL`); got != "1" {
		t.Errorf("row 2 should be all NULL")
	}
	// Edge values: NaN numeric as DOUBLE, infinite dates as NULL, empty arrays.
	want3 := `0|0|0.0|0.0|0.00|0.00000|0.0|nan|false|||   |` + `00:00:00|` +
		`00000000-0000-0000-0000-000000000000|null|[]||[]|[]|[]|[]|00:00:00|::1|0`
	if got := row(3); got != want3 {
		t.Errorf("row 3\ngot  %s\nwant %s", got, want3)
	}
	if got := query(t, e, `SELECT concat_ws(',', d IS NULL, ts IS NULL, tstz IS NULL) FROM s.input WHERE id = 3`); got != "true,true,true" {
		t.Errorf("infinite dates: %s", got)
	}
}

func TestTableAndQuery(t *testing.T) {
	dsn := testDSN(t)
	s := newSchema(t, admin(t, dsn),
		`create table $S.orders (id int8 primary key, customer text, amount numeric(8,2), status text)`,
		`insert into $S.orders select i, 'c' || (i % 3), i * 1.5, case when i % 2 = 0 then 'paid' else 'open' end from generate_series(1, 10) i`)
	t.Setenv(dsnEnv, dsn)

	t.Run("table with schema", func(t *testing.T) {
		e, err := bind(t, map[string]any{"dsnEnv": dsnEnv, "schema": s, "table": "orders"})
		if err != nil {
			t.Fatal(err)
		}
		if got := query(t, e, `SELECT count(*) || '/' || sum(amount) FROM s.input`); got != "10/82.50" {
			t.Errorf("got %s", got)
		}
	})
	t.Run("schema.table", func(t *testing.T) {
		e, err := bind(t, map[string]any{"dsnEnv": dsnEnv, "table": s + ".orders"})
		if err != nil {
			t.Fatal(err)
		}
		if got := query(t, e, `SELECT count(*)::varchar FROM s.input`); got != "10" {
			t.Errorf("got %s", got)
		}
	})
	t.Run("query", func(t *testing.T) {
		e, err := bind(t, map[string]any{"dsnEnv": dsnEnv,
			"query": "select customer, count(*) as n, sum(amount) as total from " + s + ".orders group by customer order by customer;"})
		if err != nil {
			t.Fatal(err)
		}
		if got := columns(t, e); got != "customer:VARCHAR, n:BIGINT, total:DOUBLE" {
			t.Errorf("columns %s", got)
		}
		if got := query(t, e, `SELECT string_agg(customer || '=' || n || '/' || total, ' ' ORDER BY customer) FROM s.input`); got != "c0=3/27.0 c1=4/33.0 c2=3/22.5" {
			t.Errorf("got %s", got)
		}
	})
	t.Run("pushdown", func(t *testing.T) {
		e, err := bind(t, map[string]any{"dsnEnv": dsnEnv, "schema": s, "table": "orders",
			"columns": []string{"id", "amount"}, "filter": "status = 'paid' -- only settled orders"})
		if err != nil {
			t.Fatal(err)
		}
		if got := columns(t, e); got != "id:BIGINT, amount:DECIMAL(8,2)" {
			t.Errorf("columns %s", got)
		}
		if got := query(t, e, `SELECT string_agg(id::varchar, ',' ORDER BY id) FROM s.input`); got != "2,4,6,8,10" {
			t.Errorf("rows %s", got)
		}
	})
	t.Run("no rows", func(t *testing.T) {
		e, err := bind(t, map[string]any{"dsnEnv": dsnEnv, "schema": s, "table": "orders", "filter": "false"})
		if err != nil {
			t.Fatal(err)
		}
		if got := columns(t, e); got != "id:BIGINT, customer:VARCHAR, amount:DECIMAL(8,2), status:VARCHAR" {
			t.Errorf("columns %s", got)
		}
		if got := query(t, e, `SELECT count(*)::varchar FROM s.input`); got != "0" {
			t.Errorf("rows %s", got)
		}
	})
	t.Run("pushdown on a query", func(t *testing.T) {
		e, err := bind(t, map[string]any{"dsnEnv": dsnEnv, "query": "select * from " + s + ".orders",
			"columns": []string{"customer"}, "filter": "id <= 3"})
		if err != nil {
			t.Fatal(err)
		}
		if got := columns(t, e); got != "customer:VARCHAR" {
			t.Errorf("columns %s", got)
		}
		if got := query(t, e, `SELECT string_agg(customer, ',' ORDER BY customer) FROM s.input`); got != "c0,c1,c2" {
			t.Errorf("rows %s", got)
		}
	})
}

// TestSourceSQL checks the statement sent to PostgreSQL (the projection
// and the filter pushed down); sqlread's tests cover the other cases.
func TestSourceSQL(t *testing.T) {
	c, err := postgres.New(connector.Config{Input: "i", Options: map[string]any{
		"dsnEnv": "X", "schema": "Sales", "table": "orders", "columns": []string{"id", "Amount"}, "filter": "status = 'paid'"}})
	if err != nil {
		t.Fatal(err)
	}
	want := "SELECT \"id\", \"Amount\" FROM \"Sales\".\"orders\" WHERE (\nstatus = 'paid'\n)"
	if got := c.(*postgres.Postgres).SourceSQL(); got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}

func TestOptionErrors(t *testing.T) {
	tests := []struct {
		opts map[string]any
		want string
	}{
		{map[string]any{"table": "t"}, "dsnEnv: must name the environment variable"},
		{map[string]any{"dsnEnv": "postgres://u:secret@h/db", "table": "t"}, "dsnEnv: must name an environment variable, not hold the connection string"},
		{map[string]any{"dsnEnv": "X"}, "table: give table or query"},
		{map[string]any{"dsnEnv": "X", "query": "select 1", "schema": "s"}, "schema: applies to table only"},
		{map[string]any{"dsnEnv": "X", "table": "t", "filter": "1=1; drop table t"}, "filter: must be one SQL predicate, without ';'"},
	}
	for _, tt := range tests {
		_, err := postgres.New(connector.Config{Input: "i", Options: tt.opts})
		var oe *connector.OptionError
		if err == nil || !errors.As(err, &oe) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%v: err = %v, want OptionError %q", tt.opts, err, tt.want)
		}
	}
}

func TestReadOnly(t *testing.T) {
	dsn := testDSN(t)
	a := admin(t, dsn)
	s := newSchema(t, a,
		`create table $S.orders (id int8 primary key, amount int4)`,
		`insert into $S.orders values (1, 10), (2, 20)`,
		`create sequence $S.seq`)
	t.Setenv(dsnEnv, dsn)
	for _, q := range []string{
		"delete from " + s + ".orders returning id",
		"update " + s + ".orders set amount = 0 returning id",
		"insert into " + s + ".orders values (3, 30) returning id",
		"with d as (delete from " + s + ".orders returning id) select * from d",
		"create table " + s + ".copy as select * from " + s + ".orders",
		"select nextval('" + s + ".seq')",
		"copy (select 1) to '/tmp/" + s + "'", // a server file: refused before it runs
	} {
		_, err := bind(t, map[string]any{"dsnEnv": dsnEnv, "query": q})
		t.Logf("%s: %v", q, err)
		if err == nil || !strings.Contains(err.Error(), "read-only transaction") && !strings.Contains(err.Error(), "it must be a SELECT") {
			t.Errorf("%s: err = %v, want a read-only refusal", q, err)
		}
	}
	var n, sum int
	if err := a.QueryRow(context.Background(), "select count(*), sum(amount) from "+s+".orders").Scan(&n, &sum); err != nil || n != 2 || sum != 30 {
		t.Fatalf("rows after refused writes: %d %d %v", n, sum, err)
	}
	var exists bool
	if err := a.QueryRow(context.Background(), "select to_regclass($1) is not null", s+".copy").Scan(&exists); err != nil || exists {
		t.Fatalf("table created by a refused query: %v %v", exists, err)
	}
	if _, err := os.Stat("/tmp/" + s); err == nil {
		os.Remove("/tmp/" + s)
		t.Fatal("COPY TO wrote a file")
	}
}

func TestBindErrors(t *testing.T) {
	dsn := testDSN(t)
	s := newSchema(t, admin(t, dsn), `create table $S.orders (id int8)`)
	t.Setenv(dsnEnv, dsn)
	const badEnv = "DATAMESH_TEST_PG_BAD_DSN"
	tests := []struct {
		name        string
		env         string // value of badEnv; "-" leaves it unset
		opts        map[string]any
		want        []string
		unavailable bool
	}{
		{"missing env", "-", map[string]any{"dsnEnv": badEnv, "table": "t"},
			[]string{`postgres input "input"`, "environment variable " + badEnv + " is not set"}, false},
		{"unknown table", "", map[string]any{"dsnEnv": dsnEnv, "schema": s, "table": "nope"},
			[]string{`postgres input "input"`, `relation "` + s + `.nope" does not exist`}, false},
		{"unknown column", "", map[string]any{"dsnEnv": dsnEnv, "schema": s, "table": "orders", "columns": []string{"id", "amount"}},
			[]string{`column "amount" does not exist`}, false},
		{"bad filter", "", map[string]any{"dsnEnv": dsnEnv, "schema": s, "table": "orders", "filter": "id >"},
			[]string{"syntax error"}, false},
		{"value that does not fit", "", map[string]any{"dsnEnv": dsnEnv, "query": "select i, (case when i = 3000 then 'NaN'::numeric else i end)::numeric(10,2) as n from generate_series(1, 5000) i"},
			[]string{`postgres input "input" (127.0.0.1:5432/postgres): row 3000, column "n" (DECIMAL(10,2)): "NaN" is not a decimal number`}, false},
		{"wrong credentials", "postgres://nobody_dm:s3cr3tpw@127.0.0.1:5432/postgres?sslmode=disable", map[string]any{"dsnEnv": badEnv, "table": "t"},
			[]string{`postgres input "input" (127.0.0.1:5432/postgres): cannot connect`, "nobody_dm"}, false},
		{"unreachable", "postgres://u:s3cr3tpw@127.0.0.1:1/db?sslmode=disable&connect_timeout=2", map[string]any{"dsnEnv": badEnv, "table": "t"},
			[]string{`postgres input "input" (127.0.0.1:1/db): cannot connect`}, true},
		{"bad dsn", "postgres://u:s3cr3tpw@127.0.0.1:notaport/db", map[string]any{"dsnEnv": badEnv, "table": "t"},
			[]string{`postgres input "input": the connection string in the environment is not valid`}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.env == "-" {
				os.Unsetenv(badEnv)
			} else if tt.env != "" {
				t.Setenv(badEnv, tt.env)
			}
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
			if strings.Contains(err.Error(), "s3cr3tpw") {
				t.Errorf("the password leaked: %v", err)
			}
			if got := errors.Is(err, connector.ErrUnavailable); got != tt.unavailable {
				t.Errorf("ErrUnavailable = %v, want %v (%v)", got, tt.unavailable, err)
			}
		})
	}
}

// TestPoolShared checks that inputs naming the same connection string share
// one small pool, and that concurrent binds work (run with -race).
func TestPoolShared(t *testing.T) {
	dsn := testDSN(t)
	s := newSchema(t, admin(t, dsn),
		`create table $S.n (i int4)`, `insert into $S.n select generate_series(1, 1000)`)
	t.Setenv(dsnEnv, dsn)
	ctx := context.Background()
	e, err := engine.Open(ctx, engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	if err := e.Exec(ctx, `CREATE SCHEMA s`); err != nil {
		t.Fatal(err)
	}
	c, err := postgres.New(connector.Config{Input: "n", Options: map[string]any{"dsnEnv": dsnEnv, "schema": s, "table": "n"}})
	if err != nil {
		t.Fatal(err)
	}
	errs := make(chan error, 8)
	for i := range 8 {
		go func() {
			errs <- c.Bind(ctx, e, connector.Relation{Schema: "s", Name: "n" + string(rune('0'+i))})
		}()
	}
	for range 8 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	if got := query(t, e, `SELECT ((SELECT sum(i) FROM s.n0) + (SELECT sum(i) FROM s.n7))::varchar`); got != "1001000" {
		t.Errorf("got %s", got)
	}
	var backends int
	err = admin(t, dsn).QueryRow(ctx, `select count(*) from pg_stat_activity where application_name = 'datamesh' and backend_type = 'client backend'`).Scan(&backends)
	if err != nil {
		t.Fatal(err)
	}
	if backends > postgres.MaxConns*2 { // other test runs may share the server
		t.Errorf("%d datamesh connections, pool max is %d", backends, postgres.MaxConns)
	}
}
