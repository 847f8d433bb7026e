#!/usr/bin/env bash
# Storing imports: the national results file (69,000 bureaux x 12 candidates, the file of
# bench/ingest) and a BAN file, parsed and stored by terrain-import into SQLite and into
# PostgreSQL, with wall time and peak memory.
#
#   bench/import/run.sh                       # results + 26 million addresses
#   BAN_ROWS=2000000 bench/import/run.sh      # a quicker run
#
# PostgreSQL: a throw-away database on $PG (default postgres://postgres@127.0.0.1:5432),
# dropped afterwards.
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=bench/out/import
BAN_ROWS=${BAN_ROWS:-26000000}
PG=${PG:-postgres://postgres@127.0.0.1:5432}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-target}
mkdir -p "$OUT"
command -v /usr/bin/time >/dev/null || apt-get install -y time >/dev/null

cargo build --release -q -p terrain-ingest --example ingest_bench
cargo build --release -q -p terrain-import --example import_bench
GEN="$CARGO_TARGET_DIR/release/examples/ingest_bench"
BIN="$CARGO_TARGET_DIR/release/examples/import_bench"

RESULTS=bench/out/ingest/PR22_national_T1.txt
mkdir -p bench/out/ingest
[ -f "$RESULTS" ] || "$GEN" gen-results "$RESULTS" --bureaux 69000 --candidates 12 --seed 42
BAN="bench/out/ingest/ban_${BAN_ROWS}.csv.gz"
[ -f "$BAN" ] || "$GEN" gen-ban "$BAN" --rows "$BAN_ROWS" --seed 42

run() { # backend kind file url
  /usr/bin/time -f '{"rss_kb":%M,"wall":%e,"cpu":%U}' -o "$OUT/t.json" "$BIN" "$2" "$3" --db "$4" > "$OUT/r.json"
  python3 -c "import json; r=json.load(open('$OUT/r.json')); r.update(json.load(open('$OUT/t.json'))); r['backend']='$1'; print(json.dumps(r))"
}

LOG="$OUT/import.jsonl"
: > "$LOG"
for kind in results addresses; do
  file=$RESULTS; [ $kind = addresses ] && file=$BAN
  rm -f "$OUT"/bench.db*
  run sqlite $kind "$file" "sqlite://$OUT/bench.db" >> "$LOG"
  db="terrain_bench_$$"
  psql "$PG/postgres" -qc "CREATE DATABASE $db" >/dev/null
  run postgres $kind "$file" "$PG/$db" >> "$LOG" || true
  psql "$PG/postgres" -qc "DROP DATABASE $db" >/dev/null
done
rm -f "$OUT"/bench.db*

python3 - "$LOG" "$BAN_ROWS" <<'PY'
import json, os, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} (shared: figures are noisy)")
print("| import | backend | rows stored | time in import (s) | process wall (s) | peak RSS (MB) |")
print("|---|---|---|---|---|---|")
for r in rows:
    what = "results, 69,000 bureaux x 12" if r["kind"] == "results" else f"BAN, {int(sys.argv[2]):,} addresses"
    print(f"| {what} | {r['backend']} | {r['rows']:,} | {r['seconds']:.1f} | {r['wall']:.1f} | {r['rss_kb']/1024:.0f} |")
PY
