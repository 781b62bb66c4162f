// Package mysql reads a table or a query of a MySQL or MariaDB database
// into the engine, with go-sql-driver/mysql, in a READ ONLY session and
// transaction that is always rolled back. Connections come from a small pool
// per connection string, shared by every input that uses the same string.
package mysql

import (
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/datamesh/datamesh/connector"
	"github.com/datamesh/datamesh/connector/internal/sqlread"
)

// Pool limits: each distinct connection string gets one pool, shared by
// every input that names it, holding at most MaxConns connections; an idle
// connection is closed after MaxConnIdleTime.
const (
	MaxConns        = 4
	MaxConnIdleTime = time.Minute
	ConnectTimeout  = 10 * time.Second
)

func init() {
	connector.Register(connector.Spec{
		Kind:    "mysql",
		Summary: "a table or a read-only query of a MySQL or MariaDB database, read in a READ ONLY transaction",
		Options: []connector.Option{
			{Name: "dsnEnv", Type: connector.TypeString, Required: true,
				Description: "name of the environment variable holding the connection string, in go-sql-driver form (user:password@tcp(host:3306)/db); the secret never stands in a descriptor",
				Example:     "SHOP_MYSQL_DSN"},
			{Name: "table", Type: connector.TypeString,
				Description: "table or view to read; `database.table` when database is not given; give table or query",
				Example:     "orders"},
			{Name: "database", Type: connector.TypeString,
				Description: "database of table (default: the one in the connection string)",
				Example:     "shop"},
			{Name: "query", Type: connector.TypeString,
				Description: "a SELECT to run instead of reading a table; it runs in a READ ONLY session and transaction, so a statement that writes fails",
				Example:     "select id, amount from orders where status <> 'test'"},
			{Name: "columns", Type: connector.TypeStrings,
				Description: "read only these columns (projection pushed down to the server); default: all",
				Example:     "[id, customer, amount]"},
			{Name: "filter", Type: connector.TypeString,
				Description: "a SQL predicate sent to the server as the WHERE clause, so that only matching rows travel; written by the descriptor's author, no ';'",
				Example:     "status = 'paid'"},
		},
		New: New,
	})
}

// MySQL is an input read from MySQL or MariaDB.
type MySQL struct {
	Input  string
	DSNEnv string
	// Source is what to read; its Schema is the database option.
	sqlread.Source
}

var _ connector.Connector = (*MySQL)(nil)

// New checks the options; it neither reads the environment nor connects.
func New(c connector.Config) (connector.Connector, error) {
	m := &MySQL{Input: c.Input}
	m.DSNEnv, _ = c.Options["dsnEnv"].(string)
	if err := sqlread.CheckEnvName("dsnEnv", m.DSNEnv); err != nil {
		return nil, err
	}
	src, err := sqlread.Parse(c.Options, "database")
	if err != nil {
		return nil, err
	}
	m.Source = src
	// A read-only transaction does not stop SELECT ... INTO OUTFILE from
	// writing a file on the server.
	for opt, text := range map[string]string{"query": src.Query, "filter": src.Filter} {
		if intoFile.MatchString(text) {
			return nil, &connector.OptionError{Option: opt, Msg: "must not write a file on the server (INTO OUTFILE, INTO DUMPFILE)"}
		}
	}
	return m, nil
}

var intoFile = regexp.MustCompile(`(?i)\b(outfile|dumpfile)\b`)

// Ident quotes a MySQL identifier.
func Ident(s string) string { return "`" + strings.ReplaceAll(s, "`", "``") + "`" }

// SourceSQL is the statement sent to the server: the table or the query,
// with the columns and the filter pushed down.
func (m *MySQL) SourceSQL() string { return m.SQL(Ident) }

// Bind reads the rows, in a READ ONLY session and transaction, into the
// table rel.
func (m *MySQL) Bind(ctx context.Context, e connector.Engine, rel connector.Relation) error {
	dsn := os.Getenv(m.DSNEnv)
	if dsn == "" {
		return fmt.Errorf("mysql input %q: environment variable %s is not set (dsnEnv names the variable holding the connection string)", m.Input, m.DSNEnv)
	}
	db, src, password, err := poolFor(dsn)
	if err != nil {
		return fmt.Errorf("mysql input %q: %s", m.Input, redact(err.Error(), dsn, password))
	}
	fail := func(what string, err error) error {
		msg := fmt.Sprintf("mysql input %q (%s): %s%s", m.Input, src, what, redact(err.Error(), dsn, password))
		if unavailable(err) {
			return fmt.Errorf("%w: %s", connector.ErrUnavailable, msg)
		}
		return errors.New(msg)
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		return fail("cannot connect: ", err)
	}
	defer conn.Close()
	// The session too: in a READ ONLY transaction MySQL still runs DDL,
	// after an implicit commit; a READ ONLY session refuses it.
	if _, err := conn.ExecContext(ctx, "SET SESSION TRANSACTION READ ONLY"); err != nil {
		return fail("cannot make the session read-only: ", err)
	}
	tx, err := conn.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return fail("cannot begin a read-only transaction: ", err)
	}
	defer func() { _ = tx.Rollback() }() // nothing is ever committed
	rows, err := tx.QueryContext(ctx, m.SourceSQL())
	if err != nil {
		return fail("", err)
	}
	defer rows.Close()
	types, err := rows.ColumnTypes()
	if err != nil {
		return fail("", err)
	}
	if len(types) == 0 {
		return fail("", errors.New("the query returns no rows (it must be a SELECT)"))
	}
	cols := make([]connector.Column, len(types))
	bit := make([]bool, len(types))
	for i, t := range types {
		p, s, _ := t.DecimalSize()
		cols[i] = connector.Column{Name: t.Name(), Type: DuckDBType(t.DatabaseTypeName(), p, s)}
		bit[i] = t.DatabaseTypeName() == "BIT"
	}
	r := &rowReader{rows: rows, cols: cols, bit: bit, raw: make([]any, len(cols)), ptrs: make([]any, len(cols)), vals: make([]any, len(cols))}
	for i := range r.raw {
		r.ptrs[i] = &r.raw[i]
	}
	if err := e.Load(ctx, rel, cols, r); err != nil {
		if rerr := rows.Err(); rerr != nil {
			return fail("", rerr)
		}
		return fmt.Errorf("mysql input %q (%s): %w", m.Input, src, err)
	}
	return nil
}

// DuckDBType maps a column type, as the driver names it, to a DuckDB type;
// p and s are a DECIMAL's precision and scale.
func DuckDBType(name string, p, s int64) string {
	switch strings.ToUpper(name) {
	case "TINYINT":
		return "TINYINT" // BOOL/BOOLEAN columns are TINYINT(1): 0 and 1
	case "UNSIGNED TINYINT":
		return "UTINYINT"
	case "SMALLINT", "YEAR":
		return "SMALLINT"
	case "UNSIGNED SMALLINT":
		return "USMALLINT"
	case "MEDIUMINT", "INT":
		return "INTEGER"
	case "UNSIGNED MEDIUMINT", "UNSIGNED INT":
		return "UINTEGER"
	case "BIGINT":
		return "BIGINT"
	case "UNSIGNED BIGINT", "BIT":
		return "UBIGINT"
	case "FLOAT":
		return "FLOAT"
	case "DOUBLE":
		return "DOUBLE"
	case "DECIMAL":
		if p >= 1 && p <= 38 && s >= 0 && s <= p {
			return fmt.Sprintf("DECIMAL(%d,%d)", p, s)
		}
		return "DOUBLE"
	case "DATE":
		return "DATE"
	case "DATETIME":
		return "TIMESTAMP"
	case "TIMESTAMP":
		return "TIMESTAMPTZ" // read in UTC
	case "BINARY", "VARBINARY", "BLOB", "TINYBLOB", "MEDIUMBLOB", "LONGBLOB", "GEOMETRY":
		return "BLOB"
	default:
		// CHAR, VARCHAR, TEXT kinds, ENUM, SET, JSON, TIME (a duration
		// that may exceed 24 hours), NULL.
		return "VARCHAR"
	}
}

// rowReader adapts sql.Rows to connector.Rows.
type rowReader struct {
	rows *sql.Rows
	cols []connector.Column
	bit  []bool
	raw  []any
	ptrs []any
	vals []any
}

func (r *rowReader) Next() bool   { return r.rows.Next() }
func (r *rowReader) Err() error   { return r.rows.Err() }
func (r *rowReader) Close() error { return r.rows.Close() }

func (r *rowReader) Values() ([]any, error) {
	if err := r.rows.Scan(r.ptrs...); err != nil {
		return nil, err
	}
	for i, v := range r.raw {
		c, err := Convert(v, r.cols[i].Type, r.bit[i])
		if err != nil {
			return nil, fmt.Errorf("column %q (%s): %w", r.cols[i].Name, r.cols[i].Type, err)
		}
		r.vals[i] = c
	}
	return r.vals, nil
}

// Convert turns a value the driver returned (int64, uint64, float32,
// float64, []byte, time.Time or nil) into the Go value the engine takes
// for a column of DuckDB type typ; bit says the column is a BIT(n), whose
// values come as big-endian bytes.
func Convert(v any, typ string, bit bool) (any, error) {
	if v == nil {
		return nil, nil
	}
	if t, ok := v.(time.Time); ok {
		if t.IsZero() {
			return nil, nil // '0000-00-00' zero dates
		}
		switch typ {
		case "DATE", "TIMESTAMP", "TIMESTAMPTZ":
			return t, nil
		case "VARCHAR":
			return t.Format(time.RFC3339Nano), nil
		}
		return nil, fmt.Errorf("time %v does not fit %s", t, typ)
	}
	b, isBytes := v.([]byte)
	switch typ {
	case "VARCHAR":
		if isBytes {
			return string(b), nil
		}
		return fmt.Sprint(v), nil
	case "BLOB":
		if isBytes {
			return append([]byte{}, b...), nil
		}
	case "TINYINT", "SMALLINT", "INTEGER", "BIGINT":
		var n int64
		switch x := v.(type) {
		case int64:
			n = x
		case []byte:
			var err error
			if n, err = strconv.ParseInt(string(x), 10, 64); err != nil {
				return nil, err
			}
		default:
			return nil, fmt.Errorf("value %v (%T) does not fit %s", v, v, typ)
		}
		switch typ {
		case "TINYINT":
			return int8(n), nil
		case "SMALLINT":
			return int16(n), nil
		case "INTEGER":
			return int32(n), nil
		}
		return n, nil
	case "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT":
		var n uint64
		switch x := v.(type) {
		case int64:
			n = uint64(x)
		case uint64:
			n = x
		case []byte:
			if bit && len(x) <= 8 { // BIT(n): big-endian bytes
				var buf [8]byte
				copy(buf[8-len(x):], x)
				n = binary.BigEndian.Uint64(buf[:])
				break
			}
			var err error
			if n, err = strconv.ParseUint(string(x), 10, 64); err != nil {
				return nil, err
			}
		default:
			return nil, fmt.Errorf("value %v (%T) does not fit %s", v, v, typ)
		}
		switch typ {
		case "UTINYINT":
			return uint8(n), nil
		case "USMALLINT":
			return uint16(n), nil
		case "UINTEGER":
			return uint32(n), nil
		}
		return n, nil
	case "FLOAT", "DOUBLE":
		switch x := v.(type) {
		case float32:
			if typ == "FLOAT" {
				return x, nil
			}
			return float64(x), nil
		case float64:
			if typ == "FLOAT" {
				return float32(x), nil
			}
			return x, nil
		case int64:
			return float64(x), nil
		case []byte:
			f, err := strconv.ParseFloat(string(x), 64)
			if err != nil {
				return nil, err
			}
			if typ == "FLOAT" {
				return float32(f), nil
			}
			return f, nil
		}
	default:
		if p, s, ok := decimalType(typ); ok && isBytes {
			return sqlread.ParseDecimal(string(b), p, s)
		}
	}
	return nil, fmt.Errorf("value %v (%T) does not fit %s", v, v, typ)
}

func decimalType(typ string) (p, s int, ok bool) {
	inner, found := strings.CutPrefix(typ, "DECIMAL(")
	if !found {
		return 0, 0, false
	}
	ps, ss, _ := strings.Cut(strings.TrimSuffix(inner, ")"), ",")
	p, err1 := strconv.Atoi(ps)
	s, err2 := strconv.Atoi(ss)
	return p, s, err1 == nil && err2 == nil
}

var (
	poolsMu sync.Mutex
	pools   = map[string]*sql.DB{}
)

// poolFor returns the pool of a connection string, creating it (without
// connecting) on first use, a name of the source for messages (address and
// database, never the password), and the password, to redact it.
func poolFor(dsn string) (*sql.DB, string, string, error) {
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		return nil, "", "", fmt.Errorf("the connection string in the environment is not valid: %w", err)
	}
	src := cfg.Addr + "/" + cfg.DBName
	poolsMu.Lock()
	defer poolsMu.Unlock()
	if db, ok := pools[dsn]; ok {
		return db, src, cfg.Passwd, nil
	}
	cfg.ParseTime = true // DATE, DATETIME, TIMESTAMP as time.Time
	cfg.Loc = time.UTC
	cfg.MultiStatements = false
	if cfg.Params == nil {
		cfg.Params = map[string]string{}
	}
	cfg.Params["time_zone"] = "'+00:00'" // TIMESTAMP values in UTC
	if cfg.Timeout == 0 {
		cfg.Timeout = ConnectTimeout
	}
	conn, err := mysql.NewConnector(cfg)
	if err != nil {
		return nil, "", "", err
	}
	db := sql.OpenDB(conn)
	db.SetMaxOpenConns(MaxConns)
	db.SetMaxIdleConns(MaxConns)
	db.SetConnMaxIdleTime(MaxConnIdleTime)
	pools[dsn] = db
	return db, src, cfg.Passwd, nil
}

// ClosePools closes every pool (at shutdown, and in tests).
func ClosePools() {
	poolsMu.Lock()
	defer poolsMu.Unlock()
	for dsn, db := range pools {
		db.Close()
		delete(pools, dsn)
	}
}

func redact(msg, dsn, password string) string {
	msg = strings.ReplaceAll(msg, dsn, "[connection string]")
	if password != "" {
		msg = strings.ReplaceAll(msg, password, "xxxxx")
	}
	return msg
}

// unavailable tells a server that cannot be reached now from one that
// answers with an error (wrong credentials, no such table, a bad query).
func unavailable(err error) bool {
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		return me.Number == 1040 || me.Number == 1203 // too many connections
	}
	return connector.Unreachable(err)
}
