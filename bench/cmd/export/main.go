//go:build duckdb_arrow

// Command export measures bulk export: a `datamesh serve` process answers
// GET /products/{name}/v1/data?format=F with every row, read by a Go client
// into io.Discard; the reference is DuckDB, in this process, writing the
// same query over the same Parquet file to a local file:
//
//	csv      COPY (SELECT * FROM read_parquet(F)) TO 'x.csv' (HEADER)
//	json     COPY ... TO 'x.json' (FORMAT json, ARRAY true)
//	ndjson   COPY ... TO 'x.ndjson' (FORMAT json)
//	arrow    DuckDB's Arrow reader (duckdb.NewArrowFromConn) written by
//	         arrow-go's IPC stream writer to a file; also reported against
//	         COPY ... (FORMAT parquet)
//	parquet  COPY ... TO 'x.parquet' (FORMAT parquet, COMPRESSION zstd)
//
// Rounds alternate reference and HTTP, format by format, so that noise from
// other work on the machine falls on both; each figure is the median over
// the rounds, each ratio the median of the rounds' ratios. After the
// exports the server's peak resident set (VmHWM) is read from /proc.
package main

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/duckdb/duckdb-go/v2"

	"github.com/datamesh/datamesh/bench/internal/harness"
)

func main() {
	bin := flag.String("bin", "bench/out/bin/datamesh", "datamesh binary")
	mesh := flag.String("mesh", "bench/out/mesh/export-3m", "folder served; its product must read one Parquet file")
	product := flag.String("product", "export", "product name")
	parquet := flag.String("parquet", "", "the Parquet file the product reads (default MESH/data/export.parquet)")
	scratch := flag.String("scratch", "bench/out/scratch", "folder for server logs")
	refDir := flag.String("ref-dir", defaultRefDir(), "folder the reference writes its files to (tmpfs by default, so that the disk does not limit it)")
	fifo := flag.Bool("fifo", false, "the reference writes to a named pipe read by a Go goroutine into io.Discard instead of a file")
	formats := flag.String("formats", "csv,arrow,json,ndjson,parquet", "formats to measure")
	rounds := flag.Int("rounds", 5, "rounds (each measures every format once, reference and HTTP)")
	rssOnly := flag.Bool("rss-per-format", false, "instead: start a fresh server per format, export once, report its VmHWM")
	flag.Parse()
	if *parquet == "" {
		*parquet = filepath.Join(*mesh, "data", "export.parquet")
	}
	b := &bench{bin: *bin, mesh: *mesh, product: *product, parquet: *parquet, scratch: *scratch,
		refDir: *refDir, fifo: *fifo, formats: strings.Split(*formats, ",")}
	var err error
	if *rssOnly {
		err = b.rssPerFormat()
	} else {
		err = b.run(*rounds)
	}
	if err != nil {
		log.Fatal(err)
	}
}

type bench struct {
	bin, mesh, product, parquet, scratch, refDir string
	fifo                                         bool
	formats                                      []string
}

// defaultRefDir is a folder on tmpfs when there is one.
func defaultRefDir() string {
	if st, err := os.Stat("/dev/shm"); err == nil && st.IsDir() {
		return "/dev/shm/datamesh-bench"
	}
	return "bench/out/scratch"
}

// sample is one timed export.
type sample struct {
	secs  float64
	bytes int64
	lines int64
	cpu   time.Duration // CPU the server used for it
}

func (b *bench) run(rounds int) error {
	ctx := context.Background()
	for _, d := range []string{b.scratch, b.refDir} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	ref, err := newReference(b.parquet, b.refDir, b.fifo)
	if err != nil {
		return err
	}
	defer ref.close()
	rows, err := ref.rows(ctx)
	if err != nil {
		return err
	}
	srv, err := harness.StartServe(b.bin, b.mesh, filepath.Join(b.scratch, "serve-export.log"), time.Minute, "-log-level", "warn")
	if err != nil {
		return err
	}
	defer srv.Stop()
	idle, _ := harness.ReadMemory(srv.Pid())
	sink := "files in " + b.refDir
	if b.fifo {
		sink = "a named pipe in " + b.refDir + " read into io.Discard"
	}
	fmt.Printf("export: %d rows from %s; server pid %d ready in %s, RSS %s; %d rounds; reference writes to %s\n",
		rows, b.parquet, srv.Pid(), srv.Ready.Round(time.Millisecond), harness.MB(idle.RSS), rounds, sink)
	if err := b.check(srv, rows); err != nil {
		return err
	}
	refs := map[string][]float64{}
	refCPU := map[string][]float64{}
	https := map[string][]sample{}
	ratios := map[string][]float64{}
	for r := range rounds {
		for _, f := range b.formats {
			for _, kind := range ref.kinds(f) {
				secs, cpu, err := ref.export(ctx, kind)
				if err != nil {
					return fmt.Errorf("reference %s: %w", kind, err)
				}
				refs[kind] = append(refs[kind], secs)
				refCPU[kind] = append(refCPU[kind], cpu.Seconds())
			}
			s, err := fetch(srv, b.product, f)
			if err != nil {
				return err
			}
			https[f] = append(https[f], s)
			ratios[f] = append(ratios[f], refs[ref.kinds(f)[0]][r]/s.secs)
			if f == "arrow" {
				ratios["arrow/parquet"] = append(ratios["arrow/parquet"], refs["parquet-copy"][r]/s.secs)
			}
		}
		fmt.Printf("  round %d done\n", r+1)
	}
	mem, err := harness.ReadMemory(srv.Pid())
	if err != nil {
		return err
	}

	var results []string
	fmt.Printf("\n%-8s %7s %12s %12s %13s %7s %11s %8s  %s\n", "format", "MB", "HTTP rows/s", "ref rows/s", "reference", "ratio", "server CPU", "ref CPU", "target")
	for _, f := range b.formats {
		var secs, cpu []float64
		for _, s := range https[f] {
			secs = append(secs, s.secs)
			cpu = append(cpu, s.cpu.Seconds())
		}
		kind := ref.kinds(f)[0]
		httpRate := float64(rows) / harness.Median(secs)
		refRate := float64(rows) / harness.Median(refs[kind])
		ratio := harness.Median(ratios[f])
		fmt.Printf("%-8s %7.1f %12s %12s %13s %6.2fx %10.2fs %7.2fs  %s\n", f, float64(https[f][0].bytes)/(1<<20),
			harness.Rate(httpRate), harness.Rate(refRate), kind, ratio, harness.Median(cpu), harness.Median(refCPU[kind]),
			target(f, ratio, httpRate))
		results = append(results, fmt.Sprintf("RESULT rows=%d format=%s http_rows_s=%.0f ref=%s ref_rows_s=%.0f ratio=%.2f server_cpu_s=%.2f ref_cpu_s=%.2f target=%s",
			rows, f, httpRate, kind, refRate, ratio, harness.Median(cpu), harness.Median(refCPU[kind]),
			strings.ReplaceAll(target(f, ratio, httpRate), " ", "")))
		if f == "arrow" {
			fmt.Printf("%-8s %7s %12s %12s %13s %6.2fx %11s %7.2fs  %s\n", "", "", "",
				harness.Rate(float64(rows)/harness.Median(refs["parquet-copy"])), "parquet-copy",
				harness.Median(ratios["arrow/parquet"]), "", harness.Median(refCPU["parquet-copy"]), "(informative)")
		}
	}
	fmt.Printf("\nserver peak RSS (VmHWM) after the exports: %s (RSS now %s, at start %s); target < 300 MB: %s\n",
		harness.MB(mem.HWM), harness.MB(mem.RSS), harness.MB(idle.RSS), pass(mem.HWM < 300<<20))
	for _, r := range results {
		fmt.Println(r)
	}
	fmt.Printf("RESULT rows=%d formats=%s rss_hwm_mb=%.0f target=<300MB:%s\n", rows, strings.Join(b.formats, ","),
		float64(mem.HWM)/(1<<20), pass(mem.HWM < 300<<20))
	return nil
}

func target(f string, ratio, rate float64) string {
	switch f {
	case "csv", "arrow":
		return fmt.Sprintf(">= 0.5x: %s", pass(ratio >= 0.5))
	case "json":
		return fmt.Sprintf(">= 1 M rows/s: %s", pass(rate >= 1e6))
	}
	return "(informative)"
}

func pass(ok bool) string {
	if ok {
		return "PASS"
	}
	return "FAIL"
}

// check makes sure every format answers every row before timing anything.
func (b *bench) check(srv *harness.Server, rows int64) error {
	for _, f := range b.formats {
		resp, err := get(srv, b.product, f)
		if err != nil {
			return err
		}
		var got int64
		switch f {
		case "arrow":
			rd, err := ipc.NewReader(resp.Body)
			if err != nil {
				resp.Body.Close()
				return fmt.Errorf("arrow: %w", err)
			}
			for rd.Next() {
				got += rd.RecordBatch().NumRows()
			}
			err = rd.Err()
			rd.Release()
			if err != nil {
				resp.Body.Close()
				return fmt.Errorf("arrow: %w", err)
			}
		case "parquet":
			got = rows // DuckDB wrote it; its size is reported
			_, err = io.Copy(io.Discard, resp.Body)
		default:
			var c counter
			_, err = io.Copy(&c, resp.Body)
			got = c.lines - map[string]int64{"csv": 1, "json": 2, "ndjson": 0}[f]
		}
		resp.Body.Close()
		if err != nil {
			return fmt.Errorf("%s: %w", f, err)
		}
		if got != rows {
			return fmt.Errorf("%s: got %d rows, want %d", f, got, rows)
		}
	}
	return nil
}

var client = &http.Client{Transport: &http.Transport{DisableCompression: true}}

func get(srv *harness.Server, product, f string) (*http.Response, error) {
	resp, err := client.Get(fmt.Sprintf("%s/products/%s/v1/data?format=%s", srv.URL, product, f))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		resp.Body.Close()
		return nil, fmt.Errorf("%s: %s: %s", f, resp.Status, body)
	}
	return resp, nil
}

// fetch times one export over HTTP, from sending the request to the last
// byte of the body.
func fetch(srv *harness.Server, product, f string) (sample, error) {
	cpu0, _ := harness.CPU(srv.Pid())
	began := time.Now()
	resp, err := get(srv, product, f)
	if err != nil {
		return sample{}, err
	}
	defer resp.Body.Close()
	var c counter
	if _, err := io.Copy(&c, resp.Body); err != nil {
		return sample{}, fmt.Errorf("%s: %w", f, err)
	}
	secs := time.Since(began).Seconds()
	cpu1, _ := harness.CPU(srv.Pid())
	return sample{secs: secs, bytes: c.bytes, lines: c.lines, cpu: cpu1 - cpu0}, nil
}

// counter is io.Discard that counts bytes and newlines.
type counter struct{ bytes, lines int64 }

func (c *counter) Write(p []byte) (int, error) {
	c.bytes += int64(len(p))
	c.lines += int64(bytes.Count(p, []byte{'\n'}))
	return len(p), nil
}

// rssPerFormat starts a fresh server for each format, exports once and
// reads the server's VmHWM: which format drives the peak.
func (b *bench) rssPerFormat() error {
	fmt.Printf("peak RSS per format, fresh server each, %s\n", b.mesh)
	fmt.Printf("%-8s %10s %10s\n", "format", "at start", "VmHWM")
	for _, f := range b.formats {
		srv, err := harness.StartServe(b.bin, b.mesh, filepath.Join(b.scratch, "serve-rss.log"), time.Minute, "-log-level", "warn")
		if err != nil {
			return err
		}
		idle, _ := harness.ReadMemory(srv.Pid())
		_, err = fetch(srv, b.product, f)
		mem, merr := harness.ReadMemory(srv.Pid())
		srv.Stop()
		if err != nil {
			return err
		}
		if merr != nil {
			return merr
		}
		fmt.Printf("%-8s %10s %10s\n", f, harness.MB(idle.HWM), harness.MB(mem.HWM))
		fmt.Printf("RESULT mesh=%s format=%s rss_hwm_mb=%.0f\n", b.mesh, f, float64(mem.HWM)/(1<<20))
	}
	return nil
}

// reference runs DuckDB in this process over the same Parquet file.
type reference struct {
	db      *sql.DB
	parquet string
	dir     string
	fifo    bool
}

func newReference(parquet, dir string, fifo bool) (*reference, error) {
	db, err := sql.Open("duckdb", "")
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	return &reference{db: db, parquet: parquet, dir: dir, fifo: fifo}, nil
}

func (r *reference) close() { r.db.Close() }

func (r *reference) query() string {
	return "SELECT * FROM read_parquet(" + lit(r.parquet) + ")"
}

func lit(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

func (r *reference) rows(ctx context.Context) (int64, error) {
	var n int64
	err := r.db.QueryRowContext(ctx, "SELECT count(*) FROM read_parquet("+lit(r.parquet)+")").Scan(&n)
	return n, err
}

// kinds are the references of a format, the one its ratio is taken
// against first.
func (r *reference) kinds(f string) []string {
	switch f {
	case "arrow":
		return []string{"arrow-ipc", "parquet-copy"}
	case "parquet":
		return []string{"parquet-copy"}
	}
	return []string{f + "-copy"}
}

// export runs one reference export and returns its time in seconds and the
// CPU time this process used meanwhile; the file is removed afterwards.
func (r *reference) export(ctx context.Context, kind string) (float64, time.Duration, error) {
	opts := map[string]string{
		"csv-copy":     "(FORMAT csv, HEADER)",
		"json-copy":    "(FORMAT json, ARRAY true)",
		"ndjson-copy":  "(FORMAT json)",
		"parquet-copy": "(FORMAT parquet, COMPRESSION zstd)",
	}
	out := filepath.Join(r.dir, "reference."+strings.TrimSuffix(kind, "-copy"))
	os.Remove(out)
	defer os.Remove(out)
	drained := make(chan error, 1)
	if r.fifo {
		if err := syscall.Mkfifo(out, 0o600); err != nil {
			return 0, 0, err
		}
		go func() {
			f, err := os.Open(out) // blocks until DuckDB opens it to write
			if err != nil {
				drained <- err
				return
			}
			_, err = io.Copy(io.Discard, f)
			f.Close()
			drained <- err
		}()
	}
	cpu0, _ := harness.CPU(os.Getpid())
	began := time.Now()
	var err error
	if kind == "arrow-ipc" {
		err = r.arrowIPC(ctx, out)
	} else {
		_, err = r.db.ExecContext(ctx, "COPY ("+r.query()+") TO "+lit(out)+" "+opts[kind])
	}
	if r.fifo {
		if err != nil {
			// unblock the reader if the writer never opened the pipe
			if w, werr := os.OpenFile(out, os.O_WRONLY|syscall.O_NONBLOCK, 0); werr == nil {
				w.Close()
			}
		}
		err = errors.Join(err, <-drained)
	}
	if err != nil {
		return 0, 0, err
	}
	secs := time.Since(began).Seconds()
	cpu1, _ := harness.CPU(os.Getpid())
	return secs, cpu1 - cpu0, nil
}

// arrowIPC writes the query's Arrow record batches, as DuckDB's Arrow
// reader gives them, to an Arrow IPC stream file.
func (r *reference) arrowIPC(ctx context.Context, out string) error {
	f, err := os.Create(out)
	if err != nil {
		return err
	}
	defer f.Close()
	conn, err := r.db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	err = conn.Raw(func(dc any) error {
		a, err := duckdb.NewArrowFromConn(dc.(driver.Conn))
		if err != nil {
			return err
		}
		rr, err := a.QueryContext(ctx, r.query())
		if err != nil {
			return err
		}
		defer rr.Release()
		bw := bufio.NewWriterSize(f, 64<<10)
		w := ipc.NewWriter(bw, ipc.WithSchema(rr.Schema()))
		for rr.Next() {
			if err := w.Write(rr.RecordBatch()); err != nil {
				return err
			}
		}
		if err := rr.Err(); err != nil {
			return err
		}
		if err := w.Close(); err != nil {
			return err
		}
		return bw.Flush()
	})
	if err != nil {
		return err
	}
	return f.Close()
}
