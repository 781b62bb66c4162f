//go:build duckdb_arrow

package mysql_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	driver "github.com/go-sql-driver/mysql"

	"github.com/datamesh/datamesh/connector"
	"github.com/datamesh/datamesh/connector/connectortest"
	"github.com/datamesh/datamesh/connector/mysql"
	"github.com/datamesh/datamesh/engine"
)

const dsnEnv = "DATAMESH_TEST_MYSQL_INPUT_DSN"

// testDSN is the server the integration tests use. Unreachable: skip, or
// fail when CI is set.
func testDSN(t testing.TB) string {
	t.Helper()
	dsn := os.Getenv("DATAMESH_TEST_MYSQL")
	if dsn == "" {
		dsn = "root@tcp(127.0.0.1:3306)/"
	}
	db, err := sql.Open("mysql", dsn)
	if err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err = db.PingContext(ctx)
		cancel()
		db.Close()
	}
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("MySQL/MariaDB unreachable (DATAMESH_TEST_MYSQL): %v", err)
		}
		t.Skipf("MySQL/MariaDB unreachable (set DATAMESH_TEST_MYSQL): %v", err)
	}
	return dsn
}

func withDB(t testing.TB, dsn, db string) string {
	t.Helper()
	cfg, err := driver.ParseDSN(dsn)
	if err != nil {
		t.Fatal(err)
	}
	cfg.DBName = db
	return cfg.FormatDSN()
}

// newDatabase creates a database of a unique name, dropped when the test
// ends, runs stmts in it (in a session whose time zone is +02:00) and
// returns its name and an admin connection to it.
func newDatabase(t testing.TB, dsn string, stmts ...string) (string, *sql.DB) {
	t.Helper()
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := "dmtest_" + hex.EncodeToString(b)
	root, err := sql.Open("mysql", dsn)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := root.Exec("create database " + name); err != nil {
		t.Fatal(err)
	}
	root.Close()
	db, err := sql.Open("mysql", withDB(t, dsn, name))
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	t.Cleanup(func() {
		if _, err := db.Exec("drop database " + name); err != nil {
			t.Errorf("drop database %s: %v", name, err)
		}
		db.Close()
	})
	if _, err := db.Exec("set time_zone = '+02:00'"); err != nil {
		t.Fatal(err)
	}
	for _, s := range stmts {
		if _, err := db.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
	return name, db
}

func bind(t testing.TB, opts map[string]any) (*engine.Engine, error) {
	t.Helper()
	return connectortest.Bind(t, mysql.New, opts)
}

func columns(t testing.TB, e *engine.Engine) string { return connectortest.Columns(t, e) }

func query(t testing.TB, e *engine.Engine, q string) string { return connectortest.Query(t, e, q) }

const allTypes = `create table all_types (
	id int primary key, ti tinyint, b bool, si smallint, mi mediumint, i int, bi bigint,
	uti tinyint unsigned, usi smallint unsigned, ui int unsigned, ubi bigint unsigned,
	f float, d double, dn decimal(10,2), dnbig decimal(30,5), dnwide decimal(65,2),
	c char(3), vc varchar(20), tx text, en enum('a','b'), st set('x','y'), js json,
	dt date, dtm datetime(3), ts timestamp(3) null default null, tm time, yr year,
	bn binary(2), vb varbinary(10), bl blob, bt bit(10))`

const allValues = `insert into all_types values
	(1, -128, true, -32768, -8388608, -2147483648, -9223372036854775808,
	 255, 65535, 4294967295, 18446744073709551615,
	 1.5, 2.25, -12345678.91, 1234567890123456789012345.12345, 12.5,
	 'ab', 'hé "x"', 'long text', 'b', 'x,y', '{"a": [1, 2]}',
	 '2024-02-29', '2024-05-01 12:34:56.789', '2024-05-01 12:34:56.789', '838:59:59', 2024,
	 x'00ff', x'0102', x'cafe', b'1000000001'),
	(2, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null,
	 null, null, null, null, null, null, null, null, null, null, null, null, null, null, null)`

func TestTypes(t *testing.T) {
	dsn := testDSN(t)
	db, _ := newDatabase(t, dsn, allTypes, allValues)
	t.Setenv(dsnEnv, withDB(t, dsn, db))
	e, err := bind(t, map[string]any{"dsnEnv": dsnEnv, "table": "all_types"})
	if err != nil {
		t.Fatal(err)
	}
	wantCols := "id:INTEGER, ti:TINYINT, b:TINYINT, si:SMALLINT, mi:INTEGER, i:INTEGER, bi:BIGINT, " +
		"uti:UTINYINT, usi:USMALLINT, ui:UINTEGER, ubi:UBIGINT, " +
		"f:FLOAT, d:DOUBLE, dn:DECIMAL(10,2), dnbig:DECIMAL(30,5), dnwide:DOUBLE, " +
		"c:VARCHAR, vc:VARCHAR, tx:VARCHAR, en:VARCHAR, st:VARCHAR, js:VARCHAR, " +
		"dt:DATE, dtm:TIMESTAMP, ts:TIMESTAMP WITH TIME ZONE, tm:VARCHAR, yr:SMALLINT, " +
		"bn:BLOB, vb:BLOB, bl:BLOB, bt:UBIGINT"
	if got := columns(t, e); got != wantCols {
		t.Fatalf("columns\ngot  %s\nwant %s", got, wantCols)
	}
	got := query(t, e, `SELECT concat_ws('|', ti, b, si, mi, i, bi, uti, usi, ui, ubi, f, d, dn, dnbig, dnwide,
		c, vc, tx, en, st, js, dt, dtm, strftime(ts AT TIME ZONE 'UTC', '%Y-%m-%d %H:%M:%S.%g'), tm, yr,
		hex(bn), hex(vb), hex(bl), bt) FROM s.input WHERE id = 1`)
	want := `-128|1|-32768|-8388608|-2147483648|-9223372036854775808|255|65535|4294967295|18446744073709551615|` +
		`1.5|2.25|-12345678.91|1234567890123456789012345.12345|12.5|ab|hé "x"|long text|b|x,y|{"a": [1, 2]}|` +
		`2024-02-29|2024-05-01 12:34:56.789|2024-05-01 10:34:56.789|838:59:59|2024|00FF|0102|CAFE|513`
	if got != want {
		t.Errorf("row 1\ngot  %s\nwant %s", got, want)
	}
	if got := query(t, e, `SELECT count(*)::varchar FROM s.input WHERE id = 2 AND COLUMNS(* EXCLUDE (id)) IS NULL`); got != "1" {
		t.Errorf("row 2 should be all NULL")
	}
}

func TestTableAndQuery(t *testing.T) {
	dsn := testDSN(t)
	db, _ := newDatabase(t, dsn,
		`create table orders (id bigint primary key, customer varchar(10), amount decimal(8,2), status varchar(10))`,
		`insert into orders with recursive n(i) as (select 1 union all select i + 1 from n where i < 10)
		 select i, concat('c', i % 3), i * 1.5, if(i % 2 = 0, 'paid', 'open') from n`)
	t.Setenv(dsnEnv, dsn) // no database in the connection string

	t.Run("database option", func(t *testing.T) {
		e, err := bind(t, map[string]any{"dsnEnv": dsnEnv, "database": db, "table": "orders"})
		if err != nil {
			t.Fatal(err)
		}
		if got := query(t, e, `SELECT count(*) || '/' || sum(amount) FROM s.input`); got != "10/82.50" {
			t.Errorf("got %s", got)
		}
	})
	t.Run("database.table", func(t *testing.T) {
		e, err := bind(t, map[string]any{"dsnEnv": dsnEnv, "table": db + ".orders"})
		if err != nil {
			t.Fatal(err)
		}
		if got := query(t, e, `SELECT count(*)::varchar FROM s.input`); got != "10" {
			t.Errorf("got %s", got)
		}
	})
	t.Run("query", func(t *testing.T) {
		e, err := bind(t, map[string]any{"dsnEnv": dsnEnv,
			"query": "select customer, count(*) as n, sum(amount) as total from " + db + ".orders group by customer;"})
		if err != nil {
			t.Fatal(err)
		}
		if got := columns(t, e); got != "customer:VARCHAR, n:BIGINT, total:DECIMAL(30,2)" {
			t.Errorf("columns %s", got)
		}
		if got := query(t, e, `SELECT string_agg(customer || '=' || n || '/' || total, ' ' ORDER BY customer) FROM s.input`); got != "c0=3/27.00 c1=4/33.00 c2=3/22.50" {
			t.Errorf("got %s", got)
		}
	})
	t.Run("pushdown", func(t *testing.T) {
		e, err := bind(t, map[string]any{"dsnEnv": dsnEnv, "database": db, "table": "orders",
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
	t.Run("pushdown on a query", func(t *testing.T) {
		e, err := bind(t, map[string]any{"dsnEnv": dsnEnv, "query": "select * from " + db + ".orders",
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

func TestSourceSQL(t *testing.T) {
	c, err := mysql.New(connector.Config{Input: "i", Options: map[string]any{
		"dsnEnv": "X", "table": "shop.orders", "columns": []string{"id", "a`b"}, "filter": "status = 'paid'"}})
	if err != nil {
		t.Fatal(err)
	}
	want := "SELECT `id`, `a``b` FROM `shop`.`orders` WHERE (\nstatus = 'paid'\n)"
	if got := c.(*mysql.MySQL).SourceSQL(); got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
	for _, tt := range []struct {
		opts map[string]any
		want string
	}{
		{map[string]any{"dsnEnv": "root:pw@tcp(h)/", "table": "t"}, "dsnEnv: must name an environment variable, not hold the connection string"},
		{map[string]any{"dsnEnv": "X"}, "table: give table or query"},
		{map[string]any{"dsnEnv": "X", "query": "select 1", "database": "d"}, "database: applies to table only"},
		{map[string]any{"dsnEnv": "X", "table": "t", "filter": "1; drop table t"}, "filter: must be one SQL predicate"},
		{map[string]any{"dsnEnv": "X", "query": "select * from t into\n OutFile '/tmp/x'"}, "query: must not write a file on the server"},
		{map[string]any{"dsnEnv": "X", "table": "t", "filter": "1) union select 2 into dumpfile '/tmp/x' from (select 1"}, "filter: must not write a file on the server"},
	} {
		_, err := mysql.New(connector.Config{Input: "i", Options: tt.opts})
		var oe *connector.OptionError
		if !errors.As(err, &oe) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%v: err = %v, want %q", tt.opts, err, tt.want)
		}
	}
}

func TestReadOnly(t *testing.T) {
	dsn := testDSN(t)
	db, admin := newDatabase(t, dsn,
		`create table orders (id bigint primary key, amount int)`,
		`insert into orders values (1, 10), (2, 20)`,
		`create function writes() returns int modifies sql data begin insert into orders values (9, 90); return 1; end`)
	t.Setenv(dsnEnv, withDB(t, dsn, db))
	for _, q := range []string{
		"delete from orders returning id", // MariaDB
		"update orders set amount = 0",
		"insert into orders values (3, 30)",
		"create table copy as select * from orders",
		"drop table orders",
		"select writes()", // a function that writes
	} {
		_, err := bind(t, map[string]any{"dsnEnv": dsnEnv, "query": q})
		t.Logf("%s: %v", q, err)
		if err == nil || !strings.Contains(err.Error(), "READ ONLY transaction") && !strings.Contains(err.Error(), "it must be a SELECT") {
			t.Errorf("%s: err = %v, want a read-only refusal", q, err)
		}
	}
	var n, sum int
	if err := admin.QueryRow("select count(*), sum(amount) from orders").Scan(&n, &sum); err != nil || n != 2 || sum != 30 {
		t.Fatalf("rows after refused writes: %d %d %v", n, sum, err)
	}
	var tables int
	if err := admin.QueryRow("select count(*) from information_schema.tables where table_schema = ? and table_type = 'BASE TABLE'", db).Scan(&tables); err != nil || tables != 1 {
		t.Fatalf("tables after refused DDL: %d %v", tables, err)
	}
}

func TestBindErrors(t *testing.T) {
	dsn := testDSN(t)
	db, _ := newDatabase(t, dsn, `create table orders (id bigint)`)
	t.Setenv(dsnEnv, withDB(t, dsn, db))
	cfg, _ := driver.ParseDSN(dsn)
	const badEnv = "DATAMESH_TEST_MYSQL_BAD_DSN"
	tests := []struct {
		name        string
		env         string // "-": unset
		opts        map[string]any
		want        []string
		unavailable bool
	}{
		{"missing env", "-", map[string]any{"dsnEnv": badEnv, "table": "t"},
			[]string{`mysql input "input"`, "environment variable " + badEnv + " is not set"}, false},
		{"unknown table", "", map[string]any{"dsnEnv": dsnEnv, "table": "nope"},
			[]string{`mysql input "input" (` + cfg.Addr + `/` + db + `)`, "nope' doesn't exist"}, false},
		{"unknown column", "", map[string]any{"dsnEnv": dsnEnv, "table": "orders", "columns": []string{"amount"}},
			[]string{"Unknown column 'amount'"}, false},
		{"bad filter", "", map[string]any{"dsnEnv": dsnEnv, "table": "orders", "filter": "id >"},
			[]string{"error in your SQL syntax"}, false},
		{"wrong credentials", "nobody_dm:s3cr3tpw@tcp(" + cfg.Addr + ")/", map[string]any{"dsnEnv": badEnv, "table": "t"},
			[]string{`mysql input "input" (` + cfg.Addr + `/): cannot connect`, "Access denied for user 'nobody_dm'"}, false},
		{"unreachable", "u:s3cr3tpw@tcp(127.0.0.1:1)/db?timeout=2s", map[string]any{"dsnEnv": badEnv, "table": "t"},
			[]string{`mysql input "input" (127.0.0.1:1/db): cannot connect`, "connection refused"}, true},
		{"bad dsn", "u:s3cr3tpw@tcp(127.0.0.1:1)", map[string]any{"dsnEnv": badEnv, "table": "t"},
			[]string{`mysql input "input": the connection string in the environment is not valid`}, false},
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
				t.Errorf("ErrUnavailable = %v, want %v", got, tt.unavailable)
			}
		})
	}
}

// TestConcurrentBinds shares one pool between concurrent binds (run with
// -race).
func TestConcurrentBinds(t *testing.T) {
	dsn := testDSN(t)
	db, _ := newDatabase(t, dsn, `create table n (i int)`,
		`insert into n with recursive r(i) as (select 1 union all select i + 1 from r where i < 1000) select i from r`)
	t.Setenv(dsnEnv, withDB(t, dsn, db))
	ctx := context.Background()
	e, err := engine.Open(ctx, engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	if err := e.Exec(ctx, `CREATE SCHEMA s`); err != nil {
		t.Fatal(err)
	}
	c, err := mysql.New(connector.Config{Input: "n", Options: map[string]any{"dsnEnv": dsnEnv, "table": "n"}})
	if err != nil {
		t.Fatal(err)
	}
	errs := make(chan error, 8)
	for i := range 8 {
		go func() { errs <- c.Bind(ctx, e, connector.Relation{Schema: "s", Name: "n" + string(rune('0'+i))}) }()
	}
	for range 8 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	if got := query(t, e, `SELECT ((SELECT sum(i) FROM s.n0) + (SELECT sum(i) FROM s.n7))::varchar`); got != "1001000" {
		t.Errorf("got %s", got)
	}
}
