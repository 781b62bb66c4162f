//go:build duckdb_arrow

// Command lookupref is the in-process reference for the lookup benchmark:
// DuckDB alone, without HTTP, answering the statement the node runs for
// ?k=eq.N (SELECT k, seq, code, day, value FROM <view> WHERE k = ?) over
// the same Parquet file, with CONNS goroutines in a closed loop, each
// reading every row through DuckDB's Arrow reader as the node does. It
// prints queries per second and latency percentiles, so that the node's
// figure can be read as a ratio of what the engine itself can do, and
// tells apart the costs: -source view (a view over read_parquet, as the
// file connector binds it), or table (the file loaded into a DuckDB table
// first); -prepared reuses one prepared statement per connection instead
// of planning each query.
package main

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"flag"
	"fmt"
	"log"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/duckdb/duckdb-go/v2"
)

func main() {
	parquet := flag.String("parquet", "bench/out/mesh/lookup/data/lookup_sorted.parquet", "Parquet file")
	source := flag.String("source", "view", "view (over read_parquet, as the node binds files) or table (loaded first)")
	prepared := flag.Bool("prepared", false, "reuse a prepared statement per connection")
	arrowRead := flag.Bool("arrow", true, "read rows through DuckDB's Arrow reader (as the node does); false: database/sql rows")
	keys := flag.Int("keys", 100_000, "keys are drawn from [0, keys)")
	conns := flag.Int("conns", 16, "concurrent workers")
	threads := flag.Int("threads", 0, "DuckDB threads (0: all cores)")
	duration := flag.Duration("duration", 5*time.Second, "measured duration")
	set := flag.String("set", "", "DuckDB settings to apply first, as name=value pairs separated by commas (e.g. parquet_metadata_cache=true)")
	flag.Parse()
	if err := run(*parquet, *source, *set, *prepared, *arrowRead, *keys, *conns, *threads, *duration); err != nil {
		log.Fatal(err)
	}
}

func run(parquet, source, set string, prepared, arrowRead bool, keys, conns, threads int, duration time.Duration) error {
	ctx := context.Background()
	connector, err := duckdb.NewConnector("", nil)
	if err != nil {
		return err
	}
	db := sql.OpenDB(connector)
	defer db.Close()
	db.SetMaxOpenConns(conns)
	db.SetMaxIdleConns(conns)
	lit := "'" + strings.ReplaceAll(parquet, "'", "''") + "'"
	setup := []string{}
	if threads > 0 {
		setup = append(setup, fmt.Sprintf("SET threads = %d", threads))
	}
	for _, kv := range strings.Split(set, ",") {
		if name, value, ok := strings.Cut(strings.TrimSpace(kv), "="); ok {
			setup = append(setup, "SET "+name+" = "+value)
		}
	}
	switch source {
	case "view":
		setup = append(setup, "CREATE VIEW src AS SELECT * FROM read_parquet("+lit+")")
	case "table":
		setup = append(setup, "CREATE TABLE src AS SELECT * FROM read_parquet("+lit+")")
	default:
		return fmt.Errorf("-source: view or table")
	}
	// The node's layering: the transform view, then the output view.
	setup = append(setup,
		"CREATE VIEW t AS select k, seq, code, day, value from src",
		"CREATE VIEW o AS SELECT k, seq, code, day, value FROM t")
	for _, s := range setup {
		if _, err := db.ExecContext(ctx, s); err != nil {
			return fmt.Errorf("%s: %w", s, err)
		}
	}
	const query = `SELECT "k", "seq", "code", "day", "value" FROM o WHERE "k" = ?`

	deadline := time.Now().Add(duration)
	lats := make([][]time.Duration, conns)
	errs := make([]error, conns)
	var wg sync.WaitGroup
	for w := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[w] = worker(ctx, db, query, prepared, arrowRead, keys, uint64(w), deadline, &lats[w])
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	var all []time.Duration
	for _, l := range lats {
		all = append(all, l...)
	}
	slices.Sort(all)
	q := func(p float64) float64 { return float64(all[int(p*float64(len(all)-1))].Microseconds()) / 1000 }
	read := "arrow"
	if prepared || !arrowRead {
		read = "rows" // a prepared statement is read through database/sql rows
	}
	fmt.Printf("RESULT source=%s prepared=%t read=%s set=%q conns=%d queries/s=%.0f p50_ms=%.2f p99_ms=%.2f\n",
		source, prepared, read, set, conns, float64(len(all))/duration.Seconds(), q(0.5), q(0.99))
	return nil
}

func worker(ctx context.Context, db *sql.DB, query string, prepared, arrowRead bool, keys int, seed uint64,
	deadline time.Time, lats *[]time.Duration) error {
	rng := rand.New(rand.NewPCG(seed, 42))
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	return conn.Raw(func(dc any) error {
		c := dc.(driver.Conn)
		var stmt driver.Stmt
		if prepared {
			if stmt, err = c.Prepare(query); err != nil {
				return err
			}
			defer stmt.Close()
		}
		ar, err := duckdb.NewArrowFromConn(c)
		if err != nil {
			return err
		}
		for time.Now().Before(deadline) {
			k := int64(rng.IntN(keys))
			began := time.Now()
			n := 0
			switch {
			case prepared:
				rows, err := stmt.(driver.StmtQueryContext).QueryContext(ctx, []driver.NamedValue{{Ordinal: 1, Value: k}})
				if err != nil {
					return err
				}
				dst := make([]driver.Value, 5)
				for rows.Next(dst) == nil {
					n++
				}
				rows.Close()
			case arrowRead:
				rr, err := ar.QueryContext(ctx, query, k)
				if err != nil {
					return err
				}
				for rr.Next() {
					n += int(rr.RecordBatch().NumRows())
				}
				rr.Release()
			default:
				rows, err := c.(driver.QueryerContext).QueryContext(ctx, query, []driver.NamedValue{{Ordinal: 1, Value: k}})
				if err != nil {
					return err
				}
				dst := make([]driver.Value, 5)
				for rows.Next(dst) == nil {
					n++
				}
				rows.Close()
			}
			if n != 10 {
				return fmt.Errorf("k=%d: %d rows, want 10", k, n)
			}
			*lats = append(*lats, time.Since(began))
		}
		return nil
	})
}
