#!/usr/bin/env bash
# Targeting benchmark: Terrain against the same LMP baseline in pandas/numpy, on the same seeded
# file (69,000 bureaux x 5 elections + census covariates), in one run.
#   bench/targeting/run.sh
# Inputs and outputs go to bench/out/targeting (gitignored). Also runs the Rhône 2017 -> 2022
# back-test (real data in ../shared/data) and prints its tables.
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=bench/out/targeting
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"

[ -x bench/.venv/bin/python ] || python3 -m venv bench/.venv
bench/.venv/bin/python -c 'import pandas, numpy' 2>/dev/null || bench/.venv/bin/pip install -q pandas numpy

cargo build --release -q -p terrain-targeting --example bench_targeting --example rhone_backtest
B="$CARGO_TARGET_DIR/release/examples/bench_targeting"
mkdir -p "$OUT"
[ -f "$OUT/counts.csv" ] || "$B" gen "$OUT"

echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)" | tee "$OUT/raw.txt"
{
  "$B" run "$OUT"
  bench/.venv/bin/python bench/targeting/anchor.py "$OUT"
} | tee -a "$OUT/raw.txt"

if cmp -s "$OUT/selected-terrain.txt" "$OUT/selected-pandas.txt"; then
  echo "selection: Terrain and pandas chose the same $(wc -l < "$OUT/selected-terrain.txt") bureaux" | tee -a "$OUT/raw.txt"
else
  echo "selection: Terrain and pandas DIFFER" | tee -a "$OUT/raw.txt"
  diff "$OUT/selected-terrain.txt" "$OUT/selected-pandas.txt" | head
fi

echo
echo "| task | seconds (median of 7) |"
echo "|---|---|"
grep '^TASK|' "$OUT/raw.txt" | while IFS='|' read -r _ name secs detail; do
  echo "| $name${detail:+ ($detail)} | $secs |"
done

DATA="${SHARED_DATA:-$PWD/../shared/data}"
if [ -d "$DATA/elections-rhone-69-presidentielle-2017-2022" ]; then
  echo
  "$CARGO_TARGET_DIR/release/examples/rhone_backtest" "$DATA" | tee "$OUT/rhone-backtest.md"
else
  echo "Rhône back-test SKIPPED: $DATA is absent"
fi
