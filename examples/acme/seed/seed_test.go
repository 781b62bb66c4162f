//go:build duckdb_arrow

package seed_test

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5"
	natsgo "github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	goredis "github.com/redis/go-redis/v9"
	_ "modernc.org/sqlite"

	_ "github.com/datamesh/datamesh/connector/all"
	"github.com/datamesh/datamesh/examples/acme/seed"
	"github.com/datamesh/datamesh/mesh"
)

const meshDir = ".."

// services returns the connection strings (DATAMESH_ACME_* or the
// defaults), skipping the test when a service is unreachable, failing it
// when CI=true.
func services(t *testing.T) seed.Options {
	t.Helper()
	get := func(k string) string {
		if v := os.Getenv(k); v != "" {
			return v
		}
		return seed.DefaultEnv[k]
	}
	o := seed.Options{
		MeshDir: meshDir, PostgresDSN: get(seed.EnvPostgres), MySQLDSN: get(seed.EnvMySQL),
		RedisURL: get(seed.EnvRedis), NATSURL: get(seed.EnvNATS),
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	unreachable := func(what string, err error) {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s unreachable: %v", what, err)
		}
		t.Skipf("%s unreachable (set %s): %v", what, strings.Join([]string{seed.EnvPostgres, seed.EnvMySQL, seed.EnvRedis, seed.EnvNATS}, ", "), err)
	}
	if c, err := pgx.Connect(ctx, o.PostgresDSN); err != nil {
		unreachable("PostgreSQL", err)
	} else {
		c.Close(ctx)
	}
	if db, err := sql.Open("mysql", o.MySQLDSN); err != nil {
		unreachable("MySQL", err)
	} else {
		err = db.PingContext(ctx)
		db.Close()
		if err != nil {
			unreachable("MySQL", err)
		}
	}
	if opts, err := goredis.ParseURL(o.RedisURL); err != nil {
		unreachable("Redis", err)
	} else {
		c := goredis.NewClient(opts)
		err = c.Ping(ctx).Err()
		c.Close()
		if err != nil {
			unreachable("Redis", err)
		}
	}
	if nc, err := natsgo.Connect(o.NATSURL, natsgo.Timeout(3*time.Second)); err != nil {
		unreachable("NATS", err)
	} else {
		nc.Close()
	}
	return o
}

// seedUnique seeds into names of the test's own and drops them at the end.
func seedUnique(t *testing.T) (seed.Options, seed.Names, seed.Report) {
	t.Helper()
	o := services(t)
	o.Prefix = fmt.Sprintf("t%d_", time.Now().UnixNano())
	n := seed.NamesFor(o.Prefix)
	t.Cleanup(func() {
		ctx := context.Background()
		if c, err := pgx.Connect(ctx, o.PostgresDSN); err == nil {
			_, _ = c.Exec(ctx, `drop schema if exists "`+n.Schema+`" cascade`)
			c.Close(ctx)
		}
		if db, err := sql.Open("mysql", o.MySQLDSN); err == nil {
			_, _ = db.Exec("drop database if exists `" + n.Database + "`")
			db.Close()
		}
		if err := seed.DeleteKeys(ctx, o.RedisURL, n.KeyPrefix); err != nil {
			t.Errorf("cleanup: %v", err)
		}
		if err := seed.DeleteStream(ctx, o.NATSURL, n.Stream); err != nil {
			t.Errorf("cleanup: %v", err)
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	r, err := seed.Seed(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	return o, n, r
}

// fileCounts are the rows of the example's files.
type fileCounts struct{ orders, offices, employees, campaigns, events int }

func countFiles(t *testing.T) fileCounts {
	t.Helper()
	var c fileCounts
	db, err := sql.Open("sqlite", "file:"+filepath.Join(meshDir, "sales", "data", "sales.db")+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.QueryRow("select count(*) from orders").Scan(&c.orders); err != nil {
		t.Fatal(err)
	}
	csvRows := func(f string) int {
		b, err := os.ReadFile(filepath.Join(meshDir, "hr", "data", f))
		if err != nil {
			t.Fatal(err)
		}
		recs, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		return len(recs) - 1
	}
	c.offices, c.employees = csvRows("offices.csv"), csvRows("employees.csv")
	b, err := os.ReadFile(filepath.Join(meshDir, "marketing", "data", "campaigns.json"))
	if err != nil {
		t.Fatal(err)
	}
	var docs []json.RawMessage
	if err := json.Unmarshal(b, &docs); err != nil {
		t.Fatal(err)
	}
	c.campaigns = len(docs)
	f, err := os.Open(filepath.Join(meshDir, "shipping", "data", "shipments.ndjson"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		if strings.TrimSpace(sc.Text()) != "" {
			c.events++
		}
	}
	return c
}

// TestSeed loads the example into the services twice (the second run
// replaces the first) and counts what each service holds.
func TestSeed(t *testing.T) {
	o, n, r := seedUnique(t)
	ctx := context.Background()
	r2, err := seed.Seed(ctx, o) // idempotent: replaces
	if err != nil {
		t.Fatal(err)
	}
	want := countFiles(t)
	if r != r2 || r.Orders != want.orders || r.Offices != want.offices || r.Employees != want.employees ||
		r.Campaigns != want.campaigns || r.Events != want.events {
		t.Errorf("reports %+v and %+v, files %+v", r, r2, want)
	}

	pg, err := pgx.Connect(ctx, o.PostgresDSN)
	if err != nil {
		t.Fatal(err)
	}
	defer pg.Close(ctx)
	var orders int
	if err := pg.QueryRow(ctx, `select count(*) from "`+n.Schema+`".orders`).Scan(&orders); err != nil {
		t.Fatal(err)
	}
	var placedType string
	if err := pg.QueryRow(ctx, `select data_type from information_schema.columns where table_schema = $1 and table_name = 'orders' and column_name = 'placed'`, n.Schema).Scan(&placedType); err != nil {
		t.Fatal(err)
	}
	if orders != want.orders || placedType != "date" {
		t.Errorf("PostgreSQL: %d orders (want %d), placed is %s", orders, want.orders, placedType)
	}

	cfg, _ := mysql.ParseDSN(o.MySQLDSN)
	cfg.DBName = n.Database
	my, err := sql.Open("mysql", cfg.FormatDSN())
	if err != nil {
		t.Fatal(err)
	}
	defer my.Close()
	var offices, employees int
	if err := my.QueryRow("select (select count(*) from offices), (select count(*) from employees)").Scan(&offices, &employees); err != nil {
		t.Fatal(err)
	}
	if offices != want.offices || employees != want.employees {
		t.Errorf("MySQL: %d offices, %d employees, want %d, %d", offices, employees, want.offices, want.employees)
	}

	opts, _ := goredis.ParseURL(o.RedisURL)
	rc := goredis.NewClient(opts)
	defer rc.Close()
	keys, err := rc.Keys(ctx, n.KeyPrefix+"*").Result()
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != want.campaigns {
		t.Errorf("Redis: %d keys, want %d", len(keys), want.campaigns)
	}
	if v, err := rc.Get(ctx, n.KeyPrefix+"CMP-0001").Result(); err != nil || !json.Valid([]byte(v)) {
		t.Errorf("Redis %sCMP-0001: %q, %v", n.KeyPrefix, v, err)
	}

	nc, err := natsgo.Connect(o.NATSURL)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	st, err := js.Stream(ctx, n.Stream)
	if err != nil {
		t.Fatal(err)
	}
	if msgs := st.CachedInfo().State.Msgs; int(msgs) != want.events {
		t.Errorf("NATS %s: %d messages, want %d", n.Stream, msgs, want.events)
	}
}

// TestUpServicesProfile runs the example with the services profile, its
// overlays pointed at the test's own names, and reads the overlaid
// products: their rows are the files' rows.
func TestUpServicesProfile(t *testing.T) {
	o, n, _ := seedUnique(t)
	want := countFiles(t)
	t.Setenv(seed.EnvPostgres, o.PostgresDSN)
	t.Setenv(seed.EnvMySQL, o.MySQLDSN)
	t.Setenv(seed.EnvRedis, o.RedisURL)
	t.Setenv(seed.EnvNATS, o.NATSURL)

	// A copy of the example whose overlays read the test's names.
	dir := t.TempDir()
	for _, d := range []string{"sales", "hr", "marketing", "shipping", "finance"} {
		copyDir(t, filepath.Join(meshDir, d), filepath.Join(dir, d))
	}
	names := strings.NewReplacer(
		"schema: "+seed.PostgresSchema, "schema: "+n.Schema,
		"database: "+seed.MySQLDatabase, "database: "+n.Database,
		`keys: "`+seed.RedisKeyPrefix+`*"`, `keys: "`+n.KeyPrefix+`*"`,
		"stream: "+seed.NATSStream, "stream: "+n.Stream,
	)
	overlays := filepath.Join(meshDir, "_profiles", "services")
	err := filepath.WalkDir(overlays, func(path string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(meshDir, path)
		out := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
			return err
		}
		return os.WriteFile(out, []byte(names.Replace(string(b))), 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}

	m, err := mesh.Up(context.Background(), mesh.Options{
		Dir: dir, CatalogAddr: "127.0.0.1:0", DataDir: t.TempDir(), Profile: "services",
		HeartbeatInterval: time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		if err := m.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
	})
	if m.NATS != nil {
		t.Error("the embedded NATS server runs though shipment-events names a server")
	}
	urls := map[string]string{}
	for _, d := range m.Nodes {
		urls[d.Name] = d.Node.URL()
		for _, p := range d.Products {
			if filepath.Base(filepath.Dir(filepath.Dir(d.Dir))) != "profiles" &&
				(d.Name == "sales" || d.Name == "hr" || d.Name == "marketing" || d.Name == "shipping") {
				t.Errorf("%s: served from %s, not the profile's merged folder", p.ID(), d.Dir)
			}
		}
	}
	for _, c := range []struct {
		domain, product string
		want            int
	}{
		{"sales", "orders", want.orders},
		{"hr", "offices", want.offices},
		{"hr", "employees", want.employees},
		{"marketing", "campaigns", want.campaigns},
		{"shipping", "shipment-events", want.events},
		{"finance", "quarterly-sales-trends", -1}, // a consumer keeps working
		{"sales", "monthly-revenue", -1},
		{"hr", "headcount-by-office", -1},
	} {
		got := rows(t, urls[c.domain]+"/products/"+c.product+"/v1/data")
		if c.want >= 0 && got != c.want || got == 0 {
			t.Errorf("%s/%s: %d rows, want %d", c.domain, c.product, got, c.want)
		}
	}
}

func rows(t *testing.T, url string) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	req.Header.Set("Accept", "application/x-ndjson")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %s", url, resp.StatusCode, b)
	}
	return bytes.Count(b, []byte("\n"))
}

func copyDir(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(path string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		if rel != "." && strings.HasPrefix(e.Name(), ".") {
			if e.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if e.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}
