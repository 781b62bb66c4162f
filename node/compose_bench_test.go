//go:build duckdb_arrow

package node_test

import (
	"database/sql"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// BenchmarkComposedJoin compares a product joining a 1-million-row product
// of another node with the same join over two local files, in one run:
//
//	go test -tags duckdb_arrow -run '^$' -bench ComposedJoin -benchtime 20x ./node/
//
// "remote-fresh" reads the upstream on every request (maxAge: 0s), the
// worst case; "remote-cached" reuses a read for maxAge (the default).
func BenchmarkComposedJoin(b *testing.B) {
	dir := b.TempDir()
	facts := filepath.Join(dir, "facts.parquet")
	db, err := sql.Open("duckdb", "")
	if err != nil {
		b.Fatal(err)
	}
	_, err = db.Exec(fmt.Sprintf(`COPY (SELECT range AS id, range %% 1000 AS store, (range * 7919) %% 10000 / 100.0 AS amount,
		DATE '2024-01-01' + (range %% 365)::INT AS day FROM range(1000000)) TO '%s' (FORMAT parquet)`, facts))
	db.Close()
	if err != nil {
		b.Fatal(err)
	}
	stores := "store,region\n"
	for i := range 1000 {
		stores += fmt.Sprintf("%d,r%d\n", i, i%7)
	}
	schema := `output:
  primaryKey: [region]
  schema:
    - {name: region, logicalType: string}
    - {name: sales, logicalType: integer}
    - {name: amount, logicalType: number}
`
	sqlText := `transform:
  sql: select s.region, count(*) as sales, sum(f.amount) as amount from facts f join stores s using (store) group by all
`
	write := func(folder, name, body string) {
		os.MkdirAll(folder, 0o755)
		if err := os.WriteFile(filepath.Join(folder, name), []byte(body), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	head := func(name string) string {
		return fmt.Sprintf("apiVersion: datamesh/v1\nkind: DataProduct\nname: %s\ndomain: bench\nversion: 1.0.0\ndescription: Bench.\nowner: {team: bench}\n", name)
	}
	up := filepath.Join(dir, "up")
	write(up, "facts.yaml", head("facts")+fmt.Sprintf(`inputs:
  - name: facts
    file: %s
transform:
  sql: select id, store, amount, day from facts
output:
  primaryKey: [id]
  schema:
    - {name: id, logicalType: integer}
    - {name: store, logicalType: integer}
    - {name: amount, logicalType: number}
    - {name: day, logicalType: date}
`, facts))
	upstream := mustStart(b, up)

	local := filepath.Join(dir, "local")
	write(local, "stores.csv", stores)
	write(local, "local.yaml", head("local")+fmt.Sprintf("inputs:\n  - name: facts\n    file: %s\n  - name: stores\n    file: stores.csv\n", facts)+sqlText+schema)
	for _, maxAge := range []string{"0s", "10m"} {
		write(local, "remote-"+maxAge+".yaml", head("remote-"+map[string]string{"0s": "fresh", "10m": "cached"}[maxAge])+
			fmt.Sprintf("inputs:\n  - name: facts\n    product: {ref: bench/facts@^1, url: %s, maxAge: %s}\n  - name: stores\n    file: stores.csv\n", upstream.URL(), maxAge)+sqlText+schema)
	}
	n := mustStart(b, local)

	run := func(b *testing.B, product string) {
		url := n.URL() + "/products/" + product + "/v1/data"
		get := func() {
			resp, err := http.Get(url)
			if err != nil {
				b.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				b.Fatalf("%s: %d", product, resp.StatusCode)
			}
		}
		get() // warm
		b.ResetTimer()
		start := time.Now()
		for b.Loop() {
			get()
		}
		b.ReportMetric(float64(time.Since(start).Milliseconds())/float64(b.N), "ms/request")
	}
	var results = map[string]time.Duration{}
	for _, p := range []string{"local", "remote-fresh", "remote-cached"} {
		b.Run(p, func(b *testing.B) {
			run(b, p)
			results[p] = b.Elapsed() / time.Duration(b.N)
		})
	}
	if results["local"] > 0 {
		b.Logf("cost vs local join: remote-fresh %.2fx, remote-cached %.2fx",
			float64(results["remote-fresh"])/float64(results["local"]), float64(results["remote-cached"])/float64(results["local"]))
	}
}
