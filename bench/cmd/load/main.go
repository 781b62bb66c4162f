// Command load is a closed-loop HTTP load generator for filtered lookups:
// CONNS workers each send a request, read the whole answer, and send the
// next, for DURATION, each with a random key in [0, KEYS). Every latency is
// recorded; it prints requests per second, p50, p90, p99, p99.9 and the
// maximum, and the CPU the server process used.
//
// By default it starts `datamesh serve MESH` itself (so that it can read
// the server's CPU time and memory); with -url it loads a running server.
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"log"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/datamesh/datamesh/bench/internal/harness"
)

func main() {
	bin := flag.String("bin", "bench/out/bin/datamesh", "datamesh binary")
	mesh := flag.String("mesh", "bench/out/mesh/lookup", "folder to serve")
	base := flag.String("url", "", "base URL of a running server (then -bin and -mesh are not used)")
	path := flag.String("path", "/products/lookup/v1/data?k=eq.%d", "request path; %d is replaced by the key")
	keys := flag.Int("keys", 100_000, "keys are drawn uniformly from [0, keys)")
	wantRows := flag.Int("rows", 10, "rows each answer must hold (checked on a few CSV answers first); 0 skips the check")
	connList := flag.String("conns", "16", "concurrent connections (closed loop); a comma-separated list runs one measurement per value against the same server")
	serveArgs := flag.String("serve-args", "", "more flags for datamesh serve, space-separated (e.g. \"-threads 1\")")
	duration := flag.Duration("duration", 10*time.Second, "measured duration")
	warmup := flag.Duration("warmup", 2*time.Second, "unmeasured warm-up before it")
	logLevel := flag.String("log-level", "info", "the server's -log-level (info writes one access log line per request, as by default)")
	scratch := flag.String("scratch", "bench/out/scratch", "folder for the server's log")
	flag.Parse()
	var conns []int
	for _, c := range strings.Split(*connList, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(c))
		if err != nil || n < 1 {
			log.Fatalf("-conns: %q is not a positive number", c)
		}
		conns = append(conns, n)
	}
	if err := run(*bin, *mesh, *base, *path, *serveArgs, *keys, *wantRows, conns, *duration, *warmup, *logLevel, *scratch); err != nil {
		log.Fatal(err)
	}
}

func run(bin, mesh, base, path, serveArgs string, keys, wantRows int, conns []int, duration, warmup time.Duration, logLevel, scratch string) error {
	pid := 0
	if base == "" {
		args := append([]string{"-log-level", logLevel}, strings.Fields(serveArgs)...)
		srv, err := harness.StartServe(bin, mesh, filepath.Join(scratch, "serve-load.log"), 5*time.Minute, args...)
		if err != nil {
			return err
		}
		defer srv.Stop()
		base, pid = srv.URL, srv.Pid()
		fmt.Printf("load: datamesh serve %s %s ready in %s\n", strings.Join(args, " "), mesh, srv.Ready.Round(time.Millisecond))
	}
	for _, c := range conns {
		if err := measure(base, path, pid, keys, wantRows, c, duration, warmup); err != nil {
			return err
		}
	}
	return nil
}

func measure(base, path string, pid, keys, wantRows, conns int, duration, warmup time.Duration) error {
	client := &http.Client{
		Timeout: 10 * time.Second,
		Transport: &http.Transport{
			MaxIdleConnsPerHost: conns, MaxConnsPerHost: conns, DisableCompression: true,
		},
	}
	if wantRows > 0 {
		if err := check(client, base+path, keys, wantRows); err != nil {
			return err
		}
	}
	fmt.Printf("load: %s%s, %d keys, %d connections, %s (after %s warm-up)\n",
		base, path, keys, conns, duration, warmup)

	ctx, cancel := context.WithTimeout(context.Background(), warmup+duration)
	defer cancel()
	start := time.Now()
	measureFrom := start.Add(warmup)
	var cpu0, self0 time.Duration
	var mach0 harness.MachineCPU
	cpuTimer := time.AfterFunc(warmup, func() {
		if pid != 0 {
			cpu0, _ = harness.CPU(pid)
		}
		self0, _ = harness.CPU(os.Getpid())
		mach0, _ = harness.ReadMachineCPU()
	})
	defer cpuTimer.Stop()
	type result struct {
		lat    []time.Duration
		errors int
		first  error
	}
	results := make([]result, conns)
	var wg sync.WaitGroup
	for w := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), uint64(start.UnixNano())))
			res := &results[w]
			res.lat = make([]time.Duration, 0, 1<<16)
			for ctx.Err() == nil {
				url := fmt.Sprintf(base+path, rng.IntN(keys))
				began := time.Now()
				err := fetch(ctx, client, url)
				end := time.Now()
				if ctx.Err() != nil {
					return // cut by the end of the run: not a sample
				}
				if began.Before(measureFrom) {
					continue
				}
				if err != nil {
					res.errors++
					if res.first == nil {
						res.first = err
					}
					continue
				}
				res.lat = append(res.lat, end.Sub(began))
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(measureFrom)
	self1, _ := harness.CPU(os.Getpid())
	mach1, _ := harness.ReadMachineCPU()
	mach := mach1.Sub(mach0)
	var lat []time.Duration
	errs := 0
	for _, r := range results {
		lat = append(lat, r.lat...)
		errs += r.errors
		if r.first != nil {
			fmt.Fprintf(os.Stderr, "load: error: %v\n", r.first)
		}
	}
	if len(lat) == 0 {
		return fmt.Errorf("no request succeeded")
	}
	slices.Sort(lat)
	q := func(p float64) string {
		i := int(p * float64(len(lat)-1))
		return fmt.Sprintf("%.2f ms", float64(lat[i].Microseconds())/1000)
	}
	rps := float64(len(lat)) / elapsed.Seconds()
	fmt.Printf("requests %d, errors %d, %.0f req/s\n", len(lat), errs, rps)
	fmt.Printf("latency p50 %s, p90 %s, p99 %s, p99.9 %s, max %s\n", q(0.50), q(0.90), q(0.99), q(0.999), q(1))
	server := ""
	if pid != 0 {
		cpu1, _ := harness.CPU(pid)
		mem, _ := harness.ReadMemory(pid)
		fmt.Printf("server: %.2f cores busy, %.0f µs CPU per request, peak RSS %s; load generator: %.2f cores busy\n",
			(cpu1-cpu0).Seconds()/elapsed.Seconds(), (cpu1-cpu0).Seconds()/float64(len(lat))*1e6, harness.MB(mem.HWM),
			(self1-self0).Seconds()/elapsed.Seconds())
		server = fmt.Sprintf(" server_cpu_us=%.0f", (cpu1-cpu0).Seconds()/float64(len(lat))*1e6)
	}
	fmt.Printf("machine: %.2f cores busy in all (other work included), %.2f idle, %.2f stolen\n",
		mach.Busy.Seconds()/elapsed.Seconds(), mach.Idle.Seconds()/elapsed.Seconds(), mach.Steal.Seconds()/elapsed.Seconds())
	p99 := lat[int(0.99*float64(len(lat)-1))]
	fmt.Printf("RESULT conns=%d req/s=%.0f p50_ms=%.2f p99_ms=%.2f%s target(>=1000 req/s, p99<30ms)=%s\n", conns, rps,
		float64(lat[len(lat)/2].Microseconds())/1000, float64(p99.Microseconds())/1000, server,
		map[bool]string{true: "PASS", false: "FAIL"}[rps >= 1000 && p99 < 30*time.Millisecond])
	return nil
}

func fetch(ctx context.Context, client *http.Client, url string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s", url, resp.Status)
	}
	return nil
}

// check asks for a few keys as CSV and counts the rows.
func check(client *http.Client, tmpl string, keys, want int) error {
	for _, k := range []int{0, keys / 2, keys - 1} {
		url := fmt.Sprintf(tmpl, k)
		if strings.Contains(url, "?") {
			url += "&format=csv"
		} else {
			url += "?format=csv"
		}
		resp, err := client.Get(url)
		if err != nil {
			return err
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return err
		}
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("%s: %s: %s", url, resp.Status, body)
		}
		if got := bytes.Count(body, []byte{'\n'}) - 1; got != want {
			return fmt.Errorf("%s: %d rows, want %d", url, got, want)
		}
	}
	return nil
}
