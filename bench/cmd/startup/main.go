// Command startup measures start to ready: it starts `datamesh serve MESH`
// RUNS times and times each from starting the process to the first 200
// answer of /readyz (polled every millisecond), then prints each time and
// the median.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"net/http"
	"path/filepath"
	"time"

	"github.com/datamesh/datamesh/bench/internal/harness"
)

func main() {
	bin := flag.String("bin", "bench/out/bin/datamesh", "datamesh binary")
	mesh := flag.String("mesh", "bench/out/mesh/startup", "folder to serve")
	runs := flag.Int("runs", 5, "starts")
	scratch := flag.String("scratch", "bench/out/scratch", "folder for the server's log")
	flag.Parse()
	if err := run(*bin, *mesh, *scratch, *runs); err != nil {
		log.Fatal(err)
	}
}

func run(bin, mesh, scratch string, runs int) error {
	var secs []float64
	products := 0
	for i := range runs {
		srv, err := harness.StartServe(bin, mesh, filepath.Join(scratch, "serve-startup.log"), time.Minute)
		if err != nil {
			return err
		}
		secs = append(secs, srv.Ready.Seconds())
		if i == 0 {
			products, err = count(srv.URL + "/products")
		}
		srv.Stop()
		if err != nil {
			return err
		}
		fmt.Printf("  start %d: ready in %.0f ms\n", i+1, srv.Ready.Seconds()*1000)
	}
	med := harness.Median(secs)
	ok := "PASS"
	if med >= 2 {
		ok = "FAIL"
	}
	fmt.Printf("RESULT products=%d runs=%d median_ms=%.0f min_ms=%.0f max_ms=%.0f target(<2000 ms)=%s\n",
		products, runs, med*1000, minOf(secs)*1000, maxOf(secs)*1000, ok)
	return nil
}

func count(url string) (int, error) {
	resp, err := http.Get(url)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	var list []json.RawMessage
	if err := json.NewDecoder(resp.Body).Decode(&list); err != nil {
		return 0, err
	}
	return len(list), nil
}

func minOf(xs []float64) float64 {
	m := xs[0]
	for _, x := range xs {
		m = min(m, x)
	}
	return m
}

func maxOf(xs []float64) float64 {
	m := xs[0]
	for _, x := range xs {
		m = max(m, x)
	}
	return m
}
