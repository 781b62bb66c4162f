//go:build duckdb_arrow

// Package seed loads the ACME example's data into real services, for the
// example's "services" profile (examples/acme/_profiles/services): sales
// orders into PostgreSQL, hr offices and employees into MariaDB/MySQL,
// marketing campaigns into Redis and shipping events into a NATS JetStream
// stream. Every run replaces what an earlier run loaded: schema and
// database are dropped and created again, keys deleted, the stream purged.
// It is what `datamesh seed DIR --profile services` runs.
package seed

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5"
	natsgo "github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	goredis "github.com/redis/go-redis/v9"
	_ "modernc.org/sqlite" // reads sales/data/sales.db

	natsconn "github.com/datamesh/datamesh/connector/nats"
)

// The names the services profile reads (with no Prefix).
const (
	PostgresSchema = "acme_sales"
	MySQLDatabase  = "acme_hr"
	RedisKeyPrefix = "acme:campaign:"
	NATSStream     = "ACME_SHIPMENTS"
)

// Options say where the example is and where to load it. A service whose
// connection string is empty is left alone.
type Options struct {
	// MeshDir is the example folder (examples/acme).
	MeshDir string
	// PostgresDSN is a pgx connection string (postgres://...).
	PostgresDSN string
	// MySQLDSN is a go-sql-driver connection string (user:pw@tcp(host:3306)/).
	MySQLDSN string
	// RedisURL is redis://[user:pw@]host:6379/db.
	RedisURL string
	// NATSURL is nats://host:4222, a server with JetStream.
	NATSURL string
	// Prefix is put before every name (schema, database, keys, stream), so
	// that tests load into names of their own; empty for the profile.
	Prefix string
}

// Names are the names one Prefix gives.
type Names struct {
	Schema, Database, KeyPrefix, Stream string
}

// NamesFor returns the schema, database, Redis key prefix and stream that
// Seed uses for prefix; the stream's prefix is upper-cased.
func NamesFor(prefix string) Names {
	return Names{
		Schema:    prefix + PostgresSchema,
		Database:  prefix + MySQLDatabase,
		KeyPrefix: prefix + RedisKeyPrefix,
		Stream:    strings.ToUpper(prefix) + NATSStream,
	}
}

// Report says how much was loaded where.
type Report struct {
	Orders    int // rows of PostgreSQL SCHEMA.orders
	Offices   int // rows of MySQL DATABASE.offices
	Employees int // rows of MySQL DATABASE.employees
	Campaigns int // Redis keys KEYPREFIX<id>
	Events    int // messages of the NATS stream
}

// Seed loads the example's data into the services given, replacing what
// was there.
func Seed(ctx context.Context, o Options) (Report, error) {
	var r Report
	var err error
	n := NamesFor(o.Prefix)
	if o.PostgresDSN != "" {
		if r.Orders, err = seedPostgres(ctx, o.PostgresDSN, n.Schema, filepath.Join(o.MeshDir, "sales", "data", "sales.db")); err != nil {
			return r, fmt.Errorf("seed postgres: %w", err)
		}
	}
	if o.MySQLDSN != "" {
		if r.Offices, r.Employees, err = seedMySQL(ctx, o.MySQLDSN, n.Database, filepath.Join(o.MeshDir, "hr", "data")); err != nil {
			return r, fmt.Errorf("seed mysql: %w", err)
		}
	}
	if o.RedisURL != "" {
		if r.Campaigns, err = seedRedis(ctx, o.RedisURL, n.KeyPrefix, filepath.Join(o.MeshDir, "marketing", "data", "campaigns.json")); err != nil {
			return r, fmt.Errorf("seed redis: %w", err)
		}
	}
	if o.NATSURL != "" {
		if r.Events, err = seedNATS(ctx, o.NATSURL, n.Stream, filepath.Join(o.MeshDir, "shipping", "data", "shipments.ndjson")); err != nil {
			return r, fmt.Errorf("seed nats: %w", err)
		}
	}
	return r, nil
}

func pgIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// seedPostgres copies the SQLite orders into SCHEMA.orders.
func seedPostgres(ctx context.Context, dsn, schema, dbFile string) (int, error) {
	if _, err := os.Stat(dbFile); err != nil {
		return 0, err
	}
	src, err := sql.Open("sqlite", "file:"+dbFile+"?mode=ro")
	if err != nil {
		return 0, err
	}
	defer src.Close()
	rows, err := src.QueryContext(ctx, `select order_id, placed, customer, office_id, employee_id, product, quantity, amount, status from orders order by order_id`)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", dbFile, err)
	}
	defer rows.Close()
	var data [][]any
	for rows.Next() {
		var (
			id, office, qty   int64
			employee          sql.NullInt64
			placed, cust, prd string
			status            string
			amount            float64
		)
		if err := rows.Scan(&id, &placed, &cust, &office, &employee, &prd, &qty, &amount, &status); err != nil {
			return 0, fmt.Errorf("%s: %w", dbFile, err)
		}
		day, err := time.Parse(time.DateOnly, placed[:min(len(placed), 10)])
		if err != nil {
			return 0, fmt.Errorf("%s: order %d: %w", dbFile, id, err)
		}
		var emp any
		if employee.Valid {
			emp = int32(employee.Int64)
		}
		data = append(data, []any{id, day, cust, int32(office), emp, prd, int32(qty), amount, status})
	}
	if err := rows.Err(); err != nil {
		return 0, err
	}

	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return 0, err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	tx, err := conn.Begin(ctx)
	if err != nil {
		return 0, err
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	s := pgIdent(schema)
	for _, stmt := range []string{
		`drop schema if exists ` + s + ` cascade`,
		`create schema ` + s,
		`create table ` + s + `.orders (
			order_id bigint primary key,
			placed date not null,
			customer text not null,
			office_id integer not null,
			employee_id integer,
			product text not null,
			quantity integer not null,
			amount double precision not null,
			status text not null check (status in ('open', 'paid', 'refunded'))
		)`,
		`comment on table ` + s + `.orders is 'ACME example: every order, loaded by datamesh seed'`,
	} {
		if _, err := tx.Exec(ctx, stmt); err != nil {
			return 0, err
		}
	}
	n, err := tx.CopyFrom(ctx, pgx.Identifier{schema, "orders"},
		[]string{"order_id", "placed", "customer", "office_id", "employee_id", "product", "quantity", "amount", "status"},
		pgx.CopyFromRows(data))
	if err != nil {
		return 0, err
	}
	return int(n), tx.Commit(ctx)
}

func myIdent(s string) string { return "`" + strings.ReplaceAll(s, "`", "``") + "`" }

// seedMySQL loads the hr CSV files into DATABASE.offices and
// DATABASE.employees.
func seedMySQL(ctx context.Context, dsn, database, dataDir string) (offices, employees int, err error) {
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		return 0, 0, err
	}
	cfg.DBName = "" // the database is created here
	offRows, err := readCSV(filepath.Join(dataDir, "offices.csv"), []string{"office_id", "city", "country", "opened", "incentive_rate"})
	if err != nil {
		return 0, 0, err
	}
	empRows, err := readCSV(filepath.Join(dataDir, "employees.csv"), []string{"employee_id", "name", "office_id", "department", "hired", "left"})
	if err != nil {
		return 0, 0, err
	}
	conn, err := mysql.NewConnector(cfg)
	if err != nil {
		return 0, 0, err
	}
	db := sql.OpenDB(conn)
	defer db.Close()
	d := myIdent(database)
	for _, stmt := range []string{
		`drop database if exists ` + d,
		`create database ` + d + ` character set utf8mb4 collate utf8mb4_unicode_ci`,
		`create table ` + d + `.offices (
			office_id int not null primary key,
			city varchar(100) not null,
			country char(2) not null,
			opened date,
			incentive_rate double
		)`,
		`create table ` + d + `.employees (
			employee_id int not null primary key,
			name varchar(200) not null,
			office_id int not null,
			department varchar(50),
			hired date not null,
			` + "`left`" + ` date,
			key (office_id)
		)`,
	} {
		if _, err := db.ExecContext(ctx, stmt); err != nil {
			return 0, 0, err
		}
	}
	if offices, err = insertRows(ctx, db, d+".offices", 5, offRows); err != nil {
		return 0, 0, err
	}
	if employees, err = insertRows(ctx, db, d+".employees", 6, empRows); err != nil {
		return offices, 0, err
	}
	return offices, employees, nil
}

// readCSV reads a CSV file whose header must be want; empty fields are
// NULL.
func readCSV(file string, want []string) ([][]any, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := csv.NewReader(f)
	header, err := r.Read()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	if strings.Join(header, ",") != strings.Join(want, ",") {
		return nil, fmt.Errorf("%s: header %v, want %v", file, header, want)
	}
	var out [][]any
	for {
		rec, err := r.Read()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", file, err)
		}
		row := make([]any, len(rec))
		for i, v := range rec {
			if v != "" {
				row[i] = v
			}
		}
		out = append(out, row)
	}
}

// insertRows inserts rows in one transaction, by batches of multi-row
// INSERTs.
func insertRows(ctx context.Context, db *sql.DB, table string, cols int, rows [][]any) (int, error) {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer func() { _ = tx.Rollback() }()
	tuple := "(" + strings.TrimSuffix(strings.Repeat("?,", cols), ",") + ")"
	const batch = 500
	for start := 0; start < len(rows); start += batch {
		part := rows[start:min(start+batch, len(rows))]
		args := make([]any, 0, len(part)*cols)
		tuples := make([]string, len(part))
		for i, r := range part {
			tuples[i] = tuple
			args = append(args, r...)
		}
		if _, err := tx.ExecContext(ctx, "insert into "+table+" values "+strings.Join(tuples, ","), args...); err != nil {
			return 0, fmt.Errorf("%s: %w", table, err)
		}
	}
	return len(rows), tx.Commit()
}

// seedRedis stores each campaign as a JSON string under KEYPREFIX<id>,
// after deleting every key under KEYPREFIX.
func seedRedis(ctx context.Context, url, keyPrefix, file string) (int, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return 0, err
	}
	var docs []json.RawMessage
	if err := json.Unmarshal(b, &docs); err != nil {
		return 0, fmt.Errorf("%s: %w", file, err)
	}
	opts, err := goredis.ParseURL(url)
	if err != nil {
		return 0, err
	}
	c := goredis.NewClient(opts)
	defer c.Close()
	if err := deleteKeys(ctx, c, keyPrefix); err != nil {
		return 0, err
	}
	pipe := c.TxPipeline()
	for i, doc := range docs {
		var head struct {
			ID string `json:"id"`
		}
		if err := json.Unmarshal(doc, &head); err != nil || head.ID == "" {
			return 0, fmt.Errorf("%s: campaign %d has no id", file, i+1)
		}
		var compact bytes.Buffer
		if err := json.Compact(&compact, doc); err != nil {
			return 0, err
		}
		pipe.Set(ctx, keyPrefix+head.ID, compact.String(), 0)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return 0, err
	}
	return len(docs), nil
}

// DeleteKeys deletes every Redis key under prefix (used by Seed before
// loading, and by tests to clean up).
func DeleteKeys(ctx context.Context, url, prefix string) error {
	opts, err := goredis.ParseURL(url)
	if err != nil {
		return err
	}
	c := goredis.NewClient(opts)
	defer c.Close()
	return deleteKeys(ctx, c, prefix)
}

func deleteKeys(ctx context.Context, c *goredis.Client, prefix string) error {
	var cursor uint64
	for {
		keys, next, err := c.Scan(ctx, cursor, escapeGlob(prefix)+"*", 1000).Result()
		if err != nil {
			return err
		}
		if len(keys) > 0 {
			if err := c.Del(ctx, keys...).Err(); err != nil {
				return err
			}
		}
		if cursor = next; cursor == 0 {
			return nil
		}
	}
}

// escapeGlob escapes the characters Redis patterns give a meaning.
func escapeGlob(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `*`, `\*`, `?`, `\?`, `[`, `\[`, `]`, `\]`)
	return r.Replace(s)
}

// seedNATS purges the stream, if it exists, then publishes the events
// file into it (natsconn.Seed creates the stream).
func seedNATS(ctx context.Context, url, stream, file string) (int, error) {
	if _, err := os.Stat(file); err != nil {
		return 0, err
	}
	nc, err := natsgo.Connect(url, natsgo.Name("datamesh-seed"), natsgo.Timeout(natsconn.ConnectTimeout))
	if err != nil {
		return 0, err
	}
	js, err := jetstream.New(nc)
	if err == nil {
		var st jetstream.Stream
		st, err = js.Stream(ctx, stream)
		switch {
		case errors.Is(err, jetstream.ErrStreamNotFound):
			err = nil
		case err == nil:
			err = st.Purge(ctx)
		}
	}
	nc.Close()
	if err != nil {
		return 0, err
	}
	return natsconn.Seed(ctx, url, stream, file)
}

// DeleteStream deletes a JetStream stream (for tests to clean up).
func DeleteStream(ctx context.Context, url, stream string) error {
	nc, err := natsgo.Connect(url, natsgo.Timeout(natsconn.ConnectTimeout))
	if err != nil {
		return err
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return err
	}
	if err := js.DeleteStream(ctx, stream); err != nil && !errors.Is(err, jetstream.ErrStreamNotFound) {
		return err
	}
	return nil
}

// The environment variables the services profile's descriptors name, and
// their defaults: the services of a developer machine. `datamesh seed` and
// `datamesh up --profile services` read them, and up sets the defaults of
// those not set, so that the nodes' connectors find them.
const (
	EnvPostgres = "DATAMESH_ACME_POSTGRES"
	EnvMySQL    = "DATAMESH_ACME_MYSQL"
	EnvRedis    = "DATAMESH_ACME_REDIS"
	EnvNATS     = "DATAMESH_ACME_NATS"
)

// DefaultEnv maps each variable to its default.
var DefaultEnv = map[string]string{
	EnvPostgres: "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable",
	EnvMySQL:    "root@tcp(127.0.0.1:3306)/",
	EnvRedis:    "redis://127.0.0.1:6379/0",
	EnvNATS:     "nats://127.0.0.1:4222",
}

// SetDefaultEnv sets every variable of DefaultEnv that is not set.
func SetDefaultEnv() error {
	for k, v := range DefaultEnv {
		if _, ok := os.LookupEnv(k); !ok {
			if err := os.Setenv(k, v); err != nil {
				return err
			}
		}
	}
	return nil
}
