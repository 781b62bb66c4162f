#!/usr/bin/env bash
# Measures the node's performance targets against named references on the
# same data, in the same run, and prints a summary table with the ratios.
# See bench/README.md. Everything it writes goes to bench/out/ (git-ignored).
#
#   bash bench/run.sh            # about 4 minutes on 2 cores
#   QUICK=1 bash bench/run.sh    # about 2-3 minutes, noisier
#   DATAMESH_BIN=/path/to/datamesh bash bench/run.sh   # measure a given build
set -euo pipefail
cd "$(dirname "$0")/.."

OUT=bench/out
BIN=$OUT/bin
LOGS=$OUT/logs
ROUNDS=${ROUNDS:-5}       # export rounds (median taken)
DURATION=${DURATION:-10s} # each load measurement
STARTS=${STARTS:-5}       # start-to-ready runs
if [[ -n "${QUICK:-}" ]]; then
	ROUNDS=3 DURATION=4s STARTS=3
fi
mkdir -p "$BIN" "$LOGS"

echo "== build (tag duckdb_arrow)"
if [[ -n "${DATAMESH_BIN:-}" ]]; then
	cp "$DATAMESH_BIN" "$BIN/datamesh"
else
	go build -tags duckdb_arrow -o "$BIN/datamesh" ./cmd/datamesh
fi
go build -tags duckdb_arrow -o "$BIN/" ./bench/cmd/...
if [[ -n "${DATAMESH_BIN:-}" ]]; then
	echo "binary $DATAMESH_BIN, $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
else
	echo "commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet HEAD -- . ':!bench' 2>/dev/null || echo ' + uncommitted changes')," \
		"$(nproc) cores, $(go env GOVERSION), load average $(cut -d' ' -f1-3 /proc/loadavg)"
fi

echo "== data"
"$BIN/gendata" -out "$OUT"

run() { # run NAME CMD...: show the output and keep it in $LOGS/NAME.txt
	local name=$1
	shift
	echo "== $name"
	"$@" | tee "$LOGS/$name.txt"
}

run export-3m "$BIN/export" -bin "$BIN/datamesh" -mesh "$OUT/mesh/export-3m" -rounds "$ROUNDS"
run export-6m "$BIN/export" -bin "$BIN/datamesh" -mesh "$OUT/mesh/export-6m" -rounds 1
run rss-3m "$BIN/export" -bin "$BIN/datamesh" -mesh "$OUT/mesh/export-3m" -rss-per-format
run rss-6m "$BIN/export" -bin "$BIN/datamesh" -mesh "$OUT/mesh/export-6m" -rss-per-format

LOAD=("$BIN/load" -bin "$BIN/datamesh" -duration "$DURATION")
REF=("$BIN/lookupref" -duration "$DURATION")
run lookup "${LOAD[@]}" -mesh "$OUT/mesh/lookup" -path '/products/lookup/v1/data?k=eq.%d' -conns 4,16
run lookup-ref "${REF[@]}" -parquet "$OUT/mesh/lookup/data/lookup_sorted.parquet" -source view -conns 4
run lookup-ref16 "${REF[@]}" -parquet "$OUT/mesh/lookup/data/lookup_sorted.parquet" -source view -conns 16
run lookup-shuffled "${LOAD[@]}" -mesh "$OUT/mesh/lookup" -path '/products/lookup-shuffled/v1/data?k=eq.%d' -conns 16
run lookup-table "${LOAD[@]}" -mesh "$OUT/mesh/lookup-table" -path '/products/lookup-table/v1/data?k=eq.%d' -conns 4,16
run lookup-materialized "${LOAD[@]}" -mesh "$OUT/mesh/lookup-materialized" -path '/products/lookup-materialized/v1/data?k=eq.%d' -conns 4,16
run lookup-table-ref "${REF[@]}" -parquet "$OUT/mesh/lookup/data/lookup_sorted.parquet" -source table -conns 16

run startup "$BIN/startup" -bin "$BIN/datamesh" -mesh "$OUT/mesh/startup" -runs "$STARTS"
run startup-parquet "$BIN/startup" -bin "$BIN/datamesh" -mesh "$OUT/mesh/startup-parquet" -runs "$STARTS"
run startup-csv "$BIN/startup" -bin "$BIN/datamesh" -mesh "$OUT/mesh/startup-csv" -runs "$STARTS"

# field NAME FILE [FILTER]: the value of NAME= on the RESULT lines of FILE
# that contain FILTER.
field() {
	grep '^RESULT' "$LOGS/$2" | grep -e "${3:-RESULT}" | head -1 | tr ' ' '\n' | sed -n "s|^$1=||p" | tr -d '"'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2fx", a / b; else print "?" }'; }
mps() { awk -v r="$1" 'BEGIN { printf "%.2f M rows/s", r / 1e6 }'; }

row() { printf '%-50s %-27s %-44s %-15s %s\n' "$@"; }
echo
echo "== summary ($(nproc) cores shared with other work; medians; references run in the same run on the same data)"
row "measure" "node (serve process)" "reference" "ratio" "target"
for f in csv arrow json ndjson parquet; do
	l="format=$f "
	row "export 3M rows, $f, HTTP client to io.Discard" "$(mps "$(field http_rows_s export-3m.txt "$l")")" \
		"$(mps "$(field ref_rows_s export-3m.txt "$l")") $(field ref export-3m.txt "$l") in process" \
		"$(field ratio export-3m.txt "$l")x" "$(field target export-3m.txt "$l")"
	row "  CPU seconds per export (ratio: ref / node)" "$(field server_cpu_s export-3m.txt "$l") s" "$(field ref_cpu_s export-3m.txt "$l") s" \
		"$(ratio "$(field ref_cpu_s export-3m.txt "$l")" "$(field server_cpu_s export-3m.txt "$l")")" ""
done
row "peak RSS after all exports, 3M rows" "$(field rss_hwm_mb export-3m.txt rss_hwm) MB" "" "" "$(field target export-3m.txt rss_hwm)"
row "peak RSS after all exports, 6M rows" "$(field rss_hwm_mb export-6m.txt rss_hwm) MB" "" "" "$(field target export-6m.txt rss_hwm)"
for f in csv json arrow parquet; do
	row "peak RSS, fresh server, one $f export" \
		"$(field rss_hwm_mb rss-3m.txt "format=$f ") MB (3M), $(field rss_hwm_mb rss-6m.txt "format=$f ") MB (6M)" "" "" "flat"
done
for c in 4 16; do
	ref=lookup-ref16.txt
	[[ $c == 4 ]] && ref=lookup-ref.txt
	n=$(field req/s lookup.txt "conns=$c ")
	r=$(field queries/s $ref)
	row "lookup k=eq.N (10 rows), Parquet, $c conns" "$n req/s, p99 $(field p99_ms lookup.txt "conns=$c ") ms" \
		"$r q/s, p99 $(field p99_ms $ref) ms, DuckDB alone" "$(ratio "$n" "$r")" ">=1000 req/s, p99<30 ms"
done
row "  server CPU per lookup, Parquet" "$(field server_cpu_us lookup.txt "conns=16 ") µs" "" "" ""
row "lookup, k scattered in the file, 16 conns" \
	"$(field req/s lookup-shuffled.txt) req/s, p99 $(field p99_ms lookup-shuffled.txt) ms" "" "" ""
for c in 4 16; do
	row "lookup, DuckDB table (sqlite input), $c conns" \
		"$(field req/s lookup-table.txt "conns=$c ") req/s, p99 $(field p99_ms lookup-table.txt "conns=$c ") ms" \
		"$(field queries/s lookup-table-ref.txt) q/s (16 conns), DuckDB alone" "" ""
done
for c in 4 16; do
	row "lookup, serving.mode materialized, $c conns" \
		"$(field req/s lookup-materialized.txt "conns=$c ") req/s, p99 $(field p99_ms lookup-materialized.txt "conns=$c ") ms" "" "" ""
done
row "  server CPU per lookup, materialized" "$(field server_cpu_us lookup-materialized.txt "conns=16 ") µs" "" "" ""
row "  server CPU per lookup, table" "$(field server_cpu_us lookup-table.txt "conns=16 ") µs" "" "" ""
row "start to ready, $(field products startup.txt) file-backed products" \
	"$(field median_ms startup.txt) ms (median of $(field runs startup.txt))" "" "" "<2000 ms"
for k in parquet csv; do
	row "  of which the $(field products startup-$k.txt) over $k files alone" "$(field median_ms startup-$k.txt) ms" "" "" ""
done
echo "(full outputs in $LOGS/)"
