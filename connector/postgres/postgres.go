// Package postgres reads a table or a query of a PostgreSQL database into
// the engine. Rows are read with pgx over the binary protocol, inside a READ
// ONLY transaction that is always rolled back, decoded into Arrow record
// batches and loaded into an engine table (Engine.LoadArrow). Connections
// come from a small pool per connection string, shared by every input of
// the node that uses the same string.
package postgres

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"

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
		Kind:    "postgres",
		Summary: "a table or a read-only query of a PostgreSQL database, read in a READ ONLY transaction",
		Options: []connector.Option{
			{Name: "dsnEnv", Type: connector.TypeString, Required: true,
				Description: "name of the environment variable holding the connection string (postgres://user:password@host:5432/db?sslmode=require, or key=value form); the secret never stands in a descriptor",
				Example:     "SALES_PG_DSN"},
			{Name: "table", Type: connector.TypeString,
				Description: "table or view to read; `schema.table` when schema is not given; give table or query",
				Example:     "orders"},
			{Name: "schema", Type: connector.TypeString,
				Description: "schema of table (default: the connection's search_path)",
				Example:     "sales"},
			{Name: "query", Type: connector.TypeString,
				Description: "a SELECT to run instead of reading a table; it runs in a READ ONLY transaction, so a statement that writes fails",
				Example:     "select id, amount from orders where status <> 'test'"},
			{Name: "columns", Type: connector.TypeStrings,
				Description: "read only these columns (projection pushed down to PostgreSQL); default: all",
				Example:     "[id, customer, amount]"},
			{Name: "filter", Type: connector.TypeString,
				Description: "a SQL predicate sent to PostgreSQL as the WHERE clause, so that only matching rows travel; written by the descriptor's author, no ';'",
				Example:     "status = 'paid' and placed >= date '2024-01-01'"},
		},
		New: New,
	})
}

// Postgres is an input read from PostgreSQL.
type Postgres struct {
	Input  string
	DSNEnv string
	sqlread.Source
}

var _ connector.Connector = (*Postgres)(nil)

// New checks the options; it neither reads the environment nor connects.
func New(c connector.Config) (connector.Connector, error) {
	p := &Postgres{Input: c.Input}
	p.DSNEnv, _ = c.Options["dsnEnv"].(string)
	if err := sqlread.CheckEnvName("dsnEnv", p.DSNEnv); err != nil {
		return nil, err
	}
	src, err := sqlread.Parse(c.Options, "schema")
	if err != nil {
		return nil, err
	}
	p.Source = src
	return p, nil
}

// SourceSQL is the statement sent to PostgreSQL: the table or the query,
// with the columns and the filter pushed down.
func (p *Postgres) SourceSQL() string { return p.SQL(Ident) }

// Ident quotes a PostgreSQL identifier.
func Ident(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// Bind reads the rows, in a READ ONLY transaction, into the table rel.
func (p *Postgres) Bind(ctx context.Context, e connector.Engine, rel connector.Relation) error {
	dsn := os.Getenv(p.DSNEnv)
	if dsn == "" {
		return fmt.Errorf("postgres input %q: environment variable %s is not set (dsnEnv names the variable holding the connection string)", p.Input, p.DSNEnv)
	}
	pool, src, err := poolFor(dsn)
	if err != nil {
		return fmt.Errorf("postgres input %q: %s", p.Input, redact(err.Error(), dsn))
	}
	fail := func(what string, err error) error {
		msg := fmt.Sprintf("postgres input %q (%s): %s%s", p.Input, src, what, redact(err.Error(), dsn))
		if unavailable(err) {
			return fmt.Errorf("%w: %s", connector.ErrUnavailable, msg)
		}
		return errors.New(msg)
	}
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return fail("cannot connect: ", err)
	}
	defer conn.Release()
	tx, err := conn.BeginTx(ctx, pgx.TxOptions{AccessMode: pgx.ReadOnly})
	if err != nil {
		return fail("cannot begin a read-only transaction: ", err)
	}
	// Nothing is ever committed.
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()

	pg := conn.Conn().PgConn()
	sd, err := pg.Prepare(ctx, "", p.SourceSQL(), nil)
	if err != nil {
		return fail("", err)
	}
	if len(sd.Fields) == 0 {
		return fail("", errors.New("the query returns no rows (it must be a SELECT)"))
	}
	types := pgtype.NewMap()
	names := make([]string, len(sd.Fields))
	cols := make([]column, len(sd.Fields))
	formats := make([]int16, len(sd.Fields))
	for i, f := range sd.Fields {
		names[i] = f.Name
		cols[i] = columnFor(types, f.DataTypeOID, f.TypeModifier)
		formats[i] = cols[i].Format
	}
	r := newReader(pg, pg.ExecPrepared(ctx, "", nil, nil, formats), names, cols)
	err = e.LoadArrow(ctx, rel, r)
	r.close() // the connection is idle again before the transaction ends
	if r.canceled {
		// A cancel request may land late, on whatever the connection runs
		// next: the connection is not reused.
		_ = conn.Conn().Close(context.WithoutCancel(ctx))
	}
	if rerr := r.Err(); rerr != nil {
		if r.decErr != nil {
			return fmt.Errorf("postgres input %q (%s): %w", p.Input, src, rerr)
		}
		return fail("", rerr)
	}
	if err != nil {
		return fmt.Errorf("postgres input %q (%s): %w", p.Input, src, err)
	}
	return nil
}

// PostgreSQL type OIDs (pg_type.dat).
const (
	oidBool        = 16
	oidBytea       = 17
	oidChar        = 18
	oidName        = 19
	oidInt8        = 20
	oidInt2        = 21
	oidInt4        = 23
	oidText        = 25
	oidOID         = 26
	oidJSON        = 114
	oidXML         = 142
	oidFloat4      = 700
	oidFloat8      = 701
	oidBPChar      = 1042
	oidVarchar     = 1043
	oidDate        = 1082
	oidTime        = 1083
	oidTimestamp   = 1114
	oidTimestamptz = 1184
	oidNumeric     = 1700
	oidUUID        = 2950
	oidJSONB       = 3802
)

func formatUUID(b []byte) string {
	var buf [36]byte
	hex.Encode(buf[0:8], b[0:4])
	buf[8] = '-'
	hex.Encode(buf[9:13], b[4:6])
	buf[13] = '-'
	hex.Encode(buf[14:18], b[6:8])
	buf[18] = '-'
	hex.Encode(buf[19:23], b[8:10])
	buf[23] = '-'
	hex.Encode(buf[24:], b[10:16])
	return string(buf[:])
}

// numericTypmod decodes numeric(p,s) from a type modifier.
func numericTypmod(typmod int32) (p, s int, ok bool) {
	if typmod < 4 {
		return 0, 0, false
	}
	t := typmod - 4
	p, s = int(t>>16)&0xffff, int(t&0xffff)
	if s > p || p < 1 {
		return 0, 0, false // negative scales (PostgreSQL 15) do not map
	}
	return p, s, true
}

// arrayJSON decodes a binary array and writes it as JSON text, nested as
// many levels as the array has dimensions.
func arrayJSON(m *pgtype.Map, oid, elem uint32, src []byte) (string, error) {
	var a pgtype.Array[any]
	if err := m.Scan(oid, pgtype.BinaryFormatCode, src, &a); err != nil {
		return "", err
	}
	for i, v := range a.Elements {
		a.Elements[i] = jsonValue(v, elem)
	}
	var nest func(dim int, elems []any) []any
	nest = func(dim int, elems []any) []any {
		if dim >= len(a.Dims)-1 {
			return elems
		}
		n := int(a.Dims[dim].Length)
		size := len(elems) / max(n, 1)
		out := make([]any, n)
		for i := range n {
			out[i] = nest(dim+1, elems[i*size:(i+1)*size])
		}
		return out
	}
	v := nest(0, a.Elements)
	if v == nil {
		v = []any{}
	}
	b, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	return string(b), nil
}

// jsonValue makes an array element marshal as a consumer expects.
func jsonValue(v any, elem uint32) any {
	switch x := v.(type) {
	case [16]byte:
		return formatUUID(x[:])
	case time.Time:
		if elem == oidDate {
			return x.Format(time.DateOnly)
		}
		return x.Format(time.RFC3339Nano)
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return strconv.FormatFloat(x, 'g', -1, 64)
		}
	case float32:
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			return strconv.FormatFloat(float64(x), 'g', -1, 32)
		}
	case pgtype.Numeric:
		if b, err := x.MarshalJSON(); err == nil {
			return json.RawMessage(b)
		}
	case map[string]any, []any:
		return x
	case string, bool, int16, int32, int64, nil, []byte:
		return x
	case fmt.Stringer:
		return x.String()
	}
	return v
}

var (
	poolsMu sync.Mutex
	pools   = map[string]*pgxpool.Pool{}
)

// poolFor returns the pool of a connection string, creating it (without
// connecting) on first use, and a name of the source for messages:
// host:port/database, never the password.
func poolFor(dsn string) (*pgxpool.Pool, string, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, "", fmt.Errorf("the connection string in the environment is not valid: %w", err)
	}
	src := fmt.Sprintf("%s:%d/%s", cfg.ConnConfig.Host, cfg.ConnConfig.Port, cfg.ConnConfig.Database)
	poolsMu.Lock()
	defer poolsMu.Unlock()
	if p, ok := pools[dsn]; ok {
		return p, src, nil
	}
	cfg.MaxConns = MaxConns
	cfg.MinConns = 0
	cfg.MaxConnIdleTime = MaxConnIdleTime
	if cfg.ConnConfig.ConnectTimeout == 0 {
		cfg.ConnConfig.ConnectTimeout = ConnectTimeout
	}
	if _, ok := cfg.ConnConfig.RuntimeParams["application_name"]; !ok {
		cfg.ConnConfig.RuntimeParams["application_name"] = "datamesh"
	}
	p, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		return nil, "", err
	}
	pools[dsn] = p
	return p, src, nil
}

// ClosePools closes every pool (at shutdown, and in tests).
func ClosePools() {
	poolsMu.Lock()
	defer poolsMu.Unlock()
	for dsn, p := range pools {
		p.Close()
		delete(pools, dsn)
	}
}

// redact removes the connection string and its password from a message.
func redact(msg, dsn string) string {
	if dsn != "" {
		msg = strings.ReplaceAll(msg, dsn, "[connection string]")
	}
	if cfg, err := pgconn.ParseConfig(dsn); err == nil && cfg.Password != "" {
		msg = strings.ReplaceAll(msg, cfg.Password, "xxxxx")
	}
	return msg
}

// unavailable tells a source that cannot be reached now (down, refusing,
// too busy) from one that answers with an error (wrong credentials, no
// such table, a bad query), which is the descriptor's fault.
func unavailable(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return strings.HasPrefix(pe.Code, "08") || strings.HasPrefix(pe.Code, "57P") || pe.Code == "53300"
	}
	return connector.Unreachable(err)
}
