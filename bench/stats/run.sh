#!/usr/bin/env bash
# Sampling and weighting benchmark: Terrain's samplers and calibrations against R (sampling,
# survey, laeken) and Python (balance, ipfn), on the same seeded files, in one run.
#   bench/stats/run.sh          # samplecube with the suppression landing only
#   LP=1 bench/stats/run.sh     # also samplecube's linear-programming landing (about a minute)
# Inputs and outputs go to bench/out/stats (gitignored). Every tool's sample or weights are
# scored by the same code (crates/stats/examples/bench_stats.rs).
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=bench/out/stats
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"

# Anchors: R packages from Debian, Python packages in bench/.venv.
if ! Rscript -e 'suppressMessages({library(survey); library(sampling); library(laeken)})' >/dev/null 2>&1; then
  apt-get update
  apt-get install -y --no-install-recommends r-base-core r-cran-survey r-cran-sampling r-cran-laeken
fi
[ -x bench/.venv/bin/python ] || python3 -m venv bench/.venv
bench/.venv/bin/python -c 'import balance, ipfn' 2>/dev/null || bench/.venv/bin/pip install -q balance ipfn

cargo build --release -q -p terrain-stats --example bench_stats
B="$CARGO_TARGET_DIR/release/examples/bench_stats"
mkdir -p "$OUT"
"$B" gen "$OUT"

echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)" | tee "$OUT/raw.txt"
{
  "$B" terrain "$OUT"
  Rscript bench/stats/anchors.R "$OUT" ${LP:+lp}
  bench/.venv/bin/python bench/stats/anchors.py "$OUT"
} | tee -a "$OUT/raw.txt"

# Score the anchors' outputs with Terrain's code (HT errors, spatial balance, margins, deff,
# and the largest relative difference from Terrain's weights for the same method).
grep -E '^(SAMPLE|WEIGHTS)\|' "$OUT/raw.txt" | while IFS='|' read -r kind task tool secs file; do
  case "$kind" in
    SAMPLE) "$B" check "$OUT" "$file" "$tool" "$task" "$secs" ;;
    WEIGHTS) "$B" weights "$OUT" "$file" "$tool" "$task" "$secs" "$OUT/weights-terrain-${task// /-}.csv" ;;
  esac
done >> "$OUT/raw.txt"

echo
printf '| %-14s | %-48s | %9s | %s\n' task tool "time (s)" quality
printf '|%s|%s|%s|%s\n' "----------------" "--------------------------------------------------" "-----------" "---------"
grep '^RESULT|' "$OUT/raw.txt" | sort -t'|' -k2,2 -s | while IFS='|' read -r _ task tool secs quality; do
  printf '| %-14s | %-48s | %9s | %s |\n' "$task" "$tool" "$secs" "$quality"
done
