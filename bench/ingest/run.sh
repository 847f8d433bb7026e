#!/usr/bin/env bash
# Import benchmark: Terrain's parsers against pandas on the same generated national files.
#
#   bench/ingest/run.sh            # 69,000 bureaux x 12 candidates, and 26 million BAN addresses
#   BAN_ROWS=2000000 RUNS=3 bench/ingest/run.sh   # a quicker run
#   SKIP_BAN=1 bench/ingest/run.sh                # results only (BAN on 1,000 rows)
#
# Inputs are generated (seeded) into bench/out/ingest/ and reused by later runs. The anchor,
# pandas, is installed into bench/.venv. Prints a table; the figures go to bench/README.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=bench/out/ingest
RUNS=${RUNS:-5}
BAN_ROWS=${BAN_ROWS:-26000000}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-target}
mkdir -p "$OUT"

# Anchor: pandas in a venv (Debian's python3-venv provides the venv module).
if ! python3 -c "import venv, ensurepip" 2>/dev/null; then apt-get install -y python3-venv >/dev/null; fi
[ -x bench/.venv/bin/python ] || python3 -m venv bench/.venv
bench/.venv/bin/python -c "import pandas" 2>/dev/null || bench/.venv/bin/pip install -q pandas
command -v /usr/bin/time >/dev/null || apt-get install -y time >/dev/null

cargo build --release -q -p terrain-ingest --example ingest_bench
BIN="$CARGO_TARGET_DIR/release/examples/ingest_bench"

RESULTS="$OUT/PR22_national_T1.txt"
[ -f "$RESULTS" ] || "$BIN" gen-results "$RESULTS" --bureaux 69000 --candidates 12 --seed 42
RESULTS_BIG="$OUT/PR22_national_T1_x3.txt"
[ -f "$RESULTS_BIG" ] || "$BIN" gen-results "$RESULTS_BIG" --bureaux 207000 --candidates 12 --seed 43

LOG="$OUT/results.jsonl"
: > "$LOG"
for file in "$RESULTS" "$RESULTS_BIG"; do
  for i in $(seq "$RUNS"); do
    # Alternate the tools so that machine load hits both alike.
    /usr/bin/time -f '{"cpu":%U,"sys":%S,"rss_kb":%M}' -o "$OUT/t.json" "$BIN" parse-results "$file" > "$OUT/r.json"
    python3 -c "import json,sys; r=json.load(open('$OUT/r.json')); r.update(json.load(open('$OUT/t.json'))); r['file']='$file'; print(json.dumps(r))" >> "$LOG"
    /usr/bin/time -f '{"cpu":%U,"sys":%S,"rss_kb":%M}' -o "$OUT/t.json" bench/.venv/bin/python bench/ingest/pandas_results.py "$file" 12 > "$OUT/r.json"
    python3 -c "import json,sys; r=json.load(open('$OUT/r.json')); r.update(json.load(open('$OUT/t.json'))); r['file']='$file'; print(json.dumps(r))" >> "$LOG"
  done
done

BAN="$OUT/ban_${BAN_ROWS}.csv.gz"
if [ "${SKIP_BAN:-0}" = 1 ]; then BAN_ROWS=1000; BAN="$OUT/ban_1000.csv.gz"; fi
if [ ! -f "$BAN" ]; then
  echo "generating $BAN_ROWS BAN addresses (gzip)…" >&2
  "$BIN" gen-ban "$BAN" --rows "$BAN_ROWS" --seed 42
fi
/usr/bin/time -f '{"cpu":%U,"sys":%S,"rss_kb":%M,"wall":%e}' -o "$OUT/t.json" "$BIN" parse-ban "$BAN" > "$OUT/r.json"
python3 -c "import json,sys; r=json.load(open('$OUT/r.json')); r.update(json.load(open('$OUT/t.json'))); r['file']='$BAN'; print(json.dumps(r))" > "$OUT/ban.jsonl"

python3 - "$LOG" "$OUT/ban.jsonl" <<'PY'
import json, os, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the end (shared: figures are noisy)")
print()
print("| input | tool | runs | wall s (min / median) | CPU s in-process (min / median) | peak RSS MB | speed-up vs pandas: wall (min) / CPU (min) |")
print("|---|---|---|---|---|---|---|")
for f in dict.fromkeys(r["file"] for r in rows):
    size = os.path.getsize(f) / 1e6
    by = {}
    for r in rows:
        if r["file"] == f:
            by.setdefault(r["tool"], []).append(r)
    pandas_min = min(x["seconds"] for t, rs in by.items() if t.startswith("pandas") for x in rs)
    pandas_cpu = min(x["cpu_seconds"] for t, rs in by.items() if t.startswith("pandas") for x in rs)
    for tool, rs in by.items():
        w = [x["seconds"] for x in rs]
        c = [x["cpu_seconds"] for x in rs]
        rss = max(x["rss_kb"] for x in rs) / 1024
        n = rs[0]["bureaux"]
        ratio = f"{pandas_min / min(w):.1f}x / {pandas_cpu / min(c):.1f}x" if tool == "terrain" else "1x"
        print(f"| {n:,} bureaux x 12, {size:.0f} MB latin-1 | {tool} | {len(w)} | {min(w):.3f} / {statistics.median(w):.3f} | {min(c):.3f} / {statistics.median(c):.3f} | {rss:.0f} | {ratio} |")
    assert len({x['voix'] for rs in by.values() for x in rs}) == 1, "tools disagree on the votes"
b = json.loads(open(sys.argv[2]).read())
print()
print(f"BAN: {b['addresses']:,} addresses, {os.path.getsize(b['file'])/1e9:.2f} GB gzip, parse only: "
      f"{b['wall']:.1f} s wall, {b['cpu_seconds']:.1f} s CPU, {b['per_second']:,.0f} addresses/s, peak RSS {b['rss_kb']/1024:.0f} MB")
PY
