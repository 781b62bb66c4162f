#!/usr/bin/env bash
# Reading PostgreSQL: the postgres connector (pgx, binary protocol, Arrow
# batches into a DuckDB table) against psql's \copy of the same rows
# to /dev/null (PostgreSQL's own fastest export, nothing stored), on one
# table of ROWS rows (default 1,000,000) created in a schema of its own.
#
#   bench/postgres.sh            # DATAMESH_TEST_POSTGRES names the server
#   ROWS=200000 RUNS=5 bench/postgres.sh
#
# Prints the seconds of each tool (best of RUNS) and the ratio
# connector / psql (1.0 = as fast as psql; 2.0 = twice as slow).
set -euo pipefail
cd "$(dirname "$0")/.."

DSN="${DATAMESH_TEST_POSTGRES:-postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable}"
ROWS="${ROWS:-1000000}"
RUNS="${RUNS:-3}"
S="dmbench_$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"

command -v psql >/dev/null || { echo "psql is needed (apt-get install postgresql-client)"; exit 1; }
cleanup() { psql "$DSN" -qc "drop schema if exists $S cascade" >/dev/null 2>&1 || true; }
trap cleanup EXIT

# The same table as BenchTable in connector/postgres/bench_test.go.
psql "$DSN" -qv ON_ERROR_STOP=1 -c "create schema $S" -c "
create table $S.big as
	select i::int8 as id, 'customer ' || (i % 1000) as name,
	       ((i % 100000) / 100.0)::numeric(12,2) as amount,
	       timestamptz '2024-01-01 00:00:00+00' + i * interval '1 second' as created,
	       i % 2 = 0 as flag, (i % 977) / 7.0::float8 as score
	from generate_series(1, $ROWS) i" -c "vacuum analyze $S.big"
echo "table $S.big: $(psql "$DSN" -Atc "select count(*) from $S.big") rows, $(psql "$DSN" -Atc "select pg_size_pretty(pg_table_size('$S.big'))")"

best() { # command...: best wall time of RUNS runs, in seconds
	local b="" t0 t1 d
	for _ in $(seq "$RUNS"); do
		t0=$(date +%s.%N); "$@" >/dev/null; t1=$(date +%s.%N)
		d=$(echo "$t1 - $t0" | bc -l)
		if [ -z "$b" ] || [ "$(echo "$d < $b" | bc -l)" = 1 ]; then b=$d; fi
	done
	printf '%.3f' "$b"
}

psql_text=$(best psql "$DSN" -qc "\\copy (select * from $S.big) to '/dev/null'")
psql_bin=$(best psql "$DSN" -qc "\\copy (select * from $S.big) to '/dev/null' with (format binary)")

out=$(DATAMESH_BENCH_PG_TABLE="$S.big" go test -tags duckdb_arrow -run '^$' -bench '^BenchmarkPostgresLoad$' \
	-benchtime "${RUNS}x" -count 1 ./connector/postgres/)
ns=$(echo "$out" | awk '/^BenchmarkPostgresLoad/ { print $3 }')
[ -n "$ns" ] || { echo "$out"; exit 1; }
conn=$(printf '%.3f' "$(echo "$ns / 1000000000" | bc -l)")

echo
printf '%-46s %8s s  %10s rows/s\n' "psql \\copy to /dev/null (text)" "$psql_text" "$(echo "$ROWS / $psql_text" | bc)"
printf '%-46s %8s s  %10s rows/s\n' "psql \\copy to /dev/null (binary)" "$psql_bin" "$(echo "$ROWS / $psql_bin" | bc)"
printf '%-46s %8s s  %10s rows/s\n' "datamesh postgres connector -> DuckDB table" "$conn" "$(echo "$ROWS / $conn" | bc)"
printf 'ratio connector / psql text:   %.2f\n' "$(echo "$conn / $psql_text" | bc -l)"
printf 'ratio connector / psql binary: %.2f\n' "$(echo "$conn / $psql_bin" | bc -l)"
